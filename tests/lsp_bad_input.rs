//! Bad input against the real binary over stdio: malformed frames, unknown methods, out-of-range
//! positions, changes to unopened documents, unknown languages, a 5 MB one-line file and a broken
//! `heap-audit.toml`. The server answers errors where the protocol calls for them, never dies,
//! and keeps publishing correct, current diagnostics.

#[path = "support/lsp_client.rs"]
mod lsp_client;

use std::time::Duration;

use lsp_client::{client_capabilities, frame, range_json, Enc, LspClient};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_heap-audit");

fn find(text: &str, needle: &str) -> std::ops::Range<usize> {
    let at = text.find(needle).unwrap_or_else(|| panic!("`{needle}`"));
    at..at + needle.len()
}

fn codes(diags: &[Value]) -> Vec<&str> {
    diags.iter().map(|d| d["code"].as_str().unwrap()).collect()
}

/// Waits for an error response with this code (and `id`) that no request of ours caused.
fn error_response(client: &mut LspClient, code: i64, id: Value) -> Value {
    let m = client.wait_for(&format!("an error response {code}"), |m| {
        m.get("method").is_none() && m["error"]["code"] == code && m["id"] == id
    });
    m["error"].clone()
}

/// After all the abuse: a normal document still gets correct diagnostics for its current version.
fn still_serving(client: &mut LspClient, uri: &str) {
    let text = "# ok\r\nfor v in range(3):\r\n    w = v ** 0.5\r\n";
    client.did_open(uri, "python", 1, text);
    let d = client.diagnostics(uri, 1);
    assert_eq!(codes(&d), ["py/pow-half"]);
    assert_eq!(d[0]["severity"], 2, "warning in a loop");
    assert_eq!(
        d[0]["range"],
        range_json(text, find(text, "v ** 0.5"), Enc::Utf16)
    );
    client.did_change(uri, 2, json!([{"range": {"start": {"line": 2, "character": 8}, "end": {"line": 2, "character": 9}}, "text": "(v + 1)"}]));
    let text2 = text.replacen("v ** 0.5", "(v + 1) ** 0.5", 1);
    let d = client.diagnostics(uri, 2);
    assert_eq!(
        d[0]["range"],
        range_json(&text2, find(&text2, "(v + 1) ** 0.5"), Enc::Utf16)
    );
}

#[test]
fn malformed_frames_unknown_methods_and_out_of_range_positions() {
    let mut client = LspClient::spawn(BIN);
    client.initialize(client_capabilities(Enc::Utf16, false), json!({}));

    // A body that is not JSON: -32700 with a null id, and the server reads on.
    client.send_raw(&frame(
        r#"{"jsonrpc":"2.0","id":41,"method":"textDocument/hover","params":{"#,
    ));
    let e = error_response(&mut client, -32700, Value::Null);
    assert!(
        e["message"].as_str().unwrap().starts_with("Parse error"),
        "{e}"
    );
    // A garbage header block: reported once; the next frame is served.
    client.send_raw(b"This is not a header\r\n\r\n");
    error_response(&mut client, -32700, Value::Null);
    let e = client.request("heap-audit/nothing", json!({})).unwrap_err();
    assert_eq!(e["code"], -32601);
    // Garbage glued in front of a good frame: one error, then the frame is served.
    let mut glued = b"\x00\xffjunk".to_vec();
    glued.extend(frame(
        r#"{"jsonrpc":"2.0","id":42,"method":"heap-audit/nothing"}"#,
    ));
    client.send_raw(&glued);
    error_response(&mut client, -32700, Value::Null);
    assert_eq!(client.response(42).unwrap_err()["code"], -32601);
    // A body that is not UTF-8; valid JSON that is not a request object; a missing `jsonrpc`.
    client.send_raw(&frame_bytes(
        b"{\"jsonrpc\":\"2.0\",\"method\":\"\xff\xfe\"}",
    ));
    error_response(&mut client, -32700, Value::Null);
    client.send_raw(&frame("[1, 2, 3]"));
    error_response(&mut client, -32600, Value::Null);
    client.send_raw(&frame(r#"{"id": 43, "method": "shutdown"}"#));
    error_response(&mut client, -32600, json!(43));
    // An unknown request method: -32601. An unknown notification: ignored.
    let e = client
        .request("heap-audit/doesNotExist", json!({}))
        .unwrap_err();
    assert_eq!(e["code"], -32601);
    client.notify("heap-audit/alsoUnknown", json!({"x": 1}));
    // Params of the wrong shape for a known request.
    let e = client
        .request("textDocument/hover", json!({"textDocument": 5}))
        .unwrap_err();
    assert_eq!(e["code"], -32602);

    // Out-of-range positions clamp: to the end of the line, or of the document.
    let uri = "file:///bad/clamp.py";
    let text = "a = 1\r\nb = 😀\r\n";
    client.did_open(uri, "python", 1, text);
    assert_eq!(client.diagnostics(uri, 1), Vec::<Value>::new());
    client.did_change(
        uri,
        2,
        json!([
            {"range": {"start": {"line": 999, "character": 5}, "end": {"line": 1200, "character": 0}}, "text": "c = a ** 0.5\r\n"},
            {"range": {"start": {"line": 1, "character": 4000000000u32}, "end": {"line": 1, "character": 4000000000u32}}, "text": "  # 😀"},
            {"range": {"start": {"line": 1, "character": 5}, "end": {"line": 1, "character": 5}}, "text": "!"},
        ]),
    );
    // The third change lands inside the emoji's surrogate pair (b = [😀] is units 4..6): it
    // clamps to the emoji's start.
    let text2 = "a = 1\r\nb = !😀  # 😀\r\nc = a ** 0.5\r\n";
    let d = client.diagnostics(uri, 2);
    assert_eq!(codes(&d), ["py/pow-half"]);
    assert_eq!(
        d[0]["range"],
        range_json(text2, find(text2, "a ** 0.5"), Enc::Utf16)
    );
    for (line, character) in [(9999, 0), (0, 4000000000u32), (1, 5)] {
        let hover = client
            .request("textDocument/hover", json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}))
            .expect("hover answers");
        assert!(hover.is_null() || hover["contents"].is_object(), "{hover}");
    }
    let actions = client
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 2, "character": 900}, "end": {"line": 100000, "character": 7}}, "context": {"diagnostics": []}}),
        )
        .expect("code action answers");
    let titles: Vec<&str> = actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert!(
        titles.contains(&"Use `math.sqrt` (unsafe)"),
        "the clamped range still meets the finding: {titles:?}"
    );

    // A change to a document that is not open: logged, nothing else.
    client.did_change("file:///bad/never-opened.py", 2, json!([{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "x ** 0.5"}]));
    client.notification("window/logMessage", |p| {
        p["message"]
            .as_str()
            .unwrap()
            .contains("never-opened.py, which is not open")
    });
    // An unknown language id: not tracked, logged.
    client.did_open(
        "file:///bad/prog.cob",
        "cobol",
        1,
        "IDENTIFICATION DIVISION.",
    );
    client.notification("window/logMessage", |p| {
        p["message"]
            .as_str()
            .unwrap()
            .contains("language `cobol` is not supported")
    });
    let hover = client
        .request("textDocument/hover", json!({"textDocument": {"uri": "file:///bad/prog.cob"}, "position": {"line": 0, "character": 1}}))
        .unwrap();
    assert!(hover.is_null());
    let pulled = client
        .request(
            "textDocument/diagnostic",
            json!({"textDocument": {"uri": "file:///bad/prog.cob"}}),
        )
        .unwrap();
    assert_eq!(pulled["items"], json!([]));

    still_serving(&mut client, "file:///bad/normal.py");
    let stray: Vec<Value> = client
        .drain(Duration::from_millis(300))
        .into_iter()
        .filter(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"]
                    .as_str()
                    .is_some_and(|u| u.contains("never-opened") || u.contains(".cob"))
        })
        .collect();
    assert!(
        stray.is_empty(),
        "nothing published for untracked documents: {stray:#?}"
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

fn frame_bytes(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

#[test]
fn five_megabyte_one_line_file() {
    let mut client = LspClient::spawn(BIN);
    client.timeout = Duration::from_secs(120);
    client.initialize(client_capabilities(Enc::Utf16, false), json!({}));
    let uri = "file:///bad/huge.js";
    let mut text = String::from("const o = { a: '😀' }; const big = [");
    while text.len() < 5 * 1024 * 1024 {
        text.push_str("1, 22, 333, 'x', ");
    }
    text.push_str("]; delete o.a;");
    client.did_open(uri, "javascript", 1, &text);
    // The huge array literal is itself a finding of other JS rules; this test is about the
    // `delete`s on either side of it.
    let deletes = |d: Vec<Value>| -> Vec<Value> {
        d.into_iter()
            .filter(|x| x["code"] == "js/delete-property")
            .collect()
    };
    let d = deletes(client.diagnostics(uri, 1));
    assert_eq!(codes(&d), ["js/delete-property"]);
    assert_eq!(
        d[0]["range"],
        range_json(&text, find(&text, "delete o.a"), Enc::Utf16)
    );

    // Edit near the start (after the emoji) and near the end of the one line.
    let end = lsp_client::position(&text, text.len(), Enc::Utf16);
    client.did_change(
        uri,
        2,
        json!([
            {"range": {"start": {"line": 0, "character": end.1 - 1}, "end": {"line": 0, "character": end.1}}, "text": "; delete o.b;"},
            {"range": {"start": {"line": 0, "character": 18}, "end": {"line": 0, "character": 18}}, "text": "😀"},
        ]),
    );
    let text2 = text[..text.len() - 1].replacen("'😀'", "'😀😀'", 1) + "; delete o.b;";
    let d = deletes(client.diagnostics(uri, 2));
    assert_eq!(codes(&d), ["js/delete-property", "js/delete-property"]);
    assert_eq!(
        d[0]["range"],
        range_json(&text2, find(&text2, "delete o.a"), Enc::Utf16)
    );
    assert_eq!(
        d[1]["range"],
        range_json(&text2, find(&text2, "delete o.b"), Enc::Utf16)
    );
    let hover_at = lsp_client::position(&text2, find(&text2, "delete o.b").start + 2, Enc::Utf16);
    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": hover_at.1}}),
        )
        .unwrap();
    assert!(hover["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("js/delete-property"));

    still_serving(&mut client, "file:///bad/after-huge.py");
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn broken_config_is_reported_and_defaults_apply() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let config = root.join("heap-audit.toml");
    std::fs::write(&config, "[rules]\n\"py/pow-hlf\" = \"off\"\n").unwrap();
    let root_uri = format!("file://{}", root.display());
    let config_uri = format!("{root_uri}/heap-audit.toml");

    let mut client = LspClient::spawn_in(BIN, Some(&root));
    client.initialize(
        client_capabilities(Enc::Utf16, false),
        json!({"workspaceFolders": [{"uri": root_uri, "name": "demo"}], "initializationOptions": {"rules": {"py/nope": "off"}}}),
    );
    // Bad editor settings: reported, defaults used.
    client.notification("window/showMessage", |p| {
        p["type"] == 1
            && p["message"]
                .as_str()
                .unwrap()
                .contains("invalid initializationOptions")
    });
    // The bad file: a message naming the file and line, and a diagnostic on the file.
    let shown = client.notification("window/showMessage", |p| {
        p["type"] == 1
            && p["message"]
                .as_str()
                .unwrap()
                .contains("heap-audit.toml:2:1")
    });
    assert!(
        shown["message"]
            .as_str()
            .unwrap()
            .contains("unknown rule `py/pow-hlf`"),
        "{shown}"
    );
    let on_file = client.notification("textDocument/publishDiagnostics", |p| {
        p["uri"] == config_uri.as_str()
    });
    assert_eq!(on_file["diagnostics"][0]["severity"], 1);
    assert_eq!(
        on_file["diagnostics"][0]["range"]["start"],
        json!({"line": 1, "character": 0})
    );

    // Diagnostics go on, with the defaults.
    let py = format!("{root_uri}/app.py");
    client.did_open(&py, "python", 1, "y = 2 ** 0.5\n");
    let d = client.diagnostics(&py, 1);
    assert_eq!(codes(&d), ["py/pow-half"]);
    assert_eq!(d[0]["severity"], 3);

    // Fixed on disk: the file's diagnostic is cleared and its settings apply.
    std::fs::write(&config, "[rules]\n\"py/pow-half\" = \"off\"\n").unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": config_uri, "type": 2}]}),
    );
    client.notification("textDocument/publishDiagnostics", |p| {
        p["uri"] == config_uri.as_str() && p["diagnostics"] == json!([])
    });
    client.notification("textDocument/publishDiagnostics", |p| {
        p["uri"] == py.as_str() && p["diagnostics"] == json!([])
    });

    // Broken again: the last good configuration (pow-half off) stays.
    std::fs::write(&config, "[rules\n").unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": config_uri, "type": 2}]}),
    );
    client.notification("window/showMessage", |p| {
        p["message"]
            .as_str()
            .unwrap()
            .contains("heap-audit.toml:1:")
    });
    client.did_change(&py, 2, json!([{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "z = 3 ** 0.5\n"}]));
    assert_eq!(
        client.diagnostics(&py, 2),
        Vec::<Value>::new(),
        "the last good configuration is kept"
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}
