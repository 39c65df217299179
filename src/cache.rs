//! Cache policy: the cache key, the cached token, and when a token is served, refreshed
//! ahead or dropped. Times are milliseconds since the epoch, passed in by the caller.

use std::collections::{BTreeMap, HashMap};

use sha2::{Digest, Sha256};

use crate::authority::Target;
use crate::response::TokenResponse;
use crate::scope::Scopes;
use crate::secret::{AccessToken, TokenText};

/// How the memory level shares a token with the answers it hands out. `Arc` natively, so a
/// native client is `Send + Sync` and tokio tasks can hold its answers; `Rc` on wasm32, which
/// has one thread (a Worker isolate), where the npm package and workers-rs keep the cheaper count.
#[cfg(not(target_arch = "wasm32"))]
pub type Shared<T> = std::sync::Arc<T>;
/// How the memory level shares a token with the answers it hands out (see the native alias).
#[cfg(target_arch = "wasm32")]
pub type Shared<T> = std::rc::Rc<T>;

/// Tokens living at least this long get `refreshOn` at half-life when the server sends no
/// `refresh_in` (MSAL's rule).
const HALF_LIFE_REFRESH_FROM_MS: u64 = 2 * 3600 * 1000;
/// Upper bound of refresh jitter.
const MAX_JITTER_MS: u64 = 5 * 60 * 1000;

/// The verbose log line of an answer from the memory level, in every driver.
pub const MEMORY_HIT: &str = "token served from the memory cache";

/// Where a result came from (`AuthenticationResult.tokenSource`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    /// A token request was made for this result.
    IdentityProvider,
    /// The in-memory cache.
    Memory,
    /// `cache.store`.
    Store,
}

impl TokenSource {
    /// The JavaScript string.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenSource::IdentityProvider => "identityProvider",
            TokenSource::Memory => "memory",
            TokenSource::Store => "store",
        }
    }
}

/// A token and what is known about its lifetime. `T` holds the token's text: the string as
/// received, or how the memory level keeps it ([`TokenText`]).
#[derive(Debug, Clone)]
pub struct CachedToken<T = AccessToken> {
    /// The token.
    pub access_token: T,
    /// `token_type`.
    pub token_type: String,
    /// Absolute expiry.
    pub expires_on_ms: u64,
    /// Absolute extended expiry.
    pub ext_expires_on_ms: Option<u64>,
    /// When a background refresh should start.
    pub refresh_on_ms: Option<u64>,
    /// Scopes the token is for.
    pub scopes: Vec<String>,
    /// The request's tenant.
    pub tenant_id: Option<String>,
    /// When the request that got it was sent; unknown for entries of earlier releases. A token
    /// never replaces one requested later (a claims token, say).
    pub issued_at_ms: Option<u64>,
}

impl CachedToken {
    /// The same token held as `U`.
    pub fn hold<U: TokenText>(self) -> CachedToken<U> {
        CachedToken {
            access_token: U::from_text(self.access_token.secret().to_owned()),
            token_type: self.token_type,
            expires_on_ms: self.expires_on_ms,
            ext_expires_on_ms: self.ext_expires_on_ms,
            refresh_on_ms: self.refresh_on_ms,
            scopes: self.scopes,
            tenant_id: self.tenant_id,
            issued_at_ms: self.issued_at_ms,
        }
    }

    /// Builds the cache entry for a fresh response received at `now_ms`.
    pub fn from_response(
        resp: TokenResponse,
        now_ms: u64,
        scopes: &Scopes,
        tenant_id: Option<String>,
    ) -> Self {
        let lifetime_ms = resp.expires_in * 1000;
        let refresh_on_ms = match resp.refresh_in {
            Some(r) => Some(now_ms + r * 1000),
            None if lifetime_ms >= HALF_LIFE_REFRESH_FROM_MS => Some(now_ms + lifetime_ms / 2),
            None => None,
        };
        CachedToken {
            access_token: resp.access_token,
            token_type: resp.token_type,
            expires_on_ms: now_ms + lifetime_ms,
            ext_expires_on_ms: resp.ext_expires_in.map(|e| now_ms + e * 1000),
            refresh_on_ms,
            scopes: scopes.list.clone(),
            tenant_id,
            issued_at_ms: Some(now_ms),
        }
    }

    /// Moves `refresh_on_ms` earlier by `random / u32::MAX` of a tenth of the lifetime, at most
    /// five minutes.
    pub fn with_jitter(mut self, random: u32) -> Self {
        if let Some(refresh_on) = self.refresh_on_ms {
            let span = ((self.expires_on_ms.saturating_sub(refresh_on)) / 10).min(MAX_JITTER_MS);
            let shift = span * u64::from(random) / u64::from(u32::MAX);
            self.refresh_on_ms = Some(refresh_on - shift);
        }
        self
    }
}

impl<T> CachedToken<T> {
    /// The last moment this token is [`Freshness::Fresh`]: the earlier of `refreshOn` and the
    /// start of the expiry buffer.
    pub fn fresh_until(&self, buffer_ms: u64) -> u64 {
        let buffered = self.expires_on_ms.saturating_sub(buffer_ms);
        self.refresh_on_ms.map_or(buffered, |r| r.min(buffered))
    }

    /// How this token may be used at `now_ms` with the configured expiry buffer.
    pub fn freshness(&self, now_ms: u64, buffer_ms: u64) -> Freshness {
        if now_ms.saturating_add(buffer_ms) >= self.expires_on_ms {
            Freshness::Expired
        } else if now_ms >= self.fresh_until(buffer_ms) {
            Freshness::RefreshDue
        } else {
            Freshness::Fresh
        }
    }
}

/// The cache policy's verdict on a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Serve it.
    Fresh,
    /// Serve it, and refresh in the background.
    RefreshDue,
    /// Do not serve it: within the expiry buffer or past expiry.
    Expired,
}

/// The cache key: SHA-256 over everything that makes a token different (the cloud, the tenant,
/// the client, the client capabilities, the scopes; not the region), hex-encoded, so a store key
/// reveals none of them. Tenants are compared in lowercase, as Entra does. A token for a client
/// declaring `cp1` (continuous access evaluation) is not one for a client that does not.
/// `capabilities` is [`capability_material`] of the client's capabilities.
pub fn cache_key(target: &Target, client_id: &str, capabilities: &str, scopes: &Scopes) -> String {
    let mut material = format!(
        "v1\n{}\n{}\n{}\n{}",
        target.key_endpoint,
        target
            .tenant
            .as_deref()
            .unwrap_or_default()
            .to_ascii_lowercase(),
        client_id,
        scopes.canonical()
    );
    // Without capabilities, the material (and every key already in stores) is as before.
    if !capabilities.is_empty() {
        material.push_str("\ncapabilities ");
        material.push_str(capabilities);
    }
    hex(&Sha256::digest(material.as_bytes()))
}

/// The client capabilities as [`cache_key`] hashes them: sorted, so their order in the
/// configuration does not change the key, and joined by spaces. Computed once per client.
pub fn capability_material(capabilities: &[String]) -> String {
    let mut sorted = capabilities.to_vec();
    sorted.sort();
    sorted.join(" ")
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

/// Default `cache.maxEntries`: the memory level's bound.
pub const DEFAULT_MAX_ENTRIES: usize = 10_000;

/// The per-app in-memory level: at most `max_entries` tokens, the least recently used evicted
/// first (the store keeps evicted tokens). Tokens are shared with the answers given out, so a
/// hit copies nothing.
#[derive(Debug)]
pub struct MemoryCache<T = AccessToken> {
    /// Keys are shared with `order`: a key is held once, whatever the two maps.
    entries: HashMap<Shared<str>, Slot<T>>,
    /// Use order: the tick of each entry's last use, oldest first.
    order: BTreeMap<u64, Shared<str>>,
    tick: u64,
    max_entries: usize,
    /// Entries dropped to stay within `max_entries`, for `stats().memoryEvictions`.
    evictions: u64,
}

#[derive(Debug)]
struct Slot<T> {
    token: Shared<CachedToken<T>>,
    used: u64,
}

impl<T: TokenText> MemoryCache<T> {
    /// An empty level holding at most `max_entries` (at least one).
    pub fn new(max_entries: usize) -> Self {
        MemoryCache {
            entries: HashMap::new(),
            order: BTreeMap::new(),
            tick: 0,
            max_entries: max_entries.max(1),
            evictions: 0,
        }
    }

    /// Drops `key`'s entry as an eviction: a level in front of this one (the JavaScript memo)
    /// evicted it, and this level follows. Counted when the entry was here.
    pub fn evict(&mut self, key: &str) {
        if self.entries.contains_key(key) {
            self.remove(key);
            self.evictions += 1;
        }
    }

    /// Entries dropped to stay within the bound, since the level was made.
    pub fn evictions(&self) -> u64 {
        self.evictions
    }

    /// The entries still valid at `now_ms` that stop being fresh by `by_ms` (past their
    /// `refreshOn` or inside the expiry buffer by then): what a scheduled refresh renews.
    pub fn due(
        &self,
        now_ms: u64,
        by_ms: u64,
        buffer_ms: u64,
    ) -> impl Iterator<Item = (&str, &Shared<CachedToken<T>>)> {
        self.entries
            .iter()
            .filter(move |(_, slot)| {
                now_ms < slot.token.expires_on_ms && slot.token.fresh_until(buffer_ms) <= by_ms
            })
            .map(|(key, slot)| (&**key, &slot.token))
    }

    /// Whether `key` has an entry (expired or not), without touching its use order.
    pub fn contains(&self, key: &str) -> bool {
        self.entries.contains_key(key)
    }

    /// Drops `key`'s entry.
    pub fn remove(&mut self, key: &str) {
        if let Some(slot) = self.entries.remove(key) {
            self.order.remove(&slot.used);
        }
    }

    /// The token under `key`, if it may still be served (it becomes the most recently used); an
    /// expired one is dropped.
    pub fn get(
        &mut self,
        key: &str,
        now_ms: u64,
        buffer_ms: u64,
    ) -> Option<(Shared<CachedToken<T>>, Freshness)> {
        let slot = self.entries.get_mut(key)?;
        match slot.token.freshness(now_ms, buffer_ms) {
            // Inside the buffer it is not served, but kept for stale-if-error until it expires.
            Freshness::Expired if now_ms >= slot.token.expires_on_ms => {
                self.remove(key);
                None
            }
            Freshness::Expired => None,
            f => {
                self.tick += 1;
                // The order entry holds the shared key: moved to the new tick, not copied.
                if let Some(shared) = self.order.remove(&slot.used) {
                    self.order.insert(self.tick, shared);
                }
                slot.used = self.tick;
                Some((slot.token.clone(), f))
            }
        }
    }

    /// A token that is no longer served normally but is still valid for `min_remaining_ms`:
    /// what stale-if-error serves while the identity provider fails.
    pub fn get_stale(
        &self,
        key: &str,
        now_ms: u64,
        min_remaining_ms: u64,
    ) -> Option<Shared<CachedToken<T>>> {
        self.entries
            .get(key)
            .map(|slot| &slot.token)
            .filter(|t| t.expires_on_ms > now_ms.saturating_add(min_remaining_ms))
            .cloned()
    }

    /// Stores a token, evicting the least recently used entry past the bound. A token requested
    /// before the one held is not stored: the held one comes back as `Err`.
    ///
    /// # Errors
    /// The newer token kept.
    pub fn put(
        &mut self,
        key: &str,
        token: Shared<CachedToken<T>>,
    ) -> Result<(), Shared<CachedToken<T>>> {
        if let Some(held) = self.entries.get(key) {
            if let (Some(held_at), Some(new_at)) = (held.token.issued_at_ms, token.issued_at_ms) {
                if held_at > new_at {
                    return Err(held.token.clone());
                }
            }
        }
        self.remove(key);
        if self.entries.len() >= self.max_entries {
            if let Some((_, oldest)) = self.order.pop_first() {
                self.entries.remove(&oldest);
                self.evictions += 1;
            }
        }
        self.tick += 1;
        let key: Shared<str> = key.into();
        self.order.insert(self.tick, key.clone());
        self.entries.insert(
            key,
            Slot {
                token,
                used: self.tick,
            },
        );
        Ok(())
    }

    /// Postpones the background refresh of `key` to `at_ms` (never past expiry).
    pub fn defer_refresh(&mut self, key: &str, at_ms: u64) {
        if let Some(slot) = self.entries.get_mut(key) {
            // Copies the token only while an answer given out still shares it.
            let t = Shared::make_mut(&mut slot.token);
            t.refresh_on_ms = Some(at_ms.min(t.expires_on_ms));
        }
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.order.clear();
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authority::Authority;

    fn token(expires_in: u64, refresh_in: Option<u64>, now: u64) -> CachedToken {
        let authority = Authority::entra("https://login.microsoftonline.com/t").unwrap();
        let scopes =
            Scopes::parse(&["https://graph.microsoft.com/.default".to_owned()], true).unwrap();
        let resp = TokenResponse {
            access_token: AccessToken::new("at"),
            token_type: "Bearer".into(),
            expires_in,
            ext_expires_in: None,
            refresh_in,
        };
        CachedToken::from_response(resp, now, &scopes, authority.tenant.clone())
    }

    #[test]
    fn buffer_boundaries() {
        let t = token(3600, None, 0);
        assert_eq!(
            t.refresh_on_ms, None,
            "1 h tokens have no half-life refresh"
        );
        assert_eq!(t.freshness(3_299_999, 300_000), Freshness::Fresh);
        assert_eq!(t.freshness(3_300_000, 300_000), Freshness::Expired);
    }

    #[test]
    fn refresh_on_from_refresh_in_or_half_life() {
        let t = token(86_400, Some(3_600), 1_000);
        assert_eq!(t.refresh_on_ms, Some(3_601_000));
        assert_eq!(t.freshness(3_600_999, 300_000), Freshness::Fresh);
        assert_eq!(t.freshness(3_601_000, 300_000), Freshness::RefreshDue);
        assert_eq!(token(7_200, None, 0).refresh_on_ms, Some(3_600_000));
    }

    #[test]
    fn keys_differ_by_tenant_client_and_scope_not_order() {
        let a = Authority::entra("https://login.microsoftonline.com/t1").unwrap();
        let b = Authority::entra("https://login.microsoftonline.com/t2").unwrap();
        let s = |v: &[&str]| {
            Scopes::parse(&v.iter().map(|x| x.to_string()).collect::<Vec<_>>(), false).unwrap()
        };
        let (a, b) = (a.target(None, None), b.target(None, None));
        let k = cache_key(&a, "c", "", &s(&["x", "y"]));
        assert_eq!(k.len(), 64);
        assert_eq!(k, cache_key(&a, "c", "", &s(&["y", "x"])));
        assert_ne!(k, cache_key(&b, "c", "", &s(&["x", "y"])));
        assert_ne!(k, cache_key(&a, "c2", "", &s(&["x", "y"])));
        assert_ne!(k, cache_key(&a, "c", "", &s(&["x"])));
        let cae = cache_key(&a, "c", "cp1", &s(&["x", "y"]));
        assert_ne!(k, cae, "a CAE client's tokens are not another's");
        let caps =
            |v: &[&str]| capability_material(&v.iter().map(|x| x.to_string()).collect::<Vec<_>>());
        assert_eq!(
            caps(&["cp2", "cp1"]),
            "cp1 cp2",
            "the order configured does not matter"
        );
        assert_eq!(caps(&[]), "");
    }

    #[test]
    fn keys_are_per_tenant_not_per_region_or_spelling() {
        let home = Authority::entra("https://login.microsoftonline.com/home.example").unwrap();
        let s = Scopes::parse(&["https://graph.microsoft.com/.default".to_owned()], true).unwrap();
        let fabrikam = cache_key(&home.target(Some("fabrikam.com"), None), "c", "", &s);
        assert_eq!(
            fabrikam,
            cache_key(
                &home.target(Some("Fabrikam.COM"), Some("westus2")),
                "c",
                "",
                &s
            )
        );
        assert_ne!(fabrikam, cache_key(&home.target(None, None), "c", "", &s));
        assert_eq!(
            cache_key(&home.target(None, None), "c", "", &s),
            cache_key(&home.target(Some("HOME.example"), None), "c", "", &s)
        );
    }

    #[test]
    fn memory_keeps_buffered_tokens_for_stale_use_and_drops_expired() {
        let mut m = MemoryCache::new(DEFAULT_MAX_ENTRIES);
        m.put("k", Shared::new(token(3600, None, 0))).unwrap();
        assert!(m.get("k", 0, 300_000).is_some());
        assert!(
            m.get("k", 3_400_000, 300_000).is_none(),
            "inside the buffer: not served"
        );
        assert!(
            m.get_stale("k", 3_400_000, 30_000).is_some(),
            "but still valid for stale-if-error"
        );
        assert!(
            m.get_stale("k", 3_570_000, 30_000).is_none(),
            "under 30 s left"
        );
        assert!(m.get("k", 3_600_000, 300_000).is_none());
        assert!(m.is_empty(), "dropped once expired");
    }

    #[test]
    fn due_lists_what_stops_being_fresh_within_the_window() {
        let mut m = MemoryCache::new(10);
        // refreshOn at 3_601_000, expiry at 86_401_000.
        m.put("r", Shared::new(token(86_400, Some(3_600), 1_000)))
            .unwrap();
        // No refreshOn: fresh until the buffer, 3_300_000.
        m.put("b", Shared::new(token(3_600, None, 0))).unwrap();
        let due = |now, by| {
            let mut keys: Vec<_> = m.due(now, by, 300_000).map(|(k, _)| k.to_owned()).collect();
            keys.sort();
            keys
        };
        assert_eq!(due(0, 3_299_999), Vec::<String>::new());
        assert_eq!(due(0, 3_300_000), ["b"]);
        assert_eq!(due(0, 3_601_000), ["b", "r"]);
        assert_eq!(
            due(3_400_000, 3_400_000),
            ["b"],
            "b is inside the buffer, still valid"
        );
        assert_eq!(due(3_400_000, 3_601_000), ["b", "r"]);
        assert_eq!(
            due(3_600_001, 3_700_000),
            ["r"],
            "b expired: nothing to renew"
        );
    }

    #[test]
    fn least_recently_used_is_evicted_first() {
        let mut m = MemoryCache::new(2);
        m.put("a", Shared::new(token(3600, None, 0))).unwrap();
        m.put("b", Shared::new(token(3600, None, 0))).unwrap();
        assert!(
            m.get("a", 10, 300_000).is_some(),
            "a is now the most recent"
        );
        m.put("c", Shared::new(token(3600, None, 0))).unwrap();
        assert_eq!(m.len(), 2);
        assert!(
            m.get("b", 30, 300_000).is_none(),
            "b, the least recently used, went"
        );
        assert!(m.get("a", 30, 300_000).is_some());
        assert!(m.get("c", 30, 300_000).is_some());
        // Replacing a key does not evict another one.
        m.put("c", Shared::new(token(3600, None, 40))).unwrap();
        assert!(m.get("a", 50, 300_000).is_some() && m.len() == 2);
        assert_eq!(m.evictions(), 1, "b only; a replacement is no eviction");
        m.evict("a");
        m.evict("b");
        assert_eq!(
            m.evictions(),
            2,
            "an entry a level in front dropped counts; a gone one not"
        );
        m.clear();
        assert!(m.is_empty());
    }
}
