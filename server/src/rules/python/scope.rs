//! Where each name is bound and read in one Python scope (a function, lambda, class body or the
//! module), computed on demand per scope and cached for the rest of the analysis: scopes inside a
//! top-level item through [`Ctx::node_cache`], the module's whole scope through [`Ctx::memo`]
//! (file-dependent). What the module binds, which checks anywhere need, comes from one
//! [`ModuleBinds`] part per top-level item ([`module_names`]).
//!
//! Names are matched by spelling; there is no type inference. Occurrences inside nested
//! functions, lambdas and classes are kept (closures read outer names) but marked `nested`, and
//! comprehension targets are marked `comp_target`, so they are not taken for bindings of the
//! scope itself.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;
use std::rc::Rc;

use tree_sitter::Node;

use crate::engine::{Ctx, ItemPart, Parts};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Read,
    /// Assigned (also by `+=`, `for`, `with … as`, `except … as`, `:=`, `import`, `def`, `class`).
    Store,
    Del,
    Param,
    /// Named in `global` / `nonlocal`.
    Declare,
}

#[derive(Clone, Debug)]
pub struct Occ {
    pub range: Range<usize>,
    pub role: Role,
    /// Inside a nested function, lambda or class body.
    pub nested: bool,
    /// Bound by a comprehension's `for` (the comprehension's own scope).
    pub comp_target: bool,
    /// For stores: the kind and range of the binding construct (`assignment`,
    /// `augmented_assignment`, `for_statement`, `with_item`, …).
    pub binder: Option<(&'static str, Range<usize>)>,
}

impl Occ {
    /// The binding construct's node (`assignment`, `for_statement`, `with_item`, …).
    pub fn binder_node<'t>(&self, root: Node<'t>) -> Option<Node<'t>> {
        let (kind, r) = self.binder.as_ref()?;
        let mut n = root.descendant_for_byte_range(r.start, r.end)?;
        // Several nodes can share the range (`with_clause` > `with_item` > `as_pattern`).
        loop {
            if n.kind() == *kind && n.byte_range() == *r {
                return Some(n);
            }
            n = n.parent().filter(|p| p.byte_range() == *r)?;
        }
    }

    /// Whether this occurrence binds the name in the scope itself.
    pub fn binds(&self) -> bool {
        !self.nested && !self.comp_target && self.role != Role::Read
    }
}

/// The occurrences of one name in a scope, in source order, with the positions of those that
/// bind it and of those that write it, so a lookup costs the matches, not every occurrence.
#[derive(Debug, Default)]
struct Name {
    occs: Vec<Occ>,
    /// Indices into `occs` of the occurrences that bind the name in the scope ([`Occ::binds`]).
    binds: Vec<u32>,
    /// Indices into `occs` of the occurrences that are not reads (nested ones included).
    writes: Vec<u32>,
}

/// The names of one scope.
#[derive(Debug, Default)]
pub struct Scope {
    pub owner: Range<usize>,
    names: HashMap<Box<str>, Name>,
}

impl Scope {
    /// Every occurrence of `name`, in source order.
    pub fn occurrences(&self, name: &str) -> &[Occ] {
        self.names.get(name).map_or(&[], |v| v.occs.as_slice())
    }

    /// The occurrences of `name` that start at or after `start`, in source order (a binary
    /// search).
    pub fn occurrences_from(&self, name: &str, start: usize) -> &[Occ] {
        let occs = self.occurrences(name);
        &occs[occs.partition_point(|o| o.range.start < start)..]
    }

    /// Occurrences that bind `name` in this scope (not in nested scopes).
    pub fn bindings<'s>(&'s self, name: &str) -> impl Iterator<Item = &'s Occ> + 's {
        let entry = self.names.get(name);
        entry
            .map_or(&[][..], |e| e.binds.as_slice())
            .iter()
            .filter_map(move |&i| entry.map(|e| &e.occs[i as usize]))
    }

    /// Whether `name` occurs anywhere in the scope (nested scopes included).
    pub fn uses(&self, name: &str) -> bool {
        self.names.contains_key(name)
    }

    /// Occurrences of `name` inside `range`, in source order (a binary search, then the
    /// occurrences that start inside `range`).
    pub fn within<'s>(
        &'s self,
        name: &str,
        range: Range<usize>,
    ) -> impl Iterator<Item = &'s Occ> + 's {
        let occs = self.occurrences(name);
        let from = occs.partition_point(|o| o.range.start < range.start);
        occs[from..]
            .iter()
            .take_while(move |o| o.range.start <= range.end)
            .filter(move |o| o.range.start >= range.start && o.range.end <= range.end)
    }

    /// Whether an occurrence of `name` inside `range` is not a read (a store, `del`, parameter
    /// or `global`/`nonlocal`), nested scopes included: `within(..).any(|o| o.role !=
    /// Role::Read)` without visiting the reads.
    pub fn written_within(&self, name: &str, range: Range<usize>) -> bool {
        let Some(e) = self.names.get(name) else {
            return false;
        };
        let from = e
            .writes
            .partition_point(|&i| e.occs[i as usize].range.start < range.start);
        e.writes[from..]
            .iter()
            .map(|&i| &e.occs[i as usize])
            .take_while(|o| o.range.start <= range.end)
            .any(|o| o.range.start >= range.start && o.range.end <= range.end)
    }

    /// A name built from `base` that the scope does not use yet: `base`, else `base2`, `base3`…
    pub fn fresh_name(&self, base: &str) -> String {
        if !self.uses(base) {
            return base.to_owned();
        }
        (2..)
            .map(|i| format!("{base}{i}"))
            .find(|n| !self.uses(n))
            .expect("some suffix is free")
    }

    pub(crate) fn build(owner: Node, src: &str) -> Scope {
        #[cfg(test)]
        BUILDS.with(|b| b.set(b.get() + 1));
        let mut b = Builder {
            src,
            names: HashMap::new(),
            own_only: false,
        };
        match owner.kind() {
            "function_definition" | "lambda" => {
                if let Some(p) = owner.child_by_field_name("parameters") {
                    b.params(p, false);
                }
                if let Some(body) = owner.child_by_field_name("body") {
                    b.visit(body, false, false);
                }
            }
            "class_definition" => {
                if let Some(body) = owner.child_by_field_name("body") {
                    b.visit(body, false, false);
                }
            }
            _ => b.visit(owner, false, false),
        }
        let names = b
            .names
            .into_iter()
            .map(|(k, mut occs)| {
                // The walk visits almost everything in source order; make it exact.
                occs.sort_by_key(|o| o.range.start);
                let index = |keep: fn(&Occ) -> bool| {
                    (0..occs.len() as u32)
                        .filter(|&i| keep(&occs[i as usize]))
                        .collect::<Vec<_>>()
                };
                let binds = index(Occ::binds);
                let writes = index(|o| o.role != Role::Read);
                (
                    k,
                    Name {
                        occs,
                        binds,
                        writes,
                    },
                )
            })
            .collect();
        Scope {
            owner: owner.byte_range(),
            names,
        }
    }
}

#[cfg(test)]
thread_local! {
    /// How many scopes were built on this thread (a work count for tests).
    static BUILDS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// A node's kind as a `'static` name (the grammar's own string).
fn kind_name(node: Node) -> &'static str {
    crate::language::Lang::Python
        .grammar()
        .node_kind_for_id(node.kind_id())
        .unwrap_or("")
}

struct Builder<'s> {
    src: &'s str,
    names: HashMap<Box<str>, Vec<Occ>>,
    /// Skip nested functions, lambdas and class bodies (their occurrences never bind in the
    /// scope itself).
    own_only: bool,
}

impl<'s> Builder<'s> {
    fn push(
        &mut self,
        ident: Node,
        role: Role,
        nested: bool,
        comp_target: bool,
        binder: Option<Node>,
    ) {
        let src: &'s str = self.src;
        let name = &src[ident.byte_range()];
        let occ = Occ {
            range: ident.byte_range(),
            role,
            nested,
            comp_target,
            binder: binder.map(|b| (kind_name(b), b.byte_range())),
        };
        match self.names.get_mut(name) {
            Some(v) => v.push(occ),
            None => {
                self.names.insert(name.into(), vec![occ]);
            }
        }
    }

    fn children(&mut self, node: Node, nested: bool, comp: bool) {
        let mut c = node.walk();
        for child in node.named_children(&mut c) {
            self.visit(child, nested, comp);
        }
    }

    /// An assignment target: names in it are stored, other parts (`a.b`, `a[i]`) are read.
    fn target(&mut self, node: Node, role: Role, nested: bool, comp: bool, binder: Node) {
        match node.kind() {
            "identifier" => self.push(node, role, nested, comp, Some(binder)),
            "pattern_list"
            | "tuple_pattern"
            | "list_pattern"
            | "tuple"
            | "list"
            | "parenthesized_expression"
            | "list_splat_pattern"
            | "list_splat"
            | "expression_list"
            | "as_pattern_target" => {
                let mut c = node.walk();
                for child in node.named_children(&mut c) {
                    self.target(child, role, nested, comp, binder);
                }
            }
            _ => self.visit(node, nested, comp),
        }
    }

    fn params(&mut self, params: Node, nested: bool) {
        if nested && self.own_only {
            return;
        }
        let mut c = params.walk();
        for p in params.named_children(&mut c) {
            match p.kind() {
                "identifier" => self.push(p, Role::Param, nested, false, Some(params)),
                "default_parameter" | "typed_default_parameter" => {
                    if let Some(n) = p.child_by_field_name("name") {
                        self.push(n, Role::Param, nested, false, Some(params));
                    }
                    for f in ["type", "value"] {
                        if let Some(v) = p.child_by_field_name(f) {
                            self.visit(v, nested, false);
                        }
                    }
                }
                "typed_parameter" => {
                    let mut pc = p.walk();
                    for child in p.named_children(&mut pc) {
                        match child.kind() {
                            "identifier" => {
                                self.push(child, Role::Param, nested, false, Some(params))
                            }
                            "list_splat_pattern" | "dictionary_splat_pattern" => {
                                if let Some(i) = child.named_child(0) {
                                    self.push(i, Role::Param, nested, false, Some(params));
                                }
                            }
                            _ => self.visit(child, nested, false),
                        }
                    }
                }
                "list_splat_pattern" | "dictionary_splat_pattern" => {
                    if let Some(i) = p.named_child(0).filter(|i| i.kind() == "identifier") {
                        self.push(i, Role::Param, nested, false, Some(params));
                    }
                }
                _ => {}
            }
        }
    }

    fn visit(&mut self, node: Node, nested: bool, comp: bool) {
        if nested && self.own_only {
            return;
        }
        match node.kind() {
            "identifier" => self.push(node, Role::Read, nested, false, None),
            "assignment" => {
                let left = node.child_by_field_name("left");
                let right = node.child_by_field_name("right");
                if let Some(l) = left {
                    if right.is_some() {
                        self.target(l, Role::Store, nested, false, node);
                    } else if l.kind() != "identifier" {
                        self.visit(l, nested, comp);
                    }
                }
                if let Some(t) = node.child_by_field_name("type") {
                    self.visit(t, nested, comp);
                }
                if let Some(r) = right {
                    self.visit(r, nested, comp);
                }
            }
            "augmented_assignment" => {
                if let Some(l) = node.child_by_field_name("left") {
                    self.target(l, Role::Store, nested, false, node);
                }
                if let Some(r) = node.child_by_field_name("right") {
                    self.visit(r, nested, comp);
                }
            }
            "for_statement" => {
                if let Some(l) = node.child_by_field_name("left") {
                    self.target(l, Role::Store, nested, false, node);
                }
                for f in ["right", "body", "alternative"] {
                    if let Some(x) = node.child_by_field_name(f) {
                        self.visit(x, nested, comp);
                    }
                }
            }
            "for_in_clause" => {
                if let Some(l) = node.child_by_field_name("left") {
                    self.target(l, Role::Store, nested, true, node);
                }
                if let Some(r) = node.child_by_field_name("right") {
                    self.visit(r, nested, true);
                }
            }
            "list_comprehension"
            | "set_comprehension"
            | "dictionary_comprehension"
            | "generator_expression" => self.children(node, nested, true),
            "named_expression" => {
                if let Some(n) = node.child_by_field_name("name") {
                    self.push(n, Role::Store, nested, false, Some(node));
                }
                if let Some(v) = node.child_by_field_name("value") {
                    self.visit(v, nested, comp);
                }
            }
            "as_pattern" => {
                let mut c = node.walk();
                for child in node.named_children(&mut c) {
                    if child.kind() == "as_pattern_target" {
                        let binder = node.parent().unwrap_or(node);
                        self.target(child, Role::Store, nested, false, binder);
                    } else if node.parent().is_some_and(|p| p.kind() == "case_pattern")
                        && child.kind() == "identifier"
                    {
                        self.push(child, Role::Store, nested, false, Some(node));
                    } else {
                        self.visit(child, nested, comp);
                    }
                }
            }
            "case_pattern" => {
                // Capture patterns bind names; be generous and count every bare name as bound.
                let mut stack = vec![node];
                while let Some(n) = stack.pop() {
                    let mut c = n.walk();
                    for child in n.named_children(&mut c) {
                        match child.kind() {
                            "identifier" => {
                                self.push(child, Role::Store, nested, false, Some(node))
                            }
                            "dotted_name" => {}
                            _ => stack.push(child),
                        }
                    }
                }
            }
            "import_statement" | "import_from_statement" => {
                let mut c = node.walk();
                for name in node.children_by_field_name("name", &mut c) {
                    match name.kind() {
                        "dotted_name" => {
                            if let Some(first) = name.named_child(0) {
                                self.push(first, Role::Store, nested, false, Some(node));
                            }
                        }
                        "aliased_import" => {
                            if let Some(alias) = name.child_by_field_name("alias") {
                                self.push(alias, Role::Store, nested, false, Some(node));
                            }
                        }
                        _ => {}
                    }
                }
            }
            "future_import_statement" => {}
            "function_definition" => {
                if let Some(n) = node.child_by_field_name("name") {
                    self.push(n, Role::Store, nested, false, Some(node));
                }
                if let Some(p) = node.child_by_field_name("parameters") {
                    self.params(p, true);
                }
                for f in ["return_type", "body"] {
                    if let Some(x) = node.child_by_field_name(f) {
                        self.visit(x, true, false);
                    }
                }
            }
            "lambda" => {
                if let Some(p) = node.child_by_field_name("parameters") {
                    self.params(p, true);
                }
                if let Some(b) = node.child_by_field_name("body") {
                    self.visit(b, true, false);
                }
            }
            "class_definition" => {
                if let Some(n) = node.child_by_field_name("name") {
                    self.push(n, Role::Store, nested, false, Some(node));
                }
                if let Some(s) = node.child_by_field_name("superclasses") {
                    self.visit(s, nested, comp);
                }
                if let Some(b) = node.child_by_field_name("body") {
                    self.visit(b, true, false);
                }
            }
            "global_statement" | "nonlocal_statement" => {
                let mut c = node.walk();
                for i in node
                    .named_children(&mut c)
                    .filter(|i| i.kind() == "identifier")
                {
                    self.push(i, Role::Declare, nested, false, Some(node));
                }
            }
            "delete_statement" => {
                let mut c = node.walk();
                for t in node.named_children(&mut c) {
                    self.target(t, Role::Del, nested, false, node);
                }
            }
            "keyword_argument" => {
                if let Some(v) = node.child_by_field_name("value") {
                    self.visit(v, nested, comp);
                }
            }
            "attribute" => {
                if let Some(o) = node.child_by_field_name("object") {
                    self.visit(o, nested, comp);
                }
            }
            "string_content" | "comment" | "escape_sequence" => {}
            _ => self.children(node, nested, comp),
        }
    }
}

/// The ancestors of `node`, innermost first. Read from the walk's stack when `node` is the
/// node being checked or one of its ancestors ([`Node::parent`] walks down from the root, so
/// climbing with it costs more the bigger the file); otherwise climbed with `parent`.
pub fn ancestors_of<'a, 't>(cx: &Ctx<'a, 't>, node: Node<'t>) -> Ancestors<'a, 't> {
    let frames = cx.ancestor_frames();
    if cx.frame().is_some_and(|f| f.node.id() == node.id()) {
        return Ancestors::Stack(frames.iter().rev());
    }
    match frames.iter().rposition(|f| f.node.id() == node.id()) {
        Some(i) => Ancestors::Stack(frames[..i].iter().rev()),
        None => Ancestors::Tree(Some(node)),
    }
}

/// See [`ancestors_of`].
pub enum Ancestors<'a, 't> {
    Stack(std::iter::Rev<std::slice::Iter<'a, crate::engine::Frame<'t>>>),
    Tree(Option<Node<'t>>),
}

impl<'t> Iterator for Ancestors<'_, 't> {
    type Item = Node<'t>;

    fn next(&mut self) -> Option<Node<'t>> {
        match self {
            Ancestors::Stack(it) => it.next().map(|f| f.node),
            Ancestors::Tree(n) => {
                let p = n.as_ref()?.parent();
                *n = p;
                p
            }
        }
    }
}

fn is_owner_kind(n: Node) -> bool {
    matches!(
        n.kind(),
        "function_definition" | "lambda" | "class_definition" | "module"
    )
}

/// The innermost scope owner of `node` (a function, lambda, class or the module), `node`
/// itself excluded.
pub fn scope_owner(node: Node) -> Node {
    owner_among(node, std::iter::successors(node.parent(), |p| p.parent()))
}

/// [`scope_owner`] through the walk's stack when it holds `node` ([`ancestors_of`]).
pub fn scope_owner_in<'t>(cx: &Ctx<'_, 't>, node: Node<'t>) -> Node<'t> {
    owner_among(node, ancestors_of(cx, node))
}

fn owner_among<'t>(node: Node<'t>, ancestors: impl Iterator<Item = Node<'t>>) -> Node<'t> {
    let mut n = node;
    for p in ancestors {
        if is_owner_kind(p) {
            // A function's name and decorators belong to the enclosing scope; its parameters'
            // defaults too, but they are rare enough to keep inside.
            if p.kind() == "class_definition" && p.child_by_field_name("body") != Some(n) {
                n = p;
                continue;
            }
            return p;
        }
        n = p;
    }
    n
}

/// A cache of scopes, keyed by the owner node's id: per file for the module's scope, per
/// top-level item for the scopes inside it.
#[derive(Default)]
pub struct Scopes {
    cache: RefCell<HashMap<usize, Rc<Scope>>>,
}

impl Scopes {
    pub fn get(&self, owner: Node, src: &str) -> Rc<Scope> {
        if let Some(s) = self.cache.borrow().get(&owner.id()) {
            return s.clone();
        }
        let scope = Rc::new(Scope::build(owner, src));
        self.cache.borrow_mut().insert(owner.id(), scope.clone());
        scope
    }
}

/// The scope owned by `owner`, computed once per analysis. A function, lambda or class around
/// the checked node lies inside its top-level item, so its scope is an item fact
/// ([`Ctx::node_cache`]); only the module's scope makes the check file-dependent.
pub fn scope_at(cx: &Ctx, owner: Node) -> Rc<Scope> {
    if owner.kind() == "module" {
        cx.memo(|_, _| Scopes::default()).get(owner, cx.src())
    } else {
        cx.node_cache::<Scopes>().get(owner, cx.src())
    }
}

/// The scope `node` lives in, computed once per analysis.
pub fn scope_of(cx: &Ctx, node: Node) -> Rc<Scope> {
    scope_at(cx, scope_owner_in(cx, node))
}

/// One top-level item's share of the module's bindings ([`Scope::bindings`] of the module,
/// occurrences inside functions, lambdas and classes left out), in source order: its interface
/// to the other items. No positions, so typing inside the item leaves it equal unless a name it
/// binds at module level changes.
#[derive(Debug, PartialEq)]
pub struct ModuleBinds(Vec<ModuleBinding>);

/// A name the module binds, and how.
#[derive(Clone, Debug, PartialEq)]
pub struct ModuleBinding {
    pub name: Box<str>,
    /// The binding construct's kind (`assignment`, `import_statement`, `function_definition`, …).
    pub kind: &'static str,
    /// The text of the binding statement when it is an import (`import_statement` or
    /// `import_from_statement`).
    pub import: Option<Box<str>>,
}

impl ItemPart for ModuleBinds {
    fn compute(item: Node<'_>, src: &str) -> Self {
        let mut b = Builder {
            src,
            names: HashMap::new(),
            own_only: true,
        };
        b.visit(item, false, false);
        let mut binds: Vec<(usize, ModuleBinding)> = Vec::new();
        for (name, occs) in b.names {
            for o in occs.iter().filter(|o| o.binds()) {
                let (kind, r) = o.binder.clone().unwrap_or(("", 0..0));
                let import = matches!(kind, "import_statement" | "import_from_statement")
                    .then(|| src[r].into());
                binds.push((
                    o.range.start,
                    ModuleBinding {
                        name: name.clone(),
                        kind,
                        import,
                    },
                ));
            }
        }
        binds.sort_by_key(|(at, _)| *at);
        ModuleBinds(binds.into_iter().map(|(_, b)| b).collect())
    }
}

/// The module's bindings by name, assembled from the items' [`ModuleBinds`] once per analysis.
///
/// It points into the parts instead of copying them: one sorted index of (name hash, item,
/// binding), one buffer per analysis however many names the module binds. A map of copied names
/// cost two allocations per module-level name on every analysis that asked.
pub struct ModuleNames {
    parts: Rc<Parts<ModuleBinds>>,
    /// Every binding as (hash of its name, item, index in the item's part), sorted: the
    /// bindings of a name are a run, in source order.
    index: Vec<(u64, u32, u32)>,
}

/// The hash of a name in the sorted indexes over parts (ties are compared by name on lookup).
pub(crate) fn name_hash(name: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(name)
}

impl ModuleNames {
    fn build(parts: &Rc<Parts<ModuleBinds>>) -> ModuleNames {
        let mut index = Vec::with_capacity(parts.iter().map(|(_, p)| p.0.len()).sum());
        for (i, (_, part)) in parts.iter().enumerate() {
            for (j, b) in part.0.iter().enumerate() {
                index.push((name_hash(&b.name), i as u32, j as u32));
            }
        }
        index.sort_unstable();
        ModuleNames {
            parts: parts.clone(),
            index,
        }
    }

    /// The module's bindings of `name`, in source order.
    pub fn bindings<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s ModuleBinding> + 's {
        let h = name_hash(name);
        let from = self.index.partition_point(|e| e.0 < h);
        self.index[from..]
            .iter()
            .take_while(move |e| e.0 == h)
            .map(|&(_, i, j)| &self.parts.part(i as usize).0[j as usize])
            .filter(move |b| &*b.name == name)
    }

    /// Whether the module binds `name`.
    pub fn binds(&self, name: &str) -> bool {
        self.bindings(name).next().is_some()
    }
}

/// The bindings of the module's scope, from the items' parts: reading them depends on what
/// each item binds at module level, not on the whole file.
pub fn module_names(cx: &Ctx) -> Rc<ModuleNames> {
    cx.parts_memo::<ModuleBinds, ModuleNames>(ModuleNames::build)
}

/// A node containing every binder of `scope`'s names, for [`Occ::binder_node`]: the scope's
/// owner when it is the checked node, one of its ancestors or the scope of one of its
/// descendants' (an item fact), else the root (file-dependent).
pub fn binder_root<'t>(cx: &Ctx<'_, 't>, scope: &Scope) -> Node<'t> {
    let Some(current) = cx.frame().map(|f| f.node) else {
        return cx.root();
    };
    if current.kind() != "module" {
        if let Some(owner) = std::iter::once(current)
            .chain(cx.ancestors().map(|f| f.node))
            .take_while(|n| n.kind() != "module")
            .find(|n| n.byte_range() == scope.owner)
        {
            return owner;
        }
        let r = &scope.owner;
        if r.start >= current.start_byte() && r.end <= current.end_byte() {
            if let Some(owner) = current.descendant_for_byte_range(r.start, r.end) {
                if owner.byte_range() == *r {
                    return owner;
                }
            }
        }
    }
    cx.root()
}

/// Whether a function or lambda around `at` (up to the module, which is not included) binds
/// `name`: a parameter, an assignment, an import. For [`import_name`]'s `shadowed`.
///
/// [`import_name`]: crate::rules::python::imports::import_name
pub fn locally_bound(cx: &Ctx, at: Node, name: &str) -> bool {
    ancestors_of(cx, at).any(|p| {
        matches!(p.kind(), "function_definition" | "lambda")
            && scope_at(cx, p).bindings(name).next().is_some()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{parse_str, DEFAULT_PARSE_BUDGET};
    use crate::language::Lang;

    /// Every candidate in a big function once rebuilt the function's scope (`locally_bound`),
    /// which made pow-half and nested-loop-product quadratic in the function's size. Each
    /// scope is built once per analysis.
    #[test]
    fn one_scope_build_per_scope_however_many_candidates() {
        use crate::engine::{analyze_str, Settings};
        let mut src = String::from("def big(xs, ys):\n");
        for _ in 0..200 {
            src.push_str("    r = xs ** 0.5\n    for x in xs:\n        for y in [1, 2]:\n            print(x, y)\n");
        }
        BUILDS.with(|b| b.set(0));
        let findings = analyze_str(Lang::Python, &src, &Settings::default()).unwrap();
        let count = |id: &str| findings.iter().filter(|f| f.rule_id() == id).count();
        assert_eq!(count("py/pow-half"), 200);
        assert_eq!(count("py/nested-loop-product"), 200);
        // The function's (and at most the module's), not one per candidate.
        let builds = BUILDS.with(|b| b.get());
        assert!((1..=2).contains(&builds), "{builds} scopes built");
    }

    #[test]
    fn module_binds_keep_every_binding() {
        let src = "import os\nx = 1\ndef f(a):\n    y = os\n    return x\nclass C:\n    z = 2\nl = lambda q: q\n[w for w in x if (v := w)]\n";
        let tree = parse_str(Lang::Python, src, DEFAULT_PARSE_BUDGET).unwrap();
        let root = tree.root_node();
        let full = Scope::build(root, src);
        let mut c = root.walk();
        let parts: Vec<ModuleBinds> = root
            .named_children(&mut c)
            .map(|item| ModuleBinds::compute(item, src))
            .collect();
        let binds = || parts.iter().flat_map(|p| &p.0);
        for n in ["os", "x", "f", "a", "y", "C", "z", "l", "q", "w", "v"] {
            let kinds = |s: &Scope| {
                s.bindings(n)
                    .map(|o| o.binder.as_ref().unwrap().0)
                    .collect::<Vec<_>>()
            };
            let from_parts: Vec<&str> = binds().filter(|b| &*b.name == n).map(|b| b.kind).collect();
            assert_eq!(kinds(&full), from_parts, "{n}");
        }
        assert!(binds().all(|b| !matches!(&*b.name, "a" | "y" | "z" | "q" | "w")));
        let os = binds().find(|b| &*b.name == "os").unwrap();
        assert_eq!(os.import.as_deref(), Some("import os"));
        assert_eq!(binds().find(|b| &*b.name == "x").unwrap().import, None);

        // The index over the parts gives every name's bindings, in source order across items.
        let names = ModuleNames::build(&Parts::computed(root, src));
        for n in ["os", "x", "f", "C", "l", "a", "y", "nothing", ""] {
            let got: Vec<&str> = names.bindings(n).map(|b| b.kind).collect();
            let want: Vec<&str> = binds().filter(|b| &*b.name == n).map(|b| b.kind).collect();
            assert_eq!(got, want, "{n}");
            assert_eq!(names.binds(n), !want.is_empty(), "{n}");
        }
    }

    #[test]
    fn module_names_keep_source_order_across_items() {
        let src = "x = 1\nimport os as x\ndef x(): pass\nclass D: pass\n";
        let tree = parse_str(Lang::Python, src, DEFAULT_PARSE_BUDGET).unwrap();
        let root = tree.root_node();
        let names = ModuleNames::build(&Parts::computed(root, src));
        let kinds: Vec<&str> = names.bindings("x").map(|b| b.kind).collect();
        assert_eq!(
            kinds,
            ["assignment", "import_statement", "function_definition"]
        );
        assert!(
            names.binds("D") && !names.binds("os"),
            "`os` is bound as `x`"
        );
    }

    #[test]
    fn lookups_by_range() {
        let src = "def f(a):\n    a = 1\n    g(a)\n    for a in a: del a\n    def h(): a\n";
        let tree = parse_str(Lang::Python, src, DEFAULT_PARSE_BUDGET).unwrap();
        let s = Scope::build(tree.root_node().named_child(0).unwrap(), src);
        let starts = |r: Range<usize>| s.within("a", r).map(|o| o.range.start).collect::<Vec<_>>();
        let all: Vec<usize> = s.occurrences("a").iter().map(|o| o.range.start).collect();
        assert!(all.windows(2).all(|w| w[0] < w[1]), "source order: {all:?}");
        assert_eq!(starts(0..src.len()), all);
        let line3 = src.find("g(a)").unwrap();
        assert_eq!(starts(line3..line3 + 4), [line3 + 2]);
        assert!(!s.written_within("a", line3..line3 + 4));
        let line4 = src.find("for a").unwrap();
        assert!(s.written_within("a", line4..line4 + 22));
        assert_eq!(s.bindings("a").count(), 4, "param, store, for target, del");
        assert!(s.written_within("a", 0..src.len()));
    }

    #[test]
    fn roles() {
        let src = "def f(a, b=c, *d, e: int, **g):\n    x, (y, *z) = a\n    for i in y: pass\n    with o as w: pass\n    try: pass\n    except E as err: pass\n    import os.path, json as js\n    from m import n as nn, k\n    del x\n    global q\n    h = [i for i in z if (v := i)]\n    t: int\n    u.v = k(kw=1)\n    def inner(p): return x\n    lam = lambda l: l\n";
        let tree = parse_str(Lang::Python, src, DEFAULT_PARSE_BUDGET).unwrap();
        let f = tree.root_node().named_child(0).unwrap();
        let s = Scope::build(f, src);
        let roles = |n: &str| -> Vec<(Role, bool, bool)> {
            s.occurrences(n)
                .iter()
                .map(|o| (o.role, o.nested, o.comp_target))
                .collect()
        };
        for p in ["a", "b", "d", "e", "g"] {
            assert_eq!(
                s.bindings(p).next().map(|o| o.role),
                Some(Role::Param),
                "{p}"
            );
        }
        assert_eq!(roles("c"), [(Role::Read, false, false)]);
        for n in [
            "y", "z", "w", "err", "os", "js", "nn", "k", "h", "v", "inner", "lam",
        ] {
            assert!(s.bindings(n).next().is_some(), "{n} is bound");
        }
        assert_eq!(
            roles("x"),
            [
                (Role::Store, false, false),
                (Role::Del, false, false),
                (Role::Read, true, false)
            ]
        );
        assert_eq!(roles("i")[0], (Role::Store, false, false));
        assert!(roles("i")[1..].contains(&(Role::Store, false, true)));
        assert_eq!(roles("q"), [(Role::Declare, false, false)]);
        assert!(!s.uses("t") && !s.uses("kw") && !s.uses("path") && !s.uses("m"));
        assert_eq!(roles("u"), [(Role::Read, false, false)]);
        assert_eq!(roles("p"), [(Role::Param, true, false)]);
        assert_eq!(
            roles("l"),
            [(Role::Param, true, false), (Role::Read, true, false)]
        );
        assert_eq!(s.fresh_name("x"), "x2");
        assert_eq!(s.fresh_name("fresh"), "fresh");
    }
}
