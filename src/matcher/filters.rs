//! Global filters: values that look like secrets but are not.
//!
//! [`is_placeholder`] applies to every rule (documentation values, templates, environment
//! lookups, masked values). [`is_common_shape`] applies to generic rules only, because provider
//! formats legitimately look like UUIDs or hex (DESIGN.md §3, step 3).

/// Symbol sequences that never occur in a generated credential: templates, masks, markup.
const SYMBOL_MARKERS: &[&str] = &["${", "{{", "}}", "$(", "%(", "#{", "<", ">", "****", "....", "xxxx", "XXXX"];

/// Words that mark a placeholder when they stand as a word inside the value (`your_api_key`,
/// `my-example-token`, `myFakeToken`), never when they are letters inside a random string: a
/// 40-character random token contains `todo` or `fake` often enough to matter.
const WORD_MARKERS: &[&str] = &[
    "example",
    "changeme",
    "placeholder",
    "dummy",
    "redacted",
    "fake",
    "sample",
    "your",
    "todo",
    "fixme",
    "lorem",
    "replace",
    "replaceme",
    "insert",
    "here",
    "notreal",
    "process.env",
    "os.environ",
    "getenv",
    "secrets.",
    "vault:",
    "env[",
    "env(",
];

/// Words that mark a placeholder in the value of a generic rule (`my_secret_here`,
/// `test-token`), but are part of real provider formats (`sb_secret_...`).
const GENERIC_WORD_MARKERS: &[&str] = &["password", "passwd", "secret", "token"];

/// Whole values that are placeholders (compared lowercase).
const PLACEHOLDER_VALUES: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "api_key",
    "api-key",
    "key",
    "null",
    "none",
    "nil",
    "true",
    "false",
    "undefined",
    "string",
    "required",
    "optional",
    "empty",
    "test",
    "testing",
    "admin",
    "root",
    "user",
    "username",
    "default",
    "value",
    "xxx",
    "abc123",
    "123456",
    "12345678",
    "123456789",
    "1234567890",
    "qwerty",
    "letmein",
    "pass",
    "secret123",
    "password123",
    "p@ssw0rd",
    "hunter2",
    "correcthorsebatterystaple",
    "tr0ub4dor&3",
    "s3cr3t",
    // Documentation values published by providers.
    "sk_test_4ec39hqlyjwdarjtt1zdp7dc",
    "wjalrxutnfemi/k7mdeng/bpxrficyexamplekey",
];

/// Whether the value of a generic rule is a placeholder: [`is_placeholder`], or a value built
/// around a word like `secret` or `password`.
pub fn is_generic_placeholder(secret: &[u8]) -> bool {
    let text = String::from_utf8_lossy(secret);
    let lower = text.to_ascii_lowercase();
    is_placeholder(secret) || GENERIC_WORD_MARKERS.iter().any(|m| has_word(&text, &lower, m))
}

/// Whether a value is a placeholder, template, lookup or masked value rather than a credential.
pub fn is_placeholder(secret: &[u8]) -> bool {
    let text = String::from_utf8_lossy(secret);
    let lower = text.to_ascii_lowercase();
    PLACEHOLDER_VALUES.contains(&lower.as_str())
        || SYMBOL_MARKERS.iter().any(|m| text.contains(m))
        || WORD_MARKERS.iter().any(|m| has_word(&text, &lower, m))
        || is_repetitive(secret)
        || has_long_sequence(lower.as_bytes())
}

/// Whether `word` occurs in `text` as a word: at an edge of the value, next to a non-alphanumeric
/// character, or starting with a capital inside camelCase.
fn has_word(text: &str, lower: &str, word: &str) -> bool {
    let bytes = text.as_bytes();
    lower.match_indices(word).any(|(at, _)| {
        let end = at + word.len();
        let before_is_edge = at == 0 || !bytes[at - 1].is_ascii_alphanumeric();
        let after_is_edge = end == bytes.len() || !bytes[end].is_ascii_alphanumeric();
        let camel = bytes[at].is_ascii_uppercase()
            && at > 0
            && bytes[at - 1].is_ascii_lowercase()
            && (end == bytes.len() || !bytes[end].is_ascii_lowercase() || bytes[end - 1].is_ascii_lowercase());
        before_is_edge || after_is_edge || camel
    })
}

/// One character repeated, or a short unit repeated, for most of the value (`aaaaaaaa`,
/// `abababab`, `00000000`).
fn is_repetitive(secret: &[u8]) -> bool {
    if secret.len() < 6 {
        return false;
    }
    (1..=3).any(|unit| {
        secret.len() >= unit * 4 && secret.iter().enumerate().skip(unit).all(|(i, b)| *b == secret[i - unit])
    })
}

/// A run of 8+ consecutive ascending characters (`12345678`, `abcdefgh`) marks a made-up value.
fn has_long_sequence(lower: &[u8]) -> bool {
    let mut run = 1;
    for pair in lower.windows(2) {
        if pair[0].is_ascii_alphanumeric() && pair[1] == pair[0].wrapping_add(1) {
            run += 1;
            if run >= 8 {
                return true;
            }
        } else {
            run = 1;
        }
    }
    false
}

/// Whether a value has a common non-secret shape: a hex digest (40, 64 or 128 hex digits), a
/// UUID, a lockfile integrity string, a version number, a path, a number, or a code expression.
pub fn is_common_shape(secret: &[u8]) -> bool {
    let s = String::from_utf8_lossy(secret);
    is_hex_digest(&s)
        || is_uuid(&s)
        || is_integrity(&s)
        || is_version(&s)
        || is_path(&s)
        || s.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
        || is_code_expression(&s)
}

fn is_hex_digest(s: &str) -> bool {
    matches!(s.len(), 40 | 64 | 128) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn is_integrity(s: &str) -> bool {
    ["sha1-", "sha256-", "sha384-", "sha512-"].iter().any(|p| s.starts_with(p))
}

fn is_version(s: &str) -> bool {
    let v = s.strip_prefix('v').unwrap_or(s);
    v.contains('.')
        && v.split(['.', '-', '+']).all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric()))
        && v.bytes().next().is_some_and(|b| b.is_ascii_digit())
        && v.split('.').count() >= 2
        && v.split('.').next().is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

fn is_path(s: &str) -> bool {
    let b = s.as_bytes();
    let drive = b.len() > 2 && b[0].is_ascii_alphabetic() && b[1] == b':' && matches!(b[2], b'/' | b'\\');
    drive || ["/", "./", "../", "~/", "file:"].iter().any(|p| s.starts_with(p))
}

/// `foo.bar(baz)`, `self.secret`, `&pkg.Type{}`, `[]byte{}`: code, not a literal value.
fn is_code_expression(s: &str) -> bool {
    s.starts_with(['&', '*', '[', '{', '('])
        || ["()", "{}", "[]"].iter().any(|p| s.contains(p))
        || s.contains('(')
        || s.contains(')')
        || is_dotted_identifier(s)
}

/// `pkg.Type.Field`, `modapi32.NewProc`: two or more identifier segments joined by dots, one of
/// them capitalised or short (a package alias).
fn is_dotted_identifier(s: &str) -> bool {
    let segments: Vec<&str> = s.split('.').collect();
    segments.len() >= 2
        && segments.iter().all(|seg| {
            seg.len() <= 40
                && seg.bytes().next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
                && seg.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
        && segments.iter().any(|seg| seg.len() <= 3 || seg.bytes().next().is_some_and(|b| b.is_ascii_uppercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_recognised() {
        for value in [
            "your_api_key_here",
            "AKIAIOSFODNN7EXAMPLE",
            "${GITHUB_TOKEN}",
            "{{ secret }}",
            "xxxxxxxxxxxx",
            "changeme",
            "<token>",
            "os.environ['X']",
            "********",
            "abababababab",
            "abcdefghijkl",
            "12345678",
        ] {
            assert!(is_placeholder(value.as_bytes()), "{value} should be a placeholder");
        }
    }

    #[test]
    fn marker_words_count_only_as_words() {
        for value in ["my-example-token", "sk_test_example123", "myFakeToken", "replace_me", "TODO"] {
            assert!(is_placeholder(value.as_bytes()), "{value} should be a placeholder");
        }
        // Random strings that happen to contain the letters of a marker word.
        for value in ["Q7fK2todoZr9XbW4nT1pLs8", "hfakeQ2mZr9XbW4nT1pLs8v", "k9yourW2QpX7rTzL"] {
            assert!(!is_placeholder(value.as_bytes()), "{value} should not be a placeholder");
        }
    }

    #[test]
    fn random_values_are_not_placeholders() {
        for value in ["Q7fK2mZr9XbW4nT1pLs8", "hunter2!Zq", "sk_live_51Hx9kQ2mZr9XbW4nT1pLs8v"] {
            assert!(!is_placeholder(value.as_bytes()), "{value} should not be a placeholder");
        }
    }

    #[test]
    fn common_shapes_are_recognised() {
        for value in [
            "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "123e4567-e89b-12d3-a456-426614174000",
            "sha512-Q7fK2mZr9XbW4nT1pLs8vHc3dJy6aE==",
            "1.2.3",
            "v2.14.0-rc1",
            "/etc/ssl/private/key.pem",
            "20240101",
            "settings.SECRET_KEY",
            "config.get(x)",
            "&swarmapi.Version",
            "[]byte{}",
            "modwtsapi32.NewProc",
            "C:/foo/bar",
        ] {
            assert!(is_common_shape(value.as_bytes()), "{value} should be a common shape");
        }
    }

    #[test]
    fn secrets_are_not_common_shapes() {
        for value in ["Q7fK2mZr9XbW4nT1pLs8", "s3cr3t-P@ss.w0rd!", "d41d8cd98f00b204e9800998ecf8427e"] {
            assert!(!is_common_shape(value.as_bytes()), "{value} should not be a common shape");
        }
    }
}
