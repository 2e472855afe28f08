//! Python venvs under the target dir for the clients sluice did not write (pysnow, pyspnego,
//! requests-ntlm), created on first use and kept for later runs.

use std::path::{Path, PathBuf};

/// `target/` of this build: the test binary lives in `target/<profile>/deps/`.
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable path");
    exe.parent()
        .and_then(Path::parent)
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .expect("the test executable is in target/<profile>/deps")
}

/// The python of venv `name` under the target dir, with `packages` installed so that
/// `import {imports}` works. Panics with the reason when it cannot be built (no network for
/// pip, say): the tests that use it must never pass silently.
pub fn python_with(name: &str, packages: &[&str], imports: &str) -> PathBuf {
    let venv = target_dir().join(name);
    let python = venv.join("bin").join("python");
    // Test processes run side by side: one builds the venv while the others wait for it,
    // instead of all running venv and pip into one directory at once.
    let lock = std::fs::File::create(target_dir().join(format!("{name}.lock")))
        .expect("create the venv's lock file");
    lock.lock().expect("lock the venv");
    let importable = |python: &Path| {
        std::process::Command::new(python)
            .args(["-c", &format!("import {imports}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if importable(&python) {
        return python;
    }
    let run = |program: &Path, args: &[&str]| {
        let output = std::process::Command::new(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
        assert!(
            output.status.success(),
            "`{} {}` failed; these tests need python3 with venv and network access to PyPI.\n\
             stdout:\n{}\nstderr:\n{}",
            program.display(),
            args.join(" "),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let venv_arg = venv.to_string_lossy().into_owned();
    run(Path::new("python3"), &["-m", "venv", &venv_arg]);
    let mut args = vec!["install", "--quiet", "--disable-pip-version-check"];
    args.extend(packages);
    run(&venv.join("bin").join("pip"), &args);
    assert!(
        importable(&python),
        "{} installed, but `import {imports}` fails in {}",
        packages.join(" "),
        venv.display()
    );
    python
}
