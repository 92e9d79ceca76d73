//! Rust rules. One file per rule; add each to `RULES`.

use crate::rules::Rule;

pub mod format_literal;

pub static RULES: &[&Rule] = &[&format_literal::FORMAT_LITERAL];
