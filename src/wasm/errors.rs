//! Core errors as plain JavaScript objects; the package's JS turns them into the exported
//! error classes (`AuthError` and subclasses) so `instanceof` works across runtimes.

use wasm_bindgen::JsValue;

use super::js::set;
use crate::error::Error;

/// Marks objects the JS layer should turn into error classes.
const TAG: &str = "__entraEdgeError";

/// Converts an error, stamping the correlation id of the request it belongs to.
pub(crate) fn to_js(err: &Error, correlation_id: Option<&str>, cause: Option<JsValue>) -> JsValue {
    let o = js_sys::Object::new();
    set(&o, TAG, true);
    set(&o, "name", err.class().name());
    set(&o, "errorCode", err.code());
    set(&o, "message", err.message());
    set(
        &o,
        "correlationId",
        correlation_id.map(JsValue::from).unwrap_or(JsValue::NULL),
    );
    if let Some(d) = err.server_details() {
        let opt = |s: &Option<String>| s.as_deref().map(JsValue::from).unwrap_or(JsValue::NULL);
        set(&o, "status", d.status);
        set(&o, "error", opt(&d.error));
        set(&o, "errorDescription", opt(&d.error_description));
        let codes: js_sys::Array = d
            .error_codes
            .iter()
            .map(|c| JsValue::from(*c as f64))
            .collect();
        set(&o, "errorCodes", codes);
        set(&o, "traceId", opt(&d.trace_id));
        set(&o, "timestamp", opt(&d.timestamp));
        set(&o, "errorUri", opt(&d.error_uri));
        set(&o, "isRetryable", d.is_retryable);
        set(
            &o,
            "retryAfterMs",
            d.retry_after_ms
                .map(|v| JsValue::from(v as f64))
                .unwrap_or(JsValue::NULL),
        );
        set(
            &o,
            "hint",
            d.hint.map(JsValue::from).unwrap_or(JsValue::NULL),
        );
    }
    if let Some(c) = cause {
        set(&o, "cause", c);
    }
    o.into()
}
