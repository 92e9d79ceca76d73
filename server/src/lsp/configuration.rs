//! Applying configuration changes, and telling the user when a configuration is broken: a
//! `window/showMessage` naming the file and line, and a diagnostic on the file itself.

use std::path::{Path, PathBuf};

use ropey::Rope;
use serde_json::Value;
use tower_lsp_server::ls_types::{
    ConfigurationItem, Diagnostic, DiagnosticSeverity, DidChangeWatchedFilesRegistrationOptions,
    FileSystemWatcher, GlobPattern, MessageType, Registration, Uri,
};

use super::diagnostics::SOURCE;
use super::encoding::{line_end, position, Encoding};
use super::state::{Publish, Session};
use crate::config::{self, Config, ConfigError};

/// The settings section we ask clients for.
pub(crate) const SECTION: &str = "heap-audit";
const WATCHER_ID: &str = "heap-audit/config-files";

/// Applies editor settings (any of the shapes `Config::from_json` accepts). Broken settings are
/// reported and the previous ones kept.
pub(crate) async fn apply_editor_settings(session: &Session, value: &Value) {
    match Config::from_json(value) {
        Ok(config) => {
            let changed = session
                .workspace
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .set_editor(config);
            if changed {
                session.settings_changed().await;
            }
        }
        Err(e) => {
            let message = format!(
                "heap-audit: invalid editor settings: {}; keeping the previous settings",
                e.message
            );
            session
                .client
                .show_message(MessageType::ERROR, message)
                .await;
        }
    }
}

/// Asks the client for our settings section (`workspace/configuration`) and applies it. A `null`
/// answer (nothing configured there) keeps what we have, e.g. `initializationOptions`.
pub(crate) async fn pull_editor_settings(session: &Session) {
    let item = ConfigurationItem {
        scope_uri: None,
        section: Some(SECTION.to_owned()),
    };
    match session.client.configuration(vec![item]).await {
        Ok(values) => {
            if let Some(value) = values.into_iter().next().filter(|v| !v.is_null()) {
                apply_editor_settings(session, &value).await;
            }
        }
        Err(e) => {
            session
                .client
                .log_message(
                    MessageType::WARNING,
                    format!("heap-audit: workspace/configuration failed: {e}"),
                )
                .await
        }
    }
}

/// Asks the client to tell us when any `heap-audit.toml` changes.
pub(crate) async fn register_watcher(session: &Session) {
    let options = DidChangeWatchedFilesRegistrationOptions {
        watchers: vec![FileSystemWatcher {
            glob_pattern: GlobPattern::String(format!("**/{}", config::FILE_NAME)),
            kind: None,
        }],
    };
    let registration = Registration {
        id: WATCHER_ID.to_owned(),
        method: "workspace/didChangeWatchedFiles".to_owned(),
        register_options: serde_json::to_value(options).ok(),
    };
    if let Err(e) = session.client.register_capability(vec![registration]).await {
        session
            .client
            .log_message(
                MessageType::WARNING,
                format!("heap-audit: cannot watch {}: {e}", config::FILE_NAME),
            )
            .await;
    }
}

/// Reloads the given config files (those that are a workspace folder's), reports their state and
/// re-analyses if anything was reloaded.
pub(crate) async fn reload_files(session: &Session, paths: &[PathBuf]) {
    let mut reloaded = false;
    for path in paths {
        let outcome = session
            .workspace
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .reload(path);
        if let Some(error) = outcome {
            reloaded = true;
            report_file(session, path, error.as_ref()).await;
        }
    }
    if reloaded {
        session.settings_changed().await;
    }
}

/// Shows a broken config file's error (and a diagnostic on the file), or clears the diagnostic.
pub(crate) async fn report_file(session: &Session, path: &Path, error: Option<&ConfigError>) {
    let Some(uri) = Uri::from_file_path(path) else {
        return;
    };
    match error {
        Some(e) => {
            let message = format!("heap-audit: {e}; keeping the last good configuration");
            session
                .client
                .show_message(MessageType::ERROR, message)
                .await;
            let diagnostics = vec![config_diagnostic(path, e, session.encoding())];
            session.send(Publish::File { uri, diagnostics });
        }
        None => session.send(Publish::File {
            uri,
            diagnostics: Vec::new(),
        }),
    }
}

/// A diagnostic at the error's line and column (1-based, columns in characters), to the line's end.
fn config_diagnostic(path: &Path, e: &ConfigError, enc: Encoding) -> Diagnostic {
    let rope = std::fs::read_to_string(path)
        .map(|t| Rope::from_str(&t))
        .unwrap_or_default();
    let (line, col) = e
        .line
        .map_or((0, 0), |(l, c)| (l.saturating_sub(1), c.saturating_sub(1)));
    let (start, end) = if line < rope.len_lines() {
        let content_end = line_end(&rope, line);
        let start_char = (rope.line_to_char(line) + col).min(rope.byte_to_char(content_end));
        (rope.char_to_byte(start_char), content_end)
    } else {
        (rope.len_bytes(), rope.len_bytes())
    };
    Diagnostic {
        range: tower_lsp_server::ls_types::Range::new(
            position(&rope, start, enc),
            position(&rope, end, enc),
        ),
        severity: Some(DiagnosticSeverity::ERROR),
        source: Some(SOURCE.to_owned()),
        message: e.message.clone(),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_errors_point_at_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(config::FILE_NAME);
        std::fs::write(&path, "[rules]\r\n\"py/nope\" = \"off\"\r\n").unwrap();
        let e = Config::load(&path).unwrap_err();
        let d = config_diagnostic(&path, &e, Encoding::Utf16);
        assert_eq!((d.range.start.line, d.range.start.character), (1, 0));
        assert_eq!((d.range.end.line, d.range.end.character), (1, 17));
        assert!(
            d.message.contains("unknown rule `py/nope`"),
            "{}",
            d.message
        );
        let missing = ConfigError {
            path: None,
            line: Some((40, 3)),
            message: "x".into(),
        };
        let d = config_diagnostic(&dir.path().join("gone.toml"), &missing, Encoding::Utf16);
        assert_eq!((d.range.start.line, d.range.start.character), (0, 0));
    }
}
