//! `textDocument/didOpen`: parse and track a document in a language we know; log and ignore others.

use std::sync::Arc;

use tower_lsp_server::ls_types::{DidOpenTextDocumentParams, MessageType};

use crate::document::Document;
use crate::language::Lang;
use crate::lsp::requests::initialize::file_path;
use crate::lsp::state::{heavy, DocState, Session};

pub(crate) async fn did_open(session: &Arc<Session>, params: DidOpenTextDocumentParams) {
    let item = params.text_document;
    let lang = Lang::from_language_id(&item.language_id)
        .or_else(|| Lang::from_language_id(&item.language_id.to_ascii_lowercase()));
    let Some(lang) = lang else {
        let message = format!(
            "heap-audit: not checking {}: language `{}` is not supported",
            item.uri.as_str(),
            item.language_id
        );
        session.client.log_message(MessageType::INFO, message).await;
        return;
    };
    let doc = heavy(item.text.len(), || Document::new(lang, &item.text));
    let state = DocState {
        doc,
        version: item.version,
        open_seq: session.next_open_seq(),
        path: file_path(&item.uri).map(Arc::from),
        analysis: None,
        last_published: None,
        rules_off: Default::default(),
    };
    session.docs.insert(item.uri.clone(), state);
    session.schedule(&item.uri);
}
