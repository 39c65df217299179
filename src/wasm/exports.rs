//! Free functions exported to JavaScript, and the result object every acquisition returns.

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use super::errors::to_js;
use super::source::read;
use super::token::JsToken;
use crate::client::Answer;
use crate::error::Error;

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

/// `adminConsentUrl`'s options.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ConsentInput {
    tenant: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
}

/// `adminConsentUrl({ tenant, clientId, redirectUri })`.
#[wasm_bindgen(js_name = adminConsentUrl)]
pub fn admin_consent_url(options: JsValue) -> Result<String, JsValue> {
    let options: ConsentInput =
        read(options, "options", "invalid_config").map_err(|e| to_js(&e, None, None))?;
    crate::authority::admin_consent_url(
        options.tenant.as_deref().unwrap_or_default(),
        options.client_id.as_deref().unwrap_or_default(),
        options.redirect_uri.as_deref(),
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
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    serve_until: Option<u64>,
    /// The core's cache key: the JS layer keys its copy by it, so that every spelling of a
    /// request sees what the core replaced (issue 20.4).
    key: &'a str,
    /// When the token was requested, for the authorized fetch's forced-refresh limit.
    issued_at: Option<u64>,
    // The held string itself: no copy is made for the result.
    #[serde(serialize_with = "held")]
    access_token: &'a JsValue,
    token_type: &'a str,
    expires_on: u64,
    ext_expires_on: Option<u64>,
    refresh_on: Option<u64>,
    scopes: &'a [String],
    tenant_id: Option<&'a str>,
    token_source: &'static str,
    correlation_id: &'a str,
}

/// A JavaScript value passed through as it is.
fn held<S: serde::Serializer>(value: &&JsValue, s: S) -> Result<S::Ok, S::Error> {
    serde_wasm_bindgen::preserve::serialize(*value, s)
}

/// Serializes for JavaScript: absent values as `null`, maps as plain objects.
pub(super) fn to_value(value: &impl Serialize) -> JsValue {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    // Our views hold strings and integers below 2^53: serialization cannot fail.
    value.serialize(&serializer).unwrap_or(JsValue::NULL)
}

/// The result object of `answer` for the request with cache key `key`, stamped with the
/// caller's correlation id.
pub(super) fn result(answer: &Answer<JsToken>, key: &str, correlation_id: &str) -> JsValue {
    let token = &answer.token;
    to_value(&ResultView {
        serve_until: answer.serve_until,
        key,
        issued_at: token.issued_at_ms,
        access_token: &token.access_token.0,
        token_type: &token.token_type,
        expires_on: token.expires_on_ms,
        ext_expires_on: token.ext_expires_on_ms,
        refresh_on: token.refresh_on_ms,
        scopes: &token.scopes,
        tenant_id: token.tenant_id.as_deref(),
        token_source: answer.source.as_str(),
        correlation_id,
    })
}
