//! `rust/literal-to-string`: a string literal turned into a `String` only to be compared,
//! borrowed or passed as `&str`.

use tree_sitter::Node;

use super::syntax::NodeExt;

use super::facts::decls;
use super::owned_ref_param::{safe_arg_fn, safe_arg_method};
use super::syntax::{self, is_str_literal, method_call, path_call, text, unparen};
use crate::engine::{Applicability, Ctx, Edit, Fix};
use crate::rules::{DefaultSeverity, FixAvailability, Rule, RuleMeta};

pub static LITERAL_TO_STRING: Rule = Rule {
    meta: RuleMeta {
        id: "rust/literal-to-string",
        family: Some(crate::language::Family::Rust),
        summary: "A string literal made into a `String` only to be compared, borrowed or passed as `&str`",
        default: DefaultSeverity::ByLoopDepth,
        hot_only: false,
        fix: FixAvailability::Sometimes,
    },
    kinds: &["call_expression"],
    check: literal_to_string,
};

/// `"lit".to_string()`, `"lit".to_owned()`, `"lit".into()`, `String::from("lit")`: the literal.
pub(crate) fn literal_conversion<'t>(call: Node<'t>, src: &str) -> Option<Node<'t>> {
    if let Some((recv, name, args)) = method_call(call) {
        if args.named_child_count() != 0
            || !matches!(text(name, src), "to_string" | "to_owned" | "into")
        {
            return None;
        }
        let recv = unparen(recv);
        return is_str_literal(recv, src).then_some(recv);
    }
    let (path, name) = path_call(call, src)?;
    if path != "String" || name != "from" {
        return None;
    }
    let arg = syntax::single_arg(call.field("arguments")?)?;
    is_str_literal(arg, src).then_some(arg)
}

/// Methods whose argument is `&Q` with `K: Borrow<Q>`: a `&str` works wherever `&String` did.
fn borrows_key(method: &str) -> bool {
    matches!(
        method,
        "get" | "get_mut" | "contains_key" | "remove" | "get_key_value" | "remove_entry"
    )
}

pub(crate) fn literal_to_string(node: Node, cx: &mut Ctx) {
    let src = cx.src();
    let Some(lit) = literal_conversion(node, src) else {
        return;
    };
    if cx.text(lit).trim_start_matches('r').trim_matches('#') == "\"\"" {
        // An empty `String` does not allocate.
        return;
    }
    let Some(parent) = syntax::parent_unparen(node) else {
        return;
    };
    let lit_text = cx.text(lit);
    let (message, fix): (&'static str, Option<Fix>) = match parent.kind_str() {
        "binary_expression" => {
            let op = parent.field("operator").map_or("", |o| cx.text(o));
            if op != "==" && op != "!=" {
                return;
            }
            let (Some(left), Some(right)) = (parent.field("left"), parent.field("right")) else {
                return;
            };
            let other = unparen(if unparen(left).id() == node.id() {
                right
            } else {
                left
            });
            let mut edits = vec![Edit::replace(node.byte_range(), lit_text)];
            let applicability = match other.kind_str() {
                "identifier" | "field_expression" | "call_expression" | "string_literal"
                | "raw_string_literal" | "binary_expression" => Applicability::Safe,
                "macro_invocation"
                    if other
                        .field("macro")
                        .is_some_and(|m| text(m, src) == "format") =>
                {
                    Applicability::Safe
                }
                // `*s` or `s[..]` can be a `str`, which does not compare with `&str`: borrow it.
                "unary_expression" | "index_expression" => {
                    edits.push(Edit::insert(other.start_byte(), "&"));
                    Applicability::Unsafe
                }
                _ => Applicability::Unsafe,
            };
            (
                "Comparing with a `String` made from a literal allocates it first; `String` compares with `&str` directly",
                Some(Fix::new("Compare with the literal", applicability, edits)),
            )
        }
        "reference_expression" => {
            if parent
                .child(1)
                .is_some_and(|c| c.kind_str() == "mutable_specifier")
            {
                return;
            }
            // Only where the borrow is handed on at once: an argument, or a `&str` binding.
            // In an array, a struct field or a generic binding the `&String` may be the point.
            let target = syntax::parent_unparen(parent);
            let typed_str = target
                .filter(|g| g.kind_str() == "let_declaration")
                .and_then(|g| g.field("type"))
                .is_some_and(|t| {
                    t.kind_str() == "reference_type"
                        && t.field("type").is_some_and(|i| cx.text(i) == "str")
                });
            if !typed_str && target.is_none_or(|g| g.kind_str() != "arguments") {
                return;
            }
            let fix = borrowed_applicability(parent, cx).map(|a| {
                Fix::new(
                    "Use the literal",
                    a,
                    vec![Edit::replace(parent.byte_range(), lit_text)],
                )
            });
            (
                "Borrowing a `String` made from a literal allocates it only to lend it out; the literal is already a `&'static str`",
                fix,
            )
        }
        "field_expression" => {
            let Some(field) = parent.field("field") else {
                return;
            };
            let call = parent
                .parent()
                .filter(|c| c.kind_str() == "call_expression");
            let Some(call) = call.filter(|c| {
                cx.text(field) == "as_str"
                    && c.field("arguments")
                        .is_some_and(|a| a.named_child_count() == 0)
            }) else {
                return;
            };
            (
                "`.as_str()` on a `String` made from a literal allocates it only to get the literal back",
                Some(Fix::safe("Use the literal", vec![Edit::replace(call.byte_range(), lit_text)])),
            )
        }
        _ => return,
    };
    let finding = cx.report(node.byte_range(), message);
    finding.fix = fix;
}

/// `&"lit".to_string()`: safe to replace with `"lit"` when it goes to a same-file fn whose
/// parameter is `&str`, a map lookup, a std fn taking `AsRef`/`&str`, or a `let` typed `&str`.
/// Elsewhere the target may want `&String` exactly: no fix.
fn borrowed_applicability(reference: Node, cx: &Ctx) -> Option<Applicability> {
    let src = cx.src();
    let parent = syntax::parent_unparen(reference)?;
    match parent.kind_str() {
        "let_declaration" => {
            let is_str = parent.field("type").is_some_and(|t| {
                t.kind_str() == "reference_type"
                    && t.field("type").is_some_and(|i| text(i, src) == "str")
            });
            is_str.then_some(Applicability::Safe)
        }
        "arguments" => {
            let call = parent
                .parent()
                .filter(|c| c.kind_str() == "call_expression")?;
            let mut c = parent.walk();
            let arg_index = parent
                .named_children(&mut c)
                .filter(|n| !syntax::is_comment(*n))
                .position(|n| n.id() == reference.id() || unparen(n).id() == reference.id())?;
            if let Some((_, name, args)) = method_call(call) {
                let name = text(name, src);
                if (borrows_key(name) && args.named_child_count() == 1) || safe_arg_method(name) {
                    return Some(Applicability::Safe);
                }
                return param_is_str(cx, name, arg_index, true).then_some(Applicability::Safe);
            }
            let f = call.field("function")?;
            if safe_arg_fn(text(f, src)) {
                return Some(Applicability::Safe);
            }
            let name = match f.kind_str() {
                "identifier" => text(f, src),
                "scoped_identifier" => f.field("name").map_or("", |n| text(n, src)),
                _ => return None,
            };
            param_is_str(cx, name, arg_index, false).then_some(Applicability::Safe)
        }
        _ => None,
    }
}

/// Whether every same-file fn named `name` takes `&str` at argument `index` (`method`: called
/// as `x.name(..)`, so `self` is not among the arguments).
fn param_is_str(cx: &Ctx, name: &str, index: usize, method: bool) -> bool {
    let decls = decls(cx);
    let sigs = decls.fns_named(name);
    !sigs.is_empty()
        && sigs.iter().all(|sig| {
            if method && !sig.has_self {
                return false;
            }
            let index = if !method && sig.has_self {
                index.checked_sub(1)
            } else {
                Some(index)
            };
            let Some(ty) = index.and_then(|i| sig.params.get(i)).map(|t| &**t) else {
                return false;
            };
            ty == "&str" || (ty.starts_with("&'") && ty.ends_with(" str") && !ty.contains("mut"))
        })
}

#[cfg(test)]
mod tests {
    use crate::engine::Applicability;

    fn check(_: &str, src: &str) -> crate::rules::test_support::Outcome {
        crate::rules::rust::check_only("rust/literal-to-string", src)
    }

    #[test]
    fn fires_in_comparisons_borrows_and_as_str() {
        let src = r#"fn takes(s: &str) -> usize { s.len() }
fn f(name: String, m: std::collections::HashMap<String, u8>) -> bool {
    let a = name == "x".to_string();
    let b = String::from("y") != name;
    let c = takes(&"z".to_owned());
    let d = m.get(&"k".to_string()).is_some();
    let e = "w".to_string().as_str().len();
    a && b && c > 0 && d && e > 0
}"#;
        let out = check("x.rs", src);
        assert_eq!(out.ids(), ["rust/literal-to-string"; 5]);
        assert!(out
            .findings
            .iter()
            .all(|f| f.fix.as_ref().unwrap().applicability == Applicability::Safe));
        assert!(out.fixed.contains(r#"name == "x";"#), "{}", out.fixed);
        assert!(out.fixed.contains(r#"takes("z")"#));
        assert!(out.fixed.contains(r#"m.get("k")"#));
        assert!(out.fixed.contains(r#""w".len()"#));
    }

    #[test]
    fn unknown_targets_get_no_fix_and_stores_do_not_fire() {
        let out = check(
            "x.rs",
            r#"fn f(v: &Vec<String>, s: &str) -> bool { v.contains(&"a".to_string()) || *s == "b".to_string() }"#,
        );
        assert_eq!(out.ids(), ["rust/literal-to-string"; 2]);
        assert!(out.findings[0].fix.is_none());
        assert_eq!(
            out.findings[1].fix.as_ref().unwrap().applicability,
            Applicability::Unsafe
        );
        assert!(out.fixed.contains(r#"&*s == "b""#), "{}", out.fixed);
        let out = check(
            "x.rs",
            r#"fn f(v: &mut Vec<String>) { v.push("a".to_string()); let s: String = "b".into(); let a: &[&String] = &[&"c".to_owned()]; let e = s == "".to_string(); }"#,
        );
        assert!(out.ids().is_empty());
    }
}
