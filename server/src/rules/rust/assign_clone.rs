//! `rust/assign-clone`: `a = b.clone()` on a type whose `clone_from` reuses `a`'s buffer.

use tree_sitter::Node;

use super::syntax::NodeExt;

use super::facts::{Base, Ty};
use super::syntax::{is_simple_place, is_str_literal, method_call, text, unparen};
use crate::engine::{Ctx, Edit, Fix, Severity};
use crate::rules::{DefaultSeverity, FixAvailability, Rule, RuleMeta};

pub static ASSIGN_CLONE: Rule = Rule {
    meta: RuleMeta {
        id: "rust/assign-clone",
        family: Some(crate::language::Family::Rust),
        summary: "`a = b.clone()` frees `a`'s buffer and allocates a new one; `a.clone_from(&b)` reuses it",
        // Demoted: see the guide. Whether the target still holds a buffer to reuse is not
        // visible in the syntax (tests/precision/rust).
        default: DefaultSeverity::Fixed(Severity::Info),
        hot_only: false,
        fix: FixAvailability::Safe,
    },
    kinds: &["assignment_expression"],
    check: assign_clone,
};

/// Whether `clone_from` / `clone_into` on this type reuses the existing allocation.
fn reuses(ty: &Ty) -> bool {
    ty.refs == 0
        && matches!(
            ty.base,
            Base::String
                | Base::Vec
                | Base::VecDeque
                | Base::HashMap
                | Base::HashSet
                | Base::PathBuf
                | Base::OsString
                | Base::Box
        )
}

/// The root (a local or `self`) of a place, the first field after it, and whether the path
/// goes through an index or a deref.
fn root_of<'t>(mut e: Node<'t>, src: &'t str) -> Option<(&'t str, Option<&'t str>, bool)> {
    let mut first = None;
    let mut indirect = false;
    loop {
        e = unparen(e);
        match e.kind_str() {
            "identifier" | "self" => return Some((text(e, src), first, indirect)),
            "field_expression" => {
                first = e.field("field").map(|f| text(f, src));
                e = e.field("value")?;
            }
            "index_expression" => {
                indirect = true;
                first = None;
                e = e.named_child(0)?;
            }
            "unary_expression" => {
                indirect = true;
                e = e.named_child(0)?;
            }
            _ => return None,
        }
    }
}

/// Whether the assigned place belongs to a local declared in this function and the assignment
/// runs once per declaration (no loop in between): the place then most likely still holds the
/// empty value it was built with, and there is no buffer to reuse.
fn freshly_built(left: Node, assignment: Node, facts: &super::facts::Facts, src: &str) -> bool {
    let mut e = unparen(left);
    loop {
        match e.kind_str() {
            "field_expression" => match e.field("value") {
                Some(v) => e = unparen(v),
                None => return false,
            },
            "index_expression" => match e.named_child(0) {
                Some(v) => e = unparen(v),
                None => return false,
            },
            // `*r` writes through a reference: the target lives elsewhere.
            "identifier" => break,
            _ => return false,
        }
    }
    let Some(b) = facts.resolve(src, text(e, src), e.start_byte()) else {
        return false;
    };
    if facts.is_param(b) {
        return false;
    }
    let declared_at = facts.binding(b).scope.start;
    let mut p = assignment.parent();
    while let Some(n) = p {
        if n.start_byte() < declared_at {
            return true;
        }
        if matches!(
            n.kind_str(),
            "for_expression" | "while_expression" | "loop_expression"
        ) {
            return false;
        }
        if n.kind_str() == "closure_expression" && super::syntax::is_callback_closure(n, src) {
            return false;
        }
        p = n.parent();
    }
    true
}

pub(crate) fn assign_clone(node: Node, cx: &mut Ctx) {
    let src = cx.src();
    let (Some(left), Some(right)) = (node.field("left"), node.field("right")) else {
        return;
    };
    let right = unparen(right);
    let Some((recv, name, args)) = method_call(right) else {
        return;
    };
    let method = cx.text(name);
    if !matches!(method, "clone" | "to_owned" | "to_string") || args.named_child_count() != 0 {
        return;
    }
    let left = unparen(left);
    let recv = unparen(recv);
    let recv_is_lit = is_str_literal(recv, src);
    if !(is_simple_place(left) || left.kind_str() == "index_expression")
        || !(recv_is_lit || is_simple_place(recv))
    {
        return;
    }
    if recv_is_lit && method == "clone" {
        return;
    }
    // Borrow conflicts: `a.clone_from(&b)` borrows `a` mutably while `&b` is alive.
    if !recv_is_lit {
        let (Some((lroot, lfirst, lind)), Some((rroot, rfirst, rind))) =
            (root_of(left, src), root_of(recv, src))
        else {
            return;
        };
        if lroot == rroot {
            let disjoint = lroot == "self"
                && !lind
                && !rind
                && lfirst.is_some()
                && rfirst.is_some()
                && lfirst != rfirst;
            if !disjoint {
                return;
            }
        }
    }
    let facts = super::facts(cx);
    if freshly_built(left, node, &facts, src) {
        return;
    }
    let lt = facts.expr_type(cx, src, left);
    let rt = if recv_is_lit {
        Ty {
            base: Base::Str,
            refs: 1,
            node: None,
        }
    } else {
        facts.expr_type(cx, src, recv)
    };
    if lt.base == Base::Copy || lt.base == Base::Shared || lt.base == Base::Cheap || lt.refs > 0 {
        return;
    }
    // What `b.method()` yields, from `b`'s type.
    let produced = match (method, rt.base, rt.refs) {
        ("clone", b, 0 | 1) if !matches!(b, Base::Str | Base::Slice | Base::Path | Base::OsStr) => {
            Ty {
                base: b,
                refs: 0,
                node: None,
            }
        }
        ("to_owned", Base::Str, 1)
        | ("to_string", Base::Str, 1)
        | ("to_string", Base::String, 0 | 1) => Ty {
            base: Base::String,
            refs: 0,
            node: None,
        },
        ("to_owned", Base::Slice, 1) => Ty {
            base: Base::Vec,
            refs: 0,
            node: None,
        },
        ("to_owned", Base::Path, 1) => Ty {
            base: Base::PathBuf,
            refs: 0,
            node: None,
        },
        ("to_owned", Base::OsStr, 1) => Ty {
            base: Base::OsString,
            refs: 0,
            node: None,
        },
        ("to_owned", b, 0 | 1) if b.owns_heap() => Ty {
            base: b,
            refs: 0,
            node: None,
        },
        _ => Ty::UNKNOWN,
    };
    if method == "to_string" && produced.is_unknown() {
        // `x.to_string()` on a non-string goes through `Display`: `clone_into` would not compile.
        return;
    }
    if !(reuses(&lt) || reuses(&produced)) {
        return;
    }
    let left_text = cx.text(left);
    let recv_text = cx.text(recv);
    if left_text == recv_text {
        return;
    }
    let (replacement, message) = if method == "clone" {
        let receiver = if left.kind_str() == "unary_expression" {
            format!("({left_text})")
        } else {
            left_text.to_owned()
        };
        (
            format!("{receiver}.clone_from(&{recv_text})"),
            "`a = b.clone()` frees `a`'s buffer and allocates a new one; `a.clone_from(&b)` copies into `a`'s buffer and reallocates only if it is too small",
        )
    } else {
        (
            format!("{recv_text}.clone_into(&mut {left_text})"),
            if method == "to_string" {
                "`a = b.to_string()` frees `a`'s buffer and allocates a new one; `b.clone_into(&mut a)` copies into `a`'s buffer and reallocates only if it is too small"
            } else {
                "`a = b.to_owned()` frees `a`'s buffer and allocates a new one; `b.clone_into(&mut a)` copies into `a`'s buffer and reallocates only if it is too small"
            },
        )
    };
    let range = node.byte_range();
    let finding = cx.report(range.clone(), message);
    finding.fix = Some(Fix::safe(
        "Reuse the existing allocation",
        vec![Edit::replace(range, replacement)],
    ));
}

#[cfg(test)]
mod tests {

    fn check(_: &str, src: &str) -> crate::rules::test_support::Outcome {
        crate::rules::rust::check_only("rust/assign-clone", src)
    }

    #[test]
    fn fires_on_known_buffers() {
        let src = r#"struct S { name: String, tags: Vec<u8>, n: u32 }
impl S {
    fn set(&mut self, other: &S, s: &str, p: &mut String) {
        self.name = other.name.clone();
        self.tags = other.tags.clone();
        *p = s.to_owned();
        self.name = "x".to_string();
        self.name = self.tags.len().to_string();
    }
}"#;
        let out = check("x.rs", src);
        assert_eq!(out.ids(), ["rust/assign-clone"; 4], "{:?}", out.findings);
        assert!(
            out.fixed.contains("self.name.clone_from(&other.name);"),
            "{}",
            out.fixed
        );
        assert!(out.fixed.contains("s.clone_into(&mut *p);"));
        assert!(out.fixed.contains(r#""x".clone_into(&mut self.name);"#));
    }

    #[test]
    fn quiet_on_lets_copies_unknowns_and_overlaps() {
        let src = r#"struct S { name: String, n: u32 }
fn f(mut a: String, b: String, mut s: S, t: &S, x: T, mut y: T, v: &mut Vec<String>) {
    let c = b.clone();
    s.n = t.n.clone();
    y = x.clone();
    a = a.clone();
    v[0] = v[1].clone();
}"#;
        let out = check("x.rs", src);
        assert!(out.ids().is_empty(), "{:?}", out.findings);
    }
}
