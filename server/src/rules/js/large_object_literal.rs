//! `js/large-object-literal`: a big literal of plain data parses faster as `JSON.parse('…')`
//! than as JavaScript, when it is evaluated once.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::ops::Range;

use tree_sitter::Node;

use crate::engine::{Ctx, Edit, Fix};
use crate::language::Lang;
use crate::rules::js::syntax::{evaluated_once, is_class, is_index_key, number_value, unparen};
use crate::rules::{DefaultSeverity, FixAvailability, Rule, RuleMeta};

pub static LARGE_OBJECT_LITERAL: Rule = Rule {
    meta: RuleMeta {
        id: "js/large-object-literal",
        family: Some(crate::language::Family::Js),
        summary: "A literal of ≥ 10 kB of plain data parses faster as `JSON.parse('…')`",
        default: DefaultSeverity::ByLoopDepth,
        hot_only: false,
        fix: FixAvailability::Sometimes,
    },
    kinds: &["object", "array"],
    check: large_object_literal,
};

/// The source size from which the literal is worth a `JSON.parse` (10 kB).
pub(crate) const MIN_BYTES: usize = 10 * 1024;

/// Per file: the literals already converted (their nested literals are not reported again) and
/// the positions where a conversion failed (a literal containing one fails too).
#[derive(Default)]
struct Seen {
    reported: RefCell<Vec<Range<usize>>>,
    failed_at: RefCell<Vec<usize>>,
}

pub(crate) fn large_object_literal(node: Node, cx: &mut Ctx) {
    let range = node.byte_range();
    if range.len() < MIN_BYTES || cx.loop_depth() > 0 || !runs_once(cx) {
        return;
    }
    // Nested literals lie in the same top-level item: an item memo is enough.
    let seen = cx.item_memo::<Seen>();
    if seen
        .reported
        .borrow()
        .iter()
        .any(|r| r.start <= range.start && range.end <= r.end)
    {
        return;
    }
    if seen.failed_at.borrow().iter().any(|p| range.contains(p)) {
        return;
    }
    // `[…] as const` has no JSON.parse equivalent.
    let wrapper = cx.parent().filter(|p| {
        matches!(
            p.kind(),
            "as_expression" | "satisfies_expression" | "type_assertion"
        )
    });
    if wrapper.is_some_and(|w| {
        let mut c = w.walk();
        let is_const = w.children(&mut c).any(|t| t.kind() == "const");
        is_const
    }) {
        return;
    }
    let src = cx.src();
    let mut json = String::with_capacity(range.len() + 16);
    json.push_str("JSON.parse('");
    if let Err(at) = emit_value(node, src, &mut json) {
        seen.failed_at.borrow_mut().push(at);
        return;
    }
    json.push_str("')");
    seen.reported.borrow_mut().push(range.clone());
    // In TS, `JSON.parse` returns `any`: safe only where a declared type keeps the checking.
    let typed = cx.lang() == Lang::JavaScript
        || wrapper.is_some_and(|w| w.kind() == "as_expression")
        || cx.parent().is_some_and(|p| {
            p.kind() == "variable_declarator" && p.child_by_field_name("type").is_some()
        });
    let kb = range.len() as f64 / 1024.0;
    let message = format!(
        "this {kb:.0} kB literal is plain data: as JavaScript it goes through the full JavaScript parser and the literal machinery, while `JSON.parse('…')` of the same data is read by a much simpler and faster JSON parser"
    );
    let title = "Load the data with `JSON.parse`";
    let edits = vec![Edit::replace(range.clone(), json)];
    cx.report(range, message).fix = Some(if typed {
        Fix::safe(title, edits)
    } else {
        Fix::unsafe_(title, edits)
    });
}

/// Whether the literal runs once per program: see [`evaluated_once`]; a class body is per
/// instance. A literal inside a function is cloned from a cached boilerplate on later calls,
/// which `JSON.parse` would make slower.
fn runs_once(cx: &Ctx) -> bool {
    !cx.ancestors().any(|f| is_class(f.node.kind())) && evaluated_once(cx)
}

type Res = Result<(), usize>;

fn emit_value(node: Node, src: &str, out: &mut String) -> Res {
    let node = unparen(node);
    match node.kind() {
        "object" => emit_object(node, src, out),
        "array" => emit_array(node, src, out),
        "string" => emit_string(node, src, out),
        "template_string" => emit_template(node, src, out),
        "number" => emit_number(node, src, false, out),
        "unary_expression" => {
            let op = node.child_by_field_name("operator").map(|o| o.kind());
            let arg = node
                .child_by_field_name("argument")
                .map(unparen)
                .ok_or(node.start_byte())?;
            if op != Some("-") || arg.kind() != "number" {
                return Err(node.start_byte());
            }
            emit_number(arg, src, true, out)
        }
        "true" => {
            out.push_str("true");
            Ok(())
        }
        "false" => {
            out.push_str("false");
            Ok(())
        }
        "null" => {
            out.push_str("null");
            Ok(())
        }
        _ => Err(node.start_byte()),
    }
}

fn emit_object(node: Node, src: &str, out: &mut String) -> Res {
    out.push('{');
    let mut first = true;
    let mut c = node.walk();
    for p in node.named_children(&mut c) {
        match p.kind() {
            "comment" => continue,
            "pair" => {}
            _ => return Err(p.start_byte()),
        }
        let key = p.child_by_field_name("key").ok_or(p.start_byte())?;
        let value = p.child_by_field_name("value").ok_or(p.start_byte())?;
        if !first {
            out.push(',');
        }
        first = false;
        match key.kind() {
            "property_identifier" => {
                let k = &src[key.byte_range()];
                if k.contains('\\') || k == "__proto__" {
                    return Err(key.start_byte());
                }
                out.push('"');
                push_js(out, k);
                out.push('"');
            }
            "string" => {
                let t = &src[key.byte_range()];
                if t.get(1..t.len() - 1) == Some("__proto__") {
                    return Err(key.start_byte());
                }
                emit_string(key, src, out)?;
            }
            "number" => {
                let t = &src[key.byte_range()];
                if !is_index_key(t) {
                    return Err(key.start_byte());
                }
                out.push('"');
                out.push_str(t);
                out.push('"');
            }
            _ => return Err(key.start_byte()),
        }
        out.push(':');
        emit_value(value, src, out)?;
    }
    out.push('}');
    Ok(())
}

fn emit_array(node: Node, src: &str, out: &mut String) -> Res {
    out.push('[');
    let mut c = node.walk();
    let mut after_sep = true; // after `[` or `,`: another `,` is a hole
    let mut first = true;
    for child in node.children(&mut c) {
        match child.kind() {
            "[" | "]" | "comment" => {}
            "," => {
                if after_sep {
                    return Err(child.start_byte()); // a hole
                }
                after_sep = true;
            }
            _ => {
                if !first {
                    out.push(',');
                }
                first = false;
                after_sep = false;
                emit_value(child, src, out)?;
            }
        }
    }
    out.push(']');
    Ok(())
}

/// Appends JSON text to the JS single-quoted string being built.
fn push_js(out: &mut String, json: &str) {
    for ch in json.chars() {
        push_js_char(out, ch);
    }
}

fn push_js_char(out: &mut String, ch: char) {
    match ch {
        '\\' => out.push_str("\\\\"),
        '\'' => out.push_str("\\'"),
        '\u{2028}' => out.push_str("\\u2028"),
        '\u{2029}' => out.push_str("\\u2029"),
        _ => out.push(ch),
    }
}

/// One character of a JSON string's content, escaped for JSON and then for the JS string.
fn push_json_str_char(out: &mut String, ch: char) {
    match ch {
        '"' => out.push_str("\\\\\""),
        '\\' => out.push_str("\\\\\\\\"),
        '\n' => out.push_str("\\\\n"),
        '\r' => out.push_str("\\\\r"),
        '\t' => out.push_str("\\\\t"),
        '\u{8}' => out.push_str("\\\\b"),
        '\u{c}' => out.push_str("\\\\f"),
        c if (c as u32) < 0x20 => {
            let _ = write!(out, "\\\\u{:04x}", c as u32);
        }
        c => push_js_char(out, c),
    }
}

fn emit_string(node: Node, src: &str, out: &mut String) -> Res {
    let t = &src[node.byte_range()];
    let inner = t
        .get(1..t.len().saturating_sub(1))
        .ok_or(node.start_byte())?;
    out.push('"');
    convert_chars(inner, false)
        .try_for_each(|piece| piece.map(|p| p.push(out)))
        .map_err(|()| node.start_byte())?;
    out.push('"');
    Ok(())
}

fn emit_template(node: Node, src: &str, out: &mut String) -> Res {
    let mut c = node.walk();
    if node
        .named_children(&mut c)
        .any(|n| !matches!(n.kind(), "string_fragment" | "escape_sequence"))
    {
        return Err(node.start_byte());
    }
    let t = &src[node.byte_range()];
    let inner = t
        .get(1..t.len().saturating_sub(1))
        .ok_or(node.start_byte())?;
    out.push('"');
    convert_chars(inner, true)
        .try_for_each(|piece| piece.map(|p| p.push(out)))
        .map_err(|()| node.start_byte())?;
    out.push('"');
    Ok(())
}

/// A piece of decoded string content.
enum Piece {
    Char(char),
    /// A UTF-16 code unit that is half of a surrogate pair: kept as a JSON `\uXXXX` escape,
    /// which `JSON.parse` decodes to the same code unit.
    Unit(u32),
}

impl Piece {
    fn push(self, out: &mut String) {
        match self {
            Piece::Char(c) => push_json_str_char(out, c),
            Piece::Unit(u) => {
                let _ = write!(out, "\\\\u{u:04x}");
            }
        }
    }
}

/// Decodes the body of a JS string literal (or a template without substitutions) into pieces.
/// Legacy octal escapes and malformed escapes are errors.
fn convert_chars(body: &str, template: bool) -> impl Iterator<Item = Result<Piece, ()>> + '_ {
    let mut chars = body.chars().peekable();
    std::iter::from_fn(move || {
        loop {
            let ch = chars.next()?;
            if template && ch == '\r' {
                // Template literals normalize CR and CRLF to LF.
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                return Some(Ok(Piece::Char('\n')));
            }
            if ch != '\\' {
                return Some(Ok(Piece::Char(ch)));
            }
            let Some(e) = chars.next() else {
                return Some(Err(()));
            };
            let decoded = match e {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                'b' => '\u{8}',
                'f' => '\u{c}',
                'v' => '\u{b}',
                '0' if !chars.peek().is_some_and(|c| c.is_ascii_digit()) => '\0',
                '0'..='9' => return Some(Err(())),
                'x' => {
                    let h: String = chars.by_ref().take(2).collect();
                    match u32::from_str_radix(&h, 16)
                        .ok()
                        .filter(|_| h.len() == 2)
                        .and_then(char::from_u32)
                    {
                        Some(c) => c,
                        None => return Some(Err(())),
                    }
                }
                'u' => {
                    let code = if chars.peek() == Some(&'{') {
                        chars.next();
                        let mut h = String::new();
                        loop {
                            match chars.next() {
                                Some('}') => break,
                                Some(c) if c.is_ascii_hexdigit() && h.len() < 8 => h.push(c),
                                _ => return Some(Err(())),
                            }
                        }
                        u32::from_str_radix(&h, 16).ok()
                    } else {
                        let h: String = chars.by_ref().take(4).collect();
                        u32::from_str_radix(&h, 16)
                            .ok()
                            .filter(|_| h.len() == 4 && h.chars().all(|c| c.is_ascii_hexdigit()))
                    };
                    let Some(code) = code.filter(|c| *c <= 0x10FFFF) else {
                        return Some(Err(()));
                    };
                    if (0xD800..=0xDFFF).contains(&code) {
                        return Some(Ok(Piece::Unit(code)));
                    }
                    match char::from_u32(code) {
                        Some(c) => c,
                        None => return Some(Err(())),
                    }
                }
                // Line continuations produce nothing.
                '\n' | '\u{2028}' | '\u{2029}' => continue,
                '\r' => {
                    if chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    continue;
                }
                other => other, // identity escapes: \' \" \\ \` \$ …
            };
            return Some(Ok(Piece::Char(decoded)));
        }
    })
}

fn emit_number(node: Node, src: &str, negative: bool, out: &mut String) -> Res {
    let raw = &src[node.byte_range()];
    let err = node.start_byte();
    let value = number_value(raw).ok_or(err)?;
    if negative {
        out.push('-');
    }
    let t = raw.replace('_', "");
    if t.len() > 1 && matches!(&t[..2], "0x" | "0X" | "0o" | "0O" | "0b" | "0B") {
        if value > 9_007_199_254_740_992.0 {
            return Err(err);
        }
        let _ = write!(out, "{}", value as u64);
        return Ok(());
    }
    // Decimal: `.5` → `0.5`, `5.` → `5`, `5.e3` → `5e3`; exponents are JSON already.
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], &t[i..]),
        None => (t.as_str(), ""),
    };
    let (int, frac) = match mantissa.find('.') {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, ""),
    };
    out.push_str(if int.is_empty() { "0" } else { int });
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    if !exp.is_empty() {
        if exp.len() == 1 || exp[1..].trim_start_matches(['+', '-']).is_empty() {
            return Err(err);
        }
        out.push_str(exp);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{parse_str, DEFAULT_PARSE_BUDGET};
    use crate::rules::test_support::check;

    fn convert(lang: Lang, src: &str) -> Result<String, usize> {
        let tree = parse_str(lang, src, DEFAULT_PARSE_BUDGET).unwrap();
        let lit = tree
            .root_node()
            .named_child(0)
            .unwrap()
            .named_child(0)
            .unwrap();
        let mut out = String::new();
        emit_value(lit, src, &mut out).map(|()| out)
    }

    #[test]
    fn converts_to_json_inside_a_single_quoted_string() {
        let got = convert(Lang::JavaScript, r#"({ a: 'it\'s', "b": [1, -2.5, .5, 5., 0x10, 1e3, 1_000], 3: true, c: null, d: "q\"\\\n\u{1F600}\x41\uD800", e: `t
x` });"#).unwrap();
        assert_eq!(
            got,
            r#"{"a":"it\'s","b":[1,-2.5,0.5,5,16,1e3,1000],"3":true,"c":null,"d":"q\\"\\\\\\n😀A\\ud800","e":"t\\nx"}"#
        );
    }

    #[test]
    fn refuses_what_json_cannot_say() {
        for src in [
            "[1, , 2];",
            "({ a: undefined });",
            "({ [k]: 1 });",
            "({ a() {} });",
            "[...x];",
            "[/re/];",
            "[NaN];",
            "[017];",
            "[10n];",
            "({ __proto__: null });",
            "[`${x}`];",
            "['\\01'];",
            "({ 1.5: 1 });",
        ] {
            assert!(convert(Lang::JavaScript, src).is_err(), "{src}");
        }
    }

    #[test]
    fn fires_once_at_top_level_only() {
        let row = "  { id: 1, name: 'a', tags: ['x', 'y'], score: 0.5 },\n";
        let big = format!(
            "export const data = [\n{}];\n",
            row.repeat(MIN_BYTES / row.len() + 1)
        );
        let out = check("x.js", &big);
        assert_eq!(out.ids(), ["js/large-object-literal"]);
        assert!(out.fixed.starts_with("export const data = JSON.parse('[{\"id\":1,\"name\":\"a\",\"tags\":[\"x\",\"y\"],\"score\":0.5},"), "{}", &out.fixed[..80]);
        let in_fn = format!(
            "function f() {{ return {} }}\n",
            &big["export const data = ".len()..]
        );
        assert!(check("x.js", &in_fn).ids().is_empty());
        let small = "const d = [1, 2, 3];\n";
        assert!(check("x.js", small).ids().is_empty());
    }
}
