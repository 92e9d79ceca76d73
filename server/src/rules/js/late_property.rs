//! `js/late-property`: properties added to an object after it was created change its hidden
//! class each time (`const o = {}; o.a = 1;`, or `this.x = …` in a method when the constructor
//! never set `x`).

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use tree_sitter::Node;

use crate::engine::{Ctx, Edit, Fix};
use crate::language::Lang;
use crate::rules::js::syntax::{
    elements, evaluated_once, for_this_assignments, is_class, is_function_like, is_index_key,
    is_optional_member, is_pure, line_indent, mentions, static_key, unparen, unwrap_expr, visit,
};
use crate::rules::{DefaultSeverity, FixAvailability, Rule, RuleMeta};

pub static LATE_PROPERTY: Rule = Rule {
    meta: RuleMeta {
        id: "js/late-property",
        family: Some(crate::language::Family::Js),
        summary: "Properties added after an object was created change its hidden class: put them in the literal or the constructor",
        default: DefaultSeverity::ByLoopDepth,
        hot_only: false,
        fix: FixAvailability::Sometimes,
    },
    kinds: &["variable_declarator", "assignment_expression"],
    check: late_property,
};

pub(crate) fn late_property(node: Node, cx: &mut Ctx) {
    match node.kind() {
        "variable_declarator" => literal_case(node, cx),
        _ => class_case(node, cx),
    }
}

// ---------------------------------------------------------------------------------------------
// `const o = {}; o.a = 1;`

/// A statement `name.key = value;` / `name["key"] = value;`: the key and the value.
fn property_assignment<'t>(
    stmt: Node<'t>,
    name: &str,
    src: &'t str,
) -> Option<(&'t str, Node<'t>, Node<'t>)> {
    if stmt.kind() != "expression_statement" {
        return None;
    }
    let assign = stmt.named_child(0)?;
    if assign.kind() != "assignment_expression" {
        return None;
    }
    let left = assign.child_by_field_name("left")?;
    let value = assign.child_by_field_name("right")?;
    let object = left.child_by_field_name("object")?;
    if object.kind() != "identifier"
        || src.get(object.byte_range()) != Some(name)
        || is_optional_member(left)
    {
        return None;
    }
    let key = match left.kind() {
        "member_expression" => {
            let p = left.child_by_field_name("property")?;
            if p.kind() != "property_identifier" {
                return None;
            }
            p
        }
        "subscript_expression" => {
            let k = left.child_by_field_name("index")?;
            static_key(k, src).filter(|_| k.kind() == "string")?;
            k
        }
        _ => return None,
    };
    let name = static_key(key, src)?;
    if is_index_key(name) || name == "__proto__" {
        return None;
    }
    Some((src.get(key.byte_range())?, value, key))
}

/// Whether `scope` indexes `name` with a computed, non-literal key anywhere (`name[k]`): the
/// object is used as a map.
fn used_as_map(scope: Node, name: &str, src: &str) -> bool {
    let Some(text) = src.get(scope.byte_range()) else {
        return false;
    };
    if !text.contains('[') {
        return false;
    }
    let mut found = false;
    visit(scope, |n| {
        if n.kind() == "subscript_expression"
            && n.child_by_field_name("object")
                .is_some_and(|o| o.kind() == "identifier" && src.get(o.byte_range()) == Some(name))
            && n.child_by_field_name("index")
                .is_some_and(|i| i.kind() != "string")
        {
            found = true;
            return None;
        }
        Some(true)
    });
    found
}

/// Whether a closure or nested function anywhere in `scope` mentions `name`: then it could
/// observe the object while the folded values are evaluated.
fn captured(scope: Node, name: &str, src: &str) -> bool {
    let mut found = false;
    visit(scope, |n| {
        if n != scope && is_function_like(n.kind()) {
            if mentions(n, name, src) {
                found = true;
                return None;
            }
            return Some(false);
        }
        Some(true)
    });
    found
}

/// Constants whose evaluation cannot observe anything: literals and closures.
fn is_constant(node: Node) -> bool {
    let node = unparen(node);
    match node.kind() {
        "identifier" | "this" => false,
        "array" => elements(node).all(|e| e.kind() != "spread_element" && is_constant(e)),
        "object" => elements(node).all(|p| {
            p.kind() == "pair"
                && p.child_by_field_name("key")
                    .is_some_and(|k| k.kind() != "computed_property_name")
                && p.child_by_field_name("value").is_some_and(is_constant)
        }),
        _ => is_pure(node),
    }
}

fn literal_case(decl: Node, cx: &mut Ctx) {
    let src = cx.src();
    let (Some(name_node), Some(value)) = (
        decl.child_by_field_name("name"),
        decl.child_by_field_name("value"),
    ) else {
        return;
    };
    if name_node.kind() != "identifier" {
        return;
    }
    let literal = unwrap_expr(value);
    // A literal the parser had to repair (e.g. its `}` is MISSING) has no reliable extent to
    // rewrite: its last property can end where the literal does.
    if literal.kind() != "object" || literal.has_error() {
        return;
    }
    // A literal evaluated once (module or script level) makes one object: its late
    // properties cost one transition each, once, and no code sees two shapes of it. Such
    // objects are mostly registries and lookup tables filled after creation.
    if evaluated_once(cx) {
        return;
    }
    let name = cx.text(name_node);
    // The enclosing declaration, statement and block, from the walk's ancestors.
    let frames = cx.ancestor_frames();
    let mut up = frames.iter().rev().map(|f| f.node);
    let Some(declaration) = up
        .next()
        .filter(|p| matches!(p.kind(), "lexical_declaration" | "variable_declaration"))
    else {
        return;
    };
    let mut statement = declaration;
    let mut next = up.next();
    if let Some(export) = next.filter(|p| p.kind() == "export_statement") {
        statement = export;
        next = up.next();
    }
    let Some(block) = next.filter(|b| {
        matches!(
            b.kind(),
            "statement_block" | "program" | "switch_case" | "switch_default"
        )
    }) else {
        return;
    };
    if block.kind() == "program" {
        // The statements after the declaration belong to other items.
        crate::engine::mark_file_dependent();
    }
    // The literal's own keys; spreads and computed keys make it map-like or unknowable.
    let mut keys: HashSet<&str> = HashSet::new();
    for p in elements(literal) {
        let key = match p.kind() {
            "pair" | "method_definition" => {
                p.child_by_field_name(if p.kind() == "pair" { "key" } else { "name" })
            }
            "shorthand_property_identifier" => Some(p),
            _ => return, // spread, or something else
        };
        let Some(k) = key.and_then(|k| static_key(k, src)) else {
            return;
        };
        if k == "__proto__" {
            return;
        }
        keys.insert(k);
    }
    let is_last_declarator = {
        let mut c = declaration.walk();
        let last = declaration
            .named_children(&mut c)
            .filter(|n| n.kind() == "variable_declarator")
            .last();
        last == Some(decl)
    };
    let block_scoped = declaration.kind() == "lexical_declaration";
    let mut foldable = is_last_declarator;
    let mut contiguous = true;
    // Folding moves the values' evaluation before the statements in between (if any) and
    // before the object exists; a closure that reads the object could tell the difference.
    let mut needs_capture_check = false;
    let mut folds: Vec<(Node, &str, Node)> = Vec::new();
    let mut findings: Vec<std::ops::Range<usize>> = Vec::new();
    // Nothing to find unless the rest of the block writes `name.` or `name[` somewhere.
    let rest = &src[statement.end_byte()..block.end_byte()];
    let writes = rest.match_indices(name).any(|(i, _)| {
        let before = rest[..i].bytes().next_back();
        let after = rest[i + name.len()..].bytes().next();
        !before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b == b'.')
            && matches!(after, Some(b'.' | b'['))
    });
    if !writes {
        return;
    }
    let mut c = block.walk();
    let mut after = false;
    for stmt in block.named_children(&mut c) {
        if stmt == statement {
            after = true;
            continue;
        }
        if !after {
            continue;
        }
        if stmt.kind() == "comment" {
            foldable = false;
            continue;
        }
        let Some((key_text, value, key)) = property_assignment(stmt, name, src) else {
            // Once nothing more can fold, only a plain `name = …` statement matters (the
            // later assignments are to another object); skip the subtree walks.
            if foldable {
                if mentions(stmt, name, src) {
                    if reassigns(stmt, name, src) {
                        break;
                    }
                    foldable = false;
                }
            } else if direct_reassignment(stmt, name, src) {
                break;
            }
            contiguous = false;
            continue;
        };
        let key_name = static_key(key, src).unwrap_or(key_text);
        if !keys.insert(key_name) {
            // An update of a property the object already has: not late, and folding past it
            // would reorder the writes.
            foldable = false;
            continue;
        }
        let assign = stmt.named_child(0).expect("checked");
        findings.push(assign.byte_range());
        if mentions(value, name, src) || (!contiguous && !is_constant(value)) {
            foldable = false;
        }
        if foldable {
            needs_capture_check |= !contiguous || !is_pure(value);
            folds.push((stmt, key_text, value));
        }
    }
    // Checked last: it walks the whole block, and most literals have no late property.
    if findings.is_empty() || used_as_map(block, name, src) {
        return;
    }
    let safe =
        block_scoped && !(needs_capture_check && captured(enclosing_scope(block), name, src));
    let fix = (!folds.is_empty()).then(|| fold_fix(literal, &folds, block, cx, safe));
    for (i, range) in findings.into_iter().enumerate() {
        let folded = i < folds.len();
        let f = cx.report(
            range,
            "property added after the object literal was created: each late property moves the object to a new hidden class (and may push it out of its in-object slots); put it in the literal",
        );
        if folded {
            f.fix = fix.clone();
        }
    }
}

/// The function body or program enclosing a block.
fn enclosing_scope(block: Node) -> Node {
    let mut n = block;
    while let Some(p) = n.parent() {
        if is_function_like(p.kind()) {
            return p;
        }
        n = p;
    }
    n
}

/// Whether a statement assigns `name` itself (`name = …`), at any depth.
/// `name = …;` as a statement of its own.
fn direct_reassignment(stmt: Node, name: &str, src: &str) -> bool {
    stmt.kind() == "expression_statement"
        && stmt.named_child(0).is_some_and(|e| {
            e.kind() == "assignment_expression"
                && e.child_by_field_name("left").is_some_and(|l| {
                    l.kind() == "identifier" && src.get(l.byte_range()) == Some(name)
                })
        })
}

fn reassigns(stmt: Node, name: &str, src: &str) -> bool {
    let mut found = false;
    visit(stmt, |n| {
        if matches!(
            n.kind(),
            "assignment_expression" | "augmented_assignment_expression"
        ) && n
            .child_by_field_name("left")
            .is_some_and(|l| l.kind() == "identifier" && src.get(l.byte_range()) == Some(name))
        {
            found = true;
            return None;
        }
        Some(true)
    });
    found
}

fn fold_fix(literal: Node, folds: &[(Node, &str, Node)], block: Node, cx: &Ctx, safe: bool) -> Fix {
    let src = cx.src();
    let props: Vec<String> = folds
        .iter()
        .map(|(_, key, value)| {
            let v = cx.text(*value);
            if *key == v {
                (*key).to_owned()
            } else {
                format!("{key}: {v}")
            }
        })
        .collect();
    let mut edits = Vec::with_capacity(folds.len() + 1);
    let last = elements(literal).last();
    let inner = &src[literal.start_byte() + 1..literal.end_byte() - 1];
    let multiline = inner.contains('\n');
    match last {
        None => {
            edits.push(Edit::replace(
                literal.byte_range(),
                format!("{{ {} }}", props.join(", ")),
            ));
        }
        Some(last) => {
            // A trailing comma after the last property?
            let between = &src[last.end_byte()..literal.end_byte() - 1];
            let trailing = between.trim_start().starts_with(',');
            let at = if trailing {
                last.end_byte() + between.find(',').unwrap_or(0) + 1
            } else {
                last.end_byte()
            };
            let text = if multiline {
                let indent = line_indent(src, last.start_byte());
                let mut t = String::new();
                for (i, p) in props.iter().enumerate() {
                    if i > 0 || !trailing {
                        t.push(',');
                    }
                    t.push('\n');
                    t.push_str(indent);
                    t.push_str(p);
                }
                if trailing {
                    t.push(',');
                }
                t
            } else {
                let mut t = String::new();
                for p in &props {
                    if !trailing {
                        t.push_str(", ");
                    } else {
                        t.push(' ');
                    }
                    t.push_str(p);
                    if trailing {
                        t.push(',');
                    }
                }
                t
            };
            edits.push(Edit::insert(at, text));
        }
    }
    // Delete each folded statement with the whitespace before it.
    let mut c = block.walk();
    let children: Vec<Node> = block.named_children(&mut c).collect();
    for (stmt, _, _) in folds {
        let prev_end = children
            .iter()
            .take_while(|n| n.start_byte() < stmt.start_byte())
            .last()
            .map_or(stmt.start_byte(), |n| n.end_byte());
        edits.push(Edit::delete(prev_end..stmt.end_byte()));
    }
    let title = if folds.len() == 1 {
        "Move the property into the object literal"
    } else {
        "Move the properties into the object literal"
    };
    if safe {
        Fix::safe(title, edits)
    } else {
        Fix::unsafe_(title, edits)
    }
}

// ---------------------------------------------------------------------------------------------
// `this.x = …` in a method when the class never declares or initializes `x`

/// One class's late `this.x = …` assignments (by start byte) and the fix that initializes them.
struct ClassFacts {
    late: HashSet<usize>,
    fix: Option<Fix>,
}

/// The facts of each class met so far (by the class's byte range), computed on first need: per
/// file for classes that extend another, per item for the others. No walk of the whole tree: the class is found from the assignment's ancestors.
#[derive(Default)]
struct ClassFactsMemo(RefCell<HashMap<(usize, usize), Rc<ClassFacts>>>);

/// The class whose instance `this` is at the current node, when the node runs in an instance
/// method or field initializer other than the constructor (arrows see the same `this`).
fn enclosing_instance_member<'t>(cx: &Ctx<'_, 't>) -> Option<Node<'t>> {
    let mut member: Option<Node<'t>> = None;
    for f in cx.ancestors() {
        let n = f.node;
        match n.kind() {
            "arrow_function" => {}
            "method_definition" | "field_definition" | "public_field_definition"
                if member.is_none() =>
            {
                if is_static(n) {
                    return None;
                }
                member = Some(n);
            }
            k if is_function_like(k) && member.is_none() => return None, // its own `this`
            "class_body" if member.is_some() => {}
            k if is_class(k) => return member.map(|_| n),
            // A method of an object literal, or anything else between member and class.
            _ if member.is_some() => return None,
            _ => {}
        }
    }
    None
}

fn class_case(node: Node, cx: &mut Ctx) {
    let Some(left) = node.child_by_field_name("left") else {
        return;
    };
    let on_this = left
        .child_by_field_name("object")
        .is_some_and(|o| o.kind() == "this");
    if left.kind() != "member_expression" || !on_this {
        return;
    }
    let Some(class) = enclosing_instance_member(cx) else {
        return;
    };
    // Only a class that extends another needs the file's other classes; the facts of any
    // other class come from the class alone, so its checks stay local to their item.
    let extends = {
        let mut c = class.walk();
        let found = class.children(&mut c).any(|k| k.kind() == "class_heritage");
        found
    };
    let memo = if extends {
        cx.memo(|_, _| ClassFactsMemo::default())
    } else {
        cx.item_memo::<ClassFactsMemo>()
    };
    let key = (class.start_byte(), class.end_byte());
    let cached = memo.0.borrow().get(&key).cloned();
    let facts = match cached {
        Some(f) => f,
        None => {
            let by_name = if extends {
                top_level_classes(cx.root(), cx.src())
            } else {
                HashMap::new()
            };
            let f = Rc::new(class_facts(class, &by_name, cx.src(), cx.lang()));
            memo.0.borrow_mut().insert(key, f.clone());
            f
        }
    };
    if !facts.late.contains(&node.start_byte()) {
        return;
    }
    let f = cx.report(
        node.byte_range(),
        "this property is added outside the constructor: instances change hidden class when the method runs, and code that sees both kinds of instance goes polymorphic; declare it as a field or initialize it in the constructor",
    );
    f.fix = facts.fix.clone();
}

fn class_name<'s>(class: Node, src: &'s str) -> Option<&'s str> {
    class
        .child_by_field_name("name")
        .and_then(|n| src.get(n.byte_range()))
}

/// The classes declared at the top level of the file (or exported there), by name: the only
/// base classes looked into. A class extending anything else is skipped.
fn top_level_classes<'t, 's>(root: Node<'t>, src: &'s str) -> HashMap<&'s str, Node<'t>> {
    let mut out = HashMap::new();
    for stmt in elements(root) {
        let decl = if stmt.kind() == "export_statement" {
            stmt.child_by_field_name("declaration").unwrap_or(stmt)
        } else {
            stmt
        };
        if is_class(decl.kind()) {
            if let Some(name) = class_name(decl, src) {
                out.insert(name, decl);
            }
        }
    }
    out
}

fn class_facts(class: Node, by_name: &HashMap<&str, Node>, src: &str, lang: Lang) -> ClassFacts {
    let none = ClassFacts {
        late: HashSet::new(),
        fix: None,
    };
    let Some(known) = known_members(class, src, by_name, 0) else {
        return none;
    };
    let Some(body) = class.child_by_field_name("body") else {
        return none;
    };
    // Late assignments: first per key, in source order, outside the constructor and the
    // methods it calls.
    let ctor_like = constructor_methods(body, src);
    let mut seen: HashSet<&str> = HashSet::new();
    let mut late: Vec<(Node, &str)> = Vec::new();
    for member in elements(body) {
        let runs_at_construction = match member.kind() {
            "method_definition" => {
                if is_static(member) {
                    continue;
                }
                member
                    .child_by_field_name("name")
                    .and_then(|n| src.get(n.byte_range()))
                    .is_some_and(|n| ctor_like.contains(n))
            }
            "field_definition" | "public_field_definition" => {
                if is_static(member) {
                    continue;
                }
                false
            }
            _ => continue,
        };
        if runs_at_construction {
            continue;
        }
        for_this_assignments(member, src, &mut |assign, key| {
            if !known.contains(key) && seen.insert(key) {
                late.push((assign, key));
            }
        });
    }
    if late.is_empty() {
        return none;
    }
    let fix = if lang == Lang::JavaScript {
        init_fix(class, body, &late, src)
    } else {
        None
    };
    ClassFacts {
        late: late.iter().map(|(a, _)| a.start_byte()).collect(),
        fix,
    }
}

fn is_static(member: Node) -> bool {
    let mut c = member.walk();
    let any = member.children(&mut c).any(|n| n.kind() == "static");
    any
}

/// The member names a class (and its same-file base classes) declares or sets while
/// constructing: fields, accessors, methods, TS parameter properties, `this.x =` in the
/// constructor and in methods the constructor calls. `None` when a base class is not in the
/// file or the class has an index signature: then anything may be declared.
fn known_members<'s>(
    class: Node,
    src: &'s str,
    by_name: &HashMap<&str, Node>,
    depth: u32,
) -> Option<HashSet<&'s str>> {
    if depth > 8 {
        return None;
    }
    let body = class.child_by_field_name("body")?;
    let mut known: HashSet<&'s str> = HashSet::new();
    // `extends Base`
    let mut c = class.walk();
    for child in class.children(&mut c) {
        if child.kind() == "class_heritage" {
            let mut hc = child.walk();
            let base = child.named_children(&mut hc).find_map(|h| match h.kind() {
                "extends_clause" => h.child_by_field_name("value"),
                "identifier" | "member_expression" | "call_expression" => Some(h),
                _ => None,
            })?;
            let base_class = by_name
                .get(src.get(base.byte_range())?)
                .copied()
                .filter(|b| *b != class)?;
            known.extend(known_members(base_class, src, by_name, depth + 1)?);
        }
    }
    let ctor_like = constructor_methods(body, src);
    for member in elements(body) {
        match member.kind() {
            "index_signature" => return None,
            "field_definition" | "public_field_definition" => {
                let name = member
                    .child_by_field_name("property")
                    .or_else(|| member.child_by_field_name("name"));
                if let Some(n) = name.and_then(|n| static_key(n, src)) {
                    known.insert(n);
                }
            }
            "method_definition" => {
                let Some(mname) = member
                    .child_by_field_name("name")
                    .and_then(|n| src.get(n.byte_range()))
                else {
                    continue;
                };
                known.insert(mname);
                if mname == "constructor" {
                    if let Some(params) = member.child_by_field_name("parameters") {
                        for p in elements(params) {
                            let mut pc = p.walk();
                            let property = p.children(&mut pc).any(|m| {
                                matches!(
                                    m.kind(),
                                    "accessibility_modifier" | "readonly" | "override_modifier"
                                )
                            });
                            if property {
                                if let Some(id) = p
                                    .child_by_field_name("pattern")
                                    .filter(|i| i.kind() == "identifier")
                                {
                                    known.insert(&src[id.byte_range()]);
                                }
                            }
                        }
                    }
                }
                if ctor_like.contains(mname) && !is_static(member) {
                    for_this_assignments(member, src, &mut |_, key| {
                        known.insert(key);
                    });
                }
            }
            _ => {}
        }
    }
    Some(known)
}

/// The constructor and the methods it calls as `this.m(…)`, transitively.
fn constructor_methods<'s>(body: Node, src: &'s str) -> HashSet<&'s str> {
    let methods: HashMap<&str, Node> = elements(body)
        .filter(|m| m.kind() == "method_definition" && !is_static(*m))
        .filter_map(|m| Some((src.get(m.child_by_field_name("name")?.byte_range())?, m)))
        .collect();
    let mut out: HashSet<&'s str> = HashSet::new();
    let mut work = vec!["constructor"];
    while let Some(name) = work.pop() {
        let Some(m) = methods.get(name) else { continue };
        let Some((k, _)) = methods.get_key_value(name) else {
            continue;
        };
        if !out.insert(k) {
            continue;
        }
        // One cursor for the method, not one per node.
        visit(*m, |n| {
            if n != *m
                && (n.kind() != "arrow_function" && is_function_like(n.kind())
                    || is_class(n.kind()))
            {
                return Some(false);
            }
            if n.kind() == "call_expression" {
                let this_method = n
                    .child_by_field_name("function")
                    .filter(|f| f.kind() == "member_expression")
                    .filter(|f| {
                        f.child_by_field_name("object")
                            .is_some_and(|o| o.kind() == "this")
                    })
                    .and_then(|f| f.child_by_field_name("property"))
                    .and_then(|p| src.get(p.byte_range()));
                work.extend(this_method);
            }
            Some(true)
        });
    }
    out
}

/// Initializes the late fields to `undefined` at the start of the constructor (after a
/// top-level `super(…)`), or as class fields when there is no constructor.
fn init_fix(class: Node, body: Node, late: &[(Node, &str)], src: &str) -> Option<Fix> {
    let derived = {
        let mut c = class.walk();
        let any = class.children(&mut c).any(|n| n.kind() == "class_heritage");
        any
    };
    let ctor = elements(body).find(|m| {
        m.kind() == "method_definition"
            && m.child_by_field_name("name")
                .is_some_and(|n| &src[n.byte_range()] == "constructor")
    });
    let title = "Initialize the field in the constructor";
    match ctor {
        Some(ctor) => {
            let block = ctor.child_by_field_name("body")?;
            let first = elements(block).next();
            let (at, indent) = if derived {
                let sup = elements(block).find(|s| {
                    s.kind() == "expression_statement"
                        && s.named_child(0).is_some_and(|c| {
                            c.kind() == "call_expression"
                                && c.child_by_field_name("function")
                                    .is_some_and(|f| f.kind() == "super")
                        })
                })?;
                (
                    sup.end_byte(),
                    line_indent(src, sup.start_byte()).to_owned(),
                )
            } else {
                let indent = match first {
                    Some(s) => line_indent(src, s.start_byte()).to_owned(),
                    None => format!("{}  ", line_indent(src, ctor.start_byte())),
                };
                (block.start_byte() + 1, indent)
            };
            let mut text = String::new();
            for (_, key) in late {
                text.push('\n');
                text.push_str(&indent);
                text.push_str("this.");
                text.push_str(key);
                text.push_str(" = undefined;");
            }
            if first.is_none() && !derived {
                text.push('\n');
                text.push_str(line_indent(src, ctor.start_byte()));
            }
            Some(Fix::unsafe_(title, vec![Edit::insert(at, text)]))
        }
        None => {
            let first = elements(body).next()?;
            let indent = line_indent(src, first.start_byte());
            let mut text = String::new();
            for (_, key) in late {
                text.push_str(key);
                text.push_str(" = undefined;\n");
                text.push_str(indent);
            }
            Some(Fix::unsafe_(
                "Declare the field on the class",
                vec![Edit::insert(first.start_byte(), text)],
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::check;

    #[test]
    fn folds_into_the_literal() {
        let out = check(
            "x.js",
            "function f(a) {\n  const o = {};\n  o.x = 1;\n  o['y-z'] = a;\n  return o;\n}\n",
        );
        assert_eq!(out.ids(), ["js/late-property"; 2]);
        assert_eq!(
            out.fixed,
            "function f(a) {\n  const o = { x: 1, 'y-z': a };\n  return o;\n}\n"
        );
    }

    #[test]
    fn multiline_literal_keeps_its_layout() {
        let out = check(
            "x.js",
            "function f() {\nconst o = {\n  a: 1,\n};\no.b = 2;\no.c = 3;\n}\n",
        );
        assert_eq!(
            out.fixed,
            "function f() {\nconst o = {\n  a: 1,\n  b: 2,\n  c: 3,\n};\n}\n"
        );
        let out = check(
            "x.js",
            "function f() {\nconst o = {\n  a: 1\n};\no.b = 2;\n}\n",
        );
        assert_eq!(
            out.fixed,
            "function f() {\nconst o = {\n  a: 1,\n  b: 2\n};\n}\n"
        );
    }

    #[test]
    fn maps_and_readers_are_left_alone() {
        let out = check(
            "x.js",
            "function f(k) {\n  const m = {};\n  m.a = 1;\n  m[k] = 2;\n}\n",
        );
        assert!(out.ids().is_empty(), "{:?}", out.ids());
        let src = "function f() {\n  const o = {};\n  log(o);\n  o.a = 1;\n}\n";
        let out = check("x.js", src);
        assert_eq!(out.ids(), ["js/late-property"]);
        assert_eq!(out.fixed, src);
        let out = check("x.js", "function f() {\n  const o = { a: 1 };\n  o.a = 2;\n  const p = Object.create(null);\n  p.a = 1;\n}\n");
        assert!(out.ids().is_empty(), "{:?}", out.ids());
        // Evaluated once: a module-level registry.
        let out = check("x.js", "const registry = {};\nregistry.a = 1;\n");
        assert!(out.ids().is_empty(), "{:?}", out.ids());
    }

    #[test]
    fn class_fields_set_late() {
        let src = "class A {\n  constructor() {\n    this.a = 1;\n    this.init();\n  }\n  init() { this.b = 2; }\n  set c(v) { this._c = v; }\n  run() { this.a = 3; this.d = 4; }\n}\n";
        let out = check("x.js", src);
        assert_eq!(out.ids(), ["js/late-property"; 2]);
        assert!(out.fixed.contains("constructor() {\n    this._c = undefined;\n    this.d = undefined;\n    this.a = 1;"), "{}", out.fixed);
    }

    #[test]
    fn unknown_base_classes_are_skipped() {
        let out = check("x.js", "class A extends B { m() { this.x = 1; } }\nclass C { m() { this.y = 1; } }\nclass D extends C { n() { this.y = 2; this.z = 1; } }\nclass E { m() { return { f() { this.w = 1; } }; } }\n");
        assert_eq!(out.ids(), ["js/late-property"; 3]);
    }

    #[test]
    fn closures_that_read_the_object_make_the_fold_unsafe() {
        let out = check("x.js", "function f() {\n  const o = {};\n  o.a = show();\n  return o;\n  function show() { return Object.keys(o); }\n}\n");
        let fix = out.findings[0].fix.as_ref().unwrap();
        assert_eq!(fix.applicability, crate::engine::Applicability::Unsafe);
        let out = check(
            "x.js",
            "function f() {\nconst o = {};\no.a = g();\nlet x = 1;\no.b = 2;\no.c = x;\n}\n",
        );
        assert_eq!(out.ids(), ["js/late-property"; 3]);
        assert_eq!(
            out.fixed,
            "function f() {\nconst o = { a: g(), b: 2 };\nlet x = 1;\no.c = x;\n}\n"
        );
        assert_eq!(
            out.findings[0].fix.as_ref().unwrap().applicability,
            crate::engine::Applicability::Safe
        );
    }
}
