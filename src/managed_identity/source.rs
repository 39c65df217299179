//! Which managed-identity endpoint serves this process, from the environment variables the
//! platform sets, in msal-node's order (`ManagedIdentitySources`): Service Fabric, App Service
//! (also Functions and Container Apps), Azure Machine Learning, Cloud Shell, Azure Arc, IMDS.
//! The shell reads the variables and hands them over; the choice is made here.

use serde::Deserialize;

use super::{ManagedIdentity, IMDS_HOST, IMDS_PATH};
use crate::error::Error;
use crate::secret::ClientSecret;

/// `auth.managedIdentity`: which identity, and the environment the shell read.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ManagedIdentityInput {
    pub client_id: Option<String>,
    pub resource_id: Option<String>,
    pub object_id: Option<String>,
    pub environment: Option<EnvironmentInput>,
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
            | Source::MachineLearning { endpoint, .. }
            | Source::CloudShell { endpoint }
            | Source::Imds { endpoint } => endpoint,
        }
    }

    /// The secret sent with each request, if the source has one.
    pub fn secret(&self) -> Option<&ClientSecret> {
        match self {
            Source::AppService { header, .. } => Some(header),
            Source::MachineLearning { secret, .. } => Some(secret),
            Source::CloudShell { .. } | Source::Imds { .. } => None,
        }
    }

    /// The source's name in messages.
    pub fn name(&self) -> &'static str {
        match self {
            Source::AppService { .. } => "App Service",
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
    /// that is not an http(s) URL; `credential_unavailable` for a platform this package cannot
    /// ask (Service Fabric, Azure Arc) or a user-assigned id where the platform takes none.
    pub fn from_input(input: ManagedIdentityInput) -> Result<Self, Error> {
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
        let source = detect(input.environment.unwrap_or_default())?;
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

/// The endpoint the environment names, in msal-node's order.
///
/// # Errors
/// As [`ManagedIdentity::from_input`].
pub fn detect(env: EnvironmentInput) -> Result<Source, Error> {
    let set = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
    let secret = |v: Option<ClientSecret>| v.filter(|v| !v.secret().is_empty());
    let identity_endpoint = set(env.identity_endpoint);
    let identity_header = secret(env.identity_header);
    let msi_endpoint = set(env.msi_endpoint);
    let msi_secret = secret(env.msi_secret);
    match (identity_endpoint, identity_header, msi_endpoint) {
        (Some(_), Some(_), _) if set(env.identity_server_thumbprint).is_some() => {
            Err(unavailable(
                "ManagedIdentityCredential: Service Fabric's managed identity (IDENTITY_SERVER_THUMBPRINT) is not supported: its endpoint's certificate is pinned by thumbprint, which fetch cannot check. Use a client credential, or @azure/identity there",
            ))
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
        (Some(_), None, None) if set(env.imds_endpoint).is_some() => Err(unavailable(
            "ManagedIdentityCredential: Azure Arc (IDENTITY_ENDPOINT with IMDS_ENDPOINT) is not supported yet: use a client credential, or @azure/identity there",
        )),
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
