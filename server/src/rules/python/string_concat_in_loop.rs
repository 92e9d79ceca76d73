//! `py/string-concat-in-loop` (hot): `s += …` / `s = s + …` in a loop, where `s` started as a
//! str literal: each step may copy the whole string built so far. A list of parts joined once
//! copies every character once.

use tree_sitter::Node;

use crate::engine::{Ctx, Edit, Fix};
use crate::rules::python::scope::{binder_root, scope_of, scope_owner_in, Occ, Role};
use crate::rules::python::syntax::{indent_of, is_str_literal, line_end, unparen};
use crate::rules::{DefaultSeverity, FixAvailability, Rule, RuleMeta};

pub static STRING_CONCAT_IN_LOOP: Rule = Rule {
    meta: RuleMeta {
        id: "py/string-concat-in-loop",
        family: Some(crate::language::Family::Python),
        summary: "A str built with `+=` in a loop: collect parts and `\"\".join()` them",
        default: DefaultSeverity::ByLoopDepth,
        hot_only: true,
        fix: FixAvailability::Unsafe,
    },
    kinds: &["augmented_assignment", "assignment"],
    check: string_concat_in_loop,
};

/// The terms appended by a concatenation statement `s += e` (`[e]`) or `s = s + a + b`
/// (`[a, b]`), when `node` is one for the name `s`.
fn appended_terms<'t>(node: Node<'t>, src: &str) -> Option<(Node<'t>, Vec<Node<'t>>)> {
    let left = node
        .child_by_field_name("left")
        .filter(|l| l.kind() == "identifier")?;
    let right = node.child_by_field_name("right")?;
    let name = &src[left.byte_range()];
    match node.kind() {
        "augmented_assignment" => {
            (node.child_by_field_name("operator")?.kind() == "+=").then(|| (left, vec![right]))
        }
        "assignment" => {
            // Walk the left spine of `+`: `((s + a) + b)`.
            let mut terms = Vec::new();
            let mut n = unparen(right);
            while n.kind() == "binary_operator"
                && n.child_by_field_name("operator")
                    .is_some_and(|o| o.kind() == "+")
            {
                terms.push(n.child_by_field_name("right")?);
                n = unparen(n.child_by_field_name("left")?);
            }
            if terms.is_empty() || n.kind() != "identifier" || &src[n.byte_range()] != name {
                return None;
            }
            terms.reverse();
            Some((left, terms))
        }
        _ => None,
    }
}

/// Whether a binding is a concatenation statement of `name`.
fn is_concat(occ: &Occ, root: Node, src: &str) -> bool {
    occ.binder_node(root)
        .and_then(|b| appended_terms(b, src))
        .is_some_and(|(l, _)| l.byte_range() == occ.range)
}

/// A `str` literal with no characters (`""`, `''`, `r""`).
fn is_empty_str(node: Node, src: &str) -> bool {
    let t = &src[node.byte_range()];
    node.kind() == "string"
        && t.trim_start_matches(|c: char| c.is_ascii_alphabetic())
            .len()
            == 2
}

pub(crate) fn string_concat_in_loop(node: Node, cx: &mut Ctx) {
    let src = cx.src();
    let Some((target, _)) = appended_terms(node, src) else {
        return;
    };
    let name = cx.text(target);
    let owner = scope_owner_in(cx, node);
    if owner.kind() == "class_definition" {
        return;
    }
    let Some(outer) = cx
        .ancestors()
        .map(|f| f.node)
        .take_while(|n| n.id() != owner.id())
        .filter(|n| cx.is_loop(*n))
        .last()
    else {
        return;
    };
    let scope = scope_of(cx, node);
    let root = binder_root(cx, &scope);
    let inside = |o: &Occ| o.range.start >= outer.start_byte() && o.range.end <= outer.end_byte();
    let bindings: Vec<&Occ> = scope.bindings(name).collect();
    // Bound to a str literal before the loop, and only by literals and concatenations in it.
    let str_literal = |o: &Occ| {
        o.role == Role::Store
            && o.binder_node(root).is_some_and(|b| {
                b.kind() == "assignment"
                    && b.child_by_field_name("left")
                        .is_some_and(|l| l.byte_range() == o.range)
                    && b.child_by_field_name("right")
                        .is_some_and(|r| is_str_literal(r, src))
            })
    };
    let before: Vec<&&Occ> = bindings
        .iter()
        .filter(|o| o.range.end <= outer.start_byte())
        .collect();
    let within: Vec<&&Occ> = bindings.iter().filter(|o| inside(o)).collect();
    if before.is_empty() || !before.iter().all(|o| str_literal(o)) {
        return;
    }
    if !within
        .iter()
        .all(|o| str_literal(o) || is_concat(o, root, src))
    {
        return;
    }
    let concats: Vec<&&&Occ> = within.iter().filter(|o| is_concat(o, root, src)).collect();
    if concats
        .first()
        .is_none_or(|o| o.range != target.byte_range())
    {
        return; // one finding per string and loop, on the first concatenation
    }
    let parts = scope.fresh_name(&format!("{name}_parts"));
    let fix = (|| {
        if outer.kind() != "for_statement" && outer.kind() != "while_statement" {
            return None;
        }
        let [init] = before[..] else { return None };
        let init_assign = init.binder_node(root)?;
        let init_stmt = init_assign
            .parent()
            .filter(|p| p.kind() == "expression_statement")?;
        if init_stmt.parent()?.id() != outer.parent()?.id() {
            return None;
        }
        // Between the initial value and the loop, and inside the loop, `s` is only built.
        let reads_between = scope
            .occurrences_from(name, init_stmt.end_byte() + 1)
            .iter()
            .take_while(|o| o.range.start <= outer.start_byte())
            .any(|o| o.range.end <= outer.start_byte());
        let concat_nodes: Vec<Node> = concats.iter().filter_map(|o| o.binder_node(root)).collect();
        let other_in_loop = scope.within(name, outer.byte_range()).any(|o| {
            !concat_nodes.iter().any(|c| {
                let spine_or_target = appended_terms(*c, src).is_some_and(|(l, terms)| {
                    o.range == l.byte_range()
                        || (c.kind() == "assignment"
                            && terms.first().is_some_and(|t| o.range.end <= t.start_byte()))
                });
                o.range.start >= c.start_byte() && o.range.end <= c.end_byte() && spine_or_target
            })
        });
        if reads_between || other_in_loop || within.len() != concats.len() {
            return None;
        }
        let indent = indent_of(src, outer)?;
        let value = init_assign.child_by_field_name("right")?;
        let first = if is_empty_str(unparen(value), src) {
            String::new()
        } else {
            cx.text(value).to_owned()
        };
        let mut edits = vec![Edit::replace(
            init_assign.byte_range(),
            format!("{parts} = [{first}]"),
        )];
        for c in &concat_nodes {
            let (_, terms) = appended_terms(*c, src)?;
            let text = match terms.as_slice() {
                [one] => format!("{parts}.append({})", cx.text(*one)),
                many => format!(
                    "{parts}.extend(({}))",
                    many.iter()
                        .map(|t| cx.text(*t))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            edits.push(Edit::replace(c.byte_range(), text));
        }
        let after = line_end(src, outer.end_byte().saturating_sub(1));
        let join = format!("{indent}{name} = \"\".join({parts})\n");
        edits.push(if after == src.len() && !src.ends_with('\n') {
            Edit::insert(after, format!("\n{join}"))
        } else {
            Edit::insert(after, join)
        });
        Some(Fix::unsafe_(
            "Collect the parts in a list and join them once",
            edits,
        ))
    })();
    let message = format!(
        "`{name}` is a str grown with `+` in a loop: each step can copy everything built so far (quadratic in the worst case); append the parts to a list and `\"\".join()` them once"
    );
    let finding = cx.report(node.byte_range(), message);
    finding.fix = fix;
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::check;

    fn ids(src: &str) -> Vec<&'static str> {
        check("x.py", src)
            .ids()
            .into_iter()
            .filter(|i| *i == "py/string-concat-in-loop")
            .collect()
    }

    #[test]
    fn fires_and_fixes() {
        let src = "def f(rows):\n    s = \"<table>\"\n    for r in rows:\n        s += \"<tr>\"\n        s = s + str(r) + \"</tr>\"\n    return s + \"</table>\"\n";
        let out = check("x.py", src);
        assert_eq!(out.ids(), ["py/string-concat-in-loop"]);
        assert_eq!(
            out.fixed,
            "def f(rows):\n    s_parts = [\"<table>\"]\n    for r in rows:\n        s_parts.append(\"<tr>\")\n        s_parts.extend((str(r), \"</tr>\"))\n    s = \"\".join(s_parts)\n    return s + \"</table>\"\n"
        );
        let out = check(
            "x.py",
            "def f(xs):\n    s = ''\n    for x in xs:\n        s += x\n    return s",
        );
        // The parts loop then becomes a comprehension (py/append-in-loop's fix).
        assert_eq!(
            out.fixed,
            "def f(xs):\n    s_parts = [x for x in xs]\n    s = \"\".join(s_parts)\n    return s"
        );
    }

    #[test]
    fn no_fix_when_read_in_the_loop() {
        let src = "def f(words):\n    line = \"\"\n    for w in words:\n        line += w\n        if len(line) > 70:\n            print(line)\n            line = \"\"\n";
        let out = check("x.py", src);
        assert_eq!(out.ids(), ["py/string-concat-in-loop"]);
        assert!(out.findings[0].fix.is_none());
    }

    #[test]
    fn leaves_numbers_and_unknowns_alone() {
        for src in [
            "def f(xs):\n    s = 0\n    for x in xs:\n        s += x\n",
            "def f(xs, s):\n    for x in xs:\n        s += x\n",
            "def f(xs):\n    s = ''\n    for x in xs:\n        s = x + s\n",
            "def f(xs):\n    s = ''\n    for x in xs:\n        s = g(x)\n        s += x\n",
            "s = ''\nfor x in xs:\n    pass\n",
        ] {
            assert!(ids(src).is_empty(), "{src}");
        }
    }
}
