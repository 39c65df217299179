//! Any JSON text as configuration: a validated config or a configuration error, never a panic.
#![no_main]
use entra_edge::config::ClientConfig;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|json: &str| {
    let _ = ClientConfig::from_json(json);
});
