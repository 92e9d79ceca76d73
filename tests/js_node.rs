//! Safe fixes preserve behaviour: for each JS/TS fixture that has safe fixes, the fixture with
//! and without them (only safe fixes, until stable, the fixture's rule on) is run under
//! `node`: every exported function without parameters is called, and what it returned or
//! threw must be identical, down to key order, holes, `-0` and class names
//! (`tests/js-tools/compare.mjs`). TS/TSX/JSX is transpiled first by the pinned TypeScript
//! (`tests/js-tools/transpile.mjs`), which only erases types.
//!
//! Needs Node.js; installs `tests/js-tools` with `npm ci` when missing.

#[path = "js-tools/harness.rs"]
mod harness;

use std::fs;
use std::path::Path;

use heap_audit::engine::FixMode;
use heap_audit::language::Lang;

/// Writes `text` as an ES module runnable by node, transpiling TS and JSX.
fn to_module(text: &str, ext: &str, out: &Path, scratch: &Path) {
    if ext == "js" {
        fs::write(out, text).unwrap();
        return;
    }
    let src = scratch.with_extension(ext);
    fs::write(&src, text).unwrap();
    let script = harness::tools_dir().join("transpile.mjs");
    let (ok, log) = harness::run(harness::node().arg(script).arg(&src).arg(out));
    assert!(ok, "transpiling {} failed:\n{log}", src.display());
}

#[test]
fn safe_fixes_preserve_behaviour() {
    harness::typescript(); // the transpiler
    let dir = tempfile::tempdir().unwrap();
    let compare = harness::tools_dir().join("compare.mjs");
    let mut compared_fixtures = 0;
    let mut compared_functions = 0;
    let mut failures = Vec::new();
    for (path, lang, rule) in harness::fixtures() {
        let text = fs::read_to_string(&path).unwrap();
        let (fixed, applied) = harness::fixed(
            lang,
            &text,
            &harness::settings(Some(rule)),
            FixMode::SafeOnly,
        );
        if applied == 0 {
            continue;
        }
        let name = path
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .replace('.', "_");
        let ext = path.extension().unwrap().to_str().unwrap();
        let ext = if lang == Lang::JavaScript && ext != "jsx" {
            "js"
        } else {
            ext
        };
        let before = dir.path().join(format!("{name}.before.mjs"));
        let after = dir.path().join(format!("{name}.after.mjs"));
        to_module(
            &text,
            ext,
            &before,
            &dir.path().join(format!("{name}.before-src")),
        );
        to_module(
            &fixed,
            ext,
            &after,
            &dir.path().join(format!("{name}.after-src")),
        );
        let (ok, out) = harness::run(harness::node().arg(&compare).arg(&before).arg(&after));
        assert!(ok, "{}: running the fixture failed:\n{out}", path.display());
        let v: serde_json::Value =
            serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
        let (b, a) = (&v["before"], &v["after"]);
        let calls = b.as_object().map_or(0, |m| m.len());
        if calls == 0 {
            failures.push(format!(
                "{}: has safe fixes but exports no value or function without parameters to compare",
                path.display()
            ));
        }
        for (f, result) in b.as_object().into_iter().flatten() {
            if result
                .get("threw")
                .is_some_and(|t| t.as_str().is_some_and(|t| t.starts_with("ReferenceError")))
            {
                failures.push(format!(
                    "{}: `{f}` cannot run (it uses a declared-only name): {result}",
                    path.display()
                ));
            }
        }
        if a != b {
            failures.push(format!(
                "{}: behaviour changed\nbefore: {b}\nafter:  {a}",
                path.display()
            ));
        }
        compared_fixtures += 1;
        compared_functions += calls;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(
        compared_fixtures >= 8,
        "expected safe fixes in at least 8 fixtures, got {compared_fixtures}"
    );
    eprintln!("compared {compared_functions} exports across {compared_fixtures} fixtures");
}

/// The V8 facts the js/ rules and `server/guides/js.md` rest on (elements kinds, dictionary
/// mode after `delete`, hidden classes per key order, PACKED rest parameters), checked on the
/// installed node with `--allow-natives-syntax` (`tests/js-tools/v8-claims.mjs`).
#[test]
fn v8_confirms_the_guide() {
    let script = harness::tools_dir().join("v8-claims.mjs");
    let (ok, out) = harness::run(harness::node().arg("--allow-natives-syntax").arg(script));
    assert!(ok, "a V8 claim failed:\n{out}");
    assert!(
        out.lines().filter(|l| l.starts_with("ok ")).count() >= 15,
        "{out}"
    );
}
