//! `py/global-in-loop` (hot): inside a function's loop, the same module attribute
//! (`math.sqrt(..)`) or bound method (`out.append(..)`, `self.helper(..)`) is looked up more
//! than N times per iteration, where binding it to a local once before the loop would do.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ops::Range;
use std::rc::Rc;

use tree_sitter::Node;

use crate::engine::Ctx;
use crate::rules::python::scope::{module_names, scope_of, scope_owner_in};
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

/// The calls of one callee in one loop.
#[derive(Default)]
struct Callee {
    /// The ranges of its calls that run once per iteration, in source order.
    sites: Vec<Range<usize>>,
    /// Whether the callee or its receiver is stored to in the loop, once checked.
    reassigned: Cell<Option<bool>>,
    /// Calls per iteration on the costliest path, once counted.
    count: Cell<Option<usize>>,
}

/// `recv.method(…)` call sites in one loop, by callee text (such as `self.out.append`), and the
/// attribute paths stored to in it.
#[derive(Default)]
struct LoopCalls {
    callees: HashMap<Box<str>, Callee>,
    stores: Vec<Box<str>>,
    /// [`known_short`] of the loop.
    short: bool,
}

/// Loops by node id: item facts ([`Ctx::node_cache`]), as the loops around a call are inside
/// the call's item.
#[derive(Default)]
struct Loops {
    cache: RefCell<HashMap<usize, Rc<LoopCalls>>>,
}

impl Loops {
    fn get(&self, lp: Node, src: &str) -> Rc<LoopCalls> {
        if let Some(c) = self.cache.borrow().get(&lp.id()) {
            return c.clone();
        }
        let c = Rc::new(collect(lp, src));
        self.cache.borrow_mut().insert(lp.id(), c.clone());
        c
    }
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
                if let Some((f, _)) = dotted_callee(n) {
                    let r = n.byte_range();
                    if in_iteration(loop_node, &r) {
                        let text = &src[f.byte_range()];
                        match out.callees.get_mut(text) {
                            Some(c) => c.sites.push(r),
                            None => {
                                let c = Callee {
                                    sites: vec![r],
                                    ..Callee::default()
                                };
                                out.callees.insert(text.into(), c);
                            }
                        }
                    }
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
    for c in out.callees.values_mut() {
        c.sites.sort_by_key(|r| r.start);
    }
    out.short = known_short(loop_node, src);
    out
}

/// Calls per callee text on one path.
type Counts<'s> = HashMap<&'s str, usize>;

fn add_into<'s>(out: &mut Counts<'s>, m: Counts<'s>) {
    for (k, v) in m {
        *out.entry(k).or_default() += v;
    }
}

fn max_into<'s>(out: &mut Counts<'s>, m: Counts<'s>) {
    for (k, v) in m {
        let e = out.entry(k).or_default();
        *e = (*e).max(v);
    }
}

fn counts_of<'s>(node: Node, src: &'s str) -> Counts<'s> {
    let mut m = Counts::new();
    path_counts(node, src, &mut m);
    m
}

/// Adds to `out` how many times each callee is called on the costliest path through `node`
/// (each callee's own costliest path): branches of an `if`, a conditional expression, a `try`'s
/// handlers and `match` cases are alternatives, so they count once, not together. Nested
/// functions and classes do not run here. One walk counts every callee of a loop.
fn path_counts<'s>(node: Node, src: &'s str, out: &mut Counts<'s>) {
    let children = |n: Node, out: &mut Counts<'s>| {
        let mut c = n.walk();
        for x in n.named_children(&mut c) {
            path_counts(x, src, out);
        }
    };
    match node.kind() {
        "function_definition" | "class_definition" | "lambda" => {}
        "call" => {
            // Only attribute callees (`a.b(…)`) are ever asked about.
            if let Some(f) = node
                .child_by_field_name("function")
                .filter(|f| f.kind() == "attribute")
            {
                *out.entry(&src[f.byte_range()]).or_default() += 1;
            }
            children(node, out);
        }
        "if_statement" => {
            if let Some(x) = node.child_by_field_name("condition") {
                path_counts(x, src, out);
            }
            let mut best = Counts::new();
            let mut c = node.walk();
            for alt in node.children_by_field_name("alternative", &mut c) {
                max_into(&mut best, counts_of(alt, src));
            }
            if let Some(x) = node.child_by_field_name("consequence") {
                max_into(&mut best, counts_of(x, src));
            }
            add_into(out, best);
        }
        "conditional_expression" => {
            let mut c = node.walk();
            let parts: Vec<Node> = node.named_children(&mut c).collect();
            match parts.as_slice() {
                [a, cond, b] => {
                    path_counts(*cond, src, out);
                    let mut best = counts_of(*a, src);
                    max_into(&mut best, counts_of(*b, src));
                    add_into(out, best);
                }
                _ => parts.iter().for_each(|x| path_counts(*x, src, out)),
            }
        }
        "try_statement" => {
            let mut c = node.walk();
            let mut handlers = Counts::new();
            for child in node.named_children(&mut c) {
                match child.kind() {
                    "block" | "finally_clause" => path_counts(child, src, out),
                    _ => max_into(&mut handlers, counts_of(child, src)),
                }
            }
            add_into(out, handlers);
        }
        "match_statement" => {
            if let Some(x) = node.child_by_field_name("subject") {
                path_counts(x, src, out);
            }
            if let Some(b) = node.child_by_field_name("body") {
                let mut best = Counts::new();
                let mut c = b.walk();
                for x in b.named_children(&mut c) {
                    max_into(&mut best, counts_of(x, src));
                }
                add_into(out, best);
            }
        }
        _ => children(node, out),
    }
}

/// The calls of each callee per iteration of a loop, on the costliest path: the body (and a
/// `while` condition, a comprehension's element and filters), not the iterable evaluated once
/// or the `else` clause.
fn per_iteration<'s>(lp: Node, src: &'s str) -> Counts<'s> {
    #[cfg(test)]
    tests::WALKS.with(|w| w.set(w.get() + 1));
    let mut out = Counts::new();
    match lp.kind() {
        "for_statement" => {
            if let Some(b) = lp.child_by_field_name("body") {
                path_counts(b, src, &mut out);
            }
        }
        "while_statement" => {
            for f in ["condition", "body"] {
                if let Some(x) = lp.child_by_field_name(f) {
                    path_counts(x, src, &mut out);
                }
            }
        }
        _ => {
            let mut c = lp.walk();
            let mut first_clause = true;
            for child in lp.named_children(&mut c) {
                if child.kind() == "for_in_clause" && first_clause {
                    first_clause = false;
                    if let Some(l) = child.child_by_field_name("left") {
                        path_counts(l, src, &mut out);
                    }
                    continue;
                }
                path_counts(child, src, &mut out);
            }
        }
    }
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
    let owner = scope_owner_in(cx, node);
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
    let loops = cx.node_cache::<Loops>();
    if loops.get(*innermost, src).short {
        return;
    }
    let callee_text = cx.text(callee);
    let base_name = cx.text(base);
    let receiver_text = cx.text(callee.child_by_field_name("object").unwrap_or(base));
    let threshold = cx.settings().global_in_loop_threshold as usize;
    // Built only for a callee called often enough in some loop.
    let mut scope = None;
    // (loop, first call of the callee in it per iteration, calls per iteration)
    let mut chosen: Option<(Node, Range<usize>, usize)> = None;
    for lp in &chain {
        let calls = loops.get(*lp, src);
        // Loops that cannot be chosen are passed over without checking the receiver below: an
        // outer loop contains their rebindings too, so it stops the search all the same.
        let Some(entry) = calls.callees.get(callee_text) else {
            continue;
        };
        if entry.sites.len() <= threshold || calls.short {
            continue;
        }
        // The receiver must be the same object on every iteration: its name is not rebound in
        // the loop, and neither it nor the method is assigned as an attribute.
        let scope = scope.get_or_insert_with(|| scope_of(cx, node));
        let rebound = scope.written_within(base_name, lp.byte_range());
        let reassigned = match entry.reassigned.get() {
            Some(r) => r,
            None => {
                let r = calls.stores.iter().any(|s| {
                    &**s == callee_text
                        || receiver_text.starts_with(&**s)
                            && receiver_text[s.len()..]
                                .chars()
                                .next()
                                .is_none_or(|c| c == '.')
                });
                entry.reassigned.set(Some(r));
                r
            }
        };
        if rebound || reassigned {
            break; // outer loops contain the same rebinding
        }
        if entry.count.get().is_none() {
            // Every callee of the loop in one walk.
            let counts = per_iteration(*lp, src);
            for (text, c) in &calls.callees {
                c.count.set(Some(counts.get(&**text).copied().unwrap_or(0)));
            }
        }
        let count = entry.count.get().unwrap_or(0);
        if count > threshold {
            chosen = Some((*lp, entry.sites[0].clone(), count));
        }
    }
    let Some((lp, first, count)) = chosen else {
        return;
    };
    if first != node.byte_range() {
        return; // one finding per loop and callee, on the first call
    }
    let method = callee
        .child_by_field_name("attribute")
        .map_or("", |a| cx.text(a));
    let scope = scope.unwrap_or_else(|| scope_of(cx, node));
    let import_kind = if scope.bindings(base_name).next().is_some() {
        None
    } else {
        module_names(cx).bindings(base_name).next().map(|b| b.kind)
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
    cx.report(callee.byte_range(), message);
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::check;

    thread_local! {
        /// How many loops had their calls counted on this thread (a work count for tests).
        pub(super) static WALKS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// A loop calling many different methods twice each once walked the loop again for every
    /// method (and scanned all its calls for every call): quadratic in the loop's size. Now
    /// one walk counts them all.
    #[test]
    fn one_walk_per_loop_however_many_callees() {
        let mut src = String::from("def f(xs, out):\n    for x in xs:\n");
        for i in 0..100 {
            src.push_str(&format!("        out.m{i}(x)\n        out.m{i}(x)\n"));
        }
        WALKS.with(|w| w.set(0));
        let findings = crate::engine::analyze_str(
            crate::language::Lang::Python,
            &src,
            &crate::engine::Settings::default(),
        )
        .unwrap();
        let n = findings
            .iter()
            .filter(|f| f.rule_id() == "py/global-in-loop")
            .count();
        assert_eq!(n, 100);
        assert_eq!(WALKS.with(|w| w.get()), 1);
    }

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
