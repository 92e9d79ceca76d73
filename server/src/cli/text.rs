//! `--format text`: one block per finding, then a summary line.
//!
//! ```text
//! src/report.rs:12:17: warning[rust/format-literal] `format!` with no placeholders …
//!    12 |     let title = format!("Report");
//!       |                 ^^^^^^^^^^^^^^^^^ safe fix: Use `.to_string()`
//! ```

use std::fmt::Write as _;
use std::path::Path;

use super::report::Located;
use crate::engine::{Applicability, Severity};

/// ANSI colours, or none.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
}

impl Style {
    /// Colour when `is_tty` and `NO_COLOR` is unset or empty (https://no-color.org).
    pub fn detect(is_tty: bool) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Self {
            color: is_tty && !no_color,
        }
    }

    fn paint(&self, out: &mut String, sgr: &str, text: &str) {
        if self.color {
            let _ = write!(out, "\x1b[{sgr}m{text}\x1b[0m");
        } else {
            out.push_str(text);
        }
    }
}

fn severity_sgr(s: Severity) -> &'static str {
    match s {
        Severity::Error => "1;31",
        Severity::Warning => "1;33",
        Severity::Info => "1;34",
        Severity::Hint => "1;36",
    }
}

/// Renders one finding with its excerpt.
pub fn render(path: &Path, f: &Located, style: Style) -> String {
    let mut out = String::with_capacity(256);
    style.paint(
        &mut out,
        "1",
        &format!("{}:{}:{}:", path.display(), f.line, f.column),
    );
    out.push(' ');
    style.paint(&mut out, severity_sgr(f.severity), f.severity.as_str());
    style.paint(&mut out, "2", &format!("[{}]", f.rule_id()));
    out.push(' ');
    out.push_str(&f.message);
    out.push('\n');
    if let Some(ex) = &f.excerpt {
        let number = ex.line.to_string();
        let gutter = " ".repeat(number.len());
        style.paint(&mut out, "34", &format!(" {number} |"));
        out.push(' ');
        out.push_str(&ex.text);
        out.push('\n');
        style.paint(&mut out, "34", &format!(" {gutter} |"));
        out.push(' ');
        out.push_str(&" ".repeat(ex.start));
        style.paint(&mut out, severity_sgr(f.severity), &"^".repeat(ex.width));
        if let (Some(a), Some(title)) = (f.fix, &f.fix_title) {
            let kind = match a {
                Applicability::Safe => "safe fix",
                Applicability::Unsafe => "unsafe fix",
            };
            out.push(' ');
            style.paint(&mut out, "32", &format!("{kind}: {title}"));
        }
        out.push('\n');
    }
    out
}

/// Totals for the summary line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub files_checked: usize,
    pub files_failed: usize,
    pub files_skipped: usize,
    /// Indexed by `Severity as usize` (hint, info, warning, error).
    pub by_severity: [usize; 4],
    pub fixable_safe: usize,
    pub fixable_unsafe: usize,
    pub fixed: usize,
    pub files_fixed: usize,
    pub unsafe_fixes: bool,
}

impl Summary {
    pub fn add(&mut self, f: &Located) {
        self.by_severity[f.severity as usize] += 1;
        match f.fix {
            Some(Applicability::Safe) => self.fixable_safe += 1,
            Some(Applicability::Unsafe) => self.fixable_unsafe += 1,
            None => {}
        }
    }

    pub fn findings(&self) -> usize {
        self.by_severity.iter().sum()
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The summary line(s), ending in a newline.
pub fn summary(s: &Summary, diff: bool) -> String {
    let mut out = String::new();
    let files = plural(s.files_checked, "file", "files");
    if diff {
        let _ = writeln!(
            out,
            "Would fix {} in {}; {files} checked.",
            plural(s.fixed, "finding", "findings"),
            plural(s.files_fixed, "file", "files")
        );
    } else {
        if s.fixed > 0 {
            let _ = writeln!(
                out,
                "Fixed {} in {}.",
                plural(s.fixed, "finding", "findings"),
                plural(s.files_fixed, "file", "files")
            );
        }
        let total = s.findings();
        if total == 0 {
            let _ = write!(out, "No findings in {files} checked");
        } else {
            let names = [
                ("hint", "hints"),
                ("info", "info"),
                ("warning", "warnings"),
                ("error", "errors"),
            ];
            let parts: Vec<String> = (0..4)
                .rev()
                .filter(|&i| s.by_severity[i] > 0)
                .map(|i| plural(s.by_severity[i], names[i].0, names[i].1))
                .collect();
            let _ = write!(
                out,
                "Found {} ({}) in {files} checked",
                plural(total, "finding", "findings"),
                parts.join(", ")
            );
            let (safe, unsafe_) = (s.fixable_safe, s.fixable_unsafe);
            if s.unsafe_fixes && safe + unsafe_ > 0 {
                let _ = write!(
                    out,
                    "; {} fixable with --fix --unsafe-fixes",
                    safe + unsafe_
                );
            } else if safe > 0 && unsafe_ > 0 {
                let _ = write!(
                    out,
                    "; {safe} fixable with --fix, {unsafe_} more with --unsafe-fixes"
                );
            } else if safe > 0 {
                let _ = write!(out, "; {safe} fixable with --fix");
            } else if unsafe_ > 0 {
                let _ = write!(out, "; {unsafe_} fixable with --fix --unsafe-fixes");
            }
        }
        out.push_str(".\n");
    }
    if s.files_failed > 0 || s.files_skipped > 0 {
        let mut parts = Vec::new();
        if s.files_failed > 0 {
            parts.push(format!(
                "{} could not be checked",
                plural(s.files_failed, "file", "files")
            ));
        }
        if s.files_skipped > 0 {
            parts.push(format!(
                "{} skipped",
                plural(s.files_skipped, "file", "files")
            ));
        }
        let _ = writeln!(out, "{} (see above).", parts.join(", "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn located(severity: Severity, fix: Option<Applicability>) -> Located {
        Located {
            rule: crate::rules::registry().index_of("py/pow-half").unwrap(),
            severity,
            message: "`** 0.5`: use `math.sqrt`".into(),
            line: 3,
            column: 9,
            end_line: 3,
            end_column: 17,
            fix,
            fix_title: fix.map(|_| "Use `math.sqrt`".into()),
            loop_depth: 1,
            fingerprint: 0,
            excerpt: Some(super::super::report::Excerpt {
                line: 3,
                text: "    d = a ** 0.5".into(),
                start: 8,
                width: 8,
            }),
            profile: None,
        }
    }

    #[test]
    fn renders_location_severity_rule_excerpt_and_fix() {
        let f = located(Severity::Warning, Some(Applicability::Unsafe));
        let text = render(Path::new("src/m.py"), &f, Style { color: false });
        assert_eq!(
            text,
            "src/m.py:3:9: warning[py/pow-half] `** 0.5`: use `math.sqrt`\n 3 |     d = a ** 0.5\n   |         ^^^^^^^^ unsafe fix: Use `math.sqrt`\n"
        );
        let colored = render(Path::new("src/m.py"), &f, Style { color: true });
        assert!(colored.contains("\x1b[1;33mwarning\x1b[0m"), "{colored:?}");
    }

    #[test]
    fn summary_counts_by_severity_and_fixability() {
        let mut s = Summary {
            files_checked: 4,
            ..Summary::default()
        };
        s.add(&located(Severity::Warning, Some(Applicability::Safe)));
        s.add(&located(Severity::Warning, Some(Applicability::Unsafe)));
        s.add(&located(Severity::Info, None));
        assert_eq!(
            summary(&s, false),
            "Found 3 findings (2 warnings, 1 info) in 4 files checked; 1 fixable with --fix, 1 more with --unsafe-fixes.\n"
        );
        s.unsafe_fixes = true;
        assert!(summary(&s, false).ends_with("; 2 fixable with --fix --unsafe-fixes.\n"));
        let clean = Summary {
            files_checked: 1,
            files_failed: 1,
            ..Summary::default()
        };
        assert_eq!(
            summary(&clean, false),
            "No findings in 1 file checked.\n1 file could not be checked (see above).\n"
        );
    }
}
