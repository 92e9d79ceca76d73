//! A small LSP client for end-to-end tests and tools: spawns `heap-audit server`, frames JSON-RPC
//! messages over its stdio, answers the server's own requests, and waits with timeouts, so a hung
//! or dead server fails the test instead of hanging it.
//!
//! Include it with `#[path = "support/lsp_client.rs"] mod lsp_client;`. It depends only on
//! `serde_json` and the standard library.

#![allow(dead_code)] // each test binary uses a different part of it

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// How long to wait for any one expected message by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// A position encoding, for converting between LSP positions and byte offsets on the client side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enc {
    Utf8,
    Utf16,
}

impl Enc {
    pub fn name(self) -> &'static str {
        match self {
            Enc::Utf8 => "utf-8",
            Enc::Utf16 => "utf-16",
        }
    }

    /// The length of `s` in this encoding's units.
    pub fn len(self, s: &str) -> usize {
        match self {
            Enc::Utf8 => s.len(),
            Enc::Utf16 => s.encode_utf16().count(),
        }
    }
}

/// Frames one JSON-RPC message.
pub fn frame(body: &str) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body.as_bytes());
    out
}

/// Byte offsets where each line starts; lines break at `\r\n`, `\n` and `\r` (as in LSP).
fn line_starts(text: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let mut starts = vec![0];
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\r' if b.get(i + 1) == Some(&b'\n') => {
                i += 2;
                starts.push(i);
            }
            b'\r' | b'\n' => {
                i += 1;
                starts.push(i);
            }
            _ => i += 1,
        }
    }
    starts
}

/// The byte offset of an LSP position in `text` (the position must be valid).
pub fn offset(text: &str, line: u64, character: u64, enc: Enc) -> usize {
    let starts = line_starts(text);
    let start = starts[line as usize];
    let mut units = 0;
    for (i, c) in text[start..].char_indices() {
        if units >= character as usize || c == '\r' || c == '\n' {
            assert_eq!(
                units, character as usize,
                "position {line}:{character} is not on a character boundary"
            );
            return start + i;
        }
        units += match enc {
            Enc::Utf8 => c.len_utf8(),
            Enc::Utf16 => c.len_utf16(),
        };
    }
    assert_eq!(
        units, character as usize,
        "position {line}:{character} is past the end of its line"
    );
    text.len()
}

/// The LSP position `(line, character)` of a byte offset in `text`.
pub fn position(text: &str, byte: usize, enc: Enc) -> (u64, u64) {
    let starts = line_starts(text);
    let line = starts.partition_point(|&s| s <= byte) - 1;
    (line as u64, enc.len(&text[starts[line]..byte]) as u64)
}

/// `{"start": .., "end": ..}` for a byte range of `text`.
pub fn range_json(text: &str, range: std::ops::Range<usize>, enc: Enc) -> Value {
    let (l0, c0) = position(text, range.start, enc);
    let (l1, c1) = position(text, range.end, enc);
    json!({"start": {"line": l0, "character": c0}, "end": {"line": l1, "character": c1}})
}

/// The byte range of an LSP range object.
pub fn byte_range(text: &str, range: &Value, enc: Enc) -> std::ops::Range<usize> {
    let at = |p: &Value| {
        offset(
            text,
            p["line"].as_u64().unwrap(),
            p["character"].as_u64().unwrap(),
            enc,
        )
    };
    at(&range["start"])..at(&range["end"])
}

/// Applies LSP `TextEdit`s (all relative to `text`, as the protocol says) and returns the result.
pub fn apply_text_edits(text: &str, edits: &[Value], enc: Enc) -> String {
    let mut resolved: Vec<(std::ops::Range<usize>, &str)> = edits
        .iter()
        .map(|e| {
            (
                byte_range(text, &e["range"], enc),
                e["newText"].as_str().unwrap(),
            )
        })
        .collect();
    resolved.sort_by_key(|(r, _)| (r.start, r.end));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (r, new) in resolved {
        assert!(r.start >= at, "overlapping edits");
        out.push_str(&text[at..r.start]);
        out.push_str(new);
        at = r.end;
    }
    out.push_str(&text[at..]);
    out
}

/// The `TextEdit`s for `uri` in a `WorkspaceEdit`, whichever form it uses, and the document
/// version it names (`documentChanges` form only).
pub fn edits_for(edit: &Value, uri: &str) -> (Vec<Value>, Option<i64>) {
    if let Some(changes) = edit.get("documentChanges").and_then(Value::as_array) {
        let doc = changes
            .iter()
            .find(|c| c["textDocument"]["uri"] == uri)
            .expect("edits for the document");
        (
            doc["edits"].as_array().unwrap().clone(),
            doc["textDocument"]["version"].as_i64(),
        )
    } else {
        (
            edit["changes"][uri]
                .as_array()
                .expect("edits for the document")
                .clone(),
            None,
        )
    }
}

/// The changes of a `didChange` that apply `edits` to the document one at a time (last first, so
/// earlier positions stay valid), as an editor sends them.
pub fn edits_as_changes(edits: &[Value]) -> Value {
    let mut sorted = edits.to_vec();
    sorted.sort_by_key(|e| {
        let s = &e["range"]["start"];
        (
            s["line"].as_u64().unwrap(),
            s["character"].as_u64().unwrap(),
        )
    });
    sorted.reverse();
    Value::Array(
        sorted
            .into_iter()
            .map(|e| json!({"range": e["range"], "text": e["newText"]}))
            .collect(),
    )
}

/// A running `heap-audit server` and the client side of its protocol.
pub struct LspClient {
    child: Child,
    stdin: Arc<Mutex<Option<ChildStdin>>>,
    /// Messages with the instant their frame was read, before its JSON was parsed.
    rx: Receiver<(Instant, Value)>,
    backlog: VecDeque<(Instant, Value)>,
    /// When the frame of the message the last `wait_for` returned was read off the pipe.
    pub last_arrival: Option<Instant>,
    next_id: i64,
    stderr: Arc<Mutex<String>>,
    /// What `workspace/configuration` requests are answered with (per item).
    configuration: Arc<Mutex<Value>>,
    pub timeout: Duration,
}

impl LspClient {
    /// Spawns `binary server` (pass `env!("CARGO_BIN_EXE_heap-audit")`) in the current folder.
    pub fn spawn(binary: &str) -> Self {
        Self::spawn_in(binary, None)
    }

    pub fn spawn_in(binary: &str, dir: Option<&Path>) -> Self {
        Self::spawn_with_env(binary, dir, &[])
    }

    /// [`LspClient::spawn_in`] with extra environment variables for the server.
    pub fn spawn_with_env(binary: &str, dir: Option<&Path>, env: &[(&str, &str)]) -> Self {
        let mut cmd = Command::new(binary);
        cmd.envs(env.iter().copied());
        cmd.arg("server").arg("--stdio");
        if let Some(dir) = dir {
            cmd.current_dir(dir);
        }
        Self::spawn_command(cmd)
    }

    /// Spawns any language server command (e.g. a peer server in the benchmarks), with its
    /// stdio piped to this client.
    pub fn spawn_command(mut cmd: Command) -> Self {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn the language server");
        let stdin = Arc::new(Mutex::new(child.stdin.take()));
        let stdout = child.stdout.take().unwrap();
        let mut stderr_pipe = child.stderr.take().unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        {
            let stderr = Arc::clone(&stderr);
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = stderr_pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    stderr
                        .lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            });
        }
        let configuration = Arc::new(Mutex::new(Value::Null));
        let (tx, rx) = mpsc::channel();
        {
            let stdin = Arc::clone(&stdin);
            let configuration = Arc::clone(&configuration);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stdout);
                while let Some((at, message)) = read_message(&mut reader) {
                    // Answer the server's requests so it is never left waiting.
                    if let (Some(method), Some(id)) = (
                        message.get("method").and_then(Value::as_str),
                        message.get("id"),
                    ) {
                        let result = match method {
                            "workspace/configuration" => {
                                let n = message["params"]["items"].as_array().map_or(1, Vec::len);
                                Value::Array(vec![configuration.lock().unwrap().clone(); n])
                            }
                            _ => Value::Null,
                        };
                        let reply =
                            json!({"jsonrpc": "2.0", "id": id, "result": result}).to_string();
                        if let Some(w) = stdin.lock().unwrap().as_mut() {
                            let _ = w.write_all(&frame(&reply)).and_then(|_| w.flush());
                        }
                    }
                    if tx.send((at, message)).is_err() {
                        break;
                    }
                }
            });
        }
        Self {
            child,
            stdin,
            rx,
            backlog: VecDeque::new(),
            last_arrival: None,
            next_id: 1,
            stderr,
            configuration,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Sets what `workspace/configuration` is answered with.
    pub fn set_configuration(&self, value: Value) {
        *self.configuration.lock().unwrap() = value;
    }

    /// The server's stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Writes raw bytes to the server's stdin.
    pub fn send_raw(&self, bytes: &[u8]) {
        let mut guard = self.stdin.lock().unwrap();
        let w = guard.as_mut().expect("stdin is open");
        w.write_all(bytes)
            .and_then(|_| w.flush())
            .expect("write to the server");
    }

    pub fn send(&self, message: &Value) {
        self.send_raw(&frame(&message.to_string()));
    }

    /// Closes the server's stdin (end of input).
    pub fn close_stdin(&self) {
        self.stdin.lock().unwrap().take();
    }

    pub fn notify(&self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns its id without waiting.
    pub fn request_async(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    /// Sends a request and waits for its response: `Ok(result)` or `Err(error object)`.
    pub fn request(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        let id = self.request_async(method, params);
        self.response(id)
    }

    /// Waits for the response to request `id`.
    pub fn response(&mut self, id: i64) -> Result<Value, Value> {
        let m = self.wait_for(&format!("the response to request {id}"), |m| {
            m.get("method").is_none() && m["id"] == id
        });
        match m.get("error") {
            Some(e) => Err(e.clone()),
            None => Ok(m["result"].clone()),
        }
    }

    /// The next message matching `pred` (earlier non-matching ones stay queued for later waits).
    /// Panics after the timeout, with the server's stderr.
    pub fn wait_for(&mut self, what: &str, mut pred: impl FnMut(&Value) -> bool) -> Value {
        if let Some(i) = self.backlog.iter().position(|(_, m)| pred(m)) {
            let (at, m) = self.backlog.remove(i).unwrap();
            self.last_arrival = Some(at);
            return m;
        }
        let deadline = Instant::now() + self.timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok((at, m)) if pred(&m) => {
                    self.last_arrival = Some(at);
                    return m;
                }
                Ok(m) => self.backlog.push_back(m),
                Err(RecvTimeoutError::Timeout) => {
                    panic!(
                        "timed out waiting for {what}; queued: {:#?}\nserver stderr:\n{}",
                        self.backlog.iter().map(|(_, m)| m).collect::<Vec<_>>(),
                        self.stderr()
                    )
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!(
                        "the server closed its output while waiting for {what}\nserver stderr:\n{}",
                        self.stderr()
                    )
                }
            }
        }
    }

    /// Everything that arrives within `wait` (plus what is queued), removed from the queue.
    pub fn drain(&mut self, wait: Duration) -> Vec<Value> {
        let deadline = Instant::now() + wait;
        let mut out: Vec<Value> = self.backlog.drain(..).map(|(_, m)| m).collect();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok((_, m)) => out.push(m),
                Err(_) => return out,
            }
        }
    }

    /// Waits for a notification (or server request) with this method and matching params.
    pub fn notification(&mut self, method: &str, mut pred: impl FnMut(&Value) -> bool) -> Value {
        let m = self.wait_for(method, |m| m["method"] == method && pred(&m["params"]));
        m["params"].clone()
    }

    /// Waits for `publishDiagnostics` of `uri` at `version` and returns the diagnostics.
    pub fn diagnostics(&mut self, uri: &str, version: i64) -> Vec<Value> {
        let what = format!("diagnostics for {uri} version {version}");
        let mut m = self.wait_for(&what, |m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && m["params"]["version"] == version
        });
        match m["params"]["diagnostics"].take() {
            Value::Array(d) => d,
            other => panic!("publishDiagnostics without a diagnostics array: {other}"),
        }
    }

    /// `initialize` with these client capabilities (and optional extras merged into the params),
    /// then `initialized`. Returns the `InitializeResult`.
    pub fn initialize(&mut self, capabilities: Value, extra: Value) -> Value {
        let mut params = json!({"processId": null, "rootUri": null, "capabilities": capabilities});
        if let (Some(p), Some(e)) = (params.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                p.insert(k.clone(), v.clone());
            }
        }
        let result = self
            .request("initialize", params)
            .expect("initialize succeeds");
        self.notify("initialized", json!({}));
        result
    }

    pub fn did_open(&self, uri: &str, language_id: &str, version: i64, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": language_id, "version": version, "text": text}}),
        );
    }

    pub fn did_change(&self, uri: &str, version: i64, changes: Value) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": changes}),
        );
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits up to `timeout` for the process to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("query the server process") {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// `shutdown`, then `exit`; returns the exit status. Panics if the server does not exit.
    pub fn shutdown_and_exit(mut self) -> ExitStatus {
        self.request("shutdown", Value::Null)
            .expect("shutdown succeeds");
        self.notify("exit", Value::Null);
        let timeout = self.timeout;
        self.wait_exit(timeout)
            .unwrap_or_else(|| panic!("the server did not exit\n{}", self.stderr()))
    }
}

impl Drop for LspClient {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Reads one framed message (`None` at the end of the stream), with the instant its last byte
/// was read.
fn read_message(reader: &mut impl BufRead) -> Option<(Instant, Value)> {
    let mut len = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                len = value.trim().parse::<usize>().ok();
            }
        }
    }
    let mut body = vec![0; len.expect("the server sends Content-Length")];
    reader.read_exact(&mut body).ok()?;
    let at = Instant::now();
    Some((
        at,
        serde_json::from_slice(&body).expect("the server sends JSON"),
    ))
}

/// Client capabilities typical of a modern editor, negotiating `enc`, with pull diagnostics only
/// if `pull`.
pub fn client_capabilities(enc: Enc, pull: bool) -> Value {
    let mut caps = json!({
        "general": {"positionEncodings": if enc == Enc::Utf8 { json!(["utf-8", "utf-16"]) } else { json!(["utf-16"]) }},
        "workspace": {
            "workspaceEdit": {"documentChanges": true},
            "configuration": true,
            "didChangeWatchedFiles": {"dynamicRegistration": true},
            "diagnostics": {"refreshSupport": true}
        },
        "textDocument": {
            "synchronization": {"didSave": true},
            "hover": {"contentFormat": ["markdown", "plaintext"]},
            "codeAction": {"codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["quickfix", "source", "source.fixAll"]}}},
            "publishDiagnostics": {"versionSupport": true, "tagSupport": {"valueSet": [1, 2]}}
        }
    });
    if pull {
        caps["textDocument"]["diagnostic"] = json!({"dynamicRegistration": false});
    }
    caps
}
