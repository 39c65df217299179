//! The canary secret never reaches an error message, error field or Debug output, whatever the
//! error path (config, request validation, server errors that echo the request, bad answers).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests state what must hold

#[path = "support/common.rs"]
mod common;
use common::*;
use entra_edge::input::JsonRequest;

fn assert_clean(what: &str, text: &str) {
    let encoded = entra_edge::form::form_encode(CANARY);
    assert!(
        !text.contains(CANARY) && !text.contains(&encoded),
        "{what} leaks the secret: {text}"
    );
}

#[test]
fn server_echoing_the_request_is_scrubbed() {
    let mut c = entra_secret_client();
    let p = graph_request(&c);
    let req = c.token_request(&p, None);
    assert!(
        req.body.contains(&entra_edge::form::form_encode(CANARY)),
        "precondition: the body has it"
    );
    assert_clean("request Debug", &format!("{req:?}"));
    assert_clean("client Debug", &format!("{c:?}"));
    let echo_json = format!(
        r#"{{"error":"invalid_request","error_description":"bad body: {} / {}"}}"#,
        req.body, CANARY
    );
    let echo_text = format!("bad request {} {}", req.body, CANARY);
    for (status, body) in [(400, echo_json.into_bytes()), (500, echo_text.into_bytes())] {
        let err = c
            .complete(&p, &response(status, &[], &body), 0, 0)
            .unwrap_err();
        assert_clean("message", err.message());
        assert_clean("error Debug", &format!("{err:?}"));
        // The retry decision's final form of the error, with its note.
        let last = c
            .after_failure(&p, err, 2, 20_000, 20_000, 0, false)
            .unwrap_err();
        assert_clean("annotated message", last.message());
        assert_clean("annotated Debug", &format!("{last:?}"));
    }
}

#[test]
fn config_and_request_errors() {
    let secret = serde_json::to_string(CANARY).unwrap();
    for json in [
        format!(
            r#"{{"auth":{{"clientId":"","authority":"https://login.microsoftonline.com/t","clientSecret":{secret}}}}}"#
        ),
        format!(
            r#"{{"auth":{{"clientId":"c","authority":"http://x/t","clientSecret":{secret}}}}}"#
        ),
        format!(
            r#"{{"auth":{{"clientId":"c","authority":"https://login.microsoftonline.com/t","clientSecret":[{secret}]}}}}"#
        ),
        format!(
            r#"{{"auth":{{"clientId":"c","authority":"https://login.microsoftonline.com/t","clientSecret":"s","clientAssertion":{secret}}}}}"#
        ),
        format!(
            r#"{{"auth":{{"clientId":"c","authority":"https://login.microsoftonline.com/t","clientSecret":"s"}},"cache":{{"keyPrefix":{secret},"encryptionKey":{secret}}}}}"#
        ),
    ] {
        let err = entra_edge::config::ClientConfig::from_json(&json).unwrap_err();
        assert_clean("config error", &format!("{err:?} {err}"));
    }
    // The canary in the request itself: claims and a correlation id that are refused.
    let c = entra_secret_client();
    for bad in [
        JsonRequest {
            scopes: Some(vec!["https://graph.microsoft.com/.default".into()]),
            claims: Some(format!("not json {CANARY}")),
            ..Default::default()
        },
        JsonRequest {
            scopes: Some(vec!["https://graph.microsoft.com/.default".into()]),
            correlation_id: Some(format!("{CANARY}\n")),
            ..Default::default()
        },
    ] {
        let err = c.prepare(bad, "id".into()).unwrap_err();
        assert_clean("request error", &format!("{err:?} {err}"));
    }
}

#[test]
fn option_structs_print_no_secret() {
    let secret = serde_json::to_string(CANARY).unwrap();
    let json = format!(r#"{{"store":{{}},"encryptionKey":{secret}}}"#);
    let cache: entra_edge::input::CacheInput<serde_json::Value> = entra_edge::input::read(
        serde_json::from_str::<serde_json::Value>(&json).unwrap(),
        "cache",
    )
    .unwrap();
    assert_clean("cache options Debug", &format!("{cache:?}"));
    let cert: entra_edge::input::CertificateInput = entra_edge::input::read(
        serde_json::json!({ "privateKey": CANARY, "x5c": "pem" }),
        "auth.clientCertificate",
    )
    .unwrap();
    assert_clean("certificate options Debug", &format!("{cert:?}"));
}

#[test]
fn basic_credentials_and_assertions_echoed_by_a_server_are_scrubbed() {
    let secret = serde_json::to_string(CANARY).unwrap();
    let mut basic = client(&format!(
        r#"{{"auth":{{"clientId":"app","authority":"https://login.microsoftonline.com/t","clientSecret":{secret},"clientAuthMethod":"client_secret_basic"}}}}"#
    ));
    let p = graph_request(&basic);
    let req = basic.token_request(&p, None);
    let (_, authorization) = req
        .headers
        .iter()
        .find(|(n, _)| n == "authorization")
        .expect("precondition: Basic credentials are sent");
    let echo = format!(
        r#"{{"error":"invalid_client","error_description":"got {authorization}","trace_id":"{authorization}"}}"#
    );
    let err = basic
        .complete(&p, &response(401, &[], echo.as_bytes()), 0, 0)
        .unwrap_err();
    let credentials = authorization.trim_start_matches("Basic ");
    let text = format!("{err:?} {err}");
    assert!(!text.contains(credentials), "{text}");
    assert_clean("basic echo", &text);

    let assertion_app = client(
        r#"{"auth":{"clientId":"app","tokenEndpoint":"https://idp.example/token","clientAssertion":"eyJhbGciOiJQUzI1NiJ9.eyJzdWIiOiJhcHAifQ.CANARY-SIGNATURE"}}"#,
    );
    let p = assertion_app
        .prepare(
            JsonRequest {
                scopes: Some(vec!["api".into()]),
                ..Default::default()
            },
            "id".into(),
        )
        .unwrap();
    let echo = br#"{"error":"invalid_client","error_description":"assertion eyJhbGciOiJQUzI1NiJ9.eyJzdWIiOiJhcHAifQ.CANARY-SIGNATURE rejected","error_uri":"https://x/eyJhbGciOiJQUzI1NiJ9.eyJzdWIiOiJhcHAifQ.CANARY-SIGNATURE"}"#;
    let err = assertion_app
        .receive(&p, &response(400, &[], echo), 0, 0, None)
        .unwrap_err();
    assert!(!format!("{err:?}").contains("CANARY-SIGNATURE"), "{err:?}");
}

#[test]
fn unusable_success_never_quotes_the_token() {
    let mut c = entra_secret_client();
    let p = graph_request(&c);
    let body = br#"{"access_token":"SECRET-TOKEN","token_type":"Bearer","expires_in":"soon"}"#;
    let err = c.complete(&p, &response(200, &[], body), 0, 0).unwrap_err();
    assert!(!format!("{err:?}").contains("SECRET-TOKEN"));
}
