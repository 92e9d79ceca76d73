//! Property: incremental rule evaluation gives exactly the findings of a full evaluation.
//!
//! Base texts are the rule fixtures of each language (findings of many rules, fixes, loops,
//! suppressions). Random edit sequences (typing, deleting, pasting pieces of the text elsewhere)
//! are applied to a `Document` in rounds; after each round the document is reparsed
//! incrementally and analysed with `analyze_incremental`, carrying its state from round to
//! round, and the result is compared with `analyze_full` on the SAME tree. Comparing on the same
//! tree keeps tree-sitter's error recovery out of it (an incremental parse may recover from a
//! syntax error differently than a fresh one; `document_props.rs` covers that side).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use heap_audit::document::Document;
use heap_audit::engine::incremental::{analyze_incremental, Incremental};
use heap_audit::engine::{analyze_full, Limits, Settings};
use heap_audit::language::Lang;
use proptest::prelude::*;

const PIECES: &[&str] = &[
    "",
    "x",
    " ",
    "\n",
    "\n\n",
    "    ",
    "😀",
    "{",
    "}",
    "(",
    ")",
    ";",
    ":",
    "\"",
    "'",
    "#",
    "//",
    "/*",
    "*/",
    "for",
    "in",
    "loop",
    "fn",
    "def",
    "class",
    "impl",
    "return",
    "clone()",
    ".to_string()",
    "format!(\"{}\", y)",
    "x ** 0.5",
    "delete o.p;",
    "for i in 0..n { let v = Vec::new(); }",
    "for x in xs:\n    out.append(x)\n",
    "for (const k of ks) { delete o[k]; }",
    "import math\n",
    "use std::fmt;\n",
    "# heap-audit: allow(py/pow-half)\n",
    "// heap-audit: allow(rust/format-literal)\n",
];

/// The fixture texts of each language, read once.
fn bases(lang: Lang) -> &'static [String] {
    static ALL: OnceLock<Vec<(Lang, Vec<String>)>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures");
        let mut out: Vec<(Lang, Vec<String>)> = Vec::new();
        let mut files: Vec<PathBuf> = Vec::new();
        for family in std::fs::read_dir(&dir).unwrap() {
            for f in std::fs::read_dir(family.unwrap().path()).unwrap() {
                files.push(f.unwrap().path());
            }
        }
        files.sort();
        for f in files {
            let Some(l) = Lang::from_path(&f) else {
                continue;
            };
            let text = std::fs::read_to_string(&f).unwrap();
            match out.iter_mut().find(|(x, _)| *x == l) {
                Some((_, v)) => v.push(text),
                None => out.push((l, vec![text])),
            }
        }
        out
    });
    all.iter()
        .find(|(l, _)| *l == lang)
        .map(|(_, v)| v.as_slice())
        .unwrap_or_else(|| panic!("no fixtures for {lang:?}"))
}

#[derive(Clone, Debug)]
enum Insert {
    Pieces(Vec<&'static str>),
    /// A copy of the current text from this fraction, this many chars long.
    Paste(f64, usize),
}

#[derive(Clone, Debug)]
struct EditOp {
    start: f64,
    delete: usize,
    insert: Insert,
}

fn edit_strategy() -> impl Strategy<Value = EditOp> {
    let insert = prop_oneof![
        3 => prop::collection::vec(prop::sample::select(PIECES), 0..3).prop_map(Insert::Pieces),
        1 => (0.0f64..1.0, 0usize..200).prop_map(|(a, n)| Insert::Paste(a, n)),
    ];
    (
        0.0f64..=1.0,
        prop_oneof![3 => 0usize..3, 1 => 0usize..120],
        insert,
    )
        .prop_map(|(start, delete, insert)| EditOp {
            start,
            delete,
            insert,
        })
}

fn snap(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn chars_from(text: &str, start: usize, n: usize) -> usize {
    text[start..]
        .char_indices()
        .nth(n)
        .map_or(text.len(), |(i, _)| start + i)
}

fn run(lang: Lang, base_pick: usize, rounds: &[Vec<EditOp>]) -> Result<(), TestCaseError> {
    let bases = bases(lang);
    let base = &bases[base_pick % bases.len()];
    let settings = Settings::default();
    let limits = Limits::default();
    let mut doc = Document::new(lang, base);
    let mut state: Option<Incremental> = None;
    let mut seen = doc.edit_seq();
    let mut text = base.clone();
    // The first analysis is a full one that fills the state.
    {
        let tree = doc.tree().expect("parsed");
        let inc = analyze_incremental(&mut state, lang, &text, tree, None, &settings, 0, &limits);
        let full = analyze_full(lang, &text, tree, &settings, &limits);
        prop_assert_eq!(inc.findings, full.findings);
    }
    for round in rounds {
        for op in round {
            let start = snap(&text, (op.start * text.len() as f64) as usize);
            let end = chars_from(&text, start, op.delete);
            let insert = match &op.insert {
                Insert::Pieces(p) => p.concat(),
                Insert::Paste(from, n) => {
                    let a = snap(&text, (from * text.len() as f64) as usize);
                    text[a..chars_from(&text, a, *n)].to_owned()
                }
            };
            text.replace_range(start..end, &insert);
            doc.edit(start..end, &insert);
        }
        doc.reparse();
        let edits = doc.edits_since(seen);
        prop_assert!(edits.is_some());
        seen = doc.edit_seq();
        let tree = doc.tree().expect("parsed");
        let inc = analyze_incremental(
            &mut state,
            lang,
            &text,
            tree,
            edits.as_deref(),
            &settings,
            0,
            &limits,
        );
        let full = analyze_full(lang, &text, tree, &settings, &limits);
        if inc.findings != full.findings {
            let only = |a: &[heap_audit::engine::Finding], b: &[heap_audit::engine::Finding]| {
                a.iter()
                    .filter(|f| !b.contains(f))
                    .map(|f| format!("{} {:?} {:?}", f.rule_id(), f.range, &text[f.range.clone()]))
                    .collect::<Vec<_>>()
            };
            prop_assert!(
                false,
                "incremental only: {:?}\nfull only: {:?}\ntext: {:?}",
                only(&inc.findings, &full.findings),
                only(&full.findings, &inc.findings),
                text
            );
        }
    }
    Ok(())
}

fn rounds() -> impl Strategy<Value = Vec<Vec<EditOp>>> {
    prop::collection::vec(prop::collection::vec(edit_strategy(), 1..4), 1..8)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn rust_incremental(pick in 0usize..64, rounds in rounds()) {
        run(Lang::Rust, pick, &rounds)?;
    }

    #[test]
    fn python_incremental(pick in 0usize..64, rounds in rounds()) {
        run(Lang::Python, pick, &rounds)?;
    }

    #[test]
    fn typescript_incremental(pick in 0usize..64, rounds in rounds()) {
        run(Lang::TypeScript, pick, &rounds)?;
    }

    #[test]
    fn javascript_incremental(pick in 0usize..64, rounds in rounds()) {
        run(Lang::JavaScript, pick, &rounds)?;
    }
}

/// Unchanged items are reused, not walked again: an edit in one function of a file with many
/// walks that one item (and runs the file-dependent checks of the others).
#[test]
fn an_edit_walks_only_its_item() {
    let mut src = String::new();
    for i in 0..50 {
        src.push_str(&format!(
            "fn f{i}(xs: &[u32]) -> u32 {{\n    let s = format!(\"x\");\n    xs.len() as u32\n}}\n\n"
        ));
    }
    let settings = Settings::default();
    let limits = Limits::default();
    let mut doc = Document::new(Lang::Rust, &src);
    let mut state = None;
    let tree = doc.tree().unwrap().clone();
    analyze_incremental(
        &mut state,
        Lang::Rust,
        &src,
        &tree,
        None,
        &settings,
        0,
        &limits,
    );
    assert_eq!(state.as_ref().unwrap().stats().walked, 50);
    let seen = doc.edit_seq();
    let at = src.find("fn f25").unwrap() + "fn f25(xs: &[u32]) -> u32 {\n    let ".len();
    doc.edit(at..at, "t");
    doc.reparse();
    src.insert(at, 't');
    let edits = doc.edits_since(seen).unwrap();
    let tree = doc.tree().unwrap();
    let inc = analyze_incremental(
        &mut state,
        Lang::Rust,
        &src,
        tree,
        Some(&edits),
        &settings,
        0,
        &limits,
    );
    let stats = state.as_ref().unwrap().stats();
    assert_eq!((stats.walked, stats.reused), (1, 49), "{stats:?}");
    assert_eq!(
        inc.findings,
        analyze_full(Lang::Rust, &src, tree, &settings, &limits).findings
    );
    assert_eq!(inc.findings.len(), 50);
}
