//! What is in a plugin directory besides plugins: a shared library that is no sluice plugin
//! (and must not be loaded, since loading runs its constructors), entries that are skipped
//! (a directory, a dangling link, a FIFO), and two copies of one plugin.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::util::{
    probe_plugin, run, sluice, sluice_with_probe, text, workspace_plugin, PROBE_PIPELINE,
};

fn library_name(stem: &str) -> String {
    format!(
        "{}{stem}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    )
}

/// A shared library whose constructor aborts the process that loads it, built with `cc` into
/// `dir`; `None` (with the reason printed) when there is no C compiler.
fn aborting_library(dir: &Path) -> Option<PathBuf> {
    let source = dir.join("aborts.c");
    std::fs::write(
        &source,
        "#include <stdlib.h>\n\
         __attribute__((constructor)) static void refuse_to_be_loaded(void) { abort(); }\n\
         int not_a_sluice_plugin(void) { return 1; }\n",
    )
    .unwrap();
    let library = dir.join(library_name("aborts"));
    let built = Command::new("cc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(&library)
        .arg(&source)
        .output();
    match built {
        Ok(out) if out.status.success() => Some(library),
        Ok(out) => panic!(
            "cc failed to build the test library:\n{}",
            text(&out.stderr)
        ),
        Err(e) => {
            eprintln!("skipped: no C compiler (`cc`: {e}) to build a library that aborts");
            None
        }
    }
}

/// Runs `cmd`, killing it if it has not finished within a minute (a FIFO must never block).
fn run_bounded(cmd: &mut Command) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the sluice binary runs");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("sluice hung; it said:\n{}", text(&out.stderr));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn names(listing: &serde_json::Value) -> Vec<String> {
    listing["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Why `sluice plugins --json` says `path` was refused.
fn refusal(listing: &serde_json::Value, path: &Path) -> String {
    listing["refused"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == path.display().to_string())
        .and_then(|r| r["reason"].as_str())
        .unwrap_or_else(|| panic!("{} is not refused: {listing}", path.display()))
        .to_owned()
}

#[test]
fn a_library_whose_constructor_aborts_is_refused_without_being_loaded() {
    workspace_plugin("sluice-sink-servicenow");
    workspace_plugin("sluice-source-netwrix-auditor");
    let build = tempfile::tempdir().unwrap();
    let Some(built) = aborting_library(build.path()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join(built.file_name().unwrap());
    std::fs::copy(&built, &library).unwrap();

    // `--plugin-dir`s add up, before the subcommand and after it.
    let out = run(sluice_with_probe()
        .arg("--plugin-dir")
        .arg(dir.path())
        .args(["plugins", "--json"]));
    assert_eq!(
        out.status.code(),
        Some(0),
        "`sluice plugins` survives the library: {out:?}"
    );
    let listing: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let loaded = names(&listing);
    for plugin in ["probe", "servicenow", "netwrix-auditor"] {
        assert!(
            loaded.iter().any(|n| n == plugin),
            "{plugin} still loads: {listing}"
        );
    }
    let reason = refusal(&listing, &library);
    assert!(
        reason.starts_with(&format!("{} is not a sluice plugin", library.display()))
            && reason.contains("exports no sluice root module")
            && !reason.contains('\n'),
        "{reason}"
    );

    // `validate` (and `run`, which loads plugins the same way) goes on too.
    let config = dir.path().join("sluice.toml");
    std::fs::write(&config, PROBE_PIPELINE).unwrap();
    let out = run(sluice_with_probe()
        .arg("--plugin-dir")
        .arg(dir.path())
        .args(["validate", "--config"])
        .arg(&config));
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        text(&out.stderr).contains("exports no sluice root module"),
        "the refusal is a warning: {}",
        text(&out.stderr)
    );
}

#[test]
fn skipped_plugin_files_are_mentioned_with_v_and_a_fifo_never_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let directory = dir.path().join(library_name("directory"));
    std::fs::create_dir(&directory).unwrap();
    let dangling = dir.path().join(library_name("dangling"));
    std::os::unix::fs::symlink(dir.path().join("gone.so"), &dangling).unwrap();
    let fifo = dir.path().join(library_name("fifo"));
    let made = Command::new("mkfifo").arg(&fifo).status();
    let fifo_made = made.is_ok_and(|s| s.success());
    if !fifo_made {
        eprintln!("no FIFO in this test: `mkfifo` is missing or failed");
    }

    let out = run_bounded(
        sluice()
            .args(["-v", "plugins", "--plugin-dir"])
            .arg(dir.path()),
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stderr = text(&out.stderr);
    let said = |path: &Path, why: &str| {
        stderr
            .lines()
            .any(|l| l.contains(&path.display().to_string()) && l.contains(why))
    };
    assert!(said(&directory, "it is a directory"), "{stderr}");
    assert!(
        said(
            &dangling,
            "it is a symbolic link to a file that does not exist"
        ),
        "{stderr}"
    );
    if fifo_made {
        assert!(said(&fifo, "it is a FIFO"), "{stderr}");
    }

    // Without -v they are not worth a warning.
    let out = run_bounded(sluice().args(["plugins", "--plugin-dir"]).arg(dir.path()));
    assert!(!text(&out.stderr).contains("Skipped"), "{out:?}");
}

#[test]
fn two_copies_of_one_plugin_name_their_files() {
    let dir = tempfile::tempdir().unwrap();
    let probe = probe_plugin();
    let copy = dir.path().join(probe.file_name().unwrap());
    std::fs::copy(&probe, &copy).unwrap();
    let config = dir.path().join("sluice.toml");
    std::fs::write(&config, PROBE_PIPELINE).unwrap();

    let out = run(sluice_with_probe()
        .arg("--plugin-dir")
        .arg(dir.path())
        .args(["validate", "--config"])
        .arg(&config));
    assert_eq!(out.status.code(), Some(78), "{out:?}");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "2 copies of plugin `probe` provide a source named `probe_source`: {}, {}",
            probe.display(),
            copy.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("remove one of the copies"),
        "advice that can be followed: {stderr}"
    );
    assert!(!stderr.contains("plugin = \"NAME\""), "{stderr}");
}

/// `--plugin-dir` before the subcommand and after it: both directories are searched (clap
/// alone kept only the one after).
#[test]
fn plugin_dirs_before_and_after_the_subcommand_add_up() {
    let (before, after) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (gone_before, gone_after) = (before.path().join("gone"), after.path().join("gone"));
    let out = run_bounded(
        sluice()
            .arg("--plugin-dir")
            .arg(&gone_before)
            .args(["plugins", "--json"])
            .arg(format!("--plugin-dir={}", gone_after.display())),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    for dir in [&gone_before, &gone_after] {
        assert!(
            stderr.contains(&format!(
                "Cannot read a plugin directory. directory={}",
                dir.display()
            )),
            "{} searched: {stderr}",
            dir.display()
        );
    }
}
