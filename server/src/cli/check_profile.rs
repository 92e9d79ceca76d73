//! `check --profile FILE…`: allocation profiles ranking the findings.
//!
//! The profiles are read once and mapped onto the working folder (the same workspace `profile
//! summary` uses by default). Each checked file's findings go through [`profile::annotate`], as
//! in the editor: measured figures in the messages (and severity), "cold per profile", and
//! `profile/hot-site` for hot lines no rule explains. The text output lists findings by
//! measured bytes, biggest first, then those without data in the usual order; JSON and SARIF
//! carry the figures per finding. The summary names the profiles, the files changed since (their
//! lines may have moved) and every site that maps to no workspace line.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tree_sitter::Tree;

use super::discover::Problem;
use super::report::{FileOutcome, Located, ProfileFigures};
use crate::engine::{Finding, Settings};
use crate::profile::{self, annotate, ProfileSet, Workspace};
use crate::rules::registry;

/// The loaded profiles of a `check --profile` run.
pub struct Profiles {
    pub set: ProfileSet,
    /// The workspace the profiles' paths were mapped onto (the working folder).
    pub root: PathBuf,
}

/// Reads the profiles and maps them onto `cwd`. Profiles that cannot be read are returned as
/// errors naming the file (the run goes on with the others); `None` when none could be read.
pub fn load(files: &[PathBuf], cwd: &Path) -> (Option<Profiles>, Vec<Problem>) {
    let workspace = Arc::new(Workspace::index(cwd));
    // Paths as given (relative ones are relative to `cwd`, the process's folder).
    let (set, errors) = ProfileSet::load(workspace, files);
    let problems = errors
        .into_iter()
        .map(|e| Problem::error(&e.path, format!("{}; ranking without it", e.message)))
        .collect();
    let profiles = (!set.is_empty()).then(|| Profiles {
        set,
        root: cwd.to_owned(),
    });
    (profiles, problems)
}

/// Applies the profiles to one file's findings (in place, kept sorted) and returns each
/// finding's figures.
pub fn apply(
    profiles: &Profiles,
    abs: &Path,
    text: &str,
    tree: &Tree,
    findings: &mut Vec<Finding>,
    settings: &Settings,
    options: &annotate::Options,
) -> Vec<Option<ProfileFigures>> {
    annotate::annotate(&profiles.set, abs, text, tree, findings, settings, options)
        .into_iter()
        .map(|m| {
            m.map(|m| ProfileFigures {
                bytes: m.bytes,
                blocks: m.blocks,
                share: m.share,
                stale: m.stale,
            })
        })
        .collect()
}

/// Findings in text order: those with measured bytes first, biggest first (ties keep their
/// place), then the rest in path and position order.
pub fn ranked(outcomes: &[FileOutcome]) -> Vec<(&Path, &Located)> {
    let mut all: Vec<(&Path, &Located)> = outcomes
        .iter()
        .flat_map(|o| o.findings.iter().map(move |f| (o.path.as_path(), f)))
        .collect();
    all.sort_by_key(|(_, f)| match f.profile {
        Some(p) => (0, std::cmp::Reverse(p.bytes)),
        None => (1, std::cmp::Reverse(0)),
    });
    all
}

/// The profile part of the summary: the profiles, the files changed since they were taken, how
/// many findings they measured, and every site that maps to no workspace line.
pub fn summary(profiles: &Profiles, outcomes: &[FileOutcome]) -> String {
    let mut out = String::from("Profiles:\n");
    let mut profile_lines = String::new();
    super::profile::write_profiles(&mut profile_lines, &profiles.set, &profiles.root);
    for line in profile_lines.lines() {
        let _ = writeln!(out, "  {line}");
    }
    let findings = || outcomes.iter().flat_map(|o| o.findings.iter());
    let hot_site = registry().hot_site();
    let measured = findings()
        .filter(|f| f.profile.is_some() && f.rule != hot_site)
        .count();
    let sites = findings().filter(|f| f.rule == hot_site).count();
    let _ = writeln!(
        out,
        "  {measured} {} on measured lines; {sites} hot {} no rule explains",
        if measured == 1 { "finding" } else { "findings" },
        if sites == 1 { "site" } else { "sites" },
    );
    super::profile::write_unmapped(&mut out, &profiles.set, &profiles.root);
    out.push('\n');
    out
}

/// SARIF notifications (level `note`): stale files and unmapped sites, each with the profile or
/// file it is about.
pub fn notes(profiles: &Profiles) -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = profiles
        .set
        .stale_files()
        .into_iter()
        .map(|f| {
            (
                "profile older than file: its lines may have moved since the profile was taken"
                    .to_owned(),
                f,
            )
        })
        .collect();
    for u in profiles.set.unmapped() {
        let frame = match &u.frame {
            Some(f) => match (&f.profile_path, f.line) {
                (Some(p), Some(l)) => format!("{p}:{l}"),
                (Some(p), None) => p.clone(),
                _ => f.function.clone().unwrap_or_else(|| "?".to_owned()),
            },
            None => "(no user frame)".to_owned(),
        };
        out.push((
            format!(
                "profile site not mapped to a workspace line: {frame}: {} ({}) — {}",
                profile::display::bytes(u.bytes),
                profile::display::share(u.share),
                u.reason.describe()
            ),
            u.profile.clone(),
        ));
    }
    out
}
