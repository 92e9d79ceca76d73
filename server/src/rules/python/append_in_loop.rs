//! `py/append-in-loop`: `out = []` followed by a `for` loop that only appends to `out`
//! (optionally under one `if`): a list comprehension builds the same list without a method
//! lookup and call per item, and `[c] * n` allocates a list of one constant at once.

use tree_sitter::Node;

use crate::engine::{Applicability, Ctx, Edit, Fix};
use crate::rules::python::scope::{
    ancestors_of, binder_root, scope_of, scope_owner_in, Role, Scope,
};
use crate::rules::python::syntax::{
    call_args, contains_kind, expression_call, has_comment, is_constant, mentions, method_call,
    statements, unparen, whole_lines,
};
use crate::rules::{DefaultSeverity, FixAvailability, Rule, RuleMeta};

pub static APPEND_IN_LOOP: Rule = Rule {
    meta: RuleMeta {
        id: "py/append-in-loop",
        family: Some(crate::language::Family::Python),
        summary: "`out = []` then a loop that only appends: use a list comprehension",
        default: DefaultSeverity::ByLoopDepth,
        hot_only: false,
        fix: FixAvailability::Sometimes,
    },
    kinds: &["for_statement"],
    check: append_in_loop,
};

/// Names that behave differently inside a comprehension's own scope (before 3.12 every
/// comprehension is a nested function): zero-argument `super()`, `locals()`, `vars()`, …
const SCOPE_SENSITIVE: &[&str] = &["super", "locals", "vars", "eval", "exec", "globals"];

/// The `out = []` statement right before `stmt` (comments may sit between), with `out` and
/// the `[]` node.
fn empty_list_init<'t>(stmt: Node<'t>, src: &str) -> Option<(Node<'t>, Node<'t>, Node<'t>)> {
    if stmt.parent().is_some_and(|p| p.parent().is_none()) {
        // A module-level statement's neighbours are other top-level items.
        crate::engine::mark_file_dependent();
    }
    let mut prev = stmt.prev_named_sibling()?;
    while prev.kind() == "comment" {
        prev = prev.prev_named_sibling()?;
    }
    let assign = prev
        .named_child(0)
        .filter(|a| prev.kind() == "expression_statement" && a.kind() == "assignment")?;
    let left = assign
        .child_by_field_name("left")
        .filter(|l| l.kind() == "identifier")?;
    let right = assign
        .child_by_field_name("right")
        .filter(|r| r.kind() == "list")?;
    let _ = src;
    (right.named_child_count() == 0).then_some((prev, left, right))
}

/// The appended expression and the optional condition: the body is `out.append(e)` or
/// `if c: out.append(e)` (no `elif`/`else`).
fn append_body<'t>(
    body: Node<'t>,
    out: &str,
    src: &str,
) -> Option<(Node<'t>, Node<'t>, Option<Node<'t>>)> {
    let [only] = statements(body)[..] else {
        return None;
    };
    let (stmt, cond) = if only.kind() == "if_statement" {
        if only.child_by_field_name("alternative").is_some() {
            return None;
        }
        let [inner] = statements(only.child_by_field_name("consequence")?)[..] else {
            return None;
        };
        (inner, Some(only.child_by_field_name("condition")?))
    } else {
        (only, None)
    };
    let call = expression_call(stmt)?;
    let (recv, method) = method_call(call)?;
    if recv.kind() != "identifier"
        || &src[recv.byte_range()] != out
        || &src[method.byte_range()] != "append"
    {
        return None;
    }
    let [arg] = call_args(call)[..] else {
        return None;
    };
    if matches!(
        arg.kind(),
        "keyword_argument" | "list_splat" | "dictionary_splat"
    ) {
        return None;
    }
    Some((call, arg, cond))
}

/// Wraps an expression in parentheses where a comprehension clause would read it differently.
fn clause_text(node: Node, src: &str) -> String {
    let text = &src[node.byte_range()];
    if matches!(
        node.kind(),
        "conditional_expression" | "lambda" | "expression_list" | "named_expression" | "yield"
    ) {
        format!("({text})")
    } else {
        text.to_owned()
    }
}

/// Whether the loop's target names could be read after the loop (or, inside an outer loop,
/// before it on the next iteration): a comprehension does not leave them behind.
fn targets_outlive_loop<'t>(
    target: Node,
    for_stmt: Node,
    ancestors: impl Iterator<Item = Node<'t>>,
    scope: &Scope,
    root: Node,
    src: &str,
) -> bool {
    let mut names = Vec::new();
    let mut stack = vec![target];
    while let Some(n) = stack.pop() {
        if n.kind() == "identifier" {
            names.push(&src[n.byte_range()]);
        } else {
            let mut c = n.walk();
            stack.extend(n.named_children(&mut c));
        }
    }
    // The outermost loop around this one, in the same scope.
    let mut region_start = for_stmt.end_byte();
    for p in ancestors {
        if p.byte_range() == scope.owner {
            break;
        }
        if matches!(p.kind(), "for_statement" | "while_statement") {
            region_start = p.start_byte();
        }
    }
    names.iter().any(|name| {
        let mut later = scope
            .occurrences_from(name, region_start)
            .iter()
            .filter(|o| {
                !(o.range.start >= for_stmt.start_byte() && o.range.end <= for_stmt.end_byte())
            });
        match later.next() {
            None => false,
            // Rebound, without being read, before any read: the loop's last value is dead.
            Some(first) => {
                let dead = first.role == Role::Store
                    && !first.nested
                    && first.range.start > for_stmt.end_byte()
                    && region_start == for_stmt.end_byte()
                    && first.binder.as_ref().is_some_and(|(kind, _)| {
                        let Some(b) = first.binder_node(root) else {
                            return false;
                        };
                        let read_by = ["right", "value"]
                            .iter()
                            .filter_map(|f| b.child_by_field_name(f))
                            .any(|v| mentions(v, src, name));
                        *kind != "augmented_assignment" && !read_by
                    });
                !dead
            }
        }
    })
}

/// `range(n)` with the builtin `range`: its `n`.
fn range_count<'t>(iter: Node<'t>, src: &str, scope: &Scope) -> Option<Node<'t>> {
    let iter = unparen(iter);
    let f = iter
        .child_by_field_name("function")
        .filter(|f| iter.kind() == "call" && f.kind() == "identifier")?;
    if &src[f.byte_range()] != "range" || scope.bindings("range").next().is_some() {
        return None;
    }
    let [n] = call_args(iter)[..] else {
        return None;
    };
    (!matches!(
        n.kind(),
        "keyword_argument" | "list_splat" | "dictionary_splat"
    ))
    .then_some(n)
}

pub(crate) fn append_in_loop(node: Node, cx: &mut Ctx) {
    let src = cx.src();
    if node.child(0).is_some_and(|c| c.kind() == "async")
        || node.child_by_field_name("alternative").is_some()
    {
        return;
    }
    let (Some(target), Some(iter), Some(body)) = (
        node.child_by_field_name("left"),
        node.child_by_field_name("right"),
        node.child_by_field_name("body"),
    ) else {
        return;
    };
    // A necessary condition first: finding the statement before the loop costs a scan of the
    // block's earlier statements (and reads the neighbouring items at module level).
    if !cx.text(body).contains("append") {
        return;
    }
    let Some((init, out_node, empty)) = empty_list_init(node, src) else {
        return;
    };
    let out = cx.text(out_node);
    let Some((call, arg, cond)) = append_body(body, out, src) else {
        return;
    };
    if mentions(iter, src, out)
        || mentions(target, src, out)
        || mentions(arg, src, out)
        || cond.is_some_and(|c| mentions(c, src, out))
    {
        return;
    }
    if contains_kind(arg, &["yield", "named_expression"])
        || cond.is_some_and(|c| contains_kind(c, &["yield", "named_expression"]))
    {
        return;
    }
    let scope = scope_of(cx, node);
    let owner = scope_owner_in(cx, node);

    // `[c] * n` for `for _ in range(n): out.append(c)` with an immutable constant.
    let repeat = (cond.is_none() && is_constant(arg) && !mentions(arg, src, cx.text(target)))
        .then(|| range_count(iter, src, &scope))
        .flatten();
    let message: String = if repeat.is_some() {
        format!("`{out}` is filled one `append` at a time with the same constant; `[value] * n` allocates it once at its final size")
    } else {
        format!("`{out}` is built by `append` in a loop; a list comprehension builds it without looking up and calling `append` for every item")
    };

    let fix = (|| {
        if owner.kind() == "class_definition" || has_comment(node) {
            return None; // class-level names are invisible in a comprehension; comments would be lost
        }
        let lines = whole_lines(src, node)?;
        let text = if let Some(n) = repeat {
            let count = if matches!(
                n.kind(),
                "identifier"
                    | "integer"
                    | "call"
                    | "attribute"
                    | "subscript"
                    | "parenthesized_expression"
            ) {
                cx.text(n).to_owned()
            } else {
                format!("({})", cx.text(n))
            };
            format!("[{}] * {count}", cx.text(arg))
        } else {
            if SCOPE_SENSITIVE
                .iter()
                .any(|s| mentions(arg, src, s) || cond.is_some_and(|c| mentions(c, src, s)))
            {
                return None;
            }
            if targets_outlive_loop(
                target,
                node,
                ancestors_of(cx, node),
                &scope,
                binder_root(cx, &scope),
                src,
            ) {
                return None;
            }
            let cond_text = cond
                .map(|c| format!(" if {}", clause_text(c, src)))
                .unwrap_or_default();
            format!(
                "[{} for {} in {}{cond_text}]",
                cx.text(arg),
                cx.text(target),
                clause_text(iter, src)
            )
        };
        // Inside a `try`, an exception mid-loop leaves a partial list behind that a handler
        // could read; the comprehension leaves the old `[]`.
        let in_try = ancestors_of(cx, node)
            .take_while(|p| p.id() != owner.id())
            .any(|p| p.kind() == "try_statement");
        let applicability = if in_try {
            Applicability::Unsafe
        } else {
            Applicability::Safe
        };
        let title = if repeat.is_some() {
            "Use `[value] * n`"
        } else {
            "Use a list comprehension"
        };
        Some(Fix::new(
            title,
            applicability,
            vec![Edit::replace(empty.byte_range(), text), Edit::delete(lines)],
        ))
    })();
    let _ = init;
    let depth = cx.loop_depth() + 1; // the append runs in the loop body
    let finding = cx.report_at_depth(call.byte_range(), message, depth);
    finding.fix = fix;
}

#[cfg(test)]
mod tests {
    use crate::engine::Applicability;
    use crate::rules::test_support::check;

    #[test]
    fn comprehension() {
        let src = "def f(xs):\n    out = []\n    for x in xs:\n        if x > 0:\n            out.append(x * 2)\n    return out\n";
        let out = check("x.py", src);
        assert_eq!(out.ids(), ["py/append-in-loop"]);
        assert_eq!(
            out.findings[0].fix.as_ref().unwrap().applicability,
            Applicability::Safe
        );
        assert_eq!(
            out.fixed,
            "def f(xs):\n    out = [x * 2 for x in xs if x > 0]\n    return out\n"
        );
    }

    #[test]
    fn repeat_constant() {
        let out = check("x.py", "def f(n):\n    row = []\n    for _ in range(n + 1):\n        row.append(0)\n    return row\n");
        assert_eq!(
            out.fixed,
            "def f(n):\n    row = [0] * (n + 1)\n    return row\n"
        );
    }

    #[test]
    fn parenthesizes_clauses() {
        let out = check("x.py", "def f(a, b, c):\n    out = []\n    for k, v in a if c else b:\n        out.append((k, v))\n    return out\n");
        assert_eq!(
            out.fixed,
            "def f(a, b, c):\n    out = [(k, v) for k, v in (a if c else b)]\n    return out\n"
        );
    }

    #[test]
    fn no_fix_when_the_target_is_read_later_or_in_try() {
        let out = check("x.py", "def f(xs):\n    out = []\n    for x in xs:\n        out.append(x)\n    return out, x\n");
        assert_eq!(out.ids(), ["py/append-in-loop"]);
        assert!(out.findings[0].fix.is_none());
        let out = check("x.py", "def f(xs):\n    out = []\n    for x in xs:\n        out.append(x)\n    x = 1\n    return out, x\n");
        assert!(out.findings[0].fix.is_some());
        let out = check("x.py", "def f(xs):\n    try:\n        out = []\n        for x in xs:\n            out.append(int(x))\n    except ValueError:\n        pass\n    return out\n");
        assert_eq!(
            out.findings[0].fix.as_ref().unwrap().applicability,
            Applicability::Unsafe
        );
    }

    #[test]
    fn leaves_other_loops_alone() {
        for src in [
            "out = []\nfor x in xs:\n    out.append(x)\n    print(x)\n",
            "out = [1]\nfor x in xs:\n    out.append(x)\n",
            "out = []\nfor x in xs:\n    if x:\n        out.append(x)\n    else:\n        out.append(0)\n",
            "out = []\nfor x in xs:\n    out.append(len(out))\n",
            "out = []\nfor x in xs:\n    out.append(x)\nelse:\n    pass\n",
            "out = []\nfor x in xs:\n    out.extend(x)\n",
            "out = []\nprint(out)\nfor x in xs:\n    out.append(x)\n",
            "async def f(xs):\n    out = []\n    async for x in xs:\n        out.append(x)\n",
        ] {
            assert!(check("x.py", src).ids().is_empty(), "{src}");
        }
    }
}
