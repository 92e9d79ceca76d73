//! Plain data the engine produces: findings, fixes, edits, severities. No LSP, no paths.

use std::borrow::Cow;
use std::ops::Range;

use serde::Serialize;

/// How loud a finding is. Ordered: `Hint < Info < Warning < Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Hint,
    #[serde(rename = "info")]
    Info,
    Warning,
    Error,
}

impl Severity {
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Hint => "hint",
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s {
            "hint" => Severity::Hint,
            "info" | "information" => Severity::Info,
            "warning" | "warn" => Severity::Warning,
            "error" => Severity::Error,
            _ => return None,
        })
    }
}

/// A configured level: a severity, or off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Off,
    On(Severity),
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        if s == "off" {
            Some(Level::Off)
        } else {
            Severity::parse(s).map(Level::On)
        }
    }
}

/// Whether a fix may change behaviour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    /// Cannot change behaviour of code that compiled/ran before. Fix-all applies these.
    Safe,
    /// May change behaviour. Offered as a quick fix; applied in bulk only on opt-in.
    Unsafe,
}

impl Applicability {
    pub const fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
        }
    }
}

/// Replace the bytes in `range` with `text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub range: Range<usize>,
    pub text: String,
}

impl Edit {
    pub fn replace(range: Range<usize>, text: impl Into<String>) -> Self {
        Self {
            range,
            text: text.into(),
        }
    }
    pub fn insert(at: usize, text: impl Into<String>) -> Self {
        Self {
            range: at..at,
            text: text.into(),
        }
    }
    pub fn delete(range: Range<usize>) -> Self {
        Self {
            range,
            text: String::new(),
        }
    }
}

/// A set of non-overlapping edits, sorted by start, applied together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub title: Cow<'static, str>,
    pub edits: Vec<Edit>,
    pub applicability: Applicability,
}

impl Fix {
    pub fn new(
        title: impl Into<Cow<'static, str>>,
        applicability: Applicability,
        mut edits: Vec<Edit>,
    ) -> Self {
        edits.sort_by_key(|e| (e.range.start, e.range.end));
        Self {
            title: title.into(),
            edits,
            applicability,
        }
    }
    pub fn safe(title: impl Into<Cow<'static, str>>, edits: Vec<Edit>) -> Self {
        Self::new(title, Applicability::Safe, edits)
    }
    pub fn unsafe_(title: impl Into<Cow<'static, str>>, edits: Vec<Edit>) -> Self {
        Self::new(title, Applicability::Unsafe, edits)
    }
    /// The byte range the edits touch, from the first start to the last end.
    pub fn span(&self) -> Range<usize> {
        let start = self.edits.first().map_or(0, |e| e.range.start);
        let end = self
            .edits
            .iter()
            .map(|e| e.range.end)
            .max()
            .unwrap_or(start);
        start..end
    }
}

/// One audit result. Byte ranges into the analysed text.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// Index into the rule registry (`rules::registry()`).
    pub rule: u16,
    pub range: Range<usize>,
    pub message: Cow<'static, str>,
    pub severity: Severity,
    /// How many loops (and iteration callbacks/comprehensions) enclose the finding.
    pub loop_depth: u32,
    pub fix: Option<Fix>,
}

impl Finding {
    pub fn rule_id(&self) -> &'static str {
        crate::rules::registry().rule(self.rule).meta.id
    }
}
