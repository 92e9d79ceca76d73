//! `js/delete-property`: `delete obj.prop` turns the object's hidden class into a slow
//! dictionary-mode object.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;
use std::rc::Rc;

use tree_sitter::Node;

use crate::engine::parts::{key_hash, ItemPart, KeyedPart};
use crate::engine::{Ctx, Edit, Fix};
use crate::rules::js::syntax::{is_index_key, is_optional_member, unparen};
use crate::rules::{DefaultSeverity, FixAvailability, Rule, RuleMeta};

pub static DELETE_PROPERTY: Rule = Rule {
    meta: RuleMeta {
        id: "js/delete-property",
        family: Some(crate::language::Family::Js),
        summary: "`delete obj.prop` drops the object to dictionary mode: set it to `undefined`",
        default: DefaultSeverity::ByLoopDepth,
        hot_only: false,
        fix: FixAvailability::Unsafe,
    },
    kinds: &["unary_expression"],
    check: delete_property,
};

/// The key of `obj["literal"]` / ``obj[`literal`]``, when the index is a literal string.
fn literal_key<'s>(index: Node, src: &'s str) -> Option<&'s str> {
    let text = src.get(index.byte_range())?;
    match index.kind() {
        "string" => text.get(1..text.len().checked_sub(1)?),
        "template_string" => {
            let mut c = index.walk();
            let plain = index
                .named_children(&mut c)
                .all(|n| n.kind() == "string_fragment");
            if plain {
                text.get(1..text.len().checked_sub(1)?)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Objects whose properties are not a hidden-class question: the global object is always in
/// dictionary mode, and `process.env` is an exotic object where assigning `undefined` stores
/// the string "undefined".
fn exempt_object(object: Node, src: &str) -> bool {
    let text = src.get(object.byte_range()).unwrap_or("");
    matches!(
        text,
        "window" | "globalThis" | "global" | "self" | "process.env"
    ) || text.starts_with("process.env[")
        || text.starts_with("process.env.")
}

/// Whether the file indexes `object` (the same expression text) with a computed, non-literal
/// key somewhere (`obj[key]`): then it is a map, and deleting its entries is what maps do.
fn indexed_dynamically(object: &str, sites: &[Site], src: &str) -> bool {
    sites.iter().any(|s| {
        let (text, at) = s.view(src);
        let end = at + object.len();
        // A property of something else (`x.obj[k]`); `Site`s follow no identifier byte.
        if at > 0 && text.as_bytes()[at - 1] == b'.' {
            return false;
        }
        let rest = text[end..].trim_start_matches([' ', '\t']);
        let Some(after) = rest.strip_prefix('[') else {
            return false;
        };
        let first = after.trim_start().bytes().next();
        !matches!(first, Some(b'"' | b'\'' | b'`' | b'0'..=b'9' | b']') | None)
    })
}

/// Whether the file observes which keys `object` has — `"k" in obj`, `for (k in obj)`,
/// `Object.keys(obj)`, `hasOwnProperty` — or, for a nested container (`a.defines`), adds keys
/// to it (`a.defines.X = …`). Then the object is a dictionary whose keys mean something, and
/// removing a key is the point: assigning `undefined` would change behaviour.
fn keys_matter(object: &str, sites: &[Site], src: &str) -> bool {
    let nested = object.contains('.');
    for s in sites {
        let (text, at) = s.view(src);
        let bytes = text.as_bytes();
        let end = at + object.len();
        // A property of something else; `Site`s follow no identifier byte.
        if (at > 0 && bytes[at - 1] == b'.') || bytes.get(end).is_some_and(|b| run_byte(*b)) {
            continue;
        }
        let before = text[..at].trim_end();
        let after = &text[end..];
        // The object itself, not a longer expression starting with it (`obj.list`, `obj[i]`).
        let whole = !after.trim_start().starts_with(['.', '[', '(']);
        if whole && (before.ends_with(" in") || before.ends_with("\tin") || before.ends_with(")in"))
        {
            return true;
        }
        if whole
            && [
                "Object.keys(",
                "Object.entries(",
                "Object.getOwnPropertyNames(",
                "hasOwnProperty.call(",
                "Object.hasOwn(",
                "hasOwn(",
            ]
            .iter()
            .any(|p| before.ends_with(p))
        {
            return true;
        }
        if after.starts_with(".hasOwnProperty(") {
            return true;
        }
        if nested {
            // `a.defines.KEY = …` (not `==`/`===`).
            if let Some(rest) = after.strip_prefix('.') {
                let name_len = rest.bytes().take_while(|b| run_byte(*b)).count();
                let tail = rest[name_len..].trim_start();
                if name_len > 0 && tail.starts_with('=') && !tail.starts_with("==") {
                    return true;
                }
            }
        }
    }
    false
}

/// Whether `object` names a keyed collection rather than an object with a fixed shape: a
/// property with a plural name (`geometry.morphAttributes`, `material.defines`), whose keys
/// other code enumerates.
fn plural_container(object: Node, src: &str) -> bool {
    if object.kind() != "member_expression" {
        return false;
    }
    let Some(name) = object
        .child_by_field_name("property")
        .and_then(|p| src.get(p.byte_range()))
    else {
        return false;
    };
    name.len() > 3
        && name.ends_with('s')
        && !name.ends_with("ss")
        && !name.ends_with("us")
        && !name.ends_with("is")
}

/// Whether the enclosing function hands `object` to a constructor after deleting from it
/// (`super(params)`, `new Material(params)`): an options bag whose keys the constructor
/// enumerates, so the key must be gone rather than `undefined`.
fn passed_to_constructor(delete: Node, object: &str, src: &str) -> bool {
    let mut scope = delete.parent();
    while let Some(s) = scope {
        if crate::rules::js::syntax::is_function_like(s.kind()) {
            break;
        }
        scope = s.parent();
    }
    let Some(scope) = scope else { return false };
    let after = &src[delete.end_byte()..scope.end_byte()];
    ["super(", "new "].iter().any(|start| {
        after.match_indices(start).any(|(i, _)| {
            let rest = &after[i..];
            let call: String = rest[..rest.find([';', '\n']).unwrap_or(rest.len())]
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            [
                format!("({object})"),
                format!("({object},"),
                format!(",{object})"),
            ]
            .iter()
            .any(|p| call.contains(p.as_str()))
        })
    })
}

/// Whether the file stores a function under the key (`material.onBeforeCompile = function …`):
/// an own method that shadows one on the prototype, which only `delete` restores (assigning
/// `undefined` would leave callers calling `undefined`).
fn function_override(object: &str, key: &str, sites: &[Site], src: &str) -> bool {
    sites.iter().any(|s| {
        let (text, at) = s.view(src);
        let Some(rest) = text[at + object.len()..]
            .strip_prefix('.')
            .and_then(|r| r.strip_prefix(key))
        else {
            return false;
        };
        let Some(value) = rest
            .trim_start()
            .strip_prefix('=')
            .filter(|r| !r.starts_with('='))
        else {
            return false;
        };
        let value = value.trim_start();
        value.starts_with("function") || value.starts_with("async") || {
            // An arrow: `(…) =>` or `x =>` before the end of the statement.
            let stmt = &value[..value.find([';', '\n']).unwrap_or(value.len())];
            stmt.contains("=>")
        }
    })
}

/// Whether the key is managed with property descriptors (`Object.defineProperty(obj, 'key', …)`
/// or a helper of that shape): deleting the own property then restores what it shadowed,
/// which an assignment cannot do.
fn descriptor_managed(object: &str, key: &str, sites: &[Site], src: &str) -> bool {
    sites.iter().any(|s| {
        let (text, at) = s.view(src);
        let Some(rest) = text[at + object.len()..].strip_prefix(',') else {
            return false;
        };
        let rest = rest.strip_prefix(' ').unwrap_or(rest);
        ['\'', '"'].iter().any(|&q| {
            rest.strip_prefix(q)
                .and_then(|r| r.strip_prefix(key))
                .is_some_and(|r| r.starts_with(q))
        })
    })
}

/// A byte of an identifier-like run (`[A-Za-z0-9_$]`): where an object's text can start and end.
fn run_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

/// The leading run of `object` (`this` of `this.opts`, `o` of `o.a`): every occurrence that
/// the checks above look at has it as a whole run of its item's text.
fn leading_run(object: &str) -> &str {
    &object[..object.bytes().take_while(|b| run_byte(*b)).count()]
}

/// The distinct identifier-like runs of one top-level item's text, for the keyed dependency
/// "the items that may hold an occurrence of this object": an edit to an item that holds the
/// object's leading run neither before nor after cannot change what the checks above find.
#[derive(PartialEq)]
struct Runs {
    /// The runs' hashes ([`key_hash`]), sorted, parallel to `text`'s lines.
    hashes: Box<[u64]>,
    /// The runs, one per line, sorted by hash then text.
    text: Box<str>,
}

impl ItemPart for Runs {
    fn compute(item: Node<'_>, src: &str) -> Self {
        let item_text = src.get(item.byte_range()).unwrap_or("");
        let bytes = item_text.as_bytes();
        let mut runs: Vec<(u64, &str)> = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if !run_byte(bytes[i]) {
                i += 1;
                continue;
            }
            let len = bytes[i..].iter().take_while(|b| run_byte(**b)).count();
            // ASCII bytes (`run_byte`) on both sides: char boundaries.
            let run = &item_text[i..i + len];
            runs.push((key_hash(run), run));
            i += len;
        }
        runs.sort_unstable();
        runs.dedup();
        // The exact length, so that the boxed text keeps the allocation.
        let len = runs.iter().map(|(_, r)| r.len() + 1).sum::<usize>();
        let mut text = String::with_capacity(len.saturating_sub(1));
        for (k, (_, r)) in runs.iter().enumerate() {
            if k > 0 {
                text.push('\n');
            }
            text.push_str(r);
        }
        Self {
            hashes: runs.iter().map(|(h, _)| *h).collect(),
            text: text.into(),
        }
    }
}

impl KeyedPart for Runs {
    fn mentions(&self, key: &str) -> bool {
        self.may_mention(key_hash(key)) && self.text.split('\n').any(|r| r == key)
    }

    fn for_each_key(&self, f: &mut dyn FnMut(&str)) {
        if !self.hashes.is_empty() {
            self.text.split('\n').for_each(f);
        }
    }

    fn may_mention(&self, hash: u64) -> bool {
        self.hashes.binary_search(&hash).is_ok()
    }
}

/// One occurrence of an object's text: the top-level item holding it (the checks above read
/// no text beyond it) and where it starts, both absolute.
struct Site {
    item: Range<usize>,
    at: usize,
}

impl Site {
    /// The item's text and the occurrence's offset in it.
    fn view<'s>(&self, src: &'s str) -> (&'s str, usize) {
        (&src[self.item.clone()], self.at - self.item.start)
    }
}

/// Where an object expression's text occurs as an expression of its own: in the text of one
/// top-level item, not preceded by an identifier byte and, when it ends with one, not followed
/// by one (overlapping matches included), and whether the file uses it as a dictionary. Each
/// distinct object text is searched for once per analysis, however many keys are deleted
/// from it; the checks above then look at what follows each occurrence.
struct Occurrences {
    sites: Vec<Site>,
    dictionary: bool,
}

#[derive(Default)]
struct Objects(RefCell<HashMap<Box<str>, Rc<Occurrences>>>);

/// Appends the occurrences of `object` in the item at `item`.
fn find_in(
    finder: &memchr::memmem::Finder<'_>,
    object: &str,
    item: Range<usize>,
    src: &str,
    sites: &mut Vec<Site>,
) {
    let Some(text) = src.get(item.clone()) else {
        return;
    };
    let bytes = text.as_bytes();
    let (Some(first), Some(&last)) = (object.chars().next(), object.as_bytes().last()) else {
        return;
    };
    let mut from = 0;
    while let Some(i) = finder.find(&bytes[from..]) {
        let at = from + i;
        // A match of UTF-8 text starts on a char boundary; step past its first char.
        from = at + first.len_utf8();
        let end = at + object.len();
        if (at > 0 && run_byte(bytes[at - 1]))
            || (run_byte(last) && bytes.get(end).is_some_and(|b| run_byte(*b)))
        {
            continue;
        }
        sites.push(Site {
            item: item.clone(),
            at: item.start + at,
        });
    }
}

fn occurrences(object: &str, cx: &Ctx) -> Rc<Occurrences> {
    let run = leading_run(object);
    // In the editor, the items that may hold the object: those whose runs include its leading
    // run. An object that starts otherwise (`(a || b).c`) and a plain walk search every item.
    let keyed = !cx.walks_in_order() && !run.is_empty();
    let memo = if keyed {
        cx.depends_on_key::<Runs>(run);
        cx.parts_cache::<Runs, Objects>(|_| Objects::default())
    } else {
        cx.memo(|_, _| Objects::default())
    };
    if let Some(known) = memo.0.borrow().get(object) {
        return known.clone();
    }
    let src = cx.src();
    let finder = memchr::memmem::Finder::new(object.as_bytes());
    let mut sites = Vec::new();
    if keyed {
        let hash = key_hash(run);
        for (item, part) in cx.parts_by_key::<Runs>().iter() {
            if part.may_mention(hash) {
                find_in(&finder, object, item, src, &mut sites);
            }
        }
    } else {
        let root = cx.root();
        let mut c = root.walk();
        for item in root.named_children(&mut c) {
            find_in(&finder, object, item.byte_range(), src, &mut sites);
        }
    }
    let dictionary = indexed_dynamically(object, &sites, src) || keys_matter(object, &sites, src);
    let facts = Rc::new(Occurrences { sites, dictionary });
    memo.0.borrow_mut().insert(object.into(), facts.clone());
    facts
}

pub(crate) fn delete_property(node: Node, cx: &mut Ctx) {
    let (Some(op), Some(arg)) = (
        node.child_by_field_name("operator"),
        node.child_by_field_name("argument"),
    ) else {
        return;
    };
    if op.kind() != "delete" {
        return;
    }
    let arg = unparen(arg);
    let key = match arg.kind() {
        "member_expression" => {
            let Some(p) = arg.child_by_field_name("property") else {
                return;
            };
            if p.kind() == "private_property_identifier" {
                return; // a syntax error anyway
            }
            cx.text(p)
        }
        "subscript_expression" => {
            let Some(index) = arg.child_by_field_name("index") else {
                return;
            };
            // Dynamic keys: the object is a map, and `Map` is the advice, not this rule.
            let Some(key) = literal_key(index, cx.src()) else {
                return;
            };
            if is_index_key(key) {
                return; // an array element
            }
            key
        }
        _ => return,
    };
    if key == "__proto__" {
        return; // removes an own `__proto__` key; assigning would be a different operation
    }
    let Some(object) = arg.child_by_field_name("object") else {
        return;
    };
    let object_text = cx.text(object);
    let src = cx.src();
    if exempt_object(object, src) || plural_container(object, src) {
        return;
    }
    let found = occurrences(object_text, cx);
    if found.dictionary
        || passed_to_constructor(node, object_text, src)
        || descriptor_managed(object_text, key, &found.sites, src)
        || function_override(object_text, key, &found.sites, src)
    {
        return;
    }
    // `delete a?.b` and `delete a?.b.c`: the chain may short-circuit, so there is no plain
    // assignment to offer.
    let optional = {
        let mut n = Some(arg);
        let mut any = false;
        while let Some(m) =
            n.filter(|m| matches!(m.kind(), "member_expression" | "subscript_expression"))
        {
            any |= is_optional_member(m);
            n = m.child_by_field_name("object").map(unparen);
        }
        any
    };
    let statement = cx
        .parent()
        .is_some_and(|p| p.kind() == "expression_statement");
    let message = "`delete` changes the object's shape and drops it into slow dictionary mode; assign `undefined` instead (or use a `Map` if keys come and go)";
    let range = node.byte_range();
    let fix = (statement && !optional).then(|| {
        Fix::unsafe_(
            "Assign `undefined` instead of deleting",
            vec![Edit::replace(
                range.clone(),
                format!("{} = undefined", cx.text(arg)),
            )],
        )
    });
    cx.report(range, message).fix = fix;
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::check;

    #[test]
    fn fires_and_fixes() {
        let src = "const o = { a: 1, b: 2 };\ndelete o.a;\ndelete o[\"b\"];\nif (delete o.c) {}\n";
        for name in ["x.js", "x.ts", "x.tsx"] {
            let out = check(name, src);
            assert_eq!(out.ids(), ["js/delete-property"; 3], "{name}");
            assert!(
                out.fixed
                    .contains("o.a = undefined;\no[\"b\"] = undefined;\nif (delete o.c)"),
                "{}",
                out.fixed
            );
        }
    }

    #[test]
    fn leaves_maps_and_arrays_alone() {
        let out = check("x.ts", "declare const o: Record<string, number>; declare const k: string;\ndelete o[k];\ndelete arr[0];\ndelete arr['1'];\ndelete process.env.X;\ndelete window.foo;\ndelete q.__proto__;\nconst s = {}; s[k] = 1; delete s.fixed;\ndelete q.kept;\n");
        assert_eq!(out.ids(), ["js/delete-property"], "only `delete q.kept`");
        let out = check(
            "x.ts",
            "declare const o: Record<string, number>; declare const k: string;\ndelete o[k];\n",
        );
        assert!(out.ids().is_empty(), "{:?}", out.ids());
    }

    #[test]
    fn dictionaries_whose_keys_matter_are_left_alone() {
        for src in [
            "if ('A' in m.defines) delete m.defines.A;",
            "for (const k in opts) use(k);\ndelete opts.extra;",
            "delete o.a;\nconsole.log(Object.keys(o));",
            "s.uniforms.time = { value: 0 };\ndelete s.uniforms.time;",
            "if (cfg.hasOwnProperty('x')) delete cfg.x;",
            "delete geometry.morphAttributes.position;",
            "function f(p) { delete p.extra; return new Material(p); }",
            "class M extends B { constructor(p) { const x = p.x; delete p.x; super( p ); } }",
            "Object.defineProperty(e, 'currentTarget', { get() { return t; } });\ndelete e.currentTarget;",
            "define_property(e, 'currentTarget', { get() { return t; } });\ndelete e.currentTarget;",
            "m.onBeforeCompile = function (s) { patch(s); };\ndelete m.onBeforeCompile;",
            "m.hook = (x) => x;\ndelete m.hook;",
        ] {
            assert!(check("x.js", src).ids().is_empty(), "{src}");
        }
        // Enumerating something else that starts with the same name does not count.
        assert_eq!(
            check(
                "x.js",
                "for (const k in geometry.attributes) use(k);\ndelete geometry._count;\n"
            )
            .ids(),
            ["js/delete-property"]
        );
        // Another object whose name ends with this one's does not count either.
        assert_eq!(
            check(
                "x.js",
                "my_m.hook = (x) => x;\nObject.defineProperty(my_e, 'k', {});\ndelete m.hook;\ndelete e.k;\n"
            )
            .ids(),
            ["js/delete-property"; 2]
        );
        // A nested object that is only read still counts.
        assert_eq!(
            check("x.js", "delete a.b.c;\nif (a.b.c === 1) {}\n").ids(),
            ["js/delete-property"]
        );
    }

    #[test]
    fn optional_chains_get_no_fix() {
        let out = check("x.js", "delete a?.b.c;\ndelete a.b?.c;\ndelete o['nan'];\n");
        assert_eq!(out.ids(), ["js/delete-property"; 3]);
        assert_eq!(
            out.fixed,
            "delete a?.b.c;\ndelete a.b?.c;\no['nan'] = undefined;\n"
        );
    }
}
