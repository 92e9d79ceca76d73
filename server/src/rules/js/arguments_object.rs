//! `js/arguments-object`: reading `arguments` makes the function materialize an arguments
//! object (a mapped, aliasing one in sloppy functions with parameters); a rest parameter is a
//! plain array.

use tree_sitter::Node;

use crate::engine::{Ctx, Edit, Fix};
use crate::language::Lang;
use crate::rules::js::syntax::{
    elements, is_class, is_non_arrow_function, line_indent, name_taken,
};
use crate::rules::{DefaultSeverity, FixAvailability, Rule, RuleMeta};

pub static ARGUMENTS_OBJECT: Rule = Rule {
    meta: RuleMeta {
        id: "js/arguments-object",
        family: Some(crate::language::Family::Js),
        summary: "Reading `arguments` materializes an arguments object: use a rest parameter",
        default: DefaultSeverity::ByLoopDepth,
        hot_only: false,
        fix: FixAvailability::Sometimes,
    },
    kinds: &[
        "function_declaration",
        "function_expression",
        "function",
        "generator_function_declaration",
        "generator_function",
        "method_definition",
    ],
    check: arguments_object,
};

/// How the function uses `arguments`.
struct Uses<'t> {
    nodes: Vec<Node<'t>>,
    /// Every use is `arguments.length`, `arguments[i]`, `...arguments` or `f.apply(x, arguments)`:
    /// an array behaves the same there.
    array_like_only: bool,
    /// `arguments.callee` / `arguments.caller`.
    callee: bool,
}

/// Collects the `arguments` identifiers that belong to `func`: in its body and parameters,
/// inside arrows, not inside nested functions or classes. `None` when `arguments` is a local
/// binding or is assigned.
fn collect<'t>(func: Node<'t>, src: &str) -> Option<Uses<'t>> {
    let mut uses = Uses {
        nodes: Vec::new(),
        array_like_only: true,
        callee: false,
    };
    let mut stack: Vec<Node> = Vec::new();
    let mut c = func.walk();
    stack.extend(
        func.named_children(&mut c)
            .filter(|n| n.kind() != "identifier"),
    );
    while let Some(n) = stack.pop() {
        if (is_non_arrow_function(n.kind()) && n != func) || is_class(n.kind()) {
            continue;
        }
        if n.kind() == "identifier" && &src[n.byte_range()] == "arguments" {
            let parent = n.parent()?;
            match parent.kind() {
                // A parameter, a variable or a function named `arguments`, or an assignment to it.
                "variable_declarator"
                | "formal_parameters"
                | "required_parameter"
                | "optional_parameter"
                | "assignment_pattern"
                | "function_declaration"
                | "rest_pattern"
                | "array_pattern"
                | "update_expression" => return None,
                "assignment_expression" | "augmented_assignment_expression"
                    if parent.child_by_field_name("left") == Some(n) =>
                {
                    return None
                }
                _ => {}
            }
            uses.array_like_only &= array_like_use(n, src);
            if parent.kind() == "member_expression"
                && parent
                    .child_by_field_name("property")
                    .is_some_and(|p| matches!(&src[p.byte_range()], "callee" | "caller"))
            {
                uses.callee = true;
            }
            uses.nodes.push(n);
            continue;
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    uses.nodes.sort_by_key(|n| n.start_byte());
    Some(uses)
}

fn array_like_use(n: Node, src: &str) -> bool {
    let Some(parent) = n.parent() else {
        return false;
    };
    match parent.kind() {
        "member_expression" => {
            parent.child_by_field_name("object") == Some(n)
                && parent
                    .child_by_field_name("property")
                    .is_some_and(|p| &src[p.byte_range()] == "length")
        }
        "subscript_expression" => parent.child_by_field_name("object") == Some(n),
        "spread_element" => true,
        "arguments" => {
            // `f.apply(thisArg, arguments)`
            let call = parent.parent().filter(|c| c.kind() == "call_expression");
            let apply = call
                .and_then(|c| c.child_by_field_name("function"))
                .filter(|f| f.kind() == "member_expression")
                .and_then(|f| f.child_by_field_name("property"))
                .is_some_and(|p| &src[p.byte_range()] == "apply");
            apply && elements(parent).nth(1) == Some(n)
        }
        _ => false,
    }
}

pub(crate) fn arguments_object(func: Node, cx: &mut Ctx) {
    let Some(body) = func.child_by_field_name("body") else {
        return;
    };
    if !cx.text(body).contains("arguments")
        && !func
            .child_by_field_name("parameters")
            .is_some_and(|p| cx.text(p).contains("arguments"))
    {
        return;
    }
    let src = cx.src();
    let Some(uses) = collect(func, src) else {
        return;
    };
    let Some(first) = uses.nodes.first() else {
        return;
    };
    let fix = rest_fix(func, body, &uses, cx);
    // The cost is per call: a callback passed to `map`/`forEach` is called per element.
    let depth = cx
        .frame()
        .map_or(0, |f| f.loop_depth + u32::from(f.is_callback()));
    let n = uses.nodes.len();
    let message = if n == 1 {
        "reading `arguments` makes every call allocate an arguments object (which also blocks some optimizations when it escapes); use a rest parameter (`...args`)".to_owned()
    } else {
        format!("this function reads `arguments` {n} times: every call allocates an arguments object (which also blocks some optimizations when it escapes); use a rest parameter (`...args`)")
    };
    let range = first.byte_range();
    cx.report_at_depth(range, message, depth).fix = fix;
}

/// A parameter that can move into `let [a, b] = args;`: its name and TS type text.
struct SimpleParam<'s> {
    name: &'s str,
    ty: Option<&'s str>,
    optional: bool,
    rest: bool,
}

fn simple_params<'s>(
    params: Node,
    src: &'s str,
) -> Option<(Option<&'s str>, Vec<SimpleParam<'s>>)> {
    let mut this_param = None;
    let mut out = Vec::new();
    for p in elements(params) {
        let (pattern, ty, optional) = match p.kind() {
            "identifier" => (p, None, false),
            "rest_pattern" => (p, None, false),
            "required_parameter" | "optional_parameter" => {
                let mut c = p.walk();
                if p.children(&mut c).any(|m| {
                    matches!(
                        m.kind(),
                        "accessibility_modifier" | "readonly" | "override_modifier" | "decorator"
                    )
                }) {
                    return None;
                }
                if p.child_by_field_name("value").is_some() {
                    return None;
                }
                let ty = p
                    .child_by_field_name("type")
                    .and_then(|t| t.named_child(0))
                    .map(|t| &src[t.byte_range()]);
                (
                    p.child_by_field_name("pattern")?,
                    ty,
                    p.kind() == "optional_parameter",
                )
            }
            _ => return None,
        };
        match pattern.kind() {
            "this" => this_param = Some(&src[p.byte_range()]),
            "identifier" => out.push(SimpleParam {
                name: &src[pattern.byte_range()],
                ty,
                optional,
                rest: false,
            }),
            "rest_pattern" => {
                let id = pattern
                    .named_child(0)
                    .filter(|i| i.kind() == "identifier")?;
                out.push(SimpleParam {
                    name: &src[id.byte_range()],
                    ty,
                    optional: false,
                    rest: true,
                });
            }
            _ => return None,
        }
    }
    Some((this_param, out))
}

/// Whether the body declares `name` with `var` or a function declaration (then `let [name] =`
/// would clash), anywhere.
fn declares(body: Node, name: &str, src: &str) -> bool {
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        if matches!(
            n.kind(),
            "variable_declarator"
                | "function_declaration"
                | "generator_function_declaration"
                | "class_declaration"
        ) && n
            .child_by_field_name("name")
            .is_some_and(|i| &src[i.byte_range()] == name)
        {
            return true;
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    false
}

fn has_use_strict(body: Node, src: &str) -> bool {
    elements(body)
        .take_while(|s| {
            s.kind() == "expression_statement"
                && s.named_child(0).is_some_and(|e| e.kind() == "string")
        })
        .any(|s| {
            let t = &src[s.byte_range()];
            t.starts_with("\"use strict\"") || t.starts_with("'use strict'")
        })
}

fn rest_fix(func: Node, body: Node, uses: &Uses, cx: &Ctx) -> Option<Fix> {
    let src = cx.src();
    if uses.callee || has_use_strict(body, src) {
        return None;
    }
    {
        let mut c = func.walk();
        if func
            .children(&mut c)
            .any(|t| matches!(t.kind(), "get" | "set"))
        {
            return None; // accessors have a fixed parameter list
        }
    }
    let params = func.child_by_field_name("parameters")?;
    let (this_param, list) = simple_params(params, src)?;
    let name = ["args", "rest", "params", "argv", "argList"]
        .into_iter()
        .find(|n| !name_taken(func, n, src))?;
    let ts = cx.lang() != Lang::JavaScript;
    let this_prefix = this_param.map(|t| format!("{t}, ")).unwrap_or_default();
    let mut edits: Vec<Edit> = Vec::new();
    if list.is_empty() {
        let rest = if ts {
            format!("...{name}: any[]")
        } else {
            format!("...{name}")
        };
        edits.push(Edit::replace(
            params.byte_range(),
            format!("({this_prefix}{rest})"),
        ));
    } else {
        if list.iter().any(|p| declares(body, p.name, src))
            || list.iter().take(list.len() - 1).any(|p| p.rest)
        {
            return None;
        }
        let rest_ty = if ts {
            let mut parts: Vec<String> = list
                .iter()
                .map(|p| {
                    let ty = p.ty.unwrap_or(if p.rest { "any[]" } else { "any" });
                    if p.rest {
                        format!("...{}: {ty}", p.name)
                    } else {
                        format!("{}{}: {ty}", p.name, if p.optional { "?" } else { "" })
                    }
                })
                .collect();
            if !list.last().is_some_and(|p| p.rest) {
                parts.push("...rest: any[]".to_owned());
            }
            format!(": [{}]", parts.join(", "))
        } else {
            String::new()
        };
        edits.push(Edit::replace(
            params.byte_range(),
            format!("({this_prefix}...{name}{rest_ty})"),
        ));
        let names: Vec<String> = list
            .iter()
            .map(|p| {
                if p.rest {
                    format!("...{}", p.name)
                } else {
                    p.name.to_owned()
                }
            })
            .collect();
        let stmt = format!("let [{}] = {name};", names.join(", "));
        let open = body.start_byte() + 1;
        let text = if cx.text(body).contains('\n') {
            let indent = match elements(body).next() {
                Some(s) => line_indent(src, s.start_byte()).to_owned(),
                None => format!("{}  ", line_indent(src, func.start_byte())),
            };
            format!("\n{indent}{stmt}")
        } else {
            format!(" {stmt}")
        };
        edits.push(Edit::insert(open, text));
    }
    for n in &uses.nodes {
        edits.push(Edit::replace(n.byte_range(), name));
    }
    let title = format!("Use a rest parameter `...{name}`");
    Some(if list.is_empty() && uses.array_like_only {
        Fix::safe(title, edits)
    } else {
        Fix::unsafe_(title, edits)
    })
}

#[cfg(test)]
mod tests {
    use crate::engine::Applicability;
    use crate::rules::test_support::check;

    #[test]
    fn no_params_is_safe() {
        let out = check("x.js", "function sum() {\n  let t = 0;\n  for (let i = 0; i < arguments.length; i++) t += arguments[i];\n  return t;\n}\n");
        assert_eq!(out.ids(), ["js/arguments-object"]);
        assert_eq!(
            out.findings[0].fix.as_ref().unwrap().applicability,
            Applicability::Safe
        );
        assert_eq!(out.fixed, "function sum(...args) {\n  let t = 0;\n  for (let i = 0; i < args.length; i++) t += args[i];\n  return t;\n}\n");
    }

    #[test]
    fn params_move_into_a_destructuring() {
        let out = check(
            "x.ts",
            "function f(a: number, b?: string) { return [a, b, arguments.length]; }\n",
        );
        assert_eq!(
            out.findings[0].fix.as_ref().unwrap().applicability,
            Applicability::Unsafe
        );
        assert_eq!(out.fixed, "function f(...args: [a: number, b?: string, ...rest: any[]]) { let [a, b] = args; return [a, b, args.length]; }\n");
    }

    #[test]
    fn arrows_share_the_outer_arguments() {
        let out = check(
            "x.js",
            "function f() { return () => arguments[0]; }\nconst g = () => 1;\n",
        );
        assert_eq!(
            out.fixed,
            "function f(...args) { return () => args[0]; }\nconst g = () => 1;\n"
        );
    }

    #[test]
    fn leaves_bindings_and_assignments_alone() {
        for src in [
            "function f(arguments) { return arguments; }",
            "function f() { var arguments = 1; return arguments; }",
            "function f(a) { arguments = [a]; return arguments[0]; }",
            "const f = () => 1; arguments;",
        ] {
            assert!(check("x.js", src).ids().is_empty(), "{src}");
        }
    }

    #[test]
    fn escaping_arguments_is_unsafe_and_callee_is_not_fixed() {
        let out = check("x.js", "function f() { return g.call(null, arguments); }\nfunction h() { return arguments.callee; }\n");
        assert_eq!(
            out.findings[0].fix.as_ref().unwrap().applicability,
            Applicability::Unsafe
        );
        assert!(out.findings[1].fix.is_none());
    }
}
