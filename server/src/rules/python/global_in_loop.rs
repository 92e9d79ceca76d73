//! `py/global-in-loop` (hot): inside a function's loop, the same module attribute
//! (`math.sqrt(..)`) or bound method (`out.append(..)`, `self.helper(..)`) is looked up more
//! than N times per iteration, where binding it to a local once before the loop would do.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;
use std::rc::Rc;

use tree_sitter::Node;

use crate::engine::Ctx;
use crate::rules::python::scope::{module_scope, scope_of, scope_owner, Role};
use crate::rules::python::syntax::{contains_kind, statements, unparen};
use crate::rules::{DefaultSeverity, FixAvailability, Rule, RuleMeta};

pub static GLOBAL_IN_LOOP: Rule = Rule {
    meta: RuleMeta {
        id: "py/global-in-loop",
        family: Some(crate::language::Family::Python),
        summary: "The same module attribute or bound method looked up repeatedly in a loop",
        default: DefaultSeverity::ByLoopDepth,
        hot_only: true,
        fix: FixAvailability::None,
    },
    kinds: &["call"],
    check: global_in_loop,
};

/// `recv.method(…)` call sites in one loop, and the attribute paths stored to in it.
#[derive(Default)]
struct LoopCalls {
    /// (callee text such as `self.out.append`, the receiver base name, call range)
    sites: Vec<(Box<str>, Range<usize>, Range<usize>)>,
    stores: Vec<Box<str>>,
}

#[derive(Default)]
struct Loops {
    cache: RefCell<HashMap<usize, Rc<LoopCalls>>>,
}

/// The callee `a.b.c` of a call when it is an attribute chain on a plain name: the callee's
/// node and the base name's node.
fn dotted_callee(call: Node) -> Option<(Node, Node)> {
    let f = call
        .child_by_field_name("function")
        .filter(|f| f.kind() == "attribute")?;
    let mut n = f.child_by_field_name("object")?;
    while n.kind() == "attribute" {
        n = n.child_by_field_name("object")?;
    }
    (n.kind() == "identifier").then_some((f, n))
}

fn collect(loop_node: Node, src: &str) -> LoopCalls {
    let mut out = LoopCalls::default();
    let mut stack = vec![loop_node];
    let mut c = loop_node.walk();
    while let Some(n) = stack.pop() {
        match n.kind() {
            // Bodies of nested defs and classes do not run per iteration.
            "function_definition" | "class_definition" | "lambda" => continue,
            "call" => {
                if let Some((f, base)) = dotted_callee(n) {
                    out.sites.push((
                        src[f.byte_range()].into(),
                        base.byte_range(),
                        n.byte_range(),
                    ));
                }
            }
            "assignment"
            | "augmented_assignment"
            | "for_statement"
            | "for_in_clause"
            | "delete_statement"
            | "with_item" => {
                let targets = match n.kind() {
                    "delete_statement" | "with_item" => Some(n),
                    _ => n.child_by_field_name("left"),
                };
                if let Some(t) = targets {
                    let mut ts = vec![t];
                    while let Some(x) = ts.pop() {
                        if x.kind() == "attribute" {
                            out.stores.push(src[x.byte_range()].into());
                        }
                        let mut xc = x.walk();
                        ts.extend(x.named_children(&mut xc));
                    }
                }
            }
            _ => {}
        }
        c.reset(n);
        if c.goto_first_child() {
            loop {
                if c.node().is_named() {
                    stack.push(c.node());
                }
                if !c.goto_next_sibling() {
                    break;
                }
            }
        }
    }
    out.sites.sort_by_key(|s| s.2.start);
    out
}

/// Whether the loop is known to run at most once: it iterates over a literal of at most one
/// element or `range(0)` / `range(1)`, or its body always ends by leaving the loop.
fn known_short(loop_node: Node, src: &str) -> bool {
    let iterable = match loop_node.kind() {
        "for_statement" => loop_node.child_by_field_name("right"),
        "list_comprehension"
        | "set_comprehension"
        | "dictionary_comprehension"
        | "generator_expression" => {
            let mut c = loop_node.walk();
            let first = loop_node
                .named_children(&mut c)
                .find(|n| n.kind() == "for_in_clause");
            first.and_then(|f| f.child_by_field_name("right"))
        }
        _ => None,
    };
    if let Some(it) = iterable.map(unparen) {
        match it.kind() {
            "list" | "tuple" | "set" if it.named_child_count() <= 1 => return true,
            "call" => {
                let f = it
                    .child_by_field_name("function")
                    .map(|f| &src[f.byte_range()]);
                let args = it
                    .child_by_field_name("arguments")
                    .map(|a| src[a.byte_range()].replace(' ', ""));
                if f == Some("range") && matches!(args.as_deref(), Some("(0)" | "(1)")) {
                    return true;
                }
            }
            _ => {}
        }
    }
    if let Some(body) = loop_node
        .child_by_field_name("body")
        .filter(|b| b.kind() == "block")
    {
        let exits = statements(body).last().is_some_and(|s| {
            matches!(
                s.kind(),
                "break_statement" | "return_statement" | "raise_statement"
            )
        });
        if exits && !contains_kind(body, &["continue_statement"]) {
            return true;
        }
    }
    false
}

pub(crate) fn global_in_loop(node: Node, cx: &mut Ctx) {
    let src = cx.src();
    let Some((callee, base)) = dotted_callee(node) else {
        return;
    };
    let owner = scope_owner(node);
    if owner.kind() != "function_definition" {
        return; // module-level code, class bodies and lambdas
    }
    // The loops around the call inside the function, innermost first.
    let chain: Vec<Node> = cx
        .ancestors()
        .map(|f| f.node)
        .take_while(|n| n.id() != owner.id())
        .filter(|n| cx.is_loop(*n))
        .collect();
    let Some(innermost) = chain.first() else {
        return;
    };
    if known_short(*innermost, src) {
        return;
    }
    let callee_text = cx.text(callee);
    let base_name = cx.text(base);
    let receiver_text = cx.text(callee.child_by_field_name("object").unwrap_or(base));
    let scope = scope_of(cx, node);
    let loops = cx.memo(|_, _| Loops::default());
    let threshold = cx.settings().global_in_loop_threshold as usize;
    let mut chosen: Option<(Node, Vec<Range<usize>>)> = None;
    for lp in &chain {
        let calls = {
            let cached = loops.cache.borrow().get(&lp.id()).cloned();
            match cached {
                Some(c) => c,
                None => {
                    let c = Rc::new(collect(*lp, src));
                    loops.cache.borrow_mut().insert(lp.id(), c.clone());
                    c
                }
            }
        };
        // The receiver must be the same object on every iteration: its name is not rebound in
        // the loop, and neither it nor the method is assigned as an attribute.
        let rebound = scope
            .within(base_name, lp.byte_range())
            .any(|o| o.role != Role::Read);
        let reassigned = calls.stores.iter().any(|s| {
            &**s == callee_text
                || receiver_text.starts_with(&**s)
                    && receiver_text[s.len()..]
                        .chars()
                        .next()
                        .is_none_or(|c| c == '.')
        });
        if rebound || reassigned {
            break; // outer loops contain the same rebinding
        }
        let sites: Vec<Range<usize>> = calls
            .sites
            .iter()
            .filter(|(t, _, _)| &**t == callee_text)
            .map(|(_, _, r)| r.clone())
            .collect();
        if sites.len() > threshold && !known_short(*lp, src) {
            chosen = Some((*lp, sites));
        }
    }
    let Some((lp, sites)) = chosen else { return };
    if sites.first().is_none_or(|r| *r != node.byte_range()) {
        return; // one finding per loop and callee, on the first call
    }
    let method = callee
        .child_by_field_name("attribute")
        .map_or("", |a| cx.text(a));
    let is_module = module_scope(cx).bindings(base_name).any(|b| {
        b.binder
            .as_ref()
            .is_some_and(|(k, _)| *k == "import_statement")
    }) && scope.bindings(base_name).next().is_none()
        && receiver_text == base_name;
    let what = if is_module {
        "module attribute"
    } else {
        "bound method"
    };
    let loop_word = if cx.is_loop(lp) && lp.kind().ends_with("statement") {
        "loop"
    } else {
        "comprehension"
    };
    let message = format!(
        "the {what} `{callee_text}` is looked up anew at each of its {} calls in this {loop_word}, on every iteration; bind it to a local once before the {loop_word} (`{method} = {callee_text}`)",
        sites.len()
    );
    cx.report(callee.byte_range(), message);
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::check;

    fn ids(src: &str) -> Vec<&'static str> {
        check("x.py", src)
            .ids()
            .into_iter()
            .filter(|i| *i == "py/global-in-loop")
            .collect()
    }

    #[test]
    fn repeated_lookups() {
        let src = "import math\n\ndef f(pts, out):\n    for x, y in pts:\n        out.append(math.sqrt(x))\n        out.append(math.sqrt(y))\n";
        let out = check("x.py", src);
        let msgs: Vec<&str> = out.findings.iter().map(|f| f.message.as_ref()).collect();
        assert_eq!(
            out.ids(),
            ["py/global-in-loop", "py/global-in-loop"],
            "{msgs:?}"
        );
        assert!(
            msgs[0].starts_with(
                "the bound method `out.append` is looked up anew at each of its 2 calls"
            ),
            "{msgs:?}"
        );
        assert!(
            msgs[1].starts_with(
                "the module attribute `math.sqrt` is looked up anew at each of its 2 calls"
            ),
            "{msgs:?}"
        );
        // Nested loops count together, reported once.
        let nested = "def f(self, rows):\n    for row in rows:\n        self.emit(row)\n        for c in row:\n            self.emit(c)\n";
        assert_eq!(ids(nested), ["py/global-in-loop"]);
    }

    #[test]
    fn quiet_cases() {
        for src in [
            // one lookup per iteration is the default allowance
            "def f(xs, out):\n    for x in xs:\n        out.append(x)\n",
            // the receiver changes every iteration
            "def f(nodes):\n    for n in nodes:\n        n.visit(1)\n        n.visit(2)\n",
            "def f(xs, out):\n    for x in xs:\n        out.append(x)\n        out = []\n        out.append(x)\n",
            "def f(self, xs):\n    for x in xs:\n        self.buf.append(x)\n        self.buf = []\n        self.buf.append(x)\n",
            // module-level code
            "for x in xs:\n    out.append(x)\n    out.append(x)\n",
            // runs once
            "def f(out):\n    for x in (1,):\n        out.append(x)\n        out.append(x)\n",
            "def f(out):\n    while True:\n        out.append(1)\n        out.append(2)\n        break\n",
        ] {
            assert!(ids(src).is_empty(), "{src}");
        }
    }
}
