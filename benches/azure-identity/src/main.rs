//! entra-edge's native client next to azure_identity's `ClientSecretCredential` and a raw
//! reqwest POST of entra-edge's own token request, against the local Entra fake behind a TLS
//! proxy (azure_identity refuses http authorities). Cold acquisitions ask for a new resource
//! each time (`https://r<i>.example/.default`), so both libraries miss their caches while
//! keeping their connections.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::ClientOptions;
use azure_identity::{ClientSecretCredential, ClientSecretCredentialOptions};
use entra_edge::config::ClientConfig;
use entra_edge::input::JsonRequest;
use entra_edge::native::{Client, Request};
use serde_json::{json, Value};

const GRAPH: &str = "https://graph.microsoft.com/.default";
const ROUNDS: u32 = 10;
const HITS_PER_ROUND: u32 = 100_000;
const COLD: usize = 200;

fn main() {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/support/native-servers.mjs"
    );
    let mut servers = Command::new("node")
        .args([script, "--https"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("node");
    let mut line = String::new();
    BufReader::new(servers.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let info: Value = serde_json::from_str(&line).unwrap();
    let s = |k: &str| info[k].as_str().unwrap().to_owned();
    // azure_core's reqwest trusts the platform's roots, which SSL_CERT_FILE replaces.
    std::env::set_var("SSL_CERT_FILE", s("caFile"));
    let ca = reqwest::Certificate::from_pem(&std::fs::read(s("caFile")).unwrap()).unwrap();
    let http = || {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .add_root_certificate(ca.clone())
            .build()
            .unwrap()
    };
    let authority = format!("{}/{}", s("entraHttps"), s("tenant"));
    let config = json!({ "auth": { "clientId": s("clientId"), "authority": authority, "clientSecret": s("secret") } });

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let ours = Client::builder(config.clone()).http_client(http()).build().unwrap();
        let mut cloud = CustomConfiguration::default();
        cloud.authority_host = s("entraHttps");
        let options = ClientSecretCredentialOptions {
            client_options: ClientOptions {
                cloud: Some(Arc::new(CloudConfiguration::from(cloud))),
                ..Default::default()
            },
        };
        let theirs = ClientSecretCredential::new(
            &s("tenant"),
            s("clientId"),
            Secret::new(s("secret")),
            Some(options),
        )
        .unwrap();

        let request = Request::new([GRAPH]);
        ours.acquire(&request).await.unwrap();
        theirs.get_token(&[GRAPH], None).await.unwrap();
        let ours_hit = best_ns(|| async { std::hint::black_box(ours.acquire(&request).await.unwrap()); }).await;
        let theirs_hit = best_ns(|| async { std::hint::black_box(theirs.get_token(&[GRAPH], None).await.unwrap()); }).await;

        let core: entra_edge::Client = entra_edge::Client::new(ClientConfig::from_json(&config.to_string()).unwrap());
        let raw = http();
        let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
        // Alternated, so drift in the fake's speed lands on all three.
        for i in 0..COLD {
            let scope = format!("https://r{i}.example/.default");
            let t = Instant::now();
            ours.acquire(&Request::new([scope.clone()])).await.unwrap();
            a.push(t.elapsed());

            let other = format!("https://q{i}.example/.default");
            let t = Instant::now();
            theirs.get_token(&[other.as_str()], None).await.unwrap();
            b.push(t.elapsed());

            let input = JsonRequest { scopes: Some(vec![format!("https://p{i}.example/.default")]), ..JsonRequest::default() };
            let prepared = core.prepare(input, "0f8fad5b-d9cb-469f-a165-70867728950e".into()).unwrap();
            let same = core.token_request(&prepared, None);
            let t = Instant::now();
            let mut post = raw.post(&same.url);
            for (name, value) in &same.headers {
                post = post.header(name, value);
            }
            let r = post.body(same.body.clone()).send().await.unwrap();
            assert_eq!(r.status(), 200);
            std::hint::black_box(serde_json::from_str::<Value>(&r.text().await.unwrap()).unwrap());
            c.push(t.elapsed());
        }
        let (a, b, c) = (median(&mut a), median(&mut b), median(&mut c));
        println!("| | entra-edge native | azure_identity ClientSecretCredential | raw reqwest |");
        println!("|---|---|---|---|");
        println!("| memory hit (best of {ROUNDS} rounds) | {ours_hit:.0} ns | {theirs_hit:.0} ns | |");
        println!(
            "| cold acquisition over TLS (median of {COLD}) | {:.0} µs ({:.2}x raw) | {:.0} µs ({:.2}x raw) | {:.0} µs |",
            us(a), us(a) / us(c), us(b), us(b) / us(c), us(c)
        );
    });
    drop(servers.stdin.take());
    let _ = servers.wait();
}

async fn best_ns<F, Fut>(mut f: F) -> f64
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut best = f64::MAX;
    for _ in 0..ROUNDS {
        let started = Instant::now();
        for _ in 0..HITS_PER_ROUND {
            f().await;
        }
        best = best.min(started.elapsed().as_nanos() as f64 / f64::from(HITS_PER_ROUND));
    }
    best
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
