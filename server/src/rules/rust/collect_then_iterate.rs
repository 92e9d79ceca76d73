//! `rust/collect-then-iterate`: an iterator collected into a `Vec` only to be iterated, counted
//! or searched once.

use tree_sitter::Node;

use super::syntax::NodeExt;

use super::facts::Use;
use super::syntax::{self, last_segment, method_call, text, unparen};
use crate::engine::{Applicability, Ctx, Edit, Fix};
use crate::rules::{DefaultSeverity, FixAvailability, Rule, RuleMeta};

pub static COLLECT_THEN_ITERATE: Rule = Rule {
    meta: RuleMeta {
        id: "rust/collect-then-iterate",
        family: Some(crate::language::Family::Rust),
        summary: "An iterator collected into a `Vec` only to be iterated, counted or searched once",
        default: DefaultSeverity::ByLoopDepth,
        hot_only: false,
        fix: FixAvailability::Sometimes,
    },
    kinds: &["call_expression", "let_declaration"],
    check: collect_then_iterate,
};

const MESSAGE: &str = "Collecting into a `Vec` allocates (and grows) a buffer that is used only once here; work on the iterator directly";

/// Iterator methods after which dropping the `collect` keeps the meaning, as long as the source
/// is not touched in between.
fn lazy_ok(method: &str) -> bool {
    matches!(
        method,
        "map"
            | "filter"
            | "filter_map"
            | "for_each"
            | "fold"
            | "sum"
            | "product"
            | "count"
            | "any"
            | "all"
            | "find"
            | "find_map"
            | "position"
            | "max"
            | "min"
            | "max_by_key"
            | "min_by_key"
            | "max_by"
            | "min_by"
            | "flat_map"
            | "flatten"
            | "take"
            | "skip"
            | "take_while"
            | "skip_while"
            | "enumerate"
            | "zip"
            | "chain"
            | "collect"
            | "last"
            | "nth"
            | "step_by"
            | "inspect"
            | "partition"
            | "unzip"
            | "copied"
            | "cloned"
            | "peekable"
    )
}

/// `X.collect::<Vec<..>>()`: `X`.
fn collect_to_vec<'t>(call: Node<'t>, src: &str) -> Option<Node<'t>> {
    let f = call.field("function")?;
    if f.kind_str() != "generic_function" {
        return None;
    }
    let (recv, name, args) = method_call(call)?;
    if text(name, src) != "collect" || args.named_child_count() != 0 {
        return None;
    }
    let ty = f.field("type_arguments").and_then(syntax::single_arg)?;
    is_vec_type(ty, src).then_some(recv)
}

fn is_vec_type(ty: Node, src: &str) -> bool {
    ty.kind_str() == "generic_type"
        && ty
            .field("type")
            .is_some_and(|h| last_segment(text(h, src)) == "Vec")
}

/// `X.collect()` with no turbofish: `X`.
fn plain_collect<'t>(call: Node<'t>, src: &str) -> Option<Node<'t>> {
    let (recv, name, args) = method_call(call)?;
    let f = call.field("function")?;
    (f.kind_str() == "field_expression"
        && text(name, src) == "collect"
        && args.named_child_count() == 0)
        .then_some(recv)
}

/// The leftmost local (or `self`) the iterator chain starts from.
fn chain_root<'t>(mut e: Node<'t>, src: &'t str) -> Option<&'t str> {
    loop {
        e = unparen(e);
        match e.kind_str() {
            "identifier" | "self" => return Some(text(e, src)),
            "call_expression" => {
                let f = e.field("function")?;
                let f = if f.kind_str() == "generic_function" {
                    f.field("function")?
                } else {
                    f
                };
                match f.kind_str() {
                    "field_expression" => e = f.field("value")?,
                    // `iter::once(x)`, `foo(&v)`: look at the first argument.
                    _ => e = e.field("arguments")?.named_child(0)?,
                }
            }
            "field_expression" => e = e.field("value")?,
            "reference_expression" => e = e.field("value")?,
            "index_expression" | "unary_expression" | "try_expression" => e = e.named_child(0)?,
            _ => return None,
        }
    }
}

fn mentions(node: Node, name: &str, src: &str) -> bool {
    let mut stack = vec![node];
    let mut c = node.walk();
    while let Some(n) = stack.pop() {
        if matches!(n.kind_str(), "identifier" | "self") && text(n, src) == name {
            return true;
        }
        stack.extend(n.children(&mut c));
    }
    false
}

/// Methods and functions with no side effects worth ordering: a chain whose closures only
/// use these can run lazily, interleaved with its consumer, without a visible change.
fn pure_call(name: &str) -> bool {
    matches!(
        name,
        "clone"
            | "cloned"
            | "copied"
            | "to_string"
            | "to_owned"
            | "to_vec"
            | "len"
            | "is_empty"
            | "as_str"
            | "as_ref"
            | "as_bytes"
            | "as_slice"
            | "iter"
            | "chars"
            | "bytes"
            | "trim"
            | "trim_start"
            | "trim_end"
            | "starts_with"
            | "ends_with"
            | "contains"
            | "eq"
            | "ne"
            | "cmp"
            | "partial_cmp"
            | "is_some"
            | "is_none"
            | "is_ok"
            | "is_err"
            | "unwrap_or"
            | "unwrap_or_default"
            | "map"
            | "and_then"
            | "get"
            | "first"
            | "last"
            | "to_lowercase"
            | "to_uppercase"
            | "to_ascii_lowercase"
            | "to_ascii_uppercase"
            | "is_alphabetic"
            | "is_numeric"
            | "is_alphanumeric"
            | "is_whitespace"
            | "is_ascii_digit"
            | "is_ascii_alphabetic"
            | "is_ascii"
            | "abs"
            | "min"
            | "max"
            | "pow"
            | "into"
            | "from"
            | "Some"
            | "Ok"
            | "Err"
            | "split"
            | "join"
            | "replace"
            | "len_utf8"
            | "count_ones"
            | "saturating_sub"
            | "saturating_add"
            | "wrapping_add"
            | "wrapping_sub"
            | "checked_add"
            | "checked_sub"
            | "is_empty_or"
            | "key"
            | "value"
            | "parse"
            | "to_digit"
            | "from_u32"
            | "filter"
            | "next"
            | "as_deref"
            | "unwrap"
    )
}

/// Whether the iterator chain `x` can run lazily without a visible change: no parallel
/// iterators (whose `collect` is the way back to a sequential one) and no closure that calls
/// anything but `pure_call`s, assigns, or uses a macro.
fn chain_is_lazy_safe(x: Node, src: &str) -> bool {
    let mut stack = vec![x];
    let mut c = x.walk();
    while let Some(n) = stack.pop() {
        match n.kind_str() {
            "field_identifier" | "identifier" => {
                let t = text(n, src);
                if t.starts_with("par_") || t == "into_par_iter" || t == "par_bridge" {
                    return false;
                }
            }
            "macro_invocation"
            | "assignment_expression"
            | "compound_assignment_expr"
            | "unsafe_block"
                if inside_closure(n, x) =>
            {
                return false;
            }
            "call_expression" if inside_closure(n, x) => {
                let f = n.field("function");
                let name = match f {
                    Some(f) if f.kind_str() == "field_expression" => {
                        f.field("field").map(|m| text(m, src))
                    }
                    Some(f) => Some(last_segment(text(f, src))),
                    None => None,
                };
                if !name.is_some_and(pure_call) {
                    return false;
                }
            }
            // A function passed by path (`.map(Foo::bar)`): pure only if known.
            "scoped_identifier"
                if n.parent().is_some_and(|p| p.kind_str() == "arguments")
                    && !pure_call(last_segment(text(n, src))) =>
            {
                return false;
            }
            _ => {}
        }
        stack.extend(n.named_children(&mut c));
    }
    true
}

/// Whether `n` is inside a closure that is itself inside `top`.
fn inside_closure(n: Node, top: Node) -> bool {
    let mut p = n.parent();
    while let Some(q) = p {
        if q.id() == top.id() {
            return false;
        }
        if q.kind_str() == "closure_expression" {
            return true;
        }
        p = q.parent();
    }
    false
}

pub(crate) fn collect_then_iterate(node: Node, cx: &mut Ctx) {
    if node.kind_str() == "let_declaration" {
        collected_local(node, cx);
    } else {
        immediate(node, cx);
    }
}

/// `X.collect::<Vec<_>>().len()` and friends, and `for x in X.collect::<Vec<_>>()`.
fn immediate(call: Node, cx: &mut Ctx) {
    let src = cx.src();
    let Some(x) = collect_to_vec(call, src) else {
        return;
    };
    let Some(parent) = syntax::parent_unparen(call) else {
        return;
    };
    let root = chain_root(x, src);
    if parent.kind_str() == "for_expression"
        && parent
            .field("value")
            .is_some_and(|v| unparen(v).id() == call.id())
    {
        let body = parent.field("body");
        if root.is_none_or(|r| body.is_some_and(|b| mentions(b, r, src)))
            || !chain_is_lazy_safe(x, src)
        {
            return;
        }
        let edit = Edit::delete(x.end_byte()..call.end_byte());
        let finding = cx.report(call.byte_range(), MESSAGE);
        finding.fix = Some(Fix::unsafe_("Iterate without collecting", vec![edit]));
        return;
    }
    if parent.kind_str() != "field_expression" {
        return;
    }
    let Some(outer) = parent
        .parent()
        .filter(|c| c.kind_str() == "call_expression")
    else {
        return;
    };
    let Some((_, m, args)) = method_call(outer) else {
        return;
    };
    let x_is_call = unparen(x).kind_str() == "call_expression";
    let replace_tail = |text: String| Edit::replace(x.end_byte()..outer.end_byte(), text);
    let method = text(m, src);
    // Every form but `len()` runs the chain lazily (or stops early): only for pure chains.
    if method != "len" && !chain_is_lazy_safe(x, src) {
        return;
    }
    let fix = match (method, args.named_child_count()) {
        ("len", 0) => Some(Fix::safe(
            "Count without collecting",
            vec![replace_tail(".count()".into())],
        )),
        ("is_empty", 0) if x_is_call => Some(Fix::unsafe_(
            "Check for a first item instead",
            vec![replace_tail(".next().is_none()".into())],
        )),
        ("contains", 1) if x_is_call => {
            let arg = args.named_child(0).map_or("", |a| text(a, src));
            let var = if arg.contains("item") {
                "item_"
            } else {
                "item"
            };
            Some(Fix::unsafe_(
                "Search without collecting",
                vec![replace_tail(format!(".any(|{var}| &{var} == {arg})"))],
            ))
        }
        ("into_iter", 0) => {
            let next = outer
                .parent()
                .filter(|p| p.kind_str() == "field_expression")
                .and_then(|p| p.field("field"))
                .map(|f| text(f, src));
            let in_for = syntax::parent_unparen(outer).filter(|p| p.kind_str() == "for_expression");
            if let Some(lp) = in_for {
                let body = lp.field("body");
                if root.is_none_or(|r| body.is_some_and(|b| mentions(b, r, src))) {
                    return;
                }
                Some(Fix::unsafe_(
                    "Iterate without collecting",
                    vec![replace_tail(String::new())],
                ))
            } else {
                match next {
                    // `rev()`, `len()`… need what the `Vec` provides.
                    Some(n) if lazy_ok(n) => Some(Fix::unsafe_(
                        "Iterate without collecting",
                        vec![replace_tail(String::new())],
                    )),
                    _ => return,
                }
            }
        }
        ("is_empty" | "contains" | "iter" | "first", _) => None,
        _ => return,
    };
    let finding = cx.report(call.byte_range(), MESSAGE);
    finding.fix = fix;
}

/// `let v: Vec<_> = X.collect();` (or `X.collect::<Vec<_>>()`) and `v` used once, to iterate,
/// count or search.
fn collected_local(decl: Node, cx: &mut Ctx) {
    let src = cx.src();
    let Some(value) = decl.field("value") else {
        return;
    };
    let value = unparen(value);
    if value.kind_str() != "call_expression" {
        return;
    }
    let x = match decl.field("type") {
        Some(t) if is_vec_type(t, src) => {
            plain_collect(value, src).or_else(|| collect_to_vec(value, src))
        }
        Some(_) => None,
        None => collect_to_vec(value, src),
    };
    let Some(x) = x else { return };
    let Some(pattern) = decl.field("pattern") else {
        return;
    };
    let name_node = match pattern.kind_str() {
        "identifier" => pattern,
        _ => return,
    };
    let Some(block) = decl.parent().filter(|b| b.kind_str() == "block") else {
        return;
    };
    let facts = super::facts(cx);
    let Some(idx) = facts.binding_named_at(src, &name_node.byte_range()) else {
        return;
    };
    let uses = facts.uses(src, block, idx);
    let [Use::Expr(u)] = uses.as_slice() else {
        return;
    };
    let u = *u;
    // Used inside a loop or closure below the `let`: the collected values are reused.
    let mut a = u.parent();
    while let Some(p) = a {
        if p.id() == block.id() {
            break;
        }
        if matches!(
            p.kind_str(),
            "for_expression" | "while_expression" | "loop_expression" | "closure_expression"
        ) {
            let is_for_value = p.kind_str() == "for_expression"
                && p.field("value").is_some_and(|v| v.id() == u.id());
            if !is_for_value {
                return;
            }
        }
        a = p.parent();
    }
    // The source must not be touched between the collect and the use (the `Vec` may exist to
    // end a borrow of it, or to snapshot it).
    let Some(root) = chain_root(x, src) else {
        return;
    };
    let Some((use_stmt, use_block)) = syntax::statement_in_block(u) else {
        return;
    };
    if use_block.id() != block.id() {
        // Only uses at the same block level (or below, within that statement) are handled.
        let mut up = use_block;
        loop {
            if up.id() == block.id() {
                break;
            }
            match up.parent() {
                Some(p) => up = p,
                None => return,
            }
        }
    }
    let mut s = decl.next_named_sibling();
    let mut adjacent = true;
    let stmt_of_use = top_statement(u, block).unwrap_or(use_stmt);
    while let Some(st) = s {
        if mentions(st, root, src)
            && (st.id() != stmt_of_use.id() || root_used_besides(st, root, u, src))
        {
            return;
        }
        if st.id() == stmt_of_use.id() {
            break;
        }
        if !syntax::is_comment(st) {
            adjacent = false;
        }
        s = st.next_named_sibling();
    }
    let parent = u.parent();
    let method = parent
        .filter(|p| p.kind_str() == "field_expression" && p.field("value") == Some(u))
        .and_then(|p| Some((p, p.parent().filter(|c| c.kind_str() == "call_expression")?)))
        .and_then(|(p, call)| Some((text(p.field("field")?, src), call)));
    let in_for =
        parent.is_some_and(|p| p.kind_str() == "for_expression" && p.field("value") == Some(u));
    let x_text = text(x, src);
    let x_is_call = unparen(x).kind_str() == "call_expression";
    let decl_value_edit = |tail: &str| {
        Edit::replace(
            decl.field("pattern").expect("has pattern").end_byte()..value.end_byte(),
            format!(" = {x_text}{tail}"),
        )
    };
    let method_name = method.map(|(m, _)| m);
    // `v.iter()` lends items that may have to outlive the chain (`map(AsRef::as_ref)`).
    if method_name == Some("iter") {
        return;
    }
    // Every form but `len()` runs the chain lazily (or stops early): only for pure chains.
    if method_name != Some("len") && !chain_is_lazy_safe(x, src) {
        return;
    }
    if let Some(("into_iter", call)) = method {
        let next = call
            .parent()
            .filter(|p| p.kind_str() == "field_expression")
            .and_then(|p| p.field("field"))
            .map(|f| text(f, src));
        let in_for_loop =
            syntax::parent_unparen(call).is_some_and(|p| p.kind_str() == "for_expression");
        // `rev()`, `len()`… need what the `Vec` provides.
        if !in_for_loop && !next.is_some_and(lazy_ok) {
            return;
        }
    }
    let fix = match (method, in_for) {
        (Some(("len", call)), _)
            if call
                .field("arguments")
                .is_some_and(|a| a.named_child_count() == 0) =>
        {
            Some(Fix::new(
                "Count without collecting",
                Applicability::Safe,
                vec![
                    decl_value_edit(".count()"),
                    Edit::replace(call.byte_range(), text(u, src)),
                ],
            ))
        }
        (Some(("is_empty", call)), _) if x_is_call => Some(Fix::unsafe_(
            "Check for a first item instead",
            vec![
                decl_value_edit(".next().is_none()"),
                Edit::replace(call.byte_range(), text(u, src)),
            ],
        )),
        (Some(("into_iter", call)), _) if adjacent => Some(Fix::unsafe_(
            "Iterate without collecting",
            vec![
                Edit::delete(decl.start_byte()..use_stmt_start(stmt_of_use)),
                Edit::replace(call.byte_range(), x_text),
            ],
        )),
        (None, true) if adjacent => Some(Fix::unsafe_(
            "Iterate without collecting",
            vec![
                Edit::delete(decl.start_byte()..use_stmt_start(stmt_of_use)),
                Edit::replace(u.byte_range(), x_text),
            ],
        )),
        (Some(("into_iter" | "contains" | "is_empty" | "first", _)), _) | (None, true) => None,
        _ => return,
    };
    let finding = cx.report(value.byte_range(), MESSAGE);
    finding.fix = fix;
}

fn use_stmt_start(stmt: Node) -> usize {
    stmt.start_byte()
}

/// The statement of `block` that contains `n`.
fn top_statement<'t>(n: Node<'t>, block: Node<'t>) -> Option<Node<'t>> {
    let mut cur = n;
    loop {
        let p = cur.parent()?;
        if p.id() == block.id() {
            return Some(cur);
        }
        cur = p;
    }
}

/// Whether `stmt` names `root` anywhere but inside the use `u` itself.
fn root_used_besides(stmt: Node, root: &str, u: Node, src: &str) -> bool {
    let mut stack = vec![stmt];
    let mut c = stmt.walk();
    while let Some(n) = stack.pop() {
        if n.id() == u.id() {
            continue;
        }
        if matches!(n.kind_str(), "identifier" | "self") && text(n, src) == root {
            return true;
        }
        stack.extend(n.children(&mut c));
    }
    false
}

#[cfg(test)]
mod tests {
    use crate::engine::Applicability;

    fn check(src: &str) -> crate::rules::test_support::Outcome {
        crate::rules::rust::check_only("rust/collect-then-iterate", src)
    }

    #[test]
    fn immediate_forms() {
        let src = "fn f(v: &[u32]) -> bool {
    let n = v.iter().filter(|x| **x > 1).collect::<Vec<_>>().len();
    let e = v.iter().map(|x| x + 1).collect::<Vec<_>>().is_empty();
    let c = v.iter().map(|x| x * 2).collect::<Vec<u32>>().contains(&4);
    let s: u32 = v.iter().map(|x| x * 3).collect::<Vec<_>>().into_iter().sum();
    n > 0 && e && c && s > 0
}";
        let out = check(src);
        assert_eq!(out.ids(), ["rust/collect-then-iterate"; 4]);
        assert_eq!(
            out.findings[0].fix.as_ref().unwrap().applicability,
            Applicability::Safe
        );
        assert!(
            out.fixed.contains("filter(|x| **x > 1).count();"),
            "{}",
            out.fixed
        );
        assert!(out.fixed.contains("map(|x| x + 1).next().is_none();"));
        assert!(out
            .fixed
            .contains("map(|x| x * 2).any(|item| &item == &4);"));
        assert!(out.fixed.contains("map(|x| x * 3).sum();"));
    }

    #[test]
    fn collected_locals_used_once() {
        let src = "fn f(v: &[u32]) -> usize {
    let big: Vec<_> = v.iter().filter(|x| **x > 9).collect();
    let n = big.len();
    let odd: Vec<u32> = v.iter().copied().filter(|x| x % 2 == 1).collect();
    for o in odd {
        println!(\"{o}\");
    }
    n
}";
        let out = check(src);
        assert_eq!(out.ids(), ["rust/collect-then-iterate"; 2]);
        assert!(
            out.fixed
                .contains("let big = v.iter().filter(|x| **x > 9).count();\n    let n = big;"),
            "{}",
            out.fixed
        );
        assert!(
            out.fixed
                .contains("for o in v.iter().copied().filter(|x| x % 2 == 1) {"),
            "{}",
            out.fixed
        );
    }

    #[test]
    fn quiet_when_reused_stored_or_releasing_a_borrow() {
        for src in [
            "fn f(v: &[u32]) -> usize { let w: Vec<_> = v.iter().collect(); w.len() + w.len() }",
            "fn f(v: &[u32]) -> Vec<&u32> { let w: Vec<_> = v.iter().collect(); w }",
            "fn f(m: &mut Vec<u32>) { let keys: Vec<u32> = m.iter().copied().collect(); for k in keys { m.push(k); } }",
            "fn f(m: &mut Vec<u32>) { for k in m.iter().copied().collect::<Vec<_>>() { m.push(k); } }",
            "fn f(s: &str) -> Vec<char> { s.chars().collect::<Vec<_>>().into_iter().rev().collect() }",
            "fn f(v: &[u32], n: usize) { let w: Vec<_> = v.iter().collect(); for _ in 0..n { for x in w.iter() {} } }",
            "fn f(v: &[u32]) -> usize { v.iter().collect::<std::collections::HashSet<_>>().len() }",
            "fn f(w: Vec<W>) { let h: Vec<_> = w.into_iter().map(|w| spawn(w)).collect(); for x in h { x.join(); } }",
            "fn f(v: &[u32]) -> usize { let w: Vec<_> = v.iter().collect(); g(w.iter().map(AsRef::as_ref)) }",
            "fn f(v: &mut [u32]) -> Vec<u32> { v.par_iter().map(|x| x + 1).collect::<Vec<_>>().into_iter().peekable().collect() }",
            "fn f(v: &[u32], out: &mut Vec<u32>) { for x in v.iter().map(|x| { out.push(*x); x }).collect::<Vec<_>>() {} }",
        ] {
            assert!(check(src).ids().is_empty(), "{src}");
        }
    }
}
