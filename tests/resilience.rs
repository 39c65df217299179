//! Throttle windows and stale-if-error, decided at fixed clocks.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests state what must hold

#[path = "support/common.rs"]
mod common;
use common::*;
use entra_edge::input::JsonRequest;
use entra_edge::ErrorClass;

const T0: u64 = 1_800_000_000_000;

#[test]
fn retry_after_opens_a_local_window() {
    let mut c = entra_secret_client();
    let p = graph_request(&c);
    let err = c
        .complete(
            &p,
            &response(429, &[("retry-after", "60")], b"Too Many Requests"),
            T0,
            0,
        )
        .unwrap_err();
    let err = c.after_failure(&p, err, 0, 0, T0, 0, false).unwrap_err();
    assert_eq!(err.class(), ErrorClass::Throttled);
    assert!(
        err.message().ends_with(
            "not retried: the server's Retry-After (60.0 s) does not fit the 30.0 s left of system.deadlineMs"
        ),
        "{}",
        err.message()
    );

    let early = c.check_throttle(&p, T0 + 20_000).unwrap_err();
    assert_eq!(early.class(), ErrorClass::Throttled);
    assert_eq!(early.code(), "throttled");
    assert_eq!(early.server_details().unwrap().retry_after_ms, Some(40_000));
    assert_eq!(
        early.message(),
        "not sent: the identity provider asked to wait (Retry-After) and 40 s of that remain; no token request was made"
    );
    assert!(
        c.check_throttle(&p, T0 + 60_000).is_ok(),
        "the window closes on time"
    );
    assert!(
        c.check_throttle(&p, T0 + 20_000).is_ok(),
        "and is forgotten once closed"
    );
}

#[test]
fn errors_without_retry_after_open_no_window() {
    let mut c = entra_secret_client();
    let p = graph_request(&c);
    let err = c
        .complete(&p, &response(503, &[], b"unavailable"), T0, 0)
        .unwrap_err();
    let err = c
        .after_failure(&p, err, 2, 12_000, T0, 0, false)
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::Server);
    assert!(c.check_throttle(&p, T0).is_ok());
}

#[test]
fn stale_if_error_serves_valid_tokens_only_when_allowed() {
    let mut c = entra_secret_client();
    let p = graph_request(&c);
    cache_success(&mut c, &p, T0);
    // 3599 s token, 300 s buffer: at +3400 s it is no longer served, but still valid.
    let at = T0 + 3_400_000;
    assert!(c.lookup(&p, at).is_none());
    assert!(c.stale(&p, at).is_some());
    assert!(
        c.stale(&p, T0 + 3_570_000).is_none(),
        "under 30 s of life left"
    );

    let skip = c
        .prepare(
            JsonRequest {
                scopes: Some(vec!["https://graph.microsoft.com/.default".into()]),
                skip_cache: Some(true),
                ..Default::default()
            },
            "id".into(),
        )
        .unwrap();
    assert!(
        c.stale(&skip, at).is_none(),
        "skipCache asked for a new token"
    );
}
