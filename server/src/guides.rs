//! The reference guides, one per language, embedded at build time. Each rule has a section
//! headed `## <rule id>` with the subsections What it does / Why is this bad? / Example / Fix /
//! Fix safety. The section is the one source for hover, `heap-audit explain` and the README.

use crate::language::Family;

pub const RUST: &str = include_str!("../guides/rust.md");
pub const JS: &str = include_str!("../guides/js.md");
pub const PYTHON: &str = include_str!("../guides/python.md");
pub const GENERAL: &str = include_str!("../guides/general.md");

/// The subsections every rule section has, in order.
pub const SUBSECTIONS: [&str; 5] = [
    "### What it does",
    "### Why is this bad?",
    "### Example",
    "### Fix",
    "### Fix safety",
];

pub fn guide(family: Option<Family>) -> &'static str {
    match family {
        Some(Family::Rust) => RUST,
        Some(Family::Js) => JS,
        Some(Family::Python) => PYTHON,
        None => GENERAL,
    }
}

/// The section for `rule_id` (heading included), or `None`.
pub fn section(rule_id: &str) -> Option<&'static str> {
    let family = crate::rules::registry().get(rule_id)?.meta.family;
    section_in(guide(family), rule_id)
}

fn section_in<'g>(guide: &'g str, rule_id: &str) -> Option<&'g str> {
    let mut offset = 0;
    for line in guide.split_inclusive('\n') {
        if line.trim_end() == format!("## {rule_id}") {
            let rest = &guide[offset..];
            let end = rest[line.len()..]
                .find("\n## ")
                .map_or(rest.len(), |i| line.len() + i + 1);
            return Some(rest[..end].trim_end());
        }
        offset += line.len();
    }
    None
}

/// Where the reference guides are published. Rule links (the LSP `codeDescription.href`) are
/// built from this one base: `<base><guide file>#<section anchor>`.
pub const DOCS_BASE_URL: &str = "https://github.com/heap-audit/heap-audit/blob/main/server/guides/";

/// The link to a rule's section of its guide, e.g. `…/guides/rust.md#rustformat-literal` (the
/// anchor GitHub gives the heading `## rust/format-literal`).
pub fn rule_url(rule_id: &str) -> Option<String> {
    let family = crate::rules::registry().get(rule_id)?.meta.family;
    let file = match family {
        Some(Family::Rust) => "rust.md",
        Some(Family::Js) => "js.md",
        Some(Family::Python) => "python.md",
        None => "general.md",
    };
    let anchor: String = rule_id
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
        .map(|c| {
            if c == ' ' {
                '-'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    Some(format!("{DOCS_BASE_URL}{file}#{anchor}"))
}

/// A section's subsection body (e.g. "### Fix safety"), trimmed.
pub fn subsection<'g>(section: &'g str, heading: &str) -> Option<&'g str> {
    let start = section.find(heading)? + heading.len();
    let rest = &section[start..];
    let end = rest.find("\n### ").unwrap_or(rest.len());
    Some(rest[..end].trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::registry;

    #[test]
    fn every_rule_has_a_complete_section_and_no_section_is_orphaned() {
        for rule in registry().rules().iter().filter(|r| !r.is_test_only()) {
            let s = section(rule.meta.id)
                .unwrap_or_else(|| panic!("no guide section for {}", rule.meta.id));
            let mut last = 0;
            for h in SUBSECTIONS {
                let at = s
                    .find(&format!("\n{h}\n"))
                    .unwrap_or_else(|| panic!("{}: missing `{h}`", rule.meta.id));
                assert!(at >= last, "{}: `{h}` out of order", rule.meta.id);
                last = at;
                assert!(
                    !subsection(s, h).unwrap().is_empty(),
                    "{}: `{h}` is empty",
                    rule.meta.id
                );
            }
        }
        for (family, text) in [
            (Some(Family::Rust), RUST),
            (Some(Family::Js), JS),
            (Some(Family::Python), PYTHON),
            (None, GENERAL),
        ] {
            for line in text.lines().filter(|l| l.starts_with("## ")) {
                let id = line[3..].trim();
                if id.contains('/') || id == "unused-suppression" {
                    let rule = registry()
                        .get(id)
                        .unwrap_or_else(|| panic!("guide section `{id}` has no rule"));
                    assert_eq!(rule.meta.family, family, "{id} is in the wrong guide");
                }
            }
        }
    }

    #[test]
    fn rule_urls_point_at_the_guide_sections() {
        assert_eq!(
            rule_url("rust/format-literal").as_deref(),
            Some("https://github.com/heap-audit/heap-audit/blob/main/server/guides/rust.md#rustformat-literal")
        );
        assert!(rule_url("unused-suppression")
            .unwrap()
            .ends_with("/general.md#unused-suppression"));
        assert_eq!(rule_url("rust/nope"), None);
    }
}
