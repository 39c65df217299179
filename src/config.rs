//! Client configuration: the serde shape of the JavaScript config object, and its validation
//! into [`ClientConfig`]. Every message names the field and the fix, and never echoes a value
//! that could be a secret.

use serde::de::{DeserializeOwned, Deserializer, IgnoredAny};
use serde::Deserialize;

use crate::authority::Authority;
use crate::credential::{CertificateCredential, RawCertificate};
use crate::error::Error;
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

/// A config field holding a JavaScript function or object: the core notes its presence, the
/// shell reads the value. Deserializes from anything without looking at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Present;

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(d).map(|_| Present)
    }
}

/// `new ConfidentialClientApplication(config)`, as given.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct RawConfig {
    pub auth: Option<RawAuth>,
    pub cache: Option<RawCache>,
    pub system: Option<RawSystem>,
}

/// `config.auth`, as given.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct RawAuth {
    pub client_id: Option<String>,
    pub authority: Option<String>,
    pub token_endpoint: Option<String>,
    pub issuer: Option<String>,
    pub client_secret: Option<String>,
    pub client_certificate: Option<RawCertificate>,
    pub client_assertion: Option<Present>,
    pub client_auth_method: Option<String>,
    #[serde(rename = "sendX5C")]
    pub send_x5c: Option<bool>,
    pub client_capabilities: Option<Vec<String>>,
}

/// `config.cache`, as given.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct RawCache {
    pub store: Option<Present>,
    pub key_prefix: Option<String>,
    pub encryption_key: Option<String>,
    pub memory: Option<bool>,
}

/// `config.system`, as given.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct RawSystem {
    pub fetch: Option<Present>,
    pub timeout_ms: Option<f64>,
    pub max_retries: Option<f64>,
    pub deadline_ms: Option<f64>,
    pub expiry_buffer_seconds: Option<f64>,
    pub logger: Option<Present>,
    pub now: Option<Present>,
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
    /// Parses a JSON config; a string `clientAssertion` is read from it (native tests, fixtures).
    ///
    /// # Errors
    /// As [`ClientConfig::from_raw`], plus `invalid_config` for malformed JSON.
    pub fn from_json(json: &str) -> Result<Self, Error> {
        let raw: RawConfig = parse_json(json, "invalid_config")?;
        let value: serde_json::Value = serde_json::from_str(json)
            .map_err(|_| Error::config("invalid_config", "config must be a JSON object"))?;
        let assertion = match value.pointer("/auth/clientAssertion") {
            Some(serde_json::Value::String(s)) if s == FUNCTION_MARK => {
                Some(AssertionInput::Callback)
            }
            Some(serde_json::Value::String(s)) => {
                Some(AssertionInput::Static(ClientSecret::new(s.clone())))
            }
            Some(_) => return Err(Error::config(
                "invalid_credential",
                "auth.clientAssertion must be a string (a signed JWT) or a function returning one",
            )),
            None => None,
        };
        Self::from_raw(raw, assertion)
    }

    /// Validates a parsed config. `assertion` is what the shell found in `auth.clientAssertion`.
    ///
    /// # Errors
    /// A [`Error::Config`] naming the first bad field.
    pub fn from_raw(raw: RawConfig, assertion: Option<AssertionInput>) -> Result<Self, Error> {
        let auth = raw.auth.ok_or_else(|| {
            Error::config(
                "invalid_config",
                "auth is required: pass { auth: { clientId, authority, clientSecret } }",
            )
        })?;
        let cache = raw.cache.unwrap_or_default();
        let system = raw.system.unwrap_or_default();

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
        let credential = credential(&auth, assertion, authority.is_entra())?;
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
        let store = cache.store.is_some();
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
            expiry_buffer_ms: whole_number(
                "system.expiryBufferSeconds",
                system.expiry_buffer_seconds,
                0,
                3600,
            )?
            .unwrap_or(DEFAULT_EXPIRY_BUFFER_SECONDS)
                * 1000,
        })
    }
}

fn retry_policy(system: &RawSystem, entra: bool) -> Result<RetryPolicy, Error> {
    let timeout_ms = whole_number("system.timeoutMs", system.timeout_ms, 1, 600_000)?
        .unwrap_or(DEFAULT_TIMEOUT_MS);
    let max_retries = whole_number("system.maxRetries", system.max_retries, 0, 10)?
        .map_or(DEFAULT_MAX_RETRIES, |n| n as u32);
    let deadline_ms = match whole_number("system.deadlineMs", system.deadline_ms, 1, 3_600_000)? {
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

fn credential(
    auth: &RawAuth,
    assertion: Option<AssertionInput>,
    entra: bool,
) -> Result<Credential, Error> {
    let given = [
        auth.client_secret.is_some(),
        auth.client_certificate.is_some(),
        assertion.is_some() || auth.client_assertion.is_some(),
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
    match assertion {
        Some(AssertionInput::Static(s)) if s.secret().is_empty() => Err(Error::config(
            "invalid_credential",
            "auth.clientAssertion is empty: pass a signed JWT or a function that returns one",
        )),
        Some(AssertionInput::Static(s)) => Ok(Credential::StaticAssertion(s)),
        _ => Ok(Credential::AssertionCallback),
    }
}

/// Deserializes JSON into `T`, turning serde errors into messages that name the field without
/// quoting the value (a PEM in the wrong field must not reach an error). `code` is the error
/// code: `invalid_config` or `invalid_request`.
///
/// # Errors
/// `code`, naming the field.
pub fn parse_json<T: DeserializeOwned>(json: &str, code: &'static str) -> Result<T, Error> {
    let mut de = serde_json::Deserializer::from_str(json);
    from_deserializer(&mut de, code)
}

fn from_deserializer<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    de: D,
    code: &'static str,
) -> Result<T, Error> {
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let full = e.inner().to_string();
        // serde_json appends a position; JavaScript objects have none.
        let inner = full.split(" at line ").next().unwrap_or(&full).to_owned();
        let what = if let Some(rest) = inner.strip_prefix("unknown field ") {
            let name = rest.split(',').next().unwrap_or(rest).trim_matches('`');
            return Error::config(
                code,
                format!(
                    "unknown option {}: check its spelling against the documented options",
                    join_path(&path, name)
                ),
            );
        } else if let Some((_, expected)) = inner.rsplit_once(", expected ") {
            format!("must be {expected}")
        } else if inner.starts_with("missing field") {
            inner.clone()
        } else {
            "has an invalid value".to_owned()
        };
        let path = match path.as_str() {
            "." if code == "invalid_request" => "request".to_owned(),
            "." => "config".to_owned(),
            _ => path,
        };
        Error::config(code, format!("{path} {what}"))
    })
}

fn join_path(parent: &str, name: &str) -> String {
    // serde_path_to_error reports the path of the unknown key itself for maps; keep one copy.
    if parent == "." || parent.is_empty() {
        name.to_owned()
    } else if parent.ends_with(name) {
        parent.to_owned()
    } else {
        format!("{parent}.{name}")
    }
}

fn whole_number(field: &str, value: Option<f64>, min: u64, max: u64) -> Result<Option<u64>, Error> {
    match value {
        None => Ok(None),
        Some(v) if v.is_finite() && v.fract() == 0.0 && v >= min as f64 && v <= max as f64 => {
            Ok(Some(v as u64))
        }
        Some(_) => Err(Error::config(
            "invalid_config",
            format!("{field} must be a whole number from {min} to {max}"),
        )),
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
