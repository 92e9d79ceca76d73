//! Panic isolation for the LSP handlers.
//!
//! tower-lsp-server polls every handler future inside its own `serve` future (through
//! `buffer_unordered`), so a panic in any handler would unwind through the whole protocol layer
//! and end the server. Each handler runs inside [`request`] or [`notification`] instead: a panic
//! is caught where it happens, logged (stderr and `window/logMessage`), and a request gets a
//! JSON-RPC internal error as its answer. The server goes on serving.

use std::borrow::Cow;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::MessageType;

use super::state::Session;
use crate::engine::panic_message;

/// Runs a request handler; a panic becomes an internal error response for this request.
pub(crate) async fn request<T>(
    session: &Session,
    method: &'static str,
    handler: impl Future<Output = Result<T>>,
) -> Result<T> {
    match AssertUnwindSafe(handler).catch_unwind().await {
        Ok(result) => result,
        Err(payload) => {
            let panic = panic_message(payload.as_ref());
            drop(payload);
            let message = report(session, method, &panic).await;
            Err(Error {
                code: ErrorCode::InternalError,
                message: Cow::Owned(message),
                data: None,
            })
        }
    }
}

/// Runs a notification handler; a panic is logged. Returns `false` if it panicked.
pub(crate) async fn notification(
    session: &Session,
    method: &'static str,
    handler: impl Future<Output = ()>,
) -> bool {
    match AssertUnwindSafe(handler).catch_unwind().await {
        Ok(()) => true,
        Err(payload) => {
            let panic = panic_message(payload.as_ref());
            drop(payload);
            report(session, method, &panic).await;
            false
        }
    }
}

async fn report(session: &Session, method: &str, panic: &str) -> String {
    let message = format!(
        "heap-audit: internal error in {method}: {panic} (a heap-audit bug: please report it)"
    );
    eprintln!("{message}");
    session
        .client
        .log_message(MessageType::ERROR, message.clone())
        .await;
    message
}

/// Test builds only (`test-panic-rule`): a handler given a document whose name contains
/// `heap_audit_test_handler_panic` panics, so tests can show the guard at work.
#[cfg(feature = "test-panic-rule")]
pub(crate) fn test_fault(uri: &tower_lsp_server::ls_types::Uri) {
    if uri.as_str().contains("heap_audit_test_handler_panic") {
        panic!("injected handler panic");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tower_lsp_server::LspService;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_handler_answers_an_internal_error() {
        use futures_util::StreamExt;
        let (service, mut socket) = LspService::new(super::super::Backend::new);
        let session = Arc::clone(&service.inner().session);
        // The client's messages (our log lines) must be read, or sending them would wait.
        tokio::spawn(async move { while socket.next().await.is_some() {} });
        let answer: Result<()> = request(&session, "textDocument/hover", async {
            tokio::task::yield_now().await;
            panic!("boom");
        })
        .await;
        let e = answer.unwrap_err();
        assert_eq!(e.code, ErrorCode::InternalError);
        assert!(
            e.message.contains("textDocument/hover") && e.message.contains("boom"),
            "{e:?}"
        );
        let fine: Result<u8> = request(&session, "x", async { Ok(7) }).await;
        assert_eq!(fine.unwrap(), 7);
        assert!(!notification(&session, "n", async { panic!("again") }).await);
        assert!(notification(&session, "n", async {}).await);
    }
}
