//! Small helpers over tree-sitter-rust nodes shared by the Rust rules. No allocation.

use std::ops::Range;
use std::sync::OnceLock;

use tree_sitter::Node;

use crate::language::Lang;

/// tree-sitter-rust's kind and field names by id, so that the rules' hot paths neither decode a
/// kind name (`Node::kind` runs `strlen` and UTF-8 validation on each call) nor look a field
/// name up (`Node::child_by_field_name` compares it against every field name of the grammar).
struct Names {
    kinds: Vec<&'static str>,
    /// `fields[len]`: the fields whose name is `len` bytes long, with their ids.
    fields: Vec<Vec<(&'static str, u16)>>,
}

fn names() -> &'static Names {
    static NAMES: OnceLock<Names> = OnceLock::new();
    NAMES.get_or_init(|| {
        let g = Lang::Rust.grammar();
        let kinds = (0..g.node_kind_count() as u16)
            .map(|id| g.node_kind_for_id(id).unwrap_or(""))
            .collect();
        let mut fields: Vec<Vec<(&'static str, u16)>> = Vec::new();
        for id in 1..=g.field_count() as u16 {
            if let Some(name) = g.field_name_for_id(id) {
                if fields.len() <= name.len() {
                    fields.resize(name.len() + 1, Vec::new());
                }
                fields[name.len()].push((name, id));
            }
        }
        Names { kinds, fields }
    })
}

/// Fast equivalents of `Node::kind` and `Node::child_by_field_name` for tree-sitter-rust nodes
/// (same results).
pub(crate) trait NodeExt<'t> {
    /// The node's kind name, as `Node::kind`.
    fn kind_str(&self) -> &'static str;
    /// The child in field `name`, as `Node::child_by_field_name`.
    fn field(&self, name: &str) -> Option<Node<'t>>;
}

impl<'t> NodeExt<'t> for Node<'t> {
    #[inline]
    fn kind_str(&self) -> &'static str {
        match self.kind_id() {
            u16::MAX => "ERROR",
            0xFFFE => "_ERROR",
            id => names().kinds.get(id as usize).copied().unwrap_or(""),
        }
    }

    #[inline]
    fn field(&self, name: &str) -> Option<Node<'t>> {
        let (_, id) = names()
            .fields
            .get(name.len())?
            .iter()
            .find(|(n, _)| *n == name)?;
        self.child_by_field_id(*id)
    }
}

/// The source text of `node` (empty if the range is not on char boundaries).
#[inline]
pub(crate) fn text<'s>(node: Node, src: &'s str) -> &'s str {
    src.get(node.byte_range()).unwrap_or("")
}

/// `recv.name(args)` (also `recv.name::<T>(args)`): the receiver, the method name node and the
/// argument list.
pub(crate) fn method_call(call: Node) -> Option<(Node, Node, Node)> {
    if call.kind_str() != "call_expression" {
        return None;
    }
    let mut f = call.field("function")?;
    if f.kind_str() == "generic_function" {
        f = f.field("function")?;
    }
    if f.kind_str() != "field_expression" {
        return None;
    }
    let recv = f.field("value")?;
    let name = f.field("field")?;
    let args = call.field("arguments")?;
    Some((recv, name, args))
}

/// `Path::name(args)`: the path's text before the last `::`, the name, and the arguments.
pub(crate) fn path_call<'s>(call: Node<'_>, src: &'s str) -> Option<(&'s str, &'s str)> {
    if call.kind_str() != "call_expression" {
        return None;
    }
    let f = call.field("function")?;
    let f = if f.kind_str() == "generic_function" {
        f.field("function")?
    } else {
        f
    };
    if f.kind_str() != "scoped_identifier" {
        return None;
    }
    let name = f.field("name")?;
    let path = f.field("path")?;
    Some((last_segment(text(path, src)), text(name, src)))
}

/// The last `::` segment of a path, without generic arguments: `std::vec::Vec` → `Vec`,
/// `Vec::<u8>` → `Vec`.
pub(crate) fn last_segment(path: &str) -> &str {
    let path = path
        .split('<')
        .next()
        .unwrap_or(path)
        .trim_end_matches("::");
    path.rsplit("::").next().unwrap_or(path).trim()
}

/// The single argument of an argument list, if there is exactly one (comments aside).
pub(crate) fn single_arg(args: Node) -> Option<Node> {
    let mut c = args.walk();
    let mut it = args.named_children(&mut c).filter(|n| !is_comment(*n));
    let first = it.next()?;
    it.next().is_none().then_some(first)
}

pub(crate) fn is_comment(node: Node) -> bool {
    matches!(node.kind_str(), "line_comment" | "block_comment")
}

/// A plain or raw string literal (not a byte string: its text starts with `"` or `r`).
pub(crate) fn is_str_literal(node: Node, src: &str) -> bool {
    match node.kind_str() {
        "string_literal" => text(node, src).starts_with('"'),
        "raw_string_literal" => text(node, src).starts_with('r'),
        _ => false,
    }
}

/// Skips parentheses: `((x))` → `x`.
pub(crate) fn unparen(mut node: Node) -> Node {
    while node.kind_str() == "parenthesized_expression" {
        match node.named_child(0) {
            Some(inner) => node = inner,
            None => break,
        }
    }
    node
}

/// The parent, skipping parentheses.
pub(crate) fn parent_unparen(node: Node) -> Option<Node> {
    let mut p = node.parent()?;
    while p.kind_str() == "parenthesized_expression" {
        p = p.parent()?;
    }
    Some(p)
}

/// Whether `inner` lies within `outer` (byte ranges).
#[inline]
pub(crate) fn within(inner: &Range<usize>, outer: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

/// Whether a function-like node (`function_item`, `closure_expression`) or an item boundary.
pub(crate) fn is_fn_boundary(node: Node) -> bool {
    matches!(
        node.kind_str(),
        "function_item" | "closure_expression" | "impl_item" | "trait_item" | "mod_item"
    )
}

/// Whether an expression is a "place" made only of locals, `self`, field accesses and
/// derefs (`a`, `self.x.y`, `*r`, `a.0`). Index expressions are not included.
pub(crate) fn is_simple_place(node: Node) -> bool {
    let node = unparen(node);
    match node.kind_str() {
        "identifier" | "self" => true,
        "field_expression" => node.field("value").is_some_and(is_simple_place),
        "unary_expression" => {
            node.child(0).is_some_and(|op| op.kind_str() == "*")
                && node.named_child(0).is_some_and(is_simple_place)
        }
        _ => false,
    }
}

/// Whether an expression can take a method call (`.m()`) without parentheses.
pub(crate) fn is_postfix_operand(node: Node) -> bool {
    matches!(
        node.kind_str(),
        "identifier"
            | "self"
            | "field_expression"
            | "call_expression"
            | "macro_invocation"
            | "index_expression"
            | "parenthesized_expression"
            | "string_literal"
            | "raw_string_literal"
            | "scoped_identifier"
            | "try_expression"
            | "await_expression"
            | "array_expression"
            | "tuple_expression"
            | "char_literal"
            | "boolean_literal"
            | "unit_expression"
            | "generic_function"
    )
}

/// The statement-level ancestor of `node` that is a direct child of a `block` (or `node`
/// itself), and that block.
pub(crate) fn statement_in_block(node: Node) -> Option<(Node, Node)> {
    let mut n = node;
    loop {
        let p = n.parent()?;
        if p.kind_str() == "block" {
            return Some((n, p));
        }
        if is_fn_boundary(p) {
            return None;
        }
        n = p;
    }
}

/// The indentation (spaces and tabs) of the line that `byte` is on.
pub(crate) fn line_indent(src: &str, byte: usize) -> &str {
    let line_start = src[..byte].rfind('\n').map_or(0, |i| i + 1);
    let rest = &src[line_start..];
    let end = rest
        .find(|c: char| c != ' ' && c != '\t')
        .unwrap_or(rest.len());
    &rest[..end]
}

/// Whether the token `n` is directly one of macro `mac`'s arguments (not inside a nested
/// group of its token tree).
pub(crate) fn is_macro_arg(n: Node, mac: Node) -> bool {
    n.parent()
        .and_then(|tt| tt.parent())
        .is_some_and(|m| m.id() == mac.id())
}

/// Whether `name` is a macro that only formats its arguments by reference (`format!`,
/// `println!`, `write!`, `assert!`, the `log` macros, …).
pub(crate) fn is_formatting_macro(name: &str) -> bool {
    matches!(
        last_segment(name),
        "format"
            | "print"
            | "println"
            | "eprint"
            | "eprintln"
            | "write"
            | "writeln"
            | "panic"
            | "format_args"
            | "unreachable"
            | "todo"
            | "unimplemented"
            | "assert"
            | "debug_assert"
            | "trace"
            | "debug"
            | "info"
            | "warn"
            | "error"
    )
}

/// Whether `name` compares its first two arguments by reference (`assert_eq!`, …).
pub(crate) fn is_comparing_macro(name: &str) -> bool {
    matches!(
        last_segment(name),
        "assert_eq" | "assert_ne" | "debug_assert_eq" | "debug_assert_ne"
    )
}

/// Whether a format string literal's text contains an inline capture of `name`: `{name}` or
/// `{name:…}`.
pub(crate) fn captures(lit: &str, name: &str) -> bool {
    let mut rest = lit;
    while let Some(i) = rest.find('{') {
        rest = &rest[i + 1..];
        if let Some(after) = rest.strip_prefix(name) {
            if after.starts_with('}') || after.starts_with(':') {
                // `{{name}` is an escaped brace followed by text, not a capture.
                let before = &lit[..lit.len() - rest.len() - 1];
                if !before.ends_with('{') || before.ends_with("{{{") {
                    return true;
                }
            }
        }
    }
    false
}

/// The tail expression of a block, if it has one: the last expression without a `;`.
pub(crate) fn block_tail(block: Node) -> Option<Node> {
    let mut c = block.walk();
    let last = block
        .named_children(&mut c)
        .filter(|n| !is_comment(*n))
        .last()?;
    match last.kind_str() {
        "expression_statement" => {
            let has_semi = last
                .child(last.child_count().saturating_sub(1))
                .is_some_and(|t| t.kind_str() == ";");
            if has_semi {
                None
            } else {
                last.named_child(0)
            }
        }
        "let_declaration" | "empty_statement" => None,
        k if k.ends_with("_item") || k == "macro_definition" || k == "attribute_item" => None,
        _ => Some(last),
    }
}

/// Whether a macro call never returns (`panic!`, `unreachable!`, `todo!`, `unimplemented!`).
pub(crate) fn is_diverging_macro(node: Node, src: &str) -> bool {
    node.kind_str() == "macro_invocation"
        && node.field("macro").is_some_and(|m| {
            matches!(
                last_segment(text(m, src)),
                "panic" | "unreachable" | "todo" | "unimplemented"
            )
        })
}

/// Calls `f` with every expression a function body can return: the tail (through `if`, `match`
/// and blocks) and the value of every `return` outside nested closures, fns and async blocks.
/// Diverging tails (`panic!`, `return`, `break`, `continue`) are skipped; anything else that is
/// not a plain value (a `loop`, a labelled block) is passed as is, for the caller to reject.
pub(crate) fn for_each_return<'t>(body: Node<'t>, src: &str, f: &mut impl FnMut(Node<'t>)) {
    tail_values(body, src, f);
    let mut stack = vec![body];
    let mut c = body.walk();
    while let Some(n) = stack.pop() {
        if n.kind_str() == "return_expression" {
            if let Some(v) = n.named_child(0) {
                tail_values(v, src, f);
            }
        }
        if n.id() != body.id()
            && matches!(
                n.kind_str(),
                "closure_expression" | "function_item" | "async_block" | "token_tree"
            )
        {
            continue;
        }
        stack.extend(n.named_children(&mut c));
    }
}

fn tail_values<'t>(e: Node<'t>, src: &str, f: &mut impl FnMut(Node<'t>)) {
    let e = unparen(e);
    match e.kind_str() {
        "block" => {
            if let Some(t) = block_tail(e) {
                tail_values(t, src, f);
            } else if !block_diverges(e, src) {
                f(e);
            }
        }
        "unsafe_block" => match e
            .named_children(&mut e.walk())
            .find(|c| c.kind_str() == "block")
        {
            Some(b) => tail_values(b, src, f),
            None => f(e),
        },
        "if_expression" => {
            if let Some(b) = e.field("consequence") {
                tail_values(b, src, f);
            }
            match e.field("alternative").and_then(|a| a.named_child(0)) {
                Some(a) => tail_values(a, src, f),
                None => f(e),
            }
        }
        "match_expression" => {
            if let Some(body) = e.field("body") {
                let mut c = body.walk();
                for arm in body
                    .named_children(&mut c)
                    .filter(|a| a.kind_str() == "match_arm")
                {
                    if let Some(v) = arm.field("value") {
                        tail_values(v, src, f);
                    }
                }
            }
        }
        "return_expression" | "break_expression" | "continue_expression" => {}
        _ if is_diverging_macro(e, src) => {}
        _ => f(e),
    }
}

/// Whether a block without a tail ends in a statement that leaves the block (`return x;`,
/// `panic!(..);`, `continue;`).
fn block_diverges(block: Node, src: &str) -> bool {
    let mut c = block.walk();
    let Some(last) = block
        .named_children(&mut c)
        .filter(|n| !is_comment(*n))
        .last()
    else {
        return false;
    };
    let inner = if last.kind_str() == "expression_statement" {
        last.named_child(0)
    } else {
        Some(last)
    };
    inner.is_some_and(|i| {
        matches!(
            i.kind_str(),
            "return_expression" | "break_expression" | "continue_expression"
        ) || is_diverging_macro(i, src)
    })
}

/// Methods that grow, shrink or replace an owned collection, or that only the owned type has:
/// a parameter used with one of these needs the owned type.
pub(crate) fn needs_owned(method: &str) -> bool {
    matches!(
        method,
        "push"
            | "push_str"
            | "push_back"
            | "push_front"
            | "insert"
            | "insert_str"
            | "extend"
            | "extend_from_slice"
            | "extend_from_within"
            | "append"
            | "truncate"
            | "pop"
            | "remove"
            | "clear"
            | "drain"
            | "retain"
            | "retain_mut"
            | "dedup"
            | "dedup_by"
            | "dedup_by_key"
            | "reserve"
            | "reserve_exact"
            | "try_reserve"
            | "try_reserve_exact"
            | "shrink_to_fit"
            | "shrink_to"
            | "resize"
            | "resize_with"
            | "split_off"
            | "set_len"
            | "swap_remove"
            | "splice"
            | "set_file_name"
            | "set_extension"
            | "capacity"
            | "as_mut_vec"
            | "as_mut_os_string"
            | "as_mut_os_str"
            | "spare_capacity_mut"
            | "allocator"
            | "leak"
            | "replace_range"
            | "make_contiguous"
            | "as_mut_ptr_range"
            | "into_boxed_slice"
            | "into_boxed_str"
            | "into_bytes"
            | "into_string"
            | "into_os_string"
            | "into_boxed_path"
            | "into_raw_parts"
            | "into_iter"
            | "into_inner"
    )
}

/// Methods whose meaning depends on the receiver's exact type (trait methods with a generic
/// target or a `Self` argument): the borrowed form may pick another impl or not compile.
pub(crate) fn type_sensitive(method: &str) -> bool {
    matches!(
        method,
        "as_ref"
            | "as_mut"
            | "borrow"
            | "borrow_mut"
            | "into"
            | "try_into"
            | "eq"
            | "ne"
            | "cmp"
            | "partial_cmp"
            | "lt"
            | "le"
            | "gt"
            | "ge"
            | "deref"
            | "deref_mut"
            | "type_id"
            | "hash"
            | "max"
            | "min"
            | "clamp"
    )
}

/// Whether a closure is passed to an iterator method that calls it once per item.
pub(crate) fn is_callback_closure(closure: Node, src: &str) -> bool {
    let Some(call) = closure
        .parent()
        .filter(|a| a.kind_str() == "arguments")
        .and_then(|a| a.parent())
    else {
        return false;
    };
    method_call(call).is_some_and(|(_, m, _)| {
        matches!(
            text(m, src),
            "for_each"
                | "try_for_each"
                | "map"
                | "filter"
                | "filter_map"
                | "flat_map"
                | "fold"
                | "try_fold"
                | "any"
                | "all"
                | "find"
                | "find_map"
                | "position"
                | "inspect"
                | "scan"
                | "retain"
                | "map_while"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_finds_inline_names_only() {
        assert!(captures("\"{x}\"", "x"));
        assert!(captures("\"a {x:>8} b\"", "x"));
        assert!(!captures("\"{xy}\"", "x"));
        assert!(!captures("\"{{x}}\"", "x"));
        assert!(!captures("\"{}\"", "x"));
    }

    #[test]
    fn last_segment_strips_paths_and_generics() {
        assert_eq!(last_segment("std::vec::Vec"), "Vec");
        assert_eq!(last_segment("Vec::<u8>"), "Vec");
        assert_eq!(last_segment("String"), "String");
    }
}
