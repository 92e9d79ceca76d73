//! Naming a standard-library function in a fix, and adding its import when the file lacks it:
//! once, after the docstring and `__future__` imports, with the other top-level imports.
//!
//! Only top-level imports count: an import inside a function, a `try:` or an
//! `if TYPE_CHECKING:` block may not have run where the fix puts the call.

use std::cell::RefCell;
use std::hash::{DefaultHasher, Hash, Hasher};

use tree_sitter::Node;

use crate::engine::{Ctx, Edit, FileHead, ItemPart, KeyedPart};
use crate::rules::python::syntax::statements;

/// How a fix should spell `module.name`, and the edit that imports `module` when needed.
///
/// - `from module import name` → `name` (or its alias), no edit;
/// - `import module` / `import module as m` → `module.name` / `m.name`, no edit;
/// - neither → `module.name` and an edit inserting `import module`.
///
/// `None` when the spelling would not mean the module's function: the module's name (or the
/// imported name) is bound to something else at the top level, or `shadowed(n)` says a local
/// scope at the fix's site binds `n`.
pub fn import_name(
    root: Node,
    src: &str,
    module: &str,
    name: &str,
    shadowed: impl Fn(&str) -> bool,
) -> Option<(String, Option<Edit>)> {
    let stmts = statements(root);
    let parts: Vec<TopLevel> = stmts.iter().map(|s| TopLevel::compute(*s, src)).collect();
    let parts: Vec<&TopLevel> = parts.iter().collect();
    let (spelling, needs_import) = answer(&parts, module, name).spell(module, name, shadowed)?;
    Some((
        spelling,
        needs_import.then(|| import_edit(&leading_statements(root), src, module)),
    ))
}

/// [`import_name`] for a check: the spelling comes from the top-level statements' parts
/// ([`TopLevel`], once per analysis for each `(module, name)`), so a check whose fix needs no new
/// import depends on what the top level imports and binds, not on the whole file. The edit
/// adding an import is placed among the file's leading statements: a fix that needs one reads
/// that head ([`LeadingImports`]), and runs again when the head changes.
pub fn import_name_cached(
    cx: &Ctx,
    module: &str,
    name: &str,
    shadowed: impl Fn(&str) -> bool,
) -> Option<(String, Option<Edit>)> {
    let cache = cx.parts_cache::<TopLevel, ImportCache>(|_| ImportCache::default());
    let mut answers = cache.0.borrow_mut();
    let i = match answers
        .iter()
        .position(|(m, n, _)| m == module && n == name)
    {
        Some(i) => i,
        None => {
            let parts = cx.parts_by_key::<TopLevel>();
            let parts: Vec<&TopLevel> = parts.iter().map(|(_, p)| p).collect();
            let a = answer(&parts, module, name);
            answers.push((module.to_owned(), name.to_owned(), a));
            answers.len() - 1
        }
    };
    // The answer read only the parts that name the module, the function, or the aliases it
    // found for them ([`TopLevel`]'s keys).
    let a = &answers[i].2;
    for key in [Some(module), Some(name), a.module_alias.as_deref()]
        .into_iter()
        .chain([a.direct.as_ref().map(|(d, _)| d.as_str())])
        .flatten()
    {
        cx.depends_on_key::<TopLevel>(key);
    }
    let (spelling, needs_import) = a.spell(module, name, shadowed)?;
    if !needs_import {
        return Some((spelling, None));
    }
    drop(answers);
    let root = cx.root_head::<LeadingImports>();
    let mut edits = cache.1.borrow_mut();
    let edit = match edits.iter().find(|(m, _)| m == module) {
        Some((_, e)) => e.clone(),
        None => {
            let e = import_edit(&leading_statements(root), cx.src(), module);
            edits.push((module.to_owned(), e.clone()));
            e
        }
    };
    Some((spelling, Some(edit)))
}

/// The spellings of [`import_name_cached`], and its edits that add an import, per analysis.
#[derive(Default)]
struct ImportCache(
    RefCell<Vec<(String, String, Spelling)>>,
    RefCell<Vec<(String, Edit)>>,
);

/// All that [`import_edit`] reads: the [`leading_statements`] (kinds and places) and the text
/// up to the end of the line after them.
pub struct LeadingImports;

impl FileHead for LeadingImports {
    fn fingerprint(root: Node<'_>, src: &str) -> u64 {
        let stmts = leading_statements(root);
        let mut h = DefaultHasher::new();
        for n in &stmts {
            (n.kind_id(), n.start_byte(), n.end_byte()).hash(&mut h);
        }
        let end = stmts.last().map_or(src.len(), |n| n.end_byte());
        let end = src[end..].find('\n').map_or(src.len(), |i| end + i + 1);
        src[..end].hash(&mut h);
        h.finish()
    }
}

/// What a top-level statement says about imports and the names the module binds: its part of
/// the file's top level for [`import_name_cached`]. No positions.
#[derive(Debug, PartialEq)]
pub enum TopLevel {
    /// Comments and statements that bind nothing `import_name` looks at.
    Other,
    /// `def` or `class` (decorated or not): its name.
    Def(Option<Box<str>>),
    /// An assignment statement: the names its target binds.
    Assign(Vec<Box<str>>),
    /// `import …`: per name, its text and first identifier (a dotted name) or the module's text
    /// and the alias (`import m as a`).
    Import(Vec<ImportedModule>),
    /// `from m import …`: the module's text and the names (text, alias).
    From {
        module: Option<Box<str>>,
        names: Vec<ImportedName>,
    },
}

/// A name of `import …`: `a.b` (its text and first identifier) or `a.b as c`.
#[derive(Debug, PartialEq)]
pub enum ImportedModule {
    Dotted {
        text: Box<str>,
        first: Option<Box<str>>,
    },
    Aliased {
        name: Option<Box<str>>,
        alias: Option<Box<str>>,
    },
}

/// A name of `from m import …`: `n` or `n as a`.
#[derive(Debug, PartialEq)]
pub enum ImportedName {
    Dotted(Box<str>),
    Aliased {
        name: Option<Box<str>>,
        alias: Option<Box<str>>,
    },
}

/// A statement's keys are the names it binds or imports and the modules it imports from: all
/// that [`answer`] compares with the module, the function and their aliases.
impl KeyedPart for TopLevel {
    fn mentions(&self, key: &str) -> bool {
        let mut found = false;
        self.for_each_key(&mut |k| found |= k == key);
        found
    }

    fn for_each_key(&self, f: &mut dyn FnMut(&str)) {
        fn opt(k: &Option<Box<str>>, f: &mut dyn FnMut(&str)) {
            if let Some(k) = k {
                f(k)
            }
        }
        match self {
            TopLevel::Other => {}
            TopLevel::Def(n) => opt(n, f),
            TopLevel::Assign(names) => names.iter().for_each(|n| f(n)),
            TopLevel::Import(names) => {
                for n in names {
                    match n {
                        ImportedModule::Dotted { text, first } => {
                            f(text);
                            opt(first, f);
                        }
                        ImportedModule::Aliased { name, alias } => {
                            opt(name, f);
                            opt(alias, f);
                        }
                    }
                }
            }
            TopLevel::From { module, names } => {
                opt(module, f);
                for n in names {
                    match n {
                        ImportedName::Dotted(t) => f(t),
                        ImportedName::Aliased { name, alias } => {
                            opt(name, f);
                            opt(alias, f);
                        }
                    }
                }
            }
        }
    }
}

impl ItemPart for TopLevel {
    fn compute(item: Node<'_>, src: &str) -> Self {
        let text = |n: Node| -> Box<str> { src[n.byte_range()].into() };
        let field = |n: Node, f: &str| n.child_by_field_name(f).map(text);
        match item.kind() {
            "function_definition" | "class_definition" => TopLevel::Def(field(item, "name")),
            "decorated_definition" => TopLevel::Def(
                item.child_by_field_name("definition")
                    .and_then(|d| field(d, "name")),
            ),
            "expression_statement" => {
                let Some(left) = item
                    .named_child(0)
                    .filter(|a| a.kind() == "assignment")
                    .and_then(|a| a.child_by_field_name("left"))
                else {
                    return TopLevel::Other;
                };
                let mut names = Vec::new();
                target_names(left, src, &mut names);
                TopLevel::Assign(names)
            }
            "import_statement" => {
                let mut c = item.walk();
                let names = item
                    .children_by_field_name("name", &mut c)
                    .filter_map(|n| match n.kind() {
                        "dotted_name" => Some(ImportedModule::Dotted {
                            text: text(n),
                            first: n.named_child(0).map(text),
                        }),
                        "aliased_import" => Some(ImportedModule::Aliased {
                            name: field(n, "name"),
                            alias: field(n, "alias"),
                        }),
                        _ => None,
                    })
                    .collect();
                TopLevel::Import(names)
            }
            "import_from_statement" => {
                let mut c = item.walk();
                let names = item
                    .children_by_field_name("name", &mut c)
                    .filter_map(|n| match n.kind() {
                        "dotted_name" => Some(ImportedName::Dotted(text(n))),
                        "aliased_import" => Some(ImportedName::Aliased {
                            name: field(n, "name"),
                            alias: field(n, "alias"),
                        }),
                        _ => None,
                    })
                    .collect();
                TopLevel::From {
                    module: field(item, "module_name"),
                    names,
                }
            }
            _ => TopLevel::Other,
        }
    }
}

/// The names an assignment target binds (plain names, possibly in tuples and lists).
fn target_names(node: Node, src: &str, out: &mut Vec<Box<str>>) {
    match node.kind() {
        "identifier" => out.push(src[node.byte_range()].into()),
        "pattern_list" | "tuple_pattern" | "list_pattern" | "tuple" | "list"
        | "list_splat_pattern" => {
            let mut c = node.walk();
            for n in node.named_children(&mut c) {
                target_names(n, src, out);
            }
        }
        _ => {}
    }
}

/// What the top-level statements' parts say about spelling `module.name`.
fn answer(parts: &[&TopLevel], module: &str, name: &str) -> Spelling {
    let mut module_alias: Option<&str> = None;
    let mut direct: Option<&str> = None;
    for part in parts {
        match part {
            TopLevel::Import(names) => {
                for n in names {
                    match n {
                        ImportedModule::Dotted { text, .. } if &**text == module => {
                            module_alias = Some(module)
                        }
                        ImportedModule::Aliased {
                            name: Some(m),
                            alias: Some(alias),
                        } if &**m == module => module_alias = Some(&**alias),
                        _ => {}
                    }
                }
            }
            TopLevel::From {
                module: Some(m),
                names,
            } if &**m == module => {
                for n in names {
                    match n {
                        ImportedName::Dotted(t) if &**t == name => direct = Some(name),
                        ImportedName::Aliased {
                            name: Some(i),
                            alias: Some(alias),
                        } if &**i == name => direct = Some(&**alias),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    let qualifier = module_alias.unwrap_or(module);
    Spelling {
        direct: direct.map(|d| (d.to_owned(), binds_otherwise(parts, d, module))),
        module_alias: module_alias.map(str::to_owned),
        qualifier_bound: binds_otherwise(parts, qualifier, module),
    }
}

/// Whether a top-level statement binds `ident` to something other than an import from/of
/// `module` (an assignment, a def, a class, another import).
fn binds_otherwise(parts: &[&TopLevel], ident: &str, module: &str) -> bool {
    parts.iter().any(|part| match part {
        TopLevel::Other => false,
        TopLevel::Def(n) => n.as_deref() == Some(ident),
        TopLevel::Assign(names) => names.iter().any(|n| &**n == ident),
        TopLevel::Import(names) => names.iter().any(|n| match n {
            ImportedModule::Dotted { text, first } => {
                first.as_deref() == Some(ident) && &**text != module
            }
            ImportedModule::Aliased { name, alias } => {
                alias.as_deref() == Some(ident) && name.as_deref().is_none_or(|m| m != module)
            }
        }),
        TopLevel::From { module: m, names } => {
            m.as_deref() != Some(module)
                && names.iter().any(|n| match n {
                    ImportedName::Dotted(t) => &**t == ident,
                    ImportedName::Aliased { alias, .. } => alias.as_deref() == Some(ident),
                })
        }
    })
}

/// What the file's top level says about spelling `module.name`: everything but the local
/// shadowing at the fix's site and the edit adding an import.
struct Spelling {
    /// `from module import name [as alias]`: the spelling, and whether the top level binds it
    /// otherwise.
    direct: Option<(String, bool)>,
    /// `import module [as alias]`: the qualifier.
    module_alias: Option<String>,
    /// Whether the top level binds the qualifier otherwise.
    qualifier_bound: bool,
}

impl Spelling {
    /// The spelling, and whether it needs `import module` added.
    fn spell(
        &self,
        module: &str,
        name: &str,
        shadowed: impl Fn(&str) -> bool,
    ) -> Option<(String, bool)> {
        if let Some((d, bound)) = &self.direct {
            if !*bound && !shadowed(d) {
                return Some((d.clone(), false));
            }
            // Fall back to the module spelling below.
        }
        let qualifier = self.module_alias.as_deref().unwrap_or(module);
        if self.qualifier_bound || shadowed(qualifier) {
            return None;
        }
        Some((format!("{qualifier}.{name}"), self.module_alias.is_none()))
    }
}

fn is_docstring(n: &Node) -> bool {
    n.kind() == "expression_statement" && n.named_child(0).is_some_and(|c| c.kind() == "string")
}

fn is_future(n: &Node) -> bool {
    n.kind() == "future_import_statement"
}

fn is_import(n: &Node) -> bool {
    matches!(n.kind(), "import_statement" | "import_from_statement")
}

/// A `try:` or `if …:` at the top of a module that only imports (`try: import simplejson as
/// json` / `except ImportError: import json`), part of the import block.
fn is_import_guard(n: &Node) -> bool {
    if !matches!(n.kind(), "try_statement" | "if_statement") {
        return false;
    }
    let mut stack = vec![*n];
    while let Some(x) = stack.pop() {
        let mut c = x.walk();
        for child in x.named_children(&mut c) {
            match child.kind() {
                "block" | "except_clause" | "else_clause" | "elif_clause" | "finally_clause" => {
                    stack.push(child)
                }
                "import_statement" | "import_from_statement" | "pass_statement" | "comment" => {}
                _ if x.kind() != "block" => {} // conditions and exception types
                _ => return false,
            }
        }
    }
    true
}

/// The module a plain `import x` statement imports, when it imports exactly one module.
fn plain_import_name<'s>(n: &Node, src: &'s str) -> Option<&'s str> {
    if n.kind() != "import_statement" || n.named_child_count() != 1 {
        return None;
    }
    let name = n.named_child(0)?;
    let module = if name.kind() == "aliased_import" {
        name.child_by_field_name("name")?
    } else {
        name
    };
    Some(&src[module.byte_range()])
}

/// Whether only blank-free lines separate `a` and `b` (same import group).
fn same_group(src: &str, a: &Node, b: &Node) -> bool {
    !src[a.end_byte()..b.start_byte()].contains("\n\n")
        && !src[a.end_byte()..b.start_byte()].contains("\n\r\n")
}

/// The module's statements that [`import_edit`] looks at: the docstring, `__future__` imports,
/// the leading import block and the statement after them (a file's top level can have thousands
/// of statements; the ones after the import block do not matter).
fn leading_statements(root: Node) -> Vec<Node> {
    let mut out = Vec::new();
    let mut c = root.walk();
    for n in root
        .named_children(&mut c)
        .filter(|n| n.kind() != "comment")
    {
        let header = (out.is_empty() && is_docstring(&n))
            || is_future(&n)
            || is_import(&n)
            || is_import_guard(&n);
        out.push(n);
        if !header {
            break;
        }
    }
    out
}

/// The edit inserting `import module` as a line of its own (`stmts`: the module's
/// [`leading_statements`]):
/// - after the docstring and `__future__` imports;
/// - in the first group of imports, at its alphabetical place among plain `import x` lines
///   when that group keeps them sorted;
/// - otherwise after the last import of the leading import block.
fn import_edit(stmts: &[Node], src: &str, module: &str) -> Edit {
    let line = format!("import {module}\n");
    let mut i = 0;
    if stmts.first().is_some_and(is_docstring) {
        i = 1;
    }
    while stmts.get(i).is_some_and(is_future) {
        i += 1;
    }
    let header_end = i.checked_sub(1).map(|j| stmts[j].end_byte());
    let block_start = i;
    let mut last_import: Option<Node> = None;
    while stmts
        .get(i)
        .is_some_and(|n| is_import(n) || is_import_guard(n))
    {
        if is_import(&stmts[i]) {
            last_import = Some(stmts[i]);
        }
        i += 1;
    }
    let block = &stmts[block_start..i];
    // The first group: consecutive imports with no blank line between.
    if let Some(first) = block.first().filter(|n| is_import(n)) {
        let mut group = vec![*first];
        for n in &block[1..] {
            if !is_import(n) || !same_group(src, group.last().expect("non-empty"), n) {
                break;
            }
            group.push(*n);
        }
        let plain: Vec<(&Node, &str)> = group
            .iter()
            .filter_map(|n| plain_import_name(n, src).map(|m| (n, m)))
            .collect();
        let sorted = plain
            .windows(2)
            .all(|w| w[0].1.to_ascii_lowercase() <= w[1].1.to_ascii_lowercase());
        if !plain.is_empty() && sorted {
            let key = module.to_ascii_lowercase();
            if let Some((n, _)) = plain.iter().find(|(_, m)| m.to_ascii_lowercase() > key) {
                let at = src[..n.start_byte()].rfind('\n').map_or(0, |p| p + 1);
                return Edit::insert(at, line);
            }
            let last = plain.last().expect("non-empty").0;
            return after_line(src, last.end_byte(), line);
        }
    }
    match last_import.map(|n| n.end_byte()).or(header_end) {
        Some(end) => after_line(src, end, line),
        None => {
            // Before the first statement, keeping leading comments (a shebang, a licence) above.
            let at = stmts.first().map_or(src.len(), |n| n.start_byte());
            let line_start = src[..at].rfind('\n').map_or(0, |i| i + 1);
            Edit::insert(line_start, line)
        }
    }
}

fn after_line(src: &str, end: usize, line: String) -> Edit {
    match src[end..].find('\n') {
        Some(nl) => Edit::insert(end + nl + 1, line),
        None => Edit::insert(src.len(), format!("\n{}", line)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{parse_str, DEFAULT_PARSE_BUDGET};
    use crate::engine::apply_edits;
    use crate::language::Lang;

    fn add(src: &str, module: &str, name: &str) -> (String, String) {
        let tree = parse_str(Lang::Python, src, DEFAULT_PARSE_BUDGET).unwrap();
        match import_name(tree.root_node(), src, module, name, |_| false) {
            Some((q, Some(edit))) => (q, apply_edits(src, &[&edit])),
            Some((q, None)) => (q, src.to_owned()),
            None => ("<none>".to_owned(), src.to_owned()),
        }
    }

    fn math(src: &str) -> String {
        add(src, "math", "sqrt").1
    }

    #[test]
    fn placement() {
        assert_eq!(math("x = 1\n"), "import math\nx = 1\n");
        assert_eq!(
            math("\"\"\"Doc.\"\"\"\nx = 1\n"),
            "\"\"\"Doc.\"\"\"\nimport math\nx = 1\n"
        );
        assert_eq!(
            math("\"\"\"Doc.\"\"\"\nfrom __future__ import annotations\nimport os\nimport sys\n\nx = 1\n"),
            "\"\"\"Doc.\"\"\"\nfrom __future__ import annotations\nimport math\nimport os\nimport sys\n\nx = 1\n"
        );
        assert_eq!(
            math("#!/usr/bin/env python\nx = 1\n"),
            "#!/usr/bin/env python\nimport math\nx = 1\n"
        );
        assert_eq!(math("import math\nx = 1\n"), "import math\nx = 1\n");
        assert_eq!(math("import os\nx = 1"), "import math\nimport os\nx = 1");
        assert_eq!(math("import abc\nx = 1"), "import abc\nimport math\nx = 1");
        assert_eq!(math("import abc"), "import abc\nimport math\n");
        // Unsorted group: after the leading import block.
        assert_eq!(
            math("import sys\nimport os\nfrom a import b\n\nx = 1\n"),
            "import sys\nimport os\nfrom a import b\nimport math\n\nx = 1\n"
        );
        // Only `from` imports: after them.
        assert_eq!(
            math("from a import b\nfrom c import d\nx = 1\n"),
            "from a import b\nfrom c import d\nimport math\nx = 1\n"
        );
        // An import guard is part of the block.
        assert_eq!(
            math("import abc\ntry:\n    import simplejson as json\nexcept ImportError:\n    import json\nx = 1\n"),
            "import abc\nimport math\ntry:\n    import simplejson as json\nexcept ImportError:\n    import json\nx = 1\n"
        );
        // `__future__` only.
        assert_eq!(
            math("from __future__ import annotations\nx = 1\n"),
            "from __future__ import annotations\nimport math\nx = 1\n"
        );
    }

    #[test]
    fn spelling() {
        assert_eq!(
            add("from bisect import insort\n", "bisect", "insort").0,
            "insort"
        );
        assert_eq!(
            add("from bisect import insort as ins\n", "bisect", "insort").0,
            "ins"
        );
        assert_eq!(
            add("import bisect as b\n", "bisect", "insort").0,
            "b.insort"
        );
        assert_eq!(
            add("import bisect\n", "bisect", "insort").0,
            "bisect.insort"
        );
        assert_eq!(
            add("from bisect import bisect_left\n", "bisect", "insort").0,
            "bisect.insort"
        );
        // TYPE_CHECKING imports and function-local imports do not count.
        let (q, fixed) = add(
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import math\n",
            "math",
            "sqrt",
        );
        assert_eq!(q, "math.sqrt");
        assert!(
            fixed.starts_with("from typing import TYPE_CHECKING\nimport math\nif"),
            "{fixed}"
        );
        // The module's name means something else: no fix.
        assert_eq!(add("math = None\n", "math", "sqrt").0, "<none>");
        assert_eq!(add("from numpy import math\n", "math", "sqrt").0, "<none>");
        assert_eq!(add("def math(): pass\n", "math", "sqrt").0, "<none>");
        // `from x import sqrt` rebound later: use the module.
        assert_eq!(
            add(
                "from math import sqrt\nsqrt = 1\nimport math\n",
                "math",
                "sqrt"
            )
            .0,
            "math.sqrt"
        );
    }
}
