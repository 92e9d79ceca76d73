//! `rust/box-collection`: `Box<Vec<T>>`, `Box<String>`, `Box<HashMap<..>>` and friends: a heap
//! allocation that only holds a collection's header.

use tree_sitter::Node;

use super::syntax::NodeExt;

use super::facts::{decls, find_node, trait_container, Facts, NameSet, Use};
use super::syntax::{self, last_segment, path_call, single_arg, text, unparen};
use crate::engine::{Ctx, Edit, Fix, ItemPart, KeyedPart};
use crate::rules::{DefaultSeverity, FixAvailability, Rule, RuleMeta};

pub static BOX_COLLECTION: Rule = Rule {
    meta: RuleMeta {
        id: "rust/box-collection",
        family: Some(crate::language::Family::Rust),
        summary: "`Box<Vec<T>>`, `Box<String>`, `Box<HashMap<..>>`…: the collection is already on the heap",
        default: DefaultSeverity::ByLoopDepth,
        hot_only: false,
        fix: FixAvailability::Unsafe,
    },
    kinds: &["generic_type"],
    check: box_collection,
};

pub(crate) fn box_collection(node: Node, cx: &mut Ctx) {
    // The query asks for a `type` ending in `Box`: most generic types are not, and a query
    // cursor costs more than this look.
    if !node
        .field("type")
        .is_some_and(|t| cx.text(t).ends_with("Box"))
    {
        return;
    }
    // The shape comes from `queries/rust/box-collection.scm`.
    let mut found: Option<(Node, &str)> = None;
    cx.query_at("box-collection", node, |m| {
        if let (Some(inner), Some(name)) = (m.get("inner"), m.get("collection")) {
            found = Some((inner, last_segment(&cx.src()[name.byte_range()])));
        }
    });
    let Some((inner, inner_name)) = found else {
        return;
    };
    if (inner_name == "String") != (inner.kind_str() != "generic_type") {
        return;
    }
    // A trait impl's method signature is the trait's: it cannot change here.
    let in_signature_of = cx
        .ancestors()
        .map(|f| f.node)
        .take_while(|n| n.kind_str() != "block")
        .find(|n| n.kind_str() == "function_item");
    if let Some(func) = in_signature_of {
        let (in_trait_impl, in_trait) = trait_container(func);
        if func.field("name").is_some()
            && func.field("parameters").is_some()
            && (in_trait_impl || in_trait)
        {
            return;
        }
    }
    let facts = super::facts(cx);
    let message = match inner_name {
        "String" => "`Box<String>` allocates a box that holds only the string's pointer, length and capacity; the text is already on the heap. Use `String` (or `Box<str>` for a fixed string)",
        "Vec" => "`Box<Vec<T>>` allocates a box that holds only the vector's pointer, length and capacity; the elements are already on the heap. Use `Vec<T>` (or `Box<[T]>` for a fixed list)",
        _ => "Boxing a collection allocates a box that holds only the collection's header; its contents are already on the heap. Use the collection directly",
    };
    let fix = unbox_fix(node, inner, cx, &facts);
    let finding = cx.report(node.byte_range(), message);
    finding.fix = fix;
}

/// The edits that unbox the type and the `Box::new(..)` that build it, when every place that
/// builds a value of this type can be found in this file; `None` otherwise.
fn unbox_fix(ty: Node, inner: Node, cx: &Ctx, facts: &Facts) -> Option<Fix> {
    let src = cx.src();
    let mut edits = vec![Edit::replace(ty.byte_range(), cx.text(inner))];
    let parent = ty.parent()?;
    match parent.kind_str() {
        // `let x: Box<Vec<T>> = Box::new(e);`
        "let_declaration" if parent.field("type") == Some(ty) => {
            let value = parent.field("value")?;
            if parent.field("alternative").is_some() {
                return None;
            }
            edits.push(unwrap_box_new(value, src)?);
            let pat = parent.field("pattern")?;
            let name = if pat.kind_str() == "mut_pattern" {
                pat.named_child(pat.named_child_count().saturating_sub(1) as u32)?
            } else {
                pat
            };
            let idx = facts.binding_named_at(src, &name.byte_range())?;
            let block = parent.parent()?;
            deref_edits(facts, src, block, idx, &mut edits)?;
        }
        // A private field of a named struct: every `S { field: Box::new(e) }` and
        // `x.field = Box::new(e)` in this file is rewritten; `*x.field` loses its `*`.
        "field_declaration" => {
            let mut c = parent.walk();
            if parent
                .children(&mut c)
                .any(|n| n.kind_str() == "visibility_modifier")
            {
                return None;
            }
            let field = cx.text(parent.field("name")?);
            let strukt = parent
                .parent()?
                .parent()
                .filter(|s| s.kind_str() == "struct_item")?;
            let struct_name = cx.text(strukt.field("name")?);
            if !decls(cx).field_unique(field) {
                return None;
            }
            // The sites of the field are in any item: the whole file.
            field_sites_in_file(cx, struct_name, field, &mut edits)?;
        }
        // The return type of a private fn whose every return builds the box.
        _ if parent.kind_str() == "function_item" && parent.field("return_type") == Some(ty) => {
            let sig = facts.fn_at(cx, parent)?;
            if sig.visible || sig.in_trait || sig.in_trait_impl || sig.has_self {
                return None;
            }
            let body = parent.field("body")?;
            let mut ok = true;
            syntax::for_each_return(body, src, &mut |value| match unwrap_box_new(value, src) {
                Some(e) => edits.push(e),
                None => ok = false,
            });
            if !ok {
                return None;
            }
            if !callers_do_not_deref(cx, cx.text(parent.field("name")?)) {
                return None;
            }
        }
        _ => return None,
    }
    Some(Fix::unsafe_("Unbox the collection", edits))
}

/// `Box::new(e)` → an edit replacing it with `e`.
fn unwrap_box_new(value: Node, src: &str) -> Option<Edit> {
    let value = unparen(value);
    let (path, name) = path_call(value, src)?;
    if path != "Box" || name != "new" {
        return None;
    }
    let arg = single_arg(value.field("arguments")?)?;
    Some(Edit::replace(value.byte_range(), text(arg, src)))
}

/// For every use of binding `idx` in `scope`: `*x` becomes `x`. Uses inside macros give up.
fn deref_edits(
    facts: &Facts,
    src: &str,
    scope: Node,
    idx: usize,
    edits: &mut Vec<Edit>,
) -> Option<()> {
    let mut ok = true;
    facts.for_each_use(src, scope, idx, |u| {
        let Use::Expr(n) = u else {
            ok = false;
            return false;
        };
        if let Some(p) = n.parent().filter(|p| is_deref(*p)) {
            edits.push(Edit::delete(p.start_byte()..n.start_byte()));
        }
        true
    });
    ok.then_some(())
}

fn is_deref(n: Node) -> bool {
    n.kind_str() == "unary_expression" && n.child(0).is_some_and(|op| op.kind_str() == "*")
}

/// Rewrites `S { field: Box::new(e) }`, `x.field = Box::new(e)` and `*x.field` in the file.
/// Gives up (None) on any other way to give the field a value.
fn field_site_edits(
    root: Node,
    src: &str,
    struct_name: &str,
    field: &str,
    edits: &mut Vec<Edit>,
) -> Option<()> {
    let mut stack = vec![root];
    let mut c = root.walk();
    while let Some(n) = stack.pop() {
        match n.kind_str() {
            "struct_expression" => {
                let name = n.field("name").map_or("", |t| last_segment(text(t, src)));
                if name == struct_name || name == "Self" {
                    if let Some(body) = n.field("body") {
                        let mut bc = body.walk();
                        for init in body.named_children(&mut bc) {
                            match init.kind_str() {
                                "field_initializer"
                                    if init
                                        .field("field")
                                        .is_some_and(|f| text(f, src) == field) =>
                                {
                                    edits.push(unwrap_box_new(init.field("value")?, src)?);
                                }
                                "shorthand_field_initializer" if text(init, src) == field => {
                                    return None
                                }
                                "base_field_initializer" => return None,
                                _ => {}
                            }
                        }
                    }
                }
            }
            "field_expression" if n.field("field").is_some_and(|f| text(f, src) == field) => {
                let p = n.parent();
                if let Some(p) = p.filter(|p| is_deref(*p)) {
                    edits.push(Edit::delete(p.start_byte()..n.start_byte()));
                } else if let Some(a) = p.filter(|p| {
                    p.kind_str() == "assignment_expression" && p.field("left") == Some(n)
                }) {
                    edits.push(unwrap_box_new(a.field("right")?, src)?);
                }
            }
            "token_tree" => {
                // A macro that names the field: we cannot see what it does with it.
                let mut tc = n.walk();
                if n.children(&mut tc)
                    .any(|t| t.kind_str() == "identifier" && text(t, src) == field)
                {
                    return None;
                }
            }
            _ => {}
        }
        if n.child_count() > 0 {
            stack.extend(n.named_children(&mut c));
        }
    }
    Some(())
}

/// Whether no call of `name` in the file is dereferenced (`*f()`), which would change meaning,
/// and `name` is not used as a value (`map(f)`) or inside a macro, where the caller's type is
/// unknown. Reads the items' [`BoxSites`].
fn callers_do_not_deref(cx: &Ctx, name: &str) -> bool {
    !cx.parts_mention::<BoxSites>(name)
}

/// [`field_site_edits`] over the items that may hold a site of the field (their [`BoxSites`]
/// name the struct, `Self` or the field), found again from the root: the edits are in other
/// items, so this reads the whole file.
fn field_sites_in_file(
    cx: &Ctx,
    struct_name: &str,
    field: &str,
    edits: &mut Vec<Edit>,
) -> Option<()> {
    let (root, src) = (cx.root(), cx.src());
    let sites = cx.parts::<BoxSites>();
    let mut items = Vec::new();
    for (range, s) in sites.iter() {
        let names = &s.field_sites;
        if names.contains(field) || names.contains(struct_name) || names.contains("Self") {
            match find_node(root, &range) {
                Some(item) => items.push(item),
                // Not found again (cannot happen for an item of this tree): search everything.
                None => return field_site_edits(root, src, struct_name, field, edits),
            }
        }
    }
    for item in items {
        field_site_edits(item, src, struct_name, field, edits)?;
    }
    Some(())
}

/// What the fixes of `rust/box-collection` need to know of each item (sorted names): the last
/// path segments of the fns it calls under a `*` (`*f()`, `*a::f()`); the names of its
/// identifiers other than a call's fn, a fn's name or a path segment (uses as a value, in
/// macros); and the names that may mark a site of a struct field (struct expressions' last path
/// segments, accessed fields, identifiers in macro tokens).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BoxSites {
    deref_called: NameSet,
    plain_uses: NameSet,
    field_sites: NameSet,
}

/// An item mentions a name when it dereferences a call of it or uses it plainly (what
/// [`callers_do_not_deref`] asks); its field sites are read whole.
impl KeyedPart for BoxSites {
    fn mentions(&self, key: &str) -> bool {
        self.deref_called.contains(key) || self.plain_uses.contains(key)
    }

    fn for_each_key(&self, f: &mut dyn FnMut(&str)) {
        self.deref_called
            .iter()
            .chain(self.plain_uses.iter())
            .for_each(f);
    }
}

impl ItemPart for BoxSites {
    fn compute(item: Node<'_>, src: &str) -> Self {
        let (mut deref, mut plain, mut sites) = (Vec::new(), Vec::new(), Vec::new());
        // Named nodes with their parents (`None`: the item's, the root).
        let mut stack: Vec<(Node, Option<Node>)> = vec![(item, None)];
        let mut c = item.walk();
        while let Some((n, parent)) = stack.pop() {
            match n.kind_str() {
                "unary_expression" if n.child(0).is_some_and(|op| op.kind_str() == "*") => {
                    let mut cc = n.walk();
                    for call in n.named_children(&mut cc) {
                        if call.kind_str() == "call_expression" {
                            if let Some(f) = call.field("function") {
                                let seg = last_segment(text(f, src));
                                if !seg.is_empty() {
                                    deref.push(seg);
                                }
                            }
                        }
                    }
                }
                "identifier" => {
                    let parent_kind = parent.map(|p| p.kind_str());
                    if !matches!(
                        parent_kind,
                        Some("call_expression" | "function_item" | "scoped_identifier")
                    ) {
                        plain.push(text(n, src));
                    }
                    if parent_kind == Some("token_tree") {
                        sites.push(text(n, src));
                    }
                }
                "struct_expression" => {
                    if let Some(t) = n.field("name") {
                        sites.push(last_segment(text(t, src)));
                    }
                }
                "field_expression" => {
                    if let Some(f) = n.field("field") {
                        sites.push(text(f, src));
                    }
                }
                _ => {}
            }
            stack.extend(n.named_children(&mut c).map(|child| (child, Some(n))));
        }
        BoxSites {
            deref_called: NameSet::new(deref),
            plain_uses: NameSet::new(plain),
            field_sites: NameSet::new(sites),
        }
    }
}

#[cfg(test)]
mod tests {

    fn check(_: &str, src: &str) -> crate::rules::test_support::Outcome {
        crate::rules::rust::check_only("rust/box-collection", src)
    }

    #[test]
    fn fires_on_boxed_collections_only() {
        let out = check(
            "x.rs",
            "struct S { a: Box<Vec<u8>>, b: Box<String>, c: Box<std::collections::HashMap<u8, u8>>, d: Box<[u8]>, e: Box<str>, f: Box<dyn Fn()> }",
        );
        assert_eq!(out.ids(), ["rust/box-collection"; 3]);
    }

    #[test]
    fn unboxes_a_local_and_its_derefs() {
        let out = check("x.rs", "fn f() -> usize { let b: Box<Vec<u8>> = Box::new(vec![1]); let v = &*b; v.len() + (*b).len() }");
        assert!(
            out.fixed
                .contains("let b: Vec<u8> = vec![1]; let v = &b; v.len() + (b).len()"),
            "{}",
            out.fixed
        );
    }

    #[test]
    fn unboxes_a_private_field_built_in_the_file() {
        let out = check(
            "x.rs",
            "struct S { items: Box<Vec<u8>> }\nfn f() -> S { let mut s = S { items: Box::new(Vec::new()) }; s.items = Box::new(vec![2]); s }",
        );
        assert!(
            out.fixed.contains("struct S { items: Vec<u8> }"),
            "{}",
            out.fixed
        );
        assert!(
            out.fixed
                .contains("S { items: Vec::new() }; s.items = vec![2];"),
            "{}",
            out.fixed
        );
    }

    #[test]
    fn leaves_trait_impl_signatures_and_unknown_builders() {
        let out = check(
            "x.rs",
            "impl T for X { fn f(&self) -> Box<Vec<u8>> { Box::new(vec![]) } }",
        );
        assert!(out.ids().is_empty());
        let out = check("x.rs", "fn g() { let b: Box<Vec<u8>> = make(); }");
        assert_eq!(out.ids(), ["rust/box-collection"]);
        assert!(out.findings[0].fix.is_none());
    }

    #[test]
    fn return_type_fix_needs_callers_that_neither_deref_nor_pass_the_fn() {
        let base = "fn ids() -> Box<Vec<u8>> { Box::new(vec![1]) }\n";
        let fixed = |uses: &str| {
            let out = check("x.rs", &format!("{base}{uses}"));
            assert_eq!(out.ids(), ["rust/box-collection"], "{uses}");
            out.findings[0].fix.is_some()
        };
        assert!(fixed("fn a() -> usize { ids().len() }\n"));
        assert!(!fixed("fn a() -> Vec<u8> { *ids() }\n"));
        assert!(!fixed("fn a() -> Vec<u8> { *self::ids() }\n"));
        assert!(!fixed("fn a() { let f = ids; }\n"));
    }
}
