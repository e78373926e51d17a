//! Decoding: compression detected by magic bytes (never by extension), multi-member gzip and
//! bzip2, multi-stream xz, multi-frame zstd. The stored bytes and the decompressed bytes are
//! hashed (SHA-256) as they stream past, so chain of custody costs no second read.
//! Evidence is opened read-only.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Bzip2,
    Xz,
    Zstd,
}

impl Compression {
    pub fn as_str(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Bzip2 => "bzip2",
            Compression::Xz => "xz",
            Compression::Zstd => "zstd",
        }
    }

    /// Detects compression from the first bytes of a file.
    pub fn sniff(head: &[u8]) -> Compression {
        match head {
            [0x1f, 0x8b, ..] => Compression::Gzip,
            [b'B', b'Z', b'h', b'1'..=b'9', ..] => Compression::Bzip2,
            [0xfd, b'7', b'z', b'X', b'Z', 0x00, ..] => Compression::Xz,
            [0x28, 0xb5, 0x2f, 0xfd, ..] => Compression::Zstd,
            _ => Compression::None,
        }
    }
}

/// Where evidence bytes are read from: a file, or a member of an archive (archives are read in
/// place, never extracted to disk; see [`super::archive`]): held in memory, or, past the memory
/// limit, streamed from the archive at each read.
#[derive(Debug, Clone)]
pub enum Source {
    File(std::path::PathBuf),
    Bytes(Arc<[u8]>),
    /// `size` bytes at `offset` of a tar archive's (decompressed) stream.
    TarMember {
        archive: Arc<Source>,
        compression: Compression,
        offset: u64,
        size: u64,
    },
    /// A zip member's data: `stored` bytes at `data_start`, stored or deflated.
    ZipMember {
        archive: Arc<Source>,
        data_start: u64,
        stored: u64,
        deflated: bool,
    },
}

/// A readable, seekable evidence stream.
pub trait ReadSeek: Read + io::Seek + Send {}
impl<T: Read + io::Seek + Send> ReadSeek for T {}

/// Reads and drops `n` bytes (an error when the stream ends first).
fn skip(r: &mut dyn Read, n: u64) -> io::Result<()> {
    if io::copy(&mut r.take(n), &mut io::sink())? < n {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the archive ends before the member"));
    }
    Ok(())
}

impl Source {
    /// Opens the evidence read-only.
    pub fn open(&self) -> io::Result<Box<dyn Read + Send>> {
        self.open_at(0)
    }

    /// Opens the evidence read-only, `offset` bytes in.
    /// The stored size, when known without reading.
    pub fn stored_len(&self) -> Option<u64> {
        match self {
            Source::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
            Source::Bytes(b) => Some(b.len() as u64),
            Source::TarMember { size, .. } => Some(*size),
            Source::ZipMember { stored, .. } => Some(*stored),
        }
    }

    pub fn open_at(&self, offset: u64) -> io::Result<Box<dyn Read + Send>> {
        use std::io::{Seek, SeekFrom};
        match self {
            Source::File(_) | Source::Bytes(_) => {
                let mut r = self.open_seekable()?;
                if offset > 0 {
                    r.seek(SeekFrom::Start(offset))?;
                }
                Ok(Box::new(r))
            }
            Source::TarMember { archive, compression, offset: at, size } => {
                let mut stream: Box<dyn Read + Send> = if *compression == Compression::None {
                    archive.open_at(*at)?
                } else {
                    let (mut r, _) = open_decoded(archive, *compression)?;
                    skip(&mut r, *at)?;
                    r
                };
                skip(&mut stream, offset)?;
                Ok(Box::new(stream.take(size.saturating_sub(offset))))
            }
            Source::ZipMember { archive, data_start, stored, deflated } => {
                let raw = archive.open_at(*data_start)?.take(*stored);
                let mut r: Box<dyn Read + Send> =
                    if *deflated { Box::new(flate2::read::DeflateDecoder::new(raw)) } else { Box::new(raw) };
                skip(&mut r, offset)?;
                Ok(r)
            }
        }
    }

    /// Opens the evidence for random access: a file or bytes in memory (a zip's central
    /// directory is at its end).
    pub fn open_seekable(&self) -> io::Result<Box<dyn ReadSeek>> {
        match self {
            Source::File(p) => Ok(Box::new(open_evidence(p)?)),
            Source::Bytes(b) => Ok(Box::new(io::Cursor::new(b.clone()))),
            _ => Err(io::Error::other("an archive member streamed from its archive cannot be read at random")),
        }
    }
}

impl From<&Path> for Source {
    fn from(p: &Path) -> Source {
        Source::File(p.to_path_buf())
    }
}

/// Opens a file read-only. On Linux, `O_NOATIME` is tried first so reading evidence does not
/// even touch its access time (it needs ownership; without it the plain open is used).
pub fn open_evidence(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let noatime = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NOATIME).open(path);
    match noatime {
        Ok(f) => Ok(f),
        Err(_) => std::fs::OpenOptions::new().read(true).open(path),
    }
}

/// A reader that hashes what passes through it (or only counts, when `hash` is off).
pub struct HashingReader<R> {
    inner: R,
    hash: bool,
    hasher: Arc<Mutex<Sha256>>,
    bytes: Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.hash {
            self.hasher.lock().expect("hasher lock").update(&buf[..n]);
        }
        self.bytes.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// A handle on the running hash of the stored bytes.
#[derive(Clone, Default)]
pub struct StoredHash {
    hasher: Arc<Mutex<Sha256>>,
    bytes: Arc<std::sync::atomic::AtomicU64>,
}

impl StoredHash {
    pub fn hex(&self) -> String {
        hex::encode(self.hasher.lock().expect("hasher lock").clone().finalize())
    }
    pub fn bytes(&self) -> u64 {
        self.bytes.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Opens a decompressing reader over a file whose compression is already known.
/// Returns the reader and a handle on the SHA-256 of the stored (compressed) bytes; plain files
/// are not hashed here (their content hash is the stored hash, computed by the caller).
pub fn open_decoded(src: &Source, compression: Compression) -> io::Result<(Box<dyn Read + Send>, StoredHash)> {
    open_decoded_at(src, compression, 0)
}

/// Like [`open_decoded`], starting `offset` bytes into a plain file (incremental tail reads).
pub fn open_decoded_at(
    src: &Source,
    compression: Compression,
    offset: u64,
) -> io::Result<(Box<dyn Read + Send>, StoredHash)> {
    let file = src.open_at(if compression == Compression::None { offset } else { 0 })?;
    let hash = StoredHash::default();
    let raw = HashingReader {
        inner: file,
        hash: compression != Compression::None,
        hasher: hash.hasher.clone(),
        bytes: hash.bytes.clone(),
    };
    // A buffer no larger than the stored bytes: thousands of small logs each got a fresh 1 MiB
    // buffer, and zeroing its fresh pages cost more than reading them.
    let capacity = src.stored_len().map_or(1 << 20, |n| n.saturating_sub(offset).clamp(8 << 10, 1 << 20) as usize);
    let raw = BufReader::with_capacity(capacity, raw);
    let reader: Box<dyn Read + Send> = match compression {
        Compression::None => Box::new(raw),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(raw)),
        Compression::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(raw)),
        Compression::Xz => Box::new(liblzma::bufread::XzDecoder::new_multi_decoder(raw)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(raw)?),
    };
    Ok((reader, hash))
}

/// Reads up to `n` bytes of the decompressed start of a file, to sniff its format. Errors
/// after some bytes were read just end the sample (the full read reports damage).
pub fn read_head(src: &Source, compression: Compression, n: usize) -> io::Result<Vec<u8>> {
    let (r, _) = open_decoded(src, compression)?;
    // Grown as bytes arrive, never zero-filled to `n` first: most logs are far smaller than
    // the sample size, and thousands of them each got a zeroed buffer of it.
    // Planning holds every file's head at once, so each is kept at its size.
    let first = if compression == Compression::None { src.stored_len().map_or(n, |l| l as usize + 1) } else { 8 << 10 };
    let mut buf = Vec::with_capacity(n.min(first));
    let res = r.take(n as u64).read_to_end(&mut buf);
    buf.shrink_to_fit();
    match res {
        Ok(_) => Ok(buf),
        Err(e) if buf.is_empty() => Err(e),
        Err(_) => Ok(buf),
    }
}

/// A file's compression and the first `n` bytes of its decompressed content, as
/// [`sniff_compression`] and [`read_head`] give them, with one opening of a plain file and no
/// lookup of its size by path (thousands of small logs each paid two openings and three path
/// lookups, twice: when archives are looked for and when the files are planned). A compressed
/// file is opened again to decompress its start. The outer error is the opening's, the inner
/// the reading's.
pub fn probe(src: &Source, n: usize) -> io::Result<(Compression, io::Result<Vec<u8>>)> {
    let mut f = src.open()?;
    // At least the magic bytes, whatever the head's size; grown as bytes arrive, like
    // [`read_head`]'s, and kept at their size.
    const MAGIC: usize = 8;
    let mut buf = Vec::with_capacity(n.clamp(MAGIC, 8 << 10));
    let res = (&mut f).take(n.max(MAGIC) as u64).read_to_end(&mut buf);
    let compression = Compression::sniff(&buf[..buf.len().min(MAGIC)]);
    if compression != Compression::None {
        return Ok((compression, read_head(src, compression, n)));
    }
    buf.truncate(n);
    buf.shrink_to_fit();
    Ok((
        compression,
        match res {
            Err(e) if buf.is_empty() => Err(e),
            _ => Ok(buf),
        },
    ))
}

/// A file's compression and the start of its decompressed content, read once when the file
/// was found (see [`probe`]) and shared by every step that looks at it: archive detection,
/// format sniffing, and, when the head is the whole file, the exact-copy hash and the read.
#[derive(Debug, Clone)]
pub struct Probed {
    pub compression: Compression,
    /// The head, or why it could not be had (`cannot open: …`, `cannot read: …`).
    pub head: Result<Arc<[u8]>, String>,
    /// Bytes asked for: a shorter head of a plain file is the whole file.
    asked: usize,
}

impl Probed {
    /// Probes `src` for its first `n` decompressed bytes.
    pub fn of(src: &Source, n: usize) -> Probed {
        let (compression, head) = match probe(src, n) {
            Ok((c, head)) => (c, head.map(Arc::from).map_err(|e| format!("cannot read: {e}"))),
            Err(e) => (Compression::None, Err(format!("cannot open: {e}"))),
        };
        Probed { compression, head, asked: n }
    }

    /// The whole content of an uncompressed file whose head ended before the bytes asked for:
    /// thousands of small logs are then opened and read once, and what is hashed, sniffed and
    /// parsed is one reading of them.
    pub fn whole(&self) -> Option<&Arc<[u8]>> {
        match &self.head {
            Ok(h) if self.compression == Compression::None && h.len() < self.asked => Some(h),
            _ => None,
        }
    }
}

/// The last whole lines within the last `n` bytes of an uncompressed file (the first, likely
/// partial, line dropped; nothing when the file fits in the head already read).
pub fn read_tail_lines(src: &Source, size: u64, n: usize) -> io::Result<Vec<u8>> {
    if size <= n as u64 {
        return Ok(Vec::new());
    }
    let f = src.open_at(size - n as u64)?;
    let mut buf = Vec::with_capacity(n);
    f.take(n as u64).read_to_end(&mut buf)?;
    let start = memchr::memchr(b'\n', &buf).map_or(buf.len(), |i| i + 1);
    Ok(buf.split_off(start))
}

/// Reads the magic bytes of a file.
pub fn sniff_compression(src: &Source) -> io::Result<Compression> {
    let mut f = src.open()?;
    let mut head = [0u8; 8];
    let mut filled = 0;
    while filled < head.len() {
        match f.read(&mut head[filled..])? {
            0 => break,
            k => filled += k,
        }
    }
    Ok(Compression::sniff(&head[..filled]))
}

/// Whether a decompressed sample looks like a binary file (wtmp, lastlog, journal, images)
/// rather than text: NUL or other control bytes in more than 10 % of the first 4 KiB.
pub fn looks_binary(sample: &[u8]) -> bool {
    let s = &sample[..sample.len().min(4096)];
    if s.is_empty() {
        return false;
    }
    let bad = s.iter().filter(|&&c| c < 0x20 && !matches!(c, b'\n' | b'\r' | b'\t' | 0x1b | 0x0c)).count();
    bad * 10 > s.len()
}

/// SHA-256 of a whole file (used only to recognise exact copies before reading them).
pub fn sha256_file(src: &Source) -> io::Result<String> {
    Ok(hex::encode(sha256_prefix(src, u64::MAX)?.0.finalize()))
}

/// Hash state over the first `limit` bytes of a file, and how many bytes that was.
pub fn sha256_prefix(src: &Source, limit: u64) -> io::Result<(Sha256, u64)> {
    let f = src.open()?;
    let mut f = f.take(limit);
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 << 10];
    let mut total = 0u64;
    loop {
        match f.read(&mut buf)? {
            0 => break,
            n => {
                h.update(&buf[..n]);
                total += n as u64;
            }
        }
    }
    Ok((h, total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn all(path: &Path) -> (Vec<u8>, Option<io::Error>) {
        let src = Source::from(path);
        let c = sniff_compression(&src).unwrap();
        let (mut r, _) = open_decoded(&src, c).unwrap();
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match r.read(&mut buf) {
                Ok(0) => return (out, None),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => return (out, Some(e)),
            }
        }
    }

    #[test]
    fn every_codec_by_magic_including_multi_member() {
        let dir = tempfile::tempdir().unwrap();
        let text = b"line one\nline two\n";
        let mut gz = Vec::new();
        for part in [&text[..9], &text[9..]] {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(part).unwrap();
            gz.extend(e.finish().unwrap());
        }
        let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        bz.write_all(text).unwrap();
        let mut xz = liblzma::write::XzEncoder::new(Vec::new(), 1);
        xz.write_all(text).unwrap();
        let zs = zstd::encode_all(&text[..], 1).unwrap();
        for (name, bytes, want) in [
            ("a.log", text.to_vec(), Compression::None),
            ("b.log", gz, Compression::Gzip),
            ("c.txt", bz.finish().unwrap(), Compression::Bzip2),
            ("d", xz.finish().unwrap(), Compression::Xz),
            ("e.gz", zs, Compression::Zstd),
        ] {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            let src = Source::from(p.as_path());
            assert_eq!(sniff_compression(&src).unwrap(), want, "{name}");
            // One probe gives what sniffing and reading the head give, for every codec and any
            // head size (shorter than the magic bytes too).
            for n in [3, 12, 4096] {
                let (c, head) = probe(&src, n).unwrap();
                assert_eq!(c, want, "{name}");
                assert_eq!(head.unwrap(), read_head(&src, want, n).unwrap(), "{name}, {n} bytes");
            }
            let (out, err) = all(&p);
            assert!(err.is_none(), "{name}: {err:?}");
            assert_eq!(out, text, "{name}");
        }
    }

    /// An empty file is plain and empty; a missing one fails to open (the outer error).
    #[test]
    fn probe_of_an_empty_and_a_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.log");
        std::fs::write(&empty, b"").unwrap();
        let (c, head) = probe(&Source::from(empty.as_path()), 4096).unwrap();
        assert_eq!((c, head.unwrap()), (Compression::None, Vec::new()));
        let missing = dir.path().join("missing.log");
        assert_eq!(probe(&Source::from(missing.as_path()), 4096).unwrap_err().kind(), io::ErrorKind::NotFound);
    }

    /// A plain file shorter than the bytes asked for is held whole; one as long or longer, a
    /// compressed one, or one that cannot be opened is not (it is read from the file again).
    #[test]
    fn probed_heads_hold_only_whole_plain_files() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, bytes: &[u8]| {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            Source::from(p.as_path())
        };
        let text = b"Dec  1 10:00:00 h1 sshd[1]: a\n".repeat(4);
        let small = Probed::of(&write("small.log", &text), text.len() + 1);
        assert_eq!(small.whole().map(|b| b.as_ref()), Some(text.as_slice()));
        let exact = Probed::of(&write("exact.log", &text), text.len());
        assert_eq!(exact.head.as_deref().unwrap(), text.as_slice());
        assert!(exact.whole().is_none(), "a head as long as the sample may be cut");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&text).unwrap();
        let packed = Probed::of(&write("small.log.gz", &gz.finish().unwrap()), 1 << 16);
        assert_eq!((packed.compression, packed.head.as_deref().unwrap()), (Compression::Gzip, text.as_slice()));
        assert!(packed.whole().is_none());
        let missing = Probed::of(&Source::from(dir.path().join("missing.log").as_path()), 1 << 16);
        assert!(missing.head.unwrap_err().starts_with("cannot open: "));
        let empty = Probed::of(&write("empty.log", b""), 1 << 16);
        assert_eq!(empty.whole().map(|b| b.len()), Some(0));
    }

    #[test]
    fn truncated_gzip_reports_an_error_after_the_good_part() {
        let dir = tempfile::tempdir().unwrap();
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        for i in 0..20_000 {
            writeln!(e, "line number {i} with some text to make it longer").unwrap();
        }
        let full = e.finish().unwrap();
        let p = dir.path().join("t.gz");
        std::fs::write(&p, &full[..full.len() / 2]).unwrap();
        let (out, err) = all(&p);
        assert!(err.is_some(), "truncation is an error");
        assert!(out.len() > 100_000, "the good part is recovered: {}", out.len());
        assert!(out.starts_with(b"line number 0 "));
    }

    #[test]
    fn binary_detection() {
        assert!(looks_binary(&[0u8; 384]));
        assert!(!looks_binary(b"Dec  1 10:00:00 host x: y\n"));
        assert!(!looks_binary(b""));
    }
}
