//! Sends the core's [`HttpRequest`] with reqwest and reads the answer into an [`HttpResponse`]:
//! per-attempt timeout, redirects not followed (the default client), body read with the core's
//! size cap.

use std::time::Duration;

use crate::error::Error;
use crate::request::HttpRequest;
use crate::response::{HttpResponse, MAX_BODY_BYTES};

/// One attempt, given up after `timeout_ms`.
///
/// # Errors
/// `Network` with `timeout` or `fetch_failed`.
pub(super) async fn send(
    http: &reqwest::Client,
    req: &HttpRequest,
    timeout_ms: u64,
    by_deadline: bool,
) -> Result<HttpResponse, Error> {
    tokio::time::timeout(Duration::from_millis(timeout_ms), exchange(http, req))
        .await
        .unwrap_or_else(|_| Err(Error::timed_out(timeout_ms, by_deadline)))
}

async fn exchange(http: &reqwest::Client, req: &HttpRequest) -> Result<HttpResponse, Error> {
    let method = reqwest::Method::from_bytes(req.method.as_bytes())
        .map_err(|_| Error::fetch_failed("the request method is not valid"))?;
    let mut builder = http.request(method, &req.url);
    for (name, value) in &req.headers {
        builder = builder.header(name, value);
    }
    // A GET (managed-identity endpoints) carries no body.
    if !req.body.is_empty() {
        builder = builder.body(req.body.clone());
    }
    let mut response = builder.send().await.map_err(|e| failed(&e))?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    // One byte past the cap is enough for the core to refuse the answer.
    let mut body = Vec::new();
    while body.len() <= MAX_BODY_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = (MAX_BODY_BYTES + 1).saturating_sub(body.len());
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) => break,
            Err(e) => return Err(Error::fetch_failed(&describe(&e))),
        }
    }
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

/// Why the request failed: a host that does not resolve is `host_not_found` (not retried, as
/// in the wasm shell), anything else `fetch_failed`.
fn failed(e: &reqwest::Error) -> Error {
    let why = describe(e);
    // hyper-util's resolver error, the only one reqwest reports as "dns error".
    if e.is_connect() && why.contains("dns error") {
        Error::host_not_found(&why)
    } else {
        Error::fetch_failed(&why)
    }
}

/// reqwest's error and its causes (connection refused, TLS), without the URL's query (there
/// is none on a token endpoint, but the rule costs nothing).
fn describe(e: &reqwest::Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}
