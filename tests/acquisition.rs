//! The acquisition state machine driven natively at fixed clocks, through the sequences the
//! shell performs in Node and workerd: each action is answered from a script, each step takes
//! a known time, and the trace of actions is asserted in order.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests state what must hold

#[path = "support/common.rs"]
mod common;
use std::collections::{HashMap, VecDeque};

use common::*;
use entra_edge::cache::TokenSource;
use entra_edge::client::{Answer, Client, Prepared};
use entra_edge::flow::{Acquisition, Action, Entropy, Outcome};
use entra_edge::input::JsonRequest;
use entra_edge::response::HttpResponse;
use entra_edge::Error;

const T0: u64 = 1_800_000_000_000;
/// What every store read and every token request takes on the simulated clock.
const STEP_MS: u64 = 50;

/// Deterministic "randomness": a counter, or none at all.
struct Counter(Option<u8>);

impl Entropy for Counter {
    fn fill(&mut self, out: &mut [u8]) -> bool {
        let Some(n) = &mut self.0 else { return false };
        for b in out.iter_mut() {
            *n = n.wrapping_add(1);
            *b = *n;
        }
        true
    }
}

/// How a scripted store read ends.
enum Read {
    Fails(&'static str),
    Hangs,
}

/// What performing an action led to.
enum Step {
    Report(Outcome),
    Continue,
    Done(Result<Answer, Error>),
}

/// Plays acquisitions against scripted answers on a simulated clock.
struct Harness {
    client: Client,
    clock: u64,
    store: HashMap<String, String>,
    /// Leases by key: until when they are held.
    leases: HashMap<String, u64>,
    /// An entry another process writes at a given time: (when, key, value).
    appears: Option<(u64, String, String)>,
    /// Lease calls fail with this text.
    lease_fails: Option<&'static str>,
    reads: VecDeque<Read>,
    answers: VecDeque<Result<HttpResponse, Error>>,
    entropy: Counter,
    trace: Vec<String>,
}

fn short(key: &str) -> &'static str {
    if key.ends_with(":retry-after") {
        "window"
    } else {
        "entry"
    }
}

impl Harness {
    fn new(config: &str) -> Self {
        Harness {
            client: client(config),
            clock: T0,
            store: HashMap::new(),
            leases: HashMap::new(),
            appears: None,
            lease_fails: None,
            reads: VecDeque::new(),
            answers: VecDeque::new(),
            entropy: Counter(Some(0)),
            trace: Vec::new(),
        }
    }

    fn answer(&mut self, status: u16, headers: &[(&str, &str)], body: &[u8]) -> &mut Self {
        self.answers.push_back(Ok(response(status, headers, body)));
        self
    }

    fn request(&self, claims: Option<&str>) -> Prepared {
        let raw = JsonRequest {
            scopes: Some(vec!["https://graph.microsoft.com/.default".into()]),
            claims: claims.map(str::to_owned),
            ..Default::default()
        };
        self.client
            .prepare(raw, "11111111-2222-4333-8444-555555555555".into())
            .unwrap()
    }

    /// Performs one action as the shell would, moving the clock.
    fn perform(&mut self, action: Action) -> Step {
        Step::Report(match action {
            Action::Read { key, within_ms } => {
                self.trace
                    .push(format!("read {} within {within_ms}", short(&key)));
                match self.reads.pop_front() {
                    Some(Read::Hangs) => {
                        self.clock += within_ms;
                        Outcome::TimedOut
                    }
                    Some(Read::Fails(why)) => {
                        self.clock += STEP_MS;
                        Outcome::Read(Err(why.to_owned()))
                    }
                    None => {
                        self.clock += STEP_MS;
                        if let Some((at, k, v)) = self.appears.clone() {
                            if self.clock >= at {
                                self.store.insert(k, v);
                                self.appears = None;
                            }
                        }
                        Outcome::Read(Ok(self.store.get(&key).cloned()))
                    }
                }
            }
            Action::Sign { within_ms, .. } => {
                self.trace.push(format!("sign within {within_ms}"));
                self.clock += within_ms;
                Outcome::TimedOut
            }
            Action::Assert { within_ms } => {
                // A callback that never returns.
                self.trace.push(format!("assert within {within_ms}"));
                self.clock += within_ms;
                Outcome::TimedOut
            }
            Action::Send {
                request,
                timeout_ms,
                ..
            } => {
                assert_eq!(request.method, "POST");
                self.trace.push(format!("send timeout {timeout_ms}"));
                self.clock += STEP_MS;
                Outcome::Received(self.answers.pop_front().expect("a scripted answer"))
            }
            Action::Sleep { ms } => {
                self.trace.push(format!("sleep {ms}"));
                self.clock += ms;
                Outcome::Slept
            }
            Action::Lease { key, ttl_ms, .. } => {
                self.clock += STEP_MS;
                if let Some(why) = self.lease_fails {
                    self.trace.push("lease failed".to_owned());
                    return Step::Report(Outcome::Leased(Err(why.to_owned())));
                }
                let free = self
                    .leases
                    .get(&key)
                    .is_none_or(|until| *until <= self.clock);
                if free {
                    self.leases.insert(key, self.clock + ttl_ms);
                }
                self.trace
                    .push(format!("lease {}", if free { "taken" } else { "held" }));
                Outcome::Leased(Ok(free))
            }
            Action::Release { key } => {
                self.trace.push("release".to_owned());
                self.leases.remove(&key);
                return Step::Continue;
            }
            Action::Write(w) => {
                self.trace
                    .push(format!("write {} ttl {}", short(&w.key), w.ttl_seconds));
                self.store.insert(w.key, w.value);
                return Step::Continue;
            }
            Action::Log { level, message } => {
                self.trace
                    .push(format!("log {}: {message}", level.as_str()));
                return Step::Continue;
            }
            Action::Done(result) => {
                self.trace.push(match &result {
                    Ok(a) => format!("done {}", a.source.as_str()),
                    Err(e) => format!("done error {}", e.code()),
                });
                return Step::Done(result);
            }
        })
    }

    /// Runs `acq` to its end.
    fn run(&mut self, mut acq: Acquisition) -> Result<Answer, Error> {
        loop {
            let action = acq.poll(&mut self.client, self.clock, &mut self.entropy);
            match self.perform(action) {
                Step::Done(result) => return result,
                Step::Continue => {}
                Step::Report(outcome) => {
                    acq.handle(&mut self.client, outcome, self.clock, &mut self.entropy)
                }
            }
        }
    }

    fn take_trace(&mut self) -> Vec<String> {
        std::mem::take(&mut self.trace)
    }
}

const SECRET_APP: &str = r#"{"auth":{"clientId":"c","authority":"https://login.microsoftonline.com/contoso.onmicrosoft.com","clientSecret":"0123456789abcdef"}}"#;
const STORE_APP: &str = r#"{"auth":{"clientId":"c","authority":"https://login.microsoftonline.com/contoso.onmicrosoft.com","clientSecret":"0123456789abcdef"},"cache":{"store":{}}}"#;

fn success() -> Vec<u8> {
    fixture("entra_success.json")
}

/// The trace without log lines: what the shell performs.
fn steps(trace: &[String]) -> Vec<&str> {
    trace
        .iter()
        .filter(|t| !t.starts_with("log "))
        .map(String::as_str)
        .collect()
}

#[test]
fn cold_with_a_store_miss_reads_entry_then_window_then_sends_and_writes() {
    let mut h = Harness::new(STORE_APP);
    h.answer(200, &[], &success());
    let p = h.request(None);
    let answer = h.run(Acquisition::load(p, T0)).unwrap();
    assert_eq!(answer.source, TokenSource::IdentityProvider);
    assert_eq!(
        answer.token.expires_on_ms,
        T0 + 2 * STEP_MS + 3_599_000,
        "the lifetime counts from the send"
    );
    assert!(answer.serve_until.is_some() && !answer.refresh);
    let trace = h.take_trace();
    assert_eq!(
        steps(&trace),
        [
            "read entry within 7500",
            "read window within 7500",
            "send timeout 10000",
            "write entry ttl 3299",
            "done identityProvider"
        ]
    );
    assert!(trace.contains(&"log info: token acquired from the identity provider".to_owned()));
}

#[test]
fn a_store_hit_past_refresh_on_is_the_answer_and_asks_for_a_refresh() {
    let mut writer = Harness::new(STORE_APP);
    writer.answer(
        200,
        &[],
        br#"{"token_type":"Bearer","expires_in":86399,"refresh_in":43199,"access_token":"stored"}"#,
    );
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
    let trace = reader.take_trace();
    assert_eq!(steps(&trace), ["read entry within 7500", "done store"]);

    // The refresh never reads the entry, and a failed one postpones itself.
    reader.answer(400, &[], br#"{"error":"invalid_client"}"#);
    let err = reader
        .run(Acquisition::refresh(p, reader.clock))
        .unwrap_err();
    assert_eq!(err.code(), "invalid_client");
    let trace = reader.take_trace();
    assert_eq!(
        steps(&trace),
        [
            "read window within 7500",
            "send timeout 10000",
            "done error invalid_client"
        ]
    );
    assert!(
        trace
            .iter()
            .any(|t| t
                .starts_with("log warning: background refresh failed, serving the cached token"))
    );
}

#[test]
fn a_retry_then_success() {
    let mut h = Harness::new(SECRET_APP);
    h.answer(503, &[], b"down").answer(200, &[], &success());
    let p = h.request(None);
    let answer = h.run(Acquisition::load(p, T0)).unwrap();
    assert_eq!(answer.source, TokenSource::IdentityProvider);
    let trace = h.take_trace();
    // The counter's second draw (the first is the 503's jitter) sets the back-off over Entra's
    // 5 s floor.
    let wait = 5000 + 0x0807_0605u64 % 1001;
    assert_eq!(
        steps(&trace),
        [
            "send timeout 10000".to_owned(),
            format!("sleep {wait}"),
            "send timeout 10000".to_owned(),
            "done identityProvider".to_owned()
        ]
    );
    assert!(trace.contains(&format!(
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
    let trace = h.take_trace();
    assert_eq!(steps(&trace), ["send timeout 10000", "done memory"]);
    assert!(trace
        .iter()
        .any(|t| t.contains("not retried: a cached token that is still valid is served instead")));
    assert!(trace.iter().any(|t| t
        .contains("serving a cached token that is still valid because the token request failed")));

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
    let trace = first.take_trace();
    assert_eq!(
        steps(&trace),
        [
            "read entry within 7500",
            "read window within 7500",
            "send timeout 10000",
            "write window ttl 90",
            "done error throttled"
        ]
    );

    let mut other = Harness::new(STORE_APP);
    other.store = first.store.clone();
    other.clock = T0 + 30_000;
    let refused = other.run(Acquisition::load(p, other.clock)).unwrap_err();
    assert_eq!(refused.code(), "throttled");
    // Opened when the 429 arrived (two reads and a send after T0), read two reads after T0 + 30 s.
    let left = refused.server_details().unwrap().retry_after_ms.unwrap();
    assert_eq!(left, 90_000 + 3 * STEP_MS - 30_000 - 2 * STEP_MS);
    let trace = other.take_trace();
    assert_eq!(
        steps(&trace),
        [
            "read entry within 7500",
            "read window within 7500",
            "done error throttled"
        ],
        "no request is sent"
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
    let answer = h.run(Acquisition::load(p, T0)).unwrap();
    assert_eq!(answer.source, TokenSource::IdentityProvider);
    let trace = h.take_trace();
    assert_eq!(
        trace[..4],
        [
            "read entry within 250",
            "log warning: cache.store.get did not answer within 250 ms; asking the identity provider instead",
            "read window within 250",
            "log warning: cache.store.get failed: KV GET failed: 500; the Retry-After window of other isolates is not known",
        ]
    );
    assert_eq!(
        trace[4], "send timeout 700",
        "what is left of the 1 s deadline"
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
    let trace = h.take_trace();
    assert_eq!(
        steps(&trace),
        [
            "read window within 7500",
            "send timeout 10000",
            "write entry ttl 3299",
            "done identityProvider"
        ]
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
    h.entropy = Counter(None);
    h.answer(200, &[], &success());
    let p = h.request(None);
    h.run(Acquisition::load(p, T0)).unwrap();
    let trace = h.take_trace();
    assert!(!trace.iter().any(|t| t.starts_with("write")), "{trace:?}");
    assert!(trace.contains(
        &"log warning: crypto.getRandomValues failed: the token is not written to cache.store"
            .to_owned()
    ));
    assert!(h.store.is_empty());
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
    assert_eq!(h.clock, T0 + 1000, "settled at the deadline");
    assert_eq!(
        steps(&h.take_trace()),
        ["assert within 1000", "done error timeout"]
    );
}

#[test]
fn a_huge_retry_after_closes_after_a_day() {
    let mut h = Harness::new(SECRET_APP);
    h.answer(429, &[("retry-after", "315360000")], b"");
    let p = h.request(None);
    let err = h.run(Acquisition::load(p.clone(), T0)).unwrap_err();
    assert_eq!(err.code(), "throttled");
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
    let mut h = Harness::new(LEASE_APP);
    let mut config = entra_edge::config::ClientConfig::from_json(LEASE_APP).unwrap();
    config.lease = true;
    h.client = Client::new(config);
    h
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
        steps(&h.take_trace()),
        [
            "read entry within 2500",
            "read window within 2500",
            "lease taken",
            "send timeout 2000",
            "write entry ttl 3299",
            "release",
            "done identityProvider"
        ]
    );
    assert!(h.leases.is_empty());
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
    let trace = h.take_trace();
    let steps = steps(&trace);
    assert_eq!(
        steps[..3],
        [
            "read entry within 2500",
            "read window within 2500",
            "lease held"
        ]
    );
    assert!(
        !steps.iter().any(|s| s.starts_with("send")),
        "no token request: {steps:?}"
    );
    assert_eq!(
        steps[3..7],
        [
            "sleep 25",
            "read entry within 2500",
            "sleep 50",
            "read entry within 2500"
        ]
    );
    assert_eq!(steps.last(), Some(&"done store"));
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
    let trace = h.take_trace();
    let steps = steps(&trace);
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
    let trace = h.take_trace();
    assert!(trace.contains(&"log warning: cache.store.lease failed: ECONNREFUSED; requesting the token without a lease".to_owned()));
    assert!(!trace.contains(&"release".to_owned()));
}

#[test]
fn a_refresh_under_anothers_lease_waits_and_then_adopts_its_entry() {
    let body =
        br#"{"token_type":"Bearer","expires_in":86399,"refresh_in":43199,"access_token":"first"}"#;
    let mut h = leasing();
    h.answer(200, &[], body);
    let p = h.request(None);
    h.run(Acquisition::load(p.clone(), T0)).unwrap();
    h.take_trace();
    h.clock = T0 + 44_000_000; // past refreshOn
    h.leases.insert(h.client.lease_key(&p), h.clock + 10_000);
    let err = h.run(Acquisition::refresh(p.clone(), h.clock)).unwrap_err();
    assert_eq!(err.code(), "refresh_leased");
    assert!(
        !steps(&h.take_trace()).iter().any(|s| s.starts_with("send")),
        "the lease holder refreshes, not us"
    );
    // The holder's refreshed entry lands; our next refresh adopts it without a request.
    let refreshed = br#"{"token_type":"Bearer","expires_in":86399,"refresh_in":43199,"access_token":"refreshed"}"#;
    let mut other = leasing();
    other.clock = h.clock;
    other.answer(200, &[], refreshed);
    other
        .run(Acquisition::load(p.clone(), other.clock))
        .unwrap();
    h.store = other.store.clone();
    h.clock += 4000;
    let adopted = h.run(Acquisition::refresh(p.clone(), h.clock)).unwrap();
    assert_eq!(adopted.token.access_token.secret(), "refreshed");
    assert_eq!(
        steps(&h.take_trace()),
        ["read entry within 2500", "done store"]
    );
    let (held, _) = h.client.lookup(&p, h.clock).unwrap();
    assert_eq!(held.access_token.secret(), "refreshed");
}
