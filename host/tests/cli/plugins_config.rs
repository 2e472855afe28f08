//! `sluice plugins --config`: the config's plugin directories are listed without the config's
//! secrets, and a config that cannot be read is an error (exit 78), not a shorter list.

use crate::util::{probe_plugin, sluice};

fn config(dir: &std::path::Path, plugins: &std::path::Path, extra: &str) -> std::path::PathBuf {
    let file = dir.join("sluice.toml");
    std::fs::write(
        &file,
        format!(
            "[plugins]\ndirectories = ['{}']\n\n[pipelines.p.source]\ntype = \"probe_source\"\n\
             password = \"${{SLUICE_TEST_NEVER_SET}}\"\n\n[pipelines.p.sink]\ntype = \"probe_sink\"\n{extra}",
            plugins.display()
        ),
    )
    .unwrap();
    file
}

#[test]
fn the_configs_plugin_directories_are_listed_without_its_secrets() {
    let probe = probe_plugin();
    let plugins = probe.parent().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = config(dir.path(), plugins, "");
    let out = sluice()
        .arg("plugins")
        .arg("--config")
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(&probe.display().to_string()), "{stdout}");

    let broken = config(dir.path(), plugins, "[pipelines.p.delivery]\nbatchh = 1\n");
    let out = sluice()
        .arg("plugins")
        .arg("--config")
        .arg(&broken)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(78), "{stderr}");
    assert!(stderr.contains("unknown field `batchh`"), "{stderr}");
}
