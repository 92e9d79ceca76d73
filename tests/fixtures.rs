//! Rule fixtures: `tests/fixtures/<family>/<rule-name>.<ext>`, one or more per rule.
//!
//! Each fixture has firing cases first, then a comment line containing
//! `heap-audit-fixture: must-not-fire`, then cases that must not fire. The test checks both
//! halves, that every fix leaves code that parses without new ERROR nodes, and snapshots the
//! diagnostics and the fixed text (all fixes, safe and unsafe, applied until stable).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use heap_audit::document::{parse_str, DEFAULT_PARSE_BUDGET};
use heap_audit::engine::{analyze_str, fix_until_stable, Finding, FixMode, Level, Settings};
use heap_audit::language::{Family, Lang};
use heap_audit::rules::registry;

const MARKER: &str = "heap-audit-fixture: must-not-fire";

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
}

fn family_dir(f: Family) -> &'static str {
    match f {
        Family::Rust => "rust",
        Family::Js => "js",
        Family::Python => "python",
    }
}

/// Settings with only `rule` on.
fn only(rule: u16) -> Settings {
    let mut s = Settings::default();
    for i in 0..registry().len() as u16 {
        if i != rule {
            s.set_level(i, Level::Off);
        }
    }
    s
}

fn error_count(lang: Lang, text: &str) -> usize {
    let tree = parse_str(lang, text, DEFAULT_PARSE_BUDGET).expect("parses");
    let mut n = 0;
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        if node.is_error() || node.is_missing() {
            n += 1;
        }
        let mut c = node.walk();
        stack.extend(node.children(&mut c));
    }
    n
}

fn line_col(text: &str, byte: usize) -> (usize, usize) {
    let before = &text[..byte];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap().chars().count() + 1;
    (line, col)
}

fn render(text: &str, findings: &[Finding], fixed: &str) -> String {
    let mut out = String::new();
    for f in findings {
        let (l1, c1) = line_col(text, f.range.start);
        let (l2, c2) = line_col(text, f.range.end);
        let fix = f.fix.as_ref().map_or("none", |x| x.applicability.as_str());
        let _ = writeln!(
            out,
            "{l1}:{c1}-{l2}:{c2} {}[{}] depth={} fix={fix}",
            f.severity.as_str(),
            f.rule_id(),
            f.loop_depth
        );
        let _ = writeln!(out, "    {}", f.message);
        let _ = writeln!(
            out,
            "    | {}",
            text.lines().nth(l1 - 1).unwrap_or("").trim_end()
        );
    }
    let _ = writeln!(out, "---------------- fixed ----------------");
    out.push_str(fixed);
    out
}

#[test]
fn every_rule_has_a_fixture() {
    for rule in registry().rules().iter().filter(|r| !r.is_test_only()) {
        let Some(family) = rule.meta.family else {
            continue;
        };
        let name = rule.meta.id.split('/').nth(1).unwrap();
        let dir = fixtures_dir().join(family_dir(family));
        let found = std::fs::read_dir(&dir)
            .map(|rd| {
                rd.flatten()
                    .any(|e| e.path().file_stem().is_some_and(|s| s == name))
            })
            .unwrap_or(false);
        assert!(
            found,
            "no fixture for {} in {}",
            rule.meta.id,
            dir.display()
        );
    }
}

#[test]
fn fixtures() {
    let mut failures = Vec::new();
    let mut seen = 0;
    for family in Family::ALL {
        let dir = fixtures_dir().join(family_dir(family));
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for path in paths {
            let Some(lang) = Lang::from_path(&path) else {
                continue;
            };
            let stem = path.file_stem().unwrap().to_str().unwrap();
            let id = format!("{}/{stem}", family.prefix());
            let Some(rule) = registry().index_of(&id) else {
                failures.push(format!("{}: no rule `{id}`", path.display()));
                continue;
            };
            seen += 1;
            let text = std::fs::read_to_string(&path).unwrap();
            let settings = only(rule);
            let findings = analyze_str(lang, &text, &settings).expect("parses");
            let split = text
                .find(MARKER)
                .unwrap_or_else(|| panic!("{}: no `{MARKER}` line", path.display()));
            let firing = findings.iter().filter(|f| f.range.start < split).count();
            if firing == 0 {
                failures.push(format!(
                    "{}: nothing fires before the marker",
                    path.display()
                ));
            }
            for f in findings.iter().filter(|f| f.range.start >= split) {
                let (l, c) = line_col(&text, f.range.start);
                failures.push(format!(
                    "{}:{l}:{c}: fired in the must-not-fire half: {}",
                    path.display(),
                    f.message
                ));
            }
            let (fixed, _) = fix_until_stable(&text, FixMode::SafeAndUnsafe, 10, |t| {
                analyze_str(lang, t, &settings).unwrap_or_default()
            });
            if error_count(lang, &fixed) > error_count(lang, &text) {
                failures.push(format!(
                    "{}: the fixed text has new syntax errors:\n{fixed}",
                    path.display()
                ));
            }
            let name = path
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .replace('.', "_");
            insta::with_settings!({
                snapshot_path => Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/snapshots"),
                prepend_module_to_snapshot => false,
                omit_expression => true,
                description => format!("{} on {}", id, path.file_name().unwrap().to_str().unwrap()),
            }, {
                insta::assert_snapshot!(name, render(&text, &findings, &fixed));
            });
        }
    }
    assert!(seen > 0, "no fixtures found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
