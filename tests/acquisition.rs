//! The acquisition state machine driven natively at fixed clocks, through the sequences the
//! shell performs in Node and workerd: each action is answered from a script, each step takes
//! a known time, and the trace of actions is asserted in order.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests state what must hold

#[path = "support/common.rs"]
mod common;
#[path = "support/harness.rs"]
mod harness;

use common::*;
use entra_edge::cache::TokenSource;
use entra_edge::client::{Client, Prepared};
use entra_edge::flow::{Acquisition, Action, Outcome};
use entra_edge::input::JsonRequest;
use entra_edge::response::MAX_WINDOW_MS;
use harness::*;

#[test]
fn cold_with_a_store_miss_reads_the_entry_once_then_sends_and_writes() {
    let mut h = Harness::new(STORE_APP);
    h.answer(200, &[], &success());
    let p = h.request(None);
    let answer = h.run(Acquisition::load(p, T0)).unwrap();
    assert_eq!(answer.source, TokenSource::IdentityProvider);
    assert_eq!(
        answer.token.expires_on_ms,
        T0 + STEP_MS + 3_599_000,
        "the lifetime counts from the send"
    );
    assert!(answer.serve_until.is_some() && !answer.refresh);
    // The window other isolates opened would have been in the entry's place: one read.
    assert_eq!(
        h.steps(),
        [
            "read entry within 7500",
            "send timeout 10000",
            "write entry ttl 3299",
            "done identityProvider"
        ]
    );
    assert!(h.logged("log info: token acquired from the identity provider"));
}

#[test]
fn a_store_hit_past_refresh_on_is_the_answer_and_asks_for_a_refresh() {
    let mut writer = Harness::new(STORE_APP);
    writer.answer(200, &[], &refreshable("stored"));
    let p = writer.request(None);
    writer.run(Acquisition::load(p.clone(), T0)).unwrap();

    let mut reader = Harness::new(STORE_APP);
    reader.store = writer.store.clone();
    reader.clock = T0 + 44_000_000; // past refreshOn, far from expiry
    let answer = reader
        .run(Acquisition::load(p.clone(), reader.clock))
        .unwrap();
    assert_eq!(answer.source, TokenSource::Store);
    assert_eq!(answer.token.access_token.secret(), "stored");
    assert!(answer.refresh, "the shell starts a background refresh");
    assert_eq!(
        answer.serve_until, None,
        "not fresh: memory does not repeat it"
    );
    assert_eq!(reader.steps(), ["read entry within 7500", "done store"]);

    // The refresh never reads the entry, and a failed one postpones itself.
    reader.answer(400, &[], br#"{"error":"invalid_client"}"#);
    let err = reader
        .run(Acquisition::refresh(p, reader.clock))
        .unwrap_err();
    assert_eq!(err.code(), "invalid_client");
    assert_eq!(
        reader.steps(),
        [
            "read outcome within 7500",
            "send timeout 10000",
            "done error invalid_client"
        ]
    );
    assert!(reader.logged_text("log warning: background refresh failed, serving the cached token"));
}

#[test]
fn a_retry_then_success() {
    let mut h = Harness::new(SECRET_APP);
    h.answer(503, &[], b"down").answer(200, &[], &success());
    let p = h.request(None);
    let answer = h.run(Acquisition::load(p, T0)).unwrap();
    assert_eq!(answer.source, TokenSource::IdentityProvider);
    // The counter's second draw (the first is the 503's jitter) sets the back-off over Entra's
    // 5 s floor.
    let wait = 5000 + 0x0807_0605u64 % 1001;
    assert_eq!(
        h.steps(),
        [
            "send timeout 10000".to_owned(),
            format!("sleep {wait}"),
            "send timeout 10000".to_owned(),
            "done identityProvider".to_owned()
        ]
    );
    assert!(h.logged(&format!(
        "log warning: token request failed; retry 1 in {wait} ms"
    )));
}

#[test]
fn the_retry_budget_exhausted_serves_a_still_valid_token() {
    let mut h = Harness::new(SECRET_APP);
    let p = h.request(None);
    cache_success(&mut h.client, &p, T0);
    h.clock = T0 + 3_400_000; // inside the expiry buffer: not served, but valid for 199 s
    h.answer(503, &[], b"down");
    let answer = h.run(Acquisition::load(p.clone(), h.clock)).unwrap();
    assert_eq!(answer.source, TokenSource::Memory);
    assert_eq!(answer.serve_until, None);
    assert!(!answer.refresh);
    assert_eq!(h.steps(), ["send timeout 10000", "done memory"]);
    assert!(h.logged_text("not retried: a cached token that is still valid is served instead"));
    assert!(h.logged_text(
        "serving a cached token that is still valid because the token request failed"
    ));

    // skipCache asked for a new token: no stale answer, the budget is spent.
    let mut bypass = p;
    bypass.bypass_cache = true;
    for _ in 0..3 {
        h.answer(503, &[], b"down");
    }
    let err = h.run(Acquisition::load(bypass, h.clock)).unwrap_err();
    assert_eq!(err.code(), "http_error");
    assert!(
        err.message().contains("gave up after 3 attempts"),
        "{}",
        err.message()
    );
}

#[test]
fn retry_after_is_written_to_the_store_and_refuses_other_isolates() {
    let mut first = Harness::new(STORE_APP);
    first.answer(429, &[("retry-after", "90")], b"");
    let p = first.request(None);
    let err = first.run(Acquisition::load(p.clone(), T0)).unwrap_err();
    assert_eq!(err.code(), "throttled");
    assert_eq!(
        first.steps(),
        [
            "read entry within 7500",
            "send timeout 10000",
            "write outcome ttl 90",
            "write entry ttl 90",
            "done error throttled"
        ]
    );

    let mut other = Harness::new(STORE_APP);
    other.store = first.store.clone();
    other.clock = T0 + 30_000;
    let refused = other.run(Acquisition::load(p, other.clock)).unwrap_err();
    assert_eq!(refused.code(), "throttled");
    // Opened when the 429 arrived (a read and a send after T0), read one read after T0 + 30 s,
    // in the entry's place: one read.
    let left = refused.server_details().unwrap().retry_after_ms.unwrap();
    assert_eq!(left, 90_000 + 2 * STEP_MS - 30_000 - STEP_MS);
    assert_eq!(
        other.steps(),
        ["read entry within 7500", "done error throttled"],
        "no request is sent"
    );
}

/// `STORE_APP` sealing with a key of its own.
const OTHER_KEY_STORE_APP: &str = r#"{"auth":{"clientId":"c","authority":"https://login.microsoftonline.com/contoso.onmicrosoft.com","clientSecret":"0123456789abcdef"},"cache":{"store":{},"encryptionKey":"another-key-0123456789abcdef0123456789"}}"#;

#[test]
fn only_a_load_that_found_no_token_leaves_its_window_in_the_entrys_place() {
    // A background refresh holds a valid token, stored under the entry's key: its window goes
    // to the failure record only, and the stored token keeps serving the fleet.
    let mut h = Harness::new(STORE_APP);
    h.answer(200, &[], &success());
    let p = h.request(None);
    h.run(Acquisition::load(p.clone(), T0)).unwrap();
    let entry_key = h.client.store_key(&p);
    let stored = h.store[&entry_key].clone();
    h.steps();
    h.answer(429, &[("retry-after", "90")], b"");
    h.run(Acquisition::refresh(p.clone(), h.clock)).unwrap_err();
    assert_eq!(
        h.steps(),
        [
            "read outcome within 7500",
            "send timeout 10000",
            "write outcome ttl 90",
            "done error throttled"
        ]
    );
    assert_eq!(h.store[&entry_key], stored, "the token is not overwritten");
    let mut other = Harness::new(STORE_APP);
    other.store = h.store.clone();
    other.clock = h.clock;
    let served = other
        .run(Acquisition::load(p.clone(), other.clock))
        .unwrap();
    assert_eq!(served.source, TokenSource::Store);

    // A skipCache load did not read the entry (a valid token may be there): the same.
    let mut bypass = p;
    bypass.bypass_cache = true;
    let mut h = Harness::new(STORE_APP);
    h.answer(429, &[("retry-after", "90")], b"");
    h.run(Acquisition::load(bypass.clone(), T0)).unwrap_err();
    assert_eq!(
        h.steps(),
        [
            "send timeout 10000",
            "write outcome ttl 90",
            "done error throttled"
        ]
    );
    assert!(!h.store.contains_key(&h.client.store_key(&bypass)));
    assert_eq!(h.store.len(), 1, "the failure record only");
}

#[test]
fn a_window_that_ended_in_the_entrys_place_is_a_quiet_miss() {
    let mut first = Harness::new(STORE_APP);
    first.answer(429, &[("retry-after", "90")], b"");
    let p = first.request(None);
    first.run(Acquisition::load(p.clone(), T0)).unwrap_err();

    // Past the window, a record the store still holds is no token and no open window: the load
    // asks, without the warning an unreadable entry gets, and its token replaces it.
    let mut next = Harness::new(STORE_APP);
    next.store = first.store.clone();
    next.clock = T0 + 100_000;
    next.answer(200, &[], &success());
    let answer = next.run(Acquisition::load(p.clone(), next.clock)).unwrap();
    assert_eq!(answer.source, TokenSource::IdentityProvider);
    assert_eq!(
        next.steps(),
        [
            "read entry within 7500",
            "send timeout 10000",
            "write entry ttl 3299",
            "done identityProvider"
        ]
    );
    assert!(
        !next.logged_text("it will be overwritten"),
        "{:?}",
        next.logs
    );

    // Another sealing key cannot leave a window there: it does not open, and the load asks.
    let mut foreign = Harness::new(OTHER_KEY_STORE_APP);
    foreign.answer(429, &[("retry-after", "90")], b"");
    foreign.run(Acquisition::load(p.clone(), T0)).unwrap_err();
    let mut victim = Harness::new(STORE_APP);
    victim.store = foreign.store.clone();
    victim.clock = T0 + 1_000;
    victim.answer(200, &[], &success());
    assert_eq!(
        victim
            .run(Acquisition::load(p, victim.clock))
            .unwrap()
            .source,
        TokenSource::IdentityProvider
    );
}

#[test]
fn a_failing_or_hanging_store_is_skipped_within_its_share() {
    let mut h = Harness::new(
        r#"{"auth":{"clientId":"c","authority":"https://login.microsoftonline.com/contoso.onmicrosoft.com","clientSecret":"0123456789abcdef"},"cache":{"store":{}},"system":{"timeoutMs":1000,"deadlineMs":1000}}"#,
    );
    h.reads.push_back(Read::Hangs);
    h.reads
        .push_back(Read::Fails("cache.store.get failed: KV GET failed: 500"));
    h.answer(200, &[], &success());
    let p = h.request(None);
    let answer = h.run(Acquisition::load(p.clone(), T0)).unwrap();
    assert_eq!(answer.source, TokenSource::IdentityProvider);
    // Issue 20.1: one share for the whole acquisition; the window read is skipped.
    assert_eq!(
        h.take_trace()[..4],
        [
            "read entry within 250",
            "log warning: cache.store failed or did not answer: skipping it for 30 s (tokens stay cached in memory)",
            "log warning: cache.store.get did not answer within 250 ms; asking the identity provider instead",
            "send timeout 750",
        ],
        "what is left of the 1 s deadline after one share"
    );

    // The breaker is open: the next acquisitions (a refresh, which reads the failure record)
    // skip the store, and cost what no store costs.
    h.answer(200, &[], &success());
    h.run(Acquisition::refresh(p.clone(), h.clock)).unwrap();
    assert_eq!(h.steps(), ["send timeout 1000", "done identityProvider"]);

    // Past the cooldown the store is asked again; an answer closes the breaker, logged once.
    h.clock += 30_000;
    h.reads.clear();
    h.answer(200, &[], &success());
    h.run(Acquisition::refresh(p, h.clock)).unwrap();
    assert_eq!(
        h.take_trace()[1..4],
        [
            "read outcome within 250",
            "log info: cache.store answers again: using it",
            "send timeout 950"
        ]
    );
}

#[test]
fn a_store_that_fails_at_every_step_costs_one_share_in_total() {
    let mut h = leasing();
    h.reads
        .push_back(Read::Fails("cache.store.get failed: ECONNRESET"));
    h.lease_fails = Some("cache.store.lease failed: ECONNRESET");
    h.answer(200, &[], &success());
    let p = h.request(None);
    h.run(Acquisition::load(p, T0)).unwrap();
    let steps = h.steps();
    assert_eq!(
        steps,
        [
            "read entry within 2500",
            "send timeout 2000",
            "done identityProvider"
        ],
        "no window read, no lease, no write: {steps:?}"
    );
}

#[test]
fn a_claims_request_skips_the_entry_and_an_older_token_never_replaces_its_token() {
    let mut h = Harness::new(STORE_APP);
    let plain = h.request(None);
    let claims = h.request(Some(
        r#"{"access_token":{"nbf":{"essential":true,"value":"1"}}}"#,
    ));
    assert!(claims.bypass_cache);
    // A slow plain load is sent first...
    let mut slow = Acquisition::load(plain.clone(), T0);
    loop {
        match slow.poll(&mut h.client, h.clock, &mut h.entropy) {
            Action::Read { .. } => slow.handle(
                &mut h.client,
                Outcome::Read(Ok(None)),
                h.clock,
                &mut h.entropy,
            ),
            Action::Send { .. } => break,
            Action::Done(r) => panic!("the slow load ended before its request: {r:?}"),
            _ => {}
        }
    }
    // ...then the API answers a claims challenge and a claims load completes.
    h.clock += 1000;
    h.answer(
        200,
        &[],
        br#"{"token_type":"Bearer","expires_in":3599,"access_token":"after-the-challenge"}"#,
    );
    let fresh = h.run(Acquisition::load(claims, h.clock)).unwrap();
    assert_eq!(fresh.token.access_token.secret(), "after-the-challenge");
    assert_eq!(
        h.steps(),
        [
            "send timeout 10000",
            "write entry ttl 3299",
            "done identityProvider"
        ],
        "nothing read: it asks, as without a store"
    );

    // The slow load's older (revoked) token arrives last: memory keeps the newer one, the
    // store is not overwritten, and the slow load's callers get the newer token.
    let before = h.store.clone();
    let late = response(
        200,
        &[],
        br#"{"token_type":"Bearer","expires_in":3599,"access_token":"revoked"}"#,
    );
    slow.handle(
        &mut h.client,
        Outcome::Received(Ok(late)),
        h.clock + 10,
        &mut h.entropy,
    );
    let answer = loop {
        match slow.poll(&mut h.client, h.clock + 10, &mut h.entropy) {
            Action::Done(r) => break r.unwrap(),
            Action::Write(w) => panic!("an older token must not overwrite the store: {w:?}"),
            _ => {}
        }
    };
    assert_eq!(answer.token.access_token.secret(), "after-the-challenge");
    assert_eq!(h.store, before);
    let (held, _) = h.client.lookup(&plain, h.clock + 20).unwrap();
    assert_eq!(held.access_token.secret(), "after-the-challenge");
}

#[test]
fn without_randomness_nothing_is_sealed() {
    let mut h = Harness::new(STORE_APP);
    h.entropy = Random::None;
    h.answer(200, &[], &success());
    let p = h.request(None);
    h.run(Acquisition::load(p, T0)).unwrap();
    let steps = h.steps();
    assert!(!steps.iter().any(|t| t.starts_with("write")), "{steps:?}");
    assert!(h.logged(
        "log warning: crypto.getRandomValues failed: the token is not written to cache.store"
    ));
}

#[test]
fn an_assertion_callback_that_never_returns_is_bounded_by_the_deadline() {
    let mut h = Harness::new(
        r#"{"auth":{"clientId":"c","tokenEndpoint":"https://idp.example/token","clientAssertion":{}},"system":{"timeoutMs":1000,"deadlineMs":1000}}"#,
    );
    let raw = JsonRequest {
        scopes: Some(vec!["api".into()]),
        ..Default::default()
    };
    let p = h.client.prepare(raw, "c-1".into()).unwrap();
    let err = h.run(Acquisition::load(p, T0)).unwrap_err();
    assert_eq!(err.code(), "timeout");
    assert!(
        err.message().starts_with(
            "the auth.clientAssertion callback did not finish within the 1000 ms left of system.deadlineMs"
        ),
        "{}",
        err.message()
    );
    assert_eq!(h.steps(), ["assert within 1000", "done error timeout"]);
}

#[test]
fn a_huge_retry_after_closes_after_a_day() {
    let mut h = Harness::new(SECRET_APP);
    h.answer(429, &[("retry-after", "315360000")], b"");
    let p = h.request(None);
    let err = h.run(Acquisition::load(p.clone(), T0)).unwrap_err();
    assert_eq!(err.code(), "throttled");
    assert_eq!(
        err.server_details().unwrap().retry_after_ms,
        Some(MAX_WINDOW_MS),
        "retryAfterMs says the wait that is honoured"
    );
    h.clock = T0 + 1000;
    let refused = h.run(Acquisition::load(p.clone(), h.clock)).unwrap_err();
    assert_eq!(
        refused.server_details().unwrap().retry_after_ms,
        Some(24 * 3600 * 1000 - 1000 + STEP_MS),
        "opened when the 429 arrived, for a day"
    );
    h.clock = T0 + 24 * 3600 * 1000 + STEP_MS;
    h.answer(200, &[], &success());
    let answer = h.run(Acquisition::load(p, h.clock)).unwrap();
    assert_eq!(
        answer.source,
        TokenSource::IdentityProvider,
        "the window closed after 24 h, not ten years"
    );
}

const LEASE_APP: &str = r#"{"auth":{"clientId":"c","authority":"https://login.microsoftonline.com/contoso.onmicrosoft.com","clientSecret":"0123456789abcdef"},"cache":{"store":{}},"system":{"timeoutMs":2000,"deadlineMs":10000}}"#;

/// A client whose store leases, as RedisStore and DurableObjectStore do.
fn leasing() -> Harness {
    let mut config = entra_edge::config::ClientConfig::from_json(LEASE_APP).unwrap();
    config.lease = true;
    Harness::with(Client::new(config))
}

/// A token response whose `refreshOn` comes after 12 of its 24 hours.
fn refreshable(access_token: &str) -> Vec<u8> {
    format!(r#"{{"token_type":"Bearer","expires_in":86399,"refresh_in":43199,"access_token":"{access_token}"}}"#)
        .into_bytes()
}

/// A leasing harness holding the token "first" since `T0`, its clock now past `refreshOn`.
fn leasing_past_refresh_on() -> (Harness, Prepared) {
    let mut h = leasing();
    h.answer(200, &[], &refreshable("first"));
    let p = h.request(None);
    h.run(Acquisition::load(p.clone(), T0)).unwrap();
    h.take_trace();
    h.clock = T0 + 44_000_000;
    (h, p)
}

/// Another leasing process that loaded `access_token` for `p` at `clock` (its store holds it).
fn loaded_by_another(p: &Prepared, clock: u64, access_token: &str) -> Harness {
    let mut other = leasing();
    other.clock = clock;
    other.answer(200, &[], &refreshable(access_token));
    other.run(Acquisition::load(p.clone(), clock)).unwrap();
    other
}

/// Loads the token into `writer`'s store and returns the entry it wrote.
fn entry_written(p: &Prepared, body: &[u8]) -> (String, String) {
    let mut writer = leasing();
    writer.answer(200, &[], body);
    writer.run(Acquisition::load(p.clone(), T0)).unwrap();
    let key = writer.client.store_key(p);
    let value = writer.store[&key].clone();
    (key, value)
}

#[test]
fn the_lease_holder_requests_writes_then_releases() {
    let mut h = leasing();
    h.answer(200, &[], &success());
    let p = h.request(None);
    h.run(Acquisition::load(p, T0)).unwrap();
    assert_eq!(
        h.steps(),
        [
            "read entry within 2500",
            "lease taken",
            "read entry within 2400",
            "send timeout 2000",
            "write entry ttl 3299",
            "release",
            "done identityProvider"
        ]
    );
}

#[test]
fn a_waiter_reads_the_holders_entry_without_a_request() {
    let mut h = leasing();
    let p = h.request(None);
    let (key, value) = entry_written(&p, &success());
    h.leases.insert(h.client.lease_key(&p), T0 + 3000);
    h.appears = Some((T0 + 300, key, value));
    let answer = h.run(Acquisition::load(p, T0)).unwrap();
    assert_eq!(answer.source, TokenSource::Store);
    let steps = h.steps();
    assert_eq!(
        steps[..3],
        ["read entry within 2500", "lease held", "sleep 25"]
    );
    assert!(
        !steps.iter().any(|s| s.starts_with("send")),
        "no token request: {steps:?}"
    );
    assert_eq!(
        steps[3..6],
        ["read entry within 2400", "lease held", "sleep 50"]
    );
    assert_eq!(steps.last(), Some(&"done store".to_owned()));
}

#[test]
fn a_dead_holder_costs_one_more_request_after_its_lease() {
    let mut h = leasing();
    let p = h.request(None);
    // A holder that took the lease just before and then died: no entry ever comes.
    h.leases.insert(h.client.lease_key(&p), T0 + 100 + 3000);
    h.answer(200, &[], &success());
    let answer = h.run(Acquisition::load(p, T0)).unwrap();
    assert_eq!(answer.source, TokenSource::IdentityProvider);
    let steps = h.steps();
    let sends = steps.iter().filter(|s| s.starts_with("send")).count();
    assert_eq!(sends, 1);
    let held = steps.iter().position(|s| *s == "lease held").unwrap();
    let taken = steps.iter().position(|s| *s == "lease taken").unwrap();
    assert!(
        taken > held,
        "contended again once the lease ended: {steps:?}"
    );
    assert!(steps
        .iter()
        .all(|s| !s.starts_with("sleep") || s[6..].parse::<u64>().unwrap() <= 400));
}

#[test]
fn a_failing_lease_is_skipped_and_the_token_requested() {
    let mut h = leasing();
    h.lease_fails = Some("cache.store.lease failed: ECONNREFUSED");
    h.answer(200, &[], &success());
    let p = h.request(None);
    assert_eq!(
        h.run(Acquisition::load(p, T0)).unwrap().source,
        TokenSource::IdentityProvider
    );
    assert!(!h.steps().contains(&"release".to_owned()));
    assert!(h.logged(
        "log warning: cache.store.lease failed: ECONNREFUSED; requesting the token without a lease"
    ));
}

#[test]
fn a_refresh_under_anothers_lease_waits_and_then_adopts_its_entry() {
    let (mut h, p) = leasing_past_refresh_on();
    h.leases.insert(h.client.lease_key(&p), h.clock + 10_000);
    let err = h.run(Acquisition::refresh(p.clone(), h.clock)).unwrap_err();
    assert_eq!(err.code(), "refresh_leased");
    assert!(
        !h.steps().iter().any(|s| s.starts_with("send")),
        "the lease holder refreshes, not us"
    );
    // The holder's refreshed entry lands; our next refresh adopts it without a request.
    h.store = loaded_by_another(&p, h.clock, "refreshed").store;
    h.clock += 4000;
    let adopted = h.run(Acquisition::refresh(p.clone(), h.clock)).unwrap();
    assert_eq!(adopted.token.access_token.secret(), "refreshed");
    assert_eq!(h.steps(), ["read entry within 2500", "done store"]);
    let (held, _) = h.client.lookup(&p, h.clock).unwrap();
    assert_eq!(held.access_token.secret(), "refreshed");
}

#[test]
fn a_waiter_whose_store_fails_requests_the_token_itself() {
    let mut h = leasing();
    let p = h.request(None);
    h.leases.insert(h.client.lease_key(&p), T0 + 3000);
    h.reads.extend([
        Read::FromStore,
        Read::FromStore,
        Read::Fails("cache.store.get failed: ECONNRESET"),
    ]);
    h.answer(200, &[], &success());
    let answer = h.run(Acquisition::load(p, T0)).unwrap();
    assert_eq!(answer.source, TokenSource::IdentityProvider);
    let steps = h.steps();
    assert!(h.logged(
        "log warning: cache.store.get failed: ECONNRESET; requesting the token instead of waiting for the lease holder"
    ));
    assert_eq!(
        steps[steps.len() - 2..],
        ["send timeout 2000", "done identityProvider"],
        "without its store, the waiter asks for itself at once: {steps:?}"
    );
}

#[test]
fn waiters_end_with_the_holders_error_without_a_request() {
    // Issue 20.2: the holder fails (401) and releases; the waiter takes the lease over, reads
    // the holder's sealed record, and ends with its error instead of asking again.
    let mut holder = leasing();
    let p = holder.request(None);
    holder.answer(
        401,
        &[],
        br#"{"error":"invalid_client","error_codes":[7000215]}"#,
    );
    let err = holder.run(Acquisition::load(p.clone(), T0)).unwrap_err();
    assert_eq!(err.code(), "invalid_client");
    assert_eq!(
        holder.steps()[2..],
        [
            "read entry within 2400",
            "send timeout 2000",
            "write outcome ttl 60",
            "release",
            "done error invalid_client"
        ]
    );

    let mut waiter = leasing();
    waiter.store = holder.store.clone();
    waiter.store.retain(|k, _| k.ends_with(":outcome"));
    let outcome = waiter.store.clone();
    waiter.store.clear();
    // The lease is held when it asks, and free by its second poll; the record lands before.
    waiter.leases.insert(waiter.client.lease_key(&p), T0 + 300);
    let (key, value) = outcome.into_iter().next().unwrap();
    waiter.appears = Some((T0 + 200, key, value));
    let err = waiter.run(Acquisition::load(p, T0)).unwrap_err();
    assert_eq!(err.code(), "invalid_client");
    assert_eq!(err.server_details().unwrap().status, 401);
    assert!(err
        .message()
        .contains("another process holding this token's lease"));
    let steps = waiter.steps();
    assert!(!steps.iter().any(|s| s.starts_with("send")), "{steps:?}");
    assert_eq!(
        steps[steps.len() - 5..],
        [
            "lease taken",
            "read entry within 2200",
            "read outcome within 2150",
            "release",
            "done error invalid_client"
        ]
    );
}

#[test]
fn a_waiter_that_takes_over_reads_the_entry_the_holder_wrote_just_before_releasing() {
    // The holder writes its entry and releases between the waiter's read of the entry and its
    // next lease request: the waiter takes the lease, and must find the entry, not ask again.
    let mut h = leasing();
    let p = h.request(None);
    let (key, value) = entry_written(&p, &success());
    h.leases.insert(h.client.lease_key(&p), T0 + 300);
    h.appears = Some((T0 + 400, key, value));
    let answer = h.run(Acquisition::load(p, T0)).unwrap();
    assert_eq!(answer.source, TokenSource::Store);
    let steps = h.steps();
    assert!(!steps.iter().any(|s| s.starts_with("send")), "{steps:?}");
    assert_eq!(
        steps[steps.len() - 4..],
        [
            "lease taken",
            "read entry within 2200",
            "release",
            "done store"
        ],
        "the lease is let go: {steps:?}"
    );
}

#[test]
fn a_caller_that_takes_a_free_lease_reads_the_entry_a_holder_wrote_since_its_miss() {
    // Issue 21's fleet flake: on a loaded machine a late daemon read the entry (a miss), and
    // another daemon then requested, wrote its entry and released, all before the late one
    // asked for the lease. It took the free lease at once, never waited, and sent a second
    // request. The entry read before the lease says nothing about what a holder did since.
    let mut h = leasing();
    let p = h.request(None);
    let (key, value) = entry_written(&p, &success());
    // Lands after the first read of the entry (T0 + 50), before the lease is asked for; the
    // lease is free (released) by then.
    h.appears = Some((T0 + 60, key, value));
    // What a second request would get (it must not be sent).
    h.answer(200, &[], &success());
    let answer = h.run(Acquisition::load(p, T0)).unwrap();
    assert_eq!(answer.source, TokenSource::Store);
    assert_eq!(
        h.steps(),
        [
            "read entry within 2500",
            "lease taken",
            "read entry within 2400",
            "release",
            "done store"
        ]
    );
    assert!(h.sent.is_empty(), "no second request for the fleet");
}

#[test]
fn a_refresh_that_takes_a_free_lease_adopts_the_entry_refreshed_since_its_read() {
    let (mut h, p) = leasing_past_refresh_on();
    // Another process refreshes, writes and releases just after this refresh's first read.
    let other = loaded_by_another(&p, h.clock, "refreshed");
    let key = h.client.store_key(&p);
    h.appears = Some((h.clock + 60, key.clone(), other.store[&key].clone()));
    // What a second refresh request would get (it must not be sent).
    h.answer(200, &[], &refreshable("first"));
    let adopted = h.run(Acquisition::refresh(p, h.clock)).unwrap();
    assert_eq!(adopted.token.access_token.secret(), "refreshed");
    assert_eq!(h.sent.len(), 1, "only the first load asked");
    assert_eq!(
        h.steps(),
        [
            "read entry within 2500",
            "read outcome within 2450",
            "lease taken",
            "read entry within 2350",
            "release",
            "done store"
        ]
    );
}

#[test]
fn waiters_adopt_the_holders_window_without_a_request() {
    let mut holder = leasing();
    let p = holder.request(None);
    holder.answer(429, &[("retry-after", "120")], b"");
    let err = holder.run(Acquisition::load(p.clone(), T0)).unwrap_err();
    assert_eq!(err.code(), "throttled");
    let (key, value) = holder
        .store
        .iter()
        .find(|(k, _)| k.ends_with(":outcome"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .unwrap();

    let mut waiter = leasing();
    waiter.leases.insert(waiter.client.lease_key(&p), T0 + 300);
    waiter.appears = Some((T0 + 200, key, value));
    let err = waiter.run(Acquisition::load(p, T0)).unwrap_err();
    assert_eq!(err.code(), "throttled");
    assert!(err.server_details().unwrap().retry_after_ms.unwrap() > 100_000);
    let steps = waiter.steps();
    assert!(!steps.iter().any(|s| s.starts_with("send")), "{steps:?}");
}

#[test]
fn a_lease_past_its_life_is_left_to_end_by_itself() {
    // Failing within its life, the holder releases it so that waiters contend again at once.
    let mut h = leasing();
    h.answer(400, &[], br#"{"error":"invalid_client"}"#);
    let p = h.request(None);
    h.run(Acquisition::load(p.clone(), T0)).unwrap_err();
    assert!(h.steps().contains(&"release".to_owned()));

    // Asked for at T0 + 50, the lease ends by T0 + 3050 (timeoutMs + 1 s). The retry after
    // Entra's 5 s floor answers at T0 + 5250: by then another caller may hold the key's lease,
    // and releasing would end theirs.
    let mut h = leasing();
    h.entropy = Random::Fixed(0);
    h.answer(503, &[], b"busy").answer(200, &[], &success());
    h.run(Acquisition::load(p.clone(), T0)).unwrap();
    assert_eq!(
        h.steps(),
        [
            "read entry within 2500",
            "lease taken",
            "read entry within 2400",
            "send timeout 2000",
            "sleep 5000",
            "send timeout 2000",
            "write entry ttl 3299",
            "done identityProvider"
        ]
    );
    assert_eq!(h.sent_since_t0(), [150, 5200]);

    // Giving up past its life does not release it either.
    let mut h = leasing();
    h.entropy = Random::Fixed(0);
    h.answer(503, &[], b"busy").answer(503, &[], b"busy");
    let err = h.run(Acquisition::load(p, T0)).unwrap_err();
    assert_eq!(err.code(), "http_error");
    assert_eq!(
        h.steps(),
        [
            "read entry within 2500",
            "lease taken",
            "read entry within 2400",
            "send timeout 2000",
            "sleep 5000",
            "send timeout 2000",
            "write outcome ttl 60",
            "done error http_error"
        ]
    );
}

#[test]
fn an_outcome_that_was_not_asked_for_is_an_internal_error() {
    let assertion_app = r#"{"auth":{"clientId":"c","tokenEndpoint":"https://idp.example/token","clientAssertion":{}}}"#;
    // (config, the first action, an outcome that does not answer it)
    let cases = [
        // A store read answered as a sleep used to pass for a timed-out read.
        (STORE_APP, "Read", Outcome::Slept),
        (STORE_APP, "Read", Outcome::Leased(Ok(true))),
        // A signature for the assertion callback used to pass for the callback's failure.
        (
            assertion_app,
            "Assert",
            Outcome::Signed(Err(entra_edge::Error::network("fetch_failed", "x"))),
        ),
    ];
    for (config, asked, wrong) in cases {
        let mut h = Harness::new(config);
        let raw = JsonRequest {
            scopes: Some(vec!["api://x/.default".into()]),
            ..Default::default()
        };
        let p = h.client.prepare(raw, "c-1".into()).unwrap();
        let mut acq = Acquisition::load(p, T0);
        let action = acq.poll(&mut h.client, T0, &mut h.entropy);
        assert!(format!("{action:?}").starts_with(asked), "{action:?}");
        acq.handle(&mut h.client, wrong, T0, &mut h.entropy);
        match acq.poll(&mut h.client, T0, &mut h.entropy) {
            Action::Done(Err(e)) => {
                assert_eq!(e.code(), "internal_error");
                assert!(
                    e.message()
                        .starts_with("an outcome the acquisition did not ask for: "),
                    "{}",
                    e.message()
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
