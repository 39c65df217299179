//! What a Rust caller asks for and what it gets, whichever driver (`native`, `worker`):
//! `acquireTokenByClientCredential`'s request and `AuthenticationResult`, as Rust types.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::cache::{CachedToken, Shared, TokenSource};
use crate::error::Error;
use crate::flow::Outcome;
use crate::input::JsonRequest;
use crate::secret::ClientSecret;

/// What the assertion callback is told: `auth.clientAssertion`'s `ctx`.
#[derive(Debug, Clone)]
pub struct AssertionContext {
    /// `auth.clientId`.
    pub client_id: String,
    /// Where the assertion will be sent (its `aud` for Entra).
    pub token_endpoint: String,
}

/// What a Rust driver reports for the assertion callback: `None` when it did not finish in
/// time, its error, or the JWT it returned (which must not be empty).
pub(crate) fn asserted<E>(called: Option<Result<String, E>>) -> Outcome {
    match called {
        None => Outcome::TimedOut,
        Some(Err(_)) => Outcome::Asserted(Err(Error::config(
            "invalid_credential",
            "auth.clientAssertion callback (Builder::assertion) returned an error",
        ))),
        Some(Ok(jwt)) if jwt.is_empty() => Outcome::Asserted(Err(Error::config(
            "invalid_credential",
            "auth.clientAssertion callback must return a non-empty string (a signed JWT)",
        ))),
        Some(Ok(jwt)) => Outcome::Asserted(Ok(ClientSecret::new(jwt))),
    }
}

/// A token request, as the JS `acquireTokenByClientCredential` request: validated by the core
/// with the same errors and codes.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub(crate) ask: Ask,
    pub(crate) skip_cache: bool,
    pub(crate) claims: Option<String>,
    pub(crate) correlation_id: Option<String>,
}

/// What decides the token: the key of the driver's memo of the core's fresh answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct Ask {
    scopes: Vec<String>,
    tenant_id: Option<String>,
    authority: Option<String>,
    azure_region: Option<String>,
}

impl Request {
    /// A request for `scopes`; Entra wants exactly one `<resource>/.default`.
    pub fn new<S: Into<String>>(scopes: impl IntoIterator<Item = S>) -> Self {
        Request {
            ask: Ask {
                scopes: scopes.into_iter().map(Into::into).collect(),
                ..Ask::default()
            },
            ..Request::default()
        }
    }

    /// `tenantId`: this request's tenant (id or domain), on the app's cloud.
    pub fn tenant_id(mut self, tenant: impl Into<String>) -> Self {
        self.ask.tenant_id = Some(tenant.into());
        self
    }

    /// `authority`: msal-node's form of a tenant, `https://<the app's authority host>/<tenant>`.
    pub fn authority(mut self, authority: impl Into<String>) -> Self {
        self.ask.authority = Some(authority.into());
        self
    }

    /// `azureRegion`: overrides `auth.azureRegion` for this request.
    pub fn azure_region(mut self, region: impl Into<String>) -> Self {
        self.ask.azure_region = Some(region.into());
        self
    }

    /// `skipCache`: ask the identity provider even if a token is cached (the result is cached).
    pub fn skip_cache(mut self) -> Self {
        self.skip_cache = true;
        self
    }

    /// `claims`: a claims challenge (JSON); bypasses the cache.
    pub fn claims(mut self, claims: impl Into<String>) -> Self {
        self.claims = Some(claims.into());
        self
    }

    /// `correlationId`: sent as the `client-request-id` header; a fresh UUID when absent.
    pub fn correlation_id(mut self, id: impl Into<String>) -> Self {
        self.correlation_id = Some(id.into());
        self
    }

    /// Whether the memory level's fresh answer may be repeated for it.
    pub(crate) fn cacheable(&self) -> bool {
        !self.skip_cache && self.claims.is_none()
    }

    /// The request as the core reads it.
    pub(crate) fn input(&self) -> JsonRequest {
        JsonRequest {
            scopes: Some(self.ask.scopes.clone()),
            skip_cache: Some(self.skip_cache),
            claims: self.claims.clone(),
            correlation_id: self.correlation_id.clone(),
            wait_until: None,
            tenant_id: self.ask.tenant_id.clone(),
            authority: self.ask.authority.clone(),
            azure_region: self.ask.azure_region.clone(),
        }
    }
}

/// A token and what is known about it: `AuthenticationResult`. Cheap to clone (the token is
/// shared with the memory level); `Debug` prints no token.
#[derive(Debug, Clone)]
pub struct Token {
    pub(crate) token: Shared<CachedToken>,
    pub(crate) source: TokenSource,
    pub(crate) correlation_id: Option<Shared<str>>,
}

impl Token {
    /// `accessToken`: the bearer token.
    ///
    /// # Security
    /// A credential: never log it.
    pub fn access_token(&self) -> &str {
        self.token.access_token.secret()
    }

    /// `tokenType`, `Bearer` for Entra.
    pub fn token_type(&self) -> &str {
        &self.token.token_type
    }

    /// `expiresOn`: absolute expiry.
    pub fn expires_on(&self) -> SystemTime {
        at(self.token.expires_on_ms)
    }

    /// `extExpiresOn`, from `ext_expires_in`.
    pub fn ext_expires_on(&self) -> Option<SystemTime> {
        self.token.ext_expires_on_ms.map(at)
    }

    /// `refreshOn`: when a background refresh starts.
    pub fn refresh_on(&self) -> Option<SystemTime> {
        self.token.refresh_on_ms.map(at)
    }

    /// `scopes`: what the token is for.
    pub fn scopes(&self) -> &[String] {
        &self.token.scopes
    }

    /// `tenantId`: the request's tenant, on Entra.
    pub fn tenant_id(&self) -> Option<&str> {
        self.token.tenant_id.as_deref()
    }

    /// `tokenSource`: where this result came from.
    pub fn source(&self) -> TokenSource {
        self.source
    }

    /// `fromCache`: no identity-provider call was made for this result.
    pub fn from_cache(&self) -> bool {
        self.source != TokenSource::IdentityProvider
    }

    /// `correlationId`: the `client-request-id` of the acquisition this result came from, or
    /// the caller's own. `None` for an answer from memory to a request that gave none (no
    /// request was made, and the hit path draws no randomness).
    pub fn correlation_id(&self) -> Option<&str> {
        self.correlation_id.as_deref()
    }
}

fn at(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}
