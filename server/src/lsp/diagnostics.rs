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
        message: finding.message.clone().into_owned(),
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
