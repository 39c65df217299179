//! The shell: binds the pure core to JavaScript. Only this module touches `js_sys`,
//! `wasm_bindgen` and the runtime (fetch, clock, randomness, callbacks).

mod app;
mod cipher;
mod drive;
mod errors;
mod exports;
mod file;
mod http;
pub(crate) mod js;
mod log;
mod network;
mod source;
mod store;
mod task;
mod token;
mod warm;
pub(crate) mod webcrypto;
