//! `{{name}}` and `{{name | filter}}` templates in validator requests.
//!
//! Parsed once when validators load, so a typo in a validator file is a load error, not a
//! silent `unknown`. Rendering never fails silently either: a missing value is a
//! [`RenderError`] naming the value (never showing it).
//!
//! Values placed in a URL are percent-encoded (all but RFC 3986 unreserved characters, `:` and
//! `@`), so a value can add neither a path segment, a query parameter nor a fragment.
//!
//! Filters: `urlencode` (percent-encode everything but RFC 3986 unreserved characters),
//! `url_path` (the value is a URL; keep only its path and query, so a webhook URL found in
//! scanned content can be checked on the validator's fixed host without ever contacting the
//! host written in the content), `json` (escape for use inside a JSON string).

use std::collections::BTreeMap;

/// A value filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Filter {
    /// Percent-encode all but unreserved characters.
    UrlEncode,
    /// Percent-encode for a URL path or query value: like `UrlEncode`, but `:` and `@` stay
    /// (Telegram's `bot<id>:<token>` path). The default for values in a URL.
    UrlValue,
    /// The path and query of a URL value.
    UrlPath,
    /// Escape for the inside of a JSON string.
    Json,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Value { name: String, filter: Option<Filter> },
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    parts: Vec<Part>,
}

/// Why a template could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RenderError {
    /// A named value was not available.
    #[error("no value for `{0}`")]
    Missing(String),
    /// `url_path` was applied to something that is not an `http(s)://` URL with a plain path.
    #[error("`{0}` is not a URL with a plain path")]
    NotAUrl(String),
}

/// Values to render with, by name. Holds secrets: never printed.
pub(crate) type Values = BTreeMap<String, String>;

impl Template {
    /// Parses `text`; errors say what is wrong (and contain no secret: templates are code).
    pub(crate) fn parse(text: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                parts.push(Part::Literal(rest[..start].to_string()));
            }
            let after = &rest[start + 2..];
            let end = after.find("}}").ok_or_else(|| format!("unclosed `{{{{` in {text:?}"))?;
            parts.push(parse_value(&after[..end])?);
            rest = &after[end + 2..];
        }
        if rest.contains("}}") {
            return Err(format!("stray `}}}}` in {text:?}"));
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_string()));
        }
        Ok(Template { parts })
    }

    /// The names this template uses.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Value { name, .. } => Some(name.as_str()),
            Part::Literal(_) => None,
        })
    }

    /// Whether the template starts with a `url_path` value (which always renders a `/...` path).
    pub(crate) fn starts_with_url_path(&self) -> bool {
        matches!(self.parts.first(), Some(Part::Value { filter: Some(Filter::UrlPath), .. }))
    }

    /// Whether the template has no values (a constant).
    pub(crate) fn is_constant(&self) -> bool {
        self.names().next().is_none()
    }

    /// Renders with `values`; in a URL (`in_url`), plain values are percent-encoded.
    pub(crate) fn render(&self, values: &Values, in_url: bool) -> Result<String, RenderError> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Value { name, filter } => {
                    let value =
                        values.get(name).ok_or_else(|| RenderError::Missing(name.clone()))?;
                    let filter = filter.or(in_url.then_some(Filter::UrlValue));
                    out.push_str(&apply(filter, name, value)?);
                }
            }
        }
        Ok(out)
    }
}

fn parse_value(inner: &str) -> Result<Part, String> {
    let mut pieces = inner.split('|').map(str::trim);
    let name = pieces.next().unwrap_or_default();
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(format!("bad value name {name:?}"));
    }
    let filter = match pieces.next() {
        None => None,
        Some("urlencode") => Some(Filter::UrlEncode),
        Some("url_path") => Some(Filter::UrlPath),
        Some("json") => Some(Filter::Json),
        Some(other) => return Err(format!("unknown filter {other:?}")),
    };
    if pieces.next().is_some() {
        return Err(format!("one filter at most in {{{{{inner}}}}}"));
    }
    Ok(Part::Value { name: name.to_string(), filter })
}

fn apply(filter: Option<Filter>, name: &str, value: &str) -> Result<String, RenderError> {
    Ok(match filter {
        None => value.to_string(),
        Some(Filter::UrlEncode) => percent_encode(value),
        Some(Filter::UrlValue) => percent_encode(value).replace("%3A", ":").replace("%40", "@"),
        Some(Filter::Json) => {
            let quoted = serde_json::Value::from(value).to_string();
            quoted[1..quoted.len() - 1].to_string()
        }
        Some(Filter::UrlPath) => {
            url_path(value).ok_or_else(|| RenderError::NotAUrl(name.to_string()))?
        }
    })
}

/// Percent-encodes every byte but RFC 3986 unreserved characters.
pub(crate) fn percent_encode(value: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(value.len());
    for &b in value.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The path and query of an `http(s)://` URL, if they hold only plain URL characters.
fn url_path(value: &str) -> Option<String> {
    let rest = value.strip_prefix("https://").or_else(|| value.strip_prefix("http://"))?;
    let path = &rest[rest.find('/')?..];
    let plain = path.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-._~:=&?%".contains(&b));
    (plain && !path.starts_with("//") && !path.contains("/../")).then(|| path.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> Values {
        pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect()
    }

    #[test]
    fn renders_values_and_filters() {
        let t = Template::parse("Bearer {{secret}} for {{ id | urlencode }}").unwrap();
        let v = values(&[("secret", "abc"), ("id", "a b/c")]);
        assert_eq!(t.render(&v, false).unwrap(), "Bearer abc for a%20b%2Fc");
        assert_eq!(t.names().collect::<Vec<_>>(), ["secret", "id"]);
    }

    #[test]
    fn values_in_urls_are_encoded_unless_filtered() {
        let t = Template::parse("/bot{{secret}}/getMe").unwrap();
        let v = values(&[("secret", "123:AA/x?y")]);
        assert_eq!(t.render(&v, true).unwrap(), "/bot123:AA%2Fx%3Fy/getMe");
    }

    #[test]
    fn url_path_keeps_only_the_path_of_the_found_url() {
        let t = Template::parse("{{secret | url_path}}").unwrap();
        let v = values(&[("secret", "https://evil.example/api/webhooks/1/abc")]);
        assert_eq!(t.render(&v, true).unwrap(), "/api/webhooks/1/abc");
        let v = values(&[("secret", "https://x.example//other.example/a")]);
        assert!(t.render(&v, true).is_err());
        let v = values(&[("secret", "not a url")]);
        assert_eq!(t.render(&v, true), Err(RenderError::NotAUrl("secret".into())));
    }

    #[test]
    fn json_filter_escapes_quotes() {
        let t = Template::parse(r#"{"key":"{{secret|json}}"}"#).unwrap();
        let v = values(&[("secret", "a\"b")]);
        assert_eq!(t.render(&v, false).unwrap(), r#"{"key":"a\"b"}"#);
    }

    #[test]
    fn bad_templates_are_load_errors() {
        assert!(Template::parse("{{secret").is_err());
        assert!(Template::parse("{{se cret}}").is_err());
        assert!(Template::parse("{{secret|base64}}").is_err());
        assert!(Template::parse("x}}").is_err());
    }

    #[test]
    fn a_missing_value_is_named_not_shown() {
        let t = Template::parse("{{account_sid}}").unwrap();
        let err = t.render(&values(&[("secret", "s3cr3t")]), false).unwrap_err();
        assert_eq!(err.to_string(), "no value for `account_sid`");
    }
}
