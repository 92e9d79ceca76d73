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
    let byte = byte.min(rope.len_bytes());
    let line = rope.byte_to_line(byte);
    let start = rope.line_to_byte(line);
    match column_in_chunk(rope, start, byte, enc) {
        Some(character) => Position::new(to_u32(line), to_u32(character)),
        None => position_slow(rope, byte, enc),
    }
}

/// The column of `byte` on the line starting at `start`, read off the one chunk of the rope that
/// holds both (the common case: a finding's line prefix is short), or `None` when they are in
/// different chunks or `byte` is inside a character. Three rope lookups in all where the general
/// path needs ten. The prefix holds no line break, except the `\r` of a `\r\n` when `byte`
/// is its `\n` (the rope never splits a `\r\n` between chunks); that position clamps before
/// the `\r`.
fn column_in_chunk(rope: &Rope, start: usize, byte: usize, enc: Encoding) -> Option<usize> {
    let (chunk, chunk_start, _, _) = rope.chunk_at_byte(start);
    let (lo, hi) = (start - chunk_start, byte - chunk_start);
    if hi > chunk.len() || !chunk.is_char_boundary(hi) {
        return None;
    }
    let mut prefix = &chunk.as_bytes()[lo..hi];
    if let [rest @ .., b'\r'] = prefix {
        prefix = rest;
    }
    Some(match enc {
        Encoding::Utf8 => prefix.len(),
        Encoding::Utf16 => utf16_len(prefix),
    })
}

/// UTF-16 code units of valid UTF-8 bytes: one per character, two for the four-byte ones.
fn utf16_len(utf8: &[u8]) -> usize {
    utf8.iter()
        .map(|&b| usize::from(b & 0xC0 != 0x80) + usize::from(b >= 0xF0))
        .sum()
}

/// [`position`] through the rope's own conversions, for a line prefix that spans chunks.
fn position_slow(rope: &Rope, byte: usize, enc: Encoding) -> Position {
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

    /// The one-chunk shortcut gives what the rope's own conversions give, at every byte (char
    /// boundaries or not) of texts long enough to span many chunks, with multi-byte characters,
    /// `\r\n` and lone `\r` placed across chunk boundaries.
    #[test]
    fn the_chunk_shortcut_agrees_with_the_rope() {
        let pieces = ["ab", "😀", "é", "\r\n", "\r", "\n", "漢字", "x 𝒳 y", "\t"];
        let mut text = String::new();
        let mut i = 0usize;
        while text.len() < 20_000 {
            // A line of 0–200 bytes, so lines run across chunk boundaries at many offsets.
            for _ in 0..(i * 7919 % 60) {
                text.push_str(pieces[i % pieces.len()]);
                i += 1;
            }
            text.push_str(["\n", "\r\n", "\r"][i % 3]);
            i += 1;
        }
        let rope = Rope::from_str(&text);
        assert!(rope.chunks().count() > 10, "the text spans chunks");
        for enc in [Encoding::Utf8, Encoding::Utf16] {
            for byte in 0..=text.len() + 1 {
                assert_eq!(
                    position(&rope, byte, enc),
                    position_slow(&rope, byte, enc),
                    "{enc:?} byte {byte}"
                );
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
