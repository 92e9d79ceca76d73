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
    /// (loop id, start of the callee's first call in it) → calls per iteration on the
    /// costliest path.
    counts: RefCell<HashMap<(usize, usize), usize>>,
}

/// Whether `range` lies in the part of a loop that runs per iteration.
fn in_iteration(lp: Node, range: &Range<usize>) -> bool {
    let within = |n: Node| range.start >= n.start_byte() && range.end <= n.end_byte();
    match lp.kind() {
        "for_statement" => lp.child_by_field_name("body").is_some_and(within),
        "while_statement" => ["condition", "body"]
            .iter()
            .filter_map(|f| lp.child_by_field_name(f))
            .any(within),
        _ => {
            let mut c = lp.walk();
            let first = lp
                .named_children(&mut c)
                .find(|n| n.kind() == "for_in_clause");
            !first
                .and_then(|f| f.child_by_field_name("right"))
                .is_some_and(within)
        }
    }
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
                    "delete_statement" => Some(n),
                    "with_item" => n
                        .child_by_field_name("value")
                        .filter(|v| v.kind() == "as_pattern")
                        .and_then(|v| v.child_by_field_name("alias")),
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
        stack.extend(n.named_children(&mut c));
    }
    out.sites.sort_by_key(|s| s.2.start);
    out
}

/// How many times `callee` is called on the costliest path through `node`: branches of an
/// `if`, a conditional expression, a `try`'s handlers and `match` cases are alternatives, so
/// they count once, not together. Nested functions and classes do not run here.
fn path_count(node: Node, callee: &str, src: &str) -> usize {
    let sum = |n: Node| {
        let mut c = n.walk();
        let total = n
            .named_children(&mut c)
            .map(|x| path_count(x, callee, src))
            .sum::<usize>();
        total
    };
    let field = |n: Node, f: &str| {
        n.child_by_field_name(f)
            .map_or(0, |x| path_count(x, callee, src))
    };
    match node.kind() {
        "function_definition" | "class_definition" | "lambda" => 0,
        "call" => {
            let own = usize::from(
                node.child_by_field_name("function")
                    .is_some_and(|f| &src[f.byte_range()] == callee),
            );
            own + sum(node)
        }
        "if_statement" => {
            let mut c = node.walk();
            let branches = node
                .children_by_field_name("alternative", &mut c)
                .map(|alt| path_count(alt, callee, src))
                .max()
                .unwrap_or(0);
            field(node, "condition") + field(node, "consequence").max(branches)
        }
        "conditional_expression" => {
            let mut c = node.walk();
            let parts: Vec<usize> = node
                .named_children(&mut c)
                .map(|x| path_count(x, callee, src))
                .collect();
            match parts.as_slice() {
                [a, cond, b] => cond + (*a).max(*b),
                _ => parts.iter().sum(),
            }
        }
        "try_statement" => {
            let mut c = node.walk();
            let (mut body, mut handlers, mut finally) = (0, 0, 0);
            for child in node.named_children(&mut c) {
                match child.kind() {
                    "block" => body = path_count(child, callee, src),
                    "finally_clause" => finally = path_count(child, callee, src),
                    _ => handlers = handlers.max(path_count(child, callee, src)),
                }
            }
            body + handlers + finally
        }
        "match_statement" => {
            let subject = field(node, "subject");
            let cases = node.child_by_field_name("body").map_or(0, |b| {
                let mut c = b.walk();
                let max = b
                    .named_children(&mut c)
                    .map(|x| path_count(x, callee, src))
                    .max()
                    .unwrap_or(0);
                max
            });
            subject + cases
        }
        _ => sum(node),
    }
}

/// The calls of `callee` per iteration of a loop, on the costliest path: the body (and a
/// `while` condition, a comprehension's element and filters), not the iterable evaluated once
/// or the `else` clause.
fn per_iteration(lp: Node, callee: &str, src: &str) -> usize {
    match lp.kind() {
        "for_statement" => lp
            .child_by_field_name("body")
            .map_or(0, |b| path_count(b, callee, src)),
        "while_statement" => ["condition", "body"]
            .iter()
            .filter_map(|f| lp.child_by_field_name(f))
            .map(|x| path_count(x, callee, src))
            .sum(),
        _ => {
            let mut c = lp.walk();
            let mut first_clause = true;
            let mut total = 0;
            for child in lp.named_children(&mut c) {
                if child.kind() == "for_in_clause" && first_clause {
                    first_clause = false;
                    total += child
                        .child_by_field_name("left")
                        .map_or(0, |l| path_count(l, callee, src));
                    continue;
                }
                total += path_count(child, callee, src);
            }
            total
        }
    }
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
    let mut chosen: Option<(Node, Vec<Range<usize>>, usize)> = None;
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
            .filter(|(t, _, r)| &**t == callee_text && in_iteration(*lp, r))
            .map(|(_, _, r)| r.clone())
            .collect();
        if sites.len() <= threshold || known_short(*lp, src) {
            continue;
        }
        let key = (lp.id(), sites[0].start);
        let cached = loops.counts.borrow().get(&key).copied();
        let count = cached.unwrap_or_else(|| {
            let n = per_iteration(*lp, callee_text, src);
            loops.counts.borrow_mut().insert(key, n);
            n
        });
        if count > threshold {
            chosen = Some((*lp, sites, count));
        }
    }
    let Some((lp, sites, count)) = chosen else {
        return;
    };
    if sites.first().is_none_or(|r| *r != node.byte_range()) {
        return; // one finding per loop and callee, on the first call
    }
    let method = callee
        .child_by_field_name("attribute")
        .map_or("", |a| cx.text(a));
    let import_kind = if scope.bindings(base_name).next().is_some() {
        None
    } else {
        module_scope(cx)
            .bindings(base_name)
            .find_map(|b| b.binder.as_ref().map(|(k, _)| *k))
    };
    let what = match import_kind {
        Some("import_statement") if receiver_text == base_name => "module attribute",
        Some("import_statement" | "import_from_statement") => "attribute",
        _ => "bound method",
    };
    let loop_word = if lp.kind().ends_with("statement") {
        "loop"
    } else {
        "comprehension"
    };
    let message = format!(
        "the {what} `{callee_text}` is looked up {count} times on each pass through this {loop_word}; bind it to a local once before the {loop_word} (`{method} = {callee_text}`)"
    );
    let _ = sites;
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
            msgs[0].starts_with("the bound method `out.append` is looked up 2 times on each pass"),
            "{msgs:?}"
        );
        assert!(
            msgs[1]
                .starts_with("the module attribute `math.sqrt` is looked up 2 times on each pass"),
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
            // exclusive branches: one lookup per pass
            "def f(xs, out):\n    for x in xs:\n        if x:\n            out.append(x)\n        elif x is None:\n            out.append(0)\n        else:\n            out.append(out.pop() if x else out.pop())\n",
        ] {
            assert!(ids(src).is_empty(), "{src}");
        }
    }
}
