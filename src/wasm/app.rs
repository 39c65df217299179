//! The exported client: drives the core's steps with fetch, the store, the clock and
//! randomness. Concurrent callers for one key share one load (single-flight); a token past
//! `refreshOn` is served at once and refreshed in the background.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::rc::Rc;

use js_sys::{Function, Object, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, spawn_local, JsFuture};

use super::errors::to_js;
use super::exports::result;
use super::http::send;
use super::js::{
    call_method, clear_timer, get, ignore_rejection, now_ms, random_fill, random_ok, random_u32,
    sleep, uuid,
};
use super::source::{function, read, JsHandle};
use super::store::Store;
use super::webcrypto::RsaSigner;
use crate::cache::{CachedToken, Freshness, TokenSource};
use crate::config::ClientConfig;
use crate::error::Error;
use crate::flow::{Client, Prepared, StoreWrite};
use crate::input::{ConfigInput, RequestInput};
use crate::secret::ClientSecret;

/// How much longer than the deadline a follower waits before calling a flight stalled.
const FOLLOW_MARGIN_MS: u64 = 1000;

/// The wasm side of `ConfidentialClientApplication`.
#[wasm_bindgen]
pub struct WasmClient {
    inner: Rc<Inner>,
}

pub(super) struct Inner {
    pub(super) core: RefCell<Client>,
    store: Option<Store>,
    fetch: Option<Function>,
    pub(super) now: Option<Function>,
    logger: Option<Function>,
    pub(super) assertion: Option<Function>,
    pub(super) rsa: RsaSigner,
    /// In-progress loads and background refreshes by flight key; removed when they settle.
    flights: RefCell<HashMap<String, Promise>>,
    /// Store keys this app has read or written, for `clearCache`.
    store_keys: RefCell<HashSet<String>>,
}

#[wasm_bindgen]
impl WasmClient {
    /// Validates `config`; throws a configuration error object on bad input.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> Result<WasmClient, JsValue> {
        Inner::new(config)
            .map(|inner| WasmClient {
                inner: Rc::new(inner),
            })
            .map_err(|e| to_js(&e, None, None))
    }

    /// `acquireTokenByClientCredential`: resolves to a result object, rejects with an error object.
    pub fn acquire(&self, request: JsValue) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move { inner.acquire(request).await })
    }

    /// The admin-consent URL for this app on its authority's cloud; `undefined` off Entra.
    #[wasm_bindgen(js_name = consentUrl)]
    pub fn consent_url(&self) -> Option<String> {
        let core = self.inner.core.borrow();
        core.config()
            .authority
            .consent_url(&core.config().client_id)
    }

    /// Empties the memory level and deletes the store entries this app has used.
    #[wasm_bindgen(js_name = clearCache)]
    pub fn clear_cache(&self) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            inner.core.borrow_mut().clear_memory();
            let keys: Vec<String> = inner.store_keys.borrow_mut().drain().collect();
            if let Some(store) = &inner.store {
                for key in keys {
                    if let Err(why) = store.delete(&key).await {
                        inner.log("warning", &why);
                    }
                }
            }
            Ok(JsValue::UNDEFINED)
        })
    }
}

impl Inner {
    fn new(config: JsValue) -> Result<Self, Error> {
        const CODE: &str = "invalid_config";
        if !config.is_object() {
            return Err(Error::config(
                CODE,
                "config must be an object: { auth: { clientId, authority, clientSecret } }",
            ));
        }
        let input: ConfigInput<JsHandle> = read(config, "config", CODE)?;
        let (core, handles) = ClientConfig::from_input(input)?;
        Ok(Inner {
            core: RefCell::new(Client::new(core)),
            store: handles.store.map(Store::new).transpose()?,
            fetch: function(handles.fetch, "system.fetch", CODE)?,
            now: function(handles.now, "system.now", CODE)?,
            logger: function(handles.logger, "system.logger", CODE)?,
            assertion: function(handles.assertion, "auth.clientAssertion", CODE)?,
            rsa: RsaSigner::default(),
            flights: RefCell::new(HashMap::new()),
            store_keys: RefCell::new(HashSet::new()),
        })
    }

    async fn acquire(self: Rc<Self>, request: JsValue) -> Result<JsValue, JsValue> {
        let (p, wait_until) = self.prepare(request).map_err(|e| to_js(&e, None, None))?;
        let now =
            now_ms(self.now.as_ref()).map_err(|e| to_js(&e, Some(&p.correlation_id), None))?;
        let hit = self.core.borrow_mut().lookup(&p, now);
        if let Some((token, freshness)) = hit {
            self.log("verbose", "token served from the memory cache");
            if freshness == Freshness::RefreshDue {
                self.refresh_in_background(&p, wait_until.clone());
            }
            let fresh = freshness == Freshness::Fresh;
            return Ok(self.answer(&token, TokenSource::Memory, &p.correlation_id, fresh));
        }
        let out = self.load(&p, wait_until).await;
        if out.is_err() {
            // Stale-if-error: the identity provider failed, but a token that is still valid
            // beats an outage for the caller.
            let now = now_ms(self.now.as_ref()).unwrap_or(0);
            let stale = self.core.borrow().stale(&p, now);
            if let Some(token) = stale {
                let why = out
                    .as_ref()
                    .err()
                    .and_then(|e| get(e, "message").as_string())
                    .unwrap_or_default();
                self.log("warning", &format!("serving a cached token that is still valid because the token request failed: {why}"));
                return Ok(self.answer(&token, TokenSource::Memory, &p.correlation_id, false));
            }
        }
        out
    }

    /// The caller's share of a load: follows the flight under its key, or starts one that
    /// reads the store and then asks the identity provider.
    async fn load(
        self: &Rc<Self>,
        p: &Prepared,
        wait_until: Option<Function>,
    ) -> Result<JsValue, JsValue> {
        // Claims requests never share a flight with plain ones (the tokens differ), nor skipCache
        // requests with loads that may answer from the store.
        let key = format!(
            "load|{}|{}|{}",
            p.key,
            p.bypass_cache,
            p.claims.as_deref().unwrap_or_default()
        );
        loop {
            let existing = self.flights.borrow().get(&key).cloned();
            let Some(flight) = existing else { break };
            if let Some(out) = self.follow(&flight).await {
                return out;
            }
            // Its Worker request ended without waitUntil and workerd cancelled the fetch:
            // nobody will settle it. Drop it (unless another follower already replaced it) and
            // follow or start the next one.
            self.log(
                "warning",
                "a shared token request stalled (the request that started it ended without waitUntil); starting a new one",
            );
            let mut flights = self.flights.borrow_mut();
            if flights
                .get(&key)
                .is_some_and(|f| JsValue::from(f) == JsValue::from(&flight))
            {
                flights.remove(&key);
            }
        }
        let me = self.clone();
        let keep_alive = wait_until.clone();
        let mine = p.clone();
        let flight = self.start_flight(key, keep_alive.as_ref(), async move {
            let p = mine;
            if !p.bypass_cache {
                if let Some((token, freshness)) = me.read_store(&p).await {
                    if freshness == Freshness::RefreshDue {
                        me.refresh_in_background(&p, wait_until.clone());
                    }
                    let fresh = freshness == Freshness::Fresh;
                    return Ok(me.answer(&token, TokenSource::Store, &p.correlation_id, fresh));
                }
            }
            // Only after a miss: a store hit, the common case, costs one store read, not two.
            let window = me.read_window(&p);
            me.fetch_token(&p, wait_until.as_ref(), window).await
        });
        JsFuture::from(flight).await
    }

    /// Awaits another caller's flight, but not forever: in workerd a flight whose request
    /// ended without `waitUntil` never settles and the runtime reports nothing. `None` means
    /// it stalled past the time a live one needs (the deadline, retries included, plus a margin).
    async fn follow(&self, flight: &Promise) -> Option<Result<JsValue, JsValue>> {
        let ms = self.core.borrow().config().retry.deadline_ms + FOLLOW_MARGIN_MS;
        let stalled: JsValue = Object::new().into();
        let (timer, id) = sleep(ms, &stalled);
        let contenders: js_sys::Array = [JsValue::from(flight), JsValue::from(timer)]
            .into_iter()
            .collect();
        let raced = Promise::race(&contenders);
        let out = JsFuture::from(raced).await;
        clear_timer(id);
        match out {
            Ok(v) if v == stalled => None,
            other => Some(other),
        }
    }

    /// Starts `work` as the flight under `key`. The flight is handed to `waitUntil` so that,
    /// in Workers, it completes even if the request that started it finishes first.
    fn start_flight<F>(
        self: &Rc<Self>,
        key: String,
        wait_until: Option<&Function>,
        work: F,
    ) -> Promise
    where
        F: Future<Output = Result<JsValue, JsValue>> + 'static,
    {
        let me = self.clone();
        let k = key.clone();
        let promise = future_to_promise(async move {
            let out = work.await;
            me.flights.borrow_mut().remove(&k);
            out
        });
        self.flights.borrow_mut().insert(key, promise.clone());
        // Marks the flight handled (a background refresh has no awaiting caller) and gives
        // waitUntil a promise that never rejects.
        if let Ok(settled) = call_method(&promise, "catch", &[ignore_rejection()]) {
            if let Some(wait_until) = wait_until {
                let _ = wait_until.call1(&JsValue::UNDEFINED, &settled);
            }
        }
        promise
    }

    /// Refreshes a still-valid token past its `refreshOn`, one refresh per key at a time. A
    /// failure keeps the cached token and postpones the next attempt.
    fn refresh_in_background(self: &Rc<Self>, p: &Prepared, wait_until: Option<Function>) {
        let mut p = p.clone();
        p.bypass_cache = true;
        let me = self.clone();
        let key = format!("refresh|{}", p.key);
        let keep_alive = wait_until.clone();
        if self.flights.borrow().contains_key(&key) {
            return;
        }
        // Nobody awaits a background refresh; `start_flight` already marked it handled.
        let _ = self.start_flight(key, keep_alive.as_ref(), async move {
            me.log(
                "info",
                "token is past refreshOn: refreshing in the background",
            );
            let window = me.read_window(&p);
            let out = me.fetch_token(&p, wait_until.as_ref(), window).await;
            if let Err(e) = &out {
                let retry_after = get(e, "retryAfterMs").as_f64().map(|v| v as u64);
                let now = now_ms(me.now.as_ref()).unwrap_or(0);
                me.core.borrow_mut().defer_refresh(&p, now, retry_after);
                let message = get(e, "message").as_string().unwrap_or_default();
                me.log(
                    "warning",
                    &format!("background refresh failed, serving the cached token: {message}"),
                );
            }
            out
        });
    }

    fn prepare(&self, request: JsValue) -> Result<(Prepared, Option<Function>), Error> {
        const CODE: &str = "invalid_request";
        if !request.is_object() {
            return Err(Error::config(
                CODE,
                "request must be an object: { scopes: [\"https://graph.microsoft.com/.default\"] }",
            ));
        }
        let mut raw: RequestInput<JsHandle> = read(request, "request", CODE)?;
        let wait_until = function(raw.wait_until.take(), "waitUntil", CODE)?;
        let prepared = self.core.borrow().prepare(raw, uuid())?;
        Ok((prepared, wait_until))
    }

    /// The store's entry for `p`, opened; failures and bad values are logged misses.
    async fn read_store(&self, p: &Prepared) -> Option<(CachedToken, Freshness)> {
        let store = self.store.as_ref()?;
        let key = self.core.borrow().store_key(p);
        self.store_keys.borrow_mut().insert(key.clone());
        let value = match store.get(&key).await {
            Ok(v) => v?,
            Err(why) => {
                self.log(
                    "warning",
                    &format!("{why}; asking the identity provider instead"),
                );
                return None;
            }
        };
        let now = now_ms(self.now.as_ref()).ok()?;
        let opened = self.core.borrow_mut().open_stored(p, &value, now);
        match opened {
            Ok(Some(hit)) => {
                self.log("verbose", "token served from cache.store");
                Some(hit)
            }
            Ok(None) => None,
            Err(e) => {
                self.log(
                    "warning",
                    &format!("{}; it will be overwritten", e.describe()),
                );
                None
            }
        }
    }

    /// Asks the identity provider, retrying as the core decides, and caches the token.
    /// `window` is the store's read of the request's `Retry-After` window.
    async fn fetch_token(
        &self,
        p: &Prepared,
        wait_until: Option<&Function>,
        window: impl Future<Output = Option<String>>,
    ) -> Result<JsValue, JsValue> {
        let corr = p.correlation_id.as_str();
        let fail = |e: Error, cause: Option<JsValue>| to_js(&e, Some(corr), cause);
        let window = window.await;
        let started = now_ms(self.now.as_ref()).map_err(|e| fail(e, None))?;
        if let Some(value) = window {
            self.core.borrow_mut().adopt_window(p, &value, started);
        }
        let mut retries = 0;
        loop {
            let (sent_at, outcome) = self.attempt(p, started).await?;
            let (err, cause) = match outcome {
                Ok(token) => {
                    self.log("info", "token acquired from the identity provider");
                    self.store_token(p, &token, sent_at, wait_until);
                    return Ok(self.answer(&token, TokenSource::IdentityProvider, corr, true));
                }
                Err(failed) => failed,
            };
            let now = now_ms(self.now.as_ref()).unwrap_or(sent_at);
            let next = self.core.borrow_mut().after_failure(
                p,
                err,
                retries,
                now.saturating_sub(started),
                now,
                random_u32(),
            );
            match next {
                Ok(wait) => {
                    self.log(
                        "warning",
                        &format!("token request failed; retry {} in {wait} ms", retries + 1),
                    );
                    let (timer, _) = sleep(wait, &JsValue::UNDEFINED);
                    let _ = JsFuture::from(timer).await;
                    retries += 1;
                }
                Err(e) => {
                    self.log("warning", &format!("token request failed: {}", e.message()));
                    let write = self.core.borrow().window_write(p, &e, now);
                    if let Some(write) = write {
                        self.write_store(write, wait_until);
                    }
                    return Err(fail(e, cause));
                }
            }
        }
    }

    /// One token request, unless a `Retry-After` window is open. The outer error (a JS value)
    /// ends the acquisition; the inner one is the attempt's failure, for the retry decision.
    async fn attempt(
        &self,
        p: &Prepared,
        started: u64,
    ) -> Result<(u64, Result<CachedToken, (Error, Option<JsValue>)>), JsValue> {
        let corr = Some(p.correlation_id.as_str());
        let now = now_ms(self.now.as_ref()).map_err(|e| to_js(&e, corr, None))?;
        self.core
            .borrow_mut()
            .check_throttle(p, now)
            .map_err(|e| to_js(&e, corr, None))?;
        let assertion = self.assertion().await.map_err(|e| to_js(&e, corr, None))?;
        let (req, timeout) = {
            let core = self.core.borrow();
            let req = core.token_request(p, assertion.as_ref().map(ClientSecret::secret));
            let elapsed = now.saturating_sub(started);
            (req, core.config().retry.attempt_timeout(elapsed))
        };
        // Lifetimes count from the send, not the receipt: never overestimate a token's life.
        let sent_at = now_ms(self.now.as_ref()).map_err(|e| to_js(&e, corr, None))?;
        let outcome = match send(self.fetch.as_ref(), &req, timeout).await {
            Ok(resp) => self
                .core
                .borrow_mut()
                .complete(p, &resp, sent_at, random_u32())
                .map_err(|e| (e, None)),
            Err(failed) => Err(failed),
        };
        Ok((sent_at, outcome))
    }

    /// Starts reading the `Retry-After` window other isolates may have put into the store.
    fn read_window(&self, p: &Prepared) -> impl Future<Output = Option<String>> {
        let read = self.store.as_ref().map(|store| {
            let key = self.core.borrow().window_key(p);
            store.get(&key)
        });
        let logger = self.logger.clone();
        async move {
            match read?.await {
                Ok(value) => value,
                Err(why) => {
                    log_to(logger.as_ref(), "warning", &why);
                    None
                }
            }
        }
    }

    /// Seals a fresh token and writes it to the store in the background.
    fn store_token(
        &self,
        p: &Prepared,
        token: &CachedToken,
        sent_at: u64,
        wait_until: Option<&Function>,
    ) {
        let mut nonce = [0u8; crate::envelope::NONCE_LEN];
        random_fill(&mut nonce);
        // A repeated AES-GCM nonce would leak the key stream: without randomness, do not store.
        let write = if random_ok() {
            self.core.borrow().seal(p, token, sent_at, nonce)
        } else {
            None
        };
        if let Some(write) = write {
            self.write_store(write, wait_until);
        }
    }

    /// Writes in the background (through `waitUntil` when given): a caller never waits for KV.
    fn write_store(&self, write: StoreWrite, wait_until: Option<&Function>) {
        let Some(store) = &self.store else { return };
        self.store_keys.borrow_mut().insert(write.key.clone());
        let handle = store.clone();
        let logger = self.logger.clone();
        let work = async move {
            if let Err(why) = handle
                .put(&write.key, &write.value, write.ttl_seconds)
                .await
            {
                log_to(
                    logger.as_ref(),
                    "warning",
                    &format!("{why}; the token stays cached in memory"),
                );
            }
            Ok(JsValue::UNDEFINED)
        };
        match wait_until {
            Some(wait_until) => {
                let _ = wait_until.call1(&JsValue::UNDEFINED, &future_to_promise(work));
            }
            None => spawn_local(async move {
                let _ = work.await;
            }),
        }
    }

    /// The result object; a `fresh` token also carries until when memory will serve it.
    fn answer(&self, token: &CachedToken, source: TokenSource, corr: &str, fresh: bool) -> JsValue {
        let until = fresh
            .then(|| self.core.borrow().serve_until(token))
            .flatten();
        result(token, source, corr, until)
    }

    fn log(&self, level: &str, message: &str) {
        log_to(self.logger.as_ref(), level, message);
    }
}

fn log_to(logger: Option<&Function>, level: &str, message: &str) {
    if let Some(logger) = logger {
        // A throwing logger must not fail an acquisition.
        let _ = logger.call3(
            &JsValue::UNDEFINED,
            &level.into(),
            &message.into(),
            &JsValue::FALSE,
        );
    }
}
