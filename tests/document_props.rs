//! Property: any sequence of incremental edits gives the same text, the same tree and the same
//! findings as a fresh full parse of the final text.
//!
//! For text that parses cleanly, trees and findings are identical. With syntax errors,
//! tree-sitter's error recovery may place ERROR nodes differently after incremental edits than a
//! fresh parse does (it reuses subtrees), so findings near the error can differ; the property
//! is then that findings outside the regions either parse marks as broken are identical. The
//! `undo` variant shows the two converge once the text is valid again.

use heap_audit::document::{parse_str, Document, DEFAULT_PARSE_BUDGET};
use heap_audit::engine::{analyze, Finding, Settings};
use heap_audit::language::Lang;
use proptest::prelude::*;

const RUST: &str = "use std::collections::HashMap;\r\n\r\nfn main() {\n    let s = format!(\"{}\", 1);\n    // héllo 😀\n    for i in 0..10 {\n        let v: Vec<u32> = Vec::new();\n        println!(\"{i} {s} {v:?}\");\n    }\n}\n";
const PYTHON: &str = "import os\n\ndef f(xs):\r\n    out = []\n    for x in xs:\n        out.append(x ** 0.5)  # ünïcode 😀\n    return out\n";
const TS: &str = "interface A { x: number }\nfunction f(o: any, k: string) {\r\n  delete o.a;\n  const s = `t😀${k}`;\n  for (const x of [1, 2]) { delete o[\"b\"]; }\n  return s;\n}\n";
const JS: &str =
    "function g() {\n  const a = new Array(3);\n  return arguments.length + a.length; // é\n}\n";

const PIECES: &[&str] = &[
    "",
    "x",
    " ",
    "\n",
    "\r\n",
    "\r",
    "😀",
    "é",
    "{",
    "}",
    "(",
    ")",
    ";",
    "\"",
    "'",
    "`",
    "#",
    "//",
    "/*",
    "*/",
    "format!(\"{}\", y)",
    "x ** 0.5",
    "delete o.p;",
    "for i in 0..n { }",
    "for x in xs:\n    pass\n",
    "let v = Vec::new();",
    "def h():\n    return 1\n",
    "while (true) { break; }",
    "fn",
    "def",
    "class",
];

#[derive(Clone, Debug)]
struct EditOp {
    /// Start, as a fraction of the text length (snapped to a char boundary).
    start: f64,
    /// Length to delete, in chars.
    delete: usize,
    insert: String,
}

fn edit_strategy() -> impl Strategy<Value = EditOp> {
    (
        0.0f64..=1.0,
        0usize..8,
        prop::collection::vec(prop::sample::select(PIECES), 0..3),
    )
        .prop_map(|(start, delete, parts)| EditOp {
            start,
            delete,
            insert: parts.concat(),
        })
}

fn snap(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The tree's named nodes in pre-order as (depth, kind id, [`span`]), leaving out extras
/// (comments): an incremental parse may attach a comment to a neighbouring node instead of its
/// parent (tree-sitter places extras wherever its parse stack is), which changes nothing else.
fn structure(root: tree_sitter::Node) -> Vec<(usize, u16, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let mut stack = vec![(root, 0)];
    while let Some((n, depth)) = stack.pop() {
        if n.is_extra() {
            continue;
        }
        out.push((depth, n.kind_id(), span(n)));
        let mut c = n.walk();
        let children: Vec<_> = n.named_children(&mut c).collect();
        stack.extend(children.into_iter().rev().map(|k| (k, depth + 1)));
    }
    out
}

/// Applies `ops` (then, with `undo`, their inverses in reverse order, so the final text is `base`
/// reached through every intermediate state) and compares with a fresh parse.
fn run(
    lang: Lang,
    base: &str,
    ops: &[EditOp],
    batch: bool,
    undo: bool,
) -> Result<(), TestCaseError> {
    let mut doc = Document::new(lang, base);
    let mut model = base.to_owned();
    let settings = Settings::default();
    let mut inverse: Vec<(usize, usize, String)> = Vec::new();
    let step = |doc: &mut Document, model: &mut String, start: usize, end: usize, insert: &str| {
        let removed = model[start..end].to_owned();
        model.replace_range(start..end, insert);
        doc.edit(start..end, insert);
        if !batch {
            doc.reparse();
        }
        (start, start + insert.len(), removed)
    };
    for op in ops {
        let start = snap(&model, (op.start * model.len() as f64) as usize);
        let end = model[start..]
            .char_indices()
            .nth(op.delete)
            .map_or(model.len(), |(i, _)| start + i);
        inverse.push(step(&mut doc, &mut model, start, end, &op.insert));
        if !batch {
            prop_assert_eq!(doc.text(), model.clone());
        }
    }
    if undo {
        while let Some((start, end, text)) = inverse.pop() {
            step(&mut doc, &mut model, start, end, &text);
        }
        prop_assert_eq!(model.as_str(), base);
    }
    doc.reparse();
    prop_assert_eq!(doc.text(), model.clone());
    let tree = doc.tree().expect("parsed");
    let fresh = parse_str(lang, &model, DEFAULT_PARSE_BUDGET).unwrap();
    let incremental = analyze(lang, &model, tree, &settings);
    let full = analyze(lang, &model, &fresh, &settings);
    if !fresh.root_node().has_error() {
        prop_assert_eq!(
            structure(tree.root_node()),
            structure(fresh.root_node()),
            "text: {:?}",
            model
        );
        prop_assert_eq!(incremental, full);
        return Ok(());
    }
    // With syntax errors the two parses may recover differently; outside the regions either one
    // marks as broken, the findings must agree.
    let mut broken = error_ranges(tree.root_node());
    broken.extend(error_ranges(fresh.root_node()));
    let clear = |f: &Finding| {
        !broken.iter().any(|e| {
            f.range.start < e.end.max(e.start + 1) && e.start < f.range.end.max(f.range.start + 1)
        })
    };
    let a: Vec<&Finding> = incremental.iter().filter(|f| clear(f)).collect();
    let b: Vec<&Finding> = full.iter().filter(|f| clear(f)).collect();
    prop_assert_eq!(a, b, "text: {:?}", model);
    Ok(())
}

/// A node's extent without extras at its edges: from its first non-extra child's start to its
/// last one's end (where an extra ends up decides whether its neighbour's extent covers it).
fn span(n: tree_sitter::Node) -> std::ops::Range<usize> {
    let mut c = n.walk();
    let mut kept = n.children(&mut c).filter(|k| !k.is_extra());
    match kept.next() {
        None => n.byte_range(),
        Some(first) => {
            let last = kept.last().unwrap_or(first);
            span(first).start..span(last).end
        }
    }
}

/// The byte ranges of ERROR and MISSING nodes.
fn error_ranges(root: tree_sitter::Node) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        if n.is_error() || n.is_missing() {
            out.push(n.byte_range());
            continue;
        }
        if n.has_error() {
            let mut c = n.walk();
            stack.extend(n.children(&mut c));
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn rust_edits(ops in prop::collection::vec(edit_strategy(), 1..25), batch: bool, undo: bool) {
        run(Lang::Rust, RUST, &ops, batch, undo)?;
    }

    #[test]
    fn python_edits(ops in prop::collection::vec(edit_strategy(), 1..25), batch: bool, undo: bool) {
        run(Lang::Python, PYTHON, &ops, batch, undo)?;
    }

    #[test]
    fn typescript_edits(ops in prop::collection::vec(edit_strategy(), 1..25), batch: bool, undo: bool) {
        run(Lang::TypeScript, TS, &ops, batch, undo)?;
        run(Lang::Tsx, TS, &ops, batch, undo)?;
    }

    #[test]
    fn javascript_edits(ops in prop::collection::vec(edit_strategy(), 1..25), batch: bool, undo: bool) {
        run(Lang::JavaScript, JS, &ops, batch, undo)?;
    }
}
