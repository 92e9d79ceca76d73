//! The audit engine: one walk per tree, dispatching nodes to the rules that want their kind.
//!
//! Input: a language, the text and its tree, and resolved [`Settings`]. Output: [`Finding`]s in
//! byte ranges. No LSP types, no files, no terminals.

use std::any::{Any, TypeId};
use std::cell::{Cell, RefCell};
use std::ops::Range;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tree_sitter::{Node, Tree};

use crate::language::{Family, Lang};
use crate::rules::{registry, DefaultSeverity, Rule};

pub mod fix;
pub mod incremental;
pub(crate) mod loops;
pub mod parts;
pub mod query;
mod settings;
pub mod suppress;
mod types;

pub use fix::{apply_edits, apply_fixes, fix_until_stable, select_fixes, FixMode};
pub use settings::{Settings, DEFAULT_MAX_FILE_SIZE};
pub use types::{Applicability, Edit, Finding, Fix, Level, Severity, Text};

use loops::{LoopKinds, OpaqueKinds};
use parts::{Deps, ItemSource, ItemTable, KeyDep, PartKey};
pub use parts::{ItemPart, KeyedPart, Parts};

fn loop_kinds(lang: Lang) -> &'static LoopKinds {
    static KINDS: [OnceLock<LoopKinds>; 5] = [const { OnceLock::new() }; 5];
    KINDS[lang.index()].get_or_init(|| LoopKinds::for_lang(lang))
}

fn opaque_kinds(lang: Lang) -> &'static OpaqueKinds {
    static KINDS: [OnceLock<OpaqueKinds>; 5] = [const { OnceLock::new() }; 5];
    KINDS[lang.index()].get_or_init(|| OpaqueKinds::for_lang(lang, registry()))
}

/// An ancestor on the walk's stack.
#[derive(Clone, Copy)]
pub struct Frame<'t> {
    pub node: Node<'t>,
    pub loop_depth: u32,
    is_callback: bool,
}

impl Frame<'_> {
    /// Whether this node is a closure passed to an iteration method (`forEach`, `map`, …), so
    /// its body runs once per element.
    pub fn is_callback(&self) -> bool {
        self.is_callback
    }
}

/// What a rule's check sees: the source, where the node sits, and a place to report.
pub struct Ctx<'a, 't> {
    src: &'a str,
    lang: Lang,
    root: Node<'t>,
    settings: &'a Settings,
    /// Ancestors of the current node, outermost first; the last is the current node.
    stack: &'a [Frame<'t>],
    rule: u16,
    findings: &'a mut Vec<Finding>,
    memo: &'a RefCell<Vec<(TypeId, Rc<dyn Any>)>>,
    /// Set when the check reads file-level state (`root`, `memo`): its findings may then depend
    /// on other items of the file, so incremental analysis re-runs it instead of reusing them.
    touched: &'a Cell<bool>,
    /// Values shared by the checks of one top-level item ([`Ctx::item_memo`]).
    item_memo: &'a RefCell<Vec<(TypeId, Rc<dyn Any>)>>,
    item_memo_used: &'a Cell<bool>,
    /// The file's top-level items and their parts ([`Ctx::parts`]).
    items: &'a dyn ItemSource,
    /// The same items' nodes ([`Ctx::item_at`]).
    item_nodes: &'a [Node<'t>],
    /// The part types this check read.
    parts_read: &'a Cell<Deps>,
    /// The file head this check read ([`Ctx::root_head`]).
    head_read: &'a Cell<Option<Head>>,
    /// The other item this check read ([`Ctx::item_at`]).
    peer_read: &'a Cell<Option<Peer>>,
    /// The heads' fingerprints in this analysis.
    heads: &'a RefCell<Vec<(TypeId, u64)>>,
    /// Incremental analysis records what this check reads.
    tracked: bool,
}

impl<'a, 't> Ctx<'a, 't> {
    /// The text, for reading the current node and what is around it in its item. A check that
    /// searches the rest of the file (text scans, absolute line numbers) uses [`Ctx::file_src`].
    pub fn src(&self) -> &'a str {
        self.src
    }

    /// The whole text, for searches beyond the current item (e.g. every use of a name, or the
    /// line number of another node): marks this check as file-dependent for incremental
    /// analysis, like [`Ctx::root`].
    pub fn file_src(&self) -> &'a str {
        self.touched.set(true);
        self.src
    }

    /// The text of a node (empty if its range is not on char boundaries, which tree-sitter does
    /// not produce for valid UTF-8).
    pub fn text(&self, node: Node) -> &'a str {
        self.src.get(node.byte_range()).unwrap_or("")
    }

    pub fn slice(&self, range: Range<usize>) -> &'a str {
        self.src.get(range).unwrap_or("")
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    pub fn family(&self) -> Family {
        self.lang.family()
    }

    pub fn settings(&self) -> &'a Settings {
        self.settings
    }

    /// The root of the tree. Reading it (or anything reached from it beyond the current item)
    /// marks this check as file-dependent for incremental analysis.
    pub fn root(&self) -> Node<'t> {
        self.touched.set(true);
        self.root
    }

    /// The root, for a check that reads only the head of the file (e.g. its leading imports,
    /// to place a new one), all of which `H` fingerprints: the check is not file-dependent but
    /// runs again when the fingerprint changes. While it does not, the edits its fixes make
    /// before the check's item stay where they are when the item moves. A second kind of head
    /// in the same check makes it file-dependent.
    pub fn root_head<H: FileHead>(&self) -> Node<'t> {
        let key = TypeId::of::<H>();
        match self.head_read.get() {
            None => self.head_read.set(Some(Head {
                key,
                fingerprint: H::fingerprint,
                value: head_value(self.heads, key, H::fingerprint, self.root, self.src),
            })),
            Some(h) if h.key == key => {}
            Some(_) => self.touched.set(true),
        }
        self.root
    }

    /// The top-level item holding byte `pos`, for a check that reads the nodes of one other
    /// item and where it starts (e.g. names the line of a node there; its own item counts too
    /// when the line is reported): the check depends on that item alone, not the whole file.
    /// Incremental analysis runs it again when the item is not a clean copy of the one it read,
    /// starts on another line, or has another index (items before it appeared or went). A
    /// second item makes the check file-dependent, as [`Ctx::root`] does.
    pub fn item_at(&self, pos: usize) -> Option<Node<'t>> {
        let nodes = self.item_nodes;
        let i = nodes
            .partition_point(|n| n.start_byte() <= pos)
            .checked_sub(1)?;
        let node = nodes[i];
        if pos >= node.end_byte() {
            return None;
        }
        let peer = Peer {
            index: i as u32,
            row: node.start_position().row as u32,
        };
        match self.peer_read.get() {
            None => self.peer_read.set(Some(peer)),
            Some(p) if p == peer => {}
            Some(_) => self.touched.set(true),
        }
        Some(node)
    }

    /// The top-level item (a named child of the root) that holds the current node, or the root
    /// itself for the root's own checks. Reading it does not make a check file-dependent: an
    /// item is all a check may see without [`Ctx::root`], [`Ctx::memo`] or [`Ctx::parts`].
    pub fn item(&self) -> Node<'t> {
        self.stack
            .get(1)
            .or(self.stack.first())
            .map_or(self.root, |f| f.node)
    }

    /// Whether this is a plain walk of the whole tree in file order (`check`, tests), with
    /// nothing recorded for incremental analysis. A check may then keep a running record of
    /// what it met earlier in the walk (through [`Ctx::node_cache`]) instead of reading item
    /// parts: cheaper, and the same answer, which `tests/incremental_props.rs` checks by
    /// comparing incremental analyses with full ones.
    pub fn walks_in_order(&self) -> bool {
        !self.tracked
    }

    /// Loop depth of the current node.
    pub fn loop_depth(&self) -> u32 {
        self.stack.last().map_or(0, |f| f.loop_depth)
    }

    /// The current node's frame (its node, loop depth and whether it is an iteration callback).
    pub fn frame(&self) -> Option<&Frame<'t>> {
        self.stack.last()
    }

    pub fn parent(&self) -> Option<Node<'t>> {
        self.stack.len().checked_sub(2).map(|i| self.stack[i].node)
    }

    /// The ancestors' frames, outermost first (the current node's own frame excluded).
    pub fn ancestor_frames(&self) -> &'a [Frame<'t>] {
        &self.stack[..self.stack.len().saturating_sub(1)]
    }

    /// Ancestors from the parent outwards, with their loop depths.
    pub fn ancestors(&self) -> impl Iterator<Item = &Frame<'t>> + '_ {
        self.stack[..self.stack.len().saturating_sub(1)]
            .iter()
            .rev()
    }

    /// Whether `kind` is a loop (or comprehension) kind in this language.
    pub fn is_loop(&self, node: Node) -> bool {
        loop_kinds(self.lang).is_loop(node.kind_id())
    }

    /// Whether `node` is a function, method, class or closure: a boundary for "same scope".
    pub fn is_function(&self, node: Node) -> bool {
        loop_kinds(self.lang).is_function(node.kind_id())
    }

    /// The innermost enclosing loop of the current node that still counts towards its depth,
    /// i.e. not beyond a function boundary.
    pub fn enclosing_loop(&self) -> Option<Node<'t>> {
        let kinds = loop_kinds(self.lang);
        for f in self.ancestors() {
            if kinds.is_loop(f.node.kind_id()) || f.is_callback {
                return Some(f.node);
            }
            if kinds.is_function(f.node.kind_id()) {
                return None;
            }
        }
        None
    }

    /// The innermost enclosing function-like node (fn, method, closure, class), if any.
    pub fn enclosing_function(&self) -> Option<Node<'t>> {
        let kinds = loop_kinds(self.lang);
        self.ancestors()
            .map(|f| f.node)
            .find(|n| kinds.is_function(n.kind_id()))
    }

    /// Runs the query `queries/<family>/<name>.scm` on `node`, calling `f` with the captures of
    /// each match that starts at `node` itself.
    pub fn query_at(&self, name: &str, node: Node<'t>, f: impl FnMut(&query::Captures<'_, 't>)) {
        query::matches_at(query::get(self.lang, name), node, self.src.as_bytes(), f)
    }

    /// Reports a finding for the running rule at the current node's loop depth. The returned
    /// finding can be given a fix or a lower default severity.
    pub fn report(&mut self, range: Range<usize>, message: impl Into<Text>) -> &mut Finding {
        let depth = self.loop_depth();
        self.report_at_depth(range, message, depth)
    }

    pub fn report_at_depth(
        &mut self,
        range: Range<usize>,
        message: impl Into<Text>,
        loop_depth: u32,
    ) -> &mut Finding {
        let rule = registry().rule(self.rule);
        let severity = default_severity(rule, loop_depth);
        self.findings.push(Finding {
            rule: self.rule,
            range,
            message: message.into(),
            severity,
            loop_depth,
            fix: None,
        });
        self.findings.last_mut().expect("just pushed")
    }

    /// A value shared by the checks of the current top-level item (keyed by type, starting from
    /// `T::default()` for each item): a cache of what the item's checks computed, e.g. the
    /// names of a loop shared by the closures in it. It must hold only what was computed from
    /// the item itself. Unlike [`Ctx::memo`] it does not make a check file-dependent.
    pub fn item_memo<T: Any + Default>(&self) -> Rc<T> {
        self.item_memo_used.set(true);
        slot(self.item_memo, T::default)
    }

    /// A cache shared by all checks of one analysis (keyed by type, starting from
    /// `T::default()`) that does not make a check file-dependent. Only for caches of pure
    /// functions of the nodes they are looked up with, looked up only with nodes of the current
    /// item (e.g. the names bound in the function around the node, keyed by the function's id):
    /// whether a value was cached must never change a check's result. Unlike
    /// [`Ctx::item_memo`], it lives for the whole analysis, so a file-dependent check re-run on
    /// its own finds the same values as in a full walk.
    pub fn node_cache<T: Any + Default>(&self) -> Rc<T> {
        slot(self.memo, T::default)
    }

    /// Computes a per-file value once per analysis and shares it among rules (e.g. the
    /// signatures of the file's functions). Keyed by type.
    ///
    /// Memoized values are file-level facts: using one marks this check as file-dependent for
    /// incremental analysis (it is re-run on every analysis instead of its findings reused).
    pub fn memo<T: Any>(&self, compute: impl FnOnce(Node<'t>, &'a str) -> T) -> Rc<T> {
        self.touched.set(true);
        slot(self.memo, || compute(self.root, self.src))
    }

    /// A file-level fact as one part per top-level item (see [`ItemPart`]): e.g. the signatures
    /// each item declares. Unlike [`Ctx::memo`], the check depends on these parts only, not on
    /// the whole file: incremental analysis computes parts only for the items an edit touched,
    /// and keeps this check's findings without running it when the parts it read are unchanged.
    pub fn parts<T: ItemPart>(&self) -> Rc<Parts<T>> {
        self.note_part::<T>();
        parts::parts::<T>(self.items, self.src)
    }

    /// A value computed once per analysis from the parts of type `T` (e.g. an index of them by
    /// name), with the same dependency as [`Ctx::parts`]. Keyed by `D`'s type.
    pub fn parts_memo<T: ItemPart, D: Any>(&self, f: impl FnOnce(&Rc<Parts<T>>) -> D) -> Rc<D> {
        self.note_part::<T>();
        parts::derived::<T, D>(self.items, self.src, f)
    }

    /// The parts of type `T`, for a check that then declares each key its answer depends on
    /// with [`Ctx::depends_on_key`] (e.g. an import's spelling depends on the parts that name
    /// the module, the function or their aliases): no dependency of its own. With a cache of
    /// such answers in a [`Ctx::parts_cache`], the keys are declared on every lookup.
    pub fn parts_by_key<T: KeyedPart>(&self) -> Rc<Parts<T>> {
        parts::parts::<T>(self.items, self.src)
    }

    /// A value computed once per analysis beside the parts of type `T`, with no dependency of
    /// its own (see [`Ctx::parts_by_key`]): a cache of answers whose keys the check declares.
    pub fn parts_cache<T: KeyedPart, D: Any>(&self, f: impl FnOnce(&Rc<Parts<T>>) -> D) -> Rc<D> {
        parts::derived::<T, D>(self.items, self.src, f)
    }

    /// Declares that the check depends on the parts of type `T` that mention `key`.
    pub fn depends_on_key<T: KeyedPart>(&self, key: &str) {
        let mut deps = self.parts_read.get();
        deps.add_keyed(KeyDep::of::<T>(key));
        self.parts_read.set(deps);
    }

    /// Whether any top-level item's part of type `T` mentions `key` (e.g. whether any item uses
    /// a fn's name as a value). The check depends only on the parts that mention `key`: an edit
    /// that changes other names in the parts keeps its findings.
    pub fn parts_mention<T: KeyedPart>(&self, key: &str) -> bool {
        self.depends_on_key::<T>(key);
        parts::parts::<T>(self.items, self.src)
            .iter()
            .any(|(_, p)| p.mentions(key))
    }

    fn note_part<T: ItemPart>(&self) {
        let mut deps = self.parts_read.get();
        deps.add(PartKey::of::<T>());
        self.parts_read.set(deps);
    }
}

/// What a check reads of the file's head ([`Ctx::root_head`]).
pub trait FileHead: 'static {
    /// A hash of everything the check reads of the head: its nodes' kinds and byte ranges and
    /// their text (positions included, so that equal fingerprints mean edits there apply in
    /// the same place).
    fn fingerprint(root: Node<'_>, src: &str) -> u64;
}

/// A head a check read, and its fingerprint then.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Head {
    pub key: TypeId,
    pub fingerprint: fn(Node<'_>, &str) -> u64,
    pub value: u64,
}

/// The one other item a check read ([`Ctx::item_at`]): its index among the root's named
/// children and the row it starts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Peer {
    pub index: u32,
    pub row: u32,
}

/// The fingerprint of head `key` in this analysis, computed once.
fn head_value(
    heads: &RefCell<Vec<(TypeId, u64)>>,
    key: TypeId,
    fingerprint: fn(Node<'_>, &str) -> u64,
    root: Node<'_>,
    src: &str,
) -> u64 {
    if let Some((_, v)) = heads.borrow().iter().find(|(k, _)| *k == key) {
        return *v;
    }
    let v = fingerprint(root, src);
    heads.borrow_mut().push((key, v));
    v
}

/// The value of type `T` among `slots` (one per type), made with `make` on first use.
fn slot<T: Any>(slots: &RefCell<Vec<(TypeId, Rc<dyn Any>)>>, make: impl FnOnce() -> T) -> Rc<T> {
    let key = TypeId::of::<T>();
    if let Some((_, v)) = slots.borrow().iter().find(|(k, _)| *k == key) {
        return v
            .clone()
            .downcast::<T>()
            .expect("memo type matches its key");
    }
    let value = Rc::new(make());
    slots.borrow_mut().push((key, value.clone() as Rc<dyn Any>));
    value
}

thread_local! {
    /// Set by [`mark_file_dependent`] during a check (see [`Ctx::root`]).
    static FILE_READ: Cell<bool> = const { Cell::new(false) };
}

/// Declares that the running check read beyond its own top-level item, for helpers that reach
/// other items without a `Ctx` (e.g. by climbing from a node to the program and scanning its
/// statements). Incremental analysis then re-runs the check instead of reusing its findings,
/// exactly as after [`Ctx::root`] or [`Ctx::memo`].
pub fn mark_file_dependent() {
    FILE_READ.with(|f| f.set(true));
}

/// The severity a rule gets without configuration.
pub fn default_severity(rule: &Rule, loop_depth: u32) -> Severity {
    match rule.meta.default {
        DefaultSeverity::Fixed(s) => s,
        DefaultSeverity::ByLoopDepth if loop_depth > 0 => Severity::Warning,
        DefaultSeverity::ByLoopDepth => Severity::Info,
    }
}

/// Runs every enabled rule of `lang`'s family over the whole tree, applies suppressions and
/// configured levels, drops findings in or overlapping syntax errors, and returns the findings
/// sorted by position.
pub fn analyze(lang: Lang, src: &str, tree: &Tree, settings: &Settings) -> Vec<Finding> {
    analyze_full(lang, src, tree, settings, &Limits::default()).findings
}

/// Limits on one analysis: rules to skip (e.g. switched off for a document after a panic) and a
/// time budget per rule (for very large files).
#[derive(Clone, Debug, Default)]
pub struct Limits {
    pub skip: Vec<u16>,
    pub rule_budget: Option<Duration>,
}

/// Why a rule stopped early in one analysis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// The rule panicked; the message is the panic's.
    Panicked(String),
    /// The rule used up its time budget.
    OverBudget,
}

/// A rule that did not finish; its findings from this analysis are dropped, the others stand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleFailure {
    pub rule: u16,
    /// Where it was when it stopped.
    pub at: Range<usize>,
    pub kind: FailureKind,
}

impl RuleFailure {
    pub fn rule_id(&self) -> &'static str {
        registry().rule(self.rule).meta.id
    }
}

/// Findings plus the rules that failed.
#[derive(Clone, Debug, Default)]
pub struct Analysis {
    pub findings: Vec<Finding>,
    pub failures: Vec<RuleFailure>,
}

/// [`analyze`] with limits, reporting rules that panicked or ran out of time. A panic in one rule
/// never stops the others.
pub fn analyze_full(
    lang: Lang,
    src: &str,
    tree: &Tree,
    settings: &Settings,
    limits: &Limits,
) -> Analysis {
    let root = tree.root_node();
    let mut w = Walker::new(lang, src, root, settings, limits);
    let mut sink = Sink::default();
    w.push_root();
    w.walk_subtree(root, &mut sink);
    w.finish(tree, sink.findings, &sink.errors)
}

/// The message of a caught panic.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_owned()
    }
}

/// Parses and analyses a string in one go (the CLI path and tests).
pub fn analyze_str(lang: Lang, src: &str, settings: &Settings) -> Option<Vec<Finding>> {
    let tree = crate::document::parse_str(lang, src, crate::document::DEFAULT_PARSE_BUDGET)?;
    Some(analyze(lang, src, &tree, settings))
}

/// A rule check that read beyond its item: where it ran, to run it again on a later analysis
/// whose item is otherwise unchanged.
#[derive(Clone, Debug)]
pub(crate) struct Call {
    pub range: Range<usize>,
    pub kind: u16,
    /// The walk's stack depth at the node (1 = the root).
    pub depth: u32,
    pub rule: u16,
    /// It read file-level state ([`Ctx::root`], [`Ctx::memo`], [`Ctx::file_src`]): always run
    /// again.
    pub file: bool,
    /// The part types it read ([`Ctx::parts`]).
    pub deps: Deps,
    /// The file head it read ([`Ctx::root_head`]).
    pub head: Option<Head>,
    /// The other item it read ([`Ctx::item_at`]).
    pub peer: Option<Peer>,
    /// Its findings, when it read parts only: kept as long as those parts are unchanged.
    pub findings: Vec<Finding>,
    /// It used the item memo ([`Ctx::item_memo`]), which only a walk of the whole item fills.
    pub item_memo: bool,
}

/// Where a walk's results go.
#[derive(Default)]
pub(crate) struct Sink {
    /// Findings of checks that read only their item (or, without tracking, all findings).
    pub findings: Vec<Finding>,
    /// ERROR and MISSING ranges.
    pub errors: Vec<Range<usize>>,
    /// With tracking, findings of file-dependent checks go to `global` and the checks to `calls`.
    pub track: bool,
    pub global: Vec<Finding>,
    pub calls: Vec<Call>,
    /// Whether a check used the item memo.
    pub item_memo_used: bool,
}

/// One analysis's walk: the rules' shared state (memo, failures, budgets) and the stack of
/// ancestors. Walks the whole tree or single items of it.
pub(crate) struct Walker<'a, 't> {
    lang: Lang,
    src: &'a str,
    root: Node<'t>,
    settings: &'a Settings,
    limits: &'a Limits,
    kinds: &'static LoopKinds,
    opaque: &'static OpaqueKinds,
    memo: RefCell<Vec<(TypeId, Rc<dyn Any>)>>,
    touched: Cell<bool>,
    item_memo: RefCell<Vec<(TypeId, Rc<dyn Any>)>>,
    item_memo_used: Cell<bool>,
    pub items: ItemTable<'t>,
    parts_read: Cell<Deps>,
    head_read: Cell<Option<Head>>,
    peer_read: Cell<Option<Peer>>,
    heads: RefCell<Vec<(TypeId, u64)>>,
    /// Rules that must not run (skipped, panicked or over budget in this analysis).
    dead: Vec<bool>,
    spent: Vec<Duration>,
    pub failures: Vec<RuleFailure>,
    pub stack: Vec<Frame<'t>>,
    /// [`Walker::walk_subtree`]'s count of siblings left per level (kept for its buffer).
    left: Vec<u32>,
    /// A tree cursor kept for its stack buffer: `Node::walk` allocates one per call, and an
    /// incremental analysis walks, hashes and compares items with cursors (see
    /// [`Walker::cursor`]).
    cursor: Option<tree_sitter::TreeCursor<'t>>,
}

impl<'a, 't> Walker<'a, 't> {
    pub fn new(
        lang: Lang,
        src: &'a str,
        root: Node<'t>,
        settings: &'a Settings,
        limits: &'a Limits,
    ) -> Self {
        let reg = registry();
        Self {
            lang,
            src,
            root,
            settings,
            limits,
            kinds: loop_kinds(lang),
            opaque: opaque_kinds(lang),
            memo: RefCell::new(Vec::new()),
            touched: Cell::new(false),
            item_memo: RefCell::new(Vec::new()),
            item_memo_used: Cell::new(false),
            items: ItemTable::new(root),
            parts_read: Cell::new(Deps::default()),
            head_read: Cell::new(None),
            peer_read: Cell::new(None),
            heads: RefCell::new(Vec::new()),
            dead: (0..reg.len() as u16)
                .map(|i| limits.skip.contains(&i))
                .collect(),
            spent: match limits.rule_budget {
                Some(_) => vec![Duration::ZERO; reg.len()],
                None => Vec::new(),
            },
            failures: Vec::new(),
            stack: Vec::with_capacity(64),
            left: Vec::with_capacity(64),
            cursor: None,
        }
    }

    /// A cursor at `node`: the kept one, reset, or a new one. Give it back with
    /// [`Walker::put_cursor`] so that the next caller reuses its buffer.
    pub fn cursor(&mut self, node: Node<'t>) -> tree_sitter::TreeCursor<'t> {
        match self.cursor.take() {
            Some(mut c) => {
                c.reset(node);
                c
            }
            None => node.walk(),
        }
    }

    /// Keeps `cursor` for the next [`Walker::cursor`].
    pub fn put_cursor(&mut self, cursor: tree_sitter::TreeCursor<'t>) {
        self.cursor = Some(cursor);
    }

    /// Starts the stack at the root.
    pub fn push_root(&mut self) {
        self.stack.clear();
        self.stack.push(Frame {
            node: self.root,
            loop_depth: 0,
            is_callback: false,
        });
    }

    /// Pushes the node under `cursor` (a child of the stack's top). Entering a top-level item
    /// starts its item memo afresh.
    pub fn push(&mut self, cursor: &tree_sitter::TreeCursor<'t>) {
        self.push_node(cursor.node(), cursor);
    }

    /// [`Walker::push`] for the cursor's node, already at hand.
    fn push_node(&mut self, node: Node<'t>, cursor: &tree_sitter::TreeCursor<'t>) {
        self.push_child_with(node, || cursor.field_id().map(|f| f.get()));
    }

    /// [`Walker::push`] for a child whose field (as `TreeCursor::field_id` gives it) was read
    /// before: the incremental pass reads the root's children once.
    pub(crate) fn push_child_with(&mut self, node: Node<'t>, field: impl FnOnce() -> Option<u16>) {
        push_child(
            self.kinds,
            &mut self.stack,
            node,
            field,
            self.src.as_bytes(),
        );
        if self.stack.len() == 2 {
            self.item_memo.borrow_mut().clear();
        }
    }

    /// Starts the current item's memo afresh.
    pub fn clear_item_memo(&mut self) {
        self.item_memo.borrow_mut().clear();
    }

    /// Runs the rules that want the kind of the stack's top node, unless it is an ERROR or
    /// MISSING node (recorded instead). Returns whether to descend into it.
    fn visit(&mut self, node: Node<'t>, sink: &mut Sink) -> bool {
        if node.is_error() || node.is_missing() {
            let r = node.byte_range();
            sink.errors.push(r.start..r.end.max(r.start + 1));
            return false;
        }
        if node.is_named() {
            let reg = registry();
            let depth = self.stack.last().map_or(0, |f| f.loop_depth);
            for &rule_idx in reg.rules_for_kind(self.lang, node.kind_id()) {
                let rule = reg.rule(rule_idx);
                if self.dead[rule_idx as usize]
                    || !self.settings.is_enabled(rule_idx)
                    || (rule.meta.hot_only && depth == 0)
                {
                    continue;
                }
                self.run(rule_idx, node, sink);
            }
        }
        true
    }

    /// Runs one rule's check on the stack's top node.
    pub fn run(&mut self, rule_idx: u16, node: Node<'t>, sink: &mut Sink) {
        let rule = registry().rule(rule_idx);
        let started = self.limits.rule_budget.map(|_| Instant::now());
        self.touched.set(false);
        self.item_memo_used.set(false);
        self.parts_read.set(Deps::default());
        self.head_read.set(None);
        self.peer_read.set(None);
        FILE_READ.with(|f| f.set(false));
        let before = sink.findings.len();
        let mut cx = Ctx {
            src: self.src,
            lang: self.lang,
            root: self.root,
            settings: self.settings,
            stack: &self.stack,
            rule: rule_idx,
            findings: &mut sink.findings,
            memo: &self.memo,
            touched: &self.touched,
            item_memo: &self.item_memo,
            item_memo_used: &self.item_memo_used,
            items: &self.items,
            item_nodes: self.items.nodes(),
            parts_read: &self.parts_read,
            head_read: &self.head_read,
            peer_read: &self.peer_read,
            heads: &self.heads,
            tracked: sink.track,
        };
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| (rule.check)(node, &mut cx)));
        if self.touched.get() || FILE_READ.with(|f| f.get()) {
            self.touched.set(true);
        }
        sink.item_memo_used |= self.item_memo_used.get();
        let deps = self.parts_read.get();
        let head = self.head_read.get();
        let peer = self.peer_read.get();
        if sink.track
            && (self.touched.get() || !deps.is_empty() || head.is_some() || peer.is_some())
        {
            let file = self.touched.get() || deps.overflow;
            let findings = if file || sink.findings.len() == before {
                Vec::new()
            } else {
                sink.findings[before..].to_vec()
            };
            sink.global.extend(sink.findings.drain(before..));
            sink.calls.push(Call {
                range: node.byte_range(),
                kind: node.kind_id(),
                depth: self.stack.len() as u32,
                rule: rule_idx,
                file,
                deps: if file { Deps::default() } else { deps },
                head: head.filter(|_| !file),
                peer: peer.filter(|_| !file),
                findings,
                item_memo: self.item_memo_used.get(),
            });
        }
        if let Err(payload) = outcome {
            self.dead[rule_idx as usize] = true;
            let kind = FailureKind::Panicked(panic_message(payload.as_ref()));
            self.failures.push(RuleFailure {
                rule: rule_idx,
                at: node.byte_range(),
                kind,
            });
            return;
        }
        if let (Some(budget), Some(t)) = (self.limits.rule_budget, started) {
            let total = &mut self.spent[rule_idx as usize];
            *total += t.elapsed();
            if *total > budget {
                self.dead[rule_idx as usize] = true;
                self.failures.push(RuleFailure {
                    rule: rule_idx,
                    at: node.byte_range(),
                    kind: FailureKind::OverBudget,
                });
            }
        }
    }

    /// Whether the file head `h` fingerprints is as it was when a check read it.
    pub fn head_unchanged(&self, h: &Head) -> bool {
        head_value(&self.heads, h.key, h.fingerprint, self.root, self.src) == h.value
    }

    /// Whether rule `rule_idx` may still run in this analysis.
    pub fn alive(&self, rule_idx: u16) -> bool {
        !self.dead[rule_idx as usize]
    }

    /// Walks the subtree at `start`, whose frame is the stack's top, dispatching to rules and
    /// collecting findings and the ranges of ERROR and MISSING nodes (rules do not descend into
    /// ERROR nodes). Leaves the stack as it found it.
    ///
    /// Two shortcuts keep the walk's cost near the cursor's own: leaves that no rule wants (and
    /// that are not MISSING or ERROR) get no frame and no visit, and the subtrees of kinds no
    /// rule can find anything in ([`OpaqueKinds`], e.g. Rust token trees and strings) are not
    /// entered unless they hold a syntax error.
    pub fn walk_subtree(&mut self, start: Node<'t>, sink: &mut Sink) {
        let mut cursor = self.cursor(start);
        self.walk_with(start, &mut cursor, sink);
        self.put_cursor(cursor);
    }

    /// [`Walker::walk_subtree`] with `cursor` at `start`.
    fn walk_with(
        &mut self,
        start: Node<'t>,
        cursor: &mut tree_sitter::TreeCursor<'t>,
        sink: &mut Sink,
    ) {
        let n = start.child_count();
        if !self.visit(start, sink) || !self.enters(start, n) || !cursor.goto_first_child() {
            return;
        }
        // The siblings after the cursor's node, per level entered (the last is the cursor's):
        // the walk goes up after the last child instead of asking for a sibling that is not
        // there, the cursor's most expensive step.
        let mut left = std::mem::take(&mut self.left);
        left.clear();
        left.push(n - 1);
        // The cursor is at a child of the stack's top node, not yet pushed or visited.
        loop {
            let node = cursor.node();
            let n = node.child_count();
            if !self.skips_leaf(node, n) {
                self.push_node(node, cursor);
                if self.visit(node, sink) && self.enters(node, n) && cursor.goto_first_child() {
                    left.push(n - 1);
                    continue;
                }
                self.stack.pop();
            }
            // Next sibling, or up until there is one.
            loop {
                let l = left.last_mut().expect("a level is entered");
                if *l > 0 && cursor.goto_next_sibling() {
                    *l -= 1;
                    break;
                }
                left.pop();
                if left.is_empty() || !cursor.goto_parent() {
                    self.left = left;
                    return;
                }
                self.stack.pop();
            }
        }
    }

    /// Whether the walk descends into `node` (visited, with `n` children).
    #[inline]
    fn enters(&self, node: Node<'t>, n: u32) -> bool {
        n > 0 && (!self.opaque.is_opaque(node.kind_id()) || node.has_error())
    }

    /// Whether `node` is a leaf the walk can pass by: no rule wants it and it is not a syntax
    /// error.
    #[inline]
    fn skips_leaf(&self, node: Node<'t>, n: u32) -> bool {
        n == 0
            && !node.is_missing()
            && (!node.is_named()
                || (!node.is_error()
                    && registry()
                        .rules_for_kind(self.lang, node.kind_id())
                        .is_empty()))
    }

    /// Drops the findings of rules that failed, then [`finish`]es.
    pub fn finish(
        self,
        tree: &Tree,
        mut findings: Vec<Finding>,
        errors: &[Range<usize>],
    ) -> Analysis {
        let failures = self.failures;
        if !failures.is_empty() {
            findings.retain(|f| !failures.iter().any(|x: &RuleFailure| x.rule == f.rule));
        }
        Analysis {
            findings: finish(self.lang, self.src, tree, self.settings, findings, errors),
            failures,
        }
    }
}

#[inline]
fn push_child<'t>(
    kinds: &LoopKinds,
    stack: &mut Vec<Frame<'t>>,
    node: Node<'t>,
    field_of: impl FnOnce() -> Option<u16>,
    src: &[u8],
) {
    let parent = stack.last().copied().expect("walk stack holds the parent");
    let parent_kind = parent.node.kind_id();
    let field = if kinds.field_matters(parent_kind, parent.is_callback) {
        field_of()
    } else {
        None
    };
    let depth = kinds.child_depth(
        parent_kind,
        parent.loop_depth,
        parent.is_callback,
        field,
        node.kind_id(),
    );
    let grandparent = stack.len().checked_sub(2).map(|i| stack[i].node);
    let is_callback = kinds.is_callback(node, Some(parent.node), grandparent, src);
    stack.push(Frame {
        node,
        loop_depth: depth,
        is_callback,
    });
}

fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start < b.end && b.start < a.end.max(a.start + 1)
}

fn finish(
    lang: Lang,
    src: &str,
    tree: &Tree,
    settings: &Settings,
    mut findings: Vec<Finding>,
    errors: &[Range<usize>],
) -> Vec<Finding> {
    if !errors.is_empty() {
        findings.retain(|f| !errors.iter().any(|e| overlaps(&f.range, e)));
    }
    suppress::apply(lang, src, tree, settings, &mut findings);
    findings.retain_mut(|f| match settings.level(f.rule) {
        Some(Level::Off) => false,
        Some(Level::On(s)) => {
            f.severity = s;
            true
        }
        None => true,
    });
    findings.sort_by(|a, b| {
        (a.range.start, a.range.end, a.rule).cmp(&(b.range.start, b.range.end, b.rule))
    });
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_stops_a_rule_and_keeps_the_others() {
        let src = "fn f(x: u32) -> String { format!(\"{}\", x) }\n";
        let tree =
            crate::document::parse_str(Lang::Rust, src, crate::document::DEFAULT_PARSE_BUDGET)
                .unwrap();
        let limits = Limits {
            skip: Vec::new(),
            rule_budget: Some(Duration::ZERO),
        };
        let a = analyze_full(Lang::Rust, src, &tree, &Settings::default(), &limits);
        assert!(a.failures.iter().all(|f| f.kind == FailureKind::OverBudget));
        assert!(a
            .findings
            .iter()
            .all(|f| !a.failures.iter().any(|x| x.rule == f.rule)));
        let skip = Limits {
            skip: vec![registry().index_of("rust/format-literal").unwrap()],
            rule_budget: None,
        };
        assert!(
            analyze_full(Lang::Rust, src, &tree, &Settings::default(), &skip)
                .findings
                .is_empty()
        );
        assert_eq!(
            analyze(Lang::Rust, src, &tree, &Settings::default()).len(),
            1
        );
    }

    #[cfg(feature = "test-panic-rule")]
    #[test]
    fn a_panicking_rule_is_isolated() {
        let src = "fn f(x: u32) -> String { let heap_audit_test_panic = 1; format!(\"{}\", x) }\n";
        let tree =
            crate::document::parse_str(Lang::Rust, src, crate::document::DEFAULT_PARSE_BUDGET)
                .unwrap();
        let a = analyze_full(
            Lang::Rust,
            src,
            &tree,
            &Settings::default(),
            &Limits::default(),
        );
        assert_eq!(a.failures.len(), 1);
        assert_eq!(a.failures[0].rule_id(), "rust/test-panic");
        assert!(matches!(&a.failures[0].kind, FailureKind::Panicked(m) if m.contains("injected")));
        assert_eq!(
            a.findings.iter().map(|f| f.rule_id()).collect::<Vec<_>>(),
            ["rust/format-literal"]
        );
    }
}
