//! `js/closure-in-loop` (hot): a function or arrow expression evaluated in a loop body
//! allocates a new closure every iteration.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use tree_sitter::Node;

use crate::engine::{Ctx, Severity};
use crate::rules::js::syntax::{
    elements, is_closure, is_function_like, parent_skipping_wrappers, unwrap_expr,
};
use crate::rules::{DefaultSeverity, FixAvailability, Rule, RuleMeta};

pub static CLOSURE_IN_LOOP: Rule = Rule {
    meta: RuleMeta {
        id: "js/closure-in-loop",
        family: Some(crate::language::Family::Js),
        summary: "A function created inside a loop is allocated every iteration: hoist it",
        default: DefaultSeverity::ByLoopDepth,
        hot_only: true,
        fix: FixAvailability::None,
    },
    kinds: &[
        "arrow_function",
        "function_expression",
        "function",
        "generator_function",
    ],
    check: closure_in_loop,
};

/// Calls known to run the callback they are given during the call and drop it afterwards
/// (array iteration methods, `String.prototype.replace`, `Array.from`). A closure passed to
/// anything else may be kept (a listener, a subscription, an async callback).
const SYNC_CALLEES: &[&str] = &[
    "forEach",
    "map",
    "filter",
    "reduce",
    "reduceRight",
    "some",
    "every",
    "find",
    "findIndex",
    "findLast",
    "findLastIndex",
    "flatMap",
    "sort",
    "toSorted",
    "replace",
    "replaceAll",
    "from",
];

/// Whether the closure is called on the spot: `(() => …)()`, `(function () {}).call(this)`.
fn immediately_invoked(closure: Node, src: &str) -> bool {
    let Some(p) = parent_skipping_wrappers(closure) else {
        return false;
    };
    match p.kind() {
        "call_expression" => p
            .child_by_field_name("function")
            .is_some_and(|f| unwrap_expr(f) == closure),
        "member_expression" => {
            p.child_by_field_name("object")
                .is_some_and(|o| unwrap_expr(o) == closure)
                && p.child_by_field_name("property")
                    .is_some_and(|m| matches!(&src[m.byte_range()], "call" | "apply"))
                && p.parent().is_some_and(|c| {
                    c.kind() == "call_expression" && c.child_by_field_name("function") == Some(p)
                })
        }
        _ => false,
    }
}

/// Whether the closure is only run during the call it is passed to (an iteration method, or
/// `new Promise(executor)`), so it does not outlive the iteration. Anything else (stored in a
/// variable or property, returned, registered, handed to an unknown function) may be kept.
fn used_on_the_spot(closure: Node, src: &str) -> bool {
    let Some(p) = parent_skipping_wrappers(closure) else {
        return false;
    };
    if p.kind() != "arguments" {
        return false;
    }
    let Some(call) = p.parent() else { return false };
    match call.kind() {
        "new_expression" => call
            .child_by_field_name("constructor")
            .is_some_and(|c| &src[c.byte_range()] == "Promise"),
        "call_expression" => {
            let name = call
                .child_by_field_name("function")
                .and_then(|f| match f.kind() {
                    "member_expression" => f.child_by_field_name("property"),
                    _ => None,
                });
            name.is_some_and(|n| SYNC_CALLEES.contains(&&src[n.byte_range()]))
        }
        _ => false,
    }
}

/// Names bound by a pattern (identifiers in destructuring, rest, defaults' left sides).
fn pattern_names<'s>(pattern: Node, src: &'s str, out: &mut HashSet<&'s str>) {
    match pattern.kind() {
        "identifier" | "shorthand_property_identifier_pattern" => {
            out.insert(&src[pattern.byte_range()]);
        }
        "pair_pattern" => {
            if let Some(v) = pattern.child_by_field_name("value") {
                pattern_names(v, src, out);
            }
        }
        "assignment_pattern" | "object_assignment_pattern" => {
            if let Some(l) = pattern.child_by_field_name("left") {
                pattern_names(l, src, out);
            }
        }
        "required_parameter" | "optional_parameter" => {
            if let Some(l) = pattern.child_by_field_name("pattern") {
                pattern_names(l, src, out);
            }
        }
        _ => {
            for c in elements(pattern) {
                if !matches!(c.kind(), "type_annotation" | "accessibility_modifier") {
                    pattern_names(c, src, out);
                }
            }
        }
    }
}

/// Names declared anywhere inside `scope` (its own parameters included): `let`/`const`,
/// functions, classes, parameters, catch parameters, `for…of`/`for…in` bindings. Inside a loop
/// these get a fresh binding per iteration (`var` does not, and is left out).
fn declared_names<'s>(scope: Node, src: &'s str, out: &mut HashSet<&'s str>) {
    let mut stack = vec![scope];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "lexical_declaration" => {
                for d in elements(n) {
                    if let Some(name) = d.child_by_field_name("name") {
                        pattern_names(name, src, out);
                    }
                }
            }
            "function_declaration" | "generator_function_declaration" | "class_declaration" => {
                if let Some(name) = n.child_by_field_name("name") {
                    out.insert(&src[name.byte_range()]);
                }
            }
            "catch_clause" => {
                if let Some(p) = n.child_by_field_name("parameter") {
                    pattern_names(p, src, out);
                }
            }
            "for_in_statement" => {
                let declared = {
                    let mut c = n.walk();
                    let any = n
                        .children(&mut c)
                        .any(|t| matches!(t.kind(), "let" | "const"));
                    any
                };
                if declared {
                    if let Some(left) = n.child_by_field_name("left") {
                        pattern_names(left, src, out);
                    }
                }
            }
            _ => {}
        }
        if is_function_like(n.kind()) {
            if let Some(params) = n.child_by_field_name("parameters") {
                pattern_names(params, src, out);
            }
            if let Some(p) = n.child_by_field_name("parameter") {
                pattern_names(p, src, out); // `x => …`
            }
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
}

/// Per item: the per-iteration names of each loop (by its byte range), computed once per loop
/// rather than once per closure in it.
#[derive(Default)]
struct LoopNames(RefCell<HashMap<(usize, usize), Names>>);

/// A loop's per-iteration names, shared between the closures in it.
type Names = Rc<HashSet<Box<str>>>;

fn loop_names(lp: Node, cx: &Ctx) -> Names {
    // A loop lies in one top-level item: an item memo is enough.
    let memo = cx.item_memo::<LoopNames>();
    let key = (lp.start_byte(), lp.end_byte());
    if let Some(names) = memo.0.borrow().get(&key) {
        return names.clone();
    }
    let mut set = HashSet::new();
    declared_names(lp, cx.src(), &mut set);
    let names: Names = Rc::new(set.into_iter().map(Box::from).collect());
    memo.0.borrow_mut().insert(key, names.clone());
    names
}

/// Names a function binds for its own body: its parameters and the declarations in its body,
/// not looking into nested functions (they bind their own).
fn function_scope_names<'s>(func: Node, src: &'s str, out: &mut Vec<&'s str>) {
    let mut set = HashSet::new();
    if let Some(params) = func.child_by_field_name("parameters") {
        pattern_names(params, src, &mut set);
    }
    if let Some(p) = func.child_by_field_name("parameter") {
        pattern_names(p, src, &mut set);
    }
    if let Some(body) = func.child_by_field_name("body") {
        let mut stack = vec![body];
        while let Some(n) = stack.pop() {
            if is_function_like(n.kind()) {
                // A nested function declaration binds its name here; its insides are its own.
                if n.kind().ends_with("_declaration") {
                    if let Some(name) = n.child_by_field_name("name") {
                        set.insert(&src[name.byte_range()]);
                    }
                }
                continue;
            }
            match n.kind() {
                "lexical_declaration" | "variable_declaration" => {
                    for d in elements(n) {
                        if let Some(name) = d.child_by_field_name("name") {
                            pattern_names(name, src, &mut set);
                        }
                    }
                }
                "class_declaration" => {
                    if let Some(name) = n.child_by_field_name("name") {
                        set.insert(&src[name.byte_range()]);
                    }
                }
                "catch_clause" => {
                    if let Some(p) = n.child_by_field_name("parameter") {
                        pattern_names(p, src, &mut set);
                    }
                }
                "for_in_statement" => {
                    if let Some(left) = n.child_by_field_name("left") {
                        pattern_names(left, src, &mut set);
                    }
                }
                _ => {}
            }
            let mut c = n.walk();
            stack.extend(n.named_children(&mut c));
        }
    }
    out.extend(set);
}

/// The first name the closure reads from `names` (the loop's per-iteration bindings) that no
/// function inside the closure (the closure included) binds itself.
fn captured<'s>(closure: Node, names: &HashSet<Box<str>>, src: &'s str) -> Option<&'s str> {
    if names.is_empty() {
        return None;
    }
    fn walk<'s>(
        n: Node,
        names: &HashSet<Box<str>>,
        src: &'s str,
        bound: &mut Vec<&'s str>,
        first: &mut Option<(usize, &'s str)>,
    ) {
        let scope_len = bound.len();
        if is_function_like(n.kind()) {
            function_scope_names(n, src, bound);
        }
        if matches!(n.kind(), "identifier" | "shorthand_property_identifier") {
            let t = &src[n.byte_range()];
            if names.contains(t)
                && !bound.contains(&t)
                && first.is_none_or(|(at, _)| n.start_byte() < at)
            {
                *first = Some((n.start_byte(), t));
            }
        }
        let mut c = n.walk();
        for child in n.named_children(&mut c) {
            walk(child, names, src, bound, first);
        }
        bound.truncate(scope_len);
    }
    let mut first = None;
    walk(closure, names, src, &mut Vec::new(), &mut first);
    first.map(|(_, t)| t)
}

pub(crate) fn closure_in_loop(node: Node, cx: &mut Ctx) {
    if !is_closure(node.kind()) || immediately_invoked(node, cx.src()) {
        return;
    }
    // Created per iteration of this loop (or iteration callback). Inside a closure that is not
    // an iteration callback, creation follows that closure's calls instead: not reported.
    let Some(lp) = cx.enclosing_loop() else {
        return;
    };
    // A closure in a `return`/`throw` leaves the loop (or is the callback's result, one per
    // element by design), so it is not created again and again for nothing.
    let leaves = cx
        .ancestors()
        .take_while(|f| f.node != lp)
        .any(|f| matches!(f.node.kind(), "return_statement" | "throw_statement"));
    let callback_result = parent_skipping_wrappers(node).is_some_and(|p| p == lp)
        && lp
            .child_by_field_name("body")
            .is_some_and(|b| unwrap_expr(b) == node);
    if leaves || callback_result {
        return;
    }
    let src = cx.src();
    let names = loop_names(lp, cx);
    let capture = captured(node, &names, src);
    match capture {
        // A per-iteration closure that may be kept (or is kept) on purpose.
        Some(_) if !used_on_the_spot(node, src) => {}
        Some(name) => {
            let message = format!(
                "a new closure is allocated on every iteration; it reads `{name}` from the iteration, so it cannot simply be hoisted (pass `{name}` as an argument to a function made once, or use a plain loop)"
            );
            cx.report(node.byte_range(), message).severity = Severity::Info;
        }
        None => {
            cx.report(
                node.byte_range(),
                "a new closure is allocated on every iteration, and it uses nothing from the iteration: create it once before the loop",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::Severity;
    use crate::rules::test_support::check;

    #[test]
    fn hoistable_closures_are_warnings() {
        let out = check("x.js", "for (const x of xs) {\n  ys.sort((a, b) => a - b);\n  ys.forEach(function (y) { log(y); });\n}\n");
        assert_eq!(out.ids(), ["js/closure-in-loop"; 2]);
        assert!(out.findings.iter().all(|f| f.severity == Severity::Warning));
    }

    #[test]
    fn capturing_callbacks_are_information_and_stored_ones_are_quiet() {
        let out = check("x.js", "for (const x of xs) {\n  ys.filter((y) => y === x);\n  handlers.push(() => x);\n  const f = () => x;\n}\n");
        assert_eq!(out.ids(), ["js/closure-in-loop"]);
        assert_eq!(out.findings[0].severity, Severity::Info);
    }

    #[test]
    fn shadowing_is_by_function_scope() {
        // The inner `attr` is the inner arrow's own; the outer read of `attr` is the loop's.
        let src = "for (const attr of attrs) {\n  path.some((p) => p.attributes.some((attr) => attr.x) && attr.y);\n}\n";
        let out = check("x.js", src);
        assert_eq!(
            out.findings.iter().map(|f| f.severity).collect::<Vec<_>>(),
            [Severity::Info, Severity::Warning]
        );
    }

    #[test]
    fn not_per_iteration() {
        for src in [
            "xs.forEach((x) => log(x));",
            "for (const x of xs) { (() => x)(); }",
            "for (const x of xs) { (function () { return 1; }).call(this); }",
            "const f = () => () => 1;",
            "for (;;) { function g() { return () => 1; } }",
            "for (const x of xs) { if (x) return () => 1; }",
            "const table = keys.map((k) => { switch (k) { case 1: return () => 1; default: return () => 2; } });",
            "const fns = xs.map((x) => () => 1);",
            "for (const k of ks) { hooks.for(k).tap('P', () => k); }",
            "for (let i = 0; i < n; i++) { subscribe(src[i], (v) => { values[i] = v; }); }",
        ] {
            assert!(check("x.js", src).ids().is_empty(), "{src}");
        }
    }

    #[test]
    fn nested_callbacks_are_per_iteration() {
        let out = check("x.js", "rows.forEach((row) => { cells.map((c) => c * 2); row.items.map((i) => i + row.k); });\n");
        assert_eq!(out.ids(), ["js/closure-in-loop"; 2]);
        assert_eq!(out.findings[0].severity, Severity::Warning);
        assert_eq!(out.findings[1].severity, Severity::Info);
    }
}
