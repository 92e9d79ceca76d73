//! Firing cases of every `rust/…` rule, one module per rule. Compiles before and after
//! `heap-audit check --fix --unsafe-fixes`.
#![allow(dead_code, unused_variables, unused_mut, unused_assignments, clippy::all)]

mod assign_clone;
mod box_collection;
mod clone_in_loop;
mod collect_then_iterate;
mod collection_in_loop;
mod format_literal;
mod helpers;
mod literal_to_string;
mod mixed_string_return;
mod owned_param;
mod owned_ref_param;
mod vec_without_capacity;
