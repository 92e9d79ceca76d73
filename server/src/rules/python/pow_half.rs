//! `py/pow-half`: `x ** 0.5` and `pow(x, 0.5)` where `math.sqrt(x)` is meant.

use tree_sitter::Node;

use crate::engine::{Ctx, Edit, Fix};
use crate::rules::python::imports::ensure_module;
use crate::rules::{DefaultSeverity, FixAvailability, Rule, RuleMeta};

pub static POW_HALF: Rule = Rule {
    meta: RuleMeta {
        id: "py/pow-half",
        family: Some(crate::language::Family::Python),
        summary: "`x ** 0.5` / `pow(x, 0.5)`: use `math.sqrt(x)`",
        default: DefaultSeverity::ByLoopDepth,
        hot_only: false,
        fix: FixAvailability::Unsafe,
    },
    kinds: &["binary_operator", "call"],
    check: pow_half,
};

fn is_half(text: &str) -> bool {
    let t = text.replace('_', "");
    !t.contains(['j', 'J']) && t.parse::<f64>().is_ok_and(|v| v == 0.5) && t.contains('.')
}

fn is_complex_literal(node: Node, src: &str) -> bool {
    let mut n = node;
    while n.kind() == "parenthesized_expression" || n.kind() == "unary_operator" {
        match n
            .named_child(0)
            .filter(|_| n.kind() == "parenthesized_expression")
            .or_else(|| n.child_by_field_name("argument"))
        {
            Some(c) => n = c,
            None => break,
        }
    }
    matches!(n.kind(), "integer" | "float") && src[n.byte_range()].ends_with(['j', 'J'])
}

/// The operand's text without redundant outer parentheses.
fn operand_text<'s>(node: Node, src: &'s str) -> &'s str {
    if node.kind() == "parenthesized_expression" && node.named_child_count() == 1 {
        if let Some(inner) = node.named_child(0) {
            return &src[inner.byte_range()];
        }
    }
    &src[node.byte_range()]
}

pub(crate) fn pow_half(node: Node, cx: &mut Ctx) {
    let src = cx.src();
    let base = match node.kind() {
        "binary_operator" => {
            let (Some(left), Some(op), Some(right)) = (
                node.child_by_field_name("left"),
                node.child_by_field_name("operator"),
                node.child_by_field_name("right"),
            ) else {
                return;
            };
            if op.kind() != "**" || right.kind() != "float" || !is_half(cx.text(right)) {
                return;
            }
            left
        }
        "call" => {
            let (Some(func), Some(args)) = (
                node.child_by_field_name("function"),
                node.child_by_field_name("arguments"),
            ) else {
                return;
            };
            if func.kind() != "identifier"
                || cx.text(func) != "pow"
                || args.kind() != "argument_list"
            {
                return;
            }
            let mut c = args.walk();
            let list: Vec<Node> = args
                .named_children(&mut c)
                .filter(|n| n.kind() != "comment")
                .collect();
            match list.as_slice() {
                [b, e]
                    if e.kind() == "float"
                        && is_half(cx.text(*e))
                        && b.kind() != "keyword_argument" =>
                {
                    *b
                }
                _ => return,
            }
        }
        _ => return,
    };
    if is_complex_literal(base, src) || base.kind() == "list_splat" {
        return;
    }
    let (qualifier, import) = ensure_module(cx.root(), src, "math");
    let mut edits = vec![Edit::replace(
        node.byte_range(),
        format!("{qualifier}.sqrt({})", operand_text(base, src)),
    )];
    edits.extend(import);
    let finding = cx.report(
        node.byte_range(),
        "raising to 0.5 goes through the generic power routine; `math.sqrt` is a direct C call (and never returns a complex)",
    );
    finding.fix = Some(Fix::unsafe_("Use `math.sqrt`", edits));
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::check;

    #[test]
    fn fires_and_fixes() {
        let out = check(
            "x.py",
            "def f(a, b):\n    return (a + b) ** 0.5 + pow(a, 0.5)\n",
        );
        assert_eq!(out.ids(), ["py/pow-half", "py/pow-half"]);
        assert_eq!(
            out.fixed,
            "import math\ndef f(a, b):\n    return math.sqrt(a + b) + math.sqrt(a)\n"
        );
    }

    #[test]
    fn leaves_others_alone() {
        let out = check(
            "x.py",
            "x = 2j ** 0.5\ny = 2 ** 0.25\nz = pow(2, 0.5, 3)\nw = a ** 5\n",
        );
        assert!(out.ids().is_empty(), "{:?}", out.ids());
    }
}
