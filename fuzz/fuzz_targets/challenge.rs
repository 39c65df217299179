//! Any WWW-Authenticate header and API body: parsed or ignored, never a panic.
#![no_main]
use entra_edge::challenge::{claims_from_challenge, is_consent_denied};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&str, &[u8])| {
    let _ = claims_from_challenge(input.0);
    let _ = is_consent_denied(403, input.1);
});
