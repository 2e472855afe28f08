//! The response action Netwrix Auditor runs for an alert: this `sluice` executable with
//! `alert-response --config <config> --alert-name <name>`, to which Auditor appends
//! `{AlertID} {RecordID}` (`cmd/alert_response` takes the last two arguments).
//!
//! Auditor's Response Action tab has two fields, "Run" (the program's path, as is) and "With
//! parameters". Auditor starts the program on Windows, so the parameters are quoted by the
//! Windows rules (those of `CommandLineToArgvW`; inside double quotes cmd also takes `& | < >
//! ^ ( )` literally). The whole command line is given for cmd and for a POSIX shell as well,
//! to try it by hand.

use std::path::Path;

use serde::Serialize;

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
    /// The command line for a POSIX shell.
    pub(super) sh: String,
    /// Set when the name holds characters Windows may alter on the way.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) warning: Option<String>,
}

/// The response action of alert `name`. `pipeline` is named when the alert should be queued
/// into that pipeline only.
pub(super) fn for_alert(
    exe: &Path,
    config: &Path,
    name: &str,
    pipeline: Option<&str>,
) -> ResponseAction {
    let run = exe.display().to_string();
    let mut params: Vec<String> = vec![
        "alert-response".into(),
        "--config".into(),
        config.display().to_string(),
    ];
    if let Some(p) = pipeline {
        params.extend(["--pipeline".into(), p.to_owned()]);
    }
    params.extend(["--alert-name".into(), name.to_owned()]);
    let argv: Vec<String> = std::iter::once(run.clone())
        .chain(params.iter().cloned())
        .collect();
    let parameters = join(&params, windows_arg);
    let risky: String = name
        .chars()
        .filter(|c| matches!(c, '%' | '!' | '"') || c.is_control())
        .collect();
    ResponseAction {
        cmd: join(&argv, windows_arg),
        sh: join(&argv, posix_arg),
        run,
        parameters,
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
            a.sh,
            "/opt/sluice/sluice alert-response --config /etc/sluice/sluice.toml --alert-name \
             'ITSM Add-On: User Account Locked Out'"
        );
        assert!(a.warning.is_none());
        let b = for_alert(Path::new("s"), Path::new("c"), "100% bad", Some("p"));
        assert!(b.parameters.contains("--pipeline p --alert-name"));
        assert!(b.warning.is_some());
    }
}
