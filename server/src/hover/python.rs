//! Python constructs that allocate: what each allocates, when, and the cheaper alternative.

use std::ops::Range;

use tree_sitter::Node;

use crate::rules::python::syntax::{is_constant, is_interpolated, is_str_literal, unparen};

const LIST: &str = "**List literal**: allocates a new list object and an array of item pointers every time it is evaluated. A list of constants used only for `in` is better written as a set literal, which CPython builds once as a `frozenset` constant.";
const DICT: &str = "**Dict literal**: allocates a new dict (a hash table with room to grow) every time it is evaluated. If only its keys matter, a set is smaller; if it never changes, hoist it to a module constant.";
const SET: &str = "**Set literal**: allocates a new hash table every time it is evaluated, except right after `in` with constant elements, where CPython folds it into one `frozenset` constant.";
const TUPLE_CONST: &str = "**Tuple of constants**: folded by the compiler into one constant object; evaluating it allocates nothing.";
const TUPLE: &str = "**Tuple**: allocates a new tuple of the evaluated elements each time (small tuples come from a free list, which makes this cheap but not free).";
const LIST_COMP: &str = "**List comprehension**: allocates the result list and grows it as items arrive (over-allocating and copying the item array from time to time). Faster than a loop of `.append` calls, which look the method up every iteration. If the result is only iterated once, a generator expression avoids building the list.";
const SET_COMP: &str = "**Set comprehension**: allocates the result set and rehashes it into a larger table as it grows.";
const DICT_COMP: &str =
    "**Dict comprehension**: allocates the result dict and resizes its table as it grows.";
const GENEXP: &str = "**Generator expression**: allocates a generator object and its frame once, then produces items one at a time without building a collection. Cheap to pass to `sum`, `any`, `all`, `\"\".join` (which makes a list of it anyway) or a `for` loop.";
const LIST_CALL: &str = "**`list(…)`**: allocates a new list and copies every item of the iterable into it (sized up front when the iterable knows its length). `list()` with no argument allocates an empty list; `[]` does the same without a name lookup and call.";
const DICT_CALL: &str = "**`dict(…)`**: allocates a new dict and inserts every pair (keyword arguments first build a dict of their own). `{}` or a dict literal does the same without a name lookup and call.";
const SET_CALL: &str = "**`set(…)`**: allocates a new hash table and hashes every item of the iterable into it. Worth it when the set is searched many times; for a single `in` test, scanning the original is cheaper.";
const TUPLE_CALL: &str = "**`tuple(…)`**: allocates a new tuple and copies every item into it (a tuple passed in is returned as is, without a copy).";
const SORTED_CALL: &str = "**`sorted(…)`**: allocates a new list holding every item, then sorts it. To sort a list you own in place, `lst.sort()` avoids the copy.";
const STR_CONCAT: &str = "**`+` on strings**: allocates a new string and copies both sides into it. Repeated in a loop this copies everything built so far on each step; collect the parts in a list and `\"\".join()` them once, or use an f-string for a fixed number of parts.";
const LIST_CONCAT: &str = "**`+` on lists**: allocates a new list and copies the items of both sides. To grow an existing list, `lst.extend(other)` or `lst += other` appends in place.";
const SLICE: &str = "**Slicing**: on a list, tuple, str or bytes, allocates a new object and copies the selected items or characters. `itertools.islice` iterates without copying, and a `memoryview` of bytes slices without copying.";
const FSTRING: &str = "**f-string**: builds a new str each time it is evaluated: each field is formatted into a temporary string, then all pieces are joined into the result. A constant string has no fields and allocates nothing.";

/// The explanation for `node`, if it is an allocating construct.
pub(super) fn explain(node: Node, src: &str) -> Option<(Range<usize>, String)> {
    let what = match node.kind() {
        "list" => LIST,
        "dictionary" => DICT,
        "set" => SET,
        "tuple" => {
            if is_constant(node) {
                TUPLE_CONST
            } else {
                TUPLE
            }
        }
        "list_comprehension" => LIST_COMP,
        "set_comprehension" => SET_COMP,
        "dictionary_comprehension" => DICT_COMP,
        "generator_expression" => GENEXP,
        "call" => {
            let f = node
                .child_by_field_name("function")
                .filter(|f| f.kind() == "identifier")?;
            match src.get(f.byte_range())? {
                "list" => LIST_CALL,
                "dict" => DICT_CALL,
                "set" => SET_CALL,
                "tuple" => TUPLE_CALL,
                "sorted" => SORTED_CALL,
                _ => return None,
            }
        }
        "binary_operator" | "augmented_assignment" => concat_kind(node, src)?,
        "subscript" => {
            let index = node.child_by_field_name("subscript")?;
            if index.kind() != "slice" {
                return None;
            }
            SLICE
        }
        "string" if is_interpolated(node) => FSTRING,
        _ => return None,
    };
    Some((node.byte_range(), what.to_owned()))
}

/// `+` / `+=` whose operands show it works on strings or lists.
fn concat_kind(node: Node, src: &str) -> Option<&'static str> {
    let op = node.child_by_field_name("operator")?;
    if !matches!(op.kind(), "+" | "+=") {
        return None;
    }
    let sides = [
        node.child_by_field_name("left")?,
        node.child_by_field_name("right")?,
    ];
    if sides.iter().any(|s| is_str_literal(*s, src)) {
        Some(STR_CONCAT)
    } else if sides
        .iter()
        .any(|s| matches!(unparen(*s).kind(), "list" | "list_comprehension"))
    {
        Some(LIST_CONCAT)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use crate::document::{parse_str, DEFAULT_PARSE_BUDGET};
    use crate::hover::construct_at;
    use crate::language::Lang;

    /// The hover at the first `|` in `marked` (the marker removed): its range text and title.
    fn hover(marked: &str) -> Option<(String, String)> {
        let at = marked.find('|').unwrap();
        let src = marked.replacen('|', "", 1);
        let tree = parse_str(Lang::Python, &src, DEFAULT_PARSE_BUDGET).unwrap();
        let h = construct_at(Lang::Python, &src, &tree, at)?;
        let title = h.markdown.split("**").nth(1).unwrap_or("").to_owned();
        Some((src[h.range].to_owned(), title))
    }

    #[test]
    fn literals_and_comprehensions() {
        assert_eq!(
            hover("x = [a, |b]\n"),
            Some(("[a, b]".into(), "List literal".into()))
        );
        assert_eq!(
            hover("x = {|1: 2}\n"),
            Some(("{1: 2}".into(), "Dict literal".into()))
        );
        assert_eq!(
            hover("x = {|1, 2}\n"),
            Some(("{1, 2}".into(), "Set literal".into()))
        );
        assert_eq!(
            hover("x = (|1, 'a')\n"),
            Some(("(1, 'a')".into(), "Tuple of constants".into()))
        );
        assert_eq!(
            hover("x = [y |for y in z]\n"),
            Some(("[y for y in z]".into(), "List comprehension".into()))
        );
        assert_eq!(
            hover("x = sum(y |for y in z)\n").map(|h| h.1),
            Some("Generator expression".into())
        );
    }

    #[test]
    fn calls_concatenation_slices_fstrings() {
        assert_eq!(
            hover("x = li|st(y)\n"),
            Some(("list(y)".into(), "`list(…)`".into()))
        );
        assert_eq!(
            hover("x = |dict(a=1)\n"),
            Some(("dict(a=1)".into(), "`dict(…)`".into()))
        );
        assert_eq!(
            hover("x = name |+ '!'\n"),
            Some(("name + '!'".into(), "`+` on strings".into()))
        );
        assert_eq!(
            hover("x = a |+ [1]\n"),
            Some(("a + [1]".into(), "`+` on lists".into()))
        );
        assert_eq!(
            hover("s |+= 'x'\n"),
            Some(("s += 'x'".into(), "`+` on strings".into()))
        );
        assert_eq!(
            hover("x = data[|1:]\n"),
            Some(("data[1:]".into(), "Slicing".into()))
        );
        assert_eq!(
            hover("x = f'{|a}!'\n"),
            Some(("f'{a}!'".into(), "f-string".into()))
        );
    }

    #[test]
    fn nothing_for_plain_values() {
        assert_eq!(hover("x = a |+ b\n"), None);
        assert_eq!(hover("x = data[|1]\n"), None);
        assert_eq!(hover("x = '|plain'\n"), None);
        assert_eq!(hover("x = |len(y)\n"), None);
    }
}
