//! Arbitrary bytes as source in each language: parse, run every rule, apply every fix (safe and
//! unsafe) until stable, explain the construct under a cursor. Nothing may panic; a fix may
//! never introduce syntax errors into code that had none, nor produce edits off char boundaries.
#![no_main]

use heap_audit::document::{parse_str, DEFAULT_PARSE_BUDGET};
use heap_audit::engine::{analyze_full, apply_fixes, FixMode, Limits, Settings};
use heap_audit::hover::construct_at;
use heap_audit::language::Lang;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let lang = Lang::ALL[selector as usize % Lang::ALL.len()];
    let src = String::from_utf8_lossy(rest);
    let Some(tree) = parse_str(lang, &src, DEFAULT_PARSE_BUDGET) else { return };
    let settings = Settings::default();
    let analysis = analyze_full(lang, &src, &tree, &settings, &Limits::default());
    assert!(analysis.failures.is_empty(), "a rule failed: {:?}", analysis.failures);
    for f in &analysis.findings {
        assert!(f.range.start <= f.range.end && f.range.end <= src.len(), "finding out of range");
        assert!(src.is_char_boundary(f.range.start) && src.is_char_boundary(f.range.end));
        if let Some(fix) = &f.fix {
            for e in &fix.edits {
                assert!(e.range.start <= e.range.end && e.range.end <= src.len(), "edit out of range");
                assert!(src.is_char_boundary(e.range.start) && src.is_char_boundary(e.range.end));
            }
        }
        let _ = construct_at(lang, &src, &tree, f.range.start);
    }
    let had_errors = tree.root_node().has_error();
    let mut text = src.into_owned();
    for _ in 0..4 {
        let Some(t) = parse_str(lang, &text, DEFAULT_PARSE_BUDGET) else { return };
        let findings = analyze_full(lang, &text, &t, &settings, &Limits::default()).findings;
        let (next, n) = apply_fixes(&text, &findings, FixMode::SafeAndUnsafe);
        if n == 0 {
            break;
        }
        text = next;
        if !had_errors {
            let fixed = parse_str(lang, &text, DEFAULT_PARSE_BUDGET).expect("parses");
            assert!(!fixed.root_node().has_error(), "a fix broke valid code:\n{text}");
        }
    }
});
