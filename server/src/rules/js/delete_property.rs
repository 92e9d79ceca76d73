//! `js/delete-property`: `delete obj.prop` turns the object's hidden class into a slow
//! dictionary-mode object.

use tree_sitter::Node;

use crate::engine::{Ctx, Edit, Fix};
use crate::rules::js::syntax::{is_index_key, is_optional_member, unparen};
use crate::rules::{DefaultSeverity, FixAvailability, Rule, RuleMeta};

pub static DELETE_PROPERTY: Rule = Rule {
    meta: RuleMeta {
        id: "js/delete-property",
        family: Some(crate::language::Family::Js),
        summary: "`delete obj.prop` drops the object to dictionary mode: set it to `undefined`",
        default: DefaultSeverity::ByLoopDepth,
        hot_only: false,
        fix: FixAvailability::Unsafe,
    },
    kinds: &["unary_expression"],
    check: delete_property,
};

/// The key of `obj["literal"]` / ``obj[`literal`]``, when the index is a literal string.
fn literal_key<'s>(index: Node, src: &'s str) -> Option<&'s str> {
    let text = src.get(index.byte_range())?;
    match index.kind() {
        "string" => text.get(1..text.len().checked_sub(1)?),
        "template_string" => {
            let mut c = index.walk();
            let plain = index
                .named_children(&mut c)
                .all(|n| n.kind() == "string_fragment");
            if plain {
                text.get(1..text.len().checked_sub(1)?)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Objects whose properties are not a hidden-class question: the global object is always in
/// dictionary mode, and `process.env` is an exotic object where assigning `undefined` stores
/// the string "undefined".
fn exempt_object(object: Node, src: &str) -> bool {
    let text = src.get(object.byte_range()).unwrap_or("");
    matches!(
        text,
        "window" | "globalThis" | "global" | "self" | "process.env"
    ) || text.starts_with("process.env[")
        || text.starts_with("process.env.")
}

pub(crate) fn delete_property(node: Node, cx: &mut Ctx) {
    let (Some(op), Some(arg)) = (
        node.child_by_field_name("operator"),
        node.child_by_field_name("argument"),
    ) else {
        return;
    };
    if op.kind() != "delete" {
        return;
    }
    let arg = unparen(arg);
    match arg.kind() {
        "member_expression" => {
            if arg
                .child_by_field_name("property")
                .is_some_and(|p| p.kind() == "private_property_identifier")
            {
                return; // a syntax error anyway
            }
        }
        "subscript_expression" => {
            let Some(index) = arg.child_by_field_name("index") else {
                return;
            };
            // Dynamic keys: the object is a map, and `Map` is the advice, not this rule.
            let Some(key) = literal_key(index, cx.src()) else {
                return;
            };
            if is_index_key(key) {
                return; // an array element
            }
        }
        _ => return,
    }
    if arg
        .child_by_field_name("object")
        .is_some_and(|o| exempt_object(o, cx.src()))
    {
        return;
    }
    // `delete a?.b` and `delete a?.b.c`: the chain may short-circuit, so there is no plain
    // assignment to offer.
    let optional = {
        let mut n = Some(arg);
        let mut any = false;
        while let Some(m) =
            n.filter(|m| matches!(m.kind(), "member_expression" | "subscript_expression"))
        {
            any |= is_optional_member(m);
            n = m.child_by_field_name("object").map(unparen);
        }
        any
    };
    let statement = cx
        .parent()
        .is_some_and(|p| p.kind() == "expression_statement");
    let message = "`delete` changes the object's shape and drops it into slow dictionary mode; assign `undefined` instead (or use a `Map` if keys come and go)";
    let range = node.byte_range();
    let fix = (statement && !optional).then(|| {
        Fix::unsafe_(
            "Assign `undefined` instead of deleting",
            vec![Edit::replace(
                range.clone(),
                format!("{} = undefined", cx.text(arg)),
            )],
        )
    });
    cx.report(range, message).fix = fix;
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::check;

    #[test]
    fn fires_and_fixes() {
        let src = "const o = { a: 1, b: 2 };\ndelete o.a;\ndelete o[\"b\"];\nif (delete o.c) {}\n";
        for name in ["x.js", "x.ts", "x.tsx"] {
            let out = check(name, src);
            assert_eq!(out.ids(), ["js/delete-property"; 3], "{name}");
            assert!(
                out.fixed
                    .contains("o.a = undefined;\no[\"b\"] = undefined;\nif (delete o.c)"),
                "{}",
                out.fixed
            );
        }
    }

    #[test]
    fn leaves_maps_and_arrays_alone() {
        let out = check("x.ts", "declare const o: Record<string, number>; declare const k: string;\ndelete o[k];\ndelete arr[0];\ndelete arr['1'];\ndelete process.env.X;\ndelete window.foo;\n");
        assert!(out.ids().is_empty(), "{:?}", out.ids());
    }

    #[test]
    fn optional_chains_get_no_fix() {
        let out = check("x.js", "delete a?.b.c;\ndelete a.b?.c;\ndelete o['nan'];\n");
        assert_eq!(out.ids(), ["js/delete-property"; 3]);
        assert_eq!(
            out.fixed,
            "delete a?.b.c;\ndelete a.b?.c;\no['nan'] = undefined;\n"
        );
    }
}
