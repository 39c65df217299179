//! Any bytes, status and Retry-After from a token endpoint or a managed-identity endpoint (IMDS),
//! at any point of a retry budget: a token, or an error and a retry decision, never a panic (the
//! decision's arithmetic included).
#![no_main]
use entra_edge::managed_identity::{answer, ManagedIdentity, ManagedIdentityInput};
use entra_edge::response::{parse_token_response, HttpResponse};
use entra_edge::retry::RetryPolicy;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u16, Option<String>, Vec<u8>, (u32, u64, u32, u64))| {
    let (status, retry_after, body, (retries, elapsed, random, deadline)) = input;
    let headers = retry_after
        .map(|v| vec![("retry-after".to_owned(), v)])
        .unwrap_or_default();
    let resp = HttpResponse {
        status,
        headers,
        body,
    };
    let policy = RetryPolicy {
        max_retries: 10,
        deadline_ms: deadline,
        timeout_ms: 10_000,
        floor_ms: 5000,
    };
    if let Err(err) = parse_token_response(&resp, &["secret"], 1_800_000_000_000) {
        let _ = policy.next(&err, retries, elapsed, random);
        let _ = policy.attempt_timeout(elapsed);
    }
    if let Ok(imds) = ManagedIdentity::from_input(ManagedIdentityInput::default()) {
        if let Err(err) = answer::read(&imds, &resp, &["secret"], 1_800_000_000_000) {
            let _ = policy.next(&err, retries, elapsed, random);
        }
    }
});
