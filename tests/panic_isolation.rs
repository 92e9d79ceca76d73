//! A panicking rule, and a panicking handler, never take the server or the CLI down.
//!
//! Needs the test-only rule `rust/test-panic` (it panics on the identifier
//! `heap_audit_test_panic` and reports a finding on `heap_audit_test_finding`), and the test-only
//! handler fault (a request on a document named `heap_audit_test_handler_panic…` panics):
//!
//! ```sh
//! cargo test --features test-panic-rule --test panic_isolation
//! ```
//!
//! Plain `cargo test` skips this file (`required-features` in `server/Cargo.toml`).

#[path = "support/lsp_client.rs"]
mod lsp_client;

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use lsp_client::{client_capabilities, position, Enc, LspClient};
use serde_json::{json, Value};

const A: &str = "file:///w/a.rs";
const B: &str = "file:///w/b.rs";
const C: &str = "file:///w/c.py";
const D: &str = "file:///w/heap_audit_test_handler_panic.rs";

const A_TEXT: &str = "fn a() -> String {\n    let heap_audit_test_panic = 1;\n    let heap_audit_test_finding = 2;\n    format!(\"a\")\n}\n";
const B_TEXT: &str =
    "fn b() -> String {\n    let heap_audit_test_finding = 2;\n    format!(\"b\")\n}\n";
const C_TEXT: &str = "for x in xs:\n    y = x ** 0.5\n";

fn codes(diags: &[Value]) -> Vec<&str> {
    diags.iter().map(|d| d["code"].as_str().unwrap()).collect()
}

fn is_panic_log(p: &Value, uri: &str) -> bool {
    p["message"]
        .as_str()
        .is_some_and(|m| m.contains("rule rust/test-panic panicked on") && m.contains(uri))
}

fn hover_at(client: &mut LspClient, uri: &str, text: &str, needle: &str) -> Result<Value, Value> {
    let (line, character) = position(text, text.find(needle).unwrap(), Enc::Utf16);
    client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}),
    )
}

fn code_actions(client: &mut LspClient, uri: &str) -> Result<Value, Value> {
    client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 9, "character": 0}}, "context": {"diagnostics": []}}),
    )
}

#[test]
fn a_panicking_rule_is_switched_off_for_its_document_only() {
    let mut client = LspClient::spawn(env!("CARGO_BIN_EXE_heap-audit"));
    client.initialize(client_capabilities(Enc::Utf16, false), json!({}));
    client.did_open(A, "rust", 1, A_TEXT);
    client.did_open(B, "rust", 1, B_TEXT);
    client.did_open(C, "python", 1, C_TEXT);

    // The other rules' findings on the same document are published; test-panic's are dropped.
    assert_eq!(codes(&client.diagnostics(A, 1)), ["rust/format-literal"]);
    // Other documents are untouched: the rule still runs (and reports) there.
    assert_eq!(
        codes(&client.diagnostics(B, 1)),
        ["rust/test-panic", "rust/format-literal"]
    );
    assert_eq!(codes(&client.diagnostics(C, 1)), ["py/pow-half"]);
    let log = client.notification("window/logMessage", |p| is_panic_log(p, A));
    let message = log["message"].as_str().unwrap();
    assert_eq!(log["type"], 1, "an error: {message}");
    assert!(
        message.contains("injected panic") && message.contains("switched off for this document"),
        "{message}"
    );
    assert!(
        client
            .stderr()
            .contains("heap-audit: rule rust/test-panic panicked on file:///w/a.rs"),
        "a log line on stderr too:\n{}",
        client.stderr()
    );

    // Re-analysing the same text (new settings) does not run the rule again.
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"heap-audit": {"rules": {"py/pow-half": "error"}}}}),
    );
    assert_eq!(codes(&client.diagnostics(A, 1)), ["rust/format-literal"]);
    let c = client.diagnostics(C, 1);
    assert_eq!(c[0]["severity"], 1, "the new settings apply");
    let quiet = client.drain(Duration::from_millis(300));
    assert!(
        !quiet
            .iter()
            .any(|m| m["method"] == "window/logMessage" && is_panic_log(&m["params"], A)),
        "the rule stayed off for the unchanged text: {quiet:#?}"
    );

    // A change switches it back on: without the trigger it reports again...
    let at = A_TEXT.find("heap_audit_test_panic").unwrap();
    let range = |text: &str| {
        let (l0, c0) = position(text, at, Enc::Utf16);
        let (l1, c1) = position(text, at + "heap_audit_test_panic".len(), Enc::Utf16);
        json!({"start": {"line": l0, "character": c0}, "end": {"line": l1, "character": c1}})
    };
    client.did_change(
        A,
        2,
        json!([{"range": range(A_TEXT), "text": "harmless_name"}]),
    );
    assert_eq!(
        codes(&client.diagnostics(A, 2)),
        ["rust/test-panic", "rust/format-literal"]
    );
    // ... and with the trigger back it panics, and is switched off, again.
    let without = A_TEXT.replace("heap_audit_test_panic", "harmless_name");
    let (l0, c0) = position(&without, at, Enc::Utf16);
    let (l1, c1) = position(&without, at + "harmless_name".len(), Enc::Utf16);
    client.did_change(
        A,
        3,
        json!([{"range": {"start": {"line": l0, "character": c0}, "end": {"line": l1, "character": c1}}, "text": "heap_audit_test_panic"}]),
    );
    assert_eq!(codes(&client.diagnostics(A, 3)), ["rust/format-literal"]);
    client.notification("window/logMessage", |p| is_panic_log(p, A));

    // Requests on the document with the panicking rule still work.
    let hover = hover_at(&mut client, A, A_TEXT, "format!").expect("hover answers");
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("rust/format-literal"),
        "{hover}"
    );
    let actions = code_actions(&mut client, A).expect("code actions answer");
    assert!(
        actions
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "quickfix"),
        "{actions:#}"
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn a_panicking_handler_answers_an_error_and_the_server_goes_on() {
    let mut client = LspClient::spawn(env!("CARGO_BIN_EXE_heap-audit"));
    client.initialize(client_capabilities(Enc::Utf16, false), json!({}));
    let d_text = "fn d() -> String { format!(\"d\") }\n";
    client.did_open(D, "rust", 1, d_text);
    client.did_open(B, "rust", 1, B_TEXT);
    client.diagnostics(D, 1);
    client.diagnostics(B, 1);

    for (method, params) in [
        (
            "textDocument/hover",
            json!({"textDocument": {"uri": D}, "position": {"line": 0, "character": 20}}),
        ),
        (
            "textDocument/codeAction",
            json!({"textDocument": {"uri": D}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}}, "context": {"diagnostics": []}}),
        ),
        (
            "textDocument/diagnostic",
            json!({"textDocument": {"uri": D}}),
        ),
    ] {
        let error = client
            .request(method, params)
            .expect_err("a panicking handler answers an error");
        assert_eq!(error["code"], -32603, "internal error: {error}");
        let message = error["message"].as_str().unwrap();
        assert!(
            message.contains(method) && message.contains("injected handler panic"),
            "{message}"
        );
        client.notification("window/logMessage", |p| {
            p["type"] == 1
                && p["message"]
                    .as_str()
                    .is_some_and(|m| m.contains(method) && m.contains("injected handler panic"))
        });
    }

    // The server still serves every document: requests, and diagnostics for new edits.
    let hover = hover_at(&mut client, B, B_TEXT, "format!").expect("hover answers");
    assert!(hover["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("rust/format-literal"));
    assert!(code_actions(&mut client, B).is_ok());
    client.did_change(
        B,
        2,
        json!([{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "// edited\n"}]),
    );
    assert_eq!(
        codes(&client.diagnostics(B, 2)),
        ["rust/test-panic", "rust/format-literal"]
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn check(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_heap-audit"))
        .current_dir(dir)
        .arg("check")
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

#[test]
fn check_reports_the_file_and_rule_goes_on_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("a.rs"), A_TEXT).unwrap();
    fs::write(
        d.join("b.rs"),
        "fn b() -> String {\n    format!(\"b\")\n}\n",
    )
    .unwrap();
    fs::write(d.join("c.py"), C_TEXT).unwrap();

    let r = check(d, &[]);
    assert_eq!(r.code, Some(2), "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains(
            "error: a.rs: rule rust/test-panic panicked at 2:9: rust/test-panic: injected panic;"
        ),
        "{}",
        r.stderr
    );
    for expected in [
        "a.rs:4:5: info[rust/format-literal]",
        "b.rs:2:5: info[rust/format-literal]",
        "c.py:2:9: warning[py/pow-half]",
    ] {
        assert!(r.stdout.contains(expected), "{expected}\n{}", r.stdout);
    }
    assert!(r.stdout.contains("3 files checked"), "{}", r.stdout);

    let json = check(d, &["--format", "json"]);
    assert_eq!(json.code, Some(2));
    let findings: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(findings.as_array().unwrap().len(), 3);

    // --fix: every other file, and the other rules' fixes in the same file, are still written.
    let fixed = check(d, &["--fix"]);
    assert_eq!(fixed.code, Some(2), "{}{}", fixed.stdout, fixed.stderr);
    assert!(fixed.stderr.contains("a.rs: rule rust/test-panic panicked"));
    let a = fs::read_to_string(d.join("a.rs")).unwrap();
    assert_eq!(a, A_TEXT.replace("format!(\"a\")", "\"a\".to_string()"));
    assert_eq!(
        fs::read_to_string(d.join("b.rs")).unwrap(),
        "fn b() -> String {\n    \"b\".to_string()\n}\n"
    );
}
