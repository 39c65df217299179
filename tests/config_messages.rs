//! Validation messages, verbatim: each names the field and the fix.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests state what must hold

use entra_edge::config::ClientConfig;

fn err(json: &str) -> (String, String) {
    let e = ClientConfig::from_json(json).unwrap_err();
    (e.code().to_owned(), e.message().to_owned())
}

const GRAPH: &str = "https://login.microsoftonline.com/contoso.onmicrosoft.com";

#[test]
fn missing_client_id() {
    assert_eq!(
        err(&format!(r#"{{"auth":{{"authority":"{GRAPH}","clientSecret":"s"}}}}"#)),
        (
            "invalid_client_id".into(),
            "auth.clientId is required: set it to the application (client) ID of your app registration".into()
        )
    );
}

#[test]
fn credential_count() {
    let want = (
        "invalid_credential".to_owned(),
        "set exactly one of auth.clientSecret, auth.clientCertificate and auth.clientAssertion"
            .to_owned(),
    );
    assert_eq!(
        err(&format!(
            r#"{{"auth":{{"clientId":"c","authority":"{GRAPH}"}}}}"#
        )),
        want
    );
    assert_eq!(
        err(&format!(
            r#"{{"auth":{{"clientId":"c","authority":"{GRAPH}","clientSecret":"s","clientAssertion":"a"}}}}"#
        )),
        want
    );
}

#[test]
fn tenantless_authority() {
    assert_eq!(
        err(r#"{"auth":{"clientId":"c","authority":"https://login.microsoftonline.com/organizations","clientSecret":"s"}}"#),
        (
            "tenant_required".into(),
            "auth.authority must name a tenant: \"organizations\" does not work with the client credentials flow \
             (AADSTS9001023). Use https://login.microsoftonline.com/<tenant id or domain>"
                .into()
        )
    );
}

#[test]
fn http_off_loopback() {
    assert_eq!(
        err(r#"{"auth":{"clientId":"c","tokenEndpoint":"http://idp.example/token","clientSecret":"s"}}"#),
        (
            "insecure_url".into(),
            "auth.tokenEndpoint must use https (http is allowed only for 127.0.0.1, localhost and [::1]), got \
             \"http://idp.example/token\""
                .into()
        )
    );
}

#[test]
fn authority_and_endpoint_both() {
    assert_eq!(
        err(&format!(r#"{{"auth":{{"clientId":"c","authority":"{GRAPH}","tokenEndpoint":"https://x/t","clientSecret":"s"}}}}"#)).0,
        "invalid_authority"
    );
}

#[test]
fn options_without_effect_are_refused() {
    assert_eq!(
        err(&format!(r#"{{"auth":{{"clientId":"c","authority":"{GRAPH}","clientSecret":"s"}},"cache":{{"encryptionKey":"0123456789abcdef"}}}}"#)),
        (
            "invalid_config".into(),
            "cache.encryptionKey seals tokens in cache.store, and no store is configured: set cache.store or remove \
             cache.encryptionKey"
                .into()
        )
    );
    assert_eq!(
        err(&format!(r#"{{"auth":{{"clientId":"c","authority":"{GRAPH}","clientAssertion":"a","clientAuthMethod":"client_secret_basic"}}}}"#)).1,
        "auth.clientAuthMethod applies to auth.clientSecret only: remove it"
    );
    assert_eq!(
        err(&format!(r#"{{"auth":{{"clientId":"c","authority":"{GRAPH}","clientSecret":"s"}},"system":{{"timeoutMs":-1}}}}"#)).1,
        "system.timeoutMs must be a whole number from 1 to 600000"
    );
}

#[test]
fn retries_are_refused_until_implemented() {
    assert_eq!(
        err(&format!(r#"{{"auth":{{"clientId":"c","authority":"{GRAPH}","clientSecret":"s"}},"system":{{"maxRetries":2}}}}"#)),
        (
            "unsupported_option".into(),
            "system.maxRetries: this version does not retry token requests yet; remove the option or set it to 0".into()
        )
    );
    assert!(ClientConfig::from_json(&format!(
        r#"{{"auth":{{"clientId":"c","authority":"{GRAPH}","clientSecret":"s"}},"system":{{"maxRetries":0}}}}"#
    ))
    .is_ok());
}

#[test]
fn typos_are_named() {
    assert_eq!(
        err(&format!(r#"{{"auth":{{"clientId":"c","authority":"{GRAPH}","clientSecret":"s"}},"system":{{"timeout":5}}}}"#)).1,
        "unknown option system.timeout: check its spelling against the documented options"
    );
}
