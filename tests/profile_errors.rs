//! Must-show 3 (all but the 200 MB case, which `tests/profile/big-profile.sh` measures): bad
//! profiles get an error naming the file and what is wrong, the other profiles still load, and
//! sites that map to nothing are listed with their bytes, never dropped.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use heap_audit::profile::{Heat, ProfileSet, UnmappedReason, Workspace};

const GOOD_DHAT: &str = r#"{"dhatFileVersion":2,"mode":"rust-heap","verb":"Allocated","pps":[
  {"tb":500000,"tbk":50,"fs":[1,2,3]},
  {"tb":7000,"tbk":7,"fs":[1,4,3]},
  {"tb":3000,"tbk":3,"fs":[1,5,3]},
  {"tb":900,"tbk":9,"fs":[1,6]}],
 "ftbl":["[root]",
  "0x1: <alloc::alloc::Global as core::alloc::Allocator>::allocate (alloc/src/alloc.rs:241:9)",
  "0x2: app::fill (app/src/main.rs:3:17)",
  "0x3: app::main (app/src/main.rs:9:5)",
  "0x4: app::helper (???:0:0)",
  "0x5: app::gone (app/src/removed.rs:4:9)",
  "0x6: std::rt::lang_start (std/src/rt.rs:1:1)"]}"#;

const MAIN_RS: &str = "fn fill() -> Vec<u8> {\n    let mut v = Vec::new();\n    v.resize(500, 0);\n    v\n}\n\nfn main() {\n    for _ in 0..1000 {\n        fill();\n    }\n}\n";

fn workspace() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(root.join("Cargo.toml"), "[package]\nname = \"app\"\n").unwrap();
    std::fs::write(root.join("src/main.rs"), MAIN_RS).unwrap();
    // Written after the sources, so they are not newer than it.
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(dir.path().join("dhat-heap.json"), GOOD_DHAT).unwrap();
    (dir, root)
}

fn summary(root: &Path, files: &[PathBuf]) -> (Output, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_heap-audit"))
        .args(["profile", "summary"])
        .args(files)
        .arg("--root")
        .arg(root)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    (out, stdout, stderr)
}

#[test]
fn truncated_json_names_the_file_and_the_other_profiles_still_load() {
    let (dir, root) = workspace();
    let good = dir.path().join("dhat-heap.json");
    let bad = dir.path().join("cut.json");
    std::fs::write(&bad, &GOOD_DHAT[..GOOD_DHAT.len() / 2]).unwrap();
    let (out, stdout, stderr) = summary(&root, &[bad.clone(), good.clone()]);
    assert_eq!(out.status.code(), Some(2));
    let first = stderr.lines().next().unwrap();
    assert!(
        first.starts_with(&format!(
            "heap-audit: {}: truncated DHAT profile: the JSON ends early (line ",
            bad.display()
        )),
        "{stderr}"
    );
    assert!(
        stdout.contains("src/main.rs:3  app::fill"),
        "the good profile is still summarised: {stdout}"
    );

    let (set, errors) = ProfileSet::load(Arc::new(Workspace::index(&root)), &[bad.clone(), good]);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].path, bad);
    assert_eq!(set.profiles().len(), 1);
}

#[test]
fn unknown_formats_are_named() {
    let (dir, root) = workspace();
    let cases = [
        (
            "trace.json",
            "{\"traceEvents\": [{\"ph\": \"X\"}]}",
            "unknown profile format: a JSON object of no known profile format",
        ),
        (
            "heap.heapprofile",
            "PK\u{3}\u{4} zip bytes",
            "unknown profile format: not JSON",
        ),
        ("empty.json", "", "empty file, not a profile"),
        (
            "old.json",
            "{\"dhatFileVersion\": 1, \"pps\": [], \"ftbl\": []}",
            "DHAT file version 1 is not supported",
        ),
        (
            "py.json",
            "{\"format\": \"heap-audit-tracemalloc\", \"version\": 9, \"stats\": []}",
            "version 9 is not supported",
        ),
        (
            "v8.heapprofile",
            "{\"head\": {\"callFrame\": {\"functionName\": \"f\"}, \"selfSize\": \"big\"}}",
            "not a valid V8 heap profile",
        ),
    ];
    for (name, text, expected) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        let (out, _, stderr) = summary(&root, std::slice::from_ref(&p));
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert!(
            stderr.contains(&format!("{}: {expected}", p.display())),
            "{name}: {stderr}"
        );
    }
    let (out, _, stderr) = summary(&root, &[dir.path().join("nope.json")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("nope.json: cannot open"), "{stderr}");
}

#[test]
fn frames_without_lines_and_paths_that_match_nothing_are_listed() {
    let (dir, root) = workspace();
    let good = dir.path().join("dhat-heap.json");
    let (out, stdout, _) = summary(&root, std::slice::from_ref(&good));
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("note: 1 of 4 user frames have no line information"),
        "{stdout}"
    );
    let unmapped = &stdout[stdout
        .find("Not mapped to a workspace line (3 sites, 10.9 kB):")
        .expect(&stdout)..];
    assert!(unmapped.contains("7.0 kB   1.4%  app::helper — no file/line in the profile; 7.0 kB credited to src/main.rs:9"), "{unmapped}");
    assert!(unmapped.contains("3.0 kB   0.6%  app::gone (app/src/removed.rs:4) — no such file in the workspace; 3.0 kB credited to src/main.rs:9"), "{unmapped}");
    assert!(
        unmapped.contains("900 B   0.2%  (no user frame) — no user frame"),
        "{unmapped}"
    );

    let ws = Arc::new(Workspace::index(&root));
    let (set, _) = ProfileSet::load(ws, &[good]);
    let reasons: Vec<UnmappedReason> = set.unmapped().into_iter().map(|u| u.reason).collect();
    assert_eq!(
        reasons,
        vec![
            UnmappedReason::NoLineInfo,
            UnmappedReason::NotInWorkspace,
            UnmappedReason::NoUserFrame
        ]
    );
    // Every byte is either on a workspace site or in the unmapped list.
    let main = root.join("src/main.rs");
    let sites: u64 = set
        .top_sites(100)
        .iter()
        .map(|s| s.measured.self_bytes)
        .sum();
    let lost: u64 = set
        .unmapped()
        .iter()
        .filter(|u| u.credited_to.is_none())
        .map(|u| u.bytes)
        .sum();
    let credited: u64 = set.unmapped().iter().map(|u| u.credited_bytes).sum();
    assert_eq!(sites + lost, 510_900);
    assert_eq!(credited, 10_000);
    // The loop's call line carries everything its callees allocated; `main` itself allocates
    // the helper's and the removed file's bytes (credited to it).
    let call = set.line(&main, 9).unwrap();
    assert_eq!((call.bytes, call.self_bytes), (510_000, 10_000));
    assert!(
        matches!(set.span(&main, 1..=5), Heat::Hot(m) if m.bytes == 500_000 && m.self_bytes == 500_000)
    );
    assert_eq!(set.span(&main, 6..=6), Heat::Cold { stale: false });
}

#[test]
fn a_file_changed_after_the_profile_is_flagged() {
    let (dir, root) = workspace();
    let main = root.join("src/main.rs");
    let later = SystemTime::now() + Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&main)
        .unwrap()
        .set_modified(later)
        .unwrap();
    let good = dir.path().join("dhat-heap.json");
    let (set, _) = ProfileSet::load(
        Arc::new(Workspace::index(&root)),
        std::slice::from_ref(&good),
    );
    assert!(set.line(&main, 3).unwrap().stale);
    assert_eq!(set.stale_files(), vec![main.clone()]);
    let (_, stdout, _) = summary(&root, &[good]);
    assert!(
        stdout.contains("warning: profile older than file: src/main.rs"),
        "{stdout}"
    );
    assert!(
        stdout.contains("(profile older than file: the line may have moved)"),
        "{stdout}"
    );
}

#[test]
fn without_files_the_summary_finds_the_default_profiles() {
    let (dir, root) = workspace();
    let run = |root: &Path| {
        Command::new(env!("CARGO_BIN_EXE_heap-audit"))
            .args(["profile", "summary", "--root"])
            .arg(root)
            .output()
            .unwrap()
    };
    let out = run(&root);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no profile found in") && stderr.contains("dhat-heap.json, *.heapprofile"),
        "{stderr}"
    );
    std::fs::copy(
        dir.path().join("dhat-heap.json"),
        root.join("dhat-heap.json"),
    )
    .unwrap();
    let out = run(&root);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("src/main.rs:3  app::fill"));
}
