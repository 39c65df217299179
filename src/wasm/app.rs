//! The exported client. Concurrent callers for one key share one flight (single-flight): a
//! promise that runs one [`Acquisition`] to its end; a token past `refreshOn` is served at once
//! and refreshed in the background by a flight of its own.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::rc::Rc;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

use super::cipher::Cipher;
use super::errors::to_js;
use super::exports::result;
use super::js::{get, now_ms, random_fill, within, within_js};
use super::log::{Log, MEMORY_HIT};
use super::network::NetworkClient;
use super::source::{function, read, JsHandle};
use super::store::{Store, StoreKeys};
use super::task::{promise, settled_of, spawn};
use super::token::JsToken;
use super::webcrypto::RsaSigner;
use crate::cache::TokenSource;
use crate::client::{Client, Prepared};
use crate::config::{ClientConfig, Environment};
use crate::error::Error;
use crate::flow::{uuid, Acquisition, Level};
use crate::input::{ConfigInput, RequestInput};

/// How much longer than the deadline a follower waits before calling a flight stalled.
const FOLLOW_MARGIN_MS: u64 = 1000;

/// The wasm side of `ConfidentialClientApplication`.
#[wasm_bindgen]
pub struct WasmClient {
    pub(super) inner: Rc<Inner>,
}

pub(super) struct Inner {
    pub(super) core: RefCell<Client<JsToken>>,
    pub(super) store: Option<Store>,
    /// The runtime's AES-GCM for the store's envelopes (inert without a store).
    pub(super) cipher: Cipher,
    pub(super) fetch: Option<Function>,
    /// msal's `INetworkModule`, in place of `fetch`.
    pub(super) network: Option<NetworkClient>,
    now: Option<Function>,
    pub(super) log: Log,
    pub(super) assertion: Option<Function>,
    /// `auth.managedIdentity.readFile`: Azure Arc's key file (Node).
    pub(super) read_file: Option<Function>,
    pub(super) rsa: RsaSigner,
    /// In-progress loads and background refreshes by flight key; each removes itself.
    flights: RefCell<HashMap<String, Flight>>,
    next_flight: Cell<u64>,
    /// Store keys this app has read or written, for `clearCache`.
    pub(super) store_keys: RefCell<StoreKeys>,
    /// Requests as prepared, by the JS layer's key: reading a request through serde and
    /// hashing its cache key was about a tenth of a workerd store hit (issue 24).
    prepared: RefCell<HashMap<String, Prepared>>,
}

// In one call: the flight marked handled (a background refresh has no awaiting caller), and a
// promise of it that never rejects given to waitUntil (which must not fail the acquisition).
#[wasm_bindgen(inline_js = "
export function hand_off(flight, waitUntil) {
  const settled = flight.catch(() => {});
  if (waitUntil !== undefined) try { waitUntil(settled); } catch {}
}
")]
extern "C" {
    fn hand_off(flight: &Promise, wait_until: Option<&Function>);
}

/// Requests kept prepared; past it the map starts over (a miss only prepares again).
const MAX_PREPARED: usize = 4096;

/// A shared acquisition: its promise, and when it started (its deadline counts from there).
#[derive(Clone)]
struct Flight {
    id: u64,
    promise: Promise,
    started_ms: u64,
}

#[wasm_bindgen]
impl WasmClient {
    /// Validates `config`; throws a configuration error object on bad input. `cipher` makes
    /// the runtime's AES-GCM for the store from the sealing key (see `cipher.rs`).
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue, cipher: JsValue) -> Result<WasmClient, JsValue> {
        Inner::new(config, cipher)
            .map(|inner| WasmClient {
                inner: Rc::new(inner),
            })
            .map_err(|e| to_js(&e, None, None))
    }

    /// `acquireTokenByClientCredential`: resolves to a result object, rejects with an error
    /// object. `prepared_key` is the JS layer's key for a request made only of scopes, the tenant
    /// choice, waitUntil and skipCache: the same key always prepares the same way, so that is
    /// done once.
    pub fn acquire(&self, request: JsValue, prepared_key: Option<String>) -> Promise {
        self.inner
            .clone()
            .acquire(request, prepared_key)
            .unwrap_or_else(|e| Promise::reject(&e))
    }

    /// The admin-consent URL for this app on its authority's cloud; `undefined` off Entra.
    #[wasm_bindgen(js_name = consentUrl)]
    pub fn consent_url(&self) -> Option<String> {
        let core = self.inner.core.borrow();
        core.config()
            .authority
            .consent_url(&core.config().client_id)
    }

    /// Drops the memory entry under `key` (an answer's key), which the JS layer evicted from
    /// its copy: both levels stay bounded alike.
    pub fn forget(&self, key: &str) {
        self.inner.core.borrow_mut().forget(key);
    }

    /// Empties the memory level and deletes the store entries this app has used, all at once,
    /// within `system.deadlineMs` whatever the store does (issue 20.7).
    #[wasm_bindgen(js_name = clearCache)]
    pub fn clear_cache(&self) -> Promise {
        self.inner.core.borrow_mut().clear_memory();
        let keys = self.inner.store_keys.borrow_mut().drain();
        let Some(store) = &self.inner.store else {
            return Promise::resolve(&JsValue::UNDEFINED);
        };
        let within_ms = self.inner.core.borrow().config().retry.deadline_ms;
        let deletes: js_sys::Array = keys
            .into_iter()
            .map(|key| {
                let (store, log) = (store.clone(), self.inner.log.clone());
                JsValue::from(promise(async move {
                    match within(store.delete(&key), within_ms).await {
                        Some(Ok(())) => {}
                        Some(Err(why)) => log.line(Level::Warning, &why),
                        None => log.line(
                            Level::Warning,
                            &format!("cache.store.delete did not answer within {within_ms} ms (system.deadlineMs); the entry expires by itself"),
                        ),
                    }
                    Ok(JsValue::UNDEFINED)
                }))
            })
            .collect();
        Promise::all(&deletes)
    }

    /// Logs `message` (an option accepted that changes nothing, found by the JS layer) as the
    /// core's own configuration notes are logged.
    pub fn note(&self, message: &str) {
        self.inner.log(Level::Info, message);
    }

    /// Logs `message` at Warning: something the JS layer saw that costs the app (its memory
    /// bound evicting tokens still valid), said once.
    pub fn warn(&self, message: &str) {
        self.inner.log(Level::Warning, message);
    }

    /// The memory-hit log line as a function of no arguments, or `undefined` when the
    /// configured logger does not take such lines: the JS layer's hits log as the core's do.
    #[wasm_bindgen(js_name = memoryHitLogger)]
    pub fn memory_hit_logger(&self) -> Option<Function> {
        self.inner.log.memory_hit()
    }

    /// `cache.maxEntries` as the core applies it: the JS layer's copy is bounded the same.
    #[wasm_bindgen(getter, js_name = maxEntries)]
    pub fn max_entries(&self) -> usize {
        self.inner.core.borrow().config().max_entries
    }
}

impl Inner {
    fn new(config: JsValue, cipher: JsValue) -> Result<Self, Error> {
        const CODE: &str = "invalid_config";
        if !config.is_object() {
            return Err(Error::config(
                CODE,
                "config must be an object: { auth: { clientId, authority, clientSecret } }",
            ));
        }
        let input: ConfigInput<JsHandle> = read(config, "config", CODE)?;
        let env = Environment {
            region_name: get(
                &get(&get(&js_sys::global(), "process"), "env"),
                "REGION_NAME",
            )
            .as_string(),
        };
        let (mut core, handles) = ClientConfig::from_input(input, &env)?;
        let store = handles.store.map(Store::new).transpose()?;
        core.lease = store.as_ref().is_some_and(Store::leases);
        let log = match handles.logger {
            None => Log::default(),
            Some(logger) => {
                let path = if logger.max_level.is_some() {
                    "system.loggerOptions.loggerCallback"
                } else {
                    "system.logger"
                };
                Log::new(
                    function(Some(logger.callback), path, CODE)?,
                    logger.max_level,
                )
            }
        };
        for note in &core.notes {
            log.line(Level::Info, note);
        }
        let core = Client::new(core);
        let cipher = Cipher::new(&cipher, core.sealing_key())?;
        Ok(Inner {
            core: RefCell::new(core),
            store,
            cipher,
            fetch: function(handles.fetch, "system.fetch", CODE)?,
            network: handles.network_client.map(NetworkClient::new).transpose()?,
            now: function(handles.now, "system.now", CODE)?,
            log,
            assertion: function(handles.assertion, "auth.clientAssertion", CODE)?,
            read_file: function(handles.read_file, "auth.managedIdentity.readFile", CODE)?,
            rsa: RsaSigner::default(),
            flights: RefCell::new(HashMap::new()),
            next_flight: Cell::new(0),
            store_keys: RefCell::new(StoreKeys::default()),
            prepared: RefCell::new(HashMap::new()),
        })
    }

    /// A memory hit answers at once; the first caller of a load is served by the flight it
    /// starts (no future of its own around it); later callers follow it.
    fn acquire(
        self: Rc<Self>,
        request: JsValue,
        prepared_key: Option<String>,
    ) -> Result<Promise, JsValue> {
        let (p, wait_until) = self
            .prepare(request, prepared_key)
            .map_err(|e| to_js(&e, None, None))?;
        let now = self
            .now_ms()
            .map_err(|e| to_js(&e, Some(&p.correlation_id), None))?;
        let hit = self.core.borrow_mut().hit(&p, now);
        if let Some(answer) = hit {
            self.log(Level::Verbose, MEMORY_HIT);
            if answer.refresh {
                self.refresh_in_background(&p, wait_until);
            }
            return Ok(Promise::resolve(&result(
                &answer,
                &p.key,
                &p.correlation_id,
                None,
            )));
        }
        let key = p.flight_key();
        let flying = self.flights.borrow().contains_key(&key);
        if !flying {
            return Ok(self.start_load(key, &p, now, wait_until, true));
        }
        Ok(promise(async move {
            let out = self.load(&p, wait_until).await;
            if let Ok(r) = &out {
                self.served(r);
            }
            out
        }))
    }

    /// Counts what one caller was served (the callers of one flight each got a result).
    fn served(&self, r: &JsValue) {
        let source = match get(r, "tokenSource").as_string().as_deref() {
            Some("memory") => TokenSource::Memory,
            Some("store") => TokenSource::Store,
            _ => TokenSource::IdentityProvider,
        };
        self.core.borrow_mut().stats_mut().served(source);
    }

    fn prepare(
        &self,
        request: JsValue,
        prepared_key: Option<String>,
    ) -> Result<(Prepared, Option<Function>), Error> {
        const CODE: &str = "invalid_request";
        let mut id = [0u8; 16];
        // Without randomness the id is still well-formed; it only correlates less well.
        random_fill(&mut id);
        if let Some(known) = prepared_key
            .as_ref()
            .and_then(|k| self.prepared.borrow().get(k).cloned())
        {
            // Such a request's waitUntil is a function or absent (the JS layer checked).
            let wait_until = get(&request, "waitUntil").dyn_into::<Function>().ok();
            return Ok((
                Prepared {
                    correlation_id: uuid(id),
                    ..known
                },
                wait_until,
            ));
        }
        if !request.is_object() {
            return Err(Error::config(
                CODE,
                "request must be an object: { scopes: [\"https://graph.microsoft.com/.default\"] }",
            ));
        }
        let mut raw: RequestInput<JsHandle> = read(request, "request", CODE)?;
        let wait_until = function(raw.wait_until.take(), "waitUntil", CODE)?;
        let prepared = self.core.borrow().prepare(raw, uuid(id))?;
        if let Some(key) = prepared_key {
            let mut known = self.prepared.borrow_mut();
            if known.len() >= MAX_PREPARED {
                known.clear();
            }
            known.insert(key, prepared.clone());
        }
        Ok((prepared, wait_until))
    }

    /// The caller's share of a load: follows the flight under its key, or starts one.
    pub(super) async fn load(
        self: &Rc<Self>,
        p: &Prepared,
        wait_until: Option<Function>,
    ) -> Result<JsValue, JsValue> {
        let key = p.flight_key();
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
                Level::Warning,
                "a shared token request stalled (the request that started it ended without waitUntil); starting a new one",
            );
            let mut flights = self.flights.borrow_mut();
            if flights.get(&key).is_some_and(|f| f.id == flight.id) {
                flights.remove(&key);
            }
        }
        let now = self
            .now_ms()
            .map_err(|e| to_js(&e, Some(&p.correlation_id), None))?;
        settled_of(&self.start_load(key, p, now, wait_until, false)).await
    }

    /// Starts the load flight for `p`; with `serves`, it counts what its starter is served.
    fn start_load(
        self: &Rc<Self>,
        key: String,
        p: &Prepared,
        now: u64,
        wait_until: Option<Function>,
        serves: bool,
    ) -> Promise {
        let acquisition = Acquisition::load(p.clone(), now);
        let me = self.clone();
        let keep_alive = wait_until.clone();
        self.start_flight(key, now, keep_alive.as_ref(), async move {
            let out = me.clone().drive(acquisition, wait_until).await;
            if let (true, Ok(r)) = (serves, &out) {
                me.served(r);
            }
            out
        })
    }

    /// Awaits another caller's flight, but not forever: in workerd a flight whose request
    /// ended without `waitUntil` never settles and the runtime reports nothing. `None` means
    /// it stalled past the time a live one needs: its deadline, counted from its start, plus a
    /// margin.
    async fn follow(&self, flight: &Flight) -> Option<Result<JsValue, JsValue>> {
        let deadline = self.core.borrow().config().retry.deadline_ms;
        let now = self.now_ms().unwrap_or(flight.started_ms);
        let ends = flight.started_ms + deadline + FOLLOW_MARGIN_MS;
        within_js(flight.promise.clone().into(), ends.saturating_sub(now)).await
    }

    /// Starts `work` as the flight under `key`. The flight is handed to `waitUntil` so that,
    /// in Workers, it completes even if the request that started it finishes first. It removes
    /// itself when it settles, and only itself: a follower may have replaced it meanwhile.
    pub(super) fn start_flight<F>(
        self: &Rc<Self>,
        key: String,
        started_ms: u64,
        wait_until: Option<&Function>,
        work: F,
    ) -> Promise
    where
        F: Future<Output = Result<JsValue, JsValue>> + 'static,
    {
        let id = self.next_flight.get();
        self.next_flight.set(id + 1);
        let me = self.clone();
        let k = key.clone();
        let task = spawn(async move {
            let out = work.await;
            let mut flights = me.flights.borrow_mut();
            if flights.get(&k).is_some_and(|f| f.id == id) {
                flights.remove(&k);
            }
            out
        });
        let promise = task.promise.clone();
        self.flights.borrow_mut().insert(
            key,
            Flight {
                id,
                promise: promise.clone(),
                started_ms,
            },
        );
        hand_off(&promise, wait_until);
        // Started once recorded: work that ends at once still finds its flight to remove.
        task.start()
    }

    /// The promise of the flight under `key`, if one is running.
    pub(super) fn flight(&self, key: &str) -> Option<Promise> {
        self.flights.borrow().get(key).map(|f| f.promise.clone())
    }

    /// Refreshes a still-valid token past its `refreshOn`, one refresh per key at a time.
    pub(super) fn refresh_in_background(
        self: &Rc<Self>,
        p: &Prepared,
        wait_until: Option<Function>,
    ) {
        let key = format!("refresh|{}", p.key);
        if self.flights.borrow().contains_key(&key) {
            return;
        }
        let Ok(now) = self.now_ms() else { return };
        let acquisition = Acquisition::refresh(p.clone(), now);
        let me = self.clone();
        let keep_alive = wait_until.clone();
        // Nobody awaits a background refresh; `start_flight` marks it handled.
        let _ = self.start_flight(key, now, keep_alive.as_ref(), async move {
            me.drive(acquisition, wait_until).await
        });
    }

    /// The clock: `system.now()` when configured, else `Date.now()`.
    pub(super) fn now_ms(&self) -> Result<u64, Error> {
        now_ms(self.now.as_ref())
    }

    pub(super) fn log(&self, level: Level, message: &str) {
        self.log.line(level, message);
    }
}
