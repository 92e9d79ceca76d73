//! `js/chained-array-methods`: `a.map(f).filter(g)` and friends allocate an intermediate array
//! per step; `.filter(g).length` builds an array only to count it.

use tree_sitter::Node;

use crate::engine::{Ctx, Edit, Fix};
use crate::language::Lang;
use crate::rules::js::syntax::{
    elements, is_function_like, is_optional_member, method_call, name_taken, unparen,
};
use crate::rules::{DefaultSeverity, FixAvailability, Rule, RuleMeta};

pub static CHAINED_ARRAY_METHODS: Rule = Rule {
    meta: RuleMeta {
        id: "js/chained-array-methods",
        family: Some(crate::language::Family::Js),
        summary: "`a.map(f).filter(g)` builds an intermediate array per step: do it in one pass",
        default: DefaultSeverity::ByLoopDepth,
        hot_only: false,
        fix: FixAvailability::Sometimes,
    },
    kinds: &["call_expression", "member_expression"],
    check: chained_array_methods,
};

/// A call that is a link of a chain: `recv.m(args)` with `m` one of the array methods, except
/// `.slice()` with no arguments (a copy, on purpose).
fn link<'t>(call: Node<'t>, src: &'t str) -> Option<(Node<'t>, &'t str)> {
    let (recv, name, args) = method_call(unparen(call), src)?;
    if !matches!(name, "map" | "filter" | "reduce" | "flatMap" | "slice") {
        return None;
    }
    if name == "slice" && elements(args).next().is_none() {
        return None;
    }
    if call
        .child_by_field_name("function")
        .is_some_and(is_optional_member)
    {
        return None;
    }
    Some((unparen(recv), name))
}

/// Links that return a new array (the intermediate).
fn produces_array(name: &str) -> bool {
    matches!(name, "map" | "filter" | "flatMap" | "slice")
}

/// Receivers that are known not to be arrays: lazy wrappers (`_(x)`, `_.chain`, Immutable,
/// jQuery, RxJS-style `$`-suffixed streams).
fn non_array_root(root: Node, src: &str) -> bool {
    let text = &src[root.byte_range()];
    if text.contains(".pipe(") || text.contains("chain(") {
        return true;
    }
    let callee = match root.kind() {
        "call_expression" => root
            .child_by_field_name("function")
            .map(|f| &src[f.byte_range()]),
        "identifier" => {
            return text.ends_with('$') && text.len() > 1;
        }
        "member_expression" => {
            return root
                .child_by_field_name("property")
                .is_some_and(|p| src[p.byte_range()].ends_with('$'));
        }
        _ => None,
    };
    matches!(
        callee,
        Some(
            "$" | "jQuery"
                | "_"
                | "lodash"
                | "Immutable"
                | "Seq"
                | "List"
                | "fromJS"
                | "cheerio"
                | "$$"
        )
    ) || callee
        .is_some_and(|c| c.starts_with("Immutable.") || c.starts_with("Seq.") || c.ends_with(".$"))
}

/// The declared TS type of an identifier, from a parameter or `let`/`const` in an enclosing
/// function or the program: `Some(true)` for array types, `Some(false)` for others.
fn declared_array(ident: Node, src: &str) -> Option<bool> {
    let name = &src[ident.byte_range()];
    let mut scope = ident.parent();
    while let Some(s) = scope {
        if is_function_like(s.kind()) || s.kind() == "program" {
            if s.kind() == "program" {
                // Scanning the whole program reads other items.
                crate::engine::mark_file_dependent();
            }
            let mut stack = vec![s];
            while let Some(n) = stack.pop() {
                let (id, ty) = match n.kind() {
                    "required_parameter" | "optional_parameter" => (
                        n.child_by_field_name("pattern"),
                        n.child_by_field_name("type"),
                    ),
                    "variable_declarator" => {
                        (n.child_by_field_name("name"), n.child_by_field_name("type"))
                    }
                    _ => (None, None),
                };
                if let (Some(id), Some(ty)) = (id, ty) {
                    if id.kind() == "identifier" && &src[id.byte_range()] == name {
                        let t = ty.named_child(0)?;
                        let text = &src[t.byte_range()];
                        return Some(
                            matches!(t.kind(), "array_type" | "tuple_type")
                                || text.starts_with("Array<")
                                || text.starts_with("ReadonlyArray<")
                                || (t.kind() == "readonly_type" && text.ends_with(']')),
                        );
                    }
                }
                if n != s && is_function_like(n.kind()) {
                    continue;
                }
                let mut c = n.walk();
                stack.extend(n.named_children(&mut c));
            }
        }
        scope = s.parent();
    }
    None
}

pub(crate) fn chained_array_methods(node: Node, cx: &mut Ctx) {
    let src = cx.src();
    // The outermost link only: a node that is itself the receiver of a further link (or of a
    // `.length` that makes a `filter` chain) is reported from there.
    // Cheap checks first: most calls and member expressions are not array-method links.
    let self_is_link = match node.kind() {
        "member_expression" => node
            .child_by_field_name("property")
            .is_some_and(|q| &src[q.byte_range()] == "length"),
        _ => link(node, src).is_some(),
    };
    if !self_is_link {
        return;
    }
    let frames = cx.ancestor_frames();
    let mut up = frames.iter().rev().map(|f| f.node);
    if let Some(p) = up.next() {
        let as_receiver =
            p.kind() == "member_expression" && p.child_by_field_name("object") == Some(node);
        if as_receiver {
            if let Some(outer) = up.next().filter(|c| {
                c.kind() == "call_expression" && c.child_by_field_name("function") == Some(p)
            }) {
                if link(outer, src).is_some() {
                    return;
                }
            }
            let is_len = p
                .child_by_field_name("property")
                .is_some_and(|q| &src[q.byte_range()] == "length");
            if is_len && link(node, src).is_some_and(|(_, m)| m == "filter") {
                return;
            }
        }
    }
    let (names, root, is_len) = match node.kind() {
        "member_expression" => {
            let is_length = node
                .child_by_field_name("property")
                .is_some_and(|q| &src[q.byte_range()] == "length");
            if !is_length || is_optional_member(node) {
                return;
            }
            let Some(obj) = node.child_by_field_name("object").map(unparen) else {
                return;
            };
            let Some((_, "filter")) = link(obj, src) else {
                return;
            };
            let (mut names, root) = chain(obj, src);
            names.push("length");
            (names, root, true)
        }
        _ => {
            let (names, root) = chain(node, src);
            (names, root, false)
        }
    };
    if names.len() < 2 || !names.iter().any(|n| *n != "slice" && *n != "length") {
        return;
    }
    if non_array_root(root, src) {
        return;
    }
    if cx.lang() != Lang::JavaScript
        && root.kind() == "identifier"
        && declared_array(root, src) == Some(false)
    {
        return;
    }
    let shown: Vec<String> = names
        .iter()
        .map(|n| {
            if *n == "length" {
                ".length".to_owned()
            } else {
                format!(".{n}(…)")
            }
        })
        .collect();
    let chain_text = shown.join("");
    let (message, fix) = if is_len {
        (
            format!("`{chain_text}` builds a filtered array only to count it; a counting `reduce` (or a loop) allocates nothing"),
            count_fix(node, cx),
        )
    } else {
        (
            format!("`{chain_text}` allocates an intermediate array at each step; one loop (or a single `reduce`/`flatMap`) does the work in one pass"),
            None,
        )
    };
    cx.report(node.byte_range(), message).fix = fix;
}

/// The link names from the first array-producing link to this call, and the receiver of that
/// first link (the chain's root): `a.reduce(f, []).map(g).filter(h)` is `[map, filter]` on
/// `a.reduce(f, [])`.
fn chain<'t>(call: Node<'t>, src: &'t str) -> (Vec<&'t str>, Node<'t>) {
    let mut links: Vec<(&str, Node)> = Vec::new();
    let mut n = call;
    while let Some((recv, name)) = link(n, src) {
        links.push((name, recv));
        n = recv;
    }
    // `links` runs outermost → innermost; keep everything after the last non-producer (seen
    // from the inside, the chain starts at the first producer).
    let mut root = n;
    while let Some((name, _)) = links.last() {
        if produces_array(name) {
            break;
        }
        links.pop();
    }
    if let Some((_, recv)) = links.last() {
        root = *recv;
    }
    let names = links.iter().rev().map(|(name, _)| *name).collect();
    (names, root)
}

/// `xs.filter(g).length` → `xs.reduce((n, x) => (g(x) ? n + 1 : n), 0)`.
fn count_fix(member: Node, cx: &Ctx) -> Option<Fix> {
    let src = cx.src();
    let call = unparen(member.child_by_field_name("object")?);
    let (recv, _, args) = method_call(call, src)?;
    let mut list = elements(args);
    let (Some(pred), None) = (list.next(), list.next()) else {
        return None;
    };
    let acc = ["n", "count", "acc", "total"]
        .into_iter()
        .find(|a| !name_taken(member, a, src))?;
    let ts = cx.lang() != Lang::JavaScript;
    let (params, test) = match pred.kind() {
        "identifier" if &src[pred.byte_range()] == "Boolean" => {
            let x = ["x", "item", "el"]
                .into_iter()
                .find(|a| !name_taken(member, a, src))?;
            (x.to_owned(), x.to_owned())
        }
        "identifier" if !ts => {
            let [x, i, a] = [
                ["x", "item", "el"],
                ["i", "index", "idx"],
                ["arr", "array", "list"],
            ]
            .map(|cands| cands.into_iter().find(|c| !name_taken(member, c, src)));
            let (x, i, a) = (x?, i?, a?);
            (
                format!("{x}, {i}, {a}"),
                format!("{}({x}, {i}, {a})", &src[pred.byte_range()]),
            )
        }
        "arrow_function" => {
            let mut c = pred.walk();
            if pred.children(&mut c).any(|t| t.kind() == "async")
                || pred.child_by_field_name("type_parameters").is_some()
            {
                return None;
            }
            let body = pred.child_by_field_name("body")?;
            if body.kind() == "statement_block" {
                return None;
            }
            let params = if let Some(p) = pred.child_by_field_name("parameter") {
                src[p.byte_range()].to_owned()
            } else {
                let ps = pred.child_by_field_name("parameters")?;
                for p in elements(ps) {
                    let simple = match p.kind() {
                        "identifier" => true,
                        "required_parameter" => {
                            p.child_by_field_name("value").is_none()
                                && p.child_by_field_name("pattern")
                                    .is_some_and(|i| i.kind() == "identifier")
                        }
                        _ => false,
                    };
                    if !simple {
                        return None;
                    }
                }
                let t = &src[ps.byte_range()];
                t[1..t.len() - 1].trim().trim_end_matches(',').to_owned()
            };
            let b = &src[body.byte_range()];
            let simple = matches!(
                body.kind(),
                "parenthesized_expression"
                    | "identifier"
                    | "member_expression"
                    | "call_expression"
                    | "subscript_expression"
                    | "true"
                    | "false"
            );
            let test = if simple {
                b.to_owned()
            } else {
                format!("({b})")
            };
            (params, test)
        }
        _ => return None,
    };
    // In TS the accumulator is typed, so `reduce` resolves to its generic overload
    // (`reduce<U>(…, initial: U)`) rather than the one whose accumulator is the element type.
    let acc_param = if ts {
        format!("{acc}: number")
    } else {
        acc.to_owned()
    };
    let params = if params.is_empty() {
        acc_param
    } else {
        format!("{acc_param}, {params}")
    };
    let text = format!(
        "{}.reduce(({params}) => ({test} ? {acc} + 1 : {acc}), 0)",
        &src[recv.byte_range()]
    );
    Some(Fix::safe(
        "Count with `reduce` instead of filtering",
        vec![Edit::replace(member.byte_range(), text)],
    ))
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::check;

    #[test]
    fn chains_and_counts() {
        let out = check("x.js", "const a = xs.map(f).filter(g);\nconst b = xs.map(f).filter(g).reduce(h, 0);\nconst c = xs.filter((x) => x > 1).length;\nconst d = xs.filter(Boolean).length;\n");
        assert_eq!(out.ids(), ["js/chained-array-methods"; 4]);
        assert!(
            out.fixed
                .contains("const c = xs.reduce((n, x) => ((x > 1) ? n + 1 : n), 0);"),
            "{}",
            out.fixed
        );
        assert!(
            out.fixed
                .contains("const d = xs.reduce((n, x) => (x ? n + 1 : n), 0);"),
            "{}",
            out.fixed
        );
    }

    #[test]
    fn single_calls_copies_and_wrappers_are_quiet() {
        for src in [
            "xs.map(f);",
            "xs.slice().sort();",
            "xs.slice().map(f);",
            "s.slice(1).slice(2);",
            "_(xs).map(f).filter(g).value();",
            "_.chain(xs).map(f).filter(g).value();",
            "$('.a').filter(f).length;",
            "items$.map(f).filter(g);",
            "xs.reduce(f, []).map(g);",
            "xs?.filter(g).length;",
        ] {
            assert!(check("x.js", src).ids().is_empty(), "{src}");
        }
    }

    #[test]
    fn typescript_non_array_receivers_are_quiet() {
        let out = check("x.ts", "declare class Stream<T> { map(f: (x: T) => T): Stream<T>; filter(f: (x: T) => boolean): Stream<T>; }\nfunction f(s: Stream<number>, a: number[]) { s.map((x) => x).filter((x) => x > 0); return a.map((x) => x).filter((x) => x > 0); }\n");
        assert_eq!(out.ids(), ["js/chained-array-methods"]);
    }
}
