//! `rust/format-literal`: `format!` used to build a string that needs no formatting.

use std::borrow::Cow;

use tree_sitter::Node;

use super::syntax::NodeExt;

use super::syntax::text;

use crate::engine::{Ctx, Edit, Fix};
use crate::rules::{DefaultSeverity, FixAvailability, Rule, RuleMeta};

pub static FORMAT_LITERAL: Rule = Rule {
    meta: RuleMeta {
        id: "rust/format-literal",
        family: Some(crate::language::Family::Rust),
        summary: "`format!` with no placeholders, or with one bare `{}`: use `.to_string()`",
        default: DefaultSeverity::ByLoopDepth,
        hot_only: false,
        fix: FixAvailability::Safe,
    },
    kinds: &["macro_invocation"],
    check: format_literal,
};

/// The parts of a format string that matter here.
enum Template<'s> {
    /// No placeholders: the literal's text, with `{{`/`}}` unescaped if it has any.
    Plain(Cow<'s, str>),
    /// Exactly one placeholder and nothing else: `{}`, `{0}` or `{name}` (the name, if any).
    Single(Option<&'s str>),
    Other,
}

fn parse_template(lit: &str) -> Template<'_> {
    // `lit` is the literal's source text, quotes included (`"…"` or `r#"…"#`).
    let body = lit.strip_prefix('r').unwrap_or(lit).trim_matches('#');
    let Some(inner) = body.strip_prefix('"').and_then(|b| b.strip_suffix('"')) else {
        return Template::Other;
    };
    if !inner.contains(['{', '}']) {
        return Template::Plain(Cow::Borrowed(lit));
    }
    if let Some(spec) = inner.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
        if spec.is_empty() || spec == "0" {
            return Template::Single(None);
        }
        let ident = spec.chars().all(|c| c.is_alphanumeric() || c == '_')
            && !spec.starts_with(|c: char| c.is_ascii_digit())
            && spec != "self";
        return if ident {
            Template::Single(Some(spec))
        } else {
            Template::Other
        };
    }
    // Only escaped braces may remain for a plain string.
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '{' || c == '}' {
            if chars.peek() == Some(&c) {
                chars.next();
            } else {
                return Template::Other;
            }
        }
    }
    Template::Plain(Cow::Owned(lit.replace("{{", "{").replace("}}", "}")))
}

/// Whether a token can be part of an expression that takes `.to_string()` without parentheses.
fn is_postfix_token(t: Node, src: &str) -> bool {
    matches!(
        t.kind_str(),
        "identifier" | "self" | "token_tree" | "." | "::" | "?" | "crate" | "super"
    ) || (t.kind_str().ends_with("literal") && !text(t, src).starts_with('-'))
}

/// The argument tokens of a `format!` call: `(lit, first argument's first and last tokens, and
/// whether it needs parentheses)`. `None` when there is more than one argument, a named
/// argument, a macro variable, or anything glued to the literal.
struct Args<'t> {
    lit: Node<'t>,
    arg: Option<(Node<'t>, Node<'t>, bool)>,
}

fn split_args<'t>(tt: Node<'t>, src: &str) -> Option<Args<'t>> {
    let mut c = tt.walk();
    if !c.goto_first_child() {
        return None;
    }
    // `c` is on the opening delimiter.
    if !c.goto_next_sibling() {
        return None;
    }
    let lit = c.node();
    if !matches!(lit.kind_str(), "string_literal" | "raw_string_literal") || !c.goto_next_sibling()
    {
        return None;
    }
    let close = tt.child(tt.child_count().checked_sub(1)?)?;
    let mut arg: Option<(Node, Node, bool)> = None;
    let mut after_comma = false;
    loop {
        let t = c.node();
        if t.id() == close.id() {
            break;
        }
        match t.kind_str() {
            "," if arg.is_none() && !after_comma => after_comma = true,
            "," => {
                // A trailing comma after the single argument is fine; a second argument is not.
                if !c.goto_next_sibling() || c.node().id() != close.id() {
                    return None;
                }
                break;
            }
            "=" | "metavariable" => return None,
            _ if !after_comma => return None,
            _ => {
                if text(t, src).starts_with('$') {
                    return None;
                }
                let safe = is_postfix_token(t, src);
                arg = Some(match arg {
                    None => (t, t, !safe),
                    Some((first, _, paren)) => (first, t, paren || !safe),
                });
            }
        }
        if !c.goto_next_sibling() {
            break;
        }
    }
    if after_comma && arg.is_none() {
        return None;
    }
    Some(Args { lit, arg })
}

pub(crate) fn format_literal(node: Node, cx: &mut Ctx) {
    let Some(name) = node.field("macro") else {
        return;
    };
    if !matches!(
        cx.text(name),
        "format" | "std::format" | "alloc::format" | "::std::format" | "::alloc::format"
    ) {
        return;
    }
    let mut walker = node.walk();
    let Some(tt) = node
        .named_children(&mut walker)
        .find(|c| c.kind_str() == "token_tree")
    else {
        return;
    };
    let src = cx.src();
    let Some(Args { lit, arg }) = split_args(tt, src) else {
        return;
    };
    let (replacement, message) = match (parse_template(cx.text(lit)), arg) {
        (Template::Plain(text), None) => (
            format!("{text}.to_string()"),
            "`format!` with no placeholders runs the formatting machinery to copy a literal; `.to_string()` does the same directly",
        ),
        (Template::Single(None), Some((first, last, paren))) => {
            let text = &src[first.start_byte()..last.end_byte()];
            let receiver = if paren { format!("({text})") } else { text.to_owned() };
            (
                format!("{receiver}.to_string()"),
                "`format!(\"{}\", x)` only converts one value; `x.to_string()` says so and skips the format parsing",
            )
        }
        (Template::Single(Some(ident)), None) => (
            format!("{ident}.to_string()"),
            "`format!(\"{x}\")` only converts one value; `x.to_string()` says so and skips the format parsing",
        ),
        _ => return,
    };
    let range = node.byte_range();
    let finding = cx.report(range.clone(), message);
    finding.fix = Some(Fix::safe(
        "Replace `format!` with `.to_string()`",
        vec![Edit::replace(range, replacement)],
    ));
}

#[cfg(test)]
mod tests {
    fn check(_: &str, src: &str) -> crate::rules::test_support::Outcome {
        crate::rules::rust::check_only("rust/format-literal", src)
    }

    #[test]
    fn fires_and_fixes() {
        let out = check(
            "x.rs",
            r#"fn f(x: u32, name: &str) -> [String; 6] {
    [format!("text"), format!("{}", x), format!("{name}"), format!("a{{b}}"), format!("{}", x + 1), format!("{}", x,)]
}"#,
        );
        assert_eq!(out.ids(), ["rust/format-literal"; 6]);
        assert!(out.fixed.contains(r#""text".to_string()"#), "{}", out.fixed);
        assert!(out.fixed.contains("x.to_string()"));
        assert!(out.fixed.contains("name.to_string()"));
        assert!(out.fixed.contains(r#""a{b}".to_string()"#));
        assert!(out.fixed.contains("(x + 1).to_string()"));
    }

    #[test]
    fn leaves_real_formatting_alone() {
        let out = check(
            "x.rs",
            r#"fn f(x: u32, y: u32) -> [String; 8] {
    [format!("{x:>8}"), format!("{:?}", x), format!("{} {}", x, y), format!("a{}", x), format!("{:.2}", 1.0),
     format!("{}", x, y), format!("{x}", x = y), format!("\u{41}")]
}"#,
        );
        assert!(out.ids().is_empty(), "{:?}", out.ids());
    }
}
