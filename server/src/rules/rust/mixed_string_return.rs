//! `rust/mixed-string-return`: a fn returning `String` where some paths allocate a copy of a
//! literal and others build a string.

use tree_sitter::Node;

use super::syntax::NodeExt;

use super::facts::{decls, trait_container};
use super::literal_to_string::literal_conversion;
use super::syntax::{self, last_segment, path_call, text};
use crate::engine::{Ctx, Edit, Fix};
use crate::rules::{DefaultSeverity, FixAvailability, Rule, RuleMeta};

pub static MIXED_STRING_RETURN: Rule = Rule {
    meta: RuleMeta {
        id: "rust/mixed-string-return",
        family: Some(crate::language::Family::Rust),
        summary: "A fn returning `String` that allocates literals on some paths: return `Cow<'static, str>`",
        default: DefaultSeverity::ByLoopDepth,
        hot_only: false,
        fix: FixAvailability::Unsafe,
    },
    kinds: &["function_item"],
    check: mixed_string_return,
};

enum Path<'t> {
    /// A literal made owned: the literal.
    Literal(Node<'t>),
    /// `String::new()`: no allocation, but borrowable as `""`.
    Empty,
    Dynamic,
}

pub(crate) fn mixed_string_return(node: Node, cx: &mut Ctx) {
    let Some(ret) = node.field("return_type") else {
        return;
    };
    if !matches!(ret.kind_str(), "type_identifier" | "scoped_type_identifier")
        || !matches!(
            cx.text(ret),
            "String" | "std::string::String" | "alloc::string::String"
        )
    {
        return;
    }
    let Some(body) = node.field("body") else {
        return;
    };
    let src = cx.src();
    let fn_name = node.field("name").map_or("", |n| text(n, src));
    let mut values: Vec<(Node, Path)> = Vec::new();
    let mut unknown_shape = false;
    let mut conditional = false;
    syntax::for_each_return(body, src, &mut |v| {
        // A path compiled in only under some `#[cfg]` says nothing about the usual build.
        if under_cfg(v, body, src) {
            conditional = true;
            return;
        }
        let path = if let Some(lit) = literal_conversion(v, src) {
            // `"".to_string()` does not allocate.
            if text(lit, src).trim_start_matches('r').trim_matches('#') == "\"\"" {
                Path::Empty
            } else {
                Path::Literal(lit)
            }
        } else if path_call(v, src) == Some(("String", "new")) {
            Path::Empty
        } else {
            if matches!(
                v.kind_str(),
                "block" | "if_expression" | "loop_expression" | "unsafe_block"
            ) {
                unknown_shape = true;
            }
            Path::Dynamic
        };
        values.push((v, path));
    });
    let literals = values
        .iter()
        .filter(|(_, p)| matches!(p, Path::Literal(_)))
        .count();
    let dynamic = values
        .iter()
        .filter(|(_, p)| matches!(p, Path::Dynamic))
        .count();
    if literals == 0 || dynamic == 0 {
        return;
    }
    let (in_trait_impl, in_trait) = trait_container(node);
    if node.field("name").is_some()
        && node.field("parameters").is_some()
        && (in_trait_impl || in_trait)
    {
        return;
    }
    let recursive = values.iter().any(|(v, _)| {
        v.kind_str() == "call_expression"
            && v.field("function")
                .is_some_and(|f| last_segment(text(f, src)) == fn_name)
    });
    let fix = if unknown_shape || recursive || conditional {
        None
    } else {
        let cow = decls(cx).spell("std::borrow::Cow");
        let mut edits = vec![Edit::replace(
            ret.byte_range(),
            format!("{cow}<'static, str>"),
        )];
        for (v, p) in &values {
            let replacement = match p {
                Path::Literal(lit) => format!("{cow}::Borrowed({})", text(*lit, src)),
                Path::Empty => format!("{cow}::Borrowed(\"\")"),
                Path::Dynamic => format!("{cow}::Owned({})", text(*v, src)),
            };
            edits.push(Edit::replace(v.byte_range(), replacement));
        }
        Some(Fix::unsafe_("Return `Cow<'static, str>`", edits))
    };
    let message = "Some paths copy a string literal into a new `String` and others build one: returning `Cow<'static, str>` lets the literal paths borrow instead of allocating";
    let finding = cx.report(ret.byte_range(), message);
    finding.fix = fix;
}

/// Whether `v` sits in a statement or match arm marked with a `#[cfg(..)]` attribute, below
/// `body`.
fn under_cfg(v: Node, body: Node, src: &str) -> bool {
    let mut n = v;
    while n.id() != body.id() {
        if n.kind_str() == "match_arm" {
            let mut c = n.walk();
            let cfg = n
                .named_children(&mut c)
                .any(|a| a.kind_str() == "attribute_item" && text(a, src).contains("cfg"));
            if cfg {
                return true;
            }
        }
        if matches!(
            n.kind_str(),
            "match_arm" | "expression_statement" | "let_declaration"
        ) {
            let mut prev = n.prev_named_sibling();
            while let Some(p) = prev.filter(|p| p.kind_str() == "attribute_item") {
                if text(p, src).contains("cfg") {
                    return true;
                }
                prev = p.prev_named_sibling();
            }
        }
        match n.parent() {
            Some(p) => n = p,
            None => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    fn check(src: &str) -> crate::rules::test_support::Outcome {
        crate::rules::rust::check_only("rust/mixed-string-return", src)
    }

    #[test]
    fn fires_and_rewrites_every_path() {
        let src = r#"fn label(n: u32) -> String {
    if n == 0 {
        return "none".to_string();
    }
    match n {
        1 => String::from("one"),
        _ => format!("{n} items"),
    }
}"#;
        let out = check(src);
        assert_eq!(out.ids(), ["rust/mixed-string-return"]);
        assert!(
            out.fixed
                .contains("fn label(n: u32) -> std::borrow::Cow<'static, str> {"),
            "{}",
            out.fixed
        );
        assert!(out
            .fixed
            .contains(r#"return std::borrow::Cow::Borrowed("none");"#));
        assert!(out
            .fixed
            .contains(r#"1 => std::borrow::Cow::Borrowed("one"),"#));
        assert!(out
            .fixed
            .contains(r#"_ => std::borrow::Cow::Owned(format!("{n} items")),"#));
    }

    #[test]
    fn uses_an_imported_cow() {
        let out = check("use std::borrow::Cow;\nfn f(b: bool, s: &str) -> String { if b { \"x\".into() } else { s.to_uppercase() } }");
        assert!(out.fixed.contains("-> Cow<'static, str> { if b { Cow::Borrowed(\"x\") } else { Cow::Owned(s.to_uppercase()) } }"), "{}", out.fixed);
    }

    #[test]
    fn quiet_when_all_static_all_dynamic_or_fixed_by_a_trait() {
        for src in [
            r#"fn f(b: bool) -> String { if b { "a".to_string() } else { "b".into() } }"#,
            r#"fn f(n: u32) -> String { if n > 1 { format!("{n}") } else { n.to_string() } }"#,
            r#"impl T for X { fn f(&self, b: bool) -> String { if b { "a".into() } else { format!("{b}") } } }"#,
            r#"fn f(b: bool) -> Result<String, ()> { if b { Ok("a".into()) } else { Ok(format!("{b}")) } }"#,
            r#"fn f(n: u32) -> String { if n > 1 { String::new() } else { n.to_string() } }"#,
            r#"fn f(n: u32) -> String { if n > 1 { return "".to_string(); } n.to_string() }"#,
            r#"fn f(n: u32) -> String {
                #[cfg(fuzzing)]
                return "x".to_owned();
                n.to_string()
            }"#,
            r#"fn f(n: u32) -> String { match n { #[cfg(unix)] 0 => "zero".into(), _ => n.to_string() } }"#,
        ] {
            assert!(check(src).ids().is_empty(), "{src}");
        }
    }
}
