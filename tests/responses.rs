//! Token and error responses from fixtures: Entra's real error bodies, RFC 6749 §5.2 bodies,
//! lifetime variants, and answers that cannot be used.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests state what must hold

#[path = "support/common.rs"]
mod common;
use common::*;
use entra_edge::ErrorClass;

const NOW: u64 = 1_800_000_000_000;

#[test]
fn success_numbers() {
    let mut c = entra_secret_client();
    let p = graph_request(&c);
    let t = c
        .complete(
            &p,
            &response(200, &[], &fixture("entra_success.json")),
            NOW,
            0,
        )
        .unwrap();
    assert_eq!(t.expires_on_ms, NOW + 3_599_000);
    assert_eq!(t.ext_expires_on_ms, Some(NOW + 3_599_000));
    assert_eq!(t.refresh_on_ms, None);
    assert_eq!(t.token_type, "Bearer");
    assert_eq!(t.tenant_id.as_deref(), Some("contoso.onmicrosoft.com"));
    assert!(c.lookup(&p, NOW + 1).is_some(), "cached in memory");
}

#[test]
fn success_numeric_strings_and_refresh_in() {
    let mut c = entra_secret_client();
    let p = graph_request(&c);
    let t = c
        .complete(
            &p,
            &response(200, &[], &fixture("entra_success_strings.json")),
            NOW,
            0,
        )
        .unwrap();
    assert_eq!(t.expires_on_ms, NOW + 86_399_000);
    assert_eq!(t.refresh_on_ms, Some(NOW + 43_199_000));
}

#[test]
fn entra_errors_map_codes_fields_and_hints() {
    let cases: [(&str, u16, &str, u64, &str); 6] = [
        (
            "entra_invalid_secret.json",
            401,
            "invalid_client",
            7000215,
            "not its Secret ID",
        ),
        (
            "entra_expired_secret.json",
            401,
            "invalid_client",
            7000222,
            "has expired",
        ),
        (
            "entra_tenant_not_found.json",
            400,
            "invalid_request",
            90002,
            "tenant",
        ),
        (
            "entra_app_not_found.json",
            400,
            "unauthorized_client",
            700016,
            "not registered in this tenant",
        ),
        (
            "entra_invalid_scope.json",
            400,
            "invalid_scope",
            1002012,
            "/.default",
        ),
        (
            "entra_throttled.json",
            400,
            "temporarily_unavailable",
            50196,
            "request loop",
        ),
    ];
    for (file, status, code, aadsts, hint) in cases {
        let mut c = entra_secret_client();
        let p = graph_request(&c);
        let err = c
            .complete(&p, &response(status, &[], &fixture(file)), NOW, 0)
            .unwrap_err();
        assert_eq!(err.code(), code, "{file}");
        assert_eq!(err.class(), ErrorClass::Server, "{file}");
        let d = err.server_details().unwrap();
        assert_eq!(d.error_codes, vec![aadsts], "{file}");
        assert_eq!(d.status, status);
        assert!(
            d.trace_id.as_deref().unwrap().starts_with("0a1b2c3d"),
            "{file}"
        );
        assert_eq!(
            d.correlation_id.as_deref(),
            Some("11111111-2222-4333-8444-555555555555")
        );
        assert!(d.timestamp.as_deref().unwrap().starts_with("2026-11-23"));
        assert!(d.hint.unwrap().contains(hint), "{file}: {:?}", d.hint);
        assert!(
            err.message().contains(&format!("AADSTS{aadsts}")),
            "{file}: {}",
            err.message()
        );
        assert!(c.lookup(&p, NOW).is_none(), "errors are not cached");
    }
}

#[test]
fn invalid_secret_message_verbatim() {
    let mut c = entra_secret_client();
    let p = graph_request(&c);
    let err = c
        .complete(
            &p,
            &response(401, &[], &fixture("entra_invalid_secret.json")),
            NOW,
            0,
        )
        .unwrap_err();
    assert_eq!(
        err.message(),
        "the token endpoint answered HTTP 401: invalid_client: AADSTS7000215: Invalid client secret provided. \
         Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a \
         secret added to app '00000000-0000-0000-0000-000000000001'. Trace ID: 0a1b2c3d-0000-4000-8000-000000000001 \
         Correlation ID: 11111111-2222-4333-8444-555555555555 Timestamp: 2026-11-23 19:55:01Z. Hint: the client \
         secret is wrong. Use the secret's Value from Certificates & secrets, not its Secret ID"
    );
    assert!(!err.server_details().unwrap().is_retryable);
}

#[test]
fn throttling_and_retryable() {
    let mut c = entra_secret_client();
    let p = graph_request(&c);
    let err = c
        .complete(
            &p,
            &response(
                429,
                &[("retry-after", "60")],
                b"{\"error\":\"too_many_requests\"}",
            ),
            NOW,
            0,
        )
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::Throttled);
    assert_eq!(err.server_details().unwrap().retry_after_ms, Some(60_000));
    assert!(err.server_details().unwrap().is_retryable);

    let html = c
        .complete(
            &p,
            &response(
                503,
                &[("content-type", "text/html")],
                b"<html>Service Unavailable</html>",
            ),
            NOW,
            0,
        )
        .unwrap_err();
    assert_eq!(html.code(), "http_error");
    assert_eq!(
        html.message(),
        "the token endpoint answered HTTP 503: not an OAuth error body (text/html): \"<html>Service Unavailable</html>\""
    );
    assert!(html.server_details().unwrap().is_retryable);
}

#[test]
fn unusable_success_answers() {
    let cases: [(&[u8], &str); 8] = [
        (b"not json", "the token endpoint answered HTTP 200 with a body that is not a JSON object"),
        (b"{\"token_type\":\"Bearer\",\"expires_in\":3600}", "the token response is unusable: access_token is missing or not a non-empty string"),
        (b"{\"access_token\":\"t\",\"expires_in\":3600}", "the token response is unusable: token_type is missing (RFC 6749 §5.1 requires it)"),
        (b"{\"access_token\":\"t\",\"token_type\":\"Bearer\"}", "the token response is unusable: expires_in must be a positive number of seconds"),
        (b"{\"access_token\":\"t\",\"token_type\":\"Bearer\",\"expires_in\":0}", "the token response is unusable: expires_in must be a positive number of seconds"),
        (b"{\"access_token\":\"t\",\"token_type\":\"Bearer\",\"expires_in\":-5}", "the token response is unusable: expires_in must be a number of seconds from 0 to 315360000, got -5"),
        (b"{\"access_token\":\"t\",\"token_type\":\"Bearer\",\"expires_in\":\"abc\"}", "the token response is unusable: expires_in must be a number of seconds from 0 to 315360000, got \"abc\""),
        (b"{\"access_token\":\"t\",\"token_type\":\"Bearer\",\"expires_in\":1e300}", "the token response is unusable: expires_in must be a number of seconds from 0 to 315360000, got 1e300"),
    ];
    for (body, message) in cases {
        let mut c = entra_secret_client();
        let p = graph_request(&c);
        let err = c
            .complete(&p, &response(200, &[], body), NOW, 0)
            .unwrap_err();
        assert_eq!(err.class(), ErrorClass::Network);
        assert_eq!(err.message(), message);
    }
}

#[test]
fn redirects_and_oversized_bodies() {
    let mut c = entra_secret_client();
    let p = graph_request(&c);
    let err = c
        .complete(
            &p,
            &response(302, &[("location", "https://evil.example/")], b""),
            NOW,
            0,
        )
        .unwrap_err();
    assert_eq!(err.code(), "redirect_refused");
    let big = vec![b' '; entra_edge::response::MAX_BODY_BYTES + 1];
    assert_eq!(
        c.complete(&p, &response(200, &[], &big), NOW, 0)
            .unwrap_err()
            .code(),
        "response_too_large"
    );
}
