//! The token self-check: before a token is cached or served, an Entra access token's own
//! claims must say it is for the request's tenant and resource. A bug anywhere that mixes
//! tenants under concurrency (MSAL.NET issue 5743) then fails loudly instead of handing one
//! tenant's token to another's caller.
//!
//! Only JWTs carrying `tid` are read (Entra's access tokens); opaque tokens and JWTs of other
//! servers pass untouched. Nothing is verified cryptographically: the token came over TLS from
//! the token endpoint, and its signature is the resource's business. The claims are read, never
//! quoted: a message holds neither the token nor a tenant id.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::authority::Target;
use crate::error::{Error, ServerDetails};
use crate::scope::Scopes;

/// The claims this check reads (RFC 7519 §4.1.3 `aud`; Entra's `tid`), from a JSON object
/// only. Read by a visitor rather than derived: serde would read a derived struct from an
/// array too, and an untagged enum for `aud` costs kilobytes of wasm.
#[derive(Default)]
struct Claims {
    tid: Option<String>,
    aud: Vec<String>,
}

impl<'de> Deserialize<'de> for Claims {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ClaimsVisitor;
        impl<'de> Visitor<'de> for ClaimsVisitor {
            type Value = Claims;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JWT claims object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Claims, A::Error> {
                let mut claims = Claims::default();
                while let Some(name) = map.next_key::<String>()? {
                    match name.as_str() {
                        "tid" => {
                            let mut tid = map.next_value::<Text>()?.0;
                            claims.tid = tid.pop().filter(|_| tid.is_empty());
                        }
                        "aud" => claims.aud = map.next_value::<Text>()?.0,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(claims)
            }
        }
        d.deserialize_map(ClaimsVisitor)
    }
}

/// A claim as strings: one string, an array's strings, or nothing for any other value.
struct Text(Vec<String>);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a claim value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(vec![v.to_owned()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Text, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<Text>()? {
                    out.extend(item.0);
                }
                Ok(Text(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text(Vec::new()))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Text, E> {
                Ok(Text(Vec::new()))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Text, E> {
                Ok(Text(Vec::new()))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Text, E> {
                Ok(Text(Vec::new()))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Text, E> {
                Ok(Text(Vec::new()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Text, E> {
                Ok(Text(Vec::new()))
            }
        }
        d.deserialize_any(TextVisitor)
    }
}

/// Checks `token` against the request it answers.
///
/// # Errors
/// `token_mismatch` (a `ServerError`) when an Entra token's `tid` is not the request's tenant
/// (when that tenant is a GUID: a domain cannot be compared offline), or its `aud` is not the
/// scope's resource (when the scope names one, as `<resource>/.default` does).
///
/// # Security
/// An application id `aud` for a resource named by URI, or the other way round, is accepted:
/// one cannot be mapped to the other offline. Two ids, or two URIs, are compared.
pub fn check(token: &str, target: &Target, scopes: &Scopes) -> Result<(), Error> {
    let Some(claims) = claims(token) else {
        return Ok(());
    };
    let Some(tid) = claims.tid else {
        return Ok(());
    };
    if let Some(tenant) = target.tenant.as_deref().filter(|t| is_guid(t)) {
        if !tid.eq_ignore_ascii_case(tenant) {
            return Err(mismatch(
                "its tid is not the tenant the request was sent for",
            ));
        }
    }
    let resource = match scopes.list.as_slice() {
        [scope] => scope.strip_suffix("/.default"),
        _ => None,
    };
    if let Some(resource) = resource {
        let auds = &claims.aud;
        if !auds.is_empty() && !auds.iter().any(|a| audience_matches(a, resource)) {
            return Err(mismatch(
                "its aud is not the resource of the requested scope",
            ));
        }
    }
    Ok(())
}

/// The payload of a compact JWS, when `token` is one with a JSON object payload.
fn claims(token: &str) -> Option<Claims> {
    let mut parts = token.split('.');
    let (_, payload, _) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Whether `aud` names `resource`: the same URI (case and a trailing slash aside), or an app
/// id URI `api://<id>` and its bare id either way round. An application id and a URI cannot be
/// compared offline (Graph is `00000003-0000-0000-c000-000000000000` and
/// `https://graph.microsoft.com`; v2 tokens carry the id, v1 tokens the URI, whichever the
/// scope named): those pass.
fn audience_matches(aud: &str, resource: &str) -> bool {
    let norm = |s: &str| {
        let s = s.trim_end_matches('/').to_ascii_lowercase();
        s.strip_prefix("api://").map(str::to_owned).unwrap_or(s)
    };
    let (aud, resource) = (norm(aud), norm(resource));
    aud == resource || is_guid(&aud) != is_guid(&resource)
}

/// Whether `s` is a GUID in its 8-4-4-4-12 hex form.
fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn mismatch(why: &str) -> Error {
    Error::Server {
        code: "token_mismatch".to_owned(),
        message: format!(
            "the identity provider's token was refused before it was cached: {why}. It could \
             have reached a caller it is not for; nothing was cached. Report this: it is a bug \
             in a cache or proxy between this app and the token endpoint"
        ),
        details: Box::new(ServerDetails {
            status: 200,
            ..ServerDetails::default()
        }),
    }
}
