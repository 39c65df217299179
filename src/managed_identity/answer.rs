//! A managed-identity endpoint's answer as data. Success bodies carry `access_token`,
//! `expires_on` (seconds since the epoch, a number or a numeric string), often `expires_in`,
//! `resource`, `token_type`; errors follow Azure's guidance for IMDS: 400 means the identity
//! is not assigned here (a chain moves on), 404, 410 (an upgrade, up to 70 s), 429 and 5xx are
//! retried by [`crate::retry`].

use serde::Deserialize;

use super::source::unavailable;
use super::ManagedIdentity;
use crate::error::Error;
use crate::lenient::{object, Scalar};
use crate::response::{seconds, server_error, HttpResponse, TokenResponse, MAX_BODY_BYTES};
use crate::retry::UPGRADING;
use crate::secret::AccessToken;

/// A success body. Fields of the wrong type are reported by name.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Body {
    access_token: Scalar,
    token_type: Scalar,
    expires_in: Scalar,
    expires_on: Scalar,
    refresh_in: Scalar,
}

/// The token in `resp`, an answer to a request sent at `now_ms`, or why there is none.
/// `secrets` are scrubbed from any text kept from the answer.
///
/// # Errors
/// `credential_unavailable` for IMDS's 400 (the identity is not assigned here); an
/// [`Error::Server`] for other error statuses, retryable for 404, 410 (code [`UPGRADING`]),
/// 429 and 5xx; `invalid_response` for a success body without a usable token or lifetime.
pub fn read(
    mi: &ManagedIdentity,
    resp: &HttpResponse,
    secrets: &[&str],
    now_ms: u64,
) -> Result<TokenResponse, Error> {
    let name = mi.source.name();
    if resp.body.len() > MAX_BODY_BYTES {
        return Err(Error::network(
            "response_too_large",
            format!("the managed identity endpoint ({name}) sent more than {MAX_BODY_BYTES} bytes; stopped reading (HTTP {})", resp.status),
        ));
    }
    if !(200..300).contains(&resp.status) {
        return Err(refusal(mi, resp, secrets, now_ms));
    }
    let invalid = |what: &str| {
        Error::network(
            "invalid_response",
            format!("the managed identity endpoint ({name}) answered HTTP {} with an unusable token: {what}", resp.status),
        )
    };
    let Some(body) = object::<Body>(&resp.body) else {
        return Err(invalid("the body is not a JSON object"));
    };
    let access_token = match body.access_token.into_string() {
        Some(t) if !t.is_empty() => AccessToken::new(t),
        _ => return Err(invalid("access_token is missing or not a non-empty string")),
    };
    let token_type = match body.token_type.into_string() {
        Some(t) if t.eq_ignore_ascii_case("bearer") || t.is_empty() => "Bearer".to_owned(),
        Some(t) => t,
        None => "Bearer".to_owned(),
    };
    // expires_in is relative and so immune to clock skew: preferred when sent.
    let expires_in = match seconds(body.expires_in, "expires_in")? {
        Some(s) if s > 0 => s,
        _ => match epoch_seconds(&body.expires_on) {
            Some(on) if on > now_ms / 1000 => on - now_ms / 1000,
            Some(_) => return Err(invalid("expires_on is in the past")),
            None => {
                return Err(invalid(
                    "expires_on must be seconds since the epoch (a number or a numeric string)",
                ))
            }
        },
    };
    Ok(TokenResponse {
        access_token,
        token_type,
        expires_in,
        ext_expires_in: None,
        refresh_in: seconds(body.refresh_in, "refresh_in")?,
    })
}

/// `expires_on`: whole seconds since the epoch, as a number or a numeric string.
fn epoch_seconds(value: &Scalar) -> Option<u64> {
    match value {
        Scalar::Unsigned(n) => Some(*n),
        Scalar::Float(f) if f.is_finite() && *f > 0.0 && *f < 1e12 => Some(f.trunc() as u64),
        Scalar::Str(s)
            if !s.is_empty() && s.len() <= 12 && s.bytes().all(|b| b.is_ascii_digit()) =>
        {
            s.parse().ok()
        }
        _ => None,
    }
}

/// An error answer, with the rules of Azure's IMDS guidance.
fn refusal(mi: &ManagedIdentity, resp: &HttpResponse, secrets: &[&str], now_ms: u64) -> Error {
    let err = server_error(resp, secrets, now_ms);
    let Error::Server {
        code,
        message,
        mut details,
    } = err
    else {
        return err;
    };
    let name = mi.source.name();
    let message = message.replacen(
        "the token endpoint",
        &format!("the managed identity endpoint ({name})"),
        1,
    );
    if mi.is_imds() && resp.status == 400 {
        return unavailable(format!(
            "ManagedIdentityCredential: {message}: {} is not assigned to this VM or scale set. Assign it under Identity in the portal, or pass the id of one that is",
            mi.describe()
        ));
    }
    let code = match resp.status {
        410 => UPGRADING.to_owned(),
        _ => code,
    };
    // IMDS answers 404 and 410 while it starts or upgrades: they pass.
    details.is_retryable |= matches!(resp.status, 404 | 410);
    Error::Server {
        code,
        message,
        details,
    }
}

/// No answer at all from IMDS before any answer was seen: no IMDS here (a laptop, a CI runner),
/// so a chain moves on instead of retrying. `err` is the network failure.
pub fn unreachable(mi: &ManagedIdentity, err: &Error) -> Error {
    unavailable(format!(
        "ManagedIdentityCredential: no managed identity endpoint answered at {} ({}): this is not an Azure host with a managed identity. \
         On Azure, enable the identity on the resource; elsewhere use another credential",
        mi.source.endpoint(),
        err.message()
    ))
}
