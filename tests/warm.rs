//! Issue 23 in the core: which keys a scheduled refresh (`refreshDue`) renews, that it goes
//! through the one acquisition machine (store, lease, adoption of another process's token), and
//! the counters `stats()` reads, each driven to a known value at fixed clocks.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests state what must hold

#[path = "support/common.rs"]
mod common;
#[path = "support/harness.rs"]
mod harness;

use entra_edge::cache::TokenSource;
use entra_edge::client::Client;
use entra_edge::config::ClientConfig;
use entra_edge::flow::Acquisition;
use entra_edge::input::JsonRequest;
use entra_edge::stats::{Leases, Results, Stats};
use harness::*;

/// A day-long token, refreshOn after 12 h.
const DAY: &[u8] =
    br#"{"token_type":"Bearer","expires_in":86400,"refresh_in":43200,"access_token":"day"}"#;
const MINUTE_MS: u64 = 60_000;
const HOUR_MS: u64 = 60 * MINUTE_MS;

fn correlation() -> impl FnMut() -> String {
    let mut n = 0;
    move || {
        n += 1;
        format!("id-{n}")
    }
}

fn warm_app(extra: &str) -> Harness {
    let json = format!(
        r#"{{"auth":{{"clientId":"c","authority":"https://login.microsoftonline.com/contoso.onmicrosoft.com","clientSecret":"0123456789abcdef","allowedTenants":["*"]}},"cache":{{"keepWarm":[{{"scopes":["https://vault.azure.net/.default"],"tenantId":"Fabrikam.com"}},{{"scopes":["https://vault.azure.net/.default"],"tenantId":"fabrikam.com"}}]{extra}}}}}"#
    );
    Harness::new(&json)
}

#[test]
fn due_lists_held_tokens_by_the_window_and_keep_warm_keys_not_held() {
    let mut h = warm_app("");
    let graph = h.request(None);
    h.answer(200, &[], DAY);
    h.run(Acquisition::load(graph.clone(), T0)).unwrap();

    let due = h.client.due(T0, 10 * MINUTE_MS, correlation());
    assert!(due.refresh.is_empty(), "graph stays fresh for 12 h");
    assert_eq!(due.skipped, 1);
    assert_eq!(
        due.load.len(),
        1,
        "vault for fabrikam is not held yet; listed twice, loaded once"
    );
    let vault = &due.load[0];
    assert_eq!(vault.target.tenant.as_deref(), Some("Fabrikam.com"));
    assert_eq!(vault.scopes.list, ["https://vault.azure.net/.default"]);
    assert_eq!(vault.correlation_id, "id-1");
    let same = JsonRequest {
        scopes: Some(vec!["https://vault.azure.net/.default".into()]),
        tenant_id: Some("fabrikam.COM".into()),
        ..Default::default()
    };
    assert_eq!(
        vault.key,
        h.client.prepare(same, "x".into()).unwrap().key,
        "the same key a request for it has"
    );

    // 10 minutes before refreshOn, graph is due and renewed as the request that got it.
    let at = T0 + 12 * HOUR_MS - 10 * MINUTE_MS + STEP_MS;
    let due = h.client.due(at, 10 * MINUTE_MS, correlation());
    assert_eq!(due.refresh.len(), 1);
    assert_eq!(due.refresh[0].key, graph.key);
    assert_eq!(due.refresh[0].claims, graph.claims);
    assert!(!due.refresh[0].bypass_cache);
    assert_eq!(due.skipped, 0);
    let due = h.client.due(at, 5 * MINUTE_MS, correlation());
    assert!(due.refresh.is_empty(), "a smaller window: not yet");
}

#[test]
fn a_scheduled_refresh_renews_before_refresh_on_and_the_memory_level_serves_the_new_token() {
    let mut h = Harness::new(SECRET_APP);
    let p = h.request(None);
    h.answer(200, &[], DAY);
    h.run(Acquisition::load(p.clone(), T0)).unwrap();
    h.take_trace();
    h.clock = T0 + 12 * HOUR_MS - 5 * MINUTE_MS; // before refreshOn
    let renewed = br#"{"token_type":"Bearer","expires_in":86400,"refresh_in":43200,"access_token":"renewed"}"#;
    h.answer(200, &[], renewed);
    let due = h.client.due(h.clock, 10 * MINUTE_MS, correlation());
    let by = h.clock + 10 * MINUTE_MS;
    let answer = h
        .run(Acquisition::refresh_due(
            due.refresh[0].clone(),
            h.clock,
            by,
        ))
        .unwrap();
    assert_eq!(answer.source, TokenSource::IdentityProvider);
    assert_eq!(h.steps(), ["send timeout 10000", "done identityProvider"]);
    let (held, _) = h.client.lookup(&p, h.clock).unwrap();
    assert_eq!(held.access_token.secret(), "renewed");
    assert!(h
        .client
        .due(h.clock, 10 * MINUTE_MS, correlation())
        .refresh
        .is_empty());
}

const LEASE_APP: &str = r#"{"auth":{"clientId":"c","authority":"https://login.microsoftonline.com/contoso.onmicrosoft.com","clientSecret":"0123456789abcdef"},"cache":{"store":{}},"system":{"timeoutMs":2000,"deadlineMs":10000}}"#;

fn leasing() -> Harness {
    let mut config = ClientConfig::from_json(LEASE_APP).unwrap();
    config.lease = true;
    Harness::with(Client::new(config))
}

#[test]
fn a_scheduled_refresh_adopts_a_stored_token_only_when_it_is_fresh_past_the_window() {
    let mut a = leasing();
    let p = a.request(None);
    a.answer(200, &[], DAY);
    a.run(Acquisition::load(p.clone(), T0)).unwrap();
    a.take_trace();

    // Another process renewed it 6 minutes before refreshOn: its entry is fresh for 12 h more.
    let mut b = leasing();
    b.store = a.store.clone();
    b.clock = T0 + 12 * HOUR_MS - 6 * MINUTE_MS;
    b.answer(200, &[], DAY);
    let due = b.client.due(b.clock, 10 * MINUTE_MS, correlation());
    assert!(
        due.refresh.is_empty() && due.load.is_empty(),
        "b holds nothing, keeps nothing warm"
    );
    b.run(Acquisition::refresh_due(
        p.clone(),
        b.clock,
        b.clock + 10 * MINUTE_MS,
    ))
    .unwrap();
    assert!(b.steps().iter().any(|s| s.starts_with("send")));

    a.store = b.store.clone();
    a.clock = b.clock + MINUTE_MS;
    let by = a.clock + 10 * MINUTE_MS;
    let due = a.client.due(a.clock, 10 * MINUTE_MS, correlation());
    let adopted = a
        .run(Acquisition::refresh_due(
            due.refresh[0].clone(),
            a.clock,
            by,
        ))
        .unwrap();
    assert_eq!(adopted.source, TokenSource::Store);
    assert_eq!(
        a.steps(),
        ["read entry within 2500", "done store"],
        "no token request"
    );

    // A stored token that is itself due within the window is not an answer: renewed.
    let mut c = leasing();
    c.store = a.store.clone();
    c.clock = a.clock + 12 * HOUR_MS - 8 * MINUTE_MS;
    c.answer(200, &[], DAY);
    let renewed = c
        .run(Acquisition::refresh_due(
            p,
            c.clock,
            c.clock + 10 * MINUTE_MS,
        ))
        .unwrap();
    assert_eq!(renewed.source, TokenSource::IdentityProvider);
    assert_eq!(c.client.stats().leases.taken, 1);
}

#[test]
fn stats_count_what_the_machine_did() {
    let zero = Stats::default();
    let mut h = Harness::new(
        r#"{"auth":{"clientId":"c","authority":"https://login.microsoftonline.com/contoso.onmicrosoft.com","clientSecret":"0123456789abcdef"},"cache":{"store":{},"maxEntries":1},"system":{"maxRetries":1}}"#,
    );
    assert_eq!(h.client.stats(), zero);
    let p = h.request(None);
    // A failing store read, a 503 retried, then a token.
    h.reads
        .push_back(Read::Fails("cache.store.get failed: down"));
    h.answer(503, &[], b"down").answer(200, &[], &success());
    let mut acq = Acquisition::load(p.clone(), T0);
    assert_eq!(acq.attempts(), 0);
    h.drive(&mut acq).unwrap();
    assert_eq!(acq.attempts(), 2, "telemetry's entra_edge.attempts");
    assert!(h.client.hit(&p, h.clock).is_some());
    let s = h.client.stats();
    assert_eq!(
        (s.token_requests, s.retries, s.store_read_failures),
        (2, 1, 1)
    );
    assert_eq!(
        s.results,
        Results {
            memory: 1,
            store: 0,
            identity_provider: 0
        },
        "the shell counts loads per caller"
    );
    assert_eq!(s.cached_keys, 1);

    // A 429 with Retry-After: the next request inside the window is refused without a call,
    // and the still-valid token is served stale.
    h.clock += 3_400_000; // inside the expiry buffer
    h.answer(429, &[("retry-after", "60")], br#"{"error":"throttled"}"#);
    let stale = h.run(Acquisition::load(p.clone(), h.clock)).unwrap();
    assert_eq!(stale.source, TokenSource::Memory);
    h.run(Acquisition::load(p.clone(), h.clock)).unwrap();
    let s = h.client.stats();
    assert_eq!(
        (s.token_requests, s.throttled_refusals, s.stale_serves),
        (3, 1, 2)
    );

    // maxEntries 1: another key evicts the first; the JS memo's eviction of a held key counts.
    let other = h
        .client
        .prepare(
            JsonRequest {
                scopes: Some(vec!["https://vault.azure.net/.default".into()]),
                ..Default::default()
            },
            "x".into(),
        )
        .unwrap();
    h.clock += 3_000_000;
    h.answer(200, &[], &success());
    h.run(Acquisition::load(other.clone(), h.clock)).unwrap();
    assert_eq!(h.client.stats().memory_evictions, 1);
    h.client.forget(&p.key);
    assert_eq!(
        h.client.stats().memory_evictions,
        1,
        "already gone: not counted twice"
    );
    h.client.forget(&other.key);
    let s = h.client.stats();
    assert_eq!((s.memory_evictions, s.cached_keys), (2, 0));
    assert_eq!(s.leases, Leases::default(), "a store that does not lease");
}

#[test]
fn lease_counters_follow_the_waits() {
    let mut h = leasing();
    let p = h.request(None);
    // A holder that died: we wait, then take the lease over and request.
    h.leases.insert(h.client.lease_key(&p), T0 + 100 + 3000);
    h.answer(200, &[], &success());
    h.run(Acquisition::load(p, T0)).unwrap();
    assert_eq!(
        h.client.stats().leases,
        Leases {
            taken: 1,
            waited: 1,
            expired: 1
        }
    );
}

#[test]
fn telemetry_names_the_server_by_host_only() {
    let h = warm_app("");
    assert_eq!(
        h.request(None).server_address(),
        "login.microsoftonline.com"
    );
    let generic = Harness::new(
        r#"{"auth":{"clientId":"c","tokenEndpoint":"http://[::1]:8443/t/oauth2/token?x=1","clientSecret":"s"}}"#,
    );
    assert_eq!(generic.request(None).server_address(), "::1");
    let local = Harness::new(
        r#"{"auth":{"clientId":"c","tokenEndpoint":"http://127.0.0.1:9999/token","clientSecret":"s"}}"#,
    );
    assert_eq!(local.request(None).server_address(), "127.0.0.1");
}
