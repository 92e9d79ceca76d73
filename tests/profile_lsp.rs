//! Must-show 2 and 3 of the profiles issue, in the editor, over stdio against the real binary:
//! a workspace with a real tracemalloc profile (made here by `heap-audit profile python`) gets
//! inlay hints on its hot line, a finding on a measured line says the bytes and is a warning,
//! `profile/hot-site` marks the hot line no rule explains, the hover shows the sampled stacks;
//! rewriting the profile (a run with another hot line) and `didChangeWatchedFiles` reload it, in
//! push and in pull mode. Bad profiles (truncated JSON, an unknown format) are named in a
//! `window/showMessage` and the server keeps publishing its usual diagnostics.

#[path = "support/lsp_client.rs"]
mod lsp_client;
#[path = "support/profiles.rs"]
mod profiles;

use std::path::Path;

use lsp_client::{client_capabilities, Enc, LspClient};
use profiles::{line_of, APP};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_heap-audit");
/// The name the server finds at a workspace folder's root without configuration.
const PROFILE: &str = "heap-audit-tracemalloc.json";

fn uri_of(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// The capabilities of a modern editor, with inlay hint refresh.
fn capabilities(enc: Enc, pull: bool) -> Value {
    let mut caps = client_capabilities(enc, pull);
    caps["workspace"]["inlayHint"] = json!({"refreshSupport": true});
    caps["textDocument"]["inlayHint"] = json!({"dynamicRegistration": false});
    caps
}

fn start(root: &Path, enc: Enc, pull: bool) -> LspClient {
    let mut client = LspClient::spawn_in(BIN, Some(root));
    let init = client.initialize(
        capabilities(enc, pull),
        json!({"workspaceFolders": [{"uri": uri_of(root), "name": "ws"}]}),
    );
    assert_eq!(init["capabilities"]["inlayHintProvider"], true);
    client
}

/// The diagnostics with `code` on the 1-based `line`.
fn on_line<'a>(diags: &'a [Value], code: &str, line: u32) -> Vec<&'a Value> {
    diags
        .iter()
        .filter(|d| d["code"] == code && d["range"]["start"]["line"] == line - 1)
        .collect()
}

fn has_hot_site(diags: &[Value], line: u32) -> bool {
    !on_line(diags, "profile/hot-site", line).is_empty()
}

/// Waits for a push of `uri`'s diagnostics that satisfies `pred` and returns them.
fn pushed(client: &mut LspClient, uri: &str, pred: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let p = client.notification("textDocument/publishDiagnostics", |p| {
        p["uri"] == uri && pred(p["diagnostics"].as_array().unwrap())
    });
    assert_eq!(p["version"], 1, "published for the open version");
    p["diagnostics"].as_array().unwrap().clone()
}

/// The inlay hints of the whole document: (0-based line, character, label).
fn hints(client: &mut LspClient, uri: &str) -> Vec<(u64, u64, String)> {
    let result = client
        .request(
            "textDocument/inlayHint",
            json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 100, "character": 0}}}),
        )
        .expect("inlay hints");
    result
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["position"]["line"].as_u64().unwrap(),
                h["position"]["character"].as_u64().unwrap(),
                h["label"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn hover(client: &mut LspClient, uri: &str, line: u32, character: u32) -> String {
    let result = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": line - 1, "character": character}}),
        )
        .expect("hover");
    result["contents"]["value"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

/// The length of a 1-based line of `APP` (its end, where hints go).
fn line_len(line: u32) -> u64 {
    APP.lines().nth(line as usize - 1).unwrap().len() as u64
}

#[test]
fn the_editor_shows_measured_allocations_and_reloads_a_rewritten_profile() {
    let (_dir, root) = profiles::workspace();
    let profile = root.join(PROFILE);
    profiles::profile_app(&root, &profile, false);
    let app = uri_of(&root.join("app.py"));
    let (hot, measured, cold, alt) = (
        line_of("# HOT"),
        line_of("# MEASURED"),
        line_of("# COLD"),
        line_of("# ALT"),
    );

    let mut client = start(&root, Enc::Utf16, false);
    // The profile's glob is watched (no relative patterns declared: a `**/` glob).
    let reg = client.notification("client/registerCapability", |p| {
        p["registrations"][0]["id"] == "heap-audit/profiles"
    });
    let watchers = reg["registrations"][0]["registerOptions"]["watchers"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        watchers
            .iter()
            .any(|w| w["globPattern"] == format!("**/{PROFILE}")),
        "{watchers:#?}"
    );
    client.did_open(&app, "python", 1, APP);
    let diags = pushed(&mut client, &app, |d| has_hot_site(d, hot));

    // Where the bytes go, and no rule explains it.
    let site = on_line(&diags, "profile/hot-site", hot)[0];
    assert_eq!(site["severity"], 3, "information");
    let message = site["message"].as_str().unwrap();
    assert!(
        message.starts_with("hot allocation site: 10.")
            && message.contains(" MB live in 10k blocks (")
            && message.ends_with("— where the bytes go, and no rule explains it"),
        "{message}"
    );
    // A finding on a measured line: a warning (information without the profile), with bytes.
    let found = on_line(&diags, "py/list-membership", measured)[0];
    assert_eq!(found["severity"], 2, "warning");
    assert!(
        found["message"]
            .as_str()
            .unwrap()
            .contains("— measured 2.0 MB live in "),
        "{found}"
    );
    // In a function that never ran: a hint, cold per profile.
    let quiet = on_line(&diags, "py/list-membership", cold)[0];
    assert_eq!(quiet["severity"], 4, "hint");
    assert!(quiet["message"]
        .as_str()
        .unwrap()
        .contains("cold per profile"));
    assert!(!has_hot_site(&diags, measured), "a rule explains that line");

    // Inlay hints at the end of the hot lines, the hottest first.
    let shown = hints(&mut client, &app);
    let at_hot = shown
        .iter()
        .find(|h| h.0 == u64::from(hot - 1))
        .unwrap_or_else(|| panic!("a hint on the hot line: {shown:?}"));
    assert_eq!(at_hot.1, line_len(hot), "at the end of the line");
    assert!(
        at_hot.2.contains(" MB · 10k blocks · ") && at_hot.2.ends_with('%'),
        "{at_hot:?}"
    );
    assert!(shown.iter().any(|h| h.0 == u64::from(measured - 1)));
    assert!(shown.iter().all(|h| h.0 != u64::from(alt - 1)), "{shown:?}");

    // Hover on the hot line: the figures and the sampled stacks that reach it.
    let md = hover(&mut client, &app, hot, 8);
    assert!(md.contains("**Measured by the profile**"), "{md}");
    assert!(
        md.contains("Sampled stacks through this line (top "),
        "{md}"
    );
    assert!(
        md.contains(&format!("   - app.py:{hot}\n"))
            && md.contains(&format!("app.py:{}", line_of("DATA = build(10_000)"))),
        "{md}"
    );
    // On the finding: its explanation first, then the profile's.
    let col = APP
        .lines()
        .nth(measured as usize - 1)
        .unwrap()
        .find("[\"a\"")
        .unwrap();
    let md = hover(&mut client, &app, measured, col as u32 + 1);
    let rule_part = md
        .find("`py/list-membership`")
        .expect("the finding's hover");
    let profile_part = md
        .find("**Measured by the profile**")
        .expect("and the profile's");
    assert!(rule_part < profile_part, "{md}");

    // A new run puts the bytes on another line; the watcher's notification reloads it.
    profiles::profile_app(&root, &profile, true);
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri_of(&profile), "type": 2}]}),
    );
    client.notification("workspace/inlayHint/refresh", |_| true);
    let diags = pushed(&mut client, &app, |d| has_hot_site(d, alt));
    assert!(!has_hot_site(&diags, hot), "{diags:#?}");
    let found = on_line(&diags, "py/list-membership", measured)[0];
    assert!(found["message"]
        .as_str()
        .unwrap()
        .contains("measured 2.0 MB"));
    let shown = hints(&mut client, &app);
    assert!(shown.iter().any(|h| h.0 == u64::from(alt - 1)), "{shown:?}");
    assert!(shown.iter().all(|h| h.0 != u64::from(hot - 1)), "{shown:?}");

    // The profile deleted: back to the plain findings, no hints.
    std::fs::remove_file(&profile).unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri_of(&profile), "type": 3}]}),
    );
    let diags = pushed(&mut client, &app, |d| {
        d.iter().all(|x| x["code"] != "profile/hot-site")
    });
    assert_eq!(
        on_line(&diags, "py/list-membership", measured)[0]["severity"],
        3,
        "information again"
    );
    assert_eq!(hints(&mut client, &app), []);
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn pull_mode_gets_the_same_profile_view_and_a_new_one_after_a_reload() {
    let (_dir, root) = profiles::workspace();
    let profile = root.join(PROFILE);
    profiles::profile_app(&root, &profile, false);
    let app = uri_of(&root.join("app.py"));
    let (hot, alt) = (line_of("# HOT"), line_of("# ALT"));

    let mut client = start(&root, Enc::Utf8, true);
    client.did_open(&app, "python", 1, APP);
    let pull = |client: &mut LspClient, previous: Option<&str>| {
        client
            .request(
                "textDocument/diagnostic",
                json!({"textDocument": {"uri": app}, "previousResultId": previous}),
            )
            .expect("a report")
    };
    // Loading the profiles ends with a refresh request; the pull after it sees them.
    client.notification("workspace/diagnostic/refresh", |_| true);
    let report = pull(&mut client, None);
    assert_eq!(report["kind"], "full");
    assert!(
        has_hot_site(report["items"].as_array().unwrap(), hot),
        "{report:#}"
    );
    let first_id = report["resultId"].as_str().unwrap().to_owned();
    assert_eq!(pull(&mut client, Some(&first_id))["kind"], "unchanged");

    profiles::profile_app(&root, &profile, true);
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri_of(&profile), "type": 2}]}),
    );
    client.notification("workspace/diagnostic/refresh", |_| true);
    let report = pull(&mut client, Some(&first_id));
    assert_eq!(report["kind"], "full", "the profile changed: {report:#}");
    let items = report["items"].as_array().unwrap();
    assert!(
        has_hot_site(items, alt) && !has_hot_site(items, hot),
        "{report:#}"
    );
    assert!(client
        .drain(std::time::Duration::from_millis(200))
        .iter()
        .all(|m| m["method"] != "textDocument/publishDiagnostics"));
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn bad_profiles_are_named_and_the_server_keeps_working_without_them() {
    let (_dir, root) = profiles::workspace();
    let truncated = root.join("dhat-heap.json");
    std::fs::write(
        &truncated,
        r#"{"dhatFileVersion":2,"mode":"rust-heap","pps":[{"tb":100,"tbk":1,"fs":[1"#,
    )
    .unwrap();
    let unknown = root.join("trace.heapprofile");
    std::fs::write(&unknown, r#"{"traceEvents": []}"#).unwrap();
    let app = uri_of(&root.join("app.py"));
    let measured = line_of("# MEASURED");

    let mut client = start(&root, Enc::Utf16, false);
    let mut messages = Vec::new();
    for _ in 0..2 {
        let m = client.notification("window/showMessage", |_| true);
        assert_eq!(m["type"], 1, "an error: {m}");
        messages.push(m["message"].as_str().unwrap().to_owned());
    }
    messages.sort();
    assert!(
        messages[0].starts_with(&format!(
            "heap-audit: cannot use the profile {}: truncated DHAT profile: the JSON ends early",
            truncated.display()
        )) && messages[0].ends_with("; continuing without it"),
        "{messages:#?}"
    );
    assert!(
        messages[1].starts_with(&format!(
            "heap-audit: cannot use the profile {}: unknown profile format: a JSON object of no known profile format",
            unknown.display()
        )),
        "{messages:#?}"
    );
    // The usual diagnostics, as without any profile.
    client.did_open(&app, "python", 1, APP);
    let diags = client.diagnostics(&app, 1);
    assert_eq!(
        on_line(&diags, "py/list-membership", measured)[0]["severity"],
        3
    );
    assert!(diags.iter().all(|d| d["code"] != "profile/hot-site"));
    assert_eq!(hints(&mut client, &app), []);

    // A good profile appears beside them: it loads, the bad ones are named again.
    let good = root.join(PROFILE);
    profiles::profile_app(&root, &good, false);
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri_of(&good), "type": 1}]}),
    );
    let diags = pushed(&mut client, &app, |d| has_hot_site(d, line_of("# HOT")));
    assert_eq!(
        on_line(&diags, "py/list-membership", measured)[0]["severity"],
        2
    );
    client.notification("window/showMessage", |m| {
        m["message"].as_str().unwrap().contains("trace.heapprofile")
    });
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}
