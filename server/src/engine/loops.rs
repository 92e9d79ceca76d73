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
    /// Callback names that other types share with iterators (`Option::map`): they count only
    /// when the receiver chain starts from an iterator.
    ambiguous_callbacks: &'static [&'static str],
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
/// `Option`/`Result` have these too: `opt.map(|x| ..)` runs once, not per item.
const RUST_AMBIGUOUS: &[&str] = &["map", "filter", "inspect"];
/// Methods that make or pass on an iterator.
const RUST_ITERATORS: &[&str] = &[
    "iter",
    "iter_mut",
    "into_iter",
    "chars",
    "char_indices",
    "bytes",
    "lines",
    "split",
    "rsplit",
    "splitn",
    "rsplitn",
    "split_whitespace",
    "split_terminator",
    "keys",
    "values",
    "values_mut",
    "into_keys",
    "into_values",
    "drain",
    "windows",
    "chunks",
    "chunks_exact",
    "chunks_mut",
    "par_iter",
    "par_iter_mut",
    "into_par_iter",
    "par_chunks",
    "par_chunks_mut",
    "par_bridge",
    "enumerate",
    "zip",
    "rev",
    "skip",
    "take",
    "step_by",
    "chain",
    "flat_map",
    "filter_map",
    "flatten",
    "peekable",
    "cloned",
    "copied",
    "skip_while",
    "take_while",
    "map_while",
    "scan",
    "cycle",
    "matches",
    "match_indices",
    "encode_utf16",
    "successors",
    "repeat",
    "once",
    "from_fn",
];

/// Whether a method call's receiver chain (`a.iter().map(..)` → `a.iter()`) starts an
/// iterator: a range, or a call to one of `RUST_ITERATORS` somewhere down the chain.
fn receiver_iterates(mut node: Node, src: &[u8]) -> bool {
    for _ in 0..32 {
        match node.kind() {
            "range_expression" => return true,
            "parenthesized_expression" => match node.named_child(0) {
                Some(n) => node = n,
                None => return false,
            },
            "call_expression" => {
                let Some(f) = node.child_by_field_name("function") else {
                    return false;
                };
                let f = match f.kind() {
                    "generic_function" => match f.child_by_field_name("function") {
                        Some(g) => g,
                        None => return false,
                    },
                    _ => f,
                };
                let name = match f.kind() {
                    "field_expression" => f.child_by_field_name("field"),
                    "scoped_identifier" => f.child_by_field_name("name"),
                    _ => None,
                };
                if name
                    .and_then(|n| n.utf8_text(src).ok())
                    .is_some_and(|n| RUST_ITERATORS.contains(&n))
                {
                    return true;
                }
                match f.child_by_field_name("value") {
                    Some(v) if f.kind() == "field_expression" => node = v,
                    _ => return false,
                }
            }
            _ => return false,
        }
    }
    false
}

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

/// Kinds whose subtrees the walk does not enter, per language, with every named kind that can
/// occur inside them (from the grammar's `node-types.json`, nested kinds included). A kind is
/// skipped only while no rule of the registry wants one of those inner kinds, so a rule that
/// looks into them turns the shortcut off by itself.
const RUST_OPAQUE: &[(&str, &[&str])] = &[
    (
        "token_tree",
        &[
            "token_tree",
            "token_repetition",
            "identifier",
            "metavariable",
            "mutable_specifier",
            "primitive_type",
            "self",
            "super",
            "crate",
            "string_literal",
            "raw_string_literal",
            "char_literal",
            "boolean_literal",
            "integer_literal",
            "float_literal",
            "escape_sequence",
            "string_content",
        ],
    ),
    ("string_literal", &["escape_sequence", "string_content"]),
    ("raw_string_literal", &["string_content"]),
    (
        "line_comment",
        &[
            "doc_comment",
            "inner_doc_comment_marker",
            "outer_doc_comment_marker",
        ],
    ),
    (
        "block_comment",
        &[
            "doc_comment",
            "inner_doc_comment_marker",
            "outer_doc_comment_marker",
        ],
    ),
];

/// The kinds whose subtrees no rule can find anything in (see `RUST_OPAQUE`), by kind id.
pub(crate) struct OpaqueKinds {
    opaque: Vec<bool>,
}

impl OpaqueKinds {
    pub(crate) fn for_lang(lang: Lang, reg: &crate::rules::Registry) -> Self {
        let g = lang.grammar();
        let mut opaque = vec![false; g.node_kind_count()];
        let table: &[(&str, &[&str])] = match lang {
            Lang::Rust => RUST_OPAQUE,
            _ => &[],
        };
        for (kind, inner) in table {
            let wanted = ids(g, inner)
                .into_iter()
                .chain(ids(g, &[kind]))
                .any(|k| !reg.rules_for_kind(lang, k).is_empty());
            if !wanted {
                for k in ids(g, &[kind]) {
                    opaque[k as usize] = true;
                }
            }
        }
        Self { opaque }
    }

    #[inline]
    pub(crate) fn is_opaque(&self, kind: u16) -> bool {
        self.opaque.get(kind as usize).copied().unwrap_or(false)
    }
}

impl LoopKinds {
    /// Whether a child's depth can depend on its field in a parent of kind `parent_kind` (so
    /// that the walk reads the field only then).
    #[inline]
    pub(crate) fn field_matters(&self, parent_kind: u16, parent_is_callback: bool) -> bool {
        parent_is_callback
            || self.loops.iter().any(|(k, _)| *k == parent_kind)
            || self.comprehensions.contains(&parent_kind)
    }

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
                ambiguous_callbacks: RUST_AMBIGUOUS,
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
                ambiguous_callbacks: &[],
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
                ambiguous_callbacks: &[],
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
        let Some(name) = name_node.and_then(|n| n.utf8_text(src).ok()) else {
            return false;
        };
        if !self.family_callbacks.contains(&name) {
            return false;
        }
        if self.ambiguous_callbacks.contains(&name) {
            return callee
                .child_by_field_name("value")
                .is_some_and(|recv| receiver_iterates(recv, src));
        }
        true
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
