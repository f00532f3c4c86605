//! Specification of [`expand`]: every format, nesting, and the hostile set (bombs flat and nested,
//! a self-nesting chain, overlapping entries, 100k members, escaping names, a corrupt central
//! directory, truncated streams, encrypted members, tar devices and links). Every archive is built
//! here with the formats' own writers or patched by hand; nothing is stored as a fixture.

use std::io::Write;

use super::*;

const SECRET_LINE: &[u8] = b"aws_secret_access_key = \"fake/Kq7PzR2vXw9Lm4Tn8Yb3Hc6Jd1Fg5Se0Ua\"\n";

/// Everything `expand` reported: members (path, bytes) and problems, in order.
#[derive(Debug, Default)]
struct Seen {
    entries: Vec<(String, Vec<u8>)>,
    problems: Vec<ArchiveProblem>,
}

impl Seen {
    fn paths(&self) -> Vec<&str> {
        self.entries.iter().map(|(p, _)| p.as_str()).collect()
    }

    fn problem_kinds(&self) -> Vec<&Problem> {
        self.problems.iter().map(|p| &p.problem).collect()
    }
}

fn expand_with(name: &str, bytes: &[u8], limits: &Limits, budget: &ScanBudget) -> Seen {
    let mut seen = Seen::default();
    let opened = expand(name, bytes, limits, budget, &mut |event| match event {
        Event::Entry(entry) => seen.entries.push((entry.path.to_string(), entry.bytes.to_vec())),
        Event::Problem(problem) => seen.problems.push(problem),
    });
    assert!(opened, "{name} should be recognised as an archive");
    seen
}

fn expand_default(name: &str, bytes: &[u8]) -> Seen {
    expand_with(name, bytes, &Limits::default(), &ScanBudget::default())
}

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

fn stored_zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in members {
        writer.start_file(*name, options).unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

fn tar_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, bytes) in members {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut header, name, *bytes).unwrap();
    }
    builder.into_inner().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn bzip2(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = ::bzip2::write::BzEncoder::new(Vec::new(), ::bzip2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn xz(bytes: &[u8]) -> Vec<u8> {
    let mut writer =
        lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::with_preset(1)).unwrap();
    writer.write_all(bytes).unwrap();
    writer.finish().unwrap()
}

fn zstd(bytes: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(bytes, ruzstd::encoding::CompressionLevel::Fastest)
}

// ---- formats ----

#[test]
fn a_zip_member_is_yielded_with_an_outer_bang_inner_path() {
    let archive = zip_of(&[("config/app.env", SECRET_LINE), ("dir/", b""), ("README", b"hello\n")]);
    let seen = expand_default("dist/app.zip", &archive);
    assert_eq!(seen.paths(), ["dist/app.zip!config/app.env", "dist/app.zip!README"]);
    assert_eq!(seen.entries[0].1, SECRET_LINE);
    assert!(seen.problems.is_empty());
}

#[test]
fn a_plain_tar_and_every_compressed_tar_yield_their_members() {
    let tar = tar_of(&[("etc/secret.env", SECRET_LINE)]);
    for (name, bytes) in [
        ("a.tar", tar.clone()),
        ("a.tgz", gzip(&tar)),
        ("a.tar.bz2", bzip2(&tar)),
        ("a.tar.xz", xz(&tar)),
        ("a.tar.zst", zstd(&tar)),
    ] {
        let seen = expand_default(name, &bytes);
        assert_eq!(seen.paths(), [format!("{name}!etc/secret.env")], "{name}");
        assert_eq!(seen.entries[0].1, SECRET_LINE, "{name}");
        assert!(seen.problems.is_empty(), "{name}: {:?}", seen.problems);
    }
}

#[test]
fn a_compressed_file_yields_its_content_named_without_the_suffix() {
    let log = [b"line one\n".as_slice(), SECRET_LINE].concat();
    for (name, bytes, inner) in [
        ("logs/app.log.gz", gzip(&log), "app.log"),
        ("dump.sql.bz2", bzip2(&log), "dump.sql"),
        ("dump.sql.xz", xz(&log), "dump.sql"),
        ("trace.zst", zstd(&log), "trace"),
    ] {
        let seen = expand_default(name, &bytes);
        assert_eq!(seen.paths(), [format!("{name}!{inner}")]);
        assert_eq!(seen.entries[0].1, log);
    }
}

#[test]
fn formats_are_recognised_by_content_whatever_the_name() {
    let seen = expand_default("plan.tfplan", &zip_of(&[("tfplan", SECRET_LINE)]));
    assert_eq!(seen.paths(), ["plan.tfplan!tfplan"]);
    let seen = expand_default("release.bin", &gzip(&tar_of(&[("k.pem", SECRET_LINE)])));
    assert_eq!(seen.paths(), ["release.bin!k.pem"]);
    let mut none = false;
    assert!(!expand(
        "notes.zip",
        b"just text",
        &Limits::default(),
        &ScanBudget::default(),
        &mut |_| none = true
    ));
    assert!(!none);
}

#[test]
fn concatenated_gzip_members_and_zstd_frames_are_all_read() {
    let gz = [gzip(b"first\n"), gzip(SECRET_LINE)].concat();
    assert_eq!(
        expand_default("x.gz", &gz).entries[0].1,
        [b"first\n".as_slice(), SECRET_LINE].concat()
    );
    let zst = [zstd(b"first\n"), zstd(SECRET_LINE)].concat();
    assert_eq!(
        expand_default("x.zst", &zst).entries[0].1,
        [b"first\n".as_slice(), SECRET_LINE].concat()
    );
}

#[test]
fn nested_archives_are_opened_and_named_level_by_level() {
    let jar = zip_of(&[("com/example/application.properties", SECRET_LINE)]);
    let war = zip_of(&[("WEB-INF/lib/core.jar", &jar), ("index.html", b"<html/>")]);
    let tgz = gzip(&tar_of(&[("deploy/app.war", &war)]));
    let seen = expand_default("release.tgz", &tgz);
    assert_eq!(
        seen.paths(),
        [
            "release.tgz!deploy/app.war!WEB-INF/lib/core.jar!com/example/application.properties",
            "release.tgz!deploy/app.war!index.html"
        ]
    );
    assert!(seen.problems.is_empty());
}

#[test]
fn an_office_document_yields_its_xml_parts() {
    let body =
        b"<w:document><w:t>token: ghp_fakeFAKEfake0123456789abcdefABCDEF0</w:t></w:document>";
    let docx = zip_of(&[("[Content_Types].xml", b"<Types/>"), ("word/document.xml", body)]);
    let seen = expand_default("report.docx", &docx);
    assert!(seen.paths().contains(&"report.docx!word/document.xml"));
}

// ---- the hostile set ----

#[test]
fn a_flat_zip_bomb_stops_at_the_ratio_bound() {
    let zeros = vec![0u8; 16 << 20];
    let bomb = zip_of(&[("zeros.bin", &zeros), ("after.env", SECRET_LINE)]);
    assert!(bomb.len() < 200 << 10);
    let seen = expand_default("bomb.zip", &bomb);
    assert_eq!(seen.problems[0].path, "bomb.zip!zeros.bin");
    assert_eq!(seen.problems[0].problem, Problem::RatioLimit(Limits::default().max_ratio));
    assert!(
        seen.entries
            .iter()
            .all(|(_, b)| b.len() as u64 <= RATIO_FLOOR.max(bomb.len() as u64 * 250) + (64 << 10))
    );
    assert!(seen.paths().contains(&"bomb.zip!after.env"), "later members are still read");
}

#[test]
fn a_gzip_bomb_stops_at_the_ratio_bound() {
    let bomb = gzip(&vec![b'a'; 32 << 20]);
    let seen = expand_default("huge.log.gz", &bomb);
    assert_eq!(seen.problem_kinds(), [&Problem::RatioLimit(250)]);
}

#[test]
fn a_nested_zip_bomb_stops_at_the_archive_byte_bound() {
    let leaf = zip_of(&[("data.txt", &vec![b'x'; 1 << 20])]);
    let middle_members: Vec<(String, Vec<u8>)> =
        (0..10).map(|i| (format!("l2-{i}.zip"), leaf.clone())).collect();
    let middle =
        zip_of(&middle_members.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect::<Vec<_>>());
    let top_members: Vec<(String, Vec<u8>)> =
        (0..10).map(|i| (format!("l1-{i}.zip"), middle.clone())).collect();
    let top =
        zip_of(&top_members.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect::<Vec<_>>());
    let limits = Limits { max_archive_bytes: 8 << 20, ..Limits::default() };
    let seen = expand_with("42.zip", &top, &limits, &ScanBudget::default());
    assert!(
        seen.problem_kinds().contains(&&Problem::ArchiveBytesLimit(8 << 20)),
        "{:?}",
        seen.problems
    );
    let extracted: usize = seen.entries.iter().map(|(_, b)| b.len()).sum();
    assert!(extracted <= 8 << 20);
    assert_eq!(
        seen.problems.iter().filter(|p| matches!(p.problem, Problem::ArchiveBytesLimit(_))).count(),
        1
    );
}

#[test]
fn a_self_nesting_zip_chain_like_a_quine_stops_at_the_depth_limit() {
    let mut archive = zip_of(&[("secret.env", SECRET_LINE)]);
    for _ in 0..20 {
        archive = zip_of(&[("r.zip", &archive)]);
    }
    let seen = expand_default("r.zip", &archive);
    assert!(seen.entries.is_empty());
    assert_eq!(seen.problems.len(), 1);
    assert_eq!(seen.problems[0].path, "r.zip!r.zip!r.zip!r.zip");
    assert_eq!(seen.problems[0].problem, Problem::DepthLimit(3));
}

#[test]
fn the_depth_limit_counts_a_compressed_tar_as_one_level() {
    let inner = zip_of(&[("k.env", SECRET_LINE)]);
    let tgz = gzip(&tar_of(&[("lib/inner.zip", &inner)]));
    let outer = zip_of(&[("bundle.tgz", &tgz)]);
    let seen = expand_default("outer.zip", &outer);
    assert_eq!(seen.paths(), ["outer.zip!bundle.tgz!lib/inner.zip!k.env"]);
}

#[test]
fn overlapping_zip_entries_are_refused_before_decompressing() {
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    writer.start_file("kernel", options).unwrap();
    writer.write_all(&vec![0u8; 1 << 20]).unwrap();
    for i in 0..50 {
        writer.shallow_copy_file("kernel", &format!("copy{i}")).unwrap();
    }
    let bomb = writer.finish().unwrap().into_inner();
    let seen = expand_default("overlap.zip", &bomb);
    assert!(seen.entries.is_empty());
    assert_eq!(seen.problem_kinds(), [&Problem::OverlappingEntries]);
}

#[test]
fn a_hundred_thousand_member_zip_is_read_linearly_up_to_the_member_bound() {
    let names: Vec<String> = (0..100_001).map(|i| format!("f/{i}.txt")).collect();
    let members: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), b"x".as_slice())).collect();
    let archive = stored_zip_of(&members);
    let seen = expand_default("many.zip", &archive);
    assert_eq!(seen.entries.len(), 100_000);
    assert_eq!(seen.problems.len(), 1);
    assert_eq!(
        seen.problems[0],
        ArchiveProblem { path: "many.zip".into(), problem: Problem::EntryLimit(100_000) }
    );
}

#[test]
fn escaping_and_absolute_member_names_are_only_labels() {
    let archive = zip_of(&[("../../etc/evil.env", SECRET_LINE), ("/etc/abs.env", SECRET_LINE)]);
    let seen = expand_default("names.zip", &archive);
    assert_eq!(seen.paths(), ["names.zip!../../etc/evil.env", "names.zip!/etc/abs.env"]);
    // The tar writer refuses `..`; a hostile archive does not ask it: write the name by hand.
    let mut header = tar::Header::new_old();
    header.set_size(SECRET_LINE.len() as u64);
    header.as_old_mut().name[..15].copy_from_slice(b"ok/../../up.env");
    header.set_cksum();
    let mut builder = tar::Builder::new(Vec::new());
    builder.append(&header, SECRET_LINE).unwrap();
    let tar = builder.into_inner().unwrap();
    let mut posix = tar;
    posix[257..263].copy_from_slice(b"ustar\0");
    posix[263..265].copy_from_slice(b"00");
    let mut fixed = tar::Header::from_byte_slice(&posix[..512]).clone();
    fixed.set_cksum();
    posix[..512].copy_from_slice(fixed.as_bytes());
    assert_eq!(expand_default("names.tar", &posix).paths(), ["names.tar!ok/../../up.env"]);
}

#[test]
fn a_corrupt_central_directory_is_a_problem_not_a_panic() {
    let mut archive = zip_of(&[("a.env", SECRET_LINE), ("b.env", SECRET_LINE)]);
    let central = archive.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    for byte in &mut archive[central + 4..central + 40] {
        *byte = 0xFF;
    }
    let seen = expand_default("broken.zip", &archive);
    assert!(!seen.problems.is_empty());
    assert!(seen.problems.iter().all(|p| p.problem.incomplete()));
    let mut cut = zip_of(&[("a.env", SECRET_LINE)]);
    cut.truncate(cut.len() - 10);
    let seen = expand_default("cut.zip", &cut);
    assert!(seen.problems.iter().any(|p| p.problem.incomplete()), "{:?}", seen.problems);
}

#[test]
fn a_truncated_gzip_yields_what_it_holds_and_says_it_was_cut() {
    let log: Vec<u8> = (0..2000)
        .flat_map(|i| format!("{i} line of log text {}\n", i * 7919).into_bytes())
        .collect();
    let full = gzip(&[SECRET_LINE, &log].concat());
    let seen = expand_default("app.log.gz", &full[..full.len() / 2]);
    assert_eq!(
        seen.problems,
        [ArchiveProblem { path: "app.log.gz!app.log".into(), problem: Problem::Truncated }]
    );
    assert!(seen.entries[0].1.starts_with(SECRET_LINE));
}

#[test]
fn a_truncated_tar_member_is_reported() {
    let tar = tar_of(&[("a.env", SECRET_LINE), ("b.bin", &vec![b'b'; 4096])]);
    let seen = expand_default("cut.tar", &tar[..512 + 512 + 512 + 100]);
    assert_eq!(seen.paths()[0], "cut.tar!a.env");
    assert!(seen.problem_kinds().contains(&&Problem::Truncated), "{:?}", seen.problems);
}

#[test]
fn tar_devices_links_and_fifos_are_named_and_never_followed() {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, kind) in [
        ("dev/sda", tar::EntryType::Block),
        ("dev/tty", tar::EntryType::Char),
        ("run/pipe", tar::EntryType::Fifo),
        ("etc/hard", tar::EntryType::Link),
        ("etc/soft", tar::EntryType::Symlink),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_size(0);
        if matches!(kind, tar::EntryType::Link | tar::EntryType::Symlink) {
            header.set_link_name("/etc/shadow").unwrap();
        }
        builder.append_data(&mut header, name, std::io::empty()).unwrap();
    }
    let mut header = tar::Header::new_gnu();
    header.set_size(SECRET_LINE.len() as u64);
    builder.append_data(&mut header, "etc/real.env", SECRET_LINE).unwrap();
    let seen = expand_default("img.tar", &builder.into_inner().unwrap());
    assert_eq!(seen.paths(), ["img.tar!etc/real.env"]);
    let kinds: Vec<_> = seen.problems.iter().map(|p| (p.path.as_str(), &p.problem)).collect();
    assert_eq!(
        kinds,
        [
            ("img.tar!dev/sda", &Problem::SpecialEntry(SpecialEntry::Device)),
            ("img.tar!dev/tty", &Problem::SpecialEntry(SpecialEntry::Device)),
            ("img.tar!run/pipe", &Problem::SpecialEntry(SpecialEntry::Fifo)),
            ("img.tar!etc/hard", &Problem::SpecialEntry(SpecialEntry::HardLink)),
            ("img.tar!etc/soft", &Problem::SpecialEntry(SpecialEntry::Symlink)),
        ]
    );
    assert!(seen.problems.iter().all(|p| !p.problem.incomplete()));
}

#[test]
fn an_encrypted_zip_member_is_named_and_the_others_are_read() {
    let mut archive = stored_zip_of(&[("locked.env", SECRET_LINE), ("open.env", SECRET_LINE)]);
    // Set the "encrypted" flag of the first entry in its local and central headers.
    archive[6] |= 1;
    let central = archive.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    archive[central + 8] |= 1;
    let seen = expand_default("enc.zip", &archive);
    assert_eq!(
        seen.problems,
        [ArchiveProblem { path: "enc.zip!locked.env".into(), problem: Problem::Encrypted }]
    );
    assert_eq!(seen.paths(), ["enc.zip!open.env"]);
}

#[test]
fn the_scan_budget_is_shared_and_bounds_every_archive() {
    let archive = zip_of(&[("a.txt", &vec![b'a'; 600 << 10]), ("b.txt", &vec![b'b'; 600 << 10])]);
    let budget = ScanBudget::new(1 << 20);
    let seen = expand_with("one.zip", &archive, &Limits::default(), &budget);
    assert_eq!(seen.problems[0].problem, Problem::ScanBytesLimit(1 << 20));
    assert_eq!(budget.available(), 0);
    let seen = expand_with("two.zip", &archive, &Limits::default(), &budget);
    assert_eq!(seen.problems[0].problem, Problem::ScanBytesLimit(1 << 20));
}

#[test]
fn a_zstd_window_over_the_decoder_bound_is_a_memory_problem() {
    // A frame header asking for a 2 GiB window (window descriptor 0xA8: exponent 21, window log 10 + 21 = 31).
    let frame = [0x28, 0xB5, 0x2F, 0xFD, 0x00, 0xA8, 0, 0, 0, 0];
    let seen = expand_default("big.zst", &frame);
    assert!(matches!(seen.problems[0].problem, Problem::DecoderMemory(_)), "{:?}", seen.problems);
}

#[test]
fn random_garbage_behind_a_signature_never_panics() {
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut noise = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state as u8
    };
    for magic in [
        &b"PK\x03\x04"[..],
        &[0x1F, 0x8B, 0x08],
        b"BZh91AY&SY",
        &[0xFD, b'7', b'z', b'X', b'Z', 0],
        &[0x28, 0xB5, 0x2F, 0xFD],
    ] {
        for len in [0, 1, 10, 100, 1000] {
            let mut bytes = magic.to_vec();
            bytes.extend((0..len).map(|_| noise()));
            let seen = expand_default("noise", &bytes);
            assert!(
                seen.problems.iter().any(|p| p.problem.incomplete()) || !seen.entries.is_empty()
            );
        }
    }
}
