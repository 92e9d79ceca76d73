//! End to end over stdio against the real binary: initialize → open Rust, Python and TS files →
//! diagnostics → incremental change → diagnostics of that version → hover → code action →
//! apply the edit → the diagnostic is gone → shutdown/exit with code 0. Once with UTF-16 and
//! once with UTF-8 positions, on CRLF text with emoji before each finding. Also: pull mode,
//! fix-all, suppression, settings.

#[path = "support/lsp_client.rs"]
mod lsp_client;

use std::time::Duration;

use lsp_client::{
    apply_text_edits, client_capabilities, edits_as_changes, edits_for, position, range_json, Enc,
    LspClient,
};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_heap-audit");

const RUST_URI: &str = "file:///work/demo/src/main.rs";
const PY_URI: &str = "file:///work/demo/app.py";
const TS_URI: &str = "file:///work/demo/app.ts";

const RUST: &str = "// 😀 CRLF file\r\nfn main() {\r\n    let e = \"😀\"; let s = format!(\"x\");\r\n    let v: Vec<u8> = Vec::new();\r\n    println!(\"{e}{s}{}\", v.len());\r\n}\r\n";
const PY: &str = "# 😀 CRLF\r\nx = 4\r\nlabel = '😀'; y = x ** 0.5\r\n";
const TS: &str = "// 😀\r\nconst o: any = { a: 1, e: '😀' }; delete o.a;\r\n";

/// The byte range of the first occurrence of `needle` in `text`.
fn find(text: &str, needle: &str) -> std::ops::Range<usize> {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` in {text:?}"));
    at..at + needle.len()
}

fn codes(diags: &[Value]) -> Vec<&str> {
    diags.iter().map(|d| d["code"].as_str().unwrap()).collect()
}

fn start() -> LspClient {
    LspClient::spawn(BIN)
}

/// Opens the three documents and checks their first diagnostics: exact ranges in `enc`.
fn open_all(client: &mut LspClient, enc: Enc) {
    client.did_open(RUST_URI, "rust", 1, RUST);
    client.did_open(PY_URI, "python", 1, PY);
    client.did_open(TS_URI, "typescript", 1, TS);
    for (uri, text, needle, code) in [
        (RUST_URI, RUST, "format!(\"x\")", "rust/format-literal"),
        (PY_URI, PY, "x ** 0.5", "py/pow-half"),
        (TS_URI, TS, "delete o.a", "js/delete-property"),
    ] {
        let diags = client.diagnostics(uri, 1);
        assert_eq!(codes(&diags), [code], "{uri}");
        let d = &diags[0];
        assert_eq!(
            d["range"],
            range_json(text, find(text, needle), enc),
            "{uri} in {}",
            enc.name()
        );
        assert_eq!(d["source"], "heap-audit");
        assert_eq!(d["severity"], 3, "information outside loops");
        assert!(
            d["codeDescription"]["href"]
                .as_str()
                .unwrap()
                .starts_with("https://"),
            "{d}"
        );
        assert_eq!(d["data"], json!({"v": 1, "i": 0}));
    }
}

fn session(enc: Enc) {
    let mut client = start();
    let init = client.initialize(client_capabilities(enc, false), json!({}));
    assert_eq!(init["capabilities"]["positionEncoding"], enc.name());
    assert!(
        init["capabilities"].get("diagnosticProvider").is_none(),
        "push mode: no pull capability"
    );
    assert_eq!(init["serverInfo"]["name"], "heap-audit");

    open_all(&mut client, enc);

    // The ranges, spelled out: the emoji is 2 UTF-16 units and 4 UTF-8 bytes.
    let (l, c) = position(RUST, find(RUST, "format!").start, enc);
    assert_eq!((l, c), (2, if enc == Enc::Utf16 { 26 } else { 28 }));

    // An incremental change with two edits: a second emoji inside the string before the finding
    // (positions in the negotiated encoding), then a new line at the end of the file.
    let after_emoji = position(RUST, find(RUST, "😀\";").end, enc);
    let end = position(RUST, RUST.len(), enc);
    client.did_change(
        RUST_URI,
        2,
        json!([
            {"range": {"start": {"line": after_emoji.0, "character": after_emoji.1}, "end": {"line": after_emoji.0, "character": after_emoji.1}}, "text": "😀"},
            {"range": {"start": {"line": end.0, "character": end.1}, "end": {"line": end.0, "character": end.1}}, "text": "// end\r\n"},
        ]),
    );
    let rust_v2 = RUST.replacen("😀\";", "😀😀\";", 1) + "// end\r\n";
    let diags = client.diagnostics(RUST_URI, 2);
    assert_eq!(codes(&diags), ["rust/format-literal"]);
    let expected = range_json(&rust_v2, find(&rust_v2, "format!(\"x\")"), enc);
    assert_eq!(diags[0]["range"], expected);
    assert_eq!(
        expected["start"]["character"],
        if enc == Enc::Utf16 { 28 } else { 32 }
    );

    // Hover on the finding: the message, then the rule's guide section.
    let inside = position(&rust_v2, find(&rust_v2, "format!").start + 3, enc);
    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": RUST_URI}, "position": {"line": inside.0, "character": inside.1}}),
        )
        .unwrap();
    let text = hover["contents"]["value"].as_str().unwrap();
    assert_eq!(hover["contents"]["kind"], "markdown");
    assert!(
        text.starts_with(&format!("**{}**", diags[0]["message"].as_str().unwrap())),
        "{text}"
    );
    assert!(
        text.contains("## rust/format-literal") && text.contains("### What it does"),
        "{text}"
    );
    assert_eq!(hover["range"], expected);

    // Hover where no rule fires: what the construct allocates.
    let ctor = position(&rust_v2, find(&rust_v2, "Vec::new()").start + 5, enc);
    let hover = client
        .request("textDocument/hover", json!({"textDocument": {"uri": RUST_URI}, "position": {"line": ctor.0, "character": ctor.1}}))
        .unwrap();
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("Vec::new()"),
        "{hover}"
    );
    assert_eq!(
        hover["range"],
        range_json(&rust_v2, find(&rust_v2, "Vec::new()"), enc)
    );

    // The code action for the finding, applied client-side as an editor would.
    let actions = client
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": RUST_URI}, "range": expected, "context": {"diagnostics": [diags[0]]}}),
        )
        .unwrap();
    let fix = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "Replace `format!` with `.to_string()`")
        .expect("the fix");
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(fix["isPreferred"], true, "a safe fix is preferred");
    assert_eq!(fix["diagnostics"][0]["data"], diags[0]["data"]);
    let (edits, version) = edits_for(&fix["edit"], RUST_URI);
    assert_eq!(
        version,
        Some(2),
        "the edit names the version it was computed for"
    );
    let rust_v3 = apply_text_edits(&rust_v2, &edits, enc);
    assert!(
        rust_v3.contains("let s = \"x\".to_string();\r\n"),
        "{rust_v3}"
    );
    client.did_change(RUST_URI, 3, edits_as_changes(&edits));
    assert_eq!(
        client.diagnostics(RUST_URI, 3),
        Vec::<Value>::new(),
        "the diagnostic is gone"
    );

    // The same for the Python and TypeScript findings, whose fixes are unsafe.
    for (uri, text, title) in [
        (PY_URI, PY, "Use `math.sqrt` (unsafe)"),
        (
            TS_URI,
            TS,
            "Assign `undefined` instead of deleting (unsafe)",
        ),
    ] {
        let end = position(text, text.len(), enc);
        let actions = client
            .request(
                "textDocument/codeAction",
                json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": end.0, "character": end.1}}, "context": {"diagnostics": []}}),
            )
            .unwrap();
        let fix = actions
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["title"] == title)
            .unwrap_or_else(|| panic!("{title}: {actions:#}"));
        assert!(
            fix.get("isPreferred").is_none(),
            "unsafe fixes are not preferred"
        );
        let (edits, version) = edits_for(&fix["edit"], uri);
        assert_eq!(version, Some(1));
        let fixed = apply_text_edits(text, &edits, enc);
        client.did_change(uri, 2, edits_as_changes(&edits));
        assert_eq!(
            client.diagnostics(uri, 2),
            Vec::<Value>::new(),
            "{uri}: fixed to {fixed:?}"
        );
    }

    let status = client.shutdown_and_exit();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn full_session_utf16() {
    session(Enc::Utf16);
}

#[test]
fn full_session_utf8() {
    session(Enc::Utf8);
}

#[test]
fn pull_mode_never_pushes() {
    let mut client = start();
    let init = client.initialize(client_capabilities(Enc::Utf16, true), json!({}));
    assert_eq!(
        init["capabilities"]["diagnosticProvider"]["interFileDependencies"],
        false
    );
    client.did_open(PY_URI, "python", 1, PY);
    let pull = |client: &mut LspClient, previous: Value| {
        client
            .request(
                "textDocument/diagnostic",
                json!({"textDocument": {"uri": PY_URI}, "previousResultId": previous}),
            )
            .unwrap()
    };
    let report = pull(&mut client, Value::Null);
    assert_eq!(report["kind"], "full");
    assert_eq!(codes(report["items"].as_array().unwrap()), ["py/pow-half"]);
    assert_eq!(
        report["items"][0]["range"],
        range_json(PY, find(PY, "x ** 0.5"), Enc::Utf16)
    );
    let id = report["resultId"].clone();
    assert_eq!(pull(&mut client, id.clone())["kind"], "unchanged");

    client.did_change(PY_URI, 2, json!([{"range": {"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 5}}, "text": "9"}]));
    let report = pull(&mut client, id);
    assert_eq!(report["kind"], "full", "a new version gives a new report");
    assert_eq!(codes(report["items"].as_array().unwrap()), ["py/pow-half"]);

    // A settings change asks the client to pull again instead of pushing.
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"heap-audit": {"rules": {"py/pow-half": "error"}}}}),
    );
    client.notification("workspace/diagnostic/refresh", |_| true);
    let report = pull(&mut client, Value::Null);
    assert_eq!(report["items"][0]["severity"], 1);

    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": PY_URI}}),
    );
    let rest = client.drain(Duration::from_millis(500));
    assert!(
        rest.iter()
            .all(|m| m["method"] != "textDocument/publishDiagnostics"),
        "pull mode never pushes diagnostics: {rest:#?}"
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn fix_all_applies_safe_fixes_unless_unsafe_ones_are_enabled() {
    let mut client = start();
    client.initialize(client_capabilities(Enc::Utf16, false), json!({}));
    // A pow-half finding (unsafe fix) and an unused suppression (safe fix: remove it).
    let text = "import math\r\n# heap-audit: allow(py/pow-half)\r\na = 1\r\nb = a ** 0.5\r\n";
    client.did_open(PY_URI, "python", 1, text);
    let diags = client.diagnostics(PY_URI, 1);
    assert_eq!(codes(&diags), ["unused-suppression", "py/pow-half"]);
    assert_eq!(
        diags[0]["tags"],
        json!([1]),
        "unused suppressions are tagged unnecessary"
    );
    let fix_all = |client: &mut LspClient, version: i64| {
        let actions = client
            .request(
                "textDocument/codeAction",
                json!({"textDocument": {"uri": PY_URI}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "context": {"diagnostics": [], "only": ["source.fixAll"]}}),
            )
            .unwrap();
        let actions = actions.as_array().unwrap();
        assert_eq!(actions.len(), 1, "only the fix-all action: {actions:#?}");
        assert_eq!(actions[0]["kind"], "source.fixAll.heap-audit");
        let (edits, v) = edits_for(&actions[0]["edit"], PY_URI);
        assert_eq!(v, Some(version));
        assert_eq!(edits.len(), 1, "one minimal edit");
        edits
    };
    let edits = fix_all(&mut client, 1);
    let safe = apply_text_edits(text, &edits, Enc::Utf16);
    assert_eq!(
        safe, "import math\r\na = 1\r\nb = a ** 0.5\r\n",
        "only the safe fix"
    );
    assert_eq!(
        edits[0]["range"]["start"]["line"], 1,
        "the edit is a minimal range, not the whole file"
    );

    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"heap-audit": {"unsafeFixes": true}}}),
    );
    // The re-analysis under new settings re-publishes the same version.
    client.diagnostics(PY_URI, 1);
    let edits = fix_all(&mut client, 1);
    assert_eq!(
        apply_text_edits(text, &edits, Enc::Utf16),
        "import math\r\na = 1\r\nb = math.sqrt(a)\r\n"
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn suppress_action_silences_the_finding() {
    let mut client = start();
    client.initialize(client_capabilities(Enc::Utf8, false), json!({}));
    client.did_open(RUST_URI, "rust", 1, RUST);
    let diags = client.diagnostics(RUST_URI, 1);
    let actions = client
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": RUST_URI}, "range": diags[0]["range"], "context": {"diagnostics": [diags[0]], "only": ["quickfix"]}}),
        )
        .unwrap();
    let titles: Vec<&str> = actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Replace `format!` with `.to_string()`",
            "Suppress rust/format-literal on this line"
        ]
    );
    let (edits, _) = edits_for(&actions[1]["edit"], RUST_URI);
    let fixed = apply_text_edits(RUST, &edits, Enc::Utf8);
    assert!(
        fixed.contains("{\r\n    // heap-audit: allow(rust/format-literal)\r\n    let e = "),
        "{fixed}"
    );
    client.did_change(RUST_URI, 2, edits_as_changes(&edits));
    assert_eq!(
        client.diagnostics(RUST_URI, 2),
        Vec::<Value>::new(),
        "suppressed, and the suppression is used"
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn settings_from_every_source() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(
        root.join("heap-audit.toml"),
        "[rules]\n\"py/pow-half\" = \"error\"\n\"js/*\" = \"off\"\n",
    )
    .unwrap();
    let root_uri = format!("file://{}", root.display());
    let py = format!("{root_uri}/app.py");
    let ts = format!("{root_uri}/app.ts");
    let rs = format!("{root_uri}/main.rs");

    let mut client = LspClient::spawn_in(BIN, Some(&root));
    // Editor settings win over the file: rust off there, py stays as the file says.
    client.initialize(
        client_capabilities(Enc::Utf16, false),
        json!({"workspaceFolders": [{"uri": root_uri, "name": "demo"}], "initializationOptions": {"heap-audit": {"rules": {"rust/*": "off", "js/delete-property": "hint"}}}}),
    );
    client.notification("client/registerCapability", |p| {
        p["registrations"][0]["method"] == "workspace/didChangeWatchedFiles"
            && p["registrations"][0]["registerOptions"]["watchers"][0]["globPattern"]
                == "**/heap-audit.toml"
    });
    client.did_open(&py, "python", 1, PY);
    client.did_open(&ts, "typescript", 1, TS);
    client.did_open(&rs, "rust", 1, RUST);
    let d = client.diagnostics(&py, 1);
    assert_eq!(d[0]["severity"], 1, "error, from heap-audit.toml");
    let d = client.diagnostics(&ts, 1);
    assert_eq!(
        d[0]["severity"], 4,
        "hint: the editor's exact id wins over the file's js/*"
    );
    assert_eq!(
        client.diagnostics(&rs, 1),
        Vec::<Value>::new(),
        "off in the editor settings"
    );

    // The file changes on disk: reloaded on the watcher's notification, and re-published.
    std::fs::write(
        root.join("heap-audit.toml"),
        "[rules]\n\"py/pow-half\" = \"warning\"\n",
    )
    .unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": format!("{root_uri}/heap-audit.toml"), "type": 2}]}),
    );
    let d = client.notification("textDocument/publishDiagnostics", |p| {
        p["uri"] == py.as_str() && p["diagnostics"][0]["severity"] == 2
    });
    assert_eq!(d["version"], 1);

    // didChangeConfiguration without settings: the server pulls `workspace/configuration`.
    client.set_configuration(json!({"rules": {"rust/*": "error"}}));
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": null}),
    );
    client.notification("workspace/configuration", |p| {
        p["items"][0]["section"] == "heap-audit"
    });
    let d = client.notification("textDocument/publishDiagnostics", |p| {
        p["uri"] == rs.as_str() && !p["diagnostics"].as_array().unwrap().is_empty()
    });
    assert_eq!(d["diagnostics"][0]["severity"], 1);

    // Closing clears (an unversioned empty publish: the document is gone).
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": rs}}),
    );
    client.notification("textDocument/publishDiagnostics", |p| {
        p["uri"] == rs.as_str() && p["diagnostics"] == json!([]) && p.get("version").is_none()
    });
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn exit_without_shutdown_is_code_1_and_end_of_input_ends_the_server() {
    let mut client = start();
    client.initialize(client_capabilities(Enc::Utf16, false), json!({}));
    client.notify("exit", Value::Null);
    assert_eq!(
        client
            .wait_exit(Duration::from_secs(10))
            .expect("exits")
            .code(),
        Some(1)
    );

    let mut client = start();
    client.initialize(client_capabilities(Enc::Utf16, false), json!({}));
    client.request("shutdown", Value::Null).unwrap();
    client.close_stdin();
    assert_eq!(
        client
            .wait_exit(Duration::from_secs(10))
            .expect("exits at end of input")
            .code(),
        Some(0)
    );
}

#[test]
fn rapid_typing_is_applied_in_order_and_published_monotonically() {
    let mut client = start();
    client.initialize(client_capabilities(Enc::Utf16, false), json!({}));
    let uri = "file:///work/demo/typing.py";
    let mut text = String::from("# 😀\r\nx = 2\r\n");
    client.did_open(uri, "python", 1, &text);
    client.diagnostics(uri, 1);
    // Type 20 lines one character at a time (CRLF as two keystrokes), without waiting.
    let line = "y = x ** 0.5  # 😀\r\n";
    let mut version = 1;
    for _ in 0..20 {
        for ch in line.chars() {
            version += 1;
            let (l, c) = position(&text, text.len(), Enc::Utf16);
            let at = json!({"line": l, "character": c});
            client.did_change(
                uri,
                version,
                json!([{"range": {"start": at, "end": at}, "text": ch.to_string()}]),
            );
            text.push(ch);
        }
    }
    let last = client.diagnostics(uri, version);
    let expected: Vec<Value> = text
        .match_indices("x ** 0.5")
        .map(|(at, s)| range_json(&text, at..at + s.len(), Enc::Utf16))
        .collect();
    assert_eq!(expected.len(), 20);
    assert_eq!(
        last.iter().map(|d| d["range"].clone()).collect::<Vec<_>>(),
        expected,
        "every edit applied, in order"
    );
    // Whatever was published before, in arrival order, never went back in version.
    let versions: Vec<i64> = client
        .drain(Duration::from_millis(300))
        .iter()
        .filter(|m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri)
        .map(|m| m["params"]["version"].as_i64().expect("versioned"))
        .collect();
    assert!(versions.windows(2).all(|w| w[0] <= w[1]), "{versions:?}");
    assert!(versions.iter().all(|&v| v <= version), "{versions:?}");
    assert!(
        versions.len() < 200,
        "rapid edits coalesce ({} publishes for {} edits)",
        versions.len() + 1,
        version - 1
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}
