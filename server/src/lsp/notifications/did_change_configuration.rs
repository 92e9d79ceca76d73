//! `workspace/didChangeConfiguration`: use the settings sent, or, when the client sends none,
//! pull our section with `workspace/configuration`.

use std::sync::Arc;

use tower_lsp_server::ls_types::DidChangeConfigurationParams;

use crate::lsp::configuration;
use crate::lsp::state::Session;

pub(crate) async fn did_change_configuration(
    session: &Arc<Session>,
    params: DidChangeConfigurationParams,
) {
    if !params.settings.is_null() {
        configuration::apply_editor_settings(session, &params.settings).await;
    } else if session.caps().configuration {
        let session = Arc::clone(session);
        tokio::spawn(async move { configuration::pull_editor_settings(&session).await });
    }
}
