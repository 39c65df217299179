//! Which managed-identity endpoint serves this process, from the environment variables the
//! platform sets, in msal-node's order (`ManagedIdentitySources`): Service Fabric, App Service
//! (also Functions and Container Apps), Azure Machine Learning, Cloud Shell, Azure Arc, IMDS.
//! The shell reads the variables and hands them over; the choice is made here.

use serde::Deserialize;

use super::{arc, ManagedIdentity, IMDS_HOST, IMDS_PATH};
use crate::error::Error;
use crate::input::Handle;
use crate::secret::ClientSecret;

/// `auth.managedIdentity`: which identity, the environment the shell read, and what the shell
/// can do beyond `fetch` (the Node layer sets all of it).
#[derive(Default, Deserialize)]
#[serde(
    rename_all = "camelCase",
    deny_unknown_fields,
    bound(deserialize = "H: Handle")
)]
#[allow(missing_docs)]
pub struct ManagedIdentityInput<H> {
    pub client_id: Option<String>,
    pub resource_id: Option<String>,
    pub object_id: Option<String>,
    pub environment: Option<EnvironmentInput>,
    /// `process.platform`: where Azure Arc keeps its key files.
    pub platform: Option<String>,
    /// `(path, maxBytes) => Promise<string>`: reads Azure Arc's key file (Node only).
    pub read_file: Option<H>,
    /// A `fetch` that checks the endpoint's certificate against `IDENTITY_SERVER_THUMBPRINT`
    /// before sending anything (Service Fabric; Node only).
    pub pinned_fetch: Option<H>,
    /// The Azure Arc agent's `himds` executable is installed (msal-node's detection of Arc when
    /// its variables are not set, e.g. in a service started without them).
    pub arc_agent: Option<bool>,
}

/// The platform's variables, by their names. The two secrets are redacted types.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct EnvironmentInput {
    #[serde(rename = "IDENTITY_ENDPOINT")]
    pub identity_endpoint: Option<String>,
    #[serde(rename = "IDENTITY_HEADER")]
    pub identity_header: Option<ClientSecret>,
    #[serde(rename = "IDENTITY_SERVER_THUMBPRINT")]
    pub identity_server_thumbprint: Option<String>,
    #[serde(rename = "IMDS_ENDPOINT")]
    pub imds_endpoint: Option<String>,
    #[serde(rename = "MSI_ENDPOINT")]
    pub msi_endpoint: Option<String>,
    #[serde(rename = "MSI_SECRET")]
    pub msi_secret: Option<ClientSecret>,
    #[serde(rename = "AZURE_POD_IDENTITY_AUTHORITY_HOST")]
    pub pod_identity_authority_host: Option<String>,
    #[serde(rename = "DEFAULT_IDENTITY_CLIENT_ID")]
    pub default_identity_client_id: Option<String>,
    /// Windows' `%ProgramData%`, under which Azure Arc keeps its key files.
    #[serde(rename = "ProgramData")]
    pub program_data: Option<String>,
}

/// What the shell can do for a source beyond `fetch` (read Azure Arc's key file, pin Service
/// Fabric's certificate), and what it found on the machine. A source that needs what the shell
/// cannot do is unavailable.
#[derive(Debug, Clone, Copy, Default)]
pub struct Shell {
    /// `auth.managedIdentity.readFile` is there.
    pub read_file: bool,
    /// `auth.managedIdentity.pinnedFetch` is there.
    pub pinned_fetch: bool,
    /// `auth.managedIdentity.arcAgent`: the Azure Arc agent's executable is installed.
    pub arc_agent: bool,
}

/// A managed-identity endpoint.
#[derive(Debug, Clone)]
pub enum Source {
    /// App Service, Functions, Container Apps: `IDENTITY_ENDPOINT` + `IDENTITY_HEADER`.
    AppService {
        /// `IDENTITY_ENDPOINT`.
        endpoint: String,
        /// `IDENTITY_HEADER`, sent as `X-IDENTITY-HEADER`.
        header: ClientSecret,
    },
    /// Azure Machine Learning: `MSI_ENDPOINT` + `MSI_SECRET`.
    MachineLearning {
        /// `MSI_ENDPOINT`.
        endpoint: String,
        /// `MSI_SECRET`, sent as `secret`.
        secret: ClientSecret,
        /// `DEFAULT_IDENTITY_CLIENT_ID`: the system-assigned identity's client id, which this
        /// endpoint wants named (the platform always sets it).
        default_client_id: Option<String>,
    },
    /// Cloud Shell: `MSI_ENDPOINT` alone; a form POST.
    CloudShell {
        /// `MSI_ENDPOINT`.
        endpoint: String,
    },
    /// Service Fabric: `IDENTITY_ENDPOINT` + `IDENTITY_HEADER` + `IDENTITY_SERVER_THUMBPRINT`.
    /// Sent only through the shell's pinned fetch.
    ServiceFabric {
        /// `IDENTITY_ENDPOINT` (https).
        endpoint: String,
        /// `IDENTITY_HEADER`, sent as `secret`.
        header: ClientSecret,
        /// `IDENTITY_SERVER_THUMBPRINT`: the endpoint certificate's SHA-1, 40 hex digits.
        thumbprint: String,
    },
    /// Azure Arc: `IDENTITY_ENDPOINT` + `IMDS_ENDPOINT`; a 401 names a key file in `folder`.
    Arc {
        /// `IDENTITY_ENDPOINT`.
        endpoint: String,
        /// The agent's key folder on this platform.
        folder: String,
    },
    /// The VM's Instance Metadata Service (also AKS pods through `AZURE_POD_IDENTITY_AUTHORITY_HOST`).
    Imds {
        /// The token URL.
        endpoint: String,
    },
}

impl Source {
    /// The URL token requests go to (without their query).
    pub fn endpoint(&self) -> &str {
        match self {
            Source::AppService { endpoint, .. }
            | Source::ServiceFabric { endpoint, .. }
            | Source::Arc { endpoint, .. }
            | Source::MachineLearning { endpoint, .. }
            | Source::CloudShell { endpoint }
            | Source::Imds { endpoint } => endpoint,
        }
    }

    /// The secret sent with each request, if the source has one.
    pub fn secret(&self) -> Option<&ClientSecret> {
        match self {
            Source::AppService { header, .. } | Source::ServiceFabric { header, .. } => {
                Some(header)
            }
            Source::MachineLearning { secret, .. } => Some(secret),
            Source::Arc { .. } | Source::CloudShell { .. } | Source::Imds { .. } => None,
        }
    }

    /// The source's name in messages.
    pub fn name(&self) -> &'static str {
        match self {
            Source::AppService { .. } => "App Service",
            Source::ServiceFabric { .. } => "Service Fabric",
            Source::Arc { .. } => "Azure Arc",
            Source::MachineLearning { .. } => "Azure Machine Learning",
            Source::CloudShell { .. } => "Cloud Shell",
            Source::Imds { .. } => "IMDS",
        }
    }
}

/// A user-assigned identity, by one of its three ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserAssigned {
    /// Its client (application) id.
    ClientId(String),
    /// Its ARM resource id.
    ResourceId(String),
    /// Its object (principal) id.
    ObjectId(String),
}

impl UserAssigned {
    /// The option's name.
    pub fn kind(&self) -> &'static str {
        match self {
            UserAssigned::ClientId(_) => "clientId",
            UserAssigned::ResourceId(_) => "resourceId",
            UserAssigned::ObjectId(_) => "objectId",
        }
    }

    /// The id.
    pub fn value(&self) -> &str {
        match self {
            UserAssigned::ClientId(v) | UserAssigned::ResourceId(v) | UserAssigned::ObjectId(v) => {
                v
            }
        }
    }

    /// Its query parameter on IMDS.
    pub fn imds_name(&self) -> &'static str {
        match self {
            UserAssigned::ClientId(_) => "client_id",
            UserAssigned::ResourceId(_) => "msi_res_id",
            UserAssigned::ObjectId(_) => "object_id",
        }
    }

    /// Its query parameter on Service Fabric (msal-node's names).
    pub fn service_fabric_name(&self) -> &'static str {
        match self {
            UserAssigned::ClientId(_) => "client_id",
            UserAssigned::ResourceId(_) => "mi_res_id",
            UserAssigned::ObjectId(_) => "object_id",
        }
    }

    /// Its query parameter on App Service.
    pub fn app_service_name(&self) -> &'static str {
        match self {
            UserAssigned::ClientId(_) => "client_id",
            UserAssigned::ResourceId(_) => "mi_res_id",
            UserAssigned::ObjectId(_) => "principal_id",
        }
    }
}

/// A refusal that means "not here": a chain moves on to its next credential.
pub fn unavailable(message: impl Into<String>) -> Error {
    Error::config("credential_unavailable", message)
}

impl ManagedIdentity {
    /// Validates `auth.managedIdentity`: at most one user-assigned id, and an endpoint the
    /// environment names (IMDS when it names none).
    ///
    /// # Errors
    /// `invalid_config` for two ids at once, an empty or malformed id, or an endpoint variable
    /// that is not an http(s) URL; `credential_unavailable` for a platform the shell cannot ask
    /// (Service Fabric without a pinned fetch, Azure Arc without a file reader or off Linux and
    /// Windows) or a user-assigned id where the platform takes none.
    pub fn from_input<H>(input: ManagedIdentityInput<H>, shell: Shell) -> Result<Self, Error> {
        let ids = [
            input.client_id.map(UserAssigned::ClientId),
            input.resource_id.map(UserAssigned::ResourceId),
            input.object_id.map(UserAssigned::ObjectId),
        ];
        let given: Vec<UserAssigned> = ids.into_iter().flatten().collect();
        let user_assigned = match given.as_slice() {
            [] => None,
            [one] => Some(one.clone()),
            [a, b, ..] => {
                return Err(Error::config(
                    "invalid_config",
                    format!(
                        "ManagedIdentityCredential takes one user-assigned id, and both {} and {} are set: keep the one that names the identity",
                        a.kind(),
                        b.kind()
                    ),
                ))
            }
        };
        if let Some(id) = &user_assigned {
            let v = id.value();
            if v.is_empty() || v.len() > 512 || !v.chars().all(|c| c.is_ascii_graphic()) {
                return Err(Error::config(
                    "invalid_config",
                    format!(
                        "ManagedIdentityCredential: {} must be the identity's id (up to 512 visible ASCII characters), as the Azure portal shows it",
                        id.kind()
                    ),
                ));
            }
        }
        let source = detect(
            input.environment.unwrap_or_default(),
            input.platform.as_deref(),
            shell,
        )?;
        if user_assigned.is_some() && matches!(source, Source::Arc { .. }) {
            return Err(unavailable(
                "ManagedIdentityCredential: Azure Arc serves only the machine's system-assigned identity; a user-assigned id cannot be used there: remove clientId, resourceId or objectId",
            ));
        }
        if user_assigned.is_some() && matches!(source, Source::CloudShell { .. }) {
            return Err(unavailable(
                "ManagedIdentityCredential: Cloud Shell has only the signed-in user's identity; a user-assigned id cannot be used there: remove it",
            ));
        }
        if matches!(
            (&source, &user_assigned),
            (Source::MachineLearning { .. }, Some(id)) if !matches!(id, UserAssigned::ClientId(_))
        ) {
            return Err(unavailable(
                "ManagedIdentityCredential: Azure Machine Learning takes a user-assigned identity by clientId only: pass its clientId",
            ));
        }
        Ok(ManagedIdentity {
            source,
            user_assigned,
        })
    }
}

/// The endpoint the environment names, in msal-node's order; `platform` is Node's
/// `process.platform`, `shell` what the shell can do beyond `fetch` and found on the machine.
///
/// # Errors
/// As [`ManagedIdentity::from_input`].
pub fn detect(
    env: EnvironmentInput,
    platform: Option<&str>,
    shell: Shell,
) -> Result<Source, Error> {
    let set = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
    let secret = |v: Option<ClientSecret>| v.filter(|v| !v.secret().is_empty());
    let identity_endpoint = set(env.identity_endpoint);
    let identity_header = secret(env.identity_header);
    let msi_endpoint = set(env.msi_endpoint);
    let msi_secret = secret(env.msi_secret);
    match (identity_endpoint, identity_header, msi_endpoint) {
        (Some(endpoint), Some(header), _)
            if set(env.identity_server_thumbprint.clone()).is_some() =>
        {
            if !shell.pinned_fetch {
                return Err(unavailable(
                    "ManagedIdentityCredential: Service Fabric's endpoint certificate is pinned by IDENTITY_SERVER_THUMBPRINT, which fetch cannot check; use ManagedIdentityCredential in Node, where requests go through node:https with the thumbprint checked",
                ));
            }
            let endpoint = url("IDENTITY_ENDPOINT", endpoint)?;
            if !endpoint.starts_with("https://") {
                return Err(Error::config(
                    "invalid_config",
                    "ManagedIdentityCredential: Service Fabric's IDENTITY_ENDPOINT must be an https URL (its certificate is checked against IDENTITY_SERVER_THUMBPRINT); the platform sets it, so unset it if you set it by hand",
                ));
            }
            Ok(Source::ServiceFabric {
                endpoint,
                header,
                thumbprint: thumbprint(env.identity_server_thumbprint.unwrap_or_default())?,
            })
        }
        (Some(endpoint), Some(header), _) => Ok(Source::AppService {
            endpoint: url("IDENTITY_ENDPOINT", endpoint)?,
            header,
        }),
        (_, _, Some(endpoint)) => {
            let endpoint = url("MSI_ENDPOINT", endpoint)?;
            Ok(match msi_secret {
                Some(secret) => Source::MachineLearning {
                    endpoint,
                    secret,
                    default_client_id: set(env.default_identity_client_id),
                },
                None => Source::CloudShell { endpoint },
            })
        }
        (identity_endpoint, _, None)
            if shell.arc_agent
                || (identity_endpoint.is_some() && set(env.imds_endpoint.clone()).is_some()) =>
        {
            let endpoint = match (identity_endpoint, set(env.imds_endpoint)) {
                (Some(endpoint), Some(imds)) => {
                    url("IMDS_ENDPOINT", imds)?;
                    url("IDENTITY_ENDPOINT", endpoint)?
                }
                // The agent is installed and its variables are not set: its own address.
                _ => arc::DEFAULT_ENDPOINT.to_owned(),
            };
            if !shell.read_file {
                return Err(unavailable(
                    "ManagedIdentityCredential: Azure Arc's agent answers with a key file to read, and this runtime cannot read files: use ManagedIdentityCredential in Node",
                ));
            }
            let folder = arc::folder(platform, env.program_data.as_deref())?;
            Ok(Source::Arc { endpoint, folder })
        }
        _ => {
            let host = match set(env.pod_identity_authority_host) {
                Some(host) => url("AZURE_POD_IDENTITY_AUTHORITY_HOST", host)?,
                None => IMDS_HOST.to_owned(),
            };
            Ok(Source::Imds {
                endpoint: format!("{}{IMDS_PATH}", host.trim_end_matches('/')),
            })
        }
    }
}

/// `IDENTITY_SERVER_THUMBPRINT`: a SHA-1 thumbprint, 40 hex digits (colons and spaces, as
/// certificate tools print them, allowed), uppercase.
fn thumbprint(value: String) -> Result<String, Error> {
    let hex: String = value
        .chars()
        .filter(|c| !matches!(c, ':' | ' '))
        .collect::<String>()
        .to_ascii_uppercase();
    if hex.len() != 40 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(Error::config(
            "invalid_config",
            "ManagedIdentityCredential: IDENTITY_SERVER_THUMBPRINT must be the SHA-1 thumbprint of Service Fabric's endpoint certificate (40 hex digits); the platform sets it, so unset it if you set it by hand",
        ));
    }
    Ok(hex)
}

/// An endpoint variable's value, checked to be an http(s) URL. Messages name the variable only.
fn url(variable: &str, value: String) -> Result<String, Error> {
    let value = value.trim().to_owned();
    let rest = value
        .strip_prefix("http://")
        .or_else(|| value.strip_prefix("https://"));
    match rest {
        Some(rest)
            if !rest.is_empty()
                && !rest.starts_with('/')
                && value.chars().all(|c| c.is_ascii_graphic()) =>
        {
            Ok(value)
        }
        _ => Err(Error::config(
            "invalid_config",
            format!("ManagedIdentityCredential: {variable} must be an http(s) URL; the platform sets it, so unset it if you set it by hand"),
        )),
    }
}
