//! `entra_edge::native::Client` (feature `native`) against real servers: the Entra fake and
//! oidc-provider of the JS tests (www/test/support), started by tests/support/native-servers.mjs.
//! The fake checks client assertions with `jose` against the registered certificate, so the
//! RSA signatures made here natively are verified by an independent implementation.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use entra_edge::cache::TokenSource;
use entra_edge::config::ClientConfig;
use entra_edge::flow::Level;
use entra_edge::native::{Client, MemoryStore, Request, Store, StoreFuture};
use serde_json::{json, Value};

const GRAPH: &str = "https://graph.microsoft.com/.default";

/// The servers, stopped when dropped (closing their stdin).
struct Servers {
    child: Child,
    stdin: Option<ChildStdin>,
    info: Value,
}

impl Servers {
    fn start() -> Servers {
        let mut child = Command::new("node")
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/support/native-servers.mjs"
            ))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node runs (www/node_modules installed by scripts/build.sh)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let info = serde_json::from_str(&line).expect("the servers' JSON line");
        let stdin = child.stdin.take();
        Servers { child, stdin, info }
    }

    fn get(&self, name: &str) -> &str {
        self.info[name].as_str().unwrap()
    }

    fn authority(&self) -> String {
        format!("{}/{}", self.get("entra"), self.get("tenant"))
    }

    /// The app registered at the fake, with `extra` merged into `system`.
    fn entra_config(&self, system: Value) -> Value {
        json!({
            "auth": { "clientId": self.get("clientId"), "authority": self.authority(), "clientSecret": self.get("secret") },
            "system": system,
        })
    }

    async fn control(&self, route: &str) -> Value {
        let (method, path) = route.split_once(' ').unwrap();
        let url = format!("{}{path}", self.get("control"));
        let http = reqwest::Client::new();
        let req = if method == "GET" {
            http.get(url)
        } else {
            http.post(url)
        };
        serde_json::from_str(&req.send().await.unwrap().text().await.unwrap()).unwrap()
    }

    async fn entra_requests(&self) -> u64 {
        self.control("GET /count").await["entra"].as_u64().unwrap()
    }

    /// Waits, bounded, until `n` token requests reached the fake.
    async fn until_requests(&self, n: u64) {
        for _ in 0..500 {
            if self.entra_requests().await >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the fake never saw {n} token requests");
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

fn graph() -> Request {
    Request::new([GRAPH])
}

#[tokio::test]
async fn a_secret_gets_a_token_once_then_memory_answers() {
    let servers = Servers::start();
    let client = Client::builder(servers.entra_config(json!({})))
        .build()
        .unwrap();
    let first = client.acquire(&graph()).await.unwrap();
    assert_eq!(first.source(), TokenSource::IdentityProvider);
    assert_eq!(first.tenant_id(), Some(servers.get("tenant")));
    assert_eq!(first.token_type(), "Bearer");
    assert_eq!(first.scopes(), [GRAPH]);
    assert!(first.correlation_id().is_some());
    let second = client
        .acquire(&graph().correlation_id("mine"))
        .await
        .unwrap();
    assert_eq!(second.source(), TokenSource::Memory);
    assert_eq!(second.access_token(), first.access_token());
    assert_eq!(second.correlation_id(), Some("mine"));
    assert_eq!(servers.entra_requests().await, 1);
    // skipCache asks again, and its token is what memory answers next.
    let fresh = client.acquire(&graph().skip_cache()).await.unwrap();
    assert_eq!(fresh.source(), TokenSource::IdentityProvider);
    assert_eq!(servers.entra_requests().await, 2);
    let after = client.acquire(&graph()).await.unwrap();
    assert_eq!(after.access_token(), fresh.access_token());
}

#[tokio::test]
async fn every_spelling_of_a_request_gets_the_token_the_core_holds_now() {
    let servers = Servers::start();
    let client = Client::builder(servers.entra_config(json!({})))
        .build()
        .unwrap();
    let tenant = graph().tenant_id(servers.get("tenant").to_uppercase());
    let first = client.acquire(&graph()).await.unwrap();
    let spelled = client.acquire(&tenant).await.unwrap();
    assert_eq!(spelled.source(), TokenSource::Memory);
    assert_eq!(spelled.access_token(), first.access_token());
    // A new token under the same cache key replaces what every spelling is answered with.
    let fresh = client.acquire(&graph().skip_cache()).await.unwrap();
    assert_ne!(fresh.access_token(), first.access_token());
    for request in [graph(), tenant] {
        let again = client.acquire(&request).await.unwrap();
        assert_eq!(again.access_token(), fresh.access_token());
    }
    assert_eq!(servers.entra_requests().await, 2);
}

#[tokio::test]
async fn concurrent_callers_share_one_token_request() {
    let servers = Servers::start();
    let client = Client::builder(servers.entra_config(json!({})))
        .build()
        .unwrap();
    servers.control("POST /hold").await;
    let callers: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.acquire(&graph()).await })
        })
        .collect();
    servers.until_requests(1).await;
    servers.control("POST /release").await;
    let mut tokens = Vec::new();
    for caller in callers {
        tokens.push(caller.await.unwrap().unwrap().access_token().to_owned());
    }
    tokens.dedup();
    assert_eq!(tokens.len(), 1, "one token for every caller");
    assert_eq!(servers.entra_requests().await, 1, "one token request");
}

#[tokio::test]
async fn a_caller_that_gives_up_does_not_cancel_the_shared_request() {
    let servers = Servers::start();
    let client = Client::builder(servers.entra_config(json!({})))
        .build()
        .unwrap();
    servers.control("POST /hold").await;
    let quitter = {
        let client = client.clone();
        tokio::spawn(async move { client.acquire(&graph()).await })
    };
    servers.until_requests(1).await;
    quitter.abort();
    let follower = {
        let client = client.clone();
        tokio::spawn(async move { client.acquire(&graph()).await })
    };
    servers.control("POST /release").await;
    let token = follower.await.unwrap().unwrap();
    assert_eq!(token.source(), TokenSource::IdentityProvider);
    assert_eq!(servers.entra_requests().await, 1);
}

fn certificate_config(servers: &Servers, thumbprint: (&str, &str)) -> Value {
    let keys = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/keys/");
    let read = |name: &str| std::fs::read_to_string(format!("{keys}{name}")).unwrap();
    let mut cert = json!({ "privateKey": read("rsa2048.pkcs8.pem") });
    cert[thumbprint.0] = Value::String(read(thumbprint.1).trim().to_owned());
    json!({
        "auth": { "clientId": servers.get("clientId"), "authority": servers.authority(), "clientCertificate": cert },
    })
}

#[tokio::test]
async fn certificates_sign_ps256_and_rs256_natively_and_entra_accepts_them() {
    let servers = Servers::start();
    for thumbprint in [
        ("thumbprintSha256", "rsa2048.cert.sha256"),
        ("thumbprint", "rsa2048.cert.sha1"),
    ] {
        let config = certificate_config(&servers, thumbprint);
        let client = Client::builder(config).build().unwrap();
        let token = client.acquire(&graph()).await;
        assert_eq!(
            token.map(|t| t.source()).map_err(|e| e.to_string()),
            Ok(TokenSource::IdentityProvider),
            "{}",
            thumbprint.0
        );
    }
}

#[tokio::test]
async fn an_assertion_callback_is_called_per_token_request() {
    let servers = Servers::start();
    let calls = Arc::new(Mutex::new(Vec::new()));
    let seen = calls.clone();
    let config = json!({
        "auth": { "clientId": servers.get("clientId"), "authority": servers.authority() },
    });
    // Not a valid assertion: the fake refuses it, with Entra's code for a bad assertion.
    let client = Client::builder(config)
        .assertion(move |ctx| {
            seen.lock().unwrap().push(ctx.token_endpoint);
            async { Ok("not.a.jwt".to_owned()) }
        })
        .build()
        .unwrap();
    let err = client.acquire(&graph()).await.unwrap_err();
    assert_eq!(err.code(), "invalid_request", "{err}");
    let expected = format!("{}/oauth2/v2.0/token", servers.authority());
    assert_eq!(*calls.lock().unwrap(), [expected]);
}

#[tokio::test]
async fn any_oauth_server_with_client_secret_basic() {
    let servers = Servers::start();
    let config = json!({
        "auth": {
            "clientId": "secret-basic",
            "tokenEndpoint": format!("{}/token", servers.get("idp")),
            "clientSecret": servers.get("idpSecret"),
            "clientAuthMethod": "client_secret_basic",
        },
    });
    let client = Client::builder(config).build().unwrap();
    let token = client.acquire(&Request::new(["users.read"])).await.unwrap();
    assert_eq!(token.source(), TokenSource::IdentityProvider);
    assert_eq!(token.tenant_id(), None);
    assert_eq!(
        token.access_token().split('.').count(),
        3,
        "oidc-provider's JWT"
    );
}

#[tokio::test]
async fn clients_sharing_a_store_make_one_token_request() {
    let servers = Servers::start();
    let store = Arc::new(MemoryStore::new());
    let build = || {
        Client::builder(servers.entra_config(json!({})))
            .store(store.clone())
            .build()
            .unwrap()
    };
    let (a, b) = (build(), build());
    let first = a.acquire(&graph()).await.unwrap();
    let second = b.acquire(&graph()).await.unwrap();
    assert_eq!(second.source(), TokenSource::Store);
    assert_eq!(second.access_token(), first.access_token());
    assert_eq!(servers.entra_requests().await, 1);
    a.clear_cache().await;
    b.clear_cache().await;
    let third = a.acquire(&graph()).await.unwrap();
    assert_eq!(
        third.source(),
        TokenSource::IdentityProvider,
        "clear_cache emptied the store"
    );
}

#[tokio::test]
async fn identity_provider_faults_are_errors_with_their_codes() {
    let servers = Servers::start();
    let config = servers.entra_config(json!({ "timeoutMs": 300, "maxRetries": 0 }));
    let client = Client::builder(config).build().unwrap();

    servers.control("POST /hang").await;
    let hung = client.acquire(&graph()).await.unwrap_err();
    assert_eq!(hung.code(), "timeout");
    assert!(
        hung.message()
            .starts_with("the token endpoint did not answer within 300 ms (system.timeoutMs)"),
        "{hung}"
    );

    servers.control("POST /drop").await;
    let dropped = client.acquire(&graph()).await.unwrap_err();
    assert_eq!(dropped.code(), "fetch_failed", "{dropped}");

    servers.control("POST /throttle/30").await;
    let throttled = client.acquire(&graph()).await.unwrap_err();
    assert_eq!(throttled.class().name(), "ThrottledError");
    let asked = servers.entra_requests().await;
    servers.control("POST /reset").await;
    // Inside the Retry-After window: refused here, no request made.
    let refused = client.acquire(&graph()).await.unwrap_err();
    assert_eq!(refused.code(), "throttled");
    assert!(refused.server_details().unwrap().retry_after_ms.unwrap() > 25_000);
    assert_eq!(servers.entra_requests().await, asked);
}

#[tokio::test]
async fn a_host_that_does_not_resolve_is_host_not_found_at_once() {
    // .invalid never resolves (RFC 6761).
    let config = json!({
        "auth": { "clientId": "c", "authority": "https://login.entra-edge.invalid/t", "clientSecret": "s" },
    });
    let lines = Arc::new(Mutex::new(Vec::new()));
    let log = lines.clone();
    let client = Client::builder(config)
        .logger(move |_, line| log.lock().unwrap().push(line.to_owned()))
        .build()
        .unwrap();
    let err = client.acquire(&graph()).await.unwrap_err();
    assert_eq!(err.code(), "host_not_found", "{err}");
    assert!(
        err.message().contains("check the host in auth.authority"),
        "{err}"
    );
    let retried = lines.lock().unwrap().iter().any(|l| l.contains("retry"));
    assert!(!retried, "not retried: {:?}", lines.lock().unwrap());
}

/// A store that fails in one of the ways a store fails.
struct Faulty(&'static str);

impl Store for Faulty {
    fn get<'a>(&'a self, _key: &'a str) -> StoreFuture<'a, Option<String>> {
        match self.0 {
            "hung" => Box::pin(std::future::pending()),
            "down" => Box::pin(async { Err("connection refused".to_owned()) }),
            _ => Box::pin(async { Ok(Some("not an envelope".to_owned())) }),
        }
    }
    fn put<'a>(&'a self, key: &'a str, _value: &'a str, _ttl: u64) -> StoreFuture<'a, ()> {
        self.delete(key)
    }
    fn delete<'a>(&'a self, _key: &'a str) -> StoreFuture<'a, ()> {
        match self.0 {
            "hung" => Box::pin(std::future::pending()),
            "down" => Box::pin(async { Err("connection refused".to_owned()) }),
            _ => Box::pin(async { Ok(()) }),
        }
    }
    fn leases(&self) -> bool {
        true
    }
    fn lease<'a>(&'a self, _key: &'a str, _ttl_ms: u64) -> StoreFuture<'a, bool> {
        match self.0 {
            "hung" => Box::pin(std::future::pending()),
            "down" => Box::pin(async { Err("connection refused".to_owned()) }),
            _ => Box::pin(async { Ok(true) }),
        }
    }
}

#[tokio::test]
async fn a_store_that_hangs_fails_or_answers_garbage_costs_no_token() {
    let servers = Servers::start();
    for fault in ["hung", "down", "garbage"] {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let log = lines.clone();
        let config = servers.entra_config(json!({ "deadlineMs": 2000, "timeoutMs": 1000 }));
        let client = Client::builder(config)
            .store(Faulty(fault))
            .logger(move |level, line| log.lock().unwrap().push((level, line.to_owned())))
            .build()
            .unwrap();
        let token = client.acquire(&graph()).await;
        assert_eq!(
            token.map(|t| t.source()).map_err(|e| e.to_string()),
            Ok(TokenSource::IdentityProvider),
            "{fault}"
        );
        let warned = lines
            .lock()
            .unwrap()
            .iter()
            .any(|(l, _)| *l == Level::Warning);
        assert!(warned, "{fault}: the store's fault is logged");
    }
}

#[test]
fn bad_configuration_gets_the_same_errors_as_javascript() {
    let cases = [
        json!({ "auth": { "authority": "https://login.microsoftonline.com/contoso.onmicrosoft.com", "clientSecret": "s" } }),
        json!({ "auth": { "clientId": "c", "authority": "https://login.microsoftonline.com/common", "clientSecret": "s" } }),
        json!({ "auth": { "clientId": "c", "authority": "http://login.example/t", "clientSecret": "s" } }),
        json!({ "auth": { "clientId": "c", "tokenEndpoint": "https://idp.example/token" } }),
        json!({ "auth": { "clientId": "c", "tokenEndpoint": "https://idp.example/token", "clientSecret": "s" }, "system": { "timeoutMs": -1 } }),
        json!({ "auth": { "clientId": "c", "tokenEndpoint": "https://idp.example/token", "clientSecret": "s" }, "cahce": {} }),
    ];
    for case in cases {
        let native = Client::builder(case.clone()).build().unwrap_err();
        let core = ClientConfig::from_json(&case.to_string()).unwrap_err();
        assert_eq!(native, core, "{case}");
    }
}

#[test]
fn options_holding_javascript_values_name_the_builder_method() {
    let base = json!({ "auth": { "clientId": "c", "tokenEndpoint": "https://idp.example/token", "clientSecret": "s" } });
    for (section, name, method) in [
        ("cache", "store", "store method"),
        ("system", "fetch", "http_client method"),
        ("system", "logger", "logger method"),
    ] {
        let mut config = base.clone();
        config[section] = json!({ name: {} });
        let err = Client::builder(config).build().unwrap_err();
        assert_eq!(err.code(), "invalid_config");
        assert!(err.message().contains(method), "{}", err.message());
    }
}
