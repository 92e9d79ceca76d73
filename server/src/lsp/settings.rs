//! The server's configuration layers: `heap-audit.toml` at each workspace folder's root, overlaid
//! by the editor's settings (`initializationOptions`, `workspace/didChangeConfiguration`,
//! `workspace/configuration`). A document takes the settings of the innermost folder holding it.
//!
//! A layer that fails to parse keeps the last good one. Every change bumps a generation number,
//! which the analysis cache is keyed by.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use globset::GlobSet;

use crate::config::{self, Config, ConfigError};
use crate::engine::Settings;

/// Settings resolved for one document.
#[derive(Clone, Debug)]
pub(crate) struct Resolved {
    pub settings: Arc<Settings>,
    /// Fix-all also applies unsafe fixes (editor setting `unsafeFixes`).
    pub unsafe_fixes: bool,
    /// How profile data is shown (`[profile] inlay-hints`, `min-share`).
    pub profile: crate::profile::annotate::Options,
    /// `[profile] paths`: the globs that find the folder's profiles (empty: the defaults).
    pub profile_paths: Arc<[String]>,
    root: Option<Arc<Path>>,
    exclude: Arc<GlobSet>,
}

impl Resolved {
    fn new(config: &Config, root: Option<&Path>) -> Self {
        let mut config = config.clone();
        if config.python_target.is_none() {
            config.python_target = root.and_then(config::python_target_from_pyproject);
        }
        Self {
            settings: Arc::new(config.to_settings()),
            unsafe_fixes: config.unsafe_fixes.unwrap_or(false),
            profile: config.profile_options(),
            profile_paths: config.profile_paths.clone().into(),
            root: root.map(Arc::from),
            exclude: Arc::new(config.exclude_set()),
        }
    }

    /// Whether the configuration's `exclude` globs cover `path` (relative to the folder root).
    pub fn excludes(&self, path: &Path) -> bool {
        if self.exclude.is_empty() {
            return false;
        }
        let rel = self
            .root
            .as_deref()
            .and_then(|r| path.strip_prefix(r).ok())
            .unwrap_or(path);
        self.exclude.is_match(rel)
    }
}

/// What identifies one version of a file on disk.
type Stamp = Option<(SystemTime, u64)>;

fn stamp(path: &Path) -> Stamp {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

pub(crate) struct Folder {
    pub root: PathBuf,
    pub config_path: PathBuf,
    /// The last good `heap-audit.toml`; `None` when there is none.
    file: Option<Config>,
    /// Why the file on disk is not used, if it is broken.
    pub error: Option<ConfigError>,
    stamp: Stamp,
    resolved: Resolved,
}

impl Folder {
    fn new(root: PathBuf, editor: &Config) -> Self {
        let config_path = root.join(config::FILE_NAME);
        let resolved = Resolved::new(editor, Some(&root));
        let mut folder = Self {
            root,
            config_path,
            file: None,
            error: None,
            stamp: None,
            resolved,
        };
        folder.load(editor);
        folder
    }

    /// Re-reads the folder's `heap-audit.toml`. A missing file means defaults; a broken one keeps
    /// the last good layer and records the error.
    fn load(&mut self, editor: &Config) {
        self.stamp = stamp(&self.config_path);
        if self.stamp.is_none() && !self.config_path.exists() {
            self.file = None;
            self.error = None;
        } else {
            match Config::load(&self.config_path) {
                Ok(c) => {
                    self.file = Some(c);
                    self.error = None;
                }
                Err(e) => self.error = Some(e),
            }
        }
        self.resolve(editor);
    }

    fn resolve(&mut self, editor: &Config) {
        let merged = match &self.file {
            Some(file) => file.merged(editor),
            None => editor.clone(),
        };
        self.resolved = Resolved::new(&merged, Some(&self.root));
    }
}

/// All configuration the server knows.
pub(crate) struct Workspace {
    generation: u64,
    /// The last good editor settings.
    editor: Config,
    folders: Vec<Folder>,
    /// For documents outside every folder: the editor settings alone.
    outside: Resolved,
}

impl Workspace {
    pub fn new(editor: Config, roots: Vec<PathBuf>) -> Self {
        let folders = roots.into_iter().map(|r| Folder::new(r, &editor)).collect();
        let outside = Resolved::new(&editor, None);
        Self {
            generation: 0,
            editor,
            folders,
            outside,
        }
    }

    pub fn folders(&self) -> &[Folder] {
        &self.folders
    }

    /// Each folder's root and its profile globs (`[profile] paths`, file and editor settings).
    pub fn profile_globs(&self) -> Vec<(PathBuf, Arc<[String]>)> {
        self.folders
            .iter()
            .map(|f| (f.root.clone(), f.resolved.profile_paths.clone()))
            .collect()
    }

    /// The settings for a document at `path` (`None` for non-file documents), and the generation.
    pub fn resolve(&self, path: Option<&Path>) -> (Resolved, u64) {
        let folder = path.and_then(|p| {
            self.folders
                .iter()
                .filter(|f| p.starts_with(&f.root))
                .max_by_key(|f| f.root.as_os_str().len())
        });
        let resolved = folder.map_or(&self.outside, |f| &f.resolved);
        (resolved.clone(), self.generation)
    }

    /// Replaces the editor layer. Returns whether anything changed.
    pub fn set_editor(&mut self, editor: Config) -> bool {
        if editor == self.editor {
            return false;
        }
        self.editor = editor;
        for f in &mut self.folders {
            f.resolve(&self.editor);
        }
        self.outside = Resolved::new(&self.editor, None);
        self.generation += 1;
        true
    }

    /// Reloads the folder config at `path` if it is one. Returns the folder's error state after
    /// the reload (`Some(None)` when the file is fine), or `None` if `path` is no folder's config.
    pub fn reload(&mut self, path: &Path) -> Option<Option<ConfigError>> {
        let folder = self.folders.iter_mut().find(|f| f.config_path == path)?;
        folder.load(&self.editor);
        self.generation += 1;
        Some(folder.error.clone())
    }

    /// The config files whose size or modification time changed since they were read.
    pub fn changed_files(&self) -> Vec<PathBuf> {
        self.folders
            .iter()
            .filter(|f| stamp(&f.config_path) != f.stamp)
            .map(|f| f.config_path.clone())
            .collect()
    }

    pub fn add_folder(&mut self, root: PathBuf) {
        if self.folders.iter().all(|f| f.root != root) {
            self.folders.push(Folder::new(root, &self.editor));
            self.generation += 1;
        }
    }

    /// Removes a folder. Returns its config path if that had an error on display.
    pub fn remove_folder(&mut self, root: &Path) -> Option<PathBuf> {
        let i = self.folders.iter().position(|f| f.root == root)?;
        let folder = self.folders.remove(i);
        self.generation += 1;
        folder.error.map(|_| folder.config_path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Level;
    use crate::rules::registry;

    fn level(r: &Resolved, id: &str) -> Option<Level> {
        r.settings.level(registry().index_of(id).unwrap())
    }

    #[test]
    fn editor_settings_win_and_bad_files_keep_the_last_good_layer() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let file = root.join(config::FILE_NAME);
        std::fs::write(
            &file,
            "[rules]\n\"py/pow-half\" = \"error\"\n\"js/*\" = \"off\"\n",
        )
        .unwrap();
        let editor = Config::from_json(&serde_json::json!({"rules": {"js/*": "hint"}})).unwrap();
        let mut ws = Workspace::new(editor, vec![root.clone()]);
        let inside = root.join("src/a.py");
        let (r, g0) = ws.resolve(Some(&inside));
        assert_eq!(
            level(&r, "py/pow-half"),
            Some(Level::On(crate::engine::Severity::Error))
        );
        assert_eq!(
            level(&r, "js/delete-property"),
            Some(Level::On(crate::engine::Severity::Hint))
        );
        let (outside, _) = ws.resolve(Some(Path::new("/elsewhere/a.py")));
        assert_eq!(level(&outside, "py/pow-half"), None);

        std::fs::write(&file, "[rules]\n\"py/nope\" = \"off\"\n").unwrap();
        let err = ws.reload(&file).unwrap().expect("the error is reported");
        assert_eq!(err.line, Some((2, 1)));
        let (r, g1) = ws.resolve(Some(&inside));
        assert!(g1 > g0);
        assert_eq!(
            level(&r, "py/pow-half"),
            Some(Level::On(crate::engine::Severity::Error)),
            "last good file kept"
        );

        std::fs::remove_file(&file).unwrap();
        assert_eq!(ws.reload(&file), Some(None));
        let (r, _) = ws.resolve(Some(&inside));
        assert_eq!(level(&r, "py/pow-half"), None, "no file: defaults");
        assert!(ws
            .reload(Path::new("/not/a/folder/heap-audit.toml"))
            .is_none());
    }

    #[test]
    fn exclude_globs_apply_relative_to_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        std::fs::write(root.join(config::FILE_NAME), "exclude = [\"vendor/**\"]\n").unwrap();
        let ws = Workspace::new(Config::default(), vec![root.clone()]);
        let (r, _) = ws.resolve(Some(&root.join("vendor/x/a.rs")));
        assert!(r.excludes(&root.join("vendor/x/a.rs")));
        assert!(!r.excludes(&root.join("src/a.rs")));
    }

    #[test]
    fn innermost_folder_wins_and_changes_are_detected() {
        let dir = tempfile::tempdir().unwrap();
        let outer = dir.path().to_path_buf();
        let inner = outer.join("inner");
        std::fs::create_dir(&inner).unwrap();
        std::fs::write(inner.join(config::FILE_NAME), "[rules]\n\"*\" = \"off\"\n").unwrap();
        let mut ws = Workspace::new(Config::default(), vec![outer.clone(), inner.clone()]);
        let (r, _) = ws.resolve(Some(&inner.join("a.rs")));
        assert_eq!(level(&r, "rust/format-literal"), Some(Level::Off));
        let (r, _) = ws.resolve(Some(&outer.join("a.rs")));
        assert_eq!(level(&r, "rust/format-literal"), None);
        assert!(ws.changed_files().is_empty());
        std::fs::write(outer.join(config::FILE_NAME), "[rules]\n").unwrap();
        assert_eq!(ws.changed_files(), [outer.join(config::FILE_NAME)]);
        assert!(
            ws.set_editor(Config::from_json(&serde_json::json!({"unsafeFixes": true})).unwrap())
        );
        assert!(
            !ws.set_editor(Config::from_json(&serde_json::json!({"unsafeFixes": true})).unwrap())
        );
        assert!(ws.resolve(None).0.unsafe_fixes);
        assert_eq!(ws.remove_folder(&inner), None);
        let (r, _) = ws.resolve(Some(&inner.join("a.rs")));
        assert_eq!(level(&r, "rust/format-literal"), None);
    }
}
