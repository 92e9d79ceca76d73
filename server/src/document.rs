//! A parsed document: a rope and its tree-sitter tree, kept in step by byte-range edits.
//!
//! Works in byte offsets only. The LSP layer converts positions to bytes before calling in.

use std::collections::VecDeque;
use std::ops::{ControlFlow, Range};
use std::time::{Duration, Instant};

use ropey::Rope;
use tree_sitter::{InputEdit, Parser, Point, Tree};

use crate::language::Lang;

/// How long one parse may run before it is abandoned (issue: pathological input must not block a
/// worker). Generous: a 5 MB one-line file parses in well under a second.
pub const DEFAULT_PARSE_BUDGET: Duration = Duration::from_secs(10);

pub struct Document {
    lang: Lang,
    rope: Rope,
    /// `None` when the last parse ran out of budget; rules then do not run.
    tree: Option<Tree>,
    /// The most recent edits, numbered (the last one is `seq`), for incremental analysis.
    log: VecDeque<(u64, InputEdit)>,
    /// How many edits were made since the document was created.
    seq: u64,
    /// Edits up to this number are not in the log (lost to a whole-text replacement).
    gap: u64,
}

/// How many edits a document remembers for incremental analysis. An analysis that fell further
/// behind analyses in full.
const LOG: usize = 256;

impl Document {
    pub fn new(lang: Lang, text: &str) -> Self {
        let rope = Rope::from_str(text);
        let tree = parse_rope(lang, &rope, None, DEFAULT_PARSE_BUDGET);
        Self {
            lang,
            rope,
            tree,
            log: VecDeque::new(),
            seq: 0,
            gap: 0,
        }
    }

    /// The number of the last edit (0 before any).
    pub fn edit_seq(&self) -> u64 {
        self.seq
    }

    /// The edits made after edit number `since`, in order, as given to `Tree::edit`; `None` if
    /// the document no longer remembers all of them (too many, or the whole text was replaced).
    pub fn edits_since(&self, since: u64) -> Option<Vec<InputEdit>> {
        let mut out = Vec::new();
        self.edits_since_into(since, &mut out).then_some(out)
    }

    /// [`Document::edits_since`] into a reused buffer; `false` if they are not all remembered.
    pub fn edits_since_into(&self, since: u64, out: &mut Vec<InputEdit>) -> bool {
        out.clear();
        if since < self.gap || since > self.seq {
            return false;
        }
        let first = self.log.front().map_or(self.seq + 1, |(n, _)| *n);
        if since + 1 < first && since != self.seq {
            return false;
        }
        out.extend(self.log.iter().filter(|(n, _)| *n > since).map(|(_, e)| *e));
        true
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    pub fn rope(&self) -> &Rope {
        &self.rope
    }

    pub fn tree(&self) -> Option<&Tree> {
        self.tree.as_ref()
    }

    pub fn len_bytes(&self) -> usize {
        self.rope.len_bytes()
    }

    /// Copies the text into `buf`, reusing its allocation.
    pub fn text_into(&self, buf: &mut String) {
        buf.clear();
        buf.reserve(self.rope.len_bytes());
        for chunk in self.rope.chunks() {
            buf.push_str(chunk);
        }
    }

    pub fn text(&self) -> String {
        let mut s = String::new();
        self.text_into(&mut s);
        s
    }

    /// Replaces `range` (bytes, clamped to the text and to char boundaries) with `new_text`, edits
    /// the tree to match and does not reparse. Call [`Document::reparse`] after a batch of edits.
    /// Returns the byte range that now holds `new_text`.
    pub fn edit(&mut self, range: Range<usize>, new_text: &str) -> Range<usize> {
        let len = self.rope.len_bytes();
        let start = floor_char_boundary(&self.rope, range.start.min(len));
        let old_end = floor_char_boundary(&self.rope, range.end.clamp(start, len));
        let start_position = point_at(&self.rope, start);
        let old_end_position = point_at(&self.rope, old_end);
        let start_char = self.rope.byte_to_char(start);
        let old_end_char = self.rope.byte_to_char(old_end);
        self.rope.remove(start_char..old_end_char);
        self.rope.insert(start_char, new_text);
        let new_end = start + new_text.len();
        let edit = InputEdit {
            start_byte: start,
            old_end_byte: old_end,
            new_end_byte: new_end,
            start_position,
            old_end_position,
            new_end_position: point_at(&self.rope, new_end),
        };
        if let Some(tree) = self.tree.as_mut() {
            tree.edit(&edit);
        }
        self.seq += 1;
        if self.log.len() == LOG {
            self.log.pop_front();
        }
        self.log.push_back((self.seq, edit));
        start..new_end
    }

    /// Reparses incrementally from the edited tree.
    pub fn reparse(&mut self) {
        self.reparse_with_budget(DEFAULT_PARSE_BUDGET)
    }

    pub fn reparse_with_budget(&mut self, budget: Duration) {
        self.tree = parse_rope(self.lang, &self.rope, self.tree.as_ref(), budget);
    }

    /// One edit and a reparse.
    pub fn apply_edit(&mut self, range: Range<usize>, new_text: &str) -> Range<usize> {
        let r = self.edit(range, new_text);
        self.reparse();
        r
    }

    /// Replaces the whole text and parses from scratch.
    pub fn replace_all(&mut self, text: &str) {
        self.seq += 1;
        self.gap = self.seq;
        self.log.clear();
        self.rope = Rope::from_str(text);
        self.tree = parse_rope(self.lang, &self.rope, None, DEFAULT_PARSE_BUDGET);
    }
}

fn floor_char_boundary(rope: &Rope, mut byte: usize) -> usize {
    // A byte inside a multi-byte character is moved back to its start.
    let (chunk, chunk_start, _, _) = rope.chunk_at_byte(byte.min(rope.len_bytes()));
    while byte > chunk_start
        && byte - chunk_start < chunk.len()
        && !chunk.is_char_boundary(byte - chunk_start)
    {
        byte -= 1;
    }
    byte
}

/// A tree-sitter point: rows count `\n`, columns count bytes.
fn point_at(rope: &Rope, byte: usize) -> Point {
    let line = rope.byte_to_line(byte);
    Point::new(line, byte - rope.line_to_byte(line))
}

thread_local! {
    static PARSERS: std::cell::RefCell<Vec<Option<Parser>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` with this thread's parser for `lang` (parsers are reused, one per language and thread).
pub fn with_parser<R>(lang: Lang, f: impl FnOnce(&mut Parser) -> R) -> R {
    PARSERS.with(|cell| {
        let mut parsers = cell.borrow_mut();
        if parsers.len() < Lang::ALL.len() {
            parsers.resize_with(Lang::ALL.len(), || None);
        }
        let parser = parsers[lang.index()].get_or_insert_with(|| {
            let mut p = Parser::new();
            p.set_language(lang.grammar())
                .expect("grammar version is compatible");
            p
        });
        f(parser)
    })
}

fn parse_rope(lang: Lang, rope: &Rope, old: Option<&Tree>, budget: Duration) -> Option<Tree> {
    let deadline = Instant::now() + budget;
    let mut progress = |_: &tree_sitter::ParseState| {
        if Instant::now() > deadline {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let len = rope.len_bytes();
    let mut read = |byte: usize, _: Point| -> &[u8] {
        if byte >= len {
            return &[];
        }
        let (chunk, start, _, _) = rope.chunk_at_byte(byte);
        &chunk.as_bytes()[byte - start..]
    };
    with_parser(lang, |parser| {
        let options = tree_sitter::ParseOptions::new().progress_callback(&mut progress);
        let tree = parser.parse_with_options(&mut read, old, Some(options));
        if tree.is_none() {
            parser.reset();
        }
        tree
    })
}

/// Parses a plain string (the CLI's path: no rope needed).
pub fn parse_str(lang: Lang, text: &str, budget: Duration) -> Option<Tree> {
    let deadline = Instant::now() + budget;
    let mut progress = |_: &tree_sitter::ParseState| {
        if Instant::now() > deadline {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let bytes = text.as_bytes();
    let mut read = |byte: usize, _: Point| -> &[u8] { bytes.get(byte..).unwrap_or(&[]) };
    with_parser(lang, |parser| {
        let options = tree_sitter::ParseOptions::new().progress_callback(&mut progress);
        let tree = parser.parse_with_options(&mut read, None, Some(options));
        if tree.is_none() {
            parser.reset();
        }
        tree
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_keep_text_and_tree_in_step() {
        let mut doc = Document::new(Lang::Rust, "fn main() {\r\n    let s = 1;\r\n}\n");
        doc.apply_edit(25..26, "\"😀\"");
        assert_eq!(doc.text(), "fn main() {\r\n    let s = \"😀\";\r\n}\n");
        let fresh = parse_str(Lang::Rust, &doc.text(), DEFAULT_PARSE_BUDGET).unwrap();
        assert_eq!(
            doc.tree().unwrap().root_node().to_sexp(),
            fresh.root_node().to_sexp()
        );
        // Out-of-range and mid-character ranges are clamped, never panic.
        doc.apply_edit(1000..2000, "x");
        assert!(doc.text().ends_with("}\nx"));
        let emoji = doc.text().find('😀').unwrap();
        doc.apply_edit(emoji + 1..emoji + 2, "");
        assert!(doc.text().contains('😀'));
    }
}
