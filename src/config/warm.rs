//! `cache.keepWarm` and `system.refreshTimer`: what `refreshDue` renews besides the memory
//! level, and how often Node runs it by itself.

use super::ClientConfig;
use crate::authority::Target;
use crate::error::Error;
use crate::input::{KeepWarmInput, RefreshTimerInput};
use crate::scope::Scopes;

/// `system.refreshTimer: true` runs `refreshDue` this often: well inside its default window,
/// so a token is renewed several times over before anyone would wait for it.
pub const DEFAULT_REFRESH_PERIOD_MS: u64 = 60_000;

/// Validates `cache.keepWarm` against the app (its scope and tenant rules), as requests are.
///
/// # Errors
/// The request's own error (`empty_scopes`, `invalid_scope`, `tenant_not_allowed`...), its
/// message prefixed with the entry's path: `cache.keepWarm[1]: scopes must ...`.
pub(super) fn keep_warm(
    config: &ClientConfig,
    entries: Vec<KeepWarmInput>,
) -> Result<Vec<(Target, Scopes)>, Error> {
    entries
        .into_iter()
        .enumerate()
        .map(|(i, entry)| {
            let at = |e: Error| match e {
                Error::Config { code, message } => {
                    Error::config(code, format!("cache.keepWarm[{i}]: {message}"))
                }
                other => other,
            };
            let scopes = Scopes::parse(
                entry.scopes.as_deref().unwrap_or_default(),
                config.authority.is_entra(),
            )
            .map_err(at)?;
            let target = config
                .request_target(entry.tenant_id.as_deref(), None, None)
                .map_err(at)?;
            Ok((target, scopes))
        })
        .collect()
}

/// The period of `system.refreshTimer`, or `None` when it is off.
pub(super) fn refresh_period(timer: Option<RefreshTimerInput>) -> Option<u64> {
    match timer? {
        RefreshTimerInput::On(true) => Some(DEFAULT_REFRESH_PERIOD_MS),
        RefreshTimerInput::On(false) => None,
        RefreshTimerInput::Every(ms) => Some(ms.0),
    }
}

#[cfg(test)]
mod tests {
    use crate::config::ClientConfig;

    fn config(extra: &str) -> Result<ClientConfig, crate::Error> {
        ClientConfig::from_json(&format!(
            r#"{{"auth":{{"clientId":"c","authority":"https://login.microsoftonline.com/contoso.onmicrosoft.com","clientSecret":"s","allowedTenants":["fabrikam.com"]}},{extra}}}"#
        ))
    }

    fn refused(extra: &str) -> (String, String) {
        match config(extra) {
            Err(e) => (e.code().to_owned(), e.message().to_owned()),
            Ok(_) => panic!("accepted {extra}"),
        }
    }

    #[test]
    fn keep_warm_entries_follow_the_request_rules_and_are_named_by_index() {
        let ok = config(
            r#""cache":{"keepWarm":[{"scopes":["https://graph.microsoft.com/.default"]},{"scopes":["https://vault.azure.net/.default"],"tenantId":"fabrikam.com"}]}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ok.keep_warm.len(), 2);
        assert_eq!(ok.keep_warm[1].0.tenant.as_deref(), Some("fabrikam.com"));
        let (code, message) = refused(
            r#""cache":{"keepWarm":[{"scopes":["https://graph.microsoft.com/.default"]},{"scopes":["User.Read"]}]}"#,
        );
        assert_eq!(code, "invalid_scope");
        assert!(message.starts_with("cache.keepWarm[1]: scope"), "{message}");
        let (code, message) = refused(
            r#""cache":{"keepWarm":[{"scopes":["https://graph.microsoft.com/.default"],"tenantId":"evil.example"}]}"#,
        );
        assert_eq!(code, "tenant_not_allowed");
        assert!(
            message.starts_with("cache.keepWarm[0]: the request asks for tenant evil.example"),
            "{message}"
        );
        let (code, message) = refused(r#""cache":{"keepWarm":[{"scopes":[]}]}"#);
        assert_eq!(code, "empty_scopes");
        assert!(
            message.starts_with("cache.keepWarm[0]: scopes must not be empty"),
            "{message}"
        );
        let (_, message) = refused(r#""cache":{"keepWarm":[{"scope":"x"}]}"#);
        assert!(message.contains("cache.keepWarm[0].scope"), "{message}");
        let (_, message) = refused(r#""cache":{"keepWarm":{"scopes":[]}}"#);
        assert!(
            message.contains("cache.keepWarm must be a sequence"),
            "{message}"
        );
        let (_, message) = refused(
            r#""cache":{"keepWarm":[{"scopes":["https://graph.microsoft.com/.default"]},{"scopes":["x"],"tenantId":7}]}"#,
        );
        assert!(
            message.contains("cache.keepWarm[1].tenantId must be a string"),
            "{message}"
        );
    }

    #[test]
    fn refresh_timer_is_true_false_or_a_period() {
        let period = |v: &str| {
            config(&format!(r#""system":{{"refreshTimer":{v}}}"#)).map(|c| c.refresh_period_ms)
        };
        assert_eq!(
            period("true").ok(),
            Some(Some(super::DEFAULT_REFRESH_PERIOD_MS))
        );
        assert_eq!(period("false").ok(), Some(None));
        assert_eq!(period("250").ok(), Some(Some(250)));
        for bad in ["-1", "5", "\"soon\"", "1.5"] {
            let message = period(bad)
                .err()
                .map(|e| e.message().to_owned())
                .unwrap_or_default();
            assert!(
                message.contains("system.refreshTimer must be true, or a period in ms"),
                "{bad}: {message}"
            );
        }
    }
}
