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
