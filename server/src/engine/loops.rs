//! Loop depth from the syntax tree, per language.
//!
//! A node's depth is its parent's, plus one when the node is the body (or re-evaluated
//! condition) of a loop, the body of a closure passed to an iteration method (`for_each`, `map`,
//! `forEach`, …) or the body of a comprehension; it resets to zero at a named function or class,
//! whose body does not run per iteration of an enclosing loop.

use tree_sitter::{Language, Node};

use crate::language::Lang;

/// Kind and field ids for one grammar, resolved once.
pub(crate) struct LoopKinds {
    /// (loop kind, field ids whose child runs per iteration).
    loops: Vec<(u16, Vec<u16>)>,
    /// Kinds whose body starts a fresh depth of 0.
    resets: Vec<u16>,
    /// Closure kinds, whose `body` is hot when the closure is an iteration callback.
    closures: Vec<u16>,
    /// Comprehension kinds: children that are `body` or an `if` clause run per element.
    comprehensions: Vec<u16>,
    comprehension_if: Option<u16>,
    body_field: Option<u16>,
    /// The kinds of the argument list and call nodes, and the iteration method names.
    arguments: Vec<u16>,
    call: Vec<u16>,
    family_callbacks: &'static [&'static str],
}

const RUST_CALLBACKS: &[&str] = &[
    "for_each",
    "try_for_each",
    "map",
    "filter",
    "filter_map",
    "flat_map",
    "fold",
    "try_fold",
    "any",
    "all",
    "find",
    "find_map",
    "position",
    "take_while",
    "skip_while",
    "map_while",
    "inspect",
    "scan",
    "partition",
    "retain",
    "sort_by",
    "sort_by_key",
    "sort_unstable_by",
    "sort_unstable_by_key",
    "max_by_key",
    "min_by_key",
    "max_by",
    "min_by",
    "for_each_with",
    "par_iter",
];
const JS_CALLBACKS: &[&str] = &[
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
    "findLast",
    "findLastIndex",
    "sort",
    "toSorted",
];
const PY_CALLBACKS: &[&str] = &["map", "filter", "reduce"];

fn ids(g: &Language, names: &[&str]) -> Vec<u16> {
    let mut out = Vec::new();
    for id in 0..g.node_kind_count() as u16 {
        if g.node_kind_is_named(id) {
            if let Some(k) = g.node_kind_for_id(id) {
                if names.contains(&k) {
                    out.push(id);
                }
            }
        }
    }
    out
}

fn fields(g: &Language, names: &[&str]) -> Vec<u16> {
    names
        .iter()
        .filter_map(|n| g.field_id_for_name(n).map(|f| f.get()))
        .collect()
}

impl LoopKinds {
    pub(crate) fn for_lang(lang: Lang) -> Self {
        let g = lang.grammar();
        let lp = |kind: &str, f: &[&str]| -> Vec<(u16, Vec<u16>)> {
            let fs = fields(g, f);
            ids(g, &[kind])
                .into_iter()
                .map(|k| (k, fs.clone()))
                .collect()
        };
        match lang {
            Lang::Rust => Self {
                loops: lp("for_expression", &["body"])
                    .into_iter()
                    .chain(lp("while_expression", &["body", "condition"]))
                    .chain(lp("loop_expression", &["body"]))
                    .collect(),
                resets: ids(g, &["function_item"]),
                closures: ids(g, &["closure_expression"]),
                comprehensions: Vec::new(),
                comprehension_if: None,
                body_field: g.field_id_for_name("body").map(|f| f.get()),
                arguments: ids(g, &["arguments"]),
                call: ids(g, &["call_expression"]),
                family_callbacks: RUST_CALLBACKS,
            },
            Lang::JavaScript | Lang::TypeScript | Lang::Tsx => Self {
                loops: lp("for_statement", &["body", "condition", "increment"])
                    .into_iter()
                    .chain(lp("for_in_statement", &["body"]))
                    .chain(lp("while_statement", &["body", "condition"]))
                    .chain(lp("do_statement", &["body", "condition"]))
                    .collect(),
                resets: ids(
                    g,
                    &[
                        "function_declaration",
                        "generator_function_declaration",
                        "method_definition",
                        "class_declaration",
                        "class",
                        "abstract_class_declaration",
                    ],
                ),
                closures: ids(
                    g,
                    &[
                        "arrow_function",
                        "function_expression",
                        "generator_function",
                    ],
                ),
                comprehensions: Vec::new(),
                comprehension_if: None,
                body_field: g.field_id_for_name("body").map(|f| f.get()),
                arguments: ids(g, &["arguments"]),
                call: ids(g, &["call_expression"]),
                family_callbacks: JS_CALLBACKS,
            },
            Lang::Python => Self {
                loops: lp("for_statement", &["body"])
                    .into_iter()
                    .chain(lp("while_statement", &["body", "condition"]))
                    .collect(),
                resets: ids(g, &["function_definition", "class_definition"]),
                closures: ids(g, &["lambda"]),
                comprehensions: ids(
                    g,
                    &[
                        "list_comprehension",
                        "set_comprehension",
                        "dictionary_comprehension",
                        "generator_expression",
                    ],
                ),
                comprehension_if: ids(g, &["if_clause"]).first().copied(),
                body_field: g.field_id_for_name("body").map(|f| f.get()),
                arguments: ids(g, &["argument_list"]),
                call: ids(g, &["call"]),
                family_callbacks: PY_CALLBACKS,
            },
        }
    }

    pub(crate) fn is_loop(&self, kind: u16) -> bool {
        self.loops.iter().any(|(k, _)| *k == kind) || self.comprehensions.contains(&kind)
    }

    pub(crate) fn is_function(&self, kind: u16) -> bool {
        self.resets.contains(&kind) || self.closures.contains(&kind)
    }

    /// Whether a closure node is passed as an argument to an iteration method.
    /// `parent` is the closure's parent, `grandparent` its parent's parent.
    pub(crate) fn is_callback(
        &self,
        closure: Node,
        parent: Option<Node>,
        grandparent: Option<Node>,
        src: &[u8],
    ) -> bool {
        if !self.closures.contains(&closure.kind_id()) {
            return false;
        }
        let (Some(args), Some(call)) = (parent, grandparent) else {
            return false;
        };
        if !self.arguments.contains(&args.kind_id()) || !self.call.contains(&call.kind_id()) {
            return false;
        }
        let Some(callee) = call.child_by_field_name("function") else {
            return false;
        };
        let name_node = match callee.kind() {
            "field_expression" => callee.child_by_field_name("field"),
            "member_expression" => callee.child_by_field_name("property"),
            "attribute" => callee.child_by_field_name("attribute"),
            "identifier" => Some(callee),
            _ => None,
        };
        name_node
            .and_then(|n| n.utf8_text(src).ok())
            .is_some_and(|name| self.family_callbacks.contains(&name))
    }

    /// The depth of a child, from its parent's depth and how it hangs off the parent.
    #[inline]
    pub(crate) fn child_depth(
        &self,
        parent_kind: u16,
        parent_depth: u32,
        parent_is_callback: bool,
        child_field: Option<u16>,
        child_kind: u16,
    ) -> u32 {
        if self.resets.contains(&child_kind) {
            return 0;
        }
        if let Some(field) = child_field {
            if parent_is_callback && Some(field) == self.body_field {
                return parent_depth + 1;
            }
            if self
                .loops
                .iter()
                .any(|(k, fs)| *k == parent_kind && fs.contains(&field))
            {
                return parent_depth + 1;
            }
            if self.comprehensions.contains(&parent_kind) && Some(field) == self.body_field {
                return parent_depth + 1;
            }
        }
        if self.comprehensions.contains(&parent_kind) && Some(child_kind) == self.comprehension_if {
            return parent_depth + 1;
        }
        parent_depth
    }
}
