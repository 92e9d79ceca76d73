//! Suppression comments: `heap-audit: allow(rule-id[, rule-id])` on the line or the line above,
//! and `heap-audit: allow-file(rule-id)` anywhere in the file. A suppression that matches nothing
//! is itself reported as `unused-suppression`.

use std::ops::Range;

use tree_sitter::Tree;

use super::types::{Edit, Finding, Fix};
use super::Settings;
use crate::language::Lang;
use crate::rules::registry;

const MARKER: &str = "heap-audit:";

#[derive(Debug)]
struct Directive {
    file_wide: bool,
    /// The lines (0-based) whose findings it covers.
    lines: Range<usize>,
    /// The comment node's range.
    comment: Range<usize>,
    /// The whole `heap-audit: allow(…)` text.
    span: Range<usize>,
    ids: Vec<(Range<usize>, bool)>,
}

struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    fn new(src: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            src.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Self { starts }
    }
    fn line_of(&self, byte: usize) -> usize {
        self.starts.partition_point(|&s| s <= byte) - 1
    }
}

/// Whether a suppression id matches a rule id: exact, or a `family/*` wildcard.
fn id_matches(pattern: &str, rule_id: &str) -> bool {
    match pattern.strip_suffix("/*") {
        Some(prefix) => rule_id
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/')),
        None => pattern == rule_id,
    }
}

fn parse_directives(src: &str, tree: &Tree, lines: &mut Option<Lines>) -> Vec<Directive> {
    let mut out = Vec::new();
    let root = tree.root_node();
    let mut from = 0;
    // Every analysis looks through the whole text: memmem's vectorised search, not `str::find`.
    let finder = memchr::memmem::Finder::new(MARKER);
    while let Some(pos) = finder.find(&src.as_bytes()[from..]) {
        let at = from + pos;
        from = at + MARKER.len();
        let Some(node) = root.descendant_for_byte_range(at, at + MARKER.len()) else {
            continue;
        };
        if !node.kind().contains("comment") {
            continue;
        }
        let comment = node.byte_range();
        let rest = &src[from..comment.end];
        let trimmed = rest.trim_start();
        let mut p = from + (rest.len() - trimmed.len());
        let file_wide = if let Some(t) = trimmed.strip_prefix("allow-file(") {
            p += "allow-file(".len();
            let _ = t;
            true
        } else if trimmed.starts_with("allow(") {
            p += "allow(".len();
            false
        } else {
            continue;
        };
        let Some(close) = src[p..comment.end].find(')') else {
            continue;
        };
        let list_end = p + close;
        let mut ids = Vec::new();
        let mut start = p;
        for part in src[p..list_end].split(',') {
            let lead = part.len() - part.trim_start().len();
            let id_start = start + lead;
            let id_end = id_start + part.trim().len();
            if id_end > id_start {
                ids.push((id_start..id_end, false));
            }
            start += part.len() + 1;
        }
        let lines = lines.get_or_insert_with(|| Lines::new(src));
        let line = lines.line_of(comment.start);
        let line_start = lines.starts[line];
        let trailing = !src[line_start..comment.start].trim().is_empty();
        let covered = if trailing {
            line..line + 1
        } else {
            line..line + 2
        };
        out.push(Directive {
            file_wide,
            lines: covered,
            comment,
            span: at..list_end + 1,
            ids,
        });
    }
    out
}

/// Removes suppressed findings, and adds `unused-suppression` findings for directives (or ids
/// within them) that suppressed nothing.
pub(crate) fn apply(
    lang: Lang,
    src: &str,
    tree: &Tree,
    settings: &Settings,
    findings: &mut Vec<Finding>,
) {
    if !src.contains(MARKER) {
        return;
    }
    let mut lines = None;
    let mut directives = parse_directives(src, tree, &mut lines);
    if directives.is_empty() {
        return;
    }
    let lines = lines.expect("directives imply the line index");
    findings.retain(|f| {
        let id = f.rule_id();
        let line = lines.line_of(f.range.start);
        let mut suppressed = false;
        for d in directives.iter_mut() {
            if !d.file_wide && !d.lines.contains(&line) {
                continue;
            }
            for (range, used) in d.ids.iter_mut() {
                if id_matches(&src[range.clone()], id) {
                    *used = true;
                    suppressed = true;
                }
            }
        }
        !suppressed
    });
    let reg = registry();
    let unused_idx = reg.unused_suppression();
    if !settings.is_enabled(unused_idx) {
        return;
    }
    let family = lang.family();
    for d in &directives {
        let unused: Vec<&Range<usize>> = d
            .ids
            .iter()
            .filter(|(_, used)| !used)
            .map(|(r, _)| r)
            .collect();
        for range in &unused {
            let pattern = &src[(*range).clone()];
            let matching = || {
                reg.rules()
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| id_matches(pattern, r.meta.id))
            };
            let applies =
                |r: &&crate::rules::Rule| r.meta.family == Some(family) || r.meta.family.is_none();
            let message = if matching().next().is_none() {
                format!("unknown rule `{pattern}` in suppression comment")
            } else if !matching().any(|(_, r)| applies(r)) {
                format!("rule `{pattern}` does not apply to {} files", lang.name())
            } else if !matching().any(|(i, r)| applies(r) && settings.is_enabled(i as u16)) {
                // The rule is switched off here: the comment is harmless.
                continue;
            } else {
                format!("unused suppression: `{pattern}` reports nothing here")
            };
            let fix = if unused.len() == d.ids.len() {
                removal_of_directive(src, d)
            } else {
                removal_of_id(src, d, range)
            };
            findings.push(Finding {
                rule: unused_idx,
                range: (*range).clone(),
                message: message.into(),
                severity: crate::engine::default_severity(reg.rule(unused_idx), 0),
                loop_depth: 0,
                fix: Some(fix),
            });
        }
    }
}

/// Deletes the whole directive; and the whole comment when it holds nothing else.
fn removal_of_directive(src: &str, d: &Directive) -> Fix {
    let comment_text = &src[d.comment.clone()];
    let rest = format!(
        "{}{}",
        &src[d.comment.start..d.span.start],
        &src[d.span.end..d.comment.end]
    );
    let only_directive = rest
        .trim_matches(|c: char| c.is_whitespace() || matches!(c, '/' | '#' | '*'))
        .is_empty();
    let range = if only_directive && !comment_text.is_empty() {
        // Delete the comment and the blank space before it; the whole line if it stands alone.
        let line_start = src[..d.comment.start].rfind('\n').map_or(0, |i| i + 1);
        let before = &src[line_start..d.comment.start];
        let line_end = src[d.comment.end..]
            .find('\n')
            .map_or(src.len(), |i| d.comment.end + i);
        if before.trim().is_empty() && src[d.comment.end..line_end].trim().is_empty() {
            let end = if line_end < src.len() {
                line_end + 1
            } else {
                line_end
            };
            line_start..end
        } else {
            let ws = before.len() - before.trim_end().len();
            d.comment.start - ws..d.comment.end
        }
    } else {
        d.span.clone()
    };
    Fix::safe("Remove the unused suppression", vec![Edit::delete(range)])
}

/// Deletes one id from a directive's list, with its separating comma.
fn removal_of_id(src: &str, d: &Directive, id: &Range<usize>) -> Fix {
    let idx = d.ids.iter().position(|(r, _)| r == id).unwrap_or(0);
    let range = if idx + 1 < d.ids.len() {
        id.start..d.ids[idx + 1].0.start
    } else {
        d.ids[idx - 1].0.end..id.end
    };
    let _ = src;
    Fix::safe(
        "Remove the unused rule from the suppression",
        vec![Edit::delete(range)],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_ids() {
        assert!(id_matches("rust/*", "rust/format-literal"));
        assert!(!id_matches("rust/*", "rustx/format-literal"));
        assert!(id_matches("py/pow-half", "py/pow-half"));
        assert!(!id_matches("py/pow", "py/pow-half"));
    }
}
