//! `js/mixed-element-kinds`: arrays carry an elements kind (SMI → DOUBLE → ELEMENTS) that only
//! ever widens; mixing kinds in a literal, or pushing a wider value into an integer array,
//! moves it along.

use tree_sitter::Node;

use crate::engine::Ctx;
use crate::rules::js::syntax::{
    elements, find_declaration, is_function_like, is_smi, method_call, number_value, unparen,
};
use crate::rules::{DefaultSeverity, FixAvailability, Rule, RuleMeta};

pub static MIXED_ELEMENT_KINDS: Rule = Rule {
    meta: RuleMeta {
        id: "js/mixed-element-kinds",
        family: Some(crate::language::Family::Js),
        summary: "Arrays mixing integers, doubles and other values widen their elements kind",
        // Information only: on third-party code most mixed literals are numeric data or tuples
        // where nothing can be done (see tests/precision/js/README.md).
        default: DefaultSeverity::Fixed(crate::engine::Severity::Info),
        hot_only: false,
        fix: FixAvailability::None,
    },
    kinds: &["array", "call_expression"],
    check: mixed_element_kinds,
};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Smi,
    /// A double; `special` for `-0`, `NaN` and `±Infinity`.
    Double {
        special: bool,
    },
    Other,
    Unknown,
}

/// How many elements of a literal are classified.
const MAX_CLASSIFIED: usize = 512;

/// Plain decimal digits that fit a SMI, without parsing: the common case in numeric data.
fn small_decimal(text: &str) -> bool {
    text.len() <= 9
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'))
}

fn classify(node: Node, src: &str) -> Kind {
    let node = unparen(node);
    match node.kind() {
        "number" if small_decimal(&src[node.byte_range()]) => Kind::Smi,
        "number" => match number_value(&src[node.byte_range()]) {
            Some(v) if is_smi(v) => Kind::Smi,
            Some(_) => Kind::Double { special: false },
            None => Kind::Other, // BigInt: a heap object
        },
        "unary_expression" => {
            let op = node.child_by_field_name("operator").map(|o| o.kind());
            let Some(arg) = node.child_by_field_name("argument").map(unparen) else {
                return Kind::Unknown;
            };
            match (op, arg.kind()) {
                (Some("-"), "number") => match number_value(&src[arg.byte_range()]) {
                    Some(0.0) => Kind::Double { special: true },
                    Some(v) if is_smi(-v) => Kind::Smi,
                    Some(_) => Kind::Double { special: false },
                    None => Kind::Other,
                },
                (Some("-" | "+"), "identifier")
                    if matches!(&src[arg.byte_range()], "Infinity" | "NaN") =>
                {
                    Kind::Double { special: true }
                }
                _ => Kind::Unknown,
            }
        }
        "identifier" => match &src[node.byte_range()] {
            "NaN" | "Infinity" => Kind::Double { special: true },
            "undefined" => Kind::Other,
            _ => Kind::Unknown,
        },
        "string"
        | "template_string"
        | "true"
        | "false"
        | "null"
        | "object"
        | "array"
        | "regex"
        | "arrow_function"
        | "function_expression"
        | "function"
        | "class"
        | "new_expression" => Kind::Other,
        _ => Kind::Unknown,
    }
}

/// Arrays that are tuples by intent: typed as a tuple, `as const`, or a row among rows of the
/// same length (a table, or `new Map([[k, v], …])` entries).
fn is_tuple(array: Node, len: usize, src: &str) -> bool {
    let Some(parent) = array.parent() else {
        return false;
    };
    match parent.kind() {
        "as_expression" | "satisfies_expression" => {
            let mut c = parent.walk();
            let ty = parent
                .children(&mut c)
                .any(|t| matches!(t.kind(), "const" | "tuple_type" | "readonly_type"));
            ty
        }
        "variable_declarator"
        | "required_parameter"
        | "optional_parameter"
        | "public_field_definition" => parent
            .child_by_field_name("type")
            .and_then(|t| t.named_child(0))
            .is_some_and(|t| {
                matches!(
                    t.kind(),
                    "tuple_type" | "readonly_type" | "type_identifier" | "generic_type"
                )
            }),
        "array" => {
            // A row of a table: every sibling is an array literal.
            elements(parent).all(|s| s.kind() == "array")
        }
        "pair" => {
            // A row of a keyed table: `{ thead: [1, "<table>", "</table>"], … }`.
            parent.parent().is_some_and(|obj| {
                elements(obj).all(|p| {
                    p.kind() == "pair"
                        && p.child_by_field_name("value")
                            .is_some_and(|v| v.kind() == "array")
                })
            })
        }
        "return_statement" => {
            // `return [value, setter]` from a function typed to return a tuple, or any
            // short heterogeneous return (a pair is how JS returns two values).
            len <= 3 || enclosing_return_type_is_tuple(parent)
        }
        "arrow_function" => len <= 3,
        "arguments" => parent.parent().is_some_and(|call| {
            let callee = call
                .child_by_field_name("function")
                .or_else(|| call.child_by_field_name("constructor"));
            callee.is_some_and(|c| {
                matches!(
                    &src[c.byte_range()],
                    "Map" | "Object.fromEntries" | "WeakMap"
                )
            })
        }),
        _ => false,
    }
}

/// Arrays used up on the spot, whose elements kind has no lasting effect: the receiver of a
/// method call (`[2, "2", "error"].includes(x)`) or the source of a typed array or collection
/// (`new Float32Array([...])`, `new Set([...])`).
fn consumed_at_once(array: Node, src: &str) -> bool {
    let Some(parent) = array.parent() else {
        return false;
    };
    match parent.kind() {
        "member_expression" | "subscript_expression" => {
            parent.child_by_field_name("object") == Some(array)
        }
        "arguments" => parent.parent().is_some_and(|call| {
            call.kind() == "new_expression"
                && call.child_by_field_name("constructor").is_some_and(|c| {
                    let name = &src[c.byte_range()];
                    matches!(name, "Set" | "Map" | "WeakSet" | "WeakMap")
                        || (name.ends_with("Array") && name != "Array")
                })
        }),
        _ => false,
    }
}

fn enclosing_return_type_is_tuple(node: Node) -> bool {
    let mut n = node.parent();
    while let Some(p) = n {
        if is_function_like(p.kind()) {
            return p
                .child_by_field_name("return_type")
                .and_then(|t| t.named_child(0))
                .is_some_and(|t| matches!(t.kind(), "tuple_type" | "readonly_type"));
        }
        n = p.parent();
    }
    false
}

pub(crate) fn mixed_element_kinds(node: Node, cx: &mut Ctx) {
    match node.kind() {
        "array" => literal(node, cx),
        _ => push(node, cx),
    }
}

fn literal(array: Node, cx: &mut Ctx) {
    let src = cx.src();
    let (mut smi, mut double, mut special, mut other, mut len) = (0, 0, 0, 0, 0);
    for e in elements(array) {
        len += 1;
        // The kind of a literal is settled by its first elements; data tables of thousands of
        // numbers are not read to the end.
        if len > MAX_CLASSIFIED {
            continue;
        }
        match classify(e, src) {
            Kind::Smi => smi += 1,
            Kind::Double { special: s } => {
                double += 1;
                special += usize::from(s);
            }
            Kind::Other => other += 1,
            Kind::Unknown => {}
        }
    }
    let numbers = smi + double;
    let message = if smi > 0 && double > 0 && special == double && other == 0 {
        "`-0`, `NaN` or `Infinity` among small integers makes the whole array DOUBLE: every element is stored as a 64-bit float instead of a small integer; use another sentinel (e.g. `-1`) if the array is meant to hold integers"
    } else if smi > 0 && double > 0 && other == 0 {
        // Up to three values (a vector, a pair) and table rows are tuples, not collections.
        if len <= 3 || is_tuple(array, len, src) {
            return;
        }
        "this array mixes small integers with doubles, so it starts as DOUBLE (integers are stored as floats); code that also sees integer-only arrays at the same place becomes polymorphic"
    } else if numbers > 0 && other > 0 {
        // Up to three values of mixed kinds is how JavaScript writes a tuple.
        if len <= 3 || is_tuple(array, len, src) {
            return;
        }
        "this array mixes numbers with other values, so its elements kind is the generic ELEMENTS: numbers lose their unboxed storage (doubles become heap numbers) and readers cannot specialize on one type"
    } else {
        return;
    };
    // Looked up last: it needs the parent, and most literals are of one kind.
    if consumed_at_once(array, src) {
        return;
    }
    cx.report(array.byte_range(), message);
}

/// `a.push(2.5)` / `a.push('x')` where `a` is a local integer-literal array.
fn push(call: Node, cx: &mut Ctx) {
    let src = cx.src();
    let Some((recv, "push" | "unshift", args)) = method_call(call, src) else {
        return;
    };
    if recv.kind() != "identifier" {
        return;
    }
    let widened: Option<(Node, Kind)> = elements(args)
        .map(|a| (a, classify(a, src)))
        .find(|(_, k)| matches!(k, Kind::Double { .. } | Kind::Other));
    let Some((arg, kind)) = widened else { return };
    let name = &src[recv.byte_range()];
    let Some((_, decl)) = find_declaration(call, name, src) else {
        return;
    };
    // Declared in the same function.
    let same_function = {
        let f1 = enclosing_function(call);
        let f2 = enclosing_function(decl);
        f1 == f2
    };
    let Some(init) = decl.child_by_field_name("value").map(unparen) else {
        return;
    };
    if !same_function || init.kind() != "array" {
        return;
    }
    let mut count = 0;
    for e in elements(init) {
        if classify(e, src) != Kind::Smi {
            return;
        }
        count += 1;
    }
    if count == 0 {
        return;
    }
    let to = if matches!(kind, Kind::Double { .. }) {
        "DOUBLE"
    } else {
        "ELEMENTS"
    };
    let message = format!(
        "`{name}` starts as an array of small integers; pushing `{}` turns it into {to} at run time, which converts its backing store and makes code that saw the integer version polymorphic",
        &src[arg.byte_range()]
    );
    cx.report(call.byte_range(), message);
}

fn enclosing_function(node: Node) -> Option<Node> {
    let mut n = node.parent();
    while let Some(p) = n {
        if is_function_like(p.kind()) {
            return Some(p);
        }
        n = p.parent();
    }
    None
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::check;

    #[test]
    fn mixes_fire() {
        let out = check(
            "x.js",
            "a = [1, 2.5, 3, 4];\nb = [1, 2, -0];\nc = [1, 'x', 3, 4];\nd = [0, NaN];\ne = [1, 'x', 2];\n",
        );
        assert_eq!(out.ids(), ["js/mixed-element-kinds"; 4]);
        assert!(out.findings[1].message.contains("`-0`"));
    }

    #[test]
    fn one_kind_and_tuples_are_quiet() {
        for src in [
            "a = [1, 2, 3];",
            "a = [1.5, 2.5];",
            "a = ['x', 'y'];",
            "a = [x, 1.5, y];",
            "m = new Map([['a', 1], ['b', 2]]);",
            "rows = [['a', 1], ['b', 2]];",
            "rows = [['a', 1, 'x'], ['b', 2]];",
            "wrap = { thead: [1, '<table>', '</table>'], col: [2, '<col>', ''] };",
            "ok = [2, '2', 'error'].includes(s);",
            "n = [1, null, 3, 1, 2, null, 4][t];",
            "v = [-0.5, 0, 0];",
            "lut = [[0.0, 0x0000ff], [0.2, 0x00ffff]];",
            "f = new Float32Array([0, 0.5, 1]);",
            "levels = new Set(['error', 'warn', 2, 1]);",
            "function f() { return ['a', 1]; }",
        ] {
            assert!(check("x.js", src).ids().is_empty(), "{src}");
        }
        let out = check(
            "x.ts",
            "const t: [string, number] = ['a', 1];\nconst u = ['a', 1] as const;\n",
        );
        assert!(out.ids().is_empty(), "{:?}", out.ids());
    }

    #[test]
    fn pushing_wider_values() {
        let out = check("x.js", "function f() {\n  const a = [1, 2, 3];\n  a.push(4);\n  a.push(0.5);\n  const b = [];\n  b.push('x');\n}\n");
        assert_eq!(out.ids(), ["js/mixed-element-kinds"]);
        assert!(out.findings[0].message.contains("DOUBLE"));
    }
}
