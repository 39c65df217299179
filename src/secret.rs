//! Redacted newtypes for secrets and tokens, and the scrubber for text that may echo them.
//!
//! # Security
//! These types have no `PartialEq` (no timing side channel by accident) and a `Debug` that
//! prints nothing of the value; the value is read only through `.secret()`. They deserialize
//! from a string, so option structs hold them from the first moment.

use std::fmt;

use serde::{Deserialize, Deserializer};

use crate::form::form_encode;

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

/// Replaces every occurrence of each secret (raw and form-encoded) in `text` with `[redacted]`.
///
/// Used on server-sent text before it enters an error: some servers echo the request.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        for form in [secret.to_string(), form_encode(secret)] {
            if out.contains(&form) {
                out = out.replace(&form, "[redacted]");
            }
        }
    }
    out
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
    }
}
