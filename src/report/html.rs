//! The HTML report (`-f html`): one self-contained file a team can open offline.
//!
//! The page is a fixed shell, its stylesheet and script (`html/report.css`, `html/report.js`,
//! embedded at build time), and the report's data: exactly the JSON report's document, in a
//! `<script type="application/json">` block the browser never executes (each rule's revocation steps
//! and references once, in a `rules` map, instead of once per finding). Every `<` in that JSON is
//! written `\u003c`, so no value (a path, an author, a ref name) can close the block; the script
//! builds the page with `textContent` and `createElement` only, never markup from data, so a
//! hostile file name or commit author stays text.
//!
//! A strict Content-Security-Policy in a `<meta>` tag allows only the embedded script and
//! stylesheet, by their SHA-256 hashes (computed here, so editing either file cannot leave a stale
//! hash), and nothing from the network: no fetch, image, font, frame or form target. Secrets are
//! whatever the JSON report holds: redacted unless `--show-secrets`.

use std::io::{self, Write};

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::{Emitter, ReportContext, json};

/// Writes the HTML report.
#[derive(Debug)]
pub(super) struct HtmlEmitter;

const STYLE: &str = include_str!("html/report.css");
const SCRIPT: &str = include_str!("html/report.js");

/// `'sha256-…'` for a CSP source list.
fn csp_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest))
}

/// The policy: nothing but the embedded script and stylesheet.
pub(super) fn content_security_policy() -> String {
    format!(
        "default-src 'none'; script-src {}; style-src {}; img-src 'none'; connect-src 'none'; \
         base-uri 'none'; form-action 'none'",
        csp_hash(SCRIPT),
        csp_hash(STYLE)
    )
}

/// JSON that is safe inside a `<script>` element: `<` (so no `</script>` or `<!--`), `>` and
/// `&` become `\u` escapes, which JSON reads back as the same characters.
fn script_safe_json(value: &impl serde::Serialize) -> io::Result<String> {
    let text = serde_json::to_string(value)?;
    Ok(text.replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026"))
}

/// The JSON report's document, with each rule's revocation steps and references moved out of
/// its findings into one `rules` map (at 10,000 findings of one rule that is most of the file).
fn page_data(cx: &ReportContext<'_>) -> io::Result<serde_json::Value> {
    let mut data = serde_json::to_value(json::document(cx))?;
    let mut rules = serde_json::Map::new();
    for list in ["findings", "suppressed"] {
        let Some(findings) = data.get_mut(list).and_then(serde_json::Value::as_array_mut) else {
            continue;
        };
        for finding in findings.iter_mut().filter_map(serde_json::Value::as_object_mut) {
            let id = finding
                .get("rule_id")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_string();
            let revoke = finding.remove("revoke").unwrap_or_default();
            let references = finding.remove("references").unwrap_or_default();
            rules
                .entry(id)
                .or_insert_with(|| serde_json::json!({"revoke": revoke, "references": references}));
        }
    }
    data["rules"] = serde_json::Value::Object(rules);
    Ok(data)
}

impl Emitter for HtmlEmitter {
    fn emit(&self, cx: &ReportContext<'_>, out: &mut dyn Write) -> io::Result<()> {
        let data = script_safe_json(&page_data(cx)?)?;
        write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n\
             <meta name=\"referrer\" content=\"no-referrer\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>leakhound report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
             <noscript><p>This report is drawn by its embedded script; its data is the JSON in \
             the element with id <code>leakhound-data</code>.</p></noscript>\n\
             <main id=\"app\"></main>\n\
             <script type=\"application/json\" id=\"leakhound-data\">{data}</script>\n\
             <script>{SCRIPT}</script>\n</body>\n</html>\n",
            csp = content_security_policy(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_json_cannot_close_its_script_element() {
        let text = script_safe_json(&"</script><script>alert(1)</script> & <!--").unwrap();
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'), "{text}");
        let back: String = serde_json::from_str(&text).unwrap();
        assert_eq!(back, "</script><script>alert(1)</script> & <!--");
    }

    #[test]
    fn the_policy_allows_only_the_embedded_script_and_style() {
        let csp = content_security_policy();
        assert!(csp.starts_with("default-src 'none'; "), "{csp}");
        assert!(csp.contains(&format!("script-src {};", csp_hash(SCRIPT))), "{csp}");
        assert!(!csp.contains("unsafe") && !csp.contains("http"), "{csp}");
    }
}
