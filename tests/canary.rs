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
        let last = c.after_failure(&p, err, 2, 20_000, 20_000, 0).unwrap_err();
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
    let c = entra_secret_client();
    let bad = JsonRequest {
        scopes: Some(vec!["User.Read".into()]),
        claims: Some("not json".into()),
        ..Default::default()
    };
    let err = c.prepare(bad, "id".into()).unwrap_err();
    assert_clean("request error", &format!("{err:?}"));
}

#[test]
fn unusable_success_never_quotes_the_token() {
    let mut c = entra_secret_client();
    let p = graph_request(&c);
    let body = br#"{"access_token":"SECRET-TOKEN","token_type":"Bearer","expires_in":"soon"}"#;
    let err = c.complete(&p, &response(200, &[], body), 0, 0).unwrap_err();
    assert!(!format!("{err:?}").contains("SECRET-TOKEN"));
}
