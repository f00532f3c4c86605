//! Single compressed streams: gzip (every member of a multi-member file), bzip2, xz and zstd
//! (every frame). The decoded content is read through a [`RatioMeter`](super::RatioMeter); a tar
//! inside is walked straight from the decoder, anything else becomes one member named after the
//! outer item without its compression suffix (`app.log.gz!app.log`).

use std::io::{self, Read};

use ruzstd::decoding::errors::FrameDecoderError;
use ruzstd::decoding::{FrameDecoder, StreamingDecoder};

use super::{
    Expander, Format, Problem, RatioFlag, RatioMeter, SNIFF_LEN, XZ_MEMORY_KIB, sniff, tarball,
};

/// Decodes the compressed `bytes` (at nesting level `depth`).
pub(super) fn walk(x: &mut Expander<'_>, path: &str, format: Format, bytes: &[u8], depth: u32) {
    let decoder = match decoder(format, bytes) {
        Ok(decoder) => decoder,
        Err(problem) => return x.problem(path, problem),
    };
    let flag = RatioFlag::default();
    let mut meter = RatioMeter::new(decoder, bytes.len() as u64, x.limits.max_ratio, flag.clone());
    let mut head = Vec::with_capacity(SNIFF_LEN);
    if let Err(e) = (&mut meter).take(SNIFF_LEN as u64).read_to_end(&mut head) {
        // Too short or broken to sniff: scan what came out, then say why it stopped.
        let problem = if flag.tripped() {
            Problem::RatioLimit(x.limits.max_ratio)
        } else {
            super::io_problem(&e)
        };
        let inner = inner_path(path);
        x.member(&inner, &head, depth);
        return x.problem(&inner, problem);
    }
    let mut content = io::Cursor::new(head).chain(meter);
    if sniff(content.get_ref().0.get_ref()) == Some(Format::Tar) {
        tarball::walk_reader(x, path, content, &flag, depth);
    } else {
        x.read_member(&inner_path(path), &mut content, &flag, depth);
    }
}

/// A streaming decoder for `format` over `bytes`.
fn decoder<'a>(format: Format, bytes: &'a [u8]) -> Result<Box<dyn Read + 'a>, Problem> {
    Ok(match format {
        Format::Gzip => Box::new(flate2::read::MultiGzDecoder::new(bytes)),
        Format::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(bytes)),
        Format::Xz => Box::new(lzma_rust2::XzReader::new_mem_limit(bytes, true, XZ_MEMORY_KIB)),
        Format::Zstd => Box::new(ZstdFrames { rest: bytes, frame: None }),
        Format::Zip | Format::Tar => {
            return Err(Problem::Unsupported(format!("{} is not a stream", format.as_str())));
        }
    })
}

/// The member path of a stream's content: the outer name without its compression suffix.
fn inner_path(path: &str) -> String {
    let base = path.rsplit(['/', '!']).next().unwrap_or(path);
    if base.is_empty() {
        return format!("{path}!(decompressed)");
    }
    let lower = base.to_ascii_lowercase();
    let suffixes =
        [(".tgz", ".tar"), (".gz", ""), (".bz2", ""), (".xz", ""), (".zst", ""), (".zstd", "")];
    let inner = suffixes
        .iter()
        .find(|(suffix, _)| lower.ends_with(suffix) && lower.len() > suffix.len())
        .map_or_else(
            || base.to_string(),
            |(suffix, add)| format!("{}{add}", &base[..base.len() - suffix.len()]),
        );
    format!("{path}!{inner}")
}

/// Every zstd frame in `rest`, one after the other (ruzstd's decoder reads one frame).
struct ZstdFrames<'a> {
    rest: &'a [u8],
    frame: Option<StreamingDecoder<&'a [u8], FrameDecoder>>,
}

impl Read for ZstdFrames<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(frame) = &mut self.frame {
                let n = frame.read(buf)?;
                if n > 0 || buf.is_empty() {
                    return Ok(n);
                }
                self.rest = frame.get_ref();
                self.frame = None;
            }
            if self.rest.is_empty() {
                return Ok(0);
            }
            let frame = StreamingDecoder::new(self.rest).map_err(|e| {
                // A window over ruzstd's bound is a memory bound reached, not corrupt data.
                let kind = match e {
                    FrameDecoderError::WindowSizeTooBig { .. } => io::ErrorKind::OutOfMemory,
                    _ => io::ErrorKind::InvalidData,
                };
                io::Error::new(kind, e)
            })?;
            self.frame = Some(frame);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::inner_path;

    #[test]
    fn a_stream_member_is_named_after_its_outer_item_without_the_suffix() {
        assert_eq!(inner_path("logs/app.log.gz"), "logs/app.log.gz!app.log");
        assert_eq!(inner_path("x.tgz"), "x.tgz!x.tar");
        assert_eq!(inner_path("a.zip!dump.SQL.XZ"), "a.zip!dump.SQL.XZ!dump.SQL");
        assert_eq!(inner_path("plan.bin"), "plan.bin!plan.bin");
        assert_eq!(inner_path(".gz"), ".gz!.gz");
        assert_eq!(inner_path(""), "!(decompressed)");
    }
}
