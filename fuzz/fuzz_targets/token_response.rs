//! Any bytes and status from a token endpoint: a token or an error, never a panic.
#![no_main]
use entra_edge::response::{parse_token_response, HttpResponse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u16, Option<String>, Vec<u8>)| {
    let (status, retry_after, body) = input;
    let headers = retry_after
        .map(|v| vec![("retry-after".to_owned(), v)])
        .unwrap_or_default();
    let resp = HttpResponse {
        status,
        headers,
        body,
    };
    let _ = parse_token_response(&resp, &["secret"], 1_800_000_000_000);
});
