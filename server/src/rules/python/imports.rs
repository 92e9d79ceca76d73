//! Naming a standard-library function in a fix, and adding its import when the file lacks it:
//! once, after the docstring and `__future__` imports, with the other top-level imports.
//!
//! Only top-level imports count: an import inside a function, a `try:` or an
//! `if TYPE_CHECKING:` block may not have run where the fix puts the call.

use std::cell::RefCell;

use tree_sitter::Node;

use crate::engine::{Ctx, Edit};
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
    file_answer(root, src, module, name).spell(module, name, shadowed)
}

/// [`import_name`] with the file-level part computed once per analysis for each `(module,
/// name)` (a per-file memo): a file with many findings scans its top level once, not per finding.
pub fn import_name_cached(
    cx: &Ctx,
    module: &str,
    name: &str,
    shadowed: impl Fn(&str) -> bool,
) -> Option<(String, Option<Edit>)> {
    let cache = cx.memo(|_, _| ImportCache::default());
    let mut answers = cache.0.borrow_mut();
    let i = match answers
        .iter()
        .position(|(m, n, _)| m == module && n == name)
    {
        Some(i) => i,
        None => {
            let a = file_answer(cx.root(), cx.src(), module, name);
            answers.push((module.to_owned(), name.to_owned(), a));
            answers.len() - 1
        }
    };
    answers[i].2.spell(module, name, shadowed)
}

/// The memo of [`import_name_cached`].
#[derive(Default)]
struct ImportCache(RefCell<Vec<(String, String, FileAnswer)>>);

/// What the file's top level says about spelling `module.name`: everything but the local
/// shadowing at the fix's site.
struct FileAnswer {
    /// `from module import name [as alias]`: the spelling, and whether the top level binds it
    /// otherwise.
    direct: Option<(String, bool)>,
    /// `import module [as alias]`: the qualifier.
    module_alias: Option<String>,
    /// Whether the top level binds the qualifier otherwise.
    qualifier_bound: bool,
    /// The edit importing `module` when it is not imported.
    edit: Option<Edit>,
}

impl FileAnswer {
    fn spell(
        &self,
        module: &str,
        name: &str,
        shadowed: impl Fn(&str) -> bool,
    ) -> Option<(String, Option<Edit>)> {
        if let Some((d, bound)) = &self.direct {
            if !*bound && !shadowed(d) {
                return Some((d.clone(), None));
            }
            // Fall back to the module spelling below.
        }
        let qualifier = self.module_alias.as_deref().unwrap_or(module);
        if self.qualifier_bound || shadowed(qualifier) {
            return None;
        }
        Some((format!("{qualifier}.{name}"), self.edit.clone()))
    }
}

fn file_answer(root: Node, src: &str, module: &str, name: &str) -> FileAnswer {
    let stmts = statements(root);
    let mut module_alias: Option<&str> = None;
    let mut direct: Option<&str> = None;
    for stmt in &stmts {
        match stmt.kind() {
            "import_statement" => {
                let mut c = stmt.walk();
                for n in stmt.children_by_field_name("name", &mut c) {
                    match n.kind() {
                        "dotted_name" if &src[n.byte_range()] == module => {
                            module_alias = Some(module)
                        }
                        "aliased_import" => {
                            let (Some(m), Some(alias)) = (
                                n.child_by_field_name("name"),
                                n.child_by_field_name("alias"),
                            ) else {
                                continue;
                            };
                            if &src[m.byte_range()] == module {
                                module_alias = Some(&src[alias.byte_range()]);
                            }
                        }
                        _ => {}
                    }
                }
            }
            "import_from_statement" => {
                let Some(m) = stmt.child_by_field_name("module_name") else {
                    continue;
                };
                if &src[m.byte_range()] != module {
                    continue;
                }
                let mut c = stmt.walk();
                for n in stmt.children_by_field_name("name", &mut c) {
                    match n.kind() {
                        "dotted_name" if &src[n.byte_range()] == name => direct = Some(name),
                        "aliased_import" => {
                            let (Some(i), Some(alias)) = (
                                n.child_by_field_name("name"),
                                n.child_by_field_name("alias"),
                            ) else {
                                continue;
                            };
                            if &src[i.byte_range()] == name {
                                direct = Some(&src[alias.byte_range()]);
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    let qualifier = module_alias.unwrap_or(module);
    FileAnswer {
        direct: direct.map(|d| (d.to_owned(), binds_otherwise(&stmts, src, d, module))),
        module_alias: module_alias.map(str::to_owned),
        qualifier_bound: binds_otherwise(&stmts, src, qualifier, module),
        edit: module_alias
            .is_none()
            .then(|| import_edit(&stmts, src, module)),
    }
}

/// Whether a top-level statement binds `ident` to something other than an import from/of
/// `module` (an assignment, a def, a class, another import).
fn binds_otherwise(stmts: &[Node], src: &str, ident: &str, module: &str) -> bool {
    stmts.iter().any(|stmt| match stmt.kind() {
        "function_definition" | "class_definition" => stmt
            .child_by_field_name("name")
            .is_some_and(|n| &src[n.byte_range()] == ident),
        "decorated_definition" => stmt
            .child_by_field_name("definition")
            .and_then(|d| d.child_by_field_name("name"))
            .is_some_and(|n| &src[n.byte_range()] == ident),
        "expression_statement" => {
            let Some(a) = stmt.named_child(0).filter(|a| a.kind() == "assignment") else {
                return false;
            };
            a.child_by_field_name("left")
                .is_some_and(|l| target_binds(l, src, ident))
        }
        "import_statement" => {
            let mut c = stmt.walk();
            let found = stmt
                .children_by_field_name("name", &mut c)
                .any(|n| match n.kind() {
                    "dotted_name" => {
                        n.named_child(0)
                            .is_some_and(|f| &src[f.byte_range()] == ident)
                            && &src[n.byte_range()] != module
                    }
                    "aliased_import" => {
                        n.child_by_field_name("alias")
                            .is_some_and(|a| &src[a.byte_range()] == ident)
                            && n.child_by_field_name("name")
                                .is_none_or(|m| &src[m.byte_range()] != module)
                    }
                    _ => false,
                });
            found
        }
        "import_from_statement" => {
            if stmt
                .child_by_field_name("module_name")
                .is_some_and(|m| &src[m.byte_range()] == module)
            {
                return false;
            }
            let mut c = stmt.walk();
            let found = stmt
                .children_by_field_name("name", &mut c)
                .any(|n| match n.kind() {
                    "dotted_name" => &src[n.byte_range()] == ident,
                    "aliased_import" => n
                        .child_by_field_name("alias")
                        .is_some_and(|a| &src[a.byte_range()] == ident),
                    _ => false,
                });
            found
        }
        _ => false,
    })
}

fn target_binds(node: Node, src: &str, ident: &str) -> bool {
    match node.kind() {
        "identifier" => &src[node.byte_range()] == ident,
        "pattern_list" | "tuple_pattern" | "list_pattern" | "tuple" | "list"
        | "list_splat_pattern" => {
            let mut c = node.walk();
            let found = node
                .named_children(&mut c)
                .any(|n| target_binds(n, src, ident));
            found
        }
        _ => false,
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

/// The edit inserting `import module` as a line of its own:
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
