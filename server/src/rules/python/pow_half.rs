//! `py/pow-half`: `x ** 0.5`, `pow(x, 0.5)` and `x **= 0.5` where `math.sqrt(x)` is meant.

use tree_sitter::Node;

use crate::engine::{Ctx, Edit, Fix};
use crate::rules::python::imports::import_name_cached;
use crate::rules::python::scope::{locally_bound, module_names};
use crate::rules::python::syntax::unparen;
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
    kinds: &["binary_operator", "call", "augmented_assignment"],
    check: pow_half,
};

const MESSAGE: &str = "raising to 0.5 goes through the generic power routine; `math.sqrt` is a direct C call (and never returns a complex)";

/// A float literal equal to 0.5 (`0.5`, `.5`, `0.50`, `5e-1`, `0.5_0`), not imaginary.
fn is_half(node: Node, src: &str) -> bool {
    if node.kind() != "float" {
        return false;
    }
    let text = src[node.byte_range()].replace('_', "");
    !text.ends_with(['j', 'J']) && text.parse::<f64>().is_ok_and(|v| v == 0.5)
}

/// An imaginary literal, possibly negated or parenthesized (`2j`, `-(1.5j)`).
fn is_complex_literal(node: Node, src: &str) -> bool {
    let mut n = unparen(node);
    while n.kind() == "unary_operator" {
        match n.child_by_field_name("argument") {
            Some(a) => n = unparen(a),
            None => break,
        }
    }
    matches!(n.kind(), "integer" | "float") && src[n.byte_range()].ends_with(['j', 'J'])
}

/// Whether the builtin `pow` is meant: no binding of `pow` in the file's top level or in a
/// scope around the call.
fn is_builtin_pow(node: Node, cx: &Ctx) -> bool {
    !module_names(cx).binds("pow") && !locally_bound(cx, node, "pow")
}

/// A necessary condition for the query to match at `node`, cheaper than running it: the
/// operator is `**` / `**=` with a float on the right, or the callee is the name `pow`.
fn may_match(node: Node, src: &str) -> bool {
    match node.kind() {
        "call" => node
            .child_by_field_name("function")
            .is_some_and(|f| f.kind() == "identifier" && &src[f.byte_range()] == "pow"),
        _ => {
            node.child_by_field_name("right")
                .is_some_and(|r| r.kind() == "float")
                && node
                    .child_by_field_name("operator")
                    .is_some_and(|o| matches!(o.kind(), "**" | "**="))
        }
    }
}

pub(crate) fn pow_half(node: Node, cx: &mut Ctx) {
    let src = cx.src();
    if !may_match(node, src) {
        return;
    }
    // The shapes come from `queries/python/pow-half.scm`: (base, exponent, assignment target).
    let mut found: Option<(Node, Node, Option<Node>)> = None;
    cx.query_at("pow-half", node, |m| {
        if let (Some(base), Some(exponent)) = (m.get("base"), m.get("exponent")) {
            found = Some((base, exponent, m.get("target")));
        }
    });
    let Some((base, exponent, target)) = found else {
        return;
    };
    if !is_half(exponent, src) {
        return;
    }
    if node.kind() == "call"
        && (matches!(
            base.kind(),
            "keyword_argument" | "list_splat" | "dictionary_splat"
        ) || !is_builtin_pow(node, cx))
    {
        return;
    }
    if is_complex_literal(base, src) {
        return;
    }
    let fix = import_name_cached(cx, "math", "sqrt", |n| locally_bound(cx, node, n)).and_then(
        |(sqrt, import)| {
            let inner = &src[unparen(base).byte_range()];
            let replacement = match target {
                None => format!("{sqrt}({inner})"),
                // `x **= 0.5` → `x = math.sqrt(x)`, only for plain names (no double evaluation).
                Some(t) if t.kind() == "identifier" => format!("{inner} = {sqrt}({inner})"),
                Some(_) => return None,
            };
            let mut edits = vec![Edit::replace(node.byte_range(), replacement)];
            edits.extend(import);
            Some(Fix::unsafe_("Use `math.sqrt`", edits))
        },
    );
    let finding = cx.report(node.byte_range(), MESSAGE);
    finding.fix = fix;
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::check;

    #[test]
    fn fires_and_fixes() {
        let out = check(
            "x.py",
            "def f(a, b):\n    return (a + b) ** 0.5 + pow(a, 0.5) + b ** 5e-1\n",
        );
        assert_eq!(out.ids(), ["py/pow-half", "py/pow-half", "py/pow-half"]);
        assert_eq!(out.fixed, "import math\ndef f(a, b):\n    return math.sqrt(a + b) + math.sqrt(a) + math.sqrt(b)\n");
    }

    #[test]
    fn augmented_and_from_import() {
        let out = check(
            "x.py",
            "from math import sqrt\n\ndef f(a, o):\n    a **= 0.5\n    o.x **= 0.5\n    return a\n",
        );
        assert_eq!(out.ids(), ["py/pow-half", "py/pow-half"]);
        assert_eq!(out.fixed, "from math import sqrt\n\ndef f(a, o):\n    a = sqrt(a)\n    o.x **= 0.5\n    return a\n");
    }

    #[test]
    fn shadowed_names_get_no_fix() {
        // A parameter named `math`: `math.sqrt` would mean the parameter's attribute.
        let out = check("x.py", "def f(math, a):\n    return a ** 0.5\n");
        assert_eq!(out.ids(), ["py/pow-half"]);
        assert!(out.findings[0].fix.is_none());
        assert_eq!(out.fixed, "def f(math, a):\n    return a ** 0.5\n");
    }

    #[test]
    fn leaves_others_alone() {
        let out = check(
            "x.py",
            "x = 2j ** 0.5\ny = 2 ** 0.25\nz = pow(2, 0.5, 3)\nw = a ** 5\nv = (-1.5j) ** .5\nu = pow(*a)\n",
        );
        assert!(out.ids().is_empty(), "{:?}", out.ids());
        let out = check(
            "x.py",
            "from operator import pow\nx = pow(a, 0.5)\ndef g(pow):\n    return pow(a, 0.5)\n",
        );
        assert!(out.ids().is_empty(), "{:?}", out.ids());
    }
}
