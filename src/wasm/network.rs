//! msal's `INetworkModule` (`system.networkClient`) as the way token requests are sent: its
//! `sendPostRequestAsync(url, { headers, body })` answers `{ status, headers, body }` with the
//! body already parsed, which becomes the core's `HttpResponse` again.

use js_sys::Object;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};

use super::exports::to_value;
use super::http::{describe, HEADERS};
use super::js::{call_method, get, within_js};
use super::source::JsHandle;
use crate::error::Error;
use crate::request::HttpRequest;
use crate::response::HttpResponse;

/// The configured network module.
pub(crate) struct NetworkClient {
    handle: JsValue,
}

/// msal's `NetworkRequestOptions`.
#[derive(Serialize)]
struct Options<'a> {
    #[serde(serialize_with = "as_object")]
    headers: &'a [(String, String)],
    body: &'a str,
}

impl NetworkClient {
    /// Checks `system.networkClient` has the method token requests use.
    pub(crate) fn new(JsHandle(handle): JsHandle) -> Result<Self, Error> {
        if get(&handle, "sendPostRequestAsync").is_function() {
            Ok(NetworkClient { handle })
        } else {
            Err(Error::config(
                "invalid_config",
                "system.networkClient must be msal's INetworkModule: an object with sendPostRequestAsync(url, options)",
            ))
        }
    }

    /// Sends `req` through the module, given up after the attempt's time (the module cannot
    /// be aborted; its answer is then ignored).
    ///
    /// # Errors
    /// As [`super::http::send`].
    pub(crate) async fn send(
        &self,
        req: &HttpRequest,
        (timeout_ms, by_deadline): (u64, bool),
    ) -> Result<HttpResponse, (Error, Option<JsValue>)> {
        let options = to_value(&Options {
            headers: &req.headers,
            body: &req.body,
        });
        let called = call_method(
            &self.handle,
            "sendPostRequestAsync",
            &[req.url.as_str().into(), options],
        )
        .map_err(|e| (Error::fetch_failed(&describe(&e)), Some(e)))?;
        match within_js(called, timeout_ms).await {
            None => Err((Error::timed_out(timeout_ms, by_deadline), None)),
            Some(Err(e)) => Err((Error::fetch_failed(&describe(&e)), Some(e))),
            Some(Ok(response)) => Ok(read(&response)),
        }
    }
}

/// msal's `NetworkResponse` as the core's response: header names in lowercase, the parsed
/// body serialized back (a string body as it is).
fn read(response: &JsValue) -> HttpResponse {
    let status = get(response, "status").as_f64().unwrap_or(0.0) as u16;
    let given = get(response, "headers");
    let mut headers = Vec::new();
    if let Some(object) = given.dyn_ref::<Object>() {
        for key in Object::keys(object).iter() {
            let Some(name) = key.as_string() else {
                continue;
            };
            let lower = name.to_ascii_lowercase();
            if HEADERS.contains(&lower.as_str()) {
                let value = js_sys::Reflect::get(&given, &key).ok();
                if let Some(value) = value.and_then(|v| v.as_string()) {
                    headers.push((lower, value));
                }
            }
        }
    }
    let body = get(response, "body");
    let body = match body.as_string() {
        Some(text) => text.into_bytes(),
        None if body.is_undefined() || body.is_null() => Vec::new(),
        None => js_sys::JSON::stringify(&body)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_default()
            .into_bytes(),
    };
    HttpResponse {
        status,
        headers,
        body,
    }
}

/// Header pairs as one object, as `fetch` takes them.
fn as_object<S: serde::Serializer>(pairs: &&[(String, String)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(pairs.iter().map(|(n, v)| (n, v)))
}
