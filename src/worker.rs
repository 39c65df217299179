//! The workers-rs driver (feature `worker`, wasm32): [`Client`] gets tokens for a Worker written
//! in Rust with the `worker` crate, through its `Fetch`, `kv::KvStore`, `Date` and
//! `Context::wait_until`, with the same core as the npm package: the same configuration and
//! errors, the memory level and single-flight in the isolate, and the same sealed KV entries,
//! so a JavaScript Worker and a Rust Worker share one namespace.
//!
//! It shares the wasm shell's runtime pieces (timers, `crypto.getRandomValues`, WebCrypto RSA)
//! and runs the same [`Acquisition`](crate::flow::Acquisition) as every driver.

mod client;
mod drive;

pub use crate::token::AssertionContext;
pub use crate::token::{Request, Token};
pub use client::{Builder, Client};
