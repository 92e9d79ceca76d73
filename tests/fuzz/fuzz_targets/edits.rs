//! Arbitrary edit sequences on a document: the rope and the incrementally reparsed tree must
//! give the same text and the same findings as a fresh parse of the final text.
#![no_main]

use arbitrary::Arbitrary;
use heap_audit::document::{parse_str, Document, DEFAULT_PARSE_BUDGET};
use heap_audit::engine::{analyze, Settings};
use heap_audit::language::Lang;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Edit {
    start: u16,
    len: u8,
    text: String,
    reparse: bool,
}

#[derive(Arbitrary, Debug)]
struct Input {
    lang: u8,
    base: String,
    edits: Vec<Edit>,
}

fuzz_target!(|input: Input| {
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
    let Some(fresh) = parse_str(lang, &model, DEFAULT_PARSE_BUDGET) else { return };
    if !fresh.root_node().has_error() {
        assert_eq!(tree.root_node().to_sexp(), fresh.root_node().to_sexp());
    }
    let settings = Settings::default();
    assert_eq!(analyze(lang, &model, tree, &settings), analyze(lang, &model, &fresh, &settings));
});
