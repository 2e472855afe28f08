//! Who runs `initdb` and `postgres`. Both refuse to run as root, and CI runs the tests as
//! root; so as root they run as the `postgres` user Debian's package creates (or `nobody`),
//! and everything they write to is handed to that user. As anyone else, they run as us.

use std::io;
use std::os::unix::fs::chown;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use crate::error::ClusterError;
use crate::sys::{self, User};

/// The users tried, in order, when we are root.
const UNPRIVILEGED: [&str; 2] = ["postgres", "nobody"];

/// The account PostgreSQL runs as.
#[derive(Debug, Clone)]
pub(crate) struct Account {
    /// `None`: the current user.
    other: Option<User>,
    uid: u32,
}

impl Account {
    /// The current user, or, as root, the first of [`UNPRIVILEGED`] that exists.
    pub(crate) fn choose() -> Result<Account, ClusterError> {
        let uid = sys::effective_uid();
        if uid != 0 {
            return Ok(Account { other: None, uid });
        }
        let user = UNPRIVILEGED
            .iter()
            .find_map(|name| sys::user_named(name))
            .ok_or(ClusterError::NoUser)?;
        Ok(Account {
            uid: user.uid,
            other: Some(user),
        })
    }

    /// The account's user id: templates are kept per account, as their files are its own.
    pub(crate) fn uid(&self) -> u32 {
        self.uid
    }

    /// A command that runs `program` as this account, in `dir` (which it must be able to
    /// enter: PostgreSQL looks up its working directory), with messages in English so that
    /// its log can be read by [`crate::server`].
    pub(crate) fn command(&self, program: &Path, dir: &Path) -> Command {
        let mut command = Command::new(program);
        command.current_dir(dir).env("LC_ALL", "C");
        if let Some(user) = &self.other {
            command.uid(user.uid).gid(user.gid);
        }
        command
    }

    /// Gives `path` to this account, when it is not us.
    pub(crate) fn give(&self, path: &Path) -> io::Result<()> {
        match &self.other {
            Some(user) => chown(path, Some(user.uid), Some(user.gid)),
            None => Ok(()),
        }
    }
}
