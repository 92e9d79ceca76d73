//! The server's state: open documents, what the client can do, settings, and the analysis cache.
//!
//! Locks here are brief and synchronous: a document's entry in the map is held only to edit it
//! or to take a snapshot (an O(1) rope clone and tree clone). Nothing holds a lock or a
//! tree-sitter object across an `.await`.

use std::cell::RefCell;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use dashmap::DashMap;
use ropey::Rope;
use tokio::sync::mpsc;
use tower_lsp_server::ls_types::{ClientCapabilities, Diagnostic, MessageType, Uri};
use tower_lsp_server::Client;
use tree_sitter::Tree;

use super::encoding::Encoding;
use super::health::RulesOff;
use super::profiles::Profiles;
use super::settings::{Resolved, Workspace};
use super::worker::{Lane, Queue};
use crate::document::Document;
use crate::engine::Finding;
use crate::language::Lang;

/// What the client declared that changes how we talk to it. Fixed at `initialize`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Caps {
    pub encoding: Encoding,
    /// `textDocument.diagnostic`: the client pulls diagnostics; we never push them.
    pub pull_diagnostics: bool,
    /// `workspace.diagnostics.refreshSupport`.
    pub diagnostic_refresh: bool,
    /// `workspace.workspaceEdit.documentChanges`: edits can carry the document version.
    pub document_changes: bool,
    /// `workspace.configuration`: we can ask for our settings section.
    pub configuration: bool,
    /// `workspace.didChangeWatchedFiles.dynamicRegistration`.
    pub watch_files: bool,
    /// `workspace.didChangeWatchedFiles.relativePatternSupport`.
    pub relative_patterns: bool,
    /// `workspace.inlayHint.refreshSupport`.
    pub inlay_hint_refresh: bool,
}

impl Caps {
    pub fn from_client(caps: &ClientCapabilities) -> Self {
        let ws = caps.workspace.as_ref();
        Self {
            encoding: Encoding::negotiate(caps),
            pull_diagnostics: caps
                .text_document
                .as_ref()
                .is_some_and(|t| t.diagnostic.is_some()),
            diagnostic_refresh: ws
                .and_then(|w| w.diagnostics.as_ref())
                .and_then(|d| d.refresh_support)
                == Some(true),
            document_changes: ws
                .and_then(|w| w.workspace_edit.as_ref())
                .and_then(|e| e.document_changes)
                == Some(true),
            configuration: ws.and_then(|w| w.configuration) == Some(true),
            watch_files: ws
                .and_then(|w| w.did_change_watched_files.as_ref())
                .and_then(|d| d.dynamic_registration)
                == Some(true),
            relative_patterns: ws
                .and_then(|w| w.did_change_watched_files.as_ref())
                .and_then(|d| d.relative_pattern_support)
                == Some(true),
            inlay_hint_refresh: ws
                .and_then(|w| w.inlay_hint.as_ref())
                .and_then(|i| i.refresh_support)
                == Some(true),
        }
    }
}

/// The findings of one version of a document under one settings generation.
#[derive(Debug)]
pub(crate) struct Analysis {
    pub version: i32,
    pub settings_gen: u64,
    pub findings: Vec<Finding>,
}

/// An open document.
pub(crate) struct DocState {
    pub doc: Document,
    /// The LSP version of the text in `doc`.
    pub version: i32,
    /// Which opening of this URI this is: versions restart when a document is reopened.
    pub open_seq: u64,
    pub path: Option<Arc<Path>>,
    /// The cached analysis (of `version`, or of an older one until the next analysis lands).
    pub analysis: Option<Arc<Analysis>>,
    /// The version of the last published diagnostics.
    pub last_published: Option<i32>,
    /// Rules switched off for this document (panicked, or out of time on a large text).
    pub rules_off: RulesOff,
}

/// A consistent copy of a document's state, taken under a brief lock, to work on anywhere.
pub(crate) struct Snapshot {
    pub uri: Uri,
    pub lang: Lang,
    pub rope: Rope,
    pub tree: Option<Tree>,
    pub version: i32,
    pub open_seq: u64,
    pub path: Option<Arc<Path>>,
    pub resolved: Resolved,
    /// The generation of the settings and of the loaded profiles (their sum: both only grow).
    pub settings_gen: u64,
    /// The cached analysis, if it is for this version and settings generation.
    pub cached: Option<Arc<Analysis>>,
    /// The number of the document's last edit (see `Document::edit_seq`).
    pub edit_seq: u64,
    pub rules_off: RulesOff,
}

/// What the publisher task sends, in order.
pub(crate) enum Publish {
    /// Findings of one version: published only if that is still the document's version.
    Findings {
        uri: Uri,
        open_seq: u64,
        version: i32,
        diagnostics: Vec<Diagnostic>,
    },
    /// Clears a closed document's diagnostics.
    Clear { uri: Uri },
    /// A whole `publishDiagnostics` frame of one version, for the raw output: published only if
    /// that is still the document's version.
    Frame {
        uri: Uri,
        open_seq: u64,
        version: i32,
        frame: Vec<u8>,
    },
    /// Diagnostics for a file that is not an open document (a broken `heap-audit.toml`).
    File {
        uri: Uri,
        diagnostics: Vec<Diagnostic>,
    },
}

/// The body of an unversioned `publishDiagnostics` (a closed document's empty list, or a file
/// that is not open).
fn publish_body(uri: &Uri, diagnostics: &[Diagnostic]) -> String {
    serde_json::json!({
        "jsonrpc": "2.0",
        "method": "textDocument/publishDiagnostics",
        "params": {"uri": uri, "diagnostics": diagnostics},
    })
    .to_string()
}

/// The version gate: findings computed for `candidate` may be published only if the document is
/// still the same opening at that same version, and nothing newer was published before.
pub(crate) fn may_publish(doc: &DocState, open_seq: u64, candidate: i32) -> bool {
    doc.open_seq == open_seq
        && doc.version == candidate
        && doc.last_published.is_none_or(|p| candidate >= p)
}

pub(crate) struct Session {
    pub client: Client,
    pub docs: DashMap<Uri, DocState>,
    caps: OnceLock<Caps>,
    pub workspace: RwLock<Workspace>,
    shutdown: AtomicBool,
    open_seq: AtomicU64,
    pub queue: Queue,
    /// Allocation profiles per workspace folder, loaded on their own thread.
    pub profiles: Profiles,
    publish: mpsc::UnboundedSender<Publish>,
    /// Error messages found during `initialize`, shown once the client is `initialized`.
    pub startup_errors: Mutex<Vec<String>>,
    /// The runtime the session was created on, for messages sent from the analysis thread.
    runtime: Option<tokio::runtime::Handle>,
    /// Whole frames for the output writer: `publishDiagnostics` is written by hand into it (no
    /// `Diagnostic` values per finding). Unset outside `serve`; then tower-lsp's client sends.
    raw: OnceLock<mpsc::UnboundedSender<Vec<u8>>>,
    /// The buffers of written frames, for the next ones.
    pub frames: Arc<super::transport::FramePool>,
}

thread_local! {
    /// The text of a snapshot, copied out of the rope into a buffer reused across analyses.
    static TEXT: RefCell<String> = const { RefCell::new(String::new()) };
    /// Whether this thread keeps [`TEXT`] at the size of the largest document it saw (see
    /// [`keep_text_buffer`]).
    static KEEP_TEXT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// What a thread that did not call [`keep_text_buffer`] keeps of its text buffer.
const TEXT_KEEP_SMALL: usize = 16 << 10;

/// Lets the calling thread keep its text buffer at the size of the largest document it copied
/// (up to 16 MB): the analysis threads, which copy a document on every edit. Other threads
/// (hovers, code actions and pulled diagnostics on the blocking pool) keep at most 16 KB, so
/// the pool's threads do not each hold a copy-sized buffer for good once a large document
/// passed through them.
pub(crate) fn keep_text_buffer() {
    KEEP_TEXT.with(|k| k.set(true));
}

/// Runs `f` on the rope's text, copied into this thread's reused buffer. `f` must not call
/// `with_text` itself.
pub(crate) fn with_text<R>(rope: &Rope, f: impl FnOnce(&str) -> R) -> R {
    TEXT.with(|cell| {
        let mut buf = cell.borrow_mut();
        buf.clear();
        buf.reserve(rope.len_bytes());
        for chunk in rope.chunks() {
            buf.push_str(chunk);
        }
        let out = f(&buf);
        // Do not keep a huge buffer alive after a huge document.
        let keep = if KEEP_TEXT.with(|k| k.get()) {
            16 << 20
        } else {
            TEXT_KEEP_SMALL
        };
        if buf.capacity() > keep {
            *buf = String::new();
        }
        out
    })
}

impl Session {
    pub fn new(client: Client, publish: mpsc::UnboundedSender<Publish>) -> Self {
        Self {
            client,
            docs: DashMap::new(),
            caps: OnceLock::new(),
            workspace: RwLock::new(Workspace::new(Default::default(), Vec::new())),
            shutdown: AtomicBool::new(false),
            open_seq: AtomicU64::new(0),
            queue: Queue::default(),
            profiles: Profiles::default(),
            publish,
            startup_errors: Mutex::new(Vec::new()),
            runtime: tokio::runtime::Handle::try_current().ok(),
            raw: OnceLock::new(),
            frames: Arc::default(),
        }
    }

    /// Where whole frames go to the output writer (see `raw`).
    pub fn set_raw_output(&self, tx: mpsc::UnboundedSender<Vec<u8>>) {
        let _ = self.raw.set(tx);
    }

    pub fn raw_output(&self) -> Option<&mpsc::UnboundedSender<Vec<u8>>> {
        self.raw.get()
    }

    /// The client's capabilities (defaults before `initialize`).
    pub fn caps(&self) -> Caps {
        self.caps.get().copied().unwrap_or_default()
    }

    pub fn set_caps(&self, caps: Caps) {
        let _ = self.caps.set(caps);
    }

    pub fn encoding(&self) -> Encoding {
        self.caps().encoding
    }

    pub fn next_open_seq(&self) -> u64 {
        self.open_seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub fn set_shutdown(&self) {
        self.shutdown.store(true, Ordering::SeqCst);
    }

    pub fn is_shut_down(&self) -> bool {
        self.shutdown.load(Ordering::SeqCst)
    }

    /// Publishes. With the raw output (the server's own framing layer), right here: the version
    /// gate and the frame's hand-over to the output writer happen in the caller's thread, in the
    /// order of the calls, with no hop through the publisher task (the analysis thread's
    /// diagnostics reach the writer one thread switch sooner). Otherwise through the publisher
    /// task, which awaits tower-lsp's client in the same order.
    pub fn send(&self, message: Publish) {
        let Some(raw) = self.raw_output() else {
            let _ = self.publish.send(message);
            return;
        };
        match message {
            Publish::Frame {
                uri,
                open_seq,
                version,
                frame,
            } => {
                if self.pass_gate(&uri, open_seq, version) {
                    let _ = raw.send(frame);
                }
            }
            Publish::Clear { uri } => {
                let _ = raw.send(self.frames.frame(&publish_body(&uri, &[])));
            }
            Publish::File { uri, diagnostics } => {
                let _ = raw.send(self.frames.frame(&publish_body(&uri, &diagnostics)));
            }
            findings @ Publish::Findings { .. } => {
                let _ = self.publish.send(findings);
            }
        }
    }

    /// The version gate, checked and recorded under the document's lock right before sending:
    /// whether diagnostics of `version` (of the opening `open_seq`) may be published now.
    pub(crate) fn pass_gate(&self, uri: &Uri, open_seq: u64, version: i32) -> bool {
        match self.docs.get_mut(uri) {
            Some(mut d) if may_publish(&d, open_seq, version) => {
                d.last_published = Some(version);
                true
            }
            _ => false,
        }
    }

    /// The current version of an open document.
    pub fn version_of(&self, uri: &Uri) -> Option<(u64, i32)> {
        self.docs.get(uri).map(|d| (d.open_seq, d.version))
    }

    /// Takes a snapshot of an open document: brief locks, O(1) copies.
    pub fn snapshot(&self, uri: &Uri) -> Option<Snapshot> {
        self.snapshot_since(uri, None, &mut Vec::new())
            .map(|(s, _)| s)
    }

    /// A snapshot, and with `since = Some((open_seq, n))` also whether `edits` now holds every
    /// edit after edit number `n` of that opening, up to the snapshot's text (under the same
    /// lock, so they match its tree). For incremental analysis.
    pub fn snapshot_since(
        &self,
        uri: &Uri,
        since: Option<(u64, u64)>,
        edits: &mut Vec<tree_sitter::InputEdit>,
    ) -> Option<(Snapshot, bool)> {
        let (lang, rope, tree, version, open_seq, path, analysis, rules_off, edit_seq, complete) = {
            let d = self.docs.get(uri)?;
            let complete = match since {
                Some((seq, n)) if seq == d.open_seq => d.doc.edits_since_into(n, edits),
                _ => false,
            };
            (
                d.doc.lang(),
                d.doc.rope().clone(),
                d.doc.tree().cloned(),
                d.version,
                d.open_seq,
                d.path.clone(),
                d.analysis.clone(),
                d.rules_off.clone(),
                d.doc.edit_seq(),
                complete,
            )
        };
        let (resolved, settings_gen) = self
            .workspace
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .resolve(path.as_deref());
        let settings_gen = settings_gen + self.profiles.generation();
        let cached = analysis.filter(|a| a.version == version && a.settings_gen == settings_gen);
        let snap = Snapshot {
            uri: uri.clone(),
            lang,
            rope,
            tree,
            version,
            open_seq,
            path,
            resolved,
            settings_gen,
            cached,
            rules_off,
            edit_seq,
        };
        Some((snap, complete))
    }

    /// The analysis of a snapshot: the cached one, or a fresh one (stored in the cache if the
    /// document has not moved on). Synchronous and CPU-bound: call it off the async runtime.
    pub fn analysis(&self, snap: &Snapshot) -> Arc<Analysis> {
        self.analysis_with(snap, |text| self.run_rules(snap, text))
    }

    /// [`Session::analysis`] with the engine run by `run` on the snapshot's text (the analysis
    /// thread's incremental analysis).
    pub fn analysis_with(
        &self,
        snap: &Snapshot,
        run: impl FnOnce(&str) -> Vec<Finding>,
    ) -> Arc<Analysis> {
        if let Some(a) = &snap.cached {
            return a.clone();
        }
        let findings = with_text(&snap.rope, |text| {
            let mut findings = run(text);
            self.profiles.annotate(snap, text, &mut findings);
            findings
        });
        let analysis = Arc::new(Analysis {
            version: snap.version,
            settings_gen: snap.settings_gen,
            findings,
        });
        if let Some(mut d) = self.docs.get_mut(&snap.uri) {
            let newer_cached = d
                .analysis
                .as_ref()
                .is_some_and(|a| a.version == snap.version && a.settings_gen > snap.settings_gen);
            if d.open_seq == snap.open_seq && d.version == snap.version && !newer_cached {
                d.analysis = Some(analysis.clone());
            }
        }
        analysis
    }

    /// Runs the engine on a snapshot's text, without the rules switched off for the document and
    /// with a time budget per rule if the text is over `maxFileSize`. A rule that panics or runs
    /// out of time is switched off for the document (see `health`); the others' findings stand.
    pub fn run_rules(&self, snap: &Snapshot, text: &str) -> Vec<Finding> {
        self.run_rules_with(snap, text, |tree, settings, limits| {
            crate::engine::analyze_full(snap.lang, text, tree, settings, limits)
        })
    }

    /// [`Session::run_rules`] with the engine call given (the analysis thread's incremental
    /// analysis): the same exclusions, limits, failure reports and panic guard.
    pub fn run_rules_with(
        &self,
        snap: &Snapshot,
        text: &str,
        engine: impl FnOnce(
            &Tree,
            &crate::engine::Settings,
            &crate::engine::Limits,
        ) -> crate::engine::Analysis,
    ) -> Vec<Finding> {
        let Some(tree) = &snap.tree else {
            return Vec::new();
        };
        if snap
            .path
            .as_deref()
            .is_some_and(|p| snap.resolved.excludes(p))
        {
            return Vec::new();
        }
        let settings = &snap.resolved.settings;
        let limits = snap.rules_off.limits(text.len(), settings.max_file_size);
        match std::panic::catch_unwind(AssertUnwindSafe(|| engine(tree, settings, &limits))) {
            Ok(analysis) => {
                if !analysis.failures.is_empty() {
                    self.rules_failed(snap, text.len(), &analysis.failures);
                }
                analysis.findings
            }
            Err(_) => {
                self.log_later(
                    MessageType::ERROR,
                    format!(
                        "heap-audit: analysis of {} failed (an internal error outside the \
                         rules; a heap-audit bug: please report it)",
                        snap.uri.as_str()
                    ),
                );
                Vec::new()
            }
        }
    }

    /// Sends a log message from synchronous code, e.g. the analysis thread (fire and forget).
    pub fn log_later(&self, typ: MessageType, message: String) {
        let client = self.client.clone();
        match &self.runtime {
            Some(rt) => drop(rt.spawn(async move { client.log_message(typ, message).await })),
            None => eprintln!("{message}"),
        }
    }

    /// Queues a document for the analysis worker (push mode only; pulls compute on demand).
    /// Large documents go to their own lane, so they never hold up the others.
    pub fn schedule(&self, uri: &Uri) {
        if !self.caps().pull_diagnostics {
            let len = self.docs.get(uri).map_or(0, |d| d.doc.len_bytes());
            self.queue.push_to(uri, Lane::for_len(len));
        }
    }

    /// After a document was closed (push mode): queues its URI in both lanes, so the analysis
    /// threads find it gone and drop their incremental state for it (a tree and the findings of
    /// every item); otherwise each closed document's state would stay for the server's lifetime.
    pub fn forget(&self, uri: &Uri) {
        if !self.caps().pull_diagnostics {
            self.queue.push_to(uri, Lane::Normal);
            self.queue.push_to(uri, Lane::Large);
        }
    }

    /// After a settings change: looks for the profiles again (their globs may have changed) and
    /// re-analyses every open document.
    pub async fn settings_changed(&self) {
        self.profiles.request_sync();
        self.reanalyse().await;
    }

    /// Re-analyses every open document: re-publishes (push mode) or asks the client to pull
    /// again (pull mode).
    pub async fn reanalyse(&self) {
        let caps = self.caps();
        if caps.pull_diagnostics {
            if caps.diagnostic_refresh {
                let client = self.client.clone();
                // Not awaited here: a client that never answers must not hold up this handler.
                tokio::spawn(async move { client.workspace_diagnostic_refresh().await });
            }
        } else {
            let uris: Vec<Uri> = self.docs.iter().map(|d| d.key().clone()).collect();
            for uri in &uris {
                self.schedule(uri);
            }
        }
    }
}

/// Runs `f` (CPU-heavy, synchronous) on the current runtime thread, telling a multi-threaded
/// runtime to move its other tasks elsewhere meanwhile. Used for parsing large documents in the
/// handlers that must apply edits in order.
pub(crate) fn heavy<R>(bytes: usize, f: impl FnOnce() -> R) -> R {
    const LARGE: usize = 1024 * 1024;
    let multi = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if bytes >= LARGE && multi {
        tokio::task::block_in_place(f)
    } else {
        f()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(open_seq: u64, version: i32, last_published: Option<i32>) -> DocState {
        DocState {
            doc: Document::new(Lang::Python, "x = 1\n"),
            version,
            open_seq,
            path: None,
            analysis: None,
            last_published,
            rules_off: RulesOff::default(),
        }
    }

    #[test]
    fn version_gate_never_publishes_older_over_newer() {
        // Current version, nothing published yet.
        assert!(may_publish(&doc(1, 5, None), 1, 5));
        // A stale analysis of an older version.
        assert!(!may_publish(&doc(1, 5, None), 1, 4));
        // A version newer than the document (cannot happen, but must not publish).
        assert!(!may_publish(&doc(1, 5, None), 1, 6));
        // Re-publishing the current version (new settings) is fine.
        assert!(may_publish(&doc(1, 5, Some(5)), 1, 5));
        // Something newer was already published: never go back.
        assert!(!may_publish(&doc(1, 5, Some(6)), 1, 5));
        // The document was closed and reopened: versions restart, old results are void.
        assert!(!may_publish(&doc(2, 1, None), 1, 1));
    }

    #[test]
    fn caps_follow_the_client() {
        let caps: ClientCapabilities = serde_json::from_value(serde_json::json!({
            "general": {"positionEncodings": ["utf-8", "utf-16"]},
            "textDocument": {"diagnostic": {"dynamicRegistration": false}},
            "workspace": {
                "workspaceEdit": {"documentChanges": true},
                "configuration": true,
                "didChangeWatchedFiles": {"dynamicRegistration": true},
                "diagnostics": {"refreshSupport": true}
            }
        }))
        .unwrap();
        let c = Caps::from_client(&caps);
        assert_eq!(
            c,
            Caps {
                encoding: Encoding::Utf8,
                pull_diagnostics: true,
                diagnostic_refresh: true,
                document_changes: true,
                configuration: true,
                watch_files: true,
                relative_patterns: false,
                inlay_hint_refresh: false,
            }
        );
        assert_eq!(
            Caps::from_client(&ClientCapabilities::default()),
            Caps::default()
        );
    }

    #[test]
    fn text_buffer_is_reused_and_matches_the_rope() {
        let rope = Rope::from_str("a😀\r\nb");
        assert_eq!(with_text(&rope, str::to_owned), "a😀\r\nb");
        let cap = TEXT.with(|c| c.borrow().capacity());
        assert_eq!(with_text(&Rope::from_str("xy"), str::len), 2);
        assert_eq!(
            TEXT.with(|c| c.borrow().capacity()),
            cap,
            "no new allocation for a smaller text"
        );
    }

    #[test]
    fn only_analysis_threads_keep_a_large_text_buffer() {
        let large = Rope::from_str(&"x".repeat(4 * TEXT_KEEP_SMALL));
        let capacity_after = |keep: bool| {
            let large = large.clone();
            std::thread::spawn(move || {
                if keep {
                    keep_text_buffer();
                }
                assert_eq!(with_text(&large, str::len), 4 * TEXT_KEEP_SMALL);
                TEXT.with(|c| c.borrow().capacity())
            })
            .join()
            .unwrap()
        };
        assert!(capacity_after(true) >= 4 * TEXT_KEEP_SMALL);
        assert_eq!(capacity_after(false), 0);
    }
}
