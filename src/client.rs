//! The core of one `ConfidentialClientApplication`: its validated configuration, the memory
//! level, the `Retry-After` windows and the sealing key, and the policy steps an acquisition is
//! made of (prepare, look up, receive, decide after a failure, seal, open). The order of those
//! steps is [`crate::flow::Acquisition`]'s.

use std::cell::Cell;
use std::collections::HashMap;

use crate::authority::Target;
use crate::cache::{
    cache_key, capability_material, CachedToken, Freshness, MemoryCache, Shared, TokenSource,
};
use crate::claims::merge_claims;
use crate::config::{ClientConfig, Credential};
use crate::credential::JwsAlg;
use crate::envelope::{self, OpenError, Plain, SealingKey, NONCE_LEN};
use crate::error::{Error, ServerDetails};
use crate::input::RequestInput;
use crate::managed_identity;
use crate::outcome;
use crate::request::{token_request, HttpRequest, TokenRequestInput};
use crate::response::{parse_token_response, HttpResponse};
use crate::retry::Next;
use crate::scope::Scopes;
use crate::secret::{AccessToken, ClientSecret, TokenText};
use crate::stats::Stats;

/// A validated request.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Cache key (hex SHA-256).
    pub key: String,
    /// Its tenant, token endpoint and assertion audience.
    pub target: Target,
    /// Validated scopes.
    pub scopes: Scopes,
    /// The `claims` parameter to send, merged with client capabilities.
    pub claims: Option<String>,
    /// Skip the cache lookup: `skipCache`, or a claims challenge.
    pub bypass_cache: bool,
    /// The `client-request-id`.
    pub correlation_id: String,
}

impl Prepared {
    /// The token endpoint's host, as telemetry names the server (`server.address`): never a
    /// tenant, which sits in the path.
    pub fn server_address(&self) -> &str {
        let url = &self.target.token_endpoint;
        let rest = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        match authority.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default(),
            None => authority.split(':').next().unwrap_or_default(),
        }
    }

    /// The key of the in-flight load this request may share with others (the shell's
    /// single-flight). Claims requests never share one with plain requests (the tokens differ),
    /// nor `skipCache` requests with loads that may answer from the store.
    pub fn flight_key(&self) -> String {
        // Made for every acquisition that is no memory hit: pushed, not `format!`ted.
        let claims = self.claims.as_deref().unwrap_or_default();
        let mut key = String::with_capacity(self.key.len() + claims.len() + 12);
        key.push_str("load|");
        key.push_str(&self.key);
        key.push_str(if self.bypass_cache {
            "|true|"
        } else {
            "|false|"
        });
        key.push_str(claims);
        key
    }
}

/// A token, shared with the memory level, and how it may be used now.
pub type Held<T> = (Shared<CachedToken<T>>, Freshness);

/// An entry to seal and put into the store: the driver seals `plain` for `key` with `nonce`
/// (with the runtime's cipher, or [`Client::sealed_value`]).
#[derive(Debug)]
pub struct StoreWrite {
    /// Store key (`cache.keyPrefix` + hex hash), also the associated data.
    pub key: String,
    /// The payload.
    pub plain: Plain,
    /// A fresh AES-GCM nonce.
    pub nonce: [u8; NONCE_LEN],
    /// KV `expirationTtl`, seconds, at least 60.
    pub ttl_seconds: u64,
}

/// What an acquisition answers: a token, where it came from, and what the shell does next.
#[derive(Debug, Clone)]
pub struct Answer<T = AccessToken> {
    /// The token, shared with the memory level.
    pub token: Shared<CachedToken<T>>,
    /// Where it came from.
    pub source: TokenSource,
    /// Until when the memory level gives the same answer (the JS layer repeats it until then);
    /// `None` for an answer that is not fresh, or without a memory level.
    pub serve_until: Option<u64>,
    /// The token is past `refreshOn`: the shell starts a background refresh.
    pub refresh: bool,
}

/// After a failed background refresh, the next one waits at least this long.
const REFRESH_RETRY_MS: u64 = 30_000;
/// Stale-if-error serves a token only while it has at least this much life left.
const STALE_MIN_REMAINING_MS: u64 = 30_000;
/// Windows kept at most; past it, closed ones are dropped, then the ones ending first.
const MAX_WINDOWS: usize = 10_000;
/// How much longer than one attempt's timeout a lease lives.
const LEASE_MARGIN_MS: u64 = 1000;
/// After a store step fails, every acquisition skips the store for this long; then the next
/// one tries it again (and closes the breaker when it answers).
pub const STORE_COOLDOWN_MS: u64 = 30_000;

/// The core of one `ConfidentialClientApplication`: validated config plus the memory level.
#[derive(Debug)]
pub struct Client<T = AccessToken> {
    config: ClientConfig,
    memory: MemoryCache<T>,
    sealing: Option<SealingKey>,
    /// Per cache key: no token request before this time (the server's `Retry-After`).
    throttled_until: HashMap<String, u64>,
    /// While set, the store failed recently and is skipped until then (a circuit breaker).
    store_down_until: Option<u64>,
    /// The `claims` parameter of a request without its own claims: the client capabilities
    /// alone, merged once instead of on every call.
    capability_claims: Option<String>,
    /// The client capabilities as the cache key hashes them, sorted and joined once.
    capability_key: String,
    /// A managed-identity endpoint has answered this client at least once: from then on, a
    /// network failure is an outage to retry, not a sign that there is no endpoint here.
    endpoint_answered: Cell<bool>,
    /// `cache.keepWarm` as requests (their correlation ids are replaced per refresh).
    keep_warm: Vec<Prepared>,
    /// What the cache did (`stats()`).
    stats: Stats,
}

/// What a scheduled refresh (`refreshDue`) does, key by key.
#[derive(Debug, Default)]
pub struct Due {
    /// `cache.keepWarm` entries the memory level does not hold: loaded (store first), then
    /// renewed when due.
    pub load: Vec<Prepared>,
    /// Held tokens that stop being fresh within the window: renewed.
    pub refresh: Vec<Prepared>,
    /// Held tokens that stay fresh past the window.
    pub skipped: u64,
}

impl<T: TokenText> Client<T> {
    /// Wraps a validated config, deriving the store's sealing key when a store is configured.
    pub fn new(config: ClientConfig) -> Self {
        let sealing = config.store.then(|| {
            let material = match (&config.encryption_key, &config.credential) {
                (Some(k), _) => k.secret().as_bytes().to_vec(),
                (None, Credential::Secret { secret, .. })
                | (None, Credential::StaticAssertion(secret)) => {
                    secret.secret().as_bytes().to_vec()
                }
                (None, Credential::Certificate(cert)) => cert.key_material(),
                // Config validation requires cache.encryptionKey here; this keeps the match total.
                (None, Credential::AssertionCallback | Credential::ManagedIdentity(_)) => {
                    config.client_id.as_bytes().to_vec()
                }
            };
            SealingKey::derive(&material, &config.client_id)
        });
        // Without a claims challenge there is nothing to reject: this cannot fail.
        let capability_claims = merge_claims(None, &config.client_capabilities).unwrap_or(None);
        let capability_key = capability_material(&config.client_capabilities);
        let keep_warm = config
            .keep_warm
            .iter()
            .map(|(target, scopes)| Prepared {
                key: cache_key(target, &config.client_id, &capability_key, scopes),
                target: target.clone(),
                scopes: scopes.clone(),
                claims: capability_claims.clone(),
                bypass_cache: false,
                correlation_id: String::new(),
            })
            .collect();
        Client {
            memory: MemoryCache::new(config.max_entries),
            capability_key,
            keep_warm,
            stats: Stats::default(),
            capability_claims,
            config,
            sealing,
            throttled_until: HashMap::new(),
            store_down_until: None,
            endpoint_answered: Cell::new(false),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Validates a request. `fresh_correlation_id` is used when the caller gave none.
    ///
    /// # Errors
    /// `empty_scopes`, `invalid_scope`, `invalid_request` (claims or correlation id malformed).
    pub fn prepare<H>(
        &self,
        raw: RequestInput<H>,
        fresh_correlation_id: String,
    ) -> Result<Prepared, Error> {
        let scopes = Scopes::parse(
            raw.scopes.as_deref().unwrap_or_default(),
            self.config.authority.is_entra(),
        )?;
        if let Credential::ManagedIdentity(_) = &self.config.credential {
            managed_identity::resource(&scopes)?;
        }
        let correlation_id = match raw.correlation_id {
            Some(id) if id.is_empty() || id.len() > 128 || !id.chars().all(|c| c.is_ascii_graphic()) => {
                return Err(Error::config(
                    "invalid_request",
                    "correlationId must be 1 to 128 visible ASCII characters (it is sent as the client-request-id header), e.g. a UUID",
                ))
            }
            Some(id) => id,
            None => fresh_correlation_id,
        };
        let user_claims = raw.claims.filter(|c| !c.trim().is_empty());
        let bypass_cache = raw.skip_cache.unwrap_or(false) || user_claims.is_some();
        let claims = match user_claims.as_deref() {
            Some(claims) => merge_claims(Some(claims), &self.config.client_capabilities)?,
            None => self.capability_claims.clone(),
        };
        let config = &self.config;
        let target = config.request_target(
            raw.tenant_id.as_deref(),
            raw.authority.as_deref(),
            raw.azure_region.as_deref(),
        )?;
        Ok(Prepared {
            key: cache_key(&target, &config.client_id, &self.capability_key, &scopes),
            target,
            scopes,
            claims,
            bypass_cache,
            correlation_id,
        })
    }

    /// The memory level's answer at `now_ms`, unless the request bypasses the cache.
    pub fn lookup(&mut self, p: &Prepared, now_ms: u64) -> Option<Held<T>> {
        if p.bypass_cache || !self.config.memory {
            return None;
        }
        self.memory
            .get(&p.key, now_ms, self.config.expiry_buffer_ms)
    }

    /// The memory level's answer, as the shell serves it: a memory hit, maybe with a refresh due.
    pub fn hit(&mut self, p: &Prepared, now_ms: u64) -> Option<Answer<T>> {
        let (token, freshness) = self.lookup(p, now_ms)?;
        self.stats.served(TokenSource::Memory);
        Some(self.answer(token, TokenSource::Memory, freshness))
    }

    /// The counters, with the memory level's size and evictions as they are now.
    pub fn stats(&self) -> Stats {
        let mut stats = self.stats;
        stats.memory_evictions = self.memory.evictions();
        stats.cached_keys = self.memory.len() as u64;
        stats
    }

    /// The counters, for the steps (the machine's and the shell's) that count.
    pub fn stats_mut(&mut self) -> &mut Stats {
        &mut self.stats
    }

    /// What a scheduled refresh at `now_ms` renews: every token that stops being fresh by
    /// `now_ms + within_ms`, and the `cache.keepWarm` keys not held. Each request gets a
    /// correlation id from `correlation_id`. A held token is renewed as the request that got
    /// it (its scopes and tenant; the app's region and capabilities).
    pub fn due(
        &self,
        now_ms: u64,
        within_ms: u64,
        mut correlation_id: impl FnMut() -> String,
    ) -> Due {
        let mut due = Due::default();
        let by_ms = now_ms.saturating_add(within_ms);
        let buffer_ms = self.config.expiry_buffer_ms;
        let mut renewed = 0u64;
        for (key, token) in self.memory.due(now_ms, by_ms, buffer_ms) {
            renewed += 1;
            if let Some(p) = self.renewal(key, token, correlation_id()) {
                due.refresh.push(p);
            }
        }
        due.skipped = (self.memory.len() as u64).saturating_sub(renewed);
        for (i, p) in self.keep_warm.iter().enumerate() {
            // An entry listed twice (two spellings of one tenant) is loaded once.
            let repeated = self.keep_warm[..i].iter().any(|q| q.key == p.key);
            if !repeated && !self.memory.contains(&p.key) {
                due.load.push(Prepared {
                    correlation_id: correlation_id(),
                    ..p.clone()
                });
            }
        }
        due
    }

    /// The request that renews `token`, held under `key`; `None` when its scopes and tenant
    /// no longer make that key (never for tokens this client cached).
    fn renewal(
        &self,
        key: &str,
        token: &CachedToken<T>,
        correlation_id: String,
    ) -> Option<Prepared> {
        let scopes = Scopes::parse(&token.scopes, self.config.authority.is_entra()).ok()?;
        let target = self
            .config
            .request_target(token.tenant_id.as_deref(), None, None)
            .ok()?;
        let p = Prepared {
            key: cache_key(
                &target,
                &self.config.client_id,
                &self.capability_key,
                &scopes,
            ),
            target,
            scopes,
            claims: self.capability_claims.clone(),
            bypass_cache: false,
            correlation_id,
        };
        (p.key == key).then_some(p)
    }

    /// An answer for `token` in the state `freshness`.
    pub fn answer(
        &self,
        token: Shared<CachedToken<T>>,
        source: TokenSource,
        freshness: Freshness,
    ) -> Answer<T> {
        let fresh = freshness == Freshness::Fresh;
        Answer {
            serve_until: fresh.then(|| self.serve_until(&token)).flatten(),
            refresh: freshness == Freshness::RefreshDue,
            token,
            source,
        }
    }

    /// Until when the memory level will keep answering with `token`, a fresh token it holds.
    /// The JavaScript layer repeats that answer until then without calling in; `None` (no
    /// memory level) means ask every time.
    pub fn serve_until(&self, token: &CachedToken<T>) -> Option<u64> {
        self.config
            .memory
            .then(|| token.fresh_until(self.config.expiry_buffer_ms))
    }

    /// For certificate credentials: the signing input of a fresh assertion and its algorithm.
    /// `jti` must be fresh randomness per token request.
    pub fn assertion_to_sign(
        &self,
        p: &Prepared,
        now_ms: u64,
        jti: &str,
    ) -> Option<(String, JwsAlg)> {
        let Credential::Certificate(cert) = &self.config.credential else {
            return None;
        };
        let input = cert.signing_input(
            &self.config.client_id,
            &p.target.audience,
            now_ms / 1000,
            jti,
            self.config.send_x5c,
        );
        Some((input, cert.alg()))
    }

    /// An ES256 signature over `input` with the certificate's EC key.
    pub fn sign_es256(&self, input: &str) -> Option<Vec<u8>> {
        match &self.config.credential {
            Credential::Certificate(cert) => cert.sign_es256(input),
            _ => None,
        }
    }

    /// The PKCS#8 DER of the certificate's RSA key, for the shell's WebCrypto import.
    pub fn rsa_pkcs8(&self) -> Option<Vec<u8>> {
        match &self.config.credential {
            Credential::Certificate(cert) => cert.rsa_pkcs8().map(<[u8]>::to_vec),
            _ => None,
        }
    }

    /// The token request. `assertion` is required when the credential is an assertion callback.
    pub fn token_request(&self, p: &Prepared, assertion: Option<&str>) -> HttpRequest {
        let assertion = match &self.config.credential {
            Credential::StaticAssertion(a) => Some(a.secret()),
            _ => assertion,
        };
        token_request(
            &self.config,
            &TokenRequestInput {
                target: &p.target,
                scopes: &p.scopes,
                claims: p.claims.as_deref(),
                correlation_id: &p.correlation_id,
                assertion,
            },
        )
    }

    /// The key file an answer asks to read before the request is sent again (Azure Arc's 401 to a
    /// request without a key, `keyed` false), or `None` when the answer is to be received.
    ///
    /// # Errors
    /// As [`crate::managed_identity::arc::key_file`]: a challenge that breaks a rule.
    pub fn challenge(&self, resp: &HttpResponse, keyed: bool) -> Option<Result<String, Error>> {
        match &self.config.credential {
            Credential::ManagedIdentity(mi) => {
                let asked = mi.challenge(resp, keyed);
                if asked.is_some() {
                    self.endpoint_answered.set(true);
                }
                asked
            }
            _ => None,
        }
    }

    /// The token in the endpoint's answer to a request sent at `sent_ms`, not yet cached.
    /// `assertion` is the client assertion that request carried: a bearer credential, scrubbed
    /// from any server text kept in an error, as the secret is.
    ///
    /// `jitter` (any random u32) moves `refreshOn` earlier by up to a tenth of the lifetime
    /// (5 minutes at most) so isolates sharing a store do not all refresh at once.
    ///
    /// # Errors
    /// As [`parse_token_response`]; `token_mismatch` from [`crate::token_check::check`].
    pub fn receive(
        &self,
        p: &Prepared,
        resp: &HttpResponse,
        sent_ms: u64,
        jitter: u32,
        assertion: Option<&str>,
    ) -> Result<CachedToken, Error> {
        let basic = crate::request::basic_credentials(&self.config);
        let mut secrets = self.secrets();
        secrets.extend(basic.as_deref());
        secrets.extend(assertion);
        let parsed = match &self.config.credential {
            Credential::ManagedIdentity(mi) => {
                self.endpoint_answered.set(true);
                managed_identity::answer::read(mi, resp, &secrets, sent_ms)?
            }
            _ => parse_token_response(resp, &secrets, sent_ms)?,
        };
        crate::token_check::check(parsed.access_token.secret(), &p.target, &p.scopes)?;
        Ok(
            CachedToken::from_response(parsed, sent_ms, &p.scopes, p.target.tenant.clone())
                .with_jitter(jitter),
        )
    }

    /// Puts a token into the memory level (tokens from the identity provider or the store) and
    /// returns the key's newest token: `Ok` with this one, or `Err` with the one requested later
    /// that it does not replace (a claims token) and that one's freshness at `now_ms`.
    ///
    /// # Errors
    /// The newer token the memory level keeps, which is then the answer.
    pub fn remember(
        &mut self,
        p: &Prepared,
        token: CachedToken<T>,
        now_ms: u64,
    ) -> Result<Shared<CachedToken<T>>, Held<T>> {
        let token = Shared::new(token);
        if !self.config.memory {
            return Ok(token);
        }
        match self.memory.put(&p.key, token.clone()) {
            Ok(()) => Ok(token),
            Err(newer) => {
                let freshness = newer.freshness(now_ms, self.config.expiry_buffer_ms);
                Err((newer, freshness))
            }
        }
    }

    /// Refuses a token request inside the window a server set with `Retry-After`, so a
    /// throttling identity provider is not asked again early.
    ///
    /// # Errors
    /// A `ThrottledError` (HTTP 429, code `throttled`) with the time left in `retryAfterMs`.
    pub fn check_throttle(&mut self, p: &Prepared, now_ms: u64) -> Result<(), Error> {
        let Some(&until) = self.throttled_until.get(&p.key) else {
            return Ok(());
        };
        if now_ms >= until {
            self.throttled_until.remove(&p.key);
            return Ok(());
        }
        let left = until - now_ms;
        Err(throttled(left))
    }

    /// After attempt `retries_done + 1` of a token request failed with `err`, `elapsed_ms`
    /// after the first began: `Ok(wait)` to send again after `wait` ms, or the error the caller
    /// gets, saying why it was not retried. A final `Retry-After` opens this key's window.
    ///
    /// `stale_served` says a still-valid token will be served if this request fails
    /// (stale-if-error, see [`Client::stale`]): then a retry is skipped, since the caller
    /// should not wait out a back-off for a token it already has. A background refresh, whose
    /// token is still served anyway, passes `false` and retries.
    ///
    /// # Errors
    /// `err`, annotated, when the request is not to be retried.
    #[allow(clippy::too_many_arguments)] // each is one input of the decision
    pub fn after_failure(
        &mut self,
        p: &Prepared,
        err: Error,
        retries_done: u32,
        elapsed_ms: u64,
        now_ms: u64,
        random: u32,
        stale_served: bool,
    ) -> Result<u64, Error> {
        let policy = self.config.retry;
        if let Credential::ManagedIdentity(mi) = &self.config.credential {
            if mi.is_imds() && !self.endpoint_answered.get() && matches!(err, Error::Network { .. })
            {
                return Err(managed_identity::answer::unreachable(mi, &err));
            }
        }
        let note = match policy.next(&err, retries_done, elapsed_ms, random) {
            Next::Retry { .. } if stale_served => {
                Some("not retried: a cached token that is still valid is served instead".to_owned())
            }
            Next::Retry { after_ms } => return Ok(after_ms),
            Next::Stop(note) => note,
        };
        if let Some(wait) = err.server_details().and_then(|d| d.retry_after_ms) {
            self.open_window(p, now_ms, wait);
        }
        Err(match note {
            Some(note) => err.annotate(&note),
            None => err,
        })
    }

    /// Opens (or extends) `p`'s window for `wait_ms` from `now_ms`. Waits are at most
    /// [`crate::response::MAX_WINDOW_MS`] where they are read (the response, the store).
    fn open_window(&mut self, p: &Prepared, now_ms: u64, wait_ms: u64) {
        let until_ms = now_ms.saturating_add(wait_ms);
        if self.throttled_until.len() >= MAX_WINDOWS && !self.throttled_until.contains_key(&p.key) {
            self.throttled_until.retain(|_, until| *until > now_ms);
            if self.throttled_until.len() >= MAX_WINDOWS {
                let soonest = self
                    .throttled_until
                    .iter()
                    .min_by_key(|(_, until)| **until)
                    .map(|(k, _)| k.clone());
                if let Some(k) = soonest {
                    self.throttled_until.remove(&k);
                }
            }
        }
        let until = self.throttled_until.entry(p.key.clone()).or_insert(0);
        *until = (*until).max(until_ms);
    }

    /// The sealed record that tells the fleet about failure `err`: the `Retry-After` window it
    /// opened, and, when this acquisition held the lease (`holder`), the error its waiters end
    /// with. `None` without a store, randomness, or anything to tell.
    pub fn outcome_write(
        &self,
        p: &Prepared,
        err: &Error,
        holder: bool,
        now_ms: u64,
        nonce: [u8; NONCE_LEN],
    ) -> Option<StoreWrite> {
        let plain = outcome::record(err, holder, now_ms)?;
        self.failure_write(self.outcome_key(p), plain, err, nonce)
    }

    /// The window `err` opened, left under the entry's key by a load that found no token
    /// there (see [`crate::outcome`]); `None` when it opened none.
    pub fn window_write(
        &self,
        p: &Prepared,
        err: &Error,
        now_ms: u64,
        nonce: [u8; NONCE_LEN],
    ) -> Option<StoreWrite> {
        let plain = outcome::window_record(err, now_ms)?;
        self.failure_write(self.store_key(p), plain, err, nonce)
    }

    /// `plain` to seal under `key`, kept as long as the window `err` opened (at least KV's
    /// floor); `None` without a sealing key.
    fn failure_write(
        &self,
        key: String,
        plain: Plain,
        err: &Error,
        nonce: [u8; NONCE_LEN],
    ) -> Option<StoreWrite> {
        self.sealing.as_ref()?;
        let wait_ms = err.server_details().and_then(|d| d.retry_after_ms);
        Some(StoreWrite {
            key,
            plain,
            nonce,
            ttl_seconds: wait_ms
                .unwrap_or(0)
                .div_ceil(1000)
                .max(envelope::MIN_TTL_SECONDS),
        })
    }

    /// The store key of a request's lease (stores that coordinate a fleet).
    pub fn lease_key(&self, p: &Prepared) -> String {
        format!("{}{}:lease", self.config.key_prefix, p.key)
    }

    /// The store key of a request's failure record (see [`crate::outcome`]).
    pub fn outcome_key(&self, p: &Prepared) -> String {
        format!("{}{}:outcome", self.config.key_prefix, p.key)
    }

    /// How long a lease lives: one attempt's timeout and a margin. A lease holder's error
    /// counts for as long.
    pub fn lease_ttl_ms(&self) -> u64 {
        self.config.retry.timeout_ms + LEASE_MARGIN_MS
    }

    /// Reads a failure record another process stored (opened): adopts its `Retry-After`
    /// window, and returns the lease holder's error when it is recent.
    pub fn read_outcome(&mut self, p: &Prepared, plain: &Plain, now_ms: u64) -> Option<Error> {
        let read = outcome::read(plain.bytes(), now_ms, self.lease_ttl_ms());
        if let Some(until) = read.window_until_ms {
            self.open_window(p, now_ms, until - now_ms);
        }
        read.holder_error
    }

    /// Whether the store may be asked at `now_ms`: not while its breaker is open.
    pub fn store_usable(&self, now_ms: u64) -> bool {
        self.config.store && self.store_down_until.is_none_or(|until| now_ms >= until)
    }

    /// A store step failed or did not answer in time: the store is skipped by every
    /// acquisition for a while. `true` the first time (the shell logs the change once).
    pub fn store_failed(&mut self, now_ms: u64) -> bool {
        let first = self.store_down_until.is_none();
        self.store_down_until = Some(now_ms.saturating_add(STORE_COOLDOWN_MS));
        first
    }

    /// A store step answered: the breaker closes. `true` when it was open.
    pub fn store_answered(&mut self) -> bool {
        self.store_down_until.take().is_some()
    }

    /// Stale-if-error: a still-valid cached token to serve when the identity provider fails.
    /// Never for `skipCache` or claims requests, which asked for a new token.
    pub fn stale(&self, p: &Prepared, now_ms: u64) -> Option<Shared<CachedToken<T>>> {
        if p.bypass_cache || !self.config.memory {
            return None;
        }
        self.memory
            .get_stale(&p.key, now_ms, STALE_MIN_REMAINING_MS)
    }

    /// After a background refresh failed, keeps serving the cached token and waits before the
    /// next attempt (the server's `Retry-After` when longer).
    pub fn defer_refresh(&mut self, p: &Prepared, now_ms: u64, retry_after_ms: Option<u64>) {
        let wait = retry_after_ms.unwrap_or(0).max(REFRESH_RETRY_MS);
        self.memory
            .defer_refresh(&p.key, now_ms.saturating_add(wait));
    }

    /// The store key for a request.
    pub fn store_key(&self, p: &Prepared) -> String {
        format!("{}{}", self.config.key_prefix, p.key)
    }

    /// The sealed entry for `token`, or `None` when no store is configured or the token's
    /// servable life is under KV's 60-second floor.
    pub fn seal(
        &self,
        p: &Prepared,
        token: &CachedToken,
        now_ms: u64,
        nonce: [u8; NONCE_LEN],
    ) -> Option<StoreWrite> {
        self.sealing.as_ref()?;
        let ttl_seconds = envelope::ttl_seconds(token, now_ms, self.config.expiry_buffer_ms)?;
        Some(StoreWrite {
            key: self.store_key(p),
            plain: envelope::entry_plain(token)?,
            nonce,
            ttl_seconds,
        })
    }

    /// The sealing key, for a driver that seals with the runtime's cipher; `None` without a
    /// store.
    pub fn sealing_key(&self) -> Option<&SealingKey> {
        self.sealing.as_ref()
    }

    /// `write` sealed with the software cipher: the envelope to put.
    pub fn sealed_value(&self, write: &StoreWrite) -> Option<String> {
        envelope::seal_bytes(
            self.sealing.as_ref()?,
            &write.key,
            write.plain.bytes(),
            write.nonce,
        )
    }

    /// A value read from `store_key` opened with the software cipher.
    ///
    /// # Errors
    /// An [`OpenError`] when it does not open (or no store is configured).
    pub fn open_value(&self, store_key: &str, value: &str) -> Result<Plain, OpenError> {
        let sealing = self.sealing.as_ref().ok_or(OpenError::Authentication)?;
        envelope::open_bytes(sealing, store_key, value).map(Plain::new)
    }

    /// A store read of `store_key` as [`crate::flow::Outcome::Read`] reports it, its value
    /// opened with the software cipher.
    pub fn opened(
        &self,
        store_key: &str,
        read: Result<Option<String>, String>,
    ) -> Result<Option<Result<Plain, OpenError>>, String> {
        read.map(|value| value.map(|v| self.open_value(store_key, &v)))
    }

    /// Opens a value read from the store; a servable token is also put into memory.
    /// `Ok(None)` means it opened but can no longer be served.
    ///
    /// # Errors
    /// An [`OpenError`] for values that do not open: a miss, to be overwritten.
    pub fn open_stored(
        &mut self,
        p: &Prepared,
        opened: Result<Plain, OpenError>,
        now_ms: u64,
    ) -> Result<Option<Held<T>>, OpenError> {
        let plain = opened?;
        let token: CachedToken<T> = match envelope::entry_from(plain.bytes()) {
            Ok(entry) => entry.hold(),
            Err(not_a_token) => {
                // A failed load's window in the entry's place (see `outcome`): adopted, a miss.
                let window = outcome::window_in(plain.bytes(), now_ms).ok_or(not_a_token)?;
                if let Some(until) = window {
                    self.open_window(p, now_ms, until - now_ms);
                }
                return Ok(None);
            }
        };
        match token.freshness(now_ms, self.config.expiry_buffer_ms) {
            Freshness::Expired => Ok(None),
            f => match self.remember(p, token, now_ms) {
                Ok(token) => Ok(Some((token, f))),
                // Requested later than the stored one (a claims token): that is the answer.
                Err(newer) => Ok(Some(newer)),
            },
        }
    }

    /// Drops the memory entry under `key` (a [`Prepared::key`]) that the JavaScript memo in
    /// front of it evicted: one level, one eviction count.
    pub fn forget(&mut self, key: &str) {
        self.memory.evict(key);
    }

    /// Empties the memory level.
    pub fn clear_memory(&mut self) {
        self.memory.clear();
    }

    /// Everything that must never appear in server text we keep.
    fn secrets(&self) -> Vec<&str> {
        let mut out = Vec::new();
        match &self.config.credential {
            Credential::Secret { secret, .. } | Credential::StaticAssertion(secret) => {
                out.push(secret.secret())
            }
            Credential::ManagedIdentity(mi) => out.extend(mi.secret().map(ClientSecret::secret)),
            Credential::AssertionCallback | Credential::Certificate(_) => {}
        }
        if let Some(k) = &self.config.encryption_key {
            out.push(k.secret());
        }
        out
    }
}

/// A refusal inside a `Retry-After` window: no request was made.
fn throttled(left_ms: u64) -> Error {
    Error::Server {
        code: "throttled".to_owned(),
        message: format!(
            "not sent: the identity provider asked to wait (Retry-After) and {} s of that remain; \
             no token request was made",
            left_ms.div_ceil(1000)
        ),
        details: Box::new(ServerDetails {
            status: 429,
            is_retryable: true,
            retry_after_ms: Some(left_ms),
            ..ServerDetails::default()
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::JsonRequest;

    fn prepared(client: &Client, claims: Option<&str>, skip_cache: Option<bool>) -> Prepared {
        let raw = JsonRequest {
            scopes: Some(vec!["https://graph.microsoft.com/.default".into()]),
            claims: claims.map(str::to_owned),
            skip_cache,
            ..Default::default()
        };
        client.prepare(raw, "id".into()).unwrap()
    }

    #[test]
    fn flights_are_shared_only_by_requests_that_get_the_same_answer() {
        let config = ClientConfig::from_json(
            r#"{"auth":{"clientId":"c","authority":"https://login.microsoftonline.com/contoso.onmicrosoft.com","clientSecret":"s"}}"#,
        )
        .unwrap();
        let client: Client = Client::new(config);
        let plain = prepared(&client, None, None).flight_key();
        assert_eq!(plain, prepared(&client, None, Some(false)).flight_key());
        let challenge = r#"{"access_token":{"nbf":{"essential":true,"value":"1"}}}"#;
        let other = r#"{"access_token":{"nbf":{"essential":true,"value":"2"}}}"#;
        let keys = [
            plain,
            prepared(&client, None, Some(true)).flight_key(),
            prepared(&client, Some(challenge), None).flight_key(),
            prepared(&client, Some(other), None).flight_key(),
        ];
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(
            keys[2],
            prepared(&client, Some(challenge), None).flight_key(),
            "the same challenge shares one flight"
        );
    }

    #[test]
    fn client_capabilities_shape_every_requests_claims_and_key() {
        let with = |caps: &str| -> Client {
            Client::new(
                ClientConfig::from_json(&format!(
                    r#"{{"auth":{{"clientId":"c","authority":"https://login.microsoftonline.com/contoso.onmicrosoft.com","clientSecret":"s","clientCapabilities":{caps}}}}}"#
                ))
                .unwrap(),
            )
        };
        let (a, b) = (with(r#"["cp2","cp1"]"#), with(r#"["cp1","cp2"]"#));
        let plain = prepared(&a, None, None);
        assert_eq!(
            plain.claims.as_deref(),
            Some(r#"{"access_token":{"xms_cc":{"values":["cp2","cp1"]}}}"#)
        );
        assert_eq!(
            plain.key,
            prepared(&b, None, None).key,
            "the order configured does not matter"
        );
        assert_ne!(plain.key, prepared(&with("[]"), None, None).key);
        let challenged = prepared(
            &a,
            Some(r#"{"access_token":{"nbf":{"essential":true}}}"#),
            None,
        );
        assert_eq!(
            challenged.claims.as_deref(),
            Some(
                r#"{"access_token":{"nbf":{"essential":true},"xms_cc":{"values":["cp2","cp1"]}}}"#
            )
        );
        assert_eq!(prepared(&with("[]"), None, None).claims, None);
    }
}
