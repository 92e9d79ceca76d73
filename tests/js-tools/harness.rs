//! Shared by the JS/TS tests that run real tools (`tests/js_tsc.rs`, `tests/js_node.rs`):
//! the pinned npm tools in `tests/js-tools/`, the fixtures, and applying fixes.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use heap_audit::engine::{analyze_str, fix_until_stable, FixMode, Level, Settings};
use heap_audit::language::{Family, Lang};
use heap_audit::rules::registry;

/// `tests/js-tools`.
pub fn tools_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/js-tools")
}

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/js")
}

static INSTALL: Mutex<()> = Mutex::new(());

/// The path of the pinned TypeScript compiler's entry script, installing the tools with
/// `npm ci` on first use. Panics with instructions when Node.js or npm is missing or the
/// install fails.
pub fn typescript() -> PathBuf {
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tools_dir();
    let tsc = dir.join("node_modules/typescript/bin/tsc");
    if tsc.exists() {
        return tsc;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .status();
    match status {
        Ok(s) if s.success() && tsc.exists() => tsc,
        other => panic!(
            "the JS/TS tests need Node.js ≥ 18 and the pinned tools in {dir}: install them with\n    \
             (cd {dir} && npm ci)\n(automatic `npm ci` gave {other:?})",
            dir = dir.display()
        ),
    }
}

/// `node` must be on PATH.
pub fn node() -> Command {
    match Command::new("node").arg("--version").output() {
        Ok(o) if o.status.success() => Command::new("node"),
        _ => panic!("the JS/TS tests need Node.js (≥ 18) on PATH: install it (e.g. `apt-get install nodejs`)"),
    }
}

/// Every JS/TS fixture, sorted, with its language and the rule it exercises.
pub fn fixtures() -> Vec<(PathBuf, Lang, u16)> {
    let mut out: Vec<(PathBuf, Lang, u16)> = std::fs::read_dir(fixtures_dir())
        .expect("tests/fixtures/js exists")
        .flatten()
        .map(|e| e.path())
        .filter_map(|p| {
            let lang = Lang::from_path(&p)?;
            let stem = p.file_stem()?.to_str()?;
            let rule = registry().index_of(&format!("js/{stem}"))?;
            Some((p, lang, rule))
        })
        .collect();
    out.sort();
    assert!(
        out.len() >= 10,
        "expected the js fixtures in {}",
        fixtures_dir().display()
    );
    out
}

/// Settings with only `rule` on, or every JS rule when `rule` is `None`.
pub fn settings(rule: Option<u16>) -> Settings {
    let mut s = Settings::default();
    for i in 0..registry().len() as u16 {
        let keep = match rule {
            Some(r) => i == r,
            None => registry().rule(i).meta.family == Some(Family::Js),
        };
        if !keep {
            s.set_level(i, Level::Off);
        }
    }
    s
}

/// Applies fixes until stable, as `check --fix` does.
pub fn fixed(lang: Lang, text: &str, settings: &Settings, mode: FixMode) -> (String, usize) {
    fix_until_stable(text, mode, 20, |t| {
        analyze_str(lang, t, settings).unwrap_or_default()
    })
}

/// Runs a command, returning (success, stdout + stderr).
pub fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("could not run {cmd:?}: {e}"));
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// What the TSX fixtures assume: a JSX namespace and an `h` factory (the tests compile JSX
/// with `jsxFactory: "h"`).
pub const JSX_ENV: &str = "declare namespace JSX {\n  interface Element { readonly tag: string }\n  interface IntrinsicElements { [tag: string]: Record<string, unknown> }\n}\ndeclare function h(tag: string, props: Record<string, unknown> | null, ...children: unknown[]): JSX.Element;\n";
