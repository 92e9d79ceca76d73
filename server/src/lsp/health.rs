//! Rules switched off for one document, so one broken or slow rule never costs the others.
//!
//! - A rule that panicked on a document's text is switched off for that document until the text
//!   changes (the next `didChange` clears the list): a panic is a bug, and running the rule again
//!   on the same text would only panic again.
//! - A document larger than `maxFileSize` is analysed with a time budget per rule. A rule that
//!   runs out of it is skipped for that document from then on, while the document stays that
//!   large (until it is closed).
//!
//! Either way the rule's findings from that analysis are dropped, the other rules' findings are
//! published, and the user is told once, on stderr and with a `window/logMessage`.

use std::time::Duration;

use tower_lsp_server::ls_types::MessageType;

use super::state::{Session, Snapshot};
use crate::config::format_size;
use crate::engine::{FailureKind, Limits, RuleFailure};

/// The time one rule may spend on one analysis of a document over `maxFileSize`. Measured on
/// 10 MB files in a release build: parsing takes 2–3 s, the Rust, TS and JS rules about 1 s in
/// all, and each Python rule 0.7–4.7 s on 10 MB of Django modules (none grows faster than the
/// file since the scope indexes; before them `py/nested-loop-product` took minutes). The budget
/// stops the slowest on files that big rather than stall the document.
pub(crate) const RULE_BUDGET: Duration = Duration::from_secs(2);

/// Test hook, debug builds only: the budget in milliseconds, so end-to-end tests can run a rule
/// out of time deterministically. Release binaries do not read it.
#[cfg(debug_assertions)]
const TEST_RULE_BUDGET_MS: &str = "HEAP_AUDIT_TEST_RULE_BUDGET_MS";

fn rule_budget() -> Duration {
    #[cfg(debug_assertions)]
    if let Some(ms) = std::env::var(TEST_RULE_BUDGET_MS)
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return Duration::from_millis(ms);
    }
    RULE_BUDGET
}

/// The rules switched off for one open document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct RulesOff {
    /// Rules that panicked on the current text.
    panicked: Vec<u16>,
    /// Rules that ran out of their time budget on this (large) document.
    over_budget: Vec<u16>,
}

impl RulesOff {
    /// The text changed: rules that panicked get another chance.
    pub fn text_changed(&mut self) {
        self.panicked.clear();
    }

    /// The limits for analysing this document at `len` bytes with `max_file_size` in force.
    pub fn limits(&self, len: usize, max_file_size: u64) -> Limits {
        let large = len as u64 > max_file_size;
        let mut skip = self.panicked.clone();
        if large {
            skip.extend_from_slice(&self.over_budget);
        }
        Limits {
            skip,
            rule_budget: large.then(rule_budget),
        }
    }

    /// Switches off the rules that failed; returns whether `failure`'s rule was newly switched
    /// off (so it is reported once).
    fn switch_off(&mut self, failure: &RuleFailure) -> bool {
        let list = match failure.kind {
            FailureKind::Panicked(_) => &mut self.panicked,
            FailureKind::OverBudget => &mut self.over_budget,
        };
        if list.contains(&failure.rule) {
            return false;
        }
        list.push(failure.rule);
        true
    }
}

impl Session {
    /// Records the rules that failed in an analysis of `snap` and tells the user. A failure is
    /// recorded only if the document still holds the analysed text: if it changed meanwhile, the
    /// rule runs again on the new text anyway.
    pub(crate) fn rules_failed(&self, snap: &Snapshot, len: usize, failures: &[RuleFailure]) {
        let mut fresh: Vec<&RuleFailure> = Vec::with_capacity(failures.len());
        if let Some(mut d) = self.docs.get_mut(&snap.uri) {
            if d.open_seq == snap.open_seq && d.version == snap.version {
                fresh.extend(failures.iter().filter(|f| d.rules_off.switch_off(f)));
            }
        }
        for failure in fresh {
            let (typ, message) = failure_message(snap, len, failure);
            eprintln!("{message}");
            self.log_later(typ, message);
        }
    }
}

fn failure_message(snap: &Snapshot, len: usize, failure: &RuleFailure) -> (MessageType, String) {
    let rule = failure.rule_id();
    let file = snap.uri.as_str();
    match &failure.kind {
        FailureKind::Panicked(panic) => (
            MessageType::ERROR,
            format!(
                "heap-audit: rule {rule} panicked on {file} (version {}, bytes {}..{}): {panic}. \
                 It is switched off for this document until the text changes; the other rules \
                 still run. This is a heap-audit bug: please report it.",
                snap.version, failure.at.start, failure.at.end
            ),
        ),
        FailureKind::OverBudget => (
            MessageType::WARNING,
            format!(
                "heap-audit: rule {rule} ran out of its time budget ({} ms) on {file}, a large \
                 file ({}, over maxFileSize {}); it is skipped for this document from now on.",
                rule_budget().as_millis(),
                format_size(len as u64),
                format_size(snap.resolved.settings.max_file_size),
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(rule: u16, kind: FailureKind) -> RuleFailure {
        RuleFailure {
            rule,
            at: 0..1,
            kind,
        }
    }

    #[test]
    fn panicked_rules_wait_for_a_change_and_slow_ones_for_a_small_text() {
        let mut off = RulesOff::default();
        assert_eq!(off.limits(100, 10).rule_budget, Some(rule_budget()));
        assert_eq!(
            off.limits(10, 10).rule_budget,
            None,
            "at the limit: no budget"
        );
        assert!(off.switch_off(&failure(3, FailureKind::Panicked("x".into()))));
        assert!(
            !off.switch_off(&failure(3, FailureKind::Panicked("x".into()))),
            "once"
        );
        assert!(off.switch_off(&failure(5, FailureKind::OverBudget)));
        assert_eq!(off.limits(100, 10).skip, [3, 5]);
        assert_eq!(
            off.limits(1, 10).skip,
            [3],
            "a budget applies to large texts only"
        );
        off.text_changed();
        assert_eq!(off.limits(100, 10).skip, [5]);
        assert!(off.limits(1, 10).skip.is_empty());
    }
}
