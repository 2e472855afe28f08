//! The response action Netwrix Auditor runs for an alert.
//!
//! Where Auditor runs it decides what it is. On this machine (the same-machine topology): this
//! `sluice` executable with `alert-response --config <config> --alert-name <name>`, which
//! queues the alert into the state store named by the config. On another machine (the
//! forwarded topology, when the config serves `[response_intake]`): the forwarder installed
//! on the Auditor server, `sluice-forward.cmd` with the alert's name, or a Windows build of
//! sluice with `alert-response --to <intake URL>`. Either way Auditor appends
//! `{AlertID} {RecordID}` (`cmd/alert_response` takes the last two arguments).
//!
//! Auditor's Response Action tab has two fields, "Run" (the program's path, as is) and "With
//! parameters". Auditor starts the program on Windows, so the parameters are quoted by the
//! Windows rules (those of `CommandLineToArgvW`; inside double quotes cmd also takes `& | < >
//! ^ ( )` literally). The whole command line is given for cmd, and for a POSIX shell where
//! the program can run there, to try it by hand.

use std::path::Path;

use serde::Serialize;

/// The Auditor server's copy of the forwarder script (`dist/windows/sluice-forward.cmd`),
/// where the docs install it. The listing runs on the sluice host and cannot see the Auditor
/// server, so it names the documented place.
pub(super) const FORWARD_SCRIPT: &str = r"C:\Program Files\sluice\sluice-forward.cmd";
/// A Windows build of sluice on the Auditor server, beside the script.
pub(super) const WINDOWS_EXE: &str = r"C:\Program Files\sluice\sluice.exe";
/// The token file beside the script, where the script looks for it by default.
pub(super) const TOKEN_FILE: &str = r"C:\Program Files\sluice\sluice-intake.token";

/// One alert's response action.
#[derive(Debug, Clone, Serialize)]
pub(super) struct ResponseAction {
    /// Auditor's "Run" field: the executable's path.
    pub(super) run: String,
    /// Auditor's "With parameters" field.
    pub(super) parameters: String,
    /// The arguments, unquoted (the executable first).
    pub(super) argv: Vec<String>,
    /// The command line for Windows cmd.
    pub(super) cmd: String,
    /// The command line for a POSIX shell; none for a program that runs on Windows only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) sh: Option<String>,
    /// Set when the command line may not do what it says: a name holding characters Windows
    /// may alter on the way, or a script that cannot name the pipeline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) warning: Option<String>,
}

/// The same-machine response action of alert `name`. `pipeline` is named when the alert
/// should be queued into that pipeline only.
pub(super) fn for_alert(
    exe: &Path,
    config: &Path,
    name: &str,
    pipeline: Option<&str>,
) -> ResponseAction {
    let mut params: Vec<String> = vec![
        "alert-response".into(),
        "--config".into(),
        config.display().to_string(),
    ];
    params.extend(pipeline_and_name(name, pipeline));
    build(exe.display().to_string(), params, name, true)
}

/// The forwarded response action of alert `name` through the script: it takes only the
/// name, and its settings (the intake's URL, the token file, a CA file) sit at its top.
pub(super) fn forward_script(name: &str, pipeline: Option<&str>) -> ResponseAction {
    let mut action = build(
        FORWARD_SCRIPT.to_owned(),
        vec![name.to_owned()],
        name,
        false,
    );
    if let Some(p) = pipeline {
        let note = format!(
            "the script sends no pipeline name, so the intake queues the alert into every \
             pipeline that takes response actions; to queue it into pipeline {p} only, use the \
             sluice.exe line (--pipeline {p})"
        );
        action.warning = Some(match action.warning {
            Some(w) => format!("{w}; {note}"),
            None => note,
        });
    }
    action
}

/// The forwarded response action of alert `name` through a Windows build of sluice, which
/// posts the alert to the intake at `url` and exits 0 once the host has committed it.
pub(super) fn forward_sluice(url: &str, name: &str, pipeline: Option<&str>) -> ResponseAction {
    let mut params: Vec<String> = vec![
        "alert-response".into(),
        "--to".into(),
        url.to_owned(),
        "--token-file".into(),
        TOKEN_FILE.into(),
    ];
    params.extend(pipeline_and_name(name, pipeline));
    build(WINDOWS_EXE.to_owned(), params, name, false)
}

fn pipeline_and_name(name: &str, pipeline: Option<&str>) -> Vec<String> {
    let mut params = Vec::new();
    if let Some(p) = pipeline {
        params.extend(["--pipeline".into(), p.to_owned()]);
    }
    params.extend(["--alert-name".into(), name.to_owned()]);
    params
}

/// The action that runs `run` with `params`; `sh` when it can run under a POSIX shell too.
fn build(run: String, params: Vec<String>, name: &str, sh: bool) -> ResponseAction {
    let argv: Vec<String> = std::iter::once(run.clone())
        .chain(params.iter().cloned())
        .collect();
    let risky: String = name
        .chars()
        .filter(|c| matches!(c, '%' | '!' | '"') || c.is_control())
        .collect();
    ResponseAction {
        cmd: join(&argv, windows_arg),
        sh: sh.then(|| join(&argv, posix_arg)),
        parameters: join(&params, windows_arg),
        run,
        argv,
        warning: (!risky.is_empty()).then(|| {
            format!(
                "the alert name contains {risky:?}, which Windows may change on the way to sluice \
                 (cmd expands %...% and !...!; quotes nest badly): rename the alert, here and in \
                 Auditor, to avoid them"
            )
        }),
    }
}

fn join(args: &[String], quote: fn(&str) -> String) -> String {
    args.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ")
}

/// `arg` quoted for a Windows command line, as `CommandLineToArgvW` reads it back: in double
/// quotes when it holds anything but plain characters, a `"` escaped with `\`, and the
/// backslashes before a `"` (or the closing quote) doubled.
pub(super) fn windows_arg(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:\\/+@".contains(c));
    if plain {
        return arg.to_owned();
    }
    let mut out = String::from('"');
    let mut backslashes = 0;
    for c in arg.chars() {
        match c {
            '\\' => backslashes += 1,
            '"' => {
                out.extend(std::iter::repeat_n('\\', backslashes * 2 + 1));
                out.push('"');
                backslashes = 0;
            }
            _ => {
                out.extend(std::iter::repeat_n('\\', backslashes));
                out.push(c);
                backslashes = 0;
            }
        }
    }
    out.extend(std::iter::repeat_n('\\', backslashes * 2));
    out.push('"');
    out
}

/// `arg` quoted for a POSIX shell: as is when plain, otherwise in single quotes (a `'` inside
/// written as `'\''`).
pub(super) fn posix_arg(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:/+@,=%".contains(c));
    if plain {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_quoting_follows_command_line_to_argv() {
        let cases = [
            ("plain", "plain"),
            (r"C:\sluice\sluice.toml", r"C:\sluice\sluice.toml"),
            (
                r"C:\Program Files\sluice\sluice.toml",
                r#""C:\Program Files\sluice\sluice.toml""#,
            ),
            (
                "ITSM Add-On: User Account Locked Out",
                r#""ITSM Add-On: User Account Locked Out""#,
            ),
            (r#"say "hi""#, r#""say \"hi\"""#),
            (r"dir with space\", r#""dir with space\\""#),
            (r#"a\"b"#, r#""a\\\"b""#),
            ("", r#""""#),
            ("R&D", r#""R&D""#),
        ];
        for (arg, want) in cases {
            assert_eq!(windows_arg(arg), want, "{arg}");
        }
    }

    #[test]
    fn posix_quoting_uses_single_quotes() {
        assert_eq!(posix_arg("/opt/sluice/sluice"), "/opt/sluice/sluice");
        assert_eq!(posix_arg("a b"), "'a b'");
        assert_eq!(posix_arg("it's"), r"'it'\''s'");
        assert_eq!(posix_arg("$HOME"), "'$HOME'");
        assert_eq!(posix_arg(r"C:\x"), r"'C:\x'");
    }

    #[test]
    fn the_command_line_names_config_and_alert() {
        let a = for_alert(
            Path::new("/opt/sluice/sluice"),
            Path::new("/etc/sluice/sluice.toml"),
            "ITSM Add-On: User Account Locked Out",
            None,
        );
        assert_eq!(a.run, "/opt/sluice/sluice");
        assert_eq!(
            a.parameters,
            r#"alert-response --config /etc/sluice/sluice.toml --alert-name "ITSM Add-On: User Account Locked Out""#
        );
        assert_eq!(
            a.sh.as_deref(),
            Some(
                "/opt/sluice/sluice alert-response --config /etc/sluice/sluice.toml --alert-name \
                 'ITSM Add-On: User Account Locked Out'"
            )
        );
        assert!(a.warning.is_none());
        let b = for_alert(Path::new("s"), Path::new("c"), "100% bad", Some("p"));
        assert!(b.parameters.contains("--pipeline p --alert-name"));
        assert!(b.warning.is_some());
    }

    #[test]
    fn the_forwarder_takes_the_name_and_sluice_takes_the_intake_url() {
        let name = "ITSM Add-On: User Account Locked Out";
        let script = forward_script(name, None);
        assert_eq!(script.run, r"C:\Program Files\sluice\sluice-forward.cmd");
        assert_eq!(script.parameters, format!("\"{name}\""));
        assert_eq!(script.argv, [FORWARD_SCRIPT, name]);
        assert!(script.sh.is_none() && script.warning.is_none());

        let exe = forward_sluice("https://sluice.corp.local:10158", name, None);
        assert_eq!(exe.run, WINDOWS_EXE);
        assert_eq!(
            exe.parameters,
            format!(
                r#"alert-response --to https://sluice.corp.local:10158 --token-file "C:\Program Files\sluice\sluice-intake.token" --alert-name "{name}""#
            )
        );
        assert!(exe
            .cmd
            .starts_with(r#""C:\Program Files\sluice\sluice.exe" alert-response"#));
        assert!(exe.sh.is_none());
    }

    #[test]
    fn a_pipeline_the_script_cannot_name_is_a_warning() {
        let script = forward_script("100% bad", Some("hq"));
        let warning = script.warning.unwrap();
        assert!(
            warning.contains("%") && warning.contains("--pipeline hq"),
            "{warning}"
        );
        let exe = forward_sluice("https://h:1", "n", Some("hq"));
        assert!(exe.parameters.contains("--pipeline hq --alert-name n"));
    }
}
