//! `textDocument/inlayHint`: what the profiles measured, at the end of the document's hottest
//! lines (`12.4 MB · 31k allocs · 18%`; for V8 profiles per function, named). How many lines and
//! from which share on: `[profile] inlay-hints` and `min-share`. An empty list when no profile
//! covers the document.

use std::sync::Arc;

use ropey::Rope;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::{InlayHint, InlayHintLabel, InlayHintParams, InlayHintTooltip};

use crate::lsp::encoding::{byte_range, line_end, position, Encoding};
use crate::lsp::state::Session;
use crate::profile::{annotate, display, Granularity, HotLine, HotRank};

pub(crate) async fn inlay_hint(
    session: &Arc<Session>,
    params: InlayHintParams,
) -> Result<Option<Vec<InlayHint>>> {
    let uri = params.text_document.uri;
    let Some(snap) = session.snapshot(&uri) else {
        return Ok(None);
    };
    let Some(path) = snap.path.clone() else {
        return Ok(Some(Vec::new()));
    };
    let Some(set) = session.profiles.set_for(&path) else {
        return Ok(Some(Vec::new()));
    };
    if snap.resolved.excludes(&path) {
        return Ok(Some(Vec::new()));
    }
    let (open_seq, version) = (snap.open_seq, snap.version);
    let enc = session.encoding();
    let options = snap.resolved.profile;
    let hints = tokio::task::spawn_blocking(move || {
        let requested = byte_range(&snap.rope, params.range, enc);
        let stale = annotate::stale_now(&set, &path);
        let hot = set.hot_lines(
            &path,
            HotRank::SelfBytes,
            options.hot_lines,
            options.min_share,
        );
        hot.iter()
            .filter_map(|h| hint(&snap.rope, h, stale, enc, &requested))
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|_| Error::internal_error())?;
    if session.version_of(&uri) != Some((open_seq, version)) {
        return Err(Error::content_modified());
    }
    Ok(Some(hints))
}

/// The hint for one hot line, at its end, if the line is in the text and in `requested`.
fn hint(
    rope: &Rope,
    hot: &HotLine,
    stale: bool,
    enc: Encoding,
    requested: &std::ops::Range<usize>,
) -> Option<InlayHint> {
    let line = (hot.line as usize).checked_sub(1)?;
    if line >= rope.len_lines() {
        return None;
    }
    let at = line_end(rope, line);
    let start = rope.line_to_byte(line);
    if at < requested.start || start > requested.end {
        return None;
    }
    let m = &hot.measured;
    let mut label = display::label(m, false);
    if m.granularity == Granularity::Function {
        if let Some(name) = hot.function.as_deref().filter(|n| !n.is_empty()) {
            label = format!("{name}: {label}");
        }
    }
    let mut tooltip = format!(
        "Measured by the profile ({}): {} at this line",
        m.measure.describe(),
        display::label(m, false)
    );
    if m.bytes > m.self_bytes {
        tooltip.push_str(&format!("; {} through its calls", display::label(m, true)));
    }
    if stale || m.stale {
        tooltip.push_str(&format!(". {}", annotate::STALE));
    }
    Some(InlayHint {
        position: position(rope, at, enc),
        label: InlayHintLabel::String(label),
        kind: None,
        text_edits: None,
        tooltip: Some(InlayHintTooltip::String(tooltip)),
        padding_left: Some(true),
        padding_right: None,
        data: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{Measure, Measured};

    fn hot(line: u32, granularity: Granularity) -> HotLine {
        HotLine {
            line,
            column: None,
            function: Some("makeRows".into()),
            measured: Measured {
                bytes: 12_400_000,
                blocks: 31_000,
                self_bytes: 12_400_000,
                self_blocks: 31_000,
                share: 0.18,
                self_share: 0.18,
                measure: Measure::Allocated,
                granularity,
                stale: false,
            },
        }
    }

    #[test]
    fn hints_sit_at_the_end_of_their_line() {
        let rope = Rope::from_str("a = 1\r\nb = [x for x in é]\nc\n");
        let all = 0..rope.len_bytes();
        let h = hint(
            &rope,
            &hot(2, Granularity::Line),
            false,
            Encoding::Utf16,
            &all,
        )
        .unwrap();
        assert_eq!((h.position.line, h.position.character), (1, 18));
        assert_eq!(
            serde_json::to_value(&h.label).unwrap(),
            "12.4 MB · 31k allocs · 18%"
        );
        let h = hint(
            &rope,
            &hot(2, Granularity::Line),
            true,
            Encoding::Utf8,
            &all,
        )
        .unwrap();
        assert_eq!(h.position.character, 19);
        let InlayHintTooltip::String(t) = h.tooltip.unwrap() else {
            panic!()
        };
        assert!(t.ends_with(annotate::STALE), "{t}");
        // Per function for V8, named.
        let h = hint(
            &rope,
            &hot(1, Granularity::Function),
            false,
            Encoding::Utf8,
            &all,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&h.label).unwrap(),
            "makeRows: 12.4 MB · 31k allocs · 18%"
        );
        // Outside the text or the requested range: none.
        assert!(hint(
            &rope,
            &hot(9, Granularity::Line),
            false,
            Encoding::Utf8,
            &all
        )
        .is_none());
        assert!(hint(
            &rope,
            &hot(3, Granularity::Line),
            false,
            Encoding::Utf8,
            &(0..4)
        )
        .is_none());
    }
}
