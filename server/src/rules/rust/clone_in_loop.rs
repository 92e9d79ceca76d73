//! `rust/clone-in-loop`: `.clone()` / `.to_owned()` / `.to_vec()` of heap data on every
//! iteration of a loop.

use tree_sitter::Node;

use super::syntax::NodeExt;

use super::facts::{Base, Facts};
use super::syntax::{method_call, text, unparen};
use crate::engine::{Ctx, Severity};
use crate::rules::{DefaultSeverity, FixAvailability, Rule, RuleMeta};

pub static CLONE_IN_LOOP: Rule = Rule {
    meta: RuleMeta {
        id: "rust/clone-in-loop",
        family: Some(crate::language::Family::Rust),
        summary: "`.clone()` / `.to_owned()` / `.to_vec()` of heap data on every loop iteration",
        default: DefaultSeverity::ByLoopDepth,
        hot_only: true,
        fix: FixAvailability::None,
    },
    kinds: &["call_expression"],
    check: clone_in_loop,
};

pub(crate) fn clone_in_loop(node: Node, cx: &mut Ctx) {
    let Some((recv, name, args)) = method_call(node) else {
        return;
    };
    let src = cx.src();
    let method = text(name, src);
    if !matches!(method, "clone" | "to_owned" | "to_vec") || args.named_child_count() != 0 {
        return;
    }
    let recv = unparen(recv);
    if recv.kind_str().ends_with("literal") || recv.kind_str() == "array_expression" {
        return;
    }
    let facts = super::facts(cx);
    let allocates = match method {
        "to_vec" => true,
        _ => {
            let t = facts.expr_type(cx, src, recv);
            if method == "to_owned"
                && matches!(t.base, Base::Str | Base::Slice | Base::Path | Base::OsStr)
            {
                t.refs == 1
            } else if t.clone_is_cheap() {
                false
            } else {
                t.clone_allocates()
            }
        }
    };
    if !allocates {
        return;
    }
    let Some(lp) = cx.enclosing_loop() else {
        return;
    };
    // `return x.clone()` / `break x.clone()` leave the loop: they run once.
    let leaves = cx
        .ancestors()
        .map(|f| f.node)
        .take_while(|n| n.id() != lp.id())
        .any(|n| matches!(n.kind_str(), "return_expression" | "break_expression"));
    if leaves {
        return;
    }
    let kept = moved_into_outer_collection(node, lp, &facts, cx);
    let message = if kept {
        "This copy is stored in a collection that outlives the loop, so it has to be owned; if the original outlives the collection too, storing borrows (or `Rc`/`Arc`) avoids one allocation per item"
    } else {
        "Allocates a copy on every iteration: borrow the value instead, share it with `Rc`/`Arc`, use `Cow` when only some iterations need to modify it, or clone once before the loop"
    };
    let finding = cx.report(node.byte_range(), message);
    if kept {
        finding.severity = Severity::Info;
    }
}

/// Whether the clone goes (directly or inside a struct, tuple or constructor) into
/// `outer.push(..)` / `insert` / `extend` / `entry` where `outer` lives outside the loop.
fn moved_into_outer_collection(call: Node, lp: Node, facts: &Facts, cx: &Ctx) -> bool {
    let src = cx.src();
    let mut n = call;
    while let Some(p) = n.parent() {
        match p.kind_str() {
            "arguments"
            | "field_initializer"
            | "field_initializer_list"
            | "struct_expression"
            | "tuple_expression"
            | "array_expression"
            | "parenthesized_expression"
            | "shorthand_field_initializer" => {}
            "call_expression" => {
                if let Some((recv, m, _)) = method_call(p) {
                    if matches!(
                        text(m, src),
                        "push"
                            | "push_back"
                            | "push_front"
                            | "insert"
                            | "extend"
                            | "entry"
                            | "send"
                            | "push_str"
                    ) {
                        return lives_outside(recv, lp, facts, src);
                    }
                }
            }
            _ => return false,
        }
        if p.id() == lp.id() {
            return false;
        }
        n = p;
    }
    false
}

/// Whether a place's root is bound before `lp` starts (or is `self`).
fn lives_outside(place: Node, lp: Node, facts: &Facts, src: &str) -> bool {
    let mut e = unparen(place);
    loop {
        match e.kind_str() {
            "self" => return true,
            "identifier" => {
                return facts
                    .resolve(src, text(e, src), e.start_byte())
                    .is_some_and(|b| facts.binding(b).scope.start < lp.start_byte());
            }
            "field_expression" => match e.field("value") {
                Some(v) => e = unparen(v),
                None => return false,
            },
            "unary_expression" | "index_expression" => match e.named_child(0) {
                Some(v) => e = unparen(v),
                None => return false,
            },
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::Severity;

    fn check(src: &str) -> crate::rules::test_support::Outcome {
        crate::rules::rust::check_only("rust/clone-in-loop", src)
    }

    #[test]
    fn fires_on_heap_clones_in_loops() {
        let src = "struct S { name: String, tags: Vec<u8> }
fn f(items: &[S], names: &[String], s: &str) -> usize {
    let mut n = 0;
    for it in items {
        let a = it.name.clone();
        let b = s.to_owned();
        let c = it.tags.to_vec();
        n += a.len() + b.len() + c.len();
    }
    names.iter().for_each(|x| { let y = x.clone(); n += y.len(); });
    let copies: Vec<String> = names.iter().map(|x| x.clone()).collect();
    n
}";
        let out = check(src);
        assert_eq!(out.ids(), ["rust/clone-in-loop"; 5], "{:?}", out.findings);
        assert!(out.findings.iter().all(|f| f.severity == Severity::Warning));
    }

    #[test]
    fn kept_clones_are_information() {
        let out = check("fn f(names: &[String]) -> Vec<String> { let mut out = Vec::new(); for n in names { out.push(n.clone()); } out }");
        assert_eq!(out.ids(), ["rust/clone-in-loop"]);
        assert_eq!(out.findings[0].severity, Severity::Info);
    }

    #[test]
    fn quiet_on_cheap_or_unknown_clones() {
        for src in [
            "use std::rc::Rc; fn f(x: Rc<String>, n: usize) { for _ in 0..n { let y = x.clone(); let z = Rc::clone(&x); } }",
            "use std::sync::Arc; struct H { inner: Arc<u8> } fn f(h: &H, n: usize) { for _ in 0..n { let y = h.inner.clone(); let z = h.clone(); } }",
            "fn f(s: &str, n: usize) { for _ in 0..n { let y = s.clone(); let k = 3u8.clone(); } }",
            "fn f(x: T, n: usize) { for _ in 0..n { let y = x.clone(); } }",
            "fn f(x: String) { let y = x.clone(); }",
            "fn f(n: usize) { for _ in 0..n { let y = \"lit\".to_owned(); } }",
            "fn f(o: Option<&String>) -> Option<String> { o.map(|s| s.clone()) }",
            "fn f(v: &[String]) -> Option<String> { for s in v { if s.is_empty() { return Some(s.clone()); } } None }",
        ] {
            assert!(check(src).ids().is_empty(), "{src}");
        }
    }
}
