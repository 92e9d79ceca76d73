//! Soak test of the language server, not run in CI (it is `#[ignore]`d). One command:
//!
//! ```sh
//! cargo test --release --test soak -- --ignored --nocapture
//! ```
//!
//! Against the real binary over stdio: 1,000 documents (copies of the samples and fixtures, in
//! every supported language) are opened ten at a time, each gets 100 random edits sent as fast
//! as an editor's keystrokes (interleaved across the ten), then a hover and a code action, and is
//! closed. It checks that:
//!
//! - the server's resident memory (VmRSS) at the end is within 10% of what it was after the
//!   first 100 documents: nothing grows with the number of documents seen;
//! - no diagnostics remain for closed documents: the last `publishDiagnostics` of every URI is
//!   empty;
//! - every hover and code action is answered (a result, or ContentModified).
//!
//! `SOAK_DOCS`, `SOAK_EDITS` and `SOAK_SEED` change the size and replay a run; the figures are
//! printed (`--nocapture`). `SOAK_EVERY` measures every that many documents, and `SOAK_DUMP`
//! (a folder) keeps each document's final text, to find the one a jump in memory comes from.
//! `SOAK_LIVE=1`, with `--features count-allocs`, prints the server's live heap bytes too: Rust's,
//! tree-sitter's C allocations, and glibc's own account (`mallinfo2`: in use, held free, mapped).

#[path = "support/lsp_client.rs"]
mod lsp_client;

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use lsp_client::{client_capabilities, position, range_json, Enc, LspClient};
use serde_json::{json, Value};

const WINDOW: usize = 10;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// xorshift64*: reproducible without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// (extension, language id, text) of every sample and fixture.
fn corpus() -> Vec<(String, &'static str, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut out = Vec::new();
    for dir in [
        "tests/sample",
        "tests/fixtures/rust",
        "tests/fixtures/js",
        "tests/fixtures/python",
    ] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let ext = path.extension().unwrap().to_str().unwrap().to_owned();
            let language = match ext.as_str() {
                "rs" => "rust",
                "py" => "python",
                "ts" => "typescript",
                "js" => "javascript",
                _ => continue,
            };
            out.push((ext, language, std::fs::read_to_string(&path).unwrap()));
        }
    }
    out.sort();
    out
}

/// Snippets typed into the documents: allocation-making constructs of every language, and
/// fragments that break the syntax for a while.
const SNIPPETS: &[&str] = &[
    "format!(\"x\")",
    "let s = String::new();\n",
    "x ** 0.5",
    "delete o.p;\n",
    "for x in xs:\n    y.append(x)\n",
    "😀",
    "\r\n",
    "(",
    "}",
    "\"",
    " ",
    "if ",
    "out = []\n",
];

/// A number field of the server's `/proc/PID/status` (`VmRSS` is in KiB).
fn status_field(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/PID/status"))
}

/// The server's resident set size in KiB.
fn rss_kib(pid: u32) -> u64 {
    status_field(pid, "VmRSS")
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    // LSP positions cannot point between `\r` and `\n`.
    let b = text.as_bytes();
    if at > 0 && at < b.len() && b[at - 1] == b'\r' && b[at] == b'\n' {
        at -= 1;
    }
    at
}

struct Doc {
    uri: String,
    text: String,
    version: i64,
}

/// What the client saw: the last diagnostics count per URI, and requests answered.
#[derive(Default)]
struct Seen {
    last: HashMap<String, usize>,
    publishes: usize,
    content_modified: usize,
}

impl Seen {
    fn take(&mut self, messages: Vec<Value>) {
        for m in messages {
            if m["method"] == "textDocument/publishDiagnostics" {
                let uri = m["params"]["uri"].as_str().unwrap().to_owned();
                let n = m["params"]["diagnostics"].as_array().unwrap().len();
                self.last.insert(uri, n);
                self.publishes += 1;
            }
        }
    }
}

fn answer(client: &mut LspClient, seen: &mut Seen, id: i64, what: &str) {
    match client.response(id) {
        Ok(_) => {}
        Err(e) if e["code"] == -32801 => seen.content_modified += 1,
        Err(e) => panic!("{what} failed: {e}\n{}", client.stderr()),
    }
    // Keep the client's queue short: everything else that arrived is bookkeeping.
    let rest = client.drain(Duration::ZERO);
    seen.take(rest);
}

#[test]
#[ignore = "soak test: cargo test --release --test soak -- --ignored --nocapture"]
fn soak_thousand_documents() {
    let docs = env_or("SOAK_DOCS", 1000) as usize;
    let edits = env_or("SOAK_EDITS", 100) as usize;
    let seed = env_or("SOAK_SEED", 0);
    let seed = if seed == 0 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64
            | 1
    } else {
        seed
    };
    eprintln!("SOAK_SEED={seed} SOAK_DOCS={docs} SOAK_EDITS={edits}");
    let mut rng = Rng(seed);
    let corpus = corpus();
    let enc = Enc::Utf16;

    let mut client = LspClient::spawn(env!("CARGO_BIN_EXE_heap-audit"));
    client.timeout = Duration::from_secs(120);
    client.initialize(client_capabilities(enc, false), json!({}));
    let pid = client.pid();
    let start_rss = rss_kib(pid);
    let started = Instant::now();
    let mut seen = Seen::default();
    // Measured every `step` documents; the first measure (after 100 of 1,000) is the reference.
    let step = match env_or("SOAK_EVERY", 0) as usize {
        0 => (docs / 10 / WINDOW).max(1) * WINDOW,
        n => n.div_ceil(WINDOW) * WINDOW,
    };
    let mut reference = None;
    let mut samples = Vec::new();
    let mut next_id = 1_000_000i64;
    let mut opened = 0;
    let mut longest = 0;
    let mut uris: Vec<String> = Vec::with_capacity(docs);

    while opened < docs {
        let batch = WINDOW.min(docs - opened);
        let mut open: Vec<Doc> = (0..batch)
            .map(|k| {
                let i = opened + k;
                let (ext, language, text) = &corpus[i % corpus.len()];
                uris.push(format!("file:///soak/d{i}/doc.{ext}"));
                let doc = Doc {
                    uri: uris[i].clone(),
                    text: text.clone(),
                    version: 1,
                };
                client.did_open(&doc.uri, language, 1, &doc.text);
                doc
            })
            .collect();
        // Edits, interleaved across the open documents, without waiting.
        for _ in 0..edits {
            for doc in &mut open {
                let a = floor_boundary(&doc.text, rng.below(doc.text.len() + 1));
                let (range, new) = match rng.below(3) {
                    0 => (a..a, SNIPPETS[rng.below(SNIPPETS.len())]),
                    1 => {
                        let b = floor_boundary(&doc.text, a + rng.below(24));
                        (a.min(b)..a.max(b), "")
                    }
                    _ => {
                        let b = floor_boundary(&doc.text, a + rng.below(8));
                        (a.min(b)..a.max(b), SNIPPETS[rng.below(SNIPPETS.len())])
                    }
                };
                let lsp_range = range_json(&doc.text, range.clone(), enc);
                doc.text.replace_range(range, new);
                doc.version += 1;
                client.did_change(
                    &doc.uri,
                    doc.version,
                    json!([{"range": lsp_range, "text": new}]),
                );
                longest = longest.max(doc.text.len());
            }
            seen.take(client.drain(Duration::ZERO));
        }
        // A hover and a code action per document, on its final text.
        for doc in &open {
            let at = floor_boundary(&doc.text, rng.below(doc.text.len() + 1));
            let (line, character) = position(&doc.text, at, enc);
            next_id += 1;
            let hover = json!({"jsonrpc": "2.0", "id": next_id, "method": "textDocument/hover", "params": {
                "textDocument": {"uri": doc.uri}, "position": {"line": line, "character": character}}});
            client.send(&hover);
            answer(&mut client, &mut seen, next_id, "hover");
            let whole = range_json(&doc.text, 0..doc.text.len(), enc);
            next_id += 1;
            let action = json!({"jsonrpc": "2.0", "id": next_id, "method": "textDocument/codeAction", "params": {
                "textDocument": {"uri": doc.uri}, "range": whole, "context": {"diagnostics": []}}});
            client.send(&action);
            answer(&mut client, &mut seen, next_id, "codeAction");
        }
        if let Ok(dir) = std::env::var("SOAK_DUMP") {
            // Each document's final text, to replay one that the figures single out.
            for doc in &open {
                let name = doc
                    .uri
                    .trim_start_matches("file:///soak/")
                    .replace('/', "-");
                std::fs::write(std::path::Path::new(&dir).join(name), &doc.text).unwrap();
            }
        }
        for doc in &open {
            client.notify(
                "textDocument/didClose",
                json!({"textDocument": {"uri": doc.uri}}),
            );
        }
        opened += batch;
        if opened % step == 0 || opened == docs {
            // Let the server settle before measuring.
            seen.take(client.drain(Duration::from_millis(500)));
            let rss = rss_kib(pid);
            samples.push((opened, rss, started.elapsed()));
            if std::env::var_os("SOAK_LIVE").is_some() {
                let a = client.request("heap-audit/allocations", json!(null));
                match a {
                    Ok(v) => eprintln!(
                        "  live bytes: Rust {}, tree-sitter {}; malloc {}",
                        v["live"], v["live_c"], v["malloc"]
                    ),
                    Err(e) => eprintln!("  live bytes: {e}"),
                }
            }
            eprintln!(
                "{opened:>5} documents: VmRSS {rss} KiB (anonymous {}, file {}), {} threads, {:.1?}",
                status_field(pid, "RssAnon"),
                status_field(pid, "RssFile"),
                status_field(pid, "Threads"),
                started.elapsed()
            );
            reference.get_or_insert((opened, rss));
        }
    }
    // Everything sent has been handled once this answers; then collect the last publishes.
    next_id += 1;
    client.send(
        &json!({"jsonrpc": "2.0", "id": next_id, "method": "textDocument/hover", "params": {
        "textDocument": {"uri": "file:///soak/none.rs"}, "position": {"line": 0, "character": 0}}}),
    );
    answer(&mut client, &mut seen, next_id, "final hover");
    seen.take(client.drain(Duration::from_secs(2)));
    let end_rss = rss_kib(pid);
    let elapsed = started.elapsed();

    let (first_docs, first_rss) = reference.expect("at least one measure");
    let not_empty: Vec<_> = seen.last.iter().filter(|(_, &n)| n > 0).collect();
    let never: Vec<&String> = uris
        .iter()
        .filter(|u| !seen.last.contains_key(*u))
        .collect();
    eprintln!(
        "soak: {docs} documents x {edits} edits in {elapsed:.1?}; {} publishes; {} answers were \
         ContentModified; largest text {longest} bytes",
        seen.publishes, seen.content_modified
    );
    eprintln!(
        "VmRSS: {start_rss} KiB after initialize, {first_rss} KiB after {first_docs} documents, \
         {end_rss} KiB at the end ({:+.1}%)",
        (end_rss as f64 / first_rss as f64 - 1.0) * 100.0
    );
    assert!(never.is_empty(), "documents never published: {never:?}");
    assert!(
        not_empty.is_empty(),
        "closed documents whose last publish is not empty: {not_empty:?}"
    );
    assert!(
        end_rss as f64 <= first_rss as f64 * 1.10,
        "VmRSS grew from {first_rss} KiB ({first_docs} documents) to {end_rss} KiB: {samples:?}"
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}
