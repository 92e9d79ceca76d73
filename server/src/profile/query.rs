//! [`ProfileSet`]: the loaded profiles of a workspace and the questions the LSP and the CLI ask
//! of them. Positions are workspace file paths and 1-based lines; shares are of the total bytes
//! of the profile(s) the figures come from.

use std::ops::{Range, RangeInclusive};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tree_sitter::Tree;

use super::mapped::{MappedProfile, Totals, UnmappedReason};
use super::model::{Format, Frame, Granularity, Measure, Profile};
use super::source;
use super::workspace::{FileId, Workspace};
use super::ProfileError;

/// Measured figures for a line, a function or a span of lines.
#[derive(Clone, Debug, PartialEq)]
pub struct Measured {
    /// Bytes of the stacks that pass through here (allocated here or in what is called here).
    pub bytes: u64,
    pub blocks: u64,
    /// Bytes allocated right here (the stack's site is here).
    pub self_bytes: u64,
    pub self_blocks: u64,
    /// `bytes` / the profile's total bytes (0.0–1.0).
    pub share: f64,
    /// `self_bytes` / the profile's total bytes.
    pub self_share: f64,
    pub measure: Measure,
    pub granularity: Granularity,
    /// "Profile older than file": the file changed after the profile was written, so lines may
    /// have moved.
    pub stale: bool,
}

/// What a profile says about a function or span.
#[derive(Clone, Debug, PartialEq)]
pub enum Heat {
    /// Measured allocations.
    Hot(Measured),
    /// The profile covers the file but shows no allocations here: "cold per profile".
    Cold { stale: bool },
    /// No loaded profile has anything in this file.
    NotCovered,
}

/// A hot line of one file, for inlay hints.
#[derive(Clone, Debug, PartialEq)]
pub struct HotLine {
    pub line: u32,
    /// For V8 (function granularity): the function's 1-based column.
    pub column: Option<u32>,
    pub function: Option<String>,
    pub measured: Measured,
}

/// How [`ProfileSet::hot_lines`] ranks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HotRank {
    /// By bytes allocated at the line itself: the allocation sites.
    SelfBytes,
    /// By bytes of everything reached through the line (call sites in loops included).
    Inclusive,
}

/// One frame of a sampled stack, as the hover shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackFrame {
    pub function: Option<String>,
    /// The path as the profile wrote it.
    pub profile_path: Option<String>,
    /// The workspace file it maps to.
    pub path: Option<PathBuf>,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub user: bool,
}

/// A sampled stack through a line: frames innermost first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SampledStack {
    pub bytes: u64,
    pub blocks: u64,
    pub frames: Vec<StackFrame>,
}

/// A hot allocation site in the workspace.
#[derive(Clone, Debug, PartialEq)]
pub struct Site {
    /// The profile it comes from.
    pub profile: PathBuf,
    pub format: Format,
    /// The workspace file.
    pub path: PathBuf,
    pub line: u32,
    pub column: Option<u32>,
    pub function: Option<String>,
    pub measured: Measured,
    /// The biggest stacks through the line (at most 3).
    pub stacks: Vec<SampledStack>,
}

/// A user site that maps to no workspace line, or bytes with no user frame at all.
#[derive(Clone, Debug, PartialEq)]
pub struct Unmapped {
    pub profile: PathBuf,
    /// The first user frame (`None` for stacks without one).
    pub frame: Option<StackFrame>,
    pub reason: UnmappedReason,
    pub bytes: u64,
    pub blocks: u64,
    pub share: f64,
    /// How many of `bytes` were credited to a workspace line further up the stack instead.
    pub credited_bytes: u64,
    /// The workspace line that got most of them.
    pub credited_to: Option<(PathBuf, u32)>,
}

/// The profiles loaded for one workspace.
#[derive(Debug)]
pub struct ProfileSet {
    workspace: Arc<Workspace>,
    profiles: Vec<MappedProfile>,
}

fn ratio(part: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        part as f64 / total as f64
    }
}

impl ProfileSet {
    pub fn new(workspace: Arc<Workspace>) -> ProfileSet {
        ProfileSet {
            workspace,
            profiles: Vec::new(),
        }
    }

    /// Loads and maps each file; a file that cannot be read is reported and skipped, the rest
    /// still load.
    pub fn load(workspace: Arc<Workspace>, paths: &[PathBuf]) -> (ProfileSet, Vec<ProfileError>) {
        let mut set = ProfileSet::new(workspace);
        let mut errors = Vec::new();
        for p in paths {
            match super::load(p) {
                Ok(profile) => set.add(profile),
                Err(e) => errors.push(e),
            }
        }
        (set, errors)
    }

    /// Maps a profile onto the workspace and adds it.
    pub fn add(&mut self, profile: Profile) {
        let mapped = MappedProfile::new(profile, &self.workspace);
        self.profiles.push(mapped);
    }

    /// Drops the profile read from `path` (before reloading it, when it changed).
    pub fn remove(&mut self, path: &Path) {
        self.profiles.retain(|p| p.profile.path != path);
    }

    pub fn workspace(&self) -> &Workspace {
        &self.workspace
    }

    pub fn profiles(&self) -> &[MappedProfile] {
        &self.profiles
    }

    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty()
    }

    fn file(&self, path: &Path) -> Option<FileId> {
        self.workspace.file_id(path)
    }

    /// Whether any profile has data in this file (so that a function without any is "cold").
    pub fn covers(&self, path: &Path) -> bool {
        self.file(path)
            .is_some_and(|id| self.profiles.iter().any(|p| p.files.contains_key(&id)))
    }

    /// "Profile older than file" for this file.
    pub fn is_stale(&self, path: &Path) -> bool {
        self.file(path).is_some_and(|id| {
            self.profiles
                .iter()
                .any(|p| p.files.get(&id).is_some_and(|f| f.stale))
        })
    }

    /// Workspace files that changed after a profile that covers them was written.
    pub fn stale_files(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = self
            .profiles
            .iter()
            .flat_map(|p| {
                p.files
                    .iter()
                    .filter(|(_, f)| f.stale)
                    .map(|(&id, _)| self.workspace.path(id))
            })
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// Combines per-profile totals into one figure. `None` when every total is empty.
    fn combine(&self, parts: impl Iterator<Item = (usize, Totals, bool)>) -> Option<Measured> {
        let mut t = Totals::default();
        let mut denom = 0u64;
        let mut first: Option<&Profile> = None;
        let mut stale = false;
        for (pi, part, st) in parts {
            if part.bytes == 0 && part.blocks == 0 {
                continue;
            }
            let prof = &self.profiles[pi].profile;
            first.get_or_insert(prof);
            denom += prof.total_bytes;
            t.bytes += part.bytes;
            t.blocks += part.blocks;
            t.self_bytes += part.self_bytes;
            t.self_blocks += part.self_blocks;
            stale |= st;
        }
        let prof = first?;
        Some(Measured {
            bytes: t.bytes,
            blocks: t.blocks,
            self_bytes: t.self_bytes,
            self_blocks: t.self_blocks,
            share: ratio(t.bytes, denom),
            self_share: ratio(t.self_bytes, denom),
            measure: prof.measure,
            granularity: prof.granularity,
            stale,
        })
    }

    /// Figures for one line: for V8, the functions positioned on that line. `None` when no
    /// profile measured anything there.
    pub fn line(&self, path: &Path, line: u32) -> Option<Measured> {
        let id = self.file(path)?;
        self.combine(self.profiles.iter().enumerate().filter_map(|(pi, p)| {
            let f = p.files.get(&id)?;
            let mut t = Totals::default();
            for (_, la) in f.lines.range((line, 0)..=(line, u32::MAX)) {
                t.bytes += la.bytes;
                t.blocks += la.blocks;
                t.self_bytes += la.self_bytes;
                t.self_blocks += la.self_blocks;
            }
            Some((pi, t, f.stale))
        }))
    }

    /// Figures for one function position of a function-granularity (V8) profile: `(line,
    /// column)` as the profile wrote them, column 0 when it has none. One table lookup.
    pub fn position(&self, path: &Path, line: u32, column: u32) -> Option<Measured> {
        let id = self.file(path)?;
        self.combine(self.profiles.iter().enumerate().filter_map(|(pi, p)| {
            let f = p.files.get(&id)?;
            let la = f.lines.get(&(line, column))?;
            let t = Totals {
                bytes: la.bytes,
                blocks: la.blocks,
                self_bytes: la.self_bytes,
                self_blocks: la.self_blocks,
            };
            Some((pi, t, f.stale))
        }))
    }

    /// The `(line, column)` keys any profile has figures for in the file (for V8: function
    /// positions; for line profiles the column is 0), sorted, without repeats.
    pub fn positions(&self, path: &Path) -> Vec<(u32, u32)> {
        let Some(id) = self.file(path) else {
            return Vec::new();
        };
        let mut keys: Vec<(u32, u32)> = self
            .profiles
            .iter()
            .filter_map(|p| p.files.get(&id))
            .flat_map(|f| f.lines.keys().copied())
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// The biggest sampled stacks through a line, biggest first (at most 3).
    pub fn line_stacks(&self, path: &Path, line: u32) -> Vec<SampledStack> {
        let Some(id) = self.file(path) else {
            return Vec::new();
        };
        let mut picks: Vec<(u64, usize, u32)> = Vec::new();
        for (pi, p) in self.profiles.iter().enumerate() {
            let Some(f) = p.files.get(&id) else { continue };
            for (_, la) in f.lines.range((line, 0)..=(line, u32::MAX)) {
                picks.extend(la.top.iter().map(|&(bytes, si)| (bytes, pi, si)));
            }
        }
        picks.sort_by(|a, b| b.0.cmp(&a.0).then((a.1, a.2).cmp(&(b.1, b.2))));
        picks.dedup_by_key(|&mut (_, pi, si)| (pi, si));
        picks.truncate(super::mapped::TOP_STACKS);
        picks
            .into_iter()
            .map(|(_, pi, si)| self.stack(&self.profiles[pi], si))
            .collect()
    }

    fn frame_view(&self, p: &MappedProfile, fi: u32) -> StackFrame {
        let f: &Frame = &p.profile.frames[fi as usize];
        StackFrame {
            function: f.function.as_deref().map(str::to_owned),
            profile_path: f.path.as_deref().map(str::to_owned),
            path: p.frame_file[fi as usize].map(|id| self.workspace.path(id)),
            line: f.line,
            column: f.column,
            user: f.user,
        }
    }

    fn stack(&self, p: &MappedProfile, si: u32) -> SampledStack {
        let s = &p.profile.stacks[si as usize];
        SampledStack {
            bytes: s.bytes,
            blocks: s.blocks,
            frames: p
                .profile
                .stack_frames(s)
                .map(|fi| self.frame_view(p, fi))
                .collect(),
        }
    }

    fn heat(
        &self,
        id: Option<FileId>,
        totals: impl Fn(&MappedProfile, FileId) -> Option<Totals>,
    ) -> Heat {
        let Some(id) = id else {
            return Heat::NotCovered;
        };
        let mut covered = false;
        let mut stale = false;
        let parts: Vec<(usize, Totals, bool)> = self
            .profiles
            .iter()
            .enumerate()
            .filter_map(|(pi, p)| {
                let f = p.files.get(&id)?;
                let t = totals(p, id)?;
                covered = true;
                stale |= f.stale;
                Some((pi, t, f.stale))
            })
            .collect();
        match self.combine(parts.into_iter()) {
            Some(m) => Heat::Hot(m),
            None if covered => Heat::Cold { stale },
            None => Heat::NotCovered,
        }
    }

    /// Figures for a span of lines, e.g. a function's lines (from [`super::source::lines_of`]).
    /// Each stack counts once however many of its frames fall in the span. For V8, functions
    /// whose position lies in the span (nested ones included).
    pub fn span(&self, path: &Path, lines: RangeInclusive<u32>) -> Heat {
        self.heat(self.file(path), |p, id| {
            Some(p.sum_where(id, |f| f.line.is_some_and(|l| lines.contains(&l))))
        })
    }

    /// Figures for a function by name, for profiles that name functions. V8: the function
    /// named `name` (or `Class.name`, `obj.name`) whose position is on `decl_line` (the line
    /// where its parameters start). DHAT: frames in the file whose function path ends in
    /// `::name` (closures inside it included); `decl_line` is not used. Python profiles name no
    /// functions and are not consulted: use [`ProfileSet::span`].
    pub fn function(&self, path: &Path, name: &str, decl_line: u32) -> Heat {
        let named = |f: &Frame| {
            let Some(fname) = f.function.as_deref() else {
                return false;
            };
            fname == name
                || fname
                    .strip_suffix(name)
                    .is_some_and(|r| r.ends_with('.') || r.ends_with("::"))
        };
        self.heat(self.file(path), |p, id| match p.profile.granularity {
            Granularity::Function => {
                Some(p.sum_where(id, |f| f.line == Some(decl_line) && named(f)))
            }
            Granularity::Line if p.profile.format == Format::Dhat => Some(p.sum_where(id, |f| {
                named(f)
                    || f.function.as_deref().is_some_and(|fname| {
                        fname.split("::{{closure}}").next().is_some_and(|base| {
                            base == name || base.ends_with(&format!("::{name}"))
                        })
                    })
            })),
            Granularity::Line => None,
        })
    }

    /// Figures for a finding at `range` of the file's current text (with its tree): for
    /// line-granularity profiles the finding's lines, for V8 the function that encloses it
    /// (the innermost function node whose V8 position — where its parameters start — lies in
    /// it), or the module's top level outside any function. Use the inclusive `bytes`/`share`
    /// for messages and `check --profile`.
    pub fn finding(&self, path: &Path, src: &str, tree: &Tree, range: Range<usize>) -> Heat {
        let lines = source::lines_of(src, range.clone());
        let func = enclosing_function(tree, &range);
        self.heat(self.file(path), |p, id| match p.profile.granularity {
            Granularity::Line => {
                Some(p.sum_where(id, |f| f.line.is_some_and(|l| lines.contains(&l))))
            }
            Granularity::Function => {
                Some(p.sum_where(id, |f| positioned_in(tree, src, f, func.as_ref())))
            }
        })
    }

    /// Figures for the function that encloses `range` (the whole function, for "cold per
    /// profile"): its lines for line-granularity profiles, itself for V8. Module-level code
    /// (no enclosing function) gets [`ProfileSet::finding`]'s answer.
    pub fn enclosing(&self, path: &Path, src: &str, tree: &Tree, range: Range<usize>) -> Heat {
        let Some(func) = enclosing_function(tree, &range) else {
            return self.finding(path, src, tree, range);
        };
        let lines = source::lines_of(src, func.clone());
        self.heat(self.file(path), |p, id| match p.profile.granularity {
            Granularity::Line => {
                Some(p.sum_where(id, |f| f.line.is_some_and(|l| lines.contains(&l))))
            }
            Granularity::Function => {
                Some(p.sum_where(id, |f| positioned_in(tree, src, f, Some(&func))))
            }
        })
    }

    /// The hottest lines of a file, for inlay hints: at most `limit`, each with a share of at
    /// least `min_share` (by the ranked figure).
    pub fn hot_lines(
        &self,
        path: &Path,
        rank: HotRank,
        limit: usize,
        min_share: f64,
    ) -> Vec<HotLine> {
        let Some(id) = self.file(path) else {
            return Vec::new();
        };
        let mut out: Vec<HotLine> = Vec::new();
        for (pi, p) in self.profiles.iter().enumerate() {
            let Some(f) = p.files.get(&id) else { continue };
            for (&(line, col), la) in &f.lines {
                let t = Totals {
                    bytes: la.bytes,
                    blocks: la.blocks,
                    self_bytes: la.self_bytes,
                    self_blocks: la.self_blocks,
                };
                let Some(m) = self.combine(std::iter::once((pi, t, f.stale))) else {
                    continue;
                };
                let share = match rank {
                    HotRank::SelfBytes => m.self_share,
                    HotRank::Inclusive => m.share,
                };
                if share <= 0.0 || share < min_share {
                    continue;
                }
                let frame = &p.profile.frames[la.frame as usize];
                out.push(HotLine {
                    line,
                    column: (col > 0).then_some(col),
                    function: frame.function.as_deref().map(str::to_owned),
                    measured: m,
                });
            }
        }
        let key = |h: &HotLine| match rank {
            HotRank::SelfBytes => h.measured.self_bytes,
            HotRank::Inclusive => h.measured.bytes,
        };
        out.sort_by(|a, b| key(b).cmp(&key(a)).then(a.line.cmp(&b.line)));
        out.truncate(limit);
        out
    }

    /// The top `n` allocation sites across all profiles, by bytes allocated at the site.
    pub fn top_sites(&self, n: usize) -> Vec<Site> {
        let mut all: Vec<(u64, usize, FileId, (u32, u32))> = Vec::new();
        for (pi, p) in self.profiles.iter().enumerate() {
            for (&id, f) in &p.files {
                for (&key, la) in &f.lines {
                    if la.self_bytes > 0 {
                        all.push((la.self_bytes, pi, id, key));
                    }
                }
            }
        }
        all.sort_by(|a, b| b.0.cmp(&a.0).then((a.1, a.2, a.3).cmp(&(b.1, b.2, b.3))));
        all.truncate(n);
        all.into_iter()
            .filter_map(|(_, pi, id, key)| {
                let p = &self.profiles[pi];
                let f = p.files.get(&id)?;
                let la = f.lines.get(&key)?;
                let t = Totals {
                    bytes: la.bytes,
                    blocks: la.blocks,
                    self_bytes: la.self_bytes,
                    self_blocks: la.self_blocks,
                };
                let measured = self.combine(std::iter::once((pi, t, f.stale)))?;
                let frame = &p.profile.frames[la.frame as usize];
                Some(Site {
                    profile: p.profile.path.clone(),
                    format: p.profile.format,
                    path: self.workspace.path(id),
                    line: key.0,
                    column: (key.1 > 0).then_some(key.1),
                    function: frame.function.as_deref().map(str::to_owned),
                    measured,
                    stacks: la.top.iter().map(|&(_, si)| self.stack(p, si)).collect(),
                })
            })
            .collect()
    }

    /// User sites that map to no workspace line, and bytes with no user frame, biggest first.
    pub fn unmapped(&self) -> Vec<Unmapped> {
        let mut out: Vec<Unmapped> = Vec::new();
        for p in &self.profiles {
            for u in &p.unmapped {
                out.push(Unmapped {
                    profile: p.profile.path.clone(),
                    frame: u.frame.map(|fi| self.frame_view(p, fi)),
                    reason: u.reason.clone(),
                    bytes: u.bytes,
                    blocks: u.blocks,
                    share: ratio(u.bytes, p.profile.total_bytes),
                    credited_bytes: u.credited_bytes,
                    credited_to: u
                        .credited_to
                        .map(|(id, line)| (self.workspace.path(id), line)),
                });
            }
        }
        out.sort_by_key(|u| std::cmp::Reverse(u.bytes));
        out
    }
}

/// The innermost function node containing `range`.
fn enclosing_function(tree: &Tree, range: &Range<usize>) -> Option<Range<usize>> {
    let mut node = tree
        .root_node()
        .descendant_for_byte_range(range.start, range.end.max(range.start))?;
    loop {
        if source::is_function_kind(node.kind()) {
            return Some(node.byte_range());
        }
        node = node.parent()?;
    }
}

/// Whether a V8 frame's function position is that of the function node `func`; with `None`,
/// whether it is the module's top level (a position inside no function, such as the CommonJS
/// wrapper's at 1:1).
fn positioned_in(tree: &Tree, src: &str, f: &Frame, func: Option<&Range<usize>>) -> bool {
    let Some(line) = f.line else { return false };
    source::function_at(tree, src, line, f.column).as_ref() == func
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{dhat, v8};

    fn ws() -> Arc<Workspace> {
        Arc::new(Workspace::from_files(
            Path::new("/w"),
            ["src/main.rs", "app.js"].map(PathBuf::from),
        ))
    }

    const RECURSIVE: &str = r#"{"dhatFileVersion":2,"mode":"rust-heap","pps":[
        {"tb":1000,"tbk":10,"fs":[1,2,2,2,3]},
        {"tb":200,"tbk":2,"fs":[1,3]}],
      "ftbl":["[root]","0x1: alloc::alloc::alloc (alloc/src/alloc.rs:1:1)",
        "0x2: app::walk (src/main.rs:3:9)","0x3: app::main (src/main.rs:9:5)"]}"#;

    #[test]
    fn recursion_counts_once_and_ranks_differ() {
        let mut set = ProfileSet::new(ws());
        set.add(dhat::read(Path::new("a.json"), RECURSIVE.as_bytes()).unwrap());
        let main = Path::new("/w/src/main.rs");
        let walk = set.line(main, 3).unwrap();
        assert_eq!((walk.bytes, walk.self_bytes, walk.blocks), (1000, 1000, 10));
        let call = set.line(main, 9).unwrap();
        assert_eq!((call.bytes, call.self_bytes), (1200, 200));
        assert!((call.share - 1.0).abs() < 1e-9);
        let by_self: Vec<u32> = set
            .hot_lines(main, HotRank::SelfBytes, 5, 0.0)
            .iter()
            .map(|h| h.line)
            .collect();
        assert_eq!(by_self, vec![3, 9]);
        let inclusive: Vec<u32> = set
            .hot_lines(main, HotRank::Inclusive, 1, 0.0)
            .iter()
            .map(|h| h.line)
            .collect();
        assert_eq!(inclusive, vec![9]);
        assert!(set
            .hot_lines(main, HotRank::SelfBytes, 5, 0.5)
            .iter()
            .all(|h| h.line == 3));
        assert!(matches!(set.function(main, "walk", 0), Heat::Hot(m) if m.bytes == 1000));
        assert!(
            matches!(set.span(main, 1..=5), Heat::Hot(m) if m.bytes == 1000 && m.self_bytes == 1000)
        );
        let stacks = set.line_stacks(main, 9);
        assert_eq!(
            stacks.iter().map(|s| s.bytes).collect::<Vec<_>>(),
            vec![1000, 200]
        );
        assert_eq!(stacks[0].frames.len(), 5);
        assert_eq!(stacks[0].frames[1].path.as_deref(), Some(main));

        // A second profile of the same file: figures add up, shares are of both totals.
        set.add(dhat::read(Path::new("b.json"), RECURSIVE.as_bytes()).unwrap());
        let call = set.line(main, 9).unwrap();
        assert_eq!(call.bytes, 2400);
        assert!((call.share - 1.0).abs() < 1e-9);
        set.remove(Path::new("b.json"));
        assert_eq!(set.line(main, 9).unwrap().bytes, 1200);
        assert_eq!(set.line(main, 4), None);
        assert!(set.covers(main) && !set.covers(Path::new("/w/app.js")));
        assert_eq!(set.span(Path::new("/w/app.js"), 1..=3), Heat::NotCovered);
    }

    #[test]
    fn v8_functions_by_name_and_line() {
        let json = r#"{"head":{"callFrame":{"functionName":"(root)","scriptId":"0","url":"","lineNumber":-1,"columnNumber":-1},"selfSize":0,"id":1,"children":[
          {"callFrame":{"functionName":"Store.load","scriptId":"5","url":"file:///srv/app.js","lineNumber":4,"columnNumber":6},"selfSize":3000,"id":2,"children":[
            {"callFrame":{"functionName":"","scriptId":"5","url":"file:///srv/app.js","lineNumber":4,"columnNumber":30},"selfSize":1000,"id":3,"children":[]}]}]}}"#;
        let mut set = ProfileSet::new(ws());
        set.add(v8::read(Path::new("x.heapprofile"), json.as_bytes()).unwrap());
        let app = Path::new("/w/app.js");
        assert!(
            matches!(set.function(app, "load", 5), Heat::Hot(m) if m.self_bytes == 3000 && m.bytes == 4000)
        );
        assert_eq!(set.function(app, "load", 6), Heat::Cold { stale: false });
        assert_eq!(set.function(app, "save", 5), Heat::Cold { stale: false });
        // Both functions start on line 5: the line carries both, each at its own column.
        assert_eq!(set.line(app, 5).unwrap().self_bytes, 4000);
        let hot = set.hot_lines(app, HotRank::SelfBytes, 5, 0.0);
        assert_eq!(
            hot.iter().map(|h| (h.line, h.column)).collect::<Vec<_>>(),
            vec![(5, Some(7)), (5, Some(31))]
        );
        let top = set.top_sites(1);
        assert_eq!(top[0].function.as_deref(), Some("Store.load"));
        assert_eq!(top[0].measured.granularity, Granularity::Function);
    }
}
