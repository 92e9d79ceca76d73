//! Real profiles for the tests of `check --profile` and the editor: a small Python program run
//! through `heap-audit profile python` (tracemalloc, no build step, well under a second).
//!
//! Include it with `#[path = "support/profiles.rs"] mod profiles;`.

#![allow(dead_code)] // each test binary uses a different part of it

use std::path::{Path, PathBuf};
use std::process::Command;

/// The program. Its lines are found by their trailing markers (`# HOT`, …):
/// - `# HOT`: about 10 MB kept live, no rule fires there → `profile/hot-site`;
/// - `# MEASURED`: 2 MB kept live on a line where `py/list-membership` fires (information at
///   loop depth 0) → a warning with the measured figure;
/// - `# ALT`: the hot line instead of `# HOT` when the program runs with `alt`;
/// - `# COLD`: `py/list-membership` in a function that never runs → "cold per profile";
/// - `helper.make()` allocates in a module outside the workspace (its folder is the first
///   argument) → listed as not mapped.
pub const APP: &str = r#"import sys

sys.path.insert(0, sys.argv[1])
import helper

MODE = "a"


def build(n):
    return [bytes(1000) for _ in range(n)]  # HOT


def pick(mode):
    return bytearray(2_000_000) if mode in ["a", "b", "c"] else None  # MEASURED


def alt(n):
    return [str(i) * 50 for i in range(n)]  # ALT


def cold(value):
    return value in ["x", "y", "z"]  # COLD


if len(sys.argv) > 2 and sys.argv[2] == "alt":
    DATA = alt(100_000)
else:
    DATA = build(10_000)
PICKED = pick(MODE)
KEPT = helper.make()
if len(sys.argv) > 5:
    cold(1)
"#;

/// The module outside the workspace.
pub const HELPER: &str = "def make():\n    return [bytearray(1000) for _ in range(300)]\n";

/// A workspace `<tmp>/ws` holding `app.py`, and `<tmp>/lib/helper.py` outside it.
pub fn workspace() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap().join("ws");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::create_dir_all(root.parent().unwrap().join("lib")).unwrap();
    std::fs::write(root.join("app.py"), APP).unwrap();
    std::fs::write(root.parent().unwrap().join("lib/helper.py"), HELPER).unwrap();
    (dir, root)
}

/// Profiles `app.py` of `root` with `heap-audit profile python`, writing `out`; `alt` makes the
/// `# ALT` line the hot one. Returns what the command printed on stderr.
pub fn profile_app(root: &Path, out: &Path, alt: bool) -> String {
    let lib = root.parent().unwrap().join("lib");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_heap-audit"));
    cmd.args(["profile", "python", "--out"])
        .arg(out)
        .arg("--")
        .arg(root.join("app.py"))
        .arg(&lib)
        .current_dir(root);
    if alt {
        cmd.arg("alt");
    }
    let run = cmd.output().expect("run heap-audit profile python");
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(run.status.success(), "profile python failed: {stderr}");
    stderr
}

/// The 1-based line of `app.py` ending in `marker`.
pub fn line_of(marker: &str) -> u32 {
    APP.lines()
        .position(|l| l.ends_with(marker))
        .unwrap_or_else(|| panic!("no line ends with {marker}")) as u32
        + 1
}
