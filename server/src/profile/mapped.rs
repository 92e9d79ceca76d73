//! One profile mapped onto a workspace: which frames land on which file, and the totals per
//! line (and per function position, for V8), with the sites that map to nothing kept aside.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::time::SystemTime;

use super::dhat::crate_hint;
use super::model::{Format, Frame, Granularity, Profile};
use super::workspace::{FileId, Resolution, Workspace};

/// Why a user frame maps to no workspace line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnmappedReason {
    /// The profile has no file or line for it (e.g. a release build without debug info, or a
    /// V8 script collected before the profile was written).
    NoLineInfo,
    /// No workspace file shares its file name.
    NotInWorkspace,
    /// A Rust frame of a crate the workspace does not contain (a dependency).
    OtherCrate(String),
    /// Several workspace files match equally well.
    Ambiguous(Vec<PathBuf>),
    /// The stack has no user frame at all (runtime, standard library, interpreter start-up).
    NoUserFrame,
}

impl UnmappedReason {
    pub fn describe(&self) -> String {
        match self {
            UnmappedReason::NoLineInfo => "no file/line in the profile".to_owned(),
            UnmappedReason::NotInWorkspace => "no such file in the workspace".to_owned(),
            UnmappedReason::OtherCrate(k) => format!("crate `{k}` is not in the workspace"),
            UnmappedReason::Ambiguous(paths) => {
                let list: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                format!("ambiguous: matches {}", list.join(", "))
            }
            UnmappedReason::NoUserFrame => {
                "no user frame (runtime or library code only)".to_owned()
            }
        }
    }
}

/// How many sampled stacks each line keeps, biggest first.
pub(crate) const TOP_STACKS: usize = 3;

/// Totals for one line (one function position, for V8).
#[derive(Clone, Debug, Default)]
pub(crate) struct LineAgg {
    pub(crate) self_bytes: u64,
    pub(crate) self_blocks: u64,
    pub(crate) bytes: u64,
    pub(crate) blocks: u64,
    /// The biggest stacks through this line: (bytes, stack index), descending.
    pub(crate) top: Vec<(u64, u32)>,
    /// A frame at this line, for its function name and column.
    pub(crate) frame: u32,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct FileAgg {
    /// Keyed by (line, column); the column is 0 except for function-granularity profiles.
    pub(crate) lines: BTreeMap<(u32, u32), LineAgg>,
    /// The file changed after the profile was written.
    pub(crate) stale: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct UnmappedAgg {
    /// The first user frame, or `None` for stacks without one.
    pub(crate) frame: Option<u32>,
    pub(crate) reason: UnmappedReason,
    pub(crate) bytes: u64,
    pub(crate) blocks: u64,
    /// The part of `bytes` that went to a workspace line further up the stack.
    pub(crate) credited_bytes: u64,
    /// That line (the one that got the most).
    pub(crate) credited_to: Option<(FileId, u32)>,
    credited_best: u64,
}

const NO_SITE: u32 = u32::MAX;

/// A profile mapped onto a workspace. Built by [`super::ProfileSet::add`].
#[derive(Debug)]
pub struct MappedProfile {
    pub(crate) profile: Profile,
    /// Per frame: the workspace file it maps to (user frames with a line only).
    pub(crate) frame_file: Vec<Option<FileId>>,
    /// Per stack: its site frame, or `NO_SITE`.
    pub(crate) stack_site: Vec<u32>,
    pub(crate) files: HashMap<FileId, FileAgg>,
    pub(crate) unmapped: Vec<UnmappedAgg>,
}

impl MappedProfile {
    pub fn new(profile: Profile, ws: &Workspace) -> MappedProfile {
        let mut cache: HashMap<(&str, Option<&str>), Resolution> = HashMap::new();
        let mut frame_file = vec![None; profile.frames.len()];
        let mut reasons: HashMap<u32, UnmappedReason> = HashMap::new();
        for (i, f) in profile.frames.iter().enumerate() {
            if !f.user {
                continue;
            }
            let (Some(path), Some(_)) = (f.path.as_deref(), f.line) else {
                reasons.insert(i as u32, UnmappedReason::NoLineInfo);
                continue;
            };
            let hint = if profile.format == Format::Dhat {
                crate_hint(f)
            } else {
                None
            };
            let res = cache
                .entry((path, hint))
                .or_insert_with(|| ws.resolve(path, hint));
            match res {
                Resolution::Found(id) => frame_file[i] = Some(*id),
                Resolution::Missing => {
                    reasons.insert(i as u32, UnmappedReason::NotInWorkspace);
                }
                Resolution::OtherCrate(k) => {
                    reasons.insert(i as u32, UnmappedReason::OtherCrate(k.clone()));
                }
                Resolution::Ambiguous(ids) => {
                    let paths = ids.iter().map(|&id| ws.relative(id).to_owned()).collect();
                    reasons.insert(i as u32, UnmappedReason::Ambiguous(paths));
                }
            }
        }
        drop(cache);

        let column_key = |f: &Frame| match profile.granularity {
            Granularity::Function => f.column.unwrap_or(0),
            Granularity::Line => 0,
        };
        let mut files: HashMap<FileId, FileAgg> = HashMap::new();
        let mut unmapped: HashMap<Option<u32>, UnmappedAgg> = HashMap::new();
        let mut stack_site = Vec::with_capacity(profile.stacks.len());
        // The lines a stack has credited already (recursion credits a line once).
        let mut seen_lines = Seen::default();
        for (si, stack) in profile.stacks.iter().enumerate() {
            seen_lines.clear();
            let mut first_user: Option<u32> = None;
            let mut site: Option<(FileId, u32)> = None;
            let mut site_frame = NO_SITE;
            for fi in profile.stack_frames(stack) {
                let frame = &profile.frames[fi as usize];
                if !frame.user {
                    continue;
                }
                first_user.get_or_insert(fi);
                let Some(file) = frame_file[fi as usize] else {
                    continue;
                };
                let line = frame.line.unwrap_or(0);
                let key = (line, column_key(frame));
                let agg = files.entry(file).or_default();
                let la = agg.lines.entry(key).or_insert_with(|| LineAgg {
                    frame: fi,
                    ..LineAgg::default()
                });
                if site.is_none() {
                    site = Some((file, line));
                    site_frame = fi;
                    la.self_bytes += stack.bytes;
                    la.self_blocks += stack.blocks;
                }
                if seen_lines.insert((file, key.0, key.1)) {
                    la.bytes += stack.bytes;
                    la.blocks += stack.blocks;
                    push_top(&mut la.top, stack.bytes, si as u32);
                }
            }
            stack_site.push(site_frame);
            let (key, reason) = match first_user {
                None => (None, UnmappedReason::NoUserFrame),
                Some(fi) if fi != site_frame => (
                    Some(fi),
                    reasons
                        .get(&fi)
                        .cloned()
                        .unwrap_or(UnmappedReason::NotInWorkspace),
                ),
                Some(_) => continue,
            };
            let u = unmapped.entry(key).or_insert_with(|| UnmappedAgg {
                frame: key,
                reason,
                bytes: 0,
                blocks: 0,
                credited_bytes: 0,
                credited_to: None,
                credited_best: 0,
            });
            u.bytes += stack.bytes;
            u.blocks += stack.blocks;
            if let Some(s) = site {
                u.credited_bytes += stack.bytes;
                if stack.bytes > u.credited_best {
                    u.credited_best = stack.bytes;
                    u.credited_to = Some(s);
                }
            }
        }
        let taken = profile.modified;
        for (&id, agg) in files.iter_mut() {
            agg.stale = is_newer(ws, id, taken);
        }
        let mut unmapped: Vec<UnmappedAgg> = unmapped.into_values().collect();
        unmapped.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.frame.cmp(&b.frame)));
        MappedProfile {
            profile,
            frame_file,
            stack_site,
            files,
            unmapped,
        }
    }

    /// The profile as read.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// Whether a stack's site (first mapped user frame) is frame `fi`.
    pub(crate) fn site_of(&self, stack: u32) -> Option<u32> {
        let s = self.stack_site[stack as usize];
        (s != NO_SITE).then_some(s)
    }

    /// Sums the stacks that have a frame in `file` matching `pred` (inclusive), and those whose
    /// site matches (self). Each stack counts once. One pass over the call tree and the stacks.
    pub(crate) fn sum_where(&self, file: FileId, pred: impl Fn(&Frame) -> bool) -> Totals {
        let mut t = Totals::default();
        if !self.files.contains_key(&file) {
            return t;
        }
        // The predicate runs once per frame of the file, not once per call node.
        let fm: Vec<bool> = self
            .profile
            .frames
            .iter()
            .zip(&self.frame_file)
            .map(|(f, &ff)| ff == Some(file) && pred(f))
            .collect();
        let matches = |fi: u32| fm[fi as usize];
        // Parents come before children: `hit[n]` is whether node n or a caller of it matches.
        let mut hit: Vec<bool> = Vec::with_capacity(self.profile.nodes.len());
        for node in &self.profile.nodes {
            let up = node.parent != super::model::NO_NODE && hit[node.parent as usize];
            hit.push(up || matches(node.frame));
        }
        for (si, stack) in self.profile.stacks.iter().enumerate() {
            if !hit.get(stack.node as usize).copied().unwrap_or(false) {
                continue;
            }
            t.bytes += stack.bytes;
            t.blocks += stack.blocks;
            if self.site_of(si as u32).is_some_and(matches) {
                t.self_bytes += stack.bytes;
                t.self_blocks += stack.blocks;
            }
        }
        t
    }
}

/// Inclusive and self totals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    pub(crate) bytes: u64,
    pub(crate) blocks: u64,
    pub(crate) self_bytes: u64,
    pub(crate) self_blocks: u64,
}

/// A set for the few keys of one stack: a vector while small (the common case, and faster),
/// a hash set once deep recursion makes it large.
#[derive(Default)]
struct Seen {
    small: Vec<(FileId, u32, u32)>,
    big: HashSet<(FileId, u32, u32)>,
}

impl Seen {
    const SMALL: usize = 64;

    fn clear(&mut self) {
        self.small.clear();
        self.big.clear();
    }

    /// Whether `key` was not there yet.
    fn insert(&mut self, key: (FileId, u32, u32)) -> bool {
        if self.big.is_empty() {
            if self.small.contains(&key) {
                return false;
            }
            if self.small.len() < Self::SMALL {
                self.small.push(key);
                return true;
            }
            self.big.extend(self.small.drain(..));
        }
        self.big.insert(key)
    }
}

fn push_top(top: &mut Vec<(u64, u32)>, bytes: u64, stack: u32) {
    if top.len() == TOP_STACKS && top.last().is_some_and(|&(b, _)| b >= bytes) {
        return;
    }
    let at = top
        .iter()
        .position(|&(b, _)| b < bytes)
        .unwrap_or(top.len());
    top.insert(at, (bytes, stack));
    top.truncate(TOP_STACKS);
}

fn is_newer(ws: &Workspace, id: FileId, taken: Option<SystemTime>) -> bool {
    let Some(taken) = taken else { return false };
    std::fs::metadata(ws.path(id))
        .and_then(|m| m.modified())
        .is_ok_and(|m| m > taken)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_switches_to_a_hash_set() {
        let mut seen = Seen::default();
        for round in 0..2 {
            for i in 0..200u32 {
                assert_eq!(seen.insert((0, i, 0)), round == 0, "{i}");
            }
        }
        assert_eq!(seen.big.len(), 200);
        seen.clear();
        assert!(seen.insert((0, 1, 0)) && !seen.insert((0, 1, 0)));
    }

    #[test]
    fn keeps_the_top_three() {
        let mut top = Vec::new();
        for (b, s) in [(5, 0), (9, 1), (1, 2), (7, 3), (9, 4)] {
            push_top(&mut top, b, s);
        }
        assert_eq!(top, vec![(9, 1), (9, 4), (7, 3)]);
    }
}
