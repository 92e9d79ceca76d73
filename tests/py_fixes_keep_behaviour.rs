//! Fixes keep behaviour: every Python fixture is run before and after applying all fixes (safe
//! and unsafe, every rule, until stable), with the sample inputs its `SAMPLES` list names, and
//! the outcomes must match. The fixed files must also compile (`python3 -m py_compile`).
//!
//! The driver `tests/py_behaviour.py` imports a module by path, calls its samples and prints
//! their outcomes as JSON. Needs `python3` on the `PATH`.

use std::path::{Path, PathBuf};
use std::process::Command;

use heap_audit::rules::{registry, FixAvailability};

/// Applies every fix, safe and unsafe, until nothing changes, with the real
/// `heap-audit check --fix --unsafe-fixes` on a copy of the file. Returns the fixed text and
/// whether anything changed.
fn fix_all(name: &std::ffi::OsStr, text: &str) -> (String, usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join(name);
    std::fs::write(&file, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_heap-audit"))
        .args([
            "check",
            "--fix",
            "--unsafe-fixes",
            "--quiet",
            "--fail-on",
            "never",
        ])
        .arg(&file)
        .output()
        .expect("heap-audit runs");
    assert!(
        out.status.success(),
        "check --fix failed on {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let fixed = std::fs::read_to_string(&file).unwrap();
    let changed = usize::from(fixed != text);
    (fixed, changed)
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn python(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new("python3")
        .args(args)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONHASHSEED", "0")
        .output()
        .expect("python3 runs (it is needed for this test)")
}

/// The JSON outcomes of a module's samples.
fn outcomes(module: &Path) -> String {
    let driver = repo().join("tests/py_behaviour.py");
    let out = python(&[driver.as_os_str(), module.as_os_str()]);
    assert!(
        out.status.success(),
        "{} failed:\n{}",
        module.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 JSON")
}

#[test]
fn fixes_keep_behaviour() {
    let dir = repo().join("tests/fixtures/python");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixture folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 10, "expected a fixture per Python rule");
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut failures = Vec::new();
    for path in &paths {
        let name = path.file_name().unwrap();
        let stem = path.file_stem().unwrap().to_str().unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        let (fixed, applied) = fix_all(name, &text);
        let rule = registry()
            .get(&format!("py/{stem}"))
            .expect("a fixture is named after its rule");
        if rule.meta.fix != FixAvailability::None && (applied == 0 || fixed == text) {
            failures.push(format!("{stem}: no fix applied, so nothing was tested"));
        }
        let before = tmp.path().join("before").join(stem);
        let after = tmp.path().join("after").join(stem);
        for (d, t) in [(&before, &text), (&after, &fixed)] {
            std::fs::create_dir_all(d).unwrap();
            std::fs::write(d.join(name), t).unwrap();
        }
        let compiled = python(&[
            "-m".as_ref(),
            "py_compile".as_ref(),
            after.join(name).as_os_str(),
        ]);
        if !compiled.status.success() {
            failures.push(format!(
                "{stem}: the fixed file does not compile:\n{}\n{fixed}",
                String::from_utf8_lossy(&compiled.stderr)
            ));
            continue;
        }
        let (a, b) = (outcomes(&before.join(name)), outcomes(&after.join(name)));
        let samples = a.matches("\"returns\"").count() + a.matches("\"raises\"").count();
        if samples < 3 {
            failures.push(format!("{stem}: only {samples} samples ran"));
        }
        if a != b {
            failures.push(format!(
                "{stem}: behaviour changed\nbefore: {a}\nafter:  {b}\nfixed text:\n{fixed}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The comparison itself must be able to fail: a fix that changes a result is caught.
#[test]
fn a_changed_result_is_detected() {
    let tmp = tempfile::tempdir().unwrap();
    let module = |body: &str| {
        let p = tmp.path().join(format!("m{}.py", body.len()));
        std::fs::write(
            &p,
            format!(
                "def f(x):\n    return {body}\n\nSAMPLES = [(\"f\", f, (-4,)), (\"g\", f, (4,))]\n"
            ),
        )
        .unwrap();
        outcomes(&p)
    };
    assert_ne!(module("x ** 0.5"), module("__import__('math').sqrt(x)"));
}
