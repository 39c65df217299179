//! The native driver (feature `native`): [`Client`] gets tokens for a tokio daemon through
//! `reqwest` (rustls), with the same core as the npm package: the same configuration and its
//! errors, the memory level, single-flight, the store with its sealed entries and fleet lease,
//! stale-if-error and refresh-ahead.
//!
//! A driver performs what the core's [`Acquisition`](crate::flow::Acquisition) asks and reports
//! each outcome with the time, as the wasm shell does for JavaScript: it holds no policy of its
//! own. Every future it returns is `Send`, so a client serves every task of a multi-threaded
//! runtime; calls need a tokio runtime (flights and background refreshes are tokio tasks).

mod client;
mod drive;
mod http;
#[cfg(feature = "redis")]
mod redis_store;
mod sign;
mod store;

pub use crate::token::AssertionContext;
pub use crate::token::{Request, Token};
pub use client::{Builder, Client};
#[cfg(feature = "redis")]
pub use redis_store::RedisStore;
pub use store::{MemoryStore, Store, StoreFuture};
