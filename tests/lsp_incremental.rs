//! The server's incremental analysis, end to end: after a run of edits (some waited for, the
//! others in bursts that coalesce) and their undoing, the diagnostics of the edited document
//! equal those of the same text opened fresh in the same server. (Undoing brings the text back
//! to valid code, where an incremental parse and a fresh one agree; with syntax errors their
//! recovery may differ, see `document_props.rs`.)

#[path = "support/lsp_client.rs"]
mod lsp_client;

use lsp_client::{client_capabilities, range_json, Enc, LspClient};
use serde_json::{json, Value};

/// What identifies a diagnostic apart from its document (`data` holds the version).
fn key(d: &Value) -> (Value, Value, Value, Value) {
    (
        d["range"].clone(),
        d["code"].clone(),
        d["message"].clone(),
        d["severity"].clone(),
    )
}

fn run(file: &str, language_id: &str, ext: &str) {
    let base = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures")
            .join(file),
    )
    .unwrap();
    let mut client = LspClient::spawn(env!("CARGO_BIN_EXE_heap-audit"));
    client.initialize(client_capabilities(Enc::Utf16, false), json!({}));
    let edited = format!("file:///w/edited.{ext}");
    client.did_open(&edited, language_id, 1, &base);
    client.diagnostics(&edited, 1);
    let mut text = base.clone();
    let mut version = 1;
    // Deterministic edits spread over the file: type a word, a line break, delete a few chars,
    // paste a piece of the file elsewhere.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n.max(1) as u64) as usize
    };
    let mut undo: Vec<(usize, usize, String)> = Vec::new();
    for step in 0..40 {
        let mut at = next(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let (end, insert) = match step % 4 {
            0 => (at, "x".to_owned()),
            1 => (at, "\n".to_owned()),
            2 => {
                let mut end = (at + next(6)).min(text.len());
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                (end, String::new())
            }
            _ => {
                let mut from = next(text.len());
                while !text.is_char_boundary(from) {
                    from -= 1;
                }
                let mut to = (from + next(80)).min(text.len());
                while !text.is_char_boundary(to) {
                    to -= 1;
                }
                (at, text[from..to].to_owned())
            }
        };
        undo.push((at, at + insert.len(), text[at..end].to_owned()));
        let change = json!([{"range": range_json(&text, at..end, Enc::Utf16), "text": insert}]);
        text.replace_range(at..end, &insert);
        version += 1;
        client.did_change(&edited, version, change);
        // Every fifth edit is waited for; the others arrive in bursts and coalesce.
        if step % 5 == 4 {
            client.diagnostics(&edited, version);
        }
    }
    for (i, (at, end, insert)) in undo.into_iter().rev().enumerate() {
        let change = json!([{"range": range_json(&text, at..end, Enc::Utf16), "text": insert}]);
        text.replace_range(at..end, &insert);
        version += 1;
        client.did_change(&edited, version, change);
        if i % 7 == 6 {
            client.diagnostics(&edited, version);
        }
    }
    assert_eq!(text, base);
    let incremental = client.diagnostics(&edited, version);
    let fresh_uri = format!("file:///w/fresh.{ext}");
    client.did_open(&fresh_uri, language_id, 1, &text);
    let fresh = client.diagnostics(&fresh_uri, 1);
    let a: Vec<_> = incremental.iter().map(key).collect();
    let b: Vec<_> = fresh.iter().map(key).collect();
    assert_eq!(a, b, "{file}: final text {text:?}");
    assert!(client.shutdown_and_exit().success());
}

#[test]
fn edited_documents_match_fresh_ones() {
    run("rust/owned-param.rs", "rust", "rs");
    run("python/append-in-loop.py", "python", "py");
    run("js/property-order.ts", "typescript", "ts");
    run("js/string-concat-in-loop.js", "javascript", "js");
}
