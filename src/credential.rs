//! Certificate credentials: PEM keys and chains, thumbprints, and the client assertion JWT
//! (RFC 7523 §3, Entra's certificate-credential format). RSA signatures are made by the
//! shell's WebCrypto from [`CertificateCredential::rsa_pkcs8`]; ES256 is signed here.
//!
//! # Security
//! Key bytes live only inside this module's types, whose `Debug` is redacted; error messages
//! name the expected format and never quote key material.

use std::fmt;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use serde::Serialize;

use crate::der::{self, tag};
use crate::error::Error;
use crate::input::CertificateInput;

/// rsaEncryption, 1.2.840.113549.1.1.1.
const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// id-ecPublicKey, 1.2.840.10045.2.1.
const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// prime256v1 (P-256), 1.2.840.10045.3.1.7.
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// Smallest RSA modulus accepted; Entra and NIST require 2048.
const MIN_RSA_BITS: usize = 2048;
/// Assertion lifetime: Entra accepts up to 10 minutes.
const ASSERTION_LIFETIME_S: u64 = 600;

/// The JWS algorithm of an assertion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwsAlg {
    /// RSASSA-PSS with SHA-256 (Entra's documented form, with `x5t#S256`).
    Ps256,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (legacy, with `x5t`).
    Rs256,
    /// ECDSA P-256 with SHA-256 (generic servers only).
    Es256,
}

impl JwsAlg {
    /// The `alg` header value.
    pub fn name(self) -> &'static str {
        match self {
            JwsAlg::Ps256 => "PS256",
            JwsAlg::Rs256 => "RS256",
            JwsAlg::Es256 => "ES256",
        }
    }
}

#[derive(Clone)]
enum PrivateKey {
    Rsa { pkcs8: Vec<u8>, modulus: Vec<u8> },
    Ec(SigningKey),
}

/// A parsed certificate credential.
#[derive(Clone)]
pub struct CertificateCredential {
    key: PrivateKey,
    x5t_s256: Option<String>,
    x5t: Option<String>,
    x5c: Vec<String>,
    key_id: Option<String>,
}

impl fmt::Debug for CertificateCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateCredential")
            .field("alg", &self.alg().name())
            .field("key", &"[redacted]")
            .finish()
    }
}

fn bad(message: impl Into<String>) -> Error {
    Error::config("invalid_certificate", message)
}

impl CertificateCredential {
    /// Parses and cross-checks `auth.clientCertificate` once, at construction.
    ///
    /// # Errors
    /// `invalid_certificate` naming what is wrong: unreadable or encrypted PEM, unsupported key
    /// type, RSA under 2048 bits, thumbprints that are not hex of the right length or do not
    /// match `x5c`, a key that does not belong to the certificate, or (Entra) an EC key.
    pub fn parse(raw: &CertificateInput, entra: bool) -> Result<Self, Error> {
        let pem = raw
            .private_key
            .as_ref()
            .map(|p| p.secret())
            .unwrap_or_default();
        if pem.trim().is_empty() {
            return Err(bad(
                "auth.clientCertificate.privateKey is required: a PEM private key",
            ));
        }
        let key = parse_private_key(pem)?;
        if entra && matches!(key, PrivateKey::Ec(_)) {
            return Err(bad(
                "Entra accepts only RSA certificates for client assertions (AADSTS5002738): \
                 auth.clientCertificate.privateKey is an EC key. Use an RSA key of 2048 bits or more",
            ));
        }
        let chain = match &raw.x5c {
            Some(pem) => parse_chain(pem)?,
            None => Vec::new(),
        };
        let mut x5t_s256 = raw
            .thumbprint_sha256
            .as_deref()
            .map(|h| thumbprint("auth.clientCertificate.thumbprintSha256", h, 32))
            .transpose()?;
        let mut x5t = raw
            .thumbprint
            .as_deref()
            .map(|h| thumbprint("auth.clientCertificate.thumbprint", h, 20))
            .transpose()?;
        if let Some(leaf) = chain.first() {
            let (s256, s1) = (Sha256::digest(leaf).to_vec(), Sha1::digest(leaf).to_vec());
            if x5t_s256.as_ref().is_some_and(|t| *t != s256)
                || x5t.as_ref().is_some_and(|t| *t != s1)
            {
                return Err(bad(
                    "auth.clientCertificate thumbprint does not match the first certificate in x5c: \
                     remove the thumbprint (it is computed from x5c) or fix it",
                ));
            }
            check_key_matches(&key, leaf)?;
            x5t_s256 = Some(s256);
            x5t = Some(s1);
        }
        if entra && x5t_s256.is_none() && x5t.is_none() {
            return Err(bad(
                "Entra identifies the certificate by its thumbprint: set auth.clientCertificate.thumbprintSha256 \
                 (or x5c, the certificate PEM)",
            ));
        }
        Ok(CertificateCredential {
            key,
            x5t_s256: x5t_s256.map(|t| URL_SAFE_NO_PAD.encode(t)),
            x5t: x5t.map(|t| URL_SAFE_NO_PAD.encode(t)),
            x5c: chain.iter().map(|c| STANDARD.encode(c)).collect(),
            key_id: raw.key_id.clone(),
        })
    }

    /// The algorithm: ES256 for EC keys; for RSA, PS256 when a SHA-256 thumbprint is known,
    /// else RS256 (the legacy `x5t` form, and the most widely accepted by generic servers).
    pub fn alg(&self) -> JwsAlg {
        match (&self.key, &self.x5t_s256) {
            (PrivateKey::Ec(_), _) => JwsAlg::Es256,
            (PrivateKey::Rsa { .. }, Some(_)) => JwsAlg::Ps256,
            (PrivateKey::Rsa { .. }, None) => JwsAlg::Rs256,
        }
    }

    /// The PKCS#8 DER of an RSA key, for WebCrypto `importKey("pkcs8", ...)`.
    pub fn rsa_pkcs8(&self) -> Option<&[u8]> {
        match &self.key {
            PrivateKey::Rsa { pkcs8, .. } => Some(pkcs8),
            PrivateKey::Ec(_) => None,
        }
    }

    /// Secret bytes to derive the store's sealing key from.
    pub fn key_material(&self) -> Vec<u8> {
        match &self.key {
            PrivateKey::Rsa { pkcs8, .. } => pkcs8.clone(),
            PrivateKey::Ec(k) => k.to_bytes().to_vec(),
        }
    }

    /// The JWS signing input (`base64url(header).base64url(claims)`) of a fresh assertion.
    /// `jti` must be new per token request: servers reject replays.
    pub fn signing_input(
        &self,
        client_id: &str,
        audience: &str,
        now_s: u64,
        jti: &str,
        send_x5c: bool,
    ) -> String {
        let alg = self.alg();
        let header = JwtHeader {
            alg: alg.name(),
            typ: "JWT",
            // PS256 is chosen exactly when the SHA-256 thumbprint is known (`alg`).
            x5t_s256: self.x5t_s256.as_deref().filter(|_| alg == JwsAlg::Ps256),
            x5t: (alg != JwsAlg::Ps256)
                .then_some(self.x5t.as_deref())
                .flatten(),
            kid: self.key_id.as_deref(),
            x5c: (send_x5c && !self.x5c.is_empty()).then_some(self.x5c.as_slice()),
        };
        let claims = JwtClaims {
            aud: audience,
            iss: client_id,
            sub: client_id,
            jti,
            nbf: now_s,
            iat: now_s,
            exp: now_s + ASSERTION_LIFETIME_S,
        };
        let h = URL_SAFE_NO_PAD.encode(to_json(&header));
        let c = URL_SAFE_NO_PAD.encode(to_json(&claims));
        format!("{h}.{c}")
    }

    /// An ES256 signature (RFC 7518 §3.4: fixed 64-byte r||s), deterministic per RFC 6979.
    /// `None` for RSA keys, which the shell signs.
    pub fn sign_es256(&self, signing_input: &str) -> Option<Vec<u8>> {
        match &self.key {
            PrivateKey::Ec(k) => {
                let sig: Signature = k.sign(signing_input.as_bytes());
                Some(sig.to_bytes().to_vec())
            }
            PrivateKey::Rsa { .. } => None,
        }
    }
}

/// The JOSE header of a client assertion (RFC 7515 §4.1), in the order Entra's samples use.
#[derive(Serialize)]
struct JwtHeader<'a> {
    alg: &'a str,
    typ: &'a str,
    #[serde(rename = "x5t#S256", skip_serializing_if = "Option::is_none")]
    x5t_s256: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    x5t: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    x5c: Option<&'a [String]>,
}

/// The claims of a client assertion (RFC 7523 §3).
#[derive(Serialize)]
struct JwtClaims<'a> {
    aud: &'a str,
    iss: &'a str,
    sub: &'a str,
    jti: &'a str,
    nbf: u64,
    iat: u64,
    exp: u64,
}

/// JSON text of a struct made of strings and integers, which always serializes.
fn to_json(value: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

/// Completes a JWS from its signing input and signature.
pub fn finish_jwt(signing_input: &str, signature: &[u8]) -> String {
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// The PEM blocks of `text` as (label, DER).
fn pem_blocks(text: &str) -> Result<Vec<(String, Vec<u8>)>, ()> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + 11..];
        let label_end = after.find("-----").ok_or(())?;
        let label = &after[..label_end];
        let body_start = &after[label_end + 5..];
        let end_marker = format!("-----END {label}-----");
        let body_end = body_start.find(&end_marker).ok_or(())?;
        let b64: String = body_start[..body_end]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if b64.contains(':') {
            // RFC 1421 headers (Proc-Type: 4,ENCRYPTED): a legacy encrypted key.
            return Err(());
        }
        out.push((label.to_owned(), STANDARD.decode(b64).map_err(|_| ())?));
        rest = &body_start[body_end + end_marker.len()..];
    }
    Ok(out)
}

const KEY_FORMATS: &str =
    "a PEM private key: PKCS#8 (BEGIN PRIVATE KEY), PKCS#1 RSA (BEGIN RSA PRIVATE KEY) \
                           or SEC1 EC P-256 (BEGIN EC PRIVATE KEY)";

fn parse_private_key(pem: &str) -> Result<PrivateKey, Error> {
    let unreadable = || {
        bad(format!(
            "auth.clientCertificate.privateKey is not readable: expected {KEY_FORMATS}"
        ))
    };
    let blocks = pem_blocks(pem).map_err(|_| {
        if pem.contains("ENCRYPTED") {
            encrypted()
        } else {
            unreadable()
        }
    })?;
    let (label, der) = blocks
        .into_iter()
        .find(|(l, _)| l.contains("PRIVATE KEY"))
        .ok_or_else(unreadable)?;
    match label.as_str() {
        "ENCRYPTED PRIVATE KEY" => Err(encrypted()),
        "PRIVATE KEY" => pkcs8_key(&der).ok_or_else(unreadable)?,
        "RSA PRIVATE KEY" => rsa_from_pkcs1(&der).ok_or_else(unreadable)?,
        "EC PRIVATE KEY" => ec_from_sec1(&der, None).ok_or_else(unreadable)?,
        _ => Err(unreadable()),
    }
}

fn encrypted() -> Error {
    bad("auth.clientCertificate.privateKey is encrypted: decrypt it first, e.g. `openssl pkcs8 -topk8 -nocrypt -in key.pem`, \
         and keep it in a secret store")
}

fn pkcs8_key(der_bytes: &[u8]) -> Option<Result<PrivateKey, Error>> {
    let info = der::read_exact(der_bytes, tag::SEQUENCE)?;
    let parts = der::children(info.value)?;
    let alg = der::children(parts.get(1)?.value)?;
    let oid = alg.first()?;
    if oid.value == OID_RSA {
        let pkcs1 = parts.get(2).filter(|p| p.tag == tag::OCTET_STRING)?;
        let modulus = rsa_modulus(pkcs1.value)?;
        Some(rsa_key(der_bytes.to_vec(), modulus))
    } else if oid.value == OID_EC {
        let curve = alg.get(1).map(|c| c.value);
        let sec1 = parts.get(2).filter(|p| p.tag == tag::OCTET_STRING)?;
        ec_from_sec1(sec1.value, curve)
    } else {
        Some(Err(bad(format!(
            "auth.clientCertificate.privateKey has an unsupported key type: expected an RSA or EC P-256 key ({KEY_FORMATS})"
        ))))
    }
}

/// A SEC1 ECPrivateKey { 1, d, [0] curve?, [1] public? }; the curve comes from `[0]` or,
/// inside PKCS#8, from the algorithm parameters.
fn ec_from_sec1(sec1: &[u8], outer_curve: Option<&[u8]>) -> Option<Result<PrivateKey, Error>> {
    let seq = der::read_exact(sec1, tag::SEQUENCE)?;
    let fields = der::children(seq.value)?;
    let d = fields.get(1).filter(|f| f.tag == tag::OCTET_STRING)?;
    let inner_curve = fields
        .iter()
        .find(|f| f.tag == tag::CONTEXT_0)
        .and_then(|c| der::read_exact(c.value, tag::OID))
        .map(|o| o.value);
    if inner_curve.or(outer_curve) != Some(OID_P256) {
        return Some(Err(bad(
            "auth.clientCertificate.privateKey is an EC key that is not on curve P-256: only P-256 (prime256v1) is supported",
        )));
    }
    Some(
        SigningKey::from_slice(d.value)
            .map(PrivateKey::Ec)
            .map_err(|_| bad("auth.clientCertificate.privateKey is not a valid P-256 private key")),
    )
}

fn rsa_from_pkcs1(pkcs1: &[u8]) -> Option<Result<PrivateKey, Error>> {
    let modulus = rsa_modulus(pkcs1)?;
    // WebCrypto imports PKCS#8 only: wrap as PrivateKeyInfo { 0, rsaEncryption NULL, pkcs1 }.
    let mut alg = der::write(tag::OID, OID_RSA);
    alg.extend(der::write(tag::NULL, &[]));
    let mut info = der::write(tag::INTEGER, &[0]);
    info.extend(der::write(tag::SEQUENCE, &alg));
    info.extend(der::write(tag::OCTET_STRING, pkcs1));
    Some(rsa_key(der::write(tag::SEQUENCE, &info), modulus))
}

fn rsa_key(pkcs8: Vec<u8>, modulus: Vec<u8>) -> Result<PrivateKey, Error> {
    let bits = modulus.len() * 8 - modulus.first().map_or(8, |b| b.leading_zeros() as usize);
    if bits < MIN_RSA_BITS {
        return Err(bad(format!(
            "auth.clientCertificate.privateKey is a {bits}-bit RSA key: use {MIN_RSA_BITS} bits or more"
        )));
    }
    Ok(PrivateKey::Rsa { pkcs8, modulus })
}

/// The modulus of a PKCS#1 RSAPrivateKey { version, n, e, d, ... }.
fn rsa_modulus(pkcs1: &[u8]) -> Option<Vec<u8>> {
    let seq = der::read_exact(pkcs1, tag::SEQUENCE)?;
    let fields = der::children(seq.value)?;
    let n = fields.get(1).filter(|f| f.tag == tag::INTEGER)?;
    Some(der::unsigned(n.value).to_vec())
}

fn parse_chain(pem: &str) -> Result<Vec<Vec<u8>>, Error> {
    let unreadable = || {
        bad("auth.clientCertificate.x5c is not readable: expected one or more PEM certificates (BEGIN CERTIFICATE), leaf first")
    };
    let certs: Vec<Vec<u8>> = pem_blocks(pem)
        .map_err(|_| unreadable())?
        .into_iter()
        .filter(|(label, _)| label == "CERTIFICATE")
        .map(|(_, der)| der)
        .collect();
    if certs.is_empty() || certs.iter().any(|c| subject_public_key(c).is_none()) {
        return Err(unreadable());
    }
    Ok(certs)
}

/// The subjectPublicKeyInfo of a certificate: (algorithm OID, public key bits).
fn subject_public_key(cert: &[u8]) -> Option<(&[u8], &[u8])> {
    let cert = der::read_exact(cert, tag::SEQUENCE)?;
    let tbs = der::children(cert.value)?.into_iter().next()?;
    let fields = der::children(tbs.value)?;
    let skip_version = usize::from(fields.first()?.tag == tag::CONTEXT_0);
    let spki = der::children(fields.get(5 + skip_version)?.value)?;
    let alg = der::children(spki.first()?.value)?;
    let bits = spki.get(1).filter(|b| b.tag == tag::BIT_STRING)?;
    Some((alg.first()?.value, bits.value.get(1..)?))
}

fn check_key_matches(key: &PrivateKey, leaf: &[u8]) -> Result<(), Error> {
    let mismatch = || {
        bad("auth.clientCertificate.privateKey does not belong to the first certificate in x5c: pass the key and \
             certificate of the same pair")
    };
    let (oid, bits) = subject_public_key(leaf).ok_or_else(mismatch)?;
    let matches = match key {
        PrivateKey::Rsa { modulus, .. } => {
            oid == OID_RSA
                && der::read_exact(bits, tag::SEQUENCE)
                    .and_then(|s| der::children(s.value))
                    .and_then(|f| {
                        f.first()
                            .map(|n| der::unsigned(n.value) == modulus.as_slice())
                    })
                    .unwrap_or(false)
        }
        PrivateKey::Ec(k) => {
            oid == OID_EC && k.verifying_key().to_sec1_point(false).as_bytes() == bits
        }
    };
    if matches {
        Ok(())
    } else {
        Err(mismatch())
    }
}

fn thumbprint(field: &str, hex: &str, len: usize) -> Result<Vec<u8>, Error> {
    let clean: String = hex.chars().filter(|c| !matches!(c, ':' | ' ')).collect();
    let bytes =
        (clean.len() == len * 2 && clean.chars().all(|c| c.is_ascii_hexdigit())).then(|| {
            (0..len)
                .map(|i| u8::from_str_radix(&clean[2 * i..2 * i + 2], 16).unwrap_or(0))
                .collect()
        });
    bytes.ok_or_else(|| {
        bad(format!(
            "{field} must be {} hex characters (the certificate's {} thumbprint), colons allowed",
            len * 2,
            if len == 32 { "SHA-256" } else { "SHA-1" }
        ))
    })
}
