//! Rust rules. One file per rule; add each to `RULES`. `facts` (per-file facts: bindings,
//! signatures, type guesses, uses) and `syntax` (node helpers) are shared by the rules.

use std::rc::Rc;

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

/// The file's shared facts, computed on first use in an analysis.
pub(crate) fn facts(cx: &Ctx) -> Rc<facts::Facts> {
    cx.memo(facts::Facts::compute)
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
