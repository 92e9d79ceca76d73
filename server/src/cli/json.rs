//! `--format json`: an array of findings, in path and position order.

use std::path::Path;

use serde::Serialize;

use super::report::Located;

/// One finding. Lines and columns are 1-based; columns count Unicode characters; `end_*` is
/// the position just after the range. The profile issue adds a `profile` field (allocation data
/// for the line) here.
#[derive(Serialize)]
pub struct JsonFinding<'a> {
    pub path: String,
    pub rule: &'static str,
    pub severity: &'static str,
    pub message: &'a str,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    /// `"safe"`, `"unsafe"`, or `null` when the finding has no fix.
    pub fix: Option<&'static str>,
    pub fix_title: Option<&'a str>,
    pub loop_depth: u32,
}

impl<'a> JsonFinding<'a> {
    pub fn new(path: &Path, f: &'a Located) -> Self {
        Self {
            path: path.to_string_lossy().into_owned(),
            rule: f.rule_id(),
            severity: f.severity.as_str(),
            message: &f.message,
            line: f.line,
            column: f.column,
            end_line: f.end_line,
            end_column: f.end_column,
            fix: f.fix.map(|a| a.as_str()),
            fix_title: f.fix_title.as_deref(),
            loop_depth: f.loop_depth,
        }
    }
}

/// The whole array, pretty-printed, ending in a newline.
pub fn render<'a>(findings: impl Iterator<Item = (&'a Path, &'a Located)>) -> String {
    let all: Vec<JsonFinding> = findings.map(|(p, f)| JsonFinding::new(p, f)).collect();
    let mut text = serde_json::to_string_pretty(&all).unwrap_or_else(|_| "[]".to_owned());
    text.push('\n');
    text
}
