//! Requests from the client, one file each.

pub(crate) mod code_action;
pub(crate) mod diagnostic;
pub(crate) mod hover;
pub(crate) mod initialize;
pub(crate) mod inlay_hint;
