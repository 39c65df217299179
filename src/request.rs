//! The token request as plain data (RFC 6749 §4.4.2): the shell hands it to `fetch` as is.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::authority::Target;
use crate::config::{AuthMethod, ClientConfig, Credential};
use crate::form::{form_body, form_encode};
use crate::scope::Scopes;

/// `client_assertion_type` for JWT assertions (RFC 7523 §2.2).
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// `x-client-SKU`: lets Entra's telemetry tell this library apart.
pub const SKU: &str = "entra-edge";
/// `x-client-Ver`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// An HTTP request. `Debug` omits the body and the Authorization header: both carry the secret.
#[derive(Clone)]
pub struct HttpRequest {
    /// Always `POST` for token requests.
    pub method: &'static str,
    /// The token endpoint.
    pub url: String,
    /// Header names and values, in send order.
    pub headers: Vec<(String, String)>,
    /// `application/x-www-form-urlencoded` body.
    pub body: String,
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("header_names", &names)
            .field(
                "body",
                &format_args!("[{} bytes, redacted]", self.body.len()),
            )
            .finish()
    }
}

/// What varies per token request.
#[derive(Debug)]
pub struct TokenRequestInput<'a> {
    /// Where it goes.
    pub target: &'a Target,
    /// Validated scopes.
    pub scopes: &'a Scopes,
    /// `claims` request parameter (already merged with client capabilities).
    pub claims: Option<&'a str>,
    /// Sent as `client-request-id`.
    pub correlation_id: &'a str,
    /// The client assertion for this request, when the credential is an assertion; Azure Arc's
    /// key for a managed identity there.
    pub assertion: Option<&'a str>,
}

/// Builds the client-credentials token request.
pub fn token_request(config: &ClientConfig, input: &TokenRequestInput<'_>) -> HttpRequest {
    if let Credential::ManagedIdentity(mi) = &config.credential {
        return mi.token_request(input.scopes, input.correlation_id, input.assertion);
    }
    let mut headers = vec![
        (
            "content-type".to_owned(),
            "application/x-www-form-urlencoded;charset=utf-8".to_owned(),
        ),
        ("accept".to_owned(), "application/json".to_owned()),
        (
            "client-request-id".to_owned(),
            input.correlation_id.to_owned(),
        ),
        ("return-client-request-id".to_owned(), "true".to_owned()),
        ("x-client-sku".to_owned(), SKU.to_owned()),
        ("x-client-ver".to_owned(), VERSION.to_owned()),
        (
            "x-ms-lib-capability".to_owned(),
            "retry-after, h429".to_owned(),
        ),
    ];
    headers.extend(config.extra_headers.iter().cloned());
    let mut form = vec![("grant_type", "client_credentials"), ("scope", "")];
    let scope = input.scopes.joined();
    form[1].1 = &scope;
    match &config.credential {
        Credential::Secret {
            secret,
            method: AuthMethod::Post,
        } => {
            form.push(("client_id", &config.client_id));
            form.push(("client_secret", secret.secret()));
        }
        Credential::Secret {
            method: AuthMethod::Basic,
            ..
        } => {
            if let Some(credentials) = basic_credentials(config) {
                headers.push(("authorization".to_owned(), format!("Basic {credentials}")));
            }
        }
        Credential::StaticAssertion(_)
        | Credential::AssertionCallback
        | Credential::Certificate(_)
        | Credential::ManagedIdentity(_) => {
            form.push(("client_id", &config.client_id));
            form.push(("client_assertion_type", JWT_BEARER));
            form.push(("client_assertion", input.assertion.unwrap_or_default()));
        }
    }
    if let Some(claims) = input.claims {
        form.push(("claims", claims));
    }
    HttpRequest {
        method: "POST",
        url: input.target.token_endpoint.clone(),
        headers,
        body: form_body(&form),
    }
}

/// The HTTP Basic credentials of a `client_secret_basic` client: base64 of the form-encoded
/// id and secret (RFC 6749 §2.3.1, so ':' in a secret survives). They carry the secret: a
/// server that echoes them must not get them into an error.
pub fn basic_credentials(config: &ClientConfig) -> Option<String> {
    match &config.credential {
        Credential::Secret {
            secret,
            method: AuthMethod::Basic,
        } => Some(STANDARD.encode(format!(
            "{}:{}",
            form_encode(&config.client_id),
            form_encode(secret.secret())
        ))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_body() {
        let r = HttpRequest {
            method: "POST",
            url: "u".into(),
            headers: vec![("authorization".into(), "Basic c2VjcmV0".into())],
            body: "client_secret=canary".into(),
        };
        let dbg = format!("{r:?}");
        assert!(
            !dbg.contains("canary") && !dbg.contains("c2VjcmV0"),
            "{dbg}"
        );
    }
}
