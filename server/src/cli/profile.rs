//! `heap-audit profile summary FILE… [--root DIR]` and
//! `heap-audit profile python [--out FILE] [--frames N] -- SCRIPT [ARGS]`.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Subcommand;

use crate::config::{find_config_file, Config};
use crate::document::{parse_str, DEFAULT_PARSE_BUDGET};
use crate::engine::{analyze, Finding, Settings};
use crate::language::Lang;
use crate::profile::{display, python, source, Granularity, ProfileSet, Site, Workspace};

#[derive(Subcommand, Debug)]
pub enum ProfileCommand {
    /// Print the hottest allocation sites of one or more profiles, with the findings and quick
    /// wins on those lines, and the sites that map to no workspace file.
    Summary(SummaryArgs),
    /// Run a Python script under tracemalloc and write heap-audit's profile JSON.
    Python(PythonArgs),
}

#[derive(clap::Args, Debug)]
pub struct SummaryArgs {
    /// Profiles: DHAT JSON, V8 .heapprofile, heap-audit tracemalloc JSON (detected from
    /// content). Default: `[profile] paths` from heap-audit.toml, else `dhat-heap.json`,
    /// `*.heapprofile` and `heap-audit-tracemalloc.json` in the root folder.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The workspace the profile's paths are mapped onto (default: the current folder).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// How many sites to print.
    #[arg(long, short = 'n', default_value_t = 20)]
    pub top: usize,
}

#[derive(clap::Args, Debug)]
pub struct PythonArgs {
    /// Where to write the profile.
    #[arg(long, short = 'o', value_name = "FILE", default_value = python::DEFAULT_OUT)]
    pub out: PathBuf,
    /// Traceback depth recorded per allocation (`-X tracemalloc=N`).
    #[arg(long, default_value_t = python::DEFAULT_FRAMES, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub frames: u32,
    /// The Python interpreter.
    #[arg(long, value_name = "EXE", default_value = "python3")]
    pub python: OsString,
    /// The script and its arguments (after `--`).
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "SCRIPT [ARGS]"
    )]
    pub command: Vec<OsString>,
}

pub fn run(cmd: ProfileCommand) -> ExitCode {
    match cmd {
        ProfileCommand::Summary(args) => summary(args),
        ProfileCommand::Python(args) => run_python(args),
    }
}

fn run_python(args: PythonArgs) -> ExitCode {
    let (script, rest) = args
        .command
        .split_first()
        .expect("clap requires the script");
    let script = PathBuf::from(script);
    if !script.is_file() {
        eprintln!("heap-audit: {}: no such script", script.display());
        return ExitCode::from(2);
    }
    let _ = std::fs::remove_file(&args.out);
    let run = python::PythonRun {
        python: &args.python,
        script: &script,
        args: rest,
        out: &args.out,
        frames: args.frames,
    };
    let status = match run.command().status() {
        Ok(s) => s,
        Err(e) => {
            eprintln!(
                "heap-audit: cannot run {}: {e}",
                Path::new(&args.python).display()
            );
            return ExitCode::from(2);
        }
    };
    match crate::profile::load(&args.out) {
        Ok(p) => {
            eprintln!(
                "heap-audit: wrote {} ({} live at exit in {} tracebacks); `heap-audit profile summary {}` shows where the bytes go",
                args.out.display(),
                display::bytes(p.total_bytes),
                p.stacks.len(),
                args.out.display()
            );
        }
        Err(e) => {
            eprintln!("heap-audit: the script ran but no profile was written: {e}");
            return ExitCode::from(2);
        }
    }
    match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(c) => ExitCode::from(c.clamp(1, 255) as u8),
        None => ExitCode::from(1),
    }
}

/// A workspace file, parsed and analysed.
struct Analysed {
    src: String,
    tree: tree_sitter::Tree,
    findings: Vec<Finding>,
}

/// Engine findings per workspace file, computed once.
struct Findings {
    settings: Settings,
    cache: HashMap<PathBuf, Option<Analysed>>,
}

impl Findings {
    fn for_file(&mut self, path: &Path) -> Option<&Analysed> {
        let settings = &self.settings;
        self.cache
            .entry(path.to_owned())
            .or_insert_with(|| {
                let lang = Lang::from_path(path)?;
                let src = std::fs::read_to_string(path).ok()?;
                let tree = parse_str(lang, &src, DEFAULT_PARSE_BUDGET)?;
                let findings = analyze(lang, &src, &tree, settings);
                Some(Analysed {
                    src,
                    tree,
                    findings,
                })
            })
            .as_ref()
    }

    /// Findings on the site's line, or in its function for V8 profiles.
    fn at_site(&mut self, site: &Site) -> (Vec<Finding>, Option<String>) {
        let Some(Analysed {
            src,
            tree,
            findings,
        }) = self.for_file(&site.path)
        else {
            return (Vec::new(), None);
        };
        let range = match site.measured.granularity {
            Granularity::Line => source::line_range(src, site.line),
            Granularity::Function => source::function_at(tree, src, site.line, site.column),
        };
        let Some(range) = range else {
            return (Vec::new(), None);
        };
        let text = source::line_range(src, site.line).map(|r| src[r].trim().to_owned());
        let hits = findings
            .iter()
            .filter(|f| {
                f.range.start < range.end.max(range.start + 1)
                    && range.start < f.range.end.max(f.range.start + 1)
            })
            .cloned()
            .collect();
        (hits, text)
    }
}

fn relative<'a>(root: &Path, p: &'a Path) -> std::borrow::Cow<'a, str> {
    match p.strip_prefix(root) {
        Ok(r) => r.to_string_lossy(),
        Err(_) => p.to_string_lossy(),
    }
}

fn summary(args: SummaryArgs) -> ExitCode {
    let root = match args.root.clone().map_or_else(std::env::current_dir, Ok) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("heap-audit: cannot determine the current folder: {e}");
            return ExitCode::from(2);
        }
    };
    if !root.is_dir() {
        eprintln!("heap-audit: --root {}: not a folder", root.display());
        return ExitCode::from(2);
    }
    let config = match find_config_file(&root).map(|p| Config::load(&p)) {
        Some(Ok(cfg)) => cfg,
        Some(Err(e)) => {
            eprintln!("heap-audit: {e} (using defaults)");
            Config::default()
        }
        None => Config::default(),
    };
    let settings = config.to_settings();
    let files = if args.files.is_empty() {
        let (found, glob_errors) = crate::profile::discover(&root, &config.profile_paths);
        for e in &glob_errors {
            eprintln!("heap-audit: {e}");
        }
        if found.is_empty() {
            let globs = if config.profile_paths.is_empty() {
                crate::profile::DEFAULT_GLOBS.join(", ")
            } else {
                config.profile_paths.join(", ")
            };
            eprintln!(
                "heap-audit: no profile found in {} (looked for {globs})",
                root.display()
            );
            return ExitCode::from(2);
        }
        found
    } else {
        args.files.clone()
    };
    let workspace = Arc::new(Workspace::index(&root));
    let (set, errors) = ProfileSet::load(workspace, &files);
    for e in &errors {
        eprintln!("heap-audit: {e}");
    }
    if set.is_empty() {
        return ExitCode::from(2);
    }
    let mut findings = Findings {
        settings,
        cache: HashMap::new(),
    };
    let out = render(&set, &root, args.top, &mut findings);
    let mut stdout = std::io::stdout().lock();
    if stdout.write_all(out.as_bytes()).is_err() {
        return ExitCode::from(2);
    }
    if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}

fn render(set: &ProfileSet, root: &Path, top: usize, findings: &mut Findings) -> String {
    let mut out = String::new();
    write_profiles(&mut out, set, root);
    let sites = set.top_sites(top);
    let _ = writeln!(out, "\nTop allocation sites ({} shown):", sites.len());
    for (i, site) in sites.iter().enumerate() {
        let m = &site.measured;
        let unit = m.measure.blocks_unit();
        let what = match m.granularity {
            Granularity::Line => "",
            Granularity::Function => " (function)",
        };
        let line = format!(
            "{:>3}. {:>9}  {:>6} {unit:<7} {:>6}  {}:{}{}  {}{}",
            i + 1,
            display::bytes(m.self_bytes),
            display::count(m.self_blocks),
            display::share(m.self_share),
            relative(root, &site.path),
            site.line,
            site.column.map(|c| format!(":{c}")).unwrap_or_default(),
            site.function.as_deref().unwrap_or(""),
            what,
        );
        let _ = writeln!(out, "{}", line.trim_end());
        if m.stale {
            let _ = writeln!(
                out,
                "       (profile older than file: the line may have moved)"
            );
        }
        let (hits, text) = findings.at_site(site);
        if let Some(t) = text.filter(|t| !t.is_empty()) {
            let _ = writeln!(out, "       | {t}");
        }
        if hits.is_empty() {
            let _ = writeln!(
                out,
                "       no rule fires here: where the bytes go, and no rule explains it"
            );
        }
        for f in &hits {
            let _ = writeln!(
                out,
                "       {} [{}]: {}",
                f.rule_id(),
                f.severity.as_str(),
                f.message
            );
            if let Some(fix) = &f.fix {
                let _ = writeln!(
                    out,
                    "         quick win: {} ({})",
                    fix.title,
                    fix.applicability.as_str()
                );
            }
        }
        if let Some(stack) = site.stacks.first() {
            let callers: Vec<String> = stack
                .frames
                .iter()
                .skip_while(|f| {
                    !(f.path.as_deref() == Some(site.path.as_path()) && f.line == Some(site.line))
                })
                .skip(1)
                .filter(|f| f.user)
                .take(3)
                .map(|f| {
                    let path = f
                        .path
                        .as_deref()
                        .map(|p| relative(root, p).into_owned())
                        .or_else(|| f.profile_path.clone())
                        .unwrap_or_else(|| "?".to_owned());
                    let line = f.line.map(|l| format!(":{l}")).unwrap_or_default();
                    match f.function.as_deref() {
                        Some(name) => format!("{name} ({path}{line})"),
                        None => format!("{path}{line}"),
                    }
                })
                .collect();
            if !callers.is_empty() {
                let _ = writeln!(out, "       called from: {}", callers.join(" ← "));
            }
        }
    }
    write_unmapped(&mut out, set, root);
    out
}

/// "Not mapped to a workspace line": every user site that maps to no workspace file, and the
/// bytes with no user frame at all, with their bytes, share and where they were credited instead.
/// Nothing when everything mapped. Shared with `check --profile`'s summary.
pub(super) fn write_unmapped(out: &mut String, set: &ProfileSet, root: &Path) {
    let unmapped = set.unmapped();
    if !unmapped.is_empty() {
        let total: u64 = unmapped.iter().map(|u| u.bytes).sum();
        let _ = writeln!(
            out,
            "\nNot mapped to a workspace line ({} sites, {}):",
            unmapped.len(),
            display::bytes(total)
        );
        for u in &unmapped {
            let frame = match &u.frame {
                Some(f) => {
                    let loc = match (&f.profile_path, f.line) {
                        (Some(p), Some(l)) => format!(" ({p}:{l})"),
                        (Some(p), None) => format!(" ({p})"),
                        _ => String::new(),
                    };
                    format!("{}{loc}", f.function.as_deref().unwrap_or("?"))
                }
                None => "(no user frame)".to_owned(),
            };
            let credited = match &u.credited_to {
                Some((path, line)) => format!(
                    "; {} credited to {}:{line}",
                    display::bytes(u.credited_bytes),
                    relative(root, path)
                ),
                None => String::new(),
            };
            let from = u
                .profile
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {:>9} {:>6}  {frame} — {}{credited} [{from}]",
                display::bytes(u.bytes),
                display::share(u.share),
                u.reason.describe()
            );
        }
    }
}

/// One line per profile (format, total, what it measures) with its notes, then "profile older
/// than file" for each workspace file changed after a profile that covers it. Shared with
/// `check --profile`'s summary.
pub(super) fn write_profiles(out: &mut String, set: &ProfileSet, root: &Path) {
    for mp in set.profiles() {
        let p = mp.profile();
        let _ = writeln!(
            out,
            "{} ({}): {} in {} {} — {}",
            p.path.display(),
            p.format,
            display::bytes(p.total_bytes),
            display::count(p.total_blocks),
            p.measure.blocks_unit(),
            p.measure.describe()
        );
        for note in &p.notes {
            let _ = writeln!(out, "  note: {note}");
        }
    }
    for stale in set.stale_files() {
        let _ = writeln!(
            out,
            "  warning: profile older than file: {}",
            relative(root, &stale)
        );
    }
}
