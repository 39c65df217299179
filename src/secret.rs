//! Redacted newtypes for secrets and tokens, and the scrubber for text that may echo them.
//!
//! # Security
//! These types have no `PartialEq` (no timing side channel by accident) and a `Debug` that
//! prints nothing of the value; the value is read only through `.secret()`. They deserialize
//! from a string, so option structs hold them from the first moment.

use std::fmt;

use serde::{Deserialize, Deserializer};

macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name(String);

        impl $name {
            /// Wraps a value.
            pub fn new(value: impl Into<String>) -> Self {
                $name(value.into())
            }

            /// The value itself. Never log it.
            pub fn secret(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d).map($name)
            }
        }
    };
}

secret_type!(
    /// A client secret (RFC 6749 §2.3.1) or a pre-built client assertion.
    ClientSecret
);
secret_type!(
    /// A bearer access token.
    AccessToken
);
secret_type!(
    /// A PEM private key, as configured.
    PrivateKeyPem
);

/// How the memory level holds a token's text: as a string natively, as a JavaScript string in
/// the shell, so the token exists once, shared with the JavaScript layer's copy of the answer.
pub trait TokenText: Clone + fmt::Debug {
    /// Holds `text`, which is then dropped.
    fn from_text(text: String) -> Self;
}

impl TokenText for AccessToken {
    fn from_text(text: String) -> Self {
        AccessToken(text)
    }
}

/// Replaces every occurrence of each secret in `text` with `[redacted]`: raw, form-encoded,
/// percent-encoded with either letter case, or any mix (each byte may stand as itself, as
/// `%xx`, or a space as `+`), as servers that echo a request may write it.
///
/// Used on server-sent text before it enters an error: some servers echo the request.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        out = scrub(&out, secret.as_bytes());
    }
    out
}

fn scrub(text: &str, secret: &[u8]) -> String {
    let t = text.as_bytes();
    let mut out = Vec::with_capacity(t.len());
    let mut i = 0;
    let mut found = false;
    while i < t.len() {
        match encoded_at(t, i, secret) {
            Some(end) => {
                out.extend_from_slice(b"[redacted]");
                i = end;
                found = true;
            }
            None => {
                out.push(t[i]);
                i += 1;
            }
        }
    }
    if !found {
        return text.to_owned();
    }
    // Matches start and end on whole characters (the secret is UTF-8; escapes are ASCII).
    String::from_utf8_lossy(&out).into_owned()
}

/// Where an encoding of `secret` starting at `t[i]` ends, if one does. A `%` may be the
/// secret's own or an escape: both readings are tried.
fn encoded_at(t: &[u8], i: usize, secret: &[u8]) -> Option<usize> {
    let Some((&b, rest)) = secret.split_first() else {
        return Some(i);
    };
    let here = *t.get(i)?;
    if here == b'%' && t.get(i + 1..i + 3).and_then(escaped) == Some(b) {
        if let Some(end) = encoded_at(t, i + 3, rest) {
            return Some(end);
        }
    }
    if here == b || (b == b' ' && here == b'+') {
        return encoded_at(t, i + 1, rest);
    }
    None
}

fn escaped(hex: &[u8]) -> Option<u8> {
    let digit = |c: u8| (c as char).to_digit(16);
    Some((digit(hex[0])? * 16 + digit(hex[1])?) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_value() {
        let s = ClientSecret::new("canary-123");
        assert_eq!(format!("{s:?}"), "ClientSecret([redacted])");
        assert_eq!(s.secret(), "canary-123");
    }

    #[test]
    fn redact_covers_encoded_forms() {
        let text = "bad client_secret=a%2Bb%3Ac and a+b:c";
        assert_eq!(
            redact(text, &["a+b:c"]),
            "bad client_secret=[redacted] and [redacted]"
        );
        assert_eq!(redact("abc", &["ab"]), "abc", "too short to scrub safely");
        // Issue 20.7: lowercase escapes, encodeURIComponent's %20, and mixes.
        assert_eq!(
            redact("x=s%7ecret%2b1 y=s~cret%2B1 z=s%7Ecret+1", &["s~cret+1"]),
            "x=[redacted] y=[redacted] z=[redacted]"
        );
        assert_eq!(redact("a%20b%3ac", &["a b:c"]), "[redacted]");
        assert_eq!(redact("émoji é-secret", &["é-secret"]), "émoji [redacted]");
    }
}
