//! Zed extension for heap-audit: starts `heap-audit server` and hands it the user's settings.
//!
//! The binary comes from `lsp.heap-audit.binary.path` in Zed's settings, else from the
//! worktree's `PATH`. `lsp.heap-audit.settings` is sent both as `initializationOptions` and as
//! the `heap-audit` section of `workspace/configuration`.

use std::collections::HashMap;

use zed_extension_api::{
    self as zed,
    serde_json::{self, Value},
    settings::{CommandSettings, LspSettings},
    LanguageServerId, Result, Worktree,
};

/// The executable looked up on `PATH`.
const BINARY: &str = "heap-audit";
/// The `workspace/configuration` section the server asks for.
const SECTION: &str = "heap-audit";

struct HeapAudit;

/// Shown by Zed (in the language server's status) when no binary can be found.
fn missing_binary_message() -> String {
    format!(
        "`{BINARY}` was not found on the PATH of this project. Install it (from a heap-audit \
         checkout: `cargo install --locked --path server`), or point Zed at it with \
         `\"lsp\": {{ \"{BINARY}\": {{ \"binary\": {{ \"path\": \"/path/to/{BINARY}\" }} }} }}` \
         in settings.json."
    )
}

/// The command that starts the server: the configured binary or the one found on `PATH`, with
/// the configured arguments (default `server`) and the worktree's shell environment plus any
/// configured variables.
fn server_command(
    configured: Option<CommandSettings>,
    found_on_path: Option<String>,
    shell_env: Vec<(String, String)>,
) -> Result<zed::Command> {
    let (path, arguments, extra_env) = match configured {
        Some(CommandSettings {
            path,
            arguments,
            env,
        }) => (path, arguments, env),
        None => (None, None, None),
    };
    let command = path.or(found_on_path).ok_or_else(missing_binary_message)?;
    let args = arguments.unwrap_or_else(|| vec!["server".to_owned()]);
    let mut env: HashMap<String, String> = shell_env.into_iter().collect();
    env.extend(extra_env.unwrap_or_default());
    let mut env: Vec<(String, String)> = env.into_iter().collect();
    env.sort();
    Ok(zed::Command { command, args, env })
}

/// `initializationOptions`: the user's explicit `initialization_options`, else their `settings`.
fn initialization_options(settings: &LspSettings) -> Option<Value> {
    settings
        .initialization_options
        .clone()
        .or_else(|| settings.settings.clone())
}

/// The answer to `workspace/configuration`: Zed looks each requested section up in this object,
/// so the settings go under the `heap-audit` key.
fn workspace_configuration(settings: &LspSettings) -> Option<Value> {
    let inner = settings.settings.clone()?;
    let mut wrapped = serde_json::Map::with_capacity(1);
    wrapped.insert(SECTION.to_owned(), inner);
    Some(Value::Object(wrapped))
}

fn lsp_settings(id: &LanguageServerId, worktree: &Worktree) -> LspSettings {
    // No `lsp.heap-audit` entry (or one Zed cannot read) means defaults.
    LspSettings::for_worktree(id.as_ref(), worktree).unwrap_or_default()
}

impl zed::Extension for HeapAudit {
    fn new() -> Self {
        HeapAudit
    }

    fn language_server_command(
        &mut self,
        id: &LanguageServerId,
        worktree: &Worktree,
    ) -> Result<zed::Command> {
        let settings = lsp_settings(id, worktree);
        server_command(
            settings.binary,
            worktree.which(BINARY),
            worktree.shell_env(),
        )
    }

    fn language_server_initialization_options(
        &mut self,
        id: &LanguageServerId,
        worktree: &Worktree,
    ) -> Result<Option<Value>> {
        Ok(initialization_options(&lsp_settings(id, worktree)))
    }

    fn language_server_workspace_configuration(
        &mut self,
        id: &LanguageServerId,
        worktree: &Worktree,
    ) -> Result<Option<Value>> {
        Ok(workspace_configuration(&lsp_settings(id, worktree)))
    }
}

zed::register_extension!(HeapAudit);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn uses_path_lookup_with_the_server_subcommand() {
        let cmd = server_command(
            None,
            Some("/usr/bin/heap-audit".into()),
            env(&[("HOME", "/h")]),
        )
        .unwrap();
        assert_eq!(cmd.command, "/usr/bin/heap-audit");
        assert_eq!(cmd.args, ["server"]);
        assert_eq!(cmd.env, env(&[("HOME", "/h")]));
    }

    #[test]
    fn configured_binary_wins_and_adds_env() {
        let configured = CommandSettings {
            path: Some("/opt/heap-audit".into()),
            arguments: Some(vec!["server".into(), "--stdio".into()]),
            env: Some([("RUST_LOG".to_string(), "debug".to_string())].into()),
        };
        let cmd = server_command(
            Some(configured),
            Some("/usr/bin/heap-audit".into()),
            env(&[]),
        )
        .unwrap();
        assert_eq!(cmd.command, "/opt/heap-audit");
        assert_eq!(cmd.args, ["server", "--stdio"]);
        assert_eq!(cmd.env, env(&[("RUST_LOG", "debug")]));
    }

    #[test]
    fn missing_binary_is_a_clear_error() {
        let err = server_command(None, None, env(&[])).unwrap_err();
        assert!(
            err.contains("`heap-audit` was not found on the PATH"),
            "{err}"
        );
        assert!(err.contains("binary") && err.contains("path"), "{err}");
        // Arguments alone (no path) still need the binary from PATH.
        let only_args = CommandSettings {
            path: None,
            arguments: Some(vec![]),
            env: None,
        };
        assert!(server_command(Some(only_args), None, env(&[])).is_err());
    }

    #[test]
    fn settings_become_init_options_and_the_configuration_section() {
        let user = json!({"rules": {"py/*": "hint"}, "unsafeFixes": true});
        let settings = LspSettings {
            settings: Some(user.clone()),
            ..Default::default()
        };
        assert_eq!(initialization_options(&settings), Some(user.clone()));
        let config = workspace_configuration(&settings).unwrap();
        assert_eq!(config.get(SECTION), Some(&user));

        let explicit = json!({"rules": {}});
        let both = LspSettings {
            initialization_options: Some(explicit.clone()),
            settings: Some(user),
            ..Default::default()
        };
        assert_eq!(initialization_options(&both), Some(explicit));

        let none = LspSettings::default();
        assert_eq!(initialization_options(&none), None);
        assert_eq!(workspace_configuration(&none), None);
    }
}
