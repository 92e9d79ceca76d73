//! The properties the fuzz targets check, shared with `tests/fuzz_regressions.rs`, which replays
//! every saved input under `tests/fuzz/regressions/<target>/` in plain `cargo test`.

use arbitrary::{Arbitrary, Unstructured};
use heap_audit::document::{parse_str, Document, DEFAULT_PARSE_BUDGET};
use heap_audit::engine::{analyze, analyze_full, apply_fixes, FixMode, Limits, Settings};
use heap_audit::hover::construct_at;
use heap_audit::language::Lang;

/// Arbitrary bytes as source in each language: parse, run every rule, apply every fix (safe and
/// unsafe) a few times, explain the construct at each finding. Nothing may panic, no rule may
/// fail, findings and edits stay in range and on char boundaries, and a fix never introduces
/// syntax errors into code that had none.
pub fn engine(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let lang = Lang::ALL[selector as usize % Lang::ALL.len()];
    let src = String::from_utf8_lossy(rest);
    let Some(tree) = parse_str(lang, &src, DEFAULT_PARSE_BUDGET) else {
        return;
    };
    let settings = Settings::default();
    let analysis = analyze_full(lang, &src, &tree, &settings, &Limits::default());
    assert!(
        analysis.failures.is_empty(),
        "a rule failed: {:?}",
        analysis.failures
    );
    for f in &analysis.findings {
        assert!(
            f.range.start <= f.range.end && f.range.end <= src.len(),
            "finding out of range"
        );
        assert!(src.is_char_boundary(f.range.start) && src.is_char_boundary(f.range.end));
        if let Some(fix) = &f.fix {
            for e in &fix.edits {
                assert!(
                    e.range.start <= e.range.end && e.range.end <= src.len(),
                    "edit out of range"
                );
                assert!(src.is_char_boundary(e.range.start) && src.is_char_boundary(e.range.end));
            }
        }
        let _ = construct_at(lang, &src, &tree, f.range.start);
    }
    let had_errors = tree.root_node().has_error();
    let mut text = src.into_owned();
    for _ in 0..4 {
        let Some(t) = parse_str(lang, &text, DEFAULT_PARSE_BUDGET) else {
            return;
        };
        let findings = analyze_full(lang, &text, &t, &settings, &Limits::default()).findings;
        let (next, n) = apply_fixes(&text, &findings, FixMode::SafeAndUnsafe);
        if n == 0 {
            break;
        }
        text = next;
        if !had_errors {
            let fixed = parse_str(lang, &text, DEFAULT_PARSE_BUDGET).expect("parses");
            assert!(
                !fixed.root_node().has_error(),
                "a fix broke valid code:\n{text}"
            );
        }
    }
}

#[derive(Arbitrary, Debug)]
pub struct EditInput {
    lang: u8,
    base: String,
    edits: Vec<EditOp>,
}

#[derive(Arbitrary, Debug)]
struct EditOp {
    start: u16,
    len: u8,
    text: String,
    reparse: bool,
}

/// Arbitrary edit sequences on a document: the rope and the incrementally reparsed tree give
/// the same text, the same tree (when the final text parses cleanly) and the same findings as a
/// fresh parse of the final text.
pub fn edits(data: &[u8]) {
    let Ok(input) = EditInput::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let lang = Lang::ALL[input.lang as usize % Lang::ALL.len()];
    let mut doc = Document::new(lang, &input.base);
    let mut model = input.base.clone();
    for e in input.edits.iter().take(64) {
        let mut start = (e.start as usize).min(model.len());
        while !model.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (start + e.len as usize).min(model.len());
        while !model.is_char_boundary(end) {
            end -= 1;
        }
        model.replace_range(start..end, &e.text);
        doc.edit(start..end, &e.text);
        if e.reparse {
            doc.reparse();
        }
    }
    doc.reparse();
    assert_eq!(doc.text(), model);
    let Some(tree) = doc.tree() else { return };
    let Some(fresh) = parse_str(lang, &model, DEFAULT_PARSE_BUDGET) else {
        return;
    };
    if !fresh.root_node().has_error() {
        assert_eq!(tree.root_node().to_sexp(), fresh.root_node().to_sexp());
    }
    let settings = Settings::default();
    assert_eq!(
        analyze(lang, &model, tree, &settings),
        analyze(lang, &model, &fresh, &settings)
    );
}

/// Arbitrary bytes into the server's framing layer, split into arbitrary chunk sizes: the
/// decoder and the JSON-RPC validator never panic, and how the stream is split never changes
/// how many frames it holds.
pub fn frames(data: &[u8]) {
    let Some((&chunk, rest)) = data.split_first() else {
        return;
    };
    let whole = heap_audit::lsp::fuzzing::frames(rest, rest.len().max(1));
    let split = heap_audit::lsp::fuzzing::frames(rest, chunk as usize % 17 + 1);
    assert_eq!(
        whole.0, split.0,
        "frame count depends on how the input was split"
    );
}
