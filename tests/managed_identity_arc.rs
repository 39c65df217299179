//! Azure Arc and Service Fabric in the core (issue 21). Arc: the request, the key-file challenge
//! rules (folder, extension, size, symlink and `..` escapes, missing header, header without a
//! realm) and the read-then-resend step played through the real acquisition machine; Service
//! Fabric: the request and its refusals. Requests and rules follow MSAL.NET's
//! `AzureArcManagedIdentitySource` / `ServiceFabricManagedIdentitySource` and msal-node's
//! `AzureArc` / `ServiceFabric`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests state what must hold

#[path = "support/common.rs"]
mod common;
#[path = "support/harness.rs"]
mod harness;

use common::*;
use entra_edge::client::{Client, Prepared};
use entra_edge::config::ClientConfig;
use entra_edge::flow::{Acquisition, Action, Outcome};
use entra_edge::input::JsonRequest;
use entra_edge::managed_identity::arc::{self, LINUX_FOLDER};
use entra_edge::managed_identity::FileError;
use entra_edge::request::HttpRequest;
use entra_edge::ErrorClass;
use harness::{Harness, T0};

const STORAGE: &str = "https://storage.azure.com/.default";
const ENDPOINT: &str = "http://127.0.0.1:40342/metadata/identity/oauth2/token";
const KEY_PATH: &str = "/var/opt/azcmagent/tokens/8d5e3f8a-0c1b-4e6f-9a7d-2b3c4d5e6f70.key";
const KEY: &str = "arc-key-canary-7f3a9c";
const THUMBPRINT: &str = "5F1C3C7E2B9A4D6E8F0A1B2C3D4E5F6A7B8C9D0E";
const SF_HEADER: &str = "service-fabric-secret-canary";

fn arc_env(extra: &str) -> String {
    format!(
        r#"{{"environment":{{"IDENTITY_ENDPOINT":"{ENDPOINT}","IMDS_ENDPOINT":"http://127.0.0.1:40342"}},"platform":"linux","readFile":true{extra}}}"#
    )
}

fn config(managed: &str, rest: &str) -> Result<ClientConfig, entra_edge::Error> {
    ClientConfig::from_json(&format!(
        r#"{{"auth":{{"managedIdentity":{managed}}}{rest}}}"#
    ))
}

fn prepare(client: &Client) -> Prepared {
    client
        .prepare(
            JsonRequest {
                scopes: Some(vec![STORAGE.into()]),
                ..Default::default()
            },
            "cid".into(),
        )
        .unwrap()
}

fn header<'a>(r: &'a HttpRequest, name: &str) -> Option<&'a str> {
    r.headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn challenge(value: &str) -> entra_edge::response::HttpResponse {
    response(401, &[("www-authenticate", value)], b"")
}

fn arc_ok() -> Vec<u8> {
    br#"{"access_token":"arc-token","expires_in":"86399","expires_on":"0","resource":"https://storage.azure.com","token_type":"Bearer"}"#.to_vec()
}

#[test]
fn arc_asks_without_a_key_first() {
    let client = Client::new(config(&arc_env(""), "").unwrap());
    let r = client.token_request(&prepare(&client), None);
    assert_eq!(r.method, "GET");
    assert_eq!(
        r.url,
        format!("{ENDPOINT}?api-version=2019-11-01&resource=https%3A%2F%2Fstorage.azure.com")
    );
    assert_eq!(header(&r, "metadata"), Some("true"));
    assert_eq!(header(&r, "authorization"), None);
    let keyed = client.token_request(&prepare(&client), Some(KEY));
    assert_eq!(
        header(&keyed, "authorization"),
        Some(format!("Basic {KEY}").as_str())
    );
}

#[test]
fn arc_refusals_at_construction_name_the_fix() {
    let cases = [
        (
            arc_env(r#","clientId":"5c7b2a8e""#),
            "ManagedIdentityCredential: Azure Arc serves only the machine's system-assigned identity; a user-assigned id cannot be used there: remove clientId, resourceId or objectId",
        ),
        (
            arc_env("").replace(r#","readFile":true"#, ""),
            "ManagedIdentityCredential: Azure Arc's agent answers with a key file to read, and this runtime cannot read files: use ManagedIdentityCredential in Node",
        ),
        (
            arc_env("").replace("linux", "darwin"),
            "ManagedIdentityCredential: Azure Arc (IDENTITY_ENDPOINT with IMDS_ENDPOINT) runs on Linux and Windows only: use another credential on this platform",
        ),
        (
            arc_env("").replace("linux", "win32"),
            "ManagedIdentityCredential: Azure Arc keeps its key files under %ProgramData%, and ProgramData is not set: run as a Windows service or user that has it",
        ),
    ];
    for (managed, message) in cases {
        let err = config(&managed, "").unwrap_err();
        assert_eq!(err.class(), ErrorClass::CredentialUnavailable, "{managed}");
        assert_eq!(err.message(), message);
    }
}

#[test]
fn the_challenge_rules() {
    let linux = LINUX_FOLDER;
    let windows = arc::folder(Some("win32"), Some("C:\\ProgramData")).unwrap();
    assert_eq!(
        windows,
        "C:\\ProgramData\\AzureConnectedMachineAgent\\Tokens\\"
    );
    let good = [
        (format!("Basic realm={KEY_PATH}"), linux),
        (format!("basic  realm=\"{KEY_PATH}\""), linux),
        (
            "Basic realm=C:\\ProgramData\\AzureConnectedMachineAgent\\Tokens\\a1.key".to_owned(),
            windows.as_str(),
        ),
    ];
    for (value, folder) in &good {
        let path = arc::key_file(&challenge(value), folder).unwrap();
        assert!(value.contains(&path), "{value}");
    }

    let outside = format!("named a key file that is not directly in the agent's folder {LINUX_FOLDER} (rule: the realm must be a file in that folder, no subfolder, \"..\" or other path)");
    let not_key = "named a key file whose name does not end in .key (rule: the agent's key files are <name>.key)";
    let no_header = "answered 401 without a WWW-Authenticate header, which must name its key file";
    let no_realm = "answered 401 with a WWW-Authenticate header that is not Basic realm=<key file>";
    let bad = [
        ("Basic realm=/etc/shadow.key", outside.as_str()),
        (
            "Basic realm=/var/opt/azcmagent/tokens/../../../etc/shadow.key",
            &outside,
        ),
        ("Basic realm=/var/opt/azcmagent/tokens/sub/a.key", &outside),
        (
            "Basic realm=/var/opt/azcmagent/tokens/a\\..\\b.key",
            &outside,
        ),
        ("Basic realm=/var/opt/azcmagent/tokens/.key", &outside),
        ("Basic realm=/var/opt/azcmagent/tokens/", &outside),
        ("Basic realm=/var/opt/azcmagent/tokensX/a.key", &outside),
        (
            "Basic realm=/var/opt/azcmagent/tokens/a\u{1}b.key",
            &outside,
        ),
        ("Basic realm=/var/opt/azcmagent/tokens/secret.pem", not_key),
        ("Basic realm=/var/opt/azcmagent/tokens/a.key.txt", not_key),
        ("Bearer realm=/var/opt/azcmagent/tokens/a.key", no_realm),
        ("Basic /var/opt/azcmagent/tokens/a.key", no_realm),
        ("Basic realm=", no_realm),
        ("Basic", no_realm),
    ];
    for (value, rule) in bad {
        let err = arc::key_file(&challenge(value), linux).unwrap_err();
        assert_eq!(err.class(), ErrorClass::CredentialUnavailable);
        assert!(err.message().contains(rule), "{value}: {}", err.message());
        assert!(err
            .message()
            .contains("no file was read and nothing was sent"));
        // The header's path is never repeated (the folder named is the constant one).
        for part in ["shadow", "sub/", "secret.pem", "a.key", "tokensX"] {
            assert!(!err.message().contains(part), "{value}: {}", err.message());
        }
    }
    let err = arc::key_file(&response(401, &[], b""), linux).unwrap_err();
    assert!(err.message().contains(no_header));
    // A Windows realm with forward slashes or outside the folder.
    let err = arc::key_file(
        &challenge("Basic realm=C:\\ProgramData\\AzureConnectedMachineAgent\\Tokens\\..\\x.key"),
        &windows,
    )
    .unwrap_err();
    assert!(err.message().contains("not directly in the agent's folder"));
}

/// An Arc harness: the agent's 401, the key file, then the keyed answer.
fn arc() -> Harness {
    let mut h = Harness::with(Client::new(config(&arc_env(""), "").unwrap()));
    h.send_ms = 20;
    h
}

#[test]
fn the_key_file_is_read_and_the_request_sent_again_with_it() {
    let mut h = arc();
    let p = prepare(&h.client);
    h.files.insert(KEY_PATH.into(), Ok(format!("{KEY}\n")));
    h.answer(
        401,
        &[("www-authenticate", &format!("Basic realm={KEY_PATH}"))],
        b"",
    )
    .answer(200, &[], &arc_ok());
    let answer = h.run(Acquisition::load(p, T0)).unwrap();
    assert_eq!(answer.token.access_token.secret(), "arc-token");
    let steps = h.steps();
    assert_eq!(
        steps,
        vec![
            "send timeout 10000".to_owned(),
            format!("read file {KEY_PATH} max 4096 within 89980"),
            "send timeout 10000".to_owned(),
            "done identityProvider".to_owned(),
        ]
    );
    assert_eq!(header(&h.requests[0], "authorization"), None);
    assert_eq!(
        header(&h.requests[1], "authorization"),
        Some(format!("Basic {KEY}").as_str()),
        "the key without its line end"
    );
    assert!(h.logs.iter().all(|l| !l.contains(KEY)));
}

#[test]
fn a_key_file_that_breaks_a_rule_sends_nothing() {
    let cases = [
        (
            Ok("k".repeat(4097)),
            "ManagedIdentityCredential: the key file the Azure Arc agent named is larger than 4096 bytes (rule: a key file is at most 4096 bytes); nothing was sent with it",
        ),
        (
            Err(FileError::NotAFile),
            "ManagedIdentityCredential: the key file the Azure Arc agent named is not a regular file (rule: no symlink or folder); nothing was sent with it",
        ),
        (
            Err(FileError::Unreadable("EACCES".into())),
            "ManagedIdentityCredential: the key file the Azure Arc agent named cannot be read (EACCES): run as root or as a member of the himds group, which may read the agent's keys; nothing was sent with it",
        ),
        (
            Ok(format!("{KEY}\u{7}bell")),
            "ManagedIdentityCredential: the Azure Arc agent's key file is empty or holds something other than a key (visible ASCII): restart the agent (azcmagent) and try again",
        ),
        (
            Ok("   \n".into()),
            "ManagedIdentityCredential: the Azure Arc agent's key file is empty or holds something other than a key (visible ASCII): restart the agent (azcmagent) and try again",
        ),
    ];
    for (file, message) in cases {
        let mut h = arc();
        let p = prepare(&h.client);
        h.files.insert(KEY_PATH.into(), file);
        h.answer(
            401,
            &[("www-authenticate", &format!("Basic realm={KEY_PATH}"))],
            b"",
        );
        let err = h.run(Acquisition::load(p, T0)).unwrap_err();
        assert_eq!(err.class(), ErrorClass::CredentialUnavailable);
        assert_eq!(err.message(), message);
        assert_eq!(
            h.requests.len(),
            1,
            "only the request without a key: {message}"
        );
        assert!(!err.message().contains(KEY));
    }

    // A realm outside the folder: no file read at all.
    let mut h = arc();
    let p = prepare(&h.client);
    h.answer(
        401,
        &[("www-authenticate", "Basic realm=/etc/passwd.key")],
        b"",
    );
    h.run(Acquisition::load(p, T0)).unwrap_err();
    assert!(h.steps().iter().all(|s| !s.starts_with("read file")));
    assert_eq!(h.requests.len(), 1);
}

#[test]
fn a_refused_key_is_an_error_not_a_loop_and_a_retry_meets_a_new_challenge() {
    // The agent refuses the key: a 401 to a keyed request is its answer, not a new challenge.
    let mut h = arc();
    let p = prepare(&h.client);
    h.files.insert(KEY_PATH.into(), Ok(KEY.into()));
    let realm = format!("Basic realm={KEY_PATH}");
    h.answer(401, &[("www-authenticate", &realm)], b"").answer(
        401,
        &[("www-authenticate", &realm)],
        br#"{"error":"unauthorized"}"#,
    );
    let err = h.run(Acquisition::load(p, T0)).unwrap_err();
    assert_eq!(err.class(), ErrorClass::Server);
    assert_eq!(h.requests.len(), 2);

    // A 500 to the keyed request is retried from the start: the agent's keys are single-use.
    let mut h = arc();
    let p = prepare(&h.client);
    h.files.insert(KEY_PATH.into(), Ok(KEY.into()));
    h.answer(401, &[("www-authenticate", &realm)], b"")
        .answer(500, &[], b"busy")
        .answer(401, &[("www-authenticate", &realm)], b"")
        .answer(200, &[], &arc_ok());
    h.run(Acquisition::load(p, T0)).unwrap();
    let keys: Vec<Option<&str>> = h
        .requests
        .iter()
        .map(|r| header(r, "authorization"))
        .collect();
    let basic = format!("Basic {KEY}");
    assert_eq!(
        keys,
        vec![None, Some(basic.as_str()), None, Some(basic.as_str())]
    );
}

fn fabric(extra: &str) -> String {
    format!(
        r#"{{"environment":{{"IDENTITY_ENDPOINT":"https://127.0.0.1:2377/metadata/identity/oauth2/token","IDENTITY_HEADER":"{SF_HEADER}","IDENTITY_SERVER_THUMBPRINT":"{THUMBPRINT}"}},"pinnedFetch":true{extra}}}"#
    )
}

#[test]
fn service_fabric_sends_its_secret_header_and_msal_node_id_names() {
    let client = Client::new(config(&fabric(""), "").unwrap());
    let r = client.token_request(&prepare(&client), None);
    assert_eq!(
        r.url,
        "https://127.0.0.1:2377/metadata/identity/oauth2/token?api-version=2019-07-01-preview&resource=https%3A%2F%2Fstorage.azure.com"
    );
    assert_eq!(header(&r, "secret"), Some(SF_HEADER));
    for (option, name) in [
        ("clientId", "client_id"),
        ("objectId", "object_id"),
        ("resourceId", "mi_res_id"),
    ] {
        let client = Client::new(config(&fabric(&format!(r#","{option}":"id1""#)), "").unwrap());
        let r = client.token_request(&prepare(&client), None);
        assert!(r.url.ends_with(&format!("&{name}=id1")), "{}", r.url);
    }
    // Colons and lowercase, as certificate tools print a thumbprint, are accepted.
    let spaced = THUMBPRINT
        .as_bytes()
        .chunks(2)
        .map(|c| std::str::from_utf8(c).unwrap().to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(":");
    config(&fabric("").replace(THUMBPRINT, &spaced), "").unwrap();
}

#[test]
fn service_fabric_refusals_name_the_fix_and_echo_nothing() {
    let cases = [
        (
            fabric("").replace(r#","pinnedFetch":true"#, ""),
            "credential_unavailable",
            "ManagedIdentityCredential: Service Fabric's endpoint certificate is pinned by IDENTITY_SERVER_THUMBPRINT, which fetch cannot check; use ManagedIdentityCredential in Node, where requests go through node:https with the thumbprint checked",
        ),
        (
            fabric("").replace(THUMBPRINT, "AB12-not-a-thumbprint"),
            "invalid_config",
            "ManagedIdentityCredential: IDENTITY_SERVER_THUMBPRINT must be the SHA-1 thumbprint of Service Fabric's endpoint certificate (40 hex digits); the platform sets it, so unset it if you set it by hand",
        ),
        (
            fabric("").replace("https://127", "http://127"),
            "invalid_config",
            "ManagedIdentityCredential: Service Fabric's IDENTITY_ENDPOINT must be an https URL (its certificate is checked against IDENTITY_SERVER_THUMBPRINT); the platform sets it, so unset it if you set it by hand",
        ),
    ];
    for (managed, code, message) in cases {
        let err = config(&managed, "").unwrap_err();
        assert_eq!((err.code(), err.message()), (code, message));
        assert!(!format!("{err:?}").contains(SF_HEADER));
    }
    let err = config(&fabric(""), r#","system":{"fetch":true}"#).unwrap_err();
    assert_eq!(
        err.message(),
        "Service Fabric's endpoint certificate is checked against IDENTITY_SERVER_THUMBPRINT before anything is sent, which system.fetch and system.networkClient cannot do: remove them"
    );
    // The secret header is scrubbed from an error answer that echoes it.
    let client = Client::new(config(&fabric(""), "").unwrap());
    let p = prepare(&client);
    let echo = format!(
        r#"{{"error":{{"code":"SecretHeaderNotFound","message":"bad secret {SF_HEADER}"}}}}"#
    );
    let err = client
        .receive(&p, &response(401, &[], echo.as_bytes()), T0, 0, None)
        .unwrap_err();
    assert!(!err.message().contains(SF_HEADER), "{}", err.message());
}

/// The machine's next action other than a log line.
fn next(h: &mut Harness, acq: &mut Acquisition, now: u64) -> Action {
    loop {
        match acq.poll(&mut h.client, now, &mut h.entropy) {
            Action::Log { .. } => continue,
            other => break other,
        }
    }
}

#[test]
fn a_key_file_read_that_hangs_ends_within_the_deadline() {
    let mut h = arc();
    let mut acq = Acquisition::load(prepare(&h.client), T0);
    assert!(matches!(next(&mut h, &mut acq, T0), Action::Send { .. }));
    let realm = format!("Basic realm={KEY_PATH}");
    let answer = Outcome::Received(Ok(challenge(&realm)));
    acq.handle(&mut h.client, answer, T0 + 10, &mut h.entropy);
    let Action::ReadFile { within_ms, .. } = next(&mut h, &mut acq, T0 + 10) else {
        panic!("a key file read")
    };
    assert_eq!(within_ms, 89_990, "what is left of the 90 s deadline");
    let end = T0 + 10 + within_ms;
    acq.handle(&mut h.client, Outcome::TimedOut, end, &mut h.entropy);
    let Action::Done(Err(err)) = next(&mut h, &mut acq, end) else {
        panic!("done")
    };
    assert_eq!(err.code(), "timeout");
    assert!(err.message().starts_with(
        "reading Azure Arc's key file did not finish within the 89990 ms left of system.deadlineMs"
    ));
}

#[test]
fn the_installed_agent_is_found_without_its_variables() {
    // msal-node's detection: no IDENTITY_ENDPOINT / IMDS_ENDPOINT, the agent's himds is there.
    for environment in [
        r#"{}"#,
        r#"{"IDENTITY_ENDPOINT":"http://127.0.0.1:1/elsewhere"}"#,
        r#"{"IMDS_ENDPOINT":"http://127.0.0.1:40342"}"#,
    ] {
        let managed = format!(
            r#"{{"environment":{environment},"platform":"linux","readFile":true,"arcAgent":true}}"#
        );
        let client = Client::new(config(&managed, "").unwrap());
        let r = client.token_request(&prepare(&client), None);
        assert_eq!(
            r.url,
            "http://127.0.0.1:40342/metadata/identity/oauth2/token?api-version=2019-11-01&resource=https%3A%2F%2Fstorage.azure.com",
            "{environment}"
        );
    }
    // Its variables, when set, name the endpoint; the platforms before Arc in the order still win.
    let client = Client::new(config(&arc_env(r#","arcAgent":true"#), "").unwrap());
    assert!(client
        .token_request(&prepare(&client), None)
        .url
        .starts_with(ENDPOINT));
    let app_service = r#"{"environment":{"IDENTITY_ENDPOINT":"http://127.0.0.1:8081/msi/token","IDENTITY_HEADER":"h"},"platform":"linux","readFile":true,"arcAgent":true}"#;
    let client = Client::new(config(app_service, "").unwrap());
    let r = client.token_request(&prepare(&client), None);
    assert!(r
        .url
        .starts_with("http://127.0.0.1:8081/msi/token?api-version=2019-08-01"));
    // Without the agent and without IMDS_ENDPOINT: IMDS.
    let client = Client::new(config(r#"{"environment":{},"arcAgent":false}"#, "").unwrap());
    assert!(client
        .token_request(&prepare(&client), None)
        .url
        .starts_with("http://169.254.169.254/"));
}
