//! Hover explanations for allocation-making constructs, whether or not a rule fires: what
//! allocates, when, and the cheaper alternative. Engine-level (byte offsets in, markdown out).

use std::ops::Range;

use tree_sitter::{Node, Tree};

use crate::language::{Family, Lang};

mod js;
mod python;
mod rust;

/// What a hover shows for a construct: the range it covers and the explanation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConstructHover {
    pub range: Range<usize>,
    pub markdown: String,
}

/// Explains the innermost allocation-making construct at `byte`, if any.
pub fn construct_at(lang: Lang, src: &str, tree: &Tree, byte: usize) -> Option<ConstructHover> {
    let byte = byte.min(src.len());
    let mut node = tree.root_node().descendant_for_byte_range(byte, byte)?;
    loop {
        let found = match lang.family() {
            Family::Rust => rust::explain(node, src),
            Family::Js => js::explain(node, src),
            Family::Python => python::explain(node, src),
        };
        if let Some((range, text)) = found {
            return Some(ConstructHover {
                range,
                markdown: text,
            });
        }
        node = parent_of(node)?;
        if node.kind() == "source_file" || node.kind() == "program" || node.kind() == "module" {
            return None;
        }
    }
}

fn parent_of(node: Node) -> Option<Node> {
    node.parent()
}
