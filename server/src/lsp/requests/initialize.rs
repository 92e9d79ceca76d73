//! `initialize`: negotiate, load the configuration, and advertise what we implement (only that).

use std::path::PathBuf;

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{
    CodeActionKind, CodeActionOptions, CodeActionProviderCapability, DiagnosticOptions,
    DiagnosticServerCapabilities, HoverProviderCapability, InitializeParams, InitializeResult,
    OneOf, ServerCapabilities, ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind,
    TextDocumentSyncOptions, TextDocumentSyncSaveOptions, Uri, WorkspaceFoldersServerCapabilities,
    WorkspaceServerCapabilities,
};

use super::code_action::FIX_ALL_KIND;
use crate::config::Config;
use crate::lsp::diagnostics::SOURCE;
use crate::lsp::settings::Workspace;
use crate::lsp::state::{Caps, Session};

pub(crate) fn initialize(session: &Session, params: InitializeParams) -> Result<InitializeResult> {
    let caps = Caps::from_client(&params.capabilities);
    session.set_caps(caps);

    let mut roots: Vec<PathBuf> = params
        .workspace_folders
        .iter()
        .flatten()
        .filter_map(|f| file_path(&f.uri))
        .collect();
    if roots.is_empty() {
        #[allow(deprecated)] // older clients send only `rootUri`
        roots.extend(params.root_uri.as_ref().and_then(file_path));
    }
    let editor = match params
        .initialization_options
        .as_ref()
        .map(Config::from_json)
    {
        Some(Ok(c)) => c,
        Some(Err(e)) => {
            startup_error(
                session,
                format!(
                    "heap-audit: invalid initializationOptions: {}; using defaults",
                    e.message
                ),
            );
            Config::default()
        }
        None => Config::default(),
    };
    *session.workspace.write().unwrap_or_else(|e| e.into_inner()) = Workspace::new(editor, roots);

    Ok(InitializeResult {
        capabilities: capabilities(caps),
        server_info: Some(ServerInfo {
            name: SOURCE.to_owned(),
            version: Some(env!("CARGO_PKG_VERSION").to_owned()),
        }),
        ..Default::default()
    })
}

fn startup_error(session: &Session, message: String) {
    session
        .startup_errors
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(message);
}

/// The local path of a `file:` URI.
pub(crate) fn file_path(uri: &Uri) -> Option<PathBuf> {
    if !uri.scheme().as_str().eq_ignore_ascii_case("file") {
        return None;
    }
    uri.to_file_path().map(|p| p.into_owned())
}

/// What we implement, given what the client can do.
pub(crate) fn capabilities(caps: Caps) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(caps.encoding.kind()),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..Default::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        // Measured allocations at the end of hot lines; an empty list while no profile is loaded.
        inlay_hint_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX, FIX_ALL_KIND]),
            ..Default::default()
        })),
        // Pull when the client can, and then never push: one channel, no double reports.
        diagnostic_provider: caps.pull_diagnostics.then(|| {
            DiagnosticServerCapabilities::Options(DiagnosticOptions {
                identifier: Some(SOURCE.to_owned()),
                inter_file_dependencies: false,
                workspace_diagnostics: false,
                ..Default::default()
            })
        }),
        workspace: Some(WorkspaceServerCapabilities {
            workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                supported: Some(true),
                change_notifications: Some(OneOf::Left(true)),
            }),
            file_operations: None,
        }),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lsp::encoding::Encoding;

    #[test]
    fn advertises_pull_only_in_pull_mode() {
        let push = serde_json::to_value(capabilities(Caps::default())).unwrap();
        assert!(push.get("diagnosticProvider").is_none());
        assert_eq!(push["positionEncoding"], "utf-16");
        assert_eq!(push["textDocumentSync"]["change"], 2);
        assert_eq!(
            push["codeActionProvider"]["codeActionKinds"],
            serde_json::json!(["quickfix", "source.fixAll.heap-audit"])
        );
        assert!(
            push["codeActionProvider"].get("resolveProvider").is_none(),
            "no resolve: edits come inline"
        );
        let pull = serde_json::to_value(capabilities(Caps {
            pull_diagnostics: true,
            encoding: Encoding::Utf8,
            ..Default::default()
        }))
        .unwrap();
        assert_eq!(pull["diagnosticProvider"]["interFileDependencies"], false);
        assert_eq!(pull["positionEncoding"], "utf-8");
        let mut keys: Vec<&String> = pull.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "codeActionProvider",
                "diagnosticProvider",
                "hoverProvider",
                "inlayHintProvider",
                "positionEncoding",
                "textDocumentSync",
                "workspace"
            ]
        );
    }
}
