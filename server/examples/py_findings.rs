//! Lists the Python findings for files or folders, one tab-separated line each:
//! `rule  path  line  severity  fix  source-line`. Used for the precision sample in
//! `tests/precision/python/` until `heap-audit check --format json` is available.
//!
//! cargo run --example py_findings -- [--target 3.10] PATH...

use std::path::{Path, PathBuf};

use heap_audit::engine::{analyze_str, Settings};
use heap_audit::language::Lang;

fn collect(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let Ok(entries) = std::fs::read_dir(path) else {
            return;
        };
        let mut children: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        children.sort();
        for c in children {
            collect(&c, out);
        }
    } else if path.extension().is_some_and(|e| e == "py") {
        out.push(path.to_owned());
    }
}

fn main() {
    let mut settings = Settings::default();
    let mut files = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--target" {
            let v = args.next().expect("--target needs a version such as 3.10");
            settings.python_target =
                heap_audit::config::parse_python_version(&v).expect("a version such as 3.10");
        } else {
            collect(Path::new(&arg), &mut files);
        }
    }
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Some(findings) = analyze_str(Lang::Python, &text, &settings) else {
            continue;
        };
        for f in findings.iter().filter(|f| f.rule_id().starts_with("py/")) {
            let line = text[..f.range.start].matches('\n').count() + 1;
            let source = text.lines().nth(line - 1).unwrap_or("").trim();
            let fix = f.fix.as_ref().map_or("none", |x| x.applicability.as_str());
            println!(
                "{}\t{}\t{line}\t{}\t{fix}\t{source}",
                f.rule_id(),
                path.display(),
                f.severity.as_str()
            );
        }
    }
}
