//! The command line: `server`, `check`, `rules`, `explain`. Parses arguments and dispatches.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

pub mod check;
mod check_profile;
mod diff;
mod discover;
mod explain;
mod interrupt;
mod json;
mod progress;
mod report;
mod sarif;
mod source;
mod text;
mod writer;

pub mod profile;

#[derive(Parser, Debug)]
#[command(
    name = "heap-audit",
    version,
    about = "Finds avoidable heap allocations in Rust, TypeScript/JavaScript and Python"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Hint,
    Info,
    Warning,
    Error,
    Never,
}

#[derive(clap::Args, Debug, Clone)]
pub struct CheckArgs {
    /// Files or folders to check (default: the current folder).
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Apply safe fixes and write the files (atomically; only files that change are written).
    #[arg(long)]
    pub fix: bool,
    /// With --fix or --diff: also apply unsafe fixes.
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Show the fixes as a unified diff instead of writing them.
    #[arg(long)]
    pub diff: bool,
    /// Read the source from stdin, as if it were this file (config is found from its folder).
    /// With --fix, the fixed text goes to stdout and the findings to stderr.
    #[arg(long, value_name = "NAME")]
    pub stdin_filename: Option<PathBuf>,
    /// Exit 1 when a finding at or above this severity remains.
    #[arg(long, value_enum, default_value_t = FailOn::Warning)]
    pub fail_on: FailOn,
    /// Use this configuration file instead of discovering `heap-audit.toml`.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// An allocation profile (DHAT JSON, V8 .heapprofile, heap-audit tracemalloc JSON) to rank
    /// the findings by, mapped onto the current folder. Repeat for several.
    #[arg(long, value_name = "FILE")]
    pub profile: Vec<PathBuf>,
    /// Hide the summary line and progress.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Benchmark baseline: find, read, decode and parse the files exactly as `check` does, but
    /// run no rules (so nothing is reported). `tests/bench/run.sh throughput` compares with it.
    #[arg(long, hide = true, conflicts_with_all = ["fix", "diff", "stdin_filename"])]
    pub parse_only: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the language server over stdio.
    Server {
        /// Accepted for editors that pass it; stdio is the only transport.
        #[arg(long)]
        stdio: bool,
    },
    /// Check files and folders; optionally fix them.
    Check(CheckArgs),
    /// List every rule: id, languages, default severity, fix.
    Rules {
        /// `markdown` prints the README's rule table.
        #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
        format: RulesFormat,
    },
    /// Allocation profiles: summarise them, or make one for a Python script.
    Profile {
        #[command(subcommand)]
        command: profile::ProfileCommand,
    },
    /// Print a rule's section of the reference guide.
    Explain {
        /// A rule id, e.g. `rust/format-literal`.
        rule: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Text,
    Json,
    Markdown,
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Command::Server { stdio: _ } => crate::lsp::run(),
        Command::Check(args) => check::run(args),
        Command::Rules { format } => explain::rules(format),
        Command::Explain { rule } => explain::explain(&rule),
        Command::Profile { command } => profile::run(command),
    }
}
