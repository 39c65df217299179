//! Sends a core [`HttpRequest`] with the runtime's `fetch` and reads the answer into a core
//! [`HttpResponse`]: per-attempt timeout, redirects not followed, body read with a size cap.

use js_sys::{Array, Function, Promise, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use super::js::{get, within_js};
use crate::error::Error;
use crate::request::HttpRequest;
use crate::response::{HttpResponse, MAX_BODY_BYTES};

/// Response headers the core reads.
pub(crate) const HEADERS: [&str; 3] = ["content-type", "retry-after", "www-authenticate"];

// The exchange runs in JS: building fetch's options, reading three headers and the body
// stream chunk by chunk from the wasm took a dozen crossings and a future per chunk, a tenth
// of a cold acquisition in workerd (issue 24). It answers [status, content-type, retry-after,
// www-authenticate, body]: the names of HEADERS, in order. The body is read up to `cap` + 1
// bytes, whatever the headers say: with Content-Encoding: gzip, Content-Length is the
// compressed size and fetch inflates, so only the bytes read count; past the cap the stream
// is cancelled and the core reports the answer as too large.
#[wasm_bindgen(inline_js = "
export async function exchange(fetch, url, method, pairs, body, signal, cap) {
  const headers = {};
  for (let i = 0; i < pairs.length; i += 2) headers[pairs[i]] = pairs[i + 1];
  const init = { method, headers, redirect: 'manual', signal };
  if (body !== '') init.body = body;
  const response = await (fetch ? fetch(url, init) : globalThis.fetch(url, init));
  const given = response.headers;
  const header = (name) => {
    try {
      const v = given.get(name);
      return typeof v === 'string' ? v : undefined;
    } catch {
      return undefined;
    }
  };
  const status = Number(response.status) || 0;
  const out = [status, header('content-type'), header('retry-after'), header('www-authenticate')];
  const stream = response.body;
  if (stream == null) return [...out, new Uint8Array(0)];
  const reader = stream.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!ArrayBuffer.isView(value)) throw new TypeError('the response body stream gave something other than bytes');
    const bytes = new Uint8Array(value.buffer, value.byteOffset, Math.min(value.byteLength, cap + 1 - size));
    chunks.push(bytes);
    size += bytes.length;
    if (size > cap) {
      reader.cancel().catch(() => {});
      break;
    }
  }
  const all = chunks.length === 1 ? chunks[0] : new Uint8Array(size);
  if (chunks.length !== 1) {
    let at = 0;
    for (const c of chunks) {
      all.set(c, at);
      at += c.length;
    }
  }
  return [...out, all];
}
")]
extern "C" {
    fn exchange(
        fetch: &JsValue,
        url: &str,
        method: &str,
        headers: Vec<String>,
        body: &str,
        signal: &JsValue,
        cap: f64,
    ) -> Promise;
}

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
    let signal = controller.signal();
    let headers = req
        .headers
        .iter()
        .flat_map(|(name, value)| [name.clone(), value.clone()])
        .collect();
    let called = exchange(
        fetch.map_or(&JsValue::UNDEFINED, |f| f.as_ref()),
        &req.url,
        req.method,
        headers,
        &req.body,
        &signal,
        MAX_BODY_BYTES as f64,
    );
    // Raced, then aborted when the time is up: a `system.fetch` that ignores `init.signal`, or
    // a body that never ends, must not hold the caller past its time (issue 20.3).
    match within_js(called.into(), timeout_ms).await {
        None => {
            controller.abort();
            Err((Error::timed_out(timeout_ms, by_deadline), None))
        }
        Some(Ok(answer)) => Ok(response(&answer.unchecked_into())),
        Some(Err(_)) if signal.aborted() => Err((Error::timed_out(timeout_ms, by_deadline), None)),
        Some(Err(cause)) => Err((failed(&cause), Some(cause))),
    }
}

/// The core's response from what `exchange` answered.
fn response(answer: &Array) -> HttpResponse {
    let headers = HEADERS
        .iter()
        .zip(1..)
        .filter_map(|(name, i)| Some(((*name).to_owned(), answer.get(i).as_string()?)))
        .collect();
    HttpResponse {
        status: answer.get(0).as_f64().unwrap_or(0.0) as u16,
        headers,
        body: Uint8Array::new(&answer.get(4)).to_vec(),
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
