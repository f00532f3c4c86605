//! `--validation-endpoint HOST=URL`: send what would go to a provider host to another base URL
//! (GitHub Enterprise, a self-hosted GitLab, a local test server).
//!
//! The user named that endpoint, so it is trusted: the private-address guard does not apply to
//! it. Plain `http://` is accepted only for loopback (`127.0.0.0/8`, `[::1]`, `localhost`),
//! so a typo cannot send a secret in clear text over a network.

use std::net::IpAddr;
use std::str::FromStr;

/// A URL scheme a validator request may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// TLS with certificate verification.
    Https,
    /// Clear text; only to loopback.
    Http,
}

impl Scheme {
    /// `https` or `http`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Https => "https",
            Scheme::Http => "http",
        }
    }
}

/// Where requests for one provider host go instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointOverride {
    /// The provider host as written in validators (`api.github.com`).
    pub host: String,
    /// The replacement scheme.
    pub scheme: Scheme,
    /// The replacement `host[:port]`.
    pub authority: String,
    /// A path prefix (no trailing `/`), e.g. `/api/v3` for GitHub Enterprise.
    pub path_prefix: String,
}

impl FromStr for EndpointOverride {
    type Err = String;

    fn from_str(text: &str) -> Result<EndpointOverride, String> {
        let (host, url) =
            text.split_once('=').ok_or_else(|| format!("{text:?} is not HOST=URL"))?;
        let host = host.trim().to_ascii_lowercase();
        if host.is_empty() || host.contains(['/', ':', '@']) {
            return Err(format!("{host:?} is not a host name"));
        }
        let (scheme, rest) = if let Some(rest) = url.strip_prefix("https://") {
            (Scheme::Https, rest)
        } else if let Some(rest) = url.strip_prefix("http://") {
            (Scheme::Http, rest)
        } else {
            return Err(format!("{url:?} must start with https:// (or http:// to loopback)"));
        };
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if authority.is_empty() || authority.contains(['@', '?', '#']) {
            return Err(format!("{url:?} has no plain host"));
        }
        if scheme == Scheme::Http && !is_loopback_authority(authority) {
            return Err(format!(
                "{url:?}: plain http:// is allowed only to loopback (127.0.0.1, [::1], localhost)"
            ));
        }
        Ok(EndpointOverride {
            host,
            scheme,
            authority: authority.to_ascii_lowercase(),
            path_prefix: path.trim_end_matches('/').to_string(),
        })
    }
}

/// Whether `host[:port]` names the loopback interface.
pub(crate) fn is_loopback_authority(authority: &str) -> bool {
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_host_equals_url() {
        let e: EndpointOverride = "api.github.com=https://ghe.example.com/api/v3/".parse().unwrap();
        assert_eq!(e.host, "api.github.com");
        assert_eq!(e.scheme, Scheme::Https);
        assert_eq!(e.authority, "ghe.example.com");
        assert_eq!(e.path_prefix, "/api/v3");
        let local: EndpointOverride = "gitlab.com=http://127.0.0.1:8080".parse().unwrap();
        assert_eq!(local.authority, "127.0.0.1:8080");
        assert_eq!(local.path_prefix, "");
    }

    #[test]
    fn plain_http_only_to_loopback() {
        assert!("a.com=http://localhost:1".parse::<EndpointOverride>().is_ok());
        assert!("a.com=http://[::1]:1".parse::<EndpointOverride>().is_ok());
        assert!("a.com=http://10.0.0.1".parse::<EndpointOverride>().is_err());
        assert!("a.com=http://example.com".parse::<EndpointOverride>().is_err());
        assert!("a.com=ftp://example.com".parse::<EndpointOverride>().is_err());
        assert!("a.com".parse::<EndpointOverride>().is_err());
        assert!("a.com=https://user@b.com".parse::<EndpointOverride>().is_err());
    }
}
