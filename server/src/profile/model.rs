//! The common model every reader produces: unique frames, and stacks of frame indices with the
//! bytes and blocks measured for them.

use std::collections::HashSet;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

/// Which reader produced a profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// `dhat-heap.json` from the `dhat` crate or valgrind's DHAT.
    Dhat,
    /// A V8 sampling heap profile (`.heapprofile`) from `node --heap-prof` or DevTools.
    V8,
    /// heap-audit's tracemalloc JSON (`heap-audit profile python`, or the documented snippet).
    Python,
}

impl Format {
    pub const fn name(self) -> &'static str {
        match self {
            Format::Dhat => "DHAT",
            Format::V8 => "V8 heap profile",
            Format::Python => "Python tracemalloc",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a profile puts its figures: on lines, or on whole functions (V8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Granularity {
    /// Frames carry the line that allocated or called (DHAT, tracemalloc).
    Line,
    /// Frames carry the function's own position (V8): its line is where the function's
    /// parameters start, and every figure belongs to the whole function.
    Function,
}

/// What the byte figures measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Measure {
    /// Every byte allocated over the run, freed or not (DHAT's `tb`/`tbk`).
    Allocated,
    /// Bytes still live when the profile was written, estimated from samples (V8); blocks are
    /// sample counts, not allocations.
    LiveSampled,
    /// Bytes still live when the snapshot was taken (tracemalloc); blocks are live blocks.
    Live,
}

impl Measure {
    /// A short phrase for summaries: "allocated over the run", …
    pub const fn describe(self) -> &'static str {
        match self {
            Measure::Allocated => "bytes allocated over the whole run",
            Measure::LiveSampled => "bytes live at exit, sampled (blocks are samples)",
            Measure::Live => "bytes live when the snapshot was taken",
        }
    }

    /// The unit of the block counts: "allocs", "samples" or "blocks".
    pub const fn blocks_unit(self) -> &'static str {
        match self {
            Measure::Allocated => "allocs",
            Measure::LiveSampled => "samples",
            Measure::Live => "blocks",
        }
    }
}

/// One frame as the profile wrote it. Paths are as written (another machine's, often).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Frame {
    /// The source path (or URL, for V8) as written in the profile; `None` when unknown.
    pub path: Option<Arc<str>>,
    /// 1-based line; `None` when the profile has no line information for this frame.
    pub line: Option<u32>,
    /// 1-based column, when the profile has one.
    pub column: Option<u32>,
    /// The function, when the profile names it (tracemalloc does not).
    pub function: Option<Arc<str>>,
    /// `false` for the allocator, the standard library, the runtime and the profiler itself.
    /// The allocation site of a stack is its first user frame.
    pub user: bool,
}

impl Frame {
    /// `function (path:line:col)`, for messages and hovers.
    pub fn display(&self) -> String {
        let mut s = String::new();
        if let Some(f) = &self.function {
            s.push_str(f);
            s.push(' ');
        }
        s.push('(');
        s.push_str(self.path.as_deref().unwrap_or("?"));
        if let Some(l) = self.line {
            s.push(':');
            s.push_str(&l.to_string());
            if let Some(c) = self.column {
                s.push(':');
                s.push_str(&c.to_string());
            }
        }
        s.push(')');
        s
    }
}

/// No node: the parent of a root call, or the node of an empty stack.
pub const NO_NODE: u32 = u32::MAX;

/// A node of the call tree: a frame and the node of its caller. Stacks share their common
/// outer parts, so a deep profile costs 8 bytes per distinct call path, not per frame per stack.
/// A parent always comes before its children in [`Profile::nodes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallNode {
    /// Index into [`Profile::frames`].
    pub frame: u32,
    /// Index into [`Profile::nodes`], or [`NO_NODE`] for an outermost call.
    pub parent: u32,
}

/// A call stack with its measured totals: `node` is its innermost (allocating) call; the rest
/// of the stack is that node's chain of parents ([`Profile::stack_frames`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stack {
    pub node: u32,
    pub bytes: u64,
    pub blocks: u64,
}

/// A profile as read from one file, before it is mapped onto a workspace.
#[derive(Clone, Debug)]
pub struct Profile {
    /// The profile file.
    pub path: PathBuf,
    pub format: Format,
    pub granularity: Granularity,
    pub measure: Measure,
    /// The profile file's modification time: when it was taken, for "profile older than file".
    pub modified: Option<SystemTime>,
    /// Sum over all stacks: the denominator of every share.
    pub total_bytes: u64,
    pub total_blocks: u64,
    pub frames: Vec<Frame>,
    /// The call tree the stacks point into.
    pub nodes: Vec<CallNode>,
    pub stacks: Vec<Stack>,
    /// What the reader noticed and kept going past (frames without line information, …).
    pub notes: Vec<String>,
}

impl Profile {
    pub(crate) fn new(path: PathBuf, format: Format) -> Self {
        let (granularity, measure) = match format {
            Format::Dhat => (Granularity::Line, Measure::Allocated),
            Format::V8 => (Granularity::Function, Measure::LiveSampled),
            Format::Python => (Granularity::Line, Measure::Live),
        };
        let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        Profile {
            path,
            format,
            granularity,
            measure,
            modified,
            total_bytes: 0,
            total_blocks: 0,
            frames: Vec::new(),
            nodes: Vec::new(),
            stacks: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Adds a stack ending at call node `node` and counts it in the totals. Stacks with no
    /// bytes and no blocks are skipped.
    pub(crate) fn push_stack(&mut self, node: u32, bytes: u64, blocks: u64) {
        if bytes == 0 && blocks == 0 {
            return;
        }
        self.total_bytes += bytes;
        self.total_blocks += blocks;
        self.stacks.push(Stack {
            node,
            bytes,
            blocks,
        });
    }

    /// A stack's frames (indices into `frames`), innermost first.
    pub fn stack_frames(&self, stack: &Stack) -> StackFrames<'_> {
        StackFrames {
            nodes: &self.nodes,
            next: stack.node,
        }
    }

    /// The allocation site of a stack: its first user frame, as an index into `frames`.
    pub fn site(&self, stack: &Stack) -> Option<u32> {
        self.stack_frames(stack)
            .find(|&f| self.frames[f as usize].user)
    }

    /// How many user frames have no line information.
    pub fn user_frames_without_line(&self) -> usize {
        self.frames
            .iter()
            .filter(|f| f.user && f.line.is_none())
            .count()
    }

    /// Adds the reader-independent notes (frames without line information, stacks that never
    /// reach user code). `cut_depth`: a stack this deep may have been cut short by the
    /// profiler's frame limit.
    pub(crate) fn finish(&mut self, cut_depth: Option<usize>) {
        let (mut no_user, mut cut) = (0u64, 0u64);
        for s in &self.stacks {
            if self.site(s).is_none() {
                no_user += s.bytes;
                if cut_depth.is_some_and(|d| self.stack_frames(s).count() >= d) {
                    cut += s.bytes;
                }
            }
        }
        if self.total_bytes > 0 && no_user * 10 > self.total_bytes {
            let hint = match self.format {
                _ if cut * 2 <= no_user => "runtime or library code allocated them",
                Format::Dhat => {
                    "their stacks look cut short: the dhat crate keeps 10 frames by default \
                     (`Profiler::builder().trim_backtraces(Some(100))`), valgrind 12 \
                     (`--num-callers=50`)"
                }
                Format::Python => "their stacks look cut short: raise `--frames`",
                Format::V8 => "runtime or library code allocated them",
            };
            self.notes.push(format!(
                "{:.0}% of the bytes have no user frame on their stack; {hint}",
                no_user as f64 * 100.0 / self.total_bytes as f64
            ));
        }
        let no_line = self.user_frames_without_line();
        if no_line > 0 {
            let total = self.frames.iter().filter(|f| f.user).count();
            self.notes.push(format!(
                "{no_line} of {total} user frames have no line information; their bytes go to \
                 the nearest caller that has one, or to the unmapped list"
            ));
        }
    }
}

/// The frames of a stack, innermost first: a walk up the call tree.
pub struct StackFrames<'a> {
    nodes: &'a [CallNode],
    next: u32,
}

impl Iterator for StackFrames<'_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        let node = self.nodes.get(self.next as usize)?;
        self.next = node.parent;
        Some(node.frame)
    }
}

/// Builds the call tree from stacks given outermost call first, sharing common prefixes.
///
/// Sharing goes through a fixed-size, direct-mapped cache of recent (caller, frame) → node
/// entries rather than a full map: memory stays bounded (1 MiB) however many distinct paths a
/// profile has, frequent prefixes (`main` → `run` → …) stay shared, and a miss only costs a
/// node that could have been shared (8 bytes).
pub(crate) struct CallTreeBuilder {
    slots: Vec<u32>,
}

const CACHE_BITS: u32 = 18;

impl Default for CallTreeBuilder {
    fn default() -> Self {
        CallTreeBuilder {
            slots: vec![NO_NODE; 1 << CACHE_BITS],
        }
    }
}

impl CallTreeBuilder {
    /// The node for `frames` (outermost first) under the existing tree; [`NO_NODE`] if empty.
    pub(crate) fn insert(
        &mut self,
        nodes: &mut Vec<CallNode>,
        frames: impl Iterator<Item = u32>,
    ) -> u32 {
        let mut at = NO_NODE;
        for frame in frames {
            let key = ((at as u64) << 32) | frame as u64;
            let slot = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - CACHE_BITS)) as usize;
            let cached = self.slots[slot];
            if let Some(n) = nodes.get(cached as usize) {
                if n.parent == at && n.frame == frame {
                    at = cached;
                    continue;
                }
            }
            nodes.push(CallNode { frame, parent: at });
            at = (nodes.len() - 1) as u32;
            self.slots[slot] = at;
        }
        at
    }
}

/// Shares repeated strings (paths, function names) among frames while a profile is read.
#[derive(Default)]
pub(crate) struct Interner {
    set: HashSet<Arc<str>>,
}

impl Interner {
    pub(crate) fn intern(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.set.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        self.set.insert(a.clone());
        a
    }
}

/// Gives each distinct frame one index, while a reader meets frames again and again (V8 nodes,
/// tracemalloc tracebacks).
#[derive(Default)]
pub(crate) struct FrameTable {
    pub(crate) frames: Vec<Frame>,
    index: std::collections::HashMap<Frame, u32>,
    pub(crate) strings: Interner,
}

impl FrameTable {
    pub(crate) fn add(&mut self, frame: Frame) -> u32 {
        if let Some(&i) = self.index.get(&frame) {
            return i;
        }
        let i = self.frames.len() as u32;
        self.frames.push(frame.clone());
        self.index.insert(frame, i);
        i
    }
}
