//! `check --fix` killed with SIGKILL at random points: every file is always either the original
//! or the fully fixed text, never a mix, never partial, never empty.
//!
//! The tree is copies of `tests/sample` and the rule fixtures. One uninterrupted run on a copy
//! gives the fully fixed text of every file. Then, `KILL_FIX_RUNS` times (default 200), the tree
//! is reset to the originals, `check --fix --unsafe-fixes` starts, and a SIGKILL lands at a random
//! moment of the run; every file is compared with its two allowed states. The only other files
//! allowed are the writer's temporary files (`.NAME.heap-audit-PID-N.tmp`), which a later run
//! sweeps. `KILL_FIX_SEED` replays a run's random kill points (the seed is printed).
//!
//! Unix only (SIGKILL). Run it alone with `cargo test --test kill_fix -- --nocapture`.

#![cfg(unix)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const COPIES: usize = 2;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// The source files of the tree: samples and fixtures, by name.
fn sources() -> Vec<(String, Vec<u8>)> {
    let root = repo_root();
    let mut dirs = vec![root.join("tests/sample")];
    for family in ["rust", "js", "python"] {
        dirs.push(root.join("tests/fixtures").join(family));
    }
    let mut out = Vec::new();
    for dir in dirs {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            out.push((name, fs::read(&path).unwrap()));
        }
    }
    out.sort();
    out
}

/// Every file under `dir`, relative path → content.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().to_owned();
                out.insert(rel, fs::read(&path).unwrap());
            }
        }
    }
    out
}

fn write_tree(dir: &Path, files: &BTreeMap<PathBuf, Vec<u8>>) {
    for (rel, content) in files {
        let p = dir.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, content).unwrap();
    }
}

fn fix(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_heap-audit"));
    c.current_dir(dir)
        .args([
            "check",
            "--fix",
            "--unsafe-fixes",
            "-q",
            "--fail-on",
            "never",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

/// Whether a file name is one of the writer's temporary files.
fn is_temp(rel: &Path) -> bool {
    let name = rel.file_name().unwrap().to_str().unwrap();
    name.starts_with('.') && name.ends_with(".tmp") && name.contains(".heap-audit-")
}

/// xorshift64*: reproducible kill points without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[test]
fn sigkill_never_leaves_a_partial_file() {
    let runs: usize = std::env::var("KILL_FIX_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let seed = std::env::var("KILL_FIX_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("KILL_FIX_SEED={seed}");
    let mut rng = Rng(seed);

    let mut original = BTreeMap::new();
    for copy in 0..COPIES {
        for (name, content) in sources() {
            original.insert(PathBuf::from(format!("c{copy}/{name}")), content);
        }
    }

    // The fully fixed text of every file: one uninterrupted run.
    let reference = tempfile::tempdir().unwrap();
    write_tree(reference.path(), &original);
    let started = Instant::now();
    let status = fix(reference.path()).status().unwrap();
    let full_run = started.elapsed();
    assert_eq!(status.code(), Some(0));
    let fixed = snapshot(reference.path());
    assert_eq!(
        fixed.keys().collect::<Vec<_>>(),
        original.keys().collect::<Vec<_>>(),
        "a complete run leaves no other file"
    );
    let changing = original.iter().filter(|(k, v)| fixed[*k] != **v).count();
    assert!(
        changing * 2 > original.len(),
        "most files must change for the test to mean anything ({changing} of {})",
        original.len()
    );

    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    write_tree(dir, &original);
    // Kill points spread over the whole run, and a little past it.
    let window = full_run.as_micros() as u64 * 11 / 10;
    let (mut untouched, mut complete, mut mixed, mut temps_left) = (0, 0, 0, 0);
    for run in 0..runs {
        let delay = Duration::from_micros(rng.next() % window.max(1));
        let mut child = fix(dir).spawn().unwrap();
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL; fails only if it already exited
        child.wait().unwrap();

        let now = snapshot(dir);
        let (mut was_fixed, mut was_original) = (0, 0);
        for (rel, content) in &now {
            if is_temp(rel) {
                temps_left += 1;
                fs::remove_file(dir.join(rel)).unwrap();
                continue;
            }
            let (old, new) = (&original[rel], &fixed[rel]);
            assert!(
                !content.is_empty(),
                "run {run} (delay {delay:?}): {rel:?} is empty"
            );
            if old == new {
                assert_eq!(
                    content, old,
                    "run {run}: {rel:?} has nothing to fix but changed"
                );
            } else if content == new {
                was_fixed += 1;
            } else if content == old {
                was_original += 1;
            } else {
                panic!(
                    "run {run} (delay {delay:?}, seed {seed}): {rel:?} is neither the original \
                     nor the fixed text:\n{}",
                    String::from_utf8_lossy(content)
                );
            }
        }
        for rel in original.keys() {
            assert!(now.contains_key(rel), "run {run}: {rel:?} disappeared");
        }
        match (was_fixed, was_original) {
            (0, _) => untouched += 1,
            (_, 0) => complete += 1,
            _ => mixed += 1,
        }
        // Reset the files that changed.
        for (rel, content) in &now {
            if !is_temp(rel) && content != &original[rel] {
                fs::write(dir.join(rel), &original[rel]).unwrap();
            }
        }
    }
    eprintln!(
        "{runs} runs of {} files ({changing} change; an uninterrupted run takes {full_run:?}): \
         killed before any write {untouched}, mid-run {mixed}, after the last write {complete}; \
         temporary files left by killed runs: {temps_left}",
        original.len()
    );
    assert!(
        mixed * 4 >= runs,
        "too few kills landed mid-run ({mixed} of {runs}) for the test to mean anything"
    );

    // A temporary file a killed run left (its process is gone) is swept by the next run that
    // writes a fix in its folder.
    let mut gone = Command::new("true").spawn().unwrap();
    let dead = gone.id();
    gone.wait().unwrap();
    let (rel, _) = original
        .iter()
        .find(|(k, v)| fixed[*k] != **v)
        .expect("a file that changes");
    let name = rel.file_name().unwrap().to_str().unwrap();
    let stale = dir
        .join(rel.parent().unwrap())
        .join(format!(".{name}.heap-audit-{dead}-0.tmp"));
    fs::write(&stale, &fixed[rel][..fixed[rel].len() / 2]).unwrap();
    assert_eq!(fix(dir).status().unwrap().code(), Some(0));
    assert!(!stale.exists(), "the stale temporary file is swept");
    assert_eq!(
        snapshot(dir),
        fixed,
        "a complete run fixes everything and leaves no temporary file"
    );
}

/// Ctrl-C (SIGINT) during `--fix`: the run stops between writes, says so, exits 130 and leaves no
/// temporary file; every file is the original or the fixed text.
#[test]
fn sigint_stops_between_writes_and_cleans_up() {
    let mut original = BTreeMap::new();
    for copy in 0..COPIES {
        for (name, content) in sources() {
            original.insert(PathBuf::from(format!("c{copy}/{name}")), content);
        }
    }
    let reference = tempfile::tempdir().unwrap();
    write_tree(reference.path(), &original);
    let started = Instant::now();
    fix(reference.path()).status().unwrap();
    let full_run = started.elapsed();
    let fixed = snapshot(reference.path());

    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let (mut stopped, mut partly) = (0, 0);
    for i in 0..20u32 {
        write_tree(dir, &original);
        let child = fix(dir).stderr(Stdio::piped()).spawn().unwrap();
        // From a quarter to three quarters of the run.
        std::thread::sleep(full_run / 4 + full_run * i / 40);
        Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let now = snapshot(dir);
        assert!(
            now.keys().all(|k| !is_temp(k)),
            "a temporary file was left: {:?}",
            now.keys().filter(|k| is_temp(k)).collect::<Vec<_>>()
        );
        let mut n_fixed = 0;
        for (rel, content) in &now {
            assert!(
                content == &original[rel] || content == &fixed[rel],
                "{rel:?} is neither original nor fixed"
            );
            n_fixed += usize::from(content != &original[rel]);
        }
        match out.status.code() {
            Some(130) => {
                stopped += 1;
                assert!(stderr.contains("heap-audit: interrupted: "), "{stderr}");
                assert!(stderr.contains("Run again to finish."), "{stderr}");
                partly += usize::from(n_fixed > 0 && now != fixed);
            }
            Some(0) => assert_eq!(now, fixed, "a run that finished fixed everything"),
            other => panic!("exit {other:?}\n{stderr}"),
        }
    }
    eprintln!("20 SIGINTs: {stopped} stopped the run ({partly} after some files were fixed)");
    assert!(stopped >= 10, "most signals land mid-run ({stopped} of 20)");
}
