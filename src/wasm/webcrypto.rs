//! RSA signatures through the runtime's WebCrypto (`crypto.subtle`): native speed and constant
//! time, no bignum code in the wasm. The key is imported once per app and reused.

use js_sys::{Array, Object, Uint8Array};
use wasm_bindgen::JsValue;

use super::js::{call_method, get, resolve, set};
use crate::credential::JwsAlg;
use crate::error::Error;

/// A lazily imported RSA signing key.
#[derive(Default)]
pub(crate) struct RsaSigner {
    key: std::cell::RefCell<Option<JsValue>>,
}

impl RsaSigner {
    /// Signs `input` with PS256 or RS256, importing the key `pkcs8` gives on first use (so
    /// the key's bytes are copied out of the core once, not per signature).
    pub(crate) async fn sign(
        &self,
        pkcs8: impl FnOnce() -> Vec<u8>,
        alg: JwsAlg,
        input: &str,
    ) -> Result<Vec<u8>, Error> {
        let subtle = get(&get(&js_sys::global(), "crypto"), "subtle");
        if subtle.is_undefined() {
            return Err(Error::config(
                "unsupported_runtime",
                "RSA certificates need WebCrypto (crypto.subtle), which this runtime lacks",
            ));
        }
        let algorithm = Object::new();
        let (name, salt) = match alg {
            JwsAlg::Ps256 => ("RSA-PSS", Some(32.0)),
            _ => ("RSASSA-PKCS1-v1_5", None),
        };
        set(&algorithm, "name", name);
        set(&algorithm, "hash", "SHA-256");
        let cached = self.key.borrow().clone();
        let key = match cached {
            Some(key) => key,
            None => {
                let usages: Array = [JsValue::from("sign")].into_iter().collect();
                let der = Uint8Array::from(pkcs8().as_slice());
                let imported = call_method(
                    &subtle,
                    "importKey",
                    &[
                        "pkcs8".into(),
                        der.into(),
                        algorithm.clone().into(),
                        false.into(),
                        usages.into(),
                    ],
                );
                let key = match imported {
                    Ok(p) => resolve(p).await,
                    Err(e) => Err(e),
                }
                .map_err(|_| {
                    Error::config(
                        "invalid_certificate",
                        "WebCrypto refused auth.clientCertificate.privateKey as an RSA signing key",
                    )
                })?;
                *self.key.borrow_mut() = Some(key.clone());
                key
            }
        };
        if let Some(salt) = salt {
            set(&algorithm, "saltLength", salt);
        }
        let data = Uint8Array::from(input.as_bytes());
        let signature = match call_method(&subtle, "sign", &[algorithm.into(), key, data.into()]) {
            Ok(p) => resolve(p).await,
            Err(e) => Err(e),
        }
        .map_err(|_| {
            Error::config(
                "invalid_certificate",
                "WebCrypto could not sign with auth.clientCertificate.privateKey",
            )
        })?;
        Ok(Uint8Array::new(&signature).to_vec())
    }
}
