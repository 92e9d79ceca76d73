//! `heap-audit check`: find files, analyse them in parallel, fix them if asked, report.
//!
//! Files are found by `discover` (parallel walk + per-folder configuration), analysed on a rayon
//! pool (`-j`), and reported in path and position order whatever the thread count. Exit codes:
//! 0 clean, 1 a finding at or above `--fail-on` remains (with `--diff`: a file would change),
//! 2 a usage or configuration error, or a file that could not be read, decoded or written.

use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rayon::prelude::*;

use super::discover::{self, absolute, Configs, Problem, Target};
use super::progress::Progress;
use super::report::{locate, FileOutcome};
use super::source::{self, Unread};
use super::text::{Style, Summary};
use super::{diff, json, sarif, text, writer, CheckArgs, FailOn, Format};
use crate::config::{Config, ConfigError};
use crate::document::{parse_str, DEFAULT_PARSE_BUDGET};
use crate::engine::{self, Finding, FixMode, Settings, Severity};
use crate::language::Lang;

/// `--fix` re-analyses and re-applies until nothing changes, at most this many times.
const MAX_FIX_PASSES: usize = 10;

struct Options {
    format: Format,
    /// Which fixes to compute: `Some` with `--fix` or `--diff`.
    fix: Option<FixMode>,
    /// Write fixed files (`--fix` without `--diff`).
    write: bool,
    diff: bool,
    unsafe_fixes: bool,
    fail_on: Option<Severity>,
    quiet: bool,
    /// Parse only, no rules (the benchmark's baseline).
    parse_only: bool,
}

pub fn run(args: CheckArgs) -> ExitCode {
    match check(args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("heap-audit: error: {message}");
            ExitCode::from(2)
        }
    }
}

/// Validates the arguments; `Err` is a usage or configuration error (exit 2).
fn check(args: CheckArgs) -> Result<ExitCode, String> {
    if !args.profile.is_empty() {
        return Err("--profile: reading allocation profiles is not supported yet".to_owned());
    }
    if args.diff && args.format != Format::Text {
        return Err(
            "--diff prints a unified diff; it cannot be combined with --format json or sarif"
                .to_owned(),
        );
    }
    let stdin_paths_ok =
        args.paths.is_empty() || (args.paths.len() == 1 && args.paths[0] == Path::new("-"));
    if args.stdin_filename.is_some() && !stdin_paths_ok {
        return Err(
            "--stdin-filename reads the source from stdin; give no paths (or `-`)".to_owned(),
        );
    }
    let opts = Options {
        format: args.format,
        fix: (args.fix || args.diff).then_some(if args.unsafe_fixes {
            FixMode::SafeAndUnsafe
        } else {
            FixMode::SafeOnly
        }),
        write: args.fix && !args.diff,
        diff: args.diff,
        unsafe_fixes: args.unsafe_fixes,
        fail_on: match args.fail_on {
            FailOn::Hint => Some(Severity::Hint),
            FailOn::Info => Some(Severity::Info),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Error => Some(Severity::Error),
            FailOn::Never => None,
        },
        quiet: args.quiet,
        parse_only: args.parse_only,
    };
    let threads = match args.threads {
        Some(n) if n > 0 => n,
        _ => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current folder: {e}"))?;
    let fixed = match &args.config {
        Some(file) => {
            let config = Config::load(file).map_err(|e| e.to_string())?;
            let base = absolute(&cwd, file)
                .parent()
                .map(Path::to_owned)
                .unwrap_or_else(|| cwd.clone());
            Some((config, base))
        }
        None => None,
    };
    let configs = Configs::new(&cwd, fixed);
    if let Some(name) = &args.stdin_filename {
        return Ok(check_stdin(name, &opts, &configs, &cwd));
    }
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| format!("cannot start {threads} worker threads: {e}"))?;

    let mut progress = Progress::new(!opts.quiet && io::stderr().is_terminal());
    let found = discover::discover(&paths, &cwd, &configs, threads, &progress);
    progress.checking(found.targets.len());
    let outcomes: Vec<FileOutcome> = pool.install(|| {
        found
            .targets
            .par_iter()
            .map(|t| {
                let outcome = check_file(t, &configs, &opts);
                progress.checked();
                outcome
            })
            .collect()
    });
    progress.finish();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let code = report(
        &outcomes,
        found.problems,
        &configs.errors(),
        &opts,
        &cwd,
        &mut out,
        io::stdout().is_terminal(),
    );
    Ok(code)
}

/// Findings of a text, and the text with fixes applied (if asked and any apply).
struct Analysis {
    findings: Vec<Finding>,
    fixed: Option<Fixed>,
    /// Fixes were found but withheld (they would have broken the syntax).
    fix_error: Option<String>,
}

struct Fixed {
    text: String,
    count: usize,
    remaining: Vec<Finding>,
}

/// ERROR and MISSING nodes in a tree (subtrees without errors are not entered).
fn syntax_errors(tree: &tree_sitter::Tree) -> usize {
    let mut n = 0;
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        if node.is_error() || node.is_missing() {
            n += 1;
        }
        if node.has_error() {
            let mut c = node.walk();
            stack.extend(node.children(&mut c));
        }
    }
    n
}

fn analyse(
    lang: Lang,
    body: &str,
    settings: &Settings,
    mode: Option<FixMode>,
) -> Result<Analysis, String> {
    let gave_up = || {
        format!(
            "the parser gave up after {} s; not checked",
            DEFAULT_PARSE_BUDGET.as_secs()
        )
    };
    let tree = parse_str(lang, body, DEFAULT_PARSE_BUDGET).ok_or_else(gave_up)?;
    let findings = engine::analyze(lang, body, &tree, settings);
    let mut analysis = Analysis {
        findings,
        fixed: None,
        fix_error: None,
    };
    let Some(mode) = mode else {
        return Ok(analysis);
    };
    let fixable = |f: &Finding| f.fix.as_ref().is_some_and(|x| mode.allows(x.applicability));
    if !analysis.findings.iter().any(fixable) {
        return Ok(analysis);
    }
    let (text, count) = engine::fix_until_stable(body, mode, MAX_FIX_PASSES, |t| {
        engine::analyze_str(lang, t, settings).unwrap_or_default()
    });
    if text == body {
        return Ok(analysis);
    }
    let new_tree = parse_str(lang, &text, DEFAULT_PARSE_BUDGET).ok_or_else(gave_up)?;
    if syntax_errors(&new_tree) > syntax_errors(&tree) {
        analysis.fix_error =
            Some("its fixes would introduce a syntax error, so none were applied (a heap-audit bug: please report it)".to_owned());
        return Ok(analysis);
    }
    let remaining = engine::analyze(lang, &text, &new_tree, settings);
    analysis.fixed = Some(Fixed {
        text,
        count,
        remaining,
    });
    Ok(analysis)
}

fn diff_names(path: &Path) -> (String, String) {
    let p = path.to_string_lossy();
    if path.is_absolute() {
        (p.to_string(), p.to_string())
    } else {
        (format!("a/{p}"), format!("b/{p}"))
    }
}

fn check_file(target: &Target, configs: &Configs, opts: &Options) -> FileOutcome {
    let path = &target.path;
    let mut out = FileOutcome {
        path: path.clone(),
        ..FileOutcome::default()
    };
    let Some(settings) = configs.settings(&target.abs, target.lang) else {
        out.config_broken = true;
        return out;
    };
    let src = match source::read(path) {
        Ok(s) => s,
        Err(Unread::Skipped(m)) => {
            out.problems.push(Problem::notice(path, m));
            return out;
        }
        Err(Unread::Failed(m)) => {
            out.problems.push(Problem::error(path, m));
            return out;
        }
    };
    let (body, bom) = match source::decode(&src.bytes) {
        Ok(decoded) => decoded,
        Err(m) => {
            out.problems.push(Problem::error(path, m));
            return out;
        }
    };
    if opts.parse_only {
        match parse_str(target.lang, body, DEFAULT_PARSE_BUDGET) {
            Some(_) => out.checked = true,
            None => out
                .problems
                .push(Problem::error(path, "the parser gave up; not parsed")),
        }
        return out;
    }
    let analysis = match analyse(target.lang, body, &settings, opts.fix) {
        Ok(a) => a,
        Err(m) => {
            out.problems.push(Problem::error(path, m));
            return out;
        }
    };
    out.checked = true;
    let excerpts = opts.format == Format::Text;
    if let Some(m) = analysis.fix_error {
        out.problems.push(Problem::error(path, m));
    }
    match analysis.fixed {
        Some(fixed) if opts.diff => {
            let (old, new) = diff_names(path);
            out.diff = Some(diff::unified(body, &fixed.text, &old, &new));
            out.fixed = fixed.count;
        }
        Some(fixed) if opts.write => {
            let bytes = source::encode(&fixed.text, bom);
            match writer::replace(path, &target.root, &src.bytes, &src.snapshot, &bytes) {
                Ok(()) => {
                    out.fixed = fixed.count;
                    out.findings = locate(&fixed.text, &fixed.remaining, excerpts);
                }
                Err(m) => {
                    out.problems.push(Problem::error(path, m));
                    out.findings = locate(body, &analysis.findings, excerpts);
                }
            }
        }
        _ if opts.diff => {}
        _ => out.findings = locate(body, &analysis.findings, excerpts),
    }
    out
}

/// `--stdin-filename NAME`: the source comes from stdin. With `--fix` the fixed text goes to
/// stdout and the findings to stderr (as ruff does); otherwise findings go to stdout.
fn check_stdin(name: &Path, opts: &Options, configs: &Configs, cwd: &Path) -> ExitCode {
    let fail = |m: &str| {
        eprintln!("heap-audit: error: {}: {m}", name.display());
        ExitCode::from(2)
    };
    let Some(lang) = Lang::from_path(name) else {
        return fail("not a Rust, Python, JavaScript or TypeScript file name (by its extension)");
    };
    let mut bytes = Vec::new();
    if let Err(e) = io::stdin().lock().read_to_end(&mut bytes) {
        return fail(&format!("cannot read stdin: {e}"));
    }
    let (body, bom) = match source::decode(&bytes) {
        Ok(d) => d,
        Err(m) => return fail(&m),
    };
    let Some(settings) = configs.settings(&absolute(cwd, name), lang) else {
        for e in configs.errors() {
            eprintln!("heap-audit: error: {e}");
        }
        return ExitCode::from(2);
    };
    let analysis = match analyse(lang, body, &settings, opts.fix) {
        Ok(a) => a,
        Err(m) => return fail(&m),
    };
    let excerpts = opts.format == Format::Text;
    let path = discover::display_path(name);
    let mut outcome = FileOutcome {
        path: path.clone(),
        checked: true,
        ..FileOutcome::default()
    };
    if let Some(m) = analysis.fix_error {
        outcome.problems.push(Problem::error(&path, m));
    }
    let stdout = io::stdout();
    let mut stdout = stdout.lock();
    if opts.diff {
        if let Some(fixed) = &analysis.fixed {
            let (old, new) = diff_names(&path);
            outcome.diff = Some(diff::unified(body, &fixed.text, &old, &new));
            outcome.fixed = fixed.count;
        }
        return report(
            &[outcome],
            Vec::new(),
            &[],
            opts,
            cwd,
            &mut stdout,
            io::stdout().is_terminal(),
        );
    }
    if opts.write {
        let text = analysis.fixed.as_ref().map_or(body, |f| f.text.as_str());
        if stdout
            .write_all(&source::encode(text, bom))
            .and_then(|()| stdout.flush())
            .is_err()
        {
            return ExitCode::from(2);
        }
        match analysis.fixed {
            Some(fixed) => {
                outcome.fixed = fixed.count;
                outcome.findings = locate(&fixed.text, &fixed.remaining, excerpts);
            }
            None => outcome.findings = locate(body, &analysis.findings, excerpts),
        }
        let stderr = io::stderr();
        let is_tty = stderr.is_terminal();
        return report(
            &[outcome],
            Vec::new(),
            &[],
            opts,
            cwd,
            &mut stderr.lock(),
            is_tty,
        );
    }
    outcome.findings = locate(body, &analysis.findings, excerpts);
    report(
        &[outcome],
        Vec::new(),
        &[],
        opts,
        cwd,
        &mut stdout,
        io::stdout().is_terminal(),
    )
}

/// Prints findings (or diffs) to `out`, problems to stderr, then the summary; returns the exit
/// code. A closed `out` (e.g. `| head`) stops the printing quietly.
fn report(
    outcomes: &[FileOutcome],
    mut problems: Vec<Problem>,
    config_errors: &[ConfigError],
    opts: &Options,
    cwd: &Path,
    out: &mut dyn Write,
    out_is_tty: bool,
) -> ExitCode {
    let mut summary = Summary {
        unsafe_fixes: opts.unsafe_fixes,
        ..Summary::default()
    };
    let mut failed_by_config = 0;
    for o in outcomes {
        if o.checked {
            summary.files_checked += 1;
        } else if o.config_broken {
            failed_by_config += 1;
        } else if o.problems.iter().any(|p| p.is_error) {
            summary.files_failed += 1;
        } else {
            summary.files_skipped += 1;
        }
        if o.fixed > 0 {
            summary.fixed += o.fixed;
            summary.files_fixed += 1;
        }
        o.findings.iter().for_each(|f| summary.add(f));
        problems.extend(o.problems.iter().cloned());
    }
    summary.files_failed += failed_by_config;
    problems.sort_by(|a, b| a.path.cmp(&b.path));
    let all_findings = || {
        outcomes
            .iter()
            .flat_map(|o| o.findings.iter().map(move |f| (o.path.as_path(), f)))
    };

    let mut result = Ok(());
    if opts.diff {
        for d in outcomes.iter().filter_map(|o| o.diff.as_deref()) {
            result = result.and_then(|()| out.write_all(d.as_bytes()));
        }
    } else {
        match opts.format {
            Format::Text => {
                let style = Style::detect(out_is_tty);
                for (path, f) in all_findings() {
                    result = result
                        .and_then(|()| out.write_all(text::render(path, f, style).as_bytes()));
                    result = result.and_then(|()| out.write_all(b"\n"));
                }
            }
            Format::Json => result = json::write(out, outcomes),
            Format::Sarif => result = sarif::write(out, outcomes, &problems, config_errors, cwd),
        }
    }
    let _ = result.and_then(|()| out.flush());

    let err_style = Style::detect(io::stderr().is_terminal());
    let mut stderr = io::stderr().lock();
    for e in config_errors {
        let label = paint(err_style, "1;31", "error");
        let _ = writeln!(stderr, "{label}: {e}");
    }
    if failed_by_config > 0 {
        let _ = writeln!(
            stderr,
            "{}: {failed_by_config} file(s) not checked because of the configuration error(s) above",
            paint(err_style, "1;31", "error")
        );
    }
    for p in &problems {
        let label = if p.is_error {
            paint(err_style, "1;31", "error")
        } else {
            paint(err_style, "1;33", "warning")
        };
        let _ = writeln!(stderr, "{label}: {}: {}", p.path.display(), p.message);
    }
    drop(stderr);

    if !opts.quiet && opts.diff {
        // Stdout carries only the patch, so it can be piped to `git apply`.
        let _ = io::stderr().write_all(text::summary(&summary, true).as_bytes());
    } else if !opts.quiet && opts.format == Format::Text {
        let _ = out
            .write_all(text::summary(&summary, false).as_bytes())
            .and_then(|()| out.flush());
    }

    let any_error = !config_errors.is_empty() || problems.iter().any(|p| p.is_error);
    if any_error {
        ExitCode::from(2)
    } else if opts.diff {
        ExitCode::from(u8::from(
            outcomes
                .iter()
                .any(|o| o.diff.as_ref().is_some_and(|d| !d.is_empty())),
        ))
    } else if opts
        .fail_on
        .is_some_and(|t| all_findings().any(|(_, f)| f.severity >= t))
    {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn paint(style: Style, sgr: &str, text: &str) -> String {
    if style.color {
        format!("\x1b[{sgr}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_counts_error_and_missing_nodes() {
        let count =
            |src: &str| syntax_errors(&parse_str(Lang::Rust, src, DEFAULT_PARSE_BUDGET).unwrap());
        assert_eq!(count("fn f() { let s = 1; }"), 0);
        assert!(count("fn f() { let s = ; }") >= 1);
        assert!(count("fn f() { let s = 1 }") >= 1, "a missing `;`");
    }

    #[test]
    fn analyse_reports_fixes_and_what_remains() {
        let settings = Settings::default();
        let src = "fn f() { let s = format!(\"x\"); }\n";
        let plain = analyse(Lang::Rust, src, &settings, None).unwrap();
        assert_eq!(plain.findings.len(), 1);
        assert!(plain.fixed.is_none());
        let fixed = analyse(Lang::Rust, src, &settings, Some(FixMode::SafeOnly)).unwrap();
        let f = fixed.fixed.expect("a safe fix applies");
        assert_eq!(f.text, "fn f() { let s = \"x\".to_string(); }\n");
        assert_eq!((f.count, f.remaining.len()), (1, 0));
        // Only an unsafe fix on offer: nothing changes in safe mode.
        let py = analyse(
            Lang::Python,
            "y = x ** 0.5\n",
            &settings,
            Some(FixMode::SafeOnly),
        )
        .unwrap();
        assert!(py.fixed.is_none() && py.findings.len() == 1);
    }
}
