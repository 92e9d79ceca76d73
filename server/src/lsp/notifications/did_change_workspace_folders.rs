//! `workspace/didChangeWorkspaceFolders`: load or drop the folders' configuration.

use tower_lsp_server::ls_types::{DidChangeWorkspaceFoldersParams, Uri};

use crate::lsp::configuration;
use crate::lsp::requests::initialize::file_path;
use crate::lsp::state::{Publish, Session};

pub(crate) async fn did_change_workspace_folders(
    session: &Session,
    params: DidChangeWorkspaceFoldersParams,
) {
    let mut cleared = Vec::new();
    let mut broken = Vec::new();
    {
        let mut ws = session.workspace.write().unwrap_or_else(|e| e.into_inner());
        for root in params
            .event
            .removed
            .iter()
            .filter_map(|f| file_path(&f.uri))
        {
            cleared.extend(ws.remove_folder(&root));
        }
        for root in params.event.added.iter().filter_map(|f| file_path(&f.uri)) {
            ws.add_folder(root.clone());
            if let Some(f) = ws.folders().iter().find(|f| f.root == root) {
                broken.extend(f.error.clone().map(|e| (f.config_path.clone(), e)));
            }
        }
    }
    for path in cleared {
        if let Some(uri) = Uri::from_file_path(&path) {
            session.send(Publish::File {
                uri,
                diagnostics: Vec::new(),
            });
        }
    }
    for (path, error) in &broken {
        configuration::report_file(session, path, Some(error)).await;
    }
    session.settings_changed().await;
}
