//! Hostile input: huge single-line files, broken encodings, links that lead out of the
//! tree or into `/proc` and `/dev`, files that cannot be read, names and content built to attack a
//! terminal or a SARIF consumer, and corrupt git packs.
//!
//! What already lives elsewhere is not repeated here: the basic symlink/FIFO skip, the 8 MiB
//! window straddle and text escaping of names are in `scan_cli.rs`; repository config that must
//! never execute, `.git` files and alternates pointing outside, and truncated loose objects are in
//! `git.rs`.

use std::io::Write as _;
use std::os::unix::fs::FileExt as _;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{Run, Tree, fake, leakhound};

/// A hung scan fails the test instead of hanging the suite.
const TIMEOUT: Duration = Duration::from_mins(2);

fn scan_json(dir: &Path, args: &[&str]) -> Run {
    let out = leakhound()
        .current_dir(dir)
        .arg("scan")
        .args(args)
        .args(["-f", "json"])
        .env("LEAKHOUND_TEST_ENV_TOKEN", fake::github_pat(700))
        .timeout(TIMEOUT)
        .output()
        .expect("run leakhound");
    Run(out)
}

/// `(offset, line, column)` of every location of every finding, sorted.
fn offsets(doc: &Value) -> Vec<(u64, u64, u64)> {
    let mut out: Vec<_> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .flat_map(|f| f["locations"].as_array().unwrap().iter())
        .map(|l| {
            (
                l["offset"].as_u64().unwrap(),
                l["line"].as_u64().unwrap(),
                l["column"].as_u64().unwrap(),
            )
        })
        .collect();
    out.sort_unstable();
    out
}

/// Writes `size` bytes of spaces (one line, no newline) with `tokens` planted at their offsets.
fn write_single_line(path: &Path, size: usize, tokens: &[(usize, String)]) {
    let file = std::fs::File::create(path).unwrap();
    let block = vec![b' '; 1 << 20];
    let mut writer = std::io::BufWriter::new(&file);
    for start in (0..size).step_by(block.len()) {
        writer.write_all(&block[..block.len().min(size - start)]).unwrap();
    }
    writer.flush().unwrap();
    drop(writer);
    for (at, token) in tokens {
        file.write_at(token.as_bytes(), *at as u64).unwrap();
    }
}

#[test]
fn a_200_mb_single_line_file_yields_every_secret_once_across_window_edges_and_at_the_end() {
    use leakhound::internals::content::{OVERLAP, WINDOW};
    let size = 200 << 20;
    let mut tokens = Vec::new();
    for k in 1..=size / WINDOW {
        // Straddling the end of a window's own part, and the end of what a window reads.
        tokens.push((k * WINDOW - 20, fake::github_pat(500 + k as u64)));
        tokens.push((k * WINDOW + OVERLAP - 19, fake::github_pat(600 + k as u64)));
    }
    tokens.retain(|(at, t)| at + t.len() < size - 100);
    tokens.push((size - 60, fake::github_pat(699)));
    let tree = Tree::new();
    let started = Instant::now();
    write_single_line(&tree.path().join("one-line.txt"), size, &tokens);
    let written = started.elapsed();
    let run = scan_json(tree.path(), &[]);
    let scanned = started.elapsed().saturating_sub(written);
    #[allow(clippy::print_stderr)] // the measurement the issue asks for, seen with --nocapture
    {
        eprintln!(
            "200 MB single line: written in {written:?}, scanned in {scanned:?} (debug build)"
        );
    }
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let doc = run.json();
    assert_eq!(doc["summary"]["bytes_scanned"], size as u64);
    let expected: Vec<(u64, u64, u64)> =
        tokens.iter().map(|(at, _)| (*at as u64, 1, *at as u64 + 1)).collect();
    assert_eq!(offsets(&doc), expected, "each secret exactly once, at its own offset and column");
}

#[test]
fn invalid_utf8_and_a_stray_byte_order_mark_do_not_hide_a_secret_or_shift_its_line() {
    let tree = Tree::new();
    let token = fake::github_pat(701);
    let mut body = b"\xff\xfe\xc3(broken\n\x80\x80 ok\n".to_vec();
    body.extend_from_slice(b"\xc3\x28\xe2\x82 ");
    body.extend_from_slice(token.as_bytes());
    body.extend_from_slice(b" \xf0\x9f\x98\n\xed\xa0\x80tail\n");
    tree.file("mixed.txt", &body);
    let run = scan_json(tree.path(), &["--show-secrets"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let doc = run.json();
    assert_eq!(doc["findings"][0]["secret"], token.as_str());
    // `FF FE` starts the file, but no NUL follows: UTF-8 with junk, not UTF-16 (which would hide
    // everything). Column counts code points; an invalid lead byte counts as one, continuation bytes as none.
    assert_eq!(offsets(&doc), vec![(22, 3, 5)]);
}

/// `text` in UTF-16, in `order`, with or without a byte order mark.
fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let units = bom.then_some(0xFEFF_u16).into_iter().chain(text.encode_utf16());
    units.flat_map(|u| if big_endian { u.to_be_bytes() } else { u.to_le_bytes() }).collect()
}

#[test]
fn utf16_in_both_byte_orders_is_decoded_across_window_edges() {
    let window = leakhound::internals::content::WINDOW;
    let token = fake::github_pat(702);
    let line = format!("{}\n", "x".repeat(99));
    let mut text = line.repeat((window - 100) / line.len());
    let line_start = text.len();
    let at = window - 20; // the decoded token straddles the end of the first window's own part
    text.push_str(&"y".repeat(at - 8 - line_start));
    text.push_str("token = ");
    text.push_str(&token);
    text.push('\n');
    text.push_str(&line.repeat(20));
    let tree = Tree::new();
    tree.file("le-no-bom.txt", utf16(&text, false, false));
    tree.file("be-bom.txt", utf16(&text, true, true));
    let run = scan_json(tree.path(), &[]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let doc = run.json();
    let line_no = text[..at].matches('\n').count() as u64 + 1;
    let expected = (at as u64, line_no, (at - line_start) as u64 + 1);
    assert_eq!(
        offsets(&doc),
        vec![expected, expected],
        "found once in each file, with the decoded position"
    );
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_links_to_proc_dev_and_outside_are_never_followed() {
    use std::os::unix::fs::symlink;
    let outside = Tree::new();
    let secret = outside.file("secret.env", format!("T={}\n", fake::github_pat(703)));
    let tree = Tree::new();
    tree.file("plain.txt", "hello\n");
    let root = tree.path();
    symlink(root.join("loop-b"), root.join("loop-a")).unwrap();
    symlink(root.join("loop-a"), root.join("loop-b")).unwrap();
    symlink(".", root.join("self")).unwrap();
    symlink("/proc/self/environ", root.join("environ")).unwrap(); // holds LEAKHOUND_TEST_ENV_TOKEN
    symlink("/proc/self/root", root.join("fs-root")).unwrap();
    symlink("/dev/zero", root.join("zero")).unwrap();
    symlink("/dev/urandom", root.join("urandom")).unwrap();
    symlink(&secret, root.join("outside.env")).unwrap();
    symlink(outside.path(), root.join("outside-dir")).unwrap();
    let run = scan_json(root, &[]);
    assert_eq!(run.code(), 0, "{}\n{}", run.stdout(), run.stderr());
    let doc = run.json();
    assert_eq!(doc["summary"]["skipped_symlinks"], 9);
    assert_eq!(doc["summary"]["items_scanned"], 1, "only plain.txt is read");
    // Named on the command line, a link is read through (the user asked for it), but a
    // device behind it is still never opened as a file.
    let run = scan_json(root, &["environ", "zero", "outside.env"]);
    assert_eq!(run.code(), 1, "{}\n{}", run.stdout(), run.stderr());
    let mut paths: Vec<String> = run.hits().into_iter().map(|(_, path, _)| path).collect();
    paths.dedup();
    // environ is read: its NUL separators make it binary, and a binary's printable runs are
    // scanned, so the token in the test's environment is found there.
    assert_eq!(paths, ["environ", "outside.env"]);
    let summary = &run.json()["summary"];
    assert_eq!(summary["items_scanned"], 2);
    assert_eq!(summary["skipped_special"], 1, "/dev/zero");
}

#[cfg(unix)]
#[test]
fn fifos_and_devices_are_skipped_and_never_block() {
    let tree = Tree::new();
    let fifo = tree.path().join("pipe");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let started = Instant::now();
    let run = scan_json(tree.path(), &["pipe", "/dev/zero", "/dev/urandom", "/dev/null", "."]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let summary = &run.json()["summary"];
    assert_eq!(
        summary["skipped_special"], 5,
        "the FIFO (named and found in the walk) and 3 devices"
    );
    assert_eq!(summary["items_scanned"], 0);
    assert!(started.elapsed() < TIMEOUT);
}

/// Whether this process can read a file whose permissions deny it (true as root).
fn permissions_are_bypassed(path: &Path) -> bool {
    std::fs::read(path).is_ok()
}

#[cfg(unix)]
#[test]
fn unreadable_files_and_directories_are_reported_counted_and_exit_2() {
    use std::os::unix::fs::PermissionsExt as _;
    let tree = Tree::new();
    tree.file("ok.env", format!("T={}\n", fake::github_pat(704)));
    let locked = tree.file("locked.txt", "nothing\n");
    tree.file("closed/inner.txt", "nothing\n");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::set_permissions(tree.path().join("closed"), std::fs::Permissions::from_mode(0o000))
        .unwrap();
    let bypassed = permissions_are_bypassed(&locked);
    let run = scan_json(tree.path(), &[]);
    std::fs::set_permissions(tree.path().join("closed"), std::fs::Permissions::from_mode(0o755))
        .unwrap();
    #[allow(clippy::print_stdout)] // the reason an assertion is skipped must be visible
    if bypassed {
        println!(
            "running as root: mode 000 does not deny reads, so that case is checked via /proc below"
        );
    } else {
        assert_eq!(run.code(), 2, "{}", run.stderr());
        let doc = run.json();
        assert_eq!(doc["summary"]["errors"], 2);
        assert_eq!(doc["summary"]["complete"], false);
        assert_eq!(
            doc["findings"].as_array().unwrap().len(),
            1,
            "the readable secret is still reported"
        );
        assert!(
            run.stderr().contains("locked.txt") && run.stderr().contains("closed"),
            "{}",
            run.stderr()
        );
    }
    // A read that fails whoever we are: /proc/self/mem opens, but reading offset 0 is EIO.
    tree.file("ok2.env", format!("T={}\n", fake::github_pat(705)));
    let run = scan_json(tree.path(), &["ok2.env", "/proc/self/mem"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    let doc = run.json();
    assert_eq!(
        (doc["summary"]["errors"].as_u64(), doc["summary"]["complete"].as_bool()),
        (Some(1), Some(false))
    );
    assert_eq!(doc["notices"][0]["path"], "/proc/self/mem");
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1);
}

/// A file name that tries to forge report lines and drive the terminal.
const HOSTILE_NAME: &str = "evil\nat x.txt:1:1\r\u{1b}[2J\u{1b}]0;title\u{7}\u{9b}31m%41 #?&.env";

fn assert_no_terminal_controls(what: &str, text: &str) {
    let bad: Vec<char> = text.chars().filter(|&c| c.is_control() && c != '\n').collect();
    assert!(bad.is_empty(), "{what} holds raw control characters {bad:?}:\n{text}");
}

/// Decodes `%XX` escapes; panics on anything that is not a valid URI reference character.
fn uri_decode(uri: &str) -> String {
    let mut out = Vec::new();
    let mut bytes = uri.bytes();
    while let Some(b) = bytes.next() {
        assert!(
            b.is_ascii_alphanumeric() || b"-._~/%:".contains(&b),
            "invalid URI character {:?} in {uri}",
            b as char
        );
        if b == b'%' {
            let hex = [bytes.next().unwrap(), bytes.next().unwrap()];
            out.push(u8::from_str_radix(std::str::from_utf8(&hex).unwrap(), 16).unwrap());
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn hostile_names_are_escaped_for_the_terminal_and_valid_in_json_and_sarif() {
    let tree = Tree::new();
    tree.file(HOSTILE_NAME, format!("T={}\n", fake::github_pat(706)));
    tree.file(&format!("big-{HOSTILE_NAME}"), "x".repeat(100));
    let text = tree.run(&["scan", "--color", "never", "--max-file-size", "50"]);
    assert_eq!(text.code(), 1, "{}", text.stderr());
    assert_no_terminal_controls("the text report", &text.stdout());
    assert_no_terminal_controls("stderr", &text.stderr());
    assert!(
        text.stderr().contains("big-evil\\nat x.txt"),
        "the skipped file is named, escaped: {}",
        text.stderr()
    );
    let json = tree.run(&["scan", "-f", "json", "--max-file-size", "50"]).json();
    assert_eq!(json["findings"][0]["locations"][0]["path"], HOSTILE_NAME);
    assert_eq!(json["notices"][0]["path"], format!("big-{HOSTILE_NAME}"));
    let sarif = tree.run(&["scan", "-f", "sarif", "--max-file-size", "50"]).json();
    let run = &sarif["runs"][0];
    let uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    assert_eq!(uri_decode(uri), HOSTILE_NAME);
    let notice = &run["invocations"][0]["toolExecutionNotifications"][0];
    let uri =
        notice["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap();
    assert_eq!(uri_decode(uri), format!("big-{HOSTILE_NAME}"));
}

#[test]
fn hostile_content_in_attribute_values_is_escaped_for_the_terminal() {
    let tree = Tree::new();
    tree.file(
        "rules/note.yaml",
        r"rules:
  - id: test.noted
    name: Noted key
    provider: Test
    kind: api-key
    keywords: [notedkey_]
    pattern: 'notedkey_(?P<secret>[0-9a-f]{16});note=(?P<note>[^\n]*)'
    confidence: high
    severity: medium
    examples: ['notedkey_0123456789abcdef;note=x']
    negative_examples: ['notedkey_0123;note=x']
",
    );
    let note = "\u{1b}[2J\u{1b}]52;c;Zm9v\u{7}\r\u{9b}0m done";
    tree.file("src/a.txt", format!("notedkey_9f8e7d6c5b4a3f2e;note={note}\n"));
    let text = tree.run(&["scan", "src", "--rules", "rules/note.yaml", "--color", "never"]);
    assert_eq!(text.code(), 1, "{}", text.stderr());
    assert!(text.stdout().contains("\\x1b[2J"), "{}", text.stdout());
    assert_no_terminal_controls("the text report", &text.stdout());
    let json = tree.run(&["scan", "src", "--rules", "rules/note.yaml", "-f", "json"]).json();
    assert_eq!(json["findings"][0]["attributes"]["note"], note);
    let sarif = tree.run(&["scan", "src", "--rules", "rules/note.yaml", "-f", "sarif"]).json();
    assert_eq!(sarif["runs"][0]["results"][0]["properties"]["attributes"]["note"], note);
}

/// Runs git in `dir` with no user or system config; panics on failure.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=Ada", "-c", "user.email=ada@example.org"])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn a_corrupt_pack_entry_is_reported_by_object_id_and_the_rest_is_still_scanned() {
    let tree = Tree::new();
    let dir = tree.path();
    git(dir, &["init", "-q", "-b", "main"]);
    tree.file("good.env", format!("G={}\n", fake::github_pat(707)));
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "good"]);
    tree.file("bad.txt", format!("this blob's packed bytes will be damaged {}\n", "z".repeat(200)));
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "bad"]);
    let blob = git(dir, &["rev-parse", "HEAD:bad.txt"]);
    git(dir, &["repack", "-q", "-a", "-d"]);
    let pack_dir = dir.join(".git/objects/pack");
    let idx = std::fs::read_dir(&pack_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "idx"))
        .unwrap();
    // `verify-pack -v`: "<id> <type> <size> <size in pack> <offset>"
    let listing = git(dir, &["verify-pack", "-v", idx.to_str().unwrap()]);
    let entry: Vec<u64> = listing
        .lines()
        .find(|l| l.starts_with(&blob))
        .unwrap()
        .split_whitespace()
        .skip(3)
        .take(2)
        .map(|n| n.parse().unwrap())
        .collect();
    let (packed, offset) = (entry[0], entry[1]);
    let pack = idx.with_extension("pack");
    let mut perms = std::fs::metadata(&pack).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&pack, perms).unwrap();
    let file = std::fs::OpenOptions::new().write(true).open(&pack).unwrap();
    file.write_at(&vec![0xA5; (packed - 6) as usize], offset + 4).unwrap();
    let out =
        leakhound().current_dir(dir).args(["git", "-f", "json"]).timeout(TIMEOUT).output().unwrap();
    let run = Run(out);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(run.stderr().contains(&blob), "the damaged object is named: {}", run.stderr());
    let doc = run.json();
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1, "the intact secret is still reported");
    assert_eq!(doc["summary"]["complete"], false);
}

#[test]
fn utf16_files_in_git_history_and_the_index_are_decoded_like_files() {
    let tree = Tree::new();
    let dir = tree.path();
    git(dir, &["init", "-q", "-b", "main"]);
    tree.file(
        "win.ini",
        utf16(&format!("[auth]\r\ntoken = {}\r\n", fake::github_pat(708)), false, true),
    );
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "utf-16"]);
    tree.file("staged.ini", utf16(&format!("token = {}\r\n", fake::github_pat(709)), true, true));
    git(dir, &["add", "staged.ini"]);
    for (args, line) in
        [(&["git"][..], 2), (&["git", "--staged"][..], 1), (&["git", "--since", "HEAD"][..], 0)]
    {
        let out = leakhound()
            .current_dir(dir)
            .args(args)
            .args(["-f", "json"])
            .timeout(TIMEOUT)
            .output()
            .unwrap();
        let run = Run(out);
        let hits = run.hits();
        if line == 0 {
            assert_eq!(run.code(), 0, "{args:?}: nothing after HEAD: {}", run.stderr());
            continue;
        }
        assert_eq!(run.code(), 1, "{args:?}: {}", run.stderr());
        assert!(
            hits.iter().any(|h| h.0 == "github.pat.classic" && h.2 == line),
            "{args:?}: {hits:?}"
        );
    }
}

#[test]
fn an_object_directory_that_cannot_be_listed_is_an_error_not_a_clean_scan() {
    let tree = Tree::new();
    let dir = tree.path();
    git(dir, &["init", "-q", "-b", "main"]);
    tree.file("a.txt", "nothing\n");
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "a"]);
    // `objects/pack` that is not a directory: listing it fails (as it would without permission,
    // which root bypasses). Packed objects would be missed without a word.
    let pack = dir.join(".git/objects/pack");
    std::fs::remove_dir_all(&pack).unwrap();
    std::fs::write(&pack, "not a directory").unwrap();
    let out = leakhound().current_dir(dir).args(["git", "-q"]).timeout(TIMEOUT).output().unwrap();
    let run = Run(out);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(run.stderr().contains("objects/pack"), "{}", run.stderr());
}
