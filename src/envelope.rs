//! Stored cache entries: a versioned envelope sealed with AES-256-GCM under a key derived by
//! HKDF-SHA-256, with the store key as associated data so an entry cannot be moved to another
//! key. Nonces come from the caller (the shell's CSPRNG); the core stays deterministic.
//!
//! The core owns the format (prefix, nonce, base64url) and the payloads; the cipher may be the
//! driver's. The JavaScript package seals with the runtime's AES-GCM (WebCrypto, or
//! `node:crypto` in Node), which is native code: in workerd this crate's software AES-GCM cost
//! about 40% of a store hit (BENCHMARKS.md, issue 24); it also frames the values itself
//! (www/src/envelope.js: [`frame`] and [`unframe`] in JS), so a stored value is not copied into
//! the wasm to be decoded. [`seal_bytes`] and [`open_bytes`] are the software cipher, for the
//! native drivers and the tests; every driver makes the same bytes (tests/envelope.rs has the
//! vector the JS ciphers are checked against).
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

use serde::{Deserialize, Serialize};

use crate::cache::CachedToken;
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

/// A payload opened from, or to be sealed into, an envelope. It holds a token or a failure
/// record, so `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Plain(Vec<u8>);

impl std::fmt::Debug for Plain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Plain([redacted])")
    }
}

impl Plain {
    /// Wraps opened bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Plain(bytes)
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl SealingKey {
    /// The raw key, for a driver that seals with the runtime's AES-GCM. It must not leave the
    /// cipher it is given to (WebCrypto imports it non-extractable).
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }

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

/// The sealed payload. The names and order are the first release's: entries already in
/// stores keep opening, and a token without `iat` seals to the same bytes as then.
#[derive(Serialize, Deserialize)]
struct Stored {
    at: String,
    tt: String,
    exp: u64,
    ext: Option<u64>,
    rf: Option<u64>,
    sc: Vec<String>,
    tid: Option<String>,
    /// When the token was requested (ms); absent in entries of earlier releases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    iat: Option<u64>,
}

/// Seals a token for `store_key`. `None` when AES-GCM refuses (it never does for a token's
/// size); nothing is stored then.
pub fn seal(
    key: &SealingKey,
    store_key: &str,
    token: &CachedToken,
    nonce: [u8; NONCE_LEN],
) -> Option<String> {
    seal_bytes(key, store_key, entry_plain(token)?.bytes(), nonce)
}

/// The payload a token's entry seals.
pub fn entry_plain(token: &CachedToken) -> Option<Plain> {
    let stored = Stored {
        at: token.access_token.secret().to_owned(),
        tt: token.token_type.clone(),
        exp: token.expires_on_ms,
        ext: token.ext_expires_on_ms,
        rf: token.refresh_on_ms,
        sc: token.scopes.clone(),
        tid: token.tenant_id.clone(),
        iat: token.issued_at_ms,
    };
    serde_json::to_vec(&stored).ok().map(Plain)
}

/// Seals any payload for `store_key` in the same envelope (the `Retry-After` window and a lease
/// holder's outcome are sealed as the entries are).
pub fn seal_bytes(
    key: &SealingKey,
    store_key: &str,
    plain: &[u8],
    nonce: [u8; NONCE_LEN],
) -> Option<String> {
    let cipher = Aes256Gcm::new(&key.0.into());
    let sealed = cipher
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: plain,
                aad: store_key.as_bytes(),
            },
        )
        .ok()?;
    Some(frame(&nonce, &sealed))
}

/// The envelope of AES-GCM output `sealed` (ciphertext and tag) made with `nonce`.
pub fn frame(nonce: &[u8; NONCE_LEN], sealed: &[u8]) -> String {
    let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
    out.extend_from_slice(nonce);
    out.extend_from_slice(sealed);
    format!("{VERSION_PREFIX}{}", URL_SAFE_NO_PAD.encode(out))
}

/// The nonce and the AES-GCM output (ciphertext and tag) of an envelope.
///
/// # Errors
/// [`OpenError::Version`] or [`OpenError::Encoding`].
pub fn unframe(value: &str) -> Result<([u8; NONCE_LEN], Vec<u8>), OpenError> {
    let body = value
        .strip_prefix(VERSION_PREFIX)
        .ok_or(OpenError::Version)?;
    let mut bytes = URL_SAFE_NO_PAD
        .decode(body)
        .map_err(|_| OpenError::Encoding)?;
    if bytes.len() < NONCE_LEN + 16 {
        return Err(OpenError::Encoding);
    }
    let sealed = bytes.split_off(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = bytes.try_into().map_err(|_| OpenError::Encoding)?;
    Ok((nonce, sealed))
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
    entry_from(&open_bytes(key, store_key, value)?)
}

/// Opens any envelope read from `store_key` to its payload.
///
/// # Errors
/// An [`OpenError`] when it is not this version's envelope or does not authenticate.
pub fn open_bytes(key: &SealingKey, store_key: &str, value: &str) -> Result<Vec<u8>, OpenError> {
    let (nonce, sealed) = unframe(value)?;
    let cipher = Aes256Gcm::new(&key.0.into());
    cipher
        .decrypt(
            &Nonce::from(nonce),
            Payload {
                msg: &sealed,
                aad: store_key.as_bytes(),
            },
        )
        .map_err(|_| OpenError::Authentication)
}

/// The token entry inside an opened envelope.
///
/// # Errors
/// [`OpenError::Content`] when it holds no token entry.
pub fn entry_from(plain: &[u8]) -> Result<CachedToken, OpenError> {
    let s: Stored = crate::lenient::object(plain).ok_or(OpenError::Content)?;
    Ok(CachedToken {
        access_token: AccessToken::new(s.at),
        token_type: s.tt,
        expires_on_ms: s.exp,
        ext_expires_on_ms: s.ext,
        refresh_on_ms: s.rf,
        scopes: s.sc,
        tenant_id: s.tid,
        issued_at_ms: s.iat,
    })
}

/// KV `expirationTtl` in seconds: how long the token stays servable. `None` when that is under
/// KV's 60-second floor, so the entry is not written at all.
pub fn ttl_seconds(token: &CachedToken, now_ms: u64, buffer_ms: u64) -> Option<u64> {
    let servable_until = token.expires_on_ms.saturating_sub(buffer_ms);
    let ttl = servable_until.saturating_sub(now_ms) / 1000;
    (ttl >= MIN_TTL_SECONDS).then_some(ttl)
}
