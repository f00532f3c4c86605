//! Global filters: values that look like secrets but are not.
//!
//! [`is_placeholder`] applies to every rule (documentation values, templates, environment
//! lookups, masked values). [`is_common_shape`] applies to generic rules only, because provider
//! formats legitimately look like UUIDs or hex (DESIGN.md §3, step 3).

/// Symbol sequences that never occur in a generated credential: templates, masks, markup.
/// Angle brackets and `$(` / `%(` are judged separately ([`has_angle_placeholder`],
/// [`has_substitution`]): generated secrets such as CMS salts and Django keys contain those
/// characters, documentation's `<your-token>` and `$(cat token)` do not look like them.
/// `#{` counts only with a `}` after it ([`has_interpolation`]): generated salts (the keys in a
/// `wp-config.php`) contain a bare `#{` often enough.
const SYMBOL_MARKERS: &[&str] = &["${", "{{", "}}", "****", "....", "xxxx", "XXXX"];

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
    "passw0rd",
    "p4ssw0rd",
    "pa55word",
    "guest",
    "demo",
    // Default or documented passwords of common images and configs.
    "postgres",
    "mysql",
    "foobared",
    "mysecretpassword",
    "anonymous",
    "anonymous@",
    // What Windows System Image Manager writes in place of a hidden answer-file password.
    "*sensitive*data*deleted*",
    // Documentation values published by providers (some rules report only the part after a
    // fixed prefix, so both forms are listed).
    "4ec39hqlyjwdarjtt1zdp7dc",
    "eyjhbgcioijiuzi1niisinr5cci6ikpxvcj9.eyjzdwiioiixmjm0nty3odkwiiwibmftzsi6ikpvag4grg9liiwiawf0ijoxnte2mjm5mdiyfq.sflkxwrjsmekkf2qt4fwpmejf36pok6yjv_adqssw5c",
    // RFC 7617's Basic authentication example, decoded.
    "aladdin:open sesame",
    // Docker's documentation: swarm join tokens and an unlock key.
    "swmtkn-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx",
    "swmtkn-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-7p73s1dx5in4tatdymyhg9hu2",
    "swmkey-1-7c37cc8654o6p38hnroywci19pllongtbdzegtkxzu8",
    "sk_test_4ec39hqlyjwdarjtt1zdp7dc",
    "wjalrxutnfemi/k7mdeng+bpxrficyexamplekey",
    "wjalrxutnfemi/k7mdeng/bpxrficyexamplekey",
    // Values published on purpose: the Google Cloud SDK's installed-app OAuth client secret.
    "d-fl95q19q7mqmfpd7hhd0ty",
    // MongoDB's documented example password (connection-string pages).
    "d1fficultp@ssw0rd",
    "d1fficultp%40ssw0rd",
    // Hex words that stand for a made-up value (Sidekiq's documented `cafebabe:deadbeef`).
    "deadbeef",
    "d3adb33f",
    "cafebabe",
    // The UUID every tutorial and RFC-style example uses.
    "123e4567-e89b-12d3-a456-426614174000",
];

/// Whether a value is a template or a variable reference left for a tool to fill in (`${VAR}`,
/// `{{ var }}`, `<%= ENV[...] %>`, `<password>`, `$(cmd)`, `%VAR%`, `$VAR`), a masked value
/// (`********`), or a fill-in marker (`your_password`, `password_here`). The narrow test for
/// credential files, where a weak or placeholder-looking password is still a password.
pub(crate) fn is_template(secret: &[u8]) -> bool {
    let text = String::from_utf8_lossy(secret);
    let lower = text.to_ascii_lowercase();
    ["${", "{{", "}}", "<%", "%>"].iter().any(|m| text.contains(m))
        || has_interpolation(&text)
        || has_angle_placeholder(&text)
        || has_substitution(&text)
        || is_env_reference(&text)
        || (secret.len() >= 3 && secret.iter().all(|b| b"*xX.#".contains(b)))
        // Anonymous FTP's conventional password: an e-mail-ish marker, not a credential.
        || matches!(lower.as_str(), "anonymous" | "anonymous@" | "guest")
        || ["your_", "your-", "<your"].iter().any(|p| lower.starts_with(p))
        || ["_here", "-here"].iter().any(|p| lower.ends_with(p))
}

/// Whether a value is a setting's type or state rather than any password, even a weak one:
/// `true`, `no`, `null`, `required` (`save-password="true"`, `DB_PASSWORD_REQUIRED=false`).
pub(crate) fn is_non_value(secret: &[u8]) -> bool {
    const WORDS: &[&str] = &[
        "true",
        "false",
        "yes",
        "no",
        "on",
        "off",
        "null",
        "none",
        "nil",
        "undefined",
        "required",
        "optional",
        "string",
        "str",
        "bool",
        "boolean",
        "empty",
        "enabled",
        "disabled",
    ];
    let lower = String::from_utf8_lossy(secret).to_ascii_lowercase();
    WORDS.contains(&lower.as_str())
}

/// Whether the value of a generic rule is a placeholder: [`is_placeholder`], or a value built
/// around a word like `secret` or `password`.
pub(crate) fn is_generic_placeholder(secret: &[u8]) -> bool {
    let text = String::from_utf8_lossy(secret);
    let lower = text.to_ascii_lowercase();
    is_placeholder(secret) || GENERIC_WORD_MARKERS.iter().any(|m| has_word(&text, &lower, m))
}

/// Whether a value is a placeholder, template, lookup or masked value rather than a credential.
/// A value that is base64 of printable text (`dXNlcjpwYXNzd29yZA==`, Kubernetes `data:` values,
/// Docker `auth`) is also judged by what it decodes to.
pub(crate) fn is_placeholder(secret: &[u8]) -> bool {
    is_plain_placeholder(secret)
        || decode_printable_base64(secret).is_some_and(|decoded| {
            // `user:password`: judged by the password (empty, or a placeholder).
            let password = decoded
                .iter()
                .position(|&b| b == b':')
                .map_or(&decoded[..], |at| &decoded[at + 1..]);
            is_plain_placeholder(&decoded) || password.is_empty() || is_plain_placeholder(password)
        })
}

fn is_plain_placeholder(secret: &[u8]) -> bool {
    let text = String::from_utf8_lossy(secret);
    let lower = text.to_ascii_lowercase();
    PLACEHOLDER_VALUES.contains(&lower.as_str())
        || is_choice_list(&lower)
        || SYMBOL_MARKERS.iter().any(|m| text.contains(m))
        || has_interpolation(&text)
        || text.ends_with("...")
        || text.contains('\u{2026}')
        || has_angle_placeholder(&text)
        || has_substitution(&text)
        || is_env_reference(&text)
        || WORD_MARKERS.iter().any(|m| has_word(&text, &lower, m))
        || is_repetitive(secret)
        || has_long_sequence(lower.as_bytes())
}

/// Ruby and CoffeeScript interpolation, `#{name}` / `#{ENV["X"]}`: a `#{` closed by a `}`.
fn has_interpolation(text: &str) -> bool {
    text.find("#{").is_some_and(|at| text[at + 2..].contains('}'))
}

/// `true/false`, `yes|no`, `on/off`: documentation of a setting's allowed values.
fn is_choice_list(lower: &str) -> bool {
    const CHOICES: &[&str] =
        &["true", "false", "yes", "no", "on", "off", "enabled", "disabled", "0", "1"];
    lower.contains(['/', '|']) && lower.split(['/', '|']).all(|part| CHOICES.contains(&part))
}

/// `<token>`, `<your key>`, `</Pass>`, or a value that opens or closes with an angle bracket;
/// a lone `<` or `>` inside random characters (`k<9!Zq>w`) is not a placeholder.
fn has_angle_placeholder(text: &str) -> bool {
    let bytes = text.as_bytes();
    // `<token>`-like edges, and `Option<` / `>x` where a capture ran into code or markup.
    if matches!(bytes.first(), Some(b'<' | b'>')) || matches!(bytes.last(), Some(b'<' | b'>')) {
        return true;
    }
    bytes.iter().enumerate().any(|(i, &b)| {
        b == b'<'
            && bytes[i + 1..].iter().position(|&c| c == b'>').is_some_and(|len| {
                let inner = &bytes[i + 1..i + 1 + len];
                let inner = inner.strip_prefix(b"/").unwrap_or(inner);
                inner.first().is_some_and(u8::is_ascii_alphabetic)
                    && inner.iter().all(|c| c.is_ascii_alphanumeric() || b" _.-".contains(c))
            })
    })
}

/// `$(command ...)`, `$(Build.Var)` (shell, Azure Pipelines) and `%(name)s` (Python formatting).
fn has_substitution(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.windows(2).enumerate().any(|(i, pair)| match pair {
        b"$(" => {
            bytes.get(i + 2).is_some_and(|&b| b.is_ascii_alphabetic() || b == b'_' || b == b' ')
        }
        b"%(" => bytes[i + 2..].iter().position(|&b| b == b')').is_some_and(|len| {
            len > 0
                && bytes[i + 2..i + 2 + len].iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_')
        }),
        _ => false,
    })
}

/// `%FEED_PASSWORD%`, `%env.TOKEN%` (Windows, `TeamCity`, Octopus), `@TOKEN@` (Maven filtering),
/// `$TOKEN` / `$env:TOKEN` (shells, PowerShell): a reference to a variable, not its value.
fn is_env_reference(text: &str) -> bool {
    let ident = |s: &str| {
        !s.is_empty()
            && s.bytes().next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b':')
    };
    let wrapped = |open: char, close: char| {
        text.len() > 2
            && text.starts_with(open)
            && text.ends_with(close)
            && ident(&text[1..text.len() - 1])
    };
    // `$DB_PASSWORD`, `$env:DB_PASSWORD`; a password like `$Summer2024` has lowercase letters.
    let shell = |rest: &str| {
        let name = rest.strip_prefix("env:").unwrap_or(rest);
        ident(name)
            && name.bytes().any(|b| b.is_ascii_uppercase())
            && !name.bytes().any(|b| b.is_ascii_lowercase())
    };
    wrapped('%', '%') || wrapped('@', '@') || text.strip_prefix('$').is_some_and(shell)
}

/// The decoded bytes of a value that is standard or URL-safe base64 (padded or not) of 4 to 96
/// bytes of printable ASCII text that is not JSON; `None` for anything else.
fn decode_printable_base64(secret: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine as _;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

    const INDIFFERENT: GeneralPurposeConfig =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    const STANDARD_ANY: GeneralPurpose =
        GeneralPurpose::new(&base64::alphabet::STANDARD, INDIFFERENT);
    const URL_SAFE_ANY: GeneralPurpose =
        GeneralPurpose::new(&base64::alphabet::URL_SAFE, INDIFFERENT);

    if secret.len() < 8 || secret.len() > 1024 {
        return None;
    }
    let decoded = STANDARD_ANY.decode(secret).or_else(|_| URL_SAFE_ANY.decode(secret)).ok()?;
    // Short credentials only (`user:password`, a Kubernetes value): a decoded JSON document such
    // as a key file is structure, and its words say nothing about whether it is a placeholder.
    (decoded.len() >= 4
        && decoded.len() <= 96
        && !decoded.starts_with(b"{")
        && !decoded.starts_with(b"[")
        && decoded.iter().all(|&b| (0x20..0x7f).contains(&b) || b == b'\n' || b == b'\t'))
    .then_some(decoded)
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
            && (end == bytes.len()
                || !bytes[end].is_ascii_lowercase()
                || bytes[end - 1].is_ascii_lowercase());
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
        secret.len() >= unit * 4
            && secret.iter().enumerate().skip(unit).all(|(i, b)| *b == secret[i - unit])
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
pub(crate) fn is_common_shape(secret: &[u8]) -> bool {
    let s = String::from_utf8_lossy(secret);
    is_hex_digest(&s)
        || is_uuid(&s)
        || is_integrity(&s)
        || is_version(&s)
        || is_path(&s)
        || s.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
        || (is_code_expression(&s) && !is_random_printable(&s))
        || is_publishable_key(&s)
        || is_password_hash(&s)
        || is_ciphertext(&s)
        || is_email(&s)
        || is_terminal_escape(&s)
        || has_bad_checksum(secret)
}

/// `\033[92m`, `\x1b[0m`, `\e[1;31m`, `\u001b[...`: a terminal colour sequence (test scripts'
/// `PASS = '\033[92m'`), not a value.
fn is_terminal_escape(s: &str) -> bool {
    ["\\033[", "\\x1b[", "\\x1B[", "\\e[", "\\u001b[", "\\u001B[", "\u{1b}["]
        .iter()
        .any(|p| s.contains(p))
}

/// `apache@localhost`, `ops@acme.io`: an e-mail address (a sender or contact under a
/// password-ish name such as `$wgPasswordSender`), not a credential.
fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let label =
        |l: &str| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    !local.is_empty()
        && local.bytes().all(|b| b.is_ascii_alphanumeric() || b"._%+-".contains(&b))
        && (domain == "localhost"
            || (domain.contains('.')
                && domain.split('.').all(label)
                && domain.rsplit('.').next().is_some_and(|tld| {
                    tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic())
                })))
}

/// An encrypted value: safe to commit by design, and the reason configuration files hold values
/// under `secret` and `password` names that are not secrets. Ansible Vault, SOPS, Vault transit,
/// Spring Cloud Config `{cipher}`, AWS KMS ciphertext blobs and Bitnami sealed secrets.
fn is_ciphertext(s: &str) -> bool {
    const PREFIXES: &[&str] =
        &["$ANSIBLE_VAULT;", "ENC[", "vault:v", "{cipher}", "-----BEGIN PGP MESSAGE"];
    const KMS_BLOB: &[&str] = &["AQICAH", "AQIBAH", "AQIDAH"];
    const SEALED: &[&str] = &["AgA", "AgB", "AgC", "AgD"];
    // A Fernet token: version byte 0x80 and a timestamp, base64url (`gAAAAA...`), 57+ bytes.
    let fernet = s.starts_with("gAAAAA") && s.len() >= 76;
    fernet
        || PREFIXES.iter().any(|p| s.starts_with(p))
        || (s.len() >= 150 && KMS_BLOB.iter().any(|p| s.starts_with(p)))
        || (s.len() >= 300 && SEALED.iter().any(|p| s.starts_with(p)))
}

/// A password hash (bcrypt, sha-crypt, MD5-crypt, yescrypt, Argon2, Django's PBKDF2, LDAP
/// `{SSHA}`): fixtures and seed data hold them under `password` names; they are not the password.
/// Rules for credential files (htpasswd, shadow) report the whole `user:hash` entry instead.
fn is_password_hash(s: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "$2a$",
        "$2b$",
        "$2y$",
        "$1$",
        "$5$",
        "$6$",
        "$y$",
        "$apr1$",
        "$argon2",
        "$scrypt$",
        "pbkdf2_sha256$",
        "pbkdf2_sha1$",
        "argon2$",
        "bcrypt$",
        "bcrypt_sha256$",
        "scrypt$",
        "{SSHA}",
        "{SHA}",
        "{SSHA512}",
        "{CRYPT}",
        "{PBKDF2}",
    ];
    // An htpasswd-style `user:hash` line under a password name is the hash too.
    // (The htpasswd and shadow rules report such entries: their `credential-file` check skips this
    // shape filter.)
    let hash =
        s.split_once(':').filter(|(user, _)| !user.contains('$')).map_or(s, |(_, hash)| hash);
    PREFIXES.iter().any(|p| hash.starts_with(p)) && hash.len() >= 20
}

/// Keys that are public by design and shipped to browsers and apps: Stripe publishable keys,
/// Mapbox public tokens, Langfuse public keys, Clerk publishable keys.
fn is_publishable_key(s: &str) -> bool {
    ["pk_live_", "pk_test_", "pk.eyJ", "pk-lf-"].iter().any(|p| s.starts_with(p))
}

/// A GitHub (`gh?_`) or npm token whose CRC32 checksum does not verify: a made-up or mistyped
/// value, never a live token, even when a generic rule finds it under a secret-looking name.
fn has_bad_checksum(secret: &[u8]) -> bool {
    let prefixed = [b"ghp_", b"gho_", b"ghu_", b"ghs_", b"ghr_", b"npm_"]
        .iter()
        .any(|p| secret.starts_with(*p));
    prefixed
        && secret.len() == 40
        && secret[4..].iter().all(u8::is_ascii_alphanumeric)
        && !super::checksum::crc32_github(secret)
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
        && v.split(['.', '-', '+'])
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric()))
        && v.bytes().next().is_some_and(|b| b.is_ascii_digit())
        && v.split('.').count() >= 2
        && v.split('.').next().is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

fn is_path(s: &str) -> bool {
    let b = s.as_bytes();
    let drive =
        b.len() > 2 && b[0].is_ascii_alphabetic() && b[1] == b':' && matches!(b[2], b'/' | b'\\');
    (drive || ["/", "./", "../", "~/", "file:"].iter().any(|p| s.starts_with(p)))
        && !is_slash_led_token(s)
}

/// Base64 secrets start with `/` one time in 64: `/qtyIzaHmG7W6Xftugdw27rnEKZgjkRu` is one long
/// mixed-case segment with digits (or `+` / `=`), which no path looks like.
fn is_slash_led_token(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('/') else {
        return false;
    };
    let classes = [
        rest.bytes().any(|b| b.is_ascii_lowercase()),
        rest.bytes().any(|b| b.is_ascii_uppercase()),
        rest.bytes().any(|b| b.is_ascii_digit()),
    ];
    rest.len() >= 20
        && (rest.contains(['+', '=']) || (!rest.contains('/') && classes.iter().all(|&c| c)))
        && !rest.contains('.')
}

/// `foo.bar(baz)`, `self.secret`, `&pkg.Type{}`, `[]byte{}`, a leading format verb
/// (`%s;Timeout=120`): code, not a literal value. A value
/// that starts with `&` or `*` is code only when the rest reads as an expression (`&cfg.Token`),
/// not when it is a password that happens to start with a symbol (`&DQv4&nd?`).
fn is_code_expression(s: &str) -> bool {
    if is_path_expression(s) {
        return true;
    }
    let pointer_expression = s.strip_prefix(['&', '*']).is_some_and(|rest| {
        rest.bytes().next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.:{}()[]".contains(&b))
    });
    pointer_expression
        || is_constant_name(s)
        || is_script_variable(s)
        || is_field_list(s)
        || ["%s", "%v", "%d", "%q"].iter().any(|verb| s.starts_with(verb))
        || s.starts_with(['[', '{', '('])
        || ["()", "{}", "[]"].iter().any(|p| s.contains(p))
        || s.contains('(')
        || s.contains(')')
        || is_dotted_identifier(s)
}

/// Shannon entropy of `bytes` in bits per byte (0 for empty input).
pub(crate) fn shannon_entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let len = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / len;
            -p * p.log2()
        })
        .sum()
}

/// `Q7}v(Lr2...`: a secret drawn from all printable characters, which the code-expression test
/// would take for code because it holds a bracket. Code identifiers repeat letters, so even
/// long expressions stay near 4.5 bits per character; this needs more than 4.8, upper case,
/// lower case, digits and at least four distinct punctuation characters.
fn is_random_printable(s: &str) -> bool {
    let mut punctuation = [false; 128];
    let (mut upper, mut lower, mut digit) = (false, false, false);
    for b in s.bytes() {
        upper |= b.is_ascii_uppercase();
        lower |= b.is_ascii_lowercase();
        digit |= b.is_ascii_digit();
        if b.is_ascii_punctuation() {
            punctuation[usize::from(b)] = true;
        }
    }
    upper
        && lower
        && digit
        && punctuation.iter().filter(|&&p| p).count() >= 4
        && shannon_entropy(s.as_bytes()) > 4.8
}

/// `TIME_MAX`, `DEFAULT_API_TOKEN`: a constant's name (capitals, digits and at least one
/// underscore), assigned where a value was expected.
fn is_constant_name(s: &str) -> bool {
    s.contains('_')
        && s.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
        && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// `$smtp_authpass`, `$pexpiry`: a Perl, PHP or shell variable (lowercase identifier after `$`),
/// a dereference of one (`$cfg->{pass}`), or a URL or path built from one (`$PROTO://...`);
/// `$DB_PASSWORD` is judged by [`is_env_reference`], and passwords that start with `$` carry
/// capitals, digits or symbols (`$Summer2024!`).
fn is_script_variable(s: &str) -> bool {
    s.strip_prefix('$').is_some_and(|name| {
        let ident = name.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count();
        let (head, rest) = name.split_at(ident);
        let lowercase = head.len() >= 3
            && head.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
            && head.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        // `$cfg->{users}`, `$opts{pass}`, `$row[2]`: Perl and PHP dereferences.
        let deref = ident >= 1 && ["->", "{", "["].iter().any(|p| rest.starts_with(p));
        // `$HTTPD_PROTO://user:pw@$HTTPD_DEST`, `$ROOT/etc/pw`: a URL or path built from a variable.
        let built = ident >= 2 && (rest.starts_with("://") || rest.starts_with('/'));
        (lowercase && rest.is_empty()) || deref || built
    })
}

/// `UID:GID:GECOS:directory:shell`, `GID:user_list`: a comment describing a colon-separated file
/// format, not a value (letters and underscores only, two or more fields).
fn is_field_list(s: &str) -> bool {
    s.contains(':')
        && s.split(':').all(|field| {
            !field.is_empty() && field.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_')
        })
}

/// `sys::IORING_FLAGS`, `Config::DEFAULT_TOKEN`, `\\App\\Auth::KEY`: a path in Rust, C++ or PHP.
fn is_path_expression(s: &str) -> bool {
    s.contains("::")
        && s.trim_start_matches("::").split("::").all(|seg| {
            !seg.is_empty()
                && seg.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'\\')
        })
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
        && segments
            .iter()
            .any(|seg| seg.len() <= 3 || seg.bytes().next().is_some_and(|b| b.is_ascii_uppercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_printable_secrets_are_not_code_expressions() {
        let secret = ["Q7}v(Lr2`Xm;9Tz]", "Kp4<Wn8?Hc3|Bd6{Jy1>Fs5"].concat();
        assert!(!is_common_shape(secret.as_bytes()));
        for code in [
            "Base64.getDecoder().decode(System.getenv(",
            "hashlib.sha256(os.urandom(32)).hexdigest()",
            "[]byte(os.Getenv(JWT_SECRET_V2))",
        ] {
            assert!(is_common_shape(code.as_bytes()), "{code}");
        }
    }

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
            "d3adb33f",
        ] {
            assert!(is_placeholder(value.as_bytes()), "{value} should be a placeholder");
        }
    }

    #[test]
    fn marker_words_count_only_as_words() {
        for value in ["my-example-token", "sk_test_example123", "myFakeToken", "replace_me", "TODO"]
        {
            assert!(is_placeholder(value.as_bytes()), "{value} should be a placeholder");
        }
        // Random strings that happen to contain the letters of a marker word.
        for value in ["Q7fK2todoZr9XbW4nT1pLs8", "hfakeQ2mZr9XbW4nT1pLs8v", "k9yourW2QpX7rTzL"] {
            assert!(!is_placeholder(value.as_bytes()), "{value} should not be a placeholder");
        }
    }

    #[test]
    fn random_values_are_not_placeholders() {
        for value in
            ["Q7fK2mZr9XbW4nT1pLs8", "hunter2!Zq", concat!("sk_", "live_51Hx9kQ2mZr9XbW4nT1pLs8v")]
        {
            assert!(!is_placeholder(value.as_bytes()), "{value} should not be a placeholder");
        }
    }

    #[test]
    fn angle_brackets_mark_placeholders_only_around_words() {
        for value in ["<token>", "<your key>", "AKIA<id>", "abc</Pass>", "<x", "key>", "Option<"] {
            assert!(is_placeholder(value.as_bytes()), "{value} should be a placeholder");
        }
        // WordPress-style salts: random printable characters, angle brackets included.
        for value in ["k<9!Zq>w-Lm2#vR8p", "Hj3<,9kQ|m}>X2^Lp", "p>x7<2Ab"] {
            assert!(!is_placeholder(value.as_bytes()), "{value} should not be a placeholder");
        }
    }

    #[test]
    fn substitutions_are_placeholders_but_symbols_in_keys_are_not() {
        for value in ["$(cat /run/secrets/db)", "$(Build.Token)", "%(password)s", "x$( date)"] {
            assert!(is_placeholder(value.as_bytes()), "{value} should be a placeholder");
        }
        // Django-style random keys: `$(` and `%(` followed by random characters.
        for value in ["k9$(-2x!q7%(=m1z@r8t&w4", "q2%(x!7m$(3k@z9w"] {
            assert!(!is_placeholder(value.as_bytes()), "{value} should not be a placeholder");
        }
    }

    #[test]
    fn lists_of_choices_are_placeholders() {
        for value in ["true/false", "yes|no", "on/off"] {
            assert!(is_placeholder(value.as_bytes()), "{value} should be a placeholder");
        }
        assert!(!is_placeholder(b"true/Zk9q2Lm8"));
    }

    #[test]
    fn variable_references_are_placeholders() {
        for value in [
            "%FEED_PASSWORD%",
            "%env.TEAMCITY_TOKEN%",
            "@DB_PASSWORD@",
            "$DB_PASSWORD",
            "$env:API_TOKEN",
        ] {
            assert!(is_placeholder(value.as_bytes()), "{value} should be a placeholder");
        }
        for value in ["$Summer2024!", "$ecret99Kq", "%Zk9q2Lm%x", "50%off!Zq2"] {
            assert!(!is_placeholder(value.as_bytes()), "{value} should not be a placeholder");
        }
    }

    #[test]
    fn base64_of_a_placeholder_is_a_placeholder() {
        // user:password, admin:changeme, password, <token>, martin: (no password)
        for value in [
            "dXNlcjpwYXNzd29yZA==",
            "YWRtaW46Y2hhbmdlbWU=",
            "cGFzc3dvcmQ=",
            "PHRva2VuPg==",
            "bWFydGluOg==",
        ] {
            assert!(is_placeholder(value.as_bytes()), "{value} should be a placeholder");
        }
        // deploy:Zt8#qLm2vR!x, a random 32-byte key, and a JSON document mentioning "example"
        for value in [
            "ZGVwbG95Olp0OCNxTG0ydlIheA==",
            "q0m2Yk9vXb1hT3nR7LpW5sZc8DfG4JtU6aEiQyKxNo0=",
            "eyJuYW1lIjoiZXhhbXBsZS1ib3QiLCJrIjoiWms5cTJMbTh2UjN4In0=",
        ] {
            assert!(!is_placeholder(value.as_bytes()), "{value} should not be a placeholder");
        }
    }

    #[test]
    fn truncated_and_published_values_are_placeholders() {
        for value in [
            "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9...",
            "sk-proj-abc\u{2026}",
            "d-FL95Q19q7MQmFpd7hHD0Ty",
        ] {
            assert!(is_placeholder(value.as_bytes()), "{value} should be a placeholder");
        }
        assert!(!is_placeholder(b"Zk9q2Lm8vR3x.Qp7w"));
    }

    #[test]
    fn publishable_keys_and_bad_checksums_are_common_shapes() {
        let good = crate::matcher::checksum::base62(
            u64::from(crc32fast::hash(b"Q7fK2mZr9XbW4nT1pLs8vHc3dJy6aE")),
            6,
        );
        let token = format!("ghp_Q7fK2mZr9XbW4nT1pLs8vHc3dJy6aE{good}");
        assert!(!is_common_shape(token.as_bytes()), "{token} has a valid checksum");
        let broken = token.replace("Q7fK", "Q7fL");
        assert!(is_common_shape(broken.as_bytes()), "{broken} has a bad checksum");
        for value in [
            "pk_live_51Hx9kQ2mZr9XbW4nT1pLs8v",
            "pk.eyJ1IjoiYWNtZSJ9.Zk9q2Lm8vR3x",
            "$2b$12$Q7fK2mZr9XbW4nT1pLs8vOq2Lm8vR3xZk9q2Lm8vR3xZk9q2Lm8vR",
            "pbkdf2_sha256$600000$Zk9q2Lm8vR3x$Q7fK2mZr9XbW4nT1pLs8v=",
        ] {
            assert!(is_common_shape(value.as_bytes()), "{value} is publishable");
        }
        assert!(!is_common_shape(concat!("sk_", "live_51Hx9kQ2mZr9XbW4nT1pLs8v").as_bytes()));
    }

    #[test]
    fn base64_starting_with_a_slash_is_not_a_path() {
        for value in
            ["/qtyIzaHmG7W6Xftugdw27rnEKZgjkRuXOaY3kbt", "/VPbh7X9hygjR3uAgH+4gVuu877h6DnoAwn2T2L8"]
        {
            assert!(!is_common_shape(value.as_bytes()), "{value} is not a path");
        }
        for value in
            ["/run/secrets/db_password", "/etc/ssl/private/server.key", "/opt/AcmeApp2024/conf"]
        {
            assert!(is_common_shape(value.as_bytes()), "{value} is a path");
        }
    }

    #[test]
    fn passwords_starting_with_a_symbol_are_not_code() {
        for value in ["&DQvTI4ET&ndJx?", "*Zk9q2Lm!8vR", "&7hQ2-xLp"] {
            assert!(!is_common_shape(value.as_bytes()), "{value} should not be a common shape");
        }
        for value in ["&cfg.Token", "*opts.Password", "&pkg.Type{}"] {
            assert!(is_common_shape(value.as_bytes()), "{value} should be a common shape");
        }
    }

    #[test]
    fn templates_are_narrower_than_placeholders() {
        for value in [
            "${PGPASSWORD}",
            "{{ db_password }}",
            "<%= ENV['DB_PASS'] %>",
            "<password>",
            "$(cat pw)",
            "%DB_PASS%",
            "$DB_PASS",
            "********",
            "password_here",
            "your_password",
        ] {
            assert!(is_template(value.as_bytes()), "{value} should be a template");
        }
        // Weak or placeholder-looking passwords are still passwords in a credential file.
        for value in ["postgres", "changeme", "password", "hunter2", "x", "s3cr3t-P@ss"] {
            assert!(!is_template(value.as_bytes()), "{value} should not be a template");
        }
    }

    #[test]
    fn code_that_names_a_value_is_a_common_shape() {
        for value in [
            "TIME_MAX",
            "DEFAULT_API_TOKEN",
            "$smtp_authpass",
            "$pexpiry",
            "UID:GID:GECOS:directory:shell",
            "GID:user_list",
            "%s;Timeout=120;MultipleActiveResultSets=True",
            "\\033[92m",
            "\\x1b[0m",
        ] {
            assert!(is_common_shape(value.as_bytes()), "{value} is code, not a value");
        }
        for value in ["$Summer2024!", "$ecret99Kq", "Zt8#qLm2:vR!x", "HUNTER2", "user:Zk9q2Lm8"] {
            assert!(!is_common_shape(value.as_bytes()), "{value} could be a password");
        }
    }

    #[test]
    fn htpasswd_lines_under_password_names_are_hashes() {
        assert!(is_common_shape(
            b"testuser:$2y$05$sBsSqk0OpSD1uTZkHXc4FeJ0Z70wLQdAX/82UiHuQOKbNbBrzs63m"
        ));
        assert!(!is_common_shape(b"testuser:Zk9q2Lm8vR3x"));
    }

    #[test]
    fn ciphertexts_are_common_shapes() {
        let kms = format!("AQICAHh{}", "q0m2Yk9vXb1hT3nR7LpW5sZc8DfG4JtU6aEiQyKxNo0".repeat(4));
        let sealed = format!("AgBy{}", "q0m2Yk9vXb1hT3nR7LpW5sZc8DfG4JtU6aEiQyKxNo0".repeat(8));
        for value in [
            "$ANSIBLE_VAULT;1.1;AES256",
            "ENC[AES256_GCM,data:Zk9q2Lm8,iv:Q7fK,tag:x,type:str]",
            "vault:v1:8SDd3WHDOjf7mq69CyCqYjBXAiQQAVZRkFM13ok481zoCmHnSeDX9vyf7w==",
            "{cipher}AQA5Zk9q2Lm8vR3xQ7fK2mZr9XbW4nT1",
            &kms,
            &sealed,
            "gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==",
        ] {
            assert!(is_common_shape(value.as_bytes()), "{value} is a ciphertext");
        }
        assert!(
            !is_common_shape(b"AgBy7Zk9q2Lm8vR3x"),
            "a short value starting with Ag is not sealed"
        );
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
            "sys::IORING_MSG_RING_FLAGS_PASS",
            "C:/foo/bar",
        ] {
            assert!(is_common_shape(value.as_bytes()), "{value} should be a common shape");
        }
    }

    #[test]
    fn secrets_are_not_common_shapes() {
        for value in
            ["Q7fK2mZr9XbW4nT1pLs8", "s3cr3t-P@ss.w0rd!", "d41d8cd98f00b204e9800998ecf8427e"]
        {
            assert!(!is_common_shape(value.as_bytes()), "{value} should not be a common shape");
        }
    }

    #[test]
    fn interpolation_needs_its_closing_brace() {
        assert!(is_placeholder(b"#{ENV['DB_PASSWORD']}"));
        assert!(is_template(b"pre-#{secret}"));
        // A generated WordPress salt with a bare `#{`.
        let salt = concat!("Ed&1cr+{3T$a+{[8LP~i5-[|Z`x-V>;Di_C/E~Un", "Sg{n[h#{D[-t>yIUZ8YqSu3t");
        assert!(!is_placeholder(salt.as_bytes()));
        assert!(!is_template(salt.as_bytes()));
    }

    #[test]
    fn emails_variable_urls_and_dereferences_are_common_shapes() {
        for value in [
            "apache@localhost",
            "ops@acme.io",
            "$cfg->{gitcvs}->{users}->{$user}",
            "$opts{password}",
            "$HTTPD_PROTO://user%40host:pass%40host@$HTTPD_DEST",
            "$ROOT/etc/secret",
        ] {
            assert!(is_common_shape(value.as_bytes()), "{value}");
        }
        for value in ["pass@host", "Kx7@Lm2q#Z", "$Summer2024!", "user@acme.io:Zq7mLx4"] {
            assert!(!is_common_shape(value.as_bytes()), "{value}");
        }
    }

    #[test]
    fn setting_states_are_never_values() {
        for value in ["true", "FALSE", "null", "required"] {
            assert!(is_non_value(value.as_bytes()), "{value}");
        }
        for value in ["truest", "changeme", "x"] {
            assert!(!is_non_value(value.as_bytes()), "{value}");
        }
    }
}
