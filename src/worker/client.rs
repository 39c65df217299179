//! The Worker's client: one per isolate (keep it in a `thread_local!` or a `OnceCell`), so its
//! memory level and single-flight serve every request the isolate handles. A flight is a
//! promise handed to `ctx.wait_until`, so it completes even when the request that started it
//! has answered; a caller stops following a flight that outlives its deadline (its request
//! ended without `wait_until` and workerd cancelled its fetch) and starts another.

use std::cell::{Cell, RefCell};
use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use js_sys::Promise;
use serde_json::Value;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use worker::kv::KvStore;
use worker::Context;

use crate::cache::{CachedToken, Shared, TokenSource, MEMORY_HIT};
use crate::client::{Answer, Client as Core, Prepared};
use crate::config::{ClientConfig, Environment, RustHandles};
use crate::error::Error;
use crate::flow::{uuid, Acquisition, Level};
use crate::memo::Memo;
use crate::token::{AssertionContext, Request, Token};
use crate::wasm::js::{random_fill, within};
use crate::wasm::webcrypto::RsaSigner;

/// KV keys kept for `clear_cache` at most (the oldest are forgotten).
const MAX_STORE_KEYS: usize = 10_000;

/// How much longer than the deadline a follower waits before calling a flight stalled.
const FOLLOW_MARGIN_MS: u64 = 1000;

pub(super) type AssertionFuture = Pin<Box<dyn Future<Output = Result<String, String>>>>;
type Assertion = Rc<dyn Fn(AssertionContext) -> AssertionFuture>;
type Logger = Rc<dyn Fn(Level, &str)>;

/// Builds a [`Client`] from the JS package's configuration object.
pub struct Builder {
    config: Value,
    kv: Option<KvStore>,
    assertion: Option<Assertion>,
    logger: Option<Logger>,
}

impl Builder {
    /// `cache.store`: the Worker's KV namespace binding (`env.kv("TOKEN_CACHE")?`).
    pub fn kv(mut self, kv: KvStore) -> Self {
        self.kv = Some(kv);
        self
    }

    /// `auth.clientAssertion` as a callback: a signed JWT per token request.
    pub fn assertion<F, Fut>(mut self, callback: F) -> Self
    where
        F: Fn(AssertionContext) -> Fut + 'static,
        Fut: Future<Output = Result<String, String>> + 'static,
    {
        self.assertion = Some(Rc::new(move |ctx| Box::pin(callback(ctx))));
        self
    }

    /// `system.logger`: lines free of secrets, tokens and tenant ids.
    pub fn logger(mut self, logger: impl Fn(Level, &str) + 'static) -> Self {
        self.logger = Some(Rc::new(logger));
        self
    }

    /// Validates the configuration as the JS constructor does, before any network call.
    ///
    /// # Errors
    /// As [`ClientConfig::from_value`]: the JS constructor's codes and messages.
    pub fn build(self) -> Result<Client, Error> {
        let handles = RustHandles {
            store: self.kv.is_some(),
            assertion: self.assertion.is_some(),
        };
        let config = ClientConfig::from_value(self.config, handles, &Environment::default())?;
        let config_bound = config.max_entries;
        let inner = Inner {
            core: RefCell::new(Core::new(config)),
            kv: self.kv,
            assertion: self.assertion,
            logger: self.logger,
            rsa: RsaSigner::default(),
            memo: RefCell::new(Memo::new(config_bound, RandomState::new())),
            flights: RefCell::new(HashMap::new()),
            store_keys: RefCell::new(Vec::new()),
            next_flight: Cell::new(0),
        };
        for note in inner.core.borrow().config().notes.clone() {
            inner.log(Level::Info, &note);
        }
        Ok(Client {
            inner: Rc::new(inner),
        })
    }
}

/// Gets tokens for a workers-rs Worker: `ConfidentialClientApplication` in Rust.
#[derive(Clone)]
pub struct Client {
    inner: Rc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").finish_non_exhaustive()
    }
}

pub(super) struct Inner {
    pub(super) core: RefCell<Core>,
    pub(super) kv: Option<KvStore>,
    pub(super) assertion: Option<Assertion>,
    logger: Option<Logger>,
    pub(super) rsa: RsaSigner,
    /// The core's fresh answers, repeated until their `serve_until` (see [`Memo`]).
    memo: RefCell<Memo<RandomState>>,
    /// In-progress loads and refreshes by flight key; each removes itself.
    flights: RefCell<HashMap<String, Flight>>,
    /// KV keys this client has read or written, for [`Client::clear_cache`].
    store_keys: RefCell<Vec<String>>,
    next_flight: Cell<u64>,
}

/// A flight's outcome: the token, and until when the core repeats it (`Answer::serve_until`).
type Landed = Result<(Token, Option<u64>), Error>;

/// A shared acquisition: `answered` settles once `outcome` is set; it started at `started_ms`.
#[derive(Clone)]
struct Flight {
    id: u64,
    answered: Promise,
    /// Settles after the background work the flight started.
    done: Promise,
    started_ms: u64,
    outcome: Rc<RefCell<Option<Landed>>>,
}

impl Client {
    /// A builder over the JS package's configuration object (`auth`, `cache`, `system`).
    pub fn builder(config: Value) -> Builder {
        Builder {
            config,
            kv: None,
            assertion: None,
            logger: None,
        }
    }

    /// `acquireTokenByClientCredential`: a token from memory, KV, or the identity provider,
    /// shared with the isolate's concurrent callers asking for the same. Pass the request's
    /// `Context`: KV writes and background refreshes then outlive the response.
    ///
    /// # Errors
    /// The [`Error`] JavaScript callers get, with the same code.
    pub async fn acquire(&self, request: &Request, ctx: Option<&Context>) -> Result<Token, Error> {
        let inner = &self.inner;
        if let Some(token) = inner.memo_hit(request) {
            return Ok(token);
        }
        let mut id = [0u8; 16];
        random_fill(&mut id);
        let p = inner.core.borrow().prepare(request.input(), uuid(id))?;
        let hit = inner.core.borrow_mut().hit(&p, now_ms());
        if let Some(answer) = hit {
            inner.log(Level::Verbose, MEMORY_HIT);
            if answer.refresh {
                let _ = inner.refresh_in_background(&p, ctx);
            }
            if let Some(until) = answer.serve_until {
                inner.memoize(request, &p, &answer.token, until);
            }
            return Ok(token(answer, &p));
        }
        let (token, serve_until) = inner.load(&p, ctx).await?;
        // A skipCache or claims answer is the key's newest token in the core too.
        if let Some(until) = serve_until {
            inner.memoize(request, &p, &token.token, until);
        }
        Ok(token)
    }
}

impl Client {
    /// Empties the memory level and deletes the KV entries this client has used, all at once,
    /// within `system.deadlineMs` whatever KV does.
    pub async fn clear_cache(&self) {
        let inner = &self.inner;
        inner.core.borrow_mut().clear_memory();
        inner.memo.borrow_mut().clear();
        let keys = std::mem::take(&mut *inner.store_keys.borrow_mut());
        let Some(kv) = &inner.kv else { return };
        let deadline = inner.core.borrow().config().retry.deadline_ms;
        let deletes = keys.iter().map(|key| kv.delete(key));
        let all = futures_util::future::join_all(deletes);
        match within(all, deadline).await {
            None => inner.log(
                Level::Warning,
                "cache.store did not delete every entry within system.deadlineMs",
            ),
            Some(done) => {
                for e in done.into_iter().filter_map(Result::err) {
                    inner.log(Level::Warning, &format!("cache.store.delete failed: {e}"));
                }
            }
        }
    }
}

impl Inner {
    /// Remembers a KV key for `clear_cache`.
    pub(super) fn note_key(&self, key: &str) {
        let mut keys = self.store_keys.borrow_mut();
        if !keys.iter().any(|k| k == key) {
            if keys.len() >= MAX_STORE_KEYS {
                keys.remove(0);
            }
            keys.push(key.to_owned());
        }
    }

    pub(super) fn log(&self, level: Level, message: &str) {
        if let Some(logger) = &self.logger {
            logger(level, message);
        }
    }

    fn memo_hit(&self, request: &Request) -> Option<Token> {
        if !request.cacheable() {
            return None;
        }
        let token = { self.memo.borrow().get(&request.ask, now_ms())? };
        self.log(Level::Verbose, MEMORY_HIT);
        Some(Token {
            token,
            source: TokenSource::Memory,
            correlation_id: request.correlation_id.as_deref().map(Shared::from),
        })
    }

    fn memoize(&self, request: &Request, p: &Prepared, token: &Shared<CachedToken>, until: u64) {
        self.memo
            .borrow_mut()
            .put(&request.ask, &p.key, token, until);
    }

    /// Follows the flight under `p`'s key, or starts one.
    async fn load(self: &Rc<Self>, p: &Prepared, ctx: Option<&Context>) -> Landed {
        let key = p.flight_key();
        let existing = self.flights.borrow().get(&key).cloned();
        if let Some(flight) = existing {
            if let Some(out) = self.follow(&flight).await {
                return out;
            }
            self.log(
                Level::Warning,
                "a shared token request stalled (the request that started it ended without wait_until); starting a new one",
            );
            let mut flights = self.flights.borrow_mut();
            if flights.get(&key).is_some_and(|f| f.id == flight.id) {
                flights.remove(&key);
            }
        }
        let flight = self.start_flight(key, Acquisition::load(p.clone(), now_ms()), p, ctx);
        let _ = JsFuture::from(flight.answered.clone()).await;
        let outcome = flight.outcome.borrow().clone();
        outcome.unwrap_or_else(|| Err(ended()))
    }

    /// Awaits another caller's flight until its deadline plus a margin; `None` when it stalled.
    async fn follow(&self, flight: &Flight) -> Option<Landed> {
        let deadline = self.core.borrow().config().retry.deadline_ms;
        let ends = flight.started_ms + deadline + FOLLOW_MARGIN_MS;
        within(
            JsFuture::from(flight.answered.clone()),
            ends.saturating_sub(now_ms()),
        )
        .await?
        .ok()?;
        Some(
            flight
                .outcome
                .borrow()
                .clone()
                .unwrap_or_else(|| Err(ended())),
        )
    }

    /// Starts `acquisition` as the flight under `key`. Its answer settles `answered`; the
    /// background work it started (KV writes, a refresh) settles `done` after, which
    /// `ctx.wait_until` keeps alive past the response.
    fn start_flight(
        self: &Rc<Self>,
        key: String,
        acquisition: Acquisition,
        p: &Prepared,
        ctx: Option<&Context>,
    ) -> Flight {
        let id = self.next_flight.get();
        self.next_flight.set(id + 1);
        let outcome = Rc::new(RefCell::new(None));
        let mut settle = None;
        let answered = Promise::new(&mut |resolve, _reject| settle = Some(resolve));
        let (me, slot, k, p) = (self.clone(), outcome.clone(), key.clone(), p.clone());
        let done = future_to_promise(async move {
            let (out, mut background) = me.clone().drive(acquisition).await;
            let out = out.map(|answer| {
                if answer.refresh {
                    background.extend(me.refresh(&p));
                }
                let until = answer.serve_until;
                (token(answer, &p), until)
            });
            *slot.borrow_mut() = Some(out);
            {
                let mut flights = me.flights.borrow_mut();
                if flights.get(&k).is_some_and(|f| f.id == id) {
                    flights.remove(&k);
                }
            }
            if let Some(settle) = settle {
                let _ = settle.call0(&JsValue::UNDEFINED);
            }
            let background: js_sys::Array = background.into_iter().collect();
            let _ = JsFuture::from(Promise::all_settled(&background)).await;
            Ok(JsValue::UNDEFINED)
        });
        keep_alive(&done, ctx);
        let flight = Flight {
            id,
            answered,
            done,
            started_ms: now_ms(),
            outcome,
        };
        self.flights.borrow_mut().insert(key, flight.clone());
        flight
    }

    /// Refreshes a still-valid token past its `refreshOn` in the background, one refresh per
    /// key at a time: the promise of its work, unless one is running already.
    fn refresh(self: &Rc<Self>, p: &Prepared) -> Option<Promise> {
        self.refresh_in_background(p, None)
    }

    fn refresh_in_background(
        self: &Rc<Self>,
        p: &Prepared,
        ctx: Option<&Context>,
    ) -> Option<Promise> {
        let key = format!("refresh|{}", p.key);
        if self.flights.borrow().contains_key(&key) {
            return None;
        }
        // Nobody awaits it: the acquisition logs its outcome.
        let flight = self.start_flight(key, Acquisition::refresh(p.clone(), now_ms()), p, ctx);
        Some(flight.done)
    }
}

/// Hands `work` to `ctx.wait_until` when given; without it, workerd may cancel it when the
/// response is sent (a follower then notices the stall).
fn keep_alive(work: &Promise, ctx: Option<&Context>) {
    if let Some(ctx) = ctx {
        let work = work.clone();
        ctx.wait_until(async move {
            let _ = JsFuture::from(work).await;
        });
    }
}

fn token(answer: Answer, p: &Prepared) -> Token {
    Token {
        token: answer.token,
        source: answer.source,
        correlation_id: Some(p.correlation_id.as_str().into()),
    }
}

fn ended() -> Error {
    Error::network(
        "internal_error",
        "the shared token request ended without an answer",
    )
}

/// The clock: `Date.now()` (workerd advances it across I/O).
pub(super) fn now_ms() -> u64 {
    worker::Date::now().as_millis()
}
