//! Plugins are run from private copies. A library is copied to a temporary file, loaded from
//! there, and the copy is unlinked at once (the mapping keeps it alive). So a plugin file
//! written over in place while the host runs (`cp new.so old.so`, which rewrites the pages
//! the host executes) cannot take the host down; the new file is used from the next start.
//! A file loaded once is not loaded again in the same process: a reload reuses it, and says
//! so when the file changed on disk since.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use sluice_sdk::{LoadError, LoadErrorKind, Plugin};

/// What identifies a version of a file: its size, its modification time, and (on Unix) its
/// inode, which a new file moved into place changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    inode: u64,
}

impl Stamp {
    fn of(file: &Path) -> Option<Stamp> {
        let meta = std::fs::metadata(file).ok()?;
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&meta);
        #[cfg(not(unix))]
        let inode = 0;
        Some(Stamp {
            len: meta.len(),
            modified: meta.modified().ok(),
            inode,
        })
    }
}

/// A plugin loaded in this process, and the version of its file it was loaded from.
#[derive(Debug)]
struct Loaded {
    file: PathBuf,
    stamp: Option<Stamp>,
    plugin: Arc<Plugin>,
}

/// Every plugin this process loaded.
static LOADED: Mutex<Vec<Loaded>> = Mutex::new(Vec::new());

/// The plugin in `file`: the one already loaded from it, or a private copy of it loaded now.
pub(super) fn load(file: &Path) -> Result<Arc<Plugin>, LoadError> {
    let stamp = Stamp::of(file);
    let mut loaded = LOADED.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(known) = loaded.iter().find(|l| l.file == file) {
        if known.stamp != stamp {
            tracing::warn!(
                path = %file.display(), plugin = %known.plugin.manifest().name,
                "The plugin file changed since sluice loaded it; the loaded plugin stays in \
                 use, and a restart of sluice loads the new file."
            );
        }
        return Ok(known.plugin.clone());
    }
    let plugin = Arc::new(load_copy(file)?);
    loaded.push(Loaded {
        file: file.to_owned(),
        stamp,
        plugin: plugin.clone(),
    });
    Ok(plugin)
}

/// Loads a private copy of `file`. Where no copy can be loaded (a temporary directory that
/// does not allow executing code, say), the file itself is loaded, and that is logged: it must
/// then be replaced by moving a new file into place, never by writing over it.
fn load_copy(file: &Path) -> Result<Plugin, LoadError> {
    if cfg!(not(unix)) {
        // Windows locks a loaded library against writes: the file itself is safe to load.
        return Plugin::load(file);
    }
    let copy = tempfile::Builder::new()
        .prefix(".sluice-plugin-")
        .suffix(std::env::consts::DLL_SUFFIX)
        .tempfile()
        .and_then(|copy| {
            std::fs::copy(file, copy.path())?;
            Ok(copy)
        });
    let copy = match copy {
        Ok(copy) => copy,
        Err(error) => return fallback(file, &error.to_string()),
    };
    // Dropping `copy` unlinks it; the loaded library keeps its pages.
    match Plugin::load(copy.path()) {
        Ok(plugin) => Ok(plugin.loaded_as(file.to_owned())),
        Err(e) if matches!(e.kind(), LoadErrorKind::NotALibrary(_)) => {
            fallback(file, &e.to_string())
        }
        Err(e) => Err(e.loaded_as(file.to_owned())),
    }
}

fn fallback(file: &Path, why: &str) -> Result<Plugin, LoadError> {
    let plugin = Plugin::load(file)?;
    tracing::warn!(
        path = %file.display(), error = %why,
        "Cannot run the plugin from a private copy; it runs from its file. Replace that file \
         by moving a new one into place (install, mv), never by writing over it."
    );
    Ok(plugin)
}
