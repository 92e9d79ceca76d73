//! Where each name is bound and read in one Python scope (a function, lambda, class body or the
//! module), computed on demand per scope and cached for the rest of the analysis through
//! [`Ctx::memo`](crate::engine::Ctx::memo).
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

use crate::engine::Ctx;

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

/// The names of one scope.
#[derive(Debug, Default)]
pub struct Scope {
    pub owner: Range<usize>,
    names: HashMap<Box<str>, Vec<Occ>>,
}

impl Scope {
    /// Every occurrence of `name`, in source order.
    pub fn occurrences(&self, name: &str) -> &[Occ] {
        self.names.get(name).map_or(&[], |v| v.as_slice())
    }

    /// Occurrences that bind `name` in this scope (not in nested scopes).
    pub fn bindings<'s>(&'s self, name: &str) -> impl Iterator<Item = &'s Occ> + 's {
        self.occurrences(name).iter().filter(|o| o.binds())
    }

    /// Whether `name` occurs anywhere in the scope (nested scopes included).
    pub fn uses(&self, name: &str) -> bool {
        self.names.contains_key(name)
    }

    /// Occurrences of `name` inside `range`.
    pub fn within<'s>(
        &'s self,
        name: &str,
        range: Range<usize>,
    ) -> impl Iterator<Item = &'s Occ> + 's {
        self.occurrences(name)
            .iter()
            .filter(move |o| o.range.start >= range.start && o.range.end <= range.end)
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
        let mut b = Builder {
            src,
            names: HashMap::new(),
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
        Scope {
            owner: owner.byte_range(),
            names: b.names,
        }
    }
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

/// The innermost scope owner of `node` (a function, lambda, class or the module), `node`
/// itself excluded.
pub fn scope_owner(node: Node) -> Node {
    let mut n = node;
    while let Some(p) = n.parent() {
        if matches!(
            p.kind(),
            "function_definition" | "lambda" | "class_definition" | "module"
        ) {
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

/// The per-file cache of scopes, keyed by the owner node's id.
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

/// The scope `node` lives in, computed once per analysis.
pub fn scope_of(cx: &Ctx, node: Node) -> Rc<Scope> {
    let scopes = cx.memo(|_, _| Scopes::default());
    scopes.get(scope_owner(node), cx.src())
}

/// The module's scope, computed once per analysis.
pub fn module_scope(cx: &Ctx) -> Rc<Scope> {
    let scopes = cx.memo(|_, _| Scopes::default());
    scopes.get(cx.root(), cx.src())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{parse_str, DEFAULT_PARSE_BUDGET};
    use crate::language::Lang;

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
