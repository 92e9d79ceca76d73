//! The workspace's files, indexed once, and the matching of a profile's paths onto them.
//!
//! A profile's paths come from another run, often another machine: `/home/ci/app/src/x.py`,
//! `dhat-demo/src/main.rs` (the `dhat` crate keeps the last three components), `src/lib.rs`
//! (Rust's crate-relative form), `file:///…/x.mjs`. A path maps to the workspace file that shares
//! the longest suffix of path components with it (at least the file name). When several files
//! tie, a Rust frame's crate (the first segment of its function's path, e.g. `my_crate` in
//! `my_crate::parse::run`) picks the one inside that crate's folder (found from the
//! workspace's `Cargo.toml` files); still tied is ambiguous and maps to nothing. A Rust frame
//! whose crate is not one of the workspace's never maps (a dependency's `src/de.rs` is not
//! yours), unless the workspace has no `Cargo.toml` at all.
//!
//! The index holds the files heap-audit can audit (by extension), found with the usual ignore
//! rules (`.gitignore`, hidden files), skipping `node_modules`, Python virtual environments
//! (folders with `pyvenv.cfg`) and Cargo target folders (folders with `CACHEDIR.TAG`).

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use crate::language::Lang;

/// A file of the workspace index.
pub type FileId = u32;

/// Where a profile path lands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    Found(FileId),
    /// No workspace file shares even the file name.
    Missing,
    /// The Rust crate the frame belongs to is not in the workspace.
    OtherCrate(String),
    /// Several files share the longest suffix and nothing tells them apart.
    Ambiguous(Vec<FileId>),
}

/// The workspace's files, indexed once.
#[derive(Debug, Default)]
pub struct Workspace {
    root: PathBuf,
    files: Vec<PathBuf>,
    by_name: HashMap<String, Vec<FileId>>,
    by_relative: HashMap<PathBuf, FileId>,
    /// Crate name (with `_`, as in Rust paths) → its folder, relative to the root.
    crates: HashMap<String, PathBuf>,
}

fn skip_dir(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "node_modules")
        || path.join("pyvenv.cfg").is_file()
        || path.join("CACHEDIR.TAG").is_file()
}

impl Workspace {
    /// Walks `root` once and indexes its source files and crates.
    pub fn index(root: &Path) -> Workspace {
        let mut files = Vec::new();
        let mut manifests = Vec::new();
        let walker = ignore::WalkBuilder::new(root)
            .require_git(false)
            .filter_entry(|e| {
                !(e.file_type().is_some_and(|t| t.is_dir()) && e.depth() > 0 && skip_dir(e.path()))
            })
            .build();
        for entry in walker.flatten() {
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let Ok(rel) = entry.path().strip_prefix(root) else {
                continue;
            };
            if entry.file_name() == "Cargo.toml" {
                manifests.push(rel.to_owned());
            } else if Lang::from_path(rel).is_some() {
                files.push(rel.to_owned());
            }
        }
        let mut ws = Workspace::from_files(root, files);
        for m in manifests {
            if let Ok(text) = std::fs::read_to_string(root.join(&m)) {
                ws.add_manifest(m.parent().unwrap_or(Path::new("")), &text);
            }
        }
        ws
    }

    /// A workspace of the given files (relative to `root`), without touching the disk.
    pub fn from_files(root: &Path, files: impl IntoIterator<Item = PathBuf>) -> Workspace {
        let mut ws = Workspace {
            root: root.to_owned(),
            ..Workspace::default()
        };
        for rel in files {
            if ws.by_relative.contains_key(&rel) {
                continue;
            }
            let id = ws.files.len() as FileId;
            if let Some(name) = rel.file_name().and_then(|n| n.to_str()) {
                ws.by_name.entry(name.to_owned()).or_default().push(id);
            }
            ws.by_relative.insert(rel.clone(), id);
            ws.files.push(rel);
        }
        ws
    }

    /// Records the crate names a `Cargo.toml` (in `dir`, relative to the root) declares.
    pub fn add_manifest(&mut self, dir: &Path, cargo_toml: &str) {
        let Ok(table) = toml::from_str::<toml::Table>(cargo_toml) else {
            return;
        };
        let mut names = Vec::new();
        if let Some(n) = table
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(|n| n.as_str())
        {
            names.push(n.to_owned());
        }
        if let Some(n) = table
            .get("lib")
            .and_then(|p| p.get("name"))
            .and_then(|n| n.as_str())
        {
            names.push(n.to_owned());
        }
        for bin in table
            .get("bin")
            .and_then(|b| b.as_array())
            .into_iter()
            .flatten()
        {
            if let Some(n) = bin.get("name").and_then(|n| n.as_str()) {
                names.push(n.to_owned());
            }
        }
        for n in names {
            self.crates.insert(n.replace('-', "_"), dir.to_owned());
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// A file's path relative to the root.
    pub fn relative(&self, id: FileId) -> &Path {
        &self.files[id as usize]
    }

    /// A file's full path.
    pub fn path(&self, id: FileId) -> PathBuf {
        self.root.join(&self.files[id as usize])
    }

    /// The id of a workspace file given by its full path or its path relative to the root.
    pub fn file_id(&self, path: &Path) -> Option<FileId> {
        let rel = path.strip_prefix(&self.root).unwrap_or(path);
        self.by_relative.get(rel).copied().or_else(|| {
            let canon_root = self.root.canonicalize().ok()?;
            let canon = path.canonicalize().ok()?;
            self.by_relative
                .get(canon.strip_prefix(&canon_root).ok()?)
                .copied()
        })
    }

    /// Maps a profile's path onto a workspace file (see the module docs). `crate_hint` is the
    /// Rust crate of the frame's function, when there is one.
    pub fn resolve(&self, profile_path: &str, crate_hint: Option<&str>) -> Resolution {
        let norm = profile_path.replace('\\', "/");
        let wanted: Vec<&str> = norm
            .split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .collect();
        let Some(&name) = wanted.last() else {
            return Resolution::Missing;
        };
        let crate_dir = match crate_hint {
            Some(k) if !self.crates.is_empty() => match self.crates.get(k) {
                Some(d) => Some(d),
                None => return Resolution::OtherCrate(k.to_owned()),
            },
            _ => None,
        };
        let Some(candidates) = self.by_name.get(name) else {
            return Resolution::Missing;
        };
        let in_crate =
            |id: FileId| crate_dir.is_none_or(|d| self.files[id as usize].starts_with(d));
        let mut best = 0usize;
        let mut tied: Vec<FileId> = Vec::new();
        for &id in candidates.iter().filter(|&&id| in_crate(id)) {
            let have: Vec<&str> = self.files[id as usize]
                .components()
                .filter_map(|c| match c {
                    Component::Normal(s) => s.to_str(),
                    _ => None,
                })
                .collect();
            let score = have
                .iter()
                .rev()
                .zip(wanted.iter().rev())
                .take_while(|(a, b)| a == b)
                .count();
            if score > best {
                best = score;
                tied.clear();
            }
            if score == best {
                tied.push(id);
            }
        }
        match tied.len() {
            0 => Resolution::Missing,
            1 => Resolution::Found(tied[0]),
            _ => Resolution::Ambiguous(tied),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws(files: &[&str]) -> Workspace {
        Workspace::from_files(Path::new("/w"), files.iter().map(PathBuf::from))
    }

    #[test]
    fn longest_suffix_wins() {
        let w = ws(&[
            "src/main.rs",
            "tests/profile/dhat-demo/src/main.rs",
            "app/util.py",
            "lib/util.py",
        ]);
        let id = |p: &str| w.file_id(Path::new(p)).unwrap();
        assert_eq!(
            w.resolve("dhat-demo/src/main.rs", None),
            Resolution::Found(id("tests/profile/dhat-demo/src/main.rs"))
        );
        assert_eq!(
            w.resolve("/home/ci/build/app/util.py", None),
            Resolution::Found(id("app/util.py"))
        );
        assert_eq!(
            w.resolve("C:\\ci\\lib\\util.py", None),
            Resolution::Found(id("lib/util.py"))
        );
        assert_eq!(w.resolve("/elsewhere/none.py", None), Resolution::Missing);
        match w.resolve("/x/util.py", None) {
            Resolution::Ambiguous(v) => assert_eq!(v.len(), 2),
            r => panic!("{r:?}"),
        }
        assert_eq!(
            w.file_id(Path::new("/w/app/util.py")),
            Some(id("app/util.py"))
        );
    }

    #[test]
    fn crates_pick_and_veto() {
        let mut w = ws(&[
            "crates/foo/src/lib.rs",
            "crates/bar/src/lib.rs",
            "crates/bar/src/de.rs",
        ]);
        w.add_manifest(Path::new("crates/foo"), "[package]\nname = \"foo-core\"\n");
        w.add_manifest(
            Path::new("crates/bar"),
            "[package]\nname = \"bar\"\n[lib]\nname = \"barlib\"\n",
        );
        let id = |p: &str| w.file_id(Path::new(p)).unwrap();
        assert_eq!(
            w.resolve("src/lib.rs", Some("foo_core")),
            Resolution::Found(id("crates/foo/src/lib.rs"))
        );
        assert_eq!(
            w.resolve("src/lib.rs", Some("barlib")),
            Resolution::Found(id("crates/bar/src/lib.rs"))
        );
        assert!(matches!(
            w.resolve("src/lib.rs", None),
            Resolution::Ambiguous(_)
        ));
        assert_eq!(
            w.resolve("serde_json-1.0.140/src/de.rs", Some("serde_json")),
            Resolution::OtherCrate("serde_json".into())
        );
        assert_eq!(
            w.resolve("src/de.rs", Some("foo_core")),
            Resolution::Missing
        );
        assert_eq!(
            w.resolve("src/de.rs", Some("barlib")),
            Resolution::Found(id("crates/bar/src/de.rs"))
        );
    }

    #[test]
    fn indexes_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("a/src")).unwrap();
        std::fs::create_dir_all(root.join("node_modules/x")).unwrap();
        std::fs::create_dir_all(root.join("target/debug")).unwrap();
        std::fs::write(
            root.join("target/CACHEDIR.TAG"),
            "Signature: 8a477f597d28d172789f06886806bc55",
        )
        .unwrap();
        std::fs::write(root.join("target/debug/gen.rs"), "").unwrap();
        std::fs::write(root.join("node_modules/x/i.js"), "").unwrap();
        std::fs::write(root.join("a/Cargo.toml"), "[package]\nname = \"a-b\"\n").unwrap();
        std::fs::write(root.join("a/src/lib.rs"), "").unwrap();
        std::fs::write(root.join("main.py"), "").unwrap();
        std::fs::write(root.join("notes.txt"), "").unwrap();
        let w = Workspace::index(root);
        let mut rel: Vec<_> = (0..w.len() as FileId)
            .map(|i| w.relative(i).to_owned())
            .collect();
        rel.sort();
        assert_eq!(
            rel,
            vec![PathBuf::from("a/src/lib.rs"), PathBuf::from("main.py")]
        );
        assert!(matches!(
            w.resolve("src/lib.rs", Some("a_b")),
            Resolution::Found(_)
        ));
    }
}
