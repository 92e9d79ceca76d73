//! Allocation profiles: measured bytes mapped onto the workspace's lines and functions.
//!
//! Data flows one way, and knows nothing of LSP or terminals:
//!
//! ```text
//! profile file ─► detect (content) ─► reader (dhat | v8 | python) ─► Profile (frames + stacks)
//!              ─► ProfileSet::add (map paths onto the Workspace, attribute totals)
//!              ─► queries: line, span (function), function, heat, hot_lines, top_sites, unmapped
//! ```
//!
//! # Readers (one module each)
//!
//! - [`dhat`]: `dhat-heap.json` from the `dhat` crate and valgrind's DHAT. Line granularity;
//!   bytes allocated over the whole run.
//! - [`v8`]: `.heapprofile` from `node --heap-prof` or DevTools. Function granularity (V8
//!   attributes to functions); sampled bytes still live at exit.
//! - [`python`]: heap-audit's tracemalloc JSON (format and fields documented there), written by
//!   `heap-audit profile python` or by a few lines users add to their code. Line granularity;
//!   bytes live at the snapshot.
//!
//! [`load`] detects the format from the file's content (the first 64 KiB), never from its name
//! alone, and streams the file through `serde_json` into typed structs: memory stays well under
//! twice the file's size (`tests/profile/big-profile.sh` measures it).
//!
//! # Model
//!
//! A [`Profile`] is a table of unique [`Frame`]s (path as written, 1-based line, optional
//! column, optional function, user code or not), a call tree of [`CallNode`]s (frame + caller;
//! stacks share their outer parts) and [`Stack`]s (the innermost call node, with bytes and
//! blocks); [`Profile::stack_frames`] walks a stack innermost first. A stack's *site* is its
//! first user frame that maps into the workspace. Every user frame in a stack gets the stack's
//! total too (once per stack, however often it recurs), so a call site inside a loop is
//! credited with what its callees allocate: each line has `self_bytes` (allocated right there)
//! and `bytes` (there or below).
//!
//! # Mapping
//!
//! [`Workspace::index`] indexes the workspace once; [`Workspace::resolve`] maps a profile path by
//! its longest existing suffix (Rust frames use their crate; see [`workspace`]). Files changed
//! after the profile was written (file mtime > profile mtime) are flagged `stale` ("profile older
//! than file"). User sites that map to nothing (no line information, outside the workspace,
//! ambiguous) are never dropped: [`ProfileSet::unmapped`] lists them with their bytes and the
//! workspace line their bytes went to instead, if any.
//!
//! # Queries (for the LSP and the CLI)
//!
//! All take a workspace file path (absolute, or relative to the root) and 1-based lines; see
//! [`ProfileSet`]. Results are plain data: [`Measured`] (inclusive `bytes`/`blocks`/`share`,
//! `self_*` for what is allocated right there, `measure`, `granularity`, `stale`) and [`Heat`]
//! (`Hot(Measured)`, `Cold` = the profile covers the file but shows nothing here, `NotCovered`).
//! Byte/line conversions and function lookup for callers holding source text live in
//! [`source`]; `12.4 MB · 31k allocs · 18%` labels in [`display`].
//!
//! | question | call |
//! |---|---|
//! | all of a file's findings at once: figures, severities, cold, hot sites (LSP, `check`) | [`annotate::annotate`] |
//! | figures for a finding (message, severity, `check --profile` JSON) | [`ProfileSet::finding`]`(path, src, tree, range)` — its lines; for V8 its enclosing function |
//! | is the finding's function cold? | [`ProfileSet::enclosing`]`(path, src, tree, range)` → `Heat::Cold` |
//! | a line / a span of lines / a function by name | [`ProfileSet::line`], [`ProfileSet::span`], [`ProfileSet::function`] |
//! | inlay hints for a file | [`ProfileSet::hot_lines`]`(path, HotRank::SelfBytes, n, min_share)` + [`display::label`] |
//! | hover: the stacks that reach a line (top 3) | [`ProfileSet::line_stacks`] |
//! | the top sites of all profiles (`profile summary`) | [`ProfileSet::top_sites`] (each with its top 3 stacks) |
//! | sites that map to nothing | [`ProfileSet::unmapped`] |
//! | which files are profiles | [`discover()`]`(root, &config.profile_paths)` |
//! | "profile older than file" | [`Measured::stale`], [`ProfileSet::is_stale`], [`ProfileSet::stale_files`] |
//!
//! # Wiring it in
//!
//! ```no_run
//! use std::path::{Path, PathBuf};
//! use std::sync::Arc;
//! use heap_audit::profile::{self, display, Heat, HotRank, ProfileSet, Workspace};
//!
//! let root = Path::new("/work/app");
//! // Once per workspace root (re-index when files are created or deleted).
//! let workspace = Arc::new(Workspace::index(root));
//! // Profiles: `[profile] paths` globs (config + settings), else `dhat-heap.json`,
//! // `*.heapprofile`, `heap-audit-tracemalloc.json` at the root. A bad one is an error naming
//! // it; the rest still load.
//! let (paths, glob_errors) = profile::discover(root, &[]);
//! let (mut set, errors) = ProfileSet::load(workspace, &paths);
//! for e in &errors {
//!     eprintln!("{e}"); // "<file>: truncated DHAT profile: …" → window/showMessage
//! }
//! // When a watched profile changes: drop it and read it again.
//! let changed = root.join("dhat-heap.json");
//! set.remove(&changed);
//! match profile::load(&changed) {
//!     Ok(p) => set.add(p),
//!     Err(e) => eprintln!("{e}"),
//! }
//! // Per document: inlay hints at the end of hot lines.
//! let file = root.join("src/main.rs");
//! for hot in set.hot_lines(&file, HotRank::SelfBytes, 10, 0.01) {
//!     let _hint = (hot.line, display::label(&hot.measured, false)); // "2.0 MB · 1.0k allocs · 99%"
//! }
//! # let (src, tree, finding_range): (String, tree_sitter::Tree, std::ops::Range<usize>) = todo!();
//! // Per finding: the measured figure, or "cold per profile".
//! match set.finding(&file, &src, &tree, finding_range.clone()) {
//!     Heat::Hot(m) => { let _ = display::label(&m, true); /* warning + figure in the message */ }
//!     _ => {
//!         if let Heat::Cold { .. } = set.enclosing(&file, &src, &tree, finding_range) {
//!             // hint severity, "cold per profile"
//!         }
//!     }
//! }
//! ```
//!
//! Costs: loading streams the file (peak memory under 2x its size, see `big-profile.sh`);
//! `line`, `hot_lines`, `line_stacks` and `top_sites` read per-line tables built at load;
//! `span`, `function`, `finding` and `enclosing` make one pass over the profile's call tree
//! and stacks (a few ms for a million call nodes): call them per finding, not per keystroke
//! without caching.
//!
//! [`annotate`] is the step the LSP and `check --profile` share: a file's findings with their
//! measured figures, "cold per profile", and `profile/hot-site` findings.
//!
//! User documentation (how to make each profile, what the editor and the CLI show): the
//! "Profiles" section of the top-level README. The Python file format: [`python`].

pub mod annotate;
pub mod dhat;
pub mod discover;
pub mod display;
mod mapped;
pub mod model;
pub mod python;
mod query;
pub mod source;
pub mod v8;
pub mod workspace;

use std::fmt;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

pub use discover::{discover, DEFAULT_GLOBS};
pub use mapped::{MappedProfile, UnmappedReason};
pub use model::{
    CallNode, Format, Frame, Granularity, Measure, Profile, Stack, StackFrames, NO_NODE,
};
pub use query::{
    Heat, HotLine, HotRank, Measured, ProfileSet, SampledStack, Site, StackFrame, Unmapped,
};
pub use workspace::{FileId, Resolution, Workspace};

/// A profile that could not be read: the file and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileError {
    pub path: PathBuf,
    pub message: String,
}

impl ProfileError {
    pub fn new(path: &Path, message: String) -> Self {
        ProfileError {
            path: path.to_owned(),
            message,
        }
    }

    pub(crate) fn json(path: &Path, format: Format, e: &serde_json::Error) -> Self {
        use serde_json::error::Category;
        let at = format!("line {}, column {}", e.line(), e.column());
        let message = match e.classify() {
            Category::Eof => format!("truncated {format} profile: the JSON ends early ({at})"),
            Category::Syntax => format!("invalid JSON in {format} profile ({at}): {e}"),
            Category::Data => format!("not a valid {format} profile: {e}"),
            Category::Io => format!("cannot read: {e}"),
        };
        ProfileError::new(path, message)
    }
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for ProfileError {}

/// How much of the file [`detect`] looks at.
const SNIFF: usize = 64 * 1024;

/// Recognises a profile from the start of its content. Returns `None` for anything else.
pub fn detect(head: &[u8]) -> Option<Format> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let first = head.iter().copied().find(|b| !b.is_ascii_whitespace())?;
    if first != b'{' {
        return None;
    }
    let find = |needle: &[u8]| head.windows(needle.len()).position(|w| w == needle);
    [
        (find(b"\"dhatFileVersion\""), Format::Dhat),
        (find(b"\"ftbl\"").or(find(b"\"pps\"")), Format::Dhat),
        (find(b"\"heap-audit-tracemalloc\""), Format::Python),
        (find(b"\"callFrame\""), Format::V8),
    ]
    .into_iter()
    .filter_map(|(at, f)| at.map(|a| (a, f)))
    .min_by_key(|(a, _)| *a)
    .map(|(_, f)| f)
}

/// Reads a profile file of any supported format, streamed.
pub fn load(path: &Path) -> Result<Profile, ProfileError> {
    let file =
        File::open(path).map_err(|e| ProfileError::new(path, format!("cannot open: {e}")))?;
    let mut reader = BufReader::with_capacity(SNIFF, file);
    let mut head = Vec::with_capacity(SNIFF);
    (&mut reader)
        .take(SNIFF as u64)
        .read_to_end(&mut head)
        .map_err(|e| ProfileError::new(path, format!("cannot read: {e}")))?;
    if head.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ProfileError::new(
            path,
            "empty file, not a profile".to_owned(),
        ));
    }
    let format = detect(&head).ok_or_else(|| {
        let what = if head.iter().copied().find(|b| !b.is_ascii_whitespace()) == Some(b'{') {
            "a JSON object of no known profile format"
        } else {
            "not JSON"
        };
        ProfileError::new(
            path,
            format!(
                "unknown profile format: {what} (expected DHAT JSON with `dhatFileVersion`, a V8 \
                 .heapprofile with `callFrame`s, or heap-audit tracemalloc JSON with \
                 \"format\": \"{}\")",
                python::FORMAT_TAG
            ),
        )
    })?;
    let reader = std::io::Cursor::new(head).chain(reader);
    match format {
        Format::Dhat => dhat::read(path, reader),
        Format::V8 => v8::read(path, reader),
        Format::Python => python::read(path, reader),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_from_content() {
        assert_eq!(
            detect(b"{\"dhatFileVersion\":2,\"mode\":\"rust-heap\"}"),
            Some(Format::Dhat)
        );
        assert_eq!(
            detect(b"\xEF\xBB\xBF  {\"head\":{\"callFrame\":{}}}"),
            Some(Format::V8)
        );
        assert_eq!(
            detect(b"{\"format\":\"heap-audit-tracemalloc\",\"version\":1}"),
            Some(Format::Python)
        );
        assert_eq!(detect(b"{\"traceEvents\":[]}"), None);
        assert_eq!(detect(b"PK\x03\x04"), None);
        assert_eq!(detect(b""), None);
    }

    #[test]
    fn load_names_the_file_and_the_problem() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("weird.json");
        std::fs::write(&p, "{\"traceEvents\": []}").unwrap();
        let e = load(&p).unwrap_err();
        assert_eq!(e.path, p);
        assert!(
            e.message
                .starts_with("unknown profile format: a JSON object"),
            "{e}"
        );
        std::fs::write(&p, "\x00\x01binary").unwrap();
        assert!(load(&p).unwrap_err().message.contains("not JSON"));
        std::fs::write(&p, "  \n").unwrap();
        assert!(load(&p).unwrap_err().message.contains("empty file"));
        let e = load(&dir.path().join("missing.json")).unwrap_err();
        assert!(e.to_string().contains("missing.json: cannot open"), "{e}");
        // A V8 profile named like a DHAT file is still read as V8.
        let p = dir.path().join("dhat-heap.json");
        std::fs::write(&p, r#"{"head":{"callFrame":{"functionName":"f","scriptId":"3","url":"/a.js","lineNumber":0,"columnNumber":0},"selfSize":10,"id":1,"children":[]}}"#).unwrap();
        assert_eq!(load(&p).unwrap().format, Format::V8);
    }
}
