//! `textDocument/didChange` (incremental): every change is applied to the rope and the tree, in
//! order, synchronously at the top of the handler before anything is awaited, then the tree is
//! reparsed incrementally once and the document is queued for analysis. The rules that panicked
//! on the old text get another chance on the new one.
//!
//! If applying the changes panics (a bug), the document's text can no longer be trusted to be the
//! editor's: it is forgotten and its diagnostics cleared, with a message asking to reopen it.

use std::sync::Arc;

use tower_lsp_server::ls_types::{
    DidChangeTextDocumentParams, MessageType, TextDocumentContentChangeEvent,
};

use crate::document::Document;
use crate::lsp::encoding::{byte_range, Encoding};
use crate::lsp::state::{heavy, Publish, Session};

pub(crate) async fn did_change(session: &Arc<Session>, params: DidChangeTextDocumentParams) {
    let uri = params.text_document.uri;
    let version = params.text_document.version;
    let enc = session.encoding();
    let outcome = match session.docs.get_mut(&uri) {
        Some(mut entry) => {
            let previous = entry.version;
            let applied = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                apply_changes(&mut entry.doc, &params.content_changes, enc)
            }));
            entry.version = version;
            entry.rules_off.text_changed();
            Some(applied.map(|()| previous))
        }
        None => None,
    };
    match outcome {
        Some(Err(payload)) => {
            session.docs.remove(&uri);
            if !session.caps().pull_diagnostics {
                session.send(Publish::Clear { uri: uri.clone() });
            }
            let message = format!(
                "heap-audit: internal error applying a change to {}: {}; the document is no \
                 longer checked: close and reopen it (a heap-audit bug: please report it)",
                uri.as_str(),
                crate::engine::panic_message(payload.as_ref())
            );
            eprintln!("{message}");
            session
                .client
                .log_message(MessageType::ERROR, message)
                .await;
        }
        Some(Ok(previous)) => {
            session.schedule(&uri);
            if version <= previous {
                let message = format!(
                    "heap-audit: {}: version {version} after {previous}; versions should increase",
                    uri.as_str()
                );
                session
                    .client
                    .log_message(MessageType::WARNING, message)
                    .await;
            }
        }
        None => {
            let message = format!(
                "heap-audit: ignoring a change to {}, which is not open",
                uri.as_str()
            );
            session
                .client
                .log_message(MessageType::WARNING, message)
                .await;
        }
    }
}

/// Applies LSP content changes in order: ranged ones as incremental edits (positions clamped into
/// the text), a range-less one as a replacement of the whole text. Reparses once at the end.
pub(crate) fn apply_changes(
    doc: &mut Document,
    changes: &[TextDocumentContentChangeEvent],
    enc: Encoding,
) {
    let mut edited = false;
    for change in changes {
        match change.range {
            Some(range) => {
                let bytes = byte_range(doc.rope(), range, enc);
                doc.edit(bytes, &change.text);
                edited = true;
            }
            None => {
                heavy(change.text.len(), || doc.replace_all(&change.text));
                edited = false;
            }
        }
    }
    if edited {
        heavy(doc.len_bytes(), || doc.reparse());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::language::Lang;
    use tower_lsp_server::ls_types::{Position, Range};

    fn change(l0: u32, c0: u32, l1: u32, c1: u32, text: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(l0, c0), Position::new(l1, c1))),
            range_length: None,
            text: text.to_owned(),
        }
    }

    #[test]
    fn changes_apply_in_order_in_either_encoding() {
        for (enc, col) in [(Encoding::Utf16, 4), (Encoding::Utf8, 6)] {
            let mut doc = Document::new(Lang::Python, "# 😀\r\nx = 1\n");
            // After the emoji on line 0, then on line 1 (which the first change moved).
            let changes = [
                change(0, col, 0, col, "!\n"),
                change(2, 4, 2, 5, "2 ** 0.5"),
            ];
            apply_changes(&mut doc, &changes, enc);
            assert_eq!(doc.text(), "# 😀!\n\r\nx = 2 ** 0.5\n", "{enc:?}");
            let fresh = crate::document::parse_str(
                Lang::Python,
                &doc.text(),
                crate::document::DEFAULT_PARSE_BUDGET,
            )
            .unwrap();
            assert_eq!(
                doc.tree().unwrap().root_node().to_sexp(),
                fresh.root_node().to_sexp()
            );
        }
    }

    #[test]
    fn full_and_out_of_range_changes() {
        let mut doc = Document::new(Lang::Rust, "fn a() {}\n");
        let full = TextDocumentContentChangeEvent {
            range: None,
            range_length: None,
            text: "fn b() {}".into(),
        };
        apply_changes(
            &mut doc,
            &[full, change(9, 9, 99, 99, "\n// end")],
            Encoding::Utf16,
        );
        assert_eq!(doc.text(), "fn b() {}\n// end");
        apply_changes(&mut doc, &[change(0, 500, 0, 2, "X")], Encoding::Utf8);
        assert_eq!(
            doc.text(),
            "fn b() {}X\n// end",
            "a reversed range past the line end clamps to it"
        );
    }
}
