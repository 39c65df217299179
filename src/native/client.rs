//! The native client: one core, its memory level fronted by a memo of the core's fresh answers,
//! and single-flight. Concurrent callers for one key share one flight (a tokio task running one
//! [`Acquisition`] to its end, so a caller that gives up cancels nobody else's wait); a token
//! past `refreshOn` is served at once and refreshed in the background by a flight of its own.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tokio::sync::watch;

use super::sign::RsaSigner;
use super::store::Store;
use crate::cache::{CachedToken, Shared, TokenSource, MEMORY_HIT};
use crate::client::{Answer, Client as Core, Prepared};
use crate::config::{ClientConfig, Environment, RustHandles};
use crate::error::Error;
use crate::flow::{uuid, Acquisition, Level};
use crate::memo::Memo;
use crate::token::{AssertionContext, Request, Token};

pub(super) type AssertionFuture = Pin<Box<dyn Future<Output = Result<String, String>> + Send>>;
pub(super) type Assertion = Arc<dyn Fn(AssertionContext) -> AssertionFuture + Send + Sync>;
pub(super) type Logger = Arc<dyn Fn(Level, &str) + Send + Sync>;

/// Builds a [`Client`] from the JS package's configuration object.
pub struct Builder {
    config: Value,
    store: Option<Arc<dyn Store>>,
    assertion: Option<Assertion>,
    logger: Option<Logger>,
    http: Option<reqwest::Client>,
}

impl Builder {
    /// `cache.store`: a store shared with other clients and processes.
    pub fn store(mut self, store: impl Store) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// `auth.clientAssertion` as a callback: a signed JWT per token request (a managed
    /// identity's federated token, a workload identity file). Its error text is not kept.
    pub fn assertion<F, Fut>(mut self, callback: F) -> Self
    where
        F: Fn(AssertionContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String, String>> + Send + 'static,
    {
        self.assertion = Some(Arc::new(move |ctx| Box::pin(callback(ctx))));
        self
    }

    /// `system.logger`: lines free of secrets, tokens and tenant ids.
    pub fn logger(mut self, logger: impl Fn(Level, &str) + Send + Sync + 'static) -> Self {
        self.logger = Some(Arc::new(logger));
        self
    }

    /// `system.fetch`: the HTTP client token requests go through (a proxy, other roots).
    /// Give it `redirect(reqwest::redirect::Policy::none())`: a token endpoint that redirects
    /// must not get the credential twice. The default client is built so.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Validates the configuration as the JS constructor does, before any network call.
    ///
    /// # Errors
    /// As [`ClientConfig::from_value`]: the JS constructor's codes and messages.
    pub fn build(self) -> Result<Client, Error> {
        let handles = RustHandles {
            store: self.store.is_some(),
            assertion: self.assertion.is_some(),
        };
        let env = Environment {
            region_name: std::env::var("REGION_NAME").ok(),
        };
        let mut core = ClientConfig::from_value(self.config, handles, &env)?;
        core.lease = self.store.as_ref().is_some_and(|s| s.leases());
        let core: Core = Core::new(core);
        let rsa = core
            .rsa_pkcs8()
            .map(|der| RsaSigner::new(&der))
            .transpose()?;
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| {
                    Error::config(
                        "unsupported_runtime",
                        format!("the HTTP client could not be built: {e}"),
                    )
                })?,
        };
        let inner = Inner {
            memo: RwLock::new(Memo::new(core.config().max_entries, MemoHash::seeded())),
            core: Mutex::new(core),
            store: self.store,
            assertion: self.assertion,
            logger: self.logger,
            http,
            rsa,
            flights: Mutex::new(HashMap::new()),
            next_flight: AtomicU64::new(0),
            store_keys: Mutex::new(Vec::new()),
        };
        for note in inner.core().config().notes.clone() {
            inner.log(Level::Info, &note);
        }
        Ok(Client {
            inner: Arc::new(inner),
        })
    }
}

/// Gets tokens for a tokio daemon: `ConfidentialClientApplication` in Rust. Clone it freely:
/// clones share the memory level, the flights and the store.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").finish_non_exhaustive()
    }
}

pub(super) struct Inner {
    core: Mutex<Core>,
    /// The core's fresh answers, repeated until their `serve_until` (see [`Memo`]).
    memo: RwLock<Memo<MemoHash>>,
    pub(super) store: Option<Arc<dyn Store>>,
    pub(super) assertion: Option<Assertion>,
    logger: Option<Logger>,
    pub(super) http: reqwest::Client,
    pub(super) rsa: Option<RsaSigner>,
    /// In-progress loads and refreshes by flight key; each removes itself.
    flights: Mutex<HashMap<String, Flight>>,
    next_flight: AtomicU64,
    /// Store keys this client has read or written, for [`Client::clear_cache`].
    store_keys: Mutex<Vec<String>>,
}

/// A flight's outcome: the token, and until when the core repeats it (`Answer::serve_until`).
type Outcome = Option<Result<(Token, Option<u64>), Error>>;

#[derive(Clone)]
struct Flight {
    id: u64,
    done: watch::Receiver<Outcome>,
}

/// Store keys kept for `clear_cache` at most (the oldest are forgotten).
const MAX_STORE_KEYS: usize = 10_000;

impl Client {
    /// A builder over the JS package's configuration object (`auth`, `cache`, `system`).
    pub fn builder(config: Value) -> Builder {
        Builder {
            config,
            store: None,
            assertion: None,
            logger: None,
            http: None,
        }
    }

    /// `acquireTokenByClientCredential`: a token from memory, the store, or the identity
    /// provider, shared with concurrent callers asking for the same.
    ///
    /// # Errors
    /// The [`Error`] JavaScript callers get, with the same code: a bad request before any
    /// network call, the identity provider's error, or a network failure.
    pub async fn acquire(&self, request: &Request) -> Result<Token, Error> {
        if let Some(token) = self.inner.memo_hit(request) {
            return Ok(token);
        }
        // Boxed: the slow path's future is large, and a hit must not carry (and copy) it.
        Box::pin(self.inner.clone().acquire(request)).await
    }

    /// Empties the memory level and deletes the store entries this client has used.
    pub async fn clear_cache(&self) {
        self.inner.core().clear_memory();
        write(&self.inner.memo).clear();
        let keys = std::mem::take(&mut *lock(&self.inner.store_keys));
        if let Some(store) = &self.inner.store {
            let deadline = self.inner.core().config().retry.deadline_ms;
            let deletes = keys.iter().map(|key| store.delete(key));
            let all = async {
                for delete in deletes {
                    if let Err(why) = delete.await {
                        self.inner.log(Level::Warning, &why);
                    }
                }
            };
            if tokio::time::timeout(std::time::Duration::from_millis(deadline), all)
                .await
                .is_err()
            {
                self.inner.log(
                    Level::Warning,
                    "cache.store did not delete every entry within system.deadlineMs",
                );
            }
        }
    }

    /// The admin-consent URL for this app on its authority's cloud; `None` off Entra.
    pub fn consent_url(&self) -> Option<String> {
        let core = self.inner.core();
        core.config()
            .authority
            .consent_url(&core.config().client_id)
    }
}

impl Inner {
    pub(super) fn core(&self) -> MutexGuard<'_, Core> {
        lock(&self.core)
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
        let now = now_ms();
        let token = { read(&self.memo).get(&request.ask, now)? };
        self.log(Level::Verbose, MEMORY_HIT);
        Some(Token {
            token,
            source: TokenSource::Memory,
            correlation_id: request.correlation_id.as_deref().map(Shared::from),
        })
    }

    async fn acquire(self: Arc<Self>, request: &Request) -> Result<Token, Error> {
        let mut id = [0u8; 16];
        // Without randomness the id is still well-formed; it only correlates less well.
        let _ = getrandom::fill(&mut id);
        let p = self.core().prepare(request.input(), uuid(id))?;
        let now = now_ms();
        let hit = self.core().hit(&p, now);
        if let Some(answer) = hit {
            self.log(Level::Verbose, MEMORY_HIT);
            return Ok(self.answered(answer, &p, request));
        }
        let (token, serve_until) = self.load(&p).await?;
        // A skipCache or claims answer is the key's newest token in the core too.
        if let Some(until) = serve_until {
            self.memoize(request, &p, &token.token, until);
        }
        Ok(token)
    }

    /// The caller's token for an answer of the core, starting its background refresh.
    fn answered(self: &Arc<Self>, answer: Answer, p: &Prepared, request: &Request) -> Token {
        if answer.refresh {
            self.refresh_in_background(p);
        }
        if let Some(until) = answer.serve_until {
            self.memoize(request, p, &answer.token, until);
        }
        Token {
            token: answer.token,
            source: answer.source,
            correlation_id: Some(Shared::from(p.correlation_id.as_str())),
        }
    }

    fn memoize(&self, request: &Request, p: &Prepared, token: &Shared<CachedToken>, until: u64) {
        write(&self.memo).put(&request.ask, &p.key, token, until);
    }

    /// Follows the flight under `p`'s key, or starts one.
    async fn load(self: &Arc<Self>, p: &Prepared) -> Result<(Token, Option<u64>), Error> {
        let flight = {
            let existing = lock(&self.flights).get(&p.flight_key()).cloned();
            match existing {
                Some(flight) => flight,
                None => {
                    let acquisition = Acquisition::load(p.clone(), now_ms());
                    self.start_flight(p.flight_key(), acquisition, p)
                }
            }
        };
        let mut done = flight.done;
        let outcome = done.wait_for(Option::is_some).await;
        match outcome.as_deref() {
            Ok(Some(outcome)) => outcome.clone(),
            // The flight's task ended without an answer (it panicked): its guard removed it.
            _ => Err(Error::network(
                "internal_error",
                "the shared token request ended without an answer",
            )),
        }
    }

    /// Starts `acquisition` as the flight under `key` (replacing none: the caller checked).
    fn start_flight(
        self: &Arc<Self>,
        key: String,
        acquisition: Acquisition,
        p: &Prepared,
    ) -> Flight {
        let id = self.next_flight.fetch_add(1, Ordering::Relaxed);
        let (tx, done) = watch::channel(None);
        let flight = Flight { id, done };
        let mut flights = lock(&self.flights);
        if let Some(running) = flights.get(&key) {
            return running.clone();
        }
        flights.insert(key.clone(), flight.clone());
        drop(flights);
        let me = self.clone();
        let p = p.clone();
        tokio::spawn(async move {
            let guard = FlightGuard {
                inner: me.clone(),
                key,
                id,
            };
            let out = me.clone().drive(acquisition).await.map(|answer| {
                if answer.refresh {
                    me.refresh_in_background(&p);
                }
                let token = Token {
                    token: answer.token,
                    source: answer.source,
                    correlation_id: Some(Shared::from(p.correlation_id.as_str())),
                };
                (token, answer.serve_until)
            });
            drop(guard);
            let _ = tx.send(Some(out));
        });
        flight
    }

    /// Refreshes a still-valid token past its `refreshOn`, one refresh per key at a time.
    fn refresh_in_background(self: &Arc<Self>, p: &Prepared) {
        let key = format!("refresh|{}", p.key);
        if lock(&self.flights).contains_key(&key) {
            return;
        }
        let acquisition = Acquisition::refresh(p.clone(), now_ms());
        // Nobody awaits it: its outcome is logged by the acquisition.
        let _ = self.start_flight(key, acquisition, p);
    }

    /// Remembers a store key for `clear_cache`.
    pub(super) fn note_key(&self, key: &str) {
        let mut keys = lock(&self.store_keys);
        if !keys.iter().any(|k| k == key) {
            if keys.len() >= MAX_STORE_KEYS {
                keys.remove(0);
            }
            keys.push(key.to_owned());
        }
    }
}

/// Removes its flight when the flight's task ends, however it ends (a panic included), so the
/// next caller starts a new one instead of following a dead one.
struct FlightGuard {
    inner: Arc<Inner>,
    key: String,
    id: u64,
}

impl Drop for FlightGuard {
    fn drop(&mut self) {
        let mut flights = lock(&self.inner.flights);
        if flights.get(&self.key).is_some_and(|f| f.id == self.id) {
            flights.remove(&self.key);
        }
    }
}

/// The memo's hash: a word at a time (SipHash costs a third of a memory hit), keyed per client
/// from the OS's randomness so a caller choosing tenant names cannot aim at one bucket; the memo
/// is bounded by `cache.maxEntries` in any case.
#[derive(Clone)]
struct MemoHash(u64);

impl MemoHash {
    fn seeded() -> Self {
        let mut seed = [0u8; 8];
        let _ = getrandom::fill(&mut seed);
        MemoHash(u64::from_le_bytes(seed))
    }
}

impl std::hash::BuildHasher for MemoHash {
    type Hasher = WordHasher;
    fn build_hasher(&self) -> WordHasher {
        WordHasher(self.0)
    }
}

struct WordHasher(u64);

impl WordHasher {
    fn mix(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl std::hash::Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
        let mut last = [0u8; 8];
        last[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        self.mix(u64::from_le_bytes(last) ^ (bytes.len() as u64) << 56);
    }

    fn finish(&self) -> u64 {
        // A last avalanche: the table uses the low bits.
        let x = self.0 ^ (self.0 >> 29);
        x.wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ (x >> 32)
    }
}

/// The clock: ms since the epoch.
pub(super) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A lock whose holder panicked still guards consistent data: every critical section here
/// leaves it whole.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn read<T>(m: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(m: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(PoisonError::into_inner)
}
