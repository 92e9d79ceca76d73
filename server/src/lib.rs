//! heap-audit: finds avoidable heap allocations in Rust, TypeScript/JavaScript and Python.
//!
//! Layers, each knowing nothing of the ones above it (see `server/ARCHITECTURE.md`):
//! `language` → `document` → `engine` + `rules` (+ `guides`, `hover`) → `config` → `lsp` | `cli`.

#[cfg(feature = "count-allocs")]
pub mod alloc_count;
pub mod cli;
pub mod config;
pub mod document;
pub mod engine;
pub mod guides;
pub mod hover;
pub mod language;
pub mod lsp;
pub mod profile;
pub mod rules;
