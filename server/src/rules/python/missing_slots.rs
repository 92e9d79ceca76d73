//! `py/missing-slots`: a class whose instances hold a fixed set of attributes, yet each carries
//! a `__dict__` because the class declares no `__slots__` (or is a `@dataclass` without
//! `slots=True`).

use std::collections::HashMap;
use std::rc::Rc;

use tree_sitter::Node;

use crate::engine::{Ctx, Edit, Fix, ItemPart, Parts};
use crate::rules::python::scope::{module_names, name_hash};
use crate::rules::python::syntax::{indent_of, line_end, statements, unparen};
use crate::rules::{DefaultSeverity, FixAvailability, Rule, RuleMeta};

pub static MISSING_SLOTS: Rule = Rule {
    meta: RuleMeta {
        id: "py/missing-slots",
        family: Some(crate::language::Family::Python),
        summary: "A class with a fixed set of instance attributes and no `__slots__`",
        default: DefaultSeverity::ByLoopDepth,
        hot_only: false,
        fix: FixAvailability::Unsafe,
    },
    kinds: &["class_definition"],
    check: missing_slots,
};

/// Text that means the class relies on a per-instance `__dict__`, weak references, custom
/// attribute access, custom pickling or copying, or construction tricks. Anywhere in the class.
const DYNAMIC_MARKERS: &[&str] = &[
    "__dict__",
    "setattr",
    "vars(",
    "__getattr__",
    "__getattribute__",
    "__delattr__",
    "__weakref__",
    "weakref",
    "__getstate__",
    "__setstate__",
    "__reduce__",
    "__reduce_ex__",
    "__getnewargs",
    "__copy__",
    "__deepcopy__",
    "__new__",
    "cached_property",
    "__class__ =",
];

/// Base names that mean a framework model even when a class of that name is in the file.
const MODEL_BASES: &[&str] = &["BaseModel", "Model", "Base"];

/// Class decorators that keep the class itself (so `__slots__` still applies).
const HARMLESS_DECORATORS: &[&str] = &[
    "total_ordering",
    "functools.total_ordering",
    "final",
    "typing.final",
];

/// What the file says about one class: what its subclasses and the classes it derives from need
/// to know (no positions: see [`ClassParts`]).
#[derive(Clone, Debug, PartialEq)]
struct ClassInfo {
    name: String,
    /// Base class names (`None` for anything but a plain name or `object`), and whether the
    /// superclass list has keywords or splats (`metaclass=`, `total=False`, `*bases`).
    bases: Vec<Option<String>>,
    has_keywords: bool,
    /// The literal `__slots__` names, `Some(None)` when `__slots__` is not a literal.
    slots: Option<Option<Vec<String>>>,
    /// `@dataclass(slots=True)`.
    slots_dataclass: bool,
}

/// The classes of one top-level item (nested ones included), in source order: the item's part of
/// the file's [`Classes`]. Typing in a method body leaves it equal.
#[derive(Debug, PartialEq)]
struct ClassParts(Vec<ClassInfo>);

impl ItemPart for ClassParts {
    fn compute(item: Node<'_>, src: &str) -> Self {
        let mut list = Vec::new();
        // Classes are statements: only statements and their blocks are visited, not the
        // expressions inside them.
        let mut c = item.walk();
        'walk: loop {
            let n = c.node();
            if n.kind() == "class_definition" {
                if let Some(info) = class_info(n, src) {
                    list.push(info);
                }
            }
            if may_hold_statements(n.kind()) && c.goto_first_child() {
                continue;
            }
            while !c.goto_next_sibling() {
                if !c.goto_parent() {
                    break 'walk;
                }
            }
        }
        ClassParts(list)
    }
}

/// Every class in the file, indexed over the items' [`ClassParts`] once per analysis: two
/// sorted buffers of (name hash, item, class in the item) point into the shared parts, so no
/// class is copied.
struct Classes {
    parts: Rc<Parts<ClassParts>>,
    /// By class name: the classes of a name are a run, in source order.
    by_name: Vec<(u64, u32, u32)>,
    /// By base name: the classes listing it.
    by_base: Vec<(u64, u32, u32)>,
}

impl Classes {
    fn build(parts: &Rc<Parts<ClassParts>>) -> Classes {
        let count = parts.iter().map(|(_, p)| p.0.len()).sum();
        let mut by_name = Vec::with_capacity(count);
        let mut by_base = Vec::with_capacity(count);
        for (i, (_, part)) in parts.iter().enumerate() {
            for (j, c) in part.0.iter().enumerate() {
                by_name.push((name_hash(&c.name), i as u32, j as u32));
                for b in c.bases.iter().flatten() {
                    by_base.push((name_hash(b), i as u32, j as u32));
                }
            }
        }
        by_name.sort_unstable();
        by_base.sort_unstable();
        Classes {
            parts: parts.clone(),
            by_name,
            by_base,
        }
    }

    /// The classes whose entry in `index` hashes like `name` (the caller compares names).
    fn run<'s>(
        &'s self,
        index: &'s [(u64, u32, u32)],
        name: &str,
    ) -> impl Iterator<Item = &'s ClassInfo> + 's {
        let h = name_hash(name);
        let from = index.partition_point(|e| e.0 < h);
        index[from..]
            .iter()
            .take_while(move |e| e.0 == h)
            .map(|&(_, i, j)| &self.parts.part(i as usize).0[j as usize])
    }

    /// The only class called `name`: `None` when unknown, or defined twice (cannot tell which).
    fn by_name(&self, name: &str) -> Option<&ClassInfo> {
        let mut named = self.run(&self.by_name, name).filter(|c| c.name == name);
        let first = named.next()?;
        named.next().is_none().then_some(first)
    }

    /// The classes that list `name` among their bases.
    fn subclasses<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s ClassInfo> + 's {
        self.run(&self.by_base, name)
            .filter(move |c| c.bases.iter().flatten().any(|b| b == name))
    }

    /// The slot names of `name` and all its bases, when the whole chain up to `object` is
    /// slotted in this file (so instances have no `__dict__`).
    fn slotted_chain(&self, name: &str, depth: u32) -> Option<Vec<String>> {
        if depth > 16 {
            return None;
        }
        let info = self.by_name(name)?;
        if info.has_keywords || MODEL_BASES.contains(&name) {
            return None;
        }
        let mut names = if info.slots_dataclass {
            Vec::new() // its fields become slots; none are listed here, so duplicates are allowed
        } else {
            info.slots.clone()??
        };
        for base in &info.bases {
            match base.as_deref() {
                Some("object") => {}
                Some(b) => names.extend(self.slotted_chain(b, depth + 1)?),
                None => return None,
            }
        }
        Some(names)
    }
}

/// Whether a node of this kind can have a statement (so a class) among its descendants: the
/// module, blocks, compound statements and their clauses. Expressions cannot (a lambda's body
/// is an expression). Error nodes may hold anything.
fn may_hold_statements(kind: &str) -> bool {
    matches!(
        kind,
        "module"
            | "block"
            | "decorated_definition"
            | "function_definition"
            | "class_definition"
            | "if_statement"
            | "elif_clause"
            | "else_clause"
            | "for_statement"
            | "while_statement"
            | "try_statement"
            | "except_clause"
            | "except_group_clause"
            | "finally_clause"
            | "with_statement"
            | "match_statement"
            | "case_clause"
            | "ERROR"
    )
}

fn class_info(node: Node, src: &str) -> Option<ClassInfo> {
    let name = &src[node.child_by_field_name("name")?.byte_range()];
    let mut bases = Vec::new();
    let mut has_keywords = false;
    if let Some(sup) = node.child_by_field_name("superclasses") {
        let mut c = sup.walk();
        for b in sup.named_children(&mut c).filter(|b| b.kind() != "comment") {
            match b.kind() {
                "identifier" => bases.push(Some(src[b.byte_range()].to_owned())),
                "keyword_argument" | "list_splat" | "dictionary_splat" => has_keywords = true,
                _ => bases.push(None),
            }
        }
    }
    let body = node.child_by_field_name("body")?;
    let mut slots = None;
    for stmt in statements(body) {
        let Some(a) = stmt
            .named_child(0)
            .filter(|a| stmt.kind() == "expression_statement" && a.kind() == "assignment")
        else {
            continue;
        };
        if a.child_by_field_name("left")
            .is_some_and(|l| &src[l.byte_range()] == "__slots__")
        {
            slots = Some(
                a.child_by_field_name("right")
                    .and_then(|r| literal_names(r, src)),
            );
        }
    }
    let slots_dataclass = decorators(node).iter().any(|d| {
        let t = &src[d.byte_range()];
        t.contains("dataclass") && t.replace(' ', "").contains("slots=True")
    });
    Some(ClassInfo {
        name: name.to_owned(),
        bases,
        has_keywords,
        slots,
        slots_dataclass,
    })
}

/// The names of a `("a", "b")` / `["a"]` / `"a"` literal.
fn literal_names(node: Node, src: &str) -> Option<Vec<String>> {
    let node = unparen(node);
    let string_value = |s: Node| -> Option<String> {
        let t = &src[s.byte_range()];
        (s.kind() == "string" && t.len() >= 2 && !t.starts_with(|c: char| c.is_alphabetic()))
            .then(|| t[1..t.len() - 1].to_owned())
    };
    match node.kind() {
        "string" => Some(vec![string_value(node)?]),
        "tuple" | "list" => {
            let mut c = node.walk();
            let items: Vec<Node> = node
                .named_children(&mut c)
                .filter(|n| n.kind() != "comment")
                .collect();
            items.into_iter().map(string_value).collect()
        }
        _ => None,
    }
}

/// The decorator expressions of a (decorated) class, outermost first.
fn decorators(class: Node) -> Vec<Node> {
    let Some(parent) = class
        .parent()
        .filter(|p| p.kind() == "decorated_definition")
    else {
        return Vec::new();
    };
    let mut c = parent.walk();
    parent
        .named_children(&mut c)
        .filter(|n| n.kind() == "decorator")
        .filter_map(|d| d.named_child(0))
        .collect()
}

/// A method: its node, first parameter's name, and whether it is a static or class method.
struct Method<'t> {
    node: Node<'t>,
    name: &'t str,
    receiver: Option<&'t str>,
    instance: bool,
    decorators: Vec<Node<'t>>,
}

fn methods<'t>(body: Node<'t>, src: &'t str) -> Vec<Method<'t>> {
    let mut out = Vec::new();
    for stmt in statements(body) {
        let (func, decs) = match stmt.kind() {
            "function_definition" => (stmt, Vec::new()),
            "decorated_definition" => {
                let Some(def) = stmt
                    .child_by_field_name("definition")
                    .filter(|d| d.kind() == "function_definition")
                else {
                    continue;
                };
                let mut c = stmt.walk();
                let decs: Vec<Node> = stmt
                    .named_children(&mut c)
                    .filter(|n| n.kind() == "decorator")
                    .filter_map(|d| d.named_child(0))
                    .collect();
                (def, decs)
            }
            _ => continue,
        };
        let Some(name) = func.child_by_field_name("name") else {
            continue;
        };
        let instance = !decs
            .iter()
            .any(|d| matches!(&src[d.byte_range()], "staticmethod" | "classmethod"));
        let receiver = func
            .child_by_field_name("parameters")
            .and_then(|p| p.named_child(0))
            .filter(|p| p.kind() == "identifier")
            .map(|p| &src[p.byte_range()]);
        out.push(Method {
            node: func,
            name: &src[name.byte_range()],
            receiver,
            instance,
            decorators: decs,
        });
    }
    out
}

/// The attributes stored on the receiver (`self.x = …`, `self.x += …`, `for self.x in …`,
/// `with … as self.x`, `del self.x`) in one method, in source order. Nested functions count
/// unless they rebind the receiver's name; nested classes do not.
fn stored_attrs<'s>(method: &Method, src: &'s str, out: &mut Vec<(&'s str, usize)>) {
    let Some(recv) = method.receiver else { return };
    let Some(body) = method.node.child_by_field_name("body") else {
        return;
    };
    let mut stack = vec![body];
    let mut c = body.walk();
    while let Some(n) = stack.pop() {
        match n.kind() {
            "class_definition" => continue,
            "function_definition" | "lambda" => {
                let rebinds = n.child_by_field_name("parameters").is_some_and(|p| {
                    let mut pc = p.walk();
                    let found = p.named_children(&mut pc).any(|x| {
                        let id = if x.kind() == "identifier" {
                            Some(x)
                        } else {
                            x.child_by_field_name("name")
                        };
                        id.is_some_and(|i| &src[i.byte_range()] == recv)
                    });
                    found
                });
                if rebinds {
                    continue;
                }
            }
            "attribute"
                if is_store_target(n)
                    && n.child_by_field_name("object").is_some_and(|o| {
                        o.kind() == "identifier" && &src[o.byte_range()] == recv
                    }) =>
            {
                if let Some(a) = n.child_by_field_name("attribute") {
                    let name = &src[a.byte_range()];
                    if !out.iter().any(|(x, _)| *x == name) {
                        out.push((name, a.start_byte()));
                    }
                }
            }
            _ => {}
        }
        stack.extend(n.named_children(&mut c));
    }
    out.sort_by_key(|(_, at)| *at);
}

/// Whether an `attribute` node is (part of) an assignment target.
fn is_store_target(attr: Node) -> bool {
    let mut n = attr;
    while let Some(p) = n.parent() {
        match p.kind() {
            "pattern_list"
            | "tuple_pattern"
            | "list_pattern"
            | "tuple"
            | "list"
            | "parenthesized_expression"
            | "list_splat_pattern"
            | "expression_list"
            | "as_pattern_target" => n = p,
            "assignment" | "augmented_assignment" | "for_statement" | "for_in_clause" => {
                return p.child_by_field_name("left") == Some(n);
            }
            "delete_statement" | "with_item" | "as_pattern" => return true,
            _ => return false,
        }
    }
    false
}

/// Names bound at class level: assignments, defs, nested classes. With whether each is a
/// property (a descriptor that `self.x = …` goes through).
fn class_level_names<'s>(body: Node, src: &'s str) -> HashMap<&'s str, bool> {
    let mut out = HashMap::new();
    for stmt in statements(body) {
        match stmt.kind() {
            "expression_statement" => {
                let Some(a) = stmt.named_child(0).filter(|a| a.kind() == "assignment") else {
                    continue;
                };
                if a.child_by_field_name("right").is_none() {
                    continue; // a bare annotation creates no class attribute
                }
                let is_prop = a.child_by_field_name("right").is_some_and(|r| {
                    r.kind() == "call"
                        && r.child_by_field_name("function")
                            .is_some_and(|f| &src[f.byte_range()] == "property")
                });
                let mut stack = vec![a.child_by_field_name("left")];
                while let Some(Some(l)) = stack.pop() {
                    if l.kind() == "identifier" {
                        out.insert(&src[l.byte_range()], is_prop);
                    } else {
                        let mut c = l.walk();
                        stack.extend(l.named_children(&mut c).map(Some));
                    }
                }
            }
            "function_definition" | "class_definition" => {
                if let Some(n) = stmt.child_by_field_name("name") {
                    out.insert(&src[n.byte_range()], false);
                }
            }
            "decorated_definition" => {
                let Some(def) = stmt.child_by_field_name("definition") else {
                    continue;
                };
                let Some(n) = def.child_by_field_name("name") else {
                    continue;
                };
                let mut c = stmt.walk();
                let is_prop = stmt
                    .named_children(&mut c)
                    .filter(|d| d.kind() == "decorator")
                    .any(|d| {
                        let t = src[d.byte_range()].trim_start_matches('@');
                        t == "property"
                            || t.ends_with(".setter")
                            || t.ends_with(".getter")
                            || t.ends_with(".deleter")
                    });
                let name = &src[n.byte_range()];
                let entry = out.entry(name).or_insert(is_prop);
                *entry = *entry || is_prop;
            }
            _ => {}
        }
    }
    out
}

/// Whether the decorator expression is the standard library's `dataclass` (bare or called),
/// given how the module imports it. Returns the decorator's call node when it is called.
fn stdlib_dataclass<'t>(dec: Node<'t>, cx: &Ctx) -> Option<Option<Node<'t>>> {
    let (callee, call) = if dec.kind() == "call" {
        (dec.child_by_field_name("function")?, Some(dec))
    } else {
        (dec, None)
    };
    let text = cx.text(callee);
    let module = module_names(cx);
    let imported_from = |name: &str, module_name: &str| {
        let mut bindings = module.bindings(name).peekable();
        bindings.peek().is_some()
            && bindings.all(|b| {
                b.kind == "import_from_statement"
                    && b.import
                        .as_deref()
                        .is_some_and(|t| t.starts_with(&format!("from {module_name} import")))
            })
    };
    let ok = match text {
        "dataclass" => imported_from("dataclass", "dataclasses"),
        "dataclasses.dataclass" => module.bindings("dataclasses").next().is_some_and(|b| {
            b.kind == "import_statement"
                && b.import
                    .as_deref()
                    .is_some_and(|t| t.contains("dataclasses"))
        }),
        _ => false,
    };
    ok.then_some(call)
}

pub(crate) fn missing_slots(node: Node, cx: &mut Ctx) {
    let src = cx.src();
    // The class's own facts, as the file's classes list it: classes are found among statements
    // and their blocks only.
    if !cx
        .ancestor_frames()
        .iter()
        .all(|f| may_hold_statements(f.node.kind()))
    {
        return;
    }
    let Some(info) = class_info(node, src) else {
        return;
    };
    let info = &info;
    if info.slots.is_some() || info.has_keywords || MODEL_BASES.contains(&info.name.as_str()) {
        return;
    }
    let Some(body) = node.child_by_field_name("body") else {
        return;
    };
    let class_text = cx.text(node);
    if DYNAMIC_MARKERS.iter().any(|m| class_text.contains(m)) {
        return;
    }
    // Bases meant to be completed elsewhere: their instances are mostly subclass instances,
    // which keep a `__dict__` unless every subclass declares slots too.
    let n = info.name.trim_start_matches('_');
    if ["Base", "Abstract"].iter().any(|p| n.starts_with(p))
        || ["Mixin", "Base", "Interface"]
            .iter()
            .any(|p| n.ends_with(p))
        || class_text.contains("NotImplementedError")
    {
        return;
    }
    // Decorators: the stdlib dataclass, or ones that keep the class as it is.
    let mut dataclass: Option<(Node, Option<Node>)> = None;
    for dec in decorators(node) {
        if let Some(call) = stdlib_dataclass(dec, cx) {
            dataclass = Some((dec, call));
        } else if !HARMLESS_DECORATORS.contains(&cx.text(dec)) {
            return;
        }
    }
    // Bases: `object` or classes of this file that are slotted all the way up.
    let classes = cx.parts_memo::<ClassParts, Classes>(Classes::build);
    let mut inherited: Vec<String> = Vec::new();
    for base in &info.bases {
        match base.as_deref() {
            Some("object") => {}
            Some(b) => match classes.slotted_chain(b, 0) {
                Some(names) => inherited.extend(names),
                None => return,
            },
            None => return,
        }
    }
    let methods = methods(body, src);
    let mut attrs: Vec<(&str, usize)> = Vec::new();
    for m in methods.iter().filter(|m| m.instance) {
        stored_attrs(m, src, &mut attrs);
    }
    let level = class_level_names(body, src);
    if has_unslotted_subclass(&classes, &info.name) {
        return;
    }

    if let Some((dec, call)) = dataclass {
        if cx.settings().python_target < (3, 10) {
            return; // `slots=` arrived in 3.10
        }
        if let Some(call) = call {
            let args = cx
                .text(call.child_by_field_name("arguments").unwrap_or(call))
                .replace(' ', "");
            if args.contains("slots=") || args.contains("**") {
                return;
            }
        }
        // Zero-argument `super()` breaks in a class that `slots=True` recreates (until 3.14).
        if class_text.contains("super()") {
            return;
        }
        // Every attribute stored on `self` must be a field (annotated at class level).
        let fields = annotated_names(body, src);
        if attrs.iter().any(|(a, _)| !fields.contains(a)) {
            return;
        }
        let edit = match call {
            None => Edit::insert(dec.end_byte(), "(slots=True)"),
            Some(call) => {
                let Some(args) = call.child_by_field_name("arguments") else {
                    return;
                };
                let inner = &src[args.start_byte() + 1..args.end_byte() - 1];
                let close = args.end_byte() - 1;
                if inner.trim().is_empty() {
                    Edit::replace(args.start_byte() + 1..close, "slots=True")
                } else if inner.trim_end().ends_with(',') {
                    Edit::insert(close, " slots=True")
                } else {
                    Edit::insert(close, ", slots=True")
                }
            }
        };
        let message = format!(
            "each `{}` instance carries a `__dict__`; `@dataclass(slots=True)` stores the fields in fixed slots, which is smaller and faster to access",
            info.name
        );
        let name_range = node
            .child_by_field_name("name")
            .map_or(node.byte_range(), |n| n.byte_range());
        let finding = cx.report(name_range, message);
        finding.fix = Some(Fix::unsafe_("Add `slots=True`", vec![edit]));
        return;
    }

    // A plain class: `__init__` sets the attributes.
    // Public lower-case class-level data (`site_title = "…"`) reads as a default that
    // instances are meant to override (`site.site_title = "Mine"`), which slots forbid.
    if has_overridable_defaults(body, src) {
        return;
    }
    let Some(init) = methods.iter().find(|m| m.name == "__init__" && m.instance) else {
        return;
    };
    // A cooperative `super().__init__(…)` from a class with no bases: a mixin for classes
    // that may have slots of their own (layout conflicts) or a `__dict__`.
    if info.bases.is_empty() && cx.text(init.node).contains("super().__init__") {
        return;
    }
    let mut init_attrs = Vec::new();
    stored_attrs(init, src, &mut init_attrs);
    if init_attrs.is_empty() || !init.decorators.is_empty() {
        return;
    }
    // Attributes that collide with class-level names: properties route through their setter
    // (no slot needed); anything else would conflict with the slot.
    let mut slots: Vec<&str> = Vec::new();
    for (name, _) in init_attrs.iter().chain(attrs.iter()) {
        match level.get(name) {
            Some(true) => continue,
            Some(false) => return,
            None => {}
        }
        if !slots.contains(name) && !inherited.iter().any(|i| i == name) {
            slots.push(name);
        }
    }
    if slots.is_empty() {
        return;
    }
    let listed = match slots.as_slice() {
        [one] => format!("(\"{one}\",)"),
        many => format!(
            "({})",
            many.iter()
                .map(|s| format!("\"{s}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let fix = slots_edit(body, src, &listed).map(|e| Fix::unsafe_("Add `__slots__`", vec![e]));
    let message = format!(
        "each `{}` instance carries a `__dict__` for {} fixed attribute{}; `__slots__ = {listed}` stores them in fixed slots, which is smaller and faster to access",
        info.name,
        slots.len(),
        if slots.len() == 1 { "" } else { "s" }
    );
    let name_range = node
        .child_by_field_name("name")
        .map_or(node.byte_range(), |n| n.byte_range());
    let finding = cx.report(name_range, message);
    finding.fix = fix;
}

/// Whether the class body assigns a public, lower-case data attribute (not a method, property
/// or constant in capitals).
fn has_overridable_defaults(body: Node, src: &str) -> bool {
    statements(body).into_iter().any(|stmt| {
        let Some(a) = stmt
            .named_child(0)
            .filter(|a| stmt.kind() == "expression_statement" && a.kind() == "assignment")
        else {
            return false;
        };
        let (Some(l), Some(r)) = (
            a.child_by_field_name("left"),
            a.child_by_field_name("right"),
        ) else {
            return false;
        };
        let name = &src[l.byte_range()];
        l.kind() == "identifier"
            && !name.starts_with('_')
            && name.chars().any(|c| c.is_ascii_lowercase())
            && !(r.kind() == "call"
                && r.child_by_field_name("function").is_some_and(|f| {
                    matches!(
                        &src[f.byte_range()],
                        "property" | "staticmethod" | "classmethod"
                    )
                }))
    })
}

/// Names annotated at class level (`x: int`, `x: int = 0`): a dataclass's fields.
fn annotated_names<'s>(body: Node, src: &'s str) -> Vec<&'s str> {
    statements(body)
        .into_iter()
        .filter_map(|s| {
            s.named_child(0)
                .filter(|a| s.kind() == "expression_statement" && a.kind() == "assignment")
        })
        .filter(|a| a.child_by_field_name("type").is_some())
        .filter_map(|a| {
            a.child_by_field_name("left")
                .filter(|l| l.kind() == "identifier")
        })
        .map(|l| &src[l.byte_range()])
        .collect()
}

/// Whether a class of this file derives from `name` without `__slots__` of its own (its
/// instances keep a `__dict__`, so slots on the base save nothing for them, and the ones that
/// add attributes would need them), or mixes `name` with other bases (layout conflicts).
fn has_unslotted_subclass(classes: &Classes, name: &str) -> bool {
    classes.subclasses(name).any(|sub| {
        sub.bases.len() > 1 || sub.has_keywords || (sub.slots.is_none() && !sub.slots_dataclass)
    })
}

/// The edit adding `__slots__ = …` as the first statement of the class body (after its
/// docstring), indented like the body.
fn slots_edit(body: Node, src: &str, listed: &str) -> Option<Edit> {
    let stmts = statements(body);
    let first = *stmts.first()?;
    let indent = indent_of(src, first)?;
    let is_doc = first.kind() == "expression_statement"
        && first.named_child(0).is_some_and(|s| s.kind() == "string");
    if is_doc {
        let after = line_end(src, first.end_byte());
        if after == src.len() && !src.ends_with('\n') {
            return Some(Edit::insert(
                after,
                format!("\n{indent}__slots__ = {listed}\n"),
            ));
        }
        Some(Edit::insert(
            after,
            format!("{indent}__slots__ = {listed}\n"),
        ))
    } else {
        // A blank line between the slots and a method that follows, as PEP 8 has it.
        let gap = if matches!(first.kind(), "function_definition" | "decorated_definition") {
            "\n"
        } else {
            ""
        };
        Some(Edit::insert(
            first.start_byte() - indent.len(),
            format!("{indent}__slots__ = {listed}\n{gap}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::Classes;
    use crate::document::{parse_str, DEFAULT_PARSE_BUDGET};
    use crate::engine::Parts;
    use crate::language::Lang;
    use crate::rules::test_support::check;

    #[test]
    fn classes_index_names_and_bases_across_items() {
        let src = "class A:\n    __slots__ = ()\nclass B(A): pass\nif x:\n    class C(A, B):\n        class A: pass\nclass D(object): pass\nclass E(D, D): pass\n";
        let tree = parse_str(Lang::Python, src, DEFAULT_PARSE_BUDGET).unwrap();
        let root = tree.root_node();
        let classes = Classes::build(&Parts::computed(root, src));
        // `A` is defined twice (one nested in `C`): which one a base means is unknown.
        assert!(classes.by_name("A").is_none());
        assert_eq!(classes.by_name("B").map(|c| c.bases.len()), Some(1));
        assert!(classes.by_name("D").is_some() && classes.by_name("Z").is_none());
        let subs = |n: &str| {
            classes
                .subclasses(n)
                .map(|c| c.name.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(subs("A"), ["B", "C"], "source order, across items");
        assert_eq!(subs("B"), ["C"]);
        assert!(subs("C").is_empty() && subs("").is_empty());
        assert!(subs("D").iter().all(|n| *n == "E") && !subs("D").is_empty());
    }

    #[test]
    fn plain_class() {
        let src = "class P:\n    \"\"\"A point.\"\"\"\n\n    def __init__(self, x, y):\n        self.x = x\n        self.y = y\n\n    def move(self):\n        self.moved = True\n";
        let out = check("x.py", src);
        assert_eq!(out.ids(), ["py/missing-slots"]);
        assert!(out.fixed.starts_with("class P:\n    \"\"\"A point.\"\"\"\n    __slots__ = (\"x\", \"y\", \"moved\")\n\n    def __init__"), "{}", out.fixed);
    }

    #[test]
    fn subclass_of_slotted_class_and_properties() {
        let src = "class A:\n    __slots__ = (\"a\",)\n\n    def __init__(self):\n        self.a = 1\n\n\nclass B(A):\n    def __init__(self):\n        super().__init__()\n        self.a = 2\n        self.b = 3\n        self.c = 4\n\n    @property\n    def c(self):\n        return self._c\n\n    @c.setter\n    def c(self, v):\n        self._c = v\n";
        let out = check("x.py", src);
        assert_eq!(out.ids(), ["py/missing-slots"]);
        assert!(
            out.fixed
                .contains("class B(A):\n    __slots__ = (\"b\", \"_c\")\n"),
            "{}",
            out.fixed
        );
    }

    #[test]
    fn dataclass_needs_310() {
        let src = "from dataclasses import dataclass\n\n@dataclass(frozen=True)\nclass P:\n    x: int\n    y: int = 0\n";
        let out = check("x.py", src);
        assert_eq!(out.ids(), ["py/missing-slots"]);
        assert!(
            out.fixed.contains("@dataclass(frozen=True, slots=True)"),
            "{}",
            out.fixed
        );
        let bare = check(
            "x.py",
            "import dataclasses\n\n@dataclasses.dataclass\nclass P:\n    x: int\n",
        );
        assert!(
            bare.fixed.contains("@dataclasses.dataclass(slots=True)"),
            "{}",
            bare.fixed
        );

        let mut settings = crate::engine::Settings::default();
        settings.python_target = (3, 9);
        let found =
            crate::engine::analyze_str(crate::language::Lang::Python, src, &settings).unwrap();
        assert!(found.is_empty());
        settings.python_target = (3, 10);
        assert_eq!(
            crate::engine::analyze_str(crate::language::Lang::Python, src, &settings)
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn leaves_dynamic_and_framework_classes_alone() {
        for src in [
            "class A(Base):\n    def __init__(self):\n        self.a = 1\n",
            "class A(metaclass=M):\n    def __init__(self):\n        self.a = 1\n",
            "class A(Exception):\n    def __init__(self):\n        self.a = 1\n",
            "class A:\n    def __init__(self, **kw):\n        self.__dict__.update(kw)\n        self.a = 1\n",
            "class A:\n    def __init__(self, k, v):\n        setattr(self, k, v)\n        self.a = 1\n",
            "class A:\n    a = 0\n    def __init__(self):\n        self.a = 1\n",
            "class A:\n    def __init__(self):\n        self.a = 1\nclass B(A):\n    def __init__(self):\n        self.b = 1\n",
            "class A:\n    __slots__ = ()\n    def __init__(self):\n        pass\n",
            "class A:\n    pass\n",
            "from pydantic.dataclasses import dataclass\n@dataclass\nclass A:\n    x: int\n",
            "from dataclasses import dataclass\n@dataclass\nclass A:\n    x: int\n    def __post_init__(self):\n        self.y = 2\n",
            "from dataclasses import dataclass\n@dataclass(slots=False)\nclass A:\n    x: int\n",
            "@register\nclass A:\n    def __init__(self):\n        self.a = 1\n",
            // bases to be completed elsewhere, mixins
            "class BaseThing:\n    def __init__(self):\n        self.a = 1\n",
            "class Thing:\n    def __init__(self):\n        self.a = 1\n    def run(self):\n        raise NotImplementedError\n",
            "class Thing:\n    def __init__(self, *args, **kwargs):\n        self.a = 1\n        super().__init__(*args, **kwargs)\n",
            // defaults meant to be overridden per instance (`site.site_title = "Mine"`)
            "class Site:\n    site_title = 'Admin'\n    def __init__(self):\n        self.name = 'admin'\n",
            // a subclass in the file without slots keeps its `__dict__`
            "class A:\n    def __init__(self):\n        self.a = 1\nclass B(A):\n    pass\n",
        ] {
            let out = check("x.py", src);
            assert!(out.ids().is_empty(), "{src}");
        }
    }
}
