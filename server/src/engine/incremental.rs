//! Incremental analysis: after an edit, only the items that intersect it are walked again; the
//! findings of the others are kept, their byte offsets shifted.
//!
//! Items are the named children of the root (top-level functions, classes, impls, statements).
//! An item of the new tree is *clean* when an item of the same kind and extent, with the same
//! text on its lines, was analysed last time: no edit touched its lines (from the start of its
//! first line to the end of its last), tree-sitter reports no changed range in it
//! (`Tree::changed_ranges` between the edited old tree and the new one), and its extent and kind
//! match the old item shifted by the edits. Everything else is *dirty* and walked as in a full
//! analysis. The root node's own checks always run.
//!
//! Cross-item dependencies are tracked, not assumed away: a check that reads file-level state
//! (`Ctx::root` or `Ctx::memo`, e.g. a file's function signatures or imports) is recorded as a
//! *call* (rule, node) of its item and its findings are not cached. On a later analysis every
//! recorded call of a clean item runs again on the same node (found again by range, kind and
//! depth, with the same ancestors), with this analysis's file-level facts. So a finding is
//! reused only if it came from a check that saw nothing but its own item.
//!
//! Checks must therefore reach other items only through `Ctx::root`/`Ctx::memo`, not by walking
//! up from their node past their item with `Node::parent` and sideways. The property test in
//! `tests/incremental_props.rs` compares incremental results with full analyses of the same tree
//! over random edits in every language.
//!
//! After the walk, the shared post-processing (syntax-error overlap, suppressions, levels,
//! order) runs on all findings, exactly as in [`super::analyze_full`].

use std::ops::Range;

use tree_sitter::{InputEdit, Node, Tree};

use super::{Analysis, Call, Finding, Limits, Settings, Sink, Walker};
use crate::language::Lang;

/// What one item's last analysis left: its findings that came from item-local checks, its syntax
/// errors and the file-dependent checks to run again. Ranges are absolute, in the text of the
/// analysis that produced them.
struct Item {
    range: Range<usize>,
    /// `range` widened to whole lines: edits here make the item dirty.
    lines: Range<usize>,
    kind: u16,
    findings: Vec<Finding>,
    errors: Vec<Range<usize>>,
    calls: Vec<Call>,
    /// Checks used the item memo and some are file-dependent: re-running only those would
    /// see an item memo without what the others put in it, so the item is walked again.
    mixed: bool,
}

/// The state kept between analyses of one document.
pub struct Incremental {
    lang: Lang,
    /// The tree analysed last, as it was then.
    tree: Tree,
    /// Identifies the settings the cache was made with (the caller's generation counter).
    settings_key: u64,
    skip: Vec<u16>,
    items: Vec<Item>,
    stats: Stats,
}

/// How many items were reused and walked in the last analysis (for tests and benchmarks).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub reused: usize,
    pub walked: usize,
    pub calls_rerun: usize,
}

/// Start of the line holding `at`.
fn line_start(src: &[u8], at: usize) -> usize {
    memchr::memrchr(b'\n', &src[..at.min(src.len())]).map_or(0, |i| i + 1)
}

/// End of the line holding `at` (its `\n` included).
fn line_end(src: &[u8], at: usize) -> usize {
    let at = at.min(src.len());
    memchr::memchr(b'\n', &src[at..]).map_or(src.len(), |i| at + i + 1)
}

fn lines_of(src: &[u8], r: &Range<usize>) -> Range<usize> {
    line_start(src, r.start)..line_end(src, r.end.saturating_sub(1).max(r.start))
}

/// Maps a range of the old text through `edits` (applied in order): `None` if an edit touches
/// it (inclusive of both ends: an edit right at a boundary counts), else the shifted range.
fn map_range(r: &Range<usize>, edits: &[InputEdit]) -> Option<Range<usize>> {
    let (mut s, mut e) = (r.start, r.end);
    for ed in edits {
        if e < ed.start_byte {
            continue;
        }
        if s > ed.old_end_byte {
            s = s + ed.new_end_byte - ed.old_end_byte;
            e = e + ed.new_end_byte - ed.old_end_byte;
            continue;
        }
        return None;
    }
    Some(s..e)
}

fn shift(r: &mut Range<usize>, old_start: usize, new_start: usize) {
    r.start = r.start - old_start + new_start;
    r.end = r.end - old_start + new_start;
}

fn intersects(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start <= b.end && b.start <= a.end
}

impl Incremental {
    /// Statistics of the last analysis.
    pub fn stats(&self) -> Stats {
        self.stats
    }
}

/// Analyses `tree` (the current tree of `src`), reusing `state` from the previous analysis of the
/// same document when `edits` lists every edit made to the text since then (in order, as given
/// to `Tree::edit`). Without edits (`None`), or with other settings or limits, it analyses in
/// full. Either way `state` is left ready for the next call. The result is exactly what
/// [`super::analyze_full`] returns for the same tree (the property test checks this).
#[allow(clippy::too_many_arguments)]
pub fn analyze_incremental(
    state: &mut Option<Incremental>,
    lang: Lang,
    src: &str,
    tree: &Tree,
    edits: Option<&[InputEdit]>,
    settings: &Settings,
    settings_key: u64,
    limits: &Limits,
) -> Analysis {
    let old = state
        .take()
        .filter(|s| s.lang == lang && s.settings_key == settings_key && s.skip == limits.skip);
    let (old, edits) = match (old, edits) {
        (Some(o), Some(e)) => (Some(o), e),
        _ => (None, &[][..]),
    };
    let bytes = src.as_bytes();
    let root = tree.root_node();
    let mut w = Walker::new(lang, src, root, settings, limits);
    w.push_root();
    let mut out = Sink::default();
    let mut stats = Stats::default();
    if root.is_error() || root.is_missing() {
        w.walk_subtree(root, &mut out);
        return w.finish(tree, out.findings, &out.errors);
    }
    // What changed in the tree's structure, in new coordinates.
    let changed: Vec<Range<usize>> = match &old {
        Some(o) => {
            let mut before = o.tree.clone();
            for e in edits {
                before.edit(e);
            }
            before
                .changed_ranges(tree)
                .map(|r| r.start_byte..r.end_byte)
                .collect()
        }
        None => Vec::new(),
    };
    // The old items, shifted to new coordinates (`None`: touched by an edit).
    let mut old_items: Vec<(Option<Range<usize>>, Item)> = old
        .map(|o| o.items)
        .unwrap_or_default()
        .into_iter()
        .map(|it| (map_range(&it.lines, edits), it))
        .collect();
    let mut next_old = 0;

    // The root's own checks: never cached.
    w.visit(root, &mut out);
    let mut items = Vec::with_capacity(root.named_child_count());
    let mut cursor = root.walk();
    if cursor.goto_first_child() {
        loop {
            let node = cursor.node();
            if node.is_named() {
                w.push(&cursor);
                let range = node.byte_range();
                let lines = lines_of(bytes, &range);
                // The old item at the same shifted place, if any.
                while next_old < old_items.len()
                    && old_items[next_old]
                        .0
                        .as_ref()
                        .is_none_or(|l| l.start < lines.start)
                {
                    next_old += 1;
                }
                let reuse = next_old < old_items.len() && {
                    let (l, it) = &old_items[next_old];
                    let shifted = l.as_ref().expect("skipped the touched ones");
                    *shifted == lines
                        && it.kind == node.kind_id()
                        && it.range.end - it.range.start == range.end - range.start
                        && it.range.start - it.lines.start == range.start - lines.start
                        && !node.is_error()
                        && !node.is_missing()
                        && !changed.iter().any(|c| intersects(c, &lines))
                };
                let item = if reuse {
                    let it = std::mem::replace(&mut old_items[next_old].1, empty_item());
                    next_old += 1;
                    match reuse_item(&mut w, it, node, range.clone(), lines.clone(), &mut out) {
                        Ok(item) => {
                            stats.reused += 1;
                            item
                        }
                        Err(NoReuse::Walk) => {
                            stats.walked += 1;
                            walk_item(&mut w, node, range, lines, &mut out)
                        }
                        Err(NoReuse::Restart) => {
                            drop(w);
                            return analyze_incremental(
                                state,
                                lang,
                                src,
                                tree,
                                None,
                                settings,
                                settings_key,
                                limits,
                            );
                        }
                    }
                } else {
                    stats.walked += 1;
                    walk_item(&mut w, node, range, lines, &mut out)
                };
                stats.calls_rerun += item.calls.len() * usize::from(reuse);
                items.push(item);
                w.stack.pop();
            } else {
                // Anonymous root children have no rules; ERROR/MISSING ones are recorded.
                w.push(&cursor);
                w.visit(node, &mut out);
                w.stack.pop();
            }
            if !cursor.goto_next_sibling() {
                break;
            }
        }
    }
    let failed = !w.failures.is_empty();
    let mut findings = out.findings;
    findings.append(&mut out.global);
    let analysis = w.finish(tree, findings, &out.errors);
    // After a failure, the next analysis starts afresh.
    if !failed {
        *state = Some(Incremental {
            lang,
            tree: tree.clone(),
            settings_key,
            skip: limits.skip.clone(),
            items,
            stats,
        });
    }
    analysis
}

fn empty_item() -> Item {
    Item {
        range: 0..0,
        lines: 0..0,
        kind: 0,
        findings: Vec::new(),
        errors: Vec::new(),
        calls: Vec::new(),
        mixed: false,
    }
}

/// Walks a dirty item (its frame is the stack's top) and records what to keep.
fn walk_item<'t>(
    w: &mut Walker<'_, 't>,
    node: Node<'t>,
    range: Range<usize>,
    lines: Range<usize>,
    out: &mut Sink,
) -> Item {
    let mut sink = Sink {
        track: true,
        ..Sink::default()
    };
    w.clear_item_memo();
    w.walk_subtree(node, &mut sink);
    out.findings.extend(sink.findings.iter().cloned());
    out.errors.extend(sink.errors.iter().cloned());
    out.global.append(&mut sink.global);
    Item {
        range,
        lines,
        kind: node.kind_id(),
        findings: sink.findings,
        errors: sink.errors,
        mixed: sink.item_memo_used && !sink.calls.is_empty(),
        calls: sink.calls,
    }
}

/// Why a clean item could not be reused.
enum NoReuse {
    /// Walk the item instead (nothing has run yet).
    Walk,
    /// A re-run check used the item memo: this analysis is redone in full.
    Restart,
}

/// A clean item: its cached findings and errors, shifted, and its file-dependent checks run
/// again.
fn reuse_item<'t>(
    w: &mut Walker<'_, 't>,
    mut it: Item,
    node: Node<'t>,
    range: Range<usize>,
    lines: Range<usize>,
    out: &mut Sink,
) -> Result<Item, NoReuse> {
    if it.mixed {
        return Err(NoReuse::Walk);
    }
    let (from, to) = (it.range.start, range.start);
    if from != to {
        for c in &mut it.calls {
            shift(&mut c.range, from, to);
        }
    }
    let base = w.stack.len();
    // Find every recorded node first, so that on a miss nothing has run (checks may have
    // changed file-level memos).
    for c in &it.calls {
        let found = descend_to(w, node, c).is_some();
        w.stack.truncate(base);
        if !found {
            return Err(NoReuse::Walk);
        }
    }
    let mut sink = Sink {
        track: true,
        ..Sink::default()
    };
    for c in &it.calls {
        if !w.alive(c.rule) {
            continue;
        }
        let target = descend_to(w, node, c).expect("found above");
        w.run(c.rule, target, &mut sink);
        w.stack.truncate(base);
    }
    if sink.item_memo_used {
        return Err(NoReuse::Restart);
    }
    if from != to {
        for f in &mut it.findings {
            shift(&mut f.range, from, to);
            if let Some(fix) = &mut f.fix {
                for e in &mut fix.edits {
                    shift(&mut e.range, from, to);
                }
            }
        }
        for e in &mut it.errors {
            shift(e, from, to);
        }
    }
    out.findings.extend(it.findings.iter().cloned());
    out.errors.extend(it.errors.iter().cloned());
    out.global.append(&mut sink.global);
    it.range = range;
    it.lines = lines;
    it.calls = sink.calls;
    Ok(it)
}

/// Pushes the frames from `item` (the stack's top) down to the node of `call`, and returns it.
fn descend_to<'t>(w: &mut Walker<'_, 't>, item: Node<'t>, call: &Call) -> Option<Node<'t>> {
    let depth = call.depth as usize;
    let r = &call.range;
    let mut cursor = item.walk();
    loop {
        let node = cursor.node();
        if w.stack.len() == depth {
            return (node.byte_range() == *r && node.kind_id() == call.kind).then_some(node);
        }
        if node.is_error() || node.is_missing() || !cursor.goto_first_child() {
            return None;
        }
        loop {
            let c = cursor.node();
            if c.start_byte() <= r.start && r.end <= c.end_byte() {
                break;
            }
            if !cursor.goto_next_sibling() {
                return None;
            }
        }
        w.push(&cursor);
    }
}
