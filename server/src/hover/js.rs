//! JavaScript/TypeScript constructs that allocate.

use std::ops::Range;

use tree_sitter::Node;

pub(super) fn explain(node: Node, src: &str) -> Option<(Range<usize>, String)> {
    let what = match node.kind() {
        "new_expression" => {
            let ctor = node.child_by_field_name("constructor").and_then(|c| src.get(c.byte_range()))?;
            match ctor {
                "Array" => "**`new Array(n)`** allocates a backing store of `n` holes: the array is HOLEY from the start, and every read checks the prototype chain. A literal (`[a, b]`) or pushing onto `[]` keeps it PACKED.",
                _ => return None,
            }
        }
        "array" => "**Array literal** allocates a new array and its backing store each time it is evaluated. Its elements kind (SMI, DOUBLE or ELEMENTS) is fixed by its contents and only ever widens.",
        "object" => "**Object literal** allocates a new object each time it is evaluated. Objects built by the same literal share a hidden class. Adding properties later, or in another order, gives them a new one.",
        _ => return None,
    };
    Some((node.byte_range(), what.to_owned()))
}
