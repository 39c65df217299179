//! Retry timing through the real acquisition state machine on a simulated clock: each token
//! request takes `ATTEMPT_MS`, each wait the machine asks for moves the clock. Nothing sleeps.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests state what must hold

#[path = "support/common.rs"]
mod common;
#[path = "support/harness.rs"]
mod harness;

use entra_edge::cache::Shared;

use common::*;
use entra_edge::cache::{CachedToken, TokenSource};
use entra_edge::client::Prepared;
use entra_edge::flow::Acquisition;
use entra_edge::retry::{is_retryable, Next, RetryPolicy};
use entra_edge::{Error, ErrorClass};
use harness::{Harness, Random, T0};

const ATTEMPT_MS: u64 = 200;

/// One scripted answer: an HTTP response, or a transport failure.
enum Answer {
    Http(u16, Vec<(&'static str, String)>, Vec<u8>),
    Timeout,
}

fn http(status: u16, headers: &[(&'static str, &str)], body: &[u8]) -> Answer {
    Answer::Http(
        status,
        headers.iter().map(|(n, v)| (*n, v.to_string())).collect(),
        body.to_vec(),
    )
}

fn ok() -> Answer {
    http(200, &[], &fixture("entra_success.json"))
}

/// How one load ended.
struct Run {
    outcome: Result<Shared<CachedToken>, Error>,
    /// When each token request was sent, from the start.
    sent: Vec<u64>,
}

/// Loads a token for `p` from `T0` through [`Acquisition`], the token endpoint answering with
/// `script` in order; `random` is every random draw.
fn drive(h: &mut Harness, p: &Prepared, script: Vec<Answer>, random: u32) -> Run {
    for answer in script {
        match answer {
            Answer::Http(status, headers, body) => {
                let headers: Vec<(&str, &str)> =
                    headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
                h.answer(status, &headers, &body);
            }
            Answer::Timeout => {
                h.time_out();
            }
        }
    }
    h.send_ms = ATTEMPT_MS;
    h.entropy = Random::Fixed(random);
    let outcome = h.run(Acquisition::load(p.clone(), T0)).map(|a| a.token);
    assert!(h.answers.is_empty(), "every scripted answer was asked for");
    Run {
        outcome,
        sent: h.sent_since_t0(),
    }
}

fn entra(system: &str) -> Harness {
    Harness::new(&format!(
        r#"{{"auth":{{"clientId":"c","authority":"https://login.microsoftonline.com/contoso.onmicrosoft.com","clientSecret":"s"}},"system":{system}}}"#
    ))
}

fn generic(system: &str) -> Harness {
    Harness::new(&format!(
        r#"{{"auth":{{"clientId":"c","tokenEndpoint":"https://idp.example/token","clientSecret":"s"}},"system":{system}}}"#
    ))
}

fn scope(h: &Harness, s: &str) -> Prepared {
    h.client
        .prepare(
            entra_edge::input::JsonRequest {
                scopes: Some(vec![s.into()]),
                ..Default::default()
            },
            "id".into(),
        )
        .unwrap()
}

#[test]
fn entra_503_then_200_waits_at_least_five_seconds() {
    let mut h = entra("{}");
    let p = graph_request(&h.client);
    let run = drive(&mut h, &p, vec![http(503, &[], b"busy"), ok()], 0);
    assert!(run.outcome.is_ok());
    assert_eq!(
        run.sent,
        vec![0, ATTEMPT_MS + 5000],
        "floor, no jitter drawn"
    );

    let mut h = entra("{}");
    let run = drive(&mut h, &p, vec![http(503, &[], b"busy"), ok()], u32::MAX);
    assert!(run.outcome.is_ok());
    let wait = run.sent[1] - ATTEMPT_MS;
    assert!(
        (5000..=6000).contains(&wait),
        "full jitter above the floor: {wait}"
    );
}

#[test]
fn back_off_doubles_and_stops_at_max_retries() {
    let mut h = generic(r#"{"maxRetries":3,"deadlineMs":600000}"#);
    let p = scope(&h, "api");
    let random = 4_000_000_000; // the draw is taken modulo each span + 1
    let run = drive(
        &mut h,
        &p,
        (0..4).map(|_| http(500, &[], b"oops")).collect(),
        random,
    );
    let waits: Vec<u64> = run
        .sent
        .windows(2)
        .map(|w| w[1] - w[0] - ATTEMPT_MS)
        .collect();
    let expected: Vec<u64> = [1000u64, 2000, 4000]
        .iter()
        .map(|span| 100 + u64::from(random) % (span + 1))
        .collect();
    assert_eq!(waits, expected);
    let err = run.outcome.unwrap_err();
    assert_eq!(err.class(), ErrorClass::Server);
    let elapsed = run.sent[3] + ATTEMPT_MS;
    let note = format!(
        "gave up after 4 attempts in {}.{} s (system.maxRetries is 3)",
        elapsed / 1000,
        elapsed % 1000 / 100
    );
    assert!(err.message().ends_with(&note), "{}", err.message());
}

#[test]
fn the_deadline_bounds_the_whole_wait() {
    let mut h = entra(r#"{"maxRetries":10,"timeoutMs":1000,"deadlineMs":12000}"#);
    let p = graph_request(&h.client);
    let run = drive(
        &mut h,
        &p,
        (0..3).map(|_| http(500, &[], b"oops")).collect(),
        0,
    );
    // 0, 5200, 10400: a third retry would start at 15600, past the 12 s deadline.
    assert_eq!(run.sent, vec![0, 5200, 10400]);
    let err = run.outcome.unwrap_err();
    assert!(
        err.message().ends_with(
            "gave up after 3 attempts: the next back-off does not fit the 1.4 s left of system.deadlineMs"
        ),
        "{}",
        err.message()
    );
    let policy = h.client.config().retry;
    assert_eq!(policy.attempt_timeout(0), (1000, false));
    assert_eq!(
        policy.attempt_timeout(11_500),
        (500, true),
        "the last attempt gets what is left"
    );
    assert_eq!(policy.left(11_500), 500);
    assert_eq!(policy.left(20_000), 1, "a step is never given nothing");
}

#[test]
fn retry_after_is_honoured_when_it_fits() {
    let mut h = entra("{}");
    let p = graph_request(&h.client);
    let run = drive(
        &mut h,
        &p,
        vec![http(429, &[("retry-after", "2")], b""), ok()],
        u32::MAX,
    );
    assert!(run.outcome.is_ok());
    assert_eq!(
        run.sent,
        vec![0, ATTEMPT_MS + 2000],
        "the server's wait, not the 5 s floor"
    );
}

#[test]
fn retry_after_as_a_date_that_does_not_fit_fails_at_once_as_throttled() {
    let mut h = entra("{}");
    let p = graph_request(&h.client);
    // T0 is 2027-01-15T08:00:00Z; the server asks for 08:02:00, 120 s away.
    let run = drive(
        &mut h,
        &p,
        vec![http(
            503,
            &[("retry-after", "Fri, 15 Jan 2027 08:02:00 GMT")],
            b"",
        )],
        0,
    );
    assert_eq!(run.sent, vec![0], "one request, no retry");
    let err = run.outcome.unwrap_err();
    assert_eq!(
        err.class(),
        ErrorClass::Throttled,
        "a 5xx with Retry-After is a ThrottledError"
    );
    assert_eq!(err.server_details().unwrap().retry_after_ms, Some(120_000));
    let local = h.client.check_throttle(&p, T0 + 60_000).unwrap_err();
    assert_eq!(
        local.server_details().unwrap().retry_after_ms,
        Some(60_200),
        "the window counts from when the answer was handled: never shorter than asked"
    );
}

#[test]
fn other_4xx_and_unusable_answers_are_never_retried() {
    for answer in [
        http(
            401,
            &[],
            br#"{"error":"invalid_client","error_codes":[7000215]}"#,
        ),
        http(
            400,
            &[("retry-after", "1")],
            br#"{"error":"invalid_scope"}"#,
        ),
        http(200, &[], b"{not json"),
        http(200, &[], br#"{"token_type":"Bearer","expires_in":3599}"#),
        http(302, &[("location", "https://elsewhere.example/")], b""),
    ] {
        let mut h = entra("{}");
        let p = graph_request(&h.client);
        let run = drive(&mut h, &p, vec![answer], 0);
        assert_eq!(run.sent, vec![0]);
        let err = run.outcome.unwrap_err();
        assert!(!is_retryable(&err), "{err}");
        assert!(!err.message().contains("retr"), "{}", err.message());
    }
}

#[test]
fn timeouts_408_and_transient_aadsts_codes_are_retried() {
    let transient = br#"{"error":"invalid_request","error_codes":[90033]}"#;
    for first in [
        Answer::Timeout,
        http(408, &[], b""),
        http(400, &[], transient),
        http(400, &[], br#"{"error":"temporarily_unavailable"}"#),
    ] {
        let mut h = entra("{}");
        let p = graph_request(&h.client);
        let run = drive(&mut h, &p, vec![first, ok()], 0);
        assert!(run.outcome.is_ok());
        assert_eq!(run.sent, vec![0, ATTEMPT_MS + 5000]);
    }
}

#[test]
fn max_retries_zero_sends_once_and_says_so() {
    let mut h = entra(r#"{"maxRetries":0}"#);
    let p = graph_request(&h.client);
    let run = drive(&mut h, &p, vec![http(503, &[], b"")], 0);
    assert_eq!(run.sent, vec![0]);
    assert!(run
        .outcome
        .unwrap_err()
        .message()
        .ends_with("not retried: system.maxRetries is 0"));
}

#[test]
fn a_load_serves_a_valid_cached_token_instead_of_waiting_out_a_back_off_and_a_refresh_retries() {
    let mut h = entra("{}");
    let p = graph_request(&h.client);
    cache_success(&mut h.client, &p, T0);
    h.clock = T0 + 3_400_000; // past the expiry buffer, still valid
    h.answer(503, &[], b"");
    let answer = h.run(Acquisition::load(p.clone(), h.clock)).unwrap();
    assert_eq!(answer.source, TokenSource::Memory);
    assert_eq!(h.steps(), ["send timeout 10000", "done memory"]);
    assert!(h.logged_text("not retried: a cached token that is still valid is served instead"));

    // A refresh's callers are served that token anyway: it retries for a new one.
    h.answer(503, &[], b"")
        .answer(200, &[], &fixture("entra_success.json"));
    let refreshed = h.run(Acquisition::refresh(p, h.clock)).unwrap();
    assert_eq!(refreshed.source, TokenSource::IdentityProvider);
    let steps = h.steps();
    assert_eq!(steps.len(), 4, "{steps:?}");
    assert!(steps[1].starts_with("sleep "), "{steps:?}");
}

#[test]
fn windows_travel_through_the_store_sealed() {
    let store = r#"{"auth":{"clientId":"c","authority":"https://login.microsoftonline.com/contoso.onmicrosoft.com","clientSecret":"0123456789abcdef"},"cache":{"store":{}}}"#;
    let mut first = client(store);
    let p = graph_request(&first);
    let err = first
        .complete(&p, &response(429, &[("retry-after", "90")], b""), T0, 0)
        .unwrap_err();
    let write = first.outcome_write(&p, &err, false, T0, [9; 12]).unwrap();
    assert_eq!(write.key, first.outcome_key(&p));
    assert!(write.key.starts_with("entra-edge:") && write.key.ends_with(":outcome"));
    assert_eq!(write.ttl_seconds, 90);
    let value = first.sealed_value(&write).unwrap();
    assert!(
        value.starts_with("ee1.") && !value.contains("1800000090000"),
        "sealed, not the window in clear"
    );

    let mut other = client(store);
    let opened = other.open_value(&write.key, &value).unwrap();
    assert!(other.read_outcome(&p, &opened, T0 + 30_000).is_none());
    let refused = other.check_throttle(&p, T0 + 30_000).unwrap_err();
    assert_eq!(
        refused.server_details().unwrap().retry_after_ms,
        Some(60_000)
    );

    // Issue 20.7: anyone who can write the store could block a key for a day with a plain
    // number; a window is only believed when it opens with the sealing key.
    for bogus in ["1800000090000", "soon", "-5", "", "99999999999999999999"] {
        let c = client(store);
        assert!(
            c.open_value(&write.key, bogus).is_err(),
            "{bogus:?} does not open, so the machine ignores it"
        );
    }
    let stranger = client(
        r#"{"auth":{"clientId":"c","authority":"https://login.microsoftonline.com/contoso.onmicrosoft.com","clientSecret":"another-secret-0000"},"cache":{"store":{}}}"#,
    );
    let forged = stranger.outcome_write(&p, &err, true, T0, [9; 12]).unwrap();
    let forged = stranger.sealed_value(&forged).unwrap();
    let c = client(store);
    assert!(
        c.open_value(&write.key, &forged).is_err(),
        "a record sealed with another key does not open, so the machine ignores it"
    );
    assert!(
        entra("{}")
            .client
            .outcome_write(&p, &err, false, T0, [9; 12])
            .is_none(),
        "no store, no record"
    );
}

#[test]
fn policy_decisions_are_pure() {
    let policy = RetryPolicy {
        max_retries: 1,
        deadline_ms: 10_000,
        timeout_ms: 5000,
        floor_ms: 100,
    };
    let e = Error::network("fetch_failed", "reset");
    assert_eq!(policy.next(&e, 0, 0, 7), Next::Retry { after_ms: 107 });
    assert_eq!(policy.next(&e, 0, 0, 7), policy.next(&e, 0, 0, 7));
    assert!(matches!(policy.next(&e, 1, 0, 7), Next::Stop(Some(_))));
    // Found by the token_response fuzz target: counting the attempt overflowed.
    assert!(matches!(
        policy.next(&e, u32::MAX, u64::MAX, u32::MAX),
        Next::Stop(Some(_))
    ));
    assert_eq!(
        policy.next(&Error::config("invalid_scope", "x"), 0, 0, 7),
        Next::Stop(None)
    );
}
