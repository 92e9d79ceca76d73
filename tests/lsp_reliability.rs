//! The server under pressure: answers computed for an old text are never given for a newer one
//! (ContentModified), rules run out of time on files over `maxFileSize` without costing the
//! others, and a huge document never holds up the diagnostics of a small one.

#[path = "support/lsp_client.rs"]
mod lsp_client;

use std::time::{Duration, Instant};

use lsp_client::{client_capabilities, frame, Enc, LspClient};
use serde_json::{json, Value};

const BIG: &str = "file:///w/big.rs";
const SMALL: &str = "file:///w/small.rs";

/// About `bytes` of Rust with a format-literal finding every few lines: slow enough to analyse
/// in a debug build (seconds) that a change sent right after a request lands while it runs.
fn big_rust(bytes: usize) -> String {
    let unit = "fn f(v: &[u32]) -> String {\n    let mut out = Vec::new();\n    for x in v {\n        out.push(format!(\"{}\", x));\n    }\n    format!(\"done\")\n}\n";
    unit.repeat(bytes / unit.len() + 1)
}

fn codes(diags: &[Value]) -> Vec<&str> {
    diags.iter().map(|d| d["code"].as_str().unwrap()).collect()
}

/// Sends a request and an edit of the same document in one write, so the edit is applied while
/// the request is being answered. Returns the request's answer.
fn request_then_edit(
    client: &mut LspClient,
    id: i64,
    method: &str,
    params: Value,
    version: i64,
) -> Result<Value, Value> {
    let request = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
    let edit = json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": BIG, "version": version},
        "contentChanges": [{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "// edit\n"}]
    }});
    let mut bytes = frame(&request.to_string());
    bytes.extend(frame(&edit.to_string()));
    client.send_raw(&bytes);
    client.response(id)
}

#[test]
fn answers_for_an_old_version_are_content_modified() {
    let mut client = LspClient::spawn(env!("CARGO_BIN_EXE_heap-audit"));
    client.timeout = Duration::from_secs(300);
    // Pull mode: nothing is analysed before it is asked for, so each request below analyses.
    client.initialize(client_capabilities(Enc::Utf16, true), json!({}));
    let text = big_rust(2 << 20);
    client.did_open(BIG, "rust", 1, &text);
    let at = json!({"line": 3, "character": 20});
    let requests = [
        (
            "textDocument/hover",
            json!({"textDocument": {"uri": BIG}, "position": at}),
        ),
        (
            "textDocument/codeAction",
            json!({"textDocument": {"uri": BIG}, "range": {"start": at, "end": at}, "context": {"diagnostics": []}}),
        ),
        (
            "textDocument/diagnostic",
            json!({"textDocument": {"uri": BIG}}),
        ),
    ];
    for (i, (method, params)) in requests.into_iter().enumerate() {
        let id = 1000 + i as i64;
        let error = request_then_edit(&mut client, id, method, params, 2 + i as i64)
            .expect_err("the text changed while the request was answered");
        assert_eq!(error["code"], -32801, "{method}: ContentModified: {error}");
    }
    // Once the text holds still, the same requests are answered, for the current text.
    let report = client
        .request(
            "textDocument/diagnostic",
            json!({"textDocument": {"uri": BIG}}),
        )
        .expect("a report for the current version");
    let items = report["items"].as_array().unwrap();
    // The first `format!` finding (other rules may report earlier lines when they finish within
    // their budget).
    let first = items
        .iter()
        .find(|d| d["code"] == "rust/format-literal")
        .expect("a format-literal finding");
    assert_eq!(
        first["range"]["start"]["line"],
        3 + 3,
        "three lines were inserted: {:?}",
        codes(&items[..items.len().min(3)])
    );
    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": BIG}, "position": {"line": 6, "character": 20}}),
        )
        .expect("hover for the current version");
    assert!(hover["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("rust/format-literal"));
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn rules_out_of_time_on_a_large_file_are_skipped_with_a_notice() {
    // Debug builds read the budget from the environment: 0 ms runs every rule out at once.
    let mut client = LspClient::spawn_with_env(
        env!("CARGO_BIN_EXE_heap-audit"),
        None,
        &[("HEAP_AUDIT_TEST_RULE_BUDGET_MS", "0")],
    );
    client.initialize(
        client_capabilities(Enc::Utf16, false),
        json!({"initializationOptions": {"maxFileSize": 200}}),
    );
    let large = big_rust(300);
    let small = "fn s() -> String { format!(\"s\") }\n";
    assert!(large.len() > 200 && small.len() <= 200);
    client.did_open(BIG, "rust", 1, &large);
    client.did_open(SMALL, "rust", 1, small);
    assert!(
        client.diagnostics(BIG, 1).is_empty(),
        "the rule that ran out of time reports nothing"
    );
    assert_eq!(
        codes(&client.diagnostics(SMALL, 1)),
        ["rust/format-literal"],
        "a file under maxFileSize has no budget"
    );
    // One notice per rule that ran out (builds with test-only rules have more than one).
    let notice = client.notification("window/logMessage", |p| {
        p["message"].as_str().is_some_and(|m| {
            m.contains("rule rust/format-literal ran out of its time budget") && m.contains(BIG)
        })
    });
    let message = notice["message"].as_str().unwrap();
    assert_eq!(notice["type"], 2, "a warning: {message}");
    assert!(
        message.contains("rule rust/format-literal")
            && message.contains("over maxFileSize 200 bytes"),
        "{message}"
    );
    // It stays skipped for that document: no second notice after an edit.
    client.did_change(
        BIG,
        2,
        json!([{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "// x\n"}]),
    );
    assert!(client.diagnostics(BIG, 2).is_empty());
    let later = client.drain(Duration::from_millis(300));
    assert!(
        !later.iter().any(|m| m["method"] == "window/logMessage"
            && m["params"]["message"]
                .as_str()
                .is_some_and(|t| t.contains("rule rust/format-literal ran out"))),
        "{later:#?}"
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn a_huge_document_does_not_hold_up_a_small_one() {
    let mut client = LspClient::spawn(env!("CARGO_BIN_EXE_heap-audit"));
    // Debug builds on a loaded 2-core machine: the big document's 30k findings take a while.
    client.timeout = Duration::from_secs(300);
    client.initialize(client_capabilities(Enc::Utf16, false), json!({}));
    // Over 1 MB, so it waits in the large-document lane.
    let big = big_rust(5 << 18);
    client.did_open(BIG, "rust", 1, &big);
    // Let the big document's analysis start.
    std::thread::sleep(Duration::from_millis(500));
    let opened = Instant::now();
    client.did_open(SMALL, "rust", 1, "fn s() -> String { format!(\"s\") }\n");
    let first = client.wait_for("the first publishDiagnostics", |m| {
        m["method"] == "textDocument/publishDiagnostics"
    });
    let small_after = opened.elapsed();
    assert_eq!(
        first["params"]["uri"], SMALL,
        "the small document's diagnostics come first ({small_after:?} after opening it)"
    );
    let big_diags = client.diagnostics(BIG, 1);
    eprintln!(
        "small document published {small_after:?} after opening; the big one ({} findings) {:?}",
        big_diags.len(),
        opened.elapsed()
    );
    assert!(!big_diags.is_empty());
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}
