//! Precision of the Rust rules on real code: `tests/precision/rust/labels.tsv` holds findings on
//! the crates under `$CARGO_HOME/registry/src/*/`, labelled right or wrong by hand.
//!
//! `labels_match_the_engine` checks that every labelled finding is still reported, with the
//! same severity, so the labels cannot silently drift from what the engine does (skipped when
//! the registry sources are absent). `warning_rules_are_precise` checks the 90% bar for every
//! rule that can report warnings.
//!
//! To list every finding over the registry (what the labels were sampled from):
//! `HEAP_AUDIT_SCAN=1 cargo test --test rust_precision scan -- --nocapture`; set it to a folder
//! instead of `1` to list the findings under that folder (`compare-clippy.sh` does).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use heap_audit::engine::{analyze_str, Finding, Settings, Severity};
use heap_audit::language::Lang;
use heap_audit::rules::{registry, DefaultSeverity};

struct Label {
    rule: String,
    file: String,
    line: usize,
    severity: String,
    right: bool,
}

fn labels() -> Vec<Label> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/precision/rust/labels.tsv");
    let text = std::fs::read_to_string(path).expect("labels.tsv");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 6, "malformed label: {l}");
            assert!(
                matches!(f[4], "right" | "wrong"),
                "verdict must be right or wrong: {l}"
            );
            assert!(!f[5].trim().is_empty(), "every label needs a reason: {l}");
            Label {
                rule: f[0].to_owned(),
                file: f[1].to_owned(),
                line: f[2].parse().expect("line number"),
                severity: f[3].to_owned(),
                right: f[4] == "right",
            }
        })
        .collect()
}

/// The registry source folder (`$CARGO_HOME/registry/src/<index>/`), if present.
fn registry_src() -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))?;
    let src = home.join("registry/src");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(src)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    dirs.into_iter().next()
}

fn line_of(text: &str, f: &Finding) -> usize {
    text[..f.range.start].matches('\n').count() + 1
}

#[test]
fn labels_match_the_engine() {
    let Some(root) = registry_src() else {
        eprintln!("no cargo registry sources: skipped");
        return;
    };
    let labels = labels();
    let mut by_file: BTreeMap<&str, Vec<&Label>> = BTreeMap::new();
    for l in &labels {
        by_file.entry(l.file.as_str()).or_default().push(l);
    }
    let settings = Settings::default();
    let (mut checked, mut problems) = (0, Vec::new());
    for (file, ls) in by_file {
        let Ok(text) = std::fs::read_to_string(root.join(file)) else {
            continue;
        };
        let findings = analyze_str(Lang::Rust, &text, &settings).expect("parses");
        for l in ls {
            checked += 1;
            let found = findings
                .iter()
                .find(|f| f.rule_id() == l.rule && line_of(&text, f) == l.line);
            match found {
                None => problems.push(format!(
                    "{}:{} {} is no longer reported: relabel",
                    l.file, l.line, l.rule
                )),
                Some(f) if f.severity.as_str() != l.severity => problems.push(format!(
                    "{}:{} {} is now {}, labelled {}",
                    l.file,
                    l.line,
                    l.rule,
                    f.severity.as_str(),
                    l.severity
                )),
                Some(_) => {}
            }
        }
    }
    if checked == 0 {
        eprintln!("the labelled crates are not in this registry: skipped");
        return;
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn warning_rules_are_precise() {
    let labels = labels();
    let mut per_rule: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for l in &labels {
        let e = per_rule.entry(l.rule.as_str()).or_default();
        e.0 += usize::from(l.right);
        e.1 += 1;
    }
    for rule in registry()
        .rules()
        .iter()
        .filter(|r| r.meta.id.starts_with("rust/"))
    {
        let (right, total) = per_rule.get(rule.meta.id).copied().unwrap_or_default();
        assert!(total > 0, "{} has no labelled finding", rule.meta.id);
        let can_warn = match rule.meta.default {
            DefaultSeverity::ByLoopDepth => true,
            DefaultSeverity::Fixed(s) => s >= Severity::Warning,
        };
        if can_warn {
            assert!(
                right * 10 >= total * 9,
                "{}: precision {right}/{total} is below 90% for a rule that reports warnings",
                rule.meta.id
            );
        }
    }
}

/// Lists every Rust finding as TSV (rule, file, line, end line, severity, fix, depth, source
/// line) when `HEAP_AUDIT_SCAN` is set: over the registry for `1`, over the folder it names
/// otherwise (`target` folders skipped).
#[test]
fn scan() {
    let Some(what) = std::env::var_os("HEAP_AUDIT_SCAN") else {
        return;
    };
    let root = if what == "1" {
        registry_src().expect("cargo registry sources")
    } else {
        PathBuf::from(what)
    };
    let mut files = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != "target") {
                    stack.push(p);
                }
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    files.sort();
    let settings = Settings::default();
    for p in files {
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        let Some(findings) = analyze_str(Lang::Rust, &text, &settings) else {
            continue;
        };
        let rel = p.strip_prefix(&root).unwrap().display().to_string();
        for f in findings {
            let line = line_of(&text, &f);
            let end = text[..f.range.end].matches('\n').count() + 1;
            let fix = f.fix.as_ref().map_or("none", |x| x.applicability.as_str());
            let src = text.lines().nth(line - 1).unwrap_or("").trim();
            println!(
                "{}\t{rel}\t{line}\t{end}\t{}\t{fix}\t{}\t{src}",
                f.rule_id(),
                f.severity.as_str(),
                f.loop_depth
            );
        }
    }
}
