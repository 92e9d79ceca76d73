//! Python rules. One file per rule; add each to `RULES`.

use crate::rules::Rule;

pub mod imports;
pub mod pow_half;

pub static RULES: &[&Rule] = &[&pow_half::POW_HALF];
