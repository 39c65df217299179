//! The acquire-token flow as pure steps. The shell drives them in this order:
//!
//! 1. [`Client::prepare`] validates a request (no I/O yet; errors reject the promise).
//! 2. [`Client::lookup`] consults the memory level at `now`.
//! 3. On a miss, the shell builds the request with [`Client::token_request`], sends it, and
//!    hands the answer to [`Client::complete`], which caches the token.
//!
//! Single-flight, waiting and randomness belong to the shell; the policy lives here.

use std::collections::HashMap;

use crate::cache::{cache_key, CachedToken, Freshness, MemoryCache};
use crate::config::{ClientConfig, Credential};
use crate::credential::JwsAlg;
use crate::envelope::{self, OpenError, SealingKey, NONCE_LEN};
use crate::error::{Error, ServerDetails};
use crate::input::RequestInput;
use crate::request::{token_request, HttpRequest, TokenRequestInput};
use crate::response::{parse_token_response, HttpResponse};
use crate::retry::Next;
use crate::scope::Scopes;

/// A validated request.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Cache key (hex SHA-256).
    pub key: String,
    /// Validated scopes.
    pub scopes: Scopes,
    /// The `claims` parameter to send, merged with client capabilities.
    pub claims: Option<String>,
    /// Skip the cache lookup: `skipCache`, or a claims challenge.
    pub bypass_cache: bool,
    /// The `client-request-id`.
    pub correlation_id: String,
}

/// A sealed entry to put into the store.
#[derive(Debug)]
pub struct StoreWrite {
    /// Store key (`cache.keyPrefix` + hex hash).
    pub key: String,
    /// The envelope.
    pub value: String,
    /// KV `expirationTtl`, seconds, at least 60.
    pub ttl_seconds: u64,
}

/// After a failed background refresh, the next one waits at least this long.
const REFRESH_RETRY_MS: u64 = 30_000;
/// Stale-if-error serves a token only while it has at least this much life left.
const STALE_MIN_REMAINING_MS: u64 = 30_000;
/// Longest `Retry-After` window adopted from the store.
const MAX_STORED_WINDOW_MS: u64 = 24 * 3600 * 1000;

/// The core of one `ConfidentialClientApplication`: validated config plus the memory level.
#[derive(Debug)]
pub struct Client {
    config: ClientConfig,
    memory: MemoryCache,
    sealing: Option<SealingKey>,
    /// Per cache key: no token request before this time (the server's `Retry-After`).
    throttled_until: HashMap<String, u64>,
}

impl Client {
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
                (None, Credential::AssertionCallback) => config.client_id.as_bytes().to_vec(),
            };
            SealingKey::derive(&material, &config.client_id)
        });
        Client {
            config,
            memory: MemoryCache::default(),
            sealing,
            throttled_until: HashMap::new(),
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
        let claims = merge_claims(user_claims.as_deref(), &self.config.client_capabilities)?;
        Ok(Prepared {
            key: cache_key(&self.config.authority, &self.config.client_id, &scopes),
            scopes,
            claims,
            bypass_cache,
            correlation_id,
        })
    }

    /// The memory level's answer at `now_ms`, unless the request bypasses the cache.
    pub fn lookup(&mut self, p: &Prepared, now_ms: u64) -> Option<(CachedToken, Freshness)> {
        if p.bypass_cache || !self.config.memory {
            return None;
        }
        self.memory
            .get(&p.key, now_ms, self.config.expiry_buffer_ms)
    }

    /// Until when the memory level will keep answering with `token`, a fresh token it holds.
    /// The JavaScript layer repeats that answer until then without calling in; `None` (no
    /// memory level) means ask every time.
    pub fn serve_until(&self, token: &CachedToken) -> Option<u64> {
        self.config
            .memory
            .then(|| token.fresh_until(self.config.expiry_buffer_ms))
    }

    /// For certificate credentials: the signing input of a fresh assertion and its algorithm.
    /// `jti` must be fresh randomness per token request.
    pub fn assertion_to_sign(&self, now_ms: u64, jti: &str) -> Option<(String, JwsAlg)> {
        let Credential::Certificate(cert) = &self.config.credential else {
            return None;
        };
        let input = cert.signing_input(
            &self.config.client_id,
            &self.config.authority.audience,
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
                scopes: &p.scopes,
                claims: p.claims.as_deref(),
                correlation_id: &p.correlation_id,
                assertion,
            },
        )
    }

    /// Processes the token endpoint's answer received at `now_ms`, caching a success in memory.
    /// A claims-challenge token replaces the regular entry: the challenged one was revoked.
    ///
    /// # Errors
    /// As [`parse_token_response`].
    ///
    /// `jitter` (any random u32) moves `refreshOn` earlier by up to a tenth of the lifetime
    /// (5 minutes at most) so isolates sharing a store do not all refresh at once.
    pub fn complete(
        &mut self,
        p: &Prepared,
        resp: &HttpResponse,
        now_ms: u64,
        jitter: u32,
    ) -> Result<CachedToken, Error> {
        let secrets = self.secrets();
        let parsed = parse_token_response(resp, &secrets, now_ms)?;
        let token = CachedToken::from_response(parsed, now_ms, &p.scopes, &self.config.authority)
            .with_jitter(jitter);
        self.remember(p, token.clone(), now_ms);
        Ok(token)
    }

    /// Puts a token into the memory level (also used for tokens read from the store).
    pub fn remember(&mut self, p: &Prepared, token: CachedToken, now_ms: u64) {
        if self.config.memory {
            self.memory.put(p.key.clone(), token, now_ms);
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
        Err(Error::Server {
            code: "throttled".to_owned(),
            message: format!(
                "not sent: the identity provider asked to wait (Retry-After) and {} s of that remain; \
                 no token request was made",
                left.div_ceil(1000)
            ),
            details: Box::new(ServerDetails {
                status: 429,
                is_retryable: true,
                retry_after_ms: Some(left),
                ..ServerDetails::default()
            }),
        })
    }

    /// After attempt `retries_done + 1` of a token request failed with `err`, `elapsed_ms`
    /// after the first began: `Ok(wait)` to send again after `wait` ms, or the error the caller
    /// gets, saying why it was not retried. A final `Retry-After` opens this key's window.
    ///
    /// A retry is skipped when a still-valid token can be served instead (stale-if-error): the
    /// caller should not wait out a back-off for a token it already has.
    ///
    /// # Errors
    /// `err`, annotated, when the request is not to be retried.
    pub fn after_failure(
        &mut self,
        p: &Prepared,
        err: Error,
        retries_done: u32,
        elapsed_ms: u64,
        now_ms: u64,
        random: u32,
    ) -> Result<u64, Error> {
        let policy = self.config.retry;
        let note = match policy.next(&err, retries_done, elapsed_ms, random) {
            Next::Retry { .. } if self.stale(p, now_ms).is_some() => {
                Some("not retried: a cached token that is still valid is served instead".to_owned())
            }
            Next::Retry { after_ms } => return Ok(after_ms),
            Next::Stop(note) => note,
        };
        if let Some(wait) = err.server_details().and_then(|d| d.retry_after_ms) {
            self.open_window(p, now_ms.saturating_add(wait));
        }
        Err(match note {
            Some(note) => err.annotate(&note),
            None => err,
        })
    }

    fn open_window(&mut self, p: &Prepared, until_ms: u64) {
        let until = self.throttled_until.entry(p.key.clone()).or_insert(0);
        *until = (*until).max(until_ms);
    }

    /// The store entry that tells other isolates about a `Retry-After` window `err` opened.
    pub fn window_write(&self, p: &Prepared, err: &Error, now_ms: u64) -> Option<StoreWrite> {
        let wait = err.server_details()?.retry_after_ms?;
        self.config.store.then(|| StoreWrite {
            key: self.window_key(p),
            value: now_ms.saturating_add(wait).to_string(),
            ttl_seconds: wait.div_ceil(1000).max(envelope::MIN_TTL_SECONDS),
        })
    }

    /// The store key of a request's `Retry-After` window.
    pub fn window_key(&self, p: &Prepared) -> String {
        format!("{}{}:retry-after", self.config.key_prefix, p.key)
    }

    /// Adopts a window another isolate stored (its end, ms since the epoch). Values that do not
    /// parse, or end more than a day ahead, are ignored: a window must not outlive its reason.
    pub fn adopt_window(&mut self, p: &Prepared, value: &str, now_ms: u64) {
        if let Ok(until) = value.parse::<u64>() {
            if until > now_ms && until - now_ms <= MAX_STORED_WINDOW_MS {
                self.open_window(p, until);
            }
        }
    }

    /// Stale-if-error: a still-valid cached token to serve when the identity provider fails.
    /// Never for `skipCache` or claims requests, which asked for a new token.
    pub fn stale(&self, p: &Prepared, now_ms: u64) -> Option<CachedToken> {
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
        self.memory.defer_refresh(&p.key, now_ms + wait);
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
        let sealing = self.sealing.as_ref()?;
        let ttl_seconds = envelope::ttl_seconds(token, now_ms, self.config.expiry_buffer_ms)?;
        let key = self.store_key(p);
        let value = envelope::seal(sealing, &key, token, nonce)?;
        Some(StoreWrite {
            key,
            value,
            ttl_seconds,
        })
    }

    /// Opens a value read from the store; a servable token is also put into memory.
    /// `Ok(None)` means it opened but can no longer be served.
    ///
    /// # Errors
    /// An [`OpenError`] for values that do not open: a miss, to be overwritten.
    pub fn open_stored(
        &mut self,
        p: &Prepared,
        value: &str,
        now_ms: u64,
    ) -> Result<Option<(CachedToken, Freshness)>, OpenError> {
        let Some(sealing) = &self.sealing else {
            return Ok(None);
        };
        let token = envelope::open(sealing, &self.store_key(p), value)?;
        match token.freshness(now_ms, self.config.expiry_buffer_ms) {
            Freshness::Expired => Ok(None),
            f => {
                self.remember(p, token.clone(), now_ms);
                Ok(Some((token, f)))
            }
        }
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
            Credential::AssertionCallback | Credential::Certificate(_) => {}
        }
        if let Some(k) = &self.config.encryption_key {
            out.push(k.secret());
        }
        out
    }
}

/// Merges a claims challenge with `xms_cc` client capabilities, as MSAL does.
///
/// # Errors
/// `invalid_request` when `claims` is not a JSON object.
pub fn merge_claims(
    claims: Option<&str>,
    capabilities: &[String],
) -> Result<Option<String>, Error> {
    use serde_json::value::{to_raw_value, RawValue};
    type Members = std::collections::BTreeMap<String, Box<RawValue>>;
    let mut root: Members = match claims {
        None => Members::new(),
        Some(text) => crate::lenient::object(text.as_bytes()).ok_or_else(|| {
            Error::config(
                "invalid_request",
                "claims must be a JSON object, as decoded from the WWW-Authenticate claims challenge",
            )
        })?,
    };
    if !capabilities.is_empty() {
        #[derive(serde::Serialize)]
        struct ClientCapabilities<'a> {
            values: &'a [String],
        }
        let xms_cc = to_raw_value(&ClientCapabilities {
            values: capabilities,
        });
        let access = match root.get("access_token") {
            None => Some(Members::new()),
            Some(raw) => crate::lenient::object::<Members>(raw.get().as_bytes()),
        };
        // A claims object whose access_token is not an object has nothing to merge into.
        if let (Some(mut access), Ok(xms_cc)) = (access, xms_cc) {
            access.insert("xms_cc".to_owned(), xms_cc);
            if let Ok(raw) = to_raw_value(&access) {
                root.insert("access_token".to_owned(), raw);
            }
        }
    }
    Ok((!root.is_empty())
        .then(|| serde_json::to_string(&root).ok())
        .flatten())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_merge_into_claims() {
        let merged = merge_claims(
            Some(r#"{"access_token":{"nbf":{"essential":true}}}"#),
            &["cp1".into()],
        )
        .unwrap();
        assert_eq!(
            merged.as_deref(),
            Some(r#"{"access_token":{"nbf":{"essential":true},"xms_cc":{"values":["cp1"]}}}"#)
        );
        assert_eq!(merge_claims(None, &[]).unwrap(), None);
        assert_eq!(
            merge_claims(Some("[1]"), &[]).unwrap_err().code(),
            "invalid_request"
        );
    }
}
