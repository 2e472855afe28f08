//! The quick way through `sluice alert-response`, taken by the small `sluice` front executable
//! before it starts the host's (see `src/bin/sluice.rs`).
//!
//! Netwrix Auditor starts one process per alert, up to eight at a time, and on a small
//! machine those starts are most of the CPU an alert storm costs. Most of a start is the
//! kernel and the dynamic loader setting up the executable, in proportion to its size: the
//! host's executable carries the plugin loader, the HTTP and TLS stack, SQLite and both
//! emulators. So while `sluice run` is up, the front hands the alert over on its own,
//! knowing only the config's store path and pipelines ([`ResponseView`]), and the host's
//! executable is not started at all.
//!
//! Anything out of the ordinary is left to the full `sluice alert-response`, which behaves
//! exactly as before: an option this does not know, a CSV file, an id or an alert name
//! Auditor would never pass, a config it cannot read (or that is not a regular file), no host
//! listening, a host that refuses. It then also says what is wrong; this path prints nothing.

use std::ffi::OsString;
use std::path::PathBuf;

use super::{check_id, hand_off, response_pipelines, Handoff};
use sluice_core::Timestamp;
use sluice_core::{check_alert_name, read_regular_file, ResponseView, CONFIG_FILE_LIMIT};
use sluice_core::{CONFIG_ENV, DEFAULT_CONFIG};

/// The arguments the quick way understands: `alert-response` then `--config`, `--alert-name`
/// and `--pipeline` (as `--opt value` or `--opt=value`; `-c` for `--config`), and at least
/// two ids, of which the last two count (Auditor appends them after any parameters).
#[derive(Debug, PartialEq, Eq)]
struct Invocation {
    config: Option<PathBuf>,
    alert_name: Option<String>,
    pipeline: Option<String>,
    alert_id: String,
    record_id: String,
}

impl Invocation {
    /// `None` for anything else: the full command-line parser answers that.
    fn parse(args: &[OsString]) -> Option<Invocation> {
        let mut args = args.iter().map(|a| a.to_str());
        args.next()?;
        if args.next()?? != "alert-response" {
            return None;
        }
        let (mut config, mut alert_name, mut pipeline) = (None, None, None);
        let mut ids = Vec::new();
        while let Some(arg) = args.next() {
            let arg = arg?;
            if !arg.starts_with('-') {
                ids.push(arg);
                continue;
            }
            let (option, inline) = match arg.split_once('=') {
                Some((option, value)) => (option, Some(value)),
                None => (arg, None),
            };
            let slot = match option {
                "--config" | "-c" => &mut config,
                "--alert-name" => &mut alert_name,
                "--pipeline" => &mut pipeline,
                _ => return None,
            };
            let value = match inline {
                Some(value) => value,
                // clap would take `--alert-name -x` for two options.
                None => args.next()?.filter(|v| !v.starts_with('-'))?,
            };
            if slot.replace(value.to_owned()).is_some() {
                return None;
            }
        }
        let [.., alert_id, record_id] = ids.as_slice() else {
            return None;
        };
        Some(Invocation {
            config: config.map(PathBuf::from),
            alert_name,
            pipeline,
            alert_id: (*alert_id).to_owned(),
            record_id: (*record_id).to_owned(),
        })
    }
}

/// Hands the alert `args` describe to the running host; `true` once the host has committed
/// it. `false` means nothing was done here and the full `sluice alert-response` must run.
pub fn alert_response(args: &[OsString]) -> bool {
    try_alert_response(args).is_some()
}

fn try_alert_response(args: &[OsString]) -> Option<()> {
    let invocation = Invocation::parse(args)?;
    check_id(&invocation.alert_id).ok()?;
    check_id(&invocation.record_id).ok()?;
    if let Some(name) = &invocation.alert_name {
        check_alert_name(name).ok()?;
    }
    // As clap reads it: the option, else SLUICE_CONFIG, else the default.
    let config = match invocation.config {
        Some(path) => path,
        None => match std::env::var_os(CONFIG_ENV) {
            Some(path) if !path.is_empty() => PathBuf::from(path),
            Some(_) => return None,
            None => PathBuf::from(DEFAULT_CONFIG),
        },
    };
    // Never blocks on a FIFO nor reads `/dev/zero` without end; the full path says why.
    let text = read_regular_file(&config, CONFIG_FILE_LIMIT).ok()?;
    let view = ResponseView::parse(&config, &text)?;
    let pipelines = response_pipelines(view.pipelines(), invocation.pipeline.as_deref());
    if pipelines.is_empty() {
        return None;
    }
    let alert = Handoff::new(
        pipelines,
        &invocation.alert_id,
        &invocation.record_id,
        invocation.alert_name.as_deref(),
        Timestamp::now(),
    );
    hand_off(view.state_path(), &alert).ok().map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Option<Invocation> {
        let args: Vec<OsString> = line.split(' ').map(OsString::from).collect();
        Invocation::parse(&args)
    }

    #[test]
    fn reads_the_command_line_auditor_runs() {
        assert_eq!(
            parse("sluice alert-response --config /etc/sluice.toml --alert-name Locked 0b5e r1"),
            Some(Invocation {
                config: Some(PathBuf::from("/etc/sluice.toml")),
                alert_name: Some("Locked".into()),
                pipeline: None,
                alert_id: "0b5e".into(),
                record_id: "r1".into(),
            })
        );
        let short = parse("sluice alert-response -c a.toml --pipeline=sec extra 0b5e r1").unwrap();
        assert_eq!(short.config, Some(PathBuf::from("a.toml")));
        assert_eq!(short.pipeline.as_deref(), Some("sec"));
        assert_eq!(
            (short.alert_id.as_str(), short.record_id.as_str()),
            ("0b5e", "r1")
        );
    }

    #[test]
    fn leaves_everything_else_to_the_full_parser() {
        for line in [
            "sluice run",
            "sluice -v alert-response 0b5e r1",
            "sluice alert-response -v 0b5e r1",
            "sluice alert-response --help",
            "sluice alert-response --log-file x 0b5e r1",
            "sluice alert-response /tmp/alerts.csv",
            "sluice alert-response --config",
            "sluice alert-response --alert-name -v 0b5e r1",
            "sluice alert-response --config a --config b 0b5e r1",
            "sluice alert-response",
        ] {
            assert_eq!(parse(line), None, "{line}");
        }
    }
}
