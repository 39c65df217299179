//! Managed identities in the core: the endpoint chosen from the environment, the request bytes
//! of each endpoint, the answer reader, and IMDS's failure rules played through the real
//! acquisition machine on a simulated clock. Requests follow msal-node's
//! `ManagedIdentitySources` and Azure's IMDS and App Service references.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests state what must hold

#[path = "support/common.rs"]
mod common;
#[path = "support/harness.rs"]
mod harness;

use common::*;
use entra_edge::client::{Client, Prepared};
use entra_edge::config::ClientConfig;
use entra_edge::flow::Acquisition;
use entra_edge::input::JsonRequest;
use entra_edge::ErrorClass;
use harness::{Harness, T0};

const HEADER: &str = "app-service-identity-header-canary";
const GRAPH: &str = "https://graph.microsoft.com/.default";

fn config(managed: &str, rest: &str) -> Result<ClientConfig, entra_edge::Error> {
    ClientConfig::from_json(&format!(
        r#"{{"auth":{{"managedIdentity":{managed}}}{rest}}}"#
    ))
}

fn mi(managed: &str) -> Client {
    Client::new(config(managed, "").expect("valid managed identity"))
}

fn prepare(client: &Client, scopes: &[&str]) -> Result<Prepared, entra_edge::Error> {
    client.prepare(
        JsonRequest {
            scopes: Some(scopes.iter().map(|s| s.to_string()).collect()),
            ..Default::default()
        },
        "cid".into(),
    )
}

fn request(managed: &str) -> entra_edge::request::HttpRequest {
    let client = mi(managed);
    let p = prepare(&client, &["https://storage.azure.com/.default"]).unwrap();
    client.token_request(&p, None)
}

fn header<'a>(r: &'a entra_edge::request::HttpRequest, name: &str) -> Option<&'a str> {
    r.headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn imds_when_the_environment_names_no_endpoint() {
    let r = request(r#"{"environment":{}}"#);
    assert_eq!(r.method, "GET");
    assert_eq!(
        r.url,
        "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fstorage.azure.com"
    );
    assert_eq!(header(&r, "metadata"), Some("true"));
    assert_eq!(r.body, "");

    let pod = request(
        r#"{"environment":{"AZURE_POD_IDENTITY_AUTHORITY_HOST":"http://10.0.0.1:2579/"},"resourceId":"/subscriptions/s/rg/x"}"#,
    );
    assert_eq!(
        pod.url,
        "http://10.0.0.1:2579/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fstorage.azure.com&msi_res_id=%2Fsubscriptions%2Fs%2Frg%2Fx"
    );
    for (option, param) in [("clientId", "client_id"), ("objectId", "object_id")] {
        let r = request(&format!(r#"{{"{option}":"abc"}}"#));
        assert!(r.url.ends_with(&format!("&{param}=abc")), "{}", r.url);
    }
}

#[test]
fn app_service_sends_its_header_and_its_own_id_names() {
    let env = format!(
        r#""environment":{{"IDENTITY_ENDPOINT":"http://127.0.0.1:41741/msi/token","IDENTITY_HEADER":"{HEADER}","MSI_ENDPOINT":"http://127.0.0.1:1/cs"}}"#
    );
    let r = request(&format!("{{{env}}}"));
    assert_eq!(
        r.url,
        "http://127.0.0.1:41741/msi/token?api-version=2019-08-01&resource=https%3A%2F%2Fstorage.azure.com"
    );
    assert_eq!(header(&r, "x-identity-header"), Some(HEADER));
    assert!(
        !format!("{r:?}").contains(HEADER),
        "Debug never shows the header"
    );
    for (option, param) in [
        ("clientId", "client_id"),
        ("objectId", "principal_id"),
        ("resourceId", "mi_res_id"),
    ] {
        let r = request(&format!(r#"{{{env},"{option}":"abc"}}"#));
        assert!(r.url.ends_with(&format!("&{param}=abc")), "{}", r.url);
    }
}

#[test]
fn cloud_shell_posts_a_form_and_machine_learning_sends_its_secret() {
    let r = request(r#"{"environment":{"MSI_ENDPOINT":"http://localhost:50342/oauth2/token"}}"#);
    assert_eq!(
        (r.method, r.url.as_str(), r.body.as_str()),
        (
            "POST",
            "http://localhost:50342/oauth2/token",
            "resource=https%3A%2F%2Fstorage.azure.com"
        )
    );
    assert_eq!(header(&r, "metadata"), Some("true"));

    let r = request(
        r#"{"environment":{"MSI_ENDPOINT":"http://127.0.0.1:46808/msi/token","MSI_SECRET":"ml-secret"},"clientId":"u1"}"#,
    );
    assert_eq!(
        r.url,
        "http://127.0.0.1:46808/msi/token?api-version=2017-09-01&resource=https%3A%2F%2Fstorage.azure.com&clientid=u1"
    );
    assert_eq!(header(&r, "secret"), Some("ml-secret"));
    let system = request(
        r#"{"environment":{"MSI_ENDPOINT":"http://127.0.0.1:46808/msi/token","MSI_SECRET":"ml-secret","DEFAULT_IDENTITY_CLIENT_ID":"sys"}}"#,
    );
    assert!(system.url.ends_with("&clientid=sys"), "{}", system.url);
    assert_eq!(header(&r, "metadata"), Some("true"));
}

#[test]
fn bad_input_is_named_and_no_value_is_echoed() {
    let cases = [
        (
            r#"{"clientId":"a","resourceId":"b"}"#,
            "invalid_config",
            "ManagedIdentityCredential takes one user-assigned id, and both clientId and resourceId are set: keep the one that names the identity",
        ),
        (
            r#"{"environment":{"IDENTITY_ENDPOINT":"ftp://x","IDENTITY_HEADER":"SECRET-HEADER"}}"#,
            "invalid_config",
            "ManagedIdentityCredential: IDENTITY_ENDPOINT must be an http(s) URL; the platform sets it, so unset it if you set it by hand",
        ),
        (
            r#"{"environment":{"IDENTITY_ENDPOINT":"https://x","IDENTITY_HEADER":"SECRET-HEADER","IDENTITY_SERVER_THUMBPRINT":"ab"}}"#,
            "credential_unavailable",
            "ManagedIdentityCredential: Service Fabric's endpoint certificate is pinned by IDENTITY_SERVER_THUMBPRINT, which fetch cannot check; use ManagedIdentityCredential in Node, where requests go through node:https with the thumbprint checked",
        ),
        (
            r#"{"environment":{"IDENTITY_ENDPOINT":"http://localhost:40342/metadata/identity/oauth2/token","IMDS_ENDPOINT":"http://localhost:40342"}}"#,
            "credential_unavailable",
            "ManagedIdentityCredential: Azure Arc's agent answers with a key file to read, and this runtime cannot read files: use ManagedIdentityCredential in Node",
        ),
        (
            r#"{"environment":{"MSI_ENDPOINT":"http://localhost:50342/oauth2/token"},"clientId":"u"}"#,
            "credential_unavailable",
            "ManagedIdentityCredential: Cloud Shell has only the signed-in user's identity; a user-assigned id cannot be used there: remove it",
        ),
        (
            r#"{"clientId":"has space"}"#,
            "invalid_config",
            "ManagedIdentityCredential: clientId must be the identity's id (up to 512 visible ASCII characters), as the Azure portal shows it",
        ),
    ];
    for (managed, code, message) in cases {
        let err = config(managed, "").unwrap_err();
        assert_eq!((err.code(), err.message()), (code, message), "{managed}");
        assert!(!format!("{err:?}").contains("SECRET-HEADER"));
    }
    assert_eq!(
        config(r#"{"environment":{"MSI_ENDPOINT":"http://x"}}"#, "")
            .map(|_| ())
            .map_err(|e| e.class()),
        Ok(())
    );
    let err = config(r#"{}"#, r#","cache":{"store":{}}"#).unwrap_err();
    assert_eq!(
        err.message(),
        "cache.encryptionKey is required with cache.store for a managed identity: it holds no secret to derive the \
         sealing key from. Set cache.encryptionKey to a random secret every process sharing the store knows"
    );
    let err = ClientConfig::from_json(r#"{"auth":{"managedIdentity":{},"clientSecret":"s"}}"#)
        .unwrap_err();
    assert_eq!(err.message(), "auth.managedIdentity gets tokens from the platform's endpoint, so auth.clientSecret has no use with it: remove one of them");
    let err = config(r#"{"environment":{"MSI_ENDPOINT":"http://x"}}"#, "")
        .err()
        .map(|e| e.class());
    assert_eq!(err, None);
    let unavailable = config(
        r#"{"environment":{"MSI_ENDPOINT":"http://x"},"objectId":"o"}"#,
        "",
    )
    .unwrap_err();
    assert_eq!(unavailable.class(), ErrorClass::CredentialUnavailable);
    assert_eq!(unavailable.class().name(), "CredentialUnavailableError");

    let client = mi("{}");
    let err = client
        .prepare(
            JsonRequest {
                scopes: Some(vec![GRAPH.into()]),
                tenant_id: Some("fabrikam.example".into()),
                ..Default::default()
            },
            "cid".into(),
        )
        .unwrap_err();
    assert_eq!(
        (err.code(), err.message()),
        (
            "tenant_not_supported",
            "tenantId, authority and azureRegion choose an Entra tenant or region, and a managed identity's tokens \
             come from the platform's endpoint for its own tenant: remove them from the request"
        )
    );
    let err = prepare(&client, &[GRAPH, "https://storage.azure.com/.default"]).unwrap_err();
    assert_eq!(
        (err.code(), err.message()),
        (
            "invalid_scope",
            "a managed identity takes exactly one scope (its resource, e.g. \"https://storage.azure.com/.default\"), got 2: ask for one resource per getToken call"
        )
    );
}

#[test]
fn answers_with_expires_on_only_and_half_life_refresh() {
    let client = mi(&format!(
        r#"{{"environment":{{"IDENTITY_ENDPOINT":"http://127.0.0.1:1/msi","IDENTITY_HEADER":"{HEADER}"}}}}"#
    ));
    let p = prepare(&client, &[GRAPH]).unwrap();
    let now_s = T0 / 1000;
    // App Service's 2019-08-01 answer: expires_on (a string), no expires_in.
    let body = format!(
        r#"{{"access_token":"tok","expires_on":"{}","resource":"https://graph.microsoft.com","token_type":"Bearer","client_id":"c"}}"#,
        now_s + 86_400
    );
    let token = client
        .receive(&p, &response(200, &[], body.as_bytes()), T0, 0, None)
        .unwrap();
    assert_eq!(token.expires_on_ms, T0 + 86_400_000);
    assert_eq!(
        token.refresh_on_ms,
        Some(T0 + 43_200_000),
        "MSAL's half-life rule for tokens of 2 h or more"
    );
    // IMDS's: both, as strings; expires_in is relative, so it wins over a skewed clock.
    let body = format!(
        r#"{{"access_token":"tok","expires_in":"3600","expires_on":"{}","resource":"r","token_type":"Bearer"}}"#,
        now_s + 99_999
    );
    let token = client
        .receive(&p, &response(200, &[], body.as_bytes()), T0, 0, None)
        .unwrap();
    assert_eq!(token.expires_on_ms, T0 + 3_600_000);
    for (body, what) in [
        (
            r#"{"access_token":"tok","expires_on":"soon"}"#,
            "expires_on must be seconds since the epoch (a number or a numeric string)",
        ),
        (
            r#"{"access_token":"tok","expires_on":1}"#,
            "expires_on is in the past",
        ),
        (
            r#"{"expires_on":"9999999999"}"#,
            "access_token is missing or not a non-empty string",
        ),
    ] {
        let err = client
            .receive(&p, &response(200, &[], body.as_bytes()), T0, 0, None)
            .unwrap_err();
        assert_eq!(
            err.message(),
            format!("the managed identity endpoint (App Service) answered HTTP 200 with an unusable token: {what}")
        );
    }
    // An endpoint that echoes the header gets it redacted.
    let echo = format!(r#"{{"statusCode":500,"message":"bad header {HEADER}"}}"#);
    let err = client
        .receive(&p, &response(500, &[], echo.as_bytes()), T0, 0, None)
        .unwrap_err();
    assert!(!err.message().contains(HEADER), "{}", err.message());
    assert!(err
        .message()
        .starts_with("the managed identity endpoint (App Service) answered HTTP 500"));
}

#[test]
fn imds_400_is_unavailable_and_names_the_identity() {
    let client = mi(r#"{"clientId":"5c7b2a8e"}"#);
    let p = prepare(&client, &[GRAPH]).unwrap();
    let err = client
        .receive(
            &p,
            &response(
                400,
                &[],
                br#"{"error":"invalid_request","error_description":"Identity not found"}"#,
            ),
            T0,
            0,
            None,
        )
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::CredentialUnavailable);
    assert_eq!(
        err.message(),
        "ManagedIdentityCredential: the managed identity endpoint (IMDS) answered HTTP 400: invalid_request: Identity not found: \
         the user-assigned identity with clientId 5c7b2a8e is not assigned to this VM or scale set. Assign it under Identity in \
         the portal, or pass the id of one that is"
    );
}

fn imds(system: &str) -> Harness {
    let mut h = Harness::new(&format!(
        r#"{{"auth":{{"managedIdentity":{{}}}},"system":{system}}}"#
    ));
    h.send_ms = 100;
    h
}

fn imds_ok() -> Vec<u8> {
    br#"{"access_token":"tok","expires_in":"86399","expires_on":"0","token_type":"Bearer"}"#
        .to_vec()
}

#[test]
fn no_imds_is_unavailable_after_one_attempt() {
    let mut h = imds("{}");
    let p = prepare(&h.client, &[GRAPH]).unwrap();
    h.time_out();
    let err = h.run(Acquisition::load(p.clone(), T0)).unwrap_err();
    assert_eq!(err.class(), ErrorClass::CredentialUnavailable);
    assert_eq!(
        err.message(),
        "ManagedIdentityCredential: no managed identity endpoint answered at http://169.254.169.254/metadata/identity/oauth2/token \
         (no answer): this is not an Azure host with a managed identity. On Azure, enable the identity on the resource; elsewhere \
         use another credential"
    );
    assert_eq!(h.sent_since_t0(), vec![0], "not retried");

    // Once IMDS has answered, a network failure is an outage: retried.
    let mut h = imds("{}");
    h.answer(500, &[], b"busy").answer(200, &[], &imds_ok());
    h.run(Acquisition::load(p.clone(), T0)).unwrap();
    let p2 = prepare(&h.client, &["https://storage.azure.com/.default"]).unwrap();
    h.time_out().answer(200, &[], &imds_ok());
    h.sent.clear();
    let start = h.clock;
    h.run(Acquisition::load(p2, start)).unwrap();
    assert_eq!(h.sent.len(), 2);
}

#[test]
fn imds_410_is_retried_every_10_s_for_70_s_whatever_max_retries_says() {
    let mut h = imds(r#"{"maxRetries":1}"#);
    let p = prepare(&h.client, &[GRAPH]).unwrap();
    for _ in 0..7 {
        h.answer(410, &[], b"");
    }
    h.answer(200, &[], &imds_ok());
    h.run(Acquisition::load(p, T0)).unwrap();
    let sent = h.sent_since_t0();
    assert_eq!(sent.len(), 8);
    let waits: Vec<u64> = sent.windows(2).map(|w| w[1] - w[0] - 100).collect();
    assert_eq!(waits[..7], [10_000; 7], "{sent:?}");
    assert!(sent[7] >= 70_000, "asked for at least 70 s: {sent:?}");
}

#[test]
fn imds_410_stops_when_its_wait_no_longer_fits_the_deadline() {
    let mut h = imds(r#"{"deadlineMs":25000}"#);
    let p = prepare(&h.client, &[GRAPH]).unwrap();
    for _ in 0..3 {
        h.answer(410, &[], b"");
    }
    let err = h.run(Acquisition::load(p, T0)).unwrap_err();
    assert_eq!(err.code(), "endpoint_upgrading");
    assert_eq!(h.sent_since_t0(), vec![0, 10_100, 20_200]);
    assert!(
        err.message()
            .ends_with("gave up after 3 attempts in 20.3 s (system.maxRetries is 2)"),
        "then the usual rules: {}",
        err.message()
    );
}

#[test]
fn imds_404_429_and_5xx_back_off_from_one_second() {
    for status in [404, 429, 500, 503] {
        let mut h = imds(r#"{"maxRetries":2}"#);
        let p = prepare(&h.client, &[GRAPH]).unwrap();
        h.entropy = harness::Random::Fixed(0);
        h.answer(status, &[], b"{}")
            .answer(status, &[], b"{}")
            .answer(200, &[], &imds_ok());
        h.run(Acquisition::load(p, T0)).unwrap();
        assert_eq!(h.sent_since_t0(), vec![0, 1100, 2200], "HTTP {status}");
    }
    // 400 other than IMDS's is final.
    let mut h = Harness::new(&format!(
        r#"{{"auth":{{"managedIdentity":{{"environment":{{"IDENTITY_ENDPOINT":"http://127.0.0.1:1/msi","IDENTITY_HEADER":"{HEADER}"}}}}}}}}"#
    ));
    let p = prepare(&h.client, &[GRAPH]).unwrap();
    h.answer(
        400,
        &[],
        br#"{"statusCode":400,"message":"Unable to load the proper Managed Identity."}"#,
    );
    let err = h.run(Acquisition::load(p, T0)).unwrap_err();
    assert_eq!((err.class(), h.sent.len()), (ErrorClass::Server, 1));
}
