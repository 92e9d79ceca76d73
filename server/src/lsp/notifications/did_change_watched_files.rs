//! `workspace/didChangeWatchedFiles`: a `heap-audit.toml` was created, changed or deleted; a
//! profile changed, or source files were created or deleted (see `lsp::profiles`).

use std::path::PathBuf;

use tower_lsp_server::ls_types::DidChangeWatchedFilesParams;

use crate::config::FILE_NAME;
use crate::lsp::configuration;
use crate::lsp::requests::initialize::file_path;
use crate::lsp::state::Session;

pub(crate) async fn did_change_watched_files(
    session: &Session,
    params: DidChangeWatchedFilesParams,
) {
    let mut paths: Vec<PathBuf> = params
        .changes
        .iter()
        .filter_map(|c| file_path(&c.uri))
        .filter(|p| p.file_name().is_some_and(|n| n == FILE_NAME))
        .collect();
    paths.dedup();
    configuration::reload_files(session, &paths).await;
    session.profiles.files_changed(&params.changes);
}
