//! The YAML rule syntax: serde types only, no validation beyond what serde does.
//!
//! Kept separate from compiled rules ([`super::Rule`]) so the file format can be read, shown and
//! documented without compiling regexes (STYLE.md habit 6). The format is documented in
//! `rules/README.md`.

use serde::{Deserialize, Serialize};

/// One rule file: `rules: [...]` and/or `families: [...]` (provider-table rows, each expanded
/// into a rule by `family::expand`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleFile {
    /// The rules this file defines.
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
    /// Provider-table rows.
    #[serde(default)]
    pub families: Vec<FamilySpec>,
}

/// One rule as written in YAML.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Stable dotted id, e.g. `github.pat.classic`.
    pub id: String,
    /// Human name.
    pub name: String,
    /// Who issued the credential.
    pub provider: String,
    /// What sort of credential it is.
    pub kind: Kind,
    /// Prefilter literals (ASCII case-insensitive).
    #[serde(default)]
    pub keywords: Vec<Keyword>,
    /// `none` to run the regex on every item (a rule without keywords must say so).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefilter: Option<PrefilterMode>,
    /// The regex, with a named group `secret`.
    pub pattern: String,
    /// Lines before the keyword's line a match may start on.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub lines_before: u32,
    /// Lines after the keyword's line a match may extend to.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub lines_after: u32,
    /// Shannon entropy floor (bits per character) on the secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_entropy: Option<f64>,
    /// Structural checks that must all pass.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckName>,
    /// How sure a match of this rule is to be a real credential.
    pub confidence: Confidence,
    /// How bad a leak of this credential is.
    pub severity: Severity,
    /// Documentation of the credential format.
    #[serde(default)]
    pub references: Vec<String>,
    /// Where and how to rotate or revoke it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoke: Option<String>,
    /// Strings that must produce a finding of this rule.
    #[serde(default)]
    pub examples: Vec<String>,
    /// Strings that must not produce a finding of this rule.
    #[serde(default)]
    pub negative_examples: Vec<String>,
}

/// A keyword as written: its text, and what YAML type it had when it was not a string.
///
/// YAML reads an unquoted `1234`, `true` or `null` as a number, boolean or null. Coercing it to a
/// string would silently change it (`0x1F` is 31, `~` is null), so it is kept here and rejected
/// at load time with the file, rule id and keyword ([`super::RuleSet::compile`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Keyword {
    text: String,
    not_a_string: Option<&'static str>,
}

impl Keyword {
    /// A string keyword.
    pub fn new(text: impl Into<String>) -> Keyword {
        Keyword { text: text.into(), not_a_string: None }
    }

    /// The keyword's text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The YAML type it was written as (`a number`, `a boolean`, `null`) when not a string.
    pub fn not_a_string(&self) -> Option<&'static str> {
        self.not_a_string
    }
}

impl std::ops::Deref for Keyword {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

impl Serialize for Keyword {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Keyword {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Keyword, D::Error> {
        deserializer.deserialize_any(KeywordVisitor)
    }
}

/// Accepts any scalar, remembering which were not strings.
struct KeywordVisitor;

impl KeywordVisitor {
    fn other(text: &dyn std::fmt::Display, kind: &'static str) -> Keyword {
        Keyword { text: text.to_string(), not_a_string: Some(kind) }
    }
}

impl serde::de::Visitor<'_> for KeywordVisitor {
    type Value = Keyword;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a keyword string")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Keyword, E> {
        Ok(Keyword::new(v))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Keyword, E> {
        Ok(Self::other(&v, "a number"))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Keyword, E> {
        Ok(Self::other(&v, "a number"))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Keyword, E> {
        Ok(Self::other(&v, "a number"))
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Keyword, E> {
        Ok(Self::other(&v, "a boolean"))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Keyword, E> {
        Ok(Self::other(&"null", "null"))
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Keyword, E> {
        Ok(Self::other(&"null", "null"))
    }
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The prefilter mode of a rule without keywords.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PrefilterMode {
    /// Run the regex on every item.
    None,
}

/// What sort of credential a rule finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// An API key.
    ApiKey,
    /// An access or refresh token.
    Token,
    /// An OAuth client secret.
    OauthClientSecret,
    /// A private key block.
    PrivateKey,
    /// A password.
    Password,
    /// A connection string or URL carrying a password.
    ConnectionString,
    /// A webhook URL that is itself the credential.
    Webhook,
    /// A JSON Web Token.
    Jwt,
    /// A secret-looking value assigned to a secret-looking name.
    Generic,
}

impl Kind {
    /// The kebab-case name used in rule files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ApiKey => "api-key",
            Kind::Token => "token",
            Kind::OauthClientSecret => "oauth-client-secret",
            Kind::PrivateKey => "private-key",
            Kind::Password => "password",
            Kind::ConnectionString => "connection-string",
            Kind::Webhook => "webhook",
            Kind::Jwt => "jwt",
            Kind::Generic => "generic",
        }
    }

    /// Generic kinds lose to a provider rule on the same bytes and get the shape filters.
    pub fn is_generic(self) -> bool {
        matches!(self, Kind::Generic | Kind::Password)
    }
}

/// How sure a match is to be a real credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    /// Often a false positive.
    Low,
    /// Usually real.
    Medium,
    /// Almost always real (fixed prefix, checksum).
    High,
}

impl Confidence {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// How bad a leak is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Limited blast radius (test keys, read-only public data).
    Low,
    /// Access to some data or service.
    Medium,
    /// Access to an account, data or money.
    High,
    /// Private keys and cloud root credentials.
    Critical,
}

impl Severity {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// A structural check a rule can require (see `rules/README.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckName {
    /// GitHub/npm style base62 CRC32 of the 30 characters before the last 6.
    Crc32Github,
    /// A structurally valid JWT whose header has `alg`.
    Jwt,
    /// Always applied; accepted for explicitness.
    NotPlaceholder,
    /// Not a hash, UUID, integrity string, version or path.
    NotCommonShape,
    /// At least one digit.
    HasDigit,
    /// At least two character classes.
    MixedCharset,
    /// The value is a quoted literal, or unquoted and the last thing on its line (config
    /// style); never an expression followed by more code (`Secret: makeSecret(x),`).
    LiteralValue,
    /// No word before the value on its line says digest or identifier (`sha256`, `checksum`,
    /// `commit`, `cache`, `uuid`): for rules that report hex or UUID values under secret names.
    SecretName,
    /// The rule reads a credential file (`.netrc`, `.pgpass`, `.my.cnf`): any value that is not
    /// a template (`${VAR}`, `<password>`, `{{ var }}`) is reported, however weak; placeholder
    /// words do not apply.
    CredentialFile,
}

impl CheckName {
    /// The kebab-case name used in rule files.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckName::Crc32Github => "crc32-github",
            CheckName::Jwt => "jwt",
            CheckName::NotPlaceholder => "not-placeholder",
            CheckName::NotCommonShape => "not-common-shape",
            CheckName::HasDigit => "has-digit",
            CheckName::MixedCharset => "mixed-charset",
            CheckName::LiteralValue => "literal-value",
            CheckName::SecretName => "secret-name",
            CheckName::CredentialFile => "credential-file",
        }
    }
}

/// One row of a provider table, as written under `families:` in a rule file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FamilySpec {
    /// The rule id the row becomes.
    pub id: String,
    /// Human name.
    pub name: String,
    /// Who issued the credential.
    pub provider: String,
    /// What sort of credential it is (default `api-key`).
    #[serde(default = "default_kind")]
    pub kind: Kind,
    /// Provider names that must appear in the variable or field name before the value (also
    /// the row's keywords). Empty for a token-format row, which then needs a `prefix`.
    #[serde(default)]
    pub names: Vec<String>,
    /// The words that end the variable name (`key`, `token`, ...); defaults to `family::DEFAULT_WORDS`.
    #[serde(default)]
    pub words: Vec<String>,
    /// A literal the value itself starts with (part of the secret).
    #[serde(default)]
    pub prefix: Option<String>,
    /// The alphabet of the value after the prefix.
    pub alphabet: Alphabet,
    /// The length of the value after the prefix (the minimum when `max_length` is set).
    pub length: u32,
    /// The maximum length after the prefix, for formats with a range.
    #[serde(default)]
    pub max_length: Option<u32>,
    /// Entropy floor; defaults to one derived from the alphabet and length (`family::default_entropy`).
    #[serde(default)]
    pub min_entropy: Option<f64>,
    /// Structural checks, as in a rule.
    #[serde(default)]
    pub checks: Vec<CheckName>,
    /// Defaults to `high` for a token-format row, `medium` for a name-keyed one.
    #[serde(default)]
    pub confidence: Option<Confidence>,
    /// Defaults to `high`.
    #[serde(default)]
    pub severity: Option<Severity>,
    /// Documentation of the credential format.
    #[serde(default)]
    pub references: Vec<String>,
    /// Where and how to rotate or revoke it.
    #[serde(default)]
    pub revoke: Option<String>,
    /// Strings that must produce a finding of this row's rule.
    #[serde(default)]
    pub examples: Vec<String>,
    /// Strings that must not produce a finding of this row's rule.
    #[serde(default)]
    pub negative_examples: Vec<String>,
}

fn default_kind() -> Kind {
    Kind::ApiKey
}

/// The alphabet of a value (a closed set, so a row cannot smuggle a regex in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Alphabet {
    /// `0-9`.
    Digits,
    /// `0-9a-f`.
    Hex,
    /// `0-9A-F`.
    HexUpper,
    /// `0-9a-fA-F`.
    HexAnyCase,
    /// `A-Za-z0-9`.
    Alnum,
    /// `a-z0-9`.
    AlnumLower,
    /// `A-Z0-9`.
    AlnumUpper,
    /// `A-Z2-7` (RFC 4648 base32).
    Base32,
    /// `A-Za-z0-9+/`, optionally followed by `=` padding.
    Base64,
    /// `A-Za-z0-9_-`.
    Base64url,
}
