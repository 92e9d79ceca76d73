//! File-level facts assembled from one part per top-level item ([`ItemPart`]), so that an edit
//! costs the parts of the items it touched, not a walk of the whole file.
//!
//! A part is computed from its item alone, with every position relative to the item's start:
//! incremental analysis carries the parts of clean items over to the next analysis unchanged,
//! whatever the edits before them shifted. A check that reads parts ([`super::Ctx::parts`],
//! [`super::Ctx::parts_memo`]) depends on them, not on the whole file: when an edit leaves the
//! sequence of parts of every type it read as it was (the parts of the touched items compare
//! equal to the ones they replace, in the same places), its findings are kept without running it
//! again. That is the early cutoff that keeps per-keystroke work proportional to the edit.

use std::any::{Any, TypeId};
use std::cell::{OnceCell, RefCell};
use std::ops::Range;
use std::rc::Rc;

use tree_sitter::Node;

/// One top-level item's share of a file-level fact, e.g. the signatures an item declares.
///
/// `compute` must be a pure function of the item's subtree and text, and every position it keeps
/// must be relative to `item.start_byte()`: the part is reused for the same item after edits
/// elsewhere moved it. Keep in a part only what other items need (an item's interface), not its
/// internals: an edit inside a function body that leaves its part equal is what lets the checks
/// that read the parts keep their findings.
pub trait ItemPart: Any + PartialEq {
    fn compute(item: Node<'_>, src: &str) -> Self;
}

/// A part that holds a set of names (keys), for checks that only ask whether any item mentions
/// one ([`super::Ctx::parts_mention`]): such a check depends on the parts that mention its key,
/// not on all of them, so an edit that changes other names in a part keeps its findings.
///
/// Contract: `mentions(k)` implies that `for_each_key` yields `k`.
pub trait KeyedPart: ItemPart {
    /// Whether the part mentions `key`: the answer a check gets.
    fn mentions(&self, key: &str) -> bool;
    /// Every key the part mentions, for deciding whether an edit may change an answer.
    fn for_each_key(&self, f: &mut dyn FnMut(&str));
    /// Whether the part may mention a key whose [`key_hash`] is `hash` (true for every key that
    /// `for_each_key` yields): a part that keeps its keys sorted by hash answers by search.
    fn may_mention(&self, hash: u64) -> bool {
        let mut found = false;
        self.for_each_key(&mut |k| found |= key_hash(k) == hash);
        found
    }
}

/// The hash a keyed dependency keeps of its key (FNV-1a): equal keys have equal hashes, so a
/// part that yields no key with the hash cannot change the answer.
pub fn key_hash(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The parts of one type for every top-level item, in file order.
pub struct Parts<T> {
    items: Vec<(Range<usize>, Rc<T>)>,
}

impl<T> Parts<T> {
    /// Every item's range (absolute: add its `start` to the part's relative positions) and part,
    /// in file order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (Range<usize>, &T)> + '_ {
        self.items.iter().map(|(r, p)| (r.clone(), &**p))
    }

    /// Every top-level item's part computed from the tree under `root`, for unit tests.
    #[cfg(test)]
    pub(crate) fn computed(root: Node<'_>, src: &str) -> Rc<Self>
    where
        T: ItemPart,
    {
        let mut c = root.walk();
        let items = root
            .named_children(&mut c)
            .map(|item| (item.byte_range(), Rc::new(T::compute(item, src))))
            .collect();
        Rc::new(Self { items })
    }

    /// The part of the `i`-th item, in file order.
    pub fn part(&self, i: usize) -> &T {
        &self.items[i].1
    }

    /// The number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The item holding byte `pos` (its range and part), if any.
    pub fn at(&self, pos: usize) -> Option<(Range<usize>, &T)> {
        let i = self.items.partition_point(|(r, _)| r.start <= pos);
        let (r, p) = self.items.get(i.checked_sub(1)?)?;
        (pos < r.end).then(|| (r.clone(), &**p))
    }
}

/// A part behind a type-erased pointer, comparable with another of the same type.
pub(crate) trait AnyPart: Any {
    fn as_any(&self) -> &dyn Any;
    fn same(&self, other: &dyn AnyPart) -> bool;
}

impl<T: ItemPart> AnyPart for T {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn same(&self, other: &dyn AnyPart) -> bool {
        other.as_any().downcast_ref::<T>() == Some(self)
    }
}

/// A part type, type-erased: its id and how to compute it (for the items an edit touched, when
/// deciding whether a check's parts changed).
#[derive(Clone, Copy)]
pub(crate) struct PartKey {
    pub id: TypeId,
    pub compute: fn(Node<'_>, &str) -> Rc<dyn AnyPart>,
}

impl std::fmt::Debug for PartKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PartKey").field(&self.id).finish()
    }
}

impl PartKey {
    pub fn of<T: ItemPart>() -> Self {
        fn compute<T: ItemPart>(item: Node<'_>, src: &str) -> Rc<dyn AnyPart> {
            Rc::new(T::compute(item, src))
        }
        Self {
            id: TypeId::of::<T>(),
            compute: compute::<T>,
        }
    }
}

/// A dependency on the parts of one type that mention one key ([`KeyedPart`]): the part type,
/// the key's hash ([`key_hash`]) and whether a type-erased part yields a key with that hash.
#[derive(Clone, Copy, Debug)]
pub(crate) struct KeyDep {
    pub key: PartKey,
    pub hash: u64,
    pub yields: fn(&dyn AnyPart, u64) -> bool,
}

impl KeyDep {
    pub fn of<T: KeyedPart>(key: &str) -> Self {
        fn yields<T: KeyedPart>(part: &dyn AnyPart, hash: u64) -> bool {
            part.as_any()
                .downcast_ref::<T>()
                .is_none_or(|p| p.may_mention(hash))
        }
        Self {
            key: PartKey::of::<T>(),
            hash: key_hash(key),
            yields: yields::<T>,
        }
    }
}

/// The part types one check read, whole or by key: a few inline, so that recording them costs
/// no allocation. A check that reads more whole types is treated as file-dependent; one that
/// asks more keys than fit depends on the whole parts of the type instead.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Deps {
    keys: [Option<PartKey>; 3],
    keyed: [Option<KeyDep>; 3],
    /// It read more part types than fit.
    pub overflow: bool,
}

impl Deps {
    pub fn add(&mut self, key: PartKey) {
        if self.iter().any(|k| k.id == key.id) {
            return;
        }
        match self.keys.iter_mut().find(|k| k.is_none()) {
            Some(slot) => *slot = Some(key),
            None => self.overflow = true,
        }
    }

    /// A dependency on the parts that mention one key; covered already when the whole type is.
    pub fn add_keyed(&mut self, dep: KeyDep) {
        if self.iter().any(|k| k.id == dep.key.id)
            || self
                .keyed()
                .any(|d| d.key.id == dep.key.id && d.hash == dep.hash)
        {
            return;
        }
        match self.keyed.iter_mut().find(|k| k.is_none()) {
            Some(slot) => *slot = Some(dep),
            None => self.add(dep.key),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = PartKey> + '_ {
        self.keys.iter().map_while(|k| *k)
    }

    /// The keyed dependencies (some may be covered by a whole type in [`Deps::iter`]).
    pub fn keyed(&self) -> impl Iterator<Item = KeyDep> + '_ {
        self.keyed.iter().map_while(|k| *k)
    }

    pub fn is_empty(&self) -> bool {
        self.keys[0].is_none() && self.keyed[0].is_none() && !self.overflow
    }
}

/// The parts an item has: one per type that some check asked for.
pub(crate) type PartSlots = Vec<(TypeId, Rc<dyn AnyPart>)>;

/// Finds `key`'s part among `slots`, computing and adding it if missing.
pub(crate) fn part_in(
    slots: &mut PartSlots,
    key: PartKey,
    item: Node<'_>,
    src: &str,
) -> Rc<dyn AnyPart> {
    if let Some((_, p)) = slots.iter().find(|(id, _)| *id == key.id) {
        return p.clone();
    }
    let p = (key.compute)(item, src);
    slots.push((key.id, p.clone()));
    p
}

/// The items of an analysis as a check sees them: without the tree's lifetime, so that holding
/// one keeps [`super::Ctx`] covariant in it.
pub(crate) trait ItemSource {
    /// The assembled [`Parts`] and derived values of this analysis, one per type.
    fn assembled(&self) -> &RefCell<Vec<(TypeId, Rc<dyn Any>)>>;
    /// Every item's range and part of type `key`.
    fn collect(&self, key: PartKey, src: &str) -> Vec<(Range<usize>, Rc<dyn AnyPart>)>;
}

/// The parts of type `T` of every item.
pub(crate) fn parts<T: ItemPart>(items: &dyn ItemSource, src: &str) -> Rc<Parts<T>> {
    super::slot(items.assembled(), || Parts {
        items: items
            .collect(PartKey::of::<T>(), src)
            .into_iter()
            .map(|(r, p)| {
                let p: Rc<dyn Any> = p;
                (r, p.downcast::<T>().expect("part type matches its key"))
            })
            .collect(),
    })
}

/// A value computed once per analysis from the parts of type `T`, keyed by `D`. `f` gets the
/// shared parts, so that `D` can keep them and point into them instead of copying them.
pub(crate) fn derived<T: ItemPart, D: Any>(
    items: &dyn ItemSource,
    src: &str,
    f: impl FnOnce(&Rc<Parts<T>>) -> D,
) -> Rc<D> {
    super::slot(items.assembled(), || f(&parts::<T>(items, src)))
}

/// One analysis's top-level items and their parts: found on first need, or handed over by
/// incremental analysis with the parts of clean items already in their slots.
pub(crate) struct ItemTable<'t> {
    root: Node<'t>,
    nodes: OnceCell<Vec<Node<'t>>>,
    pub slots: RefCell<Vec<PartSlots>>,
    /// Assembled [`Parts`] and values derived from them, one per type, for this analysis.
    assembled: RefCell<Vec<(TypeId, Rc<dyn Any>)>>,
}

impl<'t> ItemTable<'t> {
    pub fn new(root: Node<'t>) -> Self {
        Self {
            root,
            nodes: OnceCell::new(),
            slots: RefCell::new(Vec::new()),
            assembled: RefCell::new(Vec::new()),
        }
    }

    /// Starts with the given items and the parts carried over for them (same length).
    pub fn with_items(root: Node<'t>, nodes: Vec<Node<'t>>, slots: Vec<PartSlots>) -> Self {
        debug_assert_eq!(nodes.len(), slots.len());
        let t = Self::new(root);
        let _ = t.nodes.set(nodes);
        *t.slots.borrow_mut() = slots;
        t
    }

    /// The named children of the root.
    pub fn nodes(&self) -> &[Node<'t>] {
        self.nodes.get_or_init(|| {
            let mut cursor = self.root.walk();
            self.root.named_children(&mut cursor).collect()
        })
    }

    /// Takes the parts of the items for the next analysis.
    pub fn take_slots(&self) -> Vec<PartSlots> {
        std::mem::take(&mut self.slots.borrow_mut())
    }
}

impl ItemSource for ItemTable<'_> {
    fn assembled(&self) -> &RefCell<Vec<(TypeId, Rc<dyn Any>)>> {
        &self.assembled
    }

    fn collect(&self, key: PartKey, src: &str) -> Vec<(Range<usize>, Rc<dyn AnyPart>)> {
        let nodes = self.nodes();
        let mut slots = self.slots.borrow_mut();
        slots.resize_with(nodes.len(), Vec::new);
        nodes
            .iter()
            .zip(slots.iter_mut())
            .map(|(n, s)| (n.byte_range(), part_in(s, key, *n, src)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::language::Lang;

    #[derive(PartialEq, Debug)]
    struct Names(Vec<String>);

    impl ItemPart for Names {
        fn compute(item: Node<'_>, src: &str) -> Self {
            let name = item
                .child_by_field_name("name")
                .map(|n| src[n.byte_range()].to_owned());
            Names(name.into_iter().collect())
        }
    }

    #[test]
    fn parts_per_item_and_lookup_by_position() {
        let src = "fn a() {}\nstruct B;\nfn c() {}\n";
        let tree =
            crate::document::parse_str(Lang::Rust, src, crate::document::DEFAULT_PARSE_BUDGET)
                .unwrap();
        let table = ItemTable::new(tree.root_node());
        let parts = parts::<Names>(&table, src);
        let names: Vec<_> = parts.iter().map(|(_, p)| p.0.concat()).collect();
        assert_eq!(names, ["a", "B", "c"]);
        assert_eq!(parts.at(21).unwrap().1 .0, ["c"]);
        assert_eq!(parts.at(21).unwrap().0, 20..29);
        assert!(parts.at(9).is_none(), "the newline between items");
        // Asked again: the same assembled value, not a second computation.
        assert!(Rc::ptr_eq(&parts, &super::parts::<Names>(&table, src)));
        let count = derived::<Names, usize>(&table, src, |p| p.len());
        assert_eq!(*count, 3);
        // Erased parts compare by value.
        let slots = table.take_slots();
        assert!(slots[0][0].1.same(&*slots[0][0].1));
        assert!(!slots[0][0].1.same(&*slots[2][0].1));
    }
}
