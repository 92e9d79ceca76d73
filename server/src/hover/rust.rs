//! Rust constructs that allocate: when, how much, and the cheaper alternative.
//!
//! Called for the innermost node at the cursor and then its ancestors; the first node that is an
//! allocation-making construct wins. Matching only slices the source: the one allocation is the
//! returned text.

use std::ops::Range;

use tree_sitter::Node;

const VEC_NEW: &str = "**`Vec::new()`** allocates nothing yet. The first push allocates room for 4 elements (8 for 1-byte elements, 1 for elements over 1 KiB); each time it is full, the capacity doubles (4 → 8 → 16 …): a new allocation and a copy of every element. If the final length is known, `Vec::with_capacity(n)` allocates once.";
const VEC_WITH_CAPACITY: &str = "**`Vec::with_capacity(n)`** allocates once, now, for `n` elements (nothing when `n` is 0 or the elements are zero-sized). Pushes up to `n` do not allocate; past `n` it doubles as usual.";
const VEC_MACRO_EMPTY: &str = "**`vec![]`** allocates nothing yet, like `Vec::new()`: the first push allocates room for 4 elements and the capacity then doubles (4 → 8 → 16 …), copying at each step. With a known final length, `Vec::with_capacity(n)` allocates once.";
const VEC_MACRO_LIST: &str = "**`vec![a, b, …]`** allocates once, now, exactly for the listed elements. A fixed list that is only read can be an array or a slice (`[a, b]`, `&[a, b]`) with no heap allocation.";
const VEC_MACRO_REPEAT: &str = "**`vec![x; n]`** allocates once, now, for `n` elements, and clones `x` into all but the last (zeroed memory for `vec![0; n]`).";
const VEC_TYPE: &str = "**`Vec<T>`** owns a heap buffer. An empty one allocates nothing; the first push allocates room for 4 elements (8 for 1-byte ones) and the capacity doubles when full (4 → 8 → 16 …), copying the elements each time. `with_capacity(n)` allocates once; `clear()` keeps the buffer for reuse. Where a parameter only reads, `&[T]` accepts vectors, arrays and slices.";
const STRING_NEW: &str = "**`String::new()`** allocates nothing yet. The first push allocates (at least 8 bytes); when full, the capacity doubles, copying the bytes each time. `String::with_capacity(n)` allocates once; `clear()` keeps the buffer for reuse.";
const STRING_WITH_CAPACITY: &str = "**`String::with_capacity(n)`** allocates once, now, for `n` bytes (nothing when `n` is 0). Appending up to `n` bytes does not allocate.";
const STRING_TYPE: &str = "**`String`** owns a heap buffer of UTF-8 bytes. An empty one allocates nothing; the first push allocates at least 8 bytes and the capacity doubles when full, copying each time. Where a value is only read, `&str` (or `&'static str` for literals) needs no allocation; `Cow<'static, str>` mixes literals and built strings.";
const LITERAL_TO_STRING: &str = "**String literal made owned** (`.to_string()`, `.to_owned()`, `.into()`, `String::from`) allocates a buffer of exactly the literal's length and copies the text into it (nothing for `\"\"`). Where a `&'static str` serves — comparisons (`s == \"x\"`), `&str` parameters, map lookups — use the literal itself. If every return of a function is a literal, return `&'static str`; if only some are, `Cow<'static, str>`.";
const TO_STRING: &str = "**`.to_string()`** formats the value through `Display` into a new `String`, sized by a first estimate and grown as needed. To append to an existing string, `write!(buf, \"{x}\")` reuses its buffer.";
const TO_OWNED: &str = "**`.to_owned()`** makes an owned copy: a new allocation for a `&str` (→ `String`), a slice (→ `Vec`) or a `&Path` (→ `PathBuf`), a plain `clone()` otherwise. Borrow where the owned value is not needed.";
const INTO: &str = "**`.into()`** converts by value. From a `&str` to a `String` (or `Box<str>`, `Rc<str>`…) it allocates and copies; between owned types it usually moves without allocating.";
const TO_VEC: &str = "**`.to_vec()`** allocates a new `Vec` of exactly the slice's length and clones every element into it. If the code only reads, keep the slice.";
const CLONE: &str = "**`.clone()`** copies the value. For `String`, `Vec`, `Box`, maps and structs holding them that is a new allocation of the same size plus a copy of the contents; for `Rc`/`Arc` only a count increment; for `Copy` types no heap work at all. To refresh an existing value, `a.clone_from(&b)` reuses `a`'s buffer; in a loop, prefer borrowing or cloning once before it.";
const COLLECT: &str = "**`.collect()`** builds a new collection. A `Vec` is allocated from the iterator's size hint — once when it is exact (`slice.iter().map(..)`), growing by doubling when it is not (`filter`); maps and sets grow and rehash as they fill. If the result is only iterated, counted or searched once, stay with the iterator (`count()`, `any(..)`, `for`) and skip the allocation.";
const FORMAT: &str = "**`format!`** allocates a new `String`, sized by an estimate from the literal pieces, and may reallocate while writing the arguments. For a literal or a single value, `.to_string()` is direct; to append to an existing string, `write!(s, …)` reuses its buffer.";
const BOX_NEW: &str = "**`Box::new(x)`** allocates once, now, exactly `size_of_val(&x)` bytes (nothing for zero-sized types), and frees it when dropped. `Box<Vec<T>>` and `Box<String>` allocate a box for a header whose data is already on the heap; `Box<[T]>` and `Box<str>` are the compact fixed-size forms.";
const BOX_TYPE: &str = "**`Box<T>`** is one heap allocation of exactly the size of `T`, made when it is created. Boxing a `Vec`, `String` or map adds an allocation that holds only the collection's header; `Box<[T]>` and `Box<str>` are the compact fixed-size forms.";
const HASH_NEW: &str = "**`HashMap::new()` / `HashSet::new()`** allocate nothing yet. The first insert allocates a table for 3 entries; it then grows to hold 7, 14, 28 … entries (the buckets double, at most 7/8 used), rehashing every entry each time. `with_capacity(n)` allocates once for `n` entries; `clear()` keeps the table.";
const HASH_WITH_CAPACITY: &str = "**`with_capacity(n)`** on a hash map or set allocates one table, now, with room for at least `n` entries: no rehashing until then.";
const HASH_TYPE: &str = "**`HashMap` / `HashSet`** own one heap table. Empty ones allocate nothing; the first insert allocates room for 3 entries, then 7, 14, 28 … — each step a new table and a rehash of every entry. Size it with `with_capacity(n)` when the count is known.";
const BTREE_NEW: &str = "**`BTreeMap::new()` / `BTreeSet::new()`** allocate nothing yet. Inserts allocate nodes of up to 11 entries as the tree grows: no rehashing, but one allocation per node and more pointer-chasing on lookups than a `HashMap`.";
const BTREE_TYPE: &str = "**`BTreeMap` / `BTreeSet`** keep entries sorted in heap nodes of up to 11 entries; an empty one allocates nothing, and each new node is one allocation.";
const RC_NEW: &str = "**`Rc::new(x)` / `Arc::new(x)`** allocate once, now, for the strong count, the weak count and the value together. Cloning the pointer afterwards allocates nothing.";
const RC_CLONE: &str = "**`Rc::clone` / `Arc::clone`** allocate nothing: they add one to the strong count (atomically for `Arc`) and share the same value.";
const RC_TYPE: &str = "**`Rc<T>` / `Arc<T>`** are one heap allocation (counts and value together), made on creation; clones only bump the count (an atomic operation for `Arc`). Sharing through them replaces deep clones of big values.";
const COW: &str = "**`Cow<'a, T>`** holds either a borrow (`Cow::Borrowed`, no allocation) or an owned value (`Cow::Owned`). It allocates only when built owned, or when `to_mut()` / `into_owned()` is called on a borrowed one — a good return type when most results are literals or borrowed input.";

/// The explanation for `node`, if it is an allocation-making construct.
pub(super) fn explain(node: Node, src: &str) -> Option<(Range<usize>, String)> {
    let what = match node.kind() {
        "macro_invocation" => macro_text(node, src)?,
        "call_expression" => call_text(node, src)?,
        "generic_type" => {
            let head = node.child_by_field_name("type")?;
            type_text(last_segment(src.get(head.byte_range())?))?
        }
        "type_identifier" | "scoped_type_identifier" => {
            // A bare type name, not the head of a generic type (that one explains itself).
            if node.parent().is_some_and(|p| p.kind() == "generic_type") {
                return None;
            }
            match last_segment(src.get(node.byte_range())?) {
                "String" => STRING_TYPE,
                _ => return None,
            }
        }
        _ => return None,
    };
    Some((node.byte_range(), what.to_owned()))
}

fn last_segment(path: &str) -> &str {
    let path = path
        .split('<')
        .next()
        .unwrap_or(path)
        .trim_end_matches("::");
    path.rsplit("::").next().unwrap_or(path)
}

fn type_text(name: &str) -> Option<&'static str> {
    Some(match name {
        "Vec" => VEC_TYPE,
        "Box" => BOX_TYPE,
        "HashMap" | "HashSet" => HASH_TYPE,
        "BTreeMap" | "BTreeSet" => BTREE_TYPE,
        "Rc" | "Arc" => RC_TYPE,
        "Cow" => COW,
        _ => return None,
    })
}

fn macro_text(node: Node, src: &str) -> Option<&'static str> {
    let name = node
        .child_by_field_name("macro")
        .and_then(|m| src.get(m.byte_range()))?;
    match last_segment(name) {
        "format" => Some(FORMAT),
        "vec" => {
            let tt = node.named_child(1).filter(|t| t.kind() == "token_tree")?;
            if tt.child_count() <= 2 {
                return Some(VEC_MACRO_EMPTY);
            }
            let mut c = tt.walk();
            let repeat = tt.children(&mut c).any(|t| t.kind() == ";");
            Some(if repeat {
                VEC_MACRO_REPEAT
            } else {
                VEC_MACRO_LIST
            })
        }
        _ => None,
    }
}

fn is_str_literal(node: Node, src: &str) -> bool {
    matches!(node.kind(), "string_literal" | "raw_string_literal")
        && src
            .get(node.byte_range())
            .is_some_and(|t| t.starts_with('"') || t.starts_with('r'))
}

fn call_text(node: Node, src: &str) -> Option<&'static str> {
    let f = node.child_by_field_name("function")?;
    let f = if f.kind() == "generic_function" {
        f.child_by_field_name("function")?
    } else {
        f
    };
    match f.kind() {
        "field_expression" => {
            let method = src.get(f.child_by_field_name("field")?.byte_range())?;
            let recv = f.child_by_field_name("value")?;
            let literal = is_str_literal(recv, src);
            Some(match method {
                "to_string" | "to_owned" | "into" if literal => LITERAL_TO_STRING,
                "to_string" => TO_STRING,
                "to_owned" => TO_OWNED,
                "into" => INTO,
                "to_vec" => TO_VEC,
                "clone" => CLONE,
                "collect" => COLLECT,
                _ => return None,
            })
        }
        "scoped_identifier" => {
            let name = src.get(f.child_by_field_name("name")?.byte_range())?;
            let path = last_segment(src.get(f.child_by_field_name("path")?.byte_range())?);
            Some(match (path, name) {
                ("Vec", "new") => VEC_NEW,
                ("Vec", "with_capacity") => VEC_WITH_CAPACITY,
                ("String", "new") => STRING_NEW,
                ("String", "with_capacity") => STRING_WITH_CAPACITY,
                ("String", "from") => {
                    let arg = node
                        .child_by_field_name("arguments")
                        .and_then(|a| a.named_child(0));
                    if arg.is_some_and(|a| is_str_literal(a, src)) {
                        LITERAL_TO_STRING
                    } else {
                        STRING_TYPE
                    }
                }
                ("Box", "new") => BOX_NEW,
                ("HashMap" | "HashSet", "new" | "default") => HASH_NEW,
                ("HashMap" | "HashSet", "with_capacity") => HASH_WITH_CAPACITY,
                ("BTreeMap" | "BTreeSet", "new" | "default") => BTREE_NEW,
                ("Rc" | "Arc", "new") => RC_NEW,
                ("Rc" | "Arc", "clone") => RC_CLONE,
                ("Cow", "Borrowed" | "Owned") => COW,
                _ => return None,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::document::{parse_str, DEFAULT_PARSE_BUDGET};
    use crate::hover::construct_at;
    use crate::language::Lang;

    /// The hover text at the first occurrence of `at` in `src`, and the text it covers.
    fn hover(src: &str, at: &str) -> Option<(String, String)> {
        let tree = parse_str(Lang::Rust, src, DEFAULT_PARSE_BUDGET).unwrap();
        let byte = src.find(at).unwrap();
        construct_at(Lang::Rust, src, &tree, byte).map(|h| (src[h.range].to_owned(), h.markdown))
    }

    #[test]
    fn explains_constructors_with_their_growth() {
        let src = "fn f(n: usize) { let v: Vec<u8> = Vec::new(); let m = std::collections::HashMap::<u8, u8>::with_capacity(n); }";
        let (covered, text) = hover(src, "new()").unwrap();
        assert_eq!(covered, "Vec::new()");
        assert!(
            text.contains("4 → 8 → 16") && text.contains("with_capacity"),
            "{text}"
        );
        let (covered, text) = hover(src, "with_capacity").unwrap();
        assert!(
            covered.starts_with("std::collections::HashMap"),
            "{covered}"
        );
        assert!(text.contains("one table"), "{text}");
        let (_, text) = hover(src, "Vec<u8>").unwrap();
        assert!(text.contains("`&[T]`"), "{text}");
    }

    #[test]
    fn literals_made_owned_and_macros() {
        let src = r#"fn f(x: u32) -> bool { let a = vec![0; 8]; let b = vec![]; format!("{x}") == "a".to_string() }"#;
        let (covered, text) = hover(src, "\"a\"").unwrap();
        assert_eq!(covered, "\"a\".to_string()");
        assert!(text.contains("&'static str"), "{text}");
        assert!(hover(src, "vec![0").unwrap().1.contains("clones `x`"));
        assert!(hover(src, "vec![]")
            .unwrap()
            .1
            .contains("allocates nothing yet"));
        assert!(hover(src, "format").unwrap().1.contains("`write!(s, …)`"));
    }

    #[test]
    fn clone_collect_rc_and_cow() {
        let src = "use std::borrow::Cow; fn f(v: &[u8], r: std::rc::Rc<u8>) -> Cow<'static, str> { let c = v.clone(); let w: Vec<u8> = v.iter().copied().collect(); let s = std::rc::Rc::clone(&r); Cow::Borrowed(\"x\") }";
        assert!(hover(src, "clone()").unwrap().1.contains("clone_from"));
        assert!(hover(src, "collect").unwrap().1.contains("size hint"));
        assert!(hover(src, "Rc::clone")
            .unwrap()
            .1
            .contains("allocate nothing"));
        assert!(hover(src, "Borrowed").unwrap().1.contains("Cow::Borrowed"));
        assert!(hover(src, "Cow<").unwrap().1.contains("`to_mut()`"));
    }

    #[test]
    fn nothing_for_plain_code() {
        let src = "fn f(a: u32) -> u32 { let b = a + 1; b.max(2) }";
        assert!(hover(src, "a + 1").is_none());
        assert!(hover(src, "max").is_none());
    }
}
