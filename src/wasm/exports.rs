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

/// Serializes for JavaScript: absent values as `null`, maps as plain objects.
pub(super) fn to_value(value: &impl Serialize) -> JsValue {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    // Our views hold strings and integers below 2^53: serialization cannot fail.
    value.serialize(&serializer).unwrap_or(JsValue::NULL)
}

// The result object is made in one call with its fields as arguments: serializing it field
// by field from the wasm cost a tenth of a store hit in workerd (issue 24).
#[wasm_bindgen(inline_js = "
export function answer(serveUntil, key, issuedAt, accessToken, tokenType, expiresOn, extExpiresOn, refreshOn, scopes, tenantId, tokenSource, correlationId, attempts, server) {
  const r = { key, issuedAt: issuedAt ?? null, accessToken, tokenType, expiresOn, extExpiresOn: extExpiresOn ?? null, refreshOn: refreshOn ?? null, scopes, tenantId: tenantId ?? null, tokenSource, correlationId };
  if (serveUntil !== undefined) r.serveUntil = serveUntil;
  if (attempts !== undefined) {
    r.attempts = attempts;
    r.server = server;
  }
  return r;
}
")]
extern "C" {
    #[allow(clippy::too_many_arguments)]
    fn answer(
        serve_until: Option<f64>,
        key: &str,
        issued_at: Option<f64>,
        access_token: &JsValue,
        token_type: &str,
        expires_on: f64,
        ext_expires_on: Option<f64>,
        refresh_on: Option<f64>,
        scopes: Vec<String>,
        tenant_id: Option<String>,
        token_source: &str,
        correlation_id: &str,
        attempts: Option<u32>,
        server: Option<&str>,
    ) -> JsValue;
}

/// The `AuthenticationResult` object of `answer` for the request with cache key `key`,
/// stamped with the caller's correlation id: times as epoch ms (the JS layer makes them
/// Dates), absent values `null`, plus the core's cache `key` (the JS layer keys its copy of
/// the memory level by it, so that every spelling of a request sees what the core replaced),
/// `issuedAt` (the authorized fetch's forced-refresh limit) and `serveUntil` when the memory
/// level gives the same answer until then (removed before callers see it). An acquisition's
/// result also says what telemetry's span needs: its token requests and the server.
pub(super) fn result(
    answer_: &Answer<JsToken>,
    key: &str,
    correlation_id: &str,
    trace: Option<(u32, &str)>,
) -> JsValue {
    let token = &answer_.token;
    let ms = |v: u64| v as f64;
    answer(
        answer_.serve_until.map(ms),
        key,
        token.issued_at_ms.map(ms),
        &token.access_token.0,
        &token.token_type,
        ms(token.expires_on_ms),
        token.ext_expires_on_ms.map(ms),
        token.refresh_on_ms.map(ms),
        token.scopes.clone(),
        token.tenant_id.clone(),
        answer_.source.as_str(),
        correlation_id,
        trace.map(|(attempts, _)| attempts),
        trace.map(|(_, server)| server),
    )
}
