//! `--format sarif`: SARIF 2.1.0, as GitHub code scanning takes it.
//!
//! One run; `tool.driver.rules` lists every rule with its guide section as help, and each
//! result points at its rule by `ruleId` and `ruleIndex`. Columns are Unicode code points
//! (`columnKind`), the same as the JSON output's. File-level problems (unreadable files, bad
//! configuration) become `toolExecutionNotifications`.

use std::path::Path;

use serde_json::{json, Value};

use super::discover::Problem;
use super::report::Located;
use crate::config::ConfigError;
use crate::engine::Severity;
use crate::language::Family;
use crate::rules::{registry, DefaultSeverity, Rule};

pub const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
/// The project's home; rule help links point into its reference guides.
pub const INFORMATION_URI: &str = "https://github.com/heap-audit/heap-audit";
/// Fingerprint scheme: rule id, the finding's line text (trimmed), its occurrence on such lines.
const FINGERPRINT_KEY: &str = "heapAudit/v1";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::Hint => "note",
    }
}

/// `rust/format-literal` → `RustFormatLiteral`: SARIF's readable rule name.
fn pascal_name(id: &str) -> String {
    id.split(['/', '-'])
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Where a rule's section is on the web: its guide file, at GitHub's anchor for `## <id>`.
fn help_uri(rule: &Rule) -> String {
    let guide = match rule.meta.family {
        Some(Family::Rust) => "rust",
        Some(Family::Js) => "js",
        Some(Family::Python) => "python",
        None => "general",
    };
    let anchor: String = rule
        .meta
        .id
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '-')
        .collect();
    format!("{INFORMATION_URI}/blob/main/server/guides/{guide}.md#{anchor}")
}

fn rule_descriptor(rule: &Rule) -> Value {
    let id = rule.meta.id;
    let section = crate::guides::section(id).unwrap_or(rule.meta.summary);
    let what = crate::guides::subsection(section, "### What it does").unwrap_or(rule.meta.summary);
    let default_level = match rule.meta.default {
        DefaultSeverity::ByLoopDepth => "warning",
        DefaultSeverity::Fixed(s) => level(s),
    };
    let language = rule.meta.family.map_or("all", |f| f.prefix());
    json!({
        "id": id,
        "name": pascal_name(id),
        "shortDescription": { "text": rule.meta.summary },
        "fullDescription": { "text": what },
        "help": { "text": section, "markdown": section },
        "helpUri": help_uri(rule),
        "defaultConfiguration": { "level": default_level },
        "properties": { "tags": ["performance", "allocation", language] },
    })
}

/// A URI reference for `path`: relative paths (and absolute ones under `cwd`) relative to
/// `%SRCROOT%`, the working folder; others as `file://` URIs.
fn artifact_location(path: &Path, cwd: &Path) -> Value {
    let relative = if path.is_absolute() {
        path.strip_prefix(cwd).ok()
    } else {
        Some(path)
    };
    match relative {
        Some(rel) => json!({ "uri": encode_uri_path(rel), "uriBaseId": "%SRCROOT%" }),
        None => json!({ "uri": format!("file://{}", encode_uri_path(path)) }),
    }
}

/// Percent-encodes a path for a URI (RFC 3986 path characters stay), with `/` separators.
fn encode_uri_path(path: &Path) -> String {
    let text = path.to_string_lossy();
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'\\' => out.push('/'),
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' | b':'
            | b'@' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn result(path: &Path, f: &Located, cwd: &Path) -> Value {
    let mut r = json!({
        "ruleId": f.rule_id(),
        "ruleIndex": f.rule,
        "level": level(f.severity),
        "message": { "text": f.message },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": artifact_location(path, cwd),
                "region": {
                    "startLine": f.line,
                    "startColumn": f.column,
                    "endLine": f.end_line,
                    "endColumn": f.end_column,
                },
            },
        }],
        "partialFingerprints": { FINGERPRINT_KEY: format!("{:016x}", f.fingerprint) },
        "properties": { "loopDepth": f.loop_depth },
    });
    if let (Some(a), Some(title)) = (f.fix, &f.fix_title) {
        r["properties"]["fix"] = json!({ "applicability": a.as_str(), "title": title });
    }
    r
}

fn notification(
    level: &str,
    message: String,
    path: Option<&Path>,
    line: Option<(usize, usize)>,
    cwd: &Path,
) -> Value {
    let mut n = json!({ "level": level, "message": { "text": message } });
    if let Some(p) = path {
        let mut physical = json!({ "artifactLocation": artifact_location(p, cwd) });
        if let Some((l, c)) = line {
            physical["region"] = json!({ "startLine": l, "startColumn": c });
        }
        n["locations"] = json!([{ "physicalLocation": physical }]);
    }
    n
}

/// The SARIF log for a run.
pub fn render<'a>(
    findings: impl Iterator<Item = (&'a Path, &'a Located)>,
    problems: &[Problem],
    config_errors: &[ConfigError],
    cwd: &Path,
) -> String {
    let rules: Vec<Value> = registry()
        .rules()
        .iter()
        .map(|r| rule_descriptor(r))
        .collect();
    let results: Vec<Value> = findings.map(|(p, f)| result(p, f, cwd)).collect();
    let mut notifications: Vec<Value> = config_errors
        .iter()
        .map(|e| notification("error", e.message.clone(), e.path.as_deref(), e.line, cwd))
        .collect();
    notifications.extend(problems.iter().map(|p| {
        let level = if p.is_error { "error" } else { "warning" };
        notification(level, p.message.clone(), Some(&p.path), None, cwd)
    }));
    let successful = config_errors.is_empty() && !problems.iter().any(|p| p.is_error);
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "heap-audit",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": INFORMATION_URI,
                    "rules": rules,
                },
            },
            "columnKind": "unicodeCodePoints",
            "invocations": [{
                "executionSuccessful": successful,
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_uris_and_anchors() {
        assert_eq!(pascal_name("rust/format-literal"), "RustFormatLiteral");
        assert_eq!(pascal_name("unused-suppression"), "UnusedSuppression");
        assert_eq!(
            encode_uri_path(Path::new("src/my file#1.rs")),
            "src/my%20file%231.rs"
        );
        assert_eq!(encode_uri_path(Path::new("é.py")), "%C3%A9.py");
        let cwd = Path::new("/w");
        assert_eq!(
            artifact_location(Path::new("/w/a/b.rs"), cwd)["uri"],
            "a/b.rs"
        );
        assert_eq!(
            artifact_location(Path::new("/elsewhere/b.rs"), cwd)["uri"],
            "file:///elsewhere/b.rs"
        );
        let rule = registry().get("rust/format-literal").unwrap();
        assert!(help_uri(rule).ends_with("/server/guides/rust.md#rustformat-literal"));
    }
}
