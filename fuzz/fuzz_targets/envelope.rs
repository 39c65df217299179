//! Any value read from a store: opens only if sealed by us for that key, never panics.
#![no_main]
use entra_edge::envelope::{open, SealingKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|value: &str| {
    let key = SealingKey::derive(b"fuzz secret", "client");
    let _ = open(&key, "entra-edge:k", value);
});
