//! `rust/collection-in-loop`: a `Vec`/`String`/`HashMap` created and filled on every iteration
//! and dropped at its end, where one buffer could be cleared and reused.

use tree_sitter::Node;

use super::syntax::NodeExt;

use super::facts::{Base, DeclSource, Facts, Use};
use super::syntax::{self, method_call, path_call, text, unparen};
use crate::engine::{Ctx, Edit, Fix};
use crate::rules::{DefaultSeverity, FixAvailability, Rule, RuleMeta};

pub static COLLECTION_IN_LOOP: Rule = Rule {
    meta: RuleMeta {
        id: "rust/collection-in-loop",
        family: Some(crate::language::Family::Rust),
        summary:
            "A collection allocated and dropped on every loop iteration: hoist it and `clear()` it",
        default: DefaultSeverity::ByLoopDepth,
        hot_only: true,
        fix: FixAvailability::Unsafe,
    },
    kinds: &["let_declaration"],
    check: collection_in_loop,
};

/// Methods that put data into the collection (so it allocates this iteration).
fn fills(method: &str) -> bool {
    matches!(
        method,
        "push"
            | "push_str"
            | "push_back"
            | "push_front"
            | "insert"
            | "extend"
            | "extend_from_slice"
            | "append"
            | "resize"
            | "write_fmt"
            | "write_str"
            | "write_all"
            | "reserve"
            | "entry"
    )
}

/// Methods that give the collection (or its buffer) away.
fn gives_away(method: &str) -> bool {
    method.starts_with("into_") || matches!(method, "into" | "try_into" | "leak" | "split_off")
}

/// A constructor of an empty growable collection: the `with_capacity` argument, if any.
fn constructor<'t>(value: Node<'t>, src: &str) -> Option<Option<Node<'t>>> {
    let value = unparen(value);
    if value.kind_str() == "macro_invocation" {
        let is_vec = value.field("macro").is_some_and(|m| text(m, src) == "vec");
        let empty = value.named_child(1).is_some_and(|tt| tt.child_count() == 2);
        return (is_vec && empty).then_some(None);
    }
    let (path, name) = path_call(value, src)?;
    if !matches!(path, "Vec" | "String" | "HashMap" | "HashSet" | "VecDeque") {
        return None;
    }
    let args = value.field("arguments")?;
    match name {
        "new" if args.named_child_count() == 0 => Some(None),
        "with_capacity" => syntax::single_arg(args).map(Some),
        _ => None,
    }
}

pub(crate) fn collection_in_loop(node: Node, cx: &mut Ctx) {
    let src = cx.src();
    let Some(value) = node.field("value") else {
        return;
    };
    let Some(capacity) = constructor(value, src) else {
        return;
    };
    let Some(pattern) = node
        .field("pattern")
        .filter(|p| p.kind_str() == "identifier")
    else {
        return;
    };
    if node.field("alternative").is_some() {
        return;
    }
    let Some(block) = node.parent().filter(|b| b.kind_str() == "block") else {
        return;
    };
    let Some(lp) = cx.enclosing_loop() else {
        return;
    };
    // Inside an `async` block (a spawned task, a future) the value lives in another task,
    // not in the iteration: it cannot be shared across iterations.
    if cx
        .ancestors()
        .map(|f| f.node)
        .take_while(|n| n.id() != lp.id())
        .any(|n| n.kind_str() == "async_block")
    {
        return;
    }
    let facts = super::facts(cx);
    let Some(idx) = facts.binding_named_at(src, &pattern.byte_range()) else {
        return;
    };
    let mut filled = false;
    let mut escapes = false;
    let mut borrows_into = false;
    let decls: &dyn DeclSource = &*cx;
    facts.for_each_use(src, block, idx, |u| {
        match classify(u, src, &facts, decls, lp) {
            UseKind::Fill { borrowed_arg } => {
                filled = true;
                borrows_into |= borrowed_arg;
            }
            UseKind::Read => {}
            UseKind::Escape => escapes = true,
        }
        !escapes
    });
    if escapes || !filled {
        return;
    }
    let name = cx.text(pattern);
    let is_real_loop = matches!(
        lp.kind_str(),
        "for_expression" | "while_expression" | "loop_expression"
    );
    let fix = if is_real_loop && !borrows_into {
        hoist_fix(node, lp, name, capacity, &facts, cx)
    } else {
        None
    };
    let message = "This collection is allocated and freed on every iteration: declare it once before the loop and `clear()` it at the top of the body, so its buffer is reused";
    let finding = cx.report(value.byte_range(), message);
    finding.fix = fix;
}

enum UseKind {
    Fill { borrowed_arg: bool },
    Read,
    Escape,
}

fn classify(u: Use, src: &str, facts: &Facts, decls: &dyn DeclSource, lp: Node) -> UseKind {
    let n = match u {
        Use::Capture => return UseKind::Read,
        Use::Token(n) => return classify_token(n, src),
        Use::Expr(n) => n,
    };
    // Inside a `move` closure the collection is captured by value.
    let mut a = n.parent();
    while let Some(p) = a {
        if p.kind_str() == "closure_expression"
            && p.child(0).is_some_and(|m| m.kind_str() == "move")
        {
            return UseKind::Escape;
        }
        if p.kind_str() == "block" && p.parent().is_some_and(|g| g.kind_str() == "function_item") {
            break;
        }
        a = p.parent();
    }
    let Some(p) = n.parent() else {
        return UseKind::Escape;
    };
    match p.kind_str() {
        "field_expression" if p.field("value") == Some(n) => {
            let call = p.parent().filter(|c| c.kind_str() == "call_expression");
            match call.and_then(method_call) {
                Some((recv, m, args)) if recv.id() == n.id() => {
                    let m = text(m, src);
                    if gives_away(m) {
                        UseKind::Escape
                    } else if fills(m) {
                        UseKind::Fill {
                            borrowed_arg: borrows(args, lp, facts, decls, src),
                        }
                    } else {
                        UseKind::Read
                    }
                }
                _ => UseKind::Read,
            }
        }
        "index_expression" if p.named_child(0) == Some(n) => UseKind::Read,
        "binary_expression" => {
            let op = p.field("operator").map_or("", |o| text(o, src));
            if matches!(op, "==" | "!=" | "<" | ">" | "<=" | ">=") {
                UseKind::Read
            } else {
                UseKind::Escape
            }
        }
        "reference_expression" => {
            let mutable = p
                .child(1)
                .is_some_and(|c| c.kind_str() == "mutable_specifier");
            if !mutable {
                return UseKind::Read;
            }
            // `&mut v` handed to a fn: it fills it, unless it swaps or takes the buffer.
            let callee = p
                .parent()
                .filter(|a| a.kind_str() == "arguments")
                .and_then(|a| a.parent())
                .and_then(|c| c.field("function"))
                .map_or("", |f| text(f, src));
            if callee.ends_with("take") || callee.ends_with("replace") || callee.ends_with("swap") {
                UseKind::Escape
            } else {
                UseKind::Fill {
                    borrowed_arg: false,
                }
            }
        }
        _ => UseKind::Escape,
    }
}

fn classify_token(n: Node, src: &str) -> UseKind {
    let mut mac = n.parent();
    while let Some(m) = mac {
        if m.kind_str() == "macro_invocation" {
            break;
        }
        mac = m.parent();
    }
    let Some(mac) = mac else {
        return UseKind::Escape;
    };
    let mac_name = mac
        .field("macro")
        .map_or("", |m| syntax::last_segment(text(m, src)));
    let prev = n.prev_sibling();
    let next = n.next_sibling();
    match next.map(|t| t.kind_str()) {
        Some(".") => {
            let m = next
                .and_then(|t| t.next_sibling())
                .filter(|t| t.kind_str() == "identifier");
            match m.map(|m| text(m, src)) {
                Some(m) if gives_away(m) => UseKind::Escape,
                Some(m) if fills(m) => UseKind::Fill { borrowed_arg: true },
                Some(_) => UseKind::Read,
                None => UseKind::Escape,
            }
        }
        None | Some("," | ")" | "]" | "}") => {
            let first_arg = prev.is_some_and(|p| matches!(p.kind_str(), "(" | "[" | "{"));
            if matches!(mac_name, "write" | "writeln") && first_arg {
                // The formatted text is copied in.
                UseKind::Fill {
                    borrowed_arg: false,
                }
            } else if syntax::is_macro_arg(n, mac)
                && (syntax::is_formatting_macro(mac_name) || syntax::is_comparing_macro(mac_name))
            {
                UseKind::Read
            } else {
                UseKind::Escape
            }
        }
        _ => UseKind::Escape,
    }
}

/// Whether a fill's arguments may borrow from the iteration (`x.as_str()` of a local made in
/// the body): then the hoisted collection would outlive what it holds. Owned values are fine,
/// and so are borrows of data from outside the loop (the loop's items included).
fn borrows(args: Node, lp: Node, facts: &Facts, decls: &dyn DeclSource, src: &str) -> bool {
    let mut c = args.walk();
    let borrows = args
        .named_children(&mut c)
        .any(|a| !owned_value(a, facts, decls, src) && !names_only_outer_data(a, lp, facts, src));
    borrows
}

/// An expression whose value owns its data (or is `Copy`).
fn owned_value(e: Node, facts: &Facts, decls: &dyn DeclSource, src: &str) -> bool {
    let e = unparen(e);
    match e.kind_str() {
        "integer_literal"
        | "float_literal"
        | "char_literal"
        | "boolean_literal"
        | "string_literal"
        | "raw_string_literal"
        | "binary_expression"
        | "type_cast_expression" => true,
        "macro_invocation" => e
            .field("macro")
            .is_some_and(|m| matches!(text(m, src), "format" | "vec")),
        "call_expression" => match method_call(e) {
            Some((_, m, _)) => matches!(
                text(m, src),
                "copied"
                    | "cloned"
                    | "clone"
                    | "to_string"
                    | "to_owned"
                    | "to_vec"
                    | "into_owned"
                    | "len"
                    | "count"
                    | "collect"
                    | "to_path_buf"
                    | "to_lowercase"
                    | "to_uppercase"
            ),
            None => false,
        },
        "identifier" | "field_expression" | "unary_expression" => {
            let t = facts.expr_type(decls, src, e);
            t.refs == 0 && (t.base.owns_heap() || t.base == Base::Copy)
        }
        _ => false,
    }
}

/// Whether every local an expression names was bound before the loop, is bound inside the
/// expression itself (a closure parameter), or is an item of something bound before the loop.
fn names_only_outer_data(e: Node, lp: Node, facts: &Facts, src: &str) -> bool {
    let mut stack = vec![e];
    let mut c = e.walk();
    while let Some(n) = stack.pop() {
        if n.kind_str() == "identifier" && !facts.is_binding_name(n.start_byte()) {
            if let Some(b) = facts.resolve(src, text(n, src), n.start_byte()) {
                let scope = &facts.binding(b).scope;
                let outer = scope.start < lp.start_byte()
                    || syntax::within(scope, &e.byte_range())
                    || from_outer(b, lp, facts, src, 0);
                if !outer {
                    return false;
                }
            }
        }
        if n.kind_str() == "token_tree" {
            return false;
        }
        stack.extend(n.named_children(&mut c));
    }
    true
}

/// Whether a loop or callback binding iterates data bound before `lp`.
fn from_outer(b: usize, lp: Node, facts: &Facts, src: &str, depth: u8) -> bool {
    if depth > 4 {
        return false;
    }
    let Some(origin) = facts.binding_origin(b) else {
        return false;
    };
    let Some(mut e) = super::facts::find_node(lp, &origin)
        .or_else(|| super::facts::find_node(facts.item(), &origin))
    else {
        return false;
    };
    loop {
        e = unparen(e);
        match e.kind_str() {
            "reference_expression" | "field_expression" => match e.field("value") {
                Some(v) => e = v,
                None => return false,
            },
            "unary_expression" | "index_expression" => match e.named_child(0) {
                Some(v) => e = v,
                None => return false,
            },
            "call_expression" => match method_call(e) {
                Some((recv, _, _)) => e = recv,
                None => return false,
            },
            "self" => return true,
            "identifier" => {
                return match facts.resolve(src, text(e, src), e.start_byte()) {
                    None => true,
                    Some(inner) => {
                        facts.binding(inner).scope.start < lp.start_byte()
                            || from_outer(inner, lp, facts, src, depth + 1)
                    }
                };
            }
            _ => return false,
        }
    }
}

/// Hoists the declaration before the loop and replaces it with `name.clear();`.
fn hoist_fix(
    decl: Node,
    lp: Node,
    name: &str,
    capacity: Option<Node>,
    facts: &Facts,
    cx: &Ctx,
) -> Option<Fix> {
    let src = cx.src();
    // The name must be free before the loop and unused after it (the hoisted binding would
    // shadow or be seen there).
    if facts.resolve(src, name, lp.start_byte()).is_some() {
        return None;
    }
    let (stmt, _) = syntax::statement_in_block(lp)?;
    let mut after = stmt.next_named_sibling();
    while let Some(s) = after {
        if mentions_name(s, name, src) {
            return None;
        }
        after = s.next_named_sibling();
    }
    let indent = syntax::line_indent(src, stmt.start_byte());
    let decl_text = text(decl, src);
    // A capacity that depends on the iteration becomes a `reserve` where the `let` was.
    let (hoisted, reset) = match capacity {
        Some(cap) if !hoistable(cap, lp, facts, src) => {
            let value = decl.field("value")?;
            let path = value.field("function")?.field("path")?;
            let start = value.start_byte() - decl.start_byte();
            let end = value.end_byte() - decl.start_byte();
            let hoisted = format!(
                "{}{}::new(){}",
                &decl_text[..start],
                text(path, src),
                &decl_text[end..]
            );
            (
                hoisted,
                format!(
                    "{name}.clear();\n{}{name}.reserve({});",
                    syntax::line_indent(src, decl.start_byte()),
                    text(cap, src)
                ),
            )
        }
        _ => (decl_text.to_owned(), format!("{name}.clear();")),
    };
    Some(Fix::unsafe_(
        "Hoist before the loop and clear it each iteration",
        vec![
            Edit::insert(stmt.start_byte(), format!("{hoisted}\n{indent}")),
            Edit::replace(decl.byte_range(), reset),
        ],
    ))
}

fn mentions_name(node: Node, name: &str, src: &str) -> bool {
    let mut stack = vec![node];
    let mut c = node.walk();
    while let Some(n) = stack.pop() {
        if n.kind_str() == "identifier" && text(n, src) == name {
            return true;
        }
        stack.extend(n.children(&mut c));
    }
    false
}

/// Literals, and locals and fields bound before the loop, combined with `len()` and arithmetic.
fn hoistable(e: Node, lp: Node, facts: &Facts, src: &str) -> bool {
    let e = unparen(e);
    match e.kind_str() {
        "integer_literal" => true,
        "identifier" => facts
            .resolve(src, text(e, src), e.start_byte())
            .is_some_and(|b| facts.binding(b).scope.start < lp.start_byte()),
        "self" => true,
        "field_expression" => e
            .field("value")
            .is_some_and(|v| hoistable(v, lp, facts, src)),
        "call_expression" => method_call(e).is_some_and(|(r, m, a)| {
            text(m, src) == "len" && a.named_child_count() == 0 && hoistable(r, lp, facts, src)
        }),
        "binary_expression" => {
            e.field("left")
                .is_some_and(|l| hoistable(l, lp, facts, src))
                && e.field("right")
                    .is_some_and(|r| hoistable(r, lp, facts, src))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    fn check(src: &str) -> crate::rules::test_support::Outcome {
        crate::rules::rust::check_only("rust/collection-in-loop", src)
    }

    #[test]
    fn fires_and_hoists() {
        let src = "fn f(rows: &[Vec<u32>]) -> usize {
    let mut total = 0;
    for row in rows {
        let mut seen = Vec::with_capacity(rows.len());
        seen.extend(row.iter().copied());
        total += seen.len();
    }
    total
}";
        let out = check(src);
        assert_eq!(out.ids(), ["rust/collection-in-loop"]);
        assert!(
            out.fixed.contains("    let mut seen = Vec::with_capacity(rows.len());\n    for row in rows {\n        seen.clear();"),
            "{}",
            out.fixed
        );
    }

    #[test]
    fn callbacks_fire_without_a_fix() {
        let out = check("fn f(v: &[u8]) { v.iter().for_each(|x| { let mut s = String::new(); s.push(*x as char); println!(\"{s}\"); }); }");
        assert_eq!(out.ids(), ["rust/collection-in-loop"]);
        assert!(out.findings[0].fix.is_none());
    }

    #[test]
    fn quiet_when_moved_out_or_unfilled() {
        for src in [
            "fn f(n: usize) -> Vec<Vec<u8>> { let mut out = Vec::new(); for _ in 0..n { let mut v = Vec::new(); v.push(1); out.push(v); } out }",
            "fn f(n: usize) -> Vec<u8> { for _ in 0..n { let mut v = Vec::new(); v.push(1); return v; } vec![] }",
            "fn f(n: usize) -> Vec<u8> { loop { let mut v = Vec::new(); v.push(1); break v; } }",
            "fn f(n: usize, tx: S) { for _ in 0..n { let mut v = String::new(); v.push('a'); tx.send(v); } }",
            "fn f(n: usize) { for _ in 0..n { let v: Vec<u8> = Vec::new(); g(&v); } }",
            "fn f() { let mut v = Vec::new(); v.push(1); }",
            "fn f(n: usize, m: &mut M) { for _ in 0..n { let mut v = Vec::new(); v.push(1); assert!(m.insert(1, v).is_none()); } }",
            "fn f(n: usize) { for _ in 0..n { spawn(async move { let mut b = Vec::new(); b.push(1); }); } }",
        ] {
            assert!(check(src).ids().is_empty(), "{src}");
        }
    }
}
