//! The option objects as the caller writes them: the configuration (`auth`,
//! `auth.clientCertificate`, `cache`, `system`) and the acquisition request. These serde types
//! are the list of what is accepted; [`read`] reads them strictly (unknown names refused by
//! path, type errors that name the field and never quote the value).
//!
//! `H` is what the shell keeps of values it needs as they are (functions, KV bindings, Redis
//! clients): JavaScript values in the shell, parsed JSON in native tests.

mod source;
mod strict;

use std::fmt;

use serde::de::{self, DeserializeOwned, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::Deserialize;

pub use source::{Kind, Plain, Source};
pub use strict::InputError;
use strict::Strict;

use crate::secret::{ClientSecret, PrivateKeyPem};

/// A value the shell keeps as it is. The core only asks whether it is text. `Default` (JSON
/// `null`, JavaScript `undefined`) lets the option structs holding handles derive theirs.
pub trait Handle: DeserializeOwned + Default {
    /// The string, when the value is one (a static `clientAssertion`).
    fn text(&self) -> Option<String>;
}

impl Handle for serde_json::Value {
    fn text(&self) -> Option<String> {
        self.as_str().map(str::to_owned)
    }
}

/// Reads `source` as a `T` called `root` in messages.
///
/// # Errors
/// The message of the first option that is unknown or of the wrong type.
pub fn read<T: DeserializeOwned, S: Source>(
    source: S,
    root: &'static str,
) -> Result<T, InputError> {
    T::deserialize(Strict::new(source, root))
}

/// `new ConfidentialClientApplication(configuration)`. No `Debug`: a static `clientAssertion`
/// is a credential, and `H` would print it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, bound(deserialize = "H: Handle"))]
#[allow(missing_docs)]
pub struct ConfigInput<H> {
    pub auth: Option<AuthInput<H>>,
    pub cache: Option<CacheInput<H>>,
    pub system: Option<SystemInput<H>>,
    /// msal-node's `telemetry.application`: sent as `x-app-name` / `x-app-ver`.
    pub telemetry: Option<TelemetryInput>,
    /// msal-node's broker plugin (user flows): refused by name.
    pub broker: Option<IgnoredAny>,
}

/// `configuration.auth` (no `Debug`, as [`ConfigInput`]).
#[derive(Deserialize)]
#[serde(
    rename_all = "camelCase",
    deny_unknown_fields,
    bound(deserialize = "H: Handle")
)]
#[allow(missing_docs)]
pub struct AuthInput<H> {
    pub client_id: Option<String>,
    pub authority: Option<String>,
    pub token_endpoint: Option<String>,
    pub issuer: Option<String>,
    pub client_secret: Option<ClientSecret>,
    pub client_certificate: Option<CertificateInput>,
    /// A signed JWT (a string) or a function returning one.
    pub client_assertion: Option<H>,
    pub client_auth_method: Option<String>,
    #[serde(rename = "sendX5C")]
    pub send_x5c: Option<bool>,
    #[serde(default, deserialize_with = "strings")]
    pub client_capabilities: Option<Vec<String>>,
    /// Tenants other than the authority's a request may name; `["*"]` for any.
    #[serde(default, deserialize_with = "strings")]
    pub allowed_tenants: Option<Vec<String>>,
    pub azure_region: Option<String>,
    // msal-node's vocabulary, accepted for what it means here.
    #[serde(default, deserialize_with = "strings")]
    pub known_authorities: Option<Vec<String>>,
    pub cloud_discovery_metadata: Option<String>,
    pub authority_metadata: Option<String>,
    pub skip_authority_metadata_cache: Option<bool>,
    pub azure_cloud_options: Option<CloudOptionsInput>,
    /// A managed identity instead of a client credential (the Node credentials set it).
    pub managed_identity: Option<crate::managed_identity::ManagedIdentityInput<H>>,
}

/// msal-node's `auth.azureCloudOptions`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(missing_docs)]
pub struct CloudOptionsInput {
    pub azure_cloud_instance: Option<String>,
    pub tenant: Option<String>,
}

/// msal-node's `telemetry`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(missing_docs)]
pub struct TelemetryInput {
    pub application: Option<ApplicationInput>,
}

/// msal-node's `telemetry.application`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ApplicationInput {
    pub app_name: Option<String>,
    pub app_version: Option<String>,
}

/// `configuration.auth.clientCertificate`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(missing_docs)]
pub struct CertificateInput {
    pub private_key: Option<PrivateKeyPem>,
    pub thumbprint_sha256: Option<String>,
    pub thumbprint: Option<String>,
    pub x5c: Option<String>,
    pub key_id: Option<String>,
}

/// `configuration.cache`.
#[derive(Debug, Default, Deserialize)]
#[serde(
    rename_all = "camelCase",
    deny_unknown_fields,
    bound(deserialize = "H: Handle")
)]
#[allow(missing_docs)]
pub struct CacheInput<H> {
    /// A KV namespace or any object with `get`, `put` and `delete`.
    pub store: Option<H>,
    pub key_prefix: Option<String>,
    pub encryption_key: Option<ClientSecret>,
    pub memory: Option<bool>,
    pub max_entries: Option<Whole<1, 100_000_000>>,
    /// Tokens `refreshDue` keeps warm even before any request asked for them.
    pub keep_warm: Option<Vec<KeepWarmInput>>,
    /// msal-node's cache plugin: refused, `store` is the way here.
    pub cache_plugin: Option<IgnoredAny>,
}

/// `configuration.system`.
#[derive(Debug, Default, Deserialize)]
#[serde(
    rename_all = "camelCase",
    deny_unknown_fields,
    bound(deserialize = "H: Handle")
)]
#[allow(missing_docs)]
pub struct SystemInput<H> {
    pub fetch: Option<H>,
    pub timeout_ms: Option<Whole<1, 600_000>>,
    pub max_retries: Option<Whole<0, 10>>,
    pub deadline_ms: Option<Whole<1, 3_600_000>>,
    pub expiry_buffer_seconds: Option<Whole<0, 3600>>,
    pub logger: Option<H>,
    pub now: Option<H>,
    /// Node: `refreshDue` on a timer (unref'd), `true` for every minute or the period in ms.
    pub refresh_timer: Option<RefreshTimerInput>,
    /// OpenTelemetry: `{ tracer?, meter? }` or `true`, validated and used by the JS layer.
    pub telemetry: Option<H>,
    // msal-node's vocabulary.
    pub logger_options: Option<LoggerOptionsInput<H>>,
    /// msal's `INetworkModule`.
    pub network_client: Option<H>,
    pub disable_internal_retries: Option<bool>,
    pub protocol_mode: Option<String>,
    /// Refused: `fetch` with a proxy dispatcher is the way here.
    pub proxy_url: Option<IgnoredAny>,
    /// Refused with `proxyUrl`'s advice (msal-node's http agent options).
    pub custom_agent_options: Option<IgnoredAny>,
}

/// One entry of `cache.keepWarm`: a request as `acquireTokenByClientCredential` takes it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(missing_docs)]
pub struct KeepWarmInput {
    #[serde(default, deserialize_with = "strings")]
    pub scopes: Option<Vec<String>>,
    pub tenant_id: Option<String>,
}

/// `system.refreshTimer`: on or off, or the period in ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshTimerInput {
    /// `true` or `false`.
    On(bool),
    /// A period in ms.
    Every(Whole<10, 86_400_000>),
}

impl<'de> Deserialize<'de> for RefreshTimerInput {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TimerVisitor;
        impl<'de> Visitor<'de> for TimerVisitor {
            type Value = RefreshTimerInput;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("true, or a period in ms from 10 to 86400000")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(RefreshTimerInput::On(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                WholeVisitor::<10, 86_400_000>
                    .visit_u64(v)
                    .map(RefreshTimerInput::Every)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                WholeVisitor::<10, 86_400_000>
                    .visit_i64(v)
                    .map(RefreshTimerInput::Every)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                WholeVisitor::<10, 86_400_000>
                    .visit_f64(v)
                    .map(RefreshTimerInput::Every)
            }
        }
        d.deserialize_any(TimerVisitor)
    }
}

/// msal-node's `system.loggerOptions`.
#[derive(Debug, Deserialize)]
#[serde(
    rename_all = "camelCase",
    deny_unknown_fields,
    bound(deserialize = "H: Handle")
)]
#[allow(missing_docs)]
pub struct LoggerOptionsInput<H> {
    /// `(level: LogLevel, message, containsPii) => void`.
    pub logger_callback: Option<H>,
    /// msal's numeric `LogLevel`: Error 0, Warning 1, Info 2, Verbose 3, Trace 4.
    pub log_level: Option<LogLevelInput>,
    pub pii_logging_enabled: Option<bool>,
    pub correlation_id: Option<String>,
}

/// `acquireTokenByClientCredential(request)`.
#[derive(Debug, Default, Deserialize)]
#[serde(
    rename_all = "camelCase",
    deny_unknown_fields,
    bound(deserialize = "H: Handle")
)]
#[allow(missing_docs)]
pub struct RequestInput<H> {
    #[serde(default, deserialize_with = "strings")]
    pub scopes: Option<Vec<String>>,
    pub skip_cache: Option<bool>,
    pub claims: Option<String>,
    pub correlation_id: Option<String>,
    pub wait_until: Option<H>,
    /// This request's tenant (id or domain).
    pub tenant_id: Option<String>,
    /// msal-node's form of the same: `https://<the app's authority host>/<tenant>`.
    pub authority: Option<String>,
    /// Overrides `auth.azureRegion`.
    pub azure_region: Option<String>,
}

/// A request as native tests and fuzzing write it (JSON values for handles).
pub type JsonRequest = RequestInput<serde_json::Value>;

/// An optional array of strings, refused as a whole ("scopes must be an array of strings").
fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    Option::<Strings>::deserialize(d).map(|s| s.map(|s| s.0))
}

/// An array of strings, refused as a whole when it is anything else.
struct Strings(Vec<String>);

impl<'de> Deserialize<'de> for Strings {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct StringsVisitor;
        impl<'de> Visitor<'de> for StringsVisitor {
            type Value = Strings;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of strings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strings, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                Ok(Strings(out))
            }
        }
        d.deserialize_seq(StringsVisitor)
    }
}

/// `loggerOptions.logLevel` as msal-node reads it: a number is the level (any number: lines
/// above it are not delivered); anything else (samples write `"debug"`) means Info.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LogLevelInput {
    /// A number.
    Level(f64),
    /// Not a number.
    NotANumber,
}

impl<'de> Deserialize<'de> for LogLevelInput {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct LevelVisitor;
        impl<'de> Visitor<'de> for LevelVisitor {
            type Value = LogLevelInput;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("msal's LogLevel (a number)")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(LogLevelInput::Level(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(LogLevelInput::Level(v as f64))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(LogLevelInput::Level(v as f64))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(LogLevelInput::NotANumber)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(LogLevelInput::NotANumber)
            }
        }
        d.deserialize_any(LevelVisitor)
    }
}

/// A whole number from `MIN` to `MAX`; JavaScript numbers arrive as floats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Whole<const MIN: u64, const MAX: u64>(pub u64);

/// Reads a [`Whole`] from any number.
struct WholeVisitor<const MIN: u64, const MAX: u64>;

impl<'de, const MIN: u64, const MAX: u64> Visitor<'de> for WholeVisitor<MIN, MAX> {
    type Value = Whole<MIN, MAX>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a whole number from {MIN} to {MAX}")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        if (MIN..=MAX).contains(&v) {
            Ok(Whole(v))
        } else {
            Err(E::custom("out of range"))
        }
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        let v = u64::try_from(v).map_err(|_| E::custom("out of range"))?;
        self.visit_u64(v)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        // Exact for the ranges used here, far below 2^53.
        if v.fract() == 0.0 && v >= 0.0 && v <= MAX as f64 {
            self.visit_u64(v as u64)
        } else {
            Err(E::custom("out of range"))
        }
    }
}

impl<'de, const MIN: u64, const MAX: u64> Deserialize<'de> for Whole<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_f64(WholeVisitor::<MIN, MAX>)
    }
}
