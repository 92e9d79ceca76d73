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

use super::check_profile::{self, Profiles};
use super::discover::{self, absolute, Configs, Problem, Target};
use super::progress::Progress;
use super::report::{locate, FileOutcome, Located};
use super::source::{self, Unread};
use super::text::{Style, Summary};
use super::{diff, interrupt, json, sarif, text, writer, CheckArgs, FailOn, Format};
use crate::config::{Config, ConfigError};
use crate::document::{parse_str, DEFAULT_PARSE_BUDGET};
use crate::engine::{self, Finding, FixMode, Limits, RuleFailure, Settings, Severity};
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
    /// `--profile`: the profiles that rank the findings.
    profiles: Option<Profiles>,
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
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current folder: {e}"))?;
    let (profiles, profile_problems) = if args.profile.is_empty() {
        (None, Vec::new())
    } else {
        check_profile::load(&args.profile, &cwd)
    };
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
        profiles,
    };
    let threads = match args.threads {
        Some(n) if n > 0 => n,
        _ => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
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
        return Ok(check_stdin(name, &opts, &configs, &cwd, profile_problems));
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

    // With --fix, Ctrl-C stops the run between writes instead of in the middle of one.
    let catching = opts.write && interrupt::install();
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
    let mut problems = found.problems;
    problems.extend(profile_problems);
    let code = report(
        &outcomes,
        problems,
        &configs.errors(),
        &opts,
        &cwd,
        &mut out,
        io::stdout().is_terminal(),
    );
    drop(out);
    if catching && interrupt::interrupted() {
        report_interruption(&outcomes);
        return Ok(ExitCode::from(130));
    }
    Ok(code)
}

/// Findings of a text, and the text with fixes applied (if asked and any apply).
struct Analysis {
    /// The tree of the analysed text.
    tree: tree_sitter::Tree,
    findings: Vec<Finding>,
    /// Rules that panicked: their findings are left out (and they sit out the fix passes).
    failures: Vec<RuleFailure>,
    fixed: Option<Fixed>,
    /// Fixes were found but withheld (they would have broken the syntax).
    fix_error: Option<String>,
}

struct Fixed {
    text: String,
    /// The tree of `text`.
    tree: tree_sitter::Tree,
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
    // A rule that panics costs its own findings; the others stand and the file is reported.
    let first = engine::analyze_full(lang, body, &tree, settings, &Limits::default());
    let limits = Limits {
        skip: first.failures.iter().map(|f| f.rule).collect(),
        rule_budget: None,
    };
    let mut analysis = Analysis {
        tree,
        findings: first.findings,
        failures: first.failures,
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
        parse_str(lang, t, DEFAULT_PARSE_BUDGET).map_or_else(Vec::new, |tree| {
            engine::analyze_full(lang, t, &tree, settings, &limits).findings
        })
    });
    if text == body {
        return Ok(analysis);
    }
    let new_tree = parse_str(lang, &text, DEFAULT_PARSE_BUDGET).ok_or_else(gave_up)?;
    if syntax_errors(&new_tree) > syntax_errors(&analysis.tree) {
        analysis.fix_error =
            Some("its fixes would introduce a syntax error, so none were applied (a heap-audit bug: please report it)".to_owned());
        return Ok(analysis);
    }
    let remaining = engine::analyze_full(lang, &text, &new_tree, settings, &limits).findings;
    analysis.fixed = Some(Fixed {
        text,
        tree: new_tree,
        count,
        remaining,
    });
    Ok(analysis)
}

/// What to say about a rule that did not finish on a file.
fn rule_failure_message(body: &str, failure: &RuleFailure) -> String {
    let before = body.get(..failure.at.start).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    let rule = failure.rule_id();
    match &failure.kind {
        engine::FailureKind::Panicked(panic) => format!(
            "rule {rule} panicked at {line}:{column}: {panic}; its findings are left out, the \
             other rules' are reported (a heap-audit bug: please report it)"
        ),
        engine::FailureKind::OverBudget => {
            format!("rule {rule} ran out of time at {line}:{column}; its findings are left out")
        }
    }
}

fn diff_names(path: &Path) -> (String, String) {
    let p = path.to_string_lossy();
    if path.is_absolute() {
        (p.to_string(), p.to_string())
    } else {
        (format!("a/{p}"), format!("b/{p}"))
    }
}

/// After Ctrl-C: what was left undone (every file is either as it was or fully fixed).
fn report_interruption(outcomes: &[FileOutcome]) {
    let not_checked = outcomes
        .iter()
        .filter(|o| o.interrupted && !o.checked)
        .count();
    let not_written = outcomes
        .iter()
        .filter(|o| o.interrupted && o.checked)
        .count();
    eprintln!(
        "heap-audit: interrupted: {not_checked} file(s) not checked and {not_written} not \
         written; every file is either as it was or fully fixed. Run again to finish."
    );
}

fn check_file(target: &Target, configs: &Configs, opts: &Options) -> FileOutcome {
    let path = &target.path;
    let mut out = FileOutcome {
        path: path.clone(),
        ..FileOutcome::default()
    };
    if opts.write && interrupt::interrupted() {
        out.interrupted = true;
        return out;
    }
    let Some(settings) = configs.settings(&target.abs, target.lang) else {
        out.config_broken = true;
        return out;
    };
    let src = match source::read(path, settings.max_file_size) {
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
    let place = |text: &str, tree: &tree_sitter::Tree, findings: Vec<Finding>| {
        placed(
            opts,
            configs,
            &target.abs,
            text,
            tree,
            findings,
            &settings,
            excerpts,
        )
    };
    for f in &analysis.failures {
        out.problems
            .push(Problem::error(path, rule_failure_message(body, f)));
    }
    if let Some(m) = analysis.fix_error {
        out.problems.push(Problem::error(path, m));
    }
    match analysis.fixed {
        Some(fixed) if opts.diff => {
            let (old, new) = diff_names(path);
            out.diff = Some(diff::unified(body, &fixed.text, &old, &new));
            out.fixed = fixed.count;
        }
        Some(_) if opts.write && interrupt::interrupted() => {
            // Interrupted: start no new write. The file stays as it was.
            out.interrupted = true;
            out.findings = locate(body, &analysis.findings, excerpts);
        }
        Some(fixed) if opts.write => {
            let bytes = source::encode(&fixed.text, bom);
            match writer::replace(path, &target.root, &src.bytes, &src.snapshot, &bytes) {
                Ok(()) => {
                    out.fixed = fixed.count;
                    out.findings = place(&fixed.text, &fixed.tree, fixed.remaining);
                }
                Err(m) => {
                    out.problems.push(Problem::error(path, m));
                    out.findings = place(body, &analysis.tree, analysis.findings);
                }
            }
        }
        _ if opts.diff => {}
        _ => out.findings = place(body, &analysis.tree, analysis.findings),
    }
    out
}

/// Places findings in their text; with `--profile`, after the profiles have ranked them.
#[allow(clippy::too_many_arguments)]
fn placed(
    opts: &Options,
    configs: &Configs,
    abs: &Path,
    text: &str,
    tree: &tree_sitter::Tree,
    mut findings: Vec<Finding>,
    settings: &Settings,
    excerpts: bool,
) -> Vec<Located> {
    let Some(profiles) = &opts.profiles else {
        return locate(text, &findings, excerpts);
    };
    let options = configs
        .policy(abs.parent().unwrap_or(abs))
        .map(|p| p.config.profile_options())
        .unwrap_or_default();
    let figures =
        check_profile::apply(profiles, abs, text, tree, &mut findings, settings, &options);
    let mut located = locate(text, &findings, excerpts);
    for (l, f) in located.iter_mut().zip(figures) {
        l.profile = f;
    }
    located
}

/// `--stdin-filename NAME`: the source comes from stdin. With `--fix` the fixed text goes to
/// stdout and the findings to stderr (as ruff does); otherwise findings go to stdout.
fn check_stdin(
    name: &Path,
    opts: &Options,
    configs: &Configs,
    cwd: &Path,
    problems: Vec<Problem>,
) -> ExitCode {
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
    let abs = absolute(cwd, name);
    let place = |text: &str, tree: &tree_sitter::Tree, findings: Vec<Finding>| {
        placed(
            opts, configs, &abs, text, tree, findings, &settings, excerpts,
        )
    };
    let path = discover::display_path(name);
    let mut outcome = FileOutcome {
        path: path.clone(),
        checked: true,
        ..FileOutcome::default()
    };
    for f in &analysis.failures {
        outcome
            .problems
            .push(Problem::error(&path, rule_failure_message(body, f)));
    }
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
            problems,
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
                outcome.findings = place(&fixed.text, &fixed.tree, fixed.remaining);
            }
            None => outcome.findings = place(body, &analysis.tree, analysis.findings),
        }
        let stderr = io::stderr();
        let is_tty = stderr.is_terminal();
        return report(
            &[outcome],
            problems,
            &[],
            opts,
            cwd,
            &mut stderr.lock(),
            is_tty,
        );
    }
    outcome.findings = place(body, &analysis.tree, analysis.findings);
    report(
        &[outcome],
        problems,
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
        } else if o.interrupted {
            // Reported after the summary (`report_interruption`).
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
                let ordered: Vec<(&Path, &Located)> = match &opts.profiles {
                    Some(_) => check_profile::ranked(outcomes),
                    None => all_findings().collect(),
                };
                for (path, f) in ordered {
                    result = result
                        .and_then(|()| out.write_all(text::render(path, f, style).as_bytes()));
                    result = result.and_then(|()| out.write_all(b"\n"));
                }
            }
            Format::Json => result = json::write(out, outcomes, opts.profiles.is_some()),
            Format::Sarif => {
                let notes = opts
                    .profiles
                    .as_ref()
                    .map(check_profile::notes)
                    .unwrap_or_default();
                result = sarif::write(out, outcomes, &problems, config_errors, &notes, cwd)
            }
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

    // The profiles' summary: with the text output, before its summary line; on stderr with JSON.
    if let Some(profiles) = opts.profiles.as_ref().filter(|_| !opts.quiet && !opts.diff) {
        let block = check_profile::summary(profiles, outcomes);
        match opts.format {
            Format::Text => {
                let _ = out.write_all(block.as_bytes()).and_then(|()| out.flush());
            }
            Format::Json => {
                let _ = io::stderr().write_all(block.as_bytes());
            }
            Format::Sarif => {}
        }
    }

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
    fn rule_failures_name_the_rule_and_where() {
        let failure = RuleFailure {
            rule: crate::rules::registry()
                .index_of("rust/format-literal")
                .unwrap(),
            at: 15..16,
            kind: engine::FailureKind::Panicked("boom".into()),
        };
        assert_eq!(
            rule_failure_message("fn f() {\n   é x }", &failure),
            "rule rust/format-literal panicked at 2:6: boom; its findings are left out, the \
             other rules' are reported (a heap-audit bug: please report it)"
        );
    }

    #[cfg(feature = "test-panic-rule")]
    #[test]
    fn a_panicking_rule_costs_its_own_findings_only() {
        let src = "fn f() {\n    let heap_audit_test_panic = 1;\n    let s = format!(\"x\");\n}\n";
        let a = analyse(
            Lang::Rust,
            src,
            &Settings::default(),
            Some(FixMode::SafeOnly),
        )
        .unwrap();
        let failed: Vec<&str> = a.failures.iter().map(RuleFailure::rule_id).collect();
        assert_eq!(failed, ["rust/test-panic"]);
        assert!(rule_failure_message(src, &a.failures[0])
            .starts_with("rule rust/test-panic panicked at 2:9: rust/test-panic: injected panic;"));
        assert_eq!(a.findings.len(), 1, "format-literal still reported");
        let fixed = a.fixed.expect("format-literal's fix applies");
        assert!(
            fixed.text.contains("let s = \"x\".to_string();"),
            "{}",
            fixed.text
        );
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
