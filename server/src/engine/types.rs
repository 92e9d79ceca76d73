//! Plain data the engine produces: findings, fixes, edits, severities. No LSP, no paths.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

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

/// A text the engine hands out with findings (messages, fix titles): a `'static` string, or a
/// shared one. Cloning never allocates, so incremental analysis can hand the findings of clean
/// items to every new analysis for the price of a reference count.
#[derive(Clone, PartialEq, Eq)]
pub enum Text {
    Static(&'static str),
    Shared(Arc<str>),
}

impl Text {
    pub fn as_str(&self) -> &str {
        match self {
            Text::Static(s) => s,
            Text::Shared(s) => s,
        }
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl From<&'static str> for Text {
    fn from(s: &'static str) -> Self {
        Text::Static(s)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text::Shared(s.into())
    }
}

impl From<Cow<'static, str>> for Text {
    fn from(s: Cow<'static, str>) -> Self {
        match s {
            Cow::Borrowed(s) => Text::Static(s),
            Cow::Owned(s) => s.into(),
        }
    }
}

impl Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
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
///
/// The edits are shared: cloning a fix never allocates, and moving it with its finding (after
/// an edit earlier in the text) only changes an offset. Read them with [`Fix::edits`].
#[derive(Clone)]
pub struct Fix {
    pub title: Text,
    edits: Arc<[Edit]>,
    /// Added to every edit's range but the pinned ones: how far the fix moved since it was made.
    delta: isize,
    /// How many of the first edits stay where they were made (see [`Fix::shift_after`]).
    pinned: u32,
    pub applicability: Applicability,
}

impl Fix {
    pub fn new(title: impl Into<Text>, applicability: Applicability, mut edits: Vec<Edit>) -> Self {
        edits.sort_by_key(|e| (e.range.start, e.range.end));
        Self {
            title: title.into(),
            edits: edits.into(),
            delta: 0,
            pinned: 0,
            applicability,
        }
    }
    pub fn safe(title: impl Into<Text>, edits: Vec<Edit>) -> Self {
        Self::new(title, Applicability::Safe, edits)
    }
    pub fn unsafe_(title: impl Into<Text>, edits: Vec<Edit>) -> Self {
        Self::new(title, Applicability::Unsafe, edits)
    }

    /// The edits, sorted, where they apply now.
    pub fn edits(&self) -> Cow<'_, [Edit]> {
        if self.delta == 0 {
            return Cow::Borrowed(&self.edits);
        }
        Cow::Owned(
            self.edits
                .iter()
                .enumerate()
                .map(|(i, e)| Edit {
                    range: self.moved(i, e.range.start)..self.moved(i, e.range.end),
                    text: e.text.clone(),
                })
                .collect(),
        )
    }

    /// The byte ranges of the edits, where they apply now.
    pub fn ranges(&self) -> impl ExactSizeIterator<Item = Range<usize>> + '_ {
        self.edits
            .iter()
            .enumerate()
            .map(|(i, e)| self.moved(i, e.range.start)..self.moved(i, e.range.end))
    }

    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }

    /// Moves every edit by `by` bytes (the text before them grew or shrank by that much).
    pub fn shift(&mut self, by: isize) {
        self.delta += by;
    }

    /// Moves the edits that start at or after `at` (where they apply now) by `by` bytes, and
    /// pins the ones before it where they are, for good: the fix of a check whose item moved,
    /// with edits in the file's head that did not ([`super::Ctx::root_head`]).
    pub fn shift_after(&mut self, by: isize, at: usize) {
        let before = self.ranges().take_while(|r| r.start < at).count() as u32;
        if before > self.pinned {
            // Those edits move no more: fold the delta they had into them.
            let delta = self.delta;
            let pinned = self.pinned as usize;
            self.edits = self
                .edits
                .iter()
                .enumerate()
                .map(|(i, e)| match i {
                    i if i >= pinned && i < before as usize => Edit {
                        range: e.range.start.saturating_add_signed(delta)
                            ..e.range.end.saturating_add_signed(delta),
                        text: e.text.clone(),
                    },
                    _ => e.clone(),
                })
                .collect();
            self.pinned = before;
        }
        self.delta += by;
    }

    fn moved(&self, i: usize, at: usize) -> usize {
        if i < self.pinned as usize {
            return at;
        }
        at.checked_add_signed(self.delta)
            .expect("a fix never moves before the start of the text")
    }

    /// The byte range the edits touch, from the first start to the last end.
    pub fn span(&self) -> Range<usize> {
        let start = self.ranges().next().map_or(0, |r| r.start);
        let end = self.ranges().map(|r| r.end).max().unwrap_or(start);
        start..end
    }
}

impl PartialEq for Fix {
    fn eq(&self, other: &Self) -> bool {
        self.title == other.title
            && self.applicability == other.applicability
            && self.edits.len() == other.edits.len()
            && self
                .ranges()
                .zip(other.ranges())
                .zip(self.edits.iter().zip(other.edits.iter()))
                .all(|((a, b), (x, y))| a == b && x.text == y.text)
    }
}

impl Eq for Fix {}

impl std::fmt::Debug for Fix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fix")
            .field("title", &self.title)
            .field("edits", &self.edits())
            .field("applicability", &self.applicability)
            .finish()
    }
}

/// One audit result. Byte ranges into the analysed text.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// Index into the rule registry (`rules::registry()`).
    pub rule: u16,
    pub range: Range<usize>,
    pub message: Text,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shift_after_pins_the_edits_before_the_item_through_several_moves() {
        // An import added at 10, and the call rewritten at 100..105 in an item starting at 90.
        let mut fix = Fix::safe(
            "t",
            vec![
                Edit::insert(10, "import m\n"),
                Edit::replace(100..105, "m.f()"),
            ],
        );
        fix.shift(2); // moved with its item before any head was involved: both move
        assert_eq!(fix.ranges().collect::<Vec<_>>(), [12..12, 102..107]);
        fix.shift_after(3, 92); // the item (now at 92) moves by 3: the import stays
        assert_eq!(fix.ranges().collect::<Vec<_>>(), [12..12, 105..110]);
        fix.shift_after(-4, 95);
        assert_eq!(fix.ranges().collect::<Vec<_>>(), [12..12, 101..106]);
        assert_eq!(fix.edits()[0], Edit::insert(12, "import m\n"));
        assert_eq!(fix.edits()[1].range, 101..106);
    }
}
