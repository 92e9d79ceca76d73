//! Findings → LSP diagnostics, and the small reference each diagnostic carries back to its finding.

use std::sync::OnceLock;

use ropey::Rope;
use serde_json::Value;
use tower_lsp_server::ls_types::{
    CodeDescription, Diagnostic, DiagnosticSeverity, DiagnosticTag, NumberOrString, Uri,
};

use super::encoding::{lsp_range, Encoding};
use super::state::Analysis;
use crate::engine::{Finding, Severity};
use crate::rules::registry;

/// `Diagnostic.source` of everything we report.
pub const SOURCE: &str = "heap-audit";

pub(crate) fn severity(s: Severity) -> DiagnosticSeverity {
    match s {
        Severity::Hint => DiagnosticSeverity::HINT,
        Severity::Info => DiagnosticSeverity::INFORMATION,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Error => DiagnosticSeverity::ERROR,
    }
}

/// The documentation link of each rule as text (as `Uri` serialises it), made once.
fn href_str(rule: u16) -> Option<&'static str> {
    static LINKS: OnceLock<Vec<Option<String>>> = OnceLock::new();
    let links = LINKS.get_or_init(|| {
        (0..registry().len() as u16)
            .map(|i| href(i).map(|u| u.as_str().to_owned()))
            .collect()
    });
    links.get(rule as usize).and_then(|l| l.as_deref())
}

/// The documentation link of each rule, parsed once.
fn href(rule: u16) -> Option<Uri> {
    static LINKS: OnceLock<Vec<Option<Uri>>> = OnceLock::new();
    let links = LINKS.get_or_init(|| {
        registry()
            .rules()
            .iter()
            .map(|r| crate::guides::rule_url(r.meta.id).and_then(|u| u.parse().ok()))
            .collect()
    });
    links.get(rule as usize).cloned().flatten()
}

/// One finding as a diagnostic. `data` is `{"v": version, "i": index}`: enough for a code
/// action to find the cached finding again without analysing anything.
pub(crate) fn diagnostic(
    finding: &Finding,
    index: usize,
    version: i32,
    rope: &Rope,
    enc: Encoding,
) -> Diagnostic {
    let unnecessary = finding.rule == registry().unused_suppression();
    Diagnostic {
        range: lsp_range(rope, finding.range.clone(), enc),
        severity: Some(severity(finding.severity)),
        code: Some(NumberOrString::String(finding.rule_id().to_owned())),
        code_description: href(finding.rule).map(|href| CodeDescription { href }),
        source: Some(SOURCE.to_owned()),
        message: finding.message.to_string(),
        related_information: None,
        tags: unnecessary.then(|| vec![DiagnosticTag::UNNECESSARY]),
        data: Some(serde_json::json!({ "v": version, "i": index })),
    }
}

/// All diagnostics of an analysis, positions converted with the rope of that same version.
pub(crate) fn build(analysis: &Analysis, rope: &Rope, enc: Encoding) -> Vec<Diagnostic> {
    analysis
        .findings
        .iter()
        .enumerate()
        .map(|(i, f)| diagnostic(f, i, analysis.version, rope, enc))
        .collect()
}

/// Appends `s` to `out` as a JSON string.
fn json_str(out: &mut String, s: &str) {
    use std::fmt::Write;
    out.push('"');
    let mut from = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[from..i]);
        if esc.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.push_str(esc);
        }
        from = i + 1;
    }
    out.push_str(&s[from..]);
    out.push('"');
}

/// Writes the JSON-RPC frame of a `textDocument/publishDiagnostics` notification for the findings
/// of `analysis` straight into `out` (cleared first), the same JSON that [`build`] and serde
/// would give, without building a `Diagnostic` per finding: the server's hot path, once per edit.
pub(crate) fn write_publish(
    out: &mut String,
    uri: &Uri,
    version: Option<i32>,
    findings: &[Finding],
    analysis_version: i32,
    rope: &Rope,
    enc: Encoding,
) {
    use std::fmt::Write;
    out.clear();
    out.push_str(r#"{"jsonrpc":"2.0","method":"textDocument/publishDiagnostics","params":{"uri":"#);
    json_str(out, uri.as_str());
    if let Some(v) = version {
        let _ = write!(out, r#","version":{v}"#);
    }
    out.push_str(r#","diagnostics":["#);
    let unused = registry().unused_suppression();
    for (i, f) in findings.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let r = lsp_range(rope, f.range.clone(), enc);
        let _ = write!(
            out,
            r#"{{"range":{{"start":{{"line":{},"character":{}}},"end":{{"line":{},"character":{}}}}},"severity":{},"code":"#,
            r.start.line,
            r.start.character,
            r.end.line,
            r.end.character,
            match f.severity {
                Severity::Error => 1,
                Severity::Warning => 2,
                Severity::Info => 3,
                Severity::Hint => 4,
            }
        );
        json_str(out, f.rule_id());
        if let Some(href) = href_str(f.rule) {
            out.push_str(r#","codeDescription":{"href":"#);
            json_str(out, href);
            out.push('}');
        }
        out.push_str(r#","source":"heap-audit","message":"#);
        json_str(out, &f.message);
        if f.rule == unused {
            out.push_str(r#","tags":[1]"#);
        }
        let _ = write!(out, r#","data":{{"v":{analysis_version},"i":{i}}}}}"#);
    }
    out.push_str("]}}");
}

/// The `(version, index)` a diagnostic of ours refers to.
pub(crate) fn finding_ref(d: &Diagnostic) -> Option<(i32, usize)> {
    if d.source.as_deref() != Some(SOURCE) {
        return None;
    }
    let data = d.data.as_ref()?;
    let v = data.get("v").and_then(Value::as_i64)?;
    let i = data.get("i").and_then(Value::as_u64)?;
    Some((i32::try_from(v).ok()?, usize::try_from(i).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::analyze_str;
    use crate::language::Lang;

    #[test]
    fn diagnostics_carry_code_link_version_and_reference() {
        let src = "// 😀\r\nfn f() -> String { format!(\"x\") }\r\n";
        let findings = analyze_str(Lang::Rust, src, &Default::default()).unwrap();
        let analysis = Analysis {
            version: 7,
            settings_gen: 0,
            findings,
        };
        let rope = Rope::from_str(src);
        let diags = build(&analysis, &rope, Encoding::Utf16);
        assert_eq!(diags.len(), 1);
        let d = &diags[0];
        assert_eq!(
            d.code,
            Some(NumberOrString::String("rust/format-literal".into()))
        );
        assert_eq!(d.source.as_deref(), Some("heap-audit"));
        assert!(d
            .code_description
            .as_ref()
            .unwrap()
            .href
            .as_str()
            .ends_with("rust.md#rustformat-literal"));
        assert_eq!(d.severity, Some(DiagnosticSeverity::INFORMATION));
        assert_eq!((d.range.start.line, d.range.start.character), (1, 19));
        assert_eq!(d.tags, None);
        assert_eq!(finding_ref(d), Some((7, 0)));
        let mut foreign = d.clone();
        foreign.source = Some("other".into());
        assert_eq!(finding_ref(&foreign), None);
    }

    /// The frame written by hand says exactly what serde says for the same diagnostics.
    #[test]
    fn written_publish_equals_the_serialised_one() {
        use tower_lsp_server::ls_types::PublishDiagnosticsParams;
        let cases = [
            (
                Lang::Rust,
                "// 😀\r\nfn f() -> String { format!(\"x\\\"\t\") }\r\n",
            ),
            (
                Lang::Python,
                "x = 1  # heap-audit: allow(py/pow-half)\nfor a in b:\n    s += 'é'\n",
            ),
            (Lang::JavaScript, "function f(o) { delete o.a; }\n"),
        ];
        let uri: Uri = "file:///tmp/a%20b/x.rs".parse().unwrap();
        for (lang, src) in cases {
            let findings = analyze_str(lang, src, &Default::default()).unwrap();
            assert!(!findings.is_empty(), "{src}");
            let analysis = Analysis {
                version: 4,
                settings_gen: 0,
                findings,
            };
            let rope = Rope::from_str(src);
            for enc in [Encoding::Utf8, Encoding::Utf16] {
                let expected = serde_json::json!({
                    "jsonrpc": "2.0",
                    "method": "textDocument/publishDiagnostics",
                    "params": PublishDiagnosticsParams {
                        uri: uri.clone(),
                        diagnostics: build(&analysis, &rope, enc),
                        version: Some(4),
                    },
                });
                let mut out = String::new();
                write_publish(&mut out, &uri, Some(4), &analysis.findings, 4, &rope, enc);
                let got: Value = serde_json::from_str(&out).unwrap();
                assert_eq!(got, expected);
            }
        }
    }

    #[test]
    fn unused_suppressions_are_tagged_unnecessary() {
        let src = "x = 1  # heap-audit: allow(py/pow-half)\n";
        let findings = analyze_str(Lang::Python, src, &Default::default()).unwrap();
        let analysis = Analysis {
            version: 1,
            settings_gen: 0,
            findings,
        };
        let diags = build(&analysis, &Rope::from_str(src), Encoding::Utf8);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].tags, Some(vec![DiagnosticTag::UNNECESSARY]));
        assert_eq!(diags[0].severity, Some(DiagnosticSeverity::HINT));
    }
}
