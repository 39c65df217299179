//! Client assertions per token request: certificate JWTs (RSA through WebCrypto, ES256 in the
//! core) and the user's `clientAssertion` callback. Never reused: each gets a fresh `jti`.

use js_sys::Object;
use wasm_bindgen::JsValue;

use super::app::Inner;
use super::js::{now_ms, resolve, set, uuid};
use crate::config::Credential;
use crate::credential::{finish_jwt, JwsAlg};
use crate::error::Error;
use crate::secret::ClientSecret;

impl Inner {
    /// The assertion for one token request, if the credential uses one.
    pub(super) async fn assertion(&self) -> Result<Option<ClientSecret>, Error> {
        match self.signed_assertion().await? {
            Some(jwt) => Ok(Some(jwt)),
            None => self.assertion_for_request().await,
        }
    }

    /// A fresh certificate assertion (new `jti` every time), for certificate credentials.
    async fn signed_assertion(&self) -> Result<Option<ClientSecret>, Error> {
        let now = now_ms(self.now.as_ref())?;
        let Some((input, alg)) = self.core.borrow().assertion_to_sign(now, &uuid()) else {
            return Ok(None);
        };
        let signature = match alg {
            JwsAlg::Es256 => self.core.borrow().sign_es256(&input),
            JwsAlg::Ps256 | JwsAlg::Rs256 => {
                let pkcs8 = self.core.borrow().rsa_pkcs8();
                match pkcs8 {
                    Some(der) => Some(self.rsa.sign(&der, alg, &input).await?),
                    None => None,
                }
            }
        };
        let signature = signature.ok_or_else(|| {
            Error::config("invalid_certificate", "no signing key for this credential")
        })?;
        Ok(Some(ClientSecret::new(finish_jwt(&input, &signature))))
    }

    /// Calls the `clientAssertion` callback, once per token request (assertions are never reused).
    async fn assertion_for_request(&self) -> Result<Option<ClientSecret>, Error> {
        let Some(callback) = &self.assertion else {
            return Ok(None);
        };
        let ctx = Object::new();
        {
            let core = self.core.borrow();
            if !matches!(core.config().credential, Credential::AssertionCallback) {
                return Ok(None);
            }
            set(&ctx, "clientId", core.config().client_id.as_str());
            set(
                &ctx,
                "tokenEndpoint",
                core.config().authority.token_endpoint.as_str(),
            );
        }
        let failed = || {
            Error::config(
                "invalid_credential",
                "auth.clientAssertion callback threw or rejected",
            )
        };
        let value = resolve(
            callback
                .call1(&JsValue::UNDEFINED, &ctx)
                .map_err(|_| failed())?,
        )
        .await
        .map_err(|_| failed())?;
        match value.as_string() {
            Some(s) if !s.is_empty() => Ok(Some(ClientSecret::new(s))),
            _ => Err(Error::config(
                "invalid_credential",
                "auth.clientAssertion callback must return a non-empty string (a signed JWT)",
            )),
        }
    }
}
