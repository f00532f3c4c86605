//! A rendered request, ready to send: what `plan` produces and the HTTP client sends.
//! Kept apart from the client so planning (and its tests) needs no HTTP dependency, and a build
//! without the `validate` feature still compiles.

use super::aws::AwsCredentials;
use super::endpoint::Scheme;
use super::spec::Method;

/// One request, ready to send. Holds secrets: no `Debug`.
#[cfg_attr(not(feature = "validate"), allow(dead_code))] // only the HTTP client reads it
pub(crate) struct Outgoing {
    pub(crate) method: Method,
    pub(crate) scheme: Scheme,
    /// `host[:port]` the request goes to.
    pub(crate) authority: String,
    /// Path and query, starting with `/`.
    pub(crate) path: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Option<Vec<u8>>,
    pub(crate) basic_auth: Option<(String, String)>,
    pub(crate) aws: Option<AwsSigning>,
    /// A user-named endpoint: the private-address guard does not apply.
    pub(crate) trusted: bool,
}

/// What `SigV4` needs besides the request itself.
#[cfg_attr(not(feature = "validate"), allow(dead_code))] // only the HTTP client reads it
pub(crate) struct AwsSigning {
    pub(crate) region: String,
    pub(crate) service: String,
    pub(crate) credentials: AwsCredentials,
}
