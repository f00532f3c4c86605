//! Criterion benchmarks of the hot path on a generated corpus, reported as bytes per second.
//!
//! - `matcher/source`: code-like text where keywords are rare (the common case);
//! - `matcher/keyword_dense`: config-like text where every line has `key`, `token`, `password`;
//! - `matcher/minified`: one 4 MiB line with keywords throughout (window clamping on long lines);
//! - `prefilter/source`, `prefilter/keyword_dense`: the keyword prefilter alone (the DFA's lanes,
//!   after the first MiB), on the same texts;
//! - `reader/windowed`: 24 MiB through the overlapping-window reader (three windows);
//! - `reader/small_files`: 2,000 files of 4-12 KB opened and read from a temporary directory,
//!   each through the reader (the per-file cost of reading: open, reads, the window buffer).
//!
//! Run: `cargo bench --bench scan`. Side-by-side timings against other scanners on real
//! repositories are in `benches/compare.sh`.

#![allow(missing_docs)] // criterion_group! generates undocumented items
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::disallowed_methods,
    reason = "a benchmark, not library code"
)]

use std::hint::black_box;
use std::io::Cursor;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use leakhound::internals::content::{ReadOptions, Reader};
use leakhound::internals::matcher::Matcher;
use leakhound::internals::rules::RuleSet;

fn lines(n: usize, make: impl Fn(usize) -> String) -> Vec<u8> {
    (0..n).flat_map(|i| make(i).into_bytes()).collect()
}

fn source_text() -> Vec<u8> {
    lines(20_000, |i| match i % 10 {
        0 => format!("fn handle_{i}(req: &Request) -> Result<Response, Error> {{\n"),
        1 => format!("    let value = compute(req.body(), {i}).map_err(Error::from)?;\n"),
        2 => "    // Process the value and return a response to the caller.\n".to_string(),
        3 => format!("    if value.len() > {i} {{ return Err(Error::TooLong); }}\n"),
        4 => "    let mut out = Vec::with_capacity(value.len() * 2);\n".to_string(),
        5 => "    for item in value.iter().filter(|x| x.is_valid()) { out.push(item.clone()); }\n"
            .to_string(),
        6 => format!("    log::debug!(\"handled {{}} items in request {i}\", out.len());\n"),
        7 => "    Ok(Response::new(out))\n".to_string(),
        8 => "}\n".to_string(),
        _ => "\n".to_string(),
    })
}

fn keyword_dense() -> Vec<u8> {
    lines(20_000, |i| match i % 4 {
        0 => format!("api_key_{i}: ${{API_KEY_{i}}}\n"),
        1 => format!("token_ttl_{i} = 3600\n"),
        2 => format!("password_policy_{i}: strong\n"),
        _ => format!("secret_name_{i}: projects/p/secrets/s{i}\n"),
    })
}

fn minified() -> Vec<u8> {
    let mut line = Vec::with_capacity(4 << 20);
    let mut i = 0;
    while line.len() < 4 << 20 {
        line.extend_from_slice(
            format!("var a{i}={{key:\"k{i}\",token:null,fn:function(x){{return x+{i}}}}};")
                .as_bytes(),
        );
        i += 1;
    }
    line.push(b'\n');
    line
}

fn bench_matcher(c: &mut Criterion) {
    let matcher = Matcher::new(Arc::new(RuleSet::load(&[]).expect("built-in rules")));
    let mut group = c.benchmark_group("matcher");
    for (name, corpus) in
        [("source", source_text()), ("keyword_dense", keyword_dense()), ("minified", minified())]
    {
        group.throughput(Throughput::Bytes(corpus.len() as u64));
        let mut reader = Reader::new(&matcher);
        let mut out = Vec::new();
        group.bench_function(name, |b| {
            b.iter(|| {
                out.clear();
                reader.scan_bytes(&matcher, black_box(&corpus), &mut out);
                out.len()
            });
        });
    }
    group.finish();

    let mut group = c.benchmark_group("prefilter");
    for (name, corpus) in [("source", source_text()), ("keyword_dense", keyword_dense())] {
        group.throughput(Throughput::Bytes(corpus.len() as u64));
        // Past the first MiB the prefilter searches with its DFA, as a tree or history scan does.
        matcher.count_keyword_hits(&vec![b'x'; 2 << 20]);
        group.bench_function(name, |b| b.iter(|| matcher.count_keyword_hits(black_box(&corpus))));
    }
    group.finish();

    let mut group = c.benchmark_group("reader");
    group.sample_size(10);
    let big: Vec<u8> = source_text().repeat(24 * 1024 * 1024 / source_text().len() + 1);
    group.throughput(Throughput::Bytes(big.len() as u64));
    let mut reader = Reader::new(&matcher);
    let mut out = Vec::new();
    group.bench_function("windowed", |b| {
        b.iter(|| {
            out.clear();
            reader
                .scan(&matcher, Cursor::new(black_box(&big)), ReadOptions::default(), &mut out)
                .unwrap();
            out.len()
        });
    });

    let dir = tempfile::tempdir().unwrap();
    let text = source_text();
    let mut paths = Vec::new();
    let mut total = 0;
    for i in 0..2_000 {
        let path = dir.path().join(format!("f{i}.rs"));
        let len = 4_096 + (i * 37) % 8_192;
        std::fs::write(&path, &text[..len]).unwrap();
        total += len;
        paths.push(path);
    }
    group.throughput(Throughput::Bytes(total as u64));
    group.bench_function("small_files", |b| {
        b.iter(|| {
            out.clear();
            for path in &paths {
                let file = std::fs::File::open(path).unwrap();
                reader.scan(&matcher, file, ReadOptions::default(), &mut out).unwrap();
            }
            out.len()
        });
    });
    group.finish();
}

criterion_group!(benches, bench_matcher);
criterion_main!(benches);
