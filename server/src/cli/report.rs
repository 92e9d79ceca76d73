//! Findings placed in their file for output: 1-based lines and columns counted in Unicode
//! characters (what JSON and SARIF's `unicodeCodePoints` report), a source excerpt for text
//! output, and a fingerprint that survives unrelated edits (for SARIF).

use std::collections::HashMap;
use std::path::PathBuf;

use crate::engine::{Applicability, Finding, Severity, Text};

use super::discover::Problem;

/// A finding with its position in lines and characters.
#[derive(Clone, Debug, PartialEq)]
pub struct Located {
    pub rule: u16,
    pub severity: Severity,
    pub message: Text,
    pub line: usize,
    pub column: usize,
    /// Exclusive: the character after the range.
    pub end_line: usize,
    pub end_column: usize,
    pub fix: Option<Applicability>,
    pub fix_title: Option<Text>,
    pub loop_depth: u32,
    /// Rule, line text (trimmed) and how many times that pair occurred before in the file:
    /// stable when lines are added or removed elsewhere.
    pub fingerprint: u64,
    pub excerpt: Option<Excerpt>,
    /// With `--profile`: what the profiles measured through the finding's lines (for V8: its
    /// function), callees included.
    pub profile: Option<ProfileFigures>,
}

/// A finding's measured figures, as `check --profile` reports them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProfileFigures {
    pub bytes: u64,
    pub blocks: u64,
    /// Of the profile's total bytes, 0.0–1.0.
    pub share: f64,
    /// "Profile older than file": the file changed after the profile was written.
    pub stale: bool,
}

impl Located {
    pub fn rule_id(&self) -> &'static str {
        crate::rules::registry().rule(self.rule).meta.id
    }
}

/// The finding's first line, ready to print: control characters replaced, tabs expanded, long
/// lines cut to a window around the finding. `start`/`width` are terminal columns in `text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Excerpt {
    pub line: usize,
    pub text: String,
    pub start: usize,
    pub width: usize,
}

/// What happened to one file.
#[derive(Debug, Default)]
pub struct FileOutcome {
    pub path: PathBuf,
    /// Analysed (not skipped, not failed).
    pub checked: bool,
    /// The findings that remain (after fixes, if any were written).
    pub findings: Vec<Located>,
    /// Fixes applied and written, or with `--diff` that would be.
    pub fixed: usize,
    /// With `--diff`: the unified diff, if the file would change.
    pub diff: Option<String>,
    pub problems: Vec<Problem>,
    /// Not analysed because its configuration file is broken (reported once, per config file).
    pub config_broken: bool,
    /// `--fix` was interrupted (Ctrl-C) before this file was analysed (`checked` false) or
    /// before its fixes were written (`checked` true): it is as it was.
    pub interrupted: bool,
}

/// Byte offsets of line starts, for turning byte offsets into lines and columns.
struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Self { text, starts }
    }

    /// 0-based line containing `byte`.
    fn line_of(&self, byte: usize) -> usize {
        self.starts.partition_point(|&s| s <= byte) - 1
    }

    /// A line without its line ending.
    fn line(&self, line: usize) -> &'a str {
        let start = self.starts[line];
        let end = self
            .starts
            .get(line + 1)
            .map_or(self.text.len(), |&s| s - 1);
        let l = &self.text[start..end];
        l.strip_suffix('\r').unwrap_or(l)
    }
}

fn floor_boundary(text: &str, byte: usize) -> usize {
    let mut b = byte.min(text.len());
    while !text.is_char_boundary(b) {
        b -= 1;
    }
    b
}

fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in *part {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Places `findings` (sorted by start, as the engine returns them) in `text`. Columns are
/// counted incrementally along a line, so many findings on one long line stay linear.
pub fn locate(text: &str, findings: &[Finding], excerpts: bool) -> Vec<Located> {
    if findings.is_empty() {
        return Vec::new();
    }
    let lines = Lines::new(text);
    let mut occurrences: HashMap<(u16, u64), u32> = HashMap::new();
    // (line, byte, column) of the last start placed.
    let mut cursor = (usize::MAX, 0usize, 0usize);
    findings
        .iter()
        .map(|f| {
            let start = floor_boundary(text, f.range.start);
            let end = floor_boundary(text, f.range.end.max(start));
            let line = lines.line_of(start);
            let line_start = lines.starts[line];
            let (from, base) = if cursor.0 == line && cursor.1 <= start {
                (cursor.1, cursor.2)
            } else {
                (line_start, 0)
            };
            let column = base + text[from..start].chars().count();
            cursor = (line, start, column);
            let end_line = lines.line_of(end);
            let end_column = if end_line == line {
                column + text[start..end].chars().count()
            } else {
                text[lines.starts[end_line]..end].chars().count()
            };
            let line_text = lines.line(line);
            let hash = fnv1a(&[line_text.trim().as_bytes()]);
            let n = occurrences.entry((f.rule, hash)).or_insert(0);
            let rule_id = crate::rules::registry().rule(f.rule).meta.id;
            let fingerprint = fnv1a(&[rule_id.as_bytes(), &hash.to_le_bytes(), &n.to_le_bytes()]);
            *n += 1;
            let excerpt = excerpts.then(|| {
                let in_line_end = if end_line == line {
                    end - line_start
                } else {
                    line_text.len()
                };
                excerpt(
                    line + 1,
                    line_text,
                    start - line_start,
                    in_line_end.min(line_text.len()),
                )
            });
            Located {
                rule: f.rule,
                severity: f.severity,
                message: f.message.clone(),
                line: line + 1,
                column: column + 1,
                end_line: end_line + 1,
                end_column: end_column + 1,
                fix: f.fix.as_ref().map(|x| x.applicability),
                fix_title: f.fix.as_ref().map(|x| x.title.clone()),
                loop_depth: f.loop_depth,
                fingerprint,
                excerpt,
                profile: None,
            }
        })
        .collect()
}

/// On a line longer than this (bytes), the excerpt is a window around the finding.
const LONG_LINE: usize = 200;
const WINDOW_BEFORE: usize = 60;
const WINDOW_LENGTH: usize = 160;
const TAB_STOP: usize = 4;

fn excerpt(line_no: usize, line: &str, start: usize, end: usize) -> Excerpt {
    let (from, to) = if line.len() > LONG_LINE {
        let from = floor_boundary(line, start.saturating_sub(WINDOW_BEFORE));
        let mut to = (from + WINDOW_LENGTH).max(start + 1).min(line.len());
        while !line.is_char_boundary(to) {
            to += 1;
        }
        (from, to)
    } else {
        (0, line.len())
    };
    let end = end.clamp(start, to.max(start));
    let mut text = String::with_capacity(to - from + 8);
    let mut col = 0;
    if from > 0 {
        text.push('…');
        col += 1;
    }
    let (mut start_col, mut end_col) = (col, col);
    for (i, c) in line[from..to].char_indices() {
        let at = from + i;
        if at == start {
            start_col = col;
        }
        if at == end {
            end_col = col;
        }
        if c == '\t' {
            let w = TAB_STOP - col % TAB_STOP;
            text.extend(std::iter::repeat_n(' ', w));
            col += w;
        } else if c.is_control() {
            text.push('\u{fffd}');
            col += 1;
        } else {
            text.push(c);
            col += char_width(c);
        }
    }
    if start >= to {
        start_col = col;
    }
    if end >= to {
        end_col = col;
    }
    if to < line.len() {
        text.push('…');
    }
    Excerpt {
        line: line_no,
        text,
        start: start_col,
        width: end_col.saturating_sub(start_col).max(1),
    }
}

/// Terminal columns a character takes: 0 for combining marks, joiners and emoji skin tones, 2 for East Asian wide
/// characters and emoji, else 1. An approximation of Unicode's East Asian Width that covers the
/// characters source code contains in practice; it only affects where carets are drawn.
pub fn char_width(c: char) -> usize {
    match c as u32 {
        0x0300..=0x036F
        | 0x1F3FB..=0x1F3FF
        | 0x200B..=0x200F
        | 0x20D0..=0x20FF
        | 0xFE00..=0xFE0F
        | 0xE0100..=0xE01EF => 0,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F64F
        | 0x1F680..=0x1F6FF
        | 0x1F900..=0x1F9FF
        | 0x1FA70..=0x1FAFF
        | 0x20000..=0x3FFFD => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(range: std::ops::Range<usize>) -> Finding {
        Finding {
            rule: crate::rules::registry()
                .index_of("rust/format-literal")
                .unwrap(),
            range,
            message: "m".into(),
            severity: Severity::Warning,
            loop_depth: 0,
            fix: None,
        }
    }

    #[test]
    fn columns_count_characters_and_ends_are_exclusive() {
        let text = "let a = \"😀\"; let b = x;\r\nlet é = y;\n";
        let b = text.find('x').unwrap();
        let e = text.find('y').unwrap();
        let located = locate(text, &[finding(b..b + 1), finding(e..e + 1)], true);
        assert_eq!(
            (
                located[0].line,
                located[0].column,
                located[0].end_line,
                located[0].end_column
            ),
            (1, 22, 1, 23)
        );
        assert_eq!((located[1].line, located[1].column), (2, 9));
        let ex = located[0].excerpt.as_ref().unwrap();
        assert_eq!(ex.text, "let a = \"😀\"; let b = x;");
        // The emoji takes two terminal columns, so the caret sits one further right.
        assert_eq!((ex.start, ex.width), (22, 1));
    }

    #[test]
    fn multi_line_ranges_underline_to_the_end_of_the_first_line() {
        let text = "a = foo(\n  1)\n";
        let l = locate(text, &[finding(4..text.len() - 1)], true);
        assert_eq!(
            (l[0].line, l[0].column, l[0].end_line, l[0].end_column),
            (1, 5, 2, 5)
        );
        let ex = l[0].excerpt.as_ref().unwrap();
        assert_eq!((ex.start, ex.width), (4, 4));
    }

    #[test]
    fn excerpts_expand_tabs_hide_control_characters_and_window_long_lines() {
        let ex = excerpt(1, "\tx\u{1b}[31m", 1, 2);
        assert_eq!(ex.text, "    x\u{fffd}[31m");
        assert_eq!((ex.start, ex.width), (4, 1));
        let long = "a".repeat(1000) + "TARGET" + &"b".repeat(1000);
        let ex = excerpt(1, &long, 1000, 1006);
        assert!(
            ex.text.starts_with('…') && ex.text.ends_with('…') && ex.text.chars().count() < 200,
            "{}",
            ex.text
        );
        assert_eq!(
            &ex.text
                .chars()
                .skip(ex.start)
                .take(ex.width)
                .collect::<String>(),
            "TARGET"
        );
    }

    #[test]
    fn fingerprints_survive_lines_moving_and_tell_repeats_apart() {
        let a = "x = 1\ny = f(1)\ny = f(1)\n";
        let b = "\n\nx = 1\ny = f(1)\ny = f(1)\n";
        let (ya, yb) = (a.find("f(").unwrap(), b.find("f(").unwrap());
        let la = locate(a, &[finding(ya..ya + 1), finding(ya + 9..ya + 10)], false);
        let lb = locate(b, &[finding(yb..yb + 1), finding(yb + 9..yb + 10)], false);
        assert_eq!(la[0].fingerprint, lb[0].fingerprint);
        assert_eq!(la[1].fingerprint, lb[1].fingerprint);
        assert_ne!(la[0].fingerprint, la[1].fingerprint);
    }
}
