//! LSP positions ↔ byte offsets: the one place that knows about position encodings.
//!
//! The engine works in byte offsets. LSP positions are `(line, character)` where lines break at
//! `\n`, `\r\n` and `\r` (as the rope's `cr_lines` does) and `character` counts UTF-8 bytes or
//! UTF-16 code units, whichever was negotiated. Every conversion is O(log n) on the rope and
//! clamps instead of failing: a line past the end is the end of the document, a character past
//! the end of its line is the end of that line (before its line break), and a character inside a
//! multi-byte character or a surrogate pair is the start of that character.

use std::ops::Range as ByteRange;

use ropey::Rope;
use tower_lsp_server::ls_types::{ClientCapabilities, Position, PositionEncodingKind, Range};

/// The negotiated position encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Encoding {
    /// `character` counts UTF-8 bytes: positions map to byte offsets directly.
    Utf8,
    /// `character` counts UTF-16 code units: the LSP default, which every client supports.
    #[default]
    Utf16,
}

impl Encoding {
    /// UTF-8 when the client offers it (no conversion on our side), else UTF-16.
    pub fn negotiate(caps: &ClientCapabilities) -> Encoding {
        let offered = caps
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.as_deref());
        match offered {
            Some(kinds) if kinds.contains(&PositionEncodingKind::UTF8) => Encoding::Utf8,
            _ => Encoding::Utf16,
        }
    }

    pub fn kind(self) -> PositionEncodingKind {
        match self {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }
    }
}

/// The byte offset where `line`'s text ends, before its line break (if any). `line` must exist.
pub(crate) fn line_end(rope: &Rope, line: usize) -> usize {
    let next = rope.line_to_byte(line + 1);
    if line + 1 >= rope.len_lines() {
        return next; // the last line has no line break
    }
    match rope.byte(next - 1) {
        b'\n' if next >= 2 && rope.byte(next - 2) == b'\r' => next - 2,
        b'\n' | b'\r' => next - 1,
        _ => next,
    }
}

/// Moves a byte offset inside a multi-byte character back to the character's start.
fn floor_char_boundary(rope: &Rope, byte: usize) -> usize {
    rope.char_to_byte(rope.byte_to_char(byte.min(rope.len_bytes())))
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The byte offset of an LSP position, clamped into the document.
pub fn offset(rope: &Rope, pos: Position, enc: Encoding) -> usize {
    let line = pos.line as usize;
    if line >= rope.len_lines() {
        return rope.len_bytes();
    }
    let start = rope.line_to_byte(line);
    let end = line_end(rope, line);
    match enc {
        Encoding::Utf8 => {
            floor_char_boundary(rope, start.saturating_add(pos.character as usize).min(end))
        }
        Encoding::Utf16 => {
            let start_cu = rope.char_to_utf16_cu(rope.byte_to_char(start));
            let end_cu = rope.char_to_utf16_cu(rope.byte_to_char(end));
            let cu = start_cu.saturating_add(pos.character as usize).min(end_cu);
            // Inside a surrogate pair, this is the pair's character: the floor.
            rope.char_to_byte(rope.utf16_cu_to_char(cu))
        }
    }
}

/// The LSP position of a byte offset. Offsets past the end clamp to the end; an offset inside a
/// character or inside a `\r\n` moves back to a valid position.
pub fn position(rope: &Rope, byte: usize, enc: Encoding) -> Position {
    let byte = floor_char_boundary(rope, byte);
    let line = rope.byte_to_line(byte);
    let start = rope.line_to_byte(line);
    let byte = byte.min(line_end(rope, line));
    let character = match enc {
        Encoding::Utf8 => byte - start,
        Encoding::Utf16 => {
            rope.char_to_utf16_cu(rope.byte_to_char(byte))
                - rope.char_to_utf16_cu(rope.byte_to_char(start))
        }
    };
    Position::new(to_u32(line), to_u32(character))
}

/// The byte range of an LSP range. A reversed range is emptied at its start.
pub fn byte_range(rope: &Rope, range: Range, enc: Encoding) -> ByteRange<usize> {
    let start = offset(rope, range.start, enc);
    let end = offset(rope, range.end, enc).max(start);
    start..end
}

/// The LSP range of a byte range.
pub fn lsp_range(rope: &Rope, range: ByteRange<usize>, enc: Encoding) -> Range {
    let start = position(rope, range.start, enc);
    let end = if range.end <= range.start {
        start
    } else {
        position(rope, range.end, enc)
    };
    Range::new(start, end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_lsp_server::ls_types::GeneralClientCapabilities;

    fn pos(line: u32, character: u32) -> Position {
        Position::new(line, character)
    }

    /// Every char boundary maps to a position and back to itself, in both encodings.
    fn round_trips(text: &str) {
        let rope = Rope::from_str(text);
        for enc in [Encoding::Utf8, Encoding::Utf16] {
            for (byte, _) in text
                .char_indices()
                .chain(std::iter::once((text.len(), ' ')))
            {
                let p = position(&rope, byte, enc);
                let back = offset(&rope, p, enc);
                // Positions between `\r` and `\n` are not positions: they clamp before the `\r`.
                let expected = if byte > 0
                    && text.as_bytes()[byte - 1] == b'\r'
                    && text.as_bytes().get(byte) == Some(&b'\n')
                {
                    byte - 1
                } else {
                    byte
                };
                assert_eq!(back, expected, "{enc:?} byte {byte} → {p:?} in {text:?}");
            }
        }
    }

    #[test]
    fn negotiation_prefers_utf8_when_offered() {
        let mut caps = ClientCapabilities::default();
        assert_eq!(Encoding::negotiate(&caps), Encoding::Utf16);
        caps.general = Some(GeneralClientCapabilities {
            position_encodings: Some(vec![
                PositionEncodingKind::UTF16,
                PositionEncodingKind::UTF8,
            ]),
            ..Default::default()
        });
        assert_eq!(Encoding::negotiate(&caps), Encoding::Utf8);
        caps.general = Some(GeneralClientCapabilities {
            position_encodings: Some(vec![
                PositionEncodingKind::UTF32,
                PositionEncodingKind::UTF16,
            ]),
            ..Default::default()
        });
        assert_eq!(Encoding::negotiate(&caps), Encoding::Utf16);
    }

    #[test]
    fn astral_emoji_counts_four_bytes_or_two_units() {
        // "a😀b": 😀 is U+1F600, 4 UTF-8 bytes, a surrogate pair in UTF-16.
        let rope = Rope::from_str("a😀b\n");
        assert_eq!(offset(&rope, pos(0, 1), Encoding::Utf16), 1);
        assert_eq!(offset(&rope, pos(0, 3), Encoding::Utf16), 5);
        assert_eq!(offset(&rope, pos(0, 5), Encoding::Utf8), 5);
        assert_eq!(position(&rope, 5, Encoding::Utf16), pos(0, 3));
        assert_eq!(position(&rope, 5, Encoding::Utf8), pos(0, 5));
        // Inside the surrogate pair / inside the UTF-8 sequence: the emoji's start.
        assert_eq!(offset(&rope, pos(0, 2), Encoding::Utf16), 1);
        assert_eq!(offset(&rope, pos(0, 3), Encoding::Utf8), 1);
        assert_eq!(position(&rope, 3, Encoding::Utf16), pos(0, 1));
        assert_eq!(position(&rope, 2, Encoding::Utf8), pos(0, 1));
        round_trips("a😀b\n😀😀\n");
    }

    #[test]
    fn cjk_is_three_bytes_one_unit() {
        let rope = Rope::from_str("漢字x");
        assert_eq!(offset(&rope, pos(0, 2), Encoding::Utf16), 6);
        assert_eq!(offset(&rope, pos(0, 6), Encoding::Utf8), 6);
        assert_eq!(position(&rope, 3, Encoding::Utf16), pos(0, 1));
        assert_eq!(position(&rope, 3, Encoding::Utf8), pos(0, 3));
        round_trips("漢字x\n字");
    }

    #[test]
    fn crlf_and_lone_cr_break_lines() {
        let text = "ab\r\ncd\ref\ngh";
        let rope = Rope::from_str(text);
        for enc in [Encoding::Utf8, Encoding::Utf16] {
            assert_eq!(offset(&rope, pos(1, 0), enc), 4, "{enc:?}");
            assert_eq!(offset(&rope, pos(2, 1), enc), 8, "{enc:?}");
            assert_eq!(offset(&rope, pos(3, 2), enc), 12, "{enc:?}");
            assert_eq!(position(&rope, 7, enc), pos(2, 0), "{enc:?}");
            // A character beyond the line's end clamps before its line break, CRLF included.
            assert_eq!(offset(&rope, pos(0, 3), enc), 2, "{enc:?}");
            assert_eq!(offset(&rope, pos(0, 99), enc), 2, "{enc:?}");
            assert_eq!(offset(&rope, pos(1, 99), enc), 6, "{enc:?}");
            // The byte between `\r` and `\n` is not a position of its own.
            assert_eq!(position(&rope, 3, enc), pos(0, 2), "{enc:?}");
        }
        round_trips(text);
        round_trips("\r\n\r\n\r\r\n\n");
    }

    #[test]
    fn out_of_range_clamps_to_the_end() {
        let text = "x😀\r\ny";
        let rope = Rope::from_str(text);
        for enc in [Encoding::Utf8, Encoding::Utf16] {
            assert_eq!(offset(&rope, pos(2, 0), enc), text.len(), "{enc:?}");
            assert_eq!(
                offset(&rope, pos(u32::MAX, u32::MAX), enc),
                text.len(),
                "{enc:?}"
            );
            assert_eq!(offset(&rope, pos(1, u32::MAX), enc), text.len(), "{enc:?}");
            assert_eq!(position(&rope, usize::MAX, enc), pos(1, 1), "{enc:?}");
            let r = byte_range(&rope, Range::new(pos(1, 1), pos(0, 0)), enc);
            assert_eq!(r, 8..8, "{enc:?}: reversed ranges are emptied");
        }
        let empty = Rope::new();
        assert_eq!(offset(&empty, pos(3, 3), Encoding::Utf16), 0);
        assert_eq!(position(&empty, 10, Encoding::Utf16), pos(0, 0));
    }

    #[test]
    fn ranges_convert_both_ways() {
        let text = "// 😀 émoji\r\nlet s = format!(\"x\");\r\n";
        let rope = Rope::from_str(text);
        let start = text.find("format!").unwrap();
        let end = text.find(";").unwrap();
        let r16 = lsp_range(&rope, start..end, Encoding::Utf16);
        assert_eq!(r16, Range::new(pos(1, 8), pos(1, 20)));
        let r8 = lsp_range(&rope, start..end, Encoding::Utf8);
        assert_eq!(r8, r16, "line 1 is ASCII");
        assert_eq!(
            lsp_range(&rope, 3..7, Encoding::Utf16),
            Range::new(pos(0, 3), pos(0, 5))
        );
        assert_eq!(
            lsp_range(&rope, 3..7, Encoding::Utf8),
            Range::new(pos(0, 3), pos(0, 7))
        );
        for enc in [Encoding::Utf8, Encoding::Utf16] {
            assert_eq!(
                byte_range(&rope, lsp_range(&rope, start..end, enc), enc),
                start..end
            );
        }
    }
}
