//! Writing fixed files for `check --fix`, atomically and carefully:
//!
//! - the new text goes to a temporary file in the same folder, is flushed to disk, and is renamed
//!   over the original, so a reader sees the old file or the new one, never half of each;
//! - the original's permissions (and, on Unix, owner where allowed) are kept;
//! - just before the rename the original is compared with what was read (size, mtime, inode,
//!   content); if anything changed, e.g. an editor saved meanwhile, nothing is written;
//! - a path that resolves (through a symlink) outside the tree being checked is not written;
//! - the rename is made durable by syncing the folder;
//! - temporary files are named `.NAME.heap-audit-PID-N.tmp`: one left behind by a run that was
//!   killed (its process is gone) is removed the next time a fix is written in that folder.

use std::collections::HashSet;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use super::interrupt::process_alive;
use super::source::Snapshot;

/// Test-only, debug builds only: when set, its value is appended to the file just before the
/// unchanged check, as a concurrent editor would. Lets the CLI tests show the refusal
/// deterministically; release binaries do not read it.
#[cfg(debug_assertions)]
const TEST_EDIT_BEFORE_WRITE: &str = "HEAP_AUDIT_TEST_EDIT_BEFORE_WRITE";

#[cfg(debug_assertions)]
fn test_edit_before_write(path: &Path) -> Result<(), String> {
    if let Some(text) = std::env::var_os(TEST_EDIT_BEFORE_WRITE) {
        let mut f = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| e.to_string())?;
        f.write_all(text.as_encoded_bytes())
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Replaces the file at `path` with `new`. `root` is the folder being checked (the path
/// argument, or a file argument's folder); `original` and `snapshot` are what was read.
pub fn replace(
    path: &Path,
    root: &Path,
    original: &[u8],
    snapshot: &Snapshot,
    new: &[u8],
) -> Result<(), String> {
    let real = fs::canonicalize(path)
        .map_err(|e| format!("cannot resolve the path: {e}; fixes not written"))?;
    let real_root = fs::canonicalize(root)
        .map_err(|e| format!("cannot resolve {}: {e}; fixes not written", root.display()))?;
    if !real.starts_with(&real_root) {
        return Err(format!(
            "resolves to {} outside {} (a symlink); fixes not written",
            real.display(),
            real_root.display()
        ));
    }
    let dir = real
        .parent()
        .ok_or("has no parent folder; fixes not written")?;
    let meta = fs::metadata(&real)
        .map_err(|e| format!("cannot read its metadata: {e}; fixes not written"))?;
    sweep_once(dir);
    let tmp = TempFile::create(dir, &real).map_err(|e| {
        format!(
            "cannot create a temporary file in {}: {e}; fixes not written",
            dir.display()
        )
    })?;
    tmp.fill(new, &meta).map_err(|e| {
        format!(
            "cannot write the temporary file {}: {e}; fixes not written",
            tmp.path.display()
        )
    })?;
    #[cfg(debug_assertions)]
    test_edit_before_write(&real)?;
    if !unchanged(&real, original, snapshot) {
        return Err("changed on disk since it was read; fixes not written (run again)".to_owned());
    }
    tmp.commit(&real)
        .map_err(|e| format!("cannot replace the file: {e}; fixes not written"))?;
    sync_dir(dir);
    Ok(())
}

/// Whether the file still has the size, mtime, identity and content it had when read.
fn unchanged(path: &Path, original: &[u8], snapshot: &Snapshot) -> bool {
    match fs::metadata(path) {
        Ok(meta) if Snapshot::of(&meta) == *snapshot => {
            fs::read(path).is_ok_and(|now| now == original)
        }
        _ => false,
    }
}

/// Sweeps `dir` for stale temporary files, once per folder and run.
fn sweep_once(dir: &Path) {
    static SWEPT: OnceLock<Mutex<HashSet<PathBuf>>> = OnceLock::new();
    let swept = SWEPT.get_or_init(Default::default);
    if !swept
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(dir.to_owned())
    {
        return;
    }
    sweep_stale_temps(dir);
}

/// Removes the temporary files in `dir` that a heap-audit process no longer running left behind
/// (it was killed between creating one and renaming it). Returns how many were removed.
fn sweep_stale_temps(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let me = std::process::id();
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temp_owner) else {
            continue;
        };
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if is_file && pid != me && !process_alive(pid) && fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// The process id in a temporary file name `.NAME.heap-audit-PID-N.tmp`.
fn temp_owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (rest, n) = rest.rsplit_once('-')?;
    n.parse::<u64>().ok()?;
    let (rest, pid) = rest.rsplit_once('-')?;
    let target = rest.strip_suffix(".heap-audit")?;
    if target.is_empty() {
        return None;
    }
    pid.parse().ok()
}

/// A temporary file beside its target, removed unless committed.
struct TempFile {
    path: PathBuf,
    committed: bool,
}

impl TempFile {
    fn create(dir: &Path, target: &Path) -> std::io::Result<TempFile> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = dir.join(format!(".{name}.heap-audit-{}-{n}.tmp", std::process::id()));
            let mut options = OpenOptions::new();
            options.write(true).create_new(true);
            // Private until it has the original's permissions: the text of a file only its owner
            // may read must never be readable by others, even for a moment.
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            match options.open(&path) {
                Ok(_) => {
                    return Ok(TempFile {
                        path,
                        committed: false,
                    })
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Writes the content, gives it the original's permissions (and owner, where allowed) and
    /// flushes it to disk.
    fn fill(&self, content: &[u8], original: &fs::Metadata) -> std::io::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&self.path)?;
        f.write_all(content)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let mine = f.metadata()?;
            if (mine.uid(), mine.gid()) != (original.uid(), original.gid()) {
                // Only root may give a file away; a plain user keeps their own ownership.
                let _ = std::os::unix::fs::fchown(&f, Some(original.uid()), Some(original.gid()));
            }
        }
        f.set_permissions(original.permissions())?;
        f.sync_all()
    }

    fn commit(mut self, target: &Path) -> std::io::Result<()> {
        fs::rename(&self.path, target)?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Makes the rename durable (best effort; not every platform can open a folder).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(path: &Path) -> Snapshot {
        Snapshot::of(&fs::metadata(path).unwrap())
    }

    #[test]
    fn replaces_atomically_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.py");
        fs::write(&p, "old\n").unwrap();
        replace(&p, dir.path(), b"old\n", &snapshot(&p), b"new\n").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "new\n");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn stale_temporary_files_of_dead_runs_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.py");
        fs::write(&p, "old\n").unwrap();
        let tmp = TempFile::create(dir.path(), &p).unwrap();
        let name = tmp.path.file_name().unwrap().to_str().unwrap().to_owned();
        assert_eq!(temp_owner(&name), Some(std::process::id()), "{name}");
        assert_eq!(temp_owner(".a.py.heap-audit-12-3.tmp"), Some(12));
        assert_eq!(temp_owner("a.py.heap-audit-12-3.tmp"), None);
        assert_eq!(temp_owner("..heap-audit-12-3.tmp"), None);
        assert_eq!(temp_owner(".a.py.heap-audit-x-3.tmp"), None);
        // A dead process's file goes; a live one's (ours) and other files stay.
        let mut gone = std::process::Command::new("true").spawn().unwrap();
        let dead = gone.id();
        gone.wait().unwrap();
        let stale = dir.path().join(format!(".a.py.heap-audit-{dead}-0.tmp"));
        fs::write(&stale, "partial").unwrap();
        fs::write(dir.path().join(".a.py.heap-audit-notes.tmp"), "x").unwrap();
        assert_eq!(sweep_stale_temps(dir.path()), 1);
        assert!(!stale.exists());
        assert!(tmp.path.exists());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 3);
    }

    #[test]
    fn refuses_when_the_content_changed_and_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.py");
        fs::write(&p, "old\n").unwrap();
        let snap = snapshot(&p);
        // Same size, so only the content comparison can tell (mtime may not move on a fast write).
        fs::write(&p, "odd\n").unwrap();
        let e = replace(&p, dir.path(), b"old\n", &snap, b"new\n").unwrap_err();
        assert!(e.starts_with("changed on disk"), "{e}");
        assert_eq!(fs::read_to_string(&p).unwrap(), "odd\n");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn keeps_permissions_and_writes_through_a_symlink_inside_the_tree() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("run.py");
        fs::write(&p, "old\n").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o751)).unwrap();
        let link = dir.path().join("link.py");
        std::os::unix::fs::symlink("run.py", &link).unwrap();
        replace(&link, dir.path(), b"old\n", &snapshot(&p), b"new\n").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "new\n");
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o7777,
            0o751
        );
    }

    #[cfg(unix)]
    #[test]
    fn temporary_files_are_private_until_they_get_the_originals_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("secret.py");
        fs::write(&p, "old\n").unwrap();
        let tmp = TempFile::create(dir.path(), &p).unwrap();
        let mode = fs::metadata(&tmp.path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
        tmp.fill(b"new\n", &fs::metadata(&p).unwrap()).unwrap();
        let mode = fs::metadata(&tmp.path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_symlink_leading_out_of_the_tree() {
        let outside = tempfile::tempdir().unwrap();
        let tree = tempfile::tempdir().unwrap();
        let target = outside.path().join("lib.rs");
        fs::write(&target, "old\n").unwrap();
        let link = tree.path().join("lib.rs");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let e = replace(&link, tree.path(), b"old\n", &snapshot(&target), b"new\n").unwrap_err();
        assert!(e.contains("outside") && e.contains("symlink"), "{e}");
        assert_eq!(fs::read_to_string(&target).unwrap(), "old\n");
    }
}
