//! Issue 23: the token self-check with crafted tokens. An Entra JWT whose `tid` or `aud` is not
//! the request's is refused with `token_mismatch` and nothing is cached or retried; opaque
//! tokens and other servers' JWTs pass untouched.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests state what must hold

#[path = "support/common.rs"]
mod common;
#[path = "support/harness.rs"]
mod harness;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use entra_edge::cache::TokenSource;
use entra_edge::flow::Acquisition;
use entra_edge::input::JsonRequest;
use harness::*;

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const OTHER: &str = "f8cdef31-a31e-4b4a-93e4-5f571e91255a";
const GRAPH_ID: &str = "00000003-0000-0000-c000-000000000000";

fn jwt(claims: &str) -> String {
    let part = |s: &str| URL_SAFE_NO_PAD.encode(s);
    format!(
        "{}.{}.sig",
        part(r#"{"typ":"JWT","alg":"RS256"}"#),
        part(claims)
    )
}

fn body(token: &str) -> Vec<u8> {
    format!(r#"{{"token_type":"Bearer","expires_in":3599,"access_token":"{token}"}}"#).into_bytes()
}

fn app() -> Harness {
    Harness::new(&format!(
        r#"{{"auth":{{"clientId":"c","authority":"https://login.microsoftonline.com/{TENANT}","clientSecret":"0123456789abcdef","allowedTenants":["*"]}},"system":{{"maxRetries":2}}}}"#
    ))
}

fn request(h: &Harness, scope: &str, tenant: Option<&str>) -> entra_edge::client::Prepared {
    let raw = JsonRequest {
        scopes: Some(vec![scope.into()]),
        tenant_id: tenant.map(str::to_owned),
        ..Default::default()
    };
    h.client.prepare(raw, "id".into()).unwrap()
}

/// The outcome of one load answered with `token`: `Ok(source)` or the error code.
fn outcome(scope: &str, tenant: Option<&str>, token: &str) -> Result<TokenSource, String> {
    let mut h = app();
    let p = request(&h, scope, tenant);
    h.answer(200, &[], &body(token));
    let out = h.run(Acquisition::load(p.clone(), T0));
    if let Err(e) = &out {
        assert_eq!(h.client.stats().token_requests, 1, "not retried");
        assert!(h.client.lookup(&p, h.clock).is_none(), "nothing cached");
        assert!(
            !e.message().contains(TENANT)
                && !e.message().contains(OTHER)
                && !e.message().contains(token)
        );
        assert_eq!(e.class().name(), "ServerError");
    }
    out.map(|a| a.source).map_err(|e| e.code().to_owned())
}

const GRAPH: &str = "https://graph.microsoft.com/.default";

#[test]
fn a_token_for_another_tenant_is_refused() {
    let wrong = jwt(&format!(
        r#"{{"tid":"{OTHER}","aud":"https://graph.microsoft.com"}}"#
    ));
    assert_eq!(outcome(GRAPH, None, &wrong), Err("token_mismatch".into()));
    assert_eq!(
        outcome(GRAPH, Some(OTHER), &wrong),
        Ok(TokenSource::IdentityProvider),
        "the other tenant asked for"
    );
    let upper = jwt(&format!(
        r#"{{"tid":"{}","aud":"https://graph.microsoft.com"}}"#,
        TENANT.to_uppercase()
    ));
    assert_eq!(
        outcome(GRAPH, None, &upper),
        Ok(TokenSource::IdentityProvider)
    );
    // A domain cannot be compared with a tid offline: not checked.
    assert_eq!(
        outcome(GRAPH, Some("fabrikam.com"), &wrong),
        Ok(TokenSource::IdentityProvider)
    );
}

#[test]
fn a_token_for_another_resource_is_refused() {
    let tok = |aud: &str| jwt(&format!(r#"{{"tid":"{TENANT}","aud":{aud}}}"#));
    let ok = |scope: &str, aud: &str| outcome(scope, None, &tok(aud));
    assert_eq!(
        ok(GRAPH, r#""https://vault.azure.net""#),
        Err("token_mismatch".into())
    );
    assert_eq!(
        ok(GRAPH, r#""https://graph.microsoft.com/""#),
        Ok(TokenSource::IdentityProvider)
    );
    assert_eq!(
        ok(GRAPH, r#"["x","https://Graph.Microsoft.com"]"#),
        Ok(TokenSource::IdentityProvider)
    );
    assert_eq!(
        ok(GRAPH, &format!(r#""{GRAPH_ID}""#)),
        Ok(TokenSource::IdentityProvider),
        "v2: the app id"
    );
    assert_eq!(
        ok(
            "https://database.windows.net//.default",
            r#""https://database.windows.net/""#
        ),
        Ok(TokenSource::IdentityProvider)
    );
    let api = "api://11111111-2222-3333-4444-555555555555/.default";
    assert_eq!(
        ok(api, r#""11111111-2222-3333-4444-555555555555""#),
        Ok(TokenSource::IdentityProvider)
    );
    assert_eq!(
        ok(api, r#""api://11111111-2222-3333-4444-555555555555""#),
        Ok(TokenSource::IdentityProvider)
    );
    assert_eq!(
        ok(api, &format!(r#""{GRAPH_ID}""#)),
        Err("token_mismatch".into()),
        "another app's id"
    );
    let by_id = format!("{GRAPH_ID}/.default");
    let v1 = ok(&by_id, r#""https://graph.microsoft.com""#);
    assert_eq!(
        v1,
        Ok(TokenSource::IdentityProvider),
        "v1: the URI for an id"
    );
    let other = ok(&by_id, r#""https://vault.azure.net""#);
    assert_eq!(
        other,
        Ok(TokenSource::IdentityProvider),
        "an id and a URI: not comparable"
    );
    let same = ok(&by_id, &format!(r#""{GRAPH_ID}""#));
    assert_eq!(same, Ok(TokenSource::IdentityProvider));
    let wrong = ok(&by_id, r#""11111111-2222-3333-4444-555555555555""#);
    assert_eq!(wrong, Err("token_mismatch".into()), "two ids");
}

#[test]
fn opaque_tokens_and_jwts_without_tid_pass_untouched() {
    assert_eq!(
        outcome(GRAPH, None, "opaque-token"),
        Ok(TokenSource::IdentityProvider)
    );
    assert_eq!(
        outcome(GRAPH, None, "a.b.c"),
        Ok(TokenSource::IdentityProvider)
    );
    assert_eq!(
        outcome(GRAPH, None, &jwt(r#"{"aud":"https://vault.azure.net"}"#)),
        Ok(TokenSource::IdentityProvider)
    );
    assert_eq!(
        outcome(GRAPH, None, &jwt(r#"["not","claims"]"#)),
        Ok(TokenSource::IdentityProvider)
    );
    let five = format!("{}.x.y", jwt(&format!(r#"{{"tid":"{OTHER}"}}"#)));
    assert_eq!(
        outcome(GRAPH, None, &five),
        Ok(TokenSource::IdentityProvider),
        "JWE: not read"
    );
}
