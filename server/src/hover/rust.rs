//! Rust constructs that allocate.

use std::ops::Range;

use tree_sitter::Node;

pub(super) fn explain(node: Node, src: &str) -> Option<(Range<usize>, String)> {
    let text = src.get(node.byte_range())?;
    let what = match node.kind() {
        "macro_invocation" => {
            let name = node
                .child_by_field_name("macro")
                .and_then(|m| src.get(m.byte_range()))?;
            match name.rsplit("::").next()? {
                "format" => "**`format!`** allocates a new `String` sized by the formatter's estimate, and may grow it while writing. For a literal or a single value, `.to_string()` is direct; to append, use `write!` into an existing `String`.",
                "vec" => "**`vec![]`** allocates once for all listed elements (`vec![]` with no elements allocates nothing until the first push). `vec![x; n]` allocates `n` slots up front and clones `x` into each.",
                _ => return None,
            }
        }
        "call_expression" => {
            let f = node
                .child_by_field_name("function")
                .and_then(|f| src.get(f.byte_range()))?;
            match f {
                "Vec::new" => "**`Vec::new()`** allocates nothing yet. The first push allocates room for 4 elements (for small types), then capacity doubles: 4 → 8 → 16 …, copying every element each time. If the final length is known, `Vec::with_capacity(n)` allocates once.",
                "String::new" => "**`String::new()`** allocates nothing yet. The first push allocates, then capacity doubles as it grows, copying the bytes each time. `String::with_capacity(n)` allocates once.",
                "String::from" => "**`String::from(..)`** allocates a heap buffer and copies the text into it. Where a `&'static str` serves (comparisons, `&str` parameters), skip the allocation.",
                "Box::new" => "**`Box::new(x)`** allocates once, on creation, exactly the size of `x` (nothing for zero-sized types).",
                _ => return None,
            }
        }
        _ => return None,
    };
    let _ = text;
    Some((node.byte_range(), what.to_owned()))
}
