//! pysnow, a third-party client, drives the emulator.

use super::*;

/// pysnow 0.7.17 is the last release; it works on Python 3.11 as is (python-magic falls back
/// to text/plain if libmagic is missing, pytz and ijson install as pure-Python wheels).
const PYSNOW: &str = "pysnow==0.7.17";

/// A venv with pysnow under the target dir (see `venv::python_with`).
fn pysnow_python() -> PathBuf {
    crate::venv::python_with("pysnow-venv", &[PYSNOW], "pysnow")
}

#[tokio::test]
async fn pysnow_drives_the_emulator() {
    let python = tokio::task::spawn_blocking(pysnow_python)
        .await
        .expect("venv setup");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("protocol/pysnow/drive_incident.py");
    let dir = tempfile::tempdir().expect("a temp dir");
    let attachment = dir.path().join("df-output.txt");
    let content =
        b"Filesystem  Size  Used Avail Use% Mounted on\n/dev/sdb1   200G  190G   10G  95% /var\n";
    std::fs::write(&attachment, content).expect("attachment file");
    for release in Release::ALL {
        let sn = start_release(release).await;
        let correlation_id = format!("sluice:pysnow:{release}");
        let args = [
            script.to_string_lossy().into_owned(),
            sn.served.addr().to_string(),
            "sluice".to_owned(),
            "sluice".to_owned(),
            correlation_id.clone(),
            attachment.to_string_lossy().into_owned(),
        ];
        let python = python.clone();
        let output = tokio::task::spawn_blocking(move || {
            std::process::Command::new(python).args(args).output()
        })
        .await
        .expect("the script ran")
        .expect("python started");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{release}: pysnow script failed ({})\nstdout:\n{stdout}\nstderr:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        let sys_id = stdout.lines().last().unwrap_or_default().trim().to_owned();
        let matching: Vec<_> = sn
            .sn
            .incidents()
            .into_iter()
            .filter(|i| i.get("correlation_id") == correlation_id)
            .collect();
        assert_eq!(matching.len(), 1, "{release}: exactly one incident");
        assert_eq!(matching[0].sys_id(), sys_id);
        let journal = sn.sn.journal(&sys_id);
        assert_eq!(journal.len(), 1, "{release}: one journal entry");
        assert_eq!(
            (journal[0].element.as_str(), journal[0].value.as_str()),
            ("work_notes", "first seen by pysnow")
        );
        let attachments = sn.sn.attachments(&sys_id);
        assert_eq!(attachments.len(), 1);
        assert_eq!(attachments[0].bytes, content.to_vec());
        assert_eq!(attachments[0].file_name, "df-output.txt");
        assert_eq!(
            sn.sn.requests().table_count("PUT", "incident"),
            1,
            "pysnow updates with PUT"
        );
    }
}

#[tokio::test]
async fn pysnow_drives_security_incidents_with_an_api_key() {
    let python = tokio::task::spawn_blocking(pysnow_python)
        .await
        .expect("venv setup");
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("protocol/pysnow/drive_security_incident.py");
    for release in [Release::WashingtonDc, Release::Zurich, Release::Brazil] {
        let sn = start_release(release).await;
        let correlation_id = format!("sluice:pysnow-sir:{}", release.key());
        let args = [
            script.to_string_lossy().into_owned(),
            sn.served.addr().to_string(),
            "sluice-api-key".to_owned(),
            correlation_id.clone(),
        ];
        let python = python.clone();
        let output = tokio::task::spawn_blocking(move || {
            std::process::Command::new(python).args(args).output()
        })
        .await
        .expect("the script ran")
        .expect("python started");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{release}: pysnow script failed ({})\nstdout:\n{stdout}\nstderr:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        let sys_id = stdout.lines().last().unwrap_or_default().trim().to_owned();
        let stored = sn.sn.security_incidents();
        assert_eq!(stored.len(), 1, "{release}: one security incident");
        assert_eq!(stored[0].sys_id(), sys_id);
        assert_eq!(stored[0].get("correlation_id"), correlation_id);
        assert_eq!(stored[0].get("active"), "false");
        assert_eq!(
            sn.sn.requests().with_status(401),
            0,
            "{release}: the key signed in"
        );
    }
}
