//! Python rules. One file per rule; add each to `RULES`. Shared helpers: `imports` (naming a
//! standard-library function in a fix and importing it), `scope` (where names are bound and
//! read), `syntax` (literals, statements, lines).

use crate::rules::Rule;

pub mod imports;
pub mod pow_half;
pub mod scope;
pub mod syntax;

pub static RULES: &[&Rule] = &[&pow_half::POW_HALF];
