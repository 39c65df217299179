//! The one error type. Every variant carries a stable `code` that JavaScript sees as
//! `error.errorCode`, and a `class` that picks the JavaScript error class.
//!
//! # Security
//! No message or field ever holds a client secret, private key or access token: messages are
//! built from field names and server-sent diagnostics only, and server text passes through
//! [`crate::secret::redact`] first.

use std::fmt;

/// Which JavaScript error class an [`Error`] becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Bad configuration or request, found before any network call.
    ClientConfiguration,
    /// The identity provider answered with an error.
    Server,
    /// The identity provider throttled us (429 / Retry-After), or a local throttle window is open.
    Throttled,
    /// The request failed in transit or the answer was unreadable.
    Network,
    /// This credential cannot produce a token here (no managed identity endpoint, a tool not
    /// installed): a credential chain moves on to its next credential.
    CredentialUnavailable,
}

impl ErrorClass {
    /// The JavaScript class name.
    pub fn name(self) -> &'static str {
        match self {
            ErrorClass::ClientConfiguration => "ClientConfigurationError",
            ErrorClass::Server => "ServerError",
            ErrorClass::Throttled => "ThrottledError",
            ErrorClass::Network => "NetworkError",
            ErrorClass::CredentialUnavailable => "CredentialUnavailableError",
        }
    }
}

/// The code of errors that mean "this credential cannot work here": a chain moves on.
pub const CREDENTIAL_UNAVAILABLE: &str = "credential_unavailable";

/// What an identity provider said when it refused (RFC 6749 §5.2 plus Entra's extra fields).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServerDetails {
    /// HTTP status of the answer.
    pub status: u16,
    /// RFC 6749 `error`, absent when the body was not an OAuth error body.
    pub error: Option<String>,
    /// `error_description`, redacted.
    pub error_description: Option<String>,
    /// Entra `error_codes` (AADSTS numbers).
    pub error_codes: Vec<u64>,
    /// Entra `trace_id`.
    pub trace_id: Option<String>,
    /// Entra `timestamp`.
    pub timestamp: Option<String>,
    /// `error_uri`.
    pub error_uri: Option<String>,
    /// `correlation_id` echoed by the server.
    pub correlation_id: Option<String>,
    /// Whether trying again later can succeed.
    pub is_retryable: bool,
    /// How long the server asked us to wait, from `Retry-After`.
    pub retry_after_ms: Option<u64>,
    /// What the user should do, for well-known AADSTS codes.
    pub hint: Option<&'static str>,
}

/// The entra-edge error.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// Bad configuration or request. `code` is stable; `message` quotes the field and the fix.
    Config {
        /// Stable code, e.g. `invalid_scope`.
        code: &'static str,
        /// Human-readable explanation naming the field.
        message: String,
    },
    /// The identity provider answered with an error status.
    Server {
        /// Stable code: the OAuth `error` value, or `http_error` when the body had none.
        code: String,
        /// Human-readable summary.
        message: String,
        /// The parsed answer.
        details: Box<ServerDetails>,
    },
    /// The request did not complete, or a success answer could not be used.
    Network {
        /// Stable code, e.g. `fetch_failed`, `invalid_response`.
        code: &'static str,
        /// Human-readable explanation.
        message: String,
    },
}

impl Error {
    /// A configuration error.
    pub fn config(code: &'static str, message: impl Into<String>) -> Self {
        Error::Config {
            code,
            message: message.into(),
        }
    }

    /// A transport or unreadable-response error.
    pub fn network(code: &'static str, message: impl Into<String>) -> Self {
        Error::Network {
            code,
            message: message.into(),
        }
    }

    /// A token request that got no answer within its time, whichever driver sent it:
    /// `by_deadline` says the time was what was left of `system.deadlineMs`.
    pub fn timed_out(timeout_ms: u64, by_deadline: bool) -> Self {
        Error::network(
            "timeout",
            format!(
                "the token endpoint did not answer within {timeout_ms} ms ({})",
                if by_deadline {
                    "what was left of system.deadlineMs"
                } else {
                    "system.timeoutMs"
                }
            ),
        )
    }

    /// A token request that failed before an answer arrived; `why` is the transport's reason
    /// (never a request or response value).
    pub fn fetch_failed(why: &str) -> Self {
        Error::network(
            "fetch_failed",
            format!("the token request failed before an answer arrived: {why}"),
        )
    }

    /// A token endpoint whose host does not resolve: a typo, not an outage, so never retried.
    /// `why` is the runtime's reason.
    pub fn host_not_found(why: &str) -> Self {
        Error::network(
            "host_not_found",
            format!("the token endpoint's host does not resolve ({why}); check the host in auth.authority or auth.tokenEndpoint"),
        )
    }

    /// The stable code surfaced as `errorCode`.
    pub fn code(&self) -> &str {
        match self {
            Error::Config { code, .. } | Error::Network { code, .. } => code,
            Error::Server { code, .. } => code,
        }
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        match self {
            Error::Config { message, .. }
            | Error::Server { message, .. }
            | Error::Network { message, .. } => message,
        }
    }

    /// The JavaScript class this error maps to.
    pub fn class(&self) -> ErrorClass {
        match self {
            _ if self.code() == CREDENTIAL_UNAVAILABLE => ErrorClass::CredentialUnavailable,
            Error::Config { .. } => ErrorClass::ClientConfiguration,
            // A 5xx with Retry-After throttles as surely as a 429 does.
            Error::Server { details, .. }
                if details.status == 429 || details.retry_after_ms.is_some() =>
            {
                ErrorClass::Throttled
            }
            Error::Server { .. } => ErrorClass::Server,
            Error::Network { .. } => ErrorClass::Network,
        }
    }

    /// Appends a sentence to the message, e.g. why a retryable error was not retried.
    pub fn annotate(mut self, note: &str) -> Self {
        match &mut self {
            Error::Config { message, .. }
            | Error::Server { message, .. }
            | Error::Network { message, .. } => {
                message.push_str("; ");
                message.push_str(note);
            }
        }
        self
    }

    /// Server details, for [`Error::Server`].
    pub fn server_details(&self) -> Option<&ServerDetails> {
        match self {
            Error::Server { details, .. } => Some(details),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message(), self.code())
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_follows_status() {
        let throttled = Error::Server {
            code: "throttled".into(),
            message: "m".into(),
            details: Box::new(ServerDetails {
                status: 429,
                ..Default::default()
            }),
        };
        assert_eq!(throttled.class().name(), "ThrottledError");
        assert_eq!(
            Error::config("empty_scopes", "x").class().name(),
            "ClientConfigurationError"
        );
        assert_eq!(
            Error::network("fetch_failed", "x").to_string(),
            "x (fetch_failed)"
        );
    }
}
