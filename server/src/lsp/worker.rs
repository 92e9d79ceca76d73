//! Analysis off the async runtime, and publishing in order.
//!
//! Handlers queue a document's URI; one dedicated thread takes URIs from the queue, snapshots the
//! document's newest version, analyses it and publishes the diagnostics through
//! `Session::send`. A URI already waiting in the queue is not queued twice, so rapid edits
//! coalesce: whatever version is current when the worker gets to it is the one analysed, and the
//! versions typed in between are never analysed at all. Every `publishDiagnostics` goes through
//! `Session::send`, which applies the version gate right before each send: behind the server's
//! own framing layer it hands the frame to the output writer at once, in the caller's thread;
//! without it, the publisher task sends through tower-lsp's client, in the same order.
//!
//! Documents of 1 MB or more wait in a lane of their own, served by a second thread: analysing a
//! huge file never holds up the diagnostics of the others.

use std::collections::{HashMap, VecDeque};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Condvar, Mutex};

use tokio::sync::mpsc;
use tower_lsp_server::ls_types::{Diagnostic, Uri};

use super::diagnostics;
use super::state::{Publish, Session, Snapshot};
use crate::engine::incremental::{analyze_incremental, Incremental};
use crate::engine::Finding;

/// Which analysis thread a document waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lane {
    Normal,
    /// Documents of [`Lane::LARGE`] bytes or more.
    Large,
}

impl Lane {
    pub const LARGE: usize = 1024 * 1024;

    pub fn for_len(len: usize) -> Lane {
        if len >= Lane::LARGE {
            Lane::Large
        } else {
            Lane::Normal
        }
    }

    fn name(self) -> &'static str {
        match self {
            Lane::Normal => "heap-audit-analysis",
            Lane::Large => "heap-audit-analysis-large",
        }
    }
}

/// URIs waiting for analysis, each at most once per lane.
#[derive(Default)]
pub(crate) struct Queue {
    inner: Mutex<QueueInner>,
    ready: Condvar,
}

#[derive(Default)]
struct QueueInner {
    uris: VecDeque<Uri>,
    large: VecDeque<Uri>,
    closed: bool,
}

impl QueueInner {
    fn lane(&mut self, lane: Lane) -> &mut VecDeque<Uri> {
        match lane {
            Lane::Normal => &mut self.uris,
            Lane::Large => &mut self.large,
        }
    }
}

impl Queue {
    /// Queues `uri` in `lane` unless it is already waiting there (then the wait covers the newer
    /// version too).
    pub fn push_to(&self, uri: &Uri, lane: Lane) {
        let mut q = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if q.closed || q.lane(lane).contains(uri) {
            return;
        }
        q.lane(lane).push_back(uri.clone());
        drop(q);
        // Two threads wait on one condition variable: wake both, the other lane's goes back.
        self.ready.notify_all();
    }

    /// The next URI of `lane`, waiting for one; `None` once the queue is closed.
    pub fn pop_from(&self, lane: Lane) -> Option<Uri> {
        let mut q = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if q.closed {
                return None;
            }
            if let Some(uri) = q.lane(lane).pop_front() {
                return Some(uri);
            }
            q = self.ready.wait(q).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Whether nothing waits in `lane`.
    pub fn is_idle(&self, lane: Lane) -> bool {
        let mut q = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        q.lane(lane).is_empty()
    }

    /// Stops the worker after its current document.
    pub fn close(&self) {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).closed = true;
        self.ready.notify_all();
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.inner.lock().unwrap().uris.len()
    }
}

/// What the reused publish buffer keeps when the lane idles after a close.
const JSON_KEEP: usize = 64 << 10;

/// Hands the allocator's free pages back to the system (glibc keeps them otherwise: one
/// document whose analysis peaked at tens of MB left the server's RSS that much higher for
/// good, in the soak test). Called when a lane idles after a document closed, so not per
/// keystroke.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; no pointer is passed.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Starts the analysis thread of a lane.
pub(crate) fn spawn(
    session: Arc<Session>,
    lane: Lane,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name(lane.name().into())
        .spawn(move || {
            super::state::keep_text_buffer();
            let mut docs = Docs::default();
            while let Some(uri) = session.queue.pop_from(lane) {
                // A bug here must cost one analysis, not the thread (rules are guarded already).
                let run = AssertUnwindSafe(|| analyse_and_publish(&session, &uri, &mut docs));
                if std::panic::catch_unwind(run).is_err() {
                    docs.states.remove(&uri);
                    let message = format!("heap-audit: analysing {} failed", uri.as_str());
                    session.log_later(tower_lsp_server::ls_types::MessageType::ERROR, message);
                }
                if docs.trim && session.queue.is_idle(lane) {
                    docs.trim = false;
                    // The publish buffer keeps the size of the largest document's diagnostics.
                    docs.json.shrink_to(JSON_KEEP);
                    session.frames.clear();
                    release_free_memory();
                }
            }
        })
}

/// The analysis thread's own incremental state per open document.
#[derive(Default)]
struct Docs {
    states: HashMap<Uri, DocIncremental>,
    /// Reused for the edits of each snapshot.
    edits: Vec<tree_sitter::InputEdit>,
    /// Reused for the JSON of each `publishDiagnostics`.
    json: String,
    /// A document closed since the allocator last gave memory back.
    trim: bool,
}

struct DocIncremental {
    open_seq: u64,
    /// The document's edit number when `state` was made.
    edit_seq: u64,
    state: Option<Incremental>,
}

fn analyse_and_publish(session: &Session, uri: &Uri, docs: &mut Docs) {
    let since = docs.states.get(uri).map(|d| (d.open_seq, d.edit_seq));
    let Some((snap, complete)) = session.snapshot_since(uri, since, &mut docs.edits) else {
        // Closed: its state goes, and the memory it held is handed back when the lane idles.
        docs.states.remove(uri);
        docs.trim = true;
        return;
    };
    let analysis = session.analysis_with(&snap, |text| {
        let entry = match docs.states.get_mut(uri) {
            Some(d) => d,
            None => docs.states.entry(uri.clone()).or_insert(DocIncremental {
                open_seq: snap.open_seq,
                edit_seq: 0,
                state: None,
            }),
        };
        if entry.open_seq != snap.open_seq {
            entry.open_seq = snap.open_seq;
            entry.state = None;
        }
        let edits = complete.then_some(docs.edits.as_slice());
        let findings = run_incremental(session, &snap, text, &mut entry.state, edits);
        entry.edit_seq = snap.edit_seq;
        findings
    });
    let caps = session.caps();
    if caps.pull_diagnostics {
        return;
    }
    if session.raw_output().is_some() {
        diagnostics::write_publish(
            &mut docs.json,
            &snap.uri,
            Some(snap.version),
            &analysis.findings,
            analysis.version,
            &snap.rope,
            caps.encoding,
        );
        session.send(Publish::Frame {
            uri: snap.uri,
            open_seq: snap.open_seq,
            version: snap.version,
            frame: session.frames.frame(&docs.json),
        });
        return;
    }
    let diagnostics = diagnostics::build(&analysis, &snap.rope, caps.encoding);
    session.send(Publish::Findings {
        uri: snap.uri,
        open_seq: snap.open_seq,
        version: snap.version,
        diagnostics,
    });
}

/// The rules on a snapshot's text, incrementally from `state` when `edits` lists every edit since
/// it was made; otherwise exactly as `Session::run_rules` (same exclusions, limits, failure
/// reports and panic guard). A state that did not take part (no tree, an excluded file, a
/// panic) is dropped, so the next analysis is a full one.
fn run_incremental(
    session: &Session,
    snap: &Snapshot,
    text: &str,
    state: &mut Option<Incremental>,
    edits: Option<&[tree_sitter::InputEdit]>,
) -> Vec<Finding> {
    let mut ran = false;
    let findings = session.run_rules_with(snap, text, |tree, settings, limits| {
        ran = true;
        analyze_incremental(
            state,
            snap.lang,
            text,
            tree,
            edits,
            settings,
            snap.settings_gen,
            limits,
        )
    });
    if !ran {
        *state = None;
    }
    findings
}

/// Sends an unversioned `publishDiagnostics` through tower-lsp's client (the raw output, when
/// there is one, never reaches the publisher task: [`Session::send`] writes there directly).
async fn publish_other(session: &Session, uri: Uri, diagnostics: Vec<Diagnostic>) {
    session
        .client
        .publish_diagnostics(uri, diagnostics, None)
        .await
}

/// The one task that sends `textDocument/publishDiagnostics` through tower-lsp's client (when
/// the server runs without its own framing layer), in the order analyses finished.
pub(crate) async fn run_publisher(session: Arc<Session>, mut rx: mpsc::UnboundedReceiver<Publish>) {
    while let Some(message) = rx.recv().await {
        match message {
            Publish::Findings {
                uri,
                open_seq,
                version,
                diagnostics,
            } => {
                if session.pass_gate(&uri, open_seq, version) {
                    session
                        .client
                        .publish_diagnostics(uri, diagnostics, Some(version))
                        .await;
                }
            }
            // Frames are made only for the raw output, which `Session::send` writes to itself.
            Publish::Frame { .. } => {}
            Publish::Clear { uri } => publish_other(&session, uri, Vec::new()).await,
            Publish::File { uri, diagnostics } => publish_other(&session, uri, diagnostics).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn queued_uris_coalesce_and_close_wakes_the_worker() {
        let q = Arc::new(Queue::default());
        let a = Uri::from_str("file:///a.rs").unwrap();
        let b = Uri::from_str("file:///b.rs").unwrap();
        for _ in 0..100 {
            q.push_to(&a, Lane::Normal);
        }
        q.push_to(&b, Lane::Normal);
        q.push_to(&a, Lane::Normal);
        assert_eq!(q.len(), 2);
        assert_eq!(q.pop_from(Lane::Normal), Some(a.clone()));
        q.push_to(&a, Lane::Normal);
        assert_eq!(q.pop_from(Lane::Normal), Some(b));
        assert_eq!(q.pop_from(Lane::Normal), Some(a));
        let waiter = {
            let q = q.clone();
            std::thread::spawn(move || q.pop_from(Lane::Normal))
        };
        std::thread::sleep(std::time::Duration::from_millis(20));
        q.close();
        assert_eq!(waiter.join().unwrap(), None);
    }

    #[test]
    fn lanes_are_served_apart() {
        let q = Arc::new(Queue::default());
        let big = Uri::from_str("file:///big.js").unwrap();
        let small = Uri::from_str("file:///small.js").unwrap();
        assert_eq!(Lane::for_len(Lane::LARGE), Lane::Large);
        assert_eq!(Lane::for_len(Lane::LARGE - 1), Lane::Normal);
        let large_waiter = {
            let q = q.clone();
            std::thread::spawn(move || q.pop_from(Lane::Large))
        };
        q.push_to(&small, Lane::Normal);
        q.push_to(&big, Lane::Large);
        q.push_to(&big, Lane::Large);
        assert_eq!(large_waiter.join().unwrap(), Some(big));
        assert_eq!(q.pop_from(Lane::Normal), Some(small));
        q.close();
        assert_eq!(q.pop_from(Lane::Large), None);
    }
}
