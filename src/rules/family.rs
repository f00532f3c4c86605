//! The provider table: one row per credential, expanded into an ordinary [`RuleSpec`] at load.
//!
//! Most keys of hosted services have no prefix of their own; the only sign that a value is a Foo
//! key is the name `foo` in the variable, header or field it is assigned to, plus the value's exact
//! length and alphabet. Writing each of those as a hand-made regex repeats the same assignment
//! syntax hundreds of times, with small drifts. A row names the provider's keywords and the value's
//! shape instead; [`expand`] writes the regex, the keywords and a default entropy floor, so every
//! row of the table matches the same assignment forms and is proven by the same `rules check` (its
//! examples and negative examples are the row's own). A row with a literal `prefix` and no `names`
//! is a token-format rule (`pat_` + 40 alphanumerics) written the same short way.
//!
//! The row format is documented in `rules/README.md` ("Provider table"). This module owns only
//! the translation; validation of the resulting rule is the same as for a hand-written one
//! ([`super::RuleSet::compile`]), so a row can never be looser than a rule.

use super::syntax::{Alphabet, Confidence, FamilySpec, Keyword, RuleSpec, Severity};

/// The words a name-keyed row accepts at the end of the variable name when it lists none.
pub(crate) const DEFAULT_WORDS: &[&str] = &["key", "token", "secret", "access", "private", "auth"];

/// How many lines below a provider's name a named row looks for the key (see [`assignment`]).
const LINES_BELOW_NAME: u32 = 2;

impl Alphabet {
    /// The character-class body (without brackets).
    fn class(self) -> &'static str {
        match self {
            Alphabet::Digits => "0-9",
            Alphabet::Hex => "0-9a-f",
            Alphabet::HexUpper => "0-9A-F",
            Alphabet::HexAnyCase => "0-9a-fA-F",
            Alphabet::Alnum => "A-Za-z0-9",
            Alphabet::AlnumLower => "a-z0-9",
            Alphabet::AlnumUpper => "A-Z0-9",
            Alphabet::Base32 => "A-Z2-7",
            Alphabet::Base64 => "A-Za-z0-9+/",
            Alphabet::Base64url => "A-Za-z0-9_-",
        }
    }

    /// How many symbols a random value draws from.
    fn size(self) -> f64 {
        match self {
            Alphabet::Digits => 10.0,
            Alphabet::Hex | Alphabet::HexUpper | Alphabet::HexAnyCase => 16.0,
            Alphabet::Base32 => 32.0,
            Alphabet::AlnumLower | Alphabet::AlnumUpper => 36.0,
            Alphabet::Alnum => 62.0,
            Alphabet::Base64 | Alphabet::Base64url => 64.0,
        }
    }

    /// Characters that may follow the value without extending it: none of the class, and for
    /// base64 no `=` either (its padding is matched separately). A value of an alphabet narrower
    /// than letters and digits may not be followed by a letter or digit either: 32 hex digits
    /// glued to `kmajpm4h...` are the head of a longer token, not a hex key.
    fn stop(self) -> String {
        match self {
            Alphabet::Base64 => format!("[^{}=]", self.class()),
            Alphabet::Base64url => format!("[^{}]", self.class()),
            _ => "[^A-Za-z0-9]".to_string(),
        }
    }
}

/// The entropy floor for random values of this alphabet and (minimum) length, about 0.15 bit
/// under the 0.1st percentile of random values; `None` under 20 characters, where the spread of
/// random values is too wide for a floor to separate them from words.
///
/// The estimate is `0.83 * log2(D) - 0.45`, with `D` the expected number of distinct symbols in
/// `length` draws; the constants were fitted on 20,000 random values for each of 10, 16, 32, 36,
/// 62 and 64 symbols at lengths 20 to 100.
pub(crate) fn default_entropy(alphabet: Alphabet, length: u32) -> Option<f64> {
    if length < 20 {
        return None;
    }
    let size = alphabet.size();
    let distinct = size * (1.0 - (1.0 - 1.0 / size).powf(f64::from(length)));
    let floor = 0.83 * distinct.log2() - 0.45;
    Some((floor * 10.0).floor() / 10.0)
}

/// Turns a row into the rule it stands for; `Err` says what is wrong with the row.
pub(crate) fn expand(row: FamilySpec) -> Result<RuleSpec, String> {
    validate(&row)?;
    let pattern = pattern(&row);
    let keywords = keywords(&row);
    let confidence = row.confidence.unwrap_or(if row.names.is_empty() {
        Confidence::High
    } else {
        Confidence::Medium
    });
    Ok(RuleSpec {
        min_entropy: row.min_entropy.or_else(|| default_entropy(row.alphabet, row.length)),
        id: row.id,
        name: row.name,
        provider: row.provider,
        kind: row.kind,
        keywords,
        prefilter: None,
        pattern,
        lines_before: 0,
        lines_after: if row.names.is_empty() { 0 } else { LINES_BELOW_NAME },
        checks: row.checks,
        confidence,
        severity: row.severity.unwrap_or(Severity::High),
        references: row.references,
        revoke: row.revoke,
        examples: row.examples,
        negative_examples: row.negative_examples,
    })
}

fn validate(row: &FamilySpec) -> Result<(), String> {
    let prefix_len = row.prefix.as_deref().map_or(0, str::len);
    if row.names.is_empty() && prefix_len < 3 {
        return Err(
            "a provider-table row needs `names`, or a `prefix` of at least 3 characters".into()
        );
    }
    if row.length == 0 || row.max_length.is_some_and(|max| max < row.length) {
        return Err("`length` must be positive and `max_length` at least `length`".into());
    }
    if let Some(bad) = row.names.iter().chain(&row.words).find(|w| !is_name(w)) {
        return Err(format!("name or word {bad:?} must be ASCII letters, digits, `_`, `-` or `.`"));
    }
    if row.prefix.as_deref().is_some_and(|p| !p.is_ascii() || p.chars().any(char::is_whitespace)) {
        return Err("`prefix` must be ASCII without spaces".into());
    }
    Ok(())
}

fn is_name(word: &str) -> bool {
    word.len() >= 2
        && word.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// The provider names when the row has them (a name is rarer in text than a short value prefix
/// such as `key-` or `pk_`, so it makes the cheaper prefilter), else the value prefix.
fn keywords(row: &FamilySpec) -> Vec<Keyword> {
    if row.names.is_empty() {
        row.prefix.iter().map(|p| Keyword::new(p.to_ascii_lowercase())).collect()
    } else {
        row.names.iter().map(|n| Keyword::new(n.to_ascii_lowercase())).collect()
    }
}

/// `CONTEXT (?P<secret>PREFIX[CLASS]{n,m}) STOP`, where CONTEXT is a provider-named assignment
/// (or, for a token-format row, a word boundary) and STOP keeps the value from being a piece of
/// a longer run.
fn pattern(row: &FamilySpec) -> String {
    let prefix = row.prefix.as_deref().map(regex_syntax::escape).unwrap_or_default();
    let class = row.alphabet.class();
    let count = match row.max_length {
        Some(max) if max != row.length => format!("{{{},{max}}}", row.length),
        _ => format!("{{{}}}", row.length),
    };
    let padding = if row.alphabet == Alphabet::Base64 { "={0,2}" } else { "" };
    let context = if row.names.is_empty() { token_boundary(row) } else { assignment(row) };
    format!(
        "{context}(?P<secret>{prefix}[{class}]{count}{padding})(?:{}|(?m:$))",
        row.alphabet.stop()
    )
}

/// Before a token-format value: a word boundary when the prefix starts with a word character.
fn token_boundary(row: &FamilySpec) -> String {
    let starts_with_word = row
        .prefix
        .as_deref()
        .and_then(|p| p.bytes().next())
        .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
    if starts_with_word { r"\b".into() } else { String::new() }
}

/// The shortest value taken after the provider's name alone at a line's start (`foo VALUE`).
const BARE_VALUE_MIN_LENGTH: u32 = 20;

/// `NAME[\w. \t-]{0,24}?WORD` then a separator, with optional quotes around the key and the
/// value: `FOO_API_KEY=`, `"fooToken": "`, `X-Foo-Key: `, `("X-Foo-Key", "`, `Foo API key: `,
/// `foo token VALUE`, `foo token - VALUE`, `your Foo key is VALUE`, and an optional `Bearer `
/// before the value. The
/// name may also stand up to two lines above the key (a section or parent key: `[foo]` then
/// `api_key = `, `foo:` then `  token: `, a log line naming the service then `KEY=`), as a word
/// of its own there (not the tail of another word: `s0foo@x`), so a named row's window takes
/// [`LINES_BELOW_NAME`] lines after the name. The lines between are unbounded repetitions
/// (`[^\n]*`), not counted ones (`{0,80}`): the window already bounds them, and a counted
/// repetition unrolls into one automaton state per count, which the regex engine's lazy DFA
/// then builds states for. Measured on moby's tree: 12% less time in regexes, the same findings.
///
/// Four more layouts name the provider without a key word after the name:
/// - the name is the whole key, as a word of its own, followed by an assignment operator (not
///   bare whitespace, so prose does not match): `foo: "VALUE"`, `fooApp := "VALUE"`,
///   `"foo": "VALUE"`;
/// - the name as a word of its own, then blanks and a quote opening the value: `foo 'VALUE'`
///   (a list of names and quoted values; prose rarely quotes a value of the exact shape);
/// - for a value of 20 or more characters (which an entropy floor guards), the name alone at the
///   start of a line, then blanks and the bare value: `foo VALUE` (a notes file listing
///   credentials one per line); mid-line (`the foo said VALUE`) it stays prose;
/// - the name is in a URL's host and the value is a query parameter ending in `key` or `token`
///   (or in one of the row's own words): `https://api.foo.com/v1/users?key=VALUE`,
///   `...?format=json&api_token=VALUE`.
fn assignment(row: &FamilySpec) -> String {
    let join = |words: &mut dyn Iterator<Item = &str>| {
        words.map(regex_syntax::escape).collect::<Vec<_>>().join("|")
    };
    let names = join(&mut row.names.iter().map(String::as_str));
    let words = if row.words.is_empty() {
        join(&mut DEFAULT_WORDS.iter().copied())
    } else {
        join(&mut row.words.iter().map(String::as_str))
    };
    let near = r"[\w. \t-]{0,24}?";
    // The optional middle line is lazy (`??`): the key on the very next line is taken first, so
    // a name line followed by two keyed lines yields both keys, not only the second.
    let above = r"[^\n]*\n(?:[^\n]*\n)??[^\n]*?";
    // A space may pad the value inside its quotes (`token = ' VALUE '`).
    let separator = r#"["']?(?:\s*(?::=|=>|[:=,])\s*|[ \t]+(?:(?:is|-)[ \t]+)?)(?:["'][ \t]?)?(?:bearer[ \t]+)?"#;
    let operator = r#"(?:["']?\s*(?::=|=>|[:=])\s*["']?|[ \t]+["'])(?:bearer[ \t]+)?"#;
    let query = r#"\.[a-z0-9.-]*/[^\s"'?#<>]*\?(?:[^\s"'#<>]*&)?[\w-]*?"#;
    // A query parameter is a key or a token (`key=`, `api_key=`, `access_token=`) unless the row
    // names its words: `client_secret=` and the like belong to the provider's own OAuth rules.
    let params = if row.words.is_empty() { "key|token".to_string() } else { words.clone() };
    // The name alone at a line's start before a bare value: one more alternative, only for
    // values long enough that their entropy floor keeps prose out.
    let line_start = if row.length >= BARE_VALUE_MIN_LENGTH {
        format!(r"|(?m:^)[ \t]*(?:{names})[ \t]+")
    } else {
        String::new()
    };
    format!(
        r"(?i:(?:(?:{names}){near}|\b(?:{names}){above})(?:{words}){separator}|\b(?:{names}){operator}|\b(?:{names}){query}(?:{params})={line_start})"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::syntax::Kind;

    fn row(yaml: &str) -> FamilySpec {
        serde_saphyr::from_str(yaml).unwrap()
    }

    const NAMED: &str = "
id: demo.api-key
name: Demo API key
provider: Demo
names: [demo, demoapp]
alphabet: hex
length: 32
";

    fn regex_of(spec: &RuleSpec) -> regex::Regex {
        regex::Regex::new(&spec.pattern).unwrap()
    }

    fn secret<'a>(spec: &RuleSpec, text: &'a str) -> Option<&'a str> {
        regex_of(spec).captures(text).and_then(|c| c.name("secret")).map(|m| m.as_str())
    }

    #[test]
    fn a_named_row_matches_provider_named_assignments_of_the_exact_shape() {
        let spec = expand(row(NAMED)).unwrap();
        let key = "0f3a9c1d2e4b5a6978d0c1b2a3f4e5d6";
        for line in [
            format!("DEMO_API_KEY={key}"),
            format!("demoapp_token: \"{key}\""),
            format!("{{\"demoSecret\": \"{key}\"}}"),
            format!("X-Demo-Key: {key}"),
            format!("demo.access_token := '{key}'"),
            format!("req.Header.Set(\"X-Demo-Key\", \"{key}\")"),
            format!("[DEBUG] using demo KEY={key}"),
            format!("Demo API token: Bearer {key}"),
            format!("demo token {key}"),
            format!("demo token - '{key}'"),
            format!("demo token = ' {key} '"),
            format!("DEMO ACCESS {key}"),
            format!("demo_auth = {key}"),
            format!("Your Demo key is {key}, keep it safe"),
            format!("[demo]\nregion = eu\napi_key = {key}"),
            format!("demo:\n  token: \"{key}\""),
        ] {
            assert_eq!(secret(&spec, &line), Some(key), "{line}");
        }
        assert_eq!(spec.lines_after, LINES_BELOW_NAME);
    }

    #[test]
    fn the_name_alone_as_the_key_or_a_url_host_with_the_key_in_its_query_is_named() {
        let spec = expand(row(NAMED)).unwrap();
        let key = "0f3a9c1d2e4b5a6978d0c1b2a3f4e5d6";
        for line in [
            format!("demo: \"{key}\""),
            format!("  demoApp := \"{key}\""),
            format!("{{\"demo\": \"{key}\"}}"),
            format!("demo = '{key}'"),
            format!("demo '{key}' demo 'eu.demo.com'"),
            format!("demoapp \"{key}\""),
            format!("url := \"https://api.demo.com/v1/users?key={key}\""),
            format!("base_url: https://eu.demoapp.io/v2/x?format=json&api_token={key}&page=2"),
        ] {
            assert_eq!(secret(&spec, &line), Some(key), "{line}");
        }
        for line in [format!("demo {key}"), format!("\t\tdemoapp {key} region eu")] {
            assert_eq!(secret(&spec, &line), Some(key), "{line}");
        }
        let short = expand(row(&NAMED.replace("32", "16"))).unwrap();
        assert_eq!(secret(&short, "demo 0f3a9c1d2e4b5a69"), None);
        for line in [
            format!("the demo said {key}"),
            format!("x demo {key}"),
            format!("the demo said '{key}x'"),
            format!("x0demo '{key}'"),
            format!("x0demo: \"{key}\""),
            format!("demo_url: \"{key}\""),
            format!("https://api.demo.com/v1/files/{key}"),
            format!("https://api.demo.com/v1/users?id={key}"),
            format!("https://api.example.com/?key={key}&via=demo"),
            format!("https://api.demo.com/oauth2/token?client_secret={key}"),
        ] {
            assert_eq!(secret(&spec, &line), None, "{line}");
        }
    }

    #[test]
    fn a_key_on_the_next_line_is_not_skipped_for_one_two_lines_below() {
        let spec = expand(row(NAMED)).unwrap();
        let (first, second) =
            ("0f3a9c1d2e4b5a6978d0c1b2a3f4e5d6", "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b");
        let text = format!("demo token - 'short'\ndemo token - '{first}'\ndemo token - '{second}'");
        let found: Vec<&str> = regex_of(&spec)
            .captures_iter(&text)
            .filter_map(|c| c.name("secret"))
            .map(|m| m.as_str())
            .collect();
        assert_eq!(found, [first, second]);
    }

    #[test]
    fn a_name_three_lines_above_or_a_sentence_away_is_not_the_key_name() {
        let spec = expand(row(NAMED)).unwrap();
        let key = "0f3a9c1d2e4b5a6978d0c1b2a3f4e5d6";
        for line in [
            format!("[demo]\na = 1\nb = 2\napi_key = {key}"),
            format!("demo is the service we call through a proxy; key {key}"),
            format!("demo key_id {key}"),
            "demo key 0f3a9c1d2e4b5a6978d0c1b2a3f4e5d6aa".to_string(),
            format!("email: \"x0demo@example.org\"\ntoken: {key}"),
        ] {
            assert_eq!(secret(&spec, &line), None, "{line}");
        }
    }

    #[test]
    fn a_named_row_rejects_other_names_lengths_and_alphabets() {
        let spec = expand(row(NAMED)).unwrap();
        for line in [
            "API_KEY=0f3a9c1d2e4b5a6978d0c1b2a3f4e5d6",
            "DEMO_API_KEY=0f3a9c1d2e4b5a6978d0c1b2a3f4e5d6aa",
            "DEMO_API_KEY=0f3a9c1d2e4b5a6978d0c1b2a3f4e5",
            "DEMO_API_KEY=0F3A9C1D2E4B5A6978D0C1B2A3F4E5D6",
            "DEMO_KEY_URL=0f3a9c1d2e4b5a6978d0c1b2a3f4e5d6",
            "DEMO_API_KEY=0f3a9c1d2e4b5a6978d0c1b2a3f4e5d6kmajpm4h1pqoqxyo",
            "DEMO_API_KEY=0f3a9c1d2e4b5a6978d0c1b2a3f4e5d6Z",
        ] {
            assert_eq!(secret(&spec, line), None, "{line}");
        }
    }

    #[test]
    fn a_named_row_gets_its_names_as_keywords_medium_confidence_and_a_derived_floor() {
        let spec = expand(row(NAMED)).unwrap();
        let keywords: Vec<&str> = spec.keywords.iter().map(Keyword::as_str).collect();
        assert_eq!(keywords, ["demo", "demoapp"]);
        assert_eq!(spec.confidence, Confidence::Medium);
        assert_eq!(spec.severity, Severity::High);
        assert_eq!(spec.kind, Kind::ApiKey);
        assert_eq!(spec.min_entropy, default_entropy(Alphabet::Hex, 32));
    }

    #[test]
    fn a_prefix_row_is_a_token_format_rule_keyed_by_its_prefix() {
        let spec = expand(row("
id: demo.pat
name: Demo personal access token
provider: Demo
kind: token
prefix: dmo_pat_
alphabet: alnum
length: 20
max_length: 24
"))
        .unwrap();
        assert_eq!(spec.keywords, [Keyword::new("dmo_pat_")]);
        assert_eq!(spec.confidence, Confidence::High);
        assert_eq!(
            secret(&spec, "x = dmo_pat_Ab3dEf6hIj9lMn2pQr5t;"),
            Some("dmo_pat_Ab3dEf6hIj9lMn2pQr5t")
        );
        assert_eq!(secret(&spec, "x = mydmo_pat_Ab3dEf6hIj9lMn2pQr5t"), None);
        assert_eq!(
            secret(&spec, "dmo_pat_Ab3dEf6hIj9lMn2pQr5tUvWxYz"),
            None,
            "longer than max_length"
        );
    }

    #[test]
    fn base64_values_take_their_padding_and_stop_before_more_base64() {
        let spec = expand(row("
id: demo.secret
name: Demo secret
provider: Demo
names: [demo]
alphabet: base64
length: 42
"))
        .unwrap();
        let value = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaW=";
        assert_eq!(secret(&spec, &format!("DEMO_SECRET={value}")), Some(value));
        assert_eq!(secret(&spec, &format!("DEMO_SECRET={value}==x")), None);
    }

    #[test]
    fn bad_rows_are_refused_with_a_reason() {
        let no_context = NAMED.replace("names: [demo, demoapp]", "prefix: ab");
        assert!(expand(row(&no_context)).unwrap_err().contains("names"));
        let bad_len = NAMED.replace("length: 32", "length: 32\nmax_length: 8");
        assert!(expand(row(&bad_len)).unwrap_err().contains("max_length"));
        let regex_name = NAMED.replace("[demo, demoapp]", "['de(mo']");
        assert!(expand(row(&regex_name)).unwrap_err().contains("de(mo"));
    }

    #[test]
    fn names_and_prefixes_are_literals_not_regex() {
        let spec = expand(row("
id: demo.dot
name: Demo
provider: Demo
prefix: a.b+c
alphabet: digits
length: 4
"))
        .unwrap();
        assert_eq!(secret(&spec, "a.b+c1234"), Some("a.b+c1234"));
        assert_eq!(secret(&spec, "axbbc1234"), None);
    }

    #[test]
    fn the_default_floor_sits_under_random_values_and_is_absent_for_short_ones() {
        assert_eq!(default_entropy(Alphabet::Alnum, 16), None);
        let hex32 = default_entropy(Alphabet::Hex, 32).unwrap();
        assert!((2.6..3.0).contains(&hex32), "{hex32}");
        let alnum32 = default_entropy(Alphabet::Alnum, 32).unwrap();
        assert!((3.2..3.9).contains(&alnum32), "{alnum32}");
    }
}
