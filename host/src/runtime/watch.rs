//! Noticing that the config changed: the config file's content and the alert definition files
//! of its pipelines, compared at each tick of the main loop.
//!
//! Polling rather than file-system notifications (the `notify` crate): it is a few reads per
//! second of small files, and it sees every way a file gets replaced (an editor's rename, a
//! symlink swap by a config manager, a network file system, `sluice alerts enable` rewriting an
//! alert file) without watch handles to renew or events to coalesce. A change is acted on
//! once the files stay the same for one more tick, so a file caught half-written is not
//! reloaded.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sluice_core::{read_regular_bytes, ConfigFile, CONFIG_FILE_LIMIT};

/// The files of the running config, and what they held.
#[derive(Debug)]
pub struct ConfigWatch {
    config: PathBuf,
    alert_dirs: Vec<PathBuf>,
    /// The fingerprint of what was last loaded, or tried.
    seen: u64,
    /// A new fingerprint seen once, waiting to be seen again.
    settling: Option<u64>,
}

impl ConfigWatch {
    /// Watches the files of `file`, taking their content now as loaded.
    pub fn new(file: &ConfigFile) -> Self {
        let mut watch = ConfigWatch {
            config: file.path().to_owned(),
            alert_dirs: Vec::new(),
            seen: 0,
            settling: None,
        };
        watch.follow(file);
        watch.seen = watch.fingerprint();
        watch
    }

    /// After a reload: watches `file`'s alert directories; returns whether they changed.
    pub fn follow(&mut self, file: &ConfigFile) -> bool {
        let mut dirs: Vec<PathBuf> = file
            .config
            .pipelines
            .values()
            .filter(|p| p.enabled)
            .map(|p| p.intake.alerts.clone())
            .collect();
        dirs.sort();
        dirs.dedup();
        let changed = dirs != self.alert_dirs;
        self.alert_dirs = dirs;
        changed
    }

    /// A fingerprint of the files as they are now; take it before reading them, and give it
    /// to [`ConfigWatch::loaded`] after.
    pub fn fingerprint(&self) -> u64 {
        let mut h = DefaultHasher::new();
        // Never a plain read: a FIFO put in the config's place would block the main loop,
        // and with it the stop.
        read_regular_bytes(&self.config, CONFIG_FILE_LIMIT)
            .ok()
            .hash(&mut h);
        for dir in &self.alert_dirs {
            dir_listing(dir).hash(&mut h);
        }
        h.finish()
    }

    /// Notes that the files with `fingerprint` were read (whether or not they were valid).
    pub fn loaded(&mut self, fingerprint: u64) {
        self.seen = fingerprint;
        self.settling = None;
    }

    /// Whether the files changed since they were last read and have stayed the same for one
    /// tick; returns the fingerprint to pass to [`ConfigWatch::loaded`].
    pub fn changed(&mut self) -> Option<u64> {
        let now = self.fingerprint();
        if now == self.seen {
            self.settling = None;
            return None;
        }
        if self.settling == Some(now) {
            return Some(now);
        }
        self.settling = Some(now);
        None
    }
}

/// Each alert file's name, size and modification time.
fn dir_listing(dir: &Path) -> Vec<(PathBuf, u64, Option<std::time::SystemTime>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "toml"))
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            Some((e.path(), meta.len(), meta.modified().ok()))
        })
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_core::SecretResolver;

    #[test]
    fn a_change_is_reported_once_it_has_settled() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sluice.toml");
        std::fs::write(&path, "[state]\n").unwrap();
        let file = ConfigFile::load_with(&path, &SecretResolver::placeholders()).unwrap();
        let mut watch = ConfigWatch::new(&file);
        assert_eq!(watch.changed(), None);
        std::fs::write(&path, "[state]\npath = \"x.db\"\n").unwrap();
        assert_eq!(watch.changed(), None, "seen once: may be half-written");
        let f = watch.changed().expect("the same twice: settled");
        watch.loaded(f);
        assert_eq!(watch.changed(), None);

        std::fs::create_dir(dir.path().join("alerts")).unwrap();
        std::fs::write(dir.path().join("alerts/a.toml"), "x").unwrap();
        assert_eq!(
            watch.changed(),
            None,
            "no pipeline: no alert directory watched"
        );
    }
}
