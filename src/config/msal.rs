//! msal-node's configuration vocabulary, so a configuration written for its
//! `ConfidentialClientApplication` constructs unchanged. Each option means here what it means
//! there, or says in the log once that it changes nothing (no discovery is done), or is refused
//! with what to use instead. Nothing accepted is ignored silently.

use serde::Deserialize;

use crate::authority::Authority;
use crate::error::Error;
use crate::input::{
    AuthInput, CacheInput, ConfigInput, Handle, LogLevelInput, LoggerOptionsInput, SystemInput,
};

/// msal's `LogLevel.Info`, msal-node's default `logLevel`.
const DEFAULT_LOG_LEVEL: i8 = 2;

/// What msal-node's options amount to.
#[derive(Debug, Default)]
pub(super) struct Msal {
    /// `auth.azureCloudOptions` as an authority; it takes precedence over `auth.authority`.
    pub(super) authority: Option<Authority>,
    /// `auth.authorityMetadata`'s `token_endpoint`.
    pub token_endpoint: Option<String>,
    /// `system.disableInternalRetries: true`: one attempt.
    pub no_retries: bool,
    /// `telemetry.application`: `x-app-name`, `x-app-ver`.
    pub app: Vec<(String, String)>,
    /// Lines to log once: options accepted that change nothing here.
    pub notes: Vec<String>,
}

/// The logger the shell calls: ours (`system.logger`, level names) or msal's
/// (`system.loggerOptions.loggerCallback`, numeric levels up to `logLevel`).
#[derive(Debug)]
pub struct Logger<H> {
    /// The function.
    pub callback: H,
    /// msal's numeric `LogLevel` above which lines are not delivered; `None` for `system.logger`,
    /// which gets every line with its level's name.
    pub max_level: Option<i8>,
}

fn unsupported(message: &str) -> Error {
    Error::config("unsupported_option", message)
}

/// Refuses what has no meaning here, reads what does.
///
/// # Errors
/// `unsupported_option` naming what to use instead; `invalid_config` for a malformed value.
pub(super) fn read<H: Handle>(input: &ConfigInput<H>) -> Result<Msal, Error> {
    if input.broker.is_some() {
        return Err(unsupported(
            "broker serves user sign-in; entra-edge gets app-only tokens (client credentials): remove broker",
        ));
    }
    let mut msal = Msal::default();
    if let Some(cache) = &input.cache {
        refuse_cache(cache)?;
    }
    if let Some(system) = &input.system {
        read_system(system, &mut msal)?;
    }
    if let Some(auth) = &input.auth {
        read_auth(auth, &mut msal)?;
    }
    if let Some(app) = input
        .telemetry
        .as_ref()
        .and_then(|t| t.application.as_ref())
    {
        for (header, field, value) in [
            ("x-app-name", "telemetry.application.appName", &app.app_name),
            (
                "x-app-ver",
                "telemetry.application.appVersion",
                &app.app_version,
            ),
        ] {
            let Some(value) = value else { continue };
            if value.is_empty()
                || value.len() > 128
                || !value.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
            {
                return Err(Error::config(
                    "invalid_config",
                    format!("{field} must be 1 to 128 printable ASCII characters (it is sent as the {header} header)"),
                ));
            }
            msal.app.push((header.to_owned(), value.clone()));
        }
    }
    Ok(msal)
}

fn refuse_cache<H>(cache: &CacheInput<H>) -> Result<(), Error> {
    if cache.cache_plugin.is_some() {
        return Err(unsupported(
            "cache.cachePlugin serializes msal's whole token cache as one blob; entra-edge caches each token under \
             its own key: use cache.store (a KV namespace, FileStore, RedisStore, or any object with get, put and delete)",
        ));
    }
    Ok(())
}

fn read_system<H>(system: &SystemInput<H>, msal: &mut Msal) -> Result<(), Error> {
    let proxy = "system.fetch with a proxy dispatcher, e.g. fetch: (url, init) => fetch(url, { ...init, dispatcher: new ProxyAgent(url) }) with undici";
    if system.proxy_url.is_some() {
        return Err(unsupported(&format!(
            "system.proxyUrl is msal-node's http client option: pass {proxy}"
        )));
    }
    if system.custom_agent_options.is_some() {
        return Err(unsupported(&format!(
            "system.customAgentOptions configures msal-node's http agent: pass {proxy}"
        )));
    }
    if system.fetch.is_some() && system.network_client.is_some() {
        return Err(Error::config(
            "invalid_config",
            "set system.fetch or system.networkClient, not both: token requests go through one of them",
        ));
    }
    if system.logger.is_some() && system.logger_options.is_some() {
        return Err(Error::config(
            "invalid_config",
            "set system.logger or system.loggerOptions (msal-node's form), not both",
        ));
    }
    match system.disable_internal_retries {
        Some(true) if system.max_retries.is_some_and(|n| n.0 > 0) => {
            return Err(Error::config(
                "invalid_config",
                "system.disableInternalRetries is true and system.maxRetries is above 0: keep one of them",
            ))
        }
        Some(true) => msal.no_retries = true,
        Some(false) => msal.notes.push(
            "system.disableInternalRetries: false changes nothing: retries follow system.maxRetries".to_owned(),
        ),
        None => {}
    }
    match system.protocol_mode.as_deref() {
        None => {}
        Some("AAD") => msal
            .notes
            .push("system.protocolMode \"AAD\" changes nothing: auth.authority is an Entra authority".to_owned()),
        Some("OIDC") => {
            return Err(unsupported(
                "system.protocolMode \"OIDC\" is msal's generic OpenID mode: set auth.tokenEndpoint to the server's \
                 token endpoint instead of auth.authority",
            ))
        }
        Some(_) => {
            return Err(Error::config(
                "invalid_config",
                "system.protocolMode must be \"AAD\" (or leave it out)",
            ))
        }
    }
    if let Some(options) = &system.logger_options {
        read_logger_options(options, msal);
    }
    Ok(())
}

fn read_logger_options<H>(options: &LoggerOptionsInput<H>, msal: &mut Msal) {
    if options.log_level == Some(LogLevelInput::NotANumber) {
        msal.notes.push(
            "system.loggerOptions.logLevel is not a number: Info is used, as msal-node does; use LogLevel.Verbose (3) or another LogLevel value".to_owned(),
        );
    }
    if options.logger_callback.is_none() {
        msal.notes.push(
            "system.loggerOptions has no loggerCallback: nothing is logged (as in msal-node)"
                .to_owned(),
        );
    }
    if options.pii_logging_enabled == Some(true) {
        msal.notes.push(
            "system.loggerOptions.piiLoggingEnabled changes nothing: entra-edge logs no personal data".to_owned(),
        );
    }
    if options.correlation_id.is_some() {
        msal.notes.push(
            "system.loggerOptions.correlationId changes nothing: each request has its own correlation id".to_owned(),
        );
    }
}

/// The logger the configuration asks for.
pub(super) fn logger<H>(system: &mut SystemInput<H>) -> Option<Logger<H>> {
    if let Some(callback) = system.logger.take() {
        return Some(Logger {
            callback,
            max_level: None,
        });
    }
    let options = system.logger_options.as_mut()?;
    Some(Logger {
        callback: options.logger_callback.take()?,
        max_level: Some(match options.log_level {
            // Levels above Trace deliver everything; below Error, nothing.
            Some(LogLevelInput::Level(n)) if n.is_finite() => n.clamp(-1.0, 4.0) as i8,
            _ => DEFAULT_LOG_LEVEL,
        }),
    })
}

fn read_auth<H>(auth: &AuthInput<H>, msal: &mut Msal) -> Result<(), Error> {
    if auth.known_authorities.is_some() {
        msal.notes.push(
            "auth.knownAuthorities changes nothing: no authority discovery is done, token requests go to \
             auth.authority's token endpoint"
                .to_owned(),
        );
    }
    if auth.cloud_discovery_metadata.is_some() {
        msal.notes.push(
            "auth.cloudDiscoveryMetadata changes nothing: no instance discovery is done".to_owned(),
        );
    }
    if auth.skip_authority_metadata_cache.is_some() {
        msal.notes.push(
            "auth.skipAuthorityMetadataCache changes nothing: no authority metadata is fetched or cached".to_owned(),
        );
    }
    if let Some(cloud) = &auth.azure_cloud_options {
        let instance = cloud.azure_cloud_instance.as_deref().unwrap_or("none");
        if instance != "none" {
            let tenant = cloud.tenant.as_deref().ok_or_else(|| {
                Error::config(
                    "tenant_required",
                    "auth.azureCloudOptions.tenant is required: the client credentials flow needs a tenant id or domain",
                )
            })?;
            msal.authority = Some(Authority::cloud(instance, tenant)?);
            if auth.authority.is_some() {
                msal.notes.push(
                    "auth.authority is replaced by auth.azureCloudOptions, as msal-node does"
                        .to_owned(),
                );
            }
        } else if cloud.tenant.is_some() {
            msal.notes.push(
                "auth.azureCloudOptions.tenant changes nothing without an azureCloudInstance (None, as in msal-node): \
                 auth.authority is used; set azureCloudInstance to use the tenant"
                    .to_owned(),
            );
        }
    }
    if let Some(metadata) = &auth.authority_metadata {
        #[derive(Deserialize)]
        struct Metadata {
            token_endpoint: String,
        }
        let parsed: Metadata = crate::lenient::object(metadata.as_bytes()).ok_or_else(|| {
            Error::config(
                "invalid_config",
                "auth.authorityMetadata must be the JSON text of the authority's OpenID configuration, with its \
                 token_endpoint",
            )
        })?;
        if auth.token_endpoint.is_some() {
            return Err(Error::config(
                "invalid_config",
                "auth.authorityMetadata describes auth.authority; with auth.tokenEndpoint it has nothing to describe: \
                 remove it",
            ));
        }
        msal.token_endpoint = Some(parsed.token_endpoint);
    }
    Ok(())
}
