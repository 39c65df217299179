#![doc = include_str!("../README.md")]
//!
//! # Layout
//! The core modules below do no I/O and read no clock or randomness: `now` and random bytes are
//! parameters. `wasm` (wasm32 only) is the thin shell that binds them to `fetch`, KV, WebCrypto
//! and JavaScript.

pub mod authority;
pub mod cache;
pub mod challenge;
pub mod claims;
pub mod client;
pub mod config;
pub mod credential;
pub mod der;
pub mod envelope;
pub mod error;
pub mod flow;
pub mod form;
pub mod input;
pub mod lenient;
pub mod managed_identity;
#[cfg(any(feature = "native", all(target_arch = "wasm32", feature = "worker")))]
mod memo;
#[cfg(feature = "native")]
pub mod native;
pub mod outcome;
pub mod region;
pub mod request;
pub mod response;
pub mod retry;
pub mod scope;
pub mod secret;
#[cfg(any(target_arch = "wasm32", test))]
mod slab;
pub mod stats;
pub mod tenant;
#[cfg(any(feature = "native", all(target_arch = "wasm32", feature = "worker")))]
pub mod token;
pub mod token_check;

// Exports are reached through wasm-bindgen, not Rust paths.
#[cfg(target_arch = "wasm32")]
#[allow(unreachable_pub)]
mod wasm;

#[cfg(all(target_arch = "wasm32", feature = "worker"))]
pub mod worker;

pub use client::Client;
pub use error::{Error, ErrorClass};
