//! `rust/vec-without-capacity`: an empty `Vec`/`String`/`HashMap`/`HashSet` that is then filled
//! a known number of times, growing (and copying) on the way.

use std::borrow::Cow;

use tree_sitter::Node;

use super::syntax::NodeExt;

use super::facts::{Base, Facts};
use super::syntax::{self, method_call, path_call, text, unparen};
use crate::engine::{Ctx, Edit, Fix};
use crate::rules::{DefaultSeverity, FixAvailability, Rule, RuleMeta};

pub static VEC_WITHOUT_CAPACITY: Rule = Rule {
    meta: RuleMeta {
        id: "rust/vec-without-capacity",
        family: Some(crate::language::Family::Rust),
        summary: "A collection created empty and then filled a known number of times: use `with_capacity`",
        default: DefaultSeverity::ByLoopDepth,
        hot_only: false,
        fix: FixAvailability::Safe,
    },
    kinds: &["let_declaration"],
    check: vec_without_capacity,
};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Coll {
    Vec,
    String,
    HashMap,
    HashSet,
}

impl Coll {
    fn fill(self, method: &str) -> bool {
        match self {
            Coll::Vec => method == "push",
            Coll::String => method == "push",
            Coll::HashMap | Coll::HashSet => method == "insert",
        }
    }

    fn type_name(self) -> &'static str {
        match self {
            Coll::Vec => "Vec",
            Coll::String => "String",
            Coll::HashMap => "HashMap",
            Coll::HashSet => "HashSet",
        }
    }
}

/// How many reallocations `n` straight-line fills cause, by the std growth policies (a `Vec` of
/// small elements starts at 4 and doubles; a hash table holds 3, 7, 14, 28 … entries).
fn straight_line_reallocs(coll: Coll, n: usize) -> bool {
    match coll {
        Coll::Vec => n > 4,
        Coll::HashMap | Coll::HashSet => n > 3,
        Coll::String => false,
    }
}

/// Whether a `String` built from these byte counts grows more than once (8 bytes minimum, then
/// doubling or the exact need, whichever is larger).
fn string_reallocs(parts: &[usize]) -> bool {
    let (mut len, mut cap, mut allocs) = (0usize, 0usize, 0u32);
    for &p in parts {
        if len + p > cap {
            cap = (cap * 2).max(len + p).max(8);
            allocs += 1;
        }
        len += p;
    }
    allocs > 1
}

pub(crate) fn vec_without_capacity(node: Node, cx: &mut Ctx) {
    let Some(value) = node.field("value") else {
        return;
    };
    let value = unparen(value);
    let src = cx.src();
    let coll = match value.kind_str() {
        "call_expression" => match path_call(value, src) {
            Some(("Vec", "new")) => Coll::Vec,
            Some(("String", "new")) => Coll::String,
            Some(("HashMap", "new")) => Coll::HashMap,
            Some(("HashSet", "new")) => Coll::HashSet,
            _ => return,
        },
        "macro_invocation" => {
            let is_vec = value.field("macro").is_some_and(|m| cx.text(m) == "vec");
            let empty = value.named_child(1).is_some_and(|tt| tt.child_count() == 2);
            if !is_vec || !empty {
                return;
            }
            Coll::Vec
        }
        _ => return,
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
    if node.parent().is_none_or(|b| b.kind_str() != "block") {
        return;
    }
    let name = cx.text(pattern);
    let facts = super::facts(cx);

    // Statements after the let: straight-line fills, then perhaps a loop.
    let mut fills = 0usize;
    let mut string_parts: Vec<usize> = Vec::new();
    let mut loop_found: Option<(Node, String)> = None;
    let mut between: Vec<Node> = Vec::new();
    let mut next = node.next_named_sibling();
    while let Some(stmt) = next {
        next = stmt.next_named_sibling();
        if syntax::is_comment(stmt) {
            continue;
        }
        let expr = if stmt.kind_str() == "expression_statement" {
            stmt.named_child(0)
        } else {
            Some(stmt)
        };
        let Some(expr) = expr else { break };
        if let Some(bytes) = straight_fill(expr, coll, name, src) {
            fills += 1;
            if let Some(b) = bytes {
                string_parts.push(b);
            } else if coll == Coll::String {
                string_parts.clear();
                break;
            }
            continue;
        }
        if expr.kind_str() == "for_expression" {
            if let Some(count) = loop_count(expr, coll, name, &facts, cx) {
                loop_found = Some((expr, count));
            }
            break;
        }
        if mentions(stmt, name, src) {
            break;
        }
        between.push(stmt);
    }

    let (capacity, message): (Cow<str>, &'static str) = match loop_found {
        Some((lp, count)) => {
            // The count is evaluated where the collection is created: its names must already be
            // bound there and not change before the loop.
            if !count_valid_at(&count, node, lp, &between, &facts, cx) {
                return;
            }
            // A small constant count fits in the first allocation: nothing to save.
            if let Ok(n) = count.parse::<usize>() {
                let total = n + fills;
                let grows = match coll {
                    Coll::String => total > 8,
                    _ => straight_line_reallocs(coll, total),
                };
                if !grows {
                    return;
                }
            }
            let cap = if fills > 0 {
                Cow::Owned(format!("{count} + {fills}"))
            } else {
                Cow::Owned(count)
            };
            (
                cap,
                "Filled once per iteration of a loop whose length is known before it starts: `with_capacity` allocates once instead of growing (0 → 4 → 8 → 16 …) and copying at each step",
            )
        }
        None => {
            if !between.is_empty() && fills == 0 {
                return;
            }
            let grows = if coll == Coll::String {
                string_reallocs(&string_parts)
            } else {
                straight_line_reallocs(coll, fills)
            };
            if !grows {
                return;
            }
            let cap = if coll == Coll::String {
                string_parts.iter().sum::<usize>()
            } else {
                fills
            };
            (
                Cow::Owned(cap.to_string()),
                "Filled by a fixed number of pushes right after it is created, which outgrows the first allocation: `with_capacity` allocates once",
            )
        }
    };
    let edit = if value.kind_str() == "macro_invocation" {
        Edit::replace(
            value.byte_range(),
            format!("Vec::with_capacity({capacity})"),
        )
    } else {
        let Some(f) = value.field("function").and_then(|f| f.field("name")) else {
            return;
        };
        let Some(args) = value.field("arguments") else {
            return;
        };
        Edit::replace(
            f.start_byte()..args.end_byte(),
            format!("with_capacity({capacity})"),
        )
    };
    let title = format!("Use `{}::with_capacity({capacity})`", coll.type_name());
    let finding = cx.report(value.byte_range(), message);
    finding.fix = Some(Fix::safe(title, vec![edit]));
}

/// `name.push(x)` / `name.insert(k, v)` as a statement, with arguments that do not mention
/// `name`. For a `String`, the byte count when it is a literal (`push_str("ab")`, `push('c')`).
fn straight_fill(expr: Node, coll: Coll, name: &str, src: &str) -> Option<Option<usize>> {
    let (recv, method, args) = method_call(expr)?;
    if recv.kind_str() != "identifier" || text(recv, src) != name || mentions(args, name, src) {
        return None;
    }
    let m = text(method, src);
    if coll == Coll::String {
        if !matches!(m, "push" | "push_str") {
            return None;
        }
        let arg = syntax::single_arg(args)?;
        let t = text(arg, src);
        let bytes = match arg.kind_str() {
            "char_literal" if !t.contains('\\') => Some(t.len().saturating_sub(2)),
            "string_literal" if t.starts_with('"') && !t.contains('\\') => {
                Some(t.len().saturating_sub(2))
            }
            _ => None,
        };
        return Some(bytes);
    }
    coll.fill(m).then_some(None)
}

/// Whether `node`'s subtree has an identifier token `name` (parsed or inside a macro).
fn mentions(node: Node, name: &str, src: &str) -> bool {
    let mut stack = vec![node];
    let mut c = node.walk();
    while let Some(n) = stack.pop() {
        if n.kind_str() == "identifier" && text(n, src) == name {
            return true;
        }
        if matches!(n.kind_str(), "string_literal" | "raw_string_literal")
            && syntax::captures(text(n, src), name)
        {
            return true;
        }
        stack.extend(n.children(&mut c));
    }
    false
}

/// The loop's iteration count as an expression, when the body fills `name` exactly once per
/// iteration and nothing leaves an iteration early.
fn loop_count(lp: Node, coll: Coll, name: &str, facts: &Facts, cx: &Ctx) -> Option<String> {
    let src = cx.src();
    let body = lp.field("body")?;
    let iter = lp.field("value")?;
    if mentions(iter, name, src)
        || lp
            .named_children(&mut lp.walk())
            .any(|c| c.kind_str() == "label")
    {
        return None;
    }
    // Exactly one fill per iteration, as a top-level statement of the body.
    let mut fill_count = 0;
    let mut c = body.walk();
    for stmt in body.named_children(&mut c) {
        let expr = if stmt.kind_str() == "expression_statement" {
            stmt.named_child(0)
        } else {
            Some(stmt)
        };
        let Some(expr) = expr else { continue };
        if let Some((recv, m, args)) = method_call(expr) {
            if recv.kind_str() == "identifier"
                && text(recv, src) == name
                && coll.fill(text(m, src))
                && !mentions(args, name, src)
            {
                fill_count += 1;
                continue;
            }
        }
        if mentions(stmt, name, src) {
            return None;
        }
    }
    if fill_count != 1 || exits_early(body) {
        return None;
    }
    count_expr(iter, facts, cx)
}

/// `break` or `continue` for this loop (not inside a nested loop or closure), or a labelled one.
fn exits_early(body: Node) -> bool {
    let mut stack = vec![(body, false)];
    let mut c = body.walk();
    while let Some((n, nested)) = stack.pop() {
        match n.kind_str() {
            "break_expression" | "continue_expression" => {
                let labelled = n
                    .named_children(&mut n.walk())
                    .any(|l| l.kind_str() == "label");
                if !nested || labelled {
                    return true;
                }
            }
            "closure_expression" | "function_item" => continue,
            _ => {}
        }
        let nested = nested
            || matches!(
                n.kind_str(),
                "for_expression" | "while_expression" | "loop_expression"
            );
        c.reset(n);
        if c.goto_first_child() {
            loop {
                if c.node().is_named() {
                    stack.push((c.node(), nested));
                }
                if !c.goto_next_sibling() {
                    break;
                }
            }
        }
    }
    false
}

/// A cheap, side-effect-free expression: a literal, a local, a field path, or `x.len()`.
fn is_stable(e: Node, src: &str) -> bool {
    let e = unparen(e);
    match e.kind_str() {
        "integer_literal" | "identifier" | "self" => true,
        "field_expression" => e.field("value").is_some_and(|v| is_stable(v, src)),
        "call_expression" => method_call(e).is_some_and(|(r, m, a)| {
            text(m, src) == "len" && a.named_child_count() == 0 && is_stable(r, src)
        }),
        "binary_expression" => {
            let op = e.field("operator").map_or("", |o| text(o, src));
            matches!(op, "+" | "-" | "*")
                && e.field("left").is_some_and(|l| is_stable(l, src))
                && e.field("right").is_some_and(|r| is_stable(r, src))
        }
        _ => false,
    }
}

/// The number of items `iter` yields, as an expression, when it is known up front.
fn count_expr(iter: Node, facts: &Facts, cx: &Ctx) -> Option<String> {
    let src = cx.src();
    let iter = unparen(iter);
    match iter.kind_str() {
        "range_expression" => {
            let start = iter.named_child(0)?;
            let end = iter.named_child(1)?;
            if iter.named_child_count() != 2 || !is_stable(start, src) || !is_stable(end, src) {
                return None;
            }
            let inclusive = iter.child(1).is_some_and(|op| op.kind_str() == "..=");
            // The count goes into `with_capacity(usize)`: a bound of another integer type would
            // change the loop's inferred types or not compile.
            if !facts.is_usize(cx, src, start) || !facts.is_usize(cx, src, end) {
                return None;
            }
            let (s, e) = (text(start, src), text(end, src));
            let literal = |n: Node| n.kind_str() == "integer_literal";
            if literal(start) && literal(end) {
                let (s, e) = (
                    s.trim_end_matches("usize").replace('_', ""),
                    e.trim_end_matches("usize").replace('_', ""),
                );
                let (s, e) = (s.parse::<u64>().ok()?, e.parse::<u64>().ok()?);
                return Some((e.saturating_sub(s) + u64::from(inclusive)).to_string());
            }
            let paren = |t: &str, n: Node| {
                if n.kind_str() == "binary_expression" {
                    format!("({t})")
                } else {
                    t.to_owned()
                }
            };
            Some(match (s == "0", inclusive) {
                (true, false) => e.to_owned(),
                (true, true) => format!("{} + 1", paren(e, end)),
                (false, _) if literal(end) => return None,
                (false, false) => format!("{}.saturating_sub({s})", paren(e, end)),
                (false, true) => format!("{}.saturating_sub({s}) + 1", paren(e, end)),
            })
        }
        "reference_expression" => {
            let v = iter.field("value")?;
            sized_place(v, facts, cx)
        }
        "identifier" | "field_expression" => sized_place(iter, facts, cx),
        "call_expression" => {
            let (recv, m, args) = method_call(iter)?;
            match text(m, src) {
                "iter" | "iter_mut" | "into_iter" | "keys" | "values" | "values_mut" | "drain"
                    if args.named_child_count() == 0 || text(m, src) == "drain" =>
                {
                    if text(m, src) == "drain" && text(args, src).replace(' ', "") != "(..)" {
                        return None;
                    }
                    sized_place(recv, facts, cx)
                }
                "bytes" if args.named_child_count() == 0 => {
                    let t = facts.expr_type(cx, src, recv);
                    (matches!(t.base, Base::String | Base::Str) && syntax::is_simple_place(recv))
                        .then(|| format!("{}.len()", text(recv, src)))
                }
                "enumerate" | "rev" | "copied" | "cloned" | "map" | "inspect" => {
                    count_expr(recv, facts, cx)
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// `v.len()` for a place whose type is a sized std collection.
fn sized_place(v: Node, facts: &Facts, cx: &Ctx) -> Option<String> {
    let src = cx.src();
    let v = unparen(v);
    if !syntax::is_simple_place(v) || v.kind_str() == "unary_expression" {
        return None;
    }
    let t = facts.expr_type(cx, src, v);
    let sized = matches!(
        t.base,
        Base::Vec
            | Base::Slice
            | Base::Array
            | Base::VecDeque
            | Base::HashMap
            | Base::HashSet
            | Base::BTreeMap
            | Base::BTreeSet
    );
    sized.then(|| format!("{}.len()", text(v, src)))
}

/// Whether the count expression means the same at the `let` as at the loop: every local it
/// names is bound before the `let` and untouched by the statements in between.
fn count_valid_at(
    count: &str,
    let_node: Node,
    lp: Node,
    between: &[Node],
    facts: &Facts,
    cx: &Ctx,
) -> bool {
    let src = cx.src();
    let iter = lp.field("value");
    let mut stack: Vec<Node> = iter.into_iter().collect();
    let mut c = let_node.walk();
    while let Some(n) = stack.pop() {
        if n.kind_str() == "identifier" || n.kind_str() == "self" {
            let name = text(n, src);
            if !count.contains(name) {
                continue;
            }
            if let Some(b) = facts.resolve(src, name, n.start_byte()) {
                if facts.binding(b).scope.start > let_node.start_byte() {
                    return false;
                }
            }
            if between.iter().any(|s| mentions(*s, name, src)) {
                return false;
            }
        }
        stack.extend(n.children(&mut c));
    }
    true
}

#[cfg(test)]
mod tests {
    fn check(src: &str) -> crate::rules::test_support::Outcome {
        crate::rules::rust::check_only("rust/vec-without-capacity", src)
    }

    #[test]
    fn fires_for_known_counts() {
        let src = "fn f(n: usize, items: &[u32]) {
    let mut a = Vec::new();
    for i in 0..n { a.push(i); }
    let mut b = vec![];
    for x in items.iter().enumerate() { b.push(x); }
    let mut c = std::collections::HashMap::new();
    for x in items { c.insert(*x, 1); }
    let mut d = String::new();
    for _ in 1..=n { d.push('x'); }
    let mut e = Vec::new();
    for i in 2..10 { e.push(i); }
}";
        let out = check(src);
        assert_eq!(
            out.ids(),
            ["rust/vec-without-capacity"; 5],
            "{:?}",
            out.findings
        );
        assert!(
            out.fixed.contains("let mut e = Vec::with_capacity(8);"),
            "{}",
            out.fixed
        );
        assert!(out.fixed.contains("Vec::with_capacity(n)"), "{}", out.fixed);
        assert!(
            out.fixed
                .contains("let mut b = Vec::with_capacity(items.len());"),
            "{}",
            out.fixed
        );
        assert!(out.fixed.contains("HashMap::with_capacity(items.len())"));
        assert!(
            out.fixed
                .contains("String::with_capacity(n.saturating_sub(1) + 1)"),
            "{}",
            out.fixed
        );
    }

    #[test]
    fn straight_line_pushes_that_outgrow_the_first_allocation() {
        let out = check("fn f() -> Vec<u8> { let mut v = Vec::new(); v.push(1); v.push(2); v.push(3); v.push(4); v.push(5); v }");
        assert_eq!(out.ids(), ["rust/vec-without-capacity"]);
        assert!(out.fixed.contains("Vec::with_capacity(5)"));
        let out = check("fn f() -> Vec<u8> { let mut v = Vec::new(); v.push(1); v.push(2); v }");
        assert!(out.ids().is_empty());
    }

    #[test]
    fn quiet_on_unknown_counts_breaks_and_escapes() {
        for src in [
            "fn f(n: usize) { let mut v = Vec::new(); while v.len() < n { v.push(1); } }",
            "fn f(n: usize) { let mut v = Vec::new(); for i in 0..n { if i % 2 == 0 { v.push(i); } } }",
            "fn f(n: usize) { let mut v = Vec::new(); for i in 0..n { if i > 3 { break; } v.push(i); } }",
            "fn f(n: usize) { let mut v = Vec::new(); g(&mut v); for i in 0..n { v.push(i); } }",
            "fn f(it: impl Iterator<Item = u8>) { let mut v = Vec::new(); for x in it { v.push(x); } }",
            "fn f() { let mut v = Vec::new(); let n = 3; for i in 0..n { v.push(i); } }",
            "fn f(s: &str) { let mut v = String::new(); for c in s.chars() { v.push(c); } }",
            "fn f(n: u32) { let mut v = Vec::new(); for i in 0..n { v.push(i); } }",
            "fn f() { let mut v = Vec::new(); for i in 0..3 { v.push(i); } }",
            "fn f() { let n = 10; let mut v = Vec::new(); for i in 0..n { v.push(i); } }",
        ] {
            assert!(check(src).ids().is_empty(), "{src}");
        }
    }
}
