//! JavaScript/TypeScript rules (one set for .js .mjs .cjs .jsx .ts .mts .cts .tsx). One file
//! per rule; add each to `RULES`.

use crate::rules::Rule;

pub mod delete_property;

pub static RULES: &[&Rule] = &[&delete_property::DELETE_PROPERTY];
