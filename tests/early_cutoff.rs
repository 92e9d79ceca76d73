//! Early cutoff: typing inside one item re-runs no check of the other items when the file-level
//! facts they read (item parts) did not change, and the result still equals a full analysis.

use heap_audit::document::Document;
use heap_audit::engine::incremental::{analyze_incremental, Incremental, Stats};
use heap_audit::engine::{analyze_full, Limits, Settings};
use heap_audit::language::Lang;

/// Analyses `text`, types `typed` right after the first `after`, analyses again incrementally,
/// checks the findings against a full analysis of the same tree and returns the statistics of
/// the second analysis.
fn type_after(lang: Lang, text: &str, after: &str, typed: &str) -> Stats {
    let settings = Settings::default();
    let mut doc = Document::new(lang, text);
    let mut state: Option<Incremental> = None;
    let tree = doc.tree().unwrap().clone();
    let first = analyze_incremental(
        &mut state,
        lang,
        text,
        &tree,
        None,
        &settings,
        0,
        &Limits::default(),
    );
    assert!(!first.findings.is_empty(), "the text has findings to keep");
    let seen = doc.edit_seq();
    let at = text.find(after).expect("marker") + after.len();
    doc.edit(at..at, typed);
    doc.reparse();
    let mut new_text = text.to_owned();
    new_text.insert_str(at, typed);
    let edits = doc
        .edits_since(seen)
        .expect("edits since the first analysis");
    let tree = doc.tree().unwrap().clone();
    let inc = analyze_incremental(
        &mut state,
        lang,
        &new_text,
        &tree,
        Some(&edits),
        &settings,
        0,
        &Limits::default(),
    );
    let full = analyze_full(lang, &new_text, &tree, &settings, &Limits::default());
    assert_eq!(inc.findings, full.findings);
    state.unwrap().stats()
}

const TS: &str = r#"
function a(items: number[]) {
  for (const i of items) {
    const p = { x: i, y: i };
    use(p);
  }
}

function b(items: number[]) {
  const out = [];
  for (const i of items) {
    out.push({ y: i, x: i });
  }
  return out;
}

function c(n: number) {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const q = { x: i, y: 0 };
    total += q.x;
  }
  return total;
}
"#;

#[test]
fn typescript_typing_in_a_body_keeps_the_other_items_literal_checks() {
    // `b`'s literal reports against `a`'s: it reads `a`'s literal and names its line, so it
    // depends on `a` and the line `a` starts on; `c`'s literal has `a`'s order and reads only
    // the literal parts. Typing in `c`'s arithmetic changes none of that.
    let st = type_after(Lang::TypeScript, TS, "total += q", "x");
    assert!(st.calls_kept >= 2, "{st:?}");
    assert_eq!(st.calls_rerun, 0, "{st:?}");
    assert_eq!(st.walked, 1, "{st:?}");
}

#[test]
fn typescript_a_literal_report_reruns_when_the_item_it_names_changes_or_moves() {
    // Typing in `a` (not in its literal): `b`'s report read `a`, so it runs again.
    let st = type_after(Lang::TypeScript, TS, "use(p", "x");
    assert_eq!(st.calls_rerun, 1, "{st:?}");
    // A line above `a` moves the line `b`'s message names: it runs again (and, as
    // `type_after` checks, says the new line).
    let lead = format!("\n\n{TS}");
    let st = type_after(Lang::TypeScript, &lead, "\n", "\n");
    assert_eq!(st.calls_rerun, 1, "{st:?}");
    assert_eq!(st.walked, 0, "no item was touched: {st:?}");
    // A line between `a` and `b` (between two blank lines, so that neither is touched) moves
    // `b` but not `a`: `b`'s finding moves with its item.
    let spaced = TS.replace("}\n\nfunction b", "}\n\n\nfunction b");
    let st = type_after(Lang::TypeScript, &spaced, "use(p);\n  }\n}\n\n", "\n");
    assert_eq!(st.calls_rerun, 0, "{st:?}");
    assert!(st.calls_kept >= 2, "{st:?}");
}

#[test]
fn typescript_changing_a_literal_reruns_the_checks_that_read_literals() {
    // Typing a key into `c`'s literal changes its item's part: the other literal checks run.
    let st = type_after(Lang::TypeScript, TS, "{ x: i, y: 0", ", z: 1");
    assert_eq!(st.calls_kept, 0, "{st:?}");
    assert!(st.calls_rerun >= 2, "{st:?}");
}

#[test]
fn javascript_typing_in_a_body_keeps_the_other_items_literal_checks() {
    let js = TS.replace(": number[]", "").replace(": number", "");
    let st = type_after(Lang::JavaScript, &js, "total += q", "x");
    assert!(st.calls_kept >= 2, "{st:?}");
    assert_eq!(st.calls_rerun, 0, "{st:?}");
}

const RUST: &str = r#"
fn greet(name: &String) -> usize {
    name.len()
}

fn helper(n: &usize) -> usize {
    *n
}

fn other(items: &[usize]) -> usize {
    items.iter().map(helper).sum()
}
"#;

#[test]
fn rust_renaming_a_value_use_keeps_the_checks_that_asked_for_other_names() {
    // `greet`'s owned-ref-param check asks whether any item uses `greet` as a value: typing into
    // `other`'s `helper` changes other's value uses, but neither `helper` nor `helperx` is
    // `greet`, so the check keeps its finding.
    let st = type_after(Lang::Rust, RUST, "map(helper", "x");
    assert!(st.calls_kept >= 1, "{st:?}");
    assert_eq!(st.calls_rerun, 0, "{st:?}");
}

#[test]
fn rust_a_new_value_use_of_the_fn_reruns_its_check() {
    // Now `other` passes `greet` as a value: the check runs again and drops its finding (the
    // comparison with a full analysis is in `type_after`).
    let text = RUST.replace("map(helper)", "map(gree)");
    let st = type_after(Lang::Rust, &text, "map(gree", "t");
    assert!(st.calls_rerun >= 1, "{st:?}");
}

const PY: &str = r#""""Doc."""
import os

LIMIT = 10


def a(xs):
    return len(xs)


def b(x):
    return x ** 0.5
"#;

#[test]
fn python_typing_above_a_fix_that_adds_an_import_keeps_it_and_its_import_edit() {
    // pow-half's fix imports `math` after `import os`: the check reads the file's head (up to
    // `LIMIT`, the first statement after the imports), not the whole file. Typing in `a` moves `b` by one byte; the check is kept, its `math.sqrt` edit
    // moves with `b` and its import edit stays at the head (`type_after` compares the findings,
    // fixes included, with a full analysis).
    let st = type_after(Lang::Python, PY, "len(xs", "s");
    assert!(st.calls_kept >= 1, "{st:?}");
    assert_eq!(st.calls_rerun, 0, "{st:?}");
}

#[test]
fn python_editing_the_imports_reruns_the_fix_that_adds_one() {
    // `import os` becomes `import osx`: the head changed, so the import edit may go elsewhere.
    let st = type_after(Lang::Python, PY, "import os", "x");
    assert!(st.calls_rerun >= 1, "{st:?}");
}

#[test]
fn python_renaming_an_unrelated_def_keeps_the_import_fix() {
    // The spelling of `math.sqrt` depends on the statements that name `math` or `sqrt`: `a`
    // becoming `ax` changes a top-level name, not one of those.
    let st = type_after(Lang::Python, PY, "def a", "x");
    assert!(st.calls_kept >= 1, "{st:?}");
    assert_eq!(st.calls_rerun, 0, "{st:?}");
}

#[test]
fn python_a_def_that_takes_the_module_name_reruns_the_import_fix() {
    // `def mat` becoming `def math` binds `math` at the top level: `math.sqrt` would call it, so
    // the check runs again (and drops or changes its fix; `type_after` compares with a full
    // analysis).
    let text = PY.replace("def a(xs)", "def mat(xs)");
    let st = type_after(Lang::Python, &text, "def mat", "h");
    assert!(st.calls_rerun >= 1, "{st:?}");
}

const JS_DELETE: &str = r#"
function drop(o) {
  delete o.cache;
}

function other(x) {
  return x + 1;
}

function later(o) {
  return o.size;
}
"#;

#[test]
fn javascript_a_delete_reruns_only_when_an_item_that_names_its_object_changes() {
    // `other` never names `o`: the delete's check keeps its finding.
    let st = type_after(Lang::JavaScript, JS_DELETE, "return x", " * 2");
    assert_eq!(st.calls_rerun, 0, "{st:?}");
    assert!(st.calls_kept >= 1, "{st:?}");
    // `later` names `o`, and now enumerates its keys: the check runs again (and, as
    // `type_after` checks, drops the finding as a full analysis does).
    let st = type_after(
        Lang::JavaScript,
        JS_DELETE,
        "function later(o) {",
        " Object.keys(o);",
    );
    assert_eq!(st.calls_rerun, 1, "{st:?}");
}
