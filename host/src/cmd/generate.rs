//! `sluice generate completions SHELL | man DIR`: shell completions and man pages, generated
//! from the command line's own definitions (`cli.rs`), so that they cannot drift from the
//! flags. The Debian package installs both (`dist/debian/build-deb.sh`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use clap_complete::Shell;

use crate::cmd::GlobalArgs;
use crate::exit;

/// Arguments of `sluice generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// What to generate.
    #[command(subcommand)]
    pub what: Generated,
}

/// What `sluice generate` writes.
#[derive(Debug, Subcommand)]
pub enum Generated {
    /// A completion script for SHELL, on standard output.
    Completions {
        /// The shell: bash, zsh, fish, elvish or powershell.
        shell: Shell,
    },
    /// Man pages, one per command (`sluice.1`, `sluice-run.1`, …), into DIR.
    Man {
        /// The directory to write them into (created if needed).
        dir: PathBuf,
    },
}

/// Runs `sluice generate` for `command`, the whole command line (`cli.rs` hands it over: the
/// command modules do not know the tree they sit in).
pub(crate) fn run(
    args: GenerateArgs,
    mut command: clap::Command,
    _global: &GlobalArgs,
) -> anyhow::Result<ExitCode> {
    match args.what {
        Generated::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut command, "sluice", &mut out);
            super::output::print(&String::from_utf8_lossy(&out))?;
        }
        Generated::Man { dir } => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            command.build();
            write_pages(&command, "sluice", &dir)?;
        }
    }
    Ok(ExitCode::from(exit::OK))
}

/// Writes the page of `command`, named `name`, and those of its subcommands into `dir`.
fn write_pages(command: &clap::Command, name: &str, dir: &Path) -> anyhow::Result<()> {
    let mut text = Vec::new();
    // `build` named each subcommand for its page (`sluice-explain`); the title says it too.
    clap_mangen::Man::new(command.clone())
        .title(name.to_owned())
        .render(&mut text)
        .context("cannot render a man page")?;
    let file = dir.join(format!("{name}.1"));
    std::fs::write(&file, text).with_context(|| format!("cannot write {}", file.display()))?;
    for sub in command
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        write_pages(sub, &format!("{name}-{}", sub.get_name()), dir)?;
    }
    Ok(())
}
