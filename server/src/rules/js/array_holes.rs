//! `js/array-holes`: `new Array(n)` and sparse literals start life HOLEY, and an array never
//! becomes PACKED again; `new Array(a, b)` is the slow spelling of `[a, b]`.

use tree_sitter::Node;

use crate::engine::{Ctx, Edit, Fix};
use crate::language::Lang;
use crate::rules::js::syntax::{elements, number_value, unparen};
use crate::rules::{DefaultSeverity, FixAvailability, Rule, RuleMeta};

pub static ARRAY_HOLES: Rule = Rule {
    meta: RuleMeta {
        id: "js/array-holes",
        family: Some(crate::language::Family::Js),
        summary:
            "`new Array(n)` and `[1, , 3]` make HOLEY arrays; build with a literal or `Array.from`",
        default: DefaultSeverity::ByLoopDepth,
        hot_only: false,
        fix: FixAvailability::Sometimes,
    },
    kinds: &["new_expression", "call_expression", "array"],
    check: array_holes,
};

const HOLES_MESSAGE: &str = "`Array(n)` allocates `n` holes: the array is HOLEY for life, so every read checks for a hole and may walk the prototype chain; build it with `Array.from({ length: n }, () => value)` or by pushing onto `[]`";

pub(crate) fn array_holes(node: Node, cx: &mut Ctx) {
    match node.kind() {
        "array" => sparse_literal(node, cx),
        "new_expression" => {
            let Some(ctor) = node.child_by_field_name("constructor") else {
                return;
            };
            if ctor.kind() == "identifier" && cx.text(ctor) == "Array" {
                constructor_call(node, node.child_by_field_name("arguments"), cx);
            }
        }
        _ => {
            let Some(callee) = node.child_by_field_name("function") else {
                return;
            };
            let optional = {
                let mut c = node.walk();
                let any = node.children(&mut c).any(|n| n.kind() == "optional_chain");
                any
            };
            if callee.kind() == "identifier" && cx.text(callee) == "Array" && !optional {
                match node.child_by_field_name("arguments") {
                    Some(args) if args.kind() == "arguments" => {
                        constructor_call(node, Some(args), cx)
                    }
                    _ => {} // a tagged template: Array`x`
                }
            }
        }
    }
}

/// `[1, , 3]`: a comma that follows `[` or another comma is a hole. A trailing comma is not.
fn sparse_literal(node: Node, cx: &mut Ctx) {
    let mut c = node.walk();
    let mut after_sep = false; // after `[` or `,`
    let mut holes = 0;
    for child in node.children(&mut c) {
        match child.kind() {
            "[" => after_sep = true,
            "," => {
                if after_sep {
                    holes += 1;
                }
                after_sep = true;
            }
            "comment" => {}
            _ => after_sep = false,
        }
    }
    if holes > 0 {
        cx.report(
            node.byte_range(),
            "this array literal has holes (`[a, , b]`): it is HOLEY from the start, so reads check for holes and may walk the prototype chain; write the missing elements (e.g. `undefined`) if they are meant",
        );
    }
}

/// Whether the text needs no parentheses to be followed by `as T` in this position.
fn as_needs_parens(node: Node) -> bool {
    let Some(parent) = node.parent() else {
        return true;
    };
    !matches!(
        parent.kind(),
        "variable_declarator"
            | "arguments"
            | "array"
            | "pair"
            | "return_statement"
            | "expression_statement"
            | "parenthesized_expression"
            | "assignment_expression"
            | "public_field_definition"
            | "field_definition"
    )
}

/// The element type named in `Array<T>(..)`, if any.
fn type_argument<'s>(call: Node, cx: &Ctx<'s, '_>) -> Option<&'s str> {
    let args = call.child_by_field_name("type_arguments")?;
    let mut c = args.walk();
    let types: Vec<Node> = args
        .named_children(&mut c)
        .filter(|n| n.kind() != "comment")
        .collect();
    match types.as_slice() {
        [t] => Some(cx.text(*t)),
        _ => None,
    }
}

/// Replaces the constructor call with a literal of `items`.
fn literal_fix(call: Node, items: &str, cx: &Ctx) -> Edit {
    let ts = cx.lang() != Lang::JavaScript;
    let literal = format!("[{items}]");
    let text = match type_argument(call, cx) {
        Some(t) if ts => {
            let cast = format!("{literal} as Array<{t}>");
            if as_needs_parens(call) {
                format!("({cast})")
            } else {
                cast
            }
        }
        // `new Array()` is `any[]`; a bare `[]` would be `never[]` (or an evolving array) in TS
        // unless a type annotation gives it one.
        None if ts && items.is_empty() && !declared_with_type(call) => {
            if as_needs_parens(call) {
                "([] as any[])".to_owned()
            } else {
                "[] as any[]".to_owned()
            }
        }
        _ => literal,
    };
    Edit::replace(call.byte_range(), text)
}

/// `const a: T[] = new Array()`: the annotation types the literal.
fn declared_with_type(call: Node) -> bool {
    call.parent().is_some_and(|p| {
        p.kind() == "variable_declarator" && p.child_by_field_name("type").is_some()
    })
}

fn constructor_call(call: Node, args: Option<Node>, cx: &mut Ctx) {
    let list: Vec<Node> = args.map(|a| elements(a).collect()).unwrap_or_default();
    if list.iter().any(|a| a.kind() == "spread_element") {
        return; // the argument count is unknown
    }
    let range = call.byte_range();
    match list.as_slice() {
        [] => {
            let edit = literal_fix(call, "", cx);
            let f = cx.report(range, "the Array constructor with no arguments is a slower way to write `[]`: a literal is copied from a prepared boilerplate without a constructor call");
            f.fix = Some(Fix::safe("Use `[]`", vec![edit]));
        }
        [one] => {
            let arg = unparen(*one);
            match arg.kind() {
                "number" => match number_value(cx.text(arg)) {
                    Some(0.0) => {
                        let edit = literal_fix(call, "", cx);
                        let f = cx.report(range, "the Array constructor with a length of 0 is a slower way to write `[]`");
                        f.fix = Some(Fix::safe("Use `[]`", vec![edit]));
                    }
                    Some(v) if v.fract() == 0.0 && v > 0.0 && v < 4_294_967_296.0 => {
                        holes(call, arg, cx)
                    }
                    _ => {} // a RangeError at runtime, not a performance question
                },
                "string"
                | "template_string"
                | "object"
                | "array"
                | "true"
                | "false"
                | "null"
                | "regex"
                | "arrow_function"
                | "function_expression"
                | "function" => {
                    // One argument that is not a number is an element, not a length.
                    let items = cx.text(*one).to_owned();
                    let edit = literal_fix(call, &items, cx);
                    let f = cx.report(
                        range,
                        "the Array constructor with one argument that is not a number is a slower way to write `[x]`",
                    );
                    f.fix = Some(Fix::safe("Use an array literal", vec![edit]));
                }
                _ => holes(call, arg, cx),
            }
        }
        _ => {
            let a = list.first().map_or(0, |n| n.start_byte());
            let b = list.last().map_or(0, |n| n.end_byte());
            let items = cx.slice(a..b).to_owned();
            let edit = literal_fix(call, &items, cx);
            let f = cx.report(range, "the Array constructor with several elements is a slower way to write `[a, b]`: a literal is copied from a prepared boilerplate without a constructor call, and cannot be misread as a length");
            f.fix = Some(Fix::safe("Use an array literal", vec![edit]));
        }
    }
}

/// `new Array(n)`: holes. Fixable when the initial value is known: `.fill(v)` right after, or
/// a TS element type with an obvious zero value.
fn holes(call: Node, length: Node, cx: &mut Ctx) {
    let len_text = cx.text(length).to_owned();
    let ts_type = if cx.lang() != Lang::JavaScript {
        type_argument(call, cx).or_else(|| annotated_element(call, cx))
    } else {
        None
    };
    // `new Array(n).fill(v)`, written directly (no parentheses in between).
    let fill = call
        .parent()
        .filter(|m| {
            m.kind() == "member_expression" && m.child_by_field_name("object") == Some(call)
        })
        .filter(|m| {
            m.child_by_field_name("property")
                .is_some_and(|p| cx.text(p) == "fill")
        })
        .and_then(|m| {
            m.parent().filter(|c| {
                c.kind() == "call_expression" && c.child_by_field_name("function") == Some(m)
            })
        })
        .and_then(|c| {
            let mut list = elements(c.child_by_field_name("arguments")?);
            match (list.next(), list.next()) {
                (Some(v), None) if v.kind() != "spread_element" => Some((c, v)),
                _ => None,
            }
        });
    let annotate = |t: Option<&str>| {
        t.map(|t| format!("(): {t} => "))
            .unwrap_or_else(|| "() => ".to_owned())
    };
    let fix = if let Some((fill_call, value)) = fill {
        let text = format!(
            "Array.from({{ length: {len_text} }}, {}{})",
            annotate(ts_type),
            cx.text(value)
        );
        Some(Fix::unsafe_(
            "Build with `Array.from`",
            vec![Edit::replace(fill_call.byte_range(), text)],
        ))
    } else {
        ts_type.and_then(zero_value).map(|zero| {
            let text = format!(
                "Array.from({{ length: {len_text} }}, {}{zero})",
                annotate(ts_type)
            );
            Fix::unsafe_(
                "Build with `Array.from`",
                vec![Edit::replace(call.byte_range(), text)],
            )
        })
    };
    // `new Array(n + 1).join(s)`: the old idiom for repeating a string.
    let join = call.parent().is_some_and(|m| {
        m.kind() == "member_expression"
            && m.child_by_field_name("object") == Some(call)
            && m.child_by_field_name("property")
                .is_some_and(|p| cx.text(p) == "join")
    });
    let msg = if fill.is_some() {
        "`new Array(n).fill(v)` is still HOLEY after the fill (an elements kind never goes back to PACKED); `Array.from({ length: n }, () => v)` builds a PACKED array"
    } else if join {
        "`Array(n).join(s)` allocates an array of `n` holes only to repeat a string; `s.repeat(n - 1)` allocates just the result"
    } else {
        HOLES_MESSAGE
    };
    let f = cx.report(call.byte_range(), msg);
    f.fix = fix;
}

/// `const a: number[] = new Array(n)` / `Array<number>`: the element type.
fn annotated_element<'s>(call: Node, cx: &Ctx<'s, '_>) -> Option<&'s str> {
    let decl = call
        .parent()
        .filter(|p| p.kind() == "variable_declarator")?;
    let ann = decl.child_by_field_name("type")?;
    let ty = ann.named_child(0)?;
    match ty.kind() {
        "array_type" => ty.named_child(0).map(|t| cx.text(t)),
        "generic_type" => {
            let name = ty.child_by_field_name("name")?;
            if cx.text(name) != "Array" {
                return None;
            }
            let args = ty.child_by_field_name("type_arguments")?;
            args.named_child(0).map(|t| cx.text(t))
        }
        _ => None,
    }
}

/// A value of the element type that is cheap and obviously "empty".
fn zero_value(ty: &str) -> Option<&'static str> {
    match ty {
        "number" => Some("0"),
        "string" => Some("''"),
        "boolean" => Some("false"),
        "bigint" => Some("0n"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::check;

    #[test]
    fn constructor_forms() {
        let out = check("x.js", "let a = new Array(3, 4);\nlet b = Array();\nlet c = new Array('x');\nlet d = new Array(n);\nlet e = new Array(n).fill(0);\n");
        assert_eq!(out.ids(), ["js/array-holes"; 5]);
        assert_eq!(
            out.fixed,
            "let a = [3, 4];\nlet b = [];\nlet c = ['x'];\nlet d = new Array(n);\nlet e = Array.from({ length: n }, () => 0);\n"
        );
    }

    #[test]
    fn typescript_keeps_types() {
        let out = check("x.ts", "const a = new Array<number>();\nconst b: string[] = new Array(n);\nconst c = new Array();\nconst d: number[] = new Array();\nconst e = new Array<string>(1, 2).length;\n");
        assert_eq!(
            out.fixed,
            "const a = [] as Array<number>;\nconst b: string[] = Array.from({ length: n }, (): string => '');\nconst c = [] as any[];\nconst d: number[] = [];\nconst e = ([1, 2] as Array<string>).length;\n"
        );
    }

    #[test]
    fn holes_and_not_holes() {
        let out = check("x.js", "a = [1, , 3];\nb = [,];\nc = [1, 2,];\nd = new Float64Array(4);\n[x, , y] = z;\ne = new Array(...xs);\npad = new Array(n + 1).join(' ');\n");
        assert_eq!(out.ids(), ["js/array-holes"; 3]);
        assert!(out.findings[2].message.contains("repeat"));
    }
}
