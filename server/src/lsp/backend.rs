//! The tower-lsp-server `LanguageServer`: each method hands over to its own file.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{
    CodeActionParams, CodeActionResponse, DidChangeConfigurationParams,
    DidChangeTextDocumentParams, DidChangeWatchedFilesParams, DidChangeWorkspaceFoldersParams,
    DidCloseTextDocumentParams, DidOpenTextDocumentParams, DidSaveTextDocumentParams,
    DocumentDiagnosticParams, DocumentDiagnosticReportResult, Hover, HoverParams, InitializeParams,
    InitializeResult, InitializedParams,
};
use tower_lsp_server::{Client, LanguageServer};

use super::state::Session;
use super::{notifications as n, requests as r, worker};

/// The heap-audit language server. Build it with `LspService::new(Backend::new)` inside a tokio
/// runtime: it starts its analysis thread and its publisher task.
pub struct Backend {
    pub(crate) session: Arc<Session>,
    pub(crate) publisher: AbortHandle,
}

impl Backend {
    pub fn new(client: Client) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let session = Arc::new(Session::new(client, tx));
        if let Err(e) = worker::spawn(Arc::clone(&session)) {
            eprintln!("heap-audit: cannot start the analysis thread: {e}");
        }
        let publisher =
            tokio::spawn(worker::run_publisher(Arc::clone(&session), rx)).abort_handle();
        Self { session, publisher }
    }
}

#[cfg(feature = "count-allocs")]
impl Backend {
    /// `heap-audit/allocations` (feature `count-allocs`): the process's allocation counters.
    pub async fn allocations(&self) -> Result<serde_json::Value> {
        let (count, bytes) = crate::alloc_count::counts();
        Ok(serde_json::json!({ "count": count, "bytes": bytes }))
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.session.queue.close();
        self.publisher.abort();
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        r::initialize::initialize(&self.session, params)
    }

    async fn initialized(&self, _: InitializedParams) {
        n::initialized::initialized(&self.session).await;
    }

    async fn shutdown(&self) -> Result<()> {
        self.session.set_shutdown();
        self.session.queue.close();
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        n::did_open::did_open(&self.session, params).await;
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        n::did_change::did_change(&self.session, params).await;
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        n::did_save::did_save(&self.session, params).await;
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        n::did_close::did_close(&self.session, params);
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        n::did_change_configuration::did_change_configuration(&self.session, params).await;
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        n::did_change_watched_files::did_change_watched_files(&self.session, params).await;
    }

    async fn did_change_workspace_folders(&self, params: DidChangeWorkspaceFoldersParams) {
        n::did_change_workspace_folders::did_change_workspace_folders(&self.session, params).await;
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        r::hover::hover(&self.session, params).await
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        r::code_action::code_action(&self.session, params).await
    }

    async fn diagnostic(
        &self,
        params: DocumentDiagnosticParams,
    ) -> Result<DocumentDiagnosticReportResult> {
        r::diagnostic::diagnostic(&self.session, params).await
    }
}
