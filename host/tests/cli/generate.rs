//! `sluice generate`: shell completions and man pages come from the command line's own
//! definitions, so every subcommand and flag is in them.

use crate::util::sluice;

#[test]
fn completions_and_man_pages_cover_every_command() {
    let out = sluice()
        .args(["generate", "completions", "bash"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let bash = String::from_utf8_lossy(&out.stdout);
    for word in ["dead-letters", "explain", "--alert-name", "requeue"] {
        assert!(bash.contains(word), "{word} in the bash completions");
    }

    let dir = tempfile::tempdir().unwrap();
    let out = sluice()
        .args(["generate", "man"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = std::fs::read_to_string(dir.path().join("sluice-explain.1")).unwrap();
    assert!(page.contains(".TH sluice-explain"), "{page}");
    assert!(page.contains("alert\\-name"), "{page}");
    assert!(dir.path().join("sluice.1").exists());
    assert!(dir.path().join("sluice-dead-letters-requeue.1").exists());
}
