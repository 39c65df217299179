//! Which tenant a request may ask for. One app serves many customer tenants, and switching
//! tenants is a security decision: as `@azure/identity`'s `additionallyAllowedTenants`, a request
//! may name only the configured tenant or one of `auth.allowedTenants` (`["*"]` for any), and
//! the credential only ever goes to the configured authority's host.

use crate::authority::{is_tenant_name, tenant_name, Entra};
use crate::error::Error;

/// `auth.allowedTenants`, checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedTenants {
    any: bool,
    /// Lowercase: tenant ids and domains are case-insensitive.
    listed: Vec<String>,
}

impl AllowedTenants {
    /// Reads `auth.allowedTenants`.
    ///
    /// # Errors
    /// `invalid_config` for an entry that is not a tenant id, a domain or `*`.
    pub fn parse(list: Option<&[String]>) -> Result<Self, Error> {
        let mut allowed = AllowedTenants::default();
        for entry in list.unwrap_or_default() {
            if entry == "*" {
                allowed.any = true;
            } else if is_tenant_name(entry) {
                allowed.listed.push(entry.to_ascii_lowercase());
            } else {
                return Err(Error::config(
                    "invalid_config",
                    format!(
                        "auth.allowedTenants entries must be tenant ids, domains or \"*\" (any tenant), got {:?}",
                        entry.chars().take(64).collect::<String>()
                    ),
                ));
            }
        }
        Ok(allowed)
    }

    /// The tenant a request asks for with `tenant_id` and/or `authority` (msal-node's form);
    /// `None` for the configured one. Only an Entra authority has tenants to choose: a generic
    /// one has no [`Entra`] to pass.
    ///
    /// # Errors
    /// `tenant_required` for common/organizations/consumers, `authority_not_allowed` for
    /// another host, `tenant_not_allowed` for a tenant neither configured nor allowed,
    /// `invalid_request` for a malformed or contradictory pair.
    pub fn resolve(
        &self,
        entra: Entra<'_>,
        tenant_id: Option<&str>,
        request_authority: Option<&str>,
    ) -> Result<Option<String>, Error> {
        if tenant_id.is_none() && request_authority.is_none() {
            return Ok(None);
        }
        let from_id = tenant_id
            .map(|t| {
                tenant_name(t, "tenantId", entra.host, || {
                    Error::config(
                        "invalid_request",
                        "tenantId must be a tenant id (a GUID) or a domain such as contoso.onmicrosoft.com",
                    )
                })
            })
            .transpose()?
            .map(str::to_owned);
        let from_authority = request_authority
            .map(|a| entra.request_tenant(a))
            .transpose()?;
        let tenant = match (from_id, from_authority) {
            (Some(a), Some(b)) if !a.eq_ignore_ascii_case(&b) => {
                return Err(Error::config(
                    "invalid_request",
                    format!("tenantId ({a}) and authority (tenant {b}) name different tenants: pass one of them"),
                ))
            }
            (Some(t), _) | (None, Some(t)) => t,
            (None, None) => return Ok(None),
        };
        let lower = tenant.to_ascii_lowercase();
        let home = entra.tenant;
        if lower == home.to_ascii_lowercase() || self.any || self.listed.contains(&lower) {
            return Ok(Some(tenant));
        }
        Err(Error::config(
            "tenant_not_allowed",
            format!(
                "the request asks for tenant {tenant}, and this app is configured for {home}: add {tenant:?} to \
                 auth.allowedTenants (or [\"*\"] for any tenant) to let requests name it"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authority::Authority;

    fn home() -> Authority {
        Authority::entra("https://login.microsoftonline.com/home.example").unwrap()
    }

    #[test]
    fn the_home_tenant_listed_ones_and_the_wildcard() {
        let none = AllowedTenants::parse(None).unwrap();
        let home = home();
        let a = home.as_entra().unwrap();
        assert_eq!(none.resolve(a, None, None).unwrap(), None);
        assert_eq!(
            none.resolve(a, Some("HOME.example"), None)
                .unwrap()
                .as_deref(),
            Some("HOME.example"),
            "the configured tenant, any case"
        );
        assert_eq!(
            none.resolve(a, Some("fabrikam.com"), None)
                .unwrap_err()
                .code(),
            "tenant_not_allowed"
        );
        let listed = AllowedTenants::parse(Some(&["Fabrikam.com".to_owned()])).unwrap();
        assert_eq!(
            listed
                .resolve(a, Some("fabrikam.COM"), None)
                .unwrap()
                .as_deref(),
            Some("fabrikam.COM")
        );
        assert_eq!(
            listed
                .resolve(a, Some("other.com"), None)
                .unwrap_err()
                .code(),
            "tenant_not_allowed"
        );
        let any = AllowedTenants::parse(Some(&["*".to_owned()])).unwrap();
        assert!(any.resolve(a, Some("anyone.example"), None).is_ok());
        assert_eq!(
            AllowedTenants::parse(Some(&["a/b".to_owned()]))
                .unwrap_err()
                .code(),
            "invalid_config"
        );
    }

    #[test]
    fn request_authorities_stay_on_the_configured_host() {
        let any = AllowedTenants::parse(Some(&["*".to_owned()])).unwrap();
        let home = home();
        let a = home.as_entra().unwrap();
        assert_eq!(
            any.resolve(a, None, Some("https://LOGIN.microsoftonline.com/t2"))
                .unwrap()
                .as_deref(),
            Some("t2")
        );
        for other in [
            "https://login.microsoftonline.us/t2",
            "https://login.microsoftonline.com:8443/t2",
            "http://login.microsoftonline.com/t2",
            "https://evil.example/t2",
        ] {
            let err = any.resolve(a, None, Some(other)).unwrap_err();
            assert_eq!(err.code(), "authority_not_allowed", "{other}");
        }
        assert_eq!(
            any.resolve(
                a,
                None,
                Some("https://login.microsoftonline.com/organizations")
            )
            .unwrap_err()
            .code(),
            "tenant_required"
        );
        assert_eq!(
            any.resolve(a, Some("common"), None).unwrap_err().code(),
            "tenant_required"
        );
        assert_eq!(
            any.resolve(a, Some("t2"), Some("https://login.microsoftonline.com/t3"))
                .unwrap_err()
                .code(),
            "invalid_request"
        );
        assert!(
            Authority::generic("https://idp.example/token", None)
                .unwrap()
                .as_entra()
                .is_none(),
            "a generic authority has no tenants to resolve (ClientConfig::request_target refuses them)"
        );
    }
}
