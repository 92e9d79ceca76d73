//! Allocation profiles in the editor: found per workspace folder, loaded on their own thread,
//! watched, and applied to each analysis.
//!
//! Each folder's profiles are the files its `[profile] paths` globs name (from `heap-audit.toml`
//! and the editor's `profile.paths`), else `dhat-heap.json`, `*.heapprofile` and
//! `heap-audit-tracemalloc.json` at its root (`profile::discover`). They are read and mapped onto
//! an index of the folder's files on the `heap-audit-profiles` thread, never on the async
//! runtime; readers take an `Arc` of the folder's `ProfileSet` under a brief lock.
//!
//! A sync runs at `initialized`, after every settings change, when a watched profile changes
//! (`workspace/didChangeWatchedFiles`: the globs are registered with the client when it can
//! register watchers, with relative patterns when it supports them) and, for clients that cannot
//! watch, on save. It re-discovers each folder's files and reloads a folder whose globs, files or
//! file stamps (size, modification time) changed. Created or deleted source files re-index the
//! folders that have profiles, and remap them when the index changed. After a change the
//! profile generation goes up (the analysis cache is keyed by it), open documents are
//! re-analysed, and the client is asked to refresh its inlay hints. A profile that cannot be
//! read is reported with `window/showMessage`, naming the file and what is wrong; the folder's
//! other profiles still load.

use std::fmt::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::SystemTime;

use tower_lsp_server::ls_types::{
    DidChangeWatchedFilesRegistrationOptions, FileChangeType, FileEvent, FileSystemWatcher,
    GlobPattern, MessageType, OneOf, Registration, RelativePattern, Unregistration, Uri, WatchKind,
};

use super::requests::initialize::file_path;
use super::state::{Session, Snapshot};
use crate::config::FILE_NAME;
use crate::engine::Finding;
use crate::language::Lang;
use crate::profile::{self, annotate, display, source, Granularity, ProfileSet, Workspace};

const WATCHER_ID: &str = "heap-audit/profiles";

/// What identifies one version of a file on disk.
type Stamp = Option<(SystemTime, u64)>;

fn stamp(path: &Path) -> Stamp {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// One workspace folder's profiles.
#[derive(Clone)]
struct Folder {
    root: PathBuf,
    globs: Arc<[String]>,
    /// The profile files found, with their stamps when they were read.
    files: Vec<(PathBuf, Stamp)>,
    /// The index the profiles were mapped onto (made once the folder has profiles).
    workspace: Option<Arc<Workspace>>,
    /// `None` when no profile of the folder could be read.
    set: Option<Arc<ProfileSet>>,
}

/// Work for the profile thread; requests made while it is busy merge into one.
#[derive(Default)]
struct Jobs {
    sync: bool,
    /// Source files were created or deleted: re-index the folders that have profiles.
    reindex: bool,
    /// Profile files reported changed: reload them even if their stamps look the same.
    forced: Vec<PathBuf>,
    closed: bool,
}

/// The loaded profiles of every workspace folder.
#[derive(Default)]
pub(crate) struct Profiles {
    folders: RwLock<Vec<Folder>>,
    generation: AtomicU64,
    jobs: Mutex<Jobs>,
    ready: Condvar,
    /// The watch patterns registered with the client, if any.
    registered: Mutex<Option<Vec<String>>>,
}

impl Profiles {
    /// Goes up whenever any folder's profiles change.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The profiles of the innermost folder holding `path`.
    pub fn set_for(&self, path: &Path) -> Option<Arc<ProfileSet>> {
        let folders = self.folders.read().unwrap_or_else(|e| e.into_inner());
        folders
            .iter()
            .filter(|f| path.starts_with(&f.root))
            .max_by_key(|f| f.root.as_os_str().len())
            .and_then(|f| f.set.clone())
    }

    fn request(&self, f: impl FnOnce(&mut Jobs)) {
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        if jobs.closed {
            return;
        }
        f(&mut jobs);
        drop(jobs);
        self.ready.notify_one();
    }

    /// Asks for the folders' profiles to be found again (and reloaded where they changed).
    pub fn request_sync(&self) {
        self.request(|j| j.sync = true);
    }

    /// Watched files changed: profiles (reloaded) or source files created or deleted
    /// (re-indexed). `heap-audit.toml` changes come through the settings.
    pub fn files_changed(&self, changes: &[FileEvent]) {
        let mut forced = Vec::new();
        let mut reindex = false;
        for change in changes {
            let Some(path) = file_path(&change.uri) else {
                continue;
            };
            if path.file_name().is_some_and(|n| n == FILE_NAME) {
                continue;
            }
            if Lang::from_path(&path).is_some() {
                reindex |= change.typ != FileChangeType::CHANGED;
            } else {
                forced.push(path);
            }
        }
        if reindex || !forced.is_empty() {
            self.request(|j| {
                j.sync = true;
                j.reindex |= reindex;
                j.forced.extend(forced);
            });
        }
    }

    /// Stops the profile thread.
    pub fn close(&self) {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner()).closed = true;
        self.ready.notify_all();
    }

    fn wait(&self) -> Option<Jobs> {
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if jobs.closed {
                return None;
            }
            if jobs.sync {
                return Some(std::mem::take(&mut *jobs));
            }
            jobs = self.ready.wait(jobs).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Applies the document's folder's profiles to its findings (`profile::annotate`).
    pub fn annotate(&self, snap: &Snapshot, text: &str, findings: &mut Vec<Finding>) {
        let (Some(path), Some(tree)) = (snap.path.as_deref(), snap.tree.as_ref()) else {
            return;
        };
        if snap.resolved.excludes(path) {
            return;
        }
        let Some(set) = self.set_for(path) else {
            return;
        };
        let settings = &snap.resolved.settings;
        let options = &snap.resolved.profile;
        let mut work = findings.clone();
        let run = std::panic::AssertUnwindSafe(|| {
            annotate::annotate(&set, path, text, tree, &mut work, settings, options);
        });
        // A bug here costs the profile's view of this document, not its findings.
        if std::panic::catch_unwind(run).is_ok() {
            *findings = work;
        }
    }

    /// The hover section for the line holding `byte`: what was measured there, and the sampled
    /// stacks that reach it. `None` where nothing was measured.
    pub fn hover(
        &self,
        snap: &Snapshot,
        text: &str,
        byte: usize,
    ) -> Option<(Range<usize>, String)> {
        let path = snap.path.as_deref()?;
        let set = self.set_for(path)?;
        let line = source::line_of(text, byte);
        let markdown = hover_markdown(&set, path, line)?;
        Some((source::line_range(text, line)?, markdown))
    }
}

/// The hover text for a measured line.
fn hover_markdown(set: &ProfileSet, path: &Path, line: u32) -> Option<String> {
    let m = set.line(path, line)?;
    let stale = m.stale || annotate::stale_now(set, path);
    let mut md = format!("**Measured by the profile** — {}\n\n", m.measure.describe());
    let here = match m.granularity {
        Granularity::Line => "at this line",
        Granularity::Function => "in the function positioned here",
    };
    if m.self_bytes > 0 {
        let _ = write!(md, "{} {here}", display::label(&m, false));
    } else {
        let _ = write!(md, "nothing allocated {here}");
    }
    if m.bytes > m.self_bytes {
        let _ = write!(md, "; {} through its calls", display::label(&m, true));
    }
    if stale {
        let _ = write!(md, "\n\n_{}_", annotate::STALE);
    }
    let stacks = set.line_stacks(path, line);
    if !stacks.is_empty() {
        let root = set.workspace().root();
        let unit = m.measure.blocks_unit();
        let _ = write!(
            md,
            "\n\nSampled stacks through this line (top {}):\n",
            stacks.len()
        );
        for (i, stack) in stacks.iter().enumerate() {
            let _ = write!(
                md,
                "\n{}. {} · {} {unit}\n",
                i + 1,
                display::bytes(stack.bytes),
                display::count(stack.blocks)
            );
            let mut hidden = 0usize;
            let mut shown = 0usize;
            for f in &stack.frames {
                if !f.user || shown == MAX_FRAMES {
                    hidden += 1;
                    continue;
                }
                shown += 1;
                let place = match (&f.path, &f.profile_path) {
                    (Some(p), _) => p.strip_prefix(root).unwrap_or(p).display().to_string(),
                    (None, Some(p)) => p.clone(),
                    (None, None) => "?".to_owned(),
                };
                let at = f.line.map(|l| format!(":{l}")).unwrap_or_default();
                match f.function.as_deref().filter(|n| !n.is_empty()) {
                    Some(name) => {
                        let _ = writeln!(md, "   - `{name}` {place}{at}");
                    }
                    None => {
                        let _ = writeln!(md, "   - {place}{at}");
                    }
                }
            }
            if hidden > 0 {
                let _ = writeln!(md, "   - … {hidden} more frames (library or runtime code)");
            }
        }
    }
    Some(md)
}

/// User frames shown per sampled stack in a hover.
const MAX_FRAMES: usize = 8;

/// Starts the thread that finds, loads and reloads the profiles.
pub(crate) fn spawn(session: Arc<Session>) -> std::io::Result<std::thread::JoinHandle<()>> {
    let runtime = tokio::runtime::Handle::try_current().ok();
    std::thread::Builder::new()
        .name("heap-audit-profiles".into())
        .spawn(move || {
            while let Some(jobs) = session.profiles.wait() {
                let run = std::panic::AssertUnwindSafe(|| sync(&session, &jobs));
                let outcome = match std::panic::catch_unwind(run) {
                    Ok(o) => o,
                    Err(_) => Outcome {
                        changed: false,
                        errors: vec!["heap-audit: loading the profiles failed (a bug)".to_owned()],
                    },
                };
                let Some(rt) = &runtime else { continue };
                let session = Arc::clone(&session);
                rt.spawn(async move { announce(&session, outcome).await });
            }
        })
}

struct Outcome {
    changed: bool,
    errors: Vec<String>,
}

/// Finds every folder's profiles and reloads those that changed.
fn sync(session: &Session, jobs: &Jobs) -> Outcome {
    let wanted = session
        .workspace
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .profile_globs();
    let old: Vec<Folder> = session
        .profiles
        .folders
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let mut errors = Vec::new();
    // Whether anything was reloaded, or a folder left.
    let mut changed = old
        .iter()
        .any(|o| o.set.is_some() && wanted.iter().all(|(root, _)| *root != o.root));
    let mut store = changed || old.len() != wanted.len();
    let mut folders = Vec::with_capacity(wanted.len());
    for (root, globs) in wanted {
        let prev = old.iter().find(|f| f.root == root);
        let (found, glob_errors) = profile::discover(&root, &globs);
        errors.extend(
            glob_errors
                .into_iter()
                .map(|e| format!("heap-audit: {}: {e}", root.display())),
        );
        let files: Vec<(PathBuf, Stamp)> = found.iter().map(|p| (p.clone(), stamp(p))).collect();
        let forced = jobs.forced.iter().any(|f| {
            files.iter().any(|(p, _)| p == f)
                || prev.is_some_and(|p| p.files.iter().any(|(q, _)| q == f))
        });
        let mut workspace = prev.and_then(|p| p.workspace.clone());
        let mut reindexed = false;
        if !found.is_empty() && (workspace.is_none() || jobs.reindex) {
            let fresh = Workspace::index(&root);
            if workspace.as_deref().is_none_or(|w| !same_files(w, &fresh)) {
                workspace = Some(Arc::new(fresh));
                reindexed = true;
            }
        }
        if let Some(p) = prev {
            if p.globs == globs && p.files == files && !forced && !reindexed {
                folders.push(p.clone());
                continue;
            }
        }
        store = true;
        let set = match &workspace {
            Some(ws) if !found.is_empty() => {
                let (set, load_errors) = ProfileSet::load(Arc::clone(ws), &found);
                errors.extend(load_errors.into_iter().map(|e| {
                    format!("heap-audit: cannot use the profile {e}; continuing without it")
                }));
                (!set.is_empty()).then(|| Arc::new(set))
            }
            _ => None,
        };
        // A folder that had no profiles and still has none changes nothing shown.
        changed |= set.is_some() || prev.is_some_and(|p| p.set.is_some());
        folders.push(Folder {
            root,
            globs,
            files,
            workspace,
            set,
        });
    }
    if store {
        *session
            .profiles
            .folders
            .write()
            .unwrap_or_else(|e| e.into_inner()) = folders;
    }
    if changed {
        session.profiles.generation.fetch_add(1, Ordering::AcqRel);
    }
    Outcome { changed, errors }
}

fn same_files(a: &Workspace, b: &Workspace) -> bool {
    a.len() == b.len() && (0..a.len() as u32).all(|i| a.relative(i) == b.relative(i))
}

/// Tells the client: errors, fresh diagnostics and inlay hints, and what to watch.
async fn announce(session: &Session, outcome: Outcome) {
    for message in outcome.errors {
        session
            .client
            .show_message(MessageType::ERROR, message)
            .await;
    }
    let caps = session.caps();
    if outcome.changed {
        session.reanalyse().await;
        if caps.inlay_hint_refresh {
            let client = session.client.clone();
            // Not awaited here: a client slow to answer must not hold up the rest.
            tokio::spawn(async move { client.inlay_hint_refresh().await });
        }
    }
    // Also without any profile: one appearing must be noticed.
    if caps.watch_files {
        register_watchers(session, caps.relative_patterns).await;
    }
}

/// (Re-)registers the watchers: each folder's profile globs, and source files being created or
/// deleted (they change the index profiles are mapped onto).
async fn register_watchers(session: &Session, relative: bool) {
    let folders: Vec<(PathBuf, Arc<[String]>)> = session
        .profiles
        .folders
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .map(|f| (f.root.clone(), f.globs.clone()))
        .collect();
    let mut watchers = Vec::new();
    let mut key = Vec::new();
    for (root, globs) in &folders {
        let defaults: Vec<String>;
        let globs: &[String] = if globs.is_empty() {
            defaults = profile::DEFAULT_GLOBS
                .iter()
                .map(|g| (*g).to_owned())
                .collect();
            &defaults
        } else {
            globs
        };
        let base = Uri::from_file_path(root);
        for glob in globs {
            let pattern = match (&base, relative) {
                (Some(base), true) => GlobPattern::Relative(RelativePattern {
                    base_uri: OneOf::Right(base.clone()),
                    pattern: glob.clone(),
                }),
                // Broader than the glob; events are checked against the globs here.
                _ if glob.starts_with("**/") => GlobPattern::String(glob.clone()),
                _ => GlobPattern::String(format!("**/{glob}")),
            };
            key.push(format!("{}|{glob}", root.display()));
            watchers.push(FileSystemWatcher {
                glob_pattern: pattern,
                kind: None,
            });
        }
    }
    let extensions: Vec<&str> = Lang::EXTENSIONS.iter().map(|(e, _)| *e).collect();
    watchers.push(FileSystemWatcher {
        glob_pattern: GlobPattern::String(format!("**/*.{{{}}}", extensions.join(","))),
        kind: Some(WatchKind::Create | WatchKind::Delete),
    });
    let previous = {
        let mut registered = session
            .profiles
            .registered
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if registered.as_ref() == Some(&key) {
            return;
        }
        registered.replace(key)
    };
    let method = "workspace/didChangeWatchedFiles".to_owned();
    if previous.is_some() {
        let _ = session
            .client
            .unregister_capability(vec![Unregistration {
                id: WATCHER_ID.to_owned(),
                method: method.clone(),
            }])
            .await;
    }
    let options = DidChangeWatchedFilesRegistrationOptions { watchers };
    let registration = Registration {
        id: WATCHER_ID.to_owned(),
        method,
        register_options: serde_json::to_value(options).ok(),
    };
    if let Err(e) = session.client.register_capability(vec![registration]).await {
        session
            .client
            .log_message(
                MessageType::WARNING,
                format!("heap-audit: cannot watch the profiles: {e}"),
            )
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::dhat;

    const DHAT: &str = r#"{"dhatFileVersion":2,"mode":"rust-heap","pps":[
        {"tb":8000,"tbk":4,"fs":[1,2,4]},
        {"tb":2000,"tbk":1,"fs":[1,3,4]}],
      "ftbl":["[root]","0x1: alloc::alloc::alloc (alloc/src/alloc.rs:1:1)",
        "0x2: app::hot (src/main.rs:2:13)","0x3: app::site (src/main.rs:6:5)",
        "0x4: app::main (src/main.rs:12:5)"]}"#;

    #[test]
    fn hover_shows_the_figures_and_the_sampled_stacks() {
        let ws = Workspace::from_files(Path::new("/w"), [PathBuf::from("src/main.rs")]);
        let mut set = ProfileSet::new(Arc::new(ws));
        set.add(dhat::read(Path::new("dhat-heap.json"), DHAT.as_bytes()).unwrap());
        let main = Path::new("/w/src/main.rs");
        let md = hover_markdown(&set, main, 2).unwrap();
        assert!(
            md.starts_with("**Measured by the profile** — bytes allocated over the whole run\n\n8.0 kB · 4 allocs · 80% at this line"),
            "{md}"
        );
        assert!(
            md.contains("Sampled stacks through this line (top 1):"),
            "{md}"
        );
        assert!(md.contains("1. 8.0 kB · 4 allocs\n   - `app::hot` src/main.rs:2\n   - `app::main` src/main.rs:12\n   - … 1 more frames"), "{md}");
        // The call line in main: nothing allocated there, everything through its calls.
        let md = hover_markdown(&set, main, 12).unwrap();
        assert!(
            md.contains(
                "nothing allocated at this line; 10.0 kB · 5 allocs · 100% through its calls"
            ),
            "{md}"
        );
        assert!(md.contains("(top 2)"), "{md}");
        assert_eq!(hover_markdown(&set, main, 3), None);
    }

    #[test]
    fn watched_events_are_sorted_into_jobs() {
        let profiles = Profiles::default();
        let event = |path: &str, typ| FileEvent {
            uri: Uri::from_file_path(path).unwrap(),
            typ,
        };
        profiles.files_changed(&[
            event("/w/heap-audit.toml", FileChangeType::CHANGED),
            event("/w/src/a.rs", FileChangeType::CHANGED),
        ]);
        assert!(
            !profiles.jobs.lock().unwrap().sync,
            "nothing for the profiles"
        );
        profiles.files_changed(&[event("/w/src/b.rs", FileChangeType::CREATED)]);
        profiles.files_changed(&[event("/w/dhat-heap.json", FileChangeType::CHANGED)]);
        let jobs = profiles.wait().unwrap();
        assert!(jobs.sync && jobs.reindex);
        assert_eq!(jobs.forced, [PathBuf::from("/w/dhat-heap.json")]);
        profiles.close();
        profiles.request_sync();
        assert!(profiles.wait().is_none());
    }
}
