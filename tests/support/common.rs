//! Shared helpers for the integration tests.
#![allow(
    dead_code,
    missing_docs,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used
)]

use entra_edge::cache::Shared;

use entra_edge::cache::CachedToken;
use entra_edge::client::{Client, Prepared};
use entra_edge::config::ClientConfig;
use entra_edge::input::JsonRequest;
use entra_edge::response::HttpResponse;
use entra_edge::Error;

/// A secret with every character that needs encoding, used as a canary for leaks.
pub const CANARY: &str = "CANARY+s3cr%t: ~x";

pub fn client(json: &str) -> Client {
    Client::new(ClientConfig::from_json(json).expect("valid config"))
}

pub fn entra_secret_client() -> Client {
    client(&format!(
        r#"{{"auth":{{"clientId":"00000000-0000-0000-0000-000000000001","authority":"https://login.microsoftonline.com/contoso.onmicrosoft.com","clientSecret":{}}}}}"#,
        serde_json::to_string(CANARY).unwrap()
    ))
}

pub fn graph_request(client: &Client) -> Prepared {
    let raw = JsonRequest {
        scopes: Some(vec!["https://graph.microsoft.com/.default".into()]),
        ..Default::default()
    };
    client
        .prepare(raw, "11111111-2222-4333-8444-555555555555".into())
        .expect("valid request")
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture exists")
}

pub fn response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> HttpResponse {
    HttpResponse {
        status,
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        body: body.to_vec(),
    }
}

/// A token endpoint's answer handled as the acquisition handles it, without the machine: for
/// tests of what the client makes of one answer.
pub trait Complete {
    /// The token in `resp` (a request sent at `sent_ms`), now cached, or the newer one cached
    /// before it; or the error the answer is.
    fn complete(
        &mut self,
        p: &Prepared,
        resp: &HttpResponse,
        sent_ms: u64,
        jitter: u32,
    ) -> Result<Shared<CachedToken>, Error>;
}

impl Complete for Client {
    fn complete(
        &mut self,
        p: &Prepared,
        resp: &HttpResponse,
        sent_ms: u64,
        jitter: u32,
    ) -> Result<Shared<CachedToken>, Error> {
        let token = self.receive(p, resp, sent_ms, jitter, None)?;
        Ok(match self.remember(p, token.hold(), sent_ms) {
            Ok(token) | Err((token, _)) => token,
        })
    }
}

/// Caches Entra's sample success (3599 s) as received at `at`.
pub fn cache_success(c: &mut Client, p: &Prepared, at: u64) {
    c.complete(
        p,
        &response(200, &[], &fixture("entra_success.json")),
        at,
        0,
    )
    .expect("the sample success parses");
}
