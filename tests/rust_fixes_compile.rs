//! The Rust rules' fixes keep code compiling. `tests/rust-fixes/` is a small crate holding
//! every firing case of the `rust/…` rules as real code. This test checks that it compiles,
//! applies every fix (safe and unsafe) to a copy, and checks that the copy still compiles and
//! that nothing is left to fix.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use heap_audit::engine::{analyze_str, Settings};
use heap_audit::language::Lang;
use heap_audit::rules::{registry, FixAvailability};

fn crate_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/rust-fixes")
}

fn rs_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != "target") {
                    stack.push(p);
                }
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn copy_crate(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.join("src")).unwrap();
    std::fs::copy(from.join("Cargo.toml"), to.join("Cargo.toml")).unwrap();
    for f in rs_files(from) {
        let rel = f.strip_prefix(from).unwrap();
        let dest = to.join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&f, dest).unwrap();
    }
}

/// `cargo check --offline` on the crate at `dir`, building into `target`.
fn cargo_check(dir: &Path, target: &Path) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["check", "--offline", "--quiet", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target)
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn analyze(text: &str) -> Vec<heap_audit::engine::Finding> {
    analyze_str(Lang::Rust, text, &Settings::default()).expect("parses")
}

/// Applies every fix, safe and unsafe, to the `.rs` files under `dir`: through
/// `heap-audit check --fix --unsafe-fixes` when the CLI provides it, through the library's fix
/// loop (what `--fix` runs) otherwise.
fn apply_all_fixes(dir: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_heap-audit"))
        .args([
            "check",
            "--fix",
            "--unsafe-fixes",
            "--quiet",
            "--fail-on",
            "never",
        ])
        .arg(dir)
        .output()
        .expect("heap-audit runs");
    assert!(
        out.status.success(),
        "check --fix --unsafe-fixes failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Rule id → number of findings that carry a fix, over the crate at `dir`.
fn fixable(dir: &Path) -> BTreeMap<&'static str, usize> {
    let mut by_rule = BTreeMap::new();
    for f in rs_files(dir) {
        let text = std::fs::read_to_string(&f).unwrap();
        for finding in analyze(&text).iter().filter(|x| x.fix.is_some()) {
            *by_rule.entry(finding.rule_id()).or_insert(0) += 1;
        }
    }
    by_rule
}

#[test]
fn fixes_keep_the_crate_compiling() {
    let original = crate_dir();
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("target");
    cargo_check(&original, &target)
        .unwrap_or_else(|e| panic!("the original crate does not compile:\n{e}"));

    // Every Rust rule that offers fixes has a fixable case here.
    let before = fixable(&original);
    for rule in registry().rules() {
        let is_rust = rule.meta.id.starts_with("rust/");
        if is_rust && rule.meta.fix != FixAvailability::None {
            assert!(
                before.contains_key(rule.meta.id),
                "no fixable case of {} in tests/rust-fixes",
                rule.meta.id
            );
        }
    }

    let copy = tmp.path().join("fixed");
    copy_crate(&original, &copy);
    apply_all_fixes(&copy);
    let changed = rs_files(&copy)
        .iter()
        .filter(|f| {
            let rel = f.strip_prefix(&copy).unwrap();
            std::fs::read_to_string(f).unwrap()
                != std::fs::read_to_string(original.join(rel)).unwrap()
        })
        .count();
    assert!(changed > 0, "no fix was applied");
    if let Err(e) = cargo_check(&copy, &target) {
        let mut files = String::new();
        for f in rs_files(&copy) {
            files.push_str(&format!(
                "==== {}\n{}\n",
                f.display(),
                std::fs::read_to_string(&f).unwrap()
            ));
        }
        panic!("the fixed crate does not compile:\n{e}\n{files}");
    }
    let after = fixable(&copy);
    assert!(
        after.is_empty(),
        "fixes left after fixing: {after:?} (before: {before:?})"
    );
}
