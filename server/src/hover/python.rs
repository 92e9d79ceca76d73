//! Python constructs that allocate.

use std::ops::Range;

use tree_sitter::Node;

pub(super) fn explain(node: Node, _src: &str) -> Option<(Range<usize>, String)> {
    let what = match node.kind() {
        "list" => "**List literal** allocates a new list object and an array of item pointers each time it is evaluated. For a fixed collection used only for membership, a set literal (`in {a, b}`) is built once as a constant `frozenset`.",
        "dictionary" => "**Dict literal** allocates a new dict (a hash table) each time it is evaluated.",
        "set" => "**Set literal** allocates a new set each time it is evaluated, except directly after `in`, where CPython folds constants into one `frozenset`.",
        "list_comprehension" => "**List comprehension** allocates the result list and grows it as items are appended. It is still faster than an explicit loop with `.append`, which looks the method up on every iteration.",
        _ => return None,
    };
    Some((node.byte_range(), what.to_owned()))
}
