//! `sluice move-store`: moves a site's state store from its SQLite file into a PostgreSQL
//! database, so that several hosts can share it (one delivers, the others stand by).
//!
//! The store is the site's memory: the alerts it acknowledged, the incidents it opened (their
//! correlation ids carry the store's id), where polling stopped. So the move is all or
//! nothing, keeps every row with its id and the store's id, and refuses whatever could lose
//! or mix something: a host still running on the file, a target that already holds a store
//! or has a host running on it. The copy itself is `copy.rs`.

mod copy;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{anyhow, bail, Context};
use clap::Args;

use super::output::print;
use crate::cmd::{ConfigArg, GlobalArgs};
use crate::exit;
use sluice_core::{
    ConfigFile, Database, DeliveryLock, Durability, SecretResolver, Secrets, Store, StoreError,
};

/// Arguments of `sluice move-store`.
#[derive(Debug, Args)]
pub struct MoveStoreArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// The PostgreSQL database to move the store into, as `[state] url` will name it:
    /// `postgres://USER:${PGPASSWORD}@HOST:PORT/DATABASE`. Secret references are resolved as
    /// in the config (`${ENV}`, `file:`, `exec:`); the database must exist, and hold no
    /// sluice store yet or an empty one.
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// The SQLite store to move. Default: the config's `state.path`. With it, no config is
    /// read, and `file:` and `exec:` references in `--to` are taken from the current directory.
    #[arg(long, value_name = "PATH")]
    pub from: Option<PathBuf>,
    /// A PEM bundle of CA certificates the database server's certificate may chain to,
    /// besides the system's roots, as `[state] ca_file` will name it. Default: the config's
    /// `[state] ca_file` (none with `--from`). TLS is used as `--to`'s `sslmode` says, by
    /// default required for a server on another machine.
    #[arg(long, value_name = "PATH")]
    pub ca_file: Option<PathBuf>,
}

/// The SQLite store to move, and where relative secret references are taken from.
struct Source {
    path: PathBuf,
    durability: Durability,
    /// The config's directory (`file:` and `exec:` references in `--to` are relative to it,
    /// as in the config); the current directory with `--from`.
    dir: PathBuf,
    /// `--ca-file`, else the config's `[state] ca_file`.
    ca_file: Option<PathBuf>,
}

/// The target database: its URL with secrets resolved, and as the next steps show it.
struct Target {
    url: String,
    /// `--to` as given when it holds references, else the URL with `${PGPASSWORD}` for its
    /// password: what to write in the config, never a password itself.
    shown: Option<String>,
}

pub(crate) fn run(args: MoveStoreArgs, _global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let source = source(&args)?;
    let target = target(&args.to, &source.dir)?;
    // Held until the copy is committed: no `sluice run` may deliver from the file meanwhile
    // (what it accepted or sent during the copy would be in the file only).
    let _lock = lock(&source.path)?;
    let (mut from, migrated) = open_source(&source)?;
    let database = Database {
        url: &target.url,
        ca_file: source.ca_file.as_deref(),
    };
    let mut to = Store::open_database(database)
        .map_err(|e| anyhow!("cannot open the store --to names: {e}; nothing was moved"))?;
    let started = Instant::now();
    let moved = copy::move_rows(&mut from, &mut to)?;
    let elapsed = started.elapsed();
    tracing::info!(
        from = %source.path.display(), to = %to.name(), store_id = %from.id(),
        alerts = moved.count("alerts"), "Moved the state store into PostgreSQL."
    );
    let mut out = String::new();
    if let Some((before, after)) = migrated {
        out.push_str(&format!(
            "The file was at schema version {before}, older than this sluice's; it was brought \
             up to date (version {after}) before the move.\n"
        ));
    }
    out.push_str(&report(&from, &to, &moved, elapsed.as_secs_f64()));
    out.push_str(&next_steps(&source, &to, &target));
    print(&out)?;
    let late = copy::arrived_since(&from, &moved)?;
    if late > 0 {
        eprintln!(
            "warning: {late} alert(s) were queued into {} while it was moved (`sluice \
             alert-response` writes the file while no host runs) and are not in the moved \
             store: queue them again once the config names the new store (their alert and \
             record ids are in the file's alerts table)",
            source.path.display()
        );
    }
    Ok(ExitCode::from(exit::OK))
}

/// The SQLite store the command line names: `--from`, or the config's `state.path`.
fn source(args: &MoveStoreArgs) -> anyhow::Result<Source> {
    let source = match &args.from {
        Some(path) => Source {
            path: path.clone(),
            durability: Durability::default(),
            dir: PathBuf::from("."),
            ca_file: args.ca_file.clone(),
        },
        None => {
            let file = ConfigFile::load_with(&args.config.config, &SecretResolver::placeholders())?;
            if file.config.state.url.is_some() {
                bail!(
                    "the config {} already keeps the store in PostgreSQL ([state] url is set): \
                     there is no SQLite store to move. To move a SQLite file into --to all the \
                     same, name it with --from PATH",
                    args.config.config.display()
                );
            }
            let dir = file.path().parent().filter(|d| !d.as_os_str().is_empty());
            Source {
                path: file.config.state.path.clone(),
                durability: file.config.state.durability,
                dir: dir.unwrap_or(Path::new(".")).to_owned(),
                ca_file: args.ca_file.clone().or(file.config.state.ca_file),
            }
        }
    };
    if !source.path.is_file() {
        let named_by = match args.from {
            Some(_) => "named by --from",
            None => "the config's state.path",
        };
        bail!(
            "there is no state store at {} ({named_by}), so nothing to move",
            source.path.display()
        );
    }
    Ok(source)
}

/// `--to` with its secret references resolved. Every secret in it, a password written out
/// too, is registered for redaction: no message of this process prints it.
fn target(to: &str, dir: &Path) -> anyhow::Result<Target> {
    let mut secrets = Secrets::default();
    let resolved = SecretResolver::from_env()
        .resolve(to, dir, &mut secrets)
        .map_err(|e| anyhow!("--to: {e}"))?;
    if let Some(password) = literal_password(to).filter(|p| !p.contains("${")) {
        secrets.insert(password);
    }
    secrets.register();
    Ok(Target {
        shown: resolved.is_some().then(|| to.to_owned()),
        url: resolved.unwrap_or_else(|| to.to_owned()),
    })
}

/// The password a connection string spells out: a URL's (`postgres://user:PASSWORD@host`)
/// or a `password=` pair's.
fn literal_password(url: &str) -> Option<&str> {
    if let Some(rest) = ["postgres://", "postgresql://"]
        .iter()
        .find_map(|scheme| url.strip_prefix(scheme))
    {
        let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
        let user_info = &authority[..authority.rfind('@')?];
        return user_info.split_once(':').map(|(_, p)| p);
    }
    url.split_whitespace()
        .find_map(|pair| pair.strip_prefix("password="))
        .map(|p| p.trim_matches('\''))
}

/// Takes the file's delivery lock, refusing while a host runs on it: what that host accepted
/// during the copy would be left behind in the file.
fn lock(path: &Path) -> anyhow::Result<DeliveryLock> {
    DeliveryLock::acquire(path).map_err(|e| match e {
        StoreError::InUse { holder, .. } => anyhow!(
            "cannot move the state store {}: a sluice run delivers from it ({}). Stop it \
             first, then run `sluice move-store` again; nothing was moved",
            path.display(),
            holder.as_deref().unwrap_or("a process that is starting")
        ),
        other => anyhow!(other).context("cannot take the state store's lock to move it"),
    })
}

/// Opens the file, bringing an older schema up to date (`Some((before, after))` then); one
/// written by a newer sluice is refused.
fn open_source(source: &Source) -> anyhow::Result<(Store, Option<(i64, i64)>)> {
    let before = schema_version(&source.path);
    let store = Store::open(&source.path, source.durability).map_err(|e| match e {
        StoreError::TooNew {
            found, supported, ..
        } => anyhow!(
            "the state store {} has schema version {found}, newer than this sluice's \
             ({supported}): move it with the sluice that wrote it (or upgrade this one)",
            source.path.display()
        ),
        other => anyhow!(other).context("cannot open the state store to move it"),
    })?;
    let after: i64 = store
        .sqlite()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .context("cannot read the state store's schema version")?;
    Ok((store, before.filter(|b| *b != after).map(|b| (b, after))))
}

/// The file's schema version before this sluice opens (and migrates) it.
fn schema_version(path: &Path) -> Option<i64> {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .ok()?;
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
        .ok()
}

/// What was moved, table by table.
fn report(from: &Store, to: &Store, moved: &copy::Moved, seconds: f64) -> String {
    let mut out = format!(
        "Moved the state store {} into {} in one transaction, in {seconds:.1} s; the store \
         keeps its id, {}:\n",
        from.name(),
        to.name(),
        from.id()
    );
    for (table, rows) in &moved.tables {
        out.push_str(&format!("  {table:<14} {rows:>9}\n"));
    }
    out.push_str(&format!(
        "  {:<14} {:>9}  (the store's id and bookkeeping; the schema version is the database's)\n",
        "meta", moved.meta
    ));
    if moved.replaced > 0 {
        out.push_str(&format!(
            "Replaced {} row(s) a host left in the target's events, activity and counters \
             while it ran there without alerts, tickets or checkpoints.\n",
            moved.replaced
        ));
    }
    out.push_str("Every table's row count was checked against the file's before the commit.\n");
    out
}

/// What the operator does next, with the URL to write in the config (no password in it).
fn next_steps(source: &Source, to: &Store, target: &Target) -> String {
    let url = target.shown.clone().unwrap_or_else(|| {
        let name = to.name();
        match name.split_once("://").and_then(|(s, rest)| {
            rest.split_once('@')
                .map(|(user, host)| format!("{s}://{user}:${{PGPASSWORD}}@{host}"))
        }) {
            Some(url) => url,
            None => name.to_owned(),
        }
    });
    let ca_file = match &source.ca_file {
        // Absolute: the config reads a relative path from its own directory, not from here.
        Some(path) => {
            let path = std::path::absolute(path).unwrap_or_else(|_| path.clone());
            format!(
                "       ca_file = {}\n",
                toml::Value::from(path.display().to_string())
            )
        }
        None => String::new(),
    };
    format!(
        "\nNext steps:\n  1. On every host, point the config at the moved store, the password as a \
         secret reference (an environment variable, file: or exec:), never written out:\n\
         \x20      [state]\n       url = \"{url}\"\n{ca_file}  \
         2. Keep {} (and the .id file beside it) as a backup. Start no host on it again: what \
         it queued from now on would not be in the moved store.\n  \
         3. Start the hosts (`sluice run`): one delivers at a time, the others stand by and \
         take over if it stops.\n",
        source.path.display()
    )
}

#[cfg(test)]
mod tests {
    use super::literal_password;

    #[test]
    fn a_password_written_out_is_found_for_redaction() {
        for (url, password) in [
            ("postgres://sluice:pw@db:5432/sluice", Some("pw")),
            (
                "postgresql://sluice:p@ss:w@db/sluice?sslmode=disable",
                Some("p@ss:w"),
            ),
            ("postgres://sluice@db/sluice", None),
            ("postgres://db/sluice", None),
            (
                "host=db user=sluice password='s3cret' dbname=sluice",
                Some("s3cret"),
            ),
            ("host=db user=sluice", None),
        ] {
            assert_eq!(literal_password(url), password, "{url}");
        }
    }
}
