//! JavaScript/TypeScript constructs that allocate: what a hover says about them.

use std::ops::Range;

use tree_sitter::Node;

use crate::rules::js::syntax::{elements, is_smi, number_value, unparen};

pub(super) fn explain(node: Node, src: &str) -> Option<(Range<usize>, String)> {
    let text = match node.kind() {
        "array" => array_literal(node, src),
        "object" => object_literal(node),
        "new_expression" | "call_expression" => call(node, src)?,
        "arrow_function" | "function_expression" | "function" | "generator_function" => closure(node),
        "spread_element" => spread(node)?,
        "rest_pattern" if node.parent().is_some_and(|p| matches!(p.kind(), "formal_parameters" | "required_parameter")) => {
            "**Rest parameter** allocates a new array of the remaining arguments on every call (an empty one when there are none). It is a plain PACKED array, unlike the `arguments` object.".to_owned()
        }
        "template_string" => template(node)?,
        _ => return None,
    };
    Some((node.byte_range(), text))
}

/// The elements kind a literal starts with, from its literal elements (`None` when some
/// element's kind is unknown).
fn literal_kind(array: Node, src: &str) -> (Option<&'static str>, bool) {
    let mut holey = false;
    let mut after_sep = true;
    let mut c = array.walk();
    for t in array.children(&mut c) {
        match t.kind() {
            "," if after_sep => holey = true,
            "," | "[" => after_sep = true,
            "]" | "comment" => {}
            _ => after_sep = false,
        }
    }
    let mut kind = 0; // 0 SMI, 1 DOUBLE, 2 ELEMENTS
    let mut known = true;
    for e in elements(array) {
        let e = unparen(e);
        let k = match e.kind() {
            "number" => match number_value(&src[e.byte_range()]) {
                Some(v) if is_smi(v) => 0,
                Some(_) => 1,
                None => 2,
            },
            "unary_expression"
                if e.child_by_field_name("argument")
                    .is_some_and(|a| a.kind() == "number") =>
            {
                match e
                    .child_by_field_name("argument")
                    .and_then(|a| number_value(&src[a.byte_range()]))
                {
                    Some(v) if v != 0.0 && is_smi(-v) => 0,
                    _ => 1,
                }
            }
            "string"
            | "template_string"
            | "object"
            | "array"
            | "true"
            | "false"
            | "null"
            | "arrow_function"
            | "function_expression"
            | "regex" => 2,
            _ => {
                known = false;
                continue;
            }
        };
        kind = kind.max(k);
    }
    let name = match (known || kind == 2, kind, holey) {
        (false, _, _) => None,
        (true, 0, false) => Some("PACKED_SMI_ELEMENTS"),
        (true, 0, true) => Some("HOLEY_SMI_ELEMENTS"),
        (true, 1, false) => Some("PACKED_DOUBLE_ELEMENTS"),
        (true, 1, true) => Some("HOLEY_DOUBLE_ELEMENTS"),
        (true, _, false) => Some("PACKED_ELEMENTS"),
        (true, _, true) => Some("HOLEY_ELEMENTS"),
    };
    (name, holey)
}

fn array_literal(node: Node, src: &str) -> String {
    let n = elements(node).count();
    let (kind, holey) = literal_kind(node, src);
    let mut s = format!(
        "**Array literal** ({n} element{}) allocates a new array and its backing store every time it is evaluated; V8 copies it from a boilerplate made on the first runs.",
        if n == 1 { "" } else { "s" }
    );
    match kind {
        Some(k) => s.push_str(&format!(" It starts as `{k}`, and its elements kind can only widen (SMI → DOUBLE → ELEMENTS, PACKED → HOLEY).")),
        None => s.push_str(" Its elements kind (SMI, DOUBLE or ELEMENTS) follows from the values and can only widen."),
    }
    if holey {
        s.push_str(" The holes make it HOLEY for good: reads check for a hole and may consult the prototype chain.");
    }
    s
}

fn object_literal(node: Node) -> String {
    let mut props = 0;
    let mut dynamic = false;
    for p in elements(node) {
        match p.kind() {
            "spread_element" => dynamic = true,
            "pair"
                if p.child_by_field_name("key")
                    .is_some_and(|k| k.kind() == "computed_property_name") =>
            {
                dynamic = true;
                props += 1;
            }
            _ => props += 1,
        }
    }
    let mut s = format!(
        "**Object literal** ({props} propert{}) allocates a new object every time it is evaluated, with room for its properties inside the object. Objects from the same literal share one hidden class; adding properties later, deleting them, or writing the same keys in another order elsewhere makes more hidden classes and slower property access.",
        if props == 1 { "y" } else { "ies" }
    );
    if dynamic {
        s.push_str(" Spread and computed keys are added one by one while the object is built, so its hidden class depends on the values at run time.");
    }
    s
}

fn call(node: Node, src: &str) -> Option<String> {
    let callee = node.child_by_field_name(if node.kind() == "new_expression" {
        "constructor"
    } else {
        "function"
    })?;
    let name = &src[callee.byte_range()];
    let args = node.child_by_field_name("arguments");
    let count = args.map_or(0, |a| elements(a).count());
    Some(match name {
        "Array" => {
            if count == 1 {
                "**`new Array(n)`** allocates a backing store for `n` elements and fills it with holes: the array is HOLEY from the start and stays so after it is filled, so every read checks for a hole. `Array.from({ length: n }, () => value)` or pushing onto `[]` builds a PACKED array.".to_owned()
            } else {
                "**`new Array(…)`** with zero or several arguments allocates the same array as the literal `[…]`, through a slower constructor call.".to_owned()
            }
        }
        "JSON.parse" => "**`JSON.parse`** allocates every object, array and string of the text at once, and parses the text again on every call. For large constant data loaded once it is faster than a JavaScript literal; for data needed repeatedly, parse once and reuse the result.".to_owned(),
        "Map" | "Set" | "WeakMap" | "WeakSet" if node.kind() == "new_expression" => format!(
            "**`new {name}`** allocates the collection and a hash table that grows (and is copied) as entries are added."
        ),
        _ => return None,
    })
}

fn closure(node: Node) -> String {
    let kind = match node.kind() {
        "arrow_function" => "Arrow function",
        "generator_function" => "Generator function expression",
        _ => "Function expression",
    };
    let in_loop = {
        let mut n = node.parent();
        let mut hot = false;
        while let Some(p) = n {
            if matches!(
                p.kind(),
                "for_statement" | "for_in_statement" | "while_statement" | "do_statement"
            ) {
                hot = true;
                break;
            }
            if matches!(
                p.kind(),
                "function_declaration" | "method_definition" | "class_body"
            ) {
                break;
            }
            n = p.parent();
        }
        hot
    };
    let mut s = format!(
        "**{kind}** allocates a new function object each time it is evaluated, plus a context object for the variables it captures from enclosing scopes."
    );
    if in_loop {
        s.push_str(" It sits in a loop, so that happens on every iteration: create it once before the loop if it uses nothing from the iteration.");
    }
    s
}

fn spread(node: Node) -> Option<String> {
    let parent = node.parent()?;
    Some(match parent.kind() {
        "array" => "**Spread into an array** iterates the value and copies every element into the new array, which grows as it goes (for a plain array V8 can copy in bulk).".to_owned(),
        "object" => "**Object spread** copies the source's own enumerable properties into the new object one by one; the result's hidden class is built key by key, and large or varied sources can push it into dictionary mode.".to_owned(),
        "arguments" => "**Spread arguments** iterate the value to pass its elements as arguments; for anything but a plain array that means an iterator object and its results.".to_owned(),
        _ => return None,
    })
}

fn template(node: Node) -> Option<String> {
    if node.parent().is_some_and(|p| p.kind() == "call_expression") {
        return Some("**Tagged template**: the strings array is created once per call site and cached; the tag function is called with the substitutions on every evaluation.".to_owned());
    }
    let mut c = node.walk();
    let subs = node
        .named_children(&mut c)
        .filter(|n| n.kind() == "template_substitution")
        .count();
    if subs == 0 {
        return Some("**Template literal** without substitutions is a constant string: evaluating it allocates nothing.".to_owned());
    }
    Some(format!(
        "**Template literal** with {subs} substitution{} builds a new string every time it is evaluated: each value is converted to a string and the pieces are concatenated (into a flat string, or a rope for long results).",
        if subs == 1 { "" } else { "s" }
    ))
}

#[cfg(test)]
mod tests {
    use crate::document::{parse_str, DEFAULT_PARSE_BUDGET};
    use crate::hover::construct_at;
    use crate::language::Lang;

    fn hover(lang: Lang, src: &str, at: &str) -> Option<String> {
        let tree = parse_str(lang, src, DEFAULT_PARSE_BUDGET).unwrap();
        let byte = src.find(at).expect("marker in source");
        construct_at(lang, src, &tree, byte).map(|h| h.markdown)
    }

    #[test]
    fn literals_name_their_elements_kind() {
        let src = "const a = [1, 2, 3]; const b = [1, 2.5]; const c = [1, , 3]; const d = ['x', 1]; const o = { x: 1, ...r };";
        assert!(hover(Lang::JavaScript, src, "1, 2, 3")
            .unwrap()
            .contains("`PACKED_SMI_ELEMENTS`"));
        assert!(hover(Lang::JavaScript, src, "2.5")
            .unwrap()
            .contains("`PACKED_DOUBLE_ELEMENTS`"));
        assert!(hover(Lang::JavaScript, src, "1, , 3")
            .unwrap()
            .contains("`HOLEY_SMI_ELEMENTS`"));
        assert!(hover(Lang::TypeScript, src, "'x', 1")
            .unwrap()
            .contains("`PACKED_ELEMENTS`"));
        let obj = hover(Lang::JavaScript, src, "x: 1").unwrap();
        assert!(
            obj.contains("Object literal") && obj.contains("Spread"),
            "{obj}"
        );
    }

    #[test]
    fn constructors_closures_templates_spread_and_json() {
        let src = "const h = new Array(8); for (const x of xs) { run(() => x); }\nconst t = `a${b}c`; const u = `plain`; f(...args); const j = JSON.parse(s); function g(...rest) {}";
        assert!(hover(Lang::JavaScript, src, "Array(8)")
            .unwrap()
            .contains("HOLEY"));
        let arrow = hover(Lang::JavaScript, src, "=> x").unwrap();
        assert!(
            arrow.contains("Arrow function") && arrow.contains("every iteration"),
            "{arrow}"
        );
        assert!(hover(Lang::JavaScript, src, "a${b}")
            .unwrap()
            .contains("1 substitution"));
        assert!(hover(Lang::JavaScript, src, "plain")
            .unwrap()
            .contains("allocates nothing"));
        assert!(hover(Lang::JavaScript, src, "...args")
            .unwrap()
            .contains("Spread arguments"));
        assert!(hover(Lang::Tsx, src, "parse(s)")
            .unwrap()
            .contains("`JSON.parse`"));
        assert!(hover(Lang::JavaScript, src, "...rest")
            .unwrap()
            .contains("Rest parameter"));
    }

    #[test]
    fn nothing_for_plain_code() {
        assert_eq!(hover(Lang::JavaScript, "let x = a + b;", "a + b"), None);
        assert_eq!(
            hover(Lang::TypeScript, "type T = [1, 2.5];", "1, 2.5"),
            None
        );
    }
}
