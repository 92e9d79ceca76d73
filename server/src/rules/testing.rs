//! Test-only rules, compiled in with the `test-panic-rule` feature.

use tree_sitter::Node;

use crate::engine::Ctx;
use crate::rules::{DefaultSeverity, FixAvailability, Rule, RuleMeta};

pub static TEST_PANIC: Rule = Rule {
    meta: RuleMeta {
        id: "rust/test-panic",
        family: Some(crate::language::Family::Rust),
        summary: "(test only) panics on the identifier `heap_audit_test_panic`",
        default: DefaultSeverity::Fixed(crate::engine::Severity::Warning),
        hot_only: false,
        fix: FixAvailability::None,
    },
    kinds: &["identifier"],
    check: test_panic,
};

pub(crate) fn test_panic(node: Node, cx: &mut Ctx) {
    let text = cx.text(node);
    if text == "heap_audit_test_panic" {
        panic!("rust/test-panic: injected panic");
    }
    if text == "heap_audit_test_finding" {
        cx.report(node.byte_range(), "test finding");
    }
}
