//! `js/delete-property`: `delete obj.prop` turns the object's hidden class into a slow
//! dictionary-mode object.

use tree_sitter::Node;

use crate::engine::{Ctx, Edit, Fix};
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

/// Whether a subscript index is a string literal (not a template with substitutions).
fn literal_key(index: Node) -> bool {
    match index.kind() {
        "string" => true,
        "template_string" => {
            index.named_child_count() == 0 || {
                let mut c = index.walk();
                let all = index
                    .named_children(&mut c)
                    .all(|n| n.kind() == "string_fragment");
                all
            }
        }
        _ => false,
    }
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
    let mut arg = arg;
    while arg.kind() == "parenthesized_expression" {
        match arg.named_child(0) {
            Some(inner) => arg = inner,
            None => return,
        }
    }
    let optional = arg.child_by_field_name("optional_chain").is_some() || {
        let mut c = arg.walk();
        let any = arg.children(&mut c).any(|n| n.kind() == "optional_chain");
        any
    };
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
            if !literal_key(index) {
                return; // dynamic keys: the object is a map; `Map` is the fix, not this rule
            }
            let key = cx.text(index);
            let inner = key.get(1..key.len().saturating_sub(1)).unwrap_or("");
            if inner.parse::<f64>().is_ok() {
                return; // array element
            }
        }
        _ => return,
    }
    let statement = cx
        .parent()
        .is_some_and(|p| p.kind() == "expression_statement");
    let message = "`delete` changes the object's shape and drops it into slow dictionary mode; assign `undefined` instead (or use a `Map` if keys come and go)";
    let target = cx.text(arg).to_owned();
    let range = node.byte_range();
    let finding = cx.report(range.clone(), message);
    if statement && !optional {
        finding.fix = Some(Fix::unsafe_(
            "Assign `undefined` instead of deleting",
            vec![Edit::replace(range, format!("{target} = undefined"))],
        ));
    }
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
        let out = check("x.ts", "declare const o: Record<string, number>; declare const k: string;\ndelete o[k];\ndelete arr[0];\ndelete arr['1'];\n");
        assert!(out.ids().is_empty(), "{:?}", out.ids());
    }
}
