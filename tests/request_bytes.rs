//! Exact token request bytes per client authentication method (RFC 6749 §2.3.1, §4.4.2; RFC 7523).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests state what must hold

#[path = "support/common.rs"]
mod common;
use common::*;

fn header<'a>(req: &'a entra_edge::request::HttpRequest, name: &str) -> Option<&'a str> {
    req.headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn client_secret_post() {
    let c = entra_secret_client();
    let req = c.token_request(&graph_request(&c), None);
    assert_eq!(req.method, "POST");
    assert_eq!(
        req.url,
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
    );
    assert_eq!(
        req.body,
        "grant_type=client_credentials&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default\
         &client_id=00000000-0000-0000-0000-000000000001&client_secret=CANARY%2Bs3cr%25t%3A+%7Ex"
    );
    assert_eq!(
        header(&req, "content-type"),
        Some("application/x-www-form-urlencoded;charset=utf-8")
    );
    assert_eq!(header(&req, "accept"), Some("application/json"));
    assert_eq!(
        header(&req, "client-request-id"),
        Some("11111111-2222-4333-8444-555555555555")
    );
    assert_eq!(header(&req, "x-client-sku"), Some("entra-edge"));
    assert_eq!(
        header(&req, "x-client-ver"),
        Some(env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(header(&req, "authorization"), None);
}

#[test]
fn client_secret_basic_encodes_before_base64() {
    let c = client(
        r#"{"auth":{"clientId":"my:app","tokenEndpoint":"https://idp.example/token","clientSecret":"a b+c:d","clientAuthMethod":"client_secret_basic"}}"#,
    );
    let raw = entra_edge::input::JsonRequest {
        scopes: Some(vec!["read".into(), "write".into()]),
        ..Default::default()
    };
    let req = c.token_request(&c.prepare(raw, "id".into()).unwrap(), None);
    // base64("my%3Aapp:a+b%2Bc%3Ad")
    assert_eq!(
        header(&req, "authorization"),
        Some("Basic bXklM0FhcHA6YStiJTJCYyUzQWQ=")
    );
    assert_eq!(req.body, "grant_type=client_credentials&scope=read+write");
}

#[test]
fn static_assertion_and_claims() {
    let c = client(
        r#"{"auth":{"clientId":"c","authority":"https://login.microsoftonline.com/t.example","clientAssertion":"eyJ.a.b","clientCapabilities":["cp1"]}}"#,
    );
    let req = c.token_request(&graph_request(&c), None);
    assert_eq!(
        req.body,
        "grant_type=client_credentials&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&client_id=c\
         &client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer\
         &client_assertion=eyJ.a.b&claims=%7B%22access_token%22%3A%7B%22xms_cc%22%3A%7B%22values%22%3A%5B%22cp1%22%5D%7D%7D%7D"
    );
}
