//! `rust/format-literal`: `format!` used to build a string that needs no formatting.

use tree_sitter::Node;

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
    /// No placeholders: the literal's text with `{{`/`}}` unescaped.
    Plain(String),
    /// Exactly one placeholder and nothing else: `{}`, `{0}` or `{name}` (the name, if any).
    Single(Option<&'s str>),
    Other,
}

fn parse_template(lit: &str) -> Template<'_> {
    // `lit` is the literal's source text, quotes included (`"…"` or `r#"…"#`).
    let raw = lit.starts_with('r');
    let body = lit.trim_start_matches('r').trim_matches('#');
    let Some(inner) = body.strip_prefix('"').and_then(|b| b.strip_suffix('"')) else {
        return Template::Other;
    };
    let _ = raw;
    if !inner.contains(['{', '}']) {
        return Template::Plain(lit.to_owned());
    }
    if let Some(spec) = inner.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
        if spec.is_empty() || spec == "0" {
            return Template::Single(None);
        }
        if spec.chars().all(|c| c.is_alphanumeric() || c == '_')
            && !spec.starts_with(|c: char| c.is_ascii_digit())
        {
            return Template::Single(Some(spec));
        }
        return Template::Other;
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
    Template::Plain(lit.replace("{{", "{").replace("}}", "}"))
}

/// Whether an argument's tokens can take `.to_string()` without parentheses.
fn is_postfix_safe(tokens: &[Node], src: &str) -> bool {
    tokens.iter().all(|t| {
        matches!(
            t.kind(),
            "identifier"
                | "field_identifier"
                | "self"
                | "token_tree"
                | "."
                | "::"
                | "?"
                | "crate"
                | "super"
        ) || t.kind().ends_with("literal")
            || (t.kind() == "integer_literal" && !src[t.byte_range()].starts_with('-'))
    })
}

pub(crate) fn format_literal(node: Node, cx: &mut Ctx) {
    let Some(name) = node.child_by_field_name("macro") else {
        return;
    };
    let name_text = cx.text(name);
    if !matches!(
        name_text,
        "format" | "std::format" | "alloc::format" | "::std::format"
    ) {
        return;
    }
    let mut walker = node.walk();
    let Some(tt) = node
        .named_children(&mut walker)
        .find(|c| c.kind() == "token_tree")
    else {
        return;
    };
    let mut walker = tt.walk();
    // Tokens between the delimiters.
    let tokens: Vec<Node> = tt.children(&mut walker).collect();
    if tokens.len() < 3 {
        return;
    }
    let inner = &tokens[1..tokens.len() - 1];
    let lit = inner[0];
    if !matches!(lit.kind(), "string_literal" | "raw_string_literal") {
        return;
    }
    let args = &inner[1..];
    // Split the rest on top-level commas.
    let mut groups: Vec<&[Node]> = Vec::new();
    let mut start = None;
    for (i, t) in args.iter().enumerate() {
        if t.kind() == "," {
            if let Some(s) = start.take() {
                groups.push(&args[s..i]);
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        groups.push(&args[s..]);
    }
    if args.first().is_some_and(|t| t.kind() != ",") {
        return; // something glued to the literal: not a plain format call
    }
    let src = cx.src();
    if args.iter().any(|t| cx.text(*t).starts_with('$')) {
        return; // inside a macro_rules body
    }
    let (replacement, message) = match (parse_template(cx.text(lit)), groups.as_slice()) {
        (Template::Plain(text), []) => (
            format!("{text}.to_string()"),
            "`format!` with no placeholders runs the formatting machinery to copy a literal; `.to_string()` does the same directly",
        ),
        (Template::Single(None), [arg]) => {
            if arg.iter().any(|t| t.kind() == "=") {
                return;
            }
            let range = arg[0].start_byte()..arg[arg.len() - 1].end_byte();
            let text = &src[range];
            let receiver = if is_postfix_safe(arg, src) { text.to_owned() } else { format!("({text})") };
            (
                format!("{receiver}.to_string()"),
                "`format!(\"{}\", x)` only converts one value; `x.to_string()` says so and skips the format parsing",
            )
        }
        (Template::Single(Some(ident)), []) => (
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
    use crate::rules::test_support::check;

    #[test]
    fn fires_and_fixes() {
        let out = check(
            "x.rs",
            r#"fn f(x: u32, name: &str) -> [String; 5] {
    [format!("text"), format!("{}", x), format!("{name}"), format!("a{{b}}"), format!("{}", x + 1)]
}"#,
        );
        assert_eq!(out.ids(), ["rust/format-literal"; 5]);
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
            r#"fn f(x: u32, y: u32) -> [String; 5] {
    [format!("{x:>8}"), format!("{:?}", x), format!("{} {}", x, y), format!("a{}", x), format!("{:.2}", 1.0)]
}"#,
        );
        assert!(out.ids().is_empty(), "{:?}", out.ids());
    }
}
