//! Small syntax helpers shared by the Python rules: literals, statements, indentation, text
//! edits that move or delete whole lines.

use tree_sitter::Node;

/// `node` without redundant parentheses around it.
pub fn unparen(mut node: Node) -> Node {
    while node.kind() == "parenthesized_expression" && node.named_child_count() == 1 {
        match node.named_child(0) {
            Some(inner) if inner.kind() != "comment" => node = inner,
            _ => break,
        }
    }
    node
}

/// The prefix letters of a string literal (`b`, `f`, `rb`, …), lowercased.
fn string_prefix<'s>(node: Node, src: &'s str) -> &'s str {
    let text = &src[node.byte_range()];
    let end = text.find(['"', '\'']).unwrap_or(0);
    &text[..end]
}

/// Whether `node` is a `str` literal: a string (plain, raw or f-string, not bytes) or an
/// implicit concatenation of such.
pub fn is_str_literal(node: Node, src: &str) -> bool {
    let node = unparen(node);
    match node.kind() {
        "string" => !string_prefix(node, src).contains(['b', 'B']),
        "concatenated_string" => {
            let mut c = node.walk();
            let all = node
                .named_children(&mut c)
                .all(|s| s.kind() == "string" && is_str_literal(s, src));
            all
        }
        _ => false,
    }
}

/// Whether `node` is a bytes literal (`b"…"`, or an implicit concatenation of them).
pub fn is_bytes_literal(node: Node, src: &str) -> bool {
    let node = unparen(node);
    match node.kind() {
        "string" => string_prefix(node, src).contains(['b', 'B']),
        "concatenated_string" => node
            .named_child(0)
            .is_some_and(|s| is_bytes_literal(s, src)),
        _ => false,
    }
}

/// Whether a string node is an f-string with at least one `{…}` replacement field.
pub fn is_interpolated(node: Node) -> bool {
    let mut c = node.walk();
    let found = node
        .named_children(&mut c)
        .any(|n| n.kind() == "interpolation");
    found
}

/// A literal whose value is a hashable constant CPython folds at compile time: numbers, `str`
/// and bytes literals without replacement fields, `None`, `True`, `False`, `...`, negated
/// numbers and tuples of those.
pub fn is_constant(node: Node) -> bool {
    let node = unparen(node);
    match node.kind() {
        "integer" | "float" | "true" | "false" | "none" | "ellipsis" => true,
        "string" => !is_interpolated(node),
        "concatenated_string" => {
            let mut c = node.walk();
            let all = node
                .named_children(&mut c)
                .all(|s| s.kind() == "string" && !is_interpolated(s));
            all
        }
        "unary_operator" => {
            node.child_by_field_name("operator")
                .is_some_and(|o| matches!(o.kind(), "-" | "+"))
                && node
                    .child_by_field_name("argument")
                    .is_some_and(|a| matches!(unparen(a).kind(), "integer" | "float"))
        }
        "tuple" => {
            let mut c = node.walk();
            let all = node
                .named_children(&mut c)
                .filter(|n| n.kind() != "comment")
                .all(|n| is_constant(n));
            all
        }
        _ => false,
    }
}

/// The statement that contains `node`: the ancestor (or `node` itself) whose parent is a
/// `block` or the `module`.
pub fn statement_of(node: Node) -> Option<Node> {
    let mut n = node;
    loop {
        let parent = n.parent()?;
        if matches!(parent.kind(), "block" | "module") {
            return Some(n);
        }
        n = parent;
    }
}

/// The indentation before `node` when it starts its line (only spaces and tabs before it).
pub fn indent_of<'s>(src: &'s str, node: Node) -> Option<&'s str> {
    let start = node.start_byte();
    let line_start = line_start(src, start);
    let indent = &src[line_start..start];
    indent
        .bytes()
        .all(|b| b == b' ' || b == b'\t')
        .then_some(indent)
}

/// The byte offset at which the line containing `at` starts.
pub fn line_start(src: &str, at: usize) -> usize {
    src[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// The byte offset just past the end of the line containing `at` (after its `\n`).
pub fn line_end(src: &str, at: usize) -> usize {
    src[at..].find('\n').map_or(src.len(), |i| at + i + 1)
}

/// The range of whole lines a statement occupies, from its line start to past its last newline,
/// when nothing but whitespace (or a trailing comment) shares those lines. For deleting it.
pub fn whole_lines(src: &str, stmt: Node) -> Option<std::ops::Range<usize>> {
    indent_of(src, stmt)?;
    let start = line_start(src, stmt.start_byte());
    let end = line_end(src, stmt.end_byte());
    let tail = src[stmt.end_byte()..end].trim();
    (tail.is_empty() || tail.starts_with('#')).then_some(start..end)
}

/// Whether the subtree at `node` contains an identifier spelled `name`.
pub fn mentions(node: Node, src: &str, name: &str) -> bool {
    if node.kind() == "identifier" {
        return &src[node.byte_range()] == name;
    }
    let mut c = node.walk();
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        if n.kind() == "identifier" && &src[n.byte_range()] == name {
            return true;
        }
        if n.kind() == "attribute" {
            // `a.name` does not mention `name` as a variable.
            if let Some(obj) = n.child_by_field_name("object") {
                stack.push(obj);
            }
            continue;
        }
        if n.kind() == "keyword_argument" {
            if let Some(v) = n.child_by_field_name("value") {
                stack.push(v);
            }
            continue;
        }
        stack.extend(n.children(&mut c));
    }
    false
}

/// Whether the subtree contains a node of one of `kinds`.
pub fn contains_kind(node: Node, kinds: &[&str]) -> bool {
    let mut c = node.walk();
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        if kinds.contains(&n.kind()) {
            return true;
        }
        stack.extend(n.children(&mut c));
    }
    false
}

/// The named, non-comment statements of a `block` (or `module`).
pub fn statements(block: Node) -> Vec<Node> {
    let mut c = block.walk();
    block
        .named_children(&mut c)
        .filter(|n| n.kind() != "comment")
        .collect()
}

/// Whether `block` holds a comment anywhere inside.
pub fn has_comment(node: Node) -> bool {
    contains_kind(node, &["comment"])
}

/// The callee of `call` as `(receiver, method)` when it is `receiver.method(…)`.
pub fn method_call<'t>(call: Node<'t>) -> Option<(Node<'t>, Node<'t>)> {
    if call.kind() != "call" {
        return None;
    }
    let f = call.child_by_field_name("function")?;
    if f.kind() != "attribute" {
        return None;
    }
    Some((
        f.child_by_field_name("object")?,
        f.child_by_field_name("attribute")?,
    ))
}

/// The arguments of a call, without comments.
pub fn call_args(call: Node) -> Vec<Node> {
    let Some(args) = call.child_by_field_name("arguments") else {
        return Vec::new();
    };
    if args.kind() != "argument_list" {
        return vec![args]; // a bare generator expression argument
    }
    let mut c = args.walk();
    args.named_children(&mut c)
        .filter(|n| n.kind() != "comment")
        .collect()
}

/// The statement-level call `recv.method(…)` of an expression statement, if that is all it is.
pub fn expression_call(stmt: Node) -> Option<Node> {
    if stmt.kind() != "expression_statement" || stmt.named_child_count() != 1 {
        return None;
    }
    stmt.named_child(0).filter(|n| n.kind() == "call")
}

/// Whether reaching `node` always leaves `lp` on the same pass: between `node` and the loop's
/// body, the statement holding it is (or is followed in its block by) a `return`, `raise` or
/// `break`. Such code runs at most once per run of the loop.
pub fn leaves_loop_after(node: Node, lp: Node) -> bool {
    let body = lp.child_by_field_name("body");
    let mut n = node;
    while let Some(parent) = n.parent() {
        if parent.kind() == "block" {
            let mut sib = Some(n);
            while let Some(s) = sib {
                if matches!(
                    s.kind(),
                    "return_statement" | "raise_statement" | "break_statement"
                ) {
                    return true;
                }
                sib = s.next_named_sibling();
            }
            if Some(parent) == body {
                return false;
            }
        }
        if parent.id() == lp.id() {
            return false;
        }
        n = parent;
    }
    false
}

/// Whether `name` is a plain identifier (so it can be used to build new names from).
pub fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{parse_str, DEFAULT_PARSE_BUDGET};
    use crate::language::Lang;

    fn expr(src: &str) -> (tree_sitter::Tree, String) {
        (
            parse_str(Lang::Python, src, DEFAULT_PARSE_BUDGET).unwrap(),
            src.to_owned(),
        )
    }

    fn first_expr(tree: &tree_sitter::Tree) -> Node<'_> {
        tree.root_node()
            .named_child(0)
            .unwrap()
            .named_child(0)
            .unwrap()
    }

    #[test]
    fn literals() {
        for (src, s, b, k) in [
            ("'a'", true, false, true),
            ("f'{a}'", true, false, false),
            ("b'a' b'c'", false, true, true),
            ("(-1.5)", false, false, true),
            ("(1, 'a', None)", false, false, true),
            ("(1, a)", false, false, false),
            ("x", false, false, false),
        ] {
            let (t, text) = expr(src);
            let n = first_expr(&t);
            assert_eq!(is_str_literal(n, &text), s, "{src}");
            assert_eq!(is_bytes_literal(n, &text), b, "{src}");
            assert_eq!(is_constant(n), k, "{src}");
        }
    }

    #[test]
    fn lines_and_mentions() {
        let (t, src) = expr("if a:\n    x = b.c(y=z)  # note\n    w = 1; v = 2\n");
        let block = t
            .root_node()
            .named_child(0)
            .unwrap()
            .child_by_field_name("consequence")
            .unwrap();
        let stmts = statements(block);
        assert_eq!(indent_of(&src, stmts[0]), Some("    "));
        assert_eq!(
            &src[whole_lines(&src, stmts[0]).unwrap()],
            "    x = b.c(y=z)  # note\n"
        );
        assert_eq!(whole_lines(&src, stmts[1]), None);
        assert_eq!(indent_of(&src, stmts[2]), None);
        assert!(mentions(stmts[0], &src, "z") && mentions(stmts[0], &src, "b"));
        assert!(!mentions(stmts[0], &src, "c") && !mentions(stmts[0], &src, "y"));
    }
}
