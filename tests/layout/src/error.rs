//! Why the workspace could not be read.

use std::io;
use std::path::PathBuf;

/// A file the checks need could not be read or understood.
///
/// The checks never skip what they cannot read: a missing manifest or a file that does not
/// parse fails the run, so a broken path can never pass as "nothing found".
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    /// A file or directory could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// A Rust source file is not valid Rust (as far as `syn` knows).
    #[error("{}:{line}:{column}: cannot parse: {message}", path.display())]
    Parse {
        /// The file, relative to the workspace root.
        path: PathBuf,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What `syn` said.
        message: String,
    },
    /// A `Cargo.toml` is not what the checks expect.
    #[error("{}: {message}", path.display())]
    Manifest {
        /// The manifest.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
}

impl LayoutError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> Self {
        let path = path.into();
        move |source| LayoutError::Io { path, source }
    }

    pub(crate) fn manifest(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        LayoutError::Manifest {
            path: path.into(),
            message: message.into(),
        }
    }
}
