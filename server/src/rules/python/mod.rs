//! Python rules. One file per rule; add each to `RULES`. Shared helpers: `imports` (naming a
//! standard-library function in a fix and importing it), `scope` (where names are bound and
//! read), `syntax` (literals, statements, lines).

use crate::rules::Rule;

pub mod append_in_loop;
pub mod global_in_loop;
pub mod imports;
pub mod list_membership;
pub mod missing_slots;
pub mod nested_loop_product;
pub mod pow_half;
pub mod scope;
pub mod slice_in_loop;
pub mod sort_after_insert;
pub mod string_concat_in_loop;
pub mod syntax;
pub mod try_in_loop;

pub static RULES: &[&Rule] = &[
    &append_in_loop::APPEND_IN_LOOP,
    &global_in_loop::GLOBAL_IN_LOOP,
    &list_membership::LIST_MEMBERSHIP,
    &missing_slots::MISSING_SLOTS,
    &nested_loop_product::NESTED_LOOP_PRODUCT,
    &pow_half::POW_HALF,
    &slice_in_loop::SLICE_IN_LOOP,
    &sort_after_insert::SORT_AFTER_INSERT,
    &string_concat_in_loop::STRING_CONCAT_IN_LOOP,
    &try_in_loop::TRY_IN_LOOP,
];

#[cfg(test)]
mod tests {
    use crate::document::Document;
    use crate::engine::incremental::{analyze_incremental, Incremental};
    use crate::engine::{analyze_full, Finding, Limits, Settings};
    use crate::language::Lang;

    const SRC: &str = "\
import math
from itertools import product


class Shape:
    __slots__ = ()


class Point(Shape):
    def __init__(self, x, y):
        self.x = x
        self.y = y


def roots(xs):
    return [x ** 0.5 for x in xs]


def pairs(xs):
    for x in xs:
        for y in [1, 2]:
            print(x, y)


def member(xs):
    return [x for x in xs if str(x) in ['a', 'b']]


def edited(a):
    total = a
    return total
";

    /// Edits `doc` and analyses it incrementally, checking the result against a full analysis of
    /// the same tree.
    fn edit(doc: &mut Document, state: &mut Option<Incremental>, at: usize, old: usize, new: &str) {
        let seen = doc.edit_seq();
        doc.edit(at..at + old, new);
        doc.reparse();
        let text = doc.text();
        let edits = doc.edits_since(seen);
        let tree = doc.tree().unwrap();
        let (settings, limits) = (Settings::default(), Limits::default());
        let inc = analyze_incremental(
            state,
            Lang::Python,
            &text,
            tree,
            edits.as_deref(),
            &settings,
            0,
            &limits,
        );
        let full = analyze_full(Lang::Python, &text, tree, &settings, &limits);
        assert_eq!(inc.findings, full.findings);
    }

    fn ids(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.rule_id()).collect()
    }

    /// What the checks read beyond their item (the module's bindings, the top-level imports, the
    /// file's classes) comes from item parts: typing inside one function body leaves the other
    /// items' parts equal, so their checks keep their findings without running (early cutoff);
    /// an edit that changes what an item declares runs them again.
    #[test]
    fn typing_in_a_function_body_runs_no_check_of_other_items() {
        let mut doc = Document::new(Lang::Python, SRC);
        let mut state = None;
        let first = analyze_incremental(
            &mut state,
            Lang::Python,
            SRC,
            doc.tree().unwrap(),
            None,
            &Settings::default(),
            0,
            &Limits::default(),
        );
        let mut found = ids(&first.findings);
        found.sort_unstable();
        assert_eq!(
            found,
            [
                "py/list-membership",
                "py/missing-slots",
                "py/nested-loop-product",
                "py/pow-half"
            ]
        );
        // Typing in `edited`'s body: nothing else runs, the other items' findings are kept.
        let at = SRC.find("total = a").unwrap() + "total = a".len();
        edit(&mut doc, &mut state, at, 0, "x");
        let stats = state.as_ref().unwrap().stats();
        assert_eq!(stats.calls_rerun, 0, "{stats:?}");
        assert!(stats.calls_kept >= 4, "{stats:?}");
        assert_eq!(stats.walked, 1, "{stats:?}");
        edit(&mut doc, &mut state, at, 1, "");
        assert_eq!(state.as_ref().unwrap().stats().calls_rerun, 0);
        // Renaming a class changes the classes' parts: the checks that read them run again.
        let at = SRC.find("class Shape").unwrap() + "class Shape".len();
        edit(&mut doc, &mut state, at, 0, "x");
        let stats = state.as_ref().unwrap().stats();
        assert!(stats.calls_rerun > 0, "{stats:?}");
    }
}
