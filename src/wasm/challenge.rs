//! Exports for the authorized fetch: reading an API's refusal.

use wasm_bindgen::prelude::*;

/// The decoded claims of a `WWW-Authenticate` claims challenge, or `undefined`.
#[wasm_bindgen(js_name = claimsFromChallenge)]
pub fn claims_from_challenge(www_authenticate: Option<String>) -> Option<String> {
    crate::challenge::claims_from_challenge(&www_authenticate?)
}

/// Whether `status` and `body` are Graph's missing-consent answer.
#[wasm_bindgen(js_name = isConsentDenied)]
pub fn is_consent_denied(status: u16, body: &str) -> bool {
    crate::challenge::is_consent_denied(status, body.as_bytes())
}
