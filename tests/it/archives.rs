//! Archives, compressed files and binaries in every mode: `scan` (files, stdin) and `git`
//! (history, staged): findings at `outer!inner` paths with lines and columns in every report
//! format, notices and exit status 2 for what could not be read, redaction, and the opt-out flags.
//! Archives are written here with the format crates' own writers; nothing is a stored fixture.

use std::io::Write;

use crate::git::Repo;
use crate::util::{Tree, fake, gzip, leakhound, tar_of};

fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in members {
        writer.start_file(*name, options).unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// A properties file with a token on line 3, column 14.
fn properties(token: &str) -> Vec<u8> {
    format!("# settings\nname=demo\ngithub.token={token}\n").into_bytes()
}

#[test]
fn secrets_in_zip_tgz_gz_and_nested_jars_are_found_at_outer_bang_inner_paths() {
    let tree = Tree::new();
    let (a, b, c, d) = (
        fake::github_pat(101),
        fake::github_pat(102),
        fake::github_pat(103),
        fake::github_pat(104),
    );
    tree.file("dist/app.zip", zip_of(&[("conf/app.properties", &properties(&a))]));
    tree.file("dist/site.tgz", gzip(&tar_of(&[("etc/site.properties", &properties(&b))])));
    tree.file("logs/app.log.gz", gzip(&properties(&c)));
    let jar = zip_of(&[("application.properties", &properties(&d))]);
    tree.file("deploy/app.war", zip_of(&[("WEB-INF/lib/core.jar", &jar)]));
    let run = tree.run(&["scan", "-f", "json"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let hits: Vec<(String, u64)> =
        run.hits().into_iter().map(|(_, path, line)| (path, line)).collect();
    assert_eq!(
        hits,
        [
            ("deploy/app.war!WEB-INF/lib/core.jar!application.properties".to_string(), 3),
            ("dist/app.zip!conf/app.properties".to_string(), 3),
            ("dist/site.tgz!etc/site.properties".to_string(), 3),
            ("logs/app.log.gz!app.log".to_string(), 3),
        ]
    );
    let location = &run.json()["findings"][0]["locations"][0];
    assert_eq!(location["column"], 14);
    assert!(
        !run.stdout().contains(&a) && !run.stdout().contains(&d),
        "secrets are redacted by default"
    );
}

#[test]
fn an_archive_named_otherwise_is_recognised_by_its_content() {
    let tree = Tree::new();
    tree.file("plan.tfplan", zip_of(&[("tfplan", &properties(&fake::github_pat(105)))]));
    let run = tree.run(&["scan", "-f", "json"]);
    assert_eq!(run.hits()[0].1, "plan.tfplan!tfplan");
}

#[test]
fn stdin_archives_are_opened_too() {
    let token = fake::github_pat(106);
    let out = leakhound()
        .args(["scan", "-", "-f", "json"])
        .write_stdin(gzip(&properties(&token)))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["findings"][0]["locations"][0]["path"], "<stdin>!<stdin>");
}

#[test]
fn a_corrupt_archive_is_named_exits_2_and_other_findings_stay() {
    let tree = Tree::new();
    let mut broken = zip_of(&[("a.env", &properties(&fake::github_pat(107)))]);
    let central = broken.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    broken.truncate(central + 10);
    tree.file("broken.zip", broken);
    tree.file("ok.env", format!("TOKEN={}\n", fake::github_pat(108)));
    let run = tree.run(&["scan", "-f", "json"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert_eq!(run.hits().len(), 1);
    assert!(run.stderr().contains("error: broken.zip"), "{}", run.stderr());
    let notices = run.json()["notices"].clone();
    assert_eq!(notices[0]["path"], "broken.zip");
    assert_eq!(notices[0]["level"], "error");
    assert_eq!(notices[0]["kind"], "corrupt");
}

#[test]
fn a_decompression_bomb_is_stopped_reported_and_exits_2() {
    let tree = Tree::new();
    tree.file("bomb.gz", gzip(&vec![0u8; 64 << 20]));
    let run = tree.run(&["scan", "-f", "json"]);
    assert_eq!(run.code(), 2);
    assert!(
        run.stderr().contains("bomb.gz!bomb: compression ratio over 250:1"),
        "{}",
        run.stderr()
    );
}

#[test]
fn depth_and_size_flags_bound_expansion_and_no_archives_turns_it_off() {
    let tree = Tree::new();
    let token = fake::github_pat(109);
    let inner = zip_of(&[("k.properties", &properties(&token))]);
    tree.file("outer.zip", zip_of(&[("inner.zip", &inner)]));
    let run = tree.run(&["scan", "--archive-depth", "1", "-f", "json"]);
    assert_eq!(run.code(), 2);
    assert!(
        run.stderr().contains("outer.zip!inner.zip: nested archive not opened"),
        "{}",
        run.stderr()
    );
    assert_eq!(tree.run(&["scan", "-f", "json"]).code(), 1);
    let run = tree.run(&["scan", "--no-archives", "-f", "json"]);
    assert_eq!(run.code(), 0, "deflated members are not readable as plain bytes: {}", run.stdout());
    let run = tree.run(&["scan", "--max-archive-size", "100", "-f", "json"]);
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("outer.zip: archive is over 100 bytes"), "{}", run.stderr());
}

#[test]
fn tar_links_and_devices_are_warnings_not_errors() {
    let tree = Tree::new();
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Char);
    header.set_size(0);
    builder.append_data(&mut header, "dev/null", std::io::empty()).unwrap();
    tree.file("rootfs.tar", builder.into_inner().unwrap());
    let run = tree.run(&["scan", "-f", "json"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    assert!(
        run.stderr().contains("warning: rootfs.tar!dev/null: device member skipped"),
        "{}",
        run.stderr()
    );
}

#[test]
fn every_report_format_carries_the_member_path_and_line() {
    let tree = Tree::new();
    tree.file("app.zip", zip_of(&[("conf/app.properties", &properties(&fake::github_pat(110)))]));
    let sarif = tree.run(&["scan", "-f", "sarif"]).json();
    let location = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    // SARIF URIs are percent-escaped: `!` is `%21`.
    assert_eq!(location["artifactLocation"]["uri"], "app.zip%21conf/app.properties");
    assert_eq!(location["region"]["startLine"], 3);
    let gitlab = tree.run(&["scan", "-f", "gitlab"]).json();
    assert_eq!(gitlab["vulnerabilities"][0]["location"]["file"], "app.zip!conf/app.properties");
    assert_eq!(gitlab["vulnerabilities"][0]["location"]["start_line"], 3);
    let csv = tree.run(&["scan", "-f", "csv"]).stdout();
    assert!(csv.lines().nth(1).unwrap().contains("app.zip!conf/app.properties,3,"), "{csv}");
    let github = tree.run(&["scan", "-f", "github"]).stdout();
    assert!(github.contains("file=app.zip!conf/app.properties,line=3"), "{github}");
}

#[test]
fn binaries_are_scanned_as_printable_runs_located_by_byte_offset() {
    let tree = Tree::new();
    let token = fake::github_pat(111);
    let mut binary = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".to_vec();
    binary.extend_from_slice(&[0xFF; 100]);
    let offset = binary.len();
    binary.extend_from_slice(token.as_bytes());
    binary.extend_from_slice(&[0, 0, 0xC3, 0x28]);
    let wide: Vec<u8> =
        format!("GH={}", fake::github_pat(112)).encode_utf16().flat_map(u16::to_le_bytes).collect();
    binary.extend_from_slice(&wide);
    tree.file("lib/libapp.so", &binary);
    let run = tree.run(&["scan", "-f", "json"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let doc = run.json();
    let columns: Vec<u64> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["locations"][0]["column"].as_u64().unwrap())
        .collect();
    assert_eq!(columns.len(), 2, "the ASCII and the UTF-16 token");
    assert!(columns.contains(&(offset as u64 + 1)), "{columns:?}");
    assert_eq!(doc["findings"][0]["locations"][0]["line"], 1);
    let run = tree.run(&["scan", "--no-binary-strings", "-f", "json"]);
    assert_eq!(run.code(), 0);
}

#[test]
fn git_history_and_staged_scans_open_committed_archives() {
    let mut repo = Repo::new();
    let token = fake::github_pat(113);
    std::fs::write(
        repo.dir.join("bundle.zip"),
        zip_of(&[("conf/app.properties", &properties(&token))]),
    )
    .unwrap();
    let commit = repo.commit("add bundle");
    let (code, doc, stderr) = repo.scan(&[]);
    assert_eq!(code, 1, "{stderr}");
    let location = &doc["findings"][0]["locations"][0];
    assert_eq!(location["path"], "bundle.zip!conf/app.properties");
    assert_eq!(location["line"], 3);
    assert_eq!(location["git"]["commit"]["id"], commit.as_str());

    let staged = fake::github_pat(114);
    std::fs::write(repo.dir.join("logs.tgz"), gzip(&tar_of(&[("app.log", &properties(&staged))])))
        .unwrap();
    repo.git(&["add", "logs.tgz"]);
    let (code, doc, _) = repo.scan(&["--staged"]);
    assert_eq!(code, 1);
    assert_eq!(doc["findings"][0]["locations"][0]["path"], "logs.tgz!app.log");
    assert_eq!(doc["findings"][0]["locations"][0]["git"]["state"], "staged");
}

#[test]
fn a_corrupt_archive_in_history_is_named_by_blob_and_exits_2() {
    let mut repo = Repo::new();
    let mut broken = gzip(&properties(&fake::github_pat(115)));
    broken.truncate(broken.len() / 2);
    std::fs::write(repo.dir.join("cut.gz"), broken).unwrap();
    repo.commit("add a truncated gzip");
    let (code, doc, stderr) = repo.scan(&[]);
    assert_eq!(code, 2, "{stderr}");
    let notice = &doc["notices"][0];
    assert_eq!(
        (notice["kind"].as_str(), notice["subject"].as_str()),
        (Some("truncated"), Some("object")),
        "{notice}"
    );
    assert_eq!(notice["message"], "!(decompressed): truncated archive: the data ends early");
}

/// SARIF with findings inside archives and binaries, and archive notices, passes the SARIF
/// Multitool with GitHub's ingestion rules (mandatory in CI, which sets
/// `LEAKHOUND_SARIF_VALIDATOR`).
#[test]
fn sarif_with_archive_members_passes_github_code_scanning_validation() {
    let Some(validator) = crate::util::sarif_validator() else { return };
    let tree = Tree::new();
    let jar = zip_of(&[("application.properties", &properties(&fake::github_pat(120)))]);
    tree.file("deploy/app.war", zip_of(&[("WEB-INF/lib/core.jar", &jar)]));
    tree.file(
        "bin/tool",
        [b"\x7fELF\0\0\0\0".as_slice(), fake::github_pat(121).as_bytes(), b"\0\0"].concat(),
    );
    tree.file("bomb.gz", gzip(&vec![0u8; 8 << 20]));
    let run = tree.run(&["scan", "-f", "sarif", "-r", "out.sarif"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    crate::util::assert_valid_sarif(&validator, &tree.path().join("out.sarif"));
}

/// Until `leakhound image` exists, a `docker save` tarball scanned as a file already has every
/// layer and the image config read: the layer tars are nested archives, the config is JSON text
/// (ENV values, `created_by` history steps, labels). Whiteouts are not applied here.
#[test]
fn a_docker_save_tarball_scanned_as_a_file_reads_every_layer_and_the_config() {
    let tree = Tree::new();
    let (in_layer, in_env) = (fake::github_pat(122), fake::github_pat(123));
    let layer = tar_of(&[("app/settings.properties", &properties(&in_layer))]);
    let config = format!(
        r#"{{"config":{{"Env":["PATH=/usr/bin","GITHUB_TOKEN={in_env}"]}},"history":[{{"created_by":"COPY app /app"}}]}}"#
    );
    let manifest = r#"[{"Config":"cfg.json","RepoTags":["demo:1"],"Layers":["l1/layer.tar"]}]"#;
    let image = tar_of(&[
        ("manifest.json", manifest.as_bytes()),
        ("cfg.json", config.as_bytes()),
        ("l1/layer.tar", &layer),
    ]);
    tree.file("demo.tar", image);
    let run = tree.run(&["scan", "-f", "json"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let paths: Vec<String> = run.hits().into_iter().map(|h| h.1).collect();
    assert_eq!(paths, ["demo.tar!cfg.json", "demo.tar!l1/layer.tar!app/settings.properties"]);
}
