//! `--format json`: an array of findings, in path and position order.

use std::borrow::Cow;
use std::io::{self, Write};

use serde::Serialize;

use super::report::{FileOutcome, Located, ProfileFigures};

/// One finding. Lines and columns are 1-based; columns count Unicode characters; `end_*` is
/// the position just after the range. With `--profile`, `profile` holds what the profiles
/// measured through the finding's lines (for V8: its function), or `null`.
#[derive(Serialize)]
pub struct JsonFinding<'a> {
    pub path: Cow<'a, str>,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<Option<JsonProfile>>,
}

/// `{"bytes": N, "blocks": N, "share": 0.0–1.0, "stale": bool}`; `stale`: the file changed after
/// the profile was written, so its lines may have moved.
#[derive(Serialize)]
pub struct JsonProfile {
    pub bytes: u64,
    pub blocks: u64,
    pub share: f64,
    pub stale: bool,
}

impl From<ProfileFigures> for JsonProfile {
    fn from(p: ProfileFigures) -> Self {
        JsonProfile {
            bytes: p.bytes,
            blocks: p.blocks,
            share: p.share,
            stale: p.stale,
        }
    }
}

impl<'a> JsonFinding<'a> {
    /// `profiled`: the run had `--profile` (then `profile` is always written, `null` or not).
    pub fn new(path: Cow<'a, str>, f: &'a Located, profiled: bool) -> Self {
        Self {
            path,
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
            profile: profiled.then(|| f.profile.map(JsonProfile::from)),
        }
    }
}

/// Writes the whole array, pretty-printed, and a final newline.
pub fn write(out: &mut dyn Write, files: &[FileOutcome], profiled: bool) -> io::Result<()> {
    let mut all = Vec::with_capacity(files.iter().map(|f| f.findings.len()).sum());
    for file in files.iter().filter(|f| !f.findings.is_empty()) {
        let path = file.path.to_string_lossy();
        all.extend(
            file.findings
                .iter()
                .map(|f| JsonFinding::new(path.clone(), f, profiled)),
        );
    }
    serde_json::to_writer_pretty(&mut *out, &all)?;
    out.write_all(b"\n")
}
