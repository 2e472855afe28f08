//! The report on standard error: one line per vendor setting that was not carried over,
//! changed meaning, or needs the user's eye, then one summary line.
//!
//! ```text
//! ITSMSettings.xml:9: CheckAlertQueueInterval: not carried over: sluice has no alert queue to poll; …
//! ServiceNowSettings.xml:14: TicketParameters/assignment_group: check: … demo instance …
//! sluice import-legacy: wrote sluice.toml (pipeline "security"): 2 not carried over, 1 changed, 3 to check; …
//! ```
//!
//! A line never shows a password: values are quoted only for settings that hold numbers,
//! flags, states, field names or placeholders.

use std::fmt;

/// Where a vendor value was read: the file as the user named it, and the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct At {
    pub(super) file: String,
    pub(super) line: usize,
    pub(super) column: usize,
}

/// What became of a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// sluice has no equivalent; the value is dropped.
    NotCarriedOver,
    /// Carried over with a different value or meaning.
    Changed,
    /// Carried over (or assumed) as is, but the user should look at it.
    Check,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::NotCarriedOver => "not carried over",
            Verdict::Changed => "changed",
            Verdict::Check => "check",
        })
    }
}

/// One report line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Note {
    /// The file, as the user named it.
    pub(super) file: String,
    /// The line, unless the file does not have the setting.
    pub(super) line: Option<usize>,
    /// The vendor setting, `Group/Name` when nested (`ActivityRecordWebRequests/RequestLimit`,
    /// `TicketParameters/assignment_group`).
    pub(super) setting: String,
    pub(super) verdict: Verdict,
    pub(super) message: String,
}

impl Note {
    /// A note about the setting read at `at`.
    pub(super) fn at(
        at: &At,
        setting: impl Into<String>,
        verdict: Verdict,
        message: impl Into<String>,
    ) -> Note {
        Note {
            file: at.file.clone(),
            line: Some(at.line),
            setting: setting.into(),
            verdict,
            message: message.into(),
        }
    }

    /// A note about a setting `file` does not have.
    pub(super) fn in_file(
        file: &str,
        setting: impl Into<String>,
        verdict: Verdict,
        message: impl Into<String>,
    ) -> Note {
        Note {
            file: file.to_owned(),
            line: None,
            setting: setting.into(),
            verdict,
            message: message.into(),
        }
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: ", self.file)?,
            None => write!(f, "{}: ", self.file)?,
        }
        write!(f, "{}: {}: {}", self.setting, self.verdict, self.message)
    }
}

/// The last line: where the config went, and how many notes of each kind.
pub(super) fn summary(notes: &[Note], destination: Option<&str>, pipeline: &str) -> String {
    let count = |v: Verdict| notes.iter().filter(|n| n.verdict == v).count();
    let wrote = match destination {
        Some(file) => format!("wrote {file}"),
        None => "wrote the config to standard output".to_owned(),
    };
    let next = match destination {
        Some(file) => format!("check it with `sluice validate --config {file}`"),
        None => "save it and check it with `sluice validate --config FILE`".to_owned(),
    };
    format!(
        "sluice import-legacy: {wrote} (pipeline \"{pipeline}\"): {} not carried over, {} \
         changed, {} to check; {next}.",
        count(Verdict::NotCarriedOver),
        count(Verdict::Changed),
        count(Verdict::Check),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_summary() {
        let at = At {
            file: "ITSMSettings.xml".to_owned(),
            line: 9,
            column: 3,
        };
        let notes = vec![
            Note::at(
                &at,
                "CheckAlertQueueInterval",
                Verdict::NotCarriedOver,
                "why",
            ),
            Note::in_file("ServiceNowSettings.xml", "release", Verdict::Check, "look"),
        ];
        assert_eq!(
            notes[0].to_string(),
            "ITSMSettings.xml:9: CheckAlertQueueInterval: not carried over: why"
        );
        assert_eq!(
            notes[1].to_string(),
            "ServiceNowSettings.xml: release: check: look"
        );
        assert_eq!(
            summary(&notes, Some("s.toml"), "security"),
            "sluice import-legacy: wrote s.toml (pipeline \"security\"): 1 not carried over, 0 \
             changed, 1 to check; check it with `sluice validate --config s.toml`."
        );
    }
}
