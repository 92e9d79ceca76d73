//! Configuration: `heap-audit.toml`, LSP settings (JSON) and their resolution into engine
//! [`Settings`]. Errors name the file, line and column.
//!
//! ```toml
//! exclude = ["vendor/**", "*.min.js"]
//! max-file-size = "10MB"            # larger files: rules get a time budget (editor), skipped (check)
//! [rules]
//! "rust/format-literal" = "off"     # off | hint | info | warning | error
//! "py/*" = "hint"                   # a whole language
//! [python]
//! target-version = "3.10"           # else `requires-python` from the nearest pyproject.toml
//! [rust]
//! owned-param-public = false
//! [profile]
//! paths = ["dhat-heap.json", "*.heapprofile"]
//! inlay-hints = 5                   # hot lines per file with an inlay hint (0: none)
//! min-share = 0.01                  # only lines with at least this share of the bytes
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::engine::{Level, Settings};
use crate::language::Family;
use crate::rules::registry;

pub const FILE_NAME: &str = "heap-audit.toml";

/// A configuration error, with where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The file, or `None` for settings sent by an editor.
    pub path: Option<PathBuf>,
    /// 1-based line and column, when known.
    pub line: Option<(usize, usize)>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.path, self.line) {
            (Some(p), Some((l, c))) => write!(f, "{}:{l}:{c}: {}", p.display(), self.message),
            (Some(p), None) => write!(f, "{}: {}", p.display(), self.message),
            (None, Some((l, c))) => write!(f, "settings:{l}:{c}: {}", self.message),
            (None, None) => write!(f, "settings: {}", self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    rules: BTreeMap<toml::Spanned<String>, toml::Spanned<String>>,
    #[serde(default)]
    python: Option<RawPython>,
    #[serde(default)]
    rust: Option<RawRust>,
    #[serde(default)]
    profile: Option<RawProfile>,
    #[serde(default)]
    max_file_size: Option<toml::Spanned<RawSize>>,
}

/// A size: a number of bytes, or a string such as `"10MB"`, `"512 KB"`, `"1.5MiB"`.
#[derive(Deserialize, Clone, Debug)]
#[serde(untagged)]
enum RawSize {
    Bytes(u64),
    Text(String),
}

impl RawSize {
    fn bytes(&self) -> Result<u64, String> {
        match self {
            RawSize::Bytes(n) => Ok(*n),
            RawSize::Text(t) => parse_size(t).ok_or_else(|| {
                format!("invalid size `{t}` (expected bytes, or e.g. \"10MB\", \"512KB\")")
            }),
        }
    }
}

/// Parses `"10MB"`, `"512 kb"`, `"1.5MiB"`, `"2048"` into bytes (KB, MB, GB are powers of 1024,
/// as the size messages print them).
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: f64 = number.parse().ok()?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return None,
    };
    let bytes = number * scale as f64;
    (bytes.is_finite() && bytes <= u64::MAX as f64).then_some(bytes.round() as u64)
}

/// A size for messages: `10 MB`, `1.5 MB`, `512 KB`, `100 bytes`.
pub fn format_size(bytes: u64) -> String {
    let units = [(1u64 << 30, "GB"), (1 << 20, "MB"), (1 << 10, "KB")];
    for (scale, name) in units {
        if bytes >= scale {
            let value = bytes as f64 / scale as f64;
            return if bytes.is_multiple_of(scale) {
                format!("{} {name}", bytes / scale)
            } else {
                format!("{value:.1} {name}")
            };
        }
    }
    format!("{bytes} bytes")
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPython {
    #[serde(default, alias = "targetVersion")]
    target_version: Option<String>,
    #[serde(default, alias = "globalInLoopThreshold")]
    global_in_loop_threshold: Option<u32>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRust {
    #[serde(default, alias = "ownedParamPublic")]
    owned_param_public: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawProfile {
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    inlay_hints: Option<usize>,
    #[serde(default)]
    min_share: Option<f64>,
}

/// `profile` in editor settings: `{"paths": [...], "inlayHints": {"count": 5, "minShare": 0.01}}`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawLspProfile {
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    inlay_hints: Option<RawInlayHints>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawInlayHints {
    #[serde(default)]
    count: Option<usize>,
    #[serde(default)]
    min_share: Option<f64>,
}

/// LSP settings: the same keys as the file, in JSON, plus editor-only ones.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawLspSettings {
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    rules: BTreeMap<String, String>,
    #[serde(default)]
    python: Option<RawPython>,
    #[serde(default)]
    rust: Option<RawRust>,
    #[serde(default)]
    profile: Option<RawLspProfile>,
    #[serde(default, alias = "unsafe-fixes")]
    unsafe_fixes: Option<bool>,
    #[serde(default, alias = "max-file-size")]
    max_file_size: Option<RawSize>,
}

/// A rule selector from configuration: an exact id, `family/*`, or `*`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleLevel {
    pub pattern: String,
    pub level: Level,
}

/// One layer of configuration (a file, or editor settings). Layers merge; later wins.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Config {
    pub rules: Vec<RuleLevel>,
    pub exclude: Vec<String>,
    pub python_target: Option<(u32, u32)>,
    pub global_in_loop_threshold: Option<u32>,
    pub owned_param_public: Option<bool>,
    /// `[profile] paths`: globs of the profile files, relative to the folder.
    pub profile_paths: Vec<String>,
    /// `[profile] inlay-hints`: how many hot lines per file get an inlay hint (and, without a
    /// finding, a `profile/hot-site` diagnostic).
    pub profile_inlay_hints: Option<usize>,
    /// `[profile] min-share`: the smallest share of the profile's bytes a line needs for that.
    pub profile_min_share: Option<f64>,
    /// `max-file-size`, in bytes.
    pub max_file_size: Option<u64>,
    /// Editor setting: fix-all also applies unsafe fixes.
    pub unsafe_fixes: Option<bool>,
    /// Where this layer came from, for messages.
    pub source: Option<PathBuf>,
}

fn line_col(text: &str, byte: usize) -> (usize, usize) {
    let before = &text[..byte.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn validate_pattern(pattern: &str) -> Result<(), String> {
    if pattern == "*" {
        return Ok(());
    }
    if let Some(prefix) = pattern.strip_suffix("/*") {
        if Family::ALL.iter().any(|f| f.prefix() == prefix) {
            return Ok(());
        }
        return Err(format!(
            "unknown language `{prefix}` in `{pattern}` (expected rust/*, js/* or py/*)"
        ));
    }
    if registry().get(pattern).is_some() {
        Ok(())
    } else {
        let hint = registry()
            .rules()
            .iter()
            .map(|r| r.meta.id)
            .find(|id| id.ends_with(pattern.rsplit('/').next().unwrap_or(pattern)))
            .map(|id| format!("; did you mean `{id}`?"))
            .unwrap_or_default();
        Err(format!(
            "unknown rule `{pattern}`{hint} (`heap-audit rules` lists them)"
        ))
    }
}

fn check_min_share(share: f64) -> Result<(), String> {
    if (0.0..=1.0).contains(&share) {
        Ok(())
    } else {
        Err(format!(
            "{share} is not a share (expected a number from 0 to 1, e.g. 0.01 for 1%)"
        ))
    }
}

fn parse_level(value: &str) -> Result<Level, String> {
    Level::parse(value).ok_or_else(|| {
        format!("invalid severity `{value}` (expected off, hint, info, warning or error)")
    })
}

/// Parses `3.10`, `>=3.9`, `>=3.8,<4`, `~=3.11` into `(major, minor)`: the lowest version meant.
pub fn parse_python_version(spec: &str) -> Option<(u32, u32)> {
    let lowest = spec
        .split(',')
        .map(str::trim)
        .find(|p| !p.starts_with('<') && !p.starts_with("!="))
        .unwrap_or(spec.trim());
    let digits = lowest.trim_start_matches(|c: char| !c.is_ascii_digit());
    let mut parts = digits.split('.');
    let major = parts.next()?.trim().parse().ok()?;
    let minor = parts.next().map_or(Some(0), |m| {
        m.trim_end_matches(|c: char| !c.is_ascii_digit())
            .parse()
            .ok()
    })?;
    Some((major, minor))
}

impl Config {
    /// Parses a `heap-audit.toml`'s text. `path` is used in errors.
    pub fn from_toml(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let err = |span: Option<std::ops::Range<usize>>, message: String| ConfigError {
            path: Some(path.to_owned()),
            line: span.map(|s| line_col(text, s.start)),
            message,
        };
        let raw: RawConfig =
            toml::from_str(text).map_err(|e| err(e.span(), e.message().trim().to_owned()))?;
        let mut rules = Vec::with_capacity(raw.rules.len());
        for (k, v) in &raw.rules {
            validate_pattern(k.get_ref()).map_err(|m| err(Some(k.span()), m))?;
            let level = parse_level(v.get_ref()).map_err(|m| err(Some(v.span()), m))?;
            rules.push(RuleLevel {
                pattern: k.get_ref().clone(),
                level,
            });
        }
        let python_target = match raw
            .python
            .as_ref()
            .and_then(|p| p.target_version.as_deref())
        {
            Some(v) => Some(parse_python_version(v).ok_or_else(|| {
                let at = text.find("target-version").map(|s| s..s + 1);
                err(
                    at,
                    format!("invalid python target-version `{v}` (expected e.g. \"3.11\")"),
                )
            })?),
            None => None,
        };
        for glob in &raw.exclude {
            globset::Glob::new(glob).map_err(|e| {
                let at = text.find(glob.as_str()).map(|s| s..s + 1);
                err(at, format!("invalid exclude glob `{glob}`: {}", e.kind()))
            })?;
        }
        let profile = raw.profile.unwrap_or_default();
        if let Some(share) = profile.min_share {
            check_min_share(share).map_err(|m| {
                let at = text.find("min-share").map(|s| s..s + 1);
                err(at, format!("[profile] min-share: {m}"))
            })?;
        }
        for glob in &profile.paths {
            globset::Glob::new(glob).map_err(|e| {
                let at = text.find(glob.as_str()).map(|s| s..s + 1);
                err(at, format!("invalid profile glob `{glob}`: {}", e.kind()))
            })?;
        }
        let max_file_size = match &raw.max_file_size {
            Some(size) => Some(
                size.get_ref()
                    .bytes()
                    .map_err(|m| err(Some(size.span()), format!("max-file-size: {m}")))?,
            ),
            None => None,
        };
        Ok(Config {
            rules,
            exclude: raw.exclude,
            python_target,
            global_in_loop_threshold: raw.python.as_ref().and_then(|p| p.global_in_loop_threshold),
            owned_param_public: raw.rust.as_ref().and_then(|r| r.owned_param_public),
            profile_paths: profile.paths,
            profile_inlay_hints: profile.inlay_hints,
            profile_min_share: profile.min_share,
            max_file_size,
            unsafe_fixes: None,
            source: Some(path.to_owned()),
        })
    }

    /// Reads and parses a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            path: Some(path.to_owned()),
            line: None,
            message: format!("cannot read: {e}"),
        })?;
        Self::from_toml(path, &text)
    }

    /// Parses editor settings. Accepts the settings object itself or one wrapped in a
    /// `"heap-audit"` (or `"heapAudit"`) key, as VS Code, Zed and Helix send them. `null` is empty.
    pub fn from_json(value: &serde_json::Value) -> Result<Config, ConfigError> {
        let err = |message: String| ConfigError {
            path: None,
            line: None,
            message,
        };
        let inner = value
            .get("heap-audit")
            .or_else(|| value.get("heapAudit"))
            .or_else(|| value.get("heap_audit"))
            .unwrap_or(value);
        if inner.is_null() {
            return Ok(Config::default());
        }
        let raw: RawLspSettings =
            serde_json::from_value(inner.clone()).map_err(|e| err(e.to_string()))?;
        let mut rules = Vec::with_capacity(raw.rules.len());
        for (k, v) in &raw.rules {
            validate_pattern(k).map_err(|m| err(format!("rules: {m}")))?;
            rules.push(RuleLevel {
                pattern: k.clone(),
                level: parse_level(v).map_err(|m| err(format!("rules.{k}: {m}")))?,
            });
        }
        let python_target = match raw
            .python
            .as_ref()
            .and_then(|p| p.target_version.as_deref())
        {
            Some(v) => Some(
                parse_python_version(v)
                    .ok_or_else(|| err(format!("invalid python targetVersion `{v}`")))?,
            ),
            None => None,
        };
        let profile = raw.profile.unwrap_or_default();
        let hints = profile.inlay_hints.unwrap_or_default();
        if let Some(share) = hints.min_share {
            check_min_share(share).map_err(|m| err(format!("profile.inlayHints.minShare: {m}")))?;
        }
        for glob in &profile.paths {
            globset::Glob::new(glob).map_err(|e| {
                err(format!(
                    "profile.paths: invalid profile glob `{glob}`: {}",
                    e.kind()
                ))
            })?;
        }
        let max_file_size = match &raw.max_file_size {
            Some(size) => Some(size.bytes().map_err(|m| err(format!("maxFileSize: {m}")))?),
            None => None,
        };
        Ok(Config {
            rules,
            exclude: raw.exclude,
            python_target,
            global_in_loop_threshold: raw.python.as_ref().and_then(|p| p.global_in_loop_threshold),
            owned_param_public: raw.rust.as_ref().and_then(|r| r.owned_param_public),
            profile_paths: profile.paths,
            profile_inlay_hints: hints.count,
            profile_min_share: hints.min_share,
            max_file_size,
            unsafe_fixes: raw.unsafe_fixes,
            source: None,
        })
    }

    /// `self` overlaid by `over` (editor settings over the file).
    pub fn merged(&self, over: &Config) -> Config {
        let mut rules = self.rules.clone();
        rules.extend(over.rules.iter().cloned());
        let mut exclude = self.exclude.clone();
        exclude.extend(over.exclude.iter().cloned());
        let mut profile_paths = self.profile_paths.clone();
        profile_paths.extend(over.profile_paths.iter().cloned());
        Config {
            rules,
            exclude,
            python_target: over.python_target.or(self.python_target),
            global_in_loop_threshold: over
                .global_in_loop_threshold
                .or(self.global_in_loop_threshold),
            owned_param_public: over.owned_param_public.or(self.owned_param_public),
            profile_paths,
            profile_inlay_hints: over.profile_inlay_hints.or(self.profile_inlay_hints),
            profile_min_share: over.profile_min_share.or(self.profile_min_share),
            max_file_size: over.max_file_size.or(self.max_file_size),
            unsafe_fixes: over.unsafe_fixes.or(self.unsafe_fixes),
            source: over.source.clone().or_else(|| self.source.clone()),
        }
    }

    /// Resolves into engine settings. For each rule the most specific selector wins (exact id
    /// over `family/*` over `*`); among equals, the later one.
    pub fn to_settings(&self) -> Settings {
        let mut settings = Settings::default();
        let reg = registry();
        for (idx, rule) in reg.rules().iter().enumerate() {
            let mut best: Option<(u8, Level)> = None;
            for rl in &self.rules {
                let rank = if rl.pattern == rule.meta.id {
                    3
                } else if rl
                    .pattern
                    .strip_suffix("/*")
                    .is_some_and(|p| rule.meta.family.is_some_and(|f| f.prefix() == p))
                {
                    2
                } else if rl.pattern == "*" {
                    1
                } else {
                    continue;
                };
                if best.is_none_or(|(r, _)| rank >= r) {
                    best = Some((rank, rl.level));
                }
            }
            if let Some((_, level)) = best {
                settings.set_level(idx as u16, level);
            }
        }
        if let Some(t) = self.python_target {
            settings.python_target = t;
        }
        if let Some(t) = self.global_in_loop_threshold {
            settings.global_in_loop_threshold = t;
        }
        if let Some(p) = self.owned_param_public {
            settings.owned_param_public = p;
        }
        if let Some(n) = self.max_file_size {
            settings.max_file_size = n;
        }
        settings
    }

    /// How profile data is shown: the configured `[profile]` values, else the defaults.
    pub fn profile_options(&self) -> crate::profile::annotate::Options {
        let defaults = crate::profile::annotate::Options::default();
        crate::profile::annotate::Options {
            hot_lines: self.profile_inlay_hints.unwrap_or(defaults.hot_lines),
            min_share: self.profile_min_share.unwrap_or(defaults.min_share),
        }
    }

    /// The `exclude` globs compiled (invalid ones were rejected at parse time).
    pub fn exclude_set(&self) -> globset::GlobSet {
        let mut b = globset::GlobSetBuilder::new();
        for g in &self.exclude {
            if let Ok(glob) = globset::GlobBuilder::new(g)
                .literal_separator(false)
                .build()
            {
                b.add(glob);
            }
        }
        b.build().unwrap_or_else(|_| globset::GlobSet::empty())
    }
}

/// The nearest `heap-audit.toml` in `dir` or its ancestors.
pub fn find_config_file(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .map(|d| d.join(FILE_NAME))
        .find(|p| p.is_file())
}

/// The Python target from the nearest `pyproject.toml`'s `requires-python`, if any.
pub fn python_target_from_pyproject(dir: &Path) -> Option<(u32, u32)> {
    let path = dir
        .ancestors()
        .map(|d| d.join("pyproject.toml"))
        .find(|p| p.is_file())?;
    let text = std::fs::read_to_string(path).ok()?;
    let value: toml::Table = toml::from_str(&text).ok()?;
    let spec = value.get("project")?.get("requires-python")?.as_str()?;
    parse_python_version(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_resolves() {
        let text = "exclude = [\"vendor/**\"]\n[rules]\n\"py/*\" = \"hint\"\n\"py/pow-half\" = \"off\"\n\"*\" = \"error\"\n[python]\ntarget-version = \"3.9\"\n";
        let cfg = Config::from_toml(Path::new("heap-audit.toml"), text).unwrap();
        let s = cfg.to_settings();
        let reg = registry();
        assert_eq!(
            s.level(reg.index_of("py/pow-half").unwrap()),
            Some(Level::Off)
        );
        assert_eq!(
            s.level(reg.index_of("rust/format-literal").unwrap()),
            Some(Level::On(crate::engine::Severity::Error))
        );
        assert_eq!(s.python_target, (3, 9));
        assert!(cfg.exclude_set().is_match("vendor/a/b.rs"));
    }

    #[test]
    fn errors_name_file_and_line() {
        let e = Config::from_toml(
            Path::new("x/heap-audit.toml"),
            "[rules]\n\"rust/nope\" = \"off\"\n",
        )
        .unwrap_err();
        assert_eq!(e.line, Some((2, 1)));
        assert!(
            e.to_string()
                .starts_with("x/heap-audit.toml:2:1: unknown rule `rust/nope`"),
            "{e}"
        );
        let e = Config::from_toml(Path::new("c.toml"), "[rules]\n\"py/pow-half\" = \"loud\"\n")
            .unwrap_err();
        assert!(
            e.to_string().contains("c.toml:2:") && e.message.contains("invalid severity `loud`"),
            "{e}"
        );
        let e = Config::from_toml(Path::new("c.toml"), "[rules\n").unwrap_err();
        assert_eq!(e.line.map(|l| l.0), Some(1));
        let e = Config::from_toml(Path::new("c.toml"), "colour = 1\n").unwrap_err();
        assert!(e.message.contains("colour"), "{e}");
    }

    #[test]
    fn json_settings_in_any_wrapper() {
        let v = serde_json::json!({"heap-audit": {"rules": {"js/*": "off"}, "unsafeFixes": true}});
        let cfg = Config::from_json(&v).unwrap();
        assert_eq!(cfg.unsafe_fixes, Some(true));
        assert!(!cfg
            .to_settings()
            .is_enabled(registry().index_of("js/delete-property").unwrap()));
        assert!(Config::from_json(&serde_json::json!({"rules": {"js/x": "off"}})).is_err());
        assert_eq!(
            Config::from_json(&serde_json::Value::Null).unwrap(),
            Config::default()
        );
    }

    #[test]
    fn profile_keys_from_the_file_and_the_editor() {
        let text = "[profile]\npaths = [\"p/*.json\"]\ninlay-hints = 3\nmin-share = 0.05\n";
        let file = Config::from_toml(Path::new("heap-audit.toml"), text).unwrap();
        assert_eq!(file.profile_paths, ["p/*.json"]);
        let o = file.profile_options();
        assert_eq!((o.hot_lines, o.min_share), (3, 0.05));
        let editor = Config::from_json(&serde_json::json!({"profile": {
            "paths": ["x.heapprofile"], "inlayHints": {"count": 7}}}))
        .unwrap();
        let merged = file.merged(&editor);
        assert_eq!(merged.profile_paths, ["p/*.json", "x.heapprofile"]);
        let o = merged.profile_options();
        assert_eq!((o.hot_lines, o.min_share), (7, 0.05));
        let d = Config::default().profile_options();
        assert_eq!(
            (d.hot_lines, d.min_share),
            (
                crate::profile::annotate::Options::default().hot_lines,
                crate::profile::annotate::Options::default().min_share
            )
        );

        let e = Config::from_toml(Path::new("c.toml"), "[profile]\nmin-share = 5\n").unwrap_err();
        assert_eq!(e.line, Some((2, 1)));
        assert!(e.message.contains("min-share: 5 is not a share"), "{e}");
        let e = Config::from_toml(Path::new("c.toml"), "[profile]\npaths = [\"[\"]\n").unwrap_err();
        assert!(e.message.contains("invalid profile glob `[`"), "{e}");
        let e = Config::from_toml(Path::new("c.toml"), "[profile]\ninlay-hint = 3\n").unwrap_err();
        assert!(e.message.contains("inlay-hint"), "{e}");
        let e =
            Config::from_json(&serde_json::json!({"profile": {"inlayHints": {"minShare": -1}}}))
                .unwrap_err();
        assert!(e.message.contains("profile.inlayHints.minShare"), "{e}");
        assert!(Config::from_json(&serde_json::json!({"profile": {"inlayHints": 3}})).is_err());
    }

    #[test]
    fn max_file_size_from_file_and_editor() {
        let cfg = Config::from_toml(Path::new("h.toml"), "max-file-size = \"2MB\"\n").unwrap();
        assert_eq!(cfg.to_settings().max_file_size, 2 << 20);
        let cfg = Config::from_toml(Path::new("h.toml"), "max-file-size = 1000\n").unwrap();
        assert_eq!(cfg.max_file_size, Some(1000));
        assert_eq!(
            Config::default().to_settings().max_file_size,
            crate::engine::DEFAULT_MAX_FILE_SIZE
        );
        let e = Config::from_toml(Path::new("h.toml"), "\nmax-file-size = \"ten\"\n").unwrap_err();
        assert_eq!(e.line, Some((2, 17)), "{e}");
        assert!(
            e.message.starts_with("max-file-size: invalid size `ten`"),
            "{e}"
        );
        let editor = Config::from_json(&serde_json::json!({"maxFileSize": "512KB"})).unwrap();
        assert_eq!(editor.max_file_size, Some(512 << 10));
        assert_eq!(cfg.merged(&editor).to_settings().max_file_size, 512 << 10);
        assert!(Config::from_json(&serde_json::json!({"maxFileSize": "5 parsecs"})).is_err());
    }

    #[test]
    fn sizes_parse_and_print() {
        assert_eq!(parse_size("10MB"), Some(10 << 20));
        assert_eq!(parse_size(" 1.5 mib "), Some(3 << 19));
        assert_eq!(parse_size("2048"), Some(2048));
        assert_eq!(parse_size("7k"), Some(7 << 10));
        assert_eq!(parse_size("1GB"), Some(1 << 30));
        assert_eq!(parse_size("MB"), None);
        assert_eq!(parse_size("-1MB"), None);
        assert_eq!(format_size(10 << 20), "10 MB");
        assert_eq!(format_size(3 << 19), "1.5 MB");
        assert_eq!(format_size(512 << 10), "512 KB");
        assert_eq!(format_size(100), "100 bytes");
    }

    #[test]
    fn python_versions() {
        assert_eq!(parse_python_version(">=3.8,<4"), Some((3, 8)));
        assert_eq!(parse_python_version("~=3.11"), Some((3, 11)));
        assert_eq!(parse_python_version("3"), Some((3, 0)));
        assert_eq!(parse_python_version("abc"), None);
    }
}
