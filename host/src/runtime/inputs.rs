//! What a pipeline is built from, to tell on a reload whether it changed: its settings (secrets
//! resolved) and its alert files as they are on disk. A pipeline whose inputs did not change
//! runs on through a reload; only the others are stopped and started again.

use std::path::{Path, PathBuf};

use sluice_core::{read_regular_bytes, PipelineSettings, CONFIG_FILE_LIMIT};

/// A pipeline's inputs.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PipelineInputs {
    settings: PipelineSettings,
    /// Each `*.toml` file of the alert directory, by path, with its content (`None` when it
    /// could not be read), sorted by path.
    alert_files: Vec<(PathBuf, Option<Vec<u8>>)>,
}

impl PipelineInputs {
    /// The inputs of a pipeline with `settings`, its alert files read now.
    pub(super) fn read(settings: &PipelineSettings) -> Self {
        PipelineInputs {
            settings: settings.clone(),
            alert_files: alert_files(&settings.intake.alerts),
        }
    }
}

fn alert_files(dir: &Path) -> Vec<(PathBuf, Option<Vec<u8>>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<(PathBuf, Option<Vec<u8>>)> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| {
            let content = read_regular_bytes(&p, CONFIG_FILE_LIMIT).ok();
            (p, content)
        })
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edited_alert_file_changes_the_inputs() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.toml"), "name = \"A\"\n").unwrap();
        let read = || alert_files(dir.path());
        let before = read();
        assert_eq!(before, read());
        std::fs::write(dir.path().join("a.toml"), "name = \"A\"\nenabled = false\n").unwrap();
        assert_ne!(before, read());
    }
}
