//! The YAML validator syntax (`rules/validators/*.yaml`): serde types only.
//!
//! Validators live in their own files, apart from the rules they check, so rule files and
//! validator files can be edited independently; each validator names the rule ids it validates
//! and [`super::catalog`] proves they exist. The format is documented in
//! `rules/validators/README.md`.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::status::ValidationStatus;

/// One validator file: `validators: [...]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ValidatorFile {
    /// The validators this file defines.
    pub validators: Vec<ValidatorSpec>,
}

/// One validator as written in YAML.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatorSpec {
    /// Stable dotted id, e.g. `github.user`.
    pub id: String,
    /// The rule ids whose findings this validator checks.
    pub rules: Vec<String>,
    /// Other parts of a multi-part credential, taken from findings of other rules nearby.
    #[serde(default)]
    pub companions: Vec<CompanionSpec>,
    /// The request to send.
    pub request: RequestSpec,
    /// How to read the answer: the first entry that matches decides.
    pub responses: Vec<ResponseSpec>,
    /// The provider's documentation of the endpoint and its answers.
    #[serde(default)]
    pub references: Vec<String>,
    /// Answers as the provider gives them, with the outcome each must map to; proven by
    /// `rules check` and replayed by the test suite against a local server.
    #[serde(default)]
    pub examples: Vec<ExampleSpec>,
    /// What a `valid` answer says the credential can do (scopes, account, expiry), kept with
    /// the finding's validation result.
    #[serde(default)]
    pub capture: Vec<CaptureSpec>,
}

/// One fact to keep from a `valid` answer, under `name`: a response header, a dotted JSON path,
/// or the text of an XML element (exactly one of the three).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptureSpec {
    /// The name it is shown under (`scopes`, `account`, `expires`).
    pub name: String,
    /// A response header (any case).
    #[serde(default)]
    pub header: Option<String>,
    /// A dotted JSON path (numbers index arrays); an array of strings is joined with `, `.
    #[serde(default)]
    pub json: Option<String>,
    /// An XML element name: the text of its first `<name>...</name>`.
    #[serde(default)]
    pub xml: Option<String>,
}

/// Another part of the credential: the secret of a finding of `rule` in the same file, at most
/// `within_lines` lines away. Its value is available to templates as `{{name}}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompanionSpec {
    /// The template name.
    pub name: String,
    /// The rule whose finding supplies the value.
    pub rule: String,
    /// How many lines apart the two findings may be (default 5).
    #[serde(default = "default_within_lines")]
    pub within_lines: u64,
    /// Whether the request can be sent without it (its template value is then empty).
    #[serde(default)]
    pub optional: bool,
}

fn default_within_lines() -> u64 {
    5
}

/// HTTP methods a validator may use. Validators only read: no method that changes state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// GET.
    Get,
    /// POST (for "who am I" endpoints that are RPC-style, e.g. Slack `auth.test`, GraphQL).
    Post,
    /// HEAD.
    Head,
}

impl Method {
    /// The method name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Head => "HEAD",
        }
    }
}

/// The request. `url` starts with `https://` and a literal host; templates (`{{secret}}`,
/// `{{attribute}}`, `{{companion}}`, with an optional `| filter`) may appear in its path and
/// query, in header values, in the body and in basic-auth fields, never in the host.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    /// The method.
    pub method: Method,
    /// `https://host/path?query`, host fixed.
    pub url: String,
    /// Header name to value template.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Body template.
    #[serde(default)]
    pub body: Option<String>,
    /// HTTP basic authentication.
    #[serde(default)]
    pub basic_auth: Option<BasicAuthSpec>,
    /// A signature computed in code (e.g. AWS `SigV4`), for providers data cannot describe.
    #[serde(default)]
    pub sign: Option<SignSpec>,
}

/// Basic authentication from templates.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicAuthSpec {
    /// User name template.
    pub username: String,
    /// Password template (default empty).
    #[serde(default)]
    pub password: String,
}

/// Signature schemes implemented in code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignScheme {
    /// AWS Signature Version 4 (see `validate::aws`).
    AwsSigv4,
}

/// A request signature and the templates of its inputs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignSpec {
    /// The scheme.
    pub scheme: SignScheme,
    /// Region of the credential scope (e.g. `us-east-1`).
    pub region: String,
    /// Service of the credential scope (e.g. `sts`).
    pub service: String,
    /// Access key id template.
    pub access_key_id: String,
    /// Secret access key template.
    pub secret_access_key: String,
    /// Session token template (sent as `X-Amz-Security-Token` when not empty).
    #[serde(default)]
    pub session_token: Option<String>,
}

/// One response rule: when the status is one of `status` and every check holds, the outcome.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseSpec {
    /// Status codes this rule applies to.
    pub status: Vec<u16>,
    /// JSON checks on the body; all must hold.
    #[serde(default)]
    pub json: Vec<JsonCheck>,
    /// A substring the body must contain.
    #[serde(default)]
    pub body_contains: Option<String>,
    /// The conclusion (`valid`, `invalid`, `revoked` or `expired`).
    pub outcome: ValidationStatus,
}

/// A check on one JSON value: `path` is dotted (`error.code`, `errors.0.message`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonCheck {
    /// Dotted path; numbers index arrays.
    pub path: String,
    /// The value must equal this.
    #[serde(default)]
    pub equals: Option<serde_json::Value>,
    /// The value must exist and not be null (`true`), or be absent or null (`false`).
    #[serde(default)]
    pub exists: Option<bool>,
}

/// A provider answer and the outcome it must map to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExampleSpec {
    /// The expected outcome.
    pub outcome: ValidationStatus,
    /// The status code.
    pub status: u16,
    /// The body (default empty).
    #[serde(default)]
    pub body: String,
}
