//! Must-show 1: real profiles, made here by running real programs (never hand-written), then
//! loaded, mapped onto their workspace and ranked. Each test asserts that the known hot line
//! (or function, for V8) ranks first with the right order of magnitude of bytes.
//!
//! Needs `cargo` (the `dhat` crate is fetched once, then the demo builds `--offline`),
//! `valgrind`, `node` and `python3` on PATH.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use heap_audit::document::{parse_str, DEFAULT_PARSE_BUDGET};
use heap_audit::language::Lang;
use heap_audit::profile::{self, Format, Granularity, Heat, HotRank, ProfileSet, Workspace};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}

fn demo(name: &str) -> PathBuf {
    repo().join("tests/profile").join(name)
}

/// The 1-based line of the first line containing `marker`.
fn line_of(path: &Path, marker: &str) -> u32 {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .position(|l| l.contains(marker))
        .unwrap_or_else(|| panic!("{marker} in {}", path.display())) as u32
        + 1
}

fn set_for(root: &Path, profile_path: &Path) -> ProfileSet {
    let (set, errors) =
        ProfileSet::load(Arc::new(Workspace::index(root)), &[profile_path.to_owned()]);
    assert!(errors.is_empty(), "{errors:?}");
    set
}

fn heap_audit() -> Command {
    Command::new(env!("CARGO_BIN_EXE_heap-audit"))
}

fn run_ok(cmd: &mut Command) -> std::process::Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The byte range of the first occurrence of `needle` in `path`, with the text and its tree.
fn find(path: &Path, needle: &str) -> (String, tree_sitter::Tree, std::ops::Range<usize>) {
    let src = std::fs::read_to_string(path).unwrap();
    let tree = parse_str(Lang::from_path(path).unwrap(), &src, DEFAULT_PARSE_BUDGET).unwrap();
    let at = src.find(needle).unwrap_or_else(|| panic!("{needle}"));
    (src, tree, at..at + needle.len())
}

/// Builds tests/profile/dhat-demo (its own workspace, its own target folder) and returns the
/// binary. The first build fetches `dhat` from crates.io; later ones are offline.
fn build_dhat_demo() -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let manifest = demo("dhat-demo/Cargo.toml");
    let target = repo().join("target/profile-dhat-demo");
    let build = |offline: bool| {
        let mut c = Command::new(&cargo);
        c.arg("build")
            .arg("--locked")
            .arg("--manifest-path")
            .arg(&manifest)
            .env("CARGO_TARGET_DIR", &target);
        if offline {
            c.arg("--offline");
        }
        c.output().unwrap()
    };
    let out = build(true);
    if !out.status.success() {
        run_ok(
            Command::new(&cargo)
                .arg("fetch")
                .arg("--locked")
                .arg("--manifest-path")
                .arg(&manifest),
        );
        let out = build(true);
        assert!(
            out.status.success(),
            "dhat-demo build failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    target.join("debug").join(if cfg!(windows) {
        "dhat-demo.exe"
    } else {
        "dhat-demo"
    })
}

#[test]
fn dhat_profile_ranks_the_hot_line_first() {
    let bin = build_dhat_demo();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("dhat-heap.json");
    run_ok(Command::new(&bin).arg(&out).current_dir(tmp.path()));

    let root = demo("dhat-demo");
    let main = root.join("src/main.rs");
    let set = set_for(&root, &out);
    let p = set.profiles()[0].profile();
    assert_eq!(p.format, Format::Dhat);
    assert_eq!(p.granularity, Granularity::Line);

    let top = set.top_sites(3);
    let hot = &top[0];
    assert_eq!(hot.path, main);
    assert_eq!(hot.line, line_of(&main, "// HOT"));
    assert_eq!(hot.function.as_deref(), Some("dhat_demo::copies"));
    // 1000 copies of a 2048-byte string: DHAT counts exactly.
    let bytes = hot.measured.self_bytes;
    assert!((1_000_000..10_000_000).contains(&bytes), "{bytes}");
    assert_eq!(hot.measured.self_blocks, 1000);
    assert!(hot.measured.self_share > 0.9, "{}", hot.measured.self_share);
    assert_eq!(top[1].line, line_of(&main, "// WARM"));
    assert!(
        (10_000..100_000).contains(&top[1].measured.self_bytes),
        "{}",
        top[1].measured.self_bytes
    );
    // The sampled stack reaches main through the call inside the loop…
    assert!(hot.stacks[0]
        .frames
        .iter()
        .any(|f| f.function.as_deref() == Some("dhat_demo::main")));
    // …and the call line in main is credited with the callee's bytes.
    let call = set.line(&main, line_of(&main, "let a = copies(")).unwrap();
    assert!(call.bytes >= bytes && call.self_bytes == 0, "{call:?}");

    // Functions: `copies` is hot, `never_called` is covered but cold.
    assert!(matches!(set.function(&main, "copies", 0), Heat::Hot(m) if m.self_bytes == bytes));
    assert_eq!(
        set.function(&main, "never_called", 0),
        Heat::Cold { stale: false }
    );
    let cold = line_of(&main, "// COLD");
    assert_eq!(
        set.span(&main, cold - 1..=cold + 1),
        Heat::Cold { stale: false }
    );
    // The same questions from source positions, as the LSP asks them.
    let (src, tree, r) = find(&main, "format!(\"{}\", template)");
    assert!(
        matches!(set.finding(&main, &src, &tree, r.clone()), Heat::Hot(m) if m.self_bytes == bytes)
    );
    assert!(matches!(set.enclosing(&main, &src, &tree, r), Heat::Hot(m) if m.bytes == bytes));
    let (src, tree, r) = find(&main, "format!(\"{}\", x)");
    assert_eq!(
        set.finding(&main, &src, &tree, r.clone()),
        Heat::Cold { stale: false }
    );
    assert_eq!(
        set.enclosing(&main, &src, &tree, r),
        Heat::Cold { stale: false }
    );
    // Inlay-hint lines: the hot line first.
    let hints = set.hot_lines(&main, HotRank::SelfBytes, 5, 0.005);
    assert_eq!(
        hints.iter().map(|h| h.line).collect::<Vec<_>>(),
        vec![hot.line, top[1].line]
    );
    assert_eq!(set.line_stacks(&main, hot.line).len(), 1);
    // Nothing the program allocated is left unmapped.
    let unmapped: u64 = set.unmapped().iter().map(|u| u.bytes).sum();
    assert!(unmapped < 10_000, "{:?}", set.unmapped());

    // The CLI puts the finding and its quick win on the hot line.
    let out = run_ok(
        heap_audit()
            .args(["profile", "summary"])
            .arg(&out)
            .arg("--root")
            .arg(&root),
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let first = text
        .lines()
        .position(|l| l.trim_start().starts_with("1."))
        .unwrap();
    let block: Vec<&str> = text.lines().skip(first).take(5).collect();
    assert!(
        block[0].contains(&format!("src/main.rs:{}  dhat_demo::copies", hot.line)),
        "{text}"
    );
    assert!(
        block.iter().any(|l| l.contains("rust/format-literal")),
        "{text}"
    );
    assert!(
        block
            .iter()
            .any(|l| l.contains("quick win: Replace `format!` with `.to_string()` (safe)")),
        "{text}"
    );
}

#[test]
fn valgrind_dhat_profile_of_the_same_program_agrees() {
    let bin = build_dhat_demo();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("vg-dhat.json");
    run_ok(
        Command::new("valgrind")
            .args(["--tool=dhat", "--num-callers=50"])
            .arg(format!("--dhat-out-file={}", out.display()))
            .arg(&bin)
            .arg("--no-dhat")
            .current_dir(tmp.path()),
    );
    let root = demo("dhat-demo");
    let main = root.join("src/main.rs");
    let set = set_for(&root, &out);
    let hot = &set.top_sites(1)[0];
    // Valgrind writes bare file names (`main.rs`) and bare names for inlined frames.
    assert_eq!(
        (hot.path.as_path(), hot.line),
        (main.as_path(), line_of(&main, "// HOT"))
    );
    assert_eq!(
        (hot.measured.self_bytes, hot.measured.self_blocks),
        (2_048_000, 1000)
    );
    let unmapped: u64 = set.unmapped().iter().map(|u| u.bytes).sum();
    assert!(unmapped < 10_000, "{:?}", set.unmapped());
}

#[test]
fn node_heap_profile_ranks_the_hot_function_first() {
    let root = demo("node-demo");
    let app = root.join("app.js");
    let tmp = tempfile::tempdir().unwrap();
    run_ok(
        Command::new("node")
            .arg("--heap-prof")
            .arg("--heap-prof-dir")
            .arg(tmp.path())
            .arg("--heap-prof-interval=16384")
            .arg(&app)
            .current_dir(&root),
    );
    let file = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "heapprofile"))
        .expect("node wrote a .heapprofile");
    let set = set_for(&root, &file);
    assert_eq!(set.profiles()[0].profile().format, Format::V8);

    let top = set.top_sites(2);
    let hot = &top[0];
    let decl = line_of(&app, "function makeRows");
    assert_eq!((hot.path.as_path(), hot.line), (app.as_path(), decl));
    assert_eq!(hot.function.as_deref(), Some("makeRows"));
    assert_eq!(hot.measured.granularity, Granularity::Function);
    // 200,000 rows of an object, a string and a 2-element array, all still live: tens of MB.
    let bytes = hot.measured.self_bytes;
    assert!((10_000_000..100_000_000).contains(&bytes), "{bytes}");
    assert!(hot.measured.self_share > 0.8, "{}", hot.measured.self_share);
    assert_eq!(top[1].function.as_deref(), Some("smallStrings"));
    assert!(top[1].measured.self_bytes < bytes / 10);
    // Function queries by name and declaration line.
    assert!(matches!(set.function(&app, "makeRows", decl), Heat::Hot(m) if m.self_bytes == bytes));
    assert_eq!(
        set.function(&app, "makeRows", decl + 1),
        Heat::Cold { stale: false }
    );
    assert!(set.line(&app, decl).is_some_and(|m| m.self_bytes == bytes));
    // A finding inside makeRows carries makeRows' figures (V8 has no per-line figures).
    let (src, tree, r) = find(&app, "delete row.scratch");
    assert!(
        matches!(set.finding(&app, &src, &tree, r.clone()), Heat::Hot(m) if m.self_bytes == bytes)
    );
    assert!(matches!(set.enclosing(&app, &src, &tree, r), Heat::Hot(m) if m.self_bytes == bytes));
    // Module-level code: V8's top-level function of the module (positioned at 1:1).
    let (src, tree, r) = find(&app, "keep.push(makeRows(200000))");
    assert!(
        matches!(set.finding(&app, &src, &tree, r), Heat::Hot(m) if m.bytes >= bytes && m.self_bytes < bytes / 10)
    );
    let (src, tree, r) = find(&app, "out.push(\"s\" + i)");
    assert!(
        matches!(set.finding(&app, &src, &tree, r), Heat::Hot(m) if m.self_bytes == top[1].measured.self_bytes)
    );

    let out = run_ok(
        heap_audit()
            .args(["profile", "summary"])
            .arg(&file)
            .arg("--root")
            .arg(&root),
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(&format!("app.js:{decl}:")) && text.contains("makeRows (function)"),
        "{text}"
    );
    assert!(text.contains("js/delete-property"), "{text}");
}

#[test]
fn python_profile_ranks_the_hot_line_first() {
    let root = demo("python-demo");
    let app = root.join("app.py");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("py.json");
    run_ok(
        heap_audit()
            .args(["profile", "python", "--out"])
            .arg(&out)
            .arg("--")
            .arg(&app)
            .current_dir(&root),
    );
    let set = set_for(&root, &out);
    assert_eq!(set.profiles()[0].profile().format, Format::Python);

    let top = set.top_sites(2);
    let hot = &top[0];
    assert_eq!(
        (hot.path.as_path(), hot.line),
        (app.as_path(), line_of(&app, "# HOT"))
    );
    // 200,000 floats (24 bytes each) and the list holding them: about 6.4 MB.
    let bytes = hot.measured.self_bytes;
    assert!((2_000_000..20_000_000).contains(&bytes), "{bytes}");
    assert!(
        (190_000..=210_000).contains(&hot.measured.self_blocks),
        "{}",
        hot.measured.self_blocks
    );
    assert_eq!(top[1].line, line_of(&app, "# WARM"));
    // The call at module level is credited too.
    let call = line_of(&app, "ROOTS = roots(");
    assert!(set.line(&app, call).is_some_and(|m| m.bytes >= bytes));
    // Python frames carry no function names: function(name) does not apply, span() does.
    assert_eq!(set.function(&app, "roots", 0), Heat::NotCovered);
    assert!(matches!(set.span(&app, call - 9..=call - 7), Heat::Hot(_)));
    let (src, tree, r) = find(&app, "i ** 0.5");
    assert!(
        matches!(set.finding(&app, &src, &tree, r.clone()), Heat::Hot(m) if m.self_bytes == bytes)
    );
    assert!(matches!(set.enclosing(&app, &src, &tree, r), Heat::Hot(m) if m.bytes >= bytes));
    let (src, tree, r) = find(&app, "sys.exit(int(sys.argv[1]))");
    assert_eq!(
        set.finding(&app, &src, &tree, r),
        Heat::Cold { stale: false }
    );

    let text = String::from_utf8(
        run_ok(
            heap_audit()
                .args(["profile", "summary"])
                .arg(&out)
                .arg("--root")
                .arg(&root),
        )
        .stdout,
    )
    .unwrap();
    assert!(
        text.contains(&format!("app.py:{}", hot.line)) && text.contains("py/pow-half"),
        "{text}"
    );
}

#[test]
fn python_runner_passes_the_exit_status_through() {
    let root = demo("python-demo");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("py.json");
    let run = heap_audit()
        .args(["profile", "python", "--frames", "5", "--out"])
        .arg(&out)
        .arg("--")
        .arg(root.join("app.py"))
        .arg("3")
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&run.stderr).contains("heap-audit: wrote "));
    let p = profile::load(&out).unwrap();
    assert!(p.stacks.iter().all(|s| p.stack_frames(s).count() <= 5));
    assert!(p.total_bytes > 2_000_000);
}

#[test]
fn python_runner_keeps_the_data_of_a_script_that_raises() {
    let tmp = tempfile::tempdir().unwrap();
    let script = tmp.path().join("boom.py");
    std::fs::write(
        &script,
        "DATA = [bytes(1000) for _ in range(1000)]  # HOT\nraise ValueError('boom')\n",
    )
    .unwrap();
    let out = tmp.path().join("boom.json");
    let run = heap_audit()
        .args(["profile", "python", "-o"])
        .arg(&out)
        .arg(&script)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&run.stderr);
    // Python's own report of the error, without the bootstrap's frames.
    assert!(
        stderr.contains("ValueError: boom") && !stderr.contains("runpy"),
        "{stderr}"
    );
    let set = set_for(tmp.path(), &out);
    let hot = &set.top_sites(1)[0];
    assert_eq!(hot.line, 1);
    assert!(
        (1_000_000..2_000_000).contains(&hot.measured.self_bytes),
        "{}",
        hot.measured.self_bytes
    );
}

/// Extracts the Python code block that follows `<!-- heap-audit-snippet: NAME -->` in the
/// README's Profiles section.
fn snippet(name: &str) -> String {
    let usage = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let marker = format!("<!-- heap-audit-snippet: {name} -->");
    let after = &usage[usage.find(&marker).expect("snippet marker") + marker.len()..];
    let body = &after[after.find("```python\n").unwrap() + "```python\n".len()..];
    body[..body.find("```").unwrap()].to_owned()
}

#[test]
fn the_documented_python_snippet_writes_a_profile_heap_audit_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let script = tmp.path().join("work.py");
    let code = format!(
        "{}\ndef build():\n    return [bytes(512) for _ in range(4000)]  # HOT\n\nDATA = build()\n{}",
        snippet("start"),
        snippet("end")
    );
    std::fs::write(&script, code).unwrap();
    run_ok(Command::new("python3").arg(&script).current_dir(tmp.path()));
    let out = tmp.path().join("heap-audit-tracemalloc.json");
    let set = set_for(tmp.path(), &out);
    let hot = &set.top_sites(1)[0];
    assert_eq!(hot.line, line_of(&script, "# HOT"));
    // 4000 bytes objects of 512 bytes (plus headers).
    assert!(
        (2_000_000..4_000_000).contains(&hot.measured.self_bytes),
        "{}",
        hot.measured.self_bytes
    );
}
