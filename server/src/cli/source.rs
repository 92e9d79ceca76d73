//! Reading a source file for `check`: the size limit, binary and UTF-8 checks, and a snapshot
//! of the file's state so the fix writer can tell whether it changed since it was read.

use std::fs::{File, Metadata};
use std::io::Read;
use std::path::Path;
use std::time::SystemTime;

/// By default, files larger than this are skipped with a notice (generated or minified code,
/// data); `max-file-size` in `heap-audit.toml` changes it.
#[cfg(test)]
const MAX_FILE_BYTES: u64 = crate::engine::DEFAULT_MAX_FILE_SIZE;
/// A NUL byte in this many leading bytes marks a file as binary (as git and ripgrep judge).
const BINARY_SNIFF: usize = 8 * 1024;
const BOM: &str = "\u{feff}";

/// What a file looked like when it was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    len: u64,
    modified: Option<SystemTime>,
    #[cfg(unix)]
    inode: (u64, u64),
}

impl Snapshot {
    pub fn of(meta: &Metadata) -> Self {
        Self {
            len: meta.len(),
            modified: meta.modified().ok(),
            #[cfg(unix)]
            inode: {
                use std::os::unix::fs::MetadataExt;
                (meta.dev(), meta.ino())
            },
        }
    }
}

/// A file's bytes and its state when read.
pub struct Source {
    pub bytes: Vec<u8>,
    pub snapshot: Snapshot,
}

/// Why a file was not analysed.
#[derive(Debug, PartialEq, Eq)]
pub enum Unread {
    /// Skipped on purpose (too large): a notice, not an error.
    Skipped(String),
    /// Could not be read or decoded: an error (exit code 2).
    Failed(String),
}

/// Reads `path`, refusing files over `max` bytes (`max-file-size`) before reading them.
pub fn read(path: &Path, max: u64) -> Result<Source, Unread> {
    let fail = |e: std::io::Error| Unread::Failed(format!("cannot read: {e}"));
    let mut file = File::open(path).map_err(fail)?;
    let meta = file.metadata().map_err(fail)?;
    if !meta.is_file() {
        return Err(Unread::Skipped("not a regular file; skipped".to_owned()));
    }
    if meta.len() > max {
        return Err(too_large(meta.len(), max));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // The file may grow while being read: never take more than the limit allows.
    file.by_ref()
        .take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(fail)?;
    if bytes.len() as u64 > max {
        return Err(too_large(bytes.len() as u64, max));
    }
    Ok(Source {
        bytes,
        snapshot: Snapshot::of(&meta),
    })
}

fn too_large(len: u64, max: u64) -> Unread {
    Unread::Skipped(format!(
        "larger than {} ({:.1} MB); skipped (max-file-size sets the limit)",
        crate::config::format_size(max),
        len as f64 / (1024.0 * 1024.0)
    ))
}

/// The text of a source file: `(body, had_bom)`, the body without a UTF-8 byte-order mark.
/// Errors are messages for the user, naming the problem and where it is.
pub fn decode(bytes: &[u8]) -> Result<(&str, bool), String> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err("UTF-16 encoded; only UTF-8 is supported; not checked".to_owned());
    }
    if let Some(at) = bytes[..bytes.len().min(BINARY_SNIFF)]
        .iter()
        .position(|&b| b == 0)
    {
        return Err(format!(
            "binary file (NUL byte at offset {at}); not checked"
        ));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(match text.strip_prefix(BOM) {
            Some(body) => (body, true),
            None => (text, false),
        }),
        Err(e) => {
            let valid = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or("");
            let line = valid.matches('\n').count() + 1;
            let column = valid.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            Err(format!(
                "not valid UTF-8 (byte 0x{:02X} at line {line}, column {column}); not checked",
                bytes[e.valid_up_to()]
            ))
        }
    }
}

/// The bytes to write for a fixed body: the byte-order mark is kept if the file had one.
pub fn encode(body: &str, bom: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + if bom { BOM.len() } else { 0 });
    if bom {
        out.extend_from_slice(BOM.as_bytes());
    }
    out.extend_from_slice(body.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_names_the_problem_and_where() {
        assert_eq!(decode(b"fn main() {}\n"), Ok(("fn main() {}\n", false)));
        assert_eq!(decode("\u{feff}x = 1\n".as_bytes()), Ok(("x = 1\n", true)));
        assert_eq!(
            decode(b"ab\0c").unwrap_err(),
            "binary file (NUL byte at offset 2); not checked"
        );
        let e = decode(b"x = 1\n\xc3\xa9\xff\n").unwrap_err();
        assert_eq!(
            e,
            "not valid UTF-8 (byte 0xFF at line 2, column 2); not checked"
        );
        assert!(decode(b"\xff\xfex\0").unwrap_err().starts_with("UTF-16"));
        // A NUL past the first 8 KB is not taken for binary.
        let mut late = vec![b' '; BINARY_SNIFF];
        late.push(0);
        assert!(decode(&late).is_ok());
    }

    #[test]
    fn encode_restores_the_bom() {
        assert_eq!(encode("x", true), "\u{feff}x".as_bytes());
        assert_eq!(encode("x", false), b"x");
    }

    #[test]
    fn read_skips_large_files_before_reading_them() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.js");
        let f = File::create(&big).unwrap();
        f.set_len(MAX_FILE_BYTES + 1).unwrap();
        match read(&big, MAX_FILE_BYTES) {
            Err(Unread::Skipped(m)) => assert!(m.starts_with("larger than 10 MB"), "{m}"),
            other => panic!("{:?}", other.err()),
        }
        assert_eq!(
            read(&big, MAX_FILE_BYTES + 1).unwrap().bytes.len() as u64,
            MAX_FILE_BYTES + 1
        );
        match read(&big, 1000) {
            Err(Unread::Skipped(m)) => {
                assert_eq!(
                    m,
                    "larger than 1000 bytes (10.0 MB); skipped (max-file-size sets the limit)"
                )
            }
            other => panic!("{:?}", other.err()),
        }
        let missing = read(&dir.path().join("nope.rs"), MAX_FILE_BYTES)
            .err()
            .unwrap();
        assert!(matches!(missing, Unread::Failed(m) if m.starts_with("cannot read: ")));
    }
}
