//! `py/nested-loop-product`: two nested `for` loops that enumerate pairs, either every `i < j`
//! pair of one sequence (`itertools.combinations`) or every pair of two independent iterables
//! (`itertools.product`).

use tree_sitter::Node;

use crate::engine::{Ctx, Edit, Fix};
use crate::rules::python::imports::import_name_cached;
use crate::rules::python::scope::{
    binder_root, locally_bound, module_names, scope_of, Role, Scope,
};
use crate::rules::python::syntax::{
    call_args, indent_of, line_end, line_start, mentions, statements, unparen,
};
use crate::rules::{DefaultSeverity, FixAvailability, Rule, RuleMeta};

pub static NESTED_LOOP_PRODUCT: Rule = Rule {
    meta: RuleMeta {
        id: "py/nested-loop-product",
        family: Some(crate::language::Family::Python),
        summary: "Nested loops over index pairs or two iterables: use `itertools.combinations` / `itertools.product`",
        default: DefaultSeverity::ByLoopDepth,
        hot_only: false,
        fix: FixAvailability::Unsafe,
    },
    kinds: &["for_statement"],
    check: nested_loop_product,
};

fn is_plain_for(node: Node) -> bool {
    node.kind() == "for_statement"
        && node.child(0).is_none_or(|c| c.kind() != "async")
        && node.child_by_field_name("alternative").is_none()
}

/// The names a loop target binds, when it is made of names only.
fn target_names<'s>(target: Node, src: &'s str) -> Option<Vec<&'s str>> {
    let mut out = Vec::new();
    let mut stack = vec![target];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "identifier" => out.push(&src[n.byte_range()]),
            "pattern_list" | "tuple_pattern" | "list_pattern" => {
                let mut c = n.walk();
                stack.extend(n.named_children(&mut c));
            }
            _ => return None,
        }
    }
    Some(out)
}

/// A builtin call `name(args)` (the builtin not rebound in the file): its arguments.
fn builtin_call<'t>(node: Node<'t>, name: &str, cx: &Ctx) -> Option<Vec<Node<'t>>> {
    let node = unparen(node);
    let f = node
        .child_by_field_name("function")
        .filter(|f| node.kind() == "call" && f.kind() == "identifier")?;
    if cx.text(f) != name
        || module_names(cx).binds(name)
        || scope_of(cx, node).bindings(name).next().is_some()
    {
        return None;
    }
    let args = call_args(node);
    args.iter()
        .all(|a| {
            !matches!(
                a.kind(),
                "keyword_argument" | "list_splat" | "dictionary_splat"
            )
        })
        .then_some(args)
}

/// `len(xs)` → the text of `xs` (a name or attribute chain).
fn len_of<'s>(node: Node, cx: &Ctx<'s, '_>) -> Option<&'s str> {
    let [arg] = builtin_call(node, "len", cx)?[..] else {
        return None;
    };
    let mut base = arg;
    while base.kind() == "attribute" {
        base = base.child_by_field_name("object")?;
    }
    (base.kind() == "identifier").then(|| cx.text(arg))
}

/// Whether `n` is `<i> + 1`.
fn is_plus_one(n: Node, i: &str, src: &str) -> bool {
    let n = unparen(n);
    n.kind() == "binary_operator"
        && n.child_by_field_name("operator")
            .is_some_and(|o| o.kind() == "+")
        && n.child_by_field_name("left")
            .is_some_and(|l| l.kind() == "identifier" && &src[l.byte_range()] == i)
        && n.child_by_field_name("right")
            .is_some_and(|r| r.kind() == "integer" && &src[r.byte_range()] == "1")
}

/// A `break` that leaves `loop_body`'s own loop (not one nested deeper).
fn breaks_out(body: Node) -> bool {
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "break_statement" => return true,
            "for_statement"
            | "while_statement"
            | "function_definition"
            | "class_definition"
            | "lambda" => {
                // A nested loop's `else` clause still belongs to us, but is rare; be safe.
                if let Some(alt) = n.child_by_field_name("alternative") {
                    stack.push(alt);
                }
            }
            _ => {
                let mut c = n.walk();
                stack.extend(n.named_children(&mut c));
            }
        }
    }
    false
}

/// The edits that turn `outer` + `inner` into one loop with header `header`: the two headers
/// become one, and the inner body moves out one level. `None` when lines cannot be moved
/// mechanically (a body on the header's line, multi-line strings, odd indentation, comments
/// between the headers).
fn flatten_edits(outer: Node, inner: Node, header: String, src: &str) -> Option<Vec<Edit>> {
    let body = inner.child_by_field_name("body")?;
    let first = *statements(body).first()?;
    let body_indent = indent_of(src, first)?;
    let inner_indent = indent_of(src, inner)?;
    indent_of(src, outer)?;
    if !body_indent.starts_with(inner_indent) || body_indent.len() == inner_indent.len() {
        return None;
    }
    let delta = body_indent.len() - inner_indent.len();
    let body_start = line_start(src, first.start_byte());
    if src[outer.start_byte()..body_start].contains('#') {
        return None;
    }
    let mut edits = vec![Edit::replace(
        outer.start_byte()..body_start,
        format!("{header}\n"),
    )];
    let end = line_end(
        src,
        inner.end_byte().saturating_sub(1).max(first.start_byte()),
    );
    let mut at = body_start;
    while at < end.min(src.len()) {
        let next = line_end(src, at);
        let line = &src[at..next];
        if !line.trim().is_empty() {
            if !line.starts_with(body_indent) {
                return None;
            }
            edits.push(Edit::delete(at..at + delta));
        }
        at = next;
    }
    // Multi-line strings would change if their lines moved.
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        if matches!(n.kind(), "string" | "concatenated_string")
            && src[n.byte_range()].contains('\n')
        {
            return None;
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    Some(edits)
}

/// Whether an identifier is the function of a call (`range` in `range(n)`).
fn is_callee(ident: Node) -> bool {
    ident
        .parent()
        .is_some_and(|p| p.kind() == "call" && p.child_by_field_name("function") == Some(ident))
}

/// Collection constructors whose result can be iterated again and again.
const COLLECTION_CALLS: &[&str] = &[
    "range",
    "list",
    "tuple",
    "sorted",
    "set",
    "frozenset",
    "dict",
];

/// Whether iterating `node` twice gives the same items twice: a literal collection or string,
/// a builtin collection call, or a name bound once in the scope to one of those.
fn reiterable(node: Node, cx: &Ctx, scope: &Scope) -> bool {
    let node = unparen(node);
    match node.kind() {
        "list"
        | "tuple"
        | "set"
        | "dictionary"
        | "string"
        | "concatenated_string"
        | "list_comprehension"
        | "set_comprehension"
        | "dictionary_comprehension" => true,
        "call" => node.child_by_field_name("function").is_some_and(|f| {
            f.kind() == "identifier"
                && COLLECTION_CALLS.contains(&cx.text(f))
                && !module_names(cx).binds(cx.text(f))
                && scope.bindings(cx.text(f)).next().is_none()
        }),
        "identifier" => {
            let mut bindings = scope.bindings(cx.text(node));
            let (Some(b), None) = (bindings.next(), bindings.next()) else {
                return false;
            };
            b.role == Role::Store
                && b.binder_node(binder_root(cx, scope)).is_some_and(|a| {
                    a.kind() == "assignment"
                        && a.child_by_field_name("left")
                            .is_some_and(|l| l.kind() == "identifier")
                        && a.child_by_field_name("right")
                            .is_some_and(|r| reiterable(r, cx, scope))
                })
        }
        _ => false,
    }
}

fn paren_if_tuple(node: Node, src: &str) -> String {
    let t = &src[node.byte_range()];
    if matches!(
        node.kind(),
        "pattern_list"
            | "expression_list"
            | "conditional_expression"
            | "lambda"
            | "named_expression"
    ) {
        format!("({t})")
    } else {
        t.to_owned()
    }
}

pub(crate) fn nested_loop_product(node: Node, cx: &mut Ctx) {
    let src = cx.src();
    if !is_plain_for(node) {
        return;
    }
    let Some(outer_body) = node.child_by_field_name("body") else {
        return;
    };
    let [inner] = statements(outer_body)[..] else {
        return;
    };
    if !is_plain_for(inner) {
        return;
    }
    let (Some(ot), Some(oi), Some(it), Some(ii), Some(inner_body)) = (
        node.child_by_field_name("left"),
        node.child_by_field_name("right"),
        inner.child_by_field_name("left"),
        inner.child_by_field_name("right"),
        inner.child_by_field_name("body"),
    ) else {
        return;
    };
    let (Some(outer_names), Some(inner_names)) = (target_names(ot, src), target_names(it, src))
    else {
        return;
    };
    if breaks_out(inner_body) {
        return; // `break` would leave only the inner loop
    }
    let scope = scope_of(cx, node);
    let header_range = inner.start_byte()..ii.end_byte();
    let depth = cx.loop_depth() + 1;
    if let Some((xs, i, j)) = combinations(oi, ii, &outer_names, &inner_names, cx) {
        combinations_finding(
            node,
            inner,
            inner_body,
            xs,
            i,
            j,
            &scope,
            header_range,
            depth,
            cx,
        );
        return;
    }
    // Product: the inner iterable does not depend on the outer item, the body uses both.
    if outer_names.iter().any(|n| mentions(ii, src, n)) {
        return;
    }
    // The inner iterable must give the same items on every pass, as `product` evaluates it
    // once: a literal, `range(…)`, or a collection the function builds (not an iterator that
    // the first pass would exhaust), and nothing it names may be touched by the body.
    if !reiterable(ii, cx, &scope) {
        return;
    }
    let mut iter_names = Vec::new();
    let mut stack = vec![ii];
    while let Some(n) = stack.pop() {
        if n.kind() == "identifier" && !is_callee(n) {
            iter_names.push(cx.text(n));
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    if iter_names.iter().any(|n| mentions(inner_body, src, n)) {
        return;
    }
    let uses_both = outer_names.iter().any(|n| mentions(inner_body, src, n))
        && inner_names.iter().any(|n| mentions(inner_body, src, n));
    if !uses_both {
        return;
    }
    let fix = import_name_cached(cx, "itertools", "product", |n| locally_bound(cx, node, n))
        .and_then(|(product, import)| {
            let header = format!(
                "for {}, {} in {product}({}, {}):",
                paren_if_tuple(ot, src),
                paren_if_tuple(it, src),
                paren_if_tuple(oi, src),
                paren_if_tuple(ii, src)
            );
            let mut edits = flatten_edits(node, inner, header, src)?;
            edits.extend(import);
            Some(Fix::unsafe_("Use `itertools.product`", edits))
        });
    let message = format!(
        "these nested loops visit every pair of `{}` × `{}`; `itertools.product` yields the pairs from C and evaluates `{}` once instead of once per outer item",
        cx.text(oi),
        cx.text(ii),
        cx.text(ii)
    );
    let finding = cx.report_at_depth(header_range, message, depth);
    finding.fix = fix;
}

/// `for i in range(len(xs))` (or `len(xs) - 1`) / `for j in range(i + 1, len(xs))`: `(xs, i, j)`.
fn combinations<'s>(
    oi: Node,
    ii: Node,
    outer: &[&'s str],
    inner: &[&'s str],
    cx: &Ctx<'s, '_>,
) -> Option<(&'s str, &'s str, &'s str)> {
    let ([i], [j]) = (outer, inner) else {
        return None;
    };
    let [count] = builtin_call(oi, "range", cx)?[..] else {
        return None;
    };
    let count = unparen(count);
    let xs = match count.kind() {
        "call" => len_of(count, cx)?,
        "binary_operator" => {
            let minus_one = count
                .child_by_field_name("operator")
                .is_some_and(|o| o.kind() == "-")
                && count
                    .child_by_field_name("right")
                    .is_some_and(|r| cx.text(r) == "1");
            if !minus_one {
                return None;
            }
            len_of(count.child_by_field_name("left")?, cx)?
        }
        _ => return None,
    };
    let [start, stop] = builtin_call(ii, "range", cx)?[..] else {
        return None;
    };
    (is_plus_one(start, i, cx.src()) && len_of(stop, cx) == Some(xs)).then_some((xs, *i, *j))
}

#[allow(clippy::too_many_arguments)]
fn combinations_finding(
    outer: Node,
    inner: Node,
    body: Node,
    xs: &str,
    i: &str,
    j: &str,
    scope: &Scope,
    range: std::ops::Range<usize>,
    depth: u32,
    cx: &mut Ctx,
) {
    let src = cx.src();
    let xs_base = xs.split('.').next().unwrap_or(xs);
    // The sequence must keep its length: no rebinding, method calls, `del`, or passing it on.
    let mut subscripts: Vec<(Node, bool)> = Vec::new(); // (`xs[k]`, is a store)
    let mut other_use = false;
    let mut index_use = false;
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        if n.kind() == "subscript"
            && n.child_by_field_name("value")
                .is_some_and(|v| cx.text(v) == xs)
            && n.child_by_field_name("subscript").is_some_and(|s| {
                s.kind() == "identifier" && matches!(cx.text(s), x if x == i || x == j)
            })
        {
            let store = n.parent().is_some_and(|p| {
                matches!(p.kind(), "assignment" | "augmented_assignment")
                    && p.child_by_field_name("left") == Some(n)
                    || p.kind() == "delete_statement"
            });
            if n.parent().is_some_and(|p| p.kind() == "delete_statement") {
                other_use = true;
            }
            subscripts.push((n, store));
            continue;
        }
        if n.kind() == "identifier" {
            let t = cx.text(n);
            if t == i || t == j {
                index_use = true;
            }
        }
        if (n.kind() == "identifier" && cx.text(n) == xs_base)
            || (n.kind() == "attribute" && cx.text(n) == xs)
        {
            // `len(xs)` is a harmless read; anything else may change the length.
            let is_len = n
                .parent()
                .and_then(|a| a.parent())
                .is_some_and(|call| len_of(call, cx) == Some(xs));
            if !is_len {
                other_use = true;
            }
            continue;
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    if other_use {
        return; // the pairs could differ from a snapshot of `xs`
    }
    let ij_rebound = [i, j].iter().any(|n| {
        scope
            .within(n, body.byte_range())
            .any(|o| o.role != Role::Read)
    });
    let ij_after = [i, j]
        .iter()
        .any(|n| !scope.occurrences_from(n, outer.end_byte()).is_empty());
    let fix = (!ij_rebound && !ij_after)
        .then(|| {
            import_name_cached(cx, "itertools", "combinations", |n| {
                locally_bound(cx, outer, n)
            })
        })
        .flatten()
        .and_then(|(combinations, import)| {
            let element_form =
                !index_use && !subscripts.is_empty() && subscripts.iter().all(|(_, store)| !store);
            let mut edits;
            if element_form {
                let last = xs.rsplit('.').next().unwrap_or(xs);
                let singular = match last.strip_suffix('s') {
                    Some(s) if !s.is_empty() && !s.ends_with('s') => s,
                    _ => "item",
                };
                let a = scope.fresh_name(&format!("{singular}_{i}"));
                let b = scope.fresh_name(&format!("{singular}_{j}"));
                let header = format!("for {a}, {b} in {combinations}({xs}, 2):");
                edits = flatten_edits(outer, inner, header, src)?;
                for (s, _) in &subscripts {
                    let idx = s
                        .child_by_field_name("subscript")
                        .map_or("", |x| cx.text(x));
                    edits.push(Edit::replace(
                        s.byte_range(),
                        if idx == i { a.clone() } else { b.clone() },
                    ));
                }
            } else {
                let header = format!("for {i}, {j} in {combinations}(range(len({xs})), 2):");
                edits = flatten_edits(outer, inner, header, src)?;
            }
            edits.extend(import);
            Some(Fix::unsafe_("Use `itertools.combinations`", edits))
        });
    let message = format!(
        "these nested loops visit every pair `{i} < {j}` of `{xs}`; `itertools.combinations` yields the pairs from C without a new `range` per outer iteration"
    );
    let finding = cx.report_at_depth(range, message, depth);
    finding.fix = fix;
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::check;

    #[test]
    fn combinations_element_form() {
        let src = "def f(points):\n    n = 0\n    for i in range(len(points)):\n        for j in range(i + 1, len(points)):\n            if points[i] == points[j]:\n                n += 1\n    return n\n";
        let out = check("x.py", src);
        assert_eq!(out.ids(), ["py/nested-loop-product"]);
        assert_eq!(out.findings[0].loop_depth, 1);
        assert_eq!(
            out.fixed,
            "import itertools\ndef f(points):\n    n = 0\n    for point_i, point_j in itertools.combinations(points, 2):\n        if point_i == point_j:\n            n += 1\n    return n\n"
        );
    }

    #[test]
    fn combinations_index_form() {
        let src = "from itertools import combinations\n\ndef f(xs, out):\n    for i in range(len(xs) - 1):\n        for j in range(i + 1, len(xs)):\n            out.append((i, j, xs[i]))\n";
        let out = check("x.py", src);
        assert_eq!(
            out.fixed,
            "from itertools import combinations\n\ndef f(xs, out):\n    for i, j in combinations(range(len(xs)), 2):\n        out.append((i, j, xs[i]))\n"
        );
    }

    #[test]
    fn product() {
        let src = "import itertools\n\ndef f(rows, grid):\n    cols = [(0, 1), (1, 2)]\n    for r in rows:\n        for c, w in cols:\n            grid[r][c] = w\n\n            grid[r][c] += 1\n";
        let out = check("x.py", src);
        assert_eq!(out.ids(), ["py/nested-loop-product"]);
        assert_eq!(
            out.fixed,
            "import itertools\n\ndef f(rows, grid):\n    cols = [(0, 1), (1, 2)]\n    for r, (c, w) in itertools.product(rows, cols):\n        grid[r][c] = w\n\n        grid[r][c] += 1\n"
        );
    }

    #[test]
    fn quiet_cases() {
        for src in [
            // the inner iterable depends on the outer item
            "def f(rows):\n    for row in rows:\n        for cell in row:\n            print(row, cell)\n",
            // the body uses only one name
            "def f(a):\n    for x in a:\n        for y in range(3):\n            print(y)\n",
            // other statements in the outer body
            "def f(a):\n    for x in a:\n        print(x)\n        for y in range(3):\n            print(x, y)\n",
            // break leaves only the inner loop
            "def f(a):\n    for x in a:\n        for y in range(3):\n            if x == y:\n                break\n",
            // an iterable of unknown kind (an iterator would be exhausted by the first pass)
            "def f(a, b):\n    for x in a:\n        for y in b:\n            print(x, y)\n",
            // the body changes what the inner iterable is built from
            "def f(remove, p):\n    for r in remove:\n        for k in list(p):\n            if k.startswith(r):\n                del p[k]\n",
            // the length changes
            "def f(xs):\n    for i in range(len(xs)):\n        for j in range(i + 1, len(xs)):\n            xs.append(xs[i])\n",
        ] {
            let out = check("x.py", src);
            assert!(out.ids().iter().all(|i| *i != "py/nested-loop-product"), "{src}");
        }
    }
}
