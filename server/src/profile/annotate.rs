//! A file's findings seen through its profiles: the one step the LSP and `check --profile` share.
//! Byte ranges and plain data only; the callers render the result.
//!
//! For each finding of a file the profiles cover ([`annotate`]):
//!
//! - on a line (for V8: in a function) with measured allocations, its message gains the figure
//!   (`… — measured 12.4 MB in 31k allocations (18%)`), and when that is at least
//!   [`Options::min_share`] of the profile its severity rises to warning;
//! - inside a function the profile covers but shows no bytes in, its message gains
//!   `— cold per profile` and its severity drops to hint;
//! - a rule with a severity set in the configuration keeps that severity (the figure is added
//!   all the same).
//!
//! Then the file's hottest lines ([`Options::hot_lines`] of them, each with at least
//! [`Options::min_share`] of the bytes allocated right there) on which no rule fires become
//! `profile/hot-site` findings. Files changed after the profile was written say so: "profile
//! older than file" (lines may have moved).

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use std::time::SystemTime;

use tree_sitter::Tree;

use super::model::{Granularity, Measure};
use super::query::{Heat, HotRank, Measured, ProfileSet};
use super::{display, source};
use crate::engine::{default_severity, Finding, Level, Settings, Severity};
use crate::rules::registry;

/// How profile data is shown (`[profile] inlay-hints` and `min-share` in the configuration).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Options {
    /// Hot lines per file: inlay hints in the editor, and `profile/hot-site` where no rule fires.
    pub hot_lines: usize,
    /// The smallest share of a profile's bytes (0.0–1.0) a hot line needs, and that a finding's
    /// line needs for its severity to rise to warning.
    pub min_share: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            hot_lines: 5,
            min_share: 0.01,
        }
    }
}

/// What [`annotate`] appends when a file changed after the profile was written.
pub const STALE: &str = "profile older than file: lines may have moved";

/// Applies the profiles to one file's findings (see the module docs): rewrites messages and
/// severities, adds `profile/hot-site` findings, and keeps `findings` sorted by position.
/// Returns, per finding (same order), the figures measured through its lines (for V8: its
/// function), callees included; `None` where nothing was measured. Files no profile covers are
/// left as they are.
pub fn annotate(
    set: &ProfileSet,
    path: &Path,
    src: &str,
    tree: &Tree,
    findings: &mut Vec<Finding>,
    settings: &Settings,
    options: &Options,
) -> Vec<Option<Measured>> {
    let mut measured: Vec<Option<Measured>> = vec![None; findings.len()];
    if !set.covers(path) {
        return measured;
    }
    let stale = stale_now(set, path);
    let index = Index::new(set, path, src, tree);
    let reg = registry();
    let is_meta = |rule: u16| rule == reg.unused_suppression() || rule == reg.hot_site();
    // Whether a function (by its byte range) is cold, asked once per function.
    let mut cold_functions: HashMap<Range<usize>, bool> = HashMap::new();
    for (f, slot) in findings.iter_mut().zip(measured.iter_mut()) {
        if is_meta(f.rule) {
            continue;
        }
        let configured = matches!(settings.level(f.rule), Some(Level::On(_)));
        match measure(set, path, src, tree, &f.range, &index) {
            Heat::Hot(mut m) => {
                m.stale |= stale;
                if !configured && m.share >= options.min_share {
                    f.severity = f.severity.max(Severity::Warning);
                }
                f.message = format!("{} — measured {}", f.message, figure(&m, true)).into();
                *slot = Some(m);
            }
            Heat::Cold { .. } | Heat::NotCovered => {
                let Some(func) = enclosing_function(tree, &f.range) else {
                    continue;
                };
                let cold = *cold_functions
                    .entry(func.clone())
                    .or_insert_with(|| is_cold(set, path, src, tree, &f.range, &func, &index));
                if cold {
                    if !configured {
                        f.severity = Severity::Hint;
                    }
                    let mut message = format!(
                        "{} — cold per profile ({})",
                        f.message,
                        cold_reason(set, path)
                    );
                    if stale {
                        message.push_str("; ");
                        message.push_str(STALE);
                    }
                    f.message = message.into();
                }
            }
        }
    }
    let sites = hot_sites(set, path, src, tree, findings, settings, options, stale);
    if !sites.is_empty() {
        let mut all: Vec<(Finding, Option<Measured>)> = std::mem::take(findings)
            .into_iter()
            .zip(measured)
            .chain(sites)
            .collect();
        all.sort_by(|(a, _), (b, _)| {
            (a.range.start, a.range.end, a.rule).cmp(&(b.range.start, b.range.end, b.rule))
        });
        let (f, m): (Vec<Finding>, Vec<Option<Measured>>) = all.into_iter().unzip();
        *findings = f;
        measured = m;
    }
    measured
}

/// `profile/hot-site` findings for the file's hottest lines on which no rule fires.
#[allow(clippy::too_many_arguments)]
fn hot_sites(
    set: &ProfileSet,
    path: &Path,
    src: &str,
    tree: &Tree,
    findings: &[Finding],
    settings: &Settings,
    options: &Options,
    stale: bool,
) -> Vec<(Finding, Option<Measured>)> {
    let reg = registry();
    let rule = reg.hot_site();
    let severity = match settings.level(rule) {
        Some(Level::Off) => return Vec::new(),
        Some(Level::On(s)) => s,
        None => default_severity(reg.rule(rule), 0),
    };
    let explaining = |f: &&Finding| f.rule != reg.unused_suppression() && f.rule != rule;
    let mut out = Vec::new();
    for hot in set.hot_lines(
        path,
        HotRank::SelfBytes,
        options.hot_lines,
        options.min_share,
    ) {
        let Some(line) = source::line_range(src, hot.line) else {
            continue;
        };
        let text = &src[line.clone()];
        let lead = text.len() - text.trim_start().len();
        let range = line.start + lead..line.start + text.trim_end().len();
        if range.is_empty() {
            continue;
        }
        let function = match hot.measured.granularity {
            Granularity::Function => source::function_at(tree, src, hot.line, hot.column),
            Granularity::Line => None,
        };
        let explained = findings.iter().filter(explaining).any(|f| match &function {
            Some(func) => func.start <= f.range.start && f.range.end <= func.end,
            None => source::lines_of(src, f.range.clone()).contains(&hot.line),
        });
        if explained {
            continue;
        }
        let mut m = hot.measured;
        m.stale |= stale;
        let what = match (&function, hot.function.as_deref()) {
            (Some(_), Some(name)) if !name.is_empty() => format!(" (function `{name}`)"),
            _ => String::new(),
        };
        let mut message = format!(
            "hot allocation site{what}: {} — where the bytes go, and no rule explains it",
            figure(&m, false)
        );
        if m.stale {
            message.push_str("; ");
            message.push_str(STALE);
        }
        out.push((
            Finding {
                rule,
                range,
                message: message.into(),
                severity,
                loop_depth: 0,
                fix: None,
            },
            Some(m),
        ));
    }
    out
}

/// `12.4 MB in 31k allocations (18%)`, `6.4 MB live in 200k blocks (97%)`, `33.3 MB live, 1.9k
/// samples (99%) in its function`; inclusive figures (through the line) or the site's own; and
/// the stale note.
pub fn figure(m: &Measured, inclusive: bool) -> String {
    let (b, n, s) = if inclusive {
        (m.bytes, m.blocks, m.share)
    } else {
        (m.self_bytes, m.self_blocks, m.self_share)
    };
    let (bytes, count, share) = (display::bytes(b), display::count(n), display::share(s));
    let unit = |one: &'static str, many: &'static str| if n == 1 { one } else { many };
    let mut out = match m.measure {
        Measure::Allocated => format!(
            "{bytes} in {count} {} ({share})",
            unit("allocation", "allocations")
        ),
        Measure::Live => format!(
            "{bytes} live in {count} {} ({share})",
            unit("block", "blocks")
        ),
        Measure::LiveSampled => {
            format!(
                "{bytes} live, {count} {} ({share})",
                unit("sample", "samples")
            )
        }
    };
    if inclusive && m.granularity == Granularity::Function {
        out.push_str(" in its function");
    }
    if inclusive && m.stale {
        out.push_str("; ");
        out.push_str(STALE);
    }
    out
}

/// A V8 function position `(line, column)` and the function node it falls in (`None`: the
/// module's top level).
type Position = ((u32, u32), Option<Range<usize>>);

/// How a file's figures can be read from the per-line tables (one lookup) instead of a pass
/// over the profiles' call trees: this runs on every analysis of the document.
enum Index {
    /// Every profile covering the file is by line (DHAT, tracemalloc).
    Lines,
    /// Every one is by function (V8): its function positions, each with the function node it
    /// falls in (`None`: the module's top level).
    Functions(Vec<Position>),
    /// Both kinds: no shortcut.
    Mixed,
}

impl Index {
    fn new(set: &ProfileSet, path: &Path, src: &str, tree: &Tree) -> Index {
        let id = set.workspace().file_id(path);
        let covering = || {
            set.profiles()
                .iter()
                .filter(move |p| id.is_some_and(|id| p.files.contains_key(&id)))
        };
        if covering().all(|p| p.profile.granularity == Granularity::Line) {
            return Index::Lines;
        }
        if !covering().all(|p| p.profile.granularity == Granularity::Function) {
            return Index::Mixed;
        }
        let positions = set
            .positions(path)
            .into_iter()
            .map(|(line, col)| {
                let column = (col > 0).then_some(col);
                ((line, col), source::function_at(tree, src, line, column))
            })
            .collect();
        Index::Functions(positions)
    }
}

/// [`ProfileSet::finding`], read from the per-line tables where the [`Index`] allows: a one-line
/// finding under line profiles, or a finding in a function with one V8 position (the same
/// figures; the call-tree pass is the fallback).
fn measure(
    set: &ProfileSet,
    path: &Path,
    src: &str,
    tree: &Tree,
    range: &Range<usize>,
    index: &Index,
) -> Heat {
    match index {
        Index::Lines => {
            let lines = source::lines_of(src, range.clone());
            if lines.start() == lines.end() {
                return match set.line(path, *lines.start()) {
                    Some(m) => Heat::Hot(m),
                    None => Heat::Cold { stale: false },
                };
            }
        }
        Index::Functions(positions) => {
            let func = enclosing_function(tree, range);
            let mut hits = positions.iter().filter(|(_, f)| *f == func);
            match (hits.next(), hits.next()) {
                (None, _) => return Heat::Cold { stale: false },
                (Some(((line, col), _)), None) => {
                    return match set.position(path, *line, *col) {
                        Some(m) => Heat::Hot(m),
                        None => Heat::Cold { stale: false },
                    };
                }
                _ => {}
            }
        }
        Index::Mixed => {}
    }
    set.finding(path, src, tree, range.clone())
}

/// Whether the function `func` (the innermost one around `range`) is covered by the profiles but
/// shows no bytes. For line profiles, its body's lines count, not its header: in Python the `def`
/// line also allocates when the module runs (the function object), however cold the function
/// is. For V8 the function itself (its position) counts.
fn is_cold(
    set: &ProfileSet,
    path: &Path,
    src: &str,
    tree: &Tree,
    range: &Range<usize>,
    func: &Range<usize>,
    index: &Index,
) -> bool {
    let id = set.workspace().file_id(path);
    let covering = || {
        set.profiles()
            .iter()
            .filter(move |p| id.is_some_and(|id| p.files.contains_key(&id)))
    };
    let by_function = covering().any(|p| p.profile.granularity == Granularity::Function);
    let by_line = covering().any(|p| p.profile.granularity == Granularity::Line);
    let function_cold = || match index {
        // No position of any profile falls in the function itself.
        Index::Functions(positions) => !positions.iter().any(|(_, f)| f.as_ref() == Some(func)),
        _ => matches!(
            set.enclosing(path, src, tree, range.clone()),
            Heat::Cold { .. }
        ),
    };
    let body_cold = || {
        let body = tree
            .root_node()
            .descendant_for_byte_range(func.start, func.end)
            .filter(|n| n.byte_range() == *func)
            .and_then(|n| n.child_by_field_name("body"))
            .map_or(func.clone(), |b| b.byte_range());
        let lines = source::lines_of(src, body);
        if matches!(index, Index::Lines) {
            // Per-line tables: no pass over the call tree.
            return lines.into_iter().all(|l| set.line(path, l).is_none());
        }
        matches!(set.span(path, lines), Heat::Cold { .. })
    };
    (!by_function || function_cold()) && (!by_line || body_cold())
}

/// Why a function counts as cold, in the terms of what the profiles measure.
fn cold_reason(set: &ProfileSet, path: &Path) -> &'static str {
    let id = set.workspace().file_id(path);
    let measure = set
        .profiles()
        .iter()
        .find(|p| id.is_some_and(|id| p.files.contains_key(&id)))
        .map(|p| p.profile.measure);
    match measure {
        Some(Measure::Live) => "nothing allocated in this function was live at the snapshot",
        Some(Measure::LiveSampled) => "no sampled bytes of this function were live at exit",
        _ => "the profiled run allocated nothing in this function",
    }
}

/// "Profile older than file": whether the file was modified after a profile that covers it was
/// written, as the profiles found when they were loaded or as the file is now (a save since).
pub fn stale_now(set: &ProfileSet, path: &Path) -> bool {
    if set.is_stale(path) {
        return true;
    }
    let Some(id) = set.workspace().file_id(path) else {
        return false;
    };
    let Some(modified) = std::fs::metadata(path).and_then(|m| m.modified()).ok() else {
        return false;
    };
    set.profiles()
        .iter()
        .filter(|p| p.files.contains_key(&id))
        .filter_map(|p| p.profile.modified)
        .any(|taken: SystemTime| modified > taken)
}

/// The innermost function node containing `range`.
fn enclosing_function(tree: &Tree, range: &Range<usize>) -> Option<Range<usize>> {
    let mut node = tree
        .root_node()
        .descendant_for_byte_range(range.start, range.end.max(range.start))?;
    loop {
        if source::is_function_kind(node.kind()) {
            return Some(node.byte_range());
        }
        node = node.parent()?;
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;

    use super::*;
    use crate::document::{parse_str, DEFAULT_PARSE_BUDGET};
    use crate::engine::analyze;
    use crate::language::Lang;
    use crate::profile::{dhat, Workspace};

    const SRC: &str = "fn hot() -> String {\n    let s = format!(\"{}\", 1);\n    s\n}\nfn site() -> Vec<u8> {\n    vec![0; 4096]\n}\nfn cold() -> String {\n    format!(\"{}\", 2)\n}\nfn main() {\n    hot(); site(); cold();\n}\n";

    const DHAT: &str = r#"{"dhatFileVersion":2,"mode":"rust-heap","pps":[
        {"tb":8000,"tbk":4,"fs":[1,2,4]},
        {"tb":2000,"tbk":1,"fs":[1,3,4]}],
      "ftbl":["[root]","0x1: alloc::alloc::alloc (alloc/src/alloc.rs:1:1)",
        "0x2: app::hot (src/main.rs:2:13)","0x3: app::site (src/main.rs:6:5)",
        "0x4: app::main (src/main.rs:12:5)"]}"#;

    fn set() -> ProfileSet {
        let ws = Workspace::from_files(Path::new("/w"), [PathBuf::from("src/main.rs")]);
        let mut set = ProfileSet::new(Arc::new(ws));
        set.add(dhat::read(Path::new("dhat-heap.json"), DHAT.as_bytes()).unwrap());
        set
    }

    fn run(settings: &Settings, options: &Options) -> (Vec<Finding>, Vec<Option<Measured>>) {
        let tree = parse_str(Lang::Rust, SRC, DEFAULT_PARSE_BUDGET).unwrap();
        let mut findings = analyze(Lang::Rust, SRC, &tree, settings);
        assert_eq!(findings.len(), 2, "{findings:?}");
        let path = Path::new("/w/src/main.rs");
        let m = annotate(&set(), path, SRC, &tree, &mut findings, settings, options);
        (findings, m)
    }

    fn line(f: &Finding) -> u32 {
        source::line_of(SRC, f.range.start)
    }

    #[test]
    fn measured_findings_rise_cold_ones_drop_and_unexplained_sites_appear() {
        let (findings, measured) = run(&Settings::default(), &Options::default());
        let summary: Vec<(u32, &str, Severity)> = findings
            .iter()
            .map(|f| (line(f), f.rule_id(), f.severity))
            .collect();
        assert_eq!(
            summary,
            [
                (2, "rust/format-literal", Severity::Warning),
                (6, "profile/hot-site", Severity::Info),
                (9, "rust/format-literal", Severity::Hint),
            ]
        );
        assert!(
            findings[0]
                .message
                .ends_with(" — measured 8.0 kB in 4 allocations (80%)"),
            "{}",
            findings[0].message
        );
        assert_eq!(
            findings[1].message,
            "hot allocation site: 2.0 kB in 1 allocation (20%) — where the bytes go, and no rule explains it"
        );
        assert_eq!(&SRC[findings[1].range.clone()], "vec![0; 4096]");
        assert!(
            findings[2].message.ends_with(
                " — cold per profile (the profiled run allocated nothing in this function)"
            ),
            "{}",
            findings[2].message
        );
        let bytes: Vec<Option<u64>> = measured
            .iter()
            .map(|m| m.as_ref().map(|m| m.bytes))
            .collect();
        assert_eq!(bytes, [Some(8000), Some(2000), None]);
    }

    #[test]
    fn the_per_line_reading_agrees_with_the_call_tree_pass() {
        let set = set();
        let tree = parse_str(Lang::Rust, SRC, DEFAULT_PARSE_BUDGET).unwrap();
        let path = Path::new("/w/src/main.rs");
        let index = Index::new(&set, path, SRC, &tree);
        assert!(matches!(index, Index::Lines));
        same_answers(&set, path, SRC, &tree, &index);

        // V8: per function.
        let js = "const keep = [];\nfunction makeRows(n) {\n  const rows = [];\n  delete rows.x;\n  return rows;\n}\nfunction idle() {\n  delete keep.y;\n}\nkeep.push(makeRows(3));\n";
        let v8 = r#"{"head":{"callFrame":{"functionName":"(root)","scriptId":"0","url":"","lineNumber":-1,"columnNumber":-1},"selfSize":0,"id":1,"children":[
          {"callFrame":{"functionName":"","scriptId":"5","url":"file:///srv/app.js","lineNumber":0,"columnNumber":0},"selfSize":100,"id":2,"children":[
            {"callFrame":{"functionName":"makeRows","scriptId":"5","url":"file:///srv/app.js","lineNumber":1,"columnNumber":17},"selfSize":3000,"id":3,"children":[]}]}]}}"#;
        let ws = Workspace::from_files(Path::new("/w"), [PathBuf::from("app.js")]);
        let mut set = ProfileSet::new(Arc::new(ws));
        set.add(crate::profile::v8::read(Path::new("x.heapprofile"), v8.as_bytes()).unwrap());
        let tree = parse_str(Lang::JavaScript, js, DEFAULT_PARSE_BUDGET).unwrap();
        let path = Path::new("/w/app.js");
        let index = Index::new(&set, path, js, &tree);
        assert!(
            matches!(&index, Index::Functions(p) if p.len() == 2),
            "two positions"
        );
        same_answers(&set, path, js, &tree, &index);
    }

    /// The shortcut and the call-tree pass agree at every position of `src`.
    fn same_answers(set: &ProfileSet, path: &Path, src: &str, tree: &Tree, index: &Index) {
        let mut hot = 0;
        for (at, _) in src.match_indices(|c: char| !c.is_whitespace()) {
            let range = at..at + 1;
            let slow = set.finding(path, src, tree, range.clone());
            let fast = measure(set, path, src, tree, &range, index);
            match (&slow, &fast) {
                (Heat::Hot(a), Heat::Hot(b)) => {
                    assert_eq!(a, b, "at {at}");
                    hot += 1;
                }
                (Heat::Cold { .. }, Heat::Cold { .. }) => {}
                _ => panic!("at {at}: {slow:?} vs {fast:?}"),
            }
            if let Some(func) = enclosing_function(tree, &range) {
                assert_eq!(
                    is_cold(set, path, src, tree, &range, &func, index),
                    is_cold(set, path, src, tree, &range, &func, &Index::Mixed),
                    "at {at}"
                );
            }
        }
        assert!(hot > 0);
    }

    #[test]
    fn configuration_keeps_its_say() {
        let reg = registry();
        let mut settings = Settings::default();
        settings.set_level(
            reg.index_of("rust/format-literal").unwrap(),
            Level::On(Severity::Info),
        );
        settings.set_level(reg.hot_site(), Level::Off);
        // A share threshold above the hot line's: no rise in severity, no hot site.
        let options = Options {
            hot_lines: 5,
            min_share: 0.9,
        };
        let (findings, measured) = run(&settings, &options);
        let summary: Vec<(u32, Severity)> =
            findings.iter().map(|f| (line(f), f.severity)).collect();
        assert_eq!(summary, [(2, Severity::Info), (9, Severity::Info)]);
        assert!(findings[0].message.contains("measured 8.0 kB"));
        assert!(findings[1].message.contains("cold per profile"));
        assert_eq!(measured.len(), 2);
        // Default rule levels, but the line's share is under the threshold: figure, no warning.
        let (findings, _) = run(&Settings::default(), &options);
        assert_eq!(findings[0].severity, Severity::Info);
        assert!(findings[0].message.contains("measured 8.0 kB"));
        // No hot lines wanted: no hot sites.
        let (findings, _) = run(
            &Settings::default(),
            &Options {
                hot_lines: 0,
                min_share: 0.0,
            },
        );
        assert!(findings.iter().all(|f| f.rule != reg.hot_site()));
    }

    #[test]
    fn uncovered_files_are_left_alone() {
        let tree = parse_str(Lang::Rust, SRC, DEFAULT_PARSE_BUDGET).unwrap();
        let settings = Settings::default();
        let mut findings = analyze(Lang::Rust, SRC, &tree, &settings);
        let before = findings.clone();
        let m = annotate(
            &set(),
            Path::new("/w/src/other.rs"),
            SRC,
            &tree,
            &mut findings,
            &settings,
            &Options::default(),
        );
        assert_eq!(findings, before);
        assert_eq!(m, vec![None, None]);
    }

    #[test]
    fn figures_speak_each_measure() {
        let mut m = Measured {
            bytes: 33_300_000,
            blocks: 1900,
            self_bytes: 6_400_000,
            self_blocks: 1,
            share: 0.99,
            self_share: 0.5,
            measure: Measure::LiveSampled,
            granularity: Granularity::Function,
            stale: false,
        };
        assert_eq!(
            figure(&m, true),
            "33.3 MB live, 1.9k samples (99%) in its function"
        );
        m.measure = Measure::Live;
        m.granularity = Granularity::Line;
        m.stale = true;
        assert_eq!(figure(&m, false), "6.4 MB live in 1 block (50%)");
        assert_eq!(
            figure(&m, true),
            format!("33.3 MB live in 1.9k blocks (99%); {STALE}")
        );
    }
}
