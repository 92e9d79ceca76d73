//! `heap-audit rules` and `heap-audit explain RULE`.

use std::io::Write;
use std::process::ExitCode;

use super::RulesFormat;
use crate::rules::{registry, DefaultSeverity, Rule};

fn languages(rule: &Rule) -> &'static str {
    match rule.meta.family {
        Some(f) => match f {
            crate::language::Family::Rust => "Rust",
            crate::language::Family::Js => "JS/TS",
            crate::language::Family::Python => "Python",
        },
        None => "all",
    }
}

fn default_severity(rule: &Rule) -> String {
    let base = match rule.meta.default {
        DefaultSeverity::ByLoopDepth => "warning in loops, else info".to_owned(),
        DefaultSeverity::Fixed(s) => s.as_str().to_owned(),
    };
    if rule.meta.hot_only {
        "warning (loops only)".to_owned()
    } else {
        base
    }
}

/// The README's rule table, generated from the registry (a test keeps the README in step).
pub fn rules_markdown() -> String {
    let mut out = String::from(
        "| Rule | Languages | Default severity | Fix | What it flags |\n|---|---|---|---|---|\n",
    );
    for rule in registry().listed() {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            rule.meta.id,
            languages(rule),
            default_severity(rule),
            rule.meta.fix.as_str(),
            rule.meta.summary.replace('|', "\\|")
        ));
    }
    out
}

pub fn rules(format: RulesFormat) -> ExitCode {
    let mut out = std::io::stdout().lock();
    let text = match format {
        RulesFormat::Markdown => rules_markdown(),
        RulesFormat::Json => {
            let list: Vec<serde_json::Value> = registry()
                .listed()
                .map(|r| {
                    serde_json::json!({
                        "id": r.meta.id,
                        "languages": languages(r),
                        "default_severity": default_severity(r),
                        "hot_only": r.meta.hot_only,
                        "fix": r.meta.fix.as_str(),
                        "summary": r.meta.summary,
                    })
                })
                .collect();
            serde_json::to_string_pretty(&list).unwrap_or_default() + "\n"
        }
        RulesFormat::Text => {
            let width = registry()
                .listed()
                .map(|r| r.meta.id.len())
                .max()
                .unwrap_or(0);
            let mut s = String::new();
            for r in registry().listed() {
                s.push_str(&format!(
                    "{:width$}  {:6}  {:27}  fix: {:11}  {}\n",
                    r.meta.id,
                    languages(r),
                    default_severity(r),
                    r.meta.fix.as_str(),
                    r.meta.summary
                ));
            }
            s
        }
    };
    match out.write_all(text.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(2),
    }
}

pub fn explain(rule: &str) -> ExitCode {
    match crate::guides::section(rule) {
        Some(section) => {
            let _ = writeln!(std::io::stdout().lock(), "{section}");
            ExitCode::SUCCESS
        }
        None => {
            eprintln!("heap-audit: unknown rule `{rule}` (`heap-audit rules` lists them)");
            ExitCode::from(2)
        }
    }
}
