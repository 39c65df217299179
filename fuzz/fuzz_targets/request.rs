//! Any tenantId, authority and azureRegion a caller passes to acquireTokenByClientCredential,
//! through Client::prepare against an Entra app that allows any tenant: refused, or a token
//! endpoint on the configured cloud (login.microsoftonline.com, or a region's
//! login.microsoft.com host) for one tenant name. Never a panic, and never a URL that a
//! caller's string moved to another host or path: the credential is sent there.
//!
//! Input: the three values on three lines; a missing line or "-" leaves that value out.
#![no_main]
use entra_edge::config::{ClientConfig, Environment};
use entra_edge::input::{self, ConfigInput, JsonRequest};
use entra_edge::Client;
use libfuzzer_sys::fuzz_target;

const ORIGIN: &str = "https://login.microsoftonline.com/";

thread_local! {
    /// Built once: each input is one request to the same app.
    static CLIENT: Client = {
        let json = serde_json::json!({
            "auth": {
                "clientId": "c",
                "authority": "https://login.microsoftonline.com/home.example",
                "clientSecret": "s",
                "allowedTenants": ["*"],
            }
        });
        let input: ConfigInput<serde_json::Value> =
            input::read(json, "config").expect("the fixed configuration reads");
        // So that azureRegion "TryAutoDetect" reaches a regional endpoint too.
        let env = Environment {
            region_name: Some("West US 2".to_owned()),
        };
        let (config, _) =
            ClientConfig::from_input(input, &env).expect("the fixed configuration is valid");
        Client::new(config)
    };
}

fn tenant_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_')
}

/// A region name: a lowercase DNS label that starts with a letter.
fn is_region(label: &str) -> bool {
    let b = label.as_bytes();
    (1..=63).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

fuzz_target!(|data: &str| {
    let mut lines = data.split('\n');
    let mut next = || lines.next().filter(|v| *v != "-").map(str::to_owned);
    let raw = JsonRequest {
        scopes: Some(vec!["https://graph.microsoft.com/.default".to_owned()]),
        tenant_id: next(),
        authority: next(),
        azure_region: next(),
        ..Default::default()
    };
    let Ok(prepared) = CLIENT.with(|client| client.prepare(raw, "id".to_owned())) else {
        return;
    };
    let target = &prepared.target;
    let endpoint = target.token_endpoint.as_str();
    let (host, path) = endpoint
        .strip_prefix("https://")
        .and_then(|rest| rest.split_once('/'))
        .unwrap_or_else(|| panic!("not an https URL with a path: {endpoint}"));
    let global = endpoint.starts_with(ORIGIN);
    let regional = host
        .strip_suffix(".login.microsoft.com")
        .is_some_and(is_region);
    assert!(global || regional, "off the configured cloud: {endpoint}");
    let tenant = path
        .strip_suffix("/oauth2/v2.0/token")
        .unwrap_or_else(|| panic!("not a token endpoint: {endpoint}"));
    assert!(
        !tenant.is_empty() && tenant.bytes().all(tenant_char),
        "not one tenant segment: {endpoint}"
    );
    assert_eq!(target.tenant.as_deref(), Some(tenant), "{endpoint}");
    assert_eq!(target.audience, endpoint);
    assert_eq!(
        target.key_endpoint,
        format!("{ORIGIN}{}/oauth2/v2.0/token", tenant.to_ascii_lowercase())
    );
});
