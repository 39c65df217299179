//! Any WWW-Authenticate header and API body: parsed or ignored, never a panic; decoded claims
//! merge with client capabilities into a JSON object.
#![no_main]
use entra_edge::challenge::{claims_from_challenge, is_consent_denied};
use entra_edge::claims::merge_claims;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&str, &[u8])| {
    if let Some(claims) = claims_from_challenge(input.0) {
        let merged = merge_claims(Some(&claims), &["cp1".to_owned()]);
        let merged = merged.ok().flatten().unwrap_or_default();
        assert!(serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&merged).is_ok());
    }
    let _ = is_consent_denied(403, input.1);
});
