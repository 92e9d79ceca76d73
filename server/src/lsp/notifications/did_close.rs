//! `textDocument/didClose`: forget the document (here and in the analysis threads) and clear its
//! diagnostics.

use tower_lsp_server::ls_types::DidCloseTextDocumentParams;

use crate::lsp::state::{Publish, Session};

pub(crate) fn did_close(session: &Session, params: DidCloseTextDocumentParams) {
    let uri = params.text_document.uri;
    if session.docs.remove(&uri).is_some() && !session.caps().pull_diagnostics {
        // Through the publisher, so it lands after any diagnostics already on their way.
        session.forget(&uri);
        session.send(Publish::Clear { uri });
    }
}
