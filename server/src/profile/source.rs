//! Converting between a profile's 1-based lines and a source text's byte ranges, and finding the
//! function a profile position belongs to. Plain data: byte ranges and line numbers.

use std::ops::{Range, RangeInclusive};

use tree_sitter::{Point, Tree};

/// Node kinds that are functions, in every grammar heap-audit parses.
const FUNCTION_KINDS: &[&str] = &[
    // Rust
    "function_item",
    "closure_expression",
    // Python
    "function_definition",
    "lambda",
    // JavaScript / TypeScript
    "function_declaration",
    "function_expression",
    "function",
    "generator_function_declaration",
    "generator_function",
    "arrow_function",
    "method_definition",
];

/// Whether a node kind is a function (fn, method, closure, lambda, arrow) in any grammar.
pub fn is_function_kind(kind: &str) -> bool {
    FUNCTION_KINDS.contains(&kind)
}

/// The byte range of 1-based `line`, without its line break. `None` past the end.
pub fn line_range(src: &str, line: u32) -> Option<Range<usize>> {
    let idx = line.checked_sub(1)? as usize;
    let mut start = 0usize;
    for _ in 0..idx {
        start += src[start..].find('\n')? + 1;
    }
    let end = src[start..].find('\n').map_or(src.len(), |e| start + e);
    let end = if end > start && src.as_bytes()[end - 1] == b'\r' {
        end - 1
    } else {
        end
    };
    Some(start..end)
}

/// The 1-based line of a byte offset.
pub fn line_of(src: &str, byte: usize) -> u32 {
    let byte = byte.min(src.len());
    src.as_bytes()[..byte]
        .iter()
        .filter(|&&b| b == b'\n')
        .count() as u32
        + 1
}

/// The 1-based lines a byte range covers (e.g. a function node's, for [`super::ProfileSet::span`]).
pub fn lines_of(src: &str, range: Range<usize>) -> RangeInclusive<u32> {
    let first = line_of(src, range.start);
    let last = line_of(src, range.end.saturating_sub(1).max(range.start));
    first..=last
}

/// The innermost function containing the 1-based `line` and `column` (a V8 function position),
/// or, without a column, the line's first non-blank character. Its byte range.
pub fn function_at(tree: &Tree, src: &str, line: u32, column: Option<u32>) -> Option<Range<usize>> {
    let lr = line_range(src, line)?;
    let text = &src[lr.clone()];
    let col = match column {
        Some(c) => (c.saturating_sub(1) as usize).min(text.len()),
        None => text.len() - text.trim_start().len(),
    };
    let point = Point {
        row: line as usize - 1,
        column: col,
    };
    let mut node = tree.root_node().descendant_for_point_range(point, point)?;
    loop {
        if FUNCTION_KINDS.contains(&node.kind()) {
            return Some(node.byte_range());
        }
        node = node.parent()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{parse_str, DEFAULT_PARSE_BUDGET};
    use crate::language::Lang;

    #[test]
    fn lines_and_bytes() {
        let src = "a\r\nbc\n\nd";
        assert_eq!(line_range(src, 1), Some(0..1));
        assert_eq!(line_range(src, 2), Some(3..5));
        assert_eq!(line_range(src, 3), Some(6..6));
        assert_eq!(line_range(src, 4), Some(7..8));
        assert_eq!(line_range(src, 5), None);
        assert_eq!(line_range(src, 0), None);
        assert_eq!(line_of(src, 4), 2);
        assert_eq!(lines_of(src, 3..8), 2..=4);
    }

    #[test]
    fn finds_v8_function_positions() {
        // V8 positions point at the parameter list: line 2 col 18 is `(` of makeRows.
        let src = "const keep = [];\nfunction makeRows(n) {\n  const rows = [];\n  return rows;\n}\nconst f = (x) => x + 1;\n";
        let tree = parse_str(Lang::JavaScript, src, DEFAULT_PARSE_BUDGET).unwrap();
        let r = function_at(&tree, src, 2, Some(18)).unwrap();
        assert!(src[r].starts_with("function makeRows"));
        let r = function_at(&tree, src, 6, Some(11)).unwrap();
        assert_eq!(&src[r], "(x) => x + 1");
        assert_eq!(function_at(&tree, src, 1, None), None);
        let py = "def f():\n    return [i for i in range(3)]\n";
        let tree = parse_str(Lang::Python, py, DEFAULT_PARSE_BUDGET).unwrap();
        let r = function_at(&tree, py, 2, None).unwrap();
        assert_eq!(lines_of(py, r), 1..=2);
    }
}
