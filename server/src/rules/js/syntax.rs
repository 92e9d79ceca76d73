//! Small syntax helpers shared by the JS/TS rules. Kind names differ between the JavaScript
//! grammar (tree-sitter-javascript) and the TypeScript/TSX grammars; every helper here accepts
//! the spellings of both.

use std::borrow::Cow;

use tree_sitter::{Node, TreeCursor};

/// Function-like nodes whose body has its own `this`/`arguments` (everything but arrows).
pub(crate) fn is_non_arrow_function(kind: &str) -> bool {
    matches!(
        kind,
        "function_declaration"
            | "function_expression"
            | "function"
            | "generator_function_declaration"
            | "generator_function"
            | "method_definition"
    )
}

/// Closure expressions: values created each time they are evaluated.
pub(crate) fn is_closure(kind: &str) -> bool {
    matches!(
        kind,
        "arrow_function" | "function_expression" | "function" | "generator_function"
    )
}

/// Every function-like node (a new variable scope for parameters and `var`).
pub(crate) fn is_function_like(kind: &str) -> bool {
    kind == "arrow_function" || is_non_arrow_function(kind)
}

/// Class declarations and expressions in either grammar.
pub(crate) fn is_class(kind: &str) -> bool {
    matches!(
        kind,
        "class_declaration" | "class" | "abstract_class_declaration"
    )
}

/// Strips parentheses.
pub(crate) fn unparen(mut node: Node) -> Node {
    while node.kind() == "parenthesized_expression" {
        match node.named_child(0) {
            Some(inner) if inner.kind() != "comment" => node = inner,
            _ => break,
        }
    }
    node
}

/// Strips parentheses and TS-only wrappers that do not exist at runtime (`x as T`, `x!`,
/// `<T>x`, `x satisfies T`), but not `as const`.
pub(crate) fn unwrap_expr(mut node: Node) -> Node {
    loop {
        node = unparen(node);
        match node.kind() {
            "as_expression" | "satisfies_expression" => {
                let is_const = {
                    let mut c = node.walk();
                    let any = node.children(&mut c).any(|n| n.kind() == "const");
                    any
                };
                if is_const {
                    return node;
                }
            }
            "non_null_expression" | "type_assertion" => {}
            _ => return node,
        }
        let mut c = node.walk();
        let inner = node.named_children(&mut c).find(|n| {
            !matches!(n.kind(), "type_arguments" | "comment")
                && !n.kind().ends_with("_type")
                && n.kind() != "type_identifier"
        });
        match inner {
            Some(i) => node = i,
            None => return node,
        }
    }
}

/// The parent, skipping parentheses and runtime-transparent TS wrappers.
pub(crate) fn parent_skipping_wrappers(node: Node) -> Option<Node> {
    let mut p = node.parent()?;
    while matches!(
        p.kind(),
        "parenthesized_expression"
            | "as_expression"
            | "satisfies_expression"
            | "non_null_expression"
            | "type_assertion"
    ) {
        p = p.parent()?;
    }
    Some(p)
}

/// The method name of a call `recv.name(...)`, with the receiver and the argument list.
pub(crate) fn method_call<'t>(
    call: Node<'t>,
    src: &'t str,
) -> Option<(Node<'t>, &'t str, Node<'t>)> {
    if call.kind() != "call_expression" {
        return None;
    }
    let callee = call.child_by_field_name("function")?;
    let args = call.child_by_field_name("arguments")?;
    if callee.kind() != "member_expression" || args.kind() != "arguments" {
        return None;
    }
    let prop = callee.child_by_field_name("property")?;
    if prop.kind() != "property_identifier" {
        return None;
    }
    let recv = callee.child_by_field_name("object")?;
    Some((recv, src.get(prop.byte_range())?, args))
}

/// Named children of a node (an argument list, array, object, block), without comments.
pub(crate) fn elements(list: Node) -> Elements {
    Elements {
        cursor: list.walk(),
        started: false,
    }
}

pub(crate) struct Elements<'t> {
    cursor: TreeCursor<'t>,
    started: bool,
}

impl<'t> Iterator for Elements<'t> {
    type Item = Node<'t>;

    fn next(&mut self) -> Option<Node<'t>> {
        loop {
            let moved = if self.started {
                self.cursor.goto_next_sibling()
            } else {
                self.started = true;
                self.cursor.goto_first_child()
            };
            if !moved {
                return None;
            }
            let n = self.cursor.node();
            if n.is_named() && n.kind() != "comment" {
                return Some(n);
            }
        }
    }
}

/// Whether a member expression uses optional chaining (`a?.b`).
pub(crate) fn is_optional_member(node: Node) -> bool {
    let mut c = node.walk();
    let any = node.children(&mut c).any(|n| n.kind() == "optional_chain");
    any
}

/// The value of a JS numeric literal (decimal, `0x`, `0o`, `0b`, separators). `None` for BigInt,
/// legacy octal (`017`) and anything malformed.
pub(crate) fn number_value(text: &str) -> Option<f64> {
    if text.ends_with('n') {
        return None;
    }
    let cleaned: Cow<str> = if text.contains('_') {
        Cow::Owned(text.replace('_', ""))
    } else {
        Cow::Borrowed(text)
    };
    let t = cleaned.as_ref();
    let radix = match t.get(..2) {
        Some("0x" | "0X") => 16,
        Some("0o" | "0O") => 8,
        Some("0b" | "0B") => 2,
        _ => 10,
    };
    if radix != 10 {
        let digits = &t[2..];
        if digits.is_empty() {
            return None;
        }
        let mut v = 0f64;
        for ch in digits.chars() {
            v = v * radix as f64 + ch.to_digit(radix)? as f64;
        }
        return Some(v);
    }
    let b = t.as_bytes();
    if b.len() > 1 && b[0] == b'0' && b[1].is_ascii_digit() {
        return None; // legacy octal or a sloppy-mode decimal with a leading zero
    }
    if !t
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    let normalized: Cow<str> = if t.starts_with('.') {
        Cow::Owned(format!("0{t}"))
    } else {
        Cow::Borrowed(t)
    };
    normalized.parse::<f64>().ok()
}

/// The range of small integers V8 stores unboxed (SMIs) on 64-bit builds with pointer
/// compression: 31-bit signed.
pub(crate) fn is_smi(v: f64) -> bool {
    v.fract() == 0.0
        && (-1_073_741_824.0..=1_073_741_823.0).contains(&v)
        && !(v == 0.0 && v.is_sign_negative())
}

/// The name a property key denotes, when it is static: `a`, `"a"`, `'a'`. Strings with escapes
/// and computed keys give `None`. Numeric keys are returned as written (callers that care
/// about integer indices check with [`is_index_key`]).
pub(crate) fn static_key<'s>(key: Node, src: &'s str) -> Option<&'s str> {
    match key.kind() {
        "property_identifier"
        | "shorthand_property_identifier"
        | "identifier"
        | "private_property_identifier" => src.get(key.byte_range()),
        "string" => string_content(key, src),
        "number" => src.get(key.byte_range()),
        _ => None,
    }
}

/// The content of a string literal without escapes (`None` when it has escape sequences).
pub(crate) fn string_content<'s>(node: Node, src: &'s str) -> Option<&'s str> {
    if node.kind() != "string" {
        return None;
    }
    let mut c = node.walk();
    if node
        .named_children(&mut c)
        .any(|n| n.kind() == "escape_sequence")
    {
        return None;
    }
    let t = src.get(node.byte_range())?;
    t.get(1..t.len().checked_sub(1)?)
}

/// Whether a property name is an array index (canonical non-negative integer), which V8 stores
/// as an element rather than a named property.
pub(crate) fn is_index_key(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_digit())
        && (name == "0" || !name.starts_with('0'))
        && name.len() <= 10
}

/// Visits `node` and its named descendants in source order with a single cursor (creating a
/// cursor per node would allocate per node). `visit` returns whether to look inside the node;
/// returning `None` stops the walk.
pub(crate) fn visit<'t>(node: Node<'t>, mut visit: impl FnMut(Node<'t>) -> Option<bool>) {
    let mut cursor = node.walk();
    loop {
        let n = cursor.node();
        let descend = if n.is_named() {
            match visit(n) {
                Some(d) => d,
                None => return,
            }
        } else {
            false // a token: nothing named inside
        };
        if descend && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.node() == node {
                return;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
        }
    }
}

/// Calls `f` for each `this.key = …` in `member`, in source order, not looking into nested non-arrow functions
/// or classes (their `this` is another object).
pub(crate) fn for_this_assignments<'t, 's>(
    member: Node<'t>,
    src: &'s str,
    f: &mut impl FnMut(Node<'t>, &'s str),
) {
    visit(member, |n| {
        if n != member
            && ((n.kind() != "arrow_function" && is_function_like(n.kind())) || is_class(n.kind()))
        {
            return Some(false);
        }
        if n.kind() == "assignment_expression" {
            if let Some(left) = n
                .child_by_field_name("left")
                .filter(|l| l.kind() == "member_expression")
            {
                if left
                    .child_by_field_name("object")
                    .is_some_and(|o| o.kind() == "this")
                {
                    if let Some(p) = left
                        .child_by_field_name("property")
                        .filter(|p| p.kind() == "property_identifier")
                    {
                        f(n, &src[p.byte_range()]);
                    }
                }
            }
        }
        Some(true)
    });
}

/// Whether an identifier named `name` occurs anywhere in `node` as a variable reference
/// (identifiers and shorthand properties; property names after `.` are a different kind).
pub(crate) fn mentions(node: Node, name: &str, src: &str) -> bool {
    let Some(text) = src.get(node.byte_range()) else {
        return false;
    };
    if !text.contains(name) {
        return false;
    }
    let mut found = false;
    visit(node, |n| {
        if matches!(
            n.kind(),
            "identifier"
                | "shorthand_property_identifier"
                | "shorthand_property_identifier_pattern"
        ) && src.get(n.byte_range()) == Some(name)
        {
            found = true;
            return None;
        }
        Some(true)
    });
    found
}

/// Whether any identifier token equal to `name` appears in the text of `node`: a conservative
/// check for choosing fresh names (it also counts property names and strings).
pub(crate) fn name_taken(node: Node, name: &str, src: &str) -> bool {
    let Some(text) = src.get(node.byte_range()) else {
        return true;
    };
    let bytes = text.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$';
    let mut from = 0;
    while let Some(i) = text[from..].find(name) {
        let s = from + i;
        let e = s + name.len();
        let before = s.checked_sub(1).map(|j| bytes[j]);
        let after = bytes.get(e).copied();
        if !before.is_some_and(ident) && !after.is_some_and(ident) {
            return true;
        }
        from = s + 1;
    }
    false
}

/// The indentation (leading spaces/tabs) of the line holding byte `at`.
pub(crate) fn line_indent(src: &str, at: usize) -> &str {
    let start = src[..at].rfind('\n').map_or(0, |i| i + 1);
    let rest = &src[start..];
    let end = rest
        .find(|c: char| c != ' ' && c != '\t')
        .unwrap_or(rest.len());
    &rest[..end]
}

/// Whether code runs once per program rather than once per call: it is not inside a function,
/// or only inside functions called on the spot (IIFEs, `(function () { … }).call(this)`) and AMD
/// module factories (`define([…], function (…) { … })`). `ancestors` yields the code's parent,
/// grandparent, … outwards (cheap: no `Node::parent` calls, which walk down from the root).
pub(crate) fn evaluated_once_from<'t>(
    ancestors: impl Iterator<Item = Node<'t>> + Clone,
    src: &str,
) -> bool {
    let mut it = ancestors;
    while let Some(a) = it.next() {
        if is_function_like(a.kind()) && !runs_on_the_spot(a, it.clone(), src) {
            return false;
        }
    }
    true
}

/// [`evaluated_once_from`] for the node a rule is looking at.
pub(crate) fn evaluated_once(cx: &crate::engine::Ctx) -> bool {
    evaluated_once_from(cx.ancestor_frames().iter().rev().map(|f| f.node), cx.src())
}

/// `ancestors` yields the function's parent, grandparent, … outwards.
fn runs_on_the_spot<'t>(
    func: Node<'t>,
    mut ancestors: impl Iterator<Item = Node<'t>>,
    src: &str,
) -> bool {
    let mut child = func;
    let Some(mut parent) = ancestors.next() else {
        return false;
    };
    while parent.kind() == "parenthesized_expression" {
        child = parent;
        match ancestors.next() {
            Some(p) => parent = p,
            None => return false,
        }
    }
    match parent.kind() {
        "call_expression" => parent.child_by_field_name("function") == Some(child),
        "member_expression" => {
            parent
                .child_by_field_name("property")
                .is_some_and(|p| matches!(&src[p.byte_range()], "call" | "apply"))
                && ancestors
                    .next()
                    .is_some_and(|c| c.kind() == "call_expression")
        }
        "arguments" => ancestors.next().is_some_and(|call| {
            call.kind() == "call_expression"
                && call
                    .child_by_field_name("function")
                    .is_some_and(|f| &src[f.byte_range()] == "define")
        }),
        _ => false,
    }
}

/// Side-effect-free to evaluate, and cheap to reorder: literals, plain identifiers, `this`,
/// closures (creating one runs nothing), and array/object literals and unary `-`/`+`/`!` of
/// those.
pub(crate) fn is_pure(node: Node) -> bool {
    let node = unparen(node);
    match node.kind() {
        "number" | "string" | "true" | "false" | "null" | "undefined" | "identifier" | "this"
        | "regex" => true,
        "template_string" => {
            let mut c = node.walk();
            let plain = node
                .named_children(&mut c)
                .all(|n| n.kind() != "template_substitution");
            plain
        }
        "arrow_function" | "function_expression" | "function" | "generator_function" => true,
        "unary_expression" => {
            let op = node.child_by_field_name("operator").map(|o| o.kind());
            matches!(op, Some("-" | "+" | "!"))
                && node
                    .child_by_field_name("argument")
                    .is_some_and(is_pure_primitive)
        }
        "array" => elements(node).all(|e| e.kind() != "spread_element" && is_pure(e)),
        "object" => elements(node).all(|p| match p.kind() {
            "pair" => {
                p.child_by_field_name("key")
                    .is_some_and(|k| k.kind() != "computed_property_name")
                    && p.child_by_field_name("value").is_some_and(is_pure)
            }
            "shorthand_property_identifier" => true,
            _ => false,
        }),
        _ => false,
    }
}

/// A literal primitive (number, string, boolean, null) — operands of unary operators that cannot
/// run user code.
fn is_pure_primitive(node: Node) -> bool {
    matches!(
        unparen(node).kind(),
        "number" | "string" | "true" | "false" | "null"
    )
}

/// The declaration of `name` visible from `from`: the block holding it and the declarator.
/// `None` when `name` is a parameter or not declared in the file.
pub(crate) fn find_declaration<'t>(
    from: Node<'t>,
    name: &str,
    src: &str,
) -> Option<(Node<'t>, Node<'t>)> {
    let mut n = from;
    while let Some(p) = n.parent() {
        if is_function_like(p.kind()) {
            let params = p
                .child_by_field_name("parameters")
                .or_else(|| p.child_by_field_name("parameter"));
            if params.is_some_and(|ps| mentions(ps, name, src)) {
                return None;
            }
        }
        if p.kind() == "program" {
            // The program's other statements belong to other items.
            crate::engine::mark_file_dependent();
        }
        let decls: Vec<Node> = match p.kind() {
            "statement_block" | "program" | "switch_case" | "switch_default" => elements(p)
                .map(|s| {
                    if s.kind() == "export_statement" {
                        s.child_by_field_name("declaration").unwrap_or(s)
                    } else {
                        s
                    }
                })
                .filter(|s| matches!(s.kind(), "lexical_declaration" | "variable_declaration"))
                .collect(),
            "for_statement" => p.child_by_field_name("initializer").into_iter().collect(),
            _ => Vec::new(),
        };
        for d in decls {
            for decl in elements(d).filter(|v| v.kind() == "variable_declarator") {
                if decl
                    .child_by_field_name("name")
                    .is_some_and(|i| i.kind() == "identifier" && &src[i.byte_range()] == name)
                {
                    return Some((p, decl));
                }
            }
        }
        n = p;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(number_value("0x10"), Some(16.0));
        assert_eq!(number_value("1_000"), Some(1000.0));
        assert_eq!(number_value(".5"), Some(0.5));
        assert_eq!(number_value("5."), Some(5.0));
        assert_eq!(number_value("1e3"), Some(1000.0));
        assert_eq!(number_value("0b101"), Some(5.0));
        assert_eq!(number_value("0o17"), Some(15.0));
        assert_eq!(number_value("017"), None);
        assert_eq!(number_value("10n"), None);
        assert_eq!(number_value("0"), Some(0.0));
        assert!(is_smi(3.0) && is_smi(-3.0) && !is_smi(2.5) && !is_smi(-0.0) && !is_smi(2e9));
    }

    #[test]
    fn index_keys() {
        assert!(is_index_key("0") && is_index_key("12"));
        assert!(
            !is_index_key("01")
                && !is_index_key("1e3")
                && !is_index_key("NaN")
                && !is_index_key("")
        );
    }

    #[test]
    fn names() {
        let src = "let args = 1; x.argsy; y";
        let tree = crate::document::parse_str(
            crate::language::Lang::JavaScript,
            src,
            crate::document::DEFAULT_PARSE_BUDGET,
        )
        .unwrap();
        let root = tree.root_node();
        assert!(name_taken(root, "args", src));
        assert!(!name_taken(root, "arg", src));
        assert!(mentions(root, "y", src));
        assert!(!mentions(root, "argsy", src));
    }
}
