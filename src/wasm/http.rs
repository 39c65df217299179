//! Sends a core [`HttpRequest`] with the runtime's `fetch` and reads the answer into a core
//! [`HttpResponse`]: per-attempt timeout, redirects not followed, body read with a size cap.

use js_sys::{Function, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use serde::Serialize;

use super::exports::to_value;
use super::js::{call_method, get, resolve, set, within};
use crate::error::Error;
use crate::request::HttpRequest;
use crate::response::{HttpResponse, MAX_BODY_BYTES};

/// Response headers the core reads.
pub(crate) const HEADERS: [&str; 3] = ["content-type", "retry-after", "www-authenticate"];

/// Sends `req`; `fetch` is `system.fetch` or the global one.
///
/// # Errors
/// `Network` with `timeout` (as `Err.0`) or `fetch_failed`; the JS cause travels in `Err.1`.
pub(crate) async fn send(
    fetch: Option<&Function>,
    req: &HttpRequest,
    (timeout_ms, by_deadline): (u64, bool),
) -> Result<HttpResponse, (Error, Option<JsValue>)> {
    let controller = web_sys::AbortController::new().map_err(|e| {
        (
            Error::fetch_failed("AbortController is unavailable"),
            Some(e),
        )
    })?;
    let init = fetch_init(req).map_err(|e| {
        (
            Error::fetch_failed("the request could not be encoded"),
            Some(e),
        )
    })?;
    let signal = controller.signal();
    set(&init, "signal", &signal);

    // Raced, then aborted when the time is up: a `system.fetch` that ignores `init.signal`, or
    // a body that never ends, must not hold the caller past its time (issue 20.3).
    let result = within(exchange(fetch, &req.url, &init), timeout_ms).await;
    match result {
        None => {
            controller.abort();
            Err((Error::timed_out(timeout_ms, by_deadline), None))
        }
        Some(Ok(response)) => Ok(response),
        Some(Err(_)) if signal.aborted() => Err((Error::timed_out(timeout_ms, by_deadline), None)),
        Some(Err(cause)) => Err((failed(&cause), Some(cause))),
    }
}

/// Why fetch rejected. Retried (`fetch_failed`) unless trying again cannot help: a URL the
/// runtime refuses, or a host name that does not exist (a typo, not an outage).
fn failed(cause: &JsValue) -> Error {
    let inner = get(cause, "cause");
    // Node's undici puts the system error's code on `cause`, Bun on the error itself.
    let code = get(&inner, "code")
        .as_string()
        .or_else(|| get(cause, "code").as_string());
    let message = get(cause, "message").as_string().unwrap_or_default();
    let why = describe(cause);
    if code.as_deref() == Some("ERR_INVALID_URL") || message.contains("Invalid URL") {
        return Error::config(
            "invalid_url",
            format!("the runtime's fetch refused the token endpoint's URL: {why}; check auth.authority or auth.tokenEndpoint"),
        );
    }
    // Deno only words it: "dns error: failed to lookup address information: Name or service not
    // known" (a temporary resolver failure says "Temporary failure", and is retried).
    let deno_unresolved = get(&inner, "message")
        .as_string()
        .is_some_and(|m| m.contains("dns error") && m.contains("not known"));
    if code.as_deref() == Some("ENOTFOUND") || deno_unresolved {
        return Error::host_not_found(&why);
    }
    Error::fetch_failed(&why)
}

/// `fetch`'s options for a token request.
#[derive(Serialize)]
struct FetchInit<'a> {
    method: &'a str,
    #[serde(serialize_with = "as_object")]
    headers: &'a [(String, String)],
    // fetch refuses a GET with a body, even an empty one (managed-identity requests are GETs).
    #[serde(skip_serializing_if = "no_body")]
    body: &'a str,
    // A token endpoint that redirects must not receive our credential twice.
    redirect: &'a str,
}

fn fetch_init(req: &HttpRequest) -> Result<JsValue, JsValue> {
    Ok(to_value(&FetchInit {
        method: req.method,
        headers: &req.headers,
        body: &req.body,
        redirect: "manual",
    }))
}

fn no_body(body: &&str) -> bool {
    body.is_empty()
}

/// Header pairs as one object, as `fetch` takes them.
pub(crate) fn as_object<S: serde::Serializer>(
    pairs: &&[(String, String)],
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_map(pairs.iter().map(|(n, v)| (n, v)))
}

async fn exchange(
    fetch: Option<&Function>,
    url: &str,
    init: &JsValue,
) -> Result<HttpResponse, JsValue> {
    let global = js_sys::global();
    let promise = match fetch {
        Some(f) => f.call2(&JsValue::UNDEFINED, &url.into(), init)?,
        // The global fetch must be called with globalThis as `this` in some runtimes.
        None => call_method(&global, "fetch", &[url.into(), init.into()])?,
    };
    let response = resolve(promise).await?;
    let status = get(&response, "status").as_f64().unwrap_or(0.0) as u16;
    let header_obj = get(&response, "headers");
    let mut headers = Vec::new();
    for name in HEADERS {
        if let Ok(v) = call_method(&header_obj, "get", &[name.into()]) {
            if let Some(v) = v.as_string() {
                headers.push((name.to_owned(), v));
            }
        }
    }
    let body = read_capped(&response).await?;
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

/// Reads the body as a stream, stopping (and cancelling it) as soon as it passes the cap,
/// whatever the headers say: with `Content-Encoding: gzip`, `Content-Length` is the compressed
/// size and fetch inflates, so only the bytes read count. What comes back is then longer than
/// [`MAX_BODY_BYTES`] and the core reports it: the cap is the core's rule, the shell only
/// avoids reading further.
async fn read_capped(response: &JsValue) -> Result<Vec<u8>, JsValue> {
    let stream = get(response, "body");
    if stream.is_null() || stream.is_undefined() {
        return Ok(Vec::new());
    }
    let reader = call_method(&stream, "getReader", &[])?;
    let mut body = Vec::new();
    loop {
        let chunk =
            JsFuture::from(call_method(&reader, "read", &[])?.unchecked_into::<js_sys::Promise>())
                .await?;
        if get(&chunk, "done").is_truthy() {
            return Ok(body);
        }
        let bytes: Uint8Array = get(&chunk, "value").dyn_into()?;
        // Copy at most what can still matter: one byte past the cap says "too large".
        let room = (MAX_BODY_BYTES + 1).saturating_sub(body.len());
        let take = (bytes.length() as usize).min(room);
        body.extend_from_slice(&bytes.subarray(0, take as u32).to_vec());
        if body.len() > MAX_BODY_BYTES {
            let _ = call_method(&reader, "cancel", &[]);
            return Ok(body);
        }
    }
}

/// A short description of a JS error: its message and, for Node's undici, its cause.
pub(crate) fn describe(err: &JsValue) -> String {
    let message = get(err, "message")
        .as_string()
        .unwrap_or_else(|| "unknown error".to_owned());
    let cause = get(err, "cause");
    match get(&cause, "code")
        .as_string()
        .or_else(|| get(&cause, "message").as_string())
    {
        Some(detail) => format!("{message} ({detail})"),
        None => message,
    }
}
