//! Tree-sitter queries from `queries/<family>/<name>.scm`, embedded at build time and compiled
//! once per grammar. A rule whose pattern a query states more clearly than code runs it on the
//! node it was dispatched for ([`super::Ctx::query_at`]), inside the engine's single walk.

use std::cell::RefCell;
use std::sync::OnceLock;

use streaming_iterator::StreamingIterator;
use tree_sitter::{Node, Query, QueryCursor};

use crate::language::{Family, Lang};

/// Every query file: family, name (the file stem), source.
pub const SOURCES: &[(Family, &str, &str)] = &[
    (
        Family::Python,
        "pow-half",
        include_str!("../../../queries/python/pow-half.scm"),
    ),
    (
        Family::Rust,
        "box-collection",
        include_str!("../../../queries/rust/box-collection.scm"),
    ),
];

fn compiled(lang: Lang) -> &'static [(&'static str, Query)] {
    static COMPILED: [OnceLock<Vec<(&'static str, Query)>>; 5] = [const { OnceLock::new() }; 5];
    COMPILED[lang.index()].get_or_init(|| {
        SOURCES
            .iter()
            .filter(|(family, _, _)| *family == lang.family())
            .map(|(_, name, source)| {
                let query = Query::new(lang.grammar(), source).unwrap_or_else(|e| {
                    panic!(
                        "queries/{}/{name}.scm for {}: {e}",
                        lang.family().prefix(),
                        lang.name()
                    )
                });
                (*name, query)
            })
            .collect()
    })
}

/// The compiled query `name` for `lang`. Panics on an unknown name: query names are fixed at
/// build time and a unit test compiles every one for every grammar of its family.
pub fn get(lang: Lang, name: &str) -> &'static Query {
    compiled(lang)
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, q)| q)
        .unwrap_or_else(|| panic!("no query `{name}` for {}", lang.name()))
}

/// One match's captures, by name.
pub struct Captures<'q, 't> {
    query: &'q Query,
    captures: Vec<(u32, Node<'t>)>,
}

impl<'t> Captures<'_, 't> {
    /// The first node captured as `name`.
    pub fn get(&self, name: &str) -> Option<Node<'t>> {
        let idx = self.query.capture_index_for_name(name)?;
        self.captures
            .iter()
            .find(|(i, _)| *i == idx)
            .map(|(_, n)| *n)
    }
}

thread_local! {
    static CURSOR: RefCell<QueryCursor> = RefCell::new(QueryCursor::new());
}

/// Runs `query` on matches that start at `node` itself (not at its descendants), calling `f`
/// for each. The cursor is reused per thread.
pub(crate) fn matches_at<'t>(
    query: &Query,
    node: Node<'t>,
    src: &[u8],
    mut f: impl FnMut(&Captures<'_, 't>),
) {
    CURSOR.with(|cell| {
        let mut cursor = cell.borrow_mut();
        cursor.set_max_start_depth(Some(0));
        cursor.set_byte_range(node.byte_range());
        let mut it = cursor.matches(query, node, src);
        let mut captures = Captures {
            query,
            captures: Vec::new(),
        };
        while let Some(m) = it.next() {
            captures.captures.clear();
            captures
                .captures
                .extend(m.captures().iter().map(|c| (c.index, c.node)));
            f(&captures);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_query_compiles_for_every_grammar_of_its_family() {
        for lang in Lang::ALL {
            for (family, name, _) in SOURCES {
                if *family == lang.family() {
                    let _ = get(lang, name);
                }
            }
        }
    }

    #[test]
    fn query_files_on_disk_are_all_embedded() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../queries");
        for family in Family::ALL {
            let dir = root.join(match family {
                Family::Rust => "rust",
                Family::Js => "js",
                Family::Python => "python",
            });
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let stem = entry
                    .path()
                    .file_stem()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                assert!(
                    SOURCES.iter().any(|(f, n, _)| *f == family && *n == stem),
                    "{} is not listed in engine::query::SOURCES",
                    entry.path().display()
                );
            }
        }
    }
}
