//! Where tokens come from: an Entra authority (`https://<cloud host>/<tenant>`) or any OAuth 2.0
//! token endpoint, with the https rule (http only on loopback, for local servers and tests).

use crate::error::Error;

/// Tenants that name no single directory; the client-credentials flow needs one (AADSTS9001023).
const TENANTLESS: [&str; 3] = ["common", "organizations", "consumers"];

/// A validated token source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    /// The URL token requests for the configured tenant are POSTed to.
    pub token_endpoint: String,
    /// The configured Entra tenant (id or domain), `None` for generic OAuth servers.
    pub tenant: Option<String>,
    /// Value of the assertion `aud` claim: the token endpoint, or a generic server's issuer.
    pub audience: String,
    /// An Entra authority's origin (`https://login.microsoftonline.com`), lowercase: the only
    /// place its credential goes.
    pub origin: Option<String>,
}

/// Where one request's token comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The request's tenant (`None` off Entra), as the request spelled it.
    pub tenant: Option<String>,
    /// Where the request is POSTed: the tenant's token endpoint, regional or global.
    pub token_endpoint: String,
    /// The assertion `aud`: the URL the assertion is sent to (or a generic server's issuer).
    pub audience: String,
    /// What the cache key is made of: the global endpoint, with the tenant in lowercase, so
    /// regions and spellings of a tenant share one entry.
    pub key_endpoint: String,
}

/// What only an Entra authority has: the configured tenant and the cloud's origin, which a
/// request's tenant and region are chosen against. A generic server has none
/// ([`Authority::as_entra`] is `None`), so nothing that chooses a tenant can run for one.
#[derive(Debug, Clone, Copy)]
pub struct Entra<'a> {
    authority: &'a Authority,
    /// The configured tenant, as `auth.authority` spelled it.
    pub tenant: &'a str,
    /// `<scheme>://<host>`, lowercase.
    pub origin: &'a str,
    scheme: &'a str,
    /// The origin's host, with its port if it has one.
    pub host: &'a str,
}

impl Entra<'_> {
    /// The target of a request for `tenant` (`None`: the configured one), sent to `region`'s
    /// endpoint when given. Both are checked: a tenant name and a region name (a DNS label)
    /// cannot take the URL off this cloud.
    pub fn target(self, tenant: Option<&str>, region: Option<&str>) -> Target {
        // Tenant names are case-insensitive: the configured tenant in another case is the
        // configured tenant, spelled as configured in the endpoint and the result alike.
        let tenant = match tenant {
            Some(t) if !t.eq_ignore_ascii_case(self.tenant) => t,
            _ => self.tenant,
        };
        let token_endpoint = match region {
            Some(region) => {
                let host = crate::region::regional_host(self.host, region);
                entra_endpoint(&format!("{}://{host}", self.scheme), tenant)
            }
            // The configured tenant's endpoint may be auth.authorityMetadata's.
            None if tenant == self.tenant => self.authority.token_endpoint.clone(),
            None => entra_endpoint(self.origin, tenant),
        };
        Target {
            tenant: Some(tenant.to_owned()),
            key_endpoint: entra_endpoint(self.origin, &tenant.to_ascii_lowercase()),
            audience: token_endpoint.clone(),
            token_endpoint,
        }
    }

    /// The tenant a request's `authority` names (msal-node's per-request form).
    ///
    /// # Errors
    /// `authority_not_allowed` for another host or port than the configured authority's: the
    /// credential only goes to the configured identity provider; `invalid_authority` for a
    /// malformed URL, `tenant_required` for common/organizations/consumers.
    pub fn request_tenant(self, authority: &str) -> Result<String, Error> {
        let own = self.origin;
        let on_own_origin = authority
            .get(..own.len())
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case(own))
            && authority.as_bytes().get(own.len()) == Some(&b'/');
        if !on_own_origin {
            return Err(Error::config(
                "authority_not_allowed",
                format!(
                    "the request's authority \"{}\" is not on {own}, the origin of auth.authority: the credential \
                     is only sent to the configured identity provider. Name the tenant with tenantId, or use \
                     {own}/<tenant>",
                    shown(authority).chars().take(200).collect::<String>()
                ),
            ));
        }
        let url = Url::parse("authority", authority)?;
        tenant_of(&url, authority, "authority")
    }
}

/// Entra's token endpoint for `tenant` on the cloud at `origin`.
fn entra_endpoint(origin: &str, tenant: &str) -> String {
    format!("{origin}/{tenant}/oauth2/v2.0/token")
}

impl Authority {
    /// The admin-consent URL for `client_id` on this authority's cloud; `None` off Entra.
    pub fn consent_url(&self, client_id: &str) -> Option<String> {
        let entra = self.as_entra()?;
        admin_consent_url_at(entra.origin, entra.tenant, client_id, None).ok()
    }

    /// Its Entra parts; `None` for a generic OAuth server, which has no tenants or regions.
    pub fn as_entra(&self) -> Option<Entra<'_>> {
        let (Some(tenant), Some(origin)) = (self.tenant.as_deref(), self.origin.as_deref()) else {
            return None;
        };
        // Entra origins are built by `Url::origin`, so they always have the separator.
        let (scheme, host) = origin.split_once("://").unwrap_or(("https", origin));
        Some(Entra {
            authority: self,
            tenant,
            origin,
            scheme,
            host,
        })
    }

    /// The target of a request for `tenant` in `region` ([`Entra::target`]). A generic
    /// server's URL fixes where tokens come from: requests naming a tenant or region are
    /// refused before this ([`crate::config::ClientConfig::request_target`]).
    pub fn target(&self, tenant: Option<&str>, region: Option<&str>) -> Target {
        if let Some(entra) = self.as_entra() {
            return entra.target(tenant, region);
        }
        debug_assert!(
            tenant.is_none() && region.is_none(),
            "a tenant or region reached a generic authority's target"
        );
        Target {
            tenant: None,
            key_endpoint: self.token_endpoint.clone(),
            audience: self.audience.clone(),
            token_endpoint: self.token_endpoint.clone(),
        }
    }

    /// True for Entra authorities, which get Entra's scope and credential rules.
    pub fn is_entra(&self) -> bool {
        self.tenant.is_some()
    }

    /// Parses `auth.authority`: `https://<host>/<tenant>`, any host (sovereign clouds included).
    ///
    /// # Errors
    /// `invalid_authority` for a malformed URL or a path that is not one tenant segment,
    /// `tenant_required` for common/organizations/consumers, `insecure_url` for http off loopback.
    pub fn entra(authority: &str) -> Result<Self, Error> {
        let url = Url::parse("auth.authority", authority)?;
        let tenant = tenant_of(&url, authority, "auth.authority")?;
        Ok(Self::on_entra(url.origin().to_ascii_lowercase(), tenant))
    }

    /// msal-node's `auth.azureCloudOptions`: the authority `<azureCloudInstance>/<tenant>`, where
    /// the instance is a cloud's origin (`AzureCloudInstance`). Each part is checked as itself,
    /// so a refusal names the option the user set, not `auth.authority`.
    ///
    /// # Errors
    /// `invalid_authority` naming `auth.azureCloudOptions.azureCloudInstance` for a URL that is
    /// not an origin or `auth.azureCloudOptions.tenant` for a value that is no tenant id or
    /// domain, `tenant_required` for common/organizations/consumers, `insecure_url` for http off
    /// loopback.
    pub fn cloud(instance: &str, tenant: &str) -> Result<Self, Error> {
        const INSTANCE: &str = "auth.azureCloudOptions.azureCloudInstance";
        const TENANT: &str = "auth.azureCloudOptions.tenant";
        let url = Url::parse(INSTANCE, instance)?;
        if !url.path.trim_end_matches('/').is_empty() || url.query.is_some() {
            return Err(Error::config(
                "invalid_authority",
                format!(
                    "{INSTANCE} must be a cloud's origin such as https://login.microsoftonline.us \
                     (AzureCloudInstance), with the tenant in {TENANT}, got \"{}\"",
                    shown(instance)
                ),
            ));
        }
        let tenant = tenant_name(tenant, TENANT, url.host, || {
            Error::config(
                "invalid_authority",
                format!("{TENANT} must be a tenant id (a GUID) or a domain such as contoso.onmicrosoft.com"),
            )
        })?;
        Ok(Self::on_entra(
            url.origin().to_ascii_lowercase(),
            tenant.to_owned(),
        ))
    }

    /// The Entra authority of a checked `tenant` on the cloud at `origin`.
    fn on_entra(origin: String, tenant: String) -> Self {
        let token_endpoint = entra_endpoint(&origin, &tenant);
        Authority {
            audience: token_endpoint.clone(),
            token_endpoint,
            tenant: Some(tenant),
            origin: Some(origin),
        }
    }

    /// Uses `token_endpoint` (from `auth.authorityMetadata`) for the configured tenant.
    ///
    /// # Errors
    /// As [`Authority::generic`]'s URL rules, for `auth.authorityMetadata.token_endpoint`.
    pub fn with_metadata_endpoint(mut self, token_endpoint: &str) -> Result<Self, Error> {
        Url::parse("auth.authorityMetadata.token_endpoint", token_endpoint)?;
        self.token_endpoint = token_endpoint.to_owned();
        self.audience = token_endpoint.to_owned();
        Ok(self)
    }

    /// Parses `auth.tokenEndpoint` (RFC 6749 §3.2) and the optional `auth.issuer` used as the
    /// assertion audience by servers that want it (RFC 7523bis).
    ///
    /// # Errors
    /// `invalid_token_endpoint` / `invalid_issuer` for malformed URLs, `insecure_url` for http
    /// off loopback.
    pub fn generic(token_endpoint: &str, issuer: Option<&str>) -> Result<Self, Error> {
        Url::parse("auth.tokenEndpoint", token_endpoint)?;
        if let Some(issuer) = issuer {
            Url::parse("auth.issuer", issuer)?;
        }
        Ok(Authority {
            token_endpoint: token_endpoint.to_owned(),
            tenant: None,
            audience: issuer.unwrap_or(token_endpoint).to_owned(),
            origin: None,
        })
    }
}

/// The admin-consent URL for an app in a tenant (Entra v2 `adminconsent` endpoint), asking
/// for the app's configured Graph application permissions.
///
/// # Errors
/// `invalid_config` when `tenant` or `client_id` is empty or `redirect_uri` is not a URL.
pub fn admin_consent_url(
    tenant: &str,
    client_id: &str,
    redirect_uri: Option<&str>,
) -> Result<String, Error> {
    admin_consent_url_at(
        "https://login.microsoftonline.com",
        tenant,
        client_id,
        redirect_uri,
    )
}

/// [`admin_consent_url`] on another cloud's host (`origin` like `https://login.microsoftonline.us`).
///
/// # Errors
/// As [`admin_consent_url`].
pub fn admin_consent_url_at(
    origin: &str,
    tenant: &str,
    client_id: &str,
    redirect_uri: Option<&str>,
) -> Result<String, Error> {
    if !is_tenant_name(tenant) {
        return Err(Error::config(
            "invalid_config",
            "tenant must be a tenant ID or domain, e.g. \"contoso.onmicrosoft.com\"",
        ));
    }
    if client_id.trim().is_empty() {
        return Err(Error::config(
            "invalid_config",
            "clientId is required: the application (client) ID",
        ));
    }
    let mut url = format!(
        "{origin}/{tenant}/v2.0/adminconsent?client_id={}&scope={}",
        crate::form::form_encode(client_id),
        crate::form::form_encode("https://graph.microsoft.com/.default"),
    );
    if let Some(uri) = redirect_uri {
        Url::parse("redirectUri", uri)?;
        url.push_str("&redirect_uri=");
        url.push_str(&crate::form::form_encode(uri));
    }
    Ok(url)
}

fn tenant_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')
}

/// The one tenant segment of an authority URL's path.
fn tenant_of(url: &Url<'_>, raw: &str, field: &str) -> Result<String, Error> {
    let invalid = || {
        Error::config(
            "invalid_authority",
            format!(
                "{field} must look like https://login.microsoftonline.com/<tenant id or domain>, got \"{}\"",
                shown(raw)
            ),
        )
    };
    if url.query.is_some() {
        return Err(invalid());
    }
    let path = url.path.trim_end_matches('/');
    let tenant = path.strip_prefix('/').unwrap_or(path);
    tenant_name(tenant, field, url.host, invalid).map(str::to_owned)
}

/// A tenant the user wrote at `field`: one directory's id or domain, for the client
/// credentials flow on the cloud at `host`. Every place a tenant is read goes through here, so
/// each refusal names the option the user set.
///
/// # Errors
/// `invalid()` when `tenant` is not a tenant id or domain (which also keeps `/`, `?` and `#`
/// out of the endpoint built from it); `tenant_required` naming `field` for
/// common/organizations/consumers (AADSTS9001023).
pub(crate) fn tenant_name<'a>(
    tenant: &'a str,
    field: &str,
    host: &str,
    invalid: impl FnOnce() -> Error,
) -> Result<&'a str, Error> {
    if !is_tenant_name(tenant) {
        return Err(invalid());
    }
    if TENANTLESS.contains(&tenant.to_ascii_lowercase().as_str()) {
        return Err(Error::config(
            "tenant_required",
            format!(
                "{field} must name a tenant: \"{tenant}\" does not work with the client \
                 credentials flow (AADSTS9001023). Use https://{host}/<tenant id or domain>"
            ),
        ));
    }
    Ok(tenant)
}

/// Whether `tenant` is a tenant id or domain (letters, digits, `.`, `-`, `_`).
pub fn is_tenant_name(tenant: &str) -> bool {
    !tenant.is_empty() && tenant.chars().all(tenant_char)
}

/// A URL as messages may quote it: a user name and password in it are replaced.
fn shown(raw: &str) -> String {
    let Some((scheme, rest)) = raw.split_once("://") else {
        return raw.to_owned();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => format!("{scheme}://[redacted]@{}", &rest[at + 1..]),
        None => raw.to_owned(),
    }
}

/// Just enough URL structure to enforce our rules; the runtime's fetch does the real parsing.
struct Url<'a> {
    scheme: &'a str,
    host: &'a str,
    port: Option<&'a str>,
    path: &'a str,
    query: Option<&'a str>,
}

impl<'a> Url<'a> {
    fn parse(field: &str, raw: &'a str) -> Result<Self, Error> {
        let bad = |why: &str| {
            let code = match field {
                "auth.authority" | "authority" | "auth.azureCloudOptions.azureCloudInstance" => {
                    "invalid_authority"
                }
                "auth.issuer" => "invalid_issuer",
                "redirectUri" => "invalid_config",
                _ => "invalid_token_endpoint",
            };
            Error::config(
                code,
                format!(
                    "{field} must be an absolute https URL ({why}), got \"{}\"",
                    shown(raw)
                ),
            )
        };
        let (scheme, rest) = raw.split_once("://").ok_or_else(|| bad("no scheme"))?;
        let scheme_ok = scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http");
        if !scheme_ok {
            return Err(bad("scheme must be https"));
        }
        if raw.contains('#') || raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("no fragment or whitespace allowed"));
        }
        let (authority, path_and_query) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(bad("no user name or password allowed"));
        }
        let (host, port) = split_port(authority).ok_or_else(|| bad("bad port"))?;
        if host.is_empty() {
            return Err(bad("no host"));
        }
        if !valid_host(host) {
            // What fetch would refuse later, refused now: never a retried network error.
            return Err(bad("the host is not a valid DNS name or IP address"));
        }
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path_and_query, None),
        };
        let url = Url {
            scheme,
            host,
            port,
            path,
            query,
        };
        if !scheme.eq_ignore_ascii_case("https") && !url.is_loopback() {
            return Err(Error::config(
                "insecure_url",
                format!(
                    "{field} must use https (http is allowed only for 127.0.0.1, localhost and [::1]), \
                     got \"{}\"",
                    shown(raw)
                ),
            ));
        }
        Ok(url)
    }

    /// Exactly `localhost`, `[::1]` and IPv4 literals in 127.0.0.0/8: a name that merely
    /// starts with "127." (`127.0.0.1.nip.io`) resolves wherever its owner wants (issue 20.6).
    fn is_loopback(&self) -> bool {
        let host = self.host.to_ascii_lowercase();
        host == "localhost"
            || host == "[::1]"
            || host
                .parse::<std::net::Ipv4Addr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    fn origin(&self) -> String {
        match self.port {
            Some(port) => format!(
                "{}://{}:{port}",
                self.scheme.to_ascii_lowercase(),
                self.host
            ),
            None => format!("{}://{}", self.scheme.to_ascii_lowercase(), self.host),
        }
    }
}

/// Splits `host[:port]`, keeping IPv6 brackets on the host.
/// A host fetch can use: a bracketed IPv6 literal, or DNS labels (letters, digits, `-`, `_`,
/// and non-ASCII for IDNs) separated by single dots.
fn valid_host(host: &str) -> bool {
    if let Some(ip) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return ip.parse::<std::net::Ipv6Addr>().is_ok();
    }
    let host = host.strip_suffix('.').unwrap_or(host);
    host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || !c.is_ascii())
        })
}

fn split_port(authority: &str) -> Option<(&str, Option<&str>)> {
    let (host, port) = if authority.starts_with('[') {
        let end = authority.find(']')? + 1;
        let (host, rest) = authority.split_at(end);
        match rest {
            "" => (host, None),
            _ => (host, Some(rest.strip_prefix(':')?)),
        }
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    match port {
        Some(p) if p.parse::<u16>().is_err() => None,
        _ => Some((host, port)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entra_token_endpoint_and_tenant() {
        let a =
            Authority::entra("https://login.microsoftonline.us/contoso.onmicrosoft.com/").unwrap();
        assert_eq!(
            a.token_endpoint,
            "https://login.microsoftonline.us/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        assert_eq!(a.tenant.as_deref(), Some("contoso.onmicrosoft.com"));
        assert_eq!(a.audience, a.token_endpoint);
    }

    #[test]
    fn the_configured_tenant_in_another_case_is_the_configured_tenant() {
        // Found by the request fuzz target: the endpoint was the configured tenant's while
        // the result named the caller's spelling.
        let a = Authority::entra("https://login.microsoftonline.com/home.example").unwrap();
        let t = a.target(Some("HOME.example"), None);
        assert_eq!(t.tenant.as_deref(), Some("home.example"));
        assert_eq!(
            t.token_endpoint,
            "https://login.microsoftonline.com/home.example/oauth2/v2.0/token"
        );
        let other = a.target(Some("Other.example"), None);
        assert_eq!(other.tenant.as_deref(), Some("Other.example"));
        assert_eq!(
            other.key_endpoint,
            "https://login.microsoftonline.com/other.example/oauth2/v2.0/token"
        );
    }

    #[test]
    fn loopback_http_allowed_elsewhere_refused() {
        for ok in [
            "http://127.0.0.1:8080/t1",
            "http://127.10.20.30/t1",
            "http://[::1]:8080/t1",
            "http://LOCALHOST:1/t1",
        ] {
            assert!(Authority::entra(ok).is_ok(), "{ok}");
        }
        // Issue 20.6: names that look like loopback addresses are ordinary hosts.
        for off in [
            "http://login.microsoftonline.com/t1",
            "http://127.attacker.example/t1",
            "http://127.0.0.1.nip.io/t1",
            "http://localhost.attacker.example/t1",
            "http://128.0.0.1/t1",
        ] {
            assert_eq!(
                Authority::entra(off).unwrap_err().code(),
                "insecure_url",
                "{off}"
            );
        }
    }

    #[test]
    fn hosts_and_ports_fetch_would_refuse_are_configuration_errors() {
        for bad in [
            "https://login microsoftonline.com/t",
            "https://exa%mple.com/t",
            "https://a..b/t",
            "https://[::1/t",
            "https://[zz::1]/t",
            "https://login.microsoftonline.com:99999/t",
            "https://login.microsoftonline.com:/t",
            "https://exa<mple.com/t",
        ] {
            let err = Authority::entra(bad).unwrap_err();
            assert_eq!(err.code(), "invalid_authority", "{bad}");
        }
        assert!(Authority::entra("https://login.microsoftonline.com.:443/t").is_ok());
    }

    #[test]
    fn tenantless_and_malformed() {
        let err = Authority::entra("https://login.microsoftonline.com/Common").unwrap_err();
        assert_eq!(err.code(), "tenant_required");
        for bad in [
            "login.microsoftonline.com/t",
            "https://login.microsoftonline.com",
            "https://login.microsoftonline.com/t/extra",
            "https://u:p@login.microsoftonline.com/t",
            "https://login.microsoftonline.com:x/t",
            "ftp://login.microsoftonline.com/t",
        ] {
            assert_eq!(
                Authority::entra(bad).unwrap_err().code(),
                "invalid_authority",
                "{bad}"
            );
        }
    }

    #[test]
    fn passwords_in_urls_are_not_quoted() {
        for (field, url) in [
            (
                "auth.authority",
                "https://app:hunter2@login.microsoftonline.com/t",
            ),
            ("auth.tokenEndpoint", "http://app:hunter2@idp.example/token"),
        ] {
            let err = if field == "auth.authority" {
                Authority::entra(url).unwrap_err()
            } else {
                Authority::generic(url, None).unwrap_err()
            };
            assert!(!err.message().contains("hunter2"), "{}", err.message());
            assert!(err.message().contains("[redacted]@"), "{}", err.message());
        }
    }

    #[test]
    fn consent_url() {
        assert_eq!(
            admin_consent_url("contoso.com", "abc", Some("https://app.example/done")).unwrap(),
            "https://login.microsoftonline.com/contoso.com/v2.0/adminconsent?client_id=abc\
             &scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&redirect_uri=https%3A%2F%2Fapp.example%2Fdone"
        );
        assert_eq!(
            admin_consent_url("", "abc", None).unwrap_err().code(),
            "invalid_config"
        );
    }

    #[test]
    fn consent_url_follows_the_cloud() {
        let a = Authority::entra("https://login.microsoftonline.us/contoso.us").unwrap();
        assert_eq!(
            a.consent_url("app").unwrap(),
            "https://login.microsoftonline.us/contoso.us/v2.0/adminconsent?client_id=app\
             &scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"
        );
        assert_eq!(
            Authority::generic("https://idp.example/t", None)
                .unwrap()
                .consent_url("app"),
            None
        );
    }

    #[test]
    fn generic_audience_prefers_issuer() {
        let a =
            Authority::generic("https://idp.example/token", Some("https://idp.example")).unwrap();
        assert_eq!(a.audience, "https://idp.example");
        assert!(!a.is_entra());
        assert_eq!(
            Authority::generic("https://idp.example/token", Some("nope"))
                .unwrap_err()
                .code(),
            "invalid_issuer"
        );
    }
}
