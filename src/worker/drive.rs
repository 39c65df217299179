//! The workers-rs driver's half of an acquisition: performs what the core's [`Acquisition`]
//! asks through `worker::Fetch` and `worker::kv::KvStore`, with the wasm shell's timers and
//! WebCrypto, and reports each outcome with the time, as `src/wasm/drive.rs` does for
//! JavaScript. KV has no atomic operation, so this driver never leases.

use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use worker::{AbortController, Fetch, Headers, Method, RequestInit, RequestRedirect};

use super::client::{now_ms, Inner};
use crate::client::{Answer, StoreWrite};
use crate::error::Error;
use crate::flow::{Acquisition, Action, Level, Outcome};
use crate::managed_identity::FileError;
use crate::request::HttpRequest;
use crate::response::{HttpResponse, MAX_BODY_BYTES};
use crate::token::{asserted, AssertionContext};
use crate::wasm::js::{sleep, within, JsEntropy};

impl Inner {
    /// Runs `acq` to its end: its answer, and the promises of the KV writes it started.
    pub(super) async fn drive(
        self: Rc<Self>,
        mut acq: Acquisition,
    ) -> (Result<Answer, Error>, Vec<Promise>) {
        let mut background = Vec::new();
        loop {
            let action = acq.poll(&mut self.core.borrow_mut(), now_ms(), &mut JsEntropy);
            let outcome = match action {
                Action::Read { key, within_ms } => self.read(key, within_ms).await,
                Action::Sign {
                    input,
                    alg,
                    within_ms,
                } => {
                    let key = || self.core.borrow().rsa_pkcs8().unwrap_or_default();
                    within(self.rsa.sign(key, alg, &input), within_ms)
                        .await
                        .map_or(Outcome::TimedOut, Outcome::Signed)
                }
                Action::Assert { within_ms } => {
                    let endpoint = acq.request().target.token_endpoint.clone();
                    self.call_assertion(endpoint, within_ms).await
                }
                Action::Send {
                    request,
                    timeout_ms,
                    by_deadline,
                } => Outcome::Received(send(&request, timeout_ms, by_deadline).await),
                // Workers read no files, and this driver builds no managed identity.
                Action::ReadFile { .. } => Outcome::FileRead(Err(FileError::Unsupported)),
                Action::Sleep { ms } => {
                    let _ = JsFuture::from(sleep(ms)).await;
                    Outcome::Slept
                }
                Action::Write(write) => {
                    background.extend(self.write(write));
                    continue;
                }
                // Not asked: the config says this store does not lease.
                Action::Lease { .. } => Outcome::Leased(Ok(false)),
                Action::Release { .. } => continue,
                Action::Log { level, message } => {
                    self.log(level, &message);
                    continue;
                }
                Action::Done(done) => return (done, background),
            };
            acq.handle(
                &mut self.core.borrow_mut(),
                outcome,
                now_ms(),
                &mut JsEntropy,
            );
        }
    }

    /// `kv.get(key)`, given up after `within_ms`.
    async fn read(&self, key: String, within_ms: u64) -> Outcome {
        let Some(kv) = &self.kv else {
            return Outcome::Read(Ok(None));
        };
        self.note_key(&key);
        let get = async {
            kv.get(&key)
                .text()
                .await
                .map_err(|e| format!("cache.store.get failed: {e}"))
        };
        match within(get, within_ms).await {
            None => Outcome::TimedOut,
            Some(read) => Outcome::Read(self.core.borrow().opened(&key, read)),
        }
    }

    /// The assertion callback, once per token request, given up after `within_ms`.
    async fn call_assertion(&self, token_endpoint: String, within_ms: u64) -> Outcome {
        let Some(callback) = &self.assertion else {
            return asserted::<()>(Some(Err(())));
        };
        let ctx = AssertionContext {
            client_id: self.core.borrow().config().client_id.clone(),
            token_endpoint,
        };
        asserted(within(callback(ctx), within_ms).await)
    }

    /// `kv.put(key, value, { expirationTtl })` in the background: a caller never waits for KV.
    fn write(self: &Rc<Self>, write: StoreWrite) -> Option<Promise> {
        let kv = self.kv.clone()?;
        let value = self.core.borrow().sealed_value(&write)?;
        self.note_key(&write.key);
        let me = self.clone();
        Some(future_to_promise(async move {
            let put = match kv.put(&write.key, value.as_str()) {
                Ok(put) => put.expiration_ttl(write.ttl_seconds).execute().await,
                Err(e) => Err(e),
            };
            if let Err(e) = put {
                me.log(
                    Level::Warning,
                    &format!("cache.store.put failed: {e}; the token stays cached in memory"),
                );
            }
            Ok(JsValue::UNDEFINED)
        }))
    }
}

/// One attempt through `worker::Fetch`, aborted after `timeout_ms`; redirects not followed (a
/// token endpoint that redirects must not get the credential twice).
async fn send(
    req: &HttpRequest,
    timeout_ms: u64,
    by_deadline: bool,
) -> Result<HttpResponse, Error> {
    let failed = |e: worker::Error| Error::fetch_failed(&e.to_string());
    let headers = Headers::new();
    for (name, value) in &req.headers {
        headers.set(name, value).map_err(failed)?;
    }
    let method = Method::from(req.method.to_owned());
    let mut init = RequestInit::new();
    init.with_method(method)
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual);
    // A GET (managed-identity endpoints) carries no body.
    if !req.body.is_empty() {
        init.with_body(Some(JsValue::from_str(&req.body)));
    }
    let request = worker::Request::new_with_init(&req.url, &init).map_err(failed)?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let exchange = async {
        let mut response = Fetch::Request(request)
            .send_with_signal(&signal)
            .await
            .map_err(failed)?;
        let headers = response
            .headers()
            .entries()
            .map(|(n, v)| (n.to_ascii_lowercase(), v))
            .collect();
        let mut body = response.bytes().await.map_err(failed)?;
        // The core refuses a body past its cap: one byte over says so.
        body.truncate(MAX_BODY_BYTES + 1);
        Ok(HttpResponse {
            status: response.status_code(),
            headers,
            body,
        })
    };
    match within(exchange, timeout_ms).await {
        Some(out) => out,
        None => {
            controller.abort();
            Err(Error::timed_out(timeout_ms, by_deadline))
        }
    }
}
