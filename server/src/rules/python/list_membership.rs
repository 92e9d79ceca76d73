//! `py/list-membership`: `x in [1, 2, 3]` / `x in ("a", "b")` scan a sequence where a set
//! literal of constants hashes once; and `x in names` inside a loop where `names` is a local
//! list built before the loop.

use tree_sitter::Node;

use crate::engine::{Ctx, Edit, Fix};
use crate::rules::python::scope::{binder_root, module_names, scope_of, scope_owner_in, Role};
use crate::rules::python::syntax::{
    indent_of, is_constant, is_interpolated, statement_of, unparen,
};
use crate::rules::{DefaultSeverity, FixAvailability, Rule, RuleMeta};

pub static LIST_MEMBERSHIP: Rule = Rule {
    meta: RuleMeta {
        id: "py/list-membership",
        family: Some(crate::language::Family::Python),
        summary: "`x in [a, b, c]` of constants, or `x in some_list` in a loop: test a set",
        default: DefaultSeverity::ByLoopDepth,
        hot_only: false,
        fix: FixAvailability::Sometimes,
    },
    kinds: &["comparison_operator"],
    check: list_membership,
};

const LITERAL_MESSAGE: &str = "membership in a list or tuple literal compares against each element in turn; a set literal of constants is built once, as a frozenset constant, and answers with one hash lookup";

/// Builtins whose result is a plain hashable value (`str`, `int`, …) with the usual `==`.
const HASHABLE_BUILTINS: &[&str] = &[
    "str", "int", "float", "bool", "len", "ord", "chr", "repr", "type", "id", "hash",
];

/// Whether the needle is certainly a builtin hashable value, for which `in {…}` and `in (…)`
/// agree: a constant, an f-string, or a call of a builtin that returns one.
fn needle_is_plain(needle: Node, cx: &Ctx) -> bool {
    let n = unparen(needle);
    if is_constant(n) || (n.kind() == "string" && is_interpolated(n)) {
        return true;
    }
    if n.kind() != "call" {
        return false;
    }
    let Some(f) = n
        .child_by_field_name("function")
        .filter(|f| f.kind() == "identifier")
    else {
        return false;
    };
    let name = cx.text(f);
    HASHABLE_BUILTINS.contains(&name)
        && !module_names(cx).binds(name)
        && scope_of(cx, n).bindings(name).next().is_none()
}

/// The `(needle, haystack)` pairs of `in` / `not in` in a comparison (`a < b in c` chains too).
fn membership_pairs(node: Node) -> Vec<(Node, Node)> {
    // Operands and operators alternate: remember the last operand and whether an `in` follows.
    let mut out = Vec::new();
    let mut c = node.walk();
    let mut last: Option<Node> = None;
    let mut pending: Option<Node> = None;
    for child in node.children(&mut c).filter(|n| n.kind() != "comment") {
        if matches!(child.kind(), "in" | "not in") {
            pending = last;
        } else if child.is_named() {
            if let Some(needle) = pending.take() {
                out.push((needle, child));
            }
            last = Some(child);
        }
    }
    out
}

pub(crate) fn list_membership(node: Node, cx: &mut Ctx) {
    for (needle, haystack) in membership_pairs(node) {
        let hay = unparen(haystack);
        match hay.kind() {
            "list" | "tuple" => literal_case(needle, hay, cx),
            "identifier" if !is_unhashable(needle, cx) => loop_case(node, hay, cx),
            _ => {}
        }
    }
}

fn literal_case(needle: Node, hay: Node, cx: &mut Ctx) {
    let mut c = hay.walk();
    let elements: Vec<Node> = hay
        .named_children(&mut c)
        .filter(|n| n.kind() != "comment")
        .collect();
    if elements.is_empty() || !elements.iter().all(|e| is_constant(*e)) {
        return;
    }
    let text = cx.text(hay);
    let open = if hay.kind() == "list" { '[' } else { '(' };
    let fix = (text.starts_with(open) && text.len() >= 2).then(|| {
        let edits = vec![
            Edit::replace(hay.start_byte()..hay.start_byte() + 1, "{"),
            Edit::replace(hay.end_byte() - 1..hay.end_byte(), "}"),
        ];
        if needle_is_plain(needle, cx) {
            Fix::safe("Use a set literal", edits)
        } else {
            Fix::unsafe_("Use a set literal", edits)
        }
    });
    let finding = cx.report(hay.byte_range(), LITERAL_MESSAGE);
    finding.fix = fix;
}

/// A value that certainly cannot go in a set: a list, set or dict (display, comprehension or
/// builtin call), or a tuple holding one. Such a needle means the list holds such values too.
fn is_unhashable(node: Node, cx: &Ctx) -> bool {
    let n = unparen(node);
    match n.kind() {
        "list"
        | "set"
        | "dictionary"
        | "list_comprehension"
        | "set_comprehension"
        | "dictionary_comprehension" => true,
        "tuple" => {
            let mut c = n.walk();
            let any = n.named_children(&mut c).any(|e| is_unhashable(e, cx));
            any
        }
        "call" => n
            .child_by_field_name("function")
            .is_some_and(|f| matches!(cx.text(f), "list" | "set" | "dict" | "bytearray")),
        _ => false,
    }
}

/// A list literal with an element that is a list, set or dict display (or a tuple of one).
fn holds_unhashable(rhs: Node) -> bool {
    let rhs = unparen(rhs);
    if rhs.kind() != "list" {
        return false;
    }
    let mut c = rhs.walk();
    let found = rhs.named_children(&mut c).any(|e| {
        crate::rules::python::syntax::contains_kind(
            e,
            &[
                "list",
                "set",
                "dictionary",
                "list_comprehension",
                "set_comprehension",
                "dictionary_comprehension",
            ],
        )
    });
    found
}

/// The list producers `names = …` that make `names` a list for sure.
fn builds_list(rhs: Node, cx: &Ctx) -> bool {
    let rhs = unparen(rhs);
    match rhs.kind() {
        "list" | "list_comprehension" => true,
        "call" => {
            let Some(f) = rhs
                .child_by_field_name("function")
                .filter(|f| f.kind() == "identifier")
            else {
                return false;
            };
            matches!(cx.text(f), "list" | "sorted") && !module_names(cx).binds(cx.text(f))
        }
        _ => false,
    }
}

fn is_membership_haystack(ident: Node) -> bool {
    let mut n = ident;
    while let Some(p) = n.parent() {
        if p.kind() == "parenthesized_expression" {
            n = p;
            continue;
        }
        return p.kind() == "comparison_operator"
            && membership_pairs(p).iter().any(|(_, h)| *h == n);
    }
    false
}

fn loop_case(cmp: Node, ident: Node, cx: &mut Ctx) {
    let src = cx.src();
    let name = cx.text(ident);
    let owner = scope_owner_in(cx, ident);
    if owner.kind() != "function_definition" || cx.enclosing_loop().is_none() {
        return;
    }
    // The outermost for/while/comprehension around the test, inside the function.
    let Some(outer) = cx
        .ancestors()
        .map(|f| f.node)
        .take_while(|n| n.id() != owner.id())
        .filter(|n| cx.is_loop(*n))
        .last()
    else {
        return;
    };
    let Some(stmt) = statement_of(outer) else {
        return;
    };
    let scope = scope_of(cx, ident);
    // One binding: `name = <list>` before the loop, in the function itself.
    let mut bindings = scope.bindings(name);
    let (Some(binding), None) = (bindings.next(), bindings.next()) else {
        return;
    };
    let Some((kind, brange)) = &binding.binder else {
        return;
    };
    if *kind != "assignment" || binding.role != Role::Store || brange.end > stmt.start_byte() {
        return;
    }
    let Some(assign) = binding.binder_node(binder_root(cx, &scope)) else {
        return;
    };
    let (Some(left), Some(rhs)) = (
        assign.child_by_field_name("left"),
        assign.child_by_field_name("right"),
    ) else {
        return;
    };
    if left.kind() != "identifier" || !builds_list(rhs, cx) || holds_unhashable(rhs) {
        return;
    }
    // No closure may see the list; inside the loop's statement it is only tested against.
    if scope.occurrences(name).iter().any(|o| o.nested) {
        return;
    }
    let uses: Vec<_> = scope.within(name, stmt.byte_range()).collect();
    // In the loop's statement, so in the item.
    let tests: Vec<Node> = uses
        .iter()
        .filter_map(|o| {
            cx.item()
                .descendant_for_byte_range(o.range.start, o.range.end)
        })
        .filter(|n| n.kind() == "identifier")
        .collect();
    if tests.len() != uses.len() || !tests.iter().all(|n| is_membership_haystack(*n)) {
        return;
    }
    if tests.first().is_none_or(|first| first.id() != ident.id()) {
        return; // one finding per list and loop, on the first test
    }
    let _ = cmp;
    let set_name = scope.fresh_name(&format!("{name}_set"));
    let fix = indent_of(src, stmt).map(|indent| {
        let line_start = stmt.start_byte() - indent.len();
        let mut edits = vec![Edit::insert(
            line_start,
            format!("{indent}{set_name} = set({name})\n"),
        )];
        edits.extend(
            tests
                .iter()
                .map(|t| Edit::replace(t.byte_range(), set_name.clone())),
        );
        Fix::unsafe_(
            format!("Test against `set({name})` built before the loop"),
            edits,
        )
    });
    let message = if tests.len() == 1 {
        format!("`in {name}` scans the list `{name}` on every iteration; build a set from it once, before the loop")
    } else {
        format!(
            "`in {name}` scans the list `{name}` on every iteration ({} tests in this loop); build a set from it once, before the loop",
            tests.len()
        )
    };
    let finding = cx.report(ident.byte_range(), message);
    finding.fix = fix;
}

#[cfg(test)]
mod tests {
    use crate::engine::Applicability;
    use crate::rules::test_support::check;

    #[test]
    fn literals() {
        let out = check("x.py", "def f(x):\n    return x in [1, 2, 3] or str(x) not in ('a',) or f'{x}' in (1, -2.5, None)\n");
        assert_eq!(out.ids(), ["py/list-membership"; 3]);
        let safety: Vec<_> = out
            .findings
            .iter()
            .map(|f| f.fix.as_ref().unwrap().applicability)
            .collect();
        assert_eq!(
            safety,
            [
                Applicability::Unsafe,
                Applicability::Safe,
                Applicability::Safe
            ]
        );
        assert_eq!(out.fixed, "def f(x):\n    return x in {1, 2, 3} or str(x) not in {'a',} or f'{x}' in {1, -2.5, None}\n");
    }

    #[test]
    fn not_for_names_strings_or_unhashables() {
        let out = check(
            "x.py",
            "x in (a, b)\nx in 'abc'\nx in [[1], 2]\nx in []\nx in {1, 2}\nx in (1, f'{y}')\n",
        );
        assert!(out.ids().is_empty(), "{:?}", out.ids());
    }

    #[test]
    fn local_list_in_loop() {
        let src = "def f(xs, ys):\n    names = [y.name for y in ys]\n    for x in xs:\n        if x in names or x.alias in names:\n            yield x\n";
        let out = check("x.py", src);
        assert_eq!(out.ids(), ["py/list-membership"]);
        assert_eq!(
            out.fixed,
            "def f(xs, ys):\n    names = [y.name for y in ys]\n    names_set = set(names)\n    for x in xs:\n        if x in names_set or x.alias in names_set:\n            yield x\n"
        );
        let comp = check(
            "x.py",
            "def f(xs):\n    seen = list(xs)\n    return [x for x in xs if x not in seen]\n",
        );
        assert_eq!(comp.ids(), ["py/list-membership"]);
        assert!(
            comp.fixed.contains(
                "    seen_set = set(seen)\n    return [x for x in xs if x not in seen_set]"
            ),
            "{}",
            comp.fixed
        );
    }

    #[test]
    fn local_list_must_not_change_in_the_loop() {
        for body in [
            "        if x not in names:\n            names.append(x)\n",
            "        names = [x]\n        if x in names: pass\n",
            "        if x in names: pass\n        g(names)\n",
        ] {
            let src = format!("def f(xs):\n    names = []\n    for x in xs:\n{body}");
            assert!(check("x.py", &src).ids().is_empty(), "{src}");
        }
        // Unhashable values: `set(names)` would raise.
        for src in [
            "def f(cs):\n    answer = [{1}, {2}]\n    return all(set(c) in answer for c in cs)\n",
            "def f(es):\n    edges = list(es)\n    for u, v in es:\n        if ({u, v}, 1) in edges: pass\n",
        ] {
            assert!(check("x.py", src).ids().is_empty(), "{src}");
        }
        // Not a list for sure, a module-level loop, a closure.
        for src in [
            "def f(xs, names):\n    for x in xs:\n        if x in names: pass\n",
            "names = [1]\nfor x in xs:\n    if x in names: pass\n",
            "def f(xs):\n    names = [1]\n    g = lambda: names.clear()\n    for x in xs:\n        if x in names: g()\n",
        ] {
            assert!(check("x.py", src).ids().is_empty(), "{src}");
        }
    }
}
