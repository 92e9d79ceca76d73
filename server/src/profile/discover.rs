//! Finding a workspace's profiles: `[profile] paths` globs from `heap-audit.toml` or the editor's
//! settings, or by default `dhat-heap.json`, `*.heapprofile` and `heap-audit-tracemalloc.json`
//! at the workspace root.
//!
//! Globs are relative to the root. A glob without `/` matches files in the root folder only; one
//! with `/` (`profiles/*.json`, `**/*.heapprofile`) matches anywhere below, skipping `.git`,
//! `node_modules` and Cargo target folders. Ignore files are NOT applied: profiles are usually
//! git-ignored. The LSP can register the same globs with `workspace/didChangeWatchedFiles`.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSetBuilder};

/// The globs used when the configuration names none.
pub const DEFAULT_GLOBS: [&str; 3] = [
    "dhat-heap.json",
    "*.heapprofile",
    super::python::DEFAULT_OUT,
];

/// The profile files under `root` that match `globs` (or [`DEFAULT_GLOBS`] when empty), sorted.
/// Invalid globs are returned as errors, the valid ones still apply.
pub fn discover(root: &Path, globs: &[String]) -> (Vec<PathBuf>, Vec<String>) {
    let owned: Vec<String>;
    let globs: &[String] = if globs.is_empty() {
        owned = DEFAULT_GLOBS.iter().map(|g| (*g).to_owned()).collect();
        &owned
    } else {
        globs
    };
    let mut errors = Vec::new();
    let (mut top, mut deep) = (GlobSetBuilder::new(), GlobSetBuilder::new());
    let (mut any_top, mut any_deep) = (false, false);
    for g in globs {
        match Glob::new(g) {
            Ok(glob) if g.contains('/') => {
                deep.add(glob);
                any_deep = true;
            }
            Ok(glob) => {
                top.add(glob);
                any_top = true;
            }
            Err(e) => errors.push(format!("invalid profile glob `{g}`: {}", e.kind())),
        }
    }
    let (top, deep) = (
        top.build().unwrap_or_default(),
        deep.build().unwrap_or_default(),
    );
    let mut found = Vec::new();
    if any_top {
        for entry in std::fs::read_dir(root).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_file() && top.is_match(entry.file_name()) {
                found.push(path);
            }
        }
    }
    if any_deep {
        let walker = ignore::WalkBuilder::new(root)
            .standard_filters(false)
            .filter_entry(|e| {
                let dir = e.file_type().is_some_and(|t| t.is_dir());
                !(dir
                    && e.depth() > 0
                    && (e.file_name() == ".git"
                        || e.file_name() == "node_modules"
                        || e.path().join("CACHEDIR.TAG").is_file()))
            })
            .build();
        for entry in walker.flatten() {
            if entry.file_type().is_some_and(|t| t.is_file()) {
                if let Ok(rel) = entry.path().strip_prefix(root) {
                    if deep.is_match(rel) {
                        found.push(entry.path().to_owned());
                    }
                }
            }
        }
    }
    found.sort();
    found.dedup();
    (found, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_globs() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in [
            "dhat-heap.json",
            "a.heapprofile",
            "heap-audit-tracemalloc.json",
            "other.json",
            "sub/b.heapprofile",
            "profiles/p.json",
            "node_modules/x/p.json",
        ] {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "{}").unwrap();
        }
        std::fs::write(root.join(".gitignore"), "*.json\n*.heapprofile\n").unwrap();
        let names = |v: Vec<PathBuf>| -> Vec<String> {
            v.iter()
                .map(|p| {
                    p.strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/")
                })
                .collect()
        };
        let (found, errors) = discover(root, &[]);
        assert!(errors.is_empty());
        assert_eq!(
            names(found),
            vec![
                "a.heapprofile",
                "dhat-heap.json",
                "heap-audit-tracemalloc.json"
            ]
        );
        let (found, _) = discover(root, &["profiles/*.json".into(), "**/*.heapprofile".into()]);
        assert_eq!(
            names(found),
            vec!["a.heapprofile", "profiles/p.json", "sub/b.heapprofile"]
        );
        let (found, errors) = discover(root, &["[".into(), "other.json".into()]);
        assert_eq!(names(found), vec!["other.json"]);
        assert!(
            errors[0].starts_with("invalid profile glob `[`"),
            "{errors:?}"
        );
    }
}
