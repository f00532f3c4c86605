//! The HTTP client validators use, safe by construction.
//!
//! - TLS is rustls with the webpki root store; certificates are always verified. Plain `http://`
//!   exists only for user-named loopback endpoints (`--validation-endpoint`, see
//!   [`super::endpoint`]).
//! - Redirects are never followed (`max_redirects(0)`): the answer is read as it is, and a
//!   redirect is reported as `unknown (redirected)`. A secret therefore never reaches a host
//!   other than the one the request was built for.
//! - Name resolution goes through [`GuardedResolver`], which refuses private, loopback,
//!   link-local, CGNAT and multicast addresses ([`super::guard`]) for provider hosts, on the
//!   very addresses ureq then connects to.
//! - No proxy from the environment: a proxy would resolve names itself and bypass the guard.
//! - A global timeout per request, and a bounded body (64 KiB).
//!
//! ureq's resolver trait is in its `unversioned` module; Cargo.toml pins ureq to 3.5.x for it.

use std::io::Read as _;
use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine as _;
use ureq::Agent;
use ureq::config::Config;
use ureq::http::{self, Uri};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

use super::aws::{self, SigningInput};
use super::clock::Timestamp;
use super::guard::is_public;
use super::interpret::{Answer, parse_retry_after};
use super::request::{AwsSigning, Outgoing};
use super::status::UnknownReason;

/// The most of a response body that is read.
const BODY_LIMIT: u64 = 64 * 1024;
/// Response headers kept for `capture`, and the longest value kept.
const MAX_HEADERS: usize = 100;
const MAX_HEADER_VALUE: usize = 4096;

/// Which resolved addresses a resolver accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AddressPolicy {
    /// Public unicast only (provider hosts).
    PublicOnly,
    /// Anything over https, loopback only over http (user-named endpoints; `--allow-internal-ips`).
    Trusted,
}

/// Marks an address refused by the guard, so the error can be told apart from other I/O errors.
#[derive(Debug, thiserror::Error)]
#[error("refused to connect to a non-public address")]
struct BlockedAddress;

/// A resolver that refuses addresses its policy does not allow.
#[derive(Debug)]
struct GuardedResolver {
    inner: DefaultResolver,
    policy: AddressPolicy,
}

impl Resolver for GuardedResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let addrs = self.inner.resolve(uri, config, timeout)?;
        let clear_text = uri.scheme_str() == Some("http");
        if addrs.iter().all(|addr| self.allows(*addr, clear_text)) {
            Ok(addrs)
        } else {
            Err(ureq::Error::Io(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                BlockedAddress,
            )))
        }
    }
}

impl GuardedResolver {
    fn allows(&self, addr: SocketAddr, clear_text: bool) -> bool {
        match self.policy {
            _ if clear_text => addr.ip().is_loopback(),
            AddressPolicy::PublicOnly => is_public(addr.ip()),
            AddressPolicy::Trusted => true,
        }
    }
}

/// Two agents: one guarded for provider hosts, one for user-named endpoints.
pub(crate) struct Client {
    guarded: Agent,
    trusted: Agent,
}

impl Client {
    /// A client with `timeout` per request; `allow_internal_ips` lifts the guard everywhere.
    pub(crate) fn new(timeout: Duration, allow_internal_ips: bool) -> Client {
        let provider_policy =
            if allow_internal_ips { AddressPolicy::Trusted } else { AddressPolicy::PublicOnly };
        Client {
            guarded: agent(timeout, provider_policy),
            trusted: agent(timeout, AddressPolicy::Trusted),
        }
    }

    /// Sends `request` once and reads the answer.
    pub(crate) fn send(&self, request: &Outgoing) -> Result<Answer, UnknownReason> {
        let agent = if request.trusted { &self.trusted } else { &self.guarded };
        let url = format!("{}://{}{}", request.scheme.as_str(), request.authority, request.path);
        let built = build(request, &url).map_err(|_| UnknownReason::Unrenderable)?;
        let result = match request.body.clone() {
            Some(body) => agent.run(built.map(|()| body)),
            None => agent.run(built),
        };
        match result {
            Ok(response) => Ok(read_answer(response)),
            Err(err) => Err(classify(&err)),
        }
    }
}

fn agent(timeout: Duration, policy: AddressPolicy) -> Agent {
    let config = Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None)
        .timeout_global(Some(timeout))
        .user_agent(concat!("leakhound/", env!("CARGO_PKG_VERSION"), " (validation)"))
        .build();
    let resolver = GuardedResolver { inner: DefaultResolver::default(), policy };
    Agent::with_parts(config, DefaultConnector::default(), resolver)
}

fn build(request: &Outgoing, url: &str) -> Result<http::Request<()>, http::Error> {
    let mut builder = http::Request::builder().method(request.method.as_str()).uri(url);
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    if let Some((user, password)) = &request.basic_auth {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        builder = builder.header("authorization", format!("Basic {token}"));
    }
    if let Some(signing) = &request.aws {
        for (name, value) in aws_headers(request, signing) {
            builder = builder.header(name, value);
        }
    }
    builder.body(())
}

fn aws_headers(request: &Outgoing, signing: &AwsSigning) -> Vec<(String, String)> {
    let (path, query) = request.path.split_once('?').unwrap_or((request.path.as_str(), ""));
    let input = SigningInput {
        method: request.method.as_str(),
        host: &request.authority,
        path,
        query,
        body: request.body.as_deref().unwrap_or_default(),
        region: &signing.region,
        service: &signing.service,
    };
    aws::sign(&input, &signing.credentials, Timestamp::now())
}

fn read_answer(mut response: http::Response<ureq::Body>) -> Answer {
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after);
    let mut body = Vec::new();
    // A body cut short still has a status worth reading.
    let _ = response.body_mut().as_reader().take(BODY_LIMIT).read_to_end(&mut body);
    // Headers for `capture`: bounded in number and size, text only.
    let headers = response
        .headers()
        .iter()
        .take(MAX_HEADERS)
        .filter_map(|(name, value)| {
            let value = value.to_str().ok().filter(|v| v.len() <= MAX_HEADER_VALUE)?;
            Some((name.as_str().to_string(), value.to_string()))
        })
        .collect();
    Answer { status: response.status().as_u16(), retry_after, body, headers }
}

/// Maps a transport error to a reason. Never formats the error: it could quote a URL.
fn classify(err: &ureq::Error) -> UnknownReason {
    match err {
        ureq::Error::Timeout(_) => UnknownReason::Timeout,
        ureq::Error::Io(io)
            if io
                .get_ref()
                .is_some_and(<dyn std::error::Error + Send + Sync>::is::<BlockedAddress>) =>
        {
            UnknownReason::BlockedAddress
        }
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => UnknownReason::Timeout,
        _ => UnknownReason::Network,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(policy: AddressPolicy, url: &str) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let resolver = GuardedResolver { inner: DefaultResolver::default(), policy };
        let uri: Uri = url.parse().unwrap();
        resolver.resolve(&uri, &Config::default(), NextTimeout::default())
    }

    #[test]
    fn provider_hosts_on_internal_addresses_are_refused() {
        for url in [
            "https://127.0.0.1/",
            "https://10.0.0.1/",
            "https://169.254.169.254/",
            "https://[::1]/",
            "https://localhost/",
        ] {
            let err = resolve(AddressPolicy::PublicOnly, url).unwrap_err();
            assert_eq!(classify(&err), UnknownReason::BlockedAddress, "{url}");
        }
    }

    #[test]
    fn trusted_endpoints_may_be_internal_but_clear_text_only_to_loopback() {
        assert!(resolve(AddressPolicy::Trusted, "https://10.0.0.1/").is_ok());
        assert!(resolve(AddressPolicy::Trusted, "http://127.0.0.1:9/").is_ok());
        let err = resolve(AddressPolicy::Trusted, "http://10.0.0.1/").unwrap_err();
        assert_eq!(classify(&err), UnknownReason::BlockedAddress);
    }
}
