//! The template data directory every cluster is copied from.
//!
//! `initdb` takes about a second of two busy cores, and nextest starts many test processes
//! at once; copying a finished data directory takes a fraction of that. So one template is
//! made per PostgreSQL version and account, in the temporary directory, by whichever process
//! gets there first (the others wait on a lock file), and kept for later runs. It is built
//! beside its final name and renamed into place, so a template that exists is complete; to
//! start afresh, delete `sluice-test-postgres-<uid>` in the temporary directory.

use std::fs::{self, File, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::account::Account;
use crate::error::ClusterError;
use crate::install::Install;
use crate::sys;

/// The superuser `initdb` creates, who also owns [`DATABASE`].
pub(crate) const SUPERUSER: &str = "sluice";

/// The database each cluster has from the start.
pub(crate) const DATABASE: &str = "sluice";

/// Changes whenever templates are made differently, so that an old one is not reused.
const FORMAT: u32 = 1;

/// A ready template for `install` run by `account`, made first if there is none yet.
pub(crate) fn template(install: &Install, account: &Account) -> Result<PathBuf, ClusterError> {
    let root = cache_root()?;
    let name = format!("v{FORMAT}-pg{}-uid{}", install.version, account.uid());
    let template = root.join(&name);
    if template.is_dir() {
        return Ok(template);
    }
    let lock_path = root.join(format!("{name}.lock"));
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(ClusterError::io(format!("open {}", lock_path.display())))?;
    lock.lock()
        .map_err(ClusterError::io(format!("lock {}", lock_path.display())))?;
    if !template.is_dir() {
        build(
            install,
            account,
            &root.join(format!("{name}.building")),
            &template,
        )?;
    }
    Ok(template)
}

/// Copies the data directory `from` to `to` (which must not exist), giving it to `account`:
/// modes are kept, and PostgreSQL wants its directory to be its own, mode 0700.
pub(crate) fn copy(from: &Path, to: &Path, account: &Account) -> Result<(), ClusterError> {
    copy_tree(from, to, account).map_err(ClusterError::io(format!(
        "copy the template {} to {}",
        from.display(),
        to.display()
    )))
}

fn copy_tree(from: &Path, to: &Path, account: &Account) -> io::Result<()> {
    fs::create_dir(to)?;
    fs::set_permissions(to, fs::metadata(from)?.permissions())?;
    account.give(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(&entry.path(), &target, account)?;
        } else if kind.is_symlink() {
            symlink(fs::read_link(entry.path())?, &target)?;
        } else {
            fs::copy(entry.path(), &target)?;
            account.give(&target)?;
        }
    }
    Ok(())
}

/// `sluice-test-postgres-<uid>` in the temporary directory: ours alone, and open to the
/// account PostgreSQL runs as, which must reach the data directory being built inside.
fn cache_root() -> Result<PathBuf, ClusterError> {
    let uid = sys::effective_uid();
    let root = std::env::temp_dir().join(format!("sluice-test-postgres-{uid}"));
    let action = format!("prepare the template directory {}", root.display());
    fs::create_dir_all(&root).map_err(ClusterError::io(&action))?;
    let owner = fs::symlink_metadata(&root)
        .map_err(ClusterError::io(&action))?
        .uid();
    if owner != uid {
        let error = io::Error::other(format!("it belongs to uid {owner}, not to us (uid {uid})"));
        return Err(ClusterError::io(action)(error));
    }
    fs::set_permissions(&root, Permissions::from_mode(0o755)).map_err(ClusterError::io(action))?;
    Ok(root)
}

/// Makes the template in `staging`, then renames its data directory to `template`.
fn build(
    install: &Install,
    account: &Account,
    staging: &Path,
    template: &Path,
) -> Result<(), ClusterError> {
    let action = format!("prepare {}", staging.display());
    if staging.exists() {
        // A build that was interrupted: nothing in it can be trusted.
        fs::remove_dir_all(staging).map_err(ClusterError::io(&action))?;
    }
    let data = staging.join("data");
    let password = staging.join("password");
    (|| {
        fs::create_dir(staging)?;
        fs::set_permissions(staging, Permissions::from_mode(0o755))?;
        fs::create_dir(&data)?;
        fs::set_permissions(&data, Permissions::from_mode(0o700))?;
        account.give(&data)?;
        // Each cluster sets a password of its own; this one only satisfies initdb.
        fs::write(&password, uuid::Uuid::new_v4().simple().to_string())?;
        fs::set_permissions(&password, Permissions::from_mode(0o600))?;
        account.give(&password)
    })()
    .map_err(ClusterError::io(action))?;
    initdb(install, account, staging, &data, &password)?;
    create_database(install, account, staging, &data)?;
    fs::rename(&data, template).map_err(ClusterError::io(format!(
        "rename {} to {}",
        data.display(),
        template.display()
    )))?;
    fs::remove_dir_all(staging).map_err(ClusterError::io(format!("remove {}", staging.display())))
}

/// `initdb`: the superuser [`SUPERUSER`]; trust over the Unix socket, which only this crate
/// uses, and SCRAM passwords over TCP, which the code under test uses. One-megabyte WAL
/// segments keep the template, and so each copy, small.
fn initdb(
    install: &Install,
    account: &Account,
    staging: &Path,
    data: &Path,
    password: &Path,
) -> Result<(), ClusterError> {
    let mut command = account.command(&install.program("initdb"), staging);
    command
        .arg("-D")
        .arg(data)
        .args(["--no-sync", "-U", SUPERUSER, "-E", "UTF8", "--locale=C"])
        .args([
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--wal-segsize=1",
        ])
        .arg(format!("--pwfile={}", password.display()));
    run(command, "initdb", "")
}

/// Creates [`DATABASE`] with the server in single-user mode: no port, no wait for a start.
fn create_database(
    install: &Install,
    account: &Account,
    staging: &Path,
    data: &Path,
) -> Result<(), ClusterError> {
    let mut command = account.command(&install.program("postgres"), staging);
    command
        .args(["--single", "-c", "exit_on_error=on", "-D"])
        .arg(data)
        .arg("postgres");
    let statement = format!("CREATE DATABASE {DATABASE} OWNER {SUPERUSER}\n");
    run(command, "postgres --single", &statement)
}

/// Runs `command` with `input` on its standard input, failing with its output unless it
/// exits with success.
fn run(mut command: Command, program: &str, input: &str) -> Result<(), ClusterError> {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(ClusterError::io(format!("run {program}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(input.as_bytes())
            .map_err(ClusterError::io(format!("write to {program}")))?;
    }
    let output = child
        .wait_with_output()
        .map_err(ClusterError::io(format!("wait for {program}")))?;
    if output.status.success() {
        return Ok(());
    }
    Err(ClusterError::Command {
        program: program.to_owned(),
        status: output.status,
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    })
}
