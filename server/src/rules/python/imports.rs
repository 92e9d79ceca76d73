//! Adding a module import for a fix: once, after the docstring and `__future__` imports, with
//! the other top-level imports.

use tree_sitter::Node;

use crate::engine::Edit;

/// How a fix should name `module`, and the edit that imports it when the file does not yet.
/// `import math` → `("math", None)`; `import math as m` → `("m", None)`; neither →
/// `("math", Some(insert "import math"))`.
pub fn ensure_module(root: Node, src: &str, module: &str) -> (String, Option<Edit>) {
    let mut cursor = root.walk();
    let stmts: Vec<Node> = root.named_children(&mut cursor).collect();
    for stmt in &stmts {
        if stmt.kind() != "import_statement" {
            continue;
        }
        let mut c = stmt.walk();
        for name in stmt.children_by_field_name("name", &mut c) {
            match name.kind() {
                "dotted_name" if &src[name.byte_range()] == module => {
                    return (module.to_owned(), None)
                }
                "aliased_import" => {
                    let (Some(n), Some(alias)) = (
                        name.child_by_field_name("name"),
                        name.child_by_field_name("alias"),
                    ) else {
                        continue;
                    };
                    if &src[n.byte_range()] == module {
                        return (src[alias.byte_range()].to_owned(), None);
                    }
                }
                _ => {}
            }
        }
    }
    (
        module.to_owned(),
        Some(import_edit(&stmts, src, &format!("import {module}"))),
    )
}

fn is_docstring(n: &Node) -> bool {
    n.kind() == "expression_statement" && n.named_child(0).is_some_and(|c| c.kind() == "string")
}

fn is_future(n: &Node, src: &str) -> bool {
    n.kind() == "future_import_statement"
        || (n.kind() == "import_from_statement"
            && src[n.byte_range()].starts_with("from __future__"))
}

fn is_import(n: &Node) -> bool {
    matches!(n.kind(), "import_statement" | "import_from_statement")
}

/// Where a new top-level import line goes, and the edit inserting `line`.
fn import_edit(stmts: &[Node], src: &str, line: &str) -> Edit {
    let code: Vec<&Node> = stmts.iter().filter(|n| n.kind() != "comment").collect();
    let mut i = 0;
    if code.first().is_some_and(|n| is_docstring(n)) {
        i = 1;
    }
    while code.get(i).is_some_and(|n| is_future(n, src)) {
        i += 1;
    }
    let header_end = i.checked_sub(1).map(|j| code[j].end_byte());
    // After the last import of the leading import block.
    let mut last_import = None;
    while code.get(i).is_some_and(|n| is_import(n)) {
        last_import = Some(code[i]);
        i += 1;
    }
    let after = last_import.map(|n| n.end_byte()).or(header_end);
    match after {
        Some(end) => {
            // Start of the next line after `end`.
            match src[end..].find('\n') {
                Some(nl) => Edit::insert(end + nl + 1, format!("{line}\n")),
                None => Edit::insert(src.len(), format!("\n{line}\n")),
            }
        }
        None => {
            // Before the first statement (keeping leading comments such as a shebang above it).
            let at = code.first().map_or(src.len(), |n| n.start_byte());
            let line_start = src[..at].rfind('\n').map_or(0, |i| i + 1);
            Edit::insert(line_start, format!("{line}\n"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{parse_str, DEFAULT_PARSE_BUDGET};
    use crate::engine::apply_edits;
    use crate::language::Lang;

    fn add(src: &str) -> String {
        let tree = parse_str(Lang::Python, src, DEFAULT_PARSE_BUDGET).unwrap();
        match ensure_module(tree.root_node(), src, "math") {
            (_, Some(edit)) => apply_edits(src, &[&edit]),
            (_, None) => src.to_owned(),
        }
    }

    #[test]
    fn placement() {
        assert_eq!(add("x = 1\n"), "import math\nx = 1\n");
        assert_eq!(
            add("\"\"\"Doc.\"\"\"\nx = 1\n"),
            "\"\"\"Doc.\"\"\"\nimport math\nx = 1\n"
        );
        assert_eq!(
            add("\"\"\"Doc.\"\"\"\nfrom __future__ import annotations\nimport os\nimport sys\n\nx = 1\n"),
            "\"\"\"Doc.\"\"\"\nfrom __future__ import annotations\nimport os\nimport sys\nimport math\n\nx = 1\n"
        );
        assert_eq!(
            add("#!/usr/bin/env python\nx = 1\n"),
            "#!/usr/bin/env python\nimport math\nx = 1\n"
        );
        assert_eq!(add("import math\nx = 1\n"), "import math\nx = 1\n");
        assert_eq!(add("import os\nx = 1"), "import os\nimport math\nx = 1");
    }
}
