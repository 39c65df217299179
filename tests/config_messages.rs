//! Validation messages, verbatim: each names the field and the fix.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests state what must hold

use entra_edge::config::ClientConfig;
use entra_edge::input::{self, ConfigInput, Handle, Kind, Plain, Source};

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
fn retry_budget_is_validated() {
    let system = |s: &str| {
        format!(
            r#"{{"auth":{{"clientId":"c","authority":"{GRAPH}","clientSecret":"s"}},"system":{s}}}"#
        )
    };
    assert_eq!(
        err(&system(r#"{"maxRetries":11}"#)).1,
        "system.maxRetries must be a whole number from 0 to 10"
    );
    assert_eq!(
        err(&system(r#"{"timeoutMs":20000,"deadlineMs":5000}"#)).1,
        "system.deadlineMs (5000) is shorter than system.timeoutMs (20000), so the per-attempt timeout could \
         never apply: raise system.deadlineMs or lower system.timeoutMs"
    );
    let policy = |s: &str| ClientConfig::from_json(&system(s)).unwrap().retry;
    let defaults = policy("{}");
    assert_eq!(
        (
            defaults.max_retries,
            defaults.deadline_ms,
            defaults.timeout_ms,
            defaults.floor_ms
        ),
        (2, 30_000, 10_000, 5000),
        "Entra: first retry no sooner than 5 s"
    );
    assert_eq!(
        policy(r#"{"timeoutMs":45000}"#).deadline_ms,
        45_000,
        "the default deadline grows to one whole attempt"
    );
    assert_eq!(
        policy(r#"{"maxRetries":0,"deadlineMs":60000}"#).max_retries,
        0
    );
}

/// A JavaScript-like source for [`input::read`]: JSON, where the test writes "\u0000object" for a
/// non-plain object (a Buffer, a class instance) and "\u0000function" for a function, as the
/// shell's source reports them.
#[derive(Clone, Debug, Default)]
struct Js(serde_json::Value);

impl Source for Js {
    type Leaf = serde_json::Value;
    // Handles are JSON values here, read whole.
    const READS_STRUCTURES: bool = true;
    fn kind(&self) -> Kind {
        match self.0.as_str() {
            Some("\u{0}object") => Kind::Instance,
            Some("\u{0}function") => Kind::Function,
            _ => self.0.kind(),
        }
    }
    fn names(&self) -> Vec<String> {
        self.0.names()
    }
    fn field(&self, name: &str) -> Self {
        Js(self.0.field(name))
    }
    fn items(&self) -> Vec<Self> {
        self.0.items().into_iter().map(Js).collect()
    }
    fn plain(self) -> Option<Plain> {
        self.0.plain()
    }
    fn leaf(self) -> serde_json::Value {
        self.0
    }
}

impl<'de> serde::Deserialize<'de> for Js {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde_json::Value::deserialize(d).map(Js)
    }
}

impl Handle for Js {
    fn text(&self) -> Option<String> {
        self.0.as_str().map(str::to_owned)
    }
}

fn js_err(json: &str) -> String {
    let source = Js(serde_json::from_str(json).unwrap());
    match input::read::<ConfigInput<Js>, _>(source, "config") {
        Err(e) => e.0,
        Ok(input) => ClientConfig::from_input(input, &Default::default())
            .unwrap_err()
            .message()
            .to_owned(),
    }
}

#[test]
fn buffers_and_class_instances_are_not_strings_or_option_objects() {
    assert_eq!(
        js_err(&format!(
            r#"{{"auth":{{"clientId":"c","authority":"{GRAPH}","clientSecret":"\u0000object"}}}}"#
        )),
        "auth.clientSecret must be a string"
    );
    assert_eq!(
        js_err(&format!(
            r#"{{"auth":{{"clientId":"\u0000function","authority":"{GRAPH}","clientSecret":"s"}}}}"#
        )),
        "auth.clientId must be a string"
    );
    assert_eq!(
        js_err(&format!(
            r#"{{"auth":{{"clientId":"c","authority":"{GRAPH}","clientSecret":"s"}},"system":"\u0000object"}}"#
        )),
        "system must be a plain object ({ ... }), not a class instance"
    );
}

#[test]
fn typos_are_named() {
    assert_eq!(
        err(&format!(r#"{{"auth":{{"clientId":"c","authority":"{GRAPH}","clientSecret":"s"}},"system":{{"timeout":5}}}}"#)).1,
        "unknown option system.timeout: check its spelling against the documented options"
    );
}

#[test]
fn cloud_options_are_refused_by_their_own_names() {
    let cloud = |options: &str| {
        err(&format!(
            r#"{{"auth":{{"clientId":"c","azureCloudOptions":{options},"clientSecret":"s"}}}}"#
        ))
    };
    let not_a_tenant = (
        "invalid_authority".to_owned(),
        "auth.azureCloudOptions.tenant must be a tenant id (a GUID) or a domain such as contoso.onmicrosoft.com"
            .to_owned(),
    );
    for tenant in ["a/b", "t?x=1", "t#f", ""] {
        assert_eq!(
            cloud(&format!(
                r#"{{"azureCloudInstance":"https://login.microsoftonline.com","tenant":"{tenant}"}}"#
            )),
            not_a_tenant,
            "{tenant}"
        );
    }
    assert_eq!(
        cloud(r#"{"azureCloudInstance":"https://login.microsoftonline.us","tenant":"organizations"}"#),
        (
            "tenant_required".into(),
            "auth.azureCloudOptions.tenant must name a tenant: \"organizations\" does not work with the client \
             credentials flow (AADSTS9001023). Use https://login.microsoftonline.us/<tenant id or domain>"
                .into()
        )
    );
    assert_eq!(
        cloud(r#"{"azureCloudInstance":"https://login.microsoftonline.us/t1","tenant":"t2"}"#),
        (
            "invalid_authority".into(),
            "auth.azureCloudOptions.azureCloudInstance must be a cloud's origin such as \
             https://login.microsoftonline.us (AzureCloudInstance), with the tenant in \
             auth.azureCloudOptions.tenant, got \"https://login.microsoftonline.us/t1\""
                .into()
        )
    );
    assert_eq!(
        cloud(r#"{"azureCloudInstance":"login.microsoftonline.us","tenant":"t2"}"#),
        (
            "invalid_authority".into(),
            "auth.azureCloudOptions.azureCloudInstance must be an absolute https URL (no scheme), got \
             \"login.microsoftonline.us\""
                .into()
        )
    );
    let c = ClientConfig::from_json(
        r#"{"auth":{"clientId":"c","azureCloudOptions":{"azureCloudInstance":"https://login.microsoftonline.us/","tenant":"contoso.us"},"clientSecret":"s"}}"#,
    )
    .unwrap();
    assert_eq!(
        c.authority.token_endpoint,
        "https://login.microsoftonline.us/contoso.us/oauth2/v2.0/token"
    );
}

#[test]
fn an_azure_cloud_options_tenant_without_an_instance_is_noted_not_ignored() {
    let c = ClientConfig::from_json(
        r#"{"auth":{"clientId":"c","authority":"https://login.microsoftonline.com/t1","azureCloudOptions":{"tenant":"contoso.us"},"clientSecret":"s"}}"#,
    )
    .unwrap();
    assert_eq!(
        c.authority.token_endpoint,
        "https://login.microsoftonline.com/t1/oauth2/v2.0/token"
    );
    assert!(
        c.notes
            .iter()
            .any(|n| n.starts_with("auth.azureCloudOptions.tenant changes nothing")),
        "{:?}",
        c.notes
    );
}

#[test]
fn entra_only_options_are_refused_before_their_values_are_read() {
    let want = (
        "invalid_config".to_owned(),
        "auth.allowedTenants and auth.azureRegion are for Entra authorities (auth.authority); this app has \
         auth.tokenEndpoint: remove them"
            .to_owned(),
    );
    for extra in [r#""azureRegion":"BAD""#, r#""allowedTenants":["a/b"]"#] {
        assert_eq!(
            err(&format!(
                r#"{{"auth":{{"clientId":"c","tokenEndpoint":"https://idp.example/token","clientSecret":"s",{extra}}}}}"#
            )),
            want,
            "{extra}"
        );
    }
}

#[test]
fn a_failed_read_names_what_was_expected() {
    let auth = |extra: &str| {
        err(&format!(
            r#"{{"auth":{{"clientId":"c","authority":"{GRAPH}","clientSecret":"s",{extra}}}}}"#
        ))
        .1
    };
    assert_eq!(
        auth(r#""clientCapabilities":["cp1",2]"#),
        "auth.clientCapabilities must be an array of strings"
    );
    assert_eq!(
        auth(r#""clientCapabilities":"cp1""#),
        "auth.clientCapabilities must be an array of strings"
    );
    assert_eq!(auth(r#""sendX5C":"yes""#), "auth.sendX5C must be a boolean");
    assert_eq!(
        err(&format!(r#"{{"auth":{{"clientId":"c","authority":"{GRAPH}","clientSecret":"s"}},"system":{{"maxRetries":2.5}}}}"#)).1,
        "system.maxRetries must be a whole number from 0 to 10"
    );
}
