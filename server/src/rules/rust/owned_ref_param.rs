//! `rust/owned-ref-param`: parameters typed `&String`, `&Vec<T>`, `&Box<T>`, `&PathBuf`,
//! `&OsString` that could take the borrowed form (`&str`, `&[T]`, `&T`, `&Path`, `&OsStr`).

use std::borrow::Cow;

use tree_sitter::Node;

use super::syntax::NodeExt;

use super::facts::{decls, fn_used_as_value, Use};
use super::syntax::{self, last_segment, needs_owned, text, type_sensitive};
use crate::engine::{Applicability, Ctx, Edit, Fix};
use crate::rules::{DefaultSeverity, FixAvailability, Rule, RuleMeta};

pub static OWNED_REF_PARAM: Rule = Rule {
    meta: RuleMeta {
        id: "rust/owned-ref-param",
        family: Some(crate::language::Family::Rust),
        summary: "`&String`, `&Vec<T>`, `&Box<T>`, `&PathBuf`, `&OsString` parameters: take `&str`, `&[T]`, `&T`, `&Path`, `&OsStr`",
        default: DefaultSeverity::ByLoopDepth,
        hot_only: false,
        fix: FixAvailability::Sometimes,
    },
    kinds: &["parameter"],
    check: owned_ref_param,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Owned {
    String,
    Vec,
    Box,
    PathBuf,
    OsString,
}

impl Owned {
    /// The method that makes an owned copy from the borrowed form, replacing `.clone()`.
    fn owned_copy(self) -> Option<&'static str> {
        match self {
            Owned::String => Some("to_owned"),
            Owned::Vec => Some("to_vec"),
            Owned::PathBuf => Some("to_path_buf"),
            Owned::OsString => Some("to_os_string"),
            Owned::Box => None,
        }
    }

    /// The owned type's accessor that returns the borrowed form (`.as_str()`), now redundant.
    fn as_borrowed(self, method: &str) -> bool {
        matches!(
            (self, method),
            (Owned::String, "as_str" | "as_mut_str")
                | (Owned::Vec, "as_slice" | "as_mut_slice")
                | (Owned::PathBuf, "as_path")
                | (Owned::OsString, "as_os_str" | "as_mut_os_str")
        )
    }
}

/// How a use of the parameter reacts to the new type. Ordered: the worst use wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Verdict {
    /// Compiles and means the same.
    Safe,
    /// Probably fine, but the target's exact type is unknown.
    Unsafe,
    /// Needs the owned type: no finding.
    Skip,
}

/// `type` (the referenced type of a `&T` parameter) as an owned collection, and the text of its
/// borrowed form.
pub(crate) fn owned_of<'s>(ty: Node, cx: &Ctx<'s, '_>) -> Option<(Owned, Cow<'s, str>)> {
    let src = cx.src();
    match ty.kind_str() {
        "type_identifier" | "scoped_type_identifier" => {
            let t = text(ty, src);
            if ty.kind_str() == "scoped_type_identifier"
                && !t.starts_with("std::")
                && !t.starts_with("alloc::")
                && !t.starts_with("::std::")
            {
                return None;
            }
            match last_segment(t) {
                "String" => Some((Owned::String, Cow::Borrowed("str"))),
                "PathBuf" => Some((
                    Owned::PathBuf,
                    Cow::Borrowed(decls(cx).spell("std::path::Path")),
                )),
                "OsString" => Some((
                    Owned::OsString,
                    Cow::Borrowed(decls(cx).spell("std::ffi::OsStr")),
                )),
                _ => None,
            }
        }
        "generic_type" => {
            let head = text(ty.field("type")?, src);
            let args = ty.field("type_arguments")?;
            let arg = syntax::single_arg(args)?;
            if matches!(arg.kind_str(), "lifetime") {
                return None;
            }
            let arg_text = text(arg, src);
            match head {
                "Vec" | "std::vec::Vec" | "alloc::vec::Vec" => {
                    Some((Owned::Vec, Cow::Owned(format!("[{arg_text}]"))))
                }
                "Box" | "std::boxed::Box" | "alloc::boxed::Box" => {
                    let needs_parens = arg.kind_str() == "dynamic_type" && arg_text.contains('+')
                        || arg.kind_str() == "bounded_type";
                    let t = if needs_parens {
                        Cow::Owned(format!("({arg_text})"))
                    } else {
                        Cow::Borrowed(arg_text)
                    };
                    Some((Owned::Box, t))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

pub(crate) fn owned_ref_param(node: Node, cx: &mut Ctx) {
    let Some(ty) = node.field("type") else {
        return;
    };
    if ty.kind_str() != "reference_type" {
        return;
    }
    let Some(inner) = ty.field("type") else {
        return;
    };
    if !matches!(
        inner.kind_str(),
        "type_identifier" | "scoped_type_identifier" | "generic_type"
    ) {
        return;
    }
    let src = cx.src();
    // Cheap textual filter before any facts.
    let head = inner.field("type").unwrap_or(inner);
    if !matches!(
        last_segment(text(head, src)),
        "String" | "Vec" | "Box" | "PathBuf" | "OsString"
    ) {
        return;
    }
    let Some(pattern) = node.field("pattern") else {
        return;
    };
    if !matches!(pattern.kind_str(), "identifier" | "_") {
        return;
    }
    // Only named fns: not closures, not trait definitions or impls of a trait.
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
    if sig.in_trait_impl || sig.in_trait || sig.is_extern || sig.macro_attr {
        return;
    }
    let Some((owned, borrowed)) = owned_of(inner, cx) else {
        return;
    };
    let mutable = ty
        .named_children(&mut ty.walk())
        .any(|c| c.kind_str() == "mutable_specifier");
    if mutable && owned != Owned::Vec && owned != Owned::Box && owned != Owned::String {
        return;
    }
    let Some(body) = func.field("body") else {
        return;
    };
    let fn_name = cx.slice(sig.name.clone());
    let mut verdict = Verdict::Safe;
    let mut edits = vec![Edit::replace(inner.byte_range(), borrowed.as_ref())];
    if pattern.kind_str() == "identifier" {
        let Some(idx) = facts.binding_named_at(src, &pattern.byte_range()) else {
            return;
        };
        facts.for_each_use(src, body, idx, |u| {
            let v = classify_use(u, owned, mutable, cx, &mut edits);
            verdict = verdict.max(v);
            verdict != Verdict::Skip
        });
    }
    if verdict == Verdict::Skip {
        return;
    }
    // A fn passed as a value keeps its exact signature.
    if fn_used_as_value(cx, fn_name) {
        return;
    }
    if sig.visible {
        // Callers in other files could pass the fn as a value.
        verdict = verdict.max(Verdict::Unsafe);
    }
    let message = match owned {
        Owned::String => "`&String` offers nothing `&str` lacks, and forces callers holding a `&str` to allocate a `String`; take `&str`",
        Owned::Vec => "`&Vec<T>` offers nothing `&[T]` lacks, and forces callers holding a slice or array to allocate a `Vec`; take `&[T]`",
        Owned::Box => "`&Box<T>` adds a second indirection and forces callers to box the value; take `&T`",
        Owned::PathBuf => "`&PathBuf` offers nothing `&Path` lacks, and forces callers holding a `&Path` to allocate a `PathBuf`; take `&Path`",
        Owned::OsString => "`&OsString` offers nothing `&OsStr` lacks, and forces callers to allocate an `OsString`; take `&OsStr`",
    };
    let message = if mutable {
        match owned {
            Owned::Vec => "`&mut Vec<T>` that is never grown or shrunk: `&mut [T]` allows the same and accepts arrays and slices",
            Owned::String => "`&mut String` that is never grown or shrunk: `&mut str` allows the same",
            _ => "`&mut Box<T>` that is never replaced: `&mut T` allows the same without the extra indirection",
        }
    } else {
        message
    };
    let applicability = if verdict == Verdict::Safe {
        Applicability::Safe
    } else {
        Applicability::Unsafe
    };
    let title = format!("Take `&{}{}`", if mutable { "mut " } else { "" }, borrowed);
    let finding = cx.report(ty.byte_range(), message);
    finding.fix = Some(Fix::new(title, applicability, edits));
}

fn is_comparison(op: &str) -> bool {
    matches!(op, "==" | "!=" | "<" | ">" | "<=" | ">=")
}

fn classify_use(u: Use, owned: Owned, mutable: bool, cx: &Ctx, edits: &mut Vec<Edit>) -> Verdict {
    let src = cx.src();
    match u {
        Use::Capture => Verdict::Safe,
        Use::Token(n) => classify_token(n, owned, mutable, cx, edits),
        Use::Expr(n) => {
            let Some(p) = n.parent() else {
                return Verdict::Unsafe;
            };
            match p.kind_str() {
                "field_expression" if p.field("value") == Some(n) => {
                    let Some(field) = p.field("field") else {
                        return Verdict::Unsafe;
                    };
                    let mut call = p.parent();
                    if call.is_some_and(|c| c.kind_str() == "generic_function") {
                        call = call.and_then(|c| c.parent());
                    }
                    match call.filter(|c| c.kind_str() == "call_expression") {
                        Some(call)
                            if syntax::method_call(call)
                                .is_some_and(|(r, _, _)| r.id() == n.id()) =>
                        {
                            let name = text(field, src);
                            let v = method_verdict(owned, mutable, name);
                            if v == Verdict::Safe {
                                if name == "clone" {
                                    if let Some(m) = owned.owned_copy() {
                                        edits.push(Edit::replace(field.byte_range(), m));
                                    }
                                } else if owned.as_borrowed(name) {
                                    edits.push(Edit::replace(call.byte_range(), text(n, src)));
                                }
                            }
                            v
                        }
                        _ => Verdict::Safe,
                    }
                }
                "call_expression" if p.field("function") == Some(n) => Verdict::Safe,
                "index_expression" if p.named_child(0) == Some(n) => Verdict::Safe,
                "binary_expression" => {
                    let op = p.field("operator").map_or("", |o| text(o, src));
                    if is_comparison(op) && owned != Owned::Box {
                        Verdict::Safe
                    } else {
                        Verdict::Unsafe
                    }
                }
                "for_expression" if p.field("value") == Some(n) => Verdict::Safe,
                // A callee handed `&mut` may grow it.
                "arguments" if mutable => Verdict::Skip,
                "arguments" => arg_verdict(n, p, owned, mutable, cx),
                // `v as *const Vec<u8>` depends on the exact type.
                "type_cast_expression" => Verdict::Skip,
                "unary_expression" => {
                    let is_deref = p.child(0).is_some_and(|op| op.kind_str() == "*");
                    let borrowed_again = p
                        .parent()
                        .is_some_and(|g| g.kind_str() == "reference_expression");
                    if mutable {
                        // `*v = …`, `mem::take(&mut *v)`: the whole value is replaced.
                        Verdict::Skip
                    } else if is_deref && borrowed_again && owned != Owned::Box {
                        Verdict::Safe
                    } else {
                        Verdict::Unsafe
                    }
                }
                "assignment_expression" | "compound_assignment_expr"
                    if mutable && p.field("left") == Some(n) =>
                {
                    Verdict::Skip
                }
                "return_expression"
                | "field_initializer"
                | "shorthand_field_initializer"
                | "array_expression"
                | "tuple_expression"
                | "closure_expression"
                | "assignment_expression" => Verdict::Skip,
                "block" if syntax::block_tail(p) == Some(n) => Verdict::Skip,
                _ => Verdict::Unsafe,
            }
        }
    }
}

fn method_verdict(owned: Owned, mutable: bool, name: &str) -> Verdict {
    if owned == Owned::Box {
        return match name {
            "clone" => Verdict::Skip,
            n if type_sensitive(n) => Verdict::Unsafe,
            _ => Verdict::Safe,
        };
    }
    match name {
        "into_iter" => Verdict::Safe,
        n if needs_owned(n) => Verdict::Skip,
        n if type_sensitive(n) => Verdict::Unsafe,
        // Through `&mut`, an unknown method (an extension trait's `pop_byte`…) may resize.
        n if mutable && !in_place(n) => Verdict::Skip,
        _ => Verdict::Safe,
    }
}

/// Methods of `[T]` / `str` that read or change elements in place, never the length.
fn in_place(method: &str) -> bool {
    matches!(
        method,
        "sort"
            | "sort_unstable"
            | "sort_by"
            | "sort_by_key"
            | "sort_unstable_by"
            | "sort_unstable_by_key"
            | "sort_by_cached_key"
            | "reverse"
            | "swap"
            | "fill"
            | "fill_with"
            | "iter_mut"
            | "iter"
            | "len"
            | "is_empty"
            | "get"
            | "get_mut"
            | "first"
            | "last"
            | "first_mut"
            | "last_mut"
            | "split_at"
            | "split_at_mut"
            | "split_first_mut"
            | "split_last_mut"
            | "chunks"
            | "chunks_mut"
            | "chunks_exact_mut"
            | "windows"
            | "copy_from_slice"
            | "clone_from_slice"
            | "swap_with_slice"
            | "rotate_left"
            | "rotate_right"
            | "select_nth_unstable"
            | "make_ascii_uppercase"
            | "make_ascii_lowercase"
            | "contains"
            | "binary_search"
            | "starts_with"
            | "ends_with"
            | "as_ptr"
            | "as_mut_ptr"
            | "to_vec"
            | "to_owned"
            | "as_slice"
            | "as_mut_slice"
            | "as_str"
            | "as_mut_str"
    )
}

/// Methods that accept any `&str`/`&[T]`/`AsRef`/`Borrow` argument where `&String` worked.
pub(crate) fn safe_arg_method(name: &str) -> bool {
    matches!(
        name,
        "push_str"
            | "extend_from_slice"
            | "starts_with"
            | "ends_with"
            | "split"
            | "splitn"
            | "rsplit"
            | "rsplitn"
            | "split_terminator"
            | "find"
            | "rfind"
            | "strip_prefix"
            | "strip_suffix"
            | "matches"
            | "match_indices"
            | "trim_start_matches"
            | "trim_end_matches"
            | "trim_matches"
            | "replace"
            | "replacen"
            | "join"
            | "get"
            | "get_mut"
            | "contains_key"
            | "get_key_value"
            | "remove_entry"
            | "arg"
            | "current_dir"
            | "eq_ignore_ascii_case"
            | "with_file_name"
            | "with_extension"
    )
}

/// Std functions that take `AsRef<Path>`, `AsRef<OsStr>`, `&str` or `&[u8]`.
pub(crate) fn safe_arg_fn(path: &str) -> bool {
    let last = last_segment(path);
    path.contains("fs::")
        || matches!(
            path,
            "Path::new"
                | "PathBuf::from"
                | "String::from"
                | "OsStr::new"
                | "OsString::from"
                | "Command::new"
                | "File::open"
                | "File::create"
        )
        || path.ends_with("::Path::new")
        || path.ends_with("env::var")
        || path.ends_with("env::var_os")
        || matches!(last, "from_utf8" | "from_utf8_lossy")
}

fn arg_verdict(n: Node, args: Node, owned: Owned, mutable: bool, cx: &Ctx) -> Verdict {
    let src = cx.src();
    let Some(call) = args.parent().filter(|c| c.kind_str() == "call_expression") else {
        return Verdict::Unsafe;
    };
    let mut c = args.walk();
    let Some(index) = args
        .named_children(&mut c)
        .filter(|a| !syntax::is_comment(*a))
        .position(|a| a.id() == n.id())
    else {
        return Verdict::Unsafe;
    };
    if let Some((_, name, _)) = syntax::method_call(call) {
        let name = text(name, src);
        if !mutable && safe_arg_method(name) {
            return Verdict::Safe;
        }
        return same_file_param(cx, name, index, true, owned, mutable);
    }
    let Some(f) = call.field("function") else {
        return Verdict::Unsafe;
    };
    let path = text(f, src);
    if !mutable && safe_arg_fn(path) {
        return Verdict::Safe;
    }
    match f.kind_str() {
        "identifier" | "scoped_identifier" => {
            same_file_param(cx, last_segment(path), index, false, owned, mutable)
        }
        _ => Verdict::Unsafe,
    }
}

/// What the same-file fns named `name` take at `index`: the borrowed form or a generic is fine;
/// the same owned reference means the callee must change first (it is then reported itself).
fn same_file_param(
    cx: &Ctx,
    name: &str,
    index: usize,
    method: bool,
    owned: Owned,
    mutable: bool,
) -> Verdict {
    let decls = decls(cx);
    let sigs = decls.fns_named(name);
    if sigs.is_empty() {
        return if mutable {
            Verdict::Skip
        } else {
            Verdict::Unsafe
        };
    }
    let mut worst = Verdict::Safe;
    for sig in sigs {
        if method && !sig.has_self {
            return Verdict::Unsafe;
        }
        let i = if !method && sig.has_self {
            index.checked_sub(1)
        } else {
            Some(index)
        };
        let Some(ty) = i.and_then(|i| sig.params.get(i)) else {
            return Verdict::Unsafe;
        };
        let bare = ty.trim_start_matches('&').trim_start();
        let bare = if bare.starts_with('\'') {
            bare.split_once(' ').map_or(bare, |(_, r)| r)
        } else {
            bare
        };
        let bare = bare.strip_prefix("mut ").unwrap_or(bare).trim();
        let head = last_segment(bare);
        let same = match owned {
            Owned::String => head == "String",
            Owned::Vec => head == "Vec",
            Owned::Box => head == "Box",
            Owned::PathBuf => head == "PathBuf",
            Owned::OsString => head == "OsString",
        };
        let borrowed_ok = bare == "str"
            || bare.starts_with('[')
            || matches!(head, "Path" | "OsStr")
            || ty.contains("AsRef")
            || ty.contains("impl ")
            || sig.type_params.iter().any(|t| **t == *bare);
        let v = if same {
            Verdict::Skip
        } else if borrowed_ok && (owned != Owned::Box || ty.starts_with('&')) {
            Verdict::Safe
        } else {
            Verdict::Unsafe
        };
        worst = worst.max(v);
    }
    worst
}

/// A use inside a macro's token tree.
fn classify_token(
    n: Node,
    owned: Owned,
    mutable: bool,
    cx: &Ctx,
    edits: &mut Vec<Edit>,
) -> Verdict {
    let src = cx.src();
    let mut mac = n.parent();
    while let Some(m) = mac {
        if m.kind_str() == "macro_invocation" {
            break;
        }
        mac = m.parent();
    }
    // A `macro_rules!` body: the tokens are not an expression yet.
    let Some(mac) = mac else {
        return if mutable {
            Verdict::Skip
        } else {
            Verdict::Unsafe
        };
    };
    let mac_name = mac.field("macro").map_or("", |m| text(m, src));
    if n.prev_sibling()
        .is_some_and(|p| matches!(p.kind_str(), "&" | "*" | "&&"))
    {
        return Verdict::Unsafe;
    }
    let next = n.next_sibling();
    match next.map(|t| t.kind_str()) {
        Some(".") => {
            let Some(m) = next
                .and_then(|t| t.next_sibling())
                .filter(|t| t.kind_str() == "identifier")
            else {
                return Verdict::Unsafe;
            };
            let args = m
                .next_sibling()
                .filter(|t| t.kind_str() == "token_tree" && text(*t, src).starts_with('('));
            let Some(args) = args else {
                return Verdict::Safe;
            };
            let name = text(m, src);
            let v = method_verdict(owned, mutable, name);
            if v == Verdict::Safe {
                if name == "clone" {
                    if let Some(copy) = owned.owned_copy() {
                        edits.push(Edit::replace(m.byte_range(), copy));
                    }
                } else if owned.as_borrowed(name) {
                    edits.push(Edit::delete(
                        next.expect("checked").start_byte()..args.end_byte(),
                    ));
                }
            }
            v
        }
        // `write!(buf, ..)` and other macros may grow a `&mut` buffer.
        _ if mutable && next.is_none_or(|t| t.kind_str() != ".") => Verdict::Skip,
        None | Some("," | ")" | "]" | "}") => {
            // Only the macro's own arguments are formatted by reference; inside a nested
            // group (`assert!(f(x))`) the tokens are an ordinary expression.
            let top_level = syntax::is_macro_arg(n, mac);
            if top_level && syntax::is_formatting_macro(mac_name)
                || (top_level && syntax::is_comparing_macro(mac_name) && owned != Owned::Box)
            {
                Verdict::Safe
            } else {
                Verdict::Unsafe
            }
        }
        Some("token_tree") if next.is_some_and(|t| text(t, src).starts_with('[')) => Verdict::Safe,
        Some("==" | "!=") if owned != Owned::Box => Verdict::Safe,
        _ => Verdict::Unsafe,
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::Applicability;

    fn check(_: &str, src: &str) -> crate::rules::test_support::Outcome {
        crate::rules::rust::check_only("rust/owned-ref-param", src)
    }

    fn one(src: &str) -> (Vec<&'static str>, Option<Applicability>, String) {
        let out = check("x.rs", src);
        let app = out
            .findings
            .first()
            .and_then(|f| f.fix.as_ref())
            .map(|f| f.applicability);
        (out.ids(), app, out.fixed)
    }

    #[test]
    fn fires_and_rewrites_clone_and_as_str() {
        let (ids, app, fixed) = one("fn f(s: &String) -> String { println!(\"{s} {}\", s.len()); let t = s.as_str(); s.clone() + t }");
        assert_eq!(ids, ["rust/owned-ref-param"]);
        assert_eq!(app, Some(Applicability::Safe));
        assert!(fixed.contains("fn f(s: &str) -> String"), "{fixed}");
        assert!(fixed.contains("let t = s;"), "{fixed}");
        assert!(fixed.contains("s.to_owned() + t"), "{fixed}");
    }

    #[test]
    fn vec_box_path_forms() {
        let (_, _, fixed) = one("fn f(v: &Vec<u32>) -> u32 { v.iter().sum() }");
        assert!(fixed.contains("v: &[u32]"), "{fixed}");
        let (_, _, fixed) = one("fn f(b: &Box<dyn Fn() + Send>) { b() }");
        assert!(fixed.contains("b: &(dyn Fn() + Send)"), "{fixed}");
        let (_, _, fixed) = one("fn f(p: &PathBuf) -> bool { p.exists() }");
        assert!(fixed.contains("p: &std::path::Path"), "{fixed}");
        let (_, _, fixed) =
            one("use std::path::Path;\nfn f(p: &std::path::PathBuf) -> bool { p.exists() }");
        assert!(fixed.contains("p: &Path"), "{fixed}");
    }

    #[test]
    fn mut_vec_only_without_growth() {
        let (ids, _, fixed) = one("fn f(v: &mut Vec<u32>) { v.sort(); v[0] = 1; }");
        assert_eq!(ids, ["rust/owned-ref-param"]);
        assert!(fixed.contains("v: &mut [u32]"), "{fixed}");
        let (ids, _, _) = one("fn f(v: &mut Vec<u32>) { v.push(1); }");
        assert!(ids.is_empty());
        let (ids, _, _) = one("fn f(s: &mut String) { s.push_str(\"x\"); }");
        assert!(ids.is_empty());
        // A local that shares the fn's name is not the fn used as a value.
        let (ids, _, _) = one("fn g(v: &mut Vec<u32>) -> u32 { fn current(c: &mut Vec<u32>) -> &mut u32 { c.last_mut().unwrap() } let current = *current(v); current }");
        assert_eq!(ids, ["rust/owned-ref-param"]);
    }

    #[test]
    fn quiet_where_the_owned_type_is_needed() {
        for src in [
            "impl T for X { fn f(&self, s: &String) {} }",
            "trait T { fn f(&self, s: &String) {} }",
            "fn f(s: &String) -> usize { s.capacity() }",
            "fn f(s: &String) -> &String { s }",
            "fn f(s: &String) { g(s) } fn g(s: &String) { s.capacity(); }",
            "fn f(s: &String) {} fn h(v: Vec<String>) { v.iter().for_each(f) }",
            "fn f(b: &Box<u8>) -> Box<u8> { b.clone() }",
            "fn f() { let c = |x: &String| x.len(); }",
        ] {
            let (ids, _, _) = one(src);
            assert!(ids.is_empty(), "{src}: {ids:?}");
        }
    }

    #[test]
    fn unknown_callees_make_the_fix_unsafe() {
        let (ids, app, _) = one("fn f(s: &String) { other::g(s) }");
        assert_eq!(ids, ["rust/owned-ref-param"]);
        assert_eq!(app, Some(Applicability::Unsafe));
        let (_, app, _) = one("fn f(s: &String) { std::fs::read_to_string(s); }");
        assert_eq!(app, Some(Applicability::Safe));
        let (_, app, _) = one("pub fn f(s: &String) -> usize { s.len() }");
        assert_eq!(app, Some(Applicability::Unsafe));
    }
}
