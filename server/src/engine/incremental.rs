//! Incremental analysis: after an edit, only the items that intersect it are walked again; the
//! findings of the others are kept, their byte offsets shifted.
//!
//! Items are the named children of the root (top-level functions, classes, impls, statements).
//! An item of the new tree is *clean* when an item of the same kind and extent, with the same
//! text on its lines, was analysed last time: no edit touched its lines (from the start of its
//! first line to the end of its last), its extent and kind match the old item shifted by the
//! edits, and its structure is the same: the new tree reused the old item's subtree (same
//! [`subtree_of`]), or else the two items have the same nodes, compared one by one (kinds,
//! extents, fields; asked only then, and only of that item: tree-sitter re-lexes some items it
//! could have kept, doc comments among them). Everything else is *dirty* and walked as in a full
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

use std::collections::HashMap;
use std::ops::Range;
use std::rc::Rc;

use tree_sitter::{InputEdit, Node, Tree, TreeCursor};

use super::parts::{part_in, AnyPart, ItemTable, KeyDep, PartKey, PartSlots};
use super::{Analysis, Call, Finding, Limits, Peer, Settings, Sink, Walker};
use crate::language::Lang;

/// What one item's last analysis left: its findings that came from item-local checks, its syntax
/// errors and the file-dependent checks to run again. Ranges are absolute, in the text of the
/// analysis that produced them.
struct Item {
    range: Range<usize>,
    /// `range` widened to whole lines: edits here make the item dirty.
    lines: Range<usize>,
    kind: u16,
    /// The identity of the item's subtree ([`subtree_of`]): equal in the new tree when
    /// tree-sitter reused the old item's subtree.
    subtree: u64,
    /// The identities of its children and where they sit ([`kids_of`]), for an item whose own
    /// subtree tree-sitter rebuilt around the same children.
    kids: u64,
    findings: Vec<Finding>,
    errors: Vec<Range<usize>>,
    calls: Vec<Call>,
    /// A check to run again used the item memo: re-running it alone would see an item memo
    /// without what the other checks put in it, so the item is walked again.
    mixed: bool,
    /// The item's parts of file-level facts ([`super::ItemPart`]), positions relative to its
    /// start.
    parts: PartSlots,
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
    /// The item vector of the analysis before, emptied: the next analysis fills it, so that no
    /// document-sized vector is allocated per edit.
    spare: Vec<Item>,
    stats: Stats,
}

/// How many items were reused and walked in the last analysis (for tests and benchmarks).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub reused: usize,
    pub walked: usize,
    /// Checks of reused items run again (they read file-level state, or parts that changed).
    pub calls_rerun: usize,
    /// Checks of reused items that read only unchanged parts: findings kept without running.
    pub calls_kept: usize,
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

/// Whether the old tree's item `old` has the same nodes as `new`, one by one in the same order:
/// kinds (aliases included), extents relative to the item, fields, and the extra and missing
/// flags. With the same text, that is all a rule can see. Below a pair of nodes that hold the
/// same subtree, nothing is compared: it is the same data. `a` and `b` are cursors of the two
/// trees, reset here (kept by the caller for their buffers).
fn same_nodes<'o, 'n>(
    a: &mut TreeCursor<'o>,
    b: &mut TreeCursor<'n>,
    old: Node<'o>,
    new: Node<'n>,
) -> bool {
    a.reset(old);
    b.reset(new);
    let (from, to) = (old.start_byte(), new.start_byte());
    loop {
        let (x, y) = (a.node(), b.node());
        if x.kind_id() != y.kind_id()
            || x.start_byte() - from != y.start_byte() - to
            || x.end_byte() - from != y.end_byte() - to
            || x.child_count() != y.child_count()
            || x.is_extra() != y.is_extra()
            || x.is_missing() != y.is_missing()
            || a.field_id() != b.field_id()
        {
            return false;
        }
        // The same subtree below both (tree-sitter reused it, the old tree keeps it alive): equal
        // all the way down, and relative extents and fields inside it are its own. Otherwise
        // both move in step (the child counts are equal).
        if subtree_of(x) != subtree_of(y) && a.goto_first_child() {
            b.goto_first_child();
            continue;
        }
        loop {
            if a.goto_next_sibling() {
                b.goto_next_sibling();
                break;
            }
            if !a.goto_parent() {
                return true;
            }
            b.goto_parent();
        }
    }
}

/// The named children of `node`, read with one cursor.
fn named_children(node: Node<'_>) -> Vec<Node<'_>> {
    let mut out = Vec::with_capacity(node.named_child_count());
    let mut c = node.walk();
    if c.goto_first_child() {
        loop {
            if c.node().is_named() {
                out.push(c.node());
            }
            if !c.goto_next_sibling() {
                break;
            }
        }
    }
    out
}

/// The identity of the subtree behind `node`, the same in a tree reparsed from an old one when
/// tree-sitter reused the old subtree as it was (same structure, same kinds and sizes).
///
/// `Node::id` cannot tell: it is the address of the node's slot in its parent's child array,
/// and a reparse rebuilds the hidden nodes that hold long sequences (a file's items), so most
/// items of the reparsed tree get new ids though their subtrees were reused. What the slot
/// holds is the subtree itself: a pointer to its shared, reference-counted data, or for a small
/// leaf the leaf's data inline. An old tree kept alive keeps its subtrees alive, so an equal
/// pointer is the same subtree, and equal inline data is an equal leaf.
fn subtree_of(node: Node<'_>) -> u64 {
    // SAFETY: tree-sitter makes a node's id the address of its `Subtree` slot (`ts_node_new`
    // stores it, `ts_node__subtree` reads it back the same way), inside the tree that `node`
    // borrows, so the slot is live. `Subtree` is an 8-byte union (a pointer, or inline data of
    // 8 bytes); it is read unaligned so that no alignment is assumed. The unit test
    // `subtree_identity_survives_a_reparse` checks the layout this relies on.
    unsafe { std::ptr::read_unaligned(node.id() as *const u64) }
}

/// A hash of the identities of `node`'s children ([`subtree_of`]) with their kinds (aliases
/// included), fields, flags and offsets in `node`: equal for an item that tree-sitter rebuilt
/// around the same children, which is then the same item. The identities are those of subtrees
/// that the kept tree holds (the item's own, or its old children), so an equal value is not an
/// address reused by a new subtree; it is a 64-bit hash, so two different lists of children
/// compare equal with a chance of about 2^-64. `c` is a cursor of `node`'s tree, reset here.
fn kids_of<'t>(c: &mut TreeCursor<'t>, node: Node<'t>) -> u64 {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut h = DefaultHasher::new();
    let start = node.start_byte();
    c.reset(node);
    if c.goto_first_child() {
        loop {
            let n = c.node();
            (
                subtree_of(n),
                n.kind_id(),
                c.field_id().map(|f| f.get()),
                n.start_byte() - start,
                n.is_extra(),
            )
                .hash(&mut h);
            if !c.goto_next_sibling() {
                break;
            }
        }
    }
    h.finish()
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
    let (old_tree, mut old_items, mut items) = match old {
        Some(o) => (Some(o.tree), o.items, o.spare),
        None => (None, Vec::new(), Vec::new()),
    };
    let old_root = old_tree.as_ref().map(Tree::root_node);
    // The old items' lines, shifted to new coordinates (`None`: touched by an edit).
    let shifted: Vec<Option<Range<usize>>> = old_items
        .iter()
        .map(|it| map_range(&it.lines, edits))
        .collect();
    let mut old_parts: Vec<PartSlots> = old_items
        .iter_mut()
        .map(|it| std::mem::take(&mut it.parts))
        .collect();

    // The root's children, read with one cursor, once: each cursor step goes through the hidden
    // nodes that tree-sitter balances a long sequence into. Their fields are kept only for a
    // root whose fields matter to the walk (none of the grammars' roots has any), so the nodes
    // alone fill the vector.
    let root_fields = w.kinds.field_matters(root.kind_id(), false);
    let mut children: Vec<Node<'_>> = Vec::with_capacity(root.child_count() as usize);
    let mut fields: Vec<Option<u16>> = Vec::new();
    let mut cursor = root.walk();
    if cursor.goto_first_child() {
        loop {
            children.push(cursor.node());
            if root_fields {
                fields.push(cursor.field_id().map(|f| f.get()));
            }
            if !cursor.goto_next_sibling() {
                break;
            }
        }
    }
    // `cursor` is kept for its buffer: it hashes and compares items below, and the old tree
    // gets one of its own the first time an item is compared node by node.
    let mut old_cursor: Option<TreeCursor<'_>> = None;

    // The new items, each with the old item it is a clean copy of, if any.
    let mut nodes = Vec::with_capacity(root.named_child_count());
    let mut matched: Vec<Option<usize>> = Vec::with_capacity(nodes.capacity());
    // Each new item's lines, for the walk below.
    let mut item_lines: Vec<Range<usize>> = Vec::with_capacity(nodes.capacity());
    // Each new item's [`kids_of`], when it was needed (its subtree is not the old one's).
    let mut kids: Vec<u64> = vec![0; nodes.capacity()];
    let mut next_old = 0;
    // The old tree's items, read with one cursor the first time one is compared node by node
    // (indexed like `old_items`: an analysis keeps one item per named child of the root).
    let mut old_nodes: Option<Vec<Node<'_>>> = None;
    for &node in children.iter().filter(|n| n.is_named()) {
        let range = node.byte_range();
        let lines = lines_of(bytes, &range);
        // The old item at the same shifted place, if any.
        while next_old < old_items.len()
            && shifted[next_old]
                .as_ref()
                .is_none_or(|l| l.start < lines.start)
        {
            next_old += 1;
        }
        let clean = next_old < old_items.len() && {
            let it = &old_items[next_old];
            let shifted = shifted[next_old]
                .as_ref()
                .expect("skipped the touched ones");
            *shifted == lines
                && it.kind == node.kind_id()
                && it.range.end - it.range.start == range.end - range.start
                && it.range.start - it.lines.start == range.start - lines.start
                && !node.is_error()
                && !node.is_missing()
                && (it.subtree == subtree_of(node) || {
                    let k = kids_of(&mut cursor, node);
                    kids[nodes.len()] = k;
                    it.kids == k
                        || old_root.is_some_and(|r| {
                            let olds = old_nodes.get_or_insert_with(|| named_children(r));
                            olds.get(next_old).is_some_and(|&o| {
                                let a = old_cursor.get_or_insert_with(|| o.walk());
                                o.byte_range() == it.range && same_nodes(a, &mut cursor, o, node)
                            })
                        })
                })
        };
        matched.push(clean.then_some(next_old));
        next_old += usize::from(clean);
        nodes.push(node);
        item_lines.push(lines);
    }
    w.put_cursor(cursor);
    // The parts of clean items carry over; the unmatched old items keep theirs in `old_parts`
    // to compare with what replaced them.
    let slots = matched
        .iter()
        .map(|m| m.map_or_else(Vec::new, |j| std::mem::take(&mut old_parts[j])))
        .collect();
    let mut cutoff = Cutoff::new(matched, old_items.len(), old_parts);
    w.items = ItemTable::with_items(root, nodes, slots);

    // The root's own checks: never cached.
    w.visit(root, &mut out);
    items.clear();
    items.reserve(cutoff.matched.len());
    let mut i = 0;
    for (k, &node) in children.iter().enumerate() {
        let field = || fields.get(k).copied().flatten();
        if node.is_named() {
            w.push_child_with(node, field);
            let range = node.byte_range();
            let lines = item_lines[i].clone();
            let item = if let Some(j) = cutoff.matched[i] {
                let mut it = std::mem::replace(&mut old_items[j], empty_item());
                if it.subtree != subtree_of(node) {
                    it.kids = kids[i];
                }
                let reused = reuse_item(
                    &mut w,
                    it,
                    node,
                    range.clone(),
                    lines.clone(),
                    &mut cutoff,
                    &mut out,
                    &mut stats,
                );
                match reused {
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
            items.push(item);
            i += 1;
            w.stack.pop();
        } else {
            // Anonymous root children have no rules; ERROR/MISSING ones are recorded.
            w.push_child_with(node, field);
            w.visit(node, &mut out);
            w.stack.pop();
        }
    }
    for (item, parts) in items.iter_mut().zip(w.items.take_slots()) {
        item.parts = parts;
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
            spare: {
                old_items.clear();
                old_items
            },
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
        subtree: 0,
        kids: 0,
        findings: Vec::new(),
        errors: Vec::new(),
        calls: Vec::new(),
        mixed: false,
        parts: Vec::new(),
    }
}

/// Whether the parts of a type are the same sequence as in the previous analysis, which is when
/// the checks that read only them (beyond their item) keep their findings.
///
/// Clean items carry their parts over, so only the stretches between them can differ: each run
/// of old items that were replaced (`old`) and the run of new items that took their place
/// (`new`). The parts are unchanged when every such run has as many items on both sides and their
/// parts compare equal one by one (positions in parts are relative to their item, so an edit
/// that only moved things inside an item leaves its part equal).
struct Cutoff {
    /// Each new item's old index, when it is a clean copy of that item ([`Peer`] checks).
    matched: Vec<Option<usize>>,
    hunks: Vec<(Range<usize>, Range<usize>)>,
    /// The parts of the old items, indexed like them (emptied for the clean ones).
    old_parts: Vec<PartSlots>,
    /// The answers so far, per part type.
    known: Vec<(std::any::TypeId, bool)>,
    /// The answers so far, per part type and key hash (a check may depend on many keys, one
    /// per name it asked about, so a file has hundreds of them: looked up by hash, not by scan).
    known_keyed: HashMap<(std::any::TypeId, u64), bool>,
}

impl Cutoff {
    fn new(matched: Vec<Option<usize>>, old_len: usize, old_parts: Vec<PartSlots>) -> Self {
        let mut hunks = Vec::new();
        let (mut old, mut new) = (0, 0);
        for (i, m) in matched.iter().enumerate() {
            if let Some(j) = *m {
                if old < j || new < i {
                    hunks.push((old..j, new..i));
                }
                (old, new) = (j + 1, i + 1);
            }
        }
        if old < old_len || new < matched.len() {
            hunks.push((old..old_len, new..matched.len()));
        }
        Self {
            matched,
            hunks,
            old_parts,
            known: Vec::new(),
            known_keyed: HashMap::new(),
        }
    }

    /// Whether the item a check read ([`Ctx::item_at`]) is as it was: the new item at its index
    /// is a clean copy of the old one there and starts on the same row.
    fn peer_unchanged(&self, peer: Peer, table: &ItemTable<'_>) -> bool {
        let i = peer.index as usize;
        self.matched.get(i) == Some(&Some(i))
            && table
                .nodes()
                .get(i)
                .is_some_and(|n| n.start_position().row == peer.row as usize)
    }

    /// The part of type `id` the old item `j` had, if it was computed.
    fn old_part(&self, j: usize, id: std::any::TypeId) -> Option<&Rc<dyn AnyPart>> {
        self.old_parts[j]
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, p)| p)
    }

    fn unchanged(&mut self, key: PartKey, table: &ItemTable<'_>, src: &str) -> bool {
        if let Some(&(_, answer)) = self.known.iter().find(|(id, _)| *id == key.id) {
            return answer;
        }
        let answer = self.hunks.iter().all(|(old, new)| {
            old.len() == new.len()
                && old.clone().zip(new.clone()).all(|(j, i)| {
                    self.old_part(j, key.id).is_some_and(|before| {
                        new_part(table, i, key, src).is_some_and(|after| before.same(&*after))
                    })
                })
        });
        self.known.push((key.id, answer));
        answer
    }

    /// Whether the answer to "does any item's part mention the key" is the same as in the
    /// previous analysis: the parts are unchanged, or no part in the replaced stretches (old or
    /// new) yields the key. Clean items carry their parts over, so only those can differ.
    fn unchanged_for(&mut self, dep: KeyDep, table: &ItemTable<'_>, src: &str) -> bool {
        // Unchanged parts answer for every key at once (the common case: an edit inside a body).
        if self.unchanged(dep.key, table, src) {
            return true;
        }
        let (id, hash) = (dep.key.id, dep.hash);
        if let Some(&answer) = self.known_keyed.get(&(id, hash)) {
            return answer;
        }
        let answer = self.hunks.iter().all(|(old, new)| {
            old.clone().all(|j| {
                self.old_part(j, id)
                    .is_some_and(|before| !(dep.yields)(&**before, hash))
            }) && new.clone().all(|i| {
                new_part(table, i, dep.key, src).is_some_and(|after| !(dep.yields)(&*after, hash))
            })
        });
        self.known_keyed.insert((id, hash), answer);
        answer
    }
}

/// The part of type `key` of the new item `i`, computed if missing; `None` if computing it
/// panicked (the check that reads it then computes it again, under its own panic isolation).
fn new_part(table: &ItemTable<'_>, i: usize, key: PartKey, src: &str) -> Option<Rc<dyn AnyPart>> {
    let node = table.nodes()[i];
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        part_in(&mut table.slots.borrow_mut()[i], key, node, src)
    }))
    .ok()
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
    let mut cursor = w.cursor(node);
    let kids = kids_of(&mut cursor, node);
    w.put_cursor(cursor);
    Item {
        range,
        lines,
        kind: node.kind_id(),
        subtree: subtree_of(node),
        kids,
        findings: sink.findings,
        errors: sink.errors,
        mixed: sink.calls.iter().any(|c| c.item_memo),
        calls: sink.calls,
        parts: Vec::new(),
    }
}

/// Why a clean item could not be reused.
enum NoReuse {
    /// Walk the item instead (nothing has run yet).
    Walk,
    /// A re-run check used the item memo: this analysis is redone in full.
    Restart,
}

/// A clean item: its cached findings and errors, shifted; its checks that read file-level state,
/// or parts that changed, run again; the findings of those that read only unchanged parts kept.
#[allow(clippy::too_many_arguments)]
fn reuse_item<'t>(
    w: &mut Walker<'_, 't>,
    mut it: Item,
    node: Node<'t>,
    range: Range<usize>,
    lines: Range<usize>,
    cutoff: &mut Cutoff,
    out: &mut Sink,
    stats: &mut Stats,
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
    // Which checks run again: the file-dependent ones and those whose parts changed (the
    // answers per part type are cached, so asking twice costs a lookup).
    let mut again = |c: &Call, w: &Walker<'_, 't>| {
        c.file
            || !c.deps.iter().all(|k| cutoff.unchanged(k, &w.items, w.src))
            || !c
                .deps
                .keyed()
                .all(|d| cutoff.unchanged_for(d, &w.items, w.src))
            || c.head.is_some_and(|h| !w.head_unchanged(&h))
            || c.peer.is_some_and(|p| !cutoff.peer_unchanged(p, &w.items))
    };
    let base = w.stack.len();
    // Find every node to run on first, so that on a miss nothing has run (checks may have
    // changed file-level memos).
    for c in &it.calls {
        if !again(c, w) {
            continue;
        }
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
        if !again(c, w) {
            stats.calls_kept += 1;
            continue;
        }
        stats.calls_rerun += 1;
        if !w.alive(c.rule) {
            continue;
        }
        let target = descend_to(w, node, c).expect("found above");
        w.run(c.rule, target, &mut sink);
        w.stack.truncate(base);
    }
    // The kept checks stay with their findings; the others are replaced by what they recorded
    // this time.
    it.calls.retain_mut(|c| {
        if again(c, w) {
            return false;
        }
        if from != to {
            match c.head {
                // Its edits in the file's head stay: the head is as it was.
                Some(_) => shift_findings_after(&mut c.findings, from, to),
                None => shift_findings(&mut c.findings, from, to),
            }
        }
        out.findings.extend(c.findings.iter().cloned());
        true
    });
    if sink.item_memo_used {
        return Err(NoReuse::Restart);
    }
    if from != to {
        shift_findings(&mut it.findings, from, to);
        for e in &mut it.errors {
            shift(e, from, to);
        }
    }
    out.findings.extend(it.findings.iter().cloned());
    out.errors.extend(it.errors.iter().cloned());
    out.global.append(&mut sink.global);
    it.range = range;
    it.lines = lines;
    it.subtree = subtree_of(node);
    it.calls.append(&mut sink.calls);
    Ok(it)
}

fn shift_findings(findings: &mut [Finding], from: usize, to: usize) {
    for f in findings {
        shift(&mut f.range, from, to);
        if let Some(fix) = &mut f.fix {
            fix.shift(to as isize - from as isize);
        }
    }
}

/// [`shift_findings`] for a check that read the file's head: the edits of its fixes before its
/// item (`from`, where the item was) stay where they are.
fn shift_findings_after(findings: &mut [Finding], from: usize, to: usize) {
    for f in findings {
        shift(&mut f.range, from, to);
        if let Some(fix) = &mut f.fix {
            fix.shift_after(to as isize - from as isize, from);
        }
    }
}

/// Pushes the frames from `item` (the stack's top) down to the node of `call`, and returns it.
fn descend_to<'t>(w: &mut Walker<'_, 't>, item: Node<'t>, call: &Call) -> Option<Node<'t>> {
    let mut cursor = w.cursor(item);
    let found = descend_with(w, &mut cursor, call);
    w.put_cursor(cursor);
    found
}

/// [`descend_to`] with `cursor` at the item.
fn descend_with<'t>(
    w: &mut Walker<'_, 't>,
    cursor: &mut TreeCursor<'t>,
    call: &Call,
) -> Option<Node<'t>> {
    let depth = call.depth as usize;
    let r = &call.range;
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
        w.push(cursor);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtree_identity_survives_a_reparse() {
        use crate::document::Document;
        // Enough items that tree-sitter balances them under hidden nodes, which a reparse may
        // rebuild, and one edit in the middle.
        let src: String = (0..400)
            .map(|i| format!("fn f{i}() {{ let v = {i}; }}\n"))
            .collect();
        let mut doc = Document::new(Lang::Rust, &src);
        let before = doc.tree().unwrap().clone();
        let at = src.find("let v = 200;").unwrap() + "let v = ".len();
        doc.edit(at..at, "1");
        doc.reparse();
        let after = doc.tree().unwrap();
        let items = |t: &Tree| -> Vec<(Range<usize>, u64)> {
            let root = t.root_node();
            let mut c = root.walk();
            root.named_children(&mut c)
                .map(|n| (n.byte_range(), subtree_of(n)))
                .collect()
        };
        let (old, new) = (items(&before), items(after));
        assert_eq!(old.len(), new.len());
        for (i, (o, n)) in old.iter().zip(&new).enumerate() {
            if i == 200 {
                assert_ne!(o.1, n.1, "the edited item is a new subtree");
                continue;
            }
            assert_eq!(o.1, n.1, "item {i} was reused, so its subtree is the same");
        }
        // A different tree of the same text shares nothing with the first.
        let fresh = Document::new(Lang::Rust, &src);
        let other = items(fresh.tree().unwrap());
        assert!(old.iter().zip(&other).all(|(o, n)| o.1 != n.1));
    }

    #[test]
    fn same_nodes_compares_an_item_node_by_node() {
        use crate::document::parse_str;
        use std::time::Duration;
        let parse = |s: &str| parse_str(Lang::Rust, s, Duration::from_secs(5)).unwrap();
        let old = parse("/// doc\nfn a() { 1 }\nstruct S { f: u8 }\n");
        // Parsed apart, so no subtree is shared; shifted by one line.
        let new = parse("\n/// doc\nfn a() { 1 }\nstruct S { f: u8 }\nfn b() { x }\n");
        let (o, n) = (old.root_node(), new.root_node());
        fn kids(r: Node<'_>) -> Vec<Node<'_>> {
            let mut c = r.walk();
            r.named_children(&mut c).collect()
        }
        let (ok, nk) = (kids(o), kids(n));
        // One pair of cursors for every comparison, as the analysis keeps them: each starts
        // where the last one left its cursors (deep inside an item, or after a mismatch).
        let (mut a, mut b) = (o.walk(), n.walk());
        let mut same = |x, y| same_nodes(&mut a, &mut b, x, y);
        assert!(!same(ok[1], nk[3]), "`1` is a literal, `x` an identifier");
        for (x, y) in ok.iter().zip(&nk) {
            assert_ne!(subtree_of(*x), subtree_of(*y));
            assert!(same(*x, *y), "{}", x.kind());
        }
        // Same kind and length, other nodes: `1` is a literal, `x` an identifier.
        assert!(!same(ok[1], nk[3]));
        assert!(!same(ok[0], nk[1]), "other kinds");
        assert_eq!(
            named_children(o),
            ok,
            "one cursor pass finds the same items"
        );
    }

    #[test]
    fn cutoff_compares_the_stretches_between_clean_items() {
        // Old items 0..5; new items: old 0 clean, then one new item for old 1 and 2, old 3
        // clean, then two new items where old 4 was.
        let matched = [Some(0), None, Some(3), None, None];
        let c = Cutoff::new(matched.to_vec(), 5, vec![Vec::new(); 5]);
        assert_eq!(c.hunks, [(1..3, 1..2), (4..5, 3..5)]);
        // Nothing replaced: nothing to compare.
        let c = Cutoff::new(vec![Some(0), Some(1)], 2, vec![Vec::new(); 2]);
        assert!(c.hunks.is_empty());
        // An item added at the start and one removed at the end.
        let c = Cutoff::new(vec![None, Some(0)], 2, vec![Vec::new(); 2]);
        assert_eq!(c.hunks, [(0..0, 0..1), (1..2, 2..2)]);
    }
}
