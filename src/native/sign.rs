//! RSA client assertions natively (PS256, RS256 over SHA-256): where the wasm shell asks the
//! runtime's WebCrypto, a native process signs with RustCrypto's `rsa`.

use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::PrivateKey;
use sha2::Sha256;

use crate::credential::JwsAlg;
use crate::error::Error;

/// The certificate's RSA key, parsed once.
pub(crate) struct RsaSigner {
    pss: rsa::pss::SigningKey<Sha256>,
    pkcs1: rsa::pkcs1v15::SigningKey<Sha256>,
}

impl RsaSigner {
    /// Parses the PKCS#8 DER the core extracted from the configured PEM.
    ///
    /// # Errors
    /// `invalid_certificate` when the key does not parse (the core read its structure already).
    pub(crate) fn new(pkcs8_der: &[u8]) -> Result<Self, Error> {
        let key = PrivateKey::from_pkcs8_der(pkcs8_der).map_err(|_| {
            Error::config(
                "invalid_certificate",
                "auth.clientCertificate.privateKey is not a usable RSA key",
            )
        })?;
        Ok(RsaSigner {
            pss: rsa::pss::SigningKey::new(key.clone()),
            pkcs1: rsa::pkcs1v15::SigningKey::new(key),
        })
    }

    /// The signature over the JWS signing input (RFC 7518 §3.3, §3.5: PSS salt of the hash
    /// length, as WebCrypto is asked for in the shell).
    ///
    /// # Errors
    /// `invalid_certificate` when the key cannot sign.
    pub(crate) fn sign(&self, input: &str, alg: JwsAlg) -> Result<Vec<u8>, Error> {
        let signed = match alg {
            JwsAlg::Ps256 => self.pss.try_sign(input.as_bytes()).map(|s| s.to_vec()),
            _ => self.pkcs1.try_sign(input.as_bytes()).map(|s| s.to_vec()),
        };
        signed.map_err(|_| {
            Error::config(
                "invalid_certificate",
                "signing the client assertion with auth.clientCertificate.privateKey failed",
            )
        })
    }
}
