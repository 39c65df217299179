//! Entra's regional token endpoints (`azureRegion`): a region name, `TryAutoDetect` from the
//! `REGION_NAME` environment variable Azure hosting sets (nothing is probed over the network),
//! and the regional host for each cloud.

use crate::error::Error;

/// The value that asks for the region of the environment.
pub const AUTO_DETECT: &str = "TryAutoDetect";

/// Public-cloud hosts whose regional endpoints live under `login.microsoft.com`.
const PUBLIC_CLOUD_HOSTS: [&str; 4] = [
    "login.microsoftonline.com",
    "login.microsoft.com",
    "login.windows.net",
    "sts.windows.net",
];

/// What `azureRegion` asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Region {
    /// The global endpoint.
    Global,
    /// This region's endpoint.
    Named(String),
}

impl Region {
    /// Reads an `azureRegion` value at `field`; `detected` is the environment's region, when
    /// `TryAutoDetect` asks for it.
    ///
    /// # Errors
    /// `invalid_region` when the value is neither a region name (a lowercase DNS label such as
    /// `westus2`) nor `TryAutoDetect`.
    pub fn parse(value: &str, field: &str, detected: Option<&str>) -> Result<Self, Error> {
        if value == AUTO_DETECT {
            return Ok(detected.map_or(Region::Global, |r| Region::Named(r.to_owned())));
        }
        if is_region(value) {
            return Ok(Region::Named(value.to_owned()));
        }
        Err(Error::config(
            "invalid_region",
            format!(
                "{field} must be a region name like \"westus2\" (a lowercase DNS label) or \"{AUTO_DETECT}\", \
                 got {:?}",
                value.chars().take(64).collect::<String>()
            ),
        ))
    }

    /// The region's name, if it is one.
    pub fn name(&self) -> Option<&str> {
        match self {
            Region::Global => None,
            Region::Named(name) => Some(name),
        }
    }
}

/// The environment's region from `REGION_NAME` as Azure hosting sets it (`West US 2` or
/// `westus2`): lowercase, without spaces, and only when it is then a region name.
pub fn from_environment(region_name: Option<&str>) -> Option<String> {
    let name: String = region_name?
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    is_region(&name).then_some(name)
}

/// A lowercase DNS label (RFC 1035 §2.3.4) that starts with a letter.
fn is_region(value: &str) -> bool {
    let bytes = value.as_bytes();
    (1..=63).contains(&bytes.len())
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && !value.ends_with('-')
}

/// The host of `region`'s endpoints on the cloud at `host`: `<region>.login.microsoft.com` for
/// the public cloud's hosts, `<region>.<host>` elsewhere.
pub fn regional_host(host: &str, region: &str) -> String {
    if PUBLIC_CLOUD_HOSTS.contains(&host) {
        format!("{region}.login.microsoft.com")
    } else {
        format!("{region}.{host}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regional_urls_per_cloud() {
        let regional = |authority: &str, region: &str| {
            crate::authority::Authority::entra(authority)
                .unwrap()
                .target(None, Some(region))
                .token_endpoint
        };
        for host in PUBLIC_CLOUD_HOSTS {
            assert_eq!(
                regional(&format!("https://{host}/contoso.com"), "westus2"),
                "https://westus2.login.microsoft.com/contoso.com/oauth2/v2.0/token"
            );
        }
        assert_eq!(
            regional("https://login.microsoftonline.us/t", "usgovvirginia"),
            "https://usgovvirginia.login.microsoftonline.us/t/oauth2/v2.0/token"
        );
        assert_eq!(
            regional("https://login.chinacloudapi.cn/t", "chinaeast2"),
            "https://chinaeast2.login.chinacloudapi.cn/t/oauth2/v2.0/token"
        );
    }

    #[test]
    fn names_and_detection() {
        assert_eq!(
            Region::parse("westus2", "auth.azureRegion", None).unwrap(),
            Region::Named("westus2".into())
        );
        assert_eq!(
            Region::parse(AUTO_DETECT, "auth.azureRegion", Some("eastus")).unwrap(),
            Region::Named("eastus".into())
        );
        assert_eq!(
            Region::parse(AUTO_DETECT, "auth.azureRegion", None).unwrap(),
            Region::Global
        );
        for bad in ["West US", "westus2.", "-west", "west-", "", "a.b", "WESTUS"] {
            let err = Region::parse(bad, "azureRegion", None).unwrap_err();
            assert_eq!(err.code(), "invalid_region", "{bad}");
        }
        assert_eq!(
            from_environment(Some("West US 2")).as_deref(),
            Some("westus2")
        );
        assert_eq!(
            from_environment(Some("centralus")).as_deref(),
            Some("centralus")
        );
        assert_eq!(from_environment(Some("not/a region")), None);
        assert_eq!(from_environment(None), None);
    }
}
