//! Rust rules. One file per rule; add each to `RULES`. `facts` (an item's bindings and uses, the
//! file's declarations as item parts, type guesses) and `syntax` (node helpers) are shared by the rules.

use crate::engine::Ctx;
use crate::rules::Rule;

pub mod assign_clone;
pub mod box_collection;
pub mod clone_in_loop;
pub mod collect_then_iterate;
pub mod collection_in_loop;
pub(crate) mod facts;
pub mod format_literal;
pub mod literal_to_string;
pub mod mixed_string_return;
pub mod owned_param;
pub mod owned_ref_param;
pub(crate) mod syntax;
pub mod vec_without_capacity;

pub static RULES: &[&Rule] = &[
    &assign_clone::ASSIGN_CLONE,
    &box_collection::BOX_COLLECTION,
    &clone_in_loop::CLONE_IN_LOOP,
    &collect_then_iterate::COLLECT_THEN_ITERATE,
    &collection_in_loop::COLLECTION_IN_LOOP,
    &format_literal::FORMAT_LITERAL,
    &literal_to_string::LITERAL_TO_STRING,
    &mixed_string_return::MIXED_STRING_RETURN,
    &owned_ref_param::OWNED_REF_PARAM,
    &owned_param::OWNED_PARAM,
    &vec_without_capacity::VEC_WITHOUT_CAPACITY,
];

/// The current item's facts: its bindings, computed once for the item's checks (item-local), and
/// through the check's `Ctx` the file's declarations when a type guess needs them (item parts).
pub(crate) fn facts<'t>(cx: &Ctx<'_, 't>) -> facts::Facts<'t> {
    facts::Facts::of(cx)
}

/// Test helper: analyse `src` (a `.rs` file) with only `rule_id` enabled and apply all its fixes
/// until stable.
#[cfg(test)]
pub(crate) fn check_only(rule_id: &str, src: &str) -> crate::rules::test_support::Outcome {
    use crate::engine::{analyze_str, fix_until_stable, FixMode, Level, Settings};
    use crate::language::Lang;
    let reg = crate::rules::registry();
    let mut settings = Settings::default();
    for i in 0..reg.len() as u16 {
        if reg.rule(i).meta.id != rule_id {
            settings.set_level(i, Level::Off);
        }
    }
    let findings = analyze_str(Lang::Rust, src, &settings).expect("parses");
    let (fixed, _) = fix_until_stable(src, FixMode::SafeAndUnsafe, 10, |t| {
        analyze_str(Lang::Rust, t, &settings).unwrap_or_default()
    });
    crate::rules::test_support::Outcome { findings, fixed }
}

#[cfg(test)]
mod tests {
    use crate::document::Document;
    use crate::engine::incremental::{analyze_incremental, Incremental, Stats};
    use crate::engine::{analyze_full, Analysis, Limits, Settings};
    use crate::language::Lang;

    const SRC: &str = r#"use std::path::PathBuf;

struct Config {
    names: Vec<String>,
    root: PathBuf,
}

fn takes(s: &str) -> usize {
    s.len()
}

fn count(v: &Vec<String>) -> usize {
    v.len()
}

fn work(c: &Config, n: usize) -> usize {
    let mut total = 0;
    for _ in 0..n {
        let names = c.names.clone();
        total += names.len() + takes(&"z".to_owned());
    }
    total
}

fn other(c: &Config) -> usize {
    let mut sum = 0;
    sum += 1;
    sum + c.names.len()
}
"#;

    /// Replaces the first `old` with `new` in the document and analyses it incrementally; checks
    /// the result against a full analysis of the same tree.
    fn edit(doc: &mut Document, state: &mut Option<Incremental>, old: &str, new: &str) -> Stats {
        let seen = doc.edit_seq();
        let text = doc.text();
        let at = text.find(old).unwrap();
        doc.edit(at..at + old.len(), new);
        doc.reparse();
        let edits = doc.edits_since(seen);
        let (text, tree) = (doc.text(), doc.tree().unwrap().clone());
        let (settings, limits) = (Settings::default(), Limits::default());
        let lang = Lang::Rust;
        let inc = analyze_incremental(
            state,
            lang,
            &text,
            &tree,
            edits.as_deref(),
            &settings,
            0,
            &limits,
        );
        let full = analyze_full(lang, &text, &tree, &settings, &limits);
        assert_eq!(inc.findings, full.findings);
        expect_rules(&inc);
        state.as_ref().unwrap().stats()
    }

    fn expect_rules(a: &Analysis) {
        let ids: Vec<&str> = a.findings.iter().map(|f| f.rule_id()).collect();
        assert_eq!(
            ids,
            [
                "rust/owned-ref-param",
                "rust/clone-in-loop",
                "rust/literal-to-string"
            ],
        );
    }

    /// Typing inside one fn body runs no check of the other items again: the checks that read
    /// the file's declarations (item parts: the struct's fields for the clone's type, `takes`'s
    /// signature, the uses of `count` as a value) keep their findings while those parts are
    /// unchanged. A signature edit changes them, and the checks that read them run again.
    #[test]
    fn typing_in_a_body_keeps_the_findings_of_the_other_items() {
        let mut doc = Document::new(Lang::Rust, SRC);
        let mut state = None;
        let tree = doc.tree().unwrap().clone();
        let full = analyze_incremental(
            &mut state,
            Lang::Rust,
            SRC,
            &tree,
            None,
            &Settings::default(),
            0,
            &Limits::default(),
        );
        expect_rules(&full);

        let s = edit(
            &mut doc,
            &mut state,
            "sum += 1;",
            "sum += 1; let extra = 2;",
        );
        assert_eq!((s.walked, s.calls_rerun), (1, 0), "{s:?}");
        assert!(s.calls_kept >= 3, "{s:?}");
        let s = edit(&mut doc, &mut state, "let extra = 2;", "let extra = 23;");
        assert_eq!((s.walked, s.calls_rerun), (1, 0), "{s:?}");

        let s = edit(
            &mut doc,
            &mut state,
            "fn takes(s: &str)",
            "fn takes(s: &'static str)",
        );
        assert!(s.calls_rerun > 0, "{s:?}");
    }
}
