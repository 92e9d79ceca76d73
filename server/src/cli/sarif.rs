//! `--format sarif`: SARIF 2.1.0, as GitHub code scanning takes it.
//!
//! One run; `tool.driver.rules` lists every rule with its guide section as help, and each
//! result points at its rule by `ruleId` and `ruleIndex`. Columns are Unicode code points
//! (`columnKind`), the same as the JSON output's. File-level problems (unreadable files, bad
//! configuration) become `toolExecutionNotifications`.

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;
use serde_json::{json, Value};

use super::discover::Problem;
use super::json::JsonProfile;
use super::report::{FileOutcome, Located};
use crate::config::ConfigError;
use crate::engine::Severity;
use crate::language::Family;
use crate::rules::{registry, DefaultSeverity, Rule};

pub const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
/// The project's home; rule help links point into its reference guides.
pub const INFORMATION_URI: &str = "https://github.com/heap-audit/heap-audit";

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

/// Where a file is: relative paths (and absolute ones under `cwd`) relative to `%SRCROOT%`,
/// the working folder; others as `file://` URIs.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

impl ArtifactLocation {
    fn new(path: &Path, cwd: &Path) -> Self {
        let relative = if path.is_absolute() {
            path.strip_prefix(cwd).ok()
        } else {
            Some(path)
        };
        match relative {
            Some(rel) => Self {
                uri: encode_uri_path(rel),
                uri_base_id: Some("%SRCROOT%"),
            },
            None => Self {
                uri: format!("file://{}", encode_uri_path(path)),
                uri_base_id: None,
            },
        }
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

#[derive(Serialize)]
struct Text<'a> {
    text: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation<'a> {
    artifact_location: &'a ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    physical_location: PhysicalLocation<'a>,
}

/// Our fingerprint scheme, version 1: rule id, the finding's line text (trimmed), and how many
/// times that pair occurred earlier in the file. Stable when unrelated lines move.
#[derive(Serialize)]
struct Fingerprints {
    #[serde(rename = "heapAudit/v1")]
    v1: String,
}

#[derive(Serialize)]
struct FixProperty<'a> {
    applicability: &'static str,
    title: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultProperties<'a> {
    loop_depth: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<FixProperty<'a>>,
    /// With `--profile`: the measured figures, when there are any.
    #[serde(skip_serializing_if = "Option::is_none")]
    profile: Option<JsonProfile>,
}

/// One result; typed (not a `serde_json::Value`) so a large run streams out cheaply.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'static str,
    /// `None` for a test-only rule, which `tool.driver.rules` does not list.
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<u16>,
    level: &'static str,
    message: Text<'a>,
    locations: [Location<'a>; 1],
    partial_fingerprints: Fingerprints,
    properties: ResultProperties<'a>,
}

impl<'a> SarifResult<'a> {
    fn new(artifact: &'a ArtifactLocation, f: &'a Located) -> Self {
        Self {
            rule_id: f.rule_id(),
            rule_index: (!registry().rule(f.rule).is_test_only()).then_some(f.rule),
            level: level(f.severity),
            message: Text { text: &f.message },
            locations: [Location {
                physical_location: PhysicalLocation {
                    artifact_location: artifact,
                    region: Region {
                        start_line: f.line,
                        start_column: f.column,
                        end_line: f.end_line,
                        end_column: f.end_column,
                    },
                },
            }],
            partial_fingerprints: Fingerprints {
                v1: format!("{:016x}", f.fingerprint),
            },
            properties: ResultProperties {
                loop_depth: f.loop_depth,
                fix: f
                    .fix
                    .zip(f.fix_title.as_deref())
                    .map(|(a, title)| FixProperty {
                        applicability: a.as_str(),
                        title,
                    }),
                profile: f.profile.map(JsonProfile::from),
            },
        }
    }
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
        let mut physical = json!({ "artifactLocation": ArtifactLocation::new(p, cwd) });
        if let Some((l, c)) = line {
            physical["region"] = json!({ "startLine": l, "startColumn": c });
        }
        n["locations"] = json!([{ "physicalLocation": physical }]);
    }
    n
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Value,
    column_kind: &'static str,
    invocations: [Value; 1],
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

/// Writes the SARIF log for a run, and a final newline.
pub fn write(
    out: &mut dyn Write,
    files: &[FileOutcome],
    problems: &[Problem],
    config_errors: &[ConfigError],
    notes: &[(String, std::path::PathBuf)],
    cwd: &Path,
) -> io::Result<()> {
    let rules: Vec<Value> = registry().listed().map(rule_descriptor).collect();
    let artifacts: Vec<ArtifactLocation> = files
        .iter()
        .map(|f| ArtifactLocation::new(&f.path, cwd))
        .collect();
    let results: Vec<SarifResult> = files
        .iter()
        .zip(&artifacts)
        .flat_map(|(file, artifact)| {
            file.findings
                .iter()
                .map(move |f| SarifResult::new(artifact, f))
        })
        .collect();
    let mut notifications: Vec<Value> = config_errors
        .iter()
        .map(|e| notification("error", e.message.clone(), e.path.as_deref(), e.line, cwd))
        .collect();
    notifications.extend(problems.iter().map(|p| {
        let level = if p.is_error { "error" } else { "warning" };
        notification(level, p.message.clone(), Some(&p.path), None, cwd)
    }));
    notifications.extend(
        notes
            .iter()
            .map(|(message, path)| notification("note", message.clone(), Some(path), None, cwd)),
    );
    let successful = config_errors.is_empty() && !problems.iter().any(|p| p.is_error);
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: json!({
                "driver": {
                    "name": "heap-audit",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": INFORMATION_URI,
                    "rules": rules,
                },
            }),
            column_kind: "unicodeCodePoints",
            invocations: [json!({
                "executionSuccessful": successful,
                "toolExecutionNotifications": notifications,
            })],
            results,
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log)?;
    out.write_all(b"\n")
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
        let inside = ArtifactLocation::new(Path::new("/w/a/b.rs"), cwd);
        assert_eq!(
            (inside.uri.as_str(), inside.uri_base_id),
            ("a/b.rs", Some("%SRCROOT%"))
        );
        let outside = ArtifactLocation::new(Path::new("/elsewhere/b.rs"), cwd);
        assert_eq!(
            (outside.uri.as_str(), outside.uri_base_id),
            ("file:///elsewhere/b.rs", None)
        );
        let rule = registry().get("rust/format-literal").unwrap();
        assert!(help_uri(rule).ends_with("/server/guides/rust.md#rustformat-literal"));
    }
}
