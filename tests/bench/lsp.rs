//! LSP benchmarks through the real binary over stdio (`tests/bench/run.sh` runs them):
//!
//! - `latency LANG LINES [--server CMD ARGS…]`: edit-to-diagnostics latency, p50/p99, over 200
//!   single-character edits, each waiting for the diagnostics of its own version (figure b; with
//!   `--server ruff server`, figure e).
//! - `rss COUNT LINES`: peak RSS of the server with COUNT open documents of LINES lines (c).
//! - `allocs LANG LINES --server BIN`: the server's own allocations per edit, read through the
//!   `heap-audit/allocations` request of a binary built with `--features count-allocs` (d).
//! - `gen LANG LINES FILE`: writes the generated document, e.g. for a peer.
//!
//! Documents are realistic code: top-level items of the registry corpora
//! (`tests/bench/corpora/`, see `run.sh corpora`), in file order, with items of the rule fixtures'
//! firing halves mixed in so that there is about one finding per 50 lines. Output: one JSON
//! object per line on stdout.

#[path = "../support/lsp_client.rs"]
mod lsp_client;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use heap_audit::document::{parse_str, DEFAULT_PARSE_BUDGET};
use heap_audit::engine::{analyze_str, Settings};
use heap_audit::language::Lang;
use lsp_client::{client_capabilities, range_json, Enc, LspClient};
use serde_json::json;

const EDITS: usize = 200;
/// One finding per this many lines.
const DENSITY: usize = 50;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

struct Spec {
    lang: Lang,
    corpus: &'static str,
    exts: &'static [&'static str],
    fixtures: &'static str,
    language_id: &'static str,
    file_ext: &'static str,
}

fn spec(name: &str) -> Spec {
    match name {
        "python" => Spec {
            lang: Lang::Python,
            corpus: "python",
            exts: &["py"],
            fixtures: "python",
            language_id: "python",
            file_ext: "py",
        },
        "ts" => Spec {
            lang: Lang::TypeScript,
            corpus: "ts",
            exts: &["ts"],
            fixtures: "js",
            language_id: "typescript",
            file_ext: "ts",
        },
        "js" => Spec {
            lang: Lang::JavaScript,
            corpus: "js",
            exts: &["js"],
            fixtures: "js",
            language_id: "javascript",
            file_ext: "js",
        },
        "rust" => Spec {
            lang: Lang::Rust,
            corpus: "rust",
            exts: &["rs"],
            fixtures: "rust",
            language_id: "rust",
            file_ext: "rs",
        },
        other => panic!("unknown language {other}: python, ts, js or rust"),
    }
}

fn files_under(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_under(&p, exts, out);
        } else if p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| exts.contains(&e))
            && !p.to_string_lossy().ends_with(".d.ts")
        {
            out.push(p);
        }
    }
}

/// Top-level items of `src` without syntax errors, as text. For JavaScript bundles (one huge
/// wrapper) the function declarations at any depth are the items.
fn items(lang: Lang, src: &str, out: &mut Vec<String>) {
    let Some(tree) = parse_str(lang, src, DEFAULT_PARSE_BUDGET) else {
        return;
    };
    let root = tree.root_node();
    let mut keep = |n: tree_sitter::Node| {
        let text = &src[n.byte_range()];
        let bad_inner = text.starts_with("#!") || text.starts_with("//!");
        if !n.has_error() && !bad_inner && text.lines().count() <= 400 && !text.is_empty() {
            out.push(text.to_owned());
        }
    };
    if lang == Lang::JavaScript {
        let mut stack = vec![root];
        while let Some(n) = stack.pop() {
            if n.kind() == "function_declaration" {
                keep(n);
                continue;
            }
            let mut c = n.walk();
            let children: Vec<_> = n.named_children(&mut c).collect();
            stack.extend(children.into_iter().rev());
        }
    } else {
        let mut c = root.walk();
        for n in root.named_children(&mut c) {
            if lang == Lang::Rust && n.kind() == "inner_attribute_item" {
                continue;
            }
            keep(n);
        }
    }
}

fn findings_in(lang: Lang, text: &str) -> usize {
    analyze_str(lang, text, &Settings::default()).map_or(0, |f| f.len())
}

/// A realistic document of about `lines` lines with about one finding per [`DENSITY`] lines.
fn document(name: &str, lines: usize) -> String {
    let s = spec(name);
    let mut files = Vec::new();
    files_under(
        &repo().join("tests/bench/corpora").join(s.corpus),
        s.exts,
        &mut files,
    );
    assert!(
        !files.is_empty(),
        "no corpus for {name}: run `bash tests/bench/run.sh corpora` first"
    );
    let mut fixture_files = Vec::new();
    files_under(
        &repo().join("tests/fixtures").join(s.fixtures),
        &[s.file_ext],
        &mut fixture_files,
    );
    // The firing halves of the rule fixtures, item by item, those with findings.
    let mut hot: Vec<(String, usize)> = Vec::new();
    for f in &fixture_files {
        let text = std::fs::read_to_string(f).unwrap();
        let firing = text
            .find("heap-audit-fixture: must-not-fire")
            .map_or(&text[..], |i| &text[..text[..i].rfind('\n').unwrap_or(0)]);
        let mut its = Vec::new();
        items(s.lang, firing, &mut its);
        for it in its {
            let n = findings_in(s.lang, &it);
            if n > 0 {
                hot.push((it, n));
            }
        }
    }
    let mut out = String::new();
    let (mut at_lines, mut found) = (0usize, 0usize);
    let mut next_hot = 0;
    fn add(out: &mut String, text: &str, n: usize, at_lines: &mut usize, found: &mut usize) {
        out.push_str(text);
        out.push_str("\n\n");
        *at_lines += text.lines().count() + 1;
        *found += n;
    }
    'files: for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        let mut its = Vec::new();
        items(s.lang, &text, &mut its);
        for it in its {
            if at_lines >= lines {
                break 'files;
            }
            while !hot.is_empty() && found * DENSITY < at_lines {
                let (h, n) = &hot[next_hot % hot.len()];
                next_hot += 1;
                add(&mut out, h, *n, &mut at_lines, &mut found);
            }
            let n = findings_in(s.lang, &it);
            add(&mut out, &it, n, &mut at_lines, &mut found);
        }
    }
    out
}

/// 200 single-character edits: an `x` typed at the end of an identifier somewhere in the file,
/// then deleted again, at 100 spread-out places.
fn edit_places(text: &str) -> Vec<usize> {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut places = Vec::new();
    while places.len() < EDITS / 2 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let line = (seed % starts.len() as u64) as usize;
        let start = starts[line];
        let end = starts.get(line + 1).map_or(text.len(), |e| e - 1);
        let l = &text[start..end];
        // The end of the first identifier-like word of 3+ ASCII letters.
        let b = l.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i].is_ascii_alphabetic() {
                let j = i + b[i..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                    .count();
                if j - i >= 3 {
                    places.push(start + j);
                    break;
                }
                i = j;
            } else {
                i += 1;
            }
        }
    }
    places
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn server(args: &[String]) -> (LspClient, String) {
    match args.iter().position(|a| a == "--server") {
        Some(i) => {
            let mut cmd = Command::new(&args[i + 1]);
            cmd.args(&args[i + 2..]);
            let name = Path::new(&args[i + 1])
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (LspClient::spawn_command(cmd), name)
        }
        None => (
            LspClient::spawn(env!("CARGO_BIN_EXE_heap-audit")),
            "heap-audit".to_owned(),
        ),
    }
}

/// Runs the edits on an open document, calling `around` before and after each one's diagnostics.
struct Session {
    client: LspClient,
    uri: String,
    text: String,
    version: i64,
}

impl Session {
    fn open(mut client: LspClient, s: &Spec, text: String) -> Self {
        client.timeout = Duration::from_secs(120);
        let dir = std::env::temp_dir();
        let root = format!("file://{}", dir.display());
        client.initialize(
            client_capabilities(Enc::Utf16, false),
            json!({"rootUri": root, "workspaceFolders": [{"uri": root, "name": "bench"}]}),
        );
        let uri = format!("file://{}/bench-doc.{}", dir.display(), s.file_ext);
        client.did_open(&uri, s.language_id, 1, &text);
        let first = client.diagnostics(&uri, 1).len();
        eprintln!(
            "opened {uri}: {} lines, {first} findings",
            text.lines().count()
        );
        Self {
            client,
            uri,
            text,
            version: 1,
        }
    }

    /// One single-character edit; returns once the diagnostics of its version arrive.
    /// Types or deletes one character at `at`; returns the number of diagnostics of the new
    /// version and two times in ms from sending the change: to reading the last byte of the
    /// `publishDiagnostics` frame of its version (the server's latency), and to having that
    /// frame parsed into JSON values (plus the driver's own parsing). The driver's own
    /// bookkeeping (the UTF-16 position, found by scanning its copy of the text, and that copy's
    /// update) happens before the clock starts: an editor keeps line indexes for that.
    fn edit_timed(&mut self, at: usize, insert: bool) -> (usize, f64, f64) {
        let (range, new) = if insert {
            (at..at, "x")
        } else {
            (at..at + 1, "")
        };
        let change =
            json!([{"range": range_json(&self.text, range.clone(), Enc::Utf16), "text": new}]);
        self.text.replace_range(range, new);
        self.version += 1;
        let t = Instant::now();
        self.client.did_change(&self.uri, self.version, change);
        let n = self.client.diagnostics(&self.uri, self.version).len();
        let parsed = t.elapsed().as_secs_f64() * 1e3;
        let arrived = self
            .client
            .last_arrival
            .expect("the message's arrival")
            .duration_since(t);
        (n, arrived.as_secs_f64() * 1e3, parsed)
    }

    fn edit(&mut self, at: usize, insert: bool) -> usize {
        self.edit_timed(at, insert).0
    }
}

fn latency(args: &[String]) {
    let (name, lines) = (&args[0], args[1].parse::<usize>().unwrap());
    let s = spec(name);
    let text = document(name, lines);
    let (client, server_name) = server(args);
    let mut sess = Session::open(client, &s, text);
    let places = edit_places(&sess.text);
    let mut times = Vec::with_capacity(EDITS);
    let mut parsed = Vec::with_capacity(EDITS);
    let mut findings = 0;
    for &at in &places {
        for insert in [true, false] {
            let (n, ms, parsed_ms) = sess.edit_timed(at, insert);
            findings = n;
            times.push(ms);
            parsed.push(parsed_ms);
        }
    }
    times.sort_by(f64::total_cmp);
    parsed.sort_by(f64::total_cmp);
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    println!(
        "{}",
        json!({
            "bench": "latency", "server": server_name, "lang": name,
            "lines": sess.text.lines().count(), "findings": findings, "edits": times.len(),
            "p50_ms": percentile(&times, 0.5), "p99_ms": percentile(&times, 0.99),
            "mean_ms": mean, "max_ms": times[times.len() - 1],
            "parsed_p50_ms": percentile(&parsed, 0.5), "parsed_p99_ms": percentile(&parsed, 0.99),
        })
    );
    let _ = sess.client.shutdown_and_exit();
}

fn allocations(client: &mut LspClient) -> u64 {
    let r = client
        .request("heap-audit/allocations", json!(null))
        .expect("heap-audit/allocations: build the server with --features count-allocs");
    r["count"].as_u64().unwrap()
}

fn allocs(args: &[String]) {
    let (name, lines) = (&args[0], args[1].parse::<usize>().unwrap());
    let s = spec(name);
    let text = document(name, lines);
    let (client, _) = server(args);
    let mut sess = Session::open(client, &s, text);
    let places = edit_places(&sess.text);
    // What one pair of counter requests costs by itself, with nothing in between.
    let mut idle = Vec::new();
    for _ in 0..20 {
        let a = allocations(&mut sess.client);
        let b = allocations(&mut sess.client);
        idle.push(b - a);
    }
    idle.sort_unstable();
    let idle = idle[idle.len() / 2];
    let mut per_edit = Vec::with_capacity(EDITS);
    for &at in &places {
        for insert in [true, false] {
            let a = allocations(&mut sess.client);
            sess.edit(at, insert);
            let b = allocations(&mut sess.client);
            per_edit.push((b - a).saturating_sub(idle));
        }
    }
    per_edit.sort_unstable();
    let mean = per_edit.iter().sum::<u64>() as f64 / per_edit.len() as f64;
    println!(
        "{}",
        json!({
            "bench": "allocs", "lang": name, "lines": sess.text.lines().count(),
            "edits": per_edit.len(), "median": per_edit[per_edit.len() / 2], "mean": mean,
            "p90": per_edit[per_edit.len() * 9 / 10], "request_pair": idle,
        })
    );
    let _ = sess.client.shutdown_and_exit();
}

fn status_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn rss(args: &[String]) {
    let (count, lines) = (
        args[0].parse::<usize>().unwrap(),
        args[1].parse::<usize>().unwrap(),
    );
    let names = ["rust", "ts", "python", "js"];
    let docs: Vec<(Spec, String)> = names
        .iter()
        .map(|n| (spec(n), document(n, lines)))
        .collect();
    let (mut client, _) = server(args);
    client.timeout = Duration::from_secs(300);
    let dir = std::env::temp_dir();
    client.initialize(client_capabilities(Enc::Utf16, false), json!({}));
    let pid = client.pid();
    let idle_kb = status_kb(pid, "VmRSS:");
    let mut text_bytes = 0;
    let uris: Vec<String> = (0..count)
        .map(|i| {
            let (s, text) = &docs[i % docs.len()];
            let uri = format!("file://{}/bench-{i}.{}", dir.display(), s.file_ext);
            client.did_open(&uri, s.language_id, 1, text);
            text_bytes += text.len();
            uri
        })
        .collect();
    for uri in &uris {
        client.diagnostics(uri, 1);
    }
    let peak_kb = status_kb(pid, "VmHWM:");
    println!(
        "{}",
        json!({
            "bench": "rss", "documents": count, "lines_each": lines,
            "text_mb": text_bytes as f64 / 1048576.0, "idle_rss_mb": idle_kb as f64 / 1024.0,
            "peak_rss_mb": peak_kb as f64 / 1024.0,
            "peak_over_text": (peak_kb as f64 * 1024.0) / text_bytes as f64,
        })
    );
    let _ = client.shutdown_and_exit();
}

/// The same edits in-process, without LSP: the engine's share of the latency (for profiling).
fn engine(args: &[String]) {
    use heap_audit::document::Document;
    use heap_audit::engine::incremental::analyze_incremental;
    use heap_audit::engine::Limits;
    let (name, lines) = (&args[0], args[1].parse::<usize>().unwrap());
    let s = spec(name);
    let mut text = document(name, lines);
    let mut doc = Document::new(s.lang, &text);
    let settings = Settings::default();
    let mut state = None;
    let tree = doc.tree().unwrap().clone();
    analyze_incremental(
        &mut state,
        s.lang,
        &text,
        &tree,
        None,
        &settings,
        0,
        &Limits::default(),
    );
    let mut seen = doc.edit_seq();
    let (mut parse, mut rules) = (Vec::new(), Vec::new());
    let (mut walked, mut reused, mut calls, mut kept) = (0, 0, 0, 0);
    // With `--features count-allocs`: the engine's own allocations per edit (reparse excluded).
    let mut allocs: Vec<u64> = Vec::new();
    // ENGINE_ROUNDS=N repeats the edits (each pair leaves the text as it was), so that a
    // profiler sees mostly edits and not the setup.
    let rounds: usize = std::env::var("ENGINE_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1);
    let mut places = edit_places(&text);
    // ENGINE_PLACES=3,17 keeps those edit places only (indices into the 100), to profile one
    // kind of edit; ENGINE_PER_EDIT=1 prints each edit's place and, with `count-allocs`, its
    // allocations to stderr, to find them.
    if let Ok(keep) = std::env::var("ENGINE_PLACES") {
        let keep: Vec<usize> = keep
            .split(',')
            .filter_map(|i| i.trim().parse().ok())
            .collect();
        places = keep
            .iter()
            .filter_map(|&i| places.get(i).copied())
            .collect();
        assert!(!places.is_empty(), "ENGINE_PLACES names no edit place");
    }
    let per_edit = std::env::var_os("ENGINE_PER_EDIT").is_some();
    for (n, &at) in places
        .iter()
        .cycle()
        .take(places.len() * rounds)
        .enumerate()
    {
        for insert in [true, false] {
            let t = Instant::now();
            if insert {
                doc.edit(at..at, "x");
                text.insert(at, 'x');
            } else {
                doc.edit(at..at + 1, "");
                text.remove(at);
            }
            doc.reparse();
            let t1 = Instant::now();
            #[cfg(feature = "count-allocs")]
            let a0 = heap_audit::alloc_count::counts().0;
            let edits = doc.edits_since(seen);
            seen = doc.edit_seq();
            let tree = doc.tree().unwrap();
            analyze_incremental(
                &mut state,
                s.lang,
                &text,
                tree,
                edits.as_deref(),
                &settings,
                0,
                &Limits::default(),
            );
            rules.push(t1.elapsed().as_secs_f64() * 1e3);
            #[cfg(feature = "count-allocs")]
            allocs.push(heap_audit::alloc_count::counts().0 - a0);
            let st = state.as_ref().map(|s| s.stats());
            if per_edit {
                let line = text[..at].matches('\n').count() + 1;
                eprintln!(
                    "edit {} line {line} {}: {:?} allocs, {:.3} ms, {} items walked, {} checks re-run",
                    n % places.len(),
                    if insert { "insert" } else { "delete" },
                    allocs.last(),
                    rules.last().copied().unwrap_or(0.0),
                    st.map_or(0, |s| s.walked),
                    st.map_or(0, |s| s.calls_rerun),
                );
            }
            if let Some(st) = st {
                walked += st.walked;
                reused += st.reused;
                calls += st.calls_rerun;
                kept += st.calls_kept;
            }
            parse.push((t1 - t).as_secs_f64() * 1e3);
        }
    }
    parse.sort_by(f64::total_cmp);
    rules.sort_by(f64::total_cmp);
    allocs.sort_unstable();
    println!(
        "{}",
        json!({
            "bench": "engine", "lang": name, "lines": text.lines().count(),
            "parse_p50_ms": percentile(&parse, 0.5), "rules_p50_ms": percentile(&rules, 0.5),
            "rules_p99_ms": percentile(&rules, 0.99),
            "items_walked_per_edit": walked as f64 / rules.len() as f64,
            "items_reused_per_edit": reused as f64 / rules.len() as f64,
            "file_dependent_checks_rerun_per_edit": calls as f64 / rules.len() as f64,
            "part_checks_kept_per_edit": kept as f64 / rules.len() as f64,
            "engine_allocs_median": allocs.get(allocs.len() / 2),
        })
    );
}

fn main() {
    // `cargo bench` passes `--bench`; the rest are ours.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let Some((cmd, rest)) = args.split_first() else {
        eprintln!("usage: lsp latency|allocs LANG LINES [--server CMD…] | rss COUNT LINES | gen LANG LINES FILE");
        std::process::exit(2);
    };
    match cmd.as_str() {
        "latency" => latency(rest),
        "allocs" => allocs(rest),
        "rss" => rss(rest),
        "engine" => engine(rest),
        "gen" => {
            let text = document(&rest[0], rest[1].parse().unwrap());
            let n = findings_in(spec(&rest[0]).lang, &text);
            eprintln!("{} lines, {n} findings", text.lines().count());
            std::fs::write(&rest[2], text).unwrap();
        }
        other => panic!("unknown benchmark {other}"),
    }
}
