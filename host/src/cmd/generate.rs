//! `sluice generate completions SHELL | man DIR`: shell completions and man pages, generated
//! from the command line's own definitions (`cli.rs`), so that they cannot drift from the
//! flags. The Debian package installs both (`dist/debian/build-deb.sh`).
//!
//! `sluice generate intake-token [--out FILE]`: a random token for `[response_intake]`, as
//! the header line forwarders send, and the `token_sha256` config line, so the host's config
//! need not hold the token itself.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, Context};
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
    /// A token for the host's [response_intake]: the line `Authorization: Bearer <token>`
    /// for the forwarders (--token-file, sluice-forward.cmd), and the `token_sha256` line
    /// for the host's config.
    IntakeToken {
        /// Write the header line to this new file (mode 0600 on Unix), and print the config
        /// line; an existing file is not replaced. Default: print the header line.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
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
        Generated::IntakeToken { out } => intake_token(out.as_deref())?,
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

/// Makes a token and writes its header line to `out` (else standard output), then the
/// config line. The header line is what curl's `-H @file` sends and `--token-file` reads.
fn intake_token(out: Option<&Path>) -> anyhow::Result<()> {
    const WHERE: &str = "In the host's sluice.toml, under [response_intake], put";
    let token = random_token()?;
    let header = format!("Authorization: Bearer {token}\n");
    let config = format!("token_sha256 = \"{}\"", token_sha256(&token));
    match out {
        Some(path) => {
            write_new(path, &header)?;
            eprintln!(
                "Wrote the token to {}, as the line `Authorization: Bearer <token>` that \
                 --token-file and sluice-forward.cmd read. {WHERE}:",
                path.display()
            );
            super::output::print_line(&config)
        }
        None => {
            super::output::print(&header)?;
            eprintln!(
                "The line above goes in the forwarder's token file (--token-file, \
                 sluice-forward.cmd); keep it secret. {WHERE}:\n{config}"
            );
            Ok(())
        }
    }
}

/// 256 random bits, in hex. They come from ring's generator, the operating system's, which
/// the TLS stack already brings: no other crate is needed for them.
fn random_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    rustls::crypto::ring::default_provider()
        .secure_random
        .fill(&mut bytes)
        .map_err(|_| anyhow!("the system's random number generator failed; no token was made"))?;
    Ok(hex(&bytes))
}

/// The SHA-256 of `token`, in lowercase hex: what `[response_intake] token_sha256` holds, so
/// the host can check a token without keeping it.
pub fn token_sha256(token: &str) -> String {
    hex(&crate::intake::token_digest(token))
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Creates `path` and writes `text` to it; refuses to replace a file (it may be the token a
/// host already trusts). Readable by its owner only on Unix; on Windows it gets the
/// directory's permissions (see dist/windows/README.md).
fn write_new(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow!(
                "{} exists already, and sluice does not replace a token file (a host may trust \
                 it): remove it first, or give --out another path; no token was made",
                path.display()
            )
        } else {
            anyhow!("cannot create {}: {e}; no token was made", path.display())
        }
    })?;
    if let Err(e) = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
    {
        drop(file);
        let _ = std::fs::remove_file(path);
        return Err(anyhow!(
            "cannot write {}: {e}; no token was made",
            path.display()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_sha256_in_lowercase_hex() {
        assert_eq!(
            token_sha256("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let token = random_token().unwrap();
        assert_eq!(token.len(), 64);
        assert!(token
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_ne!(token, random_token().unwrap());
    }
}
