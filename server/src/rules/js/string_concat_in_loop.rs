//! `js/string-concat-in-loop` (hot): `s += piece` in a loop allocates a new string (a rope
//! node, later flattened by copying) every iteration.

use tree_sitter::Node;

use crate::engine::{Ctx, Edit, Fix};
use crate::language::Lang;
use crate::rules::js::syntax::{
    find_declaration, is_function_like, line_indent, mentions, name_taken, unparen,
};
use crate::rules::{DefaultSeverity, FixAvailability, Rule, RuleMeta};

pub static STRING_CONCAT_IN_LOOP: Rule = Rule {
    meta: RuleMeta {
        id: "js/string-concat-in-loop",
        family: Some(crate::language::Family::Js),
        summary:
            "`s += …` in a loop allocates a new string per iteration: collect parts and `join('')`",
        default: DefaultSeverity::ByLoopDepth,
        hot_only: true,
        fix: FixAvailability::Unsafe,
    },
    kinds: &["augmented_assignment_expression", "assignment_expression"],
    check: string_concat_in_loop,
};

/// Iteration methods whose callbacks run during the call (so a rewrite inside them is still
/// before the `join`).
const SYNC_CALLBACKS: &[&str] = &[
    "forEach",
    "map",
    "filter",
    "reduce",
    "reduceRight",
    "some",
    "every",
    "flatMap",
    "find",
    "findIndex",
];

/// `s += x` → (s, [x]); `s = s + a + b` → (s, [a, b]).
fn concat<'t>(node: Node<'t>, src: &str) -> Option<(Node<'t>, Vec<Node<'t>>)> {
    let left = node.child_by_field_name("left")?;
    if left.kind() != "identifier" {
        return None;
    }
    let right = node.child_by_field_name("right")?;
    let name = &src[left.byte_range()];
    match node.kind() {
        "augmented_assignment_expression" => {
            if node.child_by_field_name("operator")?.kind() != "+=" {
                return None;
            }
            Some((left, vec![right]))
        }
        _ => {
            // Walk down the left spine of `+`: ((s + a) + b) + c.
            let mut parts = Vec::new();
            let mut n = right;
            loop {
                if n.kind() != "binary_expression"
                    || n.child_by_field_name("operator")?.kind() != "+"
                {
                    return None;
                }
                parts.push(n.child_by_field_name("right")?);
                let l = n.child_by_field_name("left")?;
                if l.kind() == "identifier" && &src[l.byte_range()] == name {
                    break;
                }
                n = l;
            }
            parts.reverse();
            Some((left, parts))
        }
    }
}

fn is_string_init(value: Node) -> bool {
    matches!(unparen(value).kind(), "string" | "template_string")
}

pub(crate) fn string_concat_in_loop(node: Node, cx: &mut Ctx) {
    let src = cx.src();
    let Some((target, _)) = concat(node, src) else {
        return;
    };
    let name = &src[target.byte_range()];
    let Some(lp) = cx.enclosing_loop() else {
        return;
    };
    let Some((block, decl)) = find_declaration(node, name, src) else {
        return;
    };
    if !decl
        .child_by_field_name("value")
        .is_some_and(is_string_init)
    {
        return; // a number, or unknown
    }
    // Declared outside the loop: the string grows across iterations.
    if !(block.start_byte() <= lp.start_byte() && lp.end_byte() <= block.end_byte()) || block == lp
    {
        return;
    }
    let fix = parts_fix(node, name, block, decl, cx);
    cx.report(
        node.byte_range(),
        format!("`{name}` grows by concatenation in a loop: every iteration allocates a new string (a rope node that is later flattened by copying, and copied again whenever the loop reads it); push the pieces into an array and `join('')` once"),
    )
    .fix = fix;
}

/// Rewrites the loop statement that holds the concatenations: a parts array before it,
/// `parts.push(…)` for each `+=`, `s += parts.join('')` after it.
fn parts_fix(node: Node, name: &str, block: Node, decl: Node, cx: &Ctx) -> Option<Fix> {
    let src = cx.src();
    let declaration = decl.parent()?;
    let mut c = declaration.walk();
    if declaration.children(&mut c).any(|t| t.kind() == "const") {
        return None;
    }
    // The statement of `block` that contains the concatenation.
    let mut stmt = node;
    while stmt.parent()? != block {
        stmt = stmt.parent()?;
    }
    let is_loop = |k: &str| {
        matches!(
            k,
            "for_statement" | "for_in_statement" | "while_statement" | "do_statement"
        )
    };
    let inner = if stmt.kind() == "labeled_statement" {
        stmt.child_by_field_name("body")?
    } else {
        stmt
    };
    if !is_loop(inner.kind()) && inner.kind() != "expression_statement" {
        return None;
    }
    // Every mention of `name` in the statement must be a concatenation statement we rewrite,
    // reached synchronously, and the statement must not leave early.
    let mut rewrites: Vec<(Node, Vec<Node>)> = Vec::new();
    let mut stack = vec![stmt];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "return_statement" | "throw_statement" | "yield_expression" | "await_expression" => {
                return None
            }
            k if is_function_like(k) => {
                let sync_callback = n
                    .parent()
                    .filter(|a| a.kind() == "arguments")
                    .and_then(|a| a.parent())
                    .and_then(|call| call.child_by_field_name("function"))
                    .and_then(|f| f.child_by_field_name("property"))
                    .is_some_and(|p| SYNC_CALLBACKS.contains(&&src[p.byte_range()]));
                if !sync_callback && mentions(n, name, src) {
                    return None;
                }
            }
            "expression_statement" => {
                if let Some(e) = n.named_child(0).filter(|e| {
                    matches!(
                        e.kind(),
                        "augmented_assignment_expression" | "assignment_expression"
                    )
                }) {
                    if let Some((t, parts)) = concat(e, src) {
                        if &src[t.byte_range()] == name
                            && !parts.iter().any(|p| mentions(*p, name, src))
                        {
                            rewrites.push((e, parts));
                            continue;
                        }
                    }
                }
            }
            "identifier" if &src[n.byte_range()] == name => return None,
            _ => {}
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    if rewrites.is_empty() {
        return None;
    }
    // Closures elsewhere in the scope could read `name` while the loop runs.
    let scope = {
        let mut s = block;
        while let Some(p) = s.parent().filter(|_| !is_function_like(s.kind())) {
            s = p;
        }
        if s.parent().is_none() {
            // The program: its other statements belong to other items.
            crate::engine::mark_file_dependent();
        }
        s
    };
    let mut stack = vec![scope];
    while let Some(n) = stack.pop() {
        if n == stmt {
            continue;
        }
        if n != scope && is_function_like(n.kind()) && mentions(n, name, src) {
            return None;
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    let parts_name = [
        format!("{name}Parts"),
        format!("{name}Pieces"),
        format!("{name}Chunks"),
    ]
    .into_iter()
    .find(|p| !name_taken(scope, p, src))?;
    let indent = line_indent(src, stmt.start_byte());
    let ty = if cx.lang() != Lang::JavaScript {
        ": unknown[]"
    } else {
        ""
    };
    let mut edits = vec![
        Edit::insert(
            stmt.start_byte(),
            format!("const {parts_name}{ty} = [];\n{indent}"),
        ),
        Edit::insert(
            stmt.end_byte(),
            format!("\n{indent}{name} += {parts_name}.join('');"),
        ),
    ];
    for (e, parts) in rewrites {
        let args: Vec<&str> = parts.iter().map(|p| &src[p.byte_range()]).collect();
        edits.push(Edit::replace(
            e.byte_range(),
            format!("{parts_name}.push({})", args.join(", ")),
        ));
    }
    Some(Fix::unsafe_(
        "Collect the pieces in an array and join once",
        edits,
    ))
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::check;

    #[test]
    fn fires_and_rewrites() {
        let out = check("x.js", "function f(xs) {\n  let s = '';\n  for (const x of xs) {\n    s += x;\n    s = s + ',' + x;\n  }\n  return s;\n}\n");
        assert_eq!(out.ids(), ["js/string-concat-in-loop"; 2]);
        assert_eq!(
            out.fixed,
            "function f(xs) {\n  let s = '';\n  const sParts = [];\n  for (const x of xs) {\n    sParts.push(x);\n    sParts.push(',', x);\n  }\n  s += sParts.join('');\n  return s;\n}\n"
        );
    }

    #[test]
    fn numbers_and_fresh_strings_are_quiet() {
        for src in [
            "let n = 0; for (const x of xs) { n += x; }",
            "for (const x of xs) { let s = ''; s += x; use(s); }",
            "function f(s) { for (const x of xs) { s += x; } }",
            "let s = ''; s += 'a';",
        ] {
            assert!(check("x.js", src).ids().is_empty(), "{src}");
        }
    }

    #[test]
    fn reads_in_the_loop_block_the_fix() {
        let out = check(
            "x.ts",
            "let s = `a`;\nwhile (s.length < 10) {\n  s += 'b';\n}\n",
        );
        assert_eq!(out.ids(), ["js/string-concat-in-loop"]);
        assert!(out.findings[0].fix.is_none());
        let out = check(
            "x.ts",
            "let s = '';\nitems.forEach((i) => {\n  s += i;\n});\n",
        );
        assert_eq!(out.fixed, "let s = '';\nconst sParts: unknown[] = [];\nitems.forEach((i) => {\n  sParts.push(i);\n});\ns += sParts.join('');\n");
    }
}
