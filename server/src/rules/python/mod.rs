//! Python rules. One file per rule; add each to `RULES`. Shared helpers: `imports` (naming a
//! standard-library function in a fix and importing it), `scope` (where names are bound and
//! read), `syntax` (literals, statements, lines).

use crate::rules::Rule;

pub mod append_in_loop;
pub mod imports;
pub mod list_membership;
pub mod missing_slots;
pub mod pow_half;
pub mod scope;
pub mod syntax;

pub static RULES: &[&Rule] = &[
    &append_in_loop::APPEND_IN_LOOP,
    &list_membership::LIST_MEMBERSHIP,
    &missing_slots::MISSING_SLOTS,
    &pow_half::POW_HALF,
];
