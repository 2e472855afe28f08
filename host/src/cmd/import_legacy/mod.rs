//! `sluice import-legacy ITSMSettings.xml ServiceNowSettings.xml [-o FILE]`: migration from
//! the Netwrix Auditor Add-on for ServiceNow.
//!
//! Reads the add-on's two settings files (`legacy/`, over the element tree of `xml.rs`),
//! maps every setting the add-on documents to a sluice key (`convert/`, which
//! holds the mapping table), and writes a commented config (`write.rs`) to standard output
//! or `-o FILE`. Standard error gets the report (`report.rs`): one line per setting that was
//! not carried over, changed meaning, or needs a look, then a summary line. Passwords are
//! written into the config as the add-on's file had them, and never appear on standard error.
//!
//! Exit codes: 0 when a config was written (notes or not), 1 when an input cannot be read or
//! holds a value that is not what its setting needs, 2 on usage errors (an existing `-o` file
//! without `--force`, the two files given the wrong way round).

mod convert;
mod legacy;
mod report;
#[cfg(test)]
mod tests;
mod write;
mod xml;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use crate::cmd::GlobalArgs;
use crate::exit;
use sluice_core::{read_regular_bytes, CONFIG_FILE_LIMIT};

/// Arguments of `sluice import-legacy`.
#[derive(Debug, Args)]
#[command(after_long_help = AFTER_HELP)]
pub struct ImportLegacyArgs {
    /// The vendor add-on's ITSMSettings.xml.
    pub itsm_settings: PathBuf,
    /// The vendor add-on's ServiceNowSettings.xml.
    pub servicenow_settings: PathBuf,
    /// Write the config here instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Overwrite the -o file if it exists.
    #[arg(long, requires = "output")]
    pub force: bool,
}

const AFTER_HELP: &str = "\
The config goes to standard output or -o FILE (created readable by its owner only: it holds \
the add-on's passwords as they were). Standard error gets a report: one line per setting that \
was not carried over, changed meaning, or needs a look, as `FILE:LINE: SETTING: VERDICT: WHY`, \
then a summary. Passwords never appear in it.

Exit codes: 0 a config was written (notes or not); 1 an input cannot be read, is not \
well-formed XML, or holds a value that is not a number or flag where one is needed; 2 usage \
(the -o file exists without --force, or the two files are given the wrong way round).";

pub(crate) fn run(args: ImportLegacyArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    if let Some(output) = &args.output {
        if !args.force && output.exists() {
            eprintln!(
                "error: {} exists; pass --force to overwrite it, or choose another file",
                output.display()
            );
            return Ok(ExitCode::from(exit::USAGE));
        }
    }
    let itsm_root = read_xml(&args.itsm_settings)?;
    let servicenow_root = read_xml(&args.servicenow_settings)?;
    if let Some(message) = swapped(&args, &itsm_root, &servicenow_root) {
        eprintln!("error: {message}");
        return Ok(ExitCode::from(exit::USAGE));
    }
    let itsm_name = args.itsm_settings.display().to_string();
    let servicenow_name = args.servicenow_settings.display().to_string();
    let (itsm, mut notes) =
        legacy::read_itsm(&itsm_root, &itsm_name).map_err(anyhow::Error::msg)?;
    let (servicenow, more) =
        legacy::read_servicenow(&servicenow_root, &servicenow_name).map_err(anyhow::Error::msg)?;
    notes.extend(more);
    let imported = convert::convert(
        &itsm,
        &servicenow,
        &convert::Inputs {
            itsm: &args.itsm_settings,
            servicenow: &args.servicenow_settings,
        },
    );
    notes.extend(imported.notes);
    let text = write::render(&imported.document);

    match &args.output {
        Some(path) => match write_file(path, &text, args.force) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                eprintln!(
                    "error: {} exists; pass --force to overwrite it, or choose another file",
                    path.display()
                );
                return Ok(ExitCode::from(exit::USAGE));
            }
            Err(e) => return Err(e).with_context(|| format!("cannot write {}", path.display())),
        },
        None => {
            super::output::print(&text)?;
        }
    }

    if !global.quiet {
        // The report in file order: ITSMSettings.xml first, each file by line; what a file
        // does not have comes after what it has.
        notes.sort_by_key(|n| (n.file != itsm_name, n.line.is_none(), n.line));
        let stderr = std::io::stderr();
        let mut err = stderr.lock();
        for note in &notes {
            let _ = writeln!(err, "{note}");
        }
        let destination = args.output.as_ref().map(|p| p.display().to_string());
        let _ = writeln!(
            err,
            "{}",
            report::summary(&notes, destination.as_deref(), convert::PIPELINE)
        );
    }
    Ok(ExitCode::from(exit::OK))
}

/// Reads and parses one settings file; the error names the file (and the place, for XML).
/// The add-on's settings files are a few KB: one over [`CONFIG_FILE_LIMIT`] is not one.
fn read_xml(path: &Path) -> anyhow::Result<xml::Element> {
    let bytes = read_regular_bytes(path, CONFIG_FILE_LIMIT)?;
    Ok(xml::parse(path, &bytes)?)
}

/// A message when the two files look given the wrong way round.
fn swapped(
    args: &ImportLegacyArgs,
    itsm: &xml::Element,
    servicenow: &xml::Element,
) -> Option<String> {
    let itsm_is_servicenow = legacy::looks_like_servicenow(itsm) && !legacy::looks_like_itsm(itsm);
    let servicenow_is_itsm =
        legacy::looks_like_itsm(servicenow) && !legacy::looks_like_servicenow(servicenow);
    let (file, looks_like) = if itsm_is_servicenow {
        (&args.itsm_settings, "ServiceNowSettings.xml")
    } else if servicenow_is_itsm {
        (&args.servicenow_settings, "ITSMSettings.xml")
    } else {
        return None;
    };
    Some(format!(
        "{} looks like the add-on's {looks_like}; give ITSMSettings.xml first, then \
         ServiceNowSettings.xml",
        file.display()
    ))
}

/// Writes the config, readable by its owner only: it usually holds passwords.
fn write_file(path: &Path, text: &str, overwrite: bool) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if overwrite {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}
