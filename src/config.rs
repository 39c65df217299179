//! Client configuration: reading the JavaScript config object (as JSON) and validating it into
//! [`ClientConfig`]. Every message names the field and the fix, and never echoes a value that
//! could be a secret.

use crate::authority::Authority;
use crate::credential::{CertificateCredential, RawCertificate};
use crate::error::Error;
use crate::json::{self, Value};
use crate::options::Options;
use crate::retry::{RetryPolicy, ENTRA_FLOOR_MS, GENERIC_FLOOR_MS};
use crate::secret::ClientSecret;

/// Default `system.expiryBufferSeconds`, as MSAL: a token this close to expiry is not served.
pub const DEFAULT_EXPIRY_BUFFER_SECONDS: u64 = 300;
/// Default `system.timeoutMs` per attempt. msal-node has none; a hung POST must not hang callers.
pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;
/// Default `system.maxRetries`: two retries ride out a brief outage without hammering.
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// Default `system.deadlineMs` (raised to `timeoutMs` when that is longer): a caller's whole
/// wait, retries included.
pub const DEFAULT_DEADLINE_MS: u64 = 30_000;
/// Default `cache.keyPrefix`.
pub const DEFAULT_KEY_PREFIX: &str = "entra-edge:";
/// Longest `cache.keyPrefix`: KV keys are at most 512 bytes and the hashed part takes 64.
pub const MAX_KEY_PREFIX_LEN: usize = 256;

/// What the shell's JSON serialization writes in place of a function, so function-valued
/// options stay visible to the unknown-option check.
pub const FUNCTION_MARK: &str = "\u{0}function";
/// What it writes in place of a non-plain object (a KV binding, a Redis client).
pub const OBJECT_MARK: &str = "\u{0}object";

const CODE: &str = "invalid_config";

/// `config.auth`, as given (types checked, values not yet).
#[derive(Debug, Default)]
#[allow(missing_docs)]
pub struct RawAuth {
    pub client_id: Option<String>,
    pub authority: Option<String>,
    pub token_endpoint: Option<String>,
    pub issuer: Option<String>,
    pub client_secret: Option<String>,
    pub client_certificate: Option<RawCertificate>,
    pub client_assertion: Option<AssertionInput>,
    pub client_auth_method: Option<String>,
    pub send_x5c: Option<bool>,
    pub client_capabilities: Option<Vec<String>>,
}

/// `config.cache`, as given.
#[derive(Debug, Default)]
#[allow(missing_docs)]
pub struct RawCache {
    /// Whether a store object was given (the shell holds it).
    pub store: bool,
    pub key_prefix: Option<String>,
    pub encryption_key: Option<String>,
    pub memory: Option<bool>,
}

/// `config.system`, as given: the numbers, range-checked. `fetch`, `logger` and `now` are
/// functions the shell holds.
#[derive(Debug, Default)]
#[allow(missing_docs)]
pub struct RawSystem {
    pub timeout_ms: Option<u64>,
    pub max_retries: Option<u64>,
    pub deadline_ms: Option<u64>,
    pub expiry_buffer_seconds: Option<u64>,
}

impl RawAuth {
    fn read(value: Option<&Value>) -> Result<Option<Self>, Error> {
        let known = [
            "clientId",
            "authority",
            "tokenEndpoint",
            "issuer",
            "clientSecret",
            "clientCertificate",
            "clientAssertion",
            "clientAuthMethod",
            "sendX5C",
            "clientCapabilities",
        ];
        let Some(o) = Options::read(value, "auth", CODE, &known)? else {
            return Ok(None);
        };
        let client_assertion = match o.value("clientAssertion") {
            None => None,
            Some(Value::String(s)) if s == FUNCTION_MARK => Some(AssertionInput::Callback),
            Some(Value::String(s)) if s != OBJECT_MARK => {
                Some(AssertionInput::Static(ClientSecret::new(s.clone())))
            }
            Some(_) => return Err(Error::config(
                "invalid_credential",
                "auth.clientAssertion must be a string (a signed JWT) or a function returning one",
            )),
        };
        let client_certificate = RawCertificate::read(o.value("clientCertificate"))?;
        Ok(Some(RawAuth {
            client_id: o.string("clientId")?,
            authority: o.string("authority")?,
            token_endpoint: o.string("tokenEndpoint")?,
            issuer: o.string("issuer")?,
            client_secret: o.string("clientSecret")?,
            client_certificate,
            client_assertion,
            client_auth_method: o.string("clientAuthMethod")?,
            send_x5c: o.boolean("sendX5C")?,
            client_capabilities: o.strings("clientCapabilities")?,
        }))
    }
}

impl RawCache {
    fn read(value: Option<&Value>) -> Result<Self, Error> {
        let known = ["store", "keyPrefix", "encryptionKey", "memory"];
        let Some(o) = Options::read(value, "cache", CODE, &known)? else {
            return Ok(RawCache::default());
        };
        Ok(RawCache {
            store: o.present("store"),
            key_prefix: o.string("keyPrefix")?,
            encryption_key: o.string("encryptionKey")?,
            memory: o.boolean("memory")?,
        })
    }
}

impl RawSystem {
    fn read(value: Option<&Value>) -> Result<Self, Error> {
        // fetch, logger and now are functions: the core checks only that they are known names.
        let known = [
            "fetch",
            "timeoutMs",
            "maxRetries",
            "deadlineMs",
            "expiryBufferSeconds",
            "logger",
            "now",
        ];
        let Some(o) = Options::read(value, "system", CODE, &known)? else {
            return Ok(RawSystem::default());
        };
        Ok(RawSystem {
            timeout_ms: o.whole_number("timeoutMs", 1, 600_000)?,
            max_retries: o.whole_number("maxRetries", 0, 10)?,
            deadline_ms: o.whole_number("deadlineMs", 1, 3_600_000)?,
            expiry_buffer_seconds: o.whole_number("expiryBufferSeconds", 0, 3600)?,
        })
    }
}

/// How a client secret is sent (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// `client_secret` in the form body (the default, as MSAL).
    Post,
    /// HTTP Basic with form-encoded id and secret.
    Basic,
}

/// The client credential.
#[derive(Debug, Clone)]
pub enum Credential {
    /// `auth.clientSecret`.
    Secret {
        /// The secret.
        secret: ClientSecret,
        /// How it is sent.
        method: AuthMethod,
    },
    /// `auth.clientCertificate`: the core builds the assertion, the shell signs RSA.
    Certificate(Box<CertificateCredential>),
    /// `auth.clientAssertion` as a string.
    StaticAssertion(ClientSecret),
    /// `auth.clientAssertion` as a callback, called by the shell per token request.
    AssertionCallback,
}

/// Where the client assertion comes from, as the shell found it.
#[derive(Debug, Clone)]
pub enum AssertionInput {
    /// A string.
    Static(ClientSecret),
    /// A function.
    Callback,
}

/// Validated configuration.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `auth.clientId`.
    pub client_id: String,
    /// Token source.
    pub authority: Authority,
    /// The credential.
    pub credential: Credential,
    /// `auth.sendX5C`.
    pub send_x5c: bool,
    /// `auth.clientCapabilities`, e.g. `["cp1"]`.
    pub client_capabilities: Vec<String>,
    /// `cache.keyPrefix`.
    pub key_prefix: String,
    /// `cache.memory`.
    pub memory: bool,
    /// Whether `cache.store` was given.
    pub store: bool,
    /// `cache.encryptionKey`.
    pub encryption_key: Option<ClientSecret>,
    /// `system.timeoutMs`, `system.maxRetries`, `system.deadlineMs`, and the back-off floor
    /// of the authority.
    pub retry: RetryPolicy,
    /// `system.expiryBufferSeconds`, in ms.
    pub expiry_buffer_ms: u64,
}

impl ClientConfig {
    /// Parses the config object as JSON text (the shell's serialization, or native tests).
    ///
    /// # Errors
    /// As [`ClientConfig::from_raw`], plus `invalid_config` naming an unknown option or a field
    /// of the wrong type.
    pub fn from_json(json: &str) -> Result<Self, Error> {
        let root = json::parse(json.as_bytes())
            .map_err(|_| Error::config(CODE, "config must be a JSON object"))?;
        let config = Options::read(Some(&root), "", CODE, &["auth", "cache", "system"])?
            .ok_or_else(|| Error::config(CODE, "config must be an object"))?;
        let auth = RawAuth::read(config.value("auth"))?;
        let cache = RawCache::read(config.value("cache"))?;
        let system = RawSystem::read(config.value("system"))?;
        Self::from_raw(auth, cache, system)
    }

    /// Validates a read config.
    ///
    /// # Errors
    /// A [`Error::Config`] naming the first bad field.
    pub fn from_raw(
        auth: Option<RawAuth>,
        cache: RawCache,
        system: RawSystem,
    ) -> Result<Self, Error> {
        let auth = auth.ok_or_else(|| {
            Error::config(
                "invalid_config",
                "auth is required: pass { auth: { clientId, authority, clientSecret } }",
            )
        })?;

        let client_id = auth.client_id.as_deref().map(str::trim).unwrap_or_default();
        if client_id.is_empty() {
            return Err(Error::config(
                "invalid_client_id",
                "auth.clientId is required: set it to the application (client) ID of your app registration",
            ));
        }
        let authority = match (&auth.authority, &auth.token_endpoint) {
            (Some(a), None) => {
                if auth.issuer.is_some() {
                    return Err(Error::config(
                        "invalid_issuer",
                        "auth.issuer is for auth.tokenEndpoint (generic OAuth servers); with auth.authority the \
                         assertion audience is Entra's token endpoint. Remove auth.issuer",
                    ));
                }
                Authority::entra(a)?
            }
            (None, Some(t)) => Authority::generic(t, auth.issuer.as_deref())?,
            _ => {
                return Err(Error::config(
                    "invalid_authority",
                    "set exactly one of auth.authority (Entra: https://login.microsoftonline.com/<tenant>) and \
                     auth.tokenEndpoint (any OAuth 2.0 server)",
                ))
            }
        };
        let credential = credential(&auth, authority.is_entra())?;
        let send_x5c = auth.send_x5c.unwrap_or(false);
        let has_chain = auth
            .client_certificate
            .as_ref()
            .is_some_and(|c| c.x5c.is_some());
        if send_x5c && !has_chain {
            return Err(Error::config(
                "invalid_credential",
                "auth.sendX5C sends the certificate chain, and auth.clientCertificate.x5c is not set: add the \
                 certificate PEM as x5c or remove sendX5C",
            ));
        }
        let client_capabilities = auth.client_capabilities.unwrap_or_default();
        if let Some(bad) = client_capabilities
            .iter()
            .find(|c| c.is_empty() || c.contains('"'))
        {
            return Err(Error::config(
                "invalid_config",
                format!("auth.clientCapabilities entries must be non-empty names like \"cp1\", got {bad:?}"),
            ));
        }

        let key_prefix = cache
            .key_prefix
            .unwrap_or_else(|| DEFAULT_KEY_PREFIX.to_owned());
        if key_prefix.len() > MAX_KEY_PREFIX_LEN {
            return Err(Error::config(
                "invalid_config",
                format!("cache.keyPrefix must be at most {MAX_KEY_PREFIX_LEN} bytes (KV keys are at most 512)"),
            ));
        }
        let store = cache.store;
        if cache.encryption_key.is_some() && !store {
            return Err(Error::config(
                "invalid_config",
                "cache.encryptionKey seals tokens in cache.store, and no store is configured: set cache.store or \
                 remove cache.encryptionKey",
            ));
        }
        if matches!(&cache.encryption_key, Some(k) if k.len() < 16) {
            return Err(Error::config(
                "invalid_config",
                "cache.encryptionKey must be at least 16 characters: use a random secret (e.g. 32 random bytes, base64)",
            ));
        }

        if store
            && cache.encryption_key.is_none()
            && matches!(credential, Credential::AssertionCallback)
        {
            return Err(Error::config(
                "invalid_config",
                "cache.encryptionKey is required with cache.store when auth.clientAssertion is a function: there is \
                 no stable secret to derive the sealing key from",
            ));
        }

        let retry = retry_policy(&system, authority.is_entra())?;

        Ok(ClientConfig {
            client_id: client_id.to_owned(),
            authority,
            credential,
            send_x5c,
            client_capabilities,
            key_prefix,
            memory: cache.memory.unwrap_or(true),
            store,
            encryption_key: cache.encryption_key.map(ClientSecret::new),
            retry,
            expiry_buffer_ms: system
                .expiry_buffer_seconds
                .unwrap_or(DEFAULT_EXPIRY_BUFFER_SECONDS)
                * 1000,
        })
    }
}

fn retry_policy(system: &RawSystem, entra: bool) -> Result<RetryPolicy, Error> {
    let timeout_ms = system.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS);
    let max_retries = system.max_retries.map_or(DEFAULT_MAX_RETRIES, |n| n as u32);
    let deadline_ms = match system.deadline_ms {
        Some(d) if d < timeout_ms => {
            return Err(Error::config(
                "invalid_config",
                format!(
                    "system.deadlineMs ({d}) is shorter than system.timeoutMs ({timeout_ms}), so the per-attempt \
                     timeout could never apply: raise system.deadlineMs or lower system.timeoutMs"
                ),
            ))
        }
        Some(d) => d,
        None => DEFAULT_DEADLINE_MS.max(timeout_ms),
    };
    Ok(RetryPolicy {
        max_retries,
        deadline_ms,
        timeout_ms,
        floor_ms: if entra {
            ENTRA_FLOOR_MS
        } else {
            GENERIC_FLOOR_MS
        },
    })
}

fn credential(auth: &RawAuth, entra: bool) -> Result<Credential, Error> {
    let given = [
        auth.client_secret.is_some(),
        auth.client_certificate.is_some(),
        auth.client_assertion.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(Error::config(
            "invalid_credential",
            "set exactly one of auth.clientSecret, auth.clientCertificate and auth.clientAssertion",
        ));
    }
    let method = match auth.client_auth_method.as_deref() {
        None | Some("client_secret_post") => AuthMethod::Post,
        Some("client_secret_basic") => AuthMethod::Basic,
        Some(other) => {
            return Err(Error::config(
                "invalid_config",
                format!("auth.clientAuthMethod must be \"client_secret_post\" or \"client_secret_basic\", got {other:?}"),
            ))
        }
    };
    if auth.client_auth_method.is_some() && auth.client_secret.is_none() {
        return Err(Error::config(
            "invalid_config",
            "auth.clientAuthMethod applies to auth.clientSecret only: remove it",
        ));
    }
    if let Some(secret) = &auth.client_secret {
        if secret.is_empty() {
            return Err(Error::config(
                "invalid_credential",
                "auth.clientSecret is empty: copy the secret's Value from Certificates & secrets",
            ));
        }
        return Ok(Credential::Secret {
            secret: ClientSecret::new(secret.clone()),
            method,
        });
    }
    if let Some(cert) = &auth.client_certificate {
        return Ok(Credential::Certificate(Box::new(
            CertificateCredential::parse(cert, entra)?,
        )));
    }
    match &auth.client_assertion {
        Some(AssertionInput::Static(s)) if s.secret().is_empty() => Err(Error::config(
            "invalid_credential",
            "auth.clientAssertion is empty: pass a signed JWT or a function that returns one",
        )),
        Some(AssertionInput::Static(s)) => Ok(Credential::StaticAssertion(s.clone())),
        _ => Ok(Credential::AssertionCallback),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let c = ClientConfig::from_json(
            r#"{"auth":{"clientId":"c","authority":"https://login.microsoftonline.com/t","clientSecret":"s"}}"#,
        )
        .unwrap();
        assert_eq!(c.expiry_buffer_ms, 300_000);
        assert_eq!(c.key_prefix, "entra-edge:");
        assert!(c.memory && !c.store);
        assert!(matches!(
            c.credential,
            Credential::Secret {
                method: AuthMethod::Post,
                ..
            }
        ));
    }

    #[test]
    fn type_errors_name_the_field_not_the_value() {
        let err = ClientConfig::from_json(
            r#"{"auth":{"clientId":"c","clientSecret":{"pem":"SECRET-PEM"}}}"#,
        )
        .unwrap_err();
        assert_eq!(err.message(), "auth.clientSecret must be a string");
        assert!(!format!("{err:?}").contains("SECRET-PEM"));
    }

    #[test]
    fn unknown_fields_are_named() {
        let err = ClientConfig::from_json(r#"{"auth":{"clientID":"c"}}"#).unwrap_err();
        assert_eq!(
            err.message(),
            "unknown option auth.clientID: check its spelling against the documented options"
        );
    }
}
