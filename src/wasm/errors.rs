//! Core errors as plain JavaScript objects; the package's JS turns them into the exported
//! error classes (`AuthError` and subclasses) so `instanceof` works across runtimes.

use serde::Serialize;
use wasm_bindgen::JsValue;

use super::exports::to_value;
use super::js::set;
use crate::error::Error;

/// The payload the JS layer turns into an error class; `__entraEdgeError` marks it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorView<'a> {
    #[serde(rename = "__entraEdgeError")]
    tag: bool,
    name: &'a str,
    error_code: &'a str,
    message: &'a str,
    correlation_id: Option<&'a str>,
    // Null for errors that are not ServerErrors; the JS layer reads these only for those.
    status: Option<u16>,
    error: Option<&'a str>,
    error_description: Option<&'a str>,
    error_codes: &'a [u64],
    trace_id: Option<&'a str>,
    timestamp: Option<&'a str>,
    error_uri: Option<&'a str>,
    is_retryable: Option<bool>,
    retry_after_ms: Option<u64>,
    hint: Option<&'a str>,
}

/// Converts an error, stamping the correlation id of the request it belongs to.
pub(crate) fn to_js(err: &Error, correlation_id: Option<&str>, cause: Option<JsValue>) -> JsValue {
    let d = err.server_details();
    let o = to_value(&ErrorView {
        tag: true,
        name: err.class().name(),
        error_code: err.code(),
        message: err.message(),
        correlation_id,
        status: d.map(|d| d.status),
        error: d.and_then(|d| d.error.as_deref()),
        error_description: d.and_then(|d| d.error_description.as_deref()),
        error_codes: d.map_or(&[], |d| &d.error_codes),
        trace_id: d.and_then(|d| d.trace_id.as_deref()),
        timestamp: d.and_then(|d| d.timestamp.as_deref()),
        error_uri: d.and_then(|d| d.error_uri.as_deref()),
        is_retryable: d.map(|d| d.is_retryable),
        retry_after_ms: d.and_then(|d| d.retry_after_ms),
        hint: d.and_then(|d| d.hint),
    });
    if let Some(c) = cause {
        set(&o, "cause", c);
    }
    o
}
