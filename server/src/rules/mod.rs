//! The rule registry: every rule, one file each, listed once per language family.
//!
//! A rule is a [`Rule`]: its metadata, the node kinds it wants, and a check function. The engine
//! walks each tree once and calls a rule's check for the node kinds it asked for. A rule's
//! reference text (what it does, why, example, fix, fix safety) lives in the language's guide
//! (`server/guides/<family>.md`), the one source for hover, `heap-audit explain` and the README.

use std::collections::HashMap;
use std::sync::OnceLock;

use tree_sitter::Node;

use crate::engine::Ctx;
use crate::engine::Severity;
use crate::language::{Family, Lang};

pub mod js;
pub mod python;
pub mod rust;
#[cfg(feature = "test-panic-rule")]
pub mod testing;

/// How a rule's severity is chosen when the configuration says nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultSeverity {
    /// RULES.md's default: warning inside a loop, information elsewhere.
    ByLoopDepth,
    Fixed(Severity),
}

/// What kind of fix a rule can offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixAvailability {
    None,
    Safe,
    Unsafe,
    /// Safe in some cases, unsafe in others (the finding says which).
    Sometimes,
}

impl FixAvailability {
    pub const fn as_str(self) -> &'static str {
        match self {
            FixAvailability::None => "none",
            FixAvailability::Safe => "safe",
            FixAvailability::Unsafe => "unsafe",
            FixAvailability::Sometimes => "safe/unsafe",
        }
    }
}

/// A rule's static description.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable id: `lang/name`, used in `code`, config, suppressions and JSON/SARIF.
    pub id: &'static str,
    /// `None` for the cross-language meta rules (`unused-suppression`, `profile/hot-site`).
    pub family: Option<Family>,
    /// One line, for `heap-audit rules` and the README table.
    pub summary: &'static str,
    pub default: DefaultSeverity,
    /// Fires only on a hot path (loop depth ≥ 1).
    pub hot_only: bool,
    pub fix: FixAvailability,
}

/// A rule: metadata plus the check the engine dispatches to.
pub struct Rule {
    pub meta: RuleMeta,
    /// Named node kinds the check wants, in any language of the family. Unknown kinds in one
    /// grammar (e.g. TS-only nodes under JavaScript) are ignored.
    pub kinds: &'static [&'static str],
    pub check: fn(Node, &mut Ctx),
}

/// The meta rule that reports suppression comments that matched nothing.
pub static UNUSED_SUPPRESSION: Rule = Rule {
    meta: RuleMeta {
        id: "unused-suppression",
        family: None,
        summary: "A `heap-audit: allow(…)` comment that suppresses nothing",
        default: DefaultSeverity::Fixed(Severity::Hint),
        hot_only: false,
        fix: FixAvailability::Safe,
    },
    kinds: &[],
    check: |_, _| {},
};

/// The meta rule for hot allocation sites of a loaded profile that no rule explains. The engine
/// never runs it: the LSP and `check --profile` add its findings from the profile
/// (`profile::annotate`). It is in the registry so that config, `rules` and the guide know it.
pub static HOT_SITE: Rule = Rule {
    meta: RuleMeta {
        id: "profile/hot-site",
        family: None,
        summary:
            "With a profile loaded: a line where many bytes are allocated and no rule says why",
        default: DefaultSeverity::Fixed(Severity::Info),
        hot_only: false,
        fix: FixAvailability::None,
    },
    kinds: &[],
    check: |_, _| {},
};

pub struct Registry {
    rules: Vec<&'static Rule>,
    by_id: HashMap<&'static str, u16>,
    /// Per language: node kind id → indices of the rules that want it.
    dispatch: Vec<Vec<Vec<u16>>>,
    unused_suppression: u16,
    hot_site: u16,
}

impl Registry {
    fn build() -> Self {
        let mut rules: Vec<&'static Rule> = Vec::new();
        rules.extend_from_slice(rust::RULES);
        rules.extend_from_slice(js::RULES);
        rules.extend_from_slice(python::RULES);
        rules.push(&UNUSED_SUPPRESSION);
        rules.push(&HOT_SITE);
        // Last, so the real rules keep their indices (SARIF's `ruleIndex`) in every build.
        #[cfg(feature = "test-panic-rule")]
        rules.push(&testing::TEST_PANIC);
        let by_id: HashMap<&'static str, u16> = rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.meta.id, i as u16))
            .collect();
        assert_eq!(
            by_id.len(),
            rules.len(),
            "duplicate rule id in the registry"
        );
        let dispatch = Lang::ALL
            .iter()
            .map(|&lang| {
                let grammar = lang.grammar();
                let count = grammar.node_kind_count();
                let mut table: Vec<Vec<u16>> = vec![Vec::new(); count];
                for (idx, rule) in rules.iter().enumerate() {
                    if rule.meta.family != Some(lang.family()) {
                        continue;
                    }
                    for kind in rule.kinds {
                        // One kind name may have several symbol ids (aliases); take them all.
                        for id in 0..count as u16 {
                            if grammar.node_kind_is_named(id)
                                && grammar.node_kind_for_id(id) == Some(kind)
                            {
                                table[id as usize].push(idx as u16);
                            }
                        }
                    }
                }
                table
            })
            .collect();
        let unused_suppression = by_id["unused-suppression"];
        let hot_site = by_id["profile/hot-site"];
        Self {
            rules,
            by_id,
            dispatch,
            unused_suppression,
            hot_site,
        }
    }

    pub fn rules(&self) -> &[&'static Rule] {
        &self.rules
    }

    /// The rules users see (`heap-audit rules`, the README table, SARIF): all but the test-only
    /// ones, which come last, so a listed rule's position is its index.
    pub fn listed(&self) -> impl Iterator<Item = &'static Rule> + '_ {
        self.rules.iter().copied().filter(|r| !r.is_test_only())
    }

    pub fn rule(&self, idx: u16) -> &'static Rule {
        self.rules[idx as usize]
    }

    pub fn index_of(&self, id: &str) -> Option<u16> {
        self.by_id.get(id).copied()
    }

    pub fn get(&self, id: &str) -> Option<&'static Rule> {
        self.index_of(id).map(|i| self.rule(i))
    }

    /// The rules wanting nodes of kind id `kind` in `lang`.
    #[inline]
    pub fn rules_for_kind(&self, lang: Lang, kind: u16) -> &[u16] {
        self.dispatch[lang.index()]
            .get(kind as usize)
            .map_or(&[], |v| v.as_slice())
    }

    pub fn unused_suppression(&self) -> u16 {
        self.unused_suppression
    }

    /// `profile/hot-site`, which only profile data produces.
    pub fn hot_site(&self) -> u16 {
        self.hot_site
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

impl Rule {
    /// Rules that exist only in test builds (no guide section, no fixture).
    pub fn is_test_only(&self) -> bool {
        self.meta.summary.starts_with("(test only)")
    }
}

/// The process-wide registry, built on first use.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::build)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_prefixed_by_family_and_kinds_exist() {
        for rule in registry().rules() {
            let Some(family) = rule.meta.family else {
                continue;
            };
            assert!(
                rule.meta.id.starts_with(&format!("{}/", family.prefix())),
                "{}",
                rule.meta.id
            );
            for kind in rule.kinds {
                let known = Lang::ALL.iter().filter(|l| l.family() == family).any(|l| {
                    let g = l.grammar();
                    (0..g.node_kind_count() as u16).any(|id| g.node_kind_for_id(id) == Some(kind))
                });
                assert!(
                    known,
                    "{}: node kind `{kind}` exists in no grammar of its family",
                    rule.meta.id
                );
            }
        }
    }

    #[test]
    fn listed_rules_keep_their_indices() {
        let reg = registry();
        for (i, rule) in reg.listed().enumerate() {
            assert_eq!(
                reg.index_of(rule.meta.id),
                Some(i as u16),
                "{}",
                rule.meta.id
            );
        }
        assert!(reg.listed().all(|r| !r.is_test_only()));
        assert_eq!(
            reg.listed().count() + reg.rules().iter().filter(|r| r.is_test_only()).count(),
            reg.len()
        );
    }
}

/// Helpers for rules' unit tests: analyse a snippet, list the ids, and apply every fix.
#[cfg(test)]
pub(crate) mod test_support {
    use std::path::Path;

    use crate::engine::{analyze_str, fix_until_stable, Finding, FixMode, Settings};
    use crate::language::Lang;

    pub struct Outcome {
        pub findings: Vec<Finding>,
        pub fixed: String,
    }

    impl Outcome {
        pub fn ids(&self) -> Vec<&'static str> {
            self.findings.iter().map(|f| f.rule_id()).collect()
        }
    }

    /// Analyses `src` as the language of `filename` with default settings, and applies all fixes
    /// (safe and unsafe) until stable.
    pub fn check(filename: &str, src: &str) -> Outcome {
        let lang = Lang::from_path(Path::new(filename)).expect("known extension");
        let settings = Settings::default();
        let findings = analyze_str(lang, src, &settings).expect("parses");
        let (fixed, _) = fix_until_stable(src, FixMode::SafeAndUnsafe, 10, |t| {
            analyze_str(lang, t, &settings).unwrap_or_default()
        });
        Outcome { findings, fixed }
    }
}
