//! `leakhound image`: `docker save` tarballs and OCI image layouts (directory and tar), built here
//! with the `tar`, `flate2` and `sha2` crates. Layers plain and gzip, whiteouts and opaque
//! directories, the config's environment and history, provenance in JSON and SARIF, notices for a
//! missing blob, a digest mismatch and a manifest path leaving the image, exit statuses and
//! redaction.

use sha2::{Digest, Sha256};

use crate::util::{Tree, fake, gzip, tar_of};

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    Sha256::digest(bytes).iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(bytes))
}

/// `sha256:` and 12 hex digits: how locations name a blob.
fn short(bytes: &[u8]) -> String {
    format!("sha256:{}", &hex(bytes)[..12])
}

/// An image configuration: environment, history `(created_by, makes a layer)`, diff ids.
fn config_of(env: &[String], history: &[(&str, bool)], layers: &[&[u8]]) -> Vec<u8> {
    let history: Vec<serde_json::Value> = history
        .iter()
        .map(|(step, made)| serde_json::json!({"created_by": step, "empty_layer": !made}))
        .collect();
    let diff_ids: Vec<String> = layers.iter().map(|l| digest(l)).collect();
    serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": env, "Cmd": ["/bin/sh"], "Labels": {"maintainer": "ops"}},
        "history": history,
        "rootfs": {"type": "layers", "diff_ids": diff_ids}
    }))
    .unwrap()
}

/// A legacy `docker save` tarball: `<id>/layer.tar` (uncompressed), `<sha>.json`, `manifest.json`.
fn docker_save(
    tag: &str,
    config: &[u8],
    layers: &[&[u8]],
    layer_paths: Option<&[&str]>,
) -> Vec<u8> {
    let config_name = format!("{}.json", hex(config));
    let mut members: Vec<(String, Vec<u8>)> = vec![(config_name.clone(), config.to_vec())];
    let mut paths = Vec::new();
    for (i, layer) in layers.iter().enumerate() {
        let path = format!("{}/layer.tar", hex(format!("v1 layer {i}").as_bytes()));
        members.push((path.clone(), layer.to_vec()));
        paths.push(path);
    }
    let listed: Vec<String> = match layer_paths {
        Some(given) => given.iter().map(|p| (*p).to_string()).collect(),
        None => paths,
    };
    let manifest =
        serde_json::json!([{"Config": config_name, "RepoTags": [tag], "Layers": listed}]);
    members.push(("manifest.json".into(), serde_json::to_vec(&manifest).unwrap()));
    let refs: Vec<(&str, &[u8])> =
        members.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    tar_of(&refs)
}

/// An OCI image layout's files: gzip layers, a manifest, `index.json` naming `reference`.
fn oci_files(reference: &str, config: &[u8], layers: &[&[u8]]) -> Vec<(String, Vec<u8>)> {
    oci_files_with(reference, config, layers, gzip, "gzip")
}

fn zstd(bytes: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(bytes, ruzstd::encoding::CompressionLevel::Fastest)
}

/// [`oci_files`] with the layers compressed by `compress` (media type suffix `kind`).
fn oci_files_with(
    reference: &str,
    config: &[u8],
    layers: &[&[u8]],
    compress: fn(&[u8]) -> Vec<u8>,
    kind: &str,
) -> Vec<(String, Vec<u8>)> {
    let blob = |bytes: &[u8]| (format!("blobs/sha256/{}", hex(bytes)), bytes.to_vec());
    let mut files = vec![blob(config)];
    let mut descriptors = Vec::new();
    for layer in layers {
        let compressed = compress(layer);
        descriptors.push(serde_json::json!({
            "mediaType": format!("application/vnd.oci.image.layer.v1.tar+{kind}"),
            "digest": digest(&compressed),
            "size": compressed.len()
        }));
        files.push(blob(&compressed));
    }
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": digest(config), "size": config.len()},
        "layers": descriptors
    }))
    .unwrap();
    files.push(blob(&manifest));
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": digest(&manifest),
            "size": manifest.len(),
            "annotations": {"org.opencontainers.image.ref.name": reference}
        }]
    });
    files.push(("index.json".into(), serde_json::to_vec(&index).unwrap()));
    files.push(("oci-layout".into(), br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec()));
    files
}

fn env_file(token: &str) -> Vec<u8> {
    format!("# app\nGITHUB_TOKEN={token}\n").into_bytes()
}

/// `(path, presence, layer)` of every location, sorted.
fn provenance(doc: &serde_json::Value) -> Vec<(String, String, Option<u64>)> {
    let mut out = Vec::new();
    for finding in doc["findings"].as_array().unwrap() {
        for loc in finding["locations"].as_array().unwrap() {
            out.push((
                loc["path"].as_str().unwrap().to_string(),
                loc["image"]["presence"].as_str().unwrap_or("none").to_string(),
                loc["image"]["layer"].as_u64(),
            ));
        }
    }
    out.sort();
    out
}

fn notice_kinds(doc: &serde_json::Value) -> Vec<String> {
    let mut kinds: Vec<String> = doc["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_string())
        .collect();
    kinds.sort();
    kinds
}

/// The standard test image: a token in layer 0 deleted by a whiteout in layer 1, a token that
/// stays in layer 1, a token in the environment and one in a `RUN` step.
struct Fixture {
    layers: Vec<Vec<u8>>,
    config: Vec<u8>,
    tokens: [String; 4],
}

fn fixture(seed: u64) -> Fixture {
    let tokens = [
        fake::github_pat(seed),
        fake::github_pat(seed + 1),
        fake::github_pat(seed + 2),
        fake::github_pat(seed + 3),
    ];
    let base = tar_of(&[("etc/app.env", &env_file(&tokens[0])), ("usr/bin/tool", b"binary")]);
    let upper = tar_of(&[("etc/.wh.app.env", b""), ("./srv/keep.env", &env_file(&tokens[1]))]);
    let env = vec!["PATH=/usr/bin".to_string(), format!("GITHUB_TOKEN={}", tokens[2])];
    let run = format!("/bin/sh -c echo token={} > /dev/null && rm /etc/app.env", tokens[3]);
    let history = [("ADD rootfs.tar /", true), ("ENV GITHUB_TOKEN=…", false), (run.as_str(), true)];
    let config = config_of(&env, &history, &[&base, &upper]);
    Fixture { layers: vec![base, upper], config, tokens }
}

#[test]
fn a_docker_save_tarball_reports_every_layer_the_config_and_whiteouts() {
    let tree = Tree::new();
    let fx = fixture(300);
    let layers: Vec<&[u8]> = fx.layers.iter().map(Vec::as_slice).collect();
    tree.file("app.tar", docker_save("registry.example/app:1.0", &fx.config, &layers, None));
    let run = tree.run(&["image", "app.tar", "-f", "json"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let doc = run.json();
    let (base, upper, cfg) = (short(&fx.layers[0]), short(&fx.layers[1]), short(&fx.config));
    let mut expected = vec![
        (format!("app.tar!{base}/etc/app.env"), "lower-layer-only".to_string(), Some(0)),
        (format!("app.tar!{cfg}/config/Env/1"), "config".into(), None),
        (format!("app.tar!{cfg}/history/2/created_by"), "config".into(), Some(1)),
        (format!("app.tar!{upper}/srv/keep.env"), "final".into(), Some(1)),
    ];
    expected.sort();
    assert_eq!(provenance(&doc), expected);
    let location = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["locations"].as_array().unwrap())
        .find(|l| l["path"].as_str().unwrap().ends_with("/srv/keep.env"))
        .unwrap()
        .clone();
    assert_eq!(location["line"], 2);
    assert_eq!(location["column"], 14);
    assert_eq!(location["image"]["reference"], "registry.example/app:1.0");
    for finding in doc["findings"].as_array().unwrap() {
        assert_eq!(finding["priority"]["exposure"], "released", "an image ships every layer");
    }
    assert_eq!(location["image"]["blob"], digest(&fx.layers[1]));
    let step = location["image"]["step"].as_str().unwrap();
    assert!(step.starts_with("/bin/sh -c echo token=ghp_"), "{step}");
    let out = run.stdout();
    for token in &fx.tokens {
        assert!(!out.contains(token.as_str()), "redacted by default, provenance included");
    }
    assert!(doc["notices"].as_array().unwrap().is_empty(), "{}", doc["notices"]);
    assert_eq!(doc["coverage"]["mode"], "image");
    assert_eq!(doc["coverage"]["roots"][0], "app.tar");
    let shown = tree.run(&["image", "app.tar", "-f", "json", "--show-secrets"]);
    assert!(shown.stdout().contains(fx.tokens[1].as_str()));
}

#[test]
fn an_oci_layout_directory_and_the_same_as_a_tar_give_the_same_findings() {
    let tree = Tree::new();
    let token = fake::github_pat(320);
    let kept = fake::github_pat(321);
    let base = tar_of(&[("srv/conf/a.env", &env_file(&token)), ("opt/b.env", &env_file(&kept))]);
    let upper = tar_of(&[("srv/conf/.wh..wh..opq", b""), ("srv/conf/c.txt", b"nothing")]);
    let config = config_of(&[], &[("ADD x /", true), ("RUN clean", true)], &[&base, &upper]);
    let files = oci_files("2.1", &config, &[&base, &upper]);
    for (name, bytes) in &files {
        tree.file(&format!("layout/{name}"), bytes);
    }
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    tree.file("layout.tar", tar_of(&refs));
    let compressed = short(&gzip(&base));
    for image in ["layout", "layout.tar"] {
        let run = tree.run(&["image", image, "-f", "json"]);
        assert_eq!(run.code(), 1, "{image}: {}", run.stderr());
        let doc = run.json();
        assert_eq!(
            provenance(&doc),
            [
                (format!("{image}!{compressed}/opt/b.env"), "final".into(), Some(0)),
                (
                    format!("{image}!{compressed}/srv/conf/a.env"),
                    "lower-layer-only".into(),
                    Some(0)
                ),
            ],
            "{image}"
        );
        assert_eq!(doc["findings"][0]["locations"][0]["image"]["reference"], "2.1");
    }
}

#[test]
fn a_clean_image_exits_zero_and_a_non_image_is_an_error() {
    let tree = Tree::new();
    let layer = tar_of(&[("etc/motd", b"hello\n")]);
    let config = config_of(&[], &[("ADD motd /etc", true)], &[&layer]);
    tree.file("clean.tar", docker_save("clean:1", &config, &[&layer], None));
    let run = tree.run(&["image", "clean.tar"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    tree.file("plain.tar", tar_of(&[("README", b"not an image")]));
    let run = tree.run(&["image", "plain.tar"]);
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("not a container image"), "{}", run.stderr());
    let run = tree.run(&["image", "absent.tar"]);
    assert_eq!(run.code(), 2);
    tree.file("clean.tar.gz", gzip(&std::fs::read(tree.path().join("clean.tar")).unwrap()));
    let run = tree.run(&["image", "clean.tar.gz"]);
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("decompress it first"), "{}", run.stderr());
}

#[test]
fn a_missing_layer_blob_is_a_notice_and_the_other_layers_are_still_read() {
    let tree = Tree::new();
    let fx = fixture(340);
    let layers: Vec<&[u8]> = fx.layers.iter().map(Vec::as_slice).collect();
    for (name, bytes) in oci_files("x", &fx.config, &layers) {
        tree.file(&format!("img/{name}"), bytes);
    }
    let gone = format!("img/blobs/sha256/{}", hex(&gzip(&fx.layers[0])));
    std::fs::remove_file(tree.path().join(gone)).unwrap();
    let run = tree.run(&["image", "img", "-f", "json"]);
    assert_eq!(run.code(), 2, "incomplete: {}", run.stderr());
    let doc = run.json();
    assert_eq!(notice_kinds(&doc), ["missing-blob"]);
    assert_eq!(doc["coverage"]["complete"], false);
    let paths: Vec<String> = provenance(&doc).into_iter().map(|p| p.0).collect();
    assert!(paths.iter().any(|p| p.ends_with("/srv/keep.env")), "{paths:?}");
    assert!(paths.iter().any(|p| p.ends_with("/config/Env/1")), "{paths:?}");
    assert!(!paths.iter().any(|p| p.ends_with("/etc/app.env")), "{paths:?}");
}

#[test]
fn a_digest_mismatch_is_a_notice_and_the_layer_is_read_anyway() {
    let tree = Tree::new();
    let fx = fixture(360);
    let layers: Vec<&[u8]> = fx.layers.iter().map(Vec::as_slice).collect();
    for (name, bytes) in oci_files("x", &fx.config, &layers) {
        tree.file(&format!("img/{name}"), bytes);
    }
    let other = fake::github_pat(369);
    let swapped = gzip(&tar_of(&[("srv/keep.env", &env_file(&other))]));
    tree.file(&format!("img/blobs/sha256/{}", hex(&gzip(&fx.layers[1]))), swapped);
    let run = tree.run(&["image", "img", "-f", "json"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    let doc = run.json();
    assert_eq!(notice_kinds(&doc), ["digest-mismatch"]);
    assert!(run.stderr().contains("digest"), "{}", run.stderr());
    assert_eq!(doc["findings"].as_array().unwrap().len(), 4, "the swapped layer is still read");
}

#[test]
fn manifest_paths_leaving_the_image_are_refused_as_notices() {
    let tree = Tree::new();
    let token = fake::github_pat(380);
    let layer = tar_of(&[("app/.env", &env_file(&token))]);
    let config =
        config_of(&[], &[("a", true), ("b", true), ("c", true)], &[&layer, &layer, &layer]);
    let good = format!("{}/layer.tar", hex(b"v1 layer 0"));
    let paths = ["../../../etc/passwd", "/etc/shadow", good.as_str()];
    tree.file("evil.tar", docker_save("evil:1", &config, &[&layer], Some(&paths)));
    let run = tree.run(&["image", "evil.tar", "-f", "json"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    let doc = run.json();
    assert_eq!(notice_kinds(&doc), ["corrupt", "corrupt"]);
    assert!(run.stderr().contains("leaves the image"), "{}", run.stderr());
    assert_eq!(
        provenance(&doc),
        [(format!("evil.tar!{}/app/.env", short(&layer)), "final".into(), Some(2))]
    );
}

#[test]
fn every_report_format_carries_image_locations() {
    let tree = Tree::new();
    let fx = fixture(400);
    let layers: Vec<&[u8]> = fx.layers.iter().map(Vec::as_slice).collect();
    tree.file("app.tar", docker_save("app:2", &fx.config, &layers, None));
    let upper = short(&fx.layers[1]);
    let sarif = tree.run(&["image", "app.tar", "-f", "sarif"]);
    assert_eq!(sarif.code(), 1, "{}", sarif.stderr());
    let doc = sarif.json();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let result = results
        .iter()
        .find(|r| r["properties"]["image"]["presence"] == "final")
        .expect("a final-image result");
    assert_eq!(result["properties"]["image"]["reference"], "app:2");
    let uri =
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap();
    assert_eq!(uri, format!("app.tar%21{}/srv/keep.env", upper.replace(':', "%3A")));
    let (schemas, index) = crate::util::gitlab_schema();
    let gitlab = tree.run(&["image", "app.tar", "-f", "gitlab"]).json();
    if let Err(e) = schemas.validate(&gitlab, index) {
        panic!("the GitLab report of an image breaks the schema: {e:#}\n{gitlab:#}");
    }
    for format in ["csv", "gitlab", "github", "text"] {
        let run = tree.run(&["image", "app.tar", "-f", format]);
        assert_eq!(run.code(), 1, "{format}: {}", run.stderr());
        let out = run.stdout();
        assert!(out.contains("srv/keep.env") && out.contains("sha256"), "{format}: {out}");
        for token in &fx.tokens {
            assert!(!out.contains(token.as_str()), "{format} redacts");
        }
    }
}

/// SARIF from an image passes the SARIF Multitool with GitHub's rules (CI sets
/// `LEAKHOUND_SARIF_VALIDATOR`).
#[test]
fn sarif_from_an_image_passes_github_code_scanning_validation() {
    let Some(validator) = crate::util::sarif_validator() else { return };
    let tree = Tree::new();
    let fx = fixture(420);
    let layers: Vec<&[u8]> = fx.layers.iter().map(Vec::as_slice).collect();
    tree.file("app.tar", docker_save("app:3", &fx.config, &layers, None));
    let run = tree.run(&["image", "app.tar", "-f", "sarif", "-r", "out.sarif"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    crate::util::assert_valid_sarif(&validator, &tree.path().join("out.sarif"));
}

#[test]
fn a_layer_listed_twice_is_read_once_and_its_lower_copy_is_shadowed() {
    let tree = Tree::new();
    let layer = tar_of(&[("app/.env", &env_file(&fake::github_pat(440)))]);
    let config = config_of(&[], &[("a", true), ("b", true)], &[&layer, &layer]);
    let good = format!("{}/layer.tar", hex(b"v1 layer 0"));
    let twice = [good.as_str(), good.as_str()];
    tree.file("twice.tar", docker_save("t:1", &config, &[&layer], Some(&twice)));
    let once_config = config_of(&[], &[("a", true)], &[&layer]);
    tree.file("once.tar", docker_save("t:1", &once_config, &[&layer], None));
    let twice = tree.run(&["image", "twice.tar", "-f", "json"]);
    assert_eq!(twice.code(), 1, "{}", twice.stderr());
    let doc = twice.json();
    let path = format!("twice.tar!{}/app/.env", short(&layer));
    assert_eq!(
        provenance(&doc),
        [(path.clone(), "final".into(), Some(1)), (path, "lower-layer-only".into(), Some(0))]
    );
    let once = tree.run(&["image", "once.tar", "-f", "json"]).json();
    assert_eq!(
        doc["coverage"]["bytes_scanned"].as_u64().unwrap() - 1,
        once["coverage"]["bytes_scanned"].as_u64().unwrap(),
        "the repeated layer's bytes are counted once (the config differs by one step, `b`)"
    );
}

#[cfg(unix)]
#[test]
fn a_blob_that_is_a_link_out_of_the_layout_is_not_followed() {
    let tree = Tree::new();
    let fx = fixture(460);
    let layers: Vec<&[u8]> = fx.layers.iter().map(Vec::as_slice).collect();
    for (name, bytes) in oci_files("x", &fx.config, &layers) {
        tree.file(&format!("img/{name}"), bytes);
    }
    let outside = tree.file("outside.bin", gzip(&fx.layers[0]));
    let blob = tree.path().join(format!("img/blobs/sha256/{}", hex(&gzip(&fx.layers[0]))));
    std::fs::remove_file(&blob).unwrap();
    std::os::unix::fs::symlink(outside, &blob).unwrap();
    let run = tree.run(&["image", "img", "-f", "json"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    let doc = run.json();
    assert_eq!(notice_kinds(&doc), ["unreadable"]);
    let paths: Vec<String> = provenance(&doc).into_iter().map(|p| p.0).collect();
    assert!(!paths.iter().any(|p| p.ends_with("/etc/app.env")), "{paths:?}");
}

#[test]
fn zstd_layers_are_read_and_whiteouts_apply_across_them() {
    let tree = Tree::new();
    let fx = fixture(480);
    let layers: Vec<&[u8]> = fx.layers.iter().map(Vec::as_slice).collect();
    for (name, bytes) in oci_files_with("z:1", &fx.config, &layers, zstd, "zstd") {
        tree.file(&format!("img/{name}"), bytes);
    }
    let run = tree.run(&["image", "img", "-f", "json"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let doc = run.json();
    let (base, upper) = (short(&zstd(&fx.layers[0])), short(&zstd(&fx.layers[1])));
    let layered: Vec<_> =
        provenance(&doc).into_iter().filter(|(_, presence, _)| presence != "config").collect();
    let mut expected = vec![
        (format!("img!{base}/etc/app.env"), "lower-layer-only".to_string(), Some(0)),
        (format!("img!{upper}/srv/keep.env"), "final".into(), Some(1)),
    ];
    expected.sort();
    assert_eq!(layered, expected);
}

/// Docker 25+ `docker save` writes an OCI layout and a `manifest.json` naming `blobs/sha256/...`:
/// the manifest wins (for its tags), and the blobs are checked against their names.
#[test]
fn a_docker_25_save_with_both_manifests_uses_manifest_json_and_its_tags() {
    let tree = Tree::new();
    let fx = fixture(500);
    let layers: Vec<&[u8]> = fx.layers.iter().map(Vec::as_slice).collect();
    let mut files = oci_files("from-index", &fx.config, &layers);
    let manifest = serde_json::json!([{
        "Config": format!("blobs/sha256/{}", hex(&fx.config)),
        "RepoTags": ["from-manifest:25"],
        "Layers": fx.layers.iter().map(|l| format!("blobs/sha256/{}", hex(&gzip(l)))).collect::<Vec<_>>()
    }]);
    files.push(("manifest.json".into(), serde_json::to_vec(&manifest).unwrap()));
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    tree.file("new.tar", tar_of(&refs));
    let run = tree.run(&["image", "new.tar", "-f", "json"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let doc = run.json();
    assert!(doc["notices"].as_array().unwrap().is_empty(), "{}", doc["notices"]);
    assert_eq!(provenance(&doc).len(), 4);
    for finding in doc["findings"].as_array().unwrap() {
        assert_eq!(finding["locations"][0]["image"]["reference"], "from-manifest:25");
    }
}
