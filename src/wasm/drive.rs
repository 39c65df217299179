//! The shell's half of an acquisition: a loop that performs what the core's [`Acquisition`]
//! asks (store reads, signatures, the assertion callback, fetch, timers, store writes, log
//! lines) and reports each outcome with the time. Every awaited step is raced against the time
//! the machine gave it.

use std::rc::Rc;

use js_sys::{Function, Object, Promise};
use wasm_bindgen::JsValue;

use super::app::Inner;
use super::errors::to_js;
use super::exports::result;
use super::http::send;
use super::js::{set, sleep, within, within_js, JsEntropy};
use super::task::{promise, settled_of};
use super::token::JsToken;
use crate::client::StoreWrite;
use crate::credential::JwsAlg;
use crate::error::Error;
use crate::flow::{Acquisition, Action, Level, Outcome};
use crate::secret::ClientSecret;

impl Inner {
    /// Runs `acq` to its end: the result object, or the error object callers get.
    pub(super) async fn drive(
        self: Rc<Self>,
        mut acq: Acquisition<JsToken>,
        wait_until: Option<Function>,
    ) -> Result<JsValue, JsValue> {
        let corr = acq.request().correlation_id.clone();
        let fail = |e: &Error, cause: Option<JsValue>| to_js(e, Some(&corr), cause);
        // The JS error behind the last network failure, for the final error's `cause`.
        let mut cause = None;
        // Store writes started, which a lease release waits for.
        let mut writes: Vec<Promise> = Vec::new();
        loop {
            let now = self.now_ms().map_err(|e| fail(&e, None))?;
            let action = acq.poll(&mut self.core.borrow_mut(), now, &mut JsEntropy);
            let outcome = match action {
                Action::Read { key, within_ms } => self.read(key, within_ms).await,
                Action::Sign {
                    input,
                    alg,
                    within_ms,
                } => self.sign(input, alg, within_ms).await,
                Action::Assert { within_ms } => {
                    let endpoint = acq.request().target.token_endpoint.clone();
                    self.call_assertion(&endpoint, within_ms).await
                }
                Action::Send {
                    request,
                    timeout_ms,
                    by_deadline,
                } => {
                    let sent = match &self.network {
                        Some(network) => network.send(&request, (timeout_ms, by_deadline)).await,
                        None => {
                            send(self.fetch.as_ref(), &request, (timeout_ms, by_deadline)).await
                        }
                    };
                    Outcome::Received(sent.map_err(|(e, c)| {
                        cause = c;
                        e
                    }))
                }
                Action::ReadFile {
                    path,
                    max_bytes,
                    within_ms,
                } => self.read_file(&path, max_bytes, within_ms).await,
                Action::Sleep { ms } => {
                    let _ = settled_of(&sleep(ms)).await;
                    Outcome::Slept
                }
                Action::Write(write) => {
                    writes.extend(self.write_store(write, wait_until.as_ref()));
                    continue;
                }
                Action::Lease {
                    key,
                    ttl_ms,
                    within_ms,
                } => self.lease(key, ttl_ms, within_ms).await,
                Action::Release { key } => {
                    self.release(key, &writes, wait_until.as_ref());
                    continue;
                }
                Action::Log { level, message } => {
                    self.log(level, &message);
                    continue;
                }
                Action::Done(Ok(answer)) => {
                    if answer.refresh {
                        self.refresh_in_background(acq.request(), wait_until);
                    }
                    let p = acq.request();
                    let trace = (acq.attempts(), p.server_address());
                    return Ok(result(&answer, &p.key, &corr, Some(trace)));
                }
                Action::Done(Err(e)) => {
                    let from_fetch = e.code() == "fetch_failed";
                    // What telemetry's span says of this acquisition (a result gets it when
                    // it is made).
                    let o = fail(&e, cause.filter(|_| from_fetch));
                    set(&o, "attempts", acq.attempts());
                    set(&o, "server", acq.request().server_address());
                    return Err(o);
                }
            };
            let now = self.now_ms().map_err(|e| fail(&e, None))?;
            acq.handle(&mut self.core.borrow_mut(), outcome, now, &mut JsEntropy);
        }
    }

    /// `cache.store.get(key)`, given up after `within_ms`, then opened by the runtime's cipher
    /// (the key is the associated data).
    async fn read(&self, key: String, within_ms: u64) -> Outcome {
        // A store always comes with a sealing key, hence a cipher.
        let (Some(store), Some((open, cipher))) = (&self.store, self.cipher.opener()) else {
            return Outcome::Read(Ok(None));
        };
        self.store_keys.borrow_mut().note(&key);
        let opener = (open, cipher, key.as_bytes());
        store
            .read(&key, within_ms, opener)
            .await
            .map_or(Outcome::TimedOut, Outcome::Read)
    }

    /// An RSA signature by WebCrypto, given up after `within_ms`.
    async fn sign(&self, input: String, alg: JwsAlg, within_ms: u64) -> Outcome {
        let key = || self.core.borrow().rsa_pkcs8().unwrap_or_default();
        within(self.rsa.sign(key, alg, &input), within_ms)
            .await
            .map_or(Outcome::TimedOut, Outcome::Signed)
    }

    /// The `clientAssertion` callback, once per token request (assertions are never reused),
    /// given up after `within_ms`.
    async fn call_assertion(&self, token_endpoint: &str, within_ms: u64) -> Outcome {
        let failed = || {
            Error::config(
                "invalid_credential",
                "auth.clientAssertion callback threw or rejected",
            )
        };
        let Some(callback) = &self.assertion else {
            return Outcome::Asserted(Err(failed()));
        };
        let ctx = Object::new();
        {
            let core = self.core.borrow();
            set(&ctx, "clientId", core.config().client_id.as_str());
            set(&ctx, "tokenEndpoint", token_endpoint);
        }
        let called = match callback.call1(&JsValue::UNDEFINED, &ctx) {
            Ok(v) => v,
            Err(_) => return Outcome::Asserted(Err(failed())),
        };
        match within_js(called, within_ms).await {
            None => Outcome::TimedOut,
            Some(Err(_)) => Outcome::Asserted(Err(failed())),
            Some(Ok(v)) => Outcome::Asserted(match v.as_string() {
                Some(s) if !s.is_empty() => Ok(ClientSecret::new(s)),
                _ => Err(Error::config(
                    "invalid_credential",
                    "auth.clientAssertion callback must return a non-empty string (a signed JWT)",
                )),
            }),
        }
    }

    /// Writes in the background (through `waitUntil` when given): a caller never waits for KV.
    /// The returned promise settles when the write has, for a release to follow it.
    fn write_store(
        self: &Rc<Self>,
        write: StoreWrite,
        wait_until: Option<&Function>,
    ) -> Option<Promise> {
        let store = self.store.as_ref()?;
        self.store_keys.borrow_mut().note(&write.key);
        let handle = store.clone();
        let me = self.clone();
        let work = promise(async move {
            let Some(value) = me.cipher.seal(&write).await else {
                me.log.line(
                    Level::Warning,
                    "sealing the entry failed: it is not written to cache.store; the token stays cached in memory",
                );
                return Ok(JsValue::UNDEFINED);
            };
            if let Err(why) = handle.put(&write.key, &value, write.ttl_seconds).await {
                me.core.borrow_mut().stats_mut().store_write_failures += 1;
                me.log.line(
                    Level::Warning,
                    &format!("{why}; the token stays cached in memory"),
                );
            }
            Ok(JsValue::UNDEFINED)
        });
        keep_alive(&work, wait_until);
        Some(work)
    }

    /// `cache.store.lease(key, ttlMs)`, given up after `within_ms`.
    async fn lease(&self, key: String, ttl_ms: u64, within_ms: u64) -> Outcome {
        let Some(store) = &self.store else {
            return Outcome::Leased(Ok(false));
        };
        store
            .lease(&key, ttl_ms, within_ms)
            .await
            .map_or(Outcome::TimedOut, Outcome::Leased)
    }

    /// Releases `key` once `writes` have settled, in the background.
    fn release(&self, key: String, writes: &[Promise], wait_until: Option<&Function>) {
        let Some(store) = &self.store else { return };
        let handle = store.clone();
        let log = self.log.clone();
        let writes: js_sys::Array = writes.iter().collect();
        let work = promise(async move {
            let _ = settled_of(&Promise::all_settled(&writes)).await;
            if let Err(why) = handle.release(&key).await {
                log.line(Level::Warning, &format!("{why}; the lease ends by itself"));
            }
            Ok(JsValue::UNDEFINED)
        });
        keep_alive(&work, wait_until);
    }
}

/// Hands background work to `waitUntil` when given (Workers); elsewhere it runs on by itself.
fn keep_alive(work: &Promise, wait_until: Option<&Function>) {
    if let Some(wait_until) = wait_until {
        let _ = wait_until.call1(&JsValue::UNDEFINED, work);
    }
}
