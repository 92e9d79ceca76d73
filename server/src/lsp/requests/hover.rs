//! `textDocument/hover`: on a finding, its rule's guide section headed by the finding's message;
//! elsewhere, what the allocation-making construct under the cursor costs. On a line a profile
//! measured, then what was measured there and the sampled stacks that reach it (top 3).

use std::sync::Arc;

use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::{Hover, HoverContents, HoverParams, MarkupContent, MarkupKind};

use crate::engine::Finding;
use crate::lsp::encoding::{lsp_range, offset};
use crate::lsp::state::{with_text, Session};

pub(crate) async fn hover(session: &Arc<Session>, params: HoverParams) -> Result<Option<Hover>> {
    let at = params.text_document_position_params;
    let Some(snap) = session.snapshot(&at.text_document.uri) else {
        return Ok(None);
    };
    let (open_seq, version) = (snap.open_seq, snap.version);
    let enc = session.encoding();
    let worker = Arc::clone(session);
    let hover = tokio::task::spawn_blocking(move || {
        let byte = offset(&snap.rope, at.position, enc);
        let analysis = worker.analysis(&snap);
        let (explained, measured) = with_text(&snap.rope, |text| {
            let explained = match finding_at(&analysis.findings, byte) {
                Some(f) => Some((f.range.clone(), finding_markdown(f))),
                None => snap.tree.as_ref().and_then(|tree| {
                    crate::hover::construct_at(snap.lang, text, tree, byte)
                        .map(|found| (found.range, found.markdown))
                }),
            };
            (explained, worker.profiles.hover(&snap, text, byte))
        });
        // What the profile measured on the line comes after the finding or construct.
        let (range, markdown) = match (explained, measured) {
            (Some((range, md)), Some((_, profile))) => (range, format!("{md}\n\n---\n\n{profile}")),
            (Some(found), None) | (None, Some(found)) => found,
            (None, None) => return None,
        };
        Some(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: markdown,
            }),
            range: Some(lsp_range(&snap.rope, range, enc)),
        })
    })
    .await
    .map_err(|_| Error::internal_error())?;
    // A range computed for an older text must not be shown over a newer one.
    if session.version_of(&at.text_document.uri) != Some((open_seq, version)) {
        return Err(Error::content_modified());
    }
    Ok(hover)
}

/// The innermost finding whose range holds `byte`.
pub(crate) fn finding_at(findings: &[Finding], byte: usize) -> Option<&Finding> {
    findings
        .iter()
        .filter(|f| {
            f.range.start <= byte
                && (byte < f.range.end || f.range.is_empty() && byte == f.range.start)
        })
        .min_by_key(|f| f.range.len())
}

fn finding_markdown(f: &Finding) -> String {
    let id = f.rule_id();
    let mut md = format!("**{}**\n\n`{id}` · {}", f.message, f.severity.as_str());
    if f.loop_depth > 0 {
        use std::fmt::Write as _;
        let _ = write!(md, " · on a hot path (loop depth {})", f.loop_depth);
    }
    if let Some(section) = crate::guides::section(id) {
        md.push_str("\n\n---\n\n");
        md.push_str(section);
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::analyze_str;
    use crate::language::Lang;

    #[test]
    fn finding_hover_has_message_then_guide() {
        let src = "for x in xs:\n    y = x ** 0.5\n";
        let findings = analyze_str(Lang::Python, src, &Default::default()).unwrap();
        let at = src.find("**").unwrap();
        let f = finding_at(&findings, at).expect("the finding is under the cursor");
        let md = finding_markdown(f);
        assert!(md.starts_with(&format!("**{}**", f.message)), "{md}");
        assert!(
            md.contains("`py/pow-half` · warning · on a hot path (loop depth 1)"),
            "{md}"
        );
        assert!(md.contains(crate::guides::section("py/pow-half").unwrap()));
        assert!(finding_at(&findings, src.find("for").unwrap()).is_none());
        assert!(
            finding_at(&findings, f.range.end).is_none(),
            "the end is exclusive"
        );
    }
}
