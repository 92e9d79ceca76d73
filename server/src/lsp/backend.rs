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
    InitializeResult, InitializedParams, InlayHint, InlayHintParams,
};
use tower_lsp_server::{Client, LanguageServer};

use super::state::Session;
use super::{guard, notifications as n, profiles, requests as r, worker};

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
        for lane in [worker::Lane::Normal, worker::Lane::Large] {
            if let Err(e) = worker::spawn(Arc::clone(&session), lane) {
                eprintln!("heap-audit: cannot start the analysis thread: {e}");
            }
        }
        if let Err(e) = profiles::spawn(Arc::clone(&session)) {
            eprintln!("heap-audit: cannot start the profile thread: {e}");
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
        let live = crate::alloc_count::live();
        Ok(serde_json::json!({
            "count": count,
            "bytes": bytes,
            "live": live,
            "live_c": crate::alloc_count::live_c(),
            "malloc": crate::alloc_count::malloc_stats(),
        }))
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.session.queue.close();
        self.session.profiles.close();
        self.publisher.abort();
    }
}

// Every handler runs under `guard`: a panic answers its request with an internal error (or is
// logged, for a notification) and never reaches tower-lsp, which would stop serving.
impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let s = &self.session;
        guard::request(s, "initialize", async {
            r::initialize::initialize(s, params)
        })
        .await
    }

    async fn initialized(&self, _: InitializedParams) {
        let s = &self.session;
        guard::notification(s, "initialized", n::initialized::initialized(s)).await;
    }

    async fn shutdown(&self) -> Result<()> {
        self.session.set_shutdown();
        self.session.queue.close();
        self.session.profiles.close();
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let s = &self.session;
        guard::notification(s, "textDocument/didOpen", n::did_open::did_open(s, params)).await;
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let s = &self.session;
        guard::notification(
            s,
            "textDocument/didChange",
            n::did_change::did_change(s, params),
        )
        .await;
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        let s = &self.session;
        guard::notification(s, "textDocument/didSave", n::did_save::did_save(s, params)).await;
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let s = &self.session;
        guard::notification(s, "textDocument/didClose", async {
            n::did_close::did_close(s, params)
        })
        .await;
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        let s = &self.session;
        let handler = n::did_change_configuration::did_change_configuration(s, params);
        guard::notification(s, "workspace/didChangeConfiguration", handler).await;
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let s = &self.session;
        let handler = n::did_change_watched_files::did_change_watched_files(s, params);
        guard::notification(s, "workspace/didChangeWatchedFiles", handler).await;
    }

    async fn did_change_workspace_folders(&self, params: DidChangeWorkspaceFoldersParams) {
        let s = &self.session;
        let handler = n::did_change_workspace_folders::did_change_workspace_folders(s, params);
        guard::notification(s, "workspace/didChangeWorkspaceFolders", handler).await;
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let s = &self.session;
        guard::request(s, "textDocument/hover", async {
            #[cfg(feature = "test-panic-rule")]
            guard::test_fault(&params.text_document_position_params.text_document.uri);
            r::hover::hover(s, params).await
        })
        .await
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let s = &self.session;
        guard::request(s, "textDocument/codeAction", async {
            #[cfg(feature = "test-panic-rule")]
            guard::test_fault(&params.text_document.uri);
            r::code_action::code_action(s, params).await
        })
        .await
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        r::inlay_hint::inlay_hint(&self.session, params).await
    }

    async fn diagnostic(
        &self,
        params: DocumentDiagnosticParams,
    ) -> Result<DocumentDiagnosticReportResult> {
        let s = &self.session;
        guard::request(s, "textDocument/diagnostic", async {
            #[cfg(feature = "test-panic-rule")]
            guard::test_fault(&params.text_document.uri);
            r::diagnostic::diagnostic(s, params).await
        })
        .await
    }
}
