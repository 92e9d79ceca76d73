//! `textDocument/didSave`: the text is already in sync, but a save is the moment to notice
//! `heap-audit.toml` and profile changes for clients that cannot watch files for us.

use tower_lsp_server::ls_types::DidSaveTextDocumentParams;

use crate::lsp::configuration;
use crate::lsp::state::Session;

pub(crate) async fn did_save(session: &Session, _params: DidSaveTextDocumentParams) {
    if session.caps().watch_files {
        return; // the watchers report config and profile changes
    }
    // Profiles whose size or modification time changed are reloaded.
    session.profiles.request_sync();
    let changed = session
        .workspace
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .changed_files();
    if !changed.is_empty() {
        configuration::reload_files(session, &changed).await;
    }
}
