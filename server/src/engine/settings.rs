//! Resolved settings the engine runs with: per-rule levels and a few language options.
//! Built by `config` from `heap-audit.toml`, LSP settings or CLI flags; the engine never reads
//! files or JSON itself.

use super::types::Level;
use crate::rules::registry;

#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Per rule index: `None` keeps the rule's default.
    levels: Vec<Option<Level>>,
    /// The Python version the code targets, `(major, minor)`. Default 3.11.
    pub python_target: (u32, u32),
    /// `rust/owned-param` also checks `pub` items (off by default: changing a public signature
    /// breaks callers outside the file).
    pub owned_param_public: bool,
    /// `py/global-in-loop`: how many lookups of one name per iteration are allowed.
    pub global_in_loop_threshold: u32,
    /// Files larger than this many bytes are not given full treatment: the editor still checks
    /// them, with a time budget per rule; `check` skips them with a notice. Default 10 MB.
    pub max_file_size: u64,
}

/// The default [`Settings::max_file_size`]: 10 MB.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

impl Default for Settings {
    fn default() -> Self {
        Self {
            levels: vec![None; registry().len()],
            python_target: (3, 11),
            owned_param_public: false,
            global_in_loop_threshold: 1,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
        }
    }
}

impl Settings {
    pub fn level(&self, rule: u16) -> Option<Level> {
        self.levels.get(rule as usize).copied().flatten()
    }

    pub fn set_level(&mut self, rule: u16, level: Level) {
        if let Some(slot) = self.levels.get_mut(rule as usize) {
            *slot = Some(level);
        }
    }

    pub fn is_enabled(&self, rule: u16) -> bool {
        self.level(rule) != Some(Level::Off)
    }
}
