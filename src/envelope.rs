//! Stored cache entries: a versioned envelope sealed with AES-256-GCM under a key derived by
//! HKDF-SHA-256, with the store key as associated data so an entry cannot be moved to another
//! key. Nonces come from the caller (the shell's CSPRNG); the core stays deterministic.
//!
//! # Security
//! Someone who can read the store sees `ee1.` and base64url noise: no token, tenant or scope.
//! An entry that does not open (tampered, another key, another version) is a miss.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hkdf::Hkdf;
use sha2::Sha256;

use crate::cache::CachedToken;
use crate::json::{self, Object, Value};
use crate::secret::AccessToken;

/// Prefix of every envelope; a new format gets a new prefix and old entries become misses.
pub const VERSION_PREFIX: &str = "ee1.";
/// Bytes of AES-GCM nonce the caller supplies per seal.
pub const NONCE_LEN: usize = 12;
/// KV's floor for `expirationTtl`.
pub const MIN_TTL_SECONDS: u64 = 60;

/// The 256-bit sealing key. `Debug` is redacted.
#[derive(Clone)]
pub struct SealingKey([u8; 32]);

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey([redacted])")
    }
}

impl SealingKey {
    /// Derives the key from secret material (`cache.encryptionKey` or the credential), bound
    /// to the client id so two apps sharing a secret still get different keys.
    pub fn derive(material: &[u8], client_id: &str) -> Self {
        let hk = Hkdf::<Sha256>::new(Some(b"entra-edge token cache v1"), material);
        let mut key = [0u8; 32];
        // 32 bytes is far below HKDF-SHA-256's 8160-byte limit.
        let _ = hk.expand(client_id.as_bytes(), &mut key);
        SealingKey(key)
    }
}

/// Seals a token for `store_key`.
pub fn seal(
    key: &SealingKey,
    store_key: &str,
    token: &CachedToken,
    nonce: [u8; NONCE_LEN],
) -> String {
    // The names and order of the first release: entries already in stores must keep opening.
    let mut stored = Object::new();
    stored.insert("at", token.access_token.secret());
    stored.insert("tt", token.token_type.as_str());
    stored.insert("exp", token.expires_on_ms);
    stored.insert("ext", token.ext_expires_on_ms);
    stored.insert("rf", token.refresh_on_ms);
    stored.insert("sc", token.scopes.clone());
    stored.insert("tid", token.tenant_id.clone());
    let plain = Value::from(stored).to_json().into_bytes();
    let cipher = Aes256Gcm::new(&key.0.into());
    let sealed = cipher
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: &plain,
                aad: store_key.as_bytes(),
            },
        )
        .unwrap_or_default();
    let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    format!("{VERSION_PREFIX}{}", URL_SAFE_NO_PAD.encode(out))
}

/// Why a stored value was not used (for the logger; all are misses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenError {
    /// Not an envelope of this version.
    Version,
    /// Not valid base64url, or too short.
    Encoding,
    /// Authentication failed: tampered, another key, or moved from another store key.
    Authentication,
    /// Opened, but the content is not a token entry.
    Content,
}

impl OpenError {
    /// Log text.
    pub fn describe(self) -> &'static str {
        match self {
            OpenError::Version => "stored value is not an entra-edge v1 envelope",
            OpenError::Encoding => "stored value is not valid base64url",
            OpenError::Authentication => {
                "stored value does not open with this key (tampered, other key, or other entry)"
            }
            OpenError::Content => "stored value opened but holds no token entry",
        }
    }
}

/// Opens an envelope read from `store_key`.
///
/// # Errors
/// An [`OpenError`]; callers treat every one as a miss and overwrite the entry.
pub fn open(key: &SealingKey, store_key: &str, value: &str) -> Result<CachedToken, OpenError> {
    let body = value
        .strip_prefix(VERSION_PREFIX)
        .ok_or(OpenError::Version)?;
    let bytes = URL_SAFE_NO_PAD
        .decode(body)
        .map_err(|_| OpenError::Encoding)?;
    if bytes.len() < NONCE_LEN + 16 {
        return Err(OpenError::Encoding);
    }
    let (nonce, sealed) = bytes.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| OpenError::Encoding)?;
    let cipher = Aes256Gcm::new(&key.0.into());
    let plain = cipher
        .decrypt(
            &Nonce::from(nonce),
            Payload {
                msg: sealed,
                aad: store_key.as_bytes(),
            },
        )
        .map_err(|_| OpenError::Authentication)?;
    read_stored(&plain).ok_or(OpenError::Content)
}

/// The token entry inside an opened envelope.
fn read_stored(plain: &[u8]) -> Option<CachedToken> {
    let root = json::parse(plain).ok()?;
    let s = root.as_object()?;
    let text = |name| s.get(name).and_then(Value::as_str).map(str::to_owned);
    // Absent or null is `Some(None)`; anything but a whole number is `None`.
    let number = |name| match s.get(name) {
        None | Some(Value::Null) => Some(None),
        Some(Value::Number(n)) => n.as_u64().map(Some),
        Some(_) => None,
    };
    let scopes = match s.get("sc")? {
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()?,
        _ => return None,
    };
    let tenant_id = match s.get("tid") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_str()?.to_owned()),
    };
    Some(CachedToken {
        access_token: AccessToken::new(text("at")?),
        token_type: text("tt")?,
        expires_on_ms: number("exp")??,
        ext_expires_on_ms: number("ext")?,
        refresh_on_ms: number("rf")?,
        scopes,
        tenant_id,
    })
}

/// KV `expirationTtl` in seconds: how long the token stays servable. `None` when that is under
/// KV's 60-second floor, so the entry is not written at all.
pub fn ttl_seconds(token: &CachedToken, now_ms: u64, buffer_ms: u64) -> Option<u64> {
    let servable_until = token.expires_on_ms.saturating_sub(buffer_ms);
    let ttl = servable_until.saturating_sub(now_ms) / 1000;
    (ttl >= MIN_TTL_SECONDS).then_some(ttl)
}
