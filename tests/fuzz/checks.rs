//! The properties the fuzz targets check, shared with `tests/fuzz_regressions.rs`, which replays
//! every saved input under `tests/fuzz/regressions/<target>/` in plain `cargo test`.

use arbitrary::{Arbitrary, Unstructured};
use heap_audit::document::{parse_str, Document, DEFAULT_PARSE_BUDGET};
use heap_audit::engine::incremental::{analyze_incremental, Incremental};
use heap_audit::engine::{analyze, analyze_full, apply_fixes, Finding, FixMode, Limits, Settings};
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
            for e in fix.edits().iter() {
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

/// How many times per input the incremental analysis is compared with a full one along the way
/// (besides the first and the last analysis): enough to carry its state over several steps,
/// few enough to keep an input cheap.
const INCREMENTAL_STEPS: usize = 16;

/// Arbitrary edit sequences on a document: the rope and the incrementally reparsed tree give
/// the same text, the same tree (when the final text parses cleanly) and the same findings as a
/// fresh parse of the final text. Along the way, after edits that reparse (up to
/// [`INCREMENTAL_STEPS`] of them) and at the end, the incremental analysis, fed the document's
/// edit log and carrying its state from step to step, gives exactly the findings of a full
/// analysis of the same tree.
pub fn edits(data: &[u8]) {
    let Ok(input) = EditInput::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let lang = Lang::ALL[input.lang as usize % Lang::ALL.len()];
    let ops: Vec<(u16, u8, &str, bool)> = input
        .edits
        .iter()
        .take(64)
        .map(|e| (e.start, e.len, e.text.as_str(), e.reparse))
        .collect();
    edit_sequence(lang, &input.base, &ops);
}

/// The property of [`edits`] on one decoded input: `ops` are (start byte, bytes removed,
/// inserted text, reparse after it), offsets clamped to the text and moved back to char
/// boundaries.
pub fn edit_sequence(lang: Lang, base: &str, ops: &[(u16, u8, &str, bool)]) {
    let settings = Settings::default();
    let limits = Limits::default();
    let mut doc = Document::new(lang, base);
    let mut model = base.to_owned();
    let mut inc = IncrementalCheck::default();
    inc.step(&doc, &model, &settings, &limits);
    let mut steps = 0;
    for &(start, len, text, reparse) in ops {
        let mut start = (start as usize).min(model.len());
        while !model.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (start + len as usize).min(model.len());
        while !model.is_char_boundary(end) {
            end -= 1;
        }
        model.replace_range(start..end, text);
        doc.edit(start..end, text);
        if reparse {
            doc.reparse();
            if steps < INCREMENTAL_STEPS {
                steps += 1;
                inc.step(&doc, &model, &settings, &limits);
            }
        }
    }
    doc.reparse();
    assert_eq!(doc.text(), model);
    let full = inc.step(&doc, &model, &settings, &limits);
    let Some(tree) = doc.tree() else { return };
    let Some(fresh) = parse_str(lang, &model, DEFAULT_PARSE_BUDGET) else {
        return;
    };
    if !fresh.root_node().has_error() {
        assert_eq!(tree.root_node().to_sexp(), fresh.root_node().to_sexp());
    }
    let full = full.expect("the document has a tree");
    assert_eq!(full, analyze(lang, &model, &fresh, &settings));
}

/// Incremental analysis of one document across steps, checked against full analyses.
#[derive(Default)]
struct IncrementalCheck {
    state: Option<Incremental>,
    /// The document's edit number at the last analysis.
    seen: u64,
}

impl IncrementalCheck {
    /// Analyses the document's current tree (of `text`) incrementally with the edits made since
    /// the last step, and in full; both must agree and no rule may fail. Returns the findings,
    /// or `None` when the document has no tree (its parse ran out of budget).
    fn step(
        &mut self,
        doc: &Document,
        text: &str,
        settings: &Settings,
        limits: &Limits,
    ) -> Option<Vec<Finding>> {
        let tree = doc.tree()?;
        let lang = doc.lang();
        let edits = doc.edits_since(self.seen);
        assert!(edits.is_some(), "the edit log lost edits");
        self.seen = doc.edit_seq();
        let inc = analyze_incremental(
            &mut self.state,
            lang,
            text,
            tree,
            edits.as_deref(),
            settings,
            0,
            limits,
        );
        let full = analyze_full(lang, text, tree, settings, limits);
        assert!(
            full.failures.is_empty(),
            "a rule failed: {:?}",
            full.failures
        );
        assert!(
            inc.failures.is_empty(),
            "a rule failed incrementally: {:?}",
            inc.failures
        );
        if inc.findings != full.findings {
            let only = |a: &[Finding], b: &[Finding]| {
                a.iter()
                    .filter(|f| !b.contains(f))
                    .map(|f| format!("{} {:?}", f.rule_id(), f.range))
                    .collect::<Vec<_>>()
            };
            panic!(
                "incremental analysis differs from a full one\nincremental only: {:?}\nfull only: {:?}\ntext: {text:?}",
                only(&inc.findings, &full.findings),
                only(&full.findings, &inc.findings),
            );
        }
        Some(full.findings)
    }
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
