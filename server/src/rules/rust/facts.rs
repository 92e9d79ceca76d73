//! Facts about one Rust file that several rules share, computed once per analysis through
//! `Ctx::memo` and only when a rule has a candidate: the local bindings and their scopes (to
//! resolve a name at a position and list its uses), the file's function signatures, struct
//! fields, type aliases and imports, and a light guess of an expression's type.
//!
//! Everything is stored as byte ranges (a memo outlives no tree); nodes are found again with
//! [`syntax::node_at`] when needed. Type guesses are deliberately shallow: `Unknown` whenever the
//! syntax does not say, so that rules can stay silent.

use std::ops::Range;

use tree_sitter::Node;

use super::syntax::NodeExt;

use super::syntax::{self, is_str_literal, last_segment, method_call, path_call, text, unparen};

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
    pub ty: Range<usize>,
}

#[derive(Clone, Debug)]
pub(crate) struct FnSig {
    pub name: Range<usize>,
    pub node: Range<usize>,
    params: Range<usize>,
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

#[derive(Clone, Debug)]
struct FieldDecl {
    name: Range<usize>,
    ty: Range<usize>,
}

#[derive(Clone, Debug)]
struct Named {
    name: Range<usize>,
    /// A type alias: its type. A struct: its field list.
    body: Range<usize>,
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

/// A guessed type: a base behind `refs` references, and the type node when an annotation gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Ty {
    pub base: Base,
    pub refs: u8,
    /// The annotation's type node (without the references), for element types.
    pub node: Option<Range<usize>>,
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

/// A node met by [`Facts::compute`]'s walk, with what the walk knows about its surroundings.
struct Visit<'t> {
    node: Node<'t>,
    parent: Option<Node<'t>>,
    grandparent: Option<Node<'t>>,
    /// The attributes (`#[..]`) right before the node, as a byte range (empty if none).
    attrs: Range<usize>,
}

/// How deep type guesses may recurse (through bindings, initializers, aliases).
const MAX_DEPTH: u8 = 16;

/// The facts. Built by [`Facts::compute`].
pub(crate) struct Facts {
    /// Sorted by name text, then scope start.
    bindings: Vec<Binding>,
    /// Start bytes of binding names, sorted.
    binding_starts: Vec<usize>,
    /// Sorted by name text.
    fns: Vec<FnSig>,
    params: Vec<ParamSig>,
    /// Named struct/variant fields, sorted by name text.
    fields: Vec<FieldDecl>,
    /// Type aliases, sorted by name text.
    aliases: Vec<Named>,
    /// Structs with named or tuple fields, sorted by name text.
    structs: Vec<Named>,
    /// `use` items: (full path, the name it is visible as).
    imports: Vec<(String, String)>,
}

fn sort_by_text<T>(v: &mut [T], src: &str, key: impl Fn(&T) -> &Range<usize>) {
    v.sort_by(|a, b| {
        src[key(a).clone()]
            .cmp(&src[key(b).clone()])
            .then(key(a).start.cmp(&key(b).start))
    });
}

/// The entries of a slice sorted by name text whose name is `name`.
fn equal_range<'v, T>(
    v: &'v [T],
    src: &str,
    name: &str,
    key: impl Fn(&T) -> &Range<usize>,
) -> &'v [T] {
    let lo = v.partition_point(|x| &src[key(x).clone()] < name);
    let hi = lo + v[lo..].partition_point(|x| &src[key(x).clone()] == name);
    &v[lo..hi]
}

impl Facts {
    pub fn compute(root: Node, src: &str) -> Facts {
        let mut f = Facts {
            bindings: Vec::new(),
            binding_starts: Vec::new(),
            fns: Vec::new(),
            params: Vec::new(),
            fields: Vec::new(),
            aliases: Vec::new(),
            structs: Vec::new(),
            imports: Vec::new(),
        };
        // One pre-order cursor walk that keeps, per level entered, the level's node, the
        // siblings left and the run of attributes before the cursor's node, so that no
        // `Node::parent` (a search from the root) or `prev_sibling` (a scan from the first
        // sibling) is needed, and the cursor goes up after a last child instead of searching for
        // a sibling that is not there.
        struct Level<'t> {
            node: Node<'t>,
            left: u32,
            attr_run: Option<usize>,
        }
        f.visit(
            &Visit {
                node: root,
                parent: None,
                grandparent: None,
                attrs: 0..0,
            },
            src,
        );
        let mut cursor = root.walk();
        let n = root.child_count();
        let mut levels = Vec::with_capacity(32);
        if n > 0 && cursor.goto_first_child() {
            levels.push(Level {
                node: root,
                left: n - 1,
                attr_run: None,
            });
        }
        'walk: while !levels.is_empty() {
            let c = cursor.node();
            let kind = c.kind_str();
            let depth = levels.len();
            let grandparent = depth.checked_sub(2).map(|i| levels[i].node);
            let level = &mut levels[depth - 1];
            let mut enter = 0;
            if kind == "attribute_item" {
                level.attr_run.get_or_insert(c.start_byte());
            } else if c.is_named() && !matches!(kind, "line_comment" | "block_comment") {
                let attrs = level
                    .attr_run
                    .take()
                    .map_or(c.start_byte()..c.start_byte(), |a| a..c.start_byte());
                // Leaves hold none of the kinds `visit` reads.
                if !matches!(kind, "string_literal" | "token_tree") {
                    enter = c.child_count();
                }
                if enter > 0 {
                    let v = Visit {
                        node: c,
                        parent: Some(level.node),
                        grandparent,
                        attrs,
                    };
                    f.visit(&v, src);
                }
            }
            if enter > 0 && cursor.goto_first_child() {
                levels.push(Level {
                    node: c,
                    left: enter - 1,
                    attr_run: None,
                });
                continue;
            }
            loop {
                let l = levels.last_mut().expect("a level is entered");
                if l.left > 0 && cursor.goto_next_sibling() {
                    l.left -= 1;
                    break;
                }
                levels.pop();
                if levels.is_empty() || !cursor.goto_parent() {
                    break 'walk;
                }
            }
        }
        sort_by_text(&mut f.bindings, src, |b| &b.name);
        f.binding_starts = f.bindings.iter().map(|b| b.name.start).collect();
        f.binding_starts.sort_unstable();
        sort_by_text(&mut f.fns, src, |s| &s.name);
        sort_by_text(&mut f.fields, src, |s| &s.name);
        sort_by_text(&mut f.aliases, src, |s| &s.name);
        sort_by_text(&mut f.structs, src, |s| &s.name);
        f
    }

    fn visit(&mut self, v: &Visit, src: &str) {
        let node = v.node;
        match node.kind_str() {
            "function_item" => self.visit_fn(v, src),
            "closure_expression" => {
                let (Some(params), Some(body)) = (node.field("parameters"), node.field("body"))
                else {
                    return;
                };
                let callback = callback_call(node, src);
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
                let end = v
                    .parent
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
                let owner = v.parent.filter(is_owner).or(v.grandparent.filter(is_owner));
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
            "field_declaration" => {
                if let (Some(name), Some(ty)) = (node.field("name"), node.field("type")) {
                    self.fields.push(FieldDecl {
                        name: name.byte_range(),
                        ty: ty.byte_range(),
                    });
                }
            }
            "type_item" => {
                if let (Some(name), Some(ty)) = (node.field("name"), node.field("type")) {
                    self.aliases.push(Named {
                        name: name.byte_range(),
                        body: ty.byte_range(),
                    });
                }
            }
            "struct_item" => {
                if let (Some(name), Some(body)) = (node.field("name"), node.field("body")) {
                    self.structs.push(Named {
                        name: name.byte_range(),
                        body: body.byte_range(),
                    });
                }
            }
            "use_declaration" => {
                if let Some(arg) = node.field("argument") {
                    self.visit_use(arg, String::new(), src);
                }
            }
            _ => {}
        }
    }

    fn visit_use(&mut self, node: Node, prefix: String, src: &str) {
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
                let leaf = last_segment(&full).to_owned();
                self.imports.push((full, leaf));
            }
            "use_as_clause" => {
                if let (Some(path), Some(alias)) = (node.field("path"), node.field("alias")) {
                    self.imports
                        .push((join(&prefix, text(path, src)), text(alias, src).to_owned()));
                }
            }
            "scoped_use_list" => {
                let p = node
                    .field("path")
                    .map_or(prefix.clone(), |p| join(&prefix, text(p, src)));
                if let Some(list) = node.field("list") {
                    self.visit_use(list, p, src);
                }
            }
            "use_list" => {
                let mut c = node.walk();
                for child in node.named_children(&mut c) {
                    self.visit_use(child, prefix.clone(), src);
                }
            }
            _ => {}
        }
    }

    fn visit_fn(&mut self, v: &Visit, src: &str) {
        let node = v.node;
        let (Some(name), Some(params)) = (node.field("name"), node.field("parameters")) else {
            return;
        };
        let body = node.field("body");
        let container = v
            .parent
            .filter(|p| p.kind_str() == "declaration_list")
            .and(v.grandparent);
        let in_trait_impl =
            container.is_some_and(|c| c.kind_str() == "impl_item" && c.field("trait").is_some());
        let in_trait = container.is_some_and(|c| c.kind_str() == "trait_item");
        let mut visible = false;
        let mut is_extern = false;
        let mut c = node.walk();
        for child in node.children(&mut c) {
            match child.kind_str() {
                "visibility_modifier" => visible = true,
                "function_modifiers" => is_extern |= text(child, src).contains("extern"),
                _ => {}
            }
        }
        // `#[no_mangle]` / `#[export_name]` functions are ABI too.
        let mut macro_attr = false;
        let attrs = src.get(v.attrs.clone()).unwrap_or("");
        is_extern |= attrs.contains("no_mangle") || attrs.contains("export_name");
        for attr in attrs.split("#[").skip(1) {
            macro_attr |= !is_builtin_attribute(attr);
        }
        let first = self.params.len();
        let mut has_self = false;
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
                    self.params.push(ParamSig {
                        pattern: pat.byte_range(),
                        ty: ty.byte_range(),
                    });
                    if let Some(body) = body {
                        self.bind_pattern(
                            pat,
                            body.byte_range(),
                            TySrc::Annot(ty.byte_range()),
                            src,
                        );
                    }
                }
                _ => {}
            }
        }
        self.fns.push(FnSig {
            name: name.byte_range(),
            node: node.byte_range(),
            params: first..self.params.len(),
            has_self,
            in_trait_impl,
            in_trait,
            visible,
            is_extern,
            macro_attr,
        });
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
        let push = |f: &mut Facts, id: Node, pos: ElemPos| {
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

    // ---------------------------------------------------------------- queries

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
            && self
                .params
                .iter()
                .any(|p| p.pattern == self.bindings[idx].name)
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

    /// The file's functions and methods named `name`.
    pub fn fns_named<'f>(&'f self, src: &str, name: &str) -> &'f [FnSig] {
        equal_range(&self.fns, src, name, |s| &s.name)
    }

    pub fn params_of(&self, f: &FnSig) -> &[ParamSig] {
        &self.params[f.params.clone()]
    }

    /// The signature of the function declared at `node` (a `function_item` range).
    pub fn fn_at(&self, node: &Range<usize>) -> Option<&FnSig> {
        self.fns.iter().find(|f| f.node == *node)
    }

    /// Whether `std_path` (e.g. `std::path::Path`) is imported under its own last name.
    pub fn imports(&self, std_path: &str) -> bool {
        let leaf = last_segment(std_path);
        let tail = std_path.split_once("::").map_or(std_path, |(_, t)| t);
        self.imports.iter().any(|(full, name)| {
            name == leaf
                && (full == std_path
                    || full == tail
                    || full
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

    // ---------------------------------------------------------------- types

    /// Guesses the type of a type node.
    pub fn classify_type(&self, root: Node, src: &str, ty: Node) -> Ty {
        self.classify_type_depth(root, src, ty, 0)
    }

    fn classify_type_depth(&self, root: Node, src: &str, ty: Node, depth: u8) -> Ty {
        if depth > 4 {
            return Ty::UNKNOWN;
        }
        let with_node = |base: Base| Ty {
            base,
            refs: 0,
            node: Some(ty.byte_range()),
        };
        match ty.kind_str() {
            "reference_type" => match ty.field("type") {
                Some(inner) => self
                    .classify_type_depth(root, src, inner, depth + 1)
                    .refd(1),
                None => Ty::UNKNOWN,
            },
            "primitive_type" => {
                if text(ty, src) == "str" {
                    Ty::of(Base::Str)
                } else {
                    Ty::of(Base::Copy)
                }
            }
            "pointer_type" | "function_type" | "never_type" | "unit_type" => Ty::of(Base::Copy),
            "array_type" => {
                let elem = ty
                    .field("element")
                    .map(|e| self.classify_type_depth(root, src, e, depth + 1));
                if ty.field("length").is_none() {
                    return with_node(Base::Slice);
                }
                match elem {
                    Some(e) if e.base == Base::Copy || (e.refs > 0 && e.base != Base::Unknown) => {
                        with_node(Base::Copy)
                    }
                    Some(e) if e.clone_allocates() => with_node(Base::HeapOther),
                    _ => with_node(Base::Array),
                }
            }
            "tuple_type" => {
                let mut all_copy = true;
                let mut c = ty.walk();
                for e in ty.named_children(&mut c) {
                    let e = self.classify_type_depth(root, src, e, depth + 1);
                    if e.clone_allocates() {
                        return with_node(Base::HeapOther);
                    }
                    all_copy &= e.base == Base::Copy || (e.refs > 0 && e.base != Base::Unknown);
                }
                with_node(if all_copy { Base::Copy } else { Base::Unknown })
            }
            "type_identifier" | "scoped_type_identifier" => {
                let name = last_segment(text(ty, src));
                match name {
                    "String" => with_node(Base::String),
                    "PathBuf" => with_node(Base::PathBuf),
                    "Path" => with_node(Base::Path),
                    "OsString" => with_node(Base::OsString),
                    "OsStr" => with_node(Base::OsStr),
                    _ => self.classify_named(root, src, name, depth),
                }
            }
            "generic_type" => {
                let Some(head) = ty.field("type") else {
                    return Ty::UNKNOWN;
                };
                let first_arg = ty.field("type_arguments").and_then(|a| {
                    a.named_children(&mut a.walk())
                        .find(|c| !matches!(c.kind_str(), "lifetime"))
                });
                match last_segment(text(head, src)) {
                    "Vec" => with_node(Base::Vec),
                    "VecDeque" => with_node(Base::VecDeque),
                    "HashMap" => with_node(Base::HashMap),
                    "HashSet" => with_node(Base::HashSet),
                    "BTreeMap" => with_node(Base::BTreeMap),
                    "BTreeSet" => with_node(Base::BTreeSet),
                    "Box" => with_node(Base::Box),
                    "Rc" | "Arc" | "Weak" => with_node(Base::Shared),
                    "Option" => {
                        match first_arg.map(|a| self.classify_type_depth(root, src, a, depth + 1)) {
                            Some(inner) if inner.clone_allocates() => with_node(Base::HeapOther),
                            Some(inner) if inner.clone_is_cheap() => with_node(Base::Cheap),
                            _ => Ty::UNKNOWN,
                        }
                    }
                    _ => Ty::UNKNOWN,
                }
            }
            _ => Ty::UNKNOWN,
        }
    }

    /// A type named in this file: an alias or a struct.
    fn classify_named(&self, root: Node, src: &str, name: &str, depth: u8) -> Ty {
        if let [alias] = equal_range(&self.aliases, src, name, |a| &a.name) {
            if let Some(t) = find_type_node(root, &alias.body) {
                return self.classify_type_depth(root, src, t, depth + 1);
            }
        }
        if let [s] = equal_range(&self.structs, src, name, |a| &a.name) {
            let Some(body) = find_node(root, &s.body) else {
                return Ty::UNKNOWN;
            };
            let mut heap = false;
            let mut cheap = true;
            let mut c = body.walk();
            for field in body.named_children(&mut c) {
                let ty = match field.kind_str() {
                    "field_declaration" => field.field("type"),
                    k if k.ends_with("_type")
                        || k == "type_identifier"
                        || k == "scoped_type_identifier" =>
                    {
                        Some(field)
                    }
                    _ => None,
                };
                let Some(ty) = ty else { continue };
                let t = self.classify_type_depth(root, src, ty, depth + 1);
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
    fn element_of(&self, root: Node, src: &str, container: &Ty, index: usize) -> Ty {
        let Some(node) = container.node.as_ref().and_then(|r| find_node(root, r)) else {
            return Ty::UNKNOWN;
        };
        let arg = match node.kind_str() {
            "array_type" => node.field("element"),
            "generic_type" => node.field("type_arguments").and_then(|a| {
                a.named_children(&mut a.walk())
                    .filter(|c| c.kind_str() != "lifetime")
                    .nth(index)
            }),
            _ => None,
        };
        arg.map_or(Ty::UNKNOWN, |a| self.classify_type(root, src, a))
    }

    fn binding_type_depth(&self, root: Node, src: &str, idx: usize, depth: u8) -> Ty {
        if depth > MAX_DEPTH {
            return Ty::UNKNOWN;
        }
        let b = &self.bindings[idx];
        match &b.ty {
            TySrc::None => Ty::UNKNOWN,
            TySrc::Annot(r) => {
                find_type_node(root, r).map_or(Ty::UNKNOWN, |t| self.classify_type(root, src, t))
            }
            TySrc::Init(r) => find_node(root, r).map_or(Ty::UNKNOWN, |e| {
                self.expr_type_depth(root, src, e, depth + 1)
            }),
            TySrc::Callback { call } => {
                let Some(call) = find_node(root, call) else {
                    return Ty::UNKNOWN;
                };
                let Some((recv, name, _)) = method_call(call) else {
                    return Ty::UNKNOWN;
                };
                let (item, tuple) = self.iter_item(root, src, recv, depth + 1);
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
                let Some(iter) = find_node(root, iter) else {
                    return Ty::UNKNOWN;
                };
                let (elem, tuple) = self.iter_item(root, src, iter, depth + 1);
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
    fn iter_item(&self, root: Node, src: &str, iter: Node, depth: u8) -> (Ty, Option<Vec<Ty>>) {
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
        let elems = |f: &Facts, t: &Ty, by_ref: bool| -> (Ty, Option<Vec<Ty>>) {
            let extra = u8::from(by_ref || t.refs > 0);
            if containers(t) {
                (f.element_of(root, src, t, 0).refd(extra), None)
            } else if maps(t) {
                let k = f.element_of(root, src, t, 0).refd(extra);
                let v = f.element_of(root, src, t, 1).refd(extra);
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
                let t = self.expr_type_depth(root, src, inner, depth + 1);
                elems(self, &t, true)
            }
            "identifier" | "field_expression" => {
                let t = self.expr_type_depth(root, src, iter, depth + 1);
                elems(self, &t, false)
            }
            "range_expression" => (Ty::of(Base::Copy), None),
            "call_expression" => {
                let Some((recv, name, _)) = method_call(iter) else {
                    return unknown;
                };
                match text(name, src) {
                    "iter" | "iter_mut" => {
                        let t = self.expr_type_depth(root, src, recv, depth + 1);
                        elems(self, &t, true)
                    }
                    "into_iter" | "drain" => {
                        let t = self.expr_type_depth(root, src, recv, depth + 1);
                        elems(self, &t, false)
                    }
                    "enumerate" => {
                        let (t, tuple) = self.iter_item(root, src, recv, depth + 1);
                        if tuple.is_some() {
                            return unknown;
                        }
                        (Ty::UNKNOWN, Some(vec![Ty::of(Base::Copy), t]))
                    }
                    "cloned" | "copied" => {
                        let (t, tuple) = self.iter_item(root, src, recv, depth + 1);
                        if tuple.is_some() || t.refs == 0 {
                            return unknown;
                        }
                        (t.derefd(), None)
                    }
                    "keys" | "values" | "values_mut" => {
                        let t = self.expr_type_depth(root, src, recv, depth + 1);
                        if !maps(&t) {
                            return unknown;
                        }
                        let i = usize::from(text(name, src) != "keys");
                        (self.element_of(root, src, &t, i).refd(1), None)
                    }
                    "filter" | "rev" | "skip" | "take" | "step_by" | "skip_while"
                    | "take_while" | "peekable" | "fuse" | "inspect" | "chain" => {
                        self.iter_item(root, src, recv, depth + 1)
                    }
                    "chars" => (Ty::of(Base::Copy), None),
                    "bytes" => (Ty::of(Base::Copy), None),
                    _ => unknown,
                }
            }
            _ => unknown,
        }
    }

    /// Guesses the type of an expression.
    pub fn expr_type(&self, root: Node, src: &str, expr: Node) -> Ty {
        self.expr_type_depth(root, src, expr, 0)
    }

    fn expr_type_depth(&self, root: Node, src: &str, expr: Node, depth: u8) -> Ty {
        if depth > MAX_DEPTH {
            return Ty::UNKNOWN;
        }
        let expr = unparen(expr);
        match expr.kind_str() {
            "identifier" => match self.resolve(src, text(expr, src), expr.start_byte()) {
                Some(i) => self.binding_type_depth(root, src, i, depth + 1),
                None => Ty::UNKNOWN,
            },
            "field_expression" => {
                let Some(field) = expr.field("field") else {
                    return Ty::UNKNOWN;
                };
                if field.kind_str() != "field_identifier" {
                    return Ty::UNKNOWN;
                }
                self.field_type(root, src, text(field, src))
            }
            "reference_expression" => match expr.field("value") {
                Some(v) => self.expr_type_depth(root, src, v, depth + 1).refd(1),
                None => Ty::UNKNOWN,
            },
            "unary_expression" => {
                let is_deref = expr.child(0).is_some_and(|op| op.kind_str() == "*");
                match expr.named_child(0) {
                    Some(v) if is_deref => {
                        let t = self.expr_type_depth(root, src, v, depth + 1);
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
                .map_or(Ty::UNKNOWN, |t| self.classify_type(root, src, t)),
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
            "call_expression" => self.call_type(root, src, expr, depth),
            _ => Ty::UNKNOWN,
        }
    }

    fn call_type(&self, root: Node, src: &str, call: Node, depth: u8) -> Ty {
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
                    let t = self.expr_type_depth(root, src, recv, depth + 1);
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
                            Some(t) => self.classify_type(root, src, t),
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

    /// The type of a field named `name`, if every field of that name in this file agrees.
    pub fn field_type(&self, root: Node, src: &str, name: &str) -> Ty {
        let decls = equal_range(&self.fields, src, name, |f| &f.name);
        let mut out: Option<Ty> = None;
        for d in decls {
            let Some(t) = find_type_node(root, &d.ty) else {
                return Ty::UNKNOWN;
            };
            let t = self.classify_type(root, src, t);
            match &out {
                None => out = Some(t),
                Some(o) if o.base == t.base && o.refs == t.refs => {}
                Some(_) => return Ty::UNKNOWN,
            }
        }
        out.unwrap_or(Ty::UNKNOWN)
    }

    /// Whether an expression's type is written `usize` in this file: an unsuffixed integer
    /// literal (it takes the type its new place asks for), `x.len()`, a local or field annotated
    /// `usize`, or arithmetic on those.
    pub fn is_usize(&self, root: Node, src: &str, e: Node) -> bool {
        self.is_usize_depth(root, src, e, 0)
    }

    fn is_usize_depth(&self, root: Node, src: &str, e: Node, depth: u8) -> bool {
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
                    TySrc::Init(r) => find_node(root, r).is_some_and(|n| {
                        let n = unparen(n);
                        if n.kind_str() == "integer_literal" {
                            text(n, src).ends_with("usize")
                        } else {
                            self.is_usize_depth(root, src, n, depth + 1)
                        }
                    }),
                    _ => false,
                }
            }
            "field_expression" => {
                let Some(field) = e.field("field") else {
                    return false;
                };
                let decls = equal_range(&self.fields, src, text(field, src), |f| &f.name);
                !decls.is_empty() && decls.iter().all(|d| &src[d.ty.clone()] == "usize")
            }
            "binary_expression" => {
                let op = e.field("operator").map_or("", |o| text(o, src));
                matches!(op, "+" | "-" | "*" | "/")
                    && e.field("left")
                        .is_some_and(|l| self.is_usize_depth(root, src, l, depth + 1))
                    && e.field("right")
                        .is_some_and(|r| self.is_usize_depth(root, src, r, depth + 1))
            }
            _ => false,
        }
    }

    /// Whether this file declares exactly one field named `name`.
    pub fn field_unique(&self, src: &str, name: &str) -> bool {
        equal_range(&self.fields, src, name, |f| &f.name).len() == 1
    }

    // ---------------------------------------------------------------- uses

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
        let mut stack = vec![scope];
        let mut fmt_macros: Vec<Range<usize>> = Vec::new();
        while let Some(node) = stack.pop() {
            if node.end_byte() <= b.scope.start || node.start_byte() >= b.scope.end {
                continue;
            }
            let kind = node.kind_str();
            if kind == "identifier" || kind == "self" {
                if text(node, src) != name
                    || node.byte_range() == b.name
                    || self.is_binding_name(node.start_byte())
                {
                    continue;
                }
                let in_tt = node.parent().is_some_and(|p| p.kind_str() == "token_tree");
                if in_tt {
                    let prev = node.prev_sibling().map(|p| p.kind_str());
                    let next = node.next_sibling().map(|n| n.kind_str());
                    if matches!(prev, Some("." | "::" | "$" | "'"))
                        || matches!(next, Some("!" | "::" | ":"))
                    {
                        continue;
                    }
                } else if !is_value_identifier(node) {
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
                if node.parent().is_some_and(|p| p.kind_str() == "token_tree")
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
                            stack.push(c);
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

impl Ty {
    fn derefd(mut self) -> Ty {
        self.refs = self.refs.saturating_sub(1);
        self
    }
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

/// Whether an identifier in parsed code is a value (a local's use), not a path segment, a type,
/// a label or a macro name.
fn is_value_identifier(node: Node) -> bool {
    let Some(parent) = node.parent() else {
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

/// The method call a closure is the only argument of, when the method is an iterator adapter
/// or consumer that hands the closure one item at a time.
fn callback_call<'t>(closure: Node<'t>, src: &str) -> Option<Node<'t>> {
    let args = closure
        .parent()
        .filter(|a| a.kind_str() == "arguments" && a.named_child_count() == 1)?;
    let call = args.parent()?;
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

    fn with_facts(src: &str, f: impl FnOnce(Node, &Facts)) {
        let tree = parse_str(Lang::Rust, src, DEFAULT_PARSE_BUDGET).unwrap();
        let facts = Facts::compute(tree.root_node(), src);
        f(tree.root_node(), &facts);
    }

    /// The type of the expression that starts where `needle` last occurs and spans its text up
    /// to (not including) a trailing `;`.
    pub(super) fn ty_at(src: &str, needle: &str) -> Ty {
        let mut out = Ty::UNKNOWN;
        with_facts(src, |root, facts| {
            let at = src.rfind(needle).unwrap();
            let len = needle.trim_end_matches(';').len();
            let node = find_node(root, &(at..at + len)).unwrap();
            out = facts.expr_type(root, src, node);
        });
        out
    }

    #[test]
    fn resolves_shadowing_and_scopes() {
        let src = "fn f(a: String) { let a = a.len(); { let a = 1u8; a; } a; }";
        with_facts(src, |_, facts| {
            let uses: Vec<usize> = src.match_indices("a;").map(|(i, _)| i).collect();
            let inner = facts.resolve(src, "a", uses[0]).unwrap();
            let outer = facts.resolve(src, "a", uses[1]).unwrap();
            assert_ne!(inner, outer);
            let param = facts.resolve(src, "a", src.find("a.len").unwrap()).unwrap();
            assert_ne!(param, outer);
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
        assert!(ty_at("fn f(s: &str) { s; }", "s;").clone_is_cheap());
        assert!(ty_at("fn f(x: T) { x; }", "x;").is_unknown());
    }

    #[test]
    fn lists_uses_including_macro_tokens_and_captures() {
        let src =
            r#"fn f(s: String) { let n = s.len(); println!("{} {s}", s); g(s); let s = 1; s; }"#;
        with_facts(src, |root, facts| {
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
        let src = "use std::path::{Path, PathBuf}; use std::borrow::Cow as C; impl T for X { fn f(&self, a: &String) {} } pub fn g(a: u8) {}";
        with_facts(src, |_, facts| {
            assert!(facts.imports("std::path::Path"));
            assert!(!facts.imports("std::ffi::OsStr"));
            assert!(!facts.imports("std::borrow::Cow"));
            let f = &facts.fns_named(src, "f")[0];
            assert!(f.in_trait_impl && f.has_self);
            assert_eq!(facts.params_of(f).len(), 1);
            assert!(facts.fns_named(src, "g")[0].visible);
        });
    }
}
