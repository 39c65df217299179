//! Scope rules. Entra's client-credentials flow takes exactly one `<resource>/.default`
//! (slashes kept as given: `https://database.windows.net//.default` is right for Azure SQL);
//! generic servers take any non-empty list of RFC 6749 §3.3 scope tokens.

use crate::error::Error;

/// The suffix Entra requires for app permissions.
pub const DEFAULT_SUFFIX: &str = "/.default";

/// A validated, order-independent scope set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scopes {
    /// As the caller gave them (duplicates removed), for the result and the request.
    pub list: Vec<String>,
}

impl Scopes {
    /// Validates `scopes` for an Entra (`entra = true`) or a generic server.
    ///
    /// # Errors
    /// `empty_scopes` when none are given, `invalid_scope` when one is malformed or, for Entra,
    /// when the list is not exactly one `<resource>/.default`.
    pub fn parse(scopes: &[String], entra: bool) -> Result<Self, Error> {
        if scopes.is_empty() {
            return Err(Error::config(
                "empty_scopes",
                "scopes must not be empty: pass e.g. [\"https://graph.microsoft.com/.default\"]",
            ));
        }
        for s in scopes {
            let ok = !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\');
            if !ok {
                return Err(Error::config(
                    "invalid_scope",
                    format!(
                        "scopes[{}] must be a non-empty scope token without spaces, quotes or backslashes, got {s:?}",
                        scopes.iter().position(|x| x == s).unwrap_or(0)
                    ),
                ));
            }
        }
        let mut list: Vec<String> = Vec::with_capacity(scopes.len());
        for s in scopes {
            if !list.contains(s) {
                list.push(s.clone());
            }
        }
        if entra {
            let one_default = list.len() == 1
                && list[0].len() > DEFAULT_SUFFIX.len()
                && list[0].ends_with(DEFAULT_SUFFIX);
            if !one_default {
                return Err(Error::config(
                    "invalid_scope",
                    format!(
                        "scopes must be exactly one \"<resource>/.default\" for the client credentials flow \
                         (AADSTS70011, AADSTS1002012), got {list:?}. Use scopeForResource(\"https://graph.microsoft.com\") \
                         for Graph; permissions come from the app registration, not the request",
                    ),
                ));
            }
        }
        Ok(Scopes { list })
    }

    /// The `scope` request parameter: space-separated (RFC 6749 §3.3).
    pub fn joined(&self) -> String {
        self.list.join(" ")
    }

    /// A canonical form for the cache key: sorted so order does not split the cache.
    pub fn canonical(&self) -> String {
        let mut sorted = self.list.clone();
        sorted.sort();
        sorted.join(" ")
    }
}

/// `scopeForResource`: appends `/.default` exactly, never adding or removing a slash.
pub fn scope_for_resource(resource: &str) -> String {
    format!("{resource}{DEFAULT_SUFFIX}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn entra_needs_one_default() {
        assert!(Scopes::parse(&v(&["https://graph.microsoft.com/.default"]), true).is_ok());
        assert!(Scopes::parse(&v(&["https://database.windows.net//.default"]), true).is_ok());
        for bad in [
            v(&["User.Read"]),
            v(&["/.default"]),
            v(&[
                "https://graph.microsoft.com/.default",
                "https://vault.azure.net/.default",
            ]),
        ] {
            assert_eq!(
                Scopes::parse(&bad, true).unwrap_err().code(),
                "invalid_scope"
            );
        }
        assert_eq!(Scopes::parse(&[], true).unwrap_err().code(), "empty_scopes");
    }

    #[test]
    fn generic_allows_lists_and_canonicalizes() {
        let s = Scopes::parse(&v(&["b", "a", "b"]), false).unwrap();
        assert_eq!(s.joined(), "b a");
        assert_eq!(s.canonical(), "a b");
        let err = Scopes::parse(&v(&["a b"]), false).unwrap_err();
        assert_eq!(
            err.message(),
            "scopes[0] must be a non-empty scope token without spaces, quotes or backslashes, got \"a b\""
        );
    }

    #[test]
    fn resource_slashes_kept() {
        assert_eq!(
            scope_for_resource("https://database.windows.net/"),
            "https://database.windows.net//.default"
        );
    }
}
