//! Token responses (RFC 6749 §5.1) and error responses (§5.2, plus Entra's fields) as data.
//! Both bodies are serde types whose fields never fail on their own: a field of the wrong type
//! is reported by name (success) or treated as absent (error bodies, which are diagnostics).

use serde::Deserialize;

use crate::error::{Error, ServerDetails};
use crate::lenient::{object, Scalar, Scalars};
use crate::secret::{redact, AccessToken};

/// Largest body read from a token endpoint. Entra's answers are under 8 KiB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Longest accepted `expires_in`: ten years. Anything longer is a broken server, not a token.
const MAX_LIFETIME_SECONDS: u64 = 10 * 365 * 24 * 3600;
/// Longest `Retry-After` believed, from the server or from the store: a window must not outlive
/// its reason, and `Retry-After: 315360000` must not block a key for ten years.
pub const MAX_WINDOW_MS: u64 = 24 * 3600 * 1000;

/// An HTTP response as the shell read it.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers, names lowercase.
    pub headers: Vec<(String, String)>,
    /// The body, at most [`MAX_BODY_BYTES`].
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header with this (lowercase) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A successful token response.
#[derive(Debug, Clone)]
pub struct TokenResponse {
    /// The token.
    pub access_token: AccessToken,
    /// `token_type`, `Bearer` normalized to that spelling.
    pub token_type: String,
    /// Lifetime in seconds.
    pub expires_in: u64,
    /// Entra's extended lifetime (used during outages), seconds.
    pub ext_expires_in: Option<u64>,
    /// Entra's advice on when to refresh, seconds.
    pub refresh_in: Option<u64>,
}

/// Turns a token endpoint's answer into a token or an error.
///
/// `secrets` are scrubbed from any server text kept in the error; `now_ms` resolves an
/// HTTP-date `Retry-After`.
///
/// # Errors
/// [`Error::Server`] for non-2xx answers, [`Error::Network`] (`invalid_response`,
/// `response_too_large`, `redirect_refused`) for answers that cannot be used.
pub fn parse_token_response(
    resp: &HttpResponse,
    secrets: &[&str],
    now_ms: u64,
) -> Result<TokenResponse, Error> {
    if resp.body.len() > MAX_BODY_BYTES {
        return Err(Error::network(
            "response_too_large",
            format!("the token endpoint sent more than {MAX_BODY_BYTES} bytes; stopped reading (HTTP {})", resp.status),
        ));
    }
    if (300..400).contains(&resp.status) {
        return Err(Error::network(
            "redirect_refused",
            format!(
                "the token endpoint answered HTTP {} (a redirect), which is not followed: a credential must not be \
                 re-sent elsewhere. Check auth.authority / auth.tokenEndpoint",
                resp.status
            ),
        ));
    }
    if !(200..300).contains(&resp.status) {
        return Err(server_error(resp, secrets, now_ms));
    }
    // A 2xx body holds the token: never quote it in an error.
    let Some(body) = object::<TokenBody>(&resp.body) else {
        return Err(Error::network(
            "invalid_response",
            format!(
                "the token endpoint answered HTTP {} with a body that is not a JSON object",
                resp.status
            ),
        ));
    };
    let access_token = match body.access_token.into_string() {
        Some(t) if !t.is_empty() => AccessToken::new(t),
        _ => return Err(invalid("access_token is missing or not a non-empty string")),
    };
    let token_type = match body.token_type.into_string() {
        Some(t) if t.eq_ignore_ascii_case("bearer") => "Bearer".to_owned(),
        Some(t) if !t.is_empty() => t,
        _ => return Err(invalid("token_type is missing (RFC 6749 §5.1 requires it)")),
    };
    let expires_in = match seconds(body.expires_in, "expires_in")? {
        Some(0) | None => return Err(invalid("expires_in must be a positive number of seconds")),
        Some(s) => s,
    };
    Ok(TokenResponse {
        access_token,
        token_type,
        expires_in,
        ext_expires_in: seconds(body.ext_expires_in, "ext_expires_in")?,
        refresh_in: seconds(body.refresh_in, "refresh_in")?,
    })
}

/// RFC 6749 §5.1, with Entra's `ext_expires_in` and `refresh_in` (numbers or numeric strings).
#[derive(Deserialize)]
#[serde(default)]
#[derive(Default)]
struct TokenBody {
    access_token: Scalar,
    token_type: Scalar,
    expires_in: Scalar,
    ext_expires_in: Scalar,
    refresh_in: Scalar,
}

/// RFC 6749 §5.2 and the fields Entra adds. They are diagnostics: one of the wrong type is
/// treated as absent.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ErrorBody {
    error: Scalar,
    error_description: Scalar,
    error_codes: Scalars,
    trace_id: Scalar,
    timestamp: Scalar,
    error_uri: Scalar,
    correlation_id: Scalar,
}

/// A lifetime in seconds: a JSON number or a numeric string (Entra has sent both). Fractions
/// are dropped, as MSAL does.
pub(crate) fn seconds(value: Scalar, field: &str) -> Result<Option<u64>, Error> {
    let n = match &value {
        Scalar::Absent => return Ok(None),
        Scalar::Unsigned(n) => Some(*n),
        Scalar::Float(f) if f.is_finite() && *f >= 0.0 && *f < 1e15 => Some(f.trunc() as u64),
        Scalar::Str(s) => whole_part(s.trim()),
        _ => None,
    };
    match n {
        Some(n) if n <= MAX_LIFETIME_SECONDS => Ok(Some(n)),
        _ => {
            let shown = match value {
                Scalar::Str(s) => format!("{:?}", s.chars().take(24).collect::<String>()),
                Scalar::Unsigned(n) => n.to_string(),
                Scalar::Negative(n) => n.to_string(),
                // serde_json writes `1e+300`; servers write `1e300`.
                Scalar::Float(f) => serde_json::to_string(&f)
                    .unwrap_or_default()
                    .replace("e+", "e"),
                Scalar::Other(what) => what.to_owned(),
                Scalar::Absent => String::new(),
            };
            Err(invalid(&format!(
                "{field} must be a number of seconds from 0 to {MAX_LIFETIME_SECONDS}, got {shown}"
            )))
        }
    }
}

/// The integer part of a plain decimal string (`3599`, `3599.5`); `None` for signs and exponents.
fn whole_part(text: &str) -> Option<u64> {
    let int = match text.split_once('.') {
        Some((int, frac)) if !frac.is_empty() && frac.bytes().all(|b| b.is_ascii_digit()) => int,
        Some(_) => return None,
        None => text,
    };
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    int.parse().ok()
}

fn invalid(what: &str) -> Error {
    Error::network(
        "invalid_response",
        format!("the token response is unusable: {what}"),
    )
}

pub(crate) fn server_error(resp: &HttpResponse, secrets: &[&str], now_ms: u64) -> Error {
    let body: ErrorBody = object(&resp.body).unwrap_or_default();
    let text = |s: Scalar| s.into_string();
    let error_codes: Vec<u64> = body
        .error_codes
        .0
        .iter()
        .filter_map(|c| match c {
            Scalar::Unsigned(n) => Some(*n),
            _ => None,
        })
        .collect();
    let scrub = |s: Option<String>| s.map(|s| redact(&s, secrets));
    let error = scrub(text(body.error));
    let parsed = error.is_some();
    let description = scrub(text(body.error_description));
    // Capped here, once: every window, store entry and deferral takes its wait from this.
    let retry_after_ms = resp
        .header("retry-after")
        .and_then(|v| retry_after_ms(v, now_ms))
        .map(|ms| ms.min(MAX_WINDOW_MS));
    let is_retryable = matches!(resp.status, 408 | 429 | 500..=599)
        || error.as_deref() == Some("temporarily_unavailable")
        || error_codes.iter().any(|c| TRANSIENT_CODES.contains(c));
    let hint = error_codes.iter().find_map(|c| hint(*c));
    let summary = match (&error, &description) {
        (Some(e), Some(d)) => format!("{e}: {}", d.lines().next().unwrap_or_default().trim()),
        (Some(e), None) => e.clone(),
        (None, _) => {
            let text = String::from_utf8_lossy(&resp.body);
            let snippet: String = redact(&text, secrets).chars().take(120).collect();
            let ct = resp.header("content-type").unwrap_or("no content-type");
            format!("not an OAuth error body ({ct}): {:?}", snippet.trim())
        }
    };
    let mut message = format!(
        "the token endpoint answered HTTP {}: {summary}",
        resp.status
    );
    if let Some(h) = hint {
        message.push_str(". Hint: ");
        message.push_str(h);
    }
    let code = match (&error, parsed) {
        (Some(e), true) => e.clone(),
        _ if resp.status == 429 => "throttled".to_owned(),
        _ => "http_error".to_owned(),
    };
    Error::Server {
        code,
        message,
        details: Box::new(ServerDetails {
            status: resp.status,
            error,
            error_description: description,
            error_codes,
            trace_id: scrub(text(body.trace_id)),
            timestamp: scrub(text(body.timestamp)),
            error_uri: scrub(text(body.error_uri)),
            correlation_id: scrub(text(body.correlation_id)),
            is_retryable,
            retry_after_ms,
            hint,
        }),
    }
}

/// AADSTS codes Entra's error-code reference lists as transient: 90006 ExternalServerRetryableError,
/// 90033 MsodsServiceUnavailable.
const TRANSIENT_CODES: [u64; 2] = [90006, 90033];

/// The fix for well-known AADSTS codes: what users most often got wrong.
pub fn hint(code: u64) -> Option<&'static str> {
    Some(match code {
        7000215 => "the client secret is wrong. Use the secret's Value from Certificates & secrets, not its Secret ID",
        7000222 => "the client secret has expired. Create a new one under Certificates & secrets and update auth.clientSecret",
        700016 => "the app (auth.clientId) is not registered in this tenant. Check the client ID and the tenant in auth.authority, or have an admin consent the app there",
        90002 => "the tenant in auth.authority does not exist. Use the directory (tenant) ID or a verified domain",
        70011 => "the scope is invalid. Use exactly one <resource>/.default, e.g. https://graph.microsoft.com/.default",
        1002012 => "client credentials need a scope ending in /.default, e.g. https://graph.microsoft.com/.default",
        700022 => "request one resource per token: scopes must be a single <resource>/.default",
        9001023 => "the client credentials flow needs a tenant. Use https://login.microsoftonline.com/<tenant id or domain>",
        50196 => "Entra detected a request loop. Reuse cached tokens: do not pass skipCache on every call",
        700024 => "the client assertion is outside its valid time range. Check the clock, and do not reuse assertions",
        700027 => "the client assertion signature did not verify. Upload this certificate to the app registration, or check thumbprint/x5c",
        5002738 => "Entra accepts only RSA certificates for client assertions. Use an RSA key",
        _ => return None,
    })
}

/// `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date, as milliseconds from `now_ms`.
pub fn retry_after_ms(value: &str, now_ms: u64) -> Option<u64> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(seconds.saturating_mul(1000));
    }
    let at = http_date_ms(value)?;
    Some(at.saturating_sub(now_ms))
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the only format servers must send.
/// Its year has four digits, so the arithmetic below stays far from overflow.
pub fn http_date_ms(s: &str) -> Option<u64> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| m == month)? as u64 + 1;
    let (day, year): (u64, u64) = (day.parse().ok()?, year.parse().ok()?);
    let hms: Vec<u64> = time
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let [h, m, sec] = hms.as_slice() else {
        return None;
    };
    if !(1..=31).contains(&day) || !(1970..=9999).contains(&year) || *h > 23 || *m > 59 || *sec > 60
    {
        return None;
    }
    Some((days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + sec) * 1000)
}

/// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_date() {
        // RFC 9110's example; 784111777 s since the epoch.
        assert_eq!(
            http_date_ms("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777_000)
        );
        assert_eq!(
            retry_after_ms("Sun, 06 Nov 1994 08:49:47 GMT", 784_111_777_000),
            Some(10_000)
        );
        assert_eq!(retry_after_ms("120", 0), Some(120_000));
        assert_eq!(retry_after_ms("soon", 0), None);
        // A year past four digits used to overflow the millisecond arithmetic.
        assert_eq!(
            retry_after_ms("Sun, 06 Nov 99999999999999 08:49:37 GMT", 0),
            None
        );
        assert_eq!(
            http_date_ms("Fri, 31 Dec 9999 23:59:59 GMT"),
            Some(253_402_300_799_000)
        );
        assert_eq!(retry_after_ms("18446744073709551615", 0), Some(u64::MAX));
    }
}
