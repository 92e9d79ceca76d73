//! `textDocument/codeAction`: a quick fix per fixable finding in range, a "suppress on this line"
//! quick fix per finding, and `source.fixAll.heap-audit` (safe fixes, plus unsafe ones when the
//! `unsafeFixes` setting is on). Edits come inline (no `codeAction/resolve`), computed from the
//! cached findings of the version they apply to; if the document moved on meanwhile the request
//! fails with ContentModified rather than return edits for an older text.

use std::collections::HashMap;
use std::ops::Range;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use ropey::Rope;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, CodeActionResponse,
    DocumentChanges, OneOf, OptionalVersionedTextDocumentIdentifier, TextDocumentEdit, TextEdit,
    Uri, WorkspaceEdit,
};

use crate::document::{parse_str, DEFAULT_PARSE_BUDGET};
use crate::engine::{
    analyze_full, apply_fixes, fix_until_stable, Applicability, Edit, Finding, FixMode,
};
use crate::language::Family;
use crate::lsp::diagnostics::{diagnostic, finding_ref};
use crate::lsp::encoding::{byte_range, lsp_range, Encoding};
use crate::lsp::state::{with_text, Analysis, Caps, Session, Snapshot};
use crate::rules::registry;

/// The kind of the fix-all source action (registered in `codeActionProvider.codeActionKinds`).
pub const FIX_ALL_KIND: CodeActionKind = CodeActionKind::new("source.fixAll.heap-audit");

/// Fix-all re-analyses and applies again at most this many times (fixes can enable fixes).
const FIX_ALL_PASSES: usize = 10;

pub(crate) async fn code_action(
    session: &Arc<Session>,
    params: CodeActionParams,
) -> Result<Option<CodeActionResponse>> {
    let uri = params.text_document.uri;
    let only = params.context.only.as_deref();
    let quick_fixes = wants(only, &CodeActionKind::QUICKFIX);
    let fix_all = wants(only, &FIX_ALL_KIND);
    if !quick_fixes && !fix_all {
        return Ok(None);
    }
    let Some(snap) = session.snapshot(&uri) else {
        return Ok(None);
    };
    let (open_seq, version) = (snap.open_seq, snap.version);
    let caps = session.caps();
    let range = params.range;
    // The diagnostics the client sends back name their findings (`data`): (version, index).
    let referenced: Vec<(i32, usize)> = params
        .context
        .diagnostics
        .iter()
        .filter_map(finding_ref)
        .collect();
    let worker = Arc::clone(session);
    let actions = tokio::task::spawn_blocking(move || {
        let analysis = worker.analysis(&snap);
        let requested = byte_range(&snap.rope, range, caps.encoding);
        let mut actions = Vec::new();
        if quick_fixes {
            let named = |i: usize| referenced.contains(&(analysis.version, i));
            quick_fix_actions(&snap, &analysis, requested, named, caps, &mut actions);
        }
        if fix_all {
            actions.extend(fix_all_action(&snap, &analysis, caps));
        }
        actions
    })
    .await
    .map_err(|_| Error::internal_error())?;
    if session.version_of(&uri) != Some((open_seq, version)) {
        return Err(Error::content_modified());
    }
    Ok((!actions.is_empty()).then_some(actions))
}

/// Whether the client's `only` filter admits `kind` (a requested kind covers its sub-kinds).
fn wants(only: Option<&[CodeActionKind]>, kind: &CodeActionKind) -> bool {
    let Some(only) = only else { return true };
    only.iter().any(|k| {
        let (k, kind) = (k.as_str(), kind.as_str());
        kind == k
            || kind
                .strip_prefix(k)
                .is_some_and(|rest| rest.starts_with('.'))
    })
}

/// Quick fixes for the findings that intersect `requested` or that the request's diagnostics
/// name (`named`).
fn quick_fix_actions(
    snap: &Snapshot,
    analysis: &Analysis,
    requested: Range<usize>,
    named: impl Fn(usize) -> bool,
    caps: Caps,
    out: &mut CodeActionResponse,
) {
    let enc = caps.encoding;
    let mut suppressions = Vec::new();
    let mut suppressed: Vec<(u16, usize)> = Vec::new();
    for (i, f) in analysis.findings.iter().enumerate() {
        let intersects = f.range.start <= requested.end && requested.start <= f.range.end;
        if !intersects && !named(i) {
            continue;
        }
        let diag = || vec![diagnostic(f, i, analysis.version, &snap.rope, enc)];
        if let Some(fix) = f.fix.as_ref().filter(|fix| !fix.is_empty()) {
            let safe = fix.applicability == Applicability::Safe;
            let edits = fix
                .edits()
                .iter()
                .map(|e| text_edit(&snap.rope, e, enc))
                .collect();
            out.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: if safe {
                    fix.title.to_string()
                } else {
                    format!("{} (unsafe)", fix.title)
                },
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(diag()),
                edit: Some(workspace_edit(&snap.uri, snap.version, edits, caps)),
                is_preferred: safe.then_some(true),
                ..Default::default()
            }));
        }
        // One suppression per rule and line, whatever the number of findings there.
        let line = snap
            .rope
            .byte_to_line(f.range.start.min(snap.rope.len_bytes()));
        // Profile data is not about the code's shape: no suppression comment for it.
        let suppressible =
            f.rule != registry().unused_suppression() && f.rule != registry().hot_site();
        if suppressible && !suppressed.contains(&(f.rule, line)) {
            suppressed.push((f.rule, line));
            if let Some(edit) = suppression_edit(snap, f) {
                suppressions.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title: format!("Suppress {} on this line", f.rule_id()),
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: Some(diag()),
                    edit: Some(workspace_edit(
                        &snap.uri,
                        snap.version,
                        vec![text_edit(&snap.rope, &edit, enc)],
                        caps,
                    )),
                    ..Default::default()
                }));
            }
        }
    }
    // Fixes first, then the suppressions.
    out.append(&mut suppressions);
}

fn fix_all_action(snap: &Snapshot, analysis: &Analysis, caps: Caps) -> Option<CodeActionOrCommand> {
    let mode = if snap.resolved.unsafe_fixes {
        FixMode::SafeAndUnsafe
    } else {
        FixMode::SafeOnly
    };
    if !analysis.findings.iter().any(|f| {
        f.fix
            .as_ref()
            .is_some_and(|x| mode.allows(x.applicability) && !x.is_empty())
    }) {
        return None;
    }
    let settings = &snap.resolved.settings;
    let edit = with_text(&snap.rope, |text| {
        let fixed = std::panic::catch_unwind(AssertUnwindSafe(|| {
            // The first pass uses the cached findings; later passes re-analyse the fixed text.
            let (first, n) = apply_fixes(text, &analysis.findings, mode);
            if n == 0 {
                return None;
            }
            // Later passes skip the rules switched off for the document, and keep its budget.
            let limits = snap.rules_off.limits(text.len(), settings.max_file_size);
            let (fixed, _) = fix_until_stable(&first, mode, FIX_ALL_PASSES - 1, |t| {
                parse_str(snap.lang, t, DEFAULT_PARSE_BUDGET).map_or_else(Vec::new, |tree| {
                    analyze_full(snap.lang, t, &tree, settings, &limits).findings
                })
            });
            Some(fixed)
        }))
        .ok()??;
        let (range, replacement) = minimal_edit(text, &fixed)?;
        Some(Edit::replace(range, replacement))
    })?;
    let title = match mode {
        FixMode::SafeOnly => "Fix all heap-audit findings (safe fixes)",
        FixMode::SafeAndUnsafe => "Fix all heap-audit findings (safe and unsafe fixes)",
    };
    Some(CodeActionOrCommand::CodeAction(CodeAction {
        title: title.to_owned(),
        kind: Some(FIX_ALL_KIND),
        edit: Some(workspace_edit(
            &snap.uri,
            snap.version,
            vec![text_edit(&snap.rope, &edit, caps.encoding)],
            caps,
        )),
        ..Default::default()
    }))
}

/// The one edit turning `old` into `new`: the differing middle, between the common prefix and
/// suffix. `None` if they are equal.
fn minimal_edit(old: &str, new: &str) -> Option<(Range<usize>, String)> {
    if old == new {
        return None;
    }
    let mut prefix = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let max_suffix = old.len().min(new.len()) - prefix;
    let mut suffix = old
        .bytes()
        .rev()
        .zip(new.bytes().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    Some((
        prefix..old.len() - suffix,
        new[prefix..new.len() - suffix].to_owned(),
    ))
}

/// An engine edit as an LSP text edit. LSP positions cannot point between `\r` and `\n`, so an
/// edit boundary there is widened over the whole line break (and the text adjusted to match).
fn text_edit(rope: &Rope, edit: &Edit, enc: Encoding) -> TextEdit {
    let len = rope.len_bytes();
    let inside_crlf =
        |b: usize| b > 0 && b < len && rope.byte(b - 1) == b'\r' && rope.byte(b) == b'\n';
    let (mut start, mut end) = (edit.range.start.min(len), edit.range.end.min(len));
    let mut text = std::borrow::Cow::Borrowed(edit.text.as_str());
    if inside_crlf(start) {
        start -= 1;
        text = format!("\r{text}").into();
    }
    if inside_crlf(end) && end >= start {
        end += 1;
        text = format!("{text}\n").into();
    }
    TextEdit {
        range: lsp_range(rope, start..end.max(start), enc),
        new_text: text.into_owned(),
    }
}

fn workspace_edit(uri: &Uri, version: i32, edits: Vec<TextEdit>, caps: Caps) -> WorkspaceEdit {
    if caps.document_changes {
        WorkspaceEdit {
            document_changes: Some(DocumentChanges::Edits(vec![TextDocumentEdit {
                text_document: OptionalVersionedTextDocumentIdentifier {
                    uri: uri.clone(),
                    version: Some(version),
                },
                edits: edits.into_iter().map(OneOf::Left).collect(),
            }])),
            ..Default::default()
        }
    } else {
        WorkspaceEdit {
            changes: Some(HashMap::from([(uri.clone(), edits)])),
            ..Default::default()
        }
    }
}

/// Inserts `heap-audit: allow(<id>)` in a comment on its own line above the finding's line, with
/// that line's indentation and line break; or adds the id to a suppression comment already
/// standing on the line above. `None` where a new line could change the code: inside a string,
/// a comment or JSX, or after a Python line continuation.
fn suppression_edit(snap: &Snapshot, f: &Finding) -> Option<Edit> {
    let rope = &snap.rope;
    let family = snap.lang.family();
    let marker = if family == Family::Python { "#" } else { "//" };
    let id = f.rule_id();
    let line = rope.byte_to_line(f.range.start.min(rope.len_bytes()));
    let line_start = rope.line_to_byte(line);
    let tree = snap.tree.as_ref()?;
    let root = tree.root_node();

    // Never open a line inside a string, comment or JSX, where the new text would change the code.
    let mut node = root.descendant_for_byte_range(line_start, line_start);
    while let Some(n) = node {
        let k = n.kind();
        if n.start_byte() < line_start
            && (k.contains("string") || k.contains("comment") || k.starts_with("jsx"))
        {
            return None;
        }
        node = n.parent();
    }
    let text_of = |l: usize| -> String { rope.line(l).chars().collect() };
    let this = text_of(line);
    if line > 0 {
        let above = text_of(line - 1);
        let above_body = above.trim_end_matches(['\r', '\n']);
        if family == Family::Python && above_body.ends_with('\\') {
            return None;
        }
        // A suppression comment alone on the line above: add the id to its list.
        let trimmed = above_body.trim_start();
        if let Some(at) = trimmed
            .starts_with(marker)
            .then(|| trimmed.find("heap-audit: allow("))
            .flatten()
        {
            let above_start = rope.line_to_byte(line - 1) + (above_body.len() - trimmed.len());
            let comment = root.descendant_for_byte_range(above_start, above_start + 1)?;
            if comment.kind().contains("comment") {
                let list = at + "heap-audit: allow(".len();
                let close = list + trimmed[list..].find(')')?;
                let ids = &trimmed[list..close];
                if ids.split(',').any(|s| s.trim() == id) {
                    return None;
                }
                let sep = if ids.trim().is_empty() { "" } else { ", " };
                return Some(Edit::insert(above_start + close, format!("{sep}{id}")));
            }
        }
    }
    let indent: String = this
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let eol = line_break(rope, line)
        .or_else(|| line.checked_sub(1).and_then(|l| line_break(rope, l)))
        .unwrap_or("\n");
    Some(Edit::insert(
        line_start,
        format!("{indent}{marker} heap-audit: allow({id}){eol}"),
    ))
}

/// The line break ending `line`, if it has one.
fn line_break(rope: &Rope, line: usize) -> Option<&'static str> {
    let next = rope.line_to_byte(line + 1);
    if line + 1 >= rope.len_lines() {
        return None;
    }
    match rope.byte(next - 1) {
        b'\n' if next >= 2 && rope.byte(next - 2) == b'\r' => Some("\r\n"),
        b'\n' => Some("\n"),
        b'\r' => Some("\r"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{apply_edits, Settings};
    use crate::language::Lang;
    use crate::lsp::settings::Workspace;
    use std::str::FromStr;

    fn snapshot(lang: Lang, src: &str) -> (Snapshot, Analysis) {
        let rope = Rope::from_str(src);
        let tree = crate::document::parse_str(lang, src, crate::document::DEFAULT_PARSE_BUDGET);
        let (resolved, settings_gen) = Workspace::new(Default::default(), vec![]).resolve(None);
        let findings =
            crate::engine::analyze(lang, src, tree.as_ref().unwrap(), &Settings::default());
        let snap = Snapshot {
            uri: Uri::from_str("file:///x").unwrap(),
            lang,
            rope,
            tree,
            version: 3,
            open_seq: 1,
            path: None,
            resolved,
            settings_gen,
            cached: None,
            edit_seq: 0,
            rules_off: Default::default(),
        };
        (
            snap,
            Analysis {
                version: 3,
                settings_gen,
                findings,
            },
        )
    }

    fn suppressed(lang: Lang, src: &str) -> Option<String> {
        let (snap, analysis) = snapshot(lang, src);
        let f = analysis
            .findings
            .iter()
            .find(|f| f.rule != registry().unused_suppression())
            .expect("a finding");
        let edit = suppression_edit(&snap, f)?;
        let out = apply_edits(src, &[&edit]);
        let after = crate::engine::analyze_str(lang, &out, &Settings::default()).unwrap();
        assert!(
            after
                .iter()
                .all(|g| g.rule_id() != f.rule_id() && g.rule != registry().unused_suppression()),
            "the suppression works and is used: {out}"
        );
        Some(out)
    }

    #[test]
    fn suppression_goes_on_the_line_above_with_its_indentation_and_line_break() {
        assert_eq!(
            suppressed(Lang::Rust, "fn f() {\r\n\tlet s = format!(\"x\");\r\n}\r\n").unwrap(),
            "fn f() {\r\n\t// heap-audit: allow(rust/format-literal)\r\n\tlet s = format!(\"x\");\r\n}\r\n"
        );
        assert_eq!(
            suppressed(Lang::Python, "def f(x):\n    return x ** 0.5").unwrap(),
            "def f(x):\n    # heap-audit: allow(py/pow-half)\n    return x ** 0.5"
        );
        assert_eq!(
            suppressed(Lang::TypeScript, "delete o.a;\n").unwrap(),
            "// heap-audit: allow(js/delete-property)\ndelete o.a;\n"
        );
    }

    #[test]
    fn suppression_joins_a_comment_above() {
        let src = "def f(x):\n    # heap-audit: allow(py/list-membership)\n    return x ** 0.5\n";
        let (snap, analysis) = snapshot(Lang::Python, src);
        let f = analysis
            .findings
            .iter()
            .find(|f| f.rule_id() == "py/pow-half")
            .unwrap();
        let edit = suppression_edit(&snap, f).unwrap();
        assert_eq!(
            apply_edits(src, &[&edit]),
            "def f(x):\n    # heap-audit: allow(py/list-membership, py/pow-half)\n    return x ** 0.5\n"
        );
    }

    #[test]
    fn no_suppression_where_a_new_line_would_change_the_code() {
        assert_eq!(suppressed(Lang::Python, "y = 1 + \\\n  x ** 0.5\n"), None);
        assert_eq!(
            suppressed(
                Lang::JavaScript,
                "const s = `a\n${(() => { delete o.a; })()}`;\n"
            ),
            None
        );
        assert_eq!(suppressed(Lang::Python, "s = f'''\n{x ** 0.5}'''\n"), None);
    }

    #[test]
    fn minimal_edits_are_minimal_and_boundary_safe() {
        assert_eq!(minimal_edit("abc", "abc"), None);
        assert_eq!(
            minimal_edit("let s = format!(\"x\");", "let s = \"x\".to_string();"),
            Some((8..19, "\"x\".to_string(".into()))
        );
        // Differing inside a multi-byte character: whole characters only.
        assert_eq!(minimal_edit("aé", "aè"), Some((1..3, "è".into())));
        assert_eq!(minimal_edit("ab", "abab"), Some((2..2, "ab".into())));
        for (old, new) in [("x😀y", "x😃y"), ("aaa", "aa"), ("", "x"), ("\r\n", "\n")] {
            let (r, t) = minimal_edit(old, new).unwrap();
            assert_eq!(format!("{}{t}{}", &old[..r.start], &old[r.end..]), new);
        }
    }

    #[test]
    fn edits_never_split_a_crlf() {
        let rope = Rope::from_str("a\r\nb");
        let e = text_edit(&rope, &Edit::delete(2..4), Encoding::Utf16);
        // Deleting "\nb" becomes deleting "\r\nb" and re-inserting "\r".
        assert_eq!(
            (
                e.range.start.line,
                e.range.start.character,
                e.range.end.line,
                e.range.end.character
            ),
            (0, 1, 1, 1)
        );
        assert_eq!(e.new_text, "\r");
        let e = text_edit(&rope, &Edit::insert(2, "x"), Encoding::Utf8);
        assert_eq!(
            (
                e.range.start.character,
                e.range.end.line,
                e.range.end.character
            ),
            (1, 1, 0)
        );
        assert_eq!(e.new_text, "\rx\n");
    }

    #[test]
    fn one_suppression_per_rule_and_line() {
        let src = "fn f() -> [String; 2] {\n    [format!(\"a\"), format!(\"b\")]\n}\n";
        let (snap, analysis) = snapshot(Lang::Rust, src);
        assert_eq!(analysis.findings.len(), 2);
        let mut out = Vec::new();
        quick_fix_actions(
            &snap,
            &analysis,
            0..src.len(),
            |_| false,
            Caps::default(),
            &mut out,
        );
        let titles: Vec<String> = out
            .iter()
            .map(|a| match a {
                CodeActionOrCommand::CodeAction(a) => a.title.clone(),
                CodeActionOrCommand::Command(c) => c.title.clone(),
            })
            .collect();
        assert_eq!(
            titles,
            [
                "Replace `format!` with `.to_string()`",
                "Replace `format!` with `.to_string()`",
                "Suppress rust/format-literal on this line"
            ]
        );
    }

    #[test]
    fn only_filters_by_kind_prefix() {
        let fix_all = &FIX_ALL_KIND;
        assert!(wants(None, fix_all));
        assert!(wants(Some(&[CodeActionKind::SOURCE_FIX_ALL]), fix_all));
        assert!(wants(Some(&[CodeActionKind::SOURCE]), fix_all));
        assert!(!wants(Some(&[CodeActionKind::QUICKFIX]), fix_all));
        assert!(!wants(Some(&[CodeActionKind::new("source.fix")]), fix_all));
        assert!(wants(
            Some(&[CodeActionKind::QUICKFIX]),
            &CodeActionKind::QUICKFIX
        ));
    }

    #[test]
    fn fix_all_applies_safe_fixes_only_by_default() {
        let src = "fn f() -> String { format!(\"a\") }\n";
        let (snap, analysis) = snapshot(Lang::Rust, src);
        let CodeActionOrCommand::CodeAction(a) =
            fix_all_action(&snap, &analysis, Caps::default()).unwrap()
        else {
            panic!("a code action")
        };
        let changes = a.edit.unwrap().changes.unwrap();
        let edits = &changes[&snap.uri];
        assert_eq!(edits.len(), 1);
        assert_eq!(edits[0].new_text, "\"a\".to_string(");
        // Only unsafe fixes: nothing to do.
        let (snap, analysis) = snapshot(Lang::JavaScript, "delete o.a;\n");
        assert!(fix_all_action(&snap, &analysis, Caps::default()).is_none());
    }
}
