//! Client configuration: validating the caller's option objects ([`crate::input`]) into
//! [`ClientConfig`]. Every message names the field and the fix, and never echoes a value that
//! could be a secret.

mod msal;
#[cfg(any(feature = "native", all(target_arch = "wasm32", feature = "worker")))]
mod rust;
mod warm;

pub use msal::Logger;
#[cfg(any(feature = "native", all(target_arch = "wasm32", feature = "worker")))]
pub use rust::RustHandles;
pub use warm::DEFAULT_REFRESH_PERIOD_MS;

use crate::authority::{Authority, Target};
use crate::credential::CertificateCredential;
use crate::error::Error;
use crate::input::{self, AuthInput, ConfigInput, Handle, SystemInput};
use crate::managed_identity::{ManagedIdentity, Shell, Source};
use crate::region::{self, Region};
use crate::retry::{RetryPolicy, ENTRA_FLOOR_MS, GENERIC_FLOOR_MS};
use crate::scope::Scopes;
use crate::secret::ClientSecret;
use crate::tenant::AllowedTenants;

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

/// Least back-off for managed-identity endpoints (IMDS guidance: exponential from 1 s).
pub const MANAGED_IDENTITY_FLOOR_MS: u64 = 1000;
/// Default `system.deadlineMs` for a managed identity: IMDS's 410 (an upgrade) lasts up to 70 s.
pub const MANAGED_IDENTITY_DEADLINE_MS: u64 = 90_000;

const CODE: &str = "invalid_config";

/// The values of the configuration the shell keeps as they are.
#[derive(Debug)]
pub struct Handles<H> {
    /// `cache.store`.
    pub store: Option<H>,
    /// `system.fetch`.
    pub fetch: Option<H>,
    /// `system.networkClient` (msal's `INetworkModule`), in place of `fetch`.
    pub network_client: Option<H>,
    /// `system.logger` or msal-node's `system.loggerOptions`.
    pub logger: Option<Logger<H>>,
    /// `system.now`.
    pub now: Option<H>,
    /// `auth.clientAssertion` when it is not a string (the callback).
    pub assertion: Option<H>,
    /// `auth.managedIdentity.readFile`: reads Azure Arc's key file ([`crate::flow::Action::ReadFile`]).
    pub read_file: Option<H>,
}

/// What the shell read from its environment for the configuration.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    /// `REGION_NAME`, set by Azure hosting: what `azureRegion: "TryAutoDetect"` uses.
    pub region_name: Option<String>,
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
    /// `auth.managedIdentity`: the platform's endpoint, no client credential at all.
    ManagedIdentity(Box<ManagedIdentity>),
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
    /// `cache.maxEntries`: the memory level's bound.
    pub max_entries: usize,
    /// Whether `cache.store` was given.
    pub store: bool,
    /// `cache.encryptionKey`.
    pub encryption_key: Option<ClientSecret>,
    /// `system.timeoutMs`, `system.maxRetries`, `system.deadlineMs`, and the back-off floor
    /// of the authority.
    pub retry: RetryPolicy,
    /// `system.expiryBufferSeconds`, in ms.
    pub expiry_buffer_ms: u64,
    /// `auth.allowedTenants`.
    pub allowed_tenants: AllowedTenants,
    /// `auth.azureRegion`, resolved (`TryAutoDetect` against the environment).
    pub region: Region,
    /// The environment's region, for requests that ask for `TryAutoDetect`.
    pub detected_region: Option<String>,
    /// Extra headers of every token request (msal-node's `telemetry.application`).
    pub extra_headers: Vec<(String, String)>,
    /// Options accepted that change nothing here: the shell logs each once.
    pub notes: Vec<String>,
    /// Whether `cache.store` can lease (`lease` and `release`): set by the shell, which sees
    /// the store's methods. Leasing stores coordinate a fleet: one token request per key.
    pub lease: bool,
    /// `cache.keepWarm`, validated: what `refreshDue` renews even before a request asked.
    pub keep_warm: Vec<(Target, Scopes)>,
    /// `system.refreshTimer`: how often the Node shell runs `refreshDue` by itself.
    pub refresh_period_ms: Option<u64>,
}

impl ClientConfig {
    /// Parses the configuration as JSON text, for native tests and fuzzing (the shell reads the
    /// JavaScript object itself). Handles are any JSON value.
    ///
    /// # Errors
    /// As [`ClientConfig::from_input`], plus `invalid_config` naming an unknown option or a
    /// field of the wrong type.
    pub fn from_json(json: &str) -> Result<Self, Error> {
        let value: serde_json::Value = serde_json::from_str(json)
            .map_err(|_| Error::config(CODE, "config must be a JSON object"))?;
        let input: ConfigInput<serde_json::Value> =
            input::read(value, "config").map_err(|e| Error::config(CODE, e.0))?;
        Self::from_input(input, &Environment::default()).map(|(config, _)| config)
    }

    /// Validates the configuration, returning it and the values the shell keeps.
    ///
    /// # Errors
    /// A [`Error::Config`] naming the first bad field.
    pub fn from_input<H: Handle>(
        input: ConfigInput<H>,
        env: &Environment,
    ) -> Result<(Self, Handles<H>), Error> {
        let mut msal = msal::read(&input)?;
        let mut auth = input.auth.ok_or_else(|| {
            Error::config(
                "invalid_config",
                "auth is required: pass { auth: { clientId, authority, clientSecret } }",
            )
        })?;
        let (managed, read_file, pinned_fetch) = managed_identity(&mut auth)?;
        let cache = input.cache.unwrap_or_default();
        let mut system = input.system.unwrap_or_default();

        let key_id = managed.as_ref().map(|m| m.key_id());
        let client_id = key_id
            .as_deref()
            .or(auth.client_id.as_deref())
            .map(str::trim)
            .unwrap_or_default();
        if client_id.is_empty() {
            return Err(Error::config(
                "invalid_client_id",
                "auth.clientId is required: set it to the application (client) ID of your app registration",
            ));
        }
        let client_id = client_id.to_owned();
        let authority = match &managed {
            Some(m) => m.authority(),
            None => authority(&auth, &mut msal)?,
        };
        let send_x5c = auth.send_x5c.unwrap_or(false);
        let has_chain = auth
            .client_certificate
            .as_ref()
            .is_some_and(|c| c.x5c.is_some());
        let client_capabilities = auth.client_capabilities.clone().unwrap_or_default();
        // Before their values are read: with auth.tokenEndpoint the fix is removing them, whatever
        // they hold.
        if !authority.is_entra() && (auth.allowed_tenants.is_some() || auth.azure_region.is_some())
        {
            return Err(Error::config(
                "invalid_config",
                "auth.allowedTenants and auth.azureRegion are for Entra authorities (auth.authority); this app has \
                 auth.tokenEndpoint: remove them",
            ));
        }
        let allowed_tenants = AllowedTenants::parse(auth.allowed_tenants.as_deref())?;
        let detected_region = region::from_environment(env.region_name.as_deref());
        let region = match &auth.azure_region {
            Some(r) => Region::parse(r, "auth.azureRegion", detected_region.as_deref())?,
            None => Region::Global,
        };
        let is_managed = managed.is_some();
        let (credential, assertion) = match managed {
            Some(m) => (Credential::ManagedIdentity(Box::new(m)), None),
            None => credential(auth, authority.is_entra())?,
        };
        if send_x5c && !has_chain {
            return Err(Error::config(
                "invalid_credential",
                "auth.sendX5C sends the certificate chain, and auth.clientCertificate.x5c is not set: add the \
                 certificate PEM as x5c or remove sendX5C",
            ));
        }
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
        if matches!(&cache.encryption_key, Some(k) if k.secret().len() < 16) {
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

        if store && cache.encryption_key.is_none() && is_managed {
            return Err(Error::config(
                "invalid_config",
                "cache.encryptionKey is required with cache.store for a managed identity: it holds no secret to \
                 derive the sealing key from. Set cache.encryptionKey to a random secret every process sharing the \
                 store knows",
            ));
        }

        let mut retry = retry_policy(&system, authority.is_entra())?;
        if is_managed {
            retry.floor_ms = MANAGED_IDENTITY_FLOOR_MS;
            if system.deadline_ms.is_none() {
                retry.deadline_ms = retry.deadline_ms.max(MANAGED_IDENTITY_DEADLINE_MS);
            }
        }
        if msal.no_retries {
            retry.max_retries = 0;
        }
        let expiry_buffer_ms = system
            .expiry_buffer_seconds
            .map_or(DEFAULT_EXPIRY_BUFFER_SECONDS, |w| w.0)
            * 1000;
        let logger = msal::logger(&mut system);
        let keep_warm = cache.keep_warm.unwrap_or_default();

        let mut config = ClientConfig {
            client_id,
            authority,
            credential,
            send_x5c,
            client_capabilities,
            key_prefix,
            memory: cache.memory.unwrap_or(true),
            // At most 10^8, checked when read.
            max_entries: cache
                .max_entries
                .map_or(crate::cache::DEFAULT_MAX_ENTRIES, |w| w.0 as usize),
            store,
            encryption_key: cache.encryption_key,
            retry,
            expiry_buffer_ms,
            allowed_tenants,
            region,
            detected_region,
            extra_headers: msal.app,
            notes: msal.notes,
            lease: false,
            keep_warm: Vec::new(),
            refresh_period_ms: warm::refresh_period(system.refresh_timer),
        };
        config.keep_warm = warm::keep_warm(&config, keep_warm)?;
        let fetch = match &config.credential {
            Credential::ManagedIdentity(m) if matches!(m.source, Source::ServiceFabric { .. }) => {
                if system.fetch.is_some() || system.network_client.is_some() {
                    return Err(Error::config(
                        "invalid_config",
                        "Service Fabric's endpoint certificate is checked against IDENTITY_SERVER_THUMBPRINT before anything is sent, which system.fetch and system.networkClient cannot do: remove them",
                    ));
                }
                pinned_fetch
            }
            _ => system.fetch,
        };
        let handles = Handles {
            store: cache.store,
            fetch,
            network_client: system.network_client,
            logger,
            now: system.now,
            assertion,
            read_file,
        };
        Ok((config, handles))
    }

    /// Where a request's token comes from: the tenant it names (`tenantId`, or msal-node's
    /// `authority`) and the region (`azureRegion`, else `auth.azureRegion`). The one place a
    /// request's Entra-only options are refused off Entra: a generic server's URL fixes where
    /// tokens come from.
    ///
    /// # Errors
    /// `tenant_not_supported` when the app has `auth.tokenEndpoint`; as
    /// [`AllowedTenants::resolve`] and [`Region::parse`] otherwise.
    pub fn request_target(
        &self,
        tenant_id: Option<&str>,
        authority: Option<&str>,
        azure_region: Option<&str>,
    ) -> Result<Target, Error> {
        let Some(entra) = self.authority.as_entra() else {
            return match (tenant_id.or(authority), azure_region) {
                (None, None) => Ok(self.authority.target(None, None)),
                _ if matches!(self.credential, Credential::ManagedIdentity(_)) => Err(Error::config(
                    "tenant_not_supported",
                    "tenantId, authority and azureRegion choose an Entra tenant or region, and a managed identity's \
                     tokens come from the platform's endpoint for its own tenant: remove them from the request",
                )),
                (Some(_), _) => Err(Error::config(
                    "tenant_not_supported",
                    "tenantId and authority choose an Entra tenant, and this app has auth.tokenEndpoint (any OAuth \
                     2.0 server), whose URL fixes where tokens come from: remove them from the request, or configure \
                     auth.authority",
                )),
                (None, Some(_)) => Err(Error::config(
                    "tenant_not_supported",
                    "azureRegion chooses an Entra regional endpoint, and this app has auth.tokenEndpoint: remove it",
                )),
            };
        };
        let tenant = self.allowed_tenants.resolve(entra, tenant_id, authority)?;
        let region = match azure_region {
            Some(r) => Region::parse(r, "azureRegion", self.detected_region.as_deref())?,
            None => self.region.clone(),
        };
        Ok(entra.target(tenant.as_deref(), region.name()))
    }
}

/// The token source: `auth.azureCloudOptions` (msal-node's precedence), `auth.authority` with
/// `auth.authorityMetadata`'s endpoint, or `auth.tokenEndpoint`.
fn authority<H>(auth: &AuthInput<H>, msal: &mut msal::Msal) -> Result<Authority, Error> {
    let authority = match (
        msal.authority.take(),
        auth.authority.as_deref(),
        auth.token_endpoint.as_deref(),
    ) {
        (Some(_), _, None) | (None, Some(_), None) if auth.issuer.is_some() => {
            return Err(Error::config(
                "invalid_issuer",
                "auth.issuer is for auth.tokenEndpoint (generic OAuth servers); with auth.authority the \
                 assertion audience is Entra's token endpoint. Remove auth.issuer",
            ))
        }
        (Some(cloud), _, None) => cloud,
        (None, Some(a), None) => Authority::entra(a)?,
        (None, None, Some(t)) => Authority::generic(t, auth.issuer.as_deref())?,
        _ => {
            return Err(Error::config(
                "invalid_authority",
                "set exactly one of auth.authority (Entra: https://login.microsoftonline.com/<tenant>) and \
                 auth.tokenEndpoint (any OAuth 2.0 server)",
            ))
        }
    };
    match &msal.token_endpoint {
        Some(endpoint) => authority.with_metadata_endpoint(endpoint),
        None => Ok(authority),
    }
}

/// What [`managed_identity`] gives: the identity, and the shell's file reader and pinned fetch.
type Managed<H> = (Option<ManagedIdentity>, Option<H>, Option<H>);

/// `auth.managedIdentity`, validated; it stands alone, so the client credential options are refused
/// next to it by name.
fn managed_identity<H>(auth: &mut AuthInput<H>) -> Result<Managed<H>, Error> {
    let Some(mut input) = auth.managed_identity.take() else {
        return Ok((None, None, None));
    };
    let others = [
        ("clientId", auth.client_id.is_some()),
        ("authority", auth.authority.is_some()),
        ("tokenEndpoint", auth.token_endpoint.is_some()),
        ("clientSecret", auth.client_secret.is_some()),
        ("clientCertificate", auth.client_certificate.is_some()),
        ("clientAssertion", auth.client_assertion.is_some()),
        ("azureCloudOptions", auth.azure_cloud_options.is_some()),
        ("allowedTenants", auth.allowed_tenants.is_some()),
        ("azureRegion", auth.azure_region.is_some()),
    ];
    if let Some((name, _)) = others.iter().find(|(_, set)| *set) {
        return Err(Error::config(
            "invalid_config",
            format!("auth.managedIdentity gets tokens from the platform's endpoint, so auth.{name} has no use with it: remove one of them"),
        ));
    }
    let read_file = input.read_file.take();
    let pinned_fetch = input.pinned_fetch.take();
    let shell = Shell {
        read_file: read_file.is_some(),
        pinned_fetch: pinned_fetch.is_some(),
        arc_agent: input.arc_agent.take().unwrap_or(false),
    };
    let managed = ManagedIdentity::from_input(input, shell)?;
    Ok((Some(managed), read_file, pinned_fetch))
}

fn retry_policy<H>(system: &SystemInput<H>, entra: bool) -> Result<RetryPolicy, Error> {
    let timeout_ms = system.timeout_ms.map_or(DEFAULT_TIMEOUT_MS, |w| w.0);
    // At most 10, checked when read.
    let max_retries = system
        .max_retries
        .map_or(DEFAULT_MAX_RETRIES, |w| w.0 as u32);
    let deadline_ms = match system.deadline_ms.map(|w| w.0) {
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

/// The credential, and the assertion callback the shell keeps when `clientAssertion` is one.
fn credential<H: Handle>(
    auth: AuthInput<H>,
    entra: bool,
) -> Result<(Credential, Option<H>), Error> {
    let method = auth.client_auth_method.as_deref();
    match (
        auth.client_secret,
        &auth.client_certificate,
        auth.client_assertion,
    ) {
        (Some(secret), None, None) => {
            let method = match method {
                None | Some("client_secret_post") => AuthMethod::Post,
                Some("client_secret_basic") => AuthMethod::Basic,
                Some(other) => {
                    return Err(Error::config(
                        "invalid_config",
                        format!("auth.clientAuthMethod must be \"client_secret_post\" or \"client_secret_basic\", got {other:?}"),
                    ))
                }
            };
            if secret.secret().is_empty() {
                return Err(Error::config(
                    "invalid_credential",
                    "auth.clientSecret is empty: copy the secret's Value from Certificates & secrets",
                ));
            }
            Ok((Credential::Secret { secret, method }, None))
        }
        (None, Some(_), None) | (None, None, Some(_)) if method.is_some() => Err(Error::config(
            "invalid_config",
            "auth.clientAuthMethod applies to auth.clientSecret only: remove it",
        )),
        (None, Some(cert), None) => {
            let cert = CertificateCredential::parse(cert, entra)?;
            Ok((Credential::Certificate(Box::new(cert)), None))
        }
        (None, None, Some(assertion)) => match assertion.text() {
            Some(jwt) if jwt.is_empty() => Err(Error::config(
                "invalid_credential",
                "auth.clientAssertion is empty: pass a signed JWT or a function that returns one",
            )),
            Some(jwt) => Ok((Credential::StaticAssertion(ClientSecret::new(jwt)), None)),
            None => Ok((Credential::AssertionCallback, Some(assertion))),
        },
        _ => Err(Error::config(
            "invalid_credential",
            "set exactly one of auth.clientSecret, auth.clientCertificate and auth.clientAssertion",
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
    fn request_tenants_and_regions_only_on_entra() {
        let generic = ClientConfig::from_json(
            r#"{"auth":{"clientId":"c","tokenEndpoint":"https://idp.example/token","clientSecret":"s"}}"#,
        )
        .unwrap();
        assert_eq!(
            generic
                .request_target(None, None, None)
                .unwrap()
                .token_endpoint,
            "https://idp.example/token"
        );
        for (tenant_id, authority) in [
            (Some("t2"), None),
            (None, Some("https://login.microsoftonline.com/t2")),
        ] {
            let err = generic
                .request_target(tenant_id, authority, Some("westus2"))
                .unwrap_err();
            assert_eq!(
                (err.code(), err.message()),
                (
                    "tenant_not_supported",
                    "tenantId and authority choose an Entra tenant, and this app has auth.tokenEndpoint (any OAuth \
                     2.0 server), whose URL fixes where tokens come from: remove them from the request, or configure \
                     auth.authority"
                )
            );
        }
        let err = generic.request_target(None, None, Some("BAD")).unwrap_err();
        assert_eq!(
            (err.code(), err.message()),
            (
                "tenant_not_supported",
                "azureRegion chooses an Entra regional endpoint, and this app has auth.tokenEndpoint: remove it"
            )
        );

        let entra = ClientConfig::from_json(
            r#"{"auth":{"clientId":"c","authority":"https://login.microsoftonline.com/t1","clientSecret":"s","allowedTenants":["*"],"azureRegion":"westus2"}}"#,
        )
        .unwrap();
        let target = entra.request_target(Some("T2"), None, None).unwrap();
        assert_eq!(
            target.token_endpoint,
            "https://westus2.login.microsoft.com/T2/oauth2/v2.0/token"
        );
        assert_eq!(
            target.key_endpoint,
            "https://login.microsoftonline.com/t2/oauth2/v2.0/token"
        );
        assert_eq!(
            entra
                .request_target(None, None, Some("BAD"))
                .unwrap_err()
                .code(),
            "invalid_region"
        );
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
