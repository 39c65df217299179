//! What a protected API's refusal means for the token: a claims challenge (continuous access
//! evaluation, RFC 6750 §3 `WWW-Authenticate` with `error="insufficient_claims"` and base64
//! `claims`), or Graph's missing-consent answer (403 `Authorization_RequestDenied`).

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde::Deserialize;

/// The claims JSON of a claims challenge, decoded; `None` when `www_authenticate` is not one.
pub fn claims_from_challenge(www_authenticate: &str) -> Option<String> {
    let params = bearer_params(www_authenticate)?;
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    if get("error")? != "insufficient_claims" {
        return None;
    }
    let encoded = get("claims")?.trim_end_matches('=');
    let bytes = URL_SAFE_NO_PAD
        .decode(encoded)
        .or_else(|_| {
            STANDARD.decode(format!(
                "{encoded}{}",
                "=".repeat((4 - encoded.len() % 4) % 4)
            ))
        })
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    crate::lenient::object::<serde::de::IgnoredAny>(text.as_bytes())?;
    Some(text)
}

/// The auth-params of the `Bearer` challenge (RFC 9110 §11.6.1), quoted or token values.
fn bearer_params(header: &str) -> Option<Vec<(String, String)>> {
    let start = header.find(|c: char| !c.is_whitespace())?;
    let rest = &header[start..];
    let (scheme, mut rest) = rest.split_at(rest.find(char::is_whitespace).unwrap_or(rest.len()));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut params = Vec::new();
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        if rest.is_empty() {
            return Some(params);
        }
        let eq = rest.find('=')?;
        let name = rest[..eq].trim().to_owned();
        rest = rest[eq + 1..].trim_start();
        let value = if let Some(quoted) = rest.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next().map(|(_, c)| c)),
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    c => value.push(c),
                }
            }
            rest = &quoted[end?..];
            value
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            let value = rest[..end].trim().to_owned();
            rest = &rest[end..];
            value
        };
        params.push((name, value));
    }
}

/// Graph's error body (`{"error":{"code":...,"message":...}}`), as far as consent needs it.
#[derive(Deserialize)]
struct GraphError {
    error: GraphErrorDetail,
}

#[derive(Deserialize)]
struct GraphErrorDetail {
    code: String,
}

/// Whether a response is Graph's "the app lacks consent for this" answer.
pub fn is_consent_denied(status: u16, body: &[u8]) -> bool {
    status == 403
        && crate::lenient::object::<GraphError>(body)
            .is_some_and(|e| e.error.code == "Authorization_RequestDenied")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entra_claims_challenge() {
        // The shape Entra documents for CAE, claims = base64 of {"access_token":{"nbf":{...}}}.
        let claims = r#"{"access_token":{"nbf":{"essential":true,"value":"1604106651"}}}"#;
        let header = format!(
            r#"Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000", error="insufficient_claims", claims="{}""#,
            STANDARD.encode(claims)
        );
        assert_eq!(claims_from_challenge(&header).as_deref(), Some(claims));
        let url_safe = format!(
            r#"bearer error=insufficient_claims, claims="{}""#,
            URL_SAFE_NO_PAD.encode(claims)
        );
        assert_eq!(claims_from_challenge(&url_safe).as_deref(), Some(claims));
    }

    #[test]
    fn not_a_claims_challenge() {
        for h in [
            r#"Bearer realm="", error="invalid_token""#,
            r#"Basic realm="x""#,
            r#"Bearer error="insufficient_claims""#,
            r#"Bearer error="insufficient_claims", claims="bm90IGpzb24=""#,
            r#"Bearer error="insufficient_claims", claims="unterminated"#,
            "",
        ] {
            assert_eq!(claims_from_challenge(h), None, "{h}");
        }
    }

    #[test]
    fn graph_consent_denied() {
        let body = br#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation.","innerError":{}}}"#;
        assert!(is_consent_denied(403, body));
        assert!(!is_consent_denied(401, body));
        assert!(!is_consent_denied(
            403,
            br#"{"error":{"code":"Forbidden"}}"#
        ));
        assert!(!is_consent_denied(403, b"<html>"));
    }
}
