//! `py/sort-after-insert`: `lst.append(x)` immediately followed by `lst.sort()` (or
//! `lst = sorted(lst)`) keeps a list sorted by re-sorting it after every insert; `bisect.insort`
//! puts the item in place with a binary search.

use tree_sitter::Node;

use crate::engine::{Applicability, Ctx, Edit, Fix};
use crate::rules::python::imports::import_name_cached;
use crate::rules::python::scope::{
    binder_root, locally_bound, module_names, scope_of, scope_owner_in, Role,
};
use crate::rules::python::syntax::{call_args, expression_call, method_call, unparen, whole_lines};
use crate::rules::{DefaultSeverity, FixAvailability, Rule, RuleMeta};

pub static SORT_AFTER_INSERT: Rule = Rule {
    meta: RuleMeta {
        id: "py/sort-after-insert",
        family: Some(crate::language::Family::Python),
        summary: "`lst.append(x)` then `lst.sort()`: use `bisect.insort(lst, x)`",
        default: DefaultSeverity::ByLoopDepth,
        hot_only: false,
        fix: FixAvailability::Sometimes,
    },
    kinds: &["call"],
    check: sort_after_insert,
};

/// The sort statement after an append to `lst`: `lst.sort()` (`true`: in place) or
/// `lst = sorted(lst)` (`false`), without `key=`/`reverse=`.
fn sort_of(stmt: Node, lst: &str, cx: &Ctx) -> Option<bool> {
    if let Some(call) = expression_call(stmt) {
        let (recv, method) = method_call(call)?;
        return (cx.text(recv) == lst && cx.text(method) == "sort" && call_args(call).is_empty())
            .then_some(true);
    }
    let a = stmt
        .named_child(0)
        .filter(|a| stmt.kind() == "expression_statement" && a.kind() == "assignment")?;
    let (left, right) = (
        a.child_by_field_name("left")?,
        unparen(a.child_by_field_name("right")?),
    );
    let f = right
        .child_by_field_name("function")
        .filter(|f| right.kind() == "call" && f.kind() == "identifier")?;
    let [arg] = call_args(right)[..] else {
        return None;
    };
    // The builtin `sorted` (not rebound), checked last: it reads the module's bindings.
    let builtin = || {
        !module_names(cx).binds("sorted") && scope_of(cx, stmt).bindings("sorted").next().is_none()
    };
    (cx.text(left) == lst && cx.text(f) == "sorted" && cx.text(arg) == lst && builtin())
        .then_some(false)
}

fn next_statement(stmt: Node) -> Option<Node> {
    if stmt.parent().is_some_and(|p| p.parent().is_none()) {
        // A module-level statement's neighbours are other top-level items.
        crate::engine::mark_file_dependent();
    }
    let mut n = stmt.next_named_sibling()?;
    while n.kind() == "comment" {
        n = n.next_named_sibling()?;
    }
    Some(n)
}

/// Whether `lst` is certainly sorted before each `append` of the pair: a local name bound once,
/// to `[]`, `list()` or `sorted(…)`, before the loops around the pair; inside them it is only
/// read, appended to and sorted by the pair.
fn sorted_before_each_append(call: Node, sort_stmt: Node, lst: Node, cx: &Ctx) -> bool {
    if lst.kind() != "identifier" {
        return false;
    }
    let name = cx.text(lst);
    let owner = scope_owner_in(cx, call);
    let Some(outer) = cx
        .ancestors()
        .map(|f| f.node)
        .take_while(|n| n.id() != owner.id())
        .filter(|n| cx.is_loop(*n))
        .last()
    else {
        return false;
    };
    let scope = scope_of(cx, call);
    let mut bindings = scope.bindings(name);
    let (Some(b), None) = (bindings.next(), bindings.next()) else {
        return false;
    };
    let Some((kind, r)) = &b.binder else {
        return false;
    };
    if *kind != "assignment"
        || b.role != Role::Store
        || r.end > outer.start_byte()
        || scope.occurrences(name).iter().any(|o| o.nested)
    {
        return false;
    }
    let Some(assign) = b.binder_node(binder_root(cx, &scope)) else {
        return false;
    };
    let Some(rhs) = assign.child_by_field_name("right").map(unparen) else {
        return false;
    };
    let starts_sorted = match rhs.kind() {
        "list" => rhs.named_child_count() == 0,
        "call" => rhs.child_by_field_name("function").is_some_and(|f| {
            let t = cx.text(f);
            (t == "sorted" || (t == "list" && call_args(rhs).is_empty()))
                && !module_names(cx).binds(t)
        }),
        _ => false,
    };
    if !starts_sorted {
        return false;
    }
    // Inside the loops (so in the item): the pair, and plain reads (`lst[0]`, `len(lst)`,
    // `x in lst`).
    let only_reads = scope.within(name, outer.byte_range()).all(|o| {
        let Some(id) = cx
            .item()
            .descendant_for_byte_range(o.range.start, o.range.end)
        else {
            return false;
        };
        if id.start_byte() == lst.start_byte()
            || (id.start_byte() >= sort_stmt.start_byte() && id.end_byte() <= sort_stmt.end_byte())
        {
            return true;
        }
        let Some(p) = id.parent() else { return false };
        match p.kind() {
            "subscript" => {
                p.child_by_field_name("value") == Some(id)
                    && !p.parent().is_some_and(|g| {
                        matches!(
                            g.kind(),
                            "assignment" | "augmented_assignment" | "delete_statement"
                        ) && g.child_by_field_name("left").is_none_or(|l| l == p)
                    })
            }
            "comparison_operator" => true,
            "argument_list" => p
                .parent()
                .and_then(|c| c.child_by_field_name("function"))
                .is_some_and(|f| cx.text(f) == "len"),
            _ => false,
        }
    });
    only_reads
}

pub(crate) fn sort_after_insert(node: Node, cx: &mut Ctx) {
    let src = cx.src();
    let Some((recv, method)) = method_call(node) else {
        return;
    };
    if cx.text(method) != "append" {
        return;
    }
    let Some(stmt) = cx
        .parent()
        .filter(|p| p.kind() == "expression_statement" && p.named_child_count() == 1)
    else {
        return;
    };
    // `lst` is a name or an attribute chain on a name.
    let mut base = recv;
    while base.kind() == "attribute" {
        let Some(o) = base.child_by_field_name("object") else {
            return;
        };
        base = o;
    }
    if base.kind() != "identifier" {
        return;
    }
    let [item] = call_args(node)[..] else { return };
    if matches!(
        item.kind(),
        "keyword_argument" | "list_splat" | "dictionary_splat"
    ) {
        return;
    }
    let lst = cx.text(recv);
    let Some(sort_stmt) = next_statement(stmt) else {
        return;
    };
    let Some(in_place) = sort_of(sort_stmt, lst, cx) else {
        return;
    };
    if scope_owner_in(cx, node).kind() == "class_definition" {
        return;
    }
    let safe = in_place && sorted_before_each_append(node, sort_stmt, recv, cx);
    let fix = (|| {
        let (insort, import) =
            import_name_cached(cx, "bisect", "insort", |n| locally_bound(cx, node, n))?;
        let lines = whole_lines(src, sort_stmt)?;
        if src[stmt.end_byte()..lines.start].contains('#') {
            return None; // a comment between the two would go with the sort
        }
        let mut edits = vec![
            Edit::replace(
                node.byte_range(),
                format!("{insort}({lst}, {})", cx.text(item)),
            ),
            Edit::delete(lines),
        ];
        edits.extend(import);
        let applicability = if safe {
            Applicability::Safe
        } else {
            Applicability::Unsafe
        };
        Some(Fix::new("Use `bisect.insort`", applicability, edits))
    })();
    let message = format!(
        "re-sorting `{lst}` after each `append` compares its elements all over again; `bisect.insort` finds the place with a binary search and inserts there"
    );
    let finding = cx.report(node.byte_range(), message);
    finding.fix = fix;
}

#[cfg(test)]
mod tests {
    use crate::engine::Applicability;
    use crate::rules::test_support::check;

    #[test]
    fn in_a_loop_from_empty_is_safe() {
        let src = "def f(xs):\n    seen = []\n    for x in xs:\n        seen.append(x)\n        seen.sort()\n        print(seen[0], len(seen))\n    return seen\n";
        let out = check("x.py", src);
        assert_eq!(out.ids(), ["py/sort-after-insert"]);
        assert_eq!(
            out.findings[0].fix.as_ref().unwrap().applicability,
            Applicability::Safe
        );
        assert_eq!(
            out.fixed,
            "import bisect\ndef f(xs):\n    seen = []\n    for x in xs:\n        bisect.insort(seen, x)\n        print(seen[0], len(seen))\n    return seen\n"
        );
    }

    #[test]
    fn elsewhere_is_unsafe() {
        let src = "from bisect import insort\n\nclass Q:\n    def push(self, x):\n        self.items.append(x)\n        self.items = sorted(self.items)\n";
        let out = check("x.py", src);
        assert_eq!(out.ids(), ["py/sort-after-insert"]);
        assert_eq!(
            out.findings[0].fix.as_ref().unwrap().applicability,
            Applicability::Unsafe
        );
        assert_eq!(out.fixed, "from bisect import insort\n\nclass Q:\n    def push(self, x):\n        insort(self.items, x)\n");
        // Built unsorted before the loop: the first insort would see an unsorted list.
        let out = check("x.py", "def f(xs, ys):\n    a = list(ys)\n    for x in xs:\n        a.append(x)\n        a.sort()\n");
        assert_eq!(
            out.findings[0].fix.as_ref().unwrap().applicability,
            Applicability::Unsafe
        );
    }

    #[test]
    fn leaves_keyed_and_batched_sorts_alone() {
        for src in [
            "def f(a, x):\n    a.append(x)\n    a.sort(key=len)\n",
            "def f(a, x):\n    a.append(x)\n    a.sort(reverse=True)\n",
            "def f(a, x):\n    a.append(x)\n    a = sorted(a, key=len)\n",
            "def f(a, xs):\n    for x in xs:\n        a.append(x)\n    a.sort()\n",
            "def f(a, b, x):\n    a.append(x)\n    b.sort()\n",
        ] {
            assert!(check("x.py", src).ids().is_empty(), "{src}");
        }
    }
}
