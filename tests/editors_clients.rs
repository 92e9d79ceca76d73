//! The settings shapes each editor integration sends, at the protocol level, against the real
//! `heap-audit server`. Helix, Zed and VS Code cannot run here, so this test speaks LSP the way
//! each of them does with the shipped files: what goes into `initializationOptions`, how
//! `workspace/configuration` pulls are answered, and what `workspace/didChangeConfiguration`
//! carries. Neovim runs for real in `editors_nvim.rs`.
//!
//! Each case opens a Python and a TypeScript file and checks that the configured severities
//! (`py/pow-half` = error, `js/*` = warning, as in the README) reach the diagnostics; a control
//! without settings shows the defaults, so the check cannot pass by accident.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

const WAIT: Duration = Duration::from_secs(20);
const PY: &str = "def norm(x, y):\n    return (x * x + y * y) ** 0.5\n";
const TS: &str =
    "interface S { token?: string }\nexport function f(s: S): void {\n  delete s.token;\n}\n";
/// LSP DiagnosticSeverity.
const ERROR: u64 = 1;
const WARNING: u64 = 2;
const INFORMATION: u64 = 3;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The fenced block after `<!-- editors-readme: NAME -->` in README.md.
fn readme_block(name: &str) -> String {
    let readme = read("README.md");
    let marker = format!("<!-- editors-readme: {name} -->");
    let after = &readme[readme
        .find(&marker)
        .unwrap_or_else(|| panic!("no {marker} in README"))..];
    let body = &after[after.find("```").unwrap()..];
    let body = &body[body.find('\n').unwrap() + 1..];
    body[..body.find("```").unwrap()].to_owned()
}

/// How a client answers one `workspace/configuration` item.
type ConfigAnswer = Box<dyn Fn(&Value) -> Value>;

/// A minimal LSP client over the server's stdio.
struct Client {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
    next_id: i64,
    answer: ConfigAnswer,
    capabilities: Value,
    /// Latest published diagnostics per URI.
    published: Map<String, Value>,
    /// Every `workspace/configuration` section the server asked for.
    asked: Vec<Value>,
    name: &'static str,
    /// The server's stderr, for failure messages.
    stderr: Arc<Mutex<String>>,
}

impl Client {
    fn start(name: &'static str, init_options: Value, answer: ConfigAnswer, root: &Path) -> Client {
        Self::start_with(name, init_options, Some(answer), root)
    }

    /// `answer: None` is a client without the `workspace.configuration` capability.
    fn start_with(
        name: &'static str,
        init_options: Value,
        answer: Option<ConfigAnswer>,
        root: &Path,
    ) -> Client {
        let pulls = answer.is_some();
        let answer = answer.unwrap_or_else(|| Box::new(|_| Value::Null));
        let mut child = Command::new(env!("CARGO_BIN_EXE_heap-audit"))
            .arg("server")
            .current_dir(root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("heap-audit server starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().unwrap();
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            sink.lock().unwrap().push_str(&text);
        });
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length:") {
                        length = v.trim().parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; length.expect("Content-Length header")];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                let Ok(message) = serde_json::from_slice::<Value>(&body) else {
                    return;
                };
                if tx.send(message).is_err() {
                    return;
                }
            }
        });
        let mut client = Client {
            child,
            stdin,
            rx,
            next_id: 0,
            answer,
            capabilities: Value::Null,
            published: Map::new(),
            asked: Vec::new(),
            name,
            stderr,
        };
        let root_uri = format!("file://{}", root.display());
        let result = client.request(
            "initialize",
            json!({
                "processId": std::process::id(),
                "rootUri": root_uri,
                "workspaceFolders": [{ "uri": root_uri, "name": "ws" }],
                "initializationOptions": init_options,
                "capabilities": {
                    "workspace": { "configuration": pulls, "didChangeConfiguration": { "dynamicRegistration": false } },
                    "textDocument": {
                        "publishDiagnostics": { "versionSupport": true },
                        "synchronization": { "didSave": true },
                    },
                },
            }),
        );
        client.capabilities = result["capabilities"].clone();
        client.notify("initialized", json!({}));
        client
    }

    fn send(&mut self, message: &Value) {
        let body = message.to_string();
        // A server that already exited is reported by `pump`, with its exit status.
        let _ = write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len());
        let _ = self.stdin.flush();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// The next message from the server, answering its requests on the way. `None` on timeout.
    fn pump(&mut self, deadline: Instant) -> Option<Value> {
        let left = deadline.saturating_duration_since(Instant::now());
        let message = match self.rx.recv_timeout(left) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => return None,
            Err(RecvTimeoutError::Disconnected) => {
                let status = self.child.wait().ok();
                std::thread::sleep(Duration::from_millis(50)); // let the stderr reader finish
                panic!(
                    "{}: heap-audit server exited ({status:?}) without answering; stderr: {}",
                    self.name,
                    self.stderr.lock().unwrap()
                )
            }
        };
        if let (Some(id), Some(method)) = (message.get("id"), message["method"].as_str()) {
            let result = match method {
                "workspace/configuration" => {
                    let items = message["params"]["items"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default();
                    self.asked
                        .extend(items.iter().map(|i| i["section"].clone()));
                    Value::Array(items.iter().map(|item| (self.answer)(item)).collect())
                }
                _ => Value::Null,
            };
            let id = id.clone();
            self.send(&json!({ "jsonrpc": "2.0", "id": id, "result": result }));
        } else if message["method"] == "textDocument/publishDiagnostics" {
            let uri = message["params"]["uri"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            self.published
                .insert(uri, message["params"]["diagnostics"].clone());
        }
        Some(message)
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        let deadline = Instant::now() + WAIT;
        loop {
            let Some(message) = self.pump(deadline) else {
                panic!("{}: no answer to {method} within {WAIT:?}", self.name)
            };
            if message["id"] == json!(id) && message.get("method").is_none() {
                assert!(
                    message["error"].is_null(),
                    "{}: {method} failed: {}",
                    self.name,
                    message["error"]
                );
                return message["result"].clone();
            }
        }
    }

    fn open(&mut self, uri: &str, language_id: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": language_id, "version": 1, "text": text } }),
        );
    }

    /// The current diagnostics for `uri`: pulled when the server offers pull diagnostics,
    /// else the latest published.
    fn diagnostics(&mut self, uri: &str) -> Value {
        if !self.capabilities["diagnosticProvider"].is_null() {
            let report = self.request(
                "textDocument/diagnostic",
                json!({ "textDocument": { "uri": uri } }),
            );
            return report["items"].clone();
        }
        let deadline = Instant::now() + Duration::from_millis(100);
        while self.pump(deadline).is_some() {}
        self.published.get(uri).cloned().unwrap_or(Value::Null)
    }

    /// Waits until `rule` is reported in `uri` with `severity`.
    fn expect_severity(&mut self, uri: &str, rule: &str, severity: u64) {
        let deadline = Instant::now() + WAIT;
        let mut last = Value::Null;
        while Instant::now() < deadline {
            last = self.diagnostics(uri);
            let found = last
                .as_array()
                .into_iter()
                .flatten()
                .find(|d| d["code"] == json!(rule));
            if found.is_some_and(|d| d["severity"] == json!(severity)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "{}: expected {rule} with severity {severity} in {uri} within {WAIT:?}; diagnostics: {last}; \
             configuration sections asked for: {:?}; stderr: {}",
            self.name,
            self.asked,
            self.stderr.lock().unwrap()
        );
    }

    fn shutdown(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                assert!(
                    status.success(),
                    "{}: server exited with {status}",
                    self.name
                );
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        panic!("{}: server did not exit after shutdown/exit", self.name);
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Opens the two files and checks the severities the README's settings ask for.
fn check_configured(mut client: Client, root: &Path, ts_too: bool) {
    let py = format!("file://{}/a.py", root.display());
    let ts = format!("file://{}/a.ts", root.display());
    client.open(&py, "python", PY);
    client.open(&ts, "typescript", TS);
    client.expect_severity(&py, "py/pow-half", ERROR);
    if ts_too {
        client.expect_severity(&ts, "js/delete-property", WARNING);
    }
    client.shutdown();
}

/// Helix's answer to `workspace/configuration`: the language server's `config`, walked by the
/// dotted section; anything missing is null.
fn helix_answer(config: Value) -> ConfigAnswer {
    Box::new(move |item| {
        let mut value = &config;
        if let Some(section) = item["section"].as_str().filter(|s| !s.is_empty()) {
            for part in section.split('.') {
                match value.get(part) {
                    Some(v) => value = v,
                    None => return Value::Null,
                }
            }
        }
        value.clone()
    })
}

/// Zed's answer: the extension's workspace configuration looked up by section.
fn zed_answer(workspace: Value) -> ConfigAnswer {
    Box::new(move |item| match item["section"].as_str() {
        Some(section) => workspace.get(section).cloned().unwrap_or(Value::Null),
        None => workspace.clone(),
    })
}

fn insert_dotted(obj: &mut Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        Some((head, rest)) => {
            let child = obj.entry(head).or_insert_with(|| json!({}));
            insert_dotted(child.as_object_mut().unwrap(), rest, value);
        }
        None => {
            obj.insert(path.to_owned(), value);
        }
    }
}

#[test]
fn control_without_settings_uses_default_severities() {
    let root = tempfile::tempdir().unwrap();
    let mut client = Client::start(
        "no settings",
        Value::Null,
        Box::new(|_| Value::Null),
        root.path(),
    );
    let py = format!("file://{}/a.py", root.path().display());
    client.open(&py, "python", PY);
    client.expect_severity(&py, "py/pow-half", INFORMATION);
    client.shutdown();
}

#[test]
fn helix_languages_toml_config() {
    // The shipped [language-server.heap-audit] config, plus the rules a user would add to it.
    let file: toml::Table = toml::from_str(&read("editors/helix/languages.toml")).unwrap();
    let mut config =
        serde_json::to_value(&file["language-server"]["heap-audit"]["config"]).unwrap();
    config["heap-audit"]["rules"] = json!({ "py/pow-half": "error", "js/*": "warning" });
    let root = tempfile::tempdir().unwrap();
    // Helix sends `config` as initializationOptions and answers pulls from it.
    let client = Client::start("helix", config.clone(), helix_answer(config), root.path());
    check_configured(client, root.path(), true);
}

#[test]
fn zed_extension_settings() {
    // `lsp.heap-audit.settings` from the README; the extension sends it as initializationOptions
    // and as {"heap-audit": settings} for workspace/configuration, and Zed pushes that object
    // with workspace/didChangeConfiguration after initializing.
    let user: Value = serde_json::from_str(&readme_block("zed-settings")).unwrap();
    let settings = user["lsp"]["heap-audit"]["settings"].clone();
    let workspace = json!({ "heap-audit": settings });
    let root = tempfile::tempdir().unwrap();
    let mut client = Client::start("zed", settings, zed_answer(workspace.clone()), root.path());
    client.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": workspace }),
    );
    check_configured(client, root.path(), true);
}

#[test]
fn vscode_extension_settings() {
    // settings.json from the README, shaped the way extension.ts does (heap-audit.* without the
    // prefix, dotted keys nested), sent as initializationOptions and as the pulled section.
    let user: Map<String, Value> = serde_json::from_str(&readme_block("vscode-settings")).unwrap();
    let mut settings = Map::new();
    for (key, value) in user {
        if let Some(short) = key.strip_prefix("heap-audit.") {
            insert_dotted(&mut settings, short, value);
        }
    }
    let settings = Value::Object(settings);
    let section = settings.clone();
    let answer: ConfigAnswer = Box::new(move |item| match item["section"].as_str() {
        Some("heap-audit") => section.clone(),
        None => json!({ "heap-audit": section }),
        Some(_) => Value::Null,
    });
    let root = tempfile::tempdir().unwrap();
    let client = Client::start("vscode", settings, answer, root.path());
    check_configured(client, root.path(), true);
}

#[test]
fn settings_from_the_configuration_pull_alone() {
    // A client that sends no initializationOptions and only answers workspace/configuration
    // (nvim-lspconfig without before_init, Helix's answer shape).
    let config = json!({ "heap-audit": { "rules": { "py/pow-half": "error" } } });
    let root = tempfile::tempdir().unwrap();
    let client = Client::start(
        "configuration pull",
        Value::Null,
        helix_answer(config),
        root.path(),
    );
    check_configured(client, root.path(), false);
}

#[test]
fn settings_from_did_change_configuration_alone() {
    // Neovim sends `settings` with workspace/didChangeConfiguration right after initializing;
    // this client cannot be asked for configuration, so the pushed settings must be used.
    let root = tempfile::tempdir().unwrap();
    let mut client = Client::start_with("didChangeConfiguration", Value::Null, None, root.path());
    client.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "heap-audit": { "rules": { "py/pow-half": "error" } } } }),
    );
    check_configured(client, root.path(), false);
}
