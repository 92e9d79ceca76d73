//! `rust/owned-param`: a `String` or `Vec<T>` parameter taken by value that the body only reads.

use tree_sitter::Node;

use super::syntax::NodeExt;

use super::facts::{decls, find_node, fn_used_as_value, CallNames, FnSig, Use};
use super::literal_to_string::literal_conversion;
use super::syntax::{
    self, is_postfix_operand, last_segment, method_call, needs_owned, text, type_sensitive, unparen,
};
use crate::engine::{Ctx, Edit, Fix};
use crate::rules::{DefaultSeverity, FixAvailability, Rule, RuleMeta};

pub static OWNED_PARAM: Rule = Rule {
    meta: RuleMeta {
        id: "rust/owned-param",
        family: Some(crate::language::Family::Rust),
        summary: "A `String` or `Vec<T>` parameter taken by value that the body only reads: take `&str` / `&[T]`",
        default: DefaultSeverity::ByLoopDepth,
        hot_only: false,
        fix: FixAvailability::Unsafe,
    },
    kinds: &["parameter"],
    check: owned_param,
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Vec,
}

pub(crate) fn owned_param(node: Node, cx: &mut Ctx) {
    let Some(ty) = node.field("type") else {
        return;
    };
    let src = cx.src();
    let (kind, borrowed) = match ty.kind_str() {
        "type_identifier" if cx.text(ty) == "String" => (Kind::String, "&str".to_owned()),
        "scoped_type_identifier"
            if matches!(cx.text(ty), "std::string::String" | "alloc::string::String") =>
        {
            (Kind::String, "&str".to_owned())
        }
        "generic_type" => {
            let head = ty.field("type").map_or("", |h| text(h, src));
            if !matches!(head, "Vec" | "std::vec::Vec" | "alloc::vec::Vec") {
                return;
            }
            let Some(arg) = ty.field("type_arguments").and_then(syntax::single_arg) else {
                return;
            };
            (Kind::Vec, format!("&[{}]", text(arg, src)))
        }
        _ => return,
    };
    let Some(pattern) = node
        .field("pattern")
        .filter(|p| p.kind_str() == "identifier")
    else {
        return;
    };
    if node
        .child(0)
        .is_some_and(|c| c.kind_str() == "mutable_specifier")
    {
        return;
    }
    let Some(func) = node
        .parent()
        .filter(|p| p.kind_str() == "parameters")
        .and_then(|p| p.parent())
    else {
        return;
    };
    if func.kind_str() != "function_item" {
        return;
    }
    let facts = super::facts(cx);
    let Some(sig) = facts.fn_at(cx, func) else {
        return;
    };
    if sig.in_trait_impl
        || sig.in_trait
        || sig.is_extern
        || sig.macro_attr
        || (sig.visible && !cx.settings().owned_param_public)
    {
        return;
    }
    let mut c = func.walk();
    let is_async = func
        .children(&mut c)
        .any(|m| m.kind_str() == "function_modifiers" && text(m, src).contains("async"));
    if is_async {
        return;
    }
    let Some(body) = func.field("body") else {
        return;
    };
    let fn_name = cx.slice(sig.name.clone());
    let Some(idx) = facts.binding_named_at(src, &pattern.byte_range()) else {
        return;
    };
    let mut edits = vec![Edit::replace(ty.byte_range(), borrowed)];
    let mut reads_only = true;
    facts.for_each_use(src, body, idx, |u| {
        reads_only = read_use(u, kind, cx, &mut edits);
        reads_only
    });
    if !reads_only {
        return;
    }
    // A fn passed as a value keeps its exact signature.
    if fn_used_as_value(cx, fn_name) {
        return;
    }
    let message = match kind {
        Kind::String => "This `String` is only read: taking `&str` lets callers keep their string instead of moving or cloning it in",
        Kind::Vec => "This `Vec` is only read: taking `&[T]` lets callers keep their vector instead of moving or cloning it in",
    };
    let fix = call_site_edits(cx, &sig, pattern, &mut edits)
        .then(|| Fix::unsafe_("Borrow the parameter", edits));
    let finding = cx.report(ty.byte_range(), message);
    finding.fix = fix;
}

/// Whether a use only reads the value; records the rewrites the borrowed type needs.
fn read_use(u: Use, kind: Kind, cx: &Ctx, edits: &mut Vec<Edit>) -> bool {
    let src = cx.src();
    let n = match u {
        Use::Capture => return true,
        Use::Token(n) => return read_token(n, kind, cx, edits),
        Use::Expr(n) => n,
    };
    // A `move` closure would capture the borrow instead of the value.
    let mut a = n.parent();
    while let Some(p) = a {
        if p.kind_str() == "closure_expression"
            && p.child(0).is_some_and(|m| m.kind_str() == "move")
        {
            return false;
        }
        if p.kind_str() == "function_item" {
            break;
        }
        a = p.parent();
    }
    let Some(p) = n.parent() else { return false };
    match p.kind_str() {
        "field_expression" if p.field("value") == Some(n) => {
            let Some(field) = p.field("field") else {
                return false;
            };
            let Some(call) = p.parent().filter(|c| c.kind_str() == "call_expression") else {
                return false;
            };
            if method_call(call).is_none_or(|(r, _, _)| r.id() != n.id()) {
                return false;
            }
            let name = text(field, src);
            match name {
                "clone" => {
                    edits.push(Edit::replace(
                        field.byte_range(),
                        if kind == Kind::String {
                            "to_owned"
                        } else {
                            "to_vec"
                        },
                    ));
                    true
                }
                "as_str" | "as_slice" => {
                    edits.push(Edit::replace(call.byte_range(), text(n, src)));
                    true
                }
                "into_iter" => false,
                m => {
                    !needs_owned(m)
                        && !type_sensitive(m)
                        && !m.starts_with("into_")
                        && !m.ends_with("_mut")
                }
            }
        }
        "index_expression" if p.named_child(0) == Some(n) => {
            // `x[i] = …` needs ownership (or `mut`); reads are fine.
            p.parent().is_none_or(|g| {
                !matches!(
                    g.kind_str(),
                    "assignment_expression" | "compound_assignment_expr"
                ) || g.field("left") != Some(p)
            })
        }
        "binary_expression" => {
            let op = p.field("operator").map_or("", |o| text(o, src));
            matches!(op, "==" | "!=" | "<" | ">" | "<=" | ">=")
        }
        "reference_expression" => {
            if p.child(1)
                .is_some_and(|c| c.kind_str() == "mutable_specifier")
            {
                return false;
            }
            edits.push(Edit::replace(p.byte_range(), text(n, src)));
            true
        }
        "unary_expression" => p.child(0).is_some_and(|op| op.kind_str() == "*"),
        _ => false,
    }
}

fn read_token(n: Node, kind: Kind, cx: &Ctx, edits: &mut Vec<Edit>) -> bool {
    let src = cx.src();
    let mut mac = n.parent();
    while let Some(m) = mac {
        if m.kind_str() == "macro_invocation" {
            break;
        }
        mac = m.parent();
    }
    let Some(mac) = mac else { return false };
    let mac_name = mac.field("macro").map_or("", |m| text(m, src));
    let prev = n.prev_sibling().map(|p| p.kind_str());
    let next = n.next_sibling();
    match next.map(|t| t.kind_str()) {
        Some(".") => {
            let Some(m) = next
                .and_then(|t| t.next_sibling())
                .filter(|t| t.kind_str() == "identifier")
            else {
                return false;
            };
            let Some(args) = m
                .next_sibling()
                .filter(|t| t.kind_str() == "token_tree" && text(*t, src).starts_with('('))
            else {
                return false;
            };
            let name = text(m, src);
            match name {
                "clone" => {
                    edits.push(Edit::replace(
                        m.byte_range(),
                        if kind == Kind::String {
                            "to_owned"
                        } else {
                            "to_vec"
                        },
                    ));
                    true
                }
                "as_str" | "as_slice" => {
                    edits.push(Edit::delete(
                        next.expect("checked").start_byte()..args.end_byte(),
                    ));
                    true
                }
                m => {
                    !needs_owned(m)
                        && !type_sensitive(m)
                        && !m.starts_with("into_")
                        && !m.ends_with("_mut")
                }
            }
        }
        None | Some("," | ")" | "]" | "}") => {
            let fmt = syntax::is_macro_arg(n, mac)
                && (syntax::is_formatting_macro(mac_name) || syntax::is_comparing_macro(mac_name));
            if fmt && prev == Some("&") {
                edits.push(Edit::delete(
                    n.prev_sibling().expect("checked").byte_range(),
                ));
            }
            fmt && !matches!(prev, Some("*"))
        }
        Some("==" | "!=") => true,
        _ => false,
    }
}

/// Rewrites every call of the fn in this file to pass a borrow. `false` when a call cannot be
/// found or rewritten (a macro names the fn, or another fn has the same name).
///
/// The call sites are in any item: this reads the whole file (the items whose [`CallNames`]
/// hold the fn's name, walked from the root), so a finding with this fix is file-dependent.
fn call_site_edits(cx: &Ctx, sig: &FnSig, pattern: Node, edits: &mut Vec<Edit>) -> bool {
    let name = cx.slice(sig.name.clone());
    if decls(cx).fns_named(name).len() != 1 {
        return false;
    }
    let Some(param_index) = sig
        .params
        .iter()
        .position(|p| p.pattern == pattern.byte_range())
    else {
        return false;
    };
    let root = cx.root();
    let calls = cx.parts::<CallNames>();
    let mut items = Vec::new();
    for (range, names) in calls.iter() {
        if names.contains(name) {
            match find_node(root, &range) {
                Some(item) => items.push(item),
                // Not found again (cannot happen for an item of this tree): search everything.
                None => return call_edits_under(root, cx.src(), name, sig, param_index, edits),
            }
        }
    }
    items
        .into_iter()
        .all(|item| call_edits_under(item, cx.src(), name, sig, param_index, edits))
}

/// [`call_site_edits`] for the calls under `top`.
fn call_edits_under(
    top: Node,
    src: &str,
    name: &str,
    sig: &FnSig,
    param_index: usize,
    edits: &mut Vec<Edit>,
) -> bool {
    let mut stack = vec![top];
    let mut c = top.walk();
    while let Some(n) = stack.pop() {
        match n.kind_str() {
            "call_expression" => {
                let args = n.field("arguments");
                let target = if let Some((_, m, _)) = method_call(n) {
                    (text(m, src) == name && sig.has_self).then_some(param_index)
                } else {
                    let f = n.field("function");
                    let callee = f.map_or("", |f| match f.kind_str() {
                        "identifier" => text(f, src),
                        "scoped_identifier" => f.field("name").map_or("", |x| text(x, src)),
                        _ => "",
                    });
                    let via_path = f.is_some_and(|f| f.kind_str() == "scoped_identifier");
                    if callee != name {
                        None
                    } else if sig.has_self {
                        via_path.then_some(param_index + 1)
                    } else {
                        Some(param_index)
                    }
                };
                if let (Some(i), Some(args)) = (target, args) {
                    let mut ac = args.walk();
                    let Some(arg) = args
                        .named_children(&mut ac)
                        .filter(|a| !syntax::is_comment(*a))
                        .nth(i)
                    else {
                        return false;
                    };
                    edits.push(borrow_arg(arg, src));
                }
            }
            "token_tree" => {
                let mut tc = n.walk();
                if n.children(&mut tc)
                    .any(|t| t.kind_str() == "identifier" && text(t, src) == name)
                {
                    return false;
                }
            }
            _ => {}
        }
        stack.extend(n.named_children(&mut c));
    }
    true
}

/// The edit that makes an owned argument a borrow: `s.clone()` → `&s`, `"x".to_string()` → `"x"`,
/// anything else `e` → `&e`.
fn borrow_arg(arg: Node, src: &str) -> Edit {
    let arg = unparen(arg);
    if let Some(lit) = literal_conversion(arg, src) {
        return Edit::replace(arg.byte_range(), text(lit, src));
    }
    if let Some((recv, name, args)) = method_call(arg) {
        if matches!(text(name, src), "clone" | "to_owned" | "to_vec")
            && args.named_child_count() == 0
        {
            let r = unparen(recv);
            // `x.clone()` of a `String`/`Vec` place: borrow it instead.
            if syntax::is_simple_place(r) {
                return Edit::replace(arg.byte_range(), format!("&{}", text(r, src)));
            }
        }
    }
    if arg.kind_str() == "macro_invocation"
        && arg
            .field("macro")
            .is_some_and(|m| last_segment(text(m, src)) == "vec")
    {
        return Edit::insert(arg.start_byte(), "&");
    }
    if is_postfix_operand(arg) || arg.kind_str() == "macro_invocation" {
        Edit::insert(arg.start_byte(), "&")
    } else {
        Edit::replace(arg.byte_range(), format!("&({})", text(arg, src)))
    }
}

#[cfg(test)]
mod tests {
    fn check(src: &str) -> crate::rules::test_support::Outcome {
        crate::rules::rust::check_only("rust/owned-param", src)
    }

    #[test]
    fn fires_and_updates_call_sites() {
        let src = r#"fn count(s: String, v: Vec<u8>) -> usize { println!("{s}"); s.len() + v.iter().count() + s.as_str().len() }
fn main() { let a = String::new(); let b = vec![1]; count(a.clone(), b); count("x".to_string(), vec![2]); }"#;
        let out = check(src);
        assert_eq!(out.ids(), ["rust/owned-param"; 2]);
        assert!(
            out.fixed.contains("fn count(s: &str, v: &[u8])"),
            "{}",
            out.fixed
        );
        assert!(
            out.fixed.contains("count(&a, &b); count(\"x\", &vec![2]);"),
            "{}",
            out.fixed
        );
        assert!(out.fixed.contains("+ s.len() }"), "{}", out.fixed);
    }

    #[test]
    fn pub_items_only_when_configured() {
        use crate::engine::{analyze_str, Settings};
        use crate::language::Lang;
        let src = "pub fn f(s: String) -> usize { s.len() }";
        let id = |settings: &Settings| {
            analyze_str(Lang::Rust, src, settings)
                .unwrap()
                .iter()
                .filter(|f| f.rule_id() == "rust/owned-param")
                .count()
        };
        let mut settings = Settings::default();
        assert_eq!(id(&settings), 0);
        settings.owned_param_public = true;
        assert_eq!(id(&settings), 1);
    }

    #[test]
    fn quiet_on_moves_mutation_pub_and_trait_impls() {
        for src in [
            "fn f(s: String) -> String { s }",
            "fn f(s: String) { g(s) }",
            "fn f(mut s: String) { s.push('x') }",
            "pub fn f(s: String) -> usize { s.len() }",
            "impl T for X { fn f(&self, s: String) -> usize { s.len() } }",
            "fn f(v: Vec<u8>) { for x in v {} }",
            "fn f(s: String) { let t = s; }",
            "fn f(s: String) { std::thread::spawn(move || s.len()); }",
        ] {
            assert!(check(src).ids().is_empty(), "{src}");
        }
    }
}
