//! The SDK stands on its own, as the plugin guide says: a copy of `sdk/` outside the
//! workspace (a vendored copy, or what a git dependency checks out) resolves and builds its
//! manifest without sluice's workspace, and its dependencies are the versions the workspace
//! (so the host) uses.

use std::path::Path;
use std::process::Command;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The platform rustc builds for here (`host:` of `rustc -vV`).
fn host_triple() -> String {
    let out = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned()))
        .arg("-vV")
        .output()
        .expect("rustc runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .expect("rustc -vV names the host")
        .to_owned()
}

fn manifest(path: &Path) -> toml::Table {
    std::fs::read_to_string(path).unwrap().parse().unwrap()
}

#[test]
fn a_copy_of_the_sdk_resolves_apart_from_the_workspace() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = tempfile::tempdir().unwrap();
    let sdk = dir.path().join("sluice-sdk");
    copy_dir(&root.join("sdk"), &sdk);
    // Resolved for this machine's platform: without the filter, cargo wants the manifest of
    // every platform's dependencies (redox_syscall, say), which a build here never
    // downloaded, and `--offline` cannot fetch.
    let host = host_triple();
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args(["metadata", "--format-version", "1", "--offline"])
        .args(["--filter-platform", &host])
        .current_dir(&sdk)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "a copy of sdk/ does not stand on its own:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        metadata["workspace_root"].as_str().map(Path::new),
        Some(sdk.as_path()),
        "the copy is its own workspace"
    );

    // The same versions as the workspace's, so the host and plugins agree.
    let sdk = manifest(&root.join("sdk/Cargo.toml"));
    let workspace = manifest(&root.join("Cargo.toml"));
    let shared = &workspace["workspace"]["dependencies"];
    let version = |v: &toml::Value| match v {
        toml::Value::String(s) => s.clone(),
        other => other["version"].as_str().unwrap_or_default().to_owned(),
    };
    let linux = &sdk["target"]["cfg(target_os = \"linux\")"]["dependencies"];
    for deps in [&sdk["dependencies"], linux] {
        for (name, req) in deps.as_table().unwrap() {
            assert_eq!(
                version(req),
                version(&shared[name]),
                "sdk/Cargo.toml's {name} differs from the workspace's"
            );
        }
    }
}
