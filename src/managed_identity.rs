//! Managed identities: the token request a platform's managed-identity endpoint takes, and the
//! answer it gives, as data. A managed identity is one more [`crate::config::Credential`]: the
//! acquisition machine around it (memory, store, lease, retries, stale-if-error, refresh-ahead)
//! is [`crate::flow::Acquisition`], unchanged.
//!
//! - [`source`]: which endpoint serves this process, chosen from the environment in msal-node's
//!   order, and the user-assigned id.
//! - [`arc`]: Azure Arc's key-file challenge: the 401 names a file the shell reads
//!   ([`crate::flow::Action::ReadFile`]) and the request is sent again with its content.
//! - [`answer`]: the endpoint's answer (`expires_on` in epoch seconds, `resource`, `client_id`)
//!   and its errors (IMDS 400 means the identity is not here; 404, 410, 429 and 5xx are retried).

pub mod answer;
pub mod arc;
pub mod source;

use crate::authority::Authority;
use crate::error::Error;
use crate::form::{form_body, form_encode};
use crate::request::HttpRequest;
use crate::response::HttpResponse;
use crate::scope::{Scopes, DEFAULT_SUFFIX};
use crate::secret::ClientSecret;

pub use arc::FileError;
pub use source::{EnvironmentInput, ManagedIdentityInput, Shell, Source, UserAssigned};

/// The client id a system-assigned identity is cached under (msal-node's name for it).
pub const SYSTEM_ASSIGNED: &str = "system_assigned_managed_identity";
/// IMDS's host when `AZURE_POD_IDENTITY_AUTHORITY_HOST` is not set.
pub const IMDS_HOST: &str = "http://169.254.169.254";
/// IMDS's token path.
pub const IMDS_PATH: &str = "/metadata/identity/oauth2/token";

/// A validated managed identity: where its tokens come from and which identity it is.
#[derive(Debug, Clone)]
pub struct ManagedIdentity {
    /// The endpoint serving this process.
    pub source: Source,
    /// The user-assigned identity, `None` for the system-assigned one.
    pub user_assigned: Option<UserAssigned>,
}

impl ManagedIdentity {
    /// The id its tokens are cached under: the user-assigned id, or [`SYSTEM_ASSIGNED`].
    pub fn key_id(&self) -> String {
        match &self.user_assigned {
            Some(id) => format!("{}:{}", id.kind(), id.value()),
            None => SYSTEM_ASSIGNED.to_owned(),
        }
    }

    /// The endpoint as an authority: tokens for it are cached under its URL. No https rule: the
    /// platform sets it (IMDS is plain http on a link-local address).
    pub fn authority(&self) -> Authority {
        let endpoint = self.source.endpoint().to_owned();
        Authority {
            audience: endpoint.clone(),
            token_endpoint: endpoint,
            tenant: None,
            origin: None,
        }
    }

    /// The secret the endpoint is asked with (`IDENTITY_HEADER`, `MSI_SECRET`): scrubbed from
    /// any text kept from its answers.
    pub fn secret(&self) -> Option<&ClientSecret> {
        self.source.secret()
    }

    /// Whether this is IMDS, where a network failure before any answer means "not on Azure".
    pub fn is_imds(&self) -> bool {
        matches!(self.source, Source::Imds { .. })
    }

    /// Who the identity is, for messages: `system-assigned` or `user-assigned (client_id ...)`.
    pub fn describe(&self) -> String {
        match &self.user_assigned {
            Some(id) => format!(
                "the user-assigned identity with {} {}",
                id.kind(),
                id.value()
            ),
            None => "the system-assigned identity".to_owned(),
        }
    }

    /// The key file an answer asks for: Azure Arc's 401 to a request sent without a key
    /// (`keyed`: with one, a 401 is a refusal read as any error). `None` for any other answer.
    ///
    /// # Errors
    /// As [`arc::key_file`].
    pub fn challenge(&self, resp: &HttpResponse, keyed: bool) -> Option<Result<String, Error>> {
        match &self.source {
            Source::Arc { folder, .. } if resp.status == 401 && !keyed => {
                Some(arc::key_file(resp, folder))
            }
            _ => None,
        }
    }

    /// The token request for `scopes` (one scope, checked by [`resource`]); `key` is Azure
    /// Arc's key, read from the file its challenge named.
    pub fn token_request(
        &self,
        scopes: &Scopes,
        correlation_id: &str,
        key: Option<&str>,
    ) -> HttpRequest {
        let resource = scopes.list.first().map_or("", |s| resource_of(s));
        let mut query: Vec<(&str, &str)> = Vec::new();
        let mut headers: Vec<(String, String)> = Vec::new();
        let mut method = "GET";
        let mut body = String::new();
        let id = self.user_assigned.as_ref();
        let url = match &self.source {
            Source::Imds { endpoint } => {
                query.extend([("api-version", "2018-02-01"), ("resource", resource)]);
                if let Some(id) = id {
                    query.push((id.imds_name(), id.value()));
                }
                headers.push(("metadata".into(), "true".into()));
                endpoint
            }
            Source::AppService { endpoint, header } => {
                query.extend([("api-version", "2019-08-01"), ("resource", resource)]);
                if let Some(id) = id {
                    query.push((id.app_service_name(), id.value()));
                }
                headers.push(("x-identity-header".into(), header.secret().to_owned()));
                endpoint
            }
            Source::ServiceFabric {
                endpoint, header, ..
            } => {
                query.extend([
                    ("api-version", "2019-07-01-preview"),
                    ("resource", resource),
                ]);
                if let Some(id) = id {
                    query.push((id.service_fabric_name(), id.value()));
                }
                headers.push(("secret".into(), header.secret().to_owned()));
                endpoint
            }
            Source::Arc { endpoint, .. } => {
                query.extend([("api-version", arc::API_VERSION), ("resource", resource)]);
                headers.push(("metadata".into(), "true".into()));
                if let Some(key) = key {
                    headers.push(("authorization".into(), format!("Basic {key}")));
                }
                endpoint
            }
            Source::MachineLearning {
                endpoint,
                secret,
                default_client_id,
            } => {
                query.extend([("api-version", "2017-09-01"), ("resource", resource)]);
                // msal-node names the system-assigned identity by DEFAULT_IDENTITY_CLIENT_ID.
                let client_id = id.map(UserAssigned::value).or(default_client_id.as_deref());
                if let Some(client_id) = client_id {
                    query.push(("clientid", client_id));
                }
                headers.push(("metadata".into(), "true".into()));
                headers.push(("secret".into(), secret.secret().to_owned()));
                endpoint
            }
            Source::CloudShell { endpoint } => {
                method = "POST";
                headers.push(("metadata".into(), "true".into()));
                headers.push((
                    "content-type".into(),
                    "application/x-www-form-urlencoded".into(),
                ));
                body = form_body(&[("resource", resource)]);
                endpoint
            }
        };
        headers.push(("x-ms-client-request-id".into(), correlation_id.to_owned()));
        HttpRequest {
            method,
            url: with_query(url, &query),
            headers,
            body,
        }
    }
}

/// The one resource a managed-identity token is for: `scopes` must hold exactly one scope.
///
/// # Errors
/// `invalid_scope` for a list of more than one scope.
pub fn resource(scopes: &Scopes) -> Result<&str, Error> {
    match scopes.list.as_slice() {
        [one] => Ok(resource_of(one)),
        list => Err(Error::config(
            "invalid_scope",
            format!(
                "a managed identity takes exactly one scope (its resource, e.g. \"https://storage.azure.com/.default\"), got {}: ask for one resource per getToken call",
                list.len()
            ),
        )),
    }
}

/// The resource of a scope: the scope without `/.default` (as msal-node sends it).
fn resource_of(scope: &str) -> &str {
    scope.strip_suffix(DEFAULT_SUFFIX).unwrap_or(scope)
}

fn with_query(url: &str, query: &[(&str, &str)]) -> String {
    if query.is_empty() {
        return url.to_owned();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    let pairs: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{k}={}", form_encode(v)))
        .collect();
    format!("{url}{separator}{}", pairs.join("&"))
}
