//! Free functions exported to JavaScript, and the result object every acquisition returns.

use wasm_bindgen::prelude::*;

use super::errors::to_js;
use super::js::get;
use crate::cache::{CachedToken, TokenSource};
use crate::error::Error;
use crate::json;

/// `scopeForResource(resource)`.
#[wasm_bindgen(js_name = scopeForResource)]
pub fn scope_for_resource(resource: String) -> Result<String, JsValue> {
    if resource.is_empty() {
        let err = Error::config(
            "invalid_config",
            "resource must be a non-empty resource URI, e.g. \"https://graph.microsoft.com\"",
        );
        return Err(to_js(&err, None, None));
    }
    Ok(crate::scope::scope_for_resource(&resource))
}

/// `adminConsentUrl({ tenant, clientId, redirectUri })`.
#[wasm_bindgen(js_name = adminConsentUrl)]
pub fn admin_consent_url(options: JsValue) -> Result<String, JsValue> {
    let text = |name| get(&options, name).as_string();
    crate::authority::admin_consent_url(
        &text("tenant").unwrap_or_default(),
        &text("clientId").unwrap_or_default(),
        text("redirectUri").as_deref(),
    )
    .map_err(|e| to_js(&e, None, None))
}

/// The decoded claims of a `WWW-Authenticate` claims challenge, or `undefined`.
#[wasm_bindgen(js_name = claimsFromChallenge)]
pub fn claims_from_challenge(www_authenticate: Option<String>) -> Option<String> {
    crate::challenge::claims_from_challenge(&www_authenticate?)
}

/// Whether `status` and `body` are Graph's missing-consent answer.
#[wasm_bindgen(js_name = isConsentDenied)]
pub fn is_consent_denied(status: u16, body: &str) -> bool {
    crate::challenge::is_consent_denied(status, body.as_bytes())
}

/// The `AuthenticationResult` object (times as epoch ms; the JS layer makes them Dates), with
/// `serveUntil` for the JS layer's copy of the memory level (removed before callers see it).
/// Built as one `JSON.parse` rather than a property set per field.
pub(super) fn result(
    token: &CachedToken,
    source: TokenSource,
    correlation_id: &str,
    serve_until: Option<u64>,
) -> JsValue {
    let mut o = json::Object::new();
    if let Some(until) = serve_until {
        o.insert("serveUntil", until);
    }
    o.insert("accessToken", token.access_token.secret());
    o.insert("tokenType", token.token_type.as_str());
    o.insert("expiresOn", token.expires_on_ms);
    o.insert("extExpiresOn", token.ext_expires_on_ms);
    o.insert("refreshOn", token.refresh_on_ms);
    o.insert("scopes", token.scopes.clone());
    o.insert("tenantId", token.tenant_id.clone());
    o.insert("fromCache", source != TokenSource::IdentityProvider);
    o.insert("tokenSource", source.as_str());
    o.insert("correlationId", correlation_id);
    js_sys::JSON::parse(&json::Value::from(o).to_json()).unwrap_or(JsValue::NULL)
}
