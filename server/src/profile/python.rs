//! Python allocation profiles: heap-audit's own tracemalloc JSON, and the runner behind
//! `heap-audit profile python`.
//!
//! # The file format (`heap-audit-tracemalloc`, version 1)
//!
//! ```json
//! {
//!   "format": "heap-audit-tracemalloc",
//!   "version": 1,
//!   "python": "3.11.7",
//!   "argv": ["app.py", "--fast"],
//!   "frames_limit": 25,
//!   "traced_bytes": 6812345,
//!   "peak_bytes": 7340032,
//!   "library_prefixes": ["/usr/lib/python3.11", "/usr/lib/python3/dist-packages"],
//!   "stats": [
//!     {"size": 6400056, "count": 200001,
//!      "frames": [{"file": "/home/me/app.py", "line": 12}, {"file": "/home/me/app.py", "line": 4}]}
//!   ]
//! }
//! ```
//!
//! - `format` (must be `"heap-audit-tracemalloc"`) and `version` (must be `1`) are required.
//! - `stats` is required: one entry per distinct traceback, from
//!   `snapshot.statistics("traceback")`. `size` is the bytes and `count` the blocks still
//!   allocated when the snapshot was taken. `frames` is the traceback in tracemalloc's own
//!   order, `list(stat.traceback)`: oldest call first, the allocating line LAST. `file` is the
//!   path as Python saw it, `line` 1-based.
//! - Everything else is optional: `python` (version), `argv`, `frames_limit` (the `-X
//!   tracemalloc=N` depth; deeper stacks were cut at the oldest end), `traced_bytes` and
//!   `peak_bytes` (`tracemalloc.get_traced_memory()` when the snapshot was taken; the peak
//!   counts from the script's start), and `library_prefixes` (folders of the standard library
//!   and installed packages: frames under them are not user code). Unknown keys are ignored.
//!
//! A frame is user code unless its file is under one of `library_prefixes`, has a
//! `/lib/pythonX.Y/`, `site-packages` or `dist-packages` folder in its path, or is a pseudo-file
//! such as `<frozen importlib._bootstrap>` or `<string>`.
//!
//! tracemalloc sees what is live when the snapshot is taken, not what was allocated and freed:
//! the runner snapshots when the script ends and keeps the script's module globals alive until
//! then, so module-level data counts; memory freed earlier does not.
//!
//! # The runner
//!
//! `heap-audit profile python [--out FILE] [--frames N] -- SCRIPT [ARGS]` runs
//! `python3 -X tracemalloc=N -c BOOTSTRAP OUT SCRIPT ARGS`. The [`BOOTSTRAP`] forgets the
//! interpreter's start-up allocations, runs the script with `runpy.run_path` as `__main__` (with
//! `sys.argv` and `sys.path[0]` as `python3 SCRIPT ARGS` would set them), then, whether the script
//! returned, called `sys.exit` or raised, takes a snapshot, drops its own and `runpy`'s frames,
//! writes the file above, and exits with the script's status (an uncaught exception is printed
//! as Python would, without the bootstrap's frames, and exits 1). The snapshot is taken while the
//! script's globals are alive: after a normal end, or in the handler of `SystemExit` or of the
//! exception, where the traceback still holds them.

use std::cell::RefCell;
use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::path::Path;
use std::process::Command;

use serde::de::{Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

use super::model::{CallNode, CallTreeBuilder, Format, Frame, FrameTable, Profile, Stack};
use super::ProfileError;

/// The value of `format` in the file.
pub const FORMAT_TAG: &str = "heap-audit-tracemalloc";
/// The version this reader understands.
pub const FORMAT_VERSION: u32 = 1;
/// The default output file of `heap-audit profile python`.
pub const DEFAULT_OUT: &str = "heap-audit-tracemalloc.json";
/// The default traceback depth.
pub const DEFAULT_FRAMES: u32 = 25;

/// The Python program `heap-audit profile python` passes with `-c`; its arguments are
/// `OUT SCRIPT [ARGS…]`.
pub const BOOTSTRAP: &str = r#"
import json, os, runpy, sys, sysconfig, traceback, tracemalloc
_out, _script = sys.argv[1], sys.argv[2]
sys.argv = sys.argv[2:]
sys.path[0] = os.path.dirname(os.path.abspath(_script))
_own = {"<string>", "<frozen runpy>", runpy.__file__}
tracemalloc.clear_traces()
if hasattr(tracemalloc, "reset_peak"):
    tracemalloc.reset_peak()
_status = 0

def _dump():
    snapshot = tracemalloc.take_snapshot()
    traced, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    grouped = {}
    for stat in snapshot.statistics("traceback"):
        frames = [(f.filename, f.lineno) for f in stat.traceback]
        while frames and frames[0][0] in _own:
            frames.pop(0)
        if not frames:
            continue
        key = tuple(frames)
        size, count = grouped.get(key, (0, 0))
        grouped[key] = (size + stat.size, count + stat.count)
    paths = sysconfig.get_paths()
    prefixes = sorted({paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths})
    stats = [
        {"size": size, "count": count, "frames": [{"file": f, "line": l} for f, l in key]}
        for key, (size, count) in sorted(grouped.items(), key=lambda kv: -kv[1][0])
    ]
    doc = {
        "format": "heap-audit-tracemalloc",
        "version": 1,
        "python": sys.version.split()[0],
        "argv": sys.argv,
        "frames_limit": tracemalloc.get_traceback_limit(),
        "traced_bytes": traced,
        "peak_bytes": peak,
        "library_prefixes": prefixes,
        "stats": stats,
    }
    with open(_out, "w", encoding="utf-8") as f:
        json.dump(doc, f)

# The snapshot is taken while the script's globals are still alive: after a normal end (run_path
# returns them), or inside the handler, where the traceback still holds them.
try:
    _globals = runpy.run_path(_script, run_name="__main__")
except SystemExit as e:
    _dump()
    _status = e.code
except BaseException as e:
    _dump()
    tb = e.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename in _own:
        tb = tb.tb_next
    traceback.print_exception(type(e), e, tb)
    _status = 1
else:
    _dump()
sys.exit(_status)
"#;

/// What `heap-audit profile python` runs.
#[derive(Clone, Debug)]
pub struct PythonRun<'a> {
    /// The interpreter (`python3` by default).
    pub python: &'a OsStr,
    pub script: &'a Path,
    pub args: &'a [OsString],
    /// Where the profile is written.
    pub out: &'a Path,
    /// The traceback depth (`-X tracemalloc=N`).
    pub frames: u32,
}

impl PythonRun<'_> {
    /// The command: `PYTHON -X tracemalloc=N -c BOOTSTRAP OUT SCRIPT ARGS…`.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(self.python);
        cmd.arg("-X")
            .arg(format!("tracemalloc={}", self.frames))
            .arg("-c")
            .arg(BOOTSTRAP)
            .arg(self.out)
            .arg(self.script)
            .args(self.args);
        cmd
    }
}

/// What a read accumulates as the file streams past.
#[derive(Default)]
struct Build {
    table: FrameTable,
    nodes: Vec<CallNode>,
    tree: CallTreeBuilder,
    stacks: Vec<Stack>,
}

thread_local! {
    static BUILD: RefCell<Build> = RefCell::new(Build::default());
}

#[derive(Deserialize)]
struct PyFile {
    format: Option<String>,
    version: Option<u32>,
    #[serde(deserialize_with = "stream_stats")]
    #[allow(dead_code)]
    stats: (),
    #[serde(default)]
    library_prefixes: Vec<String>,
    #[serde(default)]
    frames_limit: Option<u32>,
}

#[derive(Deserialize)]
struct PyStat {
    size: u64,
    count: u64,
    frames: Vec<PyFrameId>,
}

/// A `{"file", "line"}` frame, interned as it is read (classified once the whole file is in).
struct PyFrameId(u32);

impl<'de> Deserialize<'de> for PyFrameId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            file: String,
            line: u32,
        }
        let raw = Raw::deserialize(d)?;
        Ok(PyFrameId(BUILD.with(|b| {
            let t = &mut b.borrow_mut().table;
            let path = (!raw.file.is_empty()).then(|| t.strings.intern(&raw.file));
            t.add(Frame {
                path,
                line: (raw.line > 0).then_some(raw.line),
                column: None,
                function: None,
                user: true,
            })
        })))
    }
}

/// Folds each statistic into the call tree as it is read (its frames are oldest first).
fn stream_stats<'de, D: Deserializer<'de>>(d: D) -> Result<(), D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list of statistics")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(stat) = seq.next_element::<PyStat>()? {
                BUILD.with(|b| {
                    let b = &mut *b.borrow_mut();
                    let node = b.tree.insert(&mut b.nodes, stat.frames.iter().map(|f| f.0));
                    b.stacks.push(Stack {
                        node,
                        bytes: stat.size,
                        blocks: stat.count,
                    });
                });
            }
            Ok(())
        }
    }
    d.deserialize_seq(V)
}

/// Reads heap-audit's tracemalloc JSON from `reader` (streamed). `path` names the file in errors.
pub fn read(path: &Path, reader: impl Read) -> Result<Profile, ProfileError> {
    BUILD.with(|b| *b.borrow_mut() = Build::default());
    let parsed: Result<PyFile, _> = serde_json::from_reader(reader);
    let build = BUILD.with(|b| std::mem::take(&mut *b.borrow_mut()));
    let file = parsed.map_err(|e| ProfileError::json(path, Format::Python, &e))?;
    match file.format.as_deref() {
        Some(FORMAT_TAG) => {}
        Some(other) => {
            return Err(ProfileError::new(
                path,
                format!("`format` is `{other}`, expected `{FORMAT_TAG}`"),
            ))
        }
        None => {
            return Err(ProfileError::new(
                path,
                format!("missing `format` (`{FORMAT_TAG}`)"),
            ))
        }
    }
    match file.version {
        Some(FORMAT_VERSION) => {}
        Some(v) => {
            return Err(ProfileError::new(
                path,
                format!(
                    "version {v} is not supported (this heap-audit reads version {FORMAT_VERSION})"
                ),
            ))
        }
        None => return Err(ProfileError::new(path, "missing `version`".to_owned())),
    }
    let mut profile = Profile::new(path.to_owned(), Format::Python);
    profile.frames = build.table.frames;
    profile.nodes = build.nodes;
    for frame in &mut profile.frames {
        frame.user = frame
            .path
            .as_deref()
            .is_some_and(|p| is_user_file(p, &file.library_prefixes));
    }
    for st in build.stacks {
        profile.push_stack(st.node, st.bytes, st.blocks);
    }
    profile.finish(file.frames_limit.map(|n| n as usize));
    Ok(profile)
}

fn is_user_file(path: &str, prefixes: &[String]) -> bool {
    if path.starts_with('<') {
        return false;
    }
    let norm = path.replace('\\', "/");
    if prefixes.iter().any(|p| {
        let p = p.replace('\\', "/");
        let p = p.trim_end_matches('/');
        !p.is_empty()
            && norm
                .strip_prefix(p)
                .is_some_and(|rest| rest.starts_with('/'))
    }) {
        return false;
    }
    if norm.contains("/site-packages/") || norm.contains("/dist-packages/") {
        return false;
    }
    // `/usr/lib/python3.11/json/decoder.py`: a `pythonX.Y` folder right under `lib`.
    let parts: Vec<&str> = norm.split('/').collect();
    !parts.windows(2).any(|w| {
        (w[0] == "lib" || w[0] == "lib64")
            && w[1].strip_prefix("python").is_some_and(|v| {
                let mut it = v.splitn(2, '.');
                let major = it.next().unwrap_or("");
                let minor = it.next().unwrap_or("");
                !major.is_empty()
                    && major.bytes().all(|b| b.is_ascii_digit())
                    && !minor.is_empty()
                    && minor.bytes().all(|b| b.is_ascii_digit())
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"{"format":"heap-audit-tracemalloc","version":1,"extra":{"x":1},
      "library_prefixes":["/usr/lib/python3.11"],
      "stats":[
        {"size":6400,"count":200,"frames":[{"file":"/w/app.py","line":9},{"file":"/w/app.py","line":3}]},
        {"size":512,"count":2,"frames":[{"file":"/w/app.py","line":10},{"file":"/usr/lib/python3.11/json/decoder.py","line":353}]},
        {"size":64,"count":1,"frames":[{"file":"<frozen importlib._bootstrap>","line":241}]}]}"#;

    #[test]
    fn reads_a_small_file() {
        let p = read(Path::new("t.json"), SMALL.as_bytes()).unwrap();
        assert_eq!((p.total_bytes, p.total_blocks), (6976, 203));
        let s0 = &p.stacks[0];
        assert_eq!(
            p.frames[p.stack_frames(s0).next().unwrap() as usize].line,
            Some(3),
            "innermost first"
        );
        assert_eq!(p.frames[p.site(s0).unwrap() as usize].line, Some(3));
        // json's frame is library code: the site is the user line that called it.
        let s1 = &p.stacks[1];
        assert!(!p.frames[p.stack_frames(s1).next().unwrap() as usize].user);
        assert_eq!(p.frames[p.site(s1).unwrap() as usize].line, Some(10));
        assert_eq!(p.site(&p.stacks[2]), None);
    }

    #[test]
    fn checks_format_and_version() {
        let e = read(
            Path::new("t.json"),
            &br#"{"format":"other","version":1,"stats":[]}"#[..],
        )
        .unwrap_err();
        assert!(e.to_string().contains("`format` is `other`"), "{e}");
        let e = read(
            Path::new("t.json"),
            &br#"{"format":"heap-audit-tracemalloc","version":2,"stats":[]}"#[..],
        )
        .unwrap_err();
        assert!(e.to_string().contains("version 2 is not supported"), "{e}");
        let e = read(
            Path::new("t.json"),
            &br#"{"format":"heap-audit-tracemalloc","version":1}"#[..],
        )
        .unwrap_err();
        assert!(e.to_string().contains("missing field `stats`"), "{e}");
    }

    #[test]
    fn library_files() {
        let pre = vec!["/opt/py/lib/python3.12".to_owned()];
        assert!(is_user_file("/home/me/app.py", &pre));
        assert!(!is_user_file(
            "/opt/py/lib/python3.12/json/decoder.py",
            &pre
        ));
        assert!(!is_user_file("/usr/lib/python3.11/json/decoder.py", &[]));
        assert!(!is_user_file(
            "/venv/lib/python3.11/site-packages/numpy/x.py",
            &[]
        ));
        assert!(!is_user_file("<frozen runpy>", &[]));
        assert!(is_user_file("/home/me/python3.11-notes/app.py", &[]));
        assert!(is_user_file("relative/app.py", &pre));
    }
}
