//! The `claims` request parameter: a claims challenge (continuous access evaluation) merged with
//! the app's client capabilities (`xms_cc`), as MSAL sends it.

use serde_json::value::{to_raw_value, RawValue};

use crate::error::Error;

/// Merges a claims challenge with `xms_cc` client capabilities, as MSAL does.
///
/// # Errors
/// `invalid_request` when `claims` is not a JSON object.
pub fn merge_claims(
    claims: Option<&str>,
    capabilities: &[String],
) -> Result<Option<String>, Error> {
    type Members = std::collections::BTreeMap<String, Box<RawValue>>;
    let mut root: Members = match claims {
        None => Members::new(),
        Some(text) => crate::lenient::object(text.as_bytes()).ok_or_else(|| {
            Error::config(
                "invalid_request",
                "claims must be a JSON object, as decoded from the WWW-Authenticate claims challenge",
            )
        })?,
    };
    if !capabilities.is_empty() {
        #[derive(serde::Serialize)]
        struct ClientCapabilities<'a> {
            values: &'a [String],
        }
        let xms_cc = to_raw_value(&ClientCapabilities {
            values: capabilities,
        });
        let access = match root.get("access_token") {
            None => Some(Members::new()),
            Some(raw) => crate::lenient::object::<Members>(raw.get().as_bytes()),
        };
        // A claims object whose access_token is not an object has nothing to merge into.
        if let (Some(mut access), Ok(xms_cc)) = (access, xms_cc) {
            access.insert("xms_cc".to_owned(), xms_cc);
            if let Ok(raw) = to_raw_value(&access) {
                root.insert("access_token".to_owned(), raw);
            }
        }
    }
    Ok((!root.is_empty())
        .then(|| serde_json::to_string(&root).ok())
        .flatten())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_merge_into_claims() {
        let merged = merge_claims(
            Some(r#"{"access_token":{"nbf":{"essential":true}}}"#),
            &["cp1".into()],
        )
        .unwrap();
        assert_eq!(
            merged.as_deref(),
            Some(r#"{"access_token":{"nbf":{"essential":true},"xms_cc":{"values":["cp1"]}}}"#)
        );
        assert_eq!(merge_claims(None, &[]).unwrap(), None);
        assert_eq!(
            merge_claims(Some("[1]"), &[]).unwrap_err().code(),
            "invalid_request"
        );
    }
}
