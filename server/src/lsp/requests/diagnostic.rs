//! `textDocument/diagnostic` (pull diagnostics): the cached findings of the current version, or
//! a fresh analysis off the runtime. Used only when the client declared the capability; then
//! nothing is pushed.

use std::sync::Arc;

use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::{
    DocumentDiagnosticParams, DocumentDiagnosticReport, DocumentDiagnosticReportResult,
    FullDocumentDiagnosticReport, RelatedFullDocumentDiagnosticReport,
    RelatedUnchangedDocumentDiagnosticReport, UnchangedDocumentDiagnosticReport,
};

use crate::lsp::diagnostics;
use crate::lsp::state::Session;

pub(crate) async fn diagnostic(
    session: &Arc<Session>,
    params: DocumentDiagnosticParams,
) -> Result<DocumentDiagnosticReportResult> {
    let uri = params.text_document.uri;
    let Some(snap) = session.snapshot(&uri) else {
        // Not a document we check (closed, or a language we do not know): nothing to report.
        return Ok(full(Vec::new(), None));
    };
    // Identifies the text and the settings the report was computed for.
    let result_id = format!("{}.{}.{}", snap.open_seq, snap.version, snap.settings_gen);
    if params.previous_result_id.as_deref() == Some(result_id.as_str()) {
        return Ok(DocumentDiagnosticReportResult::Report(
            DocumentDiagnosticReport::Unchanged(RelatedUnchangedDocumentDiagnosticReport {
                related_documents: None,
                unchanged_document_diagnostic_report: UnchangedDocumentDiagnosticReport {
                    result_id,
                },
            }),
        ));
    }
    let (open_seq, version) = (snap.open_seq, snap.version);
    let enc = session.encoding();
    let worker = Arc::clone(session);
    let items = tokio::task::spawn_blocking(move || {
        let analysis = worker.analysis(&snap);
        diagnostics::build(&analysis, &snap.rope, enc)
    })
    .await
    .map_err(|_| Error::internal_error())?;
    if session.version_of(&uri) != Some((open_seq, version)) {
        return Err(Error::content_modified());
    }
    Ok(full(items, Some(result_id)))
}

fn full(
    items: Vec<tower_lsp_server::ls_types::Diagnostic>,
    result_id: Option<String>,
) -> DocumentDiagnosticReportResult {
    DocumentDiagnosticReportResult::Report(DocumentDiagnosticReport::Full(
        RelatedFullDocumentDiagnosticReport {
            related_documents: None,
            full_document_diagnostic_report: FullDocumentDiagnosticReport { result_id, items },
        },
    ))
}
