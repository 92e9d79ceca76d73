//! `js/property-order`: objects with the same keys in a different order get different hidden
//! classes, so code that sees both goes polymorphic.

use std::cell::RefCell;
use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use tree_sitter::Node;

use crate::engine::{Ctx, Edit, Fix, ItemPart, Parts};
use crate::rules::js::syntax::{
    elements, evaluated_once, evaluated_once_from, for_this_assignments, is_class,
    is_function_like, is_index_key, is_pure, static_key,
};
use crate::rules::{DefaultSeverity, FixAvailability, Rule, RuleMeta};

pub static PROPERTY_ORDER: Rule = Rule {
    meta: RuleMeta {
        id: "js/property-order",
        family: Some(crate::language::Family::Js),
        summary:
            "Objects with the same keys in another order get another hidden class: keep one order",
        default: DefaultSeverity::ByLoopDepth,
        hot_only: false,
        fix: FixAvailability::Sometimes,
    },
    kinds: &["object", "if_statement"],
    check: property_order,
};

pub(crate) fn property_order(node: Node, cx: &mut Ctx) {
    match node.kind() {
        "object" => literal_order(node, cx),
        _ => constructor_branches(node, cx),
    }
}

// ---------------------------------------------------------------------------------------------
// Object literals

/// The named keys of a literal in order, with the property nodes, or `None` when the literal's
/// shape is not a plain fixed list of keys (spread, computed key, accessor, `__proto__`,
/// duplicate keys). Integer keys are elements, not part of the hidden class, and are skipped.
fn literal_keys<'s, 't>(lit: Node<'t>, src: &'s str) -> Option<Vec<(&'s str, Node<'t>)>> {
    let mut keys: Vec<(&str, Node)> = Vec::new();
    for p in elements(lit) {
        let key = match p.kind() {
            "pair" => p.child_by_field_name("key")?,
            "shorthand_property_identifier" => p,
            "method_definition" => {
                let mut c = p.walk();
                let accessor = p
                    .children(&mut c)
                    .any(|t| matches!(t.kind(), "get" | "set"));
                if accessor {
                    return None;
                }
                p.child_by_field_name("name")?
            }
            _ => return None,
        };
        let name = static_key(key, src)?;
        if key.kind() == "number" {
            if is_index_key(name) {
                continue;
            }
            return None;
        }
        if name == "__proto__" {
            return None;
        }
        keys.push((name, p));
    }
    // Duplicate keys (the later one wins) make the order ambiguous.
    let mut names: Vec<&str> = keys.iter().map(|(k, _)| *k).collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return None;
    }
    Some(keys)
}

/// A literal whose values are all object literals is a table of descriptors keyed by name
/// (`properties: { a: {…}, b: {…} }`), read by key, not an instance of a shape.
fn is_descriptor_table(keys: &[(&str, Node)]) -> bool {
    keys.iter().all(|(_, p)| {
        p.kind() == "pair"
            && p.child_by_field_name("value")
                .is_some_and(|v| v.kind() == "object")
    })
}

fn hash_one(s: &str) -> u64 {
    let mut h = DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// (set hash, order hash) of a key list. The set hash does not depend on the order.
fn hashes(keys: &[(&str, Node)]) -> (u64, u64) {
    let mut set = keys.len() as u64;
    let mut order = DefaultHasher::new();
    for (k, _) in keys {
        let h = hash_one(k);
        set = set.wrapping_add(h.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (h >> 29));
        k.hash(&mut order);
    }
    (set, order.finish())
}

/// The literals `literal_order` compares, in walk order (pre-order, not entering syntax errors,
/// as the engine's walk): plain key lists of two or more keys, not descriptor tables, in code
/// that may run more than once. Calls `f` with each and its (set, order) hashes; stops when `f`
/// returns `false`.
fn each_literal<'t>(item: Node<'t>, src: &str, mut f: impl FnMut(Node<'t>, u64, u64) -> bool) {
    if item.is_error() || item.is_missing() {
        return;
    }
    // The ancestors of the cursor's node, innermost last; the program above the item first.
    let mut ancestors: Vec<Node<'t>> = item.parent().into_iter().collect();
    let mut cursor = item.walk();
    loop {
        let n = cursor.node();
        if n.kind() == "object" {
            let keys = literal_keys(n, src).filter(|k| {
                k.len() >= 2
                    && !is_descriptor_table(k)
                    && !evaluated_once_from(ancestors.iter().rev().copied(), src)
            });
            if let Some(keys) = keys {
                let (set, order) = hashes(&keys);
                if !f(n, set, order) {
                    return;
                }
            }
        }
        if !n.is_error() && !n.is_missing() && cursor.goto_first_child() {
            ancestors.push(n);
            continue;
        }
        loop {
            if cursor.node() == item {
                return;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
            ancestors.pop();
        }
    }
}

/// One item's share of the file's literals: the (set, order) hashes of the literals
/// [`each_literal`] yields, in order, and where each starts (relative to the item).
///
/// Equality compares the hashes only: a check that reads no more than the parts sees nothing
/// else (the offsets serve only a check that reports, which reads the first literal's text and
/// so runs again on every analysis anyway). So edits that leave an item's literals' keys alone
/// leave its part equal, and the other items' literal checks keep their findings.
struct Shapes {
    hashes: Vec<(u64, u64)>,
    offsets: Vec<u32>,
}

impl PartialEq for Shapes {
    fn eq(&self, other: &Self) -> bool {
        self.hashes == other.hashes
    }
}

impl ItemPart for Shapes {
    fn compute(item: Node<'_>, src: &str) -> Self {
        let (mut hashes, mut offsets) = (Vec::new(), Vec::new());
        let base = item.start_byte();
        each_literal(item, src, |n, set, order| {
            hashes.push((set, order));
            offsets.push(u32::try_from(n.start_byte() - base).unwrap_or(u32::MAX));
            true
        });
        Shapes { hashes, offsets }
    }
}

/// Per key set (by hash), the first literal with it in the file: its item's start, where it
/// starts and its order hash.
#[derive(Default)]
struct FirstSeen(RefCell<HashMap<u64, (usize, usize, u64)>>);

fn first_seen(parts: &Parts<Shapes>) -> FirstSeen {
    let mut map = HashMap::new();
    for (range, shapes) in parts.iter() {
        for (&(set, order), &offset) in shapes.hashes.iter().zip(&shapes.offsets) {
            map.entry(set)
                .or_insert((range.start, range.start + offset as usize, order));
        }
    }
    FirstSeen(RefCell::new(map))
}

fn literal_order(lit: Node, cx: &mut Ctx) {
    let src = cx.src();
    let Some(keys) = literal_keys(lit, src)
        .filter(|k| k.len() >= 2 && !is_descriptor_table(k) && !evaluated_once(cx))
    else {
        return;
    };
    let (set, order) = hashes(&keys);
    let (item_start, at, first_order) = if cx.walks_in_order() {
        // A full walk meets the literals in the order the parts list them: a running record
        // gives the same first literal without computing the parts.
        let seen = cx.node_cache::<FirstSeen>();
        let mut map = seen.0.borrow_mut();
        match map.get(&set) {
            Some(&first) => first,
            None => {
                map.insert(set, (cx.item().start_byte(), lit.start_byte(), order));
                return;
            }
        }
    } else {
        let seen = cx.parts_memo::<Shapes, FirstSeen>(|p| first_seen(p));
        let Some(first) = seen.0.borrow().get(&set).copied() else {
            return;
        };
        first
    };
    // The same order (the usual case) needs nothing but the parts: no report.
    if first_order == order {
        return;
    }
    // The first literal itself, in this item or an earlier one: the check reads its keys and
    // names its line, so it depends on that item and the line it starts on.
    let Some(home) = cx.item_at(at).filter(|h| h.start_byte() == item_start) else {
        return;
    };
    let first = home
        .descendant_for_byte_range(at, at)
        .and_then(|n| {
            let mut n = Some(n);
            while let Some(m) = n.filter(|m| m.start_byte() == at && m.kind() != "object") {
                n = m.parent();
            }
            n
        })
        .filter(|n| n.kind() == "object" && n.start_byte() == at);
    let Some(first) = first.filter(|f| *f != lit) else {
        return;
    };
    let Some(first_keys) = literal_keys(first, src) else {
        return;
    };
    // Same set (the hash could collide), different order.
    if first_keys.len() != keys.len()
        || !keys
            .iter()
            .all(|(k, _)| first_keys.iter().any(|(f, _)| f == k))
    {
        return;
    }
    if first_keys.iter().zip(&keys).all(|((a, _), (b, _))| a == b) {
        return;
    }
    // The tree counts rows: scanning the text from the start per finding was quadratic.
    let line = first.start_position().row + 1;
    let order: Vec<&str> = first_keys.iter().map(|(k, _)| *k).collect();
    let message = format!(
        "same keys as the object literal on line {line}, which lists them as {}: the two get different hidden classes, and code that handles both goes polymorphic",
        order.join(", ")
    );
    let fix = reorder_fix(lit, &keys, &order, cx);
    cx.report(lit.byte_range(), message).fix = fix;
}

/// Swaps property texts into the first-seen order. Safe only when the values are free of side
/// effects and nothing can enumerate the object (a `const` whose every use reads a property);
/// otherwise `Object.keys`/`JSON.stringify`/`for…in` would see the new order.
fn reorder_fix(lit: Node, keys: &[(&str, Node)], order: &[&str], cx: &Ctx) -> Option<Fix> {
    let src = cx.src();
    let pure = keys.iter().all(|(_, p)| match p.kind() {
        "pair" => p.child_by_field_name("value").is_some_and(is_pure),
        _ => true,
    });
    if !pure {
        return None;
    }
    let mut c = lit.walk();
    if lit.named_children(&mut c).any(|n| n.kind() == "comment") {
        return None;
    }
    // Integer keys were skipped; if any exist the slots do not line up one to one.
    if elements(lit).count() != keys.len() {
        return None;
    }
    let mut edits = Vec::new();
    for ((_, slot), want) in keys.iter().zip(order) {
        let (_, node) = keys.iter().find(|(k, _)| k == want)?;
        if node != slot {
            edits.push(Edit::replace(slot.byte_range(), &src[node.byte_range()]));
        }
    }
    let title = "Reorder the keys to the first-seen order";
    Some(if never_enumerated(lit, src) {
        Fix::safe(title, edits)
    } else {
        Fix::unsafe_(title, edits)
    })
}

/// `const o = { … }` where every later use of `o` in its scope is `o.key` (a read or a write
/// of a named property), so the key order is never observed.
fn never_enumerated(lit: Node, src: &str) -> bool {
    let Some(decl) = lit.parent().filter(|p| p.kind() == "variable_declarator") else {
        return false;
    };
    let Some(name) = decl
        .child_by_field_name("name")
        .filter(|n| n.kind() == "identifier")
    else {
        return false;
    };
    let Some(declaration) = decl.parent().filter(|d| d.kind() == "lexical_declaration") else {
        return false;
    };
    let mut c = declaration.walk();
    if !declaration.children(&mut c).any(|t| t.kind() == "const") {
        return false;
    }
    let Some(scope) = declaration.parent() else {
        return false;
    };
    if scope.kind() == "program" || scope.kind() == "export_statement" {
        return false; // may be exported or reached from anywhere
    }
    let name = &src[name.byte_range()];
    let mut stack = vec![scope];
    while let Some(n) = stack.pop() {
        if matches!(n.kind(), "identifier" | "shorthand_property_identifier")
            && &src[n.byte_range()] == name
            && n != decl.child_by_field_name("name").unwrap_or(n)
        {
            let ok = n.kind() == "identifier"
                && n.parent().is_some_and(|p| {
                    p.kind() == "member_expression"
                        && p.child_by_field_name("object") == Some(n)
                        && p.child_by_field_name("property")
                            .is_some_and(|q| q.kind() == "property_identifier")
                });
            if !ok {
                return false;
            }
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    true
}

// ---------------------------------------------------------------------------------------------
// Constructors that assign fields in a different order per branch

/// The `this.key = …` keys a branch assigns, first occurrence, in order (not looking into
/// nested non-arrow functions or classes), with the assignment nodes.
fn this_keys<'s, 't>(branch: Node<'t>, src: &'s str) -> Vec<(&'s str, Node<'t>)> {
    let mut out: Vec<(&str, Node)> = Vec::new();
    for_this_assignments(branch, src, &mut |n, k| {
        if !out.iter().any(|(x, _)| *x == k) {
            out.push((k, n));
        }
    });
    out
}

/// The branches of an `if … else if … else` chain, in order.
fn branches(mut ifs: Node) -> Vec<Node> {
    let mut out = Vec::new();
    loop {
        if let Some(c) = ifs.child_by_field_name("consequence") {
            out.push(c);
        }
        let Some(alt) = ifs.child_by_field_name("alternative") else {
            break;
        };
        let inner = alt.named_child(0);
        match inner {
            Some(n) if n.kind() == "if_statement" && alt.named_child_count() == 1 => ifs = n,
            Some(_) => {
                out.push(alt);
                break;
            }
            None => break,
        }
    }
    out
}

fn in_constructor(cx: &Ctx) -> bool {
    for f in cx.ancestors() {
        let k = f.node.kind();
        if is_function_like(k) {
            return k == "method_definition"
                && f.node
                    .child_by_field_name("name")
                    .is_some_and(|n| cx.text(n) == "constructor");
        }
        if is_class(k) {
            return false;
        }
    }
    false
}

fn constructor_branches(ifs: Node, cx: &mut Ctx) {
    // Only the head of an `else if` chain.
    if cx.parent().is_some_and(|p| p.kind() == "else_clause") || !in_constructor(cx) {
        return;
    }
    let src = cx.src();
    let list = branches(ifs);
    let mut reference: Option<(Vec<(&str, Node)>, Node)> = None;
    for branch in list {
        let keys = this_keys(branch, src);
        if keys.len() < 2 {
            continue;
        }
        let Some((first, first_branch)) = &reference else {
            reference = Some((keys, branch));
            continue;
        };
        // Relative order of the keys both branches assign.
        let common_first: Vec<&str> = first
            .iter()
            .map(|(k, _)| *k)
            .filter(|k| keys.iter().any(|(x, _)| x == k))
            .collect();
        let common_here: Vec<(&str, Node)> = keys
            .iter()
            .filter(|(k, _)| common_first.contains(k))
            .cloned()
            .collect();
        if common_first.len() < 2
            || common_first
                .iter()
                .zip(&common_here)
                .all(|(a, (b, _))| a == b)
        {
            continue;
        }
        let Some(at) = common_first
            .iter()
            .zip(&common_here)
            .find(|(a, (b, _))| a != &b)
            .map(|(_, (_, n))| *n)
        else {
            continue;
        };
        // The message names a line, which moves with edits above this item: marking the check
        // file-dependent re-runs it then. The row comes from the tree (no scan of the text).
        let _ = cx.file_src();
        let line = first_branch.start_position().row + 1;
        let message = format!(
            "this branch of the constructor assigns {} in another order than the branch on line {line}: instances built by the two branches get different hidden classes",
            common_first.join(", ")
        );
        cx.report(at.byte_range(), message);
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::Applicability;
    use crate::rules::test_support::check;

    #[test]
    fn literals_in_another_order() {
        let src = "function f(d) {\n  const a = { x: 1, y: 2 };\n  const b = { y: 3, x: 4 };\n  const c = { x: 1, y: 2, ...d };\n  const e = { y, x };\n  return [a, b, c, e];\n}\n";
        let out = check("x.js", src);
        assert_eq!(out.ids(), ["js/property-order"; 2]);
        assert_eq!(
            out.fixed,
            src.replace("{ y: 3, x: 4 }", "{ x: 4, y: 3 }")
                .replace("{ y, x }", "{ x, y }")
        );
        assert_eq!(
            out.findings[0].fix.as_ref().unwrap().applicability,
            Applicability::Unsafe
        );
    }

    #[test]
    fn safe_when_only_read_by_name() {
        let out = check("x.js", "function f() {\n  const p = { x: 1, y: 2 };\n  const q = { y: 3, x: 4 };\n  return p.x + q.y;\n}\n");
        assert_eq!(out.findings.len(), 1);
        assert_eq!(
            out.findings[0].fix.as_ref().unwrap().applicability,
            Applicability::Safe
        );
        let out = check("x.js", "function g() {\n  const a = { x: 1, y: 2 };\n  const b = { y: f(), x: 4 };\n  return [a, b];\n}\n");
        assert_eq!(out.ids(), ["js/property-order"]);
        assert!(out.findings[0].fix.is_none());
    }

    #[test]
    fn module_level_data_and_descriptor_tables_are_quiet() {
        let src = "const a = { x: 1, y: 2 };\nconst b = { y: 3, x: 4 };\nfunction f() {\n  const s = { p: { type: 1 }, q: { type: 2 } };\n  const t = { q: { type: 3 }, p: { type: 4 } };\n  return [s, t];\n}\n";
        assert!(check("x.js", src).ids().is_empty());
    }

    #[test]
    fn constructor_branches() {
        let src = "class P {\n  constructor(a) {\n    if (a) {\n      this.x = 1;\n      this.y = 2;\n    } else {\n      this.y = 0;\n      this.x = 0;\n    }\n  }\n}\n";
        let out = check("x.js", src);
        assert_eq!(out.ids(), ["js/property-order"]);
        let same = src.replace(
            "this.y = 0;\n      this.x = 0;",
            "this.x = 0;\n      this.y = 0;",
        );
        assert!(check("x.js", &same).ids().is_empty());
    }
}
