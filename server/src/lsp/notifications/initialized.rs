//! `initialized`: report configuration problems found at startup, start loading the profiles,
//! then (without holding up the session) register the config-file watcher and pull the editor's
//! settings.

use std::sync::Arc;

use tower_lsp_server::ls_types::MessageType;

use crate::lsp::configuration;
use crate::lsp::state::Session;

pub(crate) async fn initialized(session: &Arc<Session>) {
    let startup: Vec<String> = std::mem::take(
        &mut *session
            .startup_errors
            .lock()
            .unwrap_or_else(|e| e.into_inner()),
    );
    for message in startup {
        session
            .client
            .show_message(MessageType::ERROR, message)
            .await;
    }
    let broken: Vec<_> = {
        let ws = session.workspace.read().unwrap_or_else(|e| e.into_inner());
        ws.folders()
            .iter()
            .filter_map(|f| f.error.clone().map(|e| (f.config_path.clone(), e)))
            .collect()
    };
    for (path, error) in &broken {
        configuration::report_file(session, path, Some(error)).await;
    }
    session.profiles.request_sync();
    let caps = session.caps();
    if caps.watch_files || caps.configuration {
        // Requests to the client: a client slow to answer must not block the handlers.
        let session = Arc::clone(session);
        tokio::spawn(async move {
            if caps.watch_files {
                configuration::register_watcher(&session).await;
            }
            if caps.configuration {
                configuration::pull_editor_settings(&session).await;
            }
        });
    }
}
