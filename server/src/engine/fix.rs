//! Applying fixes to text: sorted, non-overlapping, all-or-nothing per fix.

use super::types::{Applicability, Edit, Finding, Fix};

/// Which fixes to apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixMode {
    SafeOnly,
    SafeAndUnsafe,
}

impl FixMode {
    pub fn allows(self, a: Applicability) -> bool {
        a == Applicability::Safe || self == FixMode::SafeAndUnsafe
    }
}

/// Picks the fixes of `findings` that `mode` allows and that do not overlap an earlier pick, in
/// source order. Two fixes that touch the same bytes cannot both be applied in one pass; the
/// caller re-analyses and applies again (see [`fix_until_stable`]).
pub fn select_fixes(findings: &[Finding], mode: FixMode) -> Vec<&Fix> {
    let mut fixes: Vec<&Fix> = findings
        .iter()
        .filter_map(|f| f.fix.as_ref())
        .filter(|fix| mode.allows(fix.applicability) && !fix.is_empty())
        .collect();
    fixes.sort_by_key(|f| (f.span().start, f.span().end));
    let mut chosen: Vec<&Fix> = Vec::with_capacity(fixes.len());
    let mut taken: Vec<std::ops::Range<usize>> = Vec::new();
    for fix in fixes {
        let clashes = fix.ranges().any(|e| {
            taken.iter().any(|t| {
                // Overlap, or two insertions at one point (their order would be ambiguous).
                (e.start < t.end && t.start < e.end)
                    || (e.start == t.start && (e.is_empty() || t.is_empty()))
            })
        });
        if !clashes {
            taken.extend(fix.ranges());
            chosen.push(fix);
        }
    }
    chosen
}

/// Applies edits (any order in, sorted here) to `text`. Edits must not overlap.
pub fn apply_edits(text: &str, edits: &[&Edit]) -> String {
    let mut sorted: Vec<&Edit> = edits.to_vec();
    sorted.sort_by_key(|e| (e.range.start, e.range.end));
    let extra: usize = sorted.iter().map(|e| e.text.len()).sum();
    let mut out = String::with_capacity(text.len() + extra);
    let mut at = 0;
    for e in sorted {
        let start = e.range.start.clamp(at, text.len());
        out.push_str(&text[at..start]);
        out.push_str(&e.text);
        at = e.range.end.clamp(start, text.len());
    }
    out.push_str(&text[at..]);
    out
}

/// Applies the selected fixes once. Returns the new text and how many fixes were applied.
pub fn apply_fixes(text: &str, findings: &[Finding], mode: FixMode) -> (String, usize) {
    let fixes = select_fixes(findings, mode);
    let owned: Vec<_> = fixes.iter().map(|f| f.edits()).collect();
    let edits: Vec<&Edit> = owned.iter().flat_map(|e| e.iter()).collect();
    (apply_edits(text, &edits), fixes.len())
}

/// Re-analyses and applies fixes until none apply (at most `max_passes` passes), as `--fix` does.
/// `analyze` maps a text to its findings. Returns the fixed text and the number of fixes applied.
pub fn fix_until_stable(
    text: &str,
    mode: FixMode,
    max_passes: usize,
    mut analyze: impl FnMut(&str) -> Vec<Finding>,
) -> (String, usize) {
    let mut current = text.to_owned();
    let mut total = 0;
    for _ in 0..max_passes {
        let findings = analyze(&current);
        let (next, n) = apply_fixes(&current, &findings, mode);
        if n == 0 || next == current {
            break;
        }
        total += n;
        current = next;
    }
    (current, total)
}
