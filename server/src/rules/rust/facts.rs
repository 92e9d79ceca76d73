//! Facts about Rust code that several rules share, computed only when a rule has a candidate,
//! in two kinds so that an edit costs the item it touched, not a walk of the whole file:
//!
//! - [`Locals`]: the bindings of one top-level item and their scopes (to resolve a name at a
//!   position and list its uses), computed from the item alone ([`Facts::of`], through
//!   `Ctx::item`) and shared by the item's checks. Reading them leaves a check item-local.
//! - Item parts ([`Decls`], [`ValueUses`], [`CallNames`]): what other items need to know of an
//!   item (its fn signatures, struct fields, type aliases, imports and leading attributes; the
//!   names it uses as values; the names it calls), one value per top-level item read through
//!   `Ctx::parts`. They hold no positions and nothing of a fn body but those names, so that typing
//!   inside a body leaves them equal and the checks that read them keep their findings.
//!
//! Locals are stored as byte ranges; nodes are found again in the item with [`find_node`]. Types
//! declared in other items are read from their [`Shape`]. Type guesses are deliberately shallow:
//! `Unknown` whenever the syntax does not say, so that rules can stay silent.

use std::cell::RefCell;
use std::ops::{Deref, Range};
use std::rc::Rc;

use tree_sitter::Node;

use super::syntax::NodeExt;

use super::syntax::{self, is_str_literal, last_segment, method_call, path_call, text, unparen};
use crate::engine::{Ctx, ItemPart, KeyedPart};

/// Where a `for` binding sits in its pattern, for element types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ElemPos {
    Whole,
    /// `&x`
    Deref,
    /// `(a, b)`: the index.
    Tuple(u8),
}

#[derive(Clone, Debug)]
enum TySrc {
    None,
    Annot(Range<usize>),
    Init(Range<usize>),
    Elem {
        iter: Range<usize>,
        pos: ElemPos,
    },
    /// The first parameter of a closure passed to an iterator method (`for_each`, `map`, …):
    /// the call.
    Callback {
        call: Range<usize>,
    },
}

#[derive(Clone, Debug)]
pub(crate) struct Binding {
    /// The identifier that declares it.
    pub name: Range<usize>,
    /// Where the name refers to this binding.
    pub scope: Range<usize>,
    ty: TySrc,
}

#[derive(Clone, Debug)]
pub(crate) struct ParamSig {
    /// The pattern (an identifier for simple parameters).
    pub pattern: Range<usize>,
}

/// The signature of a fn of the current item ([`Facts::fn_at`]), positions in the tree.
#[derive(Clone, Debug)]
pub(crate) struct FnSig {
    pub name: Range<usize>,
    /// The parameters other than `self` that have a pattern and a type.
    pub params: Vec<ParamSig>,
    pub has_self: bool,
    /// In `impl Trait for Type`: the signature is the trait's.
    pub in_trait_impl: bool,
    /// A default method of a trait definition.
    pub in_trait: bool,
    /// Has a visibility modifier (`pub`, `pub(crate)`, …).
    pub visible: bool,
    /// `extern "C"` or `#[no_mangle]`-style ABI functions.
    pub is_extern: bool,
    /// Has an attribute that may be a procedural macro (`#[instrument]`, `#[tokio::main]`…),
    /// which can read or rewrite the signature.
    pub macro_attr: bool,
}

/// A fn declared anywhere in an item, as other items see it ([`Decls`]).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct FnDecl {
    pub name: Box<str>,
    pub has_self: bool,
    /// The types of the parameters other than `self` that have a pattern and a type, as written.
    pub params: Vec<Box<str>>,
    /// The names of its type parameters.
    pub type_params: Vec<Box<str>>,
}

/// A struct or variant field, or a type alias: its name and type.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TypedName {
    name: Box<str>,
    ty: Rc<Shape>,
}

/// A struct with named or tuple fields: its name and the types of its fields.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct StructDecl {
    name: Box<str>,
    fields: Vec<Rc<Shape>>,
}

/// A `use`: the full path and the name it is visible as.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Import {
    full: String,
    name: String,
}

/// A guessed base type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Base {
    Unknown,
    String,
    Str,
    Vec,
    Slice,
    Array,
    HashMap,
    HashSet,
    BTreeMap,
    BTreeSet,
    VecDeque,
    PathBuf,
    Path,
    OsString,
    OsStr,
    Box,
    /// `Rc`, `Arc`, `Weak`: cloning bumps a count.
    Shared,
    /// Primitives, raw and fn pointers, ranges: cloning copies bits.
    Copy,
    /// Something else that owns heap memory: `Option<String>`, a tuple with a `Vec`, a struct of
    /// this file with such fields.
    HeapOther,
    /// Known, and cloning it does not allocate (a struct whose fields are all cheap).
    Cheap,
}

impl Base {
    /// Whether cloning a value of this type (not a reference to it) allocates.
    pub fn owns_heap(self) -> bool {
        matches!(
            self,
            Base::String
                | Base::Vec
                | Base::HashMap
                | Base::HashSet
                | Base::BTreeMap
                | Base::BTreeSet
                | Base::VecDeque
                | Base::PathBuf
                | Base::OsString
                | Base::Box
                | Base::HeapOther
        )
    }

    fn is_unsized(self) -> bool {
        matches!(self, Base::Str | Base::Slice | Base::Path | Base::OsStr)
    }
}

/// A guessed type: a base behind `refs` references, and the written type when an annotation
/// gave it (for element types).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Ty {
    pub base: Base,
    pub refs: u8,
    /// The annotation's type (without the references), for element types.
    pub node: Option<Rc<Shape>>,
}

impl Ty {
    pub const UNKNOWN: Ty = Ty {
        base: Base::Unknown,
        refs: 0,
        node: None,
    };

    fn of(base: Base) -> Ty {
        Ty {
            base,
            refs: 0,
            node: None,
        }
    }

    fn refd(mut self, by: u8) -> Ty {
        self.refs = self.refs.saturating_add(by);
        self
    }

    fn derefd(mut self) -> Ty {
        self.refs = self.refs.saturating_sub(1);
        self
    }

    pub fn is_unknown(&self) -> bool {
        self.base == Base::Unknown
    }

    /// Whether `x.clone()` on an expression of this type allocates: the value owns heap memory
    /// and is at most one reference away (a `&&T` clones the reference).
    pub fn clone_allocates(&self) -> bool {
        self.base.owns_heap() && self.refs <= 1
    }

    /// Whether `x.clone()` is known not to allocate.
    pub fn clone_is_cheap(&self) -> bool {
        match self.base {
            Base::Shared | Base::Copy | Base::Cheap => self.refs <= 1,
            Base::Unknown => self.refs >= 2,
            b if b.is_unsized() => self.refs >= 1,
            _ => self.refs >= 2,
        }
    }
}

/// A type as written, reduced to what type guesses read, so that a type declared in one item
/// can be guessed from another without its tree.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// No type node where one was expected (e.g. a macro in type position).
    NotType,
    /// A type (or other node) that guesses do not look into.
    Other,
    Ref(Rc<Shape>),
    Str,
    Usize,
    /// Another primitive type.
    Primitive,
    /// Raw and fn pointers, `!`, `()`.
    CopyLike,
    Array {
        elem: Option<Rc<Shape>>,
        sized: bool,
    },
    /// The tuple's named children (comments too, as `Other`).
    Tuple(Vec<Rc<Shape>>),
    /// A plain or scoped type name: its last segment.
    Named(Box<str>),
    /// `Head<args>`: the head's last segment and the arguments other than lifetimes.
    Generic {
        head: Box<str>,
        args: Vec<Rc<Shape>>,
    },
}

impl Shape {
    /// The shape of the type written at `ty`.
    fn of(ty: Node, src: &str) -> Rc<Shape> {
        let shape = match ty.kind_str() {
            "reference_type" => match ty.field("type") {
                Some(inner) => Shape::Ref(Shape::of(inner, src)),
                None => Shape::Other,
            },
            "primitive_type" => match text(ty, src) {
                "str" => Shape::Str,
                "usize" => Shape::Usize,
                _ => Shape::Primitive,
            },
            "pointer_type" | "function_type" | "never_type" | "unit_type" => Shape::CopyLike,
            "array_type" => Shape::Array {
                elem: ty.field("element").map(|e| Shape::of(e, src)),
                sized: ty.field("length").is_some(),
            },
            "tuple_type" => {
                let mut c = ty.walk();
                let items = ty.named_children(&mut c).map(|e| Shape::of(e, src));
                Shape::Tuple(items.collect())
            }
            "type_identifier" | "scoped_type_identifier" => {
                Shape::Named(last_segment(text(ty, src)).into())
            }
            "generic_type" => match ty.field("type") {
                Some(head) => Shape::Generic {
                    head: last_segment(text(head, src)).into(),
                    args: ty.field("type_arguments").map_or_else(Vec::new, |a| {
                        let mut c = a.walk();
                        a.named_children(&mut c)
                            .filter(|c| c.kind_str() != "lifetime")
                            .map(|c| Shape::of(c, src))
                            .collect()
                    }),
                },
                None => Shape::Other,
            },
            _ => Shape::Other,
        };
        Rc::new(shape)
    }

    /// The shape of the type written as `node`: of the innermost named node of a type kind
    /// with `node`'s range (what [`find_type_node`] finds for that range, found downwards
    /// without `Node::parent`).
    fn of_type_at(node: Node, src: &str) -> Rc<Shape> {
        let type_node = |n: Node| n.is_named() && is_type_kind(n.kind_str());
        let mut found = type_node(node).then_some(node);
        let mut n = node;
        loop {
            let mut c = n.walk();
            let Some(child) = n
                .children(&mut c)
                .find(|ch| ch.byte_range() == node.byte_range())
            else {
                break;
            };
            n = child;
            if type_node(n) {
                found = Some(n);
            }
        }
        found.map_or_else(|| Rc::new(Shape::NotType), |t| Shape::of(t, src))
    }

    /// The shape of the type node at `range` inside `within` ([`find_type_node`]).
    fn at(within: Node, range: &Range<usize>, src: &str) -> Rc<Shape> {
        find_type_node(within, range).map_or_else(|| Rc::new(Shape::NotType), |t| Shape::of(t, src))
    }
}

/// How deep type guesses may recurse (through bindings, initializers, aliases).
const MAX_DEPTH: u8 = 16;

/// Calls `visit` with `top` and every node of its subtree that has children, outside strings,
/// token trees, attributes and comments (which hold none of the kinds facts read), with the
/// node's parent and grandparent (`None` above `top`).
///
/// One pre-order cursor walk that keeps, per level entered, the level's node and the siblings
/// left, so that no `Node::parent` (a search from the root) is needed, and the cursor goes up
/// after a last child instead of searching for a sibling that is not there.
fn walk<'t>(top: Node<'t>, mut visit: impl FnMut(Node<'t>, Option<Node<'t>>, Option<Node<'t>>)) {
    visit(top, None, None);
    let mut cursor = top.walk();
    let n = top.child_count();
    let mut levels: Vec<(Node<'t>, u32)> = Vec::with_capacity(32);
    if n > 0 && cursor.goto_first_child() {
        levels.push((top, n - 1));
    }
    'walk: while let Some(&(parent, _)) = levels.last() {
        let c = cursor.node();
        let mut enter = 0;
        if c.is_named()
            && !matches!(
                c.kind_str(),
                "attribute_item"
                    | "line_comment"
                    | "block_comment"
                    | "string_literal"
                    | "token_tree"
            )
        {
            enter = c.child_count();
            if enter > 0 {
                let grandparent = levels.len().checked_sub(2).map(|i| levels[i].0);
                visit(c, Some(parent), grandparent);
            }
        }
        if enter > 0 && cursor.goto_first_child() {
            levels.push((c, enter - 1));
            continue;
        }
        loop {
            let l = levels.last_mut().expect("a level is entered");
            if l.1 > 0 && cursor.goto_next_sibling() {
                l.1 -= 1;
                break;
            }
            levels.pop();
            if levels.is_empty() || !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
}

// ------------------------------------------------------------------------------ item parts

/// What a top-level item says of the attributes of a top-level fn after it: attributes sit
/// beside the fn at the top level, so they are other items.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Leading {
    /// Ends a run of attributes.
    Other,
    /// An attribute (a run starts at one).
    Attr(AttrFlags),
    /// A comment, which a run may hold.
    Comment(AttrFlags),
}

/// What attribute text says of the fn after it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct AttrFlags {
    /// `no_mangle` or `export_name`: the fn is part of an ABI.
    abi: bool,
    /// An attribute that may be a procedural macro.
    macro_attr: bool,
}

impl AttrFlags {
    fn of(attrs: &str) -> Self {
        AttrFlags {
            abi: attrs.contains("no_mangle") || attrs.contains("export_name"),
            macro_attr: attrs.split("#[").skip(1).any(|a| !is_builtin_attribute(a)),
        }
    }

    fn or(self, o: AttrFlags) -> Self {
        AttrFlags {
            abi: self.abi || o.abi,
            macro_attr: self.macro_attr || o.macro_attr,
        }
    }
}

/// An item's declarations that other items read: its fn signatures, struct fields, type
/// aliases, structs and imports (at any depth, fns in bodies included), and what it says of the
/// attributes of a top-level fn after it. Nothing of a fn body but the declarations in it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Decls {
    leading: Leading,
    fns: Vec<Rc<FnDecl>>,
    fields: Vec<Rc<TypedName>>,
    aliases: Vec<Rc<TypedName>>,
    structs: Vec<Rc<StructDecl>>,
    imports: Vec<Rc<Import>>,
}

impl ItemPart for Decls {
    fn compute(item: Node<'_>, src: &str) -> Self {
        let leading = match item.kind_str() {
            "attribute_item" => Leading::Attr(AttrFlags::of(text(item, src))),
            "line_comment" | "block_comment" => Leading::Comment(AttrFlags::of(text(item, src))),
            _ => Leading::Other,
        };
        let mut d = Decls {
            leading,
            fns: Vec::new(),
            fields: Vec::new(),
            aliases: Vec::new(),
            structs: Vec::new(),
            imports: Vec::new(),
        };
        walk(item, |node, _, _| match node.kind_str() {
            "function_item" => {
                if let Some(f) = fn_decl(node, src) {
                    d.fns.push(Rc::new(f));
                }
            }
            "field_declaration" => {
                if let (Some(name), Some(ty)) = (node.field("name"), node.field("type")) {
                    d.fields.push(Rc::new(TypedName {
                        name: text(name, src).into(),
                        ty: Shape::of_type_at(ty, src),
                    }));
                }
            }
            "type_item" => {
                if let (Some(name), Some(ty)) = (node.field("name"), node.field("type")) {
                    d.aliases.push(Rc::new(TypedName {
                        name: text(name, src).into(),
                        ty: Shape::of_type_at(ty, src),
                    }));
                }
            }
            "struct_item" => {
                if let (Some(name), Some(body)) = (node.field("name"), node.field("body")) {
                    d.structs.push(Rc::new(StructDecl {
                        name: text(name, src).into(),
                        fields: struct_field_types(body, src),
                    }));
                }
            }
            "use_declaration" => {
                if let Some(arg) = node.field("argument") {
                    visit_use(&mut d.imports, arg, String::new(), src);
                }
            }
            _ => {}
        });
        d
    }
}

/// A fn's signature as other items see it (`None` without a name or parameter list).
fn fn_decl(node: Node, src: &str) -> Option<FnDecl> {
    let (name, params) = (node.field("name")?, node.field("parameters")?);
    let mut has_self = false;
    let mut types = Vec::new();
    let mut c = params.walk();
    for p in params.named_children(&mut c) {
        match p.kind_str() {
            "self_parameter" => has_self = true,
            "parameter" => {
                let (Some(pat), Some(ty)) = (p.field("pattern"), p.field("type")) else {
                    continue;
                };
                if pat.kind_str() == "self" {
                    has_self = true;
                    continue;
                }
                types.push(text(ty, src).into());
            }
            _ => {}
        }
    }
    let type_params = node.field("type_parameters").map_or_else(Vec::new, |tp| {
        let mut c = tp.walk();
        tp.named_children(&mut c)
            .filter_map(|p| p.field("name"))
            .map(|n| text(n, src).into())
            .collect()
    });
    Some(FnDecl {
        name: text(name, src).into(),
        has_self,
        params: types,
        type_params,
    })
}

/// The types of a struct body's fields, named or positional.
fn struct_field_types(body: Node, src: &str) -> Vec<Rc<Shape>> {
    let mut c = body.walk();
    body.named_children(&mut c)
        .filter_map(|field| match field.kind_str() {
            "field_declaration" => field.field("type"),
            k if k.ends_with("_type")
                || k == "type_identifier"
                || k == "scoped_type_identifier" =>
            {
                Some(field)
            }
            _ => None,
        })
        .map(|ty| Shape::of(ty, src))
        .collect()
}

fn visit_use(imports: &mut Vec<Rc<Import>>, node: Node, prefix: String, src: &str) {
    let join = |p: &str, s: &str| {
        if p.is_empty() {
            s.to_owned()
        } else {
            format!("{p}::{s}")
        }
    };
    match node.kind_str() {
        "identifier" | "scoped_identifier" => {
            let full = join(&prefix, text(node, src));
            let name = last_segment(&full).to_owned();
            imports.push(Rc::new(Import { full, name }));
        }
        "use_as_clause" => {
            if let (Some(path), Some(alias)) = (node.field("path"), node.field("alias")) {
                imports.push(Rc::new(Import {
                    full: join(&prefix, text(path, src)),
                    name: text(alias, src).to_owned(),
                }));
            }
        }
        "scoped_use_list" => {
            let p = node
                .field("path")
                .map_or(prefix.clone(), |p| join(&prefix, text(p, src)));
            if let Some(list) = node.field("list") {
                visit_use(imports, list, p, src);
            }
        }
        "use_list" => {
            let mut c = node.walk();
            for child in node.named_children(&mut c) {
                visit_use(imports, child, prefix.clone(), src);
            }
        }
        _ => {}
    }
}

/// The file's declarations by name, assembled once per analysis from the items' [`Decls`].
#[derive(Default)]
pub(crate) struct DeclIndex {
    /// Each sorted by name; same names in file order.
    fns: Vec<Rc<FnDecl>>,
    fields: Vec<Rc<TypedName>>,
    aliases: Vec<Rc<TypedName>>,
    structs: Vec<Rc<StructDecl>>,
    imports: Vec<Rc<Import>>,
}

/// The entries of a slice sorted by name whose name is `name`.
fn named<'v, T>(v: &'v [Rc<T>], name: &str, key: impl Fn(&T) -> &str) -> &'v [Rc<T>] {
    let lo = v.partition_point(|x| key(x) < name);
    let hi = lo + v[lo..].partition_point(|x| key(x) == name);
    &v[lo..hi]
}

impl DeclIndex {
    pub fn build<'d>(items: impl Iterator<Item = &'d Decls>) -> Self {
        let mut ix = DeclIndex::default();
        for d in items {
            ix.fns.extend(d.fns.iter().cloned());
            ix.fields.extend(d.fields.iter().cloned());
            ix.aliases.extend(d.aliases.iter().cloned());
            ix.structs.extend(d.structs.iter().cloned());
            ix.imports.extend(d.imports.iter().cloned());
        }
        ix.fns.sort_by(|a, b| a.name.cmp(&b.name));
        ix.fields.sort_by(|a, b| a.name.cmp(&b.name));
        ix.aliases.sort_by(|a, b| a.name.cmp(&b.name));
        ix.structs.sort_by(|a, b| a.name.cmp(&b.name));
        ix
    }

    /// The file's functions and methods named `name`, in file order.
    pub fn fns_named(&self, name: &str) -> &[Rc<FnDecl>] {
        named(&self.fns, name, |f| &*f.name)
    }

    fn fields_named(&self, name: &str) -> &[Rc<TypedName>] {
        named(&self.fields, name, |f| &*f.name)
    }

    /// Whether this file declares exactly one field named `name`.
    pub fn field_unique(&self, name: &str) -> bool {
        self.fields_named(name).len() == 1
    }

    /// Whether `std_path` (e.g. `std::path::Path`) is imported under its own last name.
    pub fn imports(&self, std_path: &str) -> bool {
        let leaf = last_segment(std_path);
        let tail = std_path.split_once("::").map_or(std_path, |(_, t)| t);
        self.imports.iter().any(|i| {
            i.name == leaf
                && (i.full == std_path
                    || i.full == tail
                    || i.full
                        .strip_suffix(tail)
                        .is_some_and(|head| head.ends_with("::")))
        })
    }

    /// How to spell `std_path` in this file: the short name if imported, else the full path.
    pub fn spell<'p>(&self, std_path: &'p str) -> &'p str {
        if self.imports(std_path) {
            last_segment(std_path)
        } else {
            std_path
        }
    }
}

/// Where type guesses find the declarations of the file: a check's [`Ctx`] (from the items'
/// parts, which the check then depends on) or, in tests, a file's own.
pub(crate) trait DeclSource {
    fn decls(&self) -> Rc<DeclIndex>;
}

impl DeclSource for Ctx<'_, '_> {
    fn decls(&self) -> Rc<DeclIndex> {
        self.parts_memo::<Decls, DeclIndex>(|p| DeclIndex::build(p.iter().map(|(_, d)| d)))
    }
}

/// The file's declarations (a check that reads them depends on the [`Decls`] parts).
pub(crate) fn decls(cx: &Ctx) -> Rc<DeclIndex> {
    cx.decls()
}

/// A sorted set of names with a 64-bit summary of their hashes, so that asking every item of a
/// file whether it holds a name costs a mask test for most of them, not a binary search.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct NameSet {
    mask: u64,
    names: Vec<Box<str>>,
}

impl NameSet {
    fn bit(name: &str) -> u64 {
        1 << (crate::engine::parts::key_hash(name) >> 58)
    }

    /// The set of `names` (sorted and deduplicated here).
    pub fn new(mut names: Vec<&str>) -> Self {
        names.sort_unstable();
        names.dedup();
        NameSet {
            mask: names.iter().fold(0, |m, n| m | Self::bit(n)),
            names: names.into_iter().map(Box::from).collect(),
        }
    }

    pub fn contains(&self, name: &str) -> bool {
        self.mask & Self::bit(name) != 0 && self.names.binary_search_by(|n| (**n).cmp(name)).is_ok()
    }

    /// The names, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        self.names.iter().map(|n| &**n)
    }
}

/// The names an item uses as values other than by calling them (`map(f)`, `Self::f`, a name in
/// a macro's tokens), its own locals excepted, sorted: a fn named so cannot change its
/// signature without breaking that use.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ValueUses(NameSet);

impl ItemPart for ValueUses {
    fn compute(item: Node<'_>, src: &str) -> Self {
        let locals = Locals::compute(item, src);
        let mut names: Vec<&str> = Vec::new();
        let mut value = |n: Node, called: bool| {
            let name = text(n, src);
            let local = locals.is_binding_name(n.start_byte())
                || locals.resolve(src, name, n.start_byte()).is_some();
            if !local && !called {
                names.push(name);
            }
        };
        // Named nodes with their parents and grandparents, so that no `Node::parent` (a search
        // from the root) is needed; a token tree's tokens are looked at with their neighbours.
        let mut stack: Vec<(Node, Option<Node>, Option<Node>)> = vec![(item, None, None)];
        let mut c = item.walk();
        let mut tokens: Vec<Node> = Vec::new();
        while let Some((n, parent, grandparent)) = stack.pop() {
            match n.kind_str() {
                "identifier" => value(n, called_in_code(n, parent, grandparent)),
                "token_tree" => {
                    tokens.clear();
                    tokens.extend(n.children(&mut c));
                    for (i, &t) in tokens.iter().enumerate() {
                        if t.kind_str() == "identifier" {
                            let prev = i.checked_sub(1).map(|j| tokens[j].kind_str());
                            let next = tokens.get(i + 1);
                            // A method name or a fn called in the macro's tokens.
                            let called = prev == Some(".")
                                || next.is_some_and(|t| {
                                    t.kind_str() == "token_tree" && text(*t, src).starts_with('(')
                                });
                            value(t, called);
                        } else if t.is_named() {
                            stack.push((t, Some(n), parent));
                        }
                    }
                }
                _ => stack.extend(n.named_children(&mut c).map(|ch| (ch, Some(n), parent))),
            }
        }
        ValueUses(NameSet::new(names))
    }
}

/// Whether an identifier in parsed code (not in a macro's tokens), with its parent and
/// grandparent, names a fn in a way that does not pass it as a value: it is called (`f()`,
/// `a::f()`, `f::<T>`), imported, declared, a macro's name or a label.
fn called_in_code(n: Node, parent: Option<Node>, grandparent: Option<Node>) -> bool {
    let Some(p) = parent else { return false };
    match p.kind_str() {
        "call_expression" => p.field("function") == Some(n),
        "scoped_identifier" if p.field("name") == Some(n) => grandparent.is_some_and(|g| {
            (g.kind_str() == "call_expression" && g.field("function") == Some(p))
                || g.kind_str() == "generic_function"
        }),
        "generic_function" => true,
        "use_list" | "use_declaration" | "scoped_use_list" | "use_as_clause" | "function_item"
        | "macro_invocation" | "label" => true,
        _ => false,
    }
}

impl KeyedPart for ValueUses {
    fn mentions(&self, key: &str) -> bool {
        self.0.contains(key)
    }

    fn for_each_key(&self, f: &mut dyn FnMut(&str)) {
        self.0.iter().for_each(f);
    }
}

/// Whether a fn named `name` is used other than by calling it anywhere in the file (see
/// [`ValueUses`]): changing its signature would then break that use. Depends only on the items
/// that use `name` so (before or after an edit).
pub(crate) fn fn_used_as_value(cx: &Ctx, name: &str) -> bool {
    cx.parts_mention::<ValueUses>(name)
}

/// The names an item calls (as a fn, a path's last segment or a method) or names in a macro's
/// tokens, sorted: where to look for the call sites of a fn.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct CallNames(NameSet);

impl ItemPart for CallNames {
    fn compute(item: Node<'_>, src: &str) -> Self {
        let mut names: Vec<&str> = Vec::new();
        let mut stack = vec![item];
        let mut c = item.walk();
        while let Some(n) = stack.pop() {
            match n.kind_str() {
                "call_expression" => {
                    if let Some((_, m, _)) = method_call(n) {
                        names.push(text(m, src));
                    } else if let Some(f) = n.field("function") {
                        match f.kind_str() {
                            "identifier" => names.push(text(f, src)),
                            "scoped_identifier" => {
                                names.extend(f.field("name").map(|x| text(x, src)))
                            }
                            _ => {}
                        }
                    }
                }
                "token_tree" => {
                    let mut tc = n.walk();
                    names.extend(
                        n.children(&mut tc)
                            .filter(|t| t.kind_str() == "identifier")
                            .map(|t| text(t, src)),
                    );
                }
                _ => {}
            }
            stack.extend(n.named_children(&mut c));
        }
        CallNames(NameSet::new(names))
    }
}

impl CallNames {
    pub fn contains(&self, name: &str) -> bool {
        self.0.contains(name)
    }
}

// ------------------------------------------------------------------------------ locals

/// The bindings of one top-level item. Built by [`Locals::compute`].
pub(crate) struct Locals {
    /// Sorted by name text, then name start.
    bindings: Vec<Binding>,
    /// Start bytes of binding names, sorted.
    binding_starts: Vec<usize>,
    /// The patterns of the parameters of named fns.
    params: Vec<Range<usize>>,
}

/// The current item's [`Locals`], shared by its checks (keyed by the item node's id).
#[derive(Default)]
struct LocalsCache(RefCell<Option<(usize, Rc<Locals>)>>);

/// The facts a check of a Rust item reads: its item's [`Locals`] (item-local), and through the
/// check's `Ctx` the file's declarations when a guess needs them ([`DeclSource`]).
pub(crate) struct Facts<'t> {
    locals: Rc<Locals>,
    item: Node<'t>,
}

impl Deref for Facts<'_> {
    type Target = Locals;

    fn deref(&self) -> &Locals {
        &self.locals
    }
}

impl Locals {
    pub fn compute(item: Node, src: &str) -> Locals {
        let mut l = Locals {
            bindings: Vec::new(),
            binding_starts: Vec::new(),
            params: Vec::new(),
        };
        walk(item, |node, parent, grandparent| {
            l.visit(node, parent, grandparent, src)
        });
        l.bindings.sort_by(|a, b| {
            src[a.name.clone()]
                .cmp(&src[b.name.clone()])
                .then(a.name.start.cmp(&b.name.start))
        });
        l.binding_starts = l.bindings.iter().map(|b| b.name.start).collect();
        l.binding_starts.sort_unstable();
        l
    }

    fn visit(&mut self, node: Node, parent: Option<Node>, grandparent: Option<Node>, src: &str) {
        match node.kind_str() {
            "function_item" => self.visit_fn(node, src),
            "closure_expression" => {
                let (Some(params), Some(body)) = (node.field("parameters"), node.field("body"))
                else {
                    return;
                };
                let callback = callback_call(parent, grandparent, src);
                let mut c = params.walk();
                for (i, p) in params.named_children(&mut c).enumerate() {
                    if i == 0 && p.kind_str() != "parameter" {
                        if let Some(call) = callback {
                            let ty = TySrc::Callback {
                                call: call.byte_range(),
                            };
                            self.bind_pattern(p, body.byte_range(), ty, src);
                            continue;
                        }
                    }
                    if p.kind_str() == "parameter" {
                        let (Some(pat), ty) = (p.field("pattern"), p.field("type")) else {
                            continue;
                        };
                        let ty = ty.map_or(TySrc::None, |t| TySrc::Annot(t.byte_range()));
                        self.bind_pattern(pat, body.byte_range(), ty, src);
                    } else {
                        self.bind_pattern(p, body.byte_range(), TySrc::None, src);
                    }
                }
            }
            "let_declaration" => {
                let Some(pat) = node.field("pattern") else {
                    return;
                };
                let end = parent
                    .filter(|p| p.kind_str() == "block")
                    .map_or(node.end_byte(), |b| b.end_byte());
                let ty = match (node.field("type"), node.field("value")) {
                    (Some(t), _) => TySrc::Annot(t.byte_range()),
                    (None, Some(v)) if node.field("alternative").is_none() => {
                        TySrc::Init(v.byte_range())
                    }
                    _ => TySrc::None,
                };
                self.bind_pattern(pat, node.end_byte()..end, ty, src);
            }
            "for_expression" => {
                let (Some(pat), Some(value), Some(body)) = (
                    node.field("pattern"),
                    node.field("value"),
                    node.field("body"),
                ) else {
                    return;
                };
                self.bind_for_pattern(pat, value.byte_range(), body.byte_range(), src);
            }
            "let_condition" => {
                let Some(pat) = node.field("pattern") else {
                    return;
                };
                // The bindings are visible in the `if`'s consequence or the `while`'s body (and in
                // later conditions of a chain, which the consequence range does not cover: rare).
                let is_owner =
                    |o: &Node| matches!(o.kind_str(), "if_expression" | "while_expression");
                let owner = parent.filter(is_owner).or(grandparent.filter(is_owner));
                let Some(owner) = owner else { return };
                let field = if owner.kind_str() == "if_expression" {
                    "consequence"
                } else {
                    "body"
                };
                let Some(scope) = owner.field(field) else {
                    return;
                };
                let scope = node.end_byte()..scope.end_byte();
                self.bind_pattern(pat, scope, TySrc::None, src);
            }
            "match_arm" => {
                let Some(pat) = node.field("pattern") else {
                    return;
                };
                self.bind_pattern(pat, pat.end_byte()..node.end_byte(), TySrc::None, src);
            }
            _ => {}
        }
    }

    /// A named fn's parameters, bound in its body.
    fn visit_fn(&mut self, node: Node, src: &str) {
        let (Some(_), Some(params)) = (node.field("name"), node.field("parameters")) else {
            return;
        };
        let body = node.field("body");
        let mut c = params.walk();
        for p in params.named_children(&mut c) {
            if p.kind_str() != "parameter" {
                continue;
            }
            let (Some(pat), Some(ty)) = (p.field("pattern"), p.field("type")) else {
                continue;
            };
            if pat.kind_str() == "self" {
                continue;
            }
            self.params.push(pat.byte_range());
            if let Some(body) = body {
                self.bind_pattern(pat, body.byte_range(), TySrc::Annot(ty.byte_range()), src);
            }
        }
    }

    fn bind_pattern(&mut self, pat: Node, scope: Range<usize>, ty: TySrc, src: &str) {
        // A simple pattern: `x` or `mut x`.
        let simple_ident = match pat.kind_str() {
            "identifier" => Some(pat),
            "mut_pattern" => pat
                .named_children(&mut pat.walk())
                .find(|c| c.kind_str() == "identifier"),
            _ => None,
        };
        if let Some(id) = simple_ident {
            if !looks_like_constant(text(id, src)) {
                self.bindings.push(Binding {
                    name: id.byte_range(),
                    scope,
                    ty,
                });
            }
            return;
        }
        let mut stack: Vec<(Node, Option<Node>)> = vec![(pat, None)];
        while let Some((n, parent)) = stack.pop() {
            match n.kind_str() {
                "identifier" => {
                    let parent_kind = parent.map(|p| p.kind_str());
                    let is_path = matches!(parent_kind, Some("scoped_identifier"))
                        || (matches!(parent_kind, Some("tuple_struct_pattern" | "struct_pattern"))
                            && parent.and_then(|p| p.field("type")) == Some(n));
                    if !is_path && !looks_like_constant(text(n, src)) {
                        self.bindings.push(Binding {
                            name: n.byte_range(),
                            scope: scope.clone(),
                            ty: TySrc::None,
                        });
                    }
                }
                "shorthand_field_identifier" => self.bindings.push(Binding {
                    name: n.byte_range(),
                    scope: scope.clone(),
                    ty: TySrc::None,
                }),
                "scoped_identifier" | "string_literal" | "integer_literal" => {}
                _ => {
                    let mut c = n.walk();
                    stack.extend(n.named_children(&mut c).map(|child| (child, Some(n))));
                }
            }
        }
    }

    fn bind_for_pattern(&mut self, pat: Node, iter: Range<usize>, scope: Range<usize>, src: &str) {
        let push = |f: &mut Locals, id: Node, pos: ElemPos| {
            if !looks_like_constant(text(id, src)) {
                f.bindings.push(Binding {
                    name: id.byte_range(),
                    scope: scope.clone(),
                    ty: TySrc::Elem {
                        iter: iter.clone(),
                        pos,
                    },
                });
            }
        };
        match pat.kind_str() {
            "identifier" => push(self, pat, ElemPos::Whole),
            "reference_pattern"
                if pat.named_child_count() == 1
                    && pat
                        .named_child(0)
                        .is_some_and(|c| c.kind_str() == "identifier") =>
            {
                push(self, pat.named_child(0).expect("checked"), ElemPos::Deref)
            }
            "tuple_pattern"
                if pat.named_child_count() <= 4
                    && pat
                        .named_children(&mut pat.walk())
                        .all(|c| c.kind_str() == "identifier" || c.kind_str() == "_") =>
            {
                let mut c = pat.walk();
                for (i, id) in pat.named_children(&mut c).enumerate() {
                    if id.kind_str() == "identifier" {
                        push(self, id, ElemPos::Tuple(i as u8));
                    }
                }
            }
            _ => self.bind_pattern(pat, scope.clone(), TySrc::None, src),
        }
    }

    pub fn binding(&self, idx: usize) -> &Binding {
        &self.bindings[idx]
    }

    /// The binding `name` refers to at byte `pos`: the innermost visible one.
    pub fn resolve(&self, src: &str, name: &str, pos: usize) -> Option<usize> {
        let lo = self
            .bindings
            .partition_point(|b| &src[b.name.clone()] < name);
        let mut best: Option<usize> = None;
        for (i, b) in self.bindings[lo..].iter().enumerate() {
            if &src[b.name.clone()] != name {
                break;
            }
            if b.scope.start <= pos && pos < b.scope.end.max(b.scope.start + 1) {
                let better = best.is_none_or(|j| self.bindings[j].scope.start <= b.scope.start);
                if better {
                    best = Some(lo + i);
                }
            }
        }
        best
    }

    /// The binding declared by the identifier at `name` (a range of a binding's name).
    pub fn binding_named_at(&self, src: &str, name: &Range<usize>) -> Option<usize> {
        let text = &src[name.clone()];
        let lo = self
            .bindings
            .partition_point(|b| &src[b.name.clone()] < text);
        self.bindings[lo..]
            .iter()
            .take_while(|b| &src[b.name.clone()] == text)
            .position(|b| b.name == *name)
            .map(|i| lo + i)
    }

    /// Whether binding `idx` is a parameter of a named function.
    pub fn is_param(&self, idx: usize) -> bool {
        matches!(self.bindings[idx].ty, TySrc::Annot(_))
            && self.params.contains(&self.bindings[idx].name)
    }

    /// Where a loop or callback binding's items come from: the `for` iterable or the
    /// iterator call the closure is passed to.
    pub fn binding_origin(&self, idx: usize) -> Option<Range<usize>> {
        match &self.bindings[idx].ty {
            TySrc::Elem { iter, .. } => Some(iter.clone()),
            TySrc::Callback { call } => Some(call.clone()),
            _ => None,
        }
    }

    /// Whether an identifier at `start` declares a binding (rather than using one).
    pub fn is_binding_name(&self, start: usize) -> bool {
        self.binding_starts.binary_search(&start).is_ok()
    }

    /// Calls `f` for every use of binding `idx` inside `scope` (a node), in source order, until
    /// `f` returns `false`. Returns `false` if stopped early.
    pub fn for_each_use<'t>(
        &self,
        src: &str,
        scope: Node<'t>,
        idx: usize,
        mut f: impl FnMut(Use<'t>) -> bool,
    ) -> bool {
        let b = &self.bindings[idx];
        let name = &src[b.name.clone()];
        let mut cursor = scope.walk();
        // Nodes with their parents (`None`: `scope`'s, looked up if needed), so that
        // `Node::parent` (a search from the root) is not called for every candidate.
        let mut stack: Vec<(Node<'t>, Option<Node<'t>>)> = vec![(scope, None)];
        let mut fmt_macros: Vec<Range<usize>> = Vec::new();
        while let Some((node, parent)) = stack.pop() {
            if node.end_byte() <= b.scope.start || node.start_byte() >= b.scope.end {
                continue;
            }
            let parent = || parent.or_else(|| node.parent());
            let kind = node.kind_str();
            if kind == "identifier" || kind == "self" {
                if text(node, src) != name
                    || node.byte_range() == b.name
                    || self.is_binding_name(node.start_byte())
                {
                    continue;
                }
                let parent = parent();
                let in_tt = parent.is_some_and(|p| p.kind_str() == "token_tree");
                if in_tt {
                    let prev = node.prev_sibling().map(|p| p.kind_str());
                    let next = node.next_sibling().map(|n| n.kind_str());
                    if matches!(prev, Some("." | "::" | "$" | "'"))
                        || matches!(next, Some("!" | "::" | ":"))
                    {
                        continue;
                    }
                } else if !is_value_identifier(node, parent) {
                    continue;
                }
                if self.resolve(src, name, node.start_byte()) != Some(idx) {
                    continue;
                }
                let u = if in_tt {
                    Use::Token(node)
                } else {
                    Use::Expr(node)
                };
                if !f(u) {
                    return false;
                }
                continue;
            }
            if kind == "string_literal" || kind == "raw_string_literal" {
                if parent().is_some_and(|p| p.kind_str() == "token_tree")
                    && fmt_macros
                        .iter()
                        .any(|r| syntax::within(&node.byte_range(), r))
                    && syntax::captures(text(node, src), name)
                    && self.resolve(src, name, node.start_byte()) == Some(idx)
                    && !f(Use::Capture)
                {
                    return false;
                }
                continue;
            }
            if kind == "macro_invocation" {
                let mname = node.field("macro").map_or("", |m| text(m, src));
                if syntax::is_formatting_macro(mname) || syntax::is_comparing_macro(mname) {
                    fmt_macros.push(node.byte_range());
                }
            }
            if node.child_count() > 0 {
                cursor.reset(node);
                if cursor.goto_first_child() {
                    let start = stack.len();
                    loop {
                        let c = cursor.node();
                        if c.is_named() {
                            stack.push((c, Some(node)));
                        }
                        if !cursor.goto_next_sibling() {
                            break;
                        }
                    }
                    stack[start..].reverse();
                }
            }
        }
        true
    }

    /// Collects the uses of binding `idx` within `scope`.
    pub fn uses<'t>(&self, src: &str, scope: Node<'t>, idx: usize) -> Vec<Use<'t>> {
        let mut out = Vec::new();
        self.for_each_use(src, scope, idx, |u| {
            out.push(u);
            true
        });
        out
    }
}

impl<'t> Facts<'t> {
    /// The facts of the current node's item (computed on first need by the item's checks).
    pub fn of(cx: &Ctx<'_, 't>) -> Self {
        let item = cx.item();
        let cache = cx.node_cache::<LocalsCache>();
        let mut slot = cache.0.borrow_mut();
        let locals = match &*slot {
            Some((id, l)) if *id == item.id() => l.clone(),
            _ => {
                let l = Rc::new(Locals::compute(item, cx.src()));
                *slot = Some((item.id(), l.clone()));
                l
            }
        };
        Facts { locals, item }
    }

    /// The top-level item these facts are of.
    pub fn item(&self) -> Node<'t> {
        self.item
    }

    /// The signature of the named fn `func` (of this item). A top-level fn's attributes are
    /// other items: they are read from their parts.
    pub fn fn_at(&self, cx: &Ctx, func: Node) -> Option<FnSig> {
        let src = cx.src();
        let (Some(name), Some(params)) = (func.field("name"), func.field("parameters")) else {
            return None;
        };
        // A top-level fn is in no impl or trait, and its attributes are other items: read from
        // their parts (and no `Node::parent`, a search from the root).
        let top_level = func.id() == self.item.id();
        let (in_trait_impl, in_trait) = if top_level {
            (false, false)
        } else {
            trait_container(func)
        };
        let mut visible = false;
        let mut is_extern = false;
        let mut c = func.walk();
        for child in func.children(&mut c) {
            match child.kind_str() {
                "visibility_modifier" => visible = true,
                "function_modifiers" => is_extern |= text(child, src).contains("extern"),
                _ => {}
            }
        }
        let attrs = if top_level {
            top_level_attrs(cx, func.start_byte())
        } else {
            func.parent()
                .map_or_else(AttrFlags::default, |p| nested_attrs(p, func, src))
        };
        // `#[no_mangle]` / `#[export_name]` functions are ABI too.
        is_extern |= attrs.abi;
        let mut has_self = false;
        let mut sig_params = Vec::new();
        let mut c = params.walk();
        for p in params.named_children(&mut c) {
            match p.kind_str() {
                "self_parameter" => has_self = true,
                "parameter" => {
                    let (Some(pat), Some(_)) = (p.field("pattern"), p.field("type")) else {
                        continue;
                    };
                    if pat.kind_str() == "self" {
                        has_self = true;
                        continue;
                    }
                    sig_params.push(ParamSig {
                        pattern: pat.byte_range(),
                    });
                }
                _ => {}
            }
        }
        Some(FnSig {
            name: name.byte_range(),
            params: sig_params,
            has_self,
            in_trait_impl,
            in_trait,
            visible,
            is_extern,
            macro_attr: attrs.macro_attr,
        })
    }

    // ---------------------------------------------------------------- types

    fn binding_type_depth(&self, cx: &dyn DeclSource, src: &str, idx: usize, depth: u8) -> Ty {
        if depth > MAX_DEPTH {
            return Ty::UNKNOWN;
        }
        let b = &self.bindings[idx];
        match &b.ty {
            TySrc::None => Ty::UNKNOWN,
            TySrc::Annot(r) => classify(cx, &Shape::at(self.item, r, src), 0),
            TySrc::Init(r) => find_node(self.item, r)
                .map_or(Ty::UNKNOWN, |e| self.expr_type_depth(cx, src, e, depth + 1)),
            TySrc::Callback { call } => {
                let Some(call) = find_node(self.item, call) else {
                    return Ty::UNKNOWN;
                };
                let Some((recv, name, _)) = method_call(call) else {
                    return Ty::UNKNOWN;
                };
                let (item, tuple) = self.iter_item(cx, src, recv, depth + 1);
                if tuple.is_some() {
                    return Ty::UNKNOWN;
                }
                // `filter`, `find`, `inspect`… lend each item; the others take it.
                match text(name, src) {
                    "filter" | "find" | "inspect" | "skip_while" | "take_while" => item.refd(1),
                    _ => item,
                }
            }
            TySrc::Elem { iter, pos } => {
                let Some(iter) = find_node(self.item, iter) else {
                    return Ty::UNKNOWN;
                };
                let (elem, tuple) = self.iter_item(cx, src, iter, depth + 1);
                match (pos, tuple) {
                    (ElemPos::Whole, None) => elem,
                    (ElemPos::Deref, None) if elem.refs > 0 => elem.refd(0).derefd(),
                    (ElemPos::Tuple(i), Some(items)) => {
                        items.get(*i as usize).cloned().unwrap_or(Ty::UNKNOWN)
                    }
                    _ => Ty::UNKNOWN,
                }
            }
        }
    }

    /// The item type of iterating `iter` in a `for` loop: either one type, or the parts of a
    /// tuple item (`enumerate()`, map entries).
    fn iter_item(
        &self,
        cx: &dyn DeclSource,
        src: &str,
        iter: Node,
        depth: u8,
    ) -> (Ty, Option<Vec<Ty>>) {
        let iter = unparen(iter);
        let unknown = (Ty::UNKNOWN, None);
        let containers = |t: &Ty| {
            matches!(
                t.base,
                Base::Vec
                    | Base::Slice
                    | Base::Array
                    | Base::VecDeque
                    | Base::HashSet
                    | Base::BTreeSet
            )
        };
        let maps = |t: &Ty| matches!(t.base, Base::HashMap | Base::BTreeMap);
        let elems = |t: &Ty, by_ref: bool| -> (Ty, Option<Vec<Ty>>) {
            let extra = u8::from(by_ref || t.refs > 0);
            if containers(t) {
                (element_of(cx, t, 0).refd(extra), None)
            } else if maps(t) {
                let k = element_of(cx, t, 0).refd(extra);
                let v = element_of(cx, t, 1).refd(extra);
                (Ty::UNKNOWN, Some(vec![k, v]))
            } else {
                (Ty::UNKNOWN, None)
            }
        };
        match iter.kind_str() {
            "reference_expression" => {
                let Some(inner) = iter.field("value") else {
                    return unknown;
                };
                let t = self.expr_type_depth(cx, src, inner, depth + 1);
                elems(&t, true)
            }
            "identifier" | "field_expression" => {
                let t = self.expr_type_depth(cx, src, iter, depth + 1);
                elems(&t, false)
            }
            "range_expression" => (Ty::of(Base::Copy), None),
            "call_expression" => {
                let Some((recv, name, _)) = method_call(iter) else {
                    return unknown;
                };
                match text(name, src) {
                    "iter" | "iter_mut" => {
                        let t = self.expr_type_depth(cx, src, recv, depth + 1);
                        elems(&t, true)
                    }
                    "into_iter" | "drain" => {
                        let t = self.expr_type_depth(cx, src, recv, depth + 1);
                        elems(&t, false)
                    }
                    "enumerate" => {
                        let (t, tuple) = self.iter_item(cx, src, recv, depth + 1);
                        if tuple.is_some() {
                            return unknown;
                        }
                        (Ty::UNKNOWN, Some(vec![Ty::of(Base::Copy), t]))
                    }
                    "cloned" | "copied" => {
                        let (t, tuple) = self.iter_item(cx, src, recv, depth + 1);
                        if tuple.is_some() || t.refs == 0 {
                            return unknown;
                        }
                        (t.derefd(), None)
                    }
                    "keys" | "values" | "values_mut" => {
                        let t = self.expr_type_depth(cx, src, recv, depth + 1);
                        if !maps(&t) {
                            return unknown;
                        }
                        let i = usize::from(text(name, src) != "keys");
                        (element_of(cx, &t, i).refd(1), None)
                    }
                    "filter" | "rev" | "skip" | "take" | "step_by" | "skip_while"
                    | "take_while" | "peekable" | "fuse" | "inspect" | "chain" => {
                        self.iter_item(cx, src, recv, depth + 1)
                    }
                    "chars" => (Ty::of(Base::Copy), None),
                    "bytes" => (Ty::of(Base::Copy), None),
                    _ => unknown,
                }
            }
            _ => unknown,
        }
    }

    /// Guesses the type of an expression of this item.
    pub fn expr_type(&self, cx: &dyn DeclSource, src: &str, expr: Node) -> Ty {
        self.expr_type_depth(cx, src, expr, 0)
    }

    fn expr_type_depth(&self, cx: &dyn DeclSource, src: &str, expr: Node, depth: u8) -> Ty {
        if depth > MAX_DEPTH {
            return Ty::UNKNOWN;
        }
        let expr = unparen(expr);
        match expr.kind_str() {
            "identifier" => match self.resolve(src, text(expr, src), expr.start_byte()) {
                Some(i) => self.binding_type_depth(cx, src, i, depth + 1),
                None => Ty::UNKNOWN,
            },
            "field_expression" => {
                let Some(field) = expr.field("field") else {
                    return Ty::UNKNOWN;
                };
                if field.kind_str() != "field_identifier" {
                    return Ty::UNKNOWN;
                }
                field_type(cx, text(field, src))
            }
            "reference_expression" => match expr.field("value") {
                Some(v) => self.expr_type_depth(cx, src, v, depth + 1).refd(1),
                None => Ty::UNKNOWN,
            },
            "unary_expression" => {
                let is_deref = expr.child(0).is_some_and(|op| op.kind_str() == "*");
                match expr.named_child(0) {
                    Some(v) if is_deref => {
                        let t = self.expr_type_depth(cx, src, v, depth + 1);
                        if t.refs > 0 {
                            t.derefd()
                        } else {
                            Ty::UNKNOWN
                        }
                    }
                    _ => Ty::UNKNOWN,
                }
            }
            "string_literal" | "raw_string_literal" if is_str_literal(expr, src) => {
                Ty::of(Base::Str).refd(1)
            }
            "integer_literal" | "float_literal" | "boolean_literal" | "char_literal" => {
                Ty::of(Base::Copy)
            }
            "type_cast_expression" => expr
                .field("type")
                .map_or(Ty::UNKNOWN, |t| classify(cx, &Shape::of(t, src), 0)),
            "macro_invocation" => {
                let name = expr
                    .field("macro")
                    .map_or("", |m| last_segment(text(m, src)));
                match name {
                    "format" => Ty::of(Base::String),
                    "vec" => Ty::of(Base::Vec),
                    _ => Ty::UNKNOWN,
                }
            }
            "call_expression" => self.call_type(cx, src, expr, depth),
            _ => Ty::UNKNOWN,
        }
    }

    fn call_type(&self, cx: &dyn DeclSource, src: &str, call: Node, depth: u8) -> Ty {
        if let Some((recv, name, _)) = method_call(call) {
            return match text(name, src) {
                "to_string" => Ty::of(Base::String),
                "to_vec" => Ty::of(Base::Vec),
                "to_path_buf" => Ty::of(Base::PathBuf),
                "to_os_string" => Ty::of(Base::OsString),
                "as_str" => Ty::of(Base::Str).refd(1),
                "as_path" => Ty::of(Base::Path).refd(1),
                "as_slice" => Ty::of(Base::Slice).refd(1),
                "len" | "count" | "capacity" | "is_empty" => Ty::of(Base::Copy),
                "to_owned" | "clone" => {
                    let t = self.expr_type_depth(cx, src, recv, depth + 1);
                    let owned = match t.base {
                        Base::Str => Base::String,
                        Base::Slice => Base::Vec,
                        Base::Path => Base::PathBuf,
                        Base::OsStr => Base::OsString,
                        b => b,
                    };
                    if t.base.is_unsized() && text(name, src) == "clone" {
                        // `(&str).clone()` copies the reference.
                        return t;
                    }
                    match t.refs {
                        0 | 1 => Ty {
                            base: owned,
                            refs: 0,
                            node: if owned == t.base { t.node } else { None },
                        },
                        _ => t.derefd(),
                    }
                }
                "collect" => {
                    let f = call.field("function");
                    match f
                        .filter(|f| f.kind_str() == "generic_function")
                        .and_then(|f| f.field("type_arguments"))
                    {
                        Some(args) => match args.named_child(0) {
                            Some(t) => classify(cx, &Shape::of(t, src), 0),
                            None => Ty::UNKNOWN,
                        },
                        None => Ty::UNKNOWN,
                    }
                }
                _ => Ty::UNKNOWN,
            };
        }
        if let Some((path, name)) = path_call(call, src) {
            let base = match path {
                "String" => Base::String,
                "Vec" => Base::Vec,
                "VecDeque" => Base::VecDeque,
                "HashMap" => Base::HashMap,
                "HashSet" => Base::HashSet,
                "BTreeMap" => Base::BTreeMap,
                "BTreeSet" => Base::BTreeSet,
                "PathBuf" => Base::PathBuf,
                "OsString" => Base::OsString,
                "Box" => Base::Box,
                "Rc" | "Arc" => Base::Shared,
                "Path" if name == "new" => return Ty::of(Base::Path).refd(1),
                _ => return Ty::UNKNOWN,
            };
            let constructs = matches!(
                name,
                "new"
                    | "with_capacity"
                    | "from"
                    | "default"
                    | "clone"
                    | "from_iter"
                    | "with_hasher"
                    | "with_capacity_and_hasher"
                    | "new_in"
            ) || (base == Base::String
                && matches!(name, "from_utf8_lossy" | "from_utf16_lossy"));
            if constructs && !(base == Base::String && name == "from_utf8_lossy") {
                return Ty::of(base);
            }
        }
        Ty::UNKNOWN
    }

    /// Whether an expression's type is written `usize` in this file: an unsuffixed integer
    /// literal (it takes the type its new place asks for), `x.len()`, a local or field annotated
    /// `usize`, or arithmetic on those.
    pub fn is_usize(&self, cx: &dyn DeclSource, src: &str, e: Node) -> bool {
        self.is_usize_depth(cx, src, e, 0)
    }

    fn is_usize_depth(&self, cx: &dyn DeclSource, src: &str, e: Node, depth: u8) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        let e = unparen(e);
        match e.kind_str() {
            "integer_literal" => {
                let t = text(e, src);
                t.ends_with("usize") || t.bytes().all(|b| b.is_ascii_digit() || b == b'_')
            }
            "call_expression" => method_call(e).is_some_and(|(_, m, a)| {
                matches!(text(m, src), "len" | "count" | "capacity") && a.named_child_count() == 0
            }),
            "identifier" => {
                let Some(i) = self.resolve(src, text(e, src), e.start_byte()) else {
                    return false;
                };
                match &self.bindings[i].ty {
                    TySrc::Annot(r) => &src[r.clone()] == "usize",
                    // `let n = 10;` takes its type from later uses: not known here.
                    TySrc::Init(r) => find_node(self.item, r).is_some_and(|n| {
                        let n = unparen(n);
                        if n.kind_str() == "integer_literal" {
                            text(n, src).ends_with("usize")
                        } else {
                            self.is_usize_depth(cx, src, n, depth + 1)
                        }
                    }),
                    _ => false,
                }
            }
            "field_expression" => {
                let Some(field) = e.field("field") else {
                    return false;
                };
                let decls = cx.decls();
                let fields = decls.fields_named(text(field, src));
                !fields.is_empty() && fields.iter().all(|d| *d.ty == Shape::Usize)
            }
            "binary_expression" => {
                let op = e.field("operator").map_or("", |o| text(o, src));
                matches!(op, "+" | "-" | "*" | "/")
                    && e.field("left")
                        .is_some_and(|l| self.is_usize_depth(cx, src, l, depth + 1))
                    && e.field("right")
                        .is_some_and(|r| self.is_usize_depth(cx, src, r, depth + 1))
            }
            _ => false,
        }
    }
}

/// Whether a fn is in `impl Trait for Type` (its signature is the trait's) or a trait
/// definition (a default method): its declaration list's parent.
pub(crate) fn trait_container(func: Node) -> (bool, bool) {
    let container = func
        .parent()
        .filter(|p| p.kind_str() == "declaration_list")
        .and_then(|p| p.parent());
    let in_trait_impl =
        container.is_some_and(|c| c.kind_str() == "impl_item" && c.field("trait").is_some());
    let in_trait = container.is_some_and(|c| c.kind_str() == "trait_item");
    (in_trait_impl, in_trait)
}

/// The attributes right before `func` among `parent`'s children: from the first attribute of
/// the run before it (comments may sit between them) to `func`.
fn nested_attrs(parent: Node, func: Node, src: &str) -> AttrFlags {
    let mut run: Option<usize> = None;
    let mut c = parent.walk();
    for n in parent.children(&mut c) {
        if n.id() == func.id() {
            break;
        }
        match n.kind_str() {
            "attribute_item" => {
                run.get_or_insert(n.start_byte());
            }
            "line_comment" | "block_comment" => {}
            _ if n.is_named() => run = None,
            _ => {}
        }
    }
    run.map_or_else(AttrFlags::default, |a| {
        AttrFlags::of(src.get(a..func.start_byte()).unwrap_or(""))
    })
}

/// The attributes of the top-level fn starting at `start`: the run of attribute items before
/// it, with the comments after the run's first attribute.
fn top_level_attrs(cx: &Ctx, start: usize) -> AttrFlags {
    let parts = cx.parts::<Decls>();
    let (mut flags, mut pending) = (AttrFlags::default(), AttrFlags::default());
    for (_, d) in parts.iter().rev().skip_while(|(r, _)| r.start >= start) {
        match d.leading {
            Leading::Other => break,
            Leading::Comment(f) => pending = pending.or(f),
            Leading::Attr(f) => {
                flags = flags.or(f).or(pending);
                pending = AttrFlags::default();
            }
        }
    }
    flags
}

/// Guesses the type written as `ty`.
fn classify(cx: &dyn DeclSource, ty: &Rc<Shape>, depth: u8) -> Ty {
    if depth > 4 {
        return Ty::UNKNOWN;
    }
    let with_node = |base: Base| Ty {
        base,
        refs: 0,
        node: Some(ty.clone()),
    };
    match &**ty {
        Shape::Ref(inner) => classify(cx, inner, depth + 1).refd(1),
        Shape::Str => Ty::of(Base::Str),
        Shape::Usize | Shape::Primitive | Shape::CopyLike => Ty::of(Base::Copy),
        Shape::Array { elem, sized } => {
            if !sized {
                return with_node(Base::Slice);
            }
            match elem.as_ref().map(|e| classify(cx, e, depth + 1)) {
                Some(e) if e.base == Base::Copy || (e.refs > 0 && e.base != Base::Unknown) => {
                    with_node(Base::Copy)
                }
                Some(e) if e.clone_allocates() => with_node(Base::HeapOther),
                _ => with_node(Base::Array),
            }
        }
        Shape::Tuple(items) => {
            let mut all_copy = true;
            for e in items {
                let e = classify(cx, e, depth + 1);
                if e.clone_allocates() {
                    return with_node(Base::HeapOther);
                }
                all_copy &= e.base == Base::Copy || (e.refs > 0 && e.base != Base::Unknown);
            }
            with_node(if all_copy { Base::Copy } else { Base::Unknown })
        }
        Shape::Named(name) => match &**name {
            "String" => with_node(Base::String),
            "PathBuf" => with_node(Base::PathBuf),
            "Path" => with_node(Base::Path),
            "OsString" => with_node(Base::OsString),
            "OsStr" => with_node(Base::OsStr),
            _ => classify_named(cx, name, depth),
        },
        Shape::Generic { head, args } => match &**head {
            "Vec" => with_node(Base::Vec),
            "VecDeque" => with_node(Base::VecDeque),
            "HashMap" => with_node(Base::HashMap),
            "HashSet" => with_node(Base::HashSet),
            "BTreeMap" => with_node(Base::BTreeMap),
            "BTreeSet" => with_node(Base::BTreeSet),
            "Box" => with_node(Base::Box),
            "Rc" | "Arc" | "Weak" => with_node(Base::Shared),
            "Option" => match args.first().map(|a| classify(cx, a, depth + 1)) {
                Some(inner) if inner.clone_allocates() => with_node(Base::HeapOther),
                Some(inner) if inner.clone_is_cheap() => with_node(Base::Cheap),
                _ => Ty::UNKNOWN,
            },
            _ => Ty::UNKNOWN,
        },
        Shape::NotType | Shape::Other => Ty::UNKNOWN,
    }
}

/// A type named in this file: an alias or a struct.
fn classify_named(cx: &dyn DeclSource, name: &str, depth: u8) -> Ty {
    let decls = cx.decls();
    if let [alias] = named(&decls.aliases, name, |a| &*a.name) {
        if *alias.ty != Shape::NotType {
            return classify(cx, &alias.ty, depth + 1);
        }
    }
    if let [s] = named(&decls.structs, name, |s| &*s.name) {
        let mut heap = false;
        let mut cheap = true;
        for ty in &s.fields {
            let t = classify(cx, ty, depth + 1);
            heap |= t.clone_allocates();
            cheap &= t.clone_is_cheap();
        }
        if heap {
            return Ty::of(Base::HeapOther);
        }
        if cheap {
            return Ty::of(Base::Cheap);
        }
    }
    Ty::UNKNOWN
}

/// The element type of a container type (its first type argument, or an array's element),
/// with `index` picking a map's key (0) or value (1).
fn element_of(cx: &dyn DeclSource, container: &Ty, index: usize) -> Ty {
    let arg = match container.node.as_deref() {
        Some(Shape::Array { elem, .. }) => elem.clone(),
        Some(Shape::Generic { args, .. }) => args.get(index).cloned(),
        _ => None,
    };
    arg.map_or(Ty::UNKNOWN, |a| classify(cx, &a, 0))
}

/// The type of a field named `name`, if every field of that name in this file agrees.
fn field_type(cx: &dyn DeclSource, name: &str) -> Ty {
    let decls = cx.decls();
    let mut out: Option<Ty> = None;
    for d in decls.fields_named(name) {
        if *d.ty == Shape::NotType {
            return Ty::UNKNOWN;
        }
        let t = classify(cx, &d.ty, 0);
        match &out {
            None => out = Some(t),
            Some(o) if o.base == t.base && o.refs == t.refs => {}
            Some(_) => return Ty::UNKNOWN,
        }
    }
    out.unwrap_or(Ty::UNKNOWN)
}

/// A use of a binding.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Use<'t> {
    /// An identifier in parsed code.
    Expr(Node<'t>),
    /// An identifier token inside a macro's token tree.
    Token(Node<'t>),
    /// An inline capture `{name}` in a formatting macro's string literal.
    Capture,
}

/// Whether an identifier in parsed code (with its parent) is a value (a local's use), not a path
/// segment, a type, a label or a macro name.
fn is_value_identifier(node: Node, parent: Option<Node>) -> bool {
    let Some(parent) = parent else {
        return false;
    };
    match parent.kind_str() {
        "scoped_identifier"
        | "scoped_type_identifier"
        | "label"
        | "use_declaration"
        | "use_list"
        | "scoped_use_list"
        | "use_as_clause"
        | "lifetime"
        | "macro_definition"
        | "enum_variant" => false,
        "macro_invocation" => parent.field("macro") != Some(node),
        "tuple_struct_pattern" | "struct_pattern" => parent.field("type") != Some(node),
        "function_item" | "struct_item" | "enum_item" | "type_item" | "const_item"
        | "static_item" | "mod_item" => parent.field("name") != Some(node),
        "generic_function" => true,
        _ => true,
    }
}

/// The method call a closure (whose parent and grandparent are given) is the only argument of,
/// when the method is an iterator adapter or consumer that hands the closure one item at a time.
fn callback_call<'t>(
    parent: Option<Node<'t>>,
    grandparent: Option<Node<'t>>,
    src: &str,
) -> Option<Node<'t>> {
    parent.filter(|a| a.kind_str() == "arguments" && a.named_child_count() == 1)?;
    let call = grandparent?;
    let (_, name, _) = method_call(call)?;
    matches!(
        text(name, src),
        "for_each"
            | "map"
            | "filter"
            | "filter_map"
            | "flat_map"
            | "find"
            | "find_map"
            | "any"
            | "all"
            | "inspect"
            | "skip_while"
            | "take_while"
            | "map_while"
            | "position"
    )
    .then_some(call)
}

/// Whether an attribute (`#[..]` text) is one of the compiler's own, which never touch a
/// signature.
fn is_builtin_attribute(attr: &str) -> bool {
    let inner = attr.trim_start_matches("#[").trim_start_matches("#![");
    let name = inner
        .split(|c: char| c == '(' || c == ']' || c == '=' || c.is_whitespace())
        .next()
        .unwrap_or("");
    matches!(
        name,
        "allow"
            | "warn"
            | "deny"
            | "forbid"
            | "expect"
            | "inline"
            | "cold"
            | "cfg"
            | "cfg_attr"
            | "doc"
            | "must_use"
            | "track_caller"
            | "deprecated"
            | "test"
            | "ignore"
            | "should_panic"
            | "no_mangle"
            | "export_name"
            | "target_feature"
            | "rustfmt::skip"
            | "allow_internal_unstable"
            | "optimize"
            | "unsafe"
    ) || name.starts_with("clippy::")
        || name.starts_with("rustfmt::")
}

/// Upper-case names in patterns are constants or unit variants, not bindings.
fn looks_like_constant(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
}

/// The named node whose range is exactly `range` (the outermost of several with that range).
pub(crate) fn find_node<'t>(root: Node<'t>, range: &Range<usize>) -> Option<Node<'t>> {
    let mut n = root.descendant_for_byte_range(range.start, range.end)?;
    while !n.is_named() || n.byte_range() != *range {
        let p = n.parent()?;
        if p.start_byte() < range.start || p.end_byte() > range.end {
            return (n.byte_range() == *range && n.is_named()).then_some(n);
        }
        n = p;
    }
    // Climb while the parent has the same range (e.g. a type node inside a wrapper).
    while let Some(p) = n.parent() {
        if p.byte_range() == *range && p.is_named() {
            n = p;
        } else {
            break;
        }
    }
    Some(n)
}

/// The type node at `range`: the innermost named node with that exact range whose kind is a
/// type.
fn find_type_node<'t>(root: Node<'t>, range: &Range<usize>) -> Option<Node<'t>> {
    let mut n = root.descendant_for_byte_range(range.start, range.end)?;
    loop {
        if n.byte_range() == *range && n.is_named() && is_type_kind(n.kind_str()) {
            return Some(n);
        }
        if n.start_byte() < range.start || n.end_byte() > range.end {
            return None;
        }
        n = n.parent()?;
    }
}

fn is_type_kind(kind: &str) -> bool {
    kind.ends_with("_type")
        || matches!(
            kind,
            "type_identifier" | "scoped_type_identifier" | "primitive_type"
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{parse_str, DEFAULT_PARSE_BUDGET};
    use crate::language::Lang;

    /// The declarations of a whole file, as the parts of its items give them.
    struct FileDecls(Rc<DeclIndex>);

    impl DeclSource for FileDecls {
        fn decls(&self) -> Rc<DeclIndex> {
            self.0.clone()
        }
    }

    fn file_decls(root: Node, src: &str) -> FileDecls {
        let mut c = root.walk();
        let parts: Vec<Decls> = root
            .named_children(&mut c)
            .map(|item| Decls::compute(item, src))
            .collect();
        FileDecls(Rc::new(DeclIndex::build(parts.iter())))
    }

    /// The facts of the item holding byte `at`.
    fn with_facts(src: &str, at: usize, f: impl FnOnce(Node, &Facts, &FileDecls)) {
        let tree = parse_str(Lang::Rust, src, DEFAULT_PARSE_BUDGET).unwrap();
        let root = tree.root_node();
        let mut c = root.walk();
        let item = root
            .named_children(&mut c)
            .find(|i| i.byte_range().contains(&at))
            .unwrap();
        let facts = Facts {
            locals: Rc::new(Locals::compute(item, src)),
            item,
        };
        f(root, &facts, &file_decls(root, src));
    }

    /// The type of the expression that starts where `needle` last occurs and spans its text up
    /// to (not including) a trailing `;`.
    pub(super) fn ty_at(src: &str, needle: &str) -> Ty {
        let mut out = Ty::UNKNOWN;
        let at = src.rfind(needle).unwrap();
        with_facts(src, at, |root, facts, decls| {
            let len = needle.trim_end_matches(';').len();
            let node = find_node(root, &(at..at + len)).unwrap();
            out = facts.expr_type(decls, src, node);
        });
        out
    }

    #[test]
    fn resolves_shadowing_and_scopes() {
        let src = "fn f(a: String) { let a = a.len(); { let a = 1u8; a; } a; }";
        with_facts(src, 0, |_, facts, _| {
            let uses: Vec<usize> = src.match_indices("a;").map(|(i, _)| i).collect();
            let inner = facts.resolve(src, "a", uses[0]).unwrap();
            let outer = facts.resolve(src, "a", uses[1]).unwrap();
            assert_ne!(inner, outer);
            let param = facts.resolve(src, "a", src.find("a.len").unwrap()).unwrap();
            assert_ne!(param, outer);
            assert!(facts.is_param(param) && !facts.is_param(outer));
            assert_eq!(facts.binding(param).scope.start, src.find('{').unwrap());
        });
    }

    #[test]
    fn guesses_types() {
        assert_eq!(ty_at("fn f(s: &String) { s; }", "s;").base, Base::String);
        assert_eq!(ty_at("fn f(s: &String) { s; }", "s;").refs, 1);
        assert_eq!(
            ty_at("fn f() { let v = vec![1]; v; }", "v;").base,
            Base::Vec
        );
        assert_eq!(
            ty_at("fn f(v: &[String]) { for x in v { x; } }", "x;").base,
            Base::String
        );
        assert_eq!(
            ty_at(
                "fn f(v: Vec<u8>) { for (i, x) in v.iter().enumerate() { x; } }",
                "x;"
            )
            .base,
            Base::Copy
        );
        assert_eq!(
            ty_at("struct S { n: Vec<u8> } fn f(s: S) { s.n; }", "s.n").base,
            Base::Vec
        );
        assert_eq!(
            ty_at("type P = std::rc::Rc<u8>; fn f(p: P) { p; }", "p;").base,
            Base::Shared
        );
        assert_eq!(
            ty_at("struct H { a: Arc<u8>, n: usize } fn f(h: &H) { h; }", "h;").base,
            Base::Cheap
        );
        // The element type of a container declared in another item.
        assert_eq!(
            ty_at(
                "type V = Vec<String>; fn f(v: &V) { for x in v { x; } }",
                "x;"
            )
            .base,
            Base::String
        );
        assert!(ty_at("fn f(s: &str) { s; }", "s;").clone_is_cheap());
        assert!(ty_at("fn f(x: T) { x; }", "x;").is_unknown());
    }

    #[test]
    fn knows_usize_fields_of_other_items() {
        let src = "struct S { n: usize, m: u32 } fn f(s: S) { s.n + 1; s.m; }";
        with_facts(src, src.find("fn f").unwrap(), |root, facts, decls| {
            let at = |needle: &str| {
                let i = src.find(needle).unwrap();
                find_node(root, &(i..i + needle.len())).unwrap()
            };
            assert!(facts.is_usize(decls, src, at("s.n + 1")));
            assert!(!facts.is_usize(decls, src, at("s.m")));
        });
    }

    #[test]
    fn lists_uses_including_macro_tokens_and_captures() {
        let src =
            r#"fn f(s: String) { let n = s.len(); println!("{} {s}", s); g(s); let s = 1; s; }"#;
        with_facts(src, 0, |root, facts, _| {
            let idx = facts.resolve(src, "s", src.find("s.len").unwrap()).unwrap();
            let uses = facts.uses(src, root, idx);
            let kinds: Vec<&str> = uses
                .iter()
                .map(|u| match u {
                    Use::Expr(_) => "expr",
                    Use::Token(_) => "token",
                    Use::Capture => "capture",
                })
                .collect();
            assert_eq!(kinds, ["expr", "capture", "token", "expr"]);
        });
    }

    #[test]
    fn reads_imports_and_signatures() {
        let src = "use std::path::{Path, PathBuf}; use std::borrow::Cow as C; impl T for X { fn f(&self, a: &String) {} } pub fn g<U>(a: u8) {}";
        let tree = parse_str(Lang::Rust, src, DEFAULT_PARSE_BUDGET).unwrap();
        let decls = file_decls(tree.root_node(), src).0;
        assert!(decls.imports("std::path::Path"));
        assert!(!decls.imports("std::ffi::OsStr"));
        assert!(!decls.imports("std::borrow::Cow"));
        let f = &decls.fns_named("f")[0];
        assert!(f.has_self);
        assert_eq!(&*f.params, [Box::from("&String")]);
        let g = &decls.fns_named("g")[0];
        assert!(!g.has_self && *g.type_params == [Box::from("U")]);
    }

    #[test]
    fn parts_leave_out_fn_bodies() {
        let a = "fn f(a: String) -> usize { let n = a.len(); n }";
        let b = "fn f(a: String) -> usize { let n = a.len() + 1; let m = n; m }";
        let part = |src: &str| {
            let tree = parse_str(Lang::Rust, src, DEFAULT_PARSE_BUDGET).unwrap();
            let item = tree.root_node().named_child(0).unwrap();
            (
                Decls::compute(item, src),
                ValueUses::compute(item, src),
                CallNames::compute(item, src),
            )
        };
        let (da, va, ca) = part(a);
        let (db, vb, cb) = part(b);
        assert_eq!(da, db);
        assert_eq!(va, vb, "locals are not value uses");
        assert_eq!(ca, cb);
        let (_, vc, _) = part("fn f(a: String) { v.iter().map(g); h(); }");
        assert!(vc.mentions("g") && vc.mentions("v") && !vc.mentions("h") && !vc.mentions("a"));
        // The keyed-part contract: every name it mentions is among its keys.
        let mut keys = Vec::new();
        vc.for_each_key(&mut |k| keys.push(k.to_owned()));
        assert_eq!(keys, ["g", "v"]);
    }
}
