//! Precision of the js/ rules on code nobody here wrote (`tests/precision/js/`).
//!
//! `scan` (ignored; run by hand, see `tests/precision/js/README.md`) runs every js/ rule over
//! directories of third-party sources and writes one TSV row per finding, for labelling.
//! `labels_match_the_table` checks the committed labels: well formed, at least 20 per rule (or
//! a note that the corpus had fewer), and the precision table in the README computed from them,
//! with every rule that can warn at ≥ 90%.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use heap_audit::engine::{analyze_str, Level, Settings};
use heap_audit::language::{Family, Lang};
use heap_audit::rules::{registry, DefaultSeverity};

fn precision_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/precision/js")
}

fn js_rule_ids() -> Vec<&'static str> {
    registry()
        .rules()
        .iter()
        .filter(|r| r.meta.family == Some(Family::Js))
        .map(|r| r.meta.id)
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if p.is_dir() {
            if !matches!(name.as_str(), "node_modules" | "dist" | "build" | ".git") {
                walk(&p, out);
            }
        } else if Lang::from_path(&p).is_some() && !name.ends_with(".min.js") {
            out.push(p);
        }
    }
}

/// `HEAP_AUDIT_SCAN_ROOTS=dir1:dir2 HEAP_AUDIT_SCAN_OUT=findings.tsv cargo test --test
/// js_precision -- --ignored scan`: paths in the output are relative to each root's parent.
#[test]
#[ignore = "needs a corpus of third-party sources; see tests/precision/js/README.md"]
fn scan() {
    let roots = std::env::var("HEAP_AUDIT_SCAN_ROOTS")
        .expect("set HEAP_AUDIT_SCAN_ROOTS to directories to scan");
    let out_path =
        std::env::var("HEAP_AUDIT_SCAN_OUT").expect("set HEAP_AUDIT_SCAN_OUT to the TSV to write");
    let mut settings = Settings::default();
    for i in 0..registry().len() as u16 {
        if registry().rule(i).meta.family != Some(Family::Js) {
            settings.set_level(i, Level::Off);
        }
    }
    let mut out = String::from("rule\tfile\tline\tcol\tseverity\tdepth\tfix\tsource\tmessage\n");
    let mut files = 0;
    let mut bytes = 0;
    for root in roots.split(':').filter(|r| !r.is_empty()) {
        let root = Path::new(root);
        let base = root.parent().unwrap_or(root);
        let mut paths = Vec::new();
        walk(root, &mut paths);
        paths.sort();
        for p in paths {
            let Ok(text) = std::fs::read_to_string(&p) else {
                continue;
            };
            let lang = Lang::from_path(&p).unwrap();
            files += 1;
            bytes += text.len();
            let Some(findings) = analyze_str(lang, &text, &settings) else {
                continue;
            };
            let rel = p.strip_prefix(base).unwrap_or(&p).display().to_string();
            for f in findings {
                let line = text[..f.range.start].matches('\n').count() + 1;
                let col =
                    f.range.start - text[..f.range.start].rfind('\n').map_or(0, |i| i + 1) + 1;
                let src: String = text
                    .lines()
                    .nth(line - 1)
                    .unwrap_or("")
                    .trim()
                    .chars()
                    .take(160)
                    .collect();
                let fix = f.fix.as_ref().map_or("none", |x| x.applicability.as_str());
                let _ = writeln!(
                    out,
                    "{}\t{rel}\t{line}\t{col}\t{}\t{}\t{fix}\t{}\t{}",
                    f.rule_id(),
                    f.severity.as_str(),
                    f.loop_depth,
                    src.replace('\t', " "),
                    f.message.replace(['\t', '\n'], " ")
                );
            }
        }
    }
    std::fs::write(&out_path, out).unwrap();
    eprintln!(
        "scanned {files} files ({} kB) into {out_path}",
        bytes / 1024
    );
}

/// Per rule: (right, wrong).
fn counts_from_labels(text: &str) -> BTreeMap<String, (usize, usize)> {
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("rule\tfile\tline\tverdict\treason"),
        "labels.tsv header"
    );
    let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut seen = std::collections::HashSet::new();
    for (i, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(
            cols.len(),
            5,
            "labels.tsv line {}: five tab-separated columns: {line}",
            i + 2
        );
        let (rule, file, ln, verdict, reason) = (cols[0], cols[1], cols[2], cols[3], cols[4]);
        assert!(
            js_rule_ids().contains(&rule),
            "labels.tsv line {}: unknown rule {rule}",
            i + 2
        );
        assert!(
            !file.is_empty() && ln.parse::<usize>().is_ok(),
            "labels.tsv line {}: file and line",
            i + 2
        );
        assert!(
            reason.trim().len() >= 10,
            "labels.tsv line {}: give a reason",
            i + 2
        );
        assert!(
            seen.insert((rule, file, ln)),
            "labels.tsv line {}: labelled twice",
            i + 2
        );
        let e = counts.entry(rule.to_owned()).or_default();
        match verdict {
            "right" => e.0 += 1,
            "wrong" => e.1 += 1,
            v => panic!(
                "labels.tsv line {}: verdict must be right or wrong, not {v}",
                i + 2
            ),
        }
    }
    counts
}

#[test]
fn labels_match_the_table() {
    let labels = std::fs::read_to_string(precision_dir().join("labels.tsv"))
        .expect("tests/precision/js/labels.tsv");
    let readme = std::fs::read_to_string(precision_dir().join("README.md"))
        .expect("tests/precision/js/README.md");
    let counts = counts_from_labels(&labels);
    for id in js_rule_ids() {
        let rule = registry().get(id).unwrap();
        let (right, wrong) = counts.get(id).copied().unwrap_or((0, 0));
        let n = right + wrong;
        // The table row: | js/rule | labelled | right | wrong | precision | default severity | note |
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| {id} |")))
            .unwrap_or_else(|| panic!("README.md has no table row for {id}"));
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        assert_eq!(cells[2], n.to_string(), "{id}: labelled count in README");
        assert_eq!(cells[3], right.to_string(), "{id}: right count in README");
        assert_eq!(cells[4], wrong.to_string(), "{id}: wrong count in README");
        if n > 0 {
            let pct = format!("{:.0}%", 100.0 * right as f64 / n as f64);
            assert_eq!(cells[5], pct, "{id}: precision in README");
        }
        if n < 20 {
            assert!(
                cells[7].contains("all findings"),
                "{id}: fewer than 20 labels must say they are all the corpus had"
            );
        }
        let can_warn = matches!(
            rule.meta.default,
            DefaultSeverity::ByLoopDepth
                | DefaultSeverity::Fixed(heap_audit::engine::Severity::Warning)
        );
        if can_warn && n > 0 {
            assert!(
                right * 10 >= n * 9,
                "{id}: precision {right}/{n} is below 90% while the rule can warn: demote it"
            );
        }
    }
}
