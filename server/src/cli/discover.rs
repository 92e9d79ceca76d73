//! Which files `check` looks at, and the configuration that governs each.
//!
//! Folders are walked in parallel with the `ignore` crate, as ripgrep walks them: `.gitignore`,
//! `.ignore` and git's exclude files are honoured (in a git repository or not), hidden files and
//! folders are skipped, symlinks are not followed, and a few dependency folders are never
//! entered. A file named as an argument is always checked. Each file is governed by the nearest
//! `heap-audit.toml` above it (or `--config FILE`); its `exclude` globs, relative to the config
//! file's folder, prune folders and files during the walk. Lookups are cached per folder, so a
//! config file is read and parsed once per run.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex, MutexGuard};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use ignore::{DirEntry, WalkBuilder, WalkState};

use super::progress::Progress;
use crate::config::{self, Config, ConfigError};
use crate::engine::Settings;
use crate::language::{Family, Lang};

/// Folders never walked into unless named as an argument: installed dependencies.
const ALWAYS_SKIPPED: [&str; 3] = ["node_modules", "site-packages", "__pypackages__"];

/// A file to check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// As shown to the user: the argument joined with the walked path, without a leading `./`.
    pub path: PathBuf,
    /// Absolute and lexically normalised: where configuration is looked up.
    pub abs: PathBuf,
    /// The tree being checked (a folder argument, or a file argument's folder). Fixes are never
    /// written to a file that resolves outside it.
    pub root: PathBuf,
    pub lang: Lang,
}

/// A message about one path: an error (the run exits 2) or a notice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub path: PathBuf,
    pub message: String,
    pub is_error: bool,
}

impl Problem {
    pub fn error(path: &Path, message: impl Into<String>) -> Self {
        Self {
            path: path.to_owned(),
            message: message.into(),
            is_error: true,
        }
    }
    pub fn notice(path: &Path, message: impl Into<String>) -> Self {
        Self {
            path: path.to_owned(),
            message: message.into(),
            is_error: false,
        }
    }
}

/// The path as the user should see it: without leading `./` components.
pub fn display_path(path: &Path) -> PathBuf {
    let mut p = path;
    while let Ok(rest) = p.strip_prefix(".") {
        if rest.as_os_str().is_empty() {
            break;
        }
        p = rest;
    }
    p.to_owned()
}

/// `path` made absolute against `cwd`, with `.` and `..` resolved lexically (without touching
/// the file system, so symlinks are not resolved).
pub fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    let joined;
    let full = if path.is_absolute() {
        path
    } else {
        joined = cwd.join(path);
        &joined
    };
    for c in full.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// One configuration file, ready to answer "is this excluded?".
#[derive(Debug)]
pub struct Policy {
    pub config: Config,
    /// The folder `exclude` globs are relative to.
    base: PathBuf,
    exclude: GlobSet,
    /// Globs naming a whole folder (`vendor/**`, `build/`), as the folder itself, to prune it.
    exclude_dirs: GlobSet,
}

impl Policy {
    pub fn new(config: Config, base: PathBuf) -> Self {
        let exclude = config.exclude_set();
        let mut dirs = GlobSetBuilder::new();
        for g in &config.exclude {
            let folder = g.strip_suffix("/**").or_else(|| g.strip_suffix('/'));
            if let Some(Ok(glob)) =
                folder.map(|f| GlobBuilder::new(f).literal_separator(false).build())
            {
                dirs.add(glob);
            }
        }
        let exclude_dirs = dirs.build().unwrap_or_else(|_| GlobSet::empty());
        Self {
            config,
            base,
            exclude,
            exclude_dirs,
        }
    }

    /// `abs` relative to the config's folder, with `..` for a file outside it (possible with
    /// `--config`). Both paths are absolute and lexically normalised.
    fn relative(&self, abs: &Path) -> PathBuf {
        if let Ok(rel) = abs.strip_prefix(&self.base) {
            return rel.to_owned();
        }
        let common = abs
            .components()
            .zip(self.base.components())
            .take_while(|(a, b)| a == b)
            .count();
        let mut rel: PathBuf = self
            .base
            .components()
            .skip(common)
            .map(|_| Component::ParentDir)
            .collect();
        rel.extend(abs.components().skip(common));
        rel
    }

    pub fn excludes_file(&self, abs: &Path) -> bool {
        !self.exclude.is_empty() && self.exclude.is_match(self.relative(abs))
    }

    pub fn excludes_dir(&self, abs: &Path) -> bool {
        if self.exclude.is_empty() {
            return false;
        }
        let rel = self.relative(abs);
        self.exclude.is_match(&rel) || self.exclude_dirs.is_match(&rel)
    }
}

/// Configuration per folder, discovered once and shared by the walker and analysis threads.
pub struct Configs {
    /// Configuration errors name files relative to this folder, as the user sees them.
    cwd: PathBuf,
    /// `--config FILE`: one policy for every file.
    fixed: Option<Arc<Policy>>,
    /// No configuration file: defaults, nothing excluded.
    none: Arc<Policy>,
    inner: Mutex<Cache>,
}

/// What resolved settings depend on: the config file (if any) and the Python target.
type SettingsKey = (Option<PathBuf>, Option<(u32, u32)>);

#[derive(Default)]
struct Cache {
    /// Folder → the nearest `heap-audit.toml` at or above it.
    nearest_config: HashMap<PathBuf, Option<PathBuf>>,
    /// Config file → its policy, or why it is unusable.
    policies: HashMap<PathBuf, Result<Arc<Policy>, ConfigError>>,
    /// Folder → the nearest `pyproject.toml` at or above it.
    nearest_pyproject: HashMap<PathBuf, Option<PathBuf>>,
    /// `pyproject.toml` → its `requires-python` as a target.
    pyproject_targets: HashMap<PathBuf, Option<(u32, u32)>>,
    /// (config file, Python target) → resolved engine settings.
    settings: HashMap<SettingsKey, Arc<Settings>>,
}

/// The nearest `name` in `dir` or its ancestors, memoised for every folder on the way up, so
/// each folder is looked at once per run.
fn nearest(
    memo: &mut HashMap<PathBuf, Option<PathBuf>>,
    dir: &Path,
    name: &str,
) -> Option<PathBuf> {
    let mut pending: Vec<&Path> = Vec::new();
    let mut found = None;
    for d in dir.ancestors() {
        if let Some(hit) = memo.get(d) {
            found = hit.clone();
            break;
        }
        let candidate = d.join(name);
        if candidate.is_file() {
            found = Some(candidate);
            memo.insert(d.to_owned(), found.clone());
            break;
        }
        pending.push(d);
    }
    for d in pending {
        memo.insert(d.to_owned(), found.clone());
    }
    found
}

impl Configs {
    /// `fixed`: the configuration given with `--config`, and the folder its globs are relative to.
    pub fn new(cwd: &Path, fixed: Option<(Config, PathBuf)>) -> Self {
        Self {
            cwd: cwd.to_owned(),
            fixed: fixed.map(|(c, base)| Arc::new(Policy::new(c, base))),
            none: Arc::new(Policy::new(Config::default(), PathBuf::new())),
            inner: Mutex::new(Cache::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Cache> {
        // A panic elsewhere cannot leave the cache half-updated in a harmful way.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The policy governing entries of the folder `dir` (absolute); `None` if its configuration
    /// file is broken (the error is kept for [`Configs::errors`]).
    pub fn policy(&self, dir: &Path) -> Option<Arc<Policy>> {
        if let Some(p) = &self.fixed {
            return Some(p.clone());
        }
        self.policy_in(&mut self.lock(), dir)
    }

    fn policy_in(&self, cache: &mut Cache, dir: &Path) -> Option<Arc<Policy>> {
        let Some(file) = nearest(&mut cache.nearest_config, dir, config::FILE_NAME) else {
            return Some(self.none.clone());
        };
        cache
            .policies
            .entry(file)
            .or_insert_with_key(|file| {
                let base = file.parent().unwrap_or(Path::new("/")).to_owned();
                Config::load(file)
                    .map(|c| Arc::new(Policy::new(c, base)))
                    .map_err(|mut e| {
                        if let Some(p) = &mut e.path {
                            if let Ok(rel) = p.strip_prefix(&self.cwd) {
                                *p = rel.to_owned();
                            }
                        }
                        e
                    })
            })
            .as_ref()
            .ok()
            .cloned()
    }

    /// Engine settings for the file at `abs`: its configuration, and for Python the target from
    /// the configuration or else the nearest `pyproject.toml`. `None` if the configuration is
    /// broken.
    pub fn settings(&self, abs: &Path, lang: Lang) -> Option<Arc<Settings>> {
        let dir = abs.parent().unwrap_or(abs);
        let mut cache = self.lock();
        let policy = match &self.fixed {
            Some(p) => p.clone(),
            None => self.policy_in(&mut cache, dir)?,
        };
        let target = if lang.family() == Family::Python {
            policy.config.python_target.or_else(|| {
                let pyproject = nearest(&mut cache.nearest_pyproject, dir, "pyproject.toml")?;
                *cache
                    .pyproject_targets
                    .entry(pyproject)
                    .or_insert_with_key(|p| {
                        p.parent().and_then(config::python_target_from_pyproject)
                    })
            })
        } else {
            None
        };
        let key = (policy.config.source.clone(), target);
        let settings = cache.settings.entry(key).or_insert_with(|| {
            let mut s = policy.config.to_settings();
            if let Some(t) = target {
                s.python_target = t;
            }
            Arc::new(s)
        });
        Some(settings.clone())
    }

    /// Every configuration file that failed to load, sorted by path.
    pub fn errors(&self) -> Vec<ConfigError> {
        let cache = self.lock();
        let mut errors: Vec<ConfigError> = cache
            .policies
            .values()
            .filter_map(|r| r.as_ref().err().cloned())
            .collect();
        errors.sort_by(|a, b| a.path.cmp(&b.path));
        errors
    }
}

/// The files to check, in path order and without duplicates, and the problems met on the way.
pub struct Discovery {
    pub targets: Vec<Target>,
    pub problems: Vec<Problem>,
}

/// Finds the files to check under `args` (files or folders).
pub fn discover(
    args: &[PathBuf],
    cwd: &Path,
    configs: &Configs,
    threads: usize,
    progress: &Progress,
) -> Discovery {
    let mut targets = Vec::new();
    let mut problems = Vec::new();
    for arg in args {
        let shown = display_path(arg);
        let abs = absolute(cwd, arg);
        match fs::metadata(arg) {
            Err(e) => problems.push(Problem::error(&shown, format!("cannot read: {e}"))),
            Ok(m) if m.is_dir() => walk(
                arg,
                &abs,
                configs,
                threads,
                progress,
                &mut targets,
                &mut problems,
            ),
            Ok(m) if m.is_file() => match Lang::from_path(arg) {
                Some(lang) => {
                    let root = match arg.parent() {
                        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
                        _ => PathBuf::from("."),
                    };
                    progress.found();
                    targets.push(Target {
                        path: shown,
                        abs,
                        root,
                        lang,
                    });
                }
                None => problems.push(Problem::notice(
                    &shown,
                    "not a Rust, Python, JavaScript or TypeScript file (by its extension); skipped",
                )),
            },
            Ok(_) => problems.push(Problem::notice(
                &shown,
                "not a regular file or folder; skipped",
            )),
        }
    }
    targets.sort_by(|a, b| a.path.cmp(&b.path));
    let mut seen = HashSet::with_capacity(targets.len());
    targets.retain(|t| seen.insert(t.abs.clone()));
    problems.sort_by(|a, b| a.path.cmp(&b.path));
    Discovery { targets, problems }
}

type Found = Result<Target, Problem>;

fn walk(
    arg: &Path,
    arg_abs: &Path,
    configs: &Configs,
    threads: usize,
    progress: &Progress,
    targets: &mut Vec<Target>,
    problems: &mut Vec<Problem>,
) {
    let (tx, rx) = mpsc::channel::<Found>();
    let mut builder = WalkBuilder::new(arg);
    builder
        .standard_filters(true)
        .require_git(false)
        .follow_links(false)
        .threads(threads);
    builder.build_parallel().run(|| {
        let tx = tx.clone();
        Box::new(move |entry| visit(entry, arg, arg_abs, configs, progress, &tx))
    });
    drop(tx);
    for found in rx {
        match found {
            Ok(t) => targets.push(t),
            Err(p) => problems.push(p),
        }
    }
}

fn visit(
    entry: Result<DirEntry, ignore::Error>,
    arg: &Path,
    arg_abs: &Path,
    configs: &Configs,
    progress: &Progress,
    tx: &mpsc::Sender<Found>,
) -> WalkState {
    let entry = match entry {
        Ok(e) => e,
        Err(err) => {
            let (path, message) = split_error(&err);
            let path = display_path(path.unwrap_or(arg));
            // Unreadable folders are errors; a bad line in an ignore file is worth a notice.
            let problem = if err.io_error().is_some() {
                Problem::error(&path, message)
            } else {
                Problem::notice(&path, message)
            };
            let _ = tx.send(Err(problem));
            return WalkState::Continue;
        }
    };
    if entry.depth() == 0 {
        return WalkState::Continue;
    }
    let Some(kind) = entry.file_type() else {
        return WalkState::Continue;
    };
    let path = entry.path();
    let abs = arg_abs.join(path.strip_prefix(arg).unwrap_or(path));
    let parent = abs.parent().unwrap_or(&abs);
    if kind.is_dir() {
        let name = entry.file_name().to_str().unwrap_or("");
        if ALWAYS_SKIPPED.contains(&name)
            || configs.policy(parent).is_some_and(|p| p.excludes_dir(&abs))
        {
            return WalkState::Skip;
        }
    } else if kind.is_file() {
        let Some(lang) = Lang::from_path(path) else {
            return WalkState::Continue;
        };
        if configs
            .policy(parent)
            .is_some_and(|p| p.excludes_file(&abs))
        {
            return WalkState::Continue;
        }
        progress.found();
        let target = Target {
            path: display_path(path),
            abs,
            root: arg.to_owned(),
            lang,
        };
        let _ = tx.send(Ok(target));
    }
    WalkState::Continue
}

/// The path an `ignore` error is about, and the message without it.
fn split_error(err: &ignore::Error) -> (Option<&Path>, String) {
    match err {
        ignore::Error::WithPath { path, err } => {
            let (inner, message) = split_error(err);
            (inner.or(Some(path)), message)
        }
        ignore::Error::WithDepth { err, .. } => split_error(err),
        ignore::Error::Io(e) => (None, format!("cannot read: {e}")),
        other => (None, other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalised_for_display_and_lookup() {
        assert_eq!(
            display_path(Path::new("./a/./b.rs")),
            PathBuf::from("a/./b.rs")
        );
        assert_eq!(display_path(Path::new("././x.py")), PathBuf::from("x.py"));
        assert_eq!(display_path(Path::new(".")), PathBuf::from("."));
        let cwd = Path::new("/w/p");
        assert_eq!(
            absolute(cwd, Path::new("../q/./x.rs")),
            PathBuf::from("/w/q/x.rs")
        );
        assert_eq!(
            absolute(cwd, Path::new("/abs/y.rs")),
            PathBuf::from("/abs/y.rs")
        );
    }

    #[test]
    fn exclude_globs_prune_folders_and_match_files_relative_to_the_config() {
        let cfg = Config {
            exclude: vec!["vendor/**".into(), "*.min.js".into(), "gen/".into()],
            ..Config::default()
        };
        let p = Policy::new(cfg, PathBuf::from("/proj"));
        assert!(p.excludes_dir(Path::new("/proj/vendor")));
        assert!(p.excludes_dir(Path::new("/proj/gen")));
        assert!(!p.excludes_dir(Path::new("/proj/src")));
        assert!(p.excludes_file(Path::new("/proj/vendor/a/b.rs")));
        assert!(p.excludes_file(Path::new("/proj/web/app.min.js")));
        assert!(!p.excludes_file(Path::new("/proj/web/app.js")));
        // Relative to the config's folder, not to wherever the walk started.
        assert!(!p.excludes_dir(Path::new("/proj/src/vendor")));
        // Outside that folder (with `--config`), paths climb out with `..`.
        let cfg = Config {
            exclude: vec!["../web/**".into()],
            ..Config::default()
        };
        let p = Policy::new(cfg, PathBuf::from("/proj/ci"));
        assert_eq!(
            p.relative(Path::new("/proj/web/a.js")),
            PathBuf::from("../web/a.js")
        );
        assert!(p.excludes_dir(Path::new("/proj/web")));
        assert!(p.excludes_file(Path::new("/proj/web/x/a.js")));
        assert!(!p.excludes_file(Path::new("/proj/src/a.js")));
    }

    #[test]
    fn settings_come_from_the_nearest_config_and_pyproject_once_per_folder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("app/pkg")).unwrap();
        fs::create_dir_all(root.join("lib")).unwrap();
        fs::write(
            root.join("heap-audit.toml"),
            "[rules]\n\"py/pow-half\" = \"error\"\n",
        )
        .unwrap();
        fs::write(
            root.join("app/heap-audit.toml"),
            "[rules]\n\"py/pow-half\" = \"off\"\n",
        )
        .unwrap();
        fs::write(
            root.join("app/pyproject.toml"),
            "[project]\nrequires-python = \">=3.9\"\n",
        )
        .unwrap();
        fs::write(root.join("lib/heap-audit.toml"), "[rules\n").unwrap();
        let configs = Configs::new(root, None);
        let rule = crate::rules::registry().index_of("py/pow-half").unwrap();
        let app = configs
            .settings(&root.join("app/pkg/m.py"), Lang::Python)
            .unwrap();
        assert!(!app.is_enabled(rule));
        assert_eq!(app.python_target, (3, 9));
        let top = configs
            .settings(&root.join("top.py"), Lang::Python)
            .unwrap();
        assert_eq!(
            top.level(rule),
            Some(crate::engine::Level::On(crate::engine::Severity::Error))
        );
        assert_eq!(top.python_target, Settings::default().python_target);
        // Same folder again: served from the cache, the same Arc.
        assert!(Arc::ptr_eq(
            &app,
            &configs
                .settings(&root.join("app/pkg/n.py"), Lang::Python)
                .unwrap()
        ));
        assert!(configs
            .settings(&root.join("lib/x.py"), Lang::Python)
            .is_none());
        let errors = configs.errors();
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].to_string().contains("lib/heap-audit.toml:1:"),
            "{}",
            errors[0]
        );
    }
}
