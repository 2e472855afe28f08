//! `sluice alert-response --to URL`, the forwarder the Auditor server runs, against hosts that
//! are down, redirect or answer as a test intake tells them; and `sluice generate
//! intake-token`, which makes its token. (The end-to-end tests against the real intake of
//! `sluice run` are with the intake's.)

use std::net::SocketAddr;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::Router;
use sha2::{Digest, Sha256};

use crate::ports::closed_address;
use crate::util::{run, sluice, text};

/// What a test server received: `path?query`, the Authorization and Content-Type headers,
/// and the body.
#[derive(Debug, Clone)]
struct Received {
    uri: String,
    authorization: Option<String>,
    content_type: Option<String>,
    body: String,
}

type Log = Arc<Mutex<Vec<Received>>>;

/// `sluice alert-response` in an empty directory (no config to read), with no proxy from the
/// environment and no token but the one a test gives.
fn forwarder(dir: &tempfile::TempDir) -> Command {
    let mut cmd = sluice();
    cmd.current_dir(dir.path()).arg("alert-response");
    for proxy in ["http_proxy", "https_proxy", "all_proxy"] {
        cmd.env_remove(proxy).env_remove(proxy.to_uppercase());
    }
    cmd.env_remove("SLUICE_INTAKE_TOKEN");
    cmd
}

/// Serves `router` on a loopback port, on `runtime`.
fn serve(runtime: &tokio::runtime::Runtime, router: Router) -> SocketAddr {
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        address
    })
}

/// A server that writes down every request and answers `status` with the JSON `answer`.
fn intake(log: Log, status: StatusCode, answer: &'static str) -> Router {
    Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
        let log = Arc::clone(&log);
        async move {
            let header = |name| {
                headers
                    .get(name)
                    .map(|v: &header::HeaderValue| v.to_str().unwrap().to_owned())
            };
            log.lock().unwrap().push(Received {
                uri: uri.to_string(),
                authorization: header(header::AUTHORIZATION),
                content_type: header(header::CONTENT_TYPE),
                body: String::from_utf8_lossy(&body).into_owned(),
            });
            (status, [(header::CONTENT_TYPE, "application/json")], answer)
        }
    })
}

fn stderr_of(out: &Output) -> String {
    text(&out.stderr)
}

#[test]
fn forward_to_a_host_that_is_down_exits_75_so_auditor_retries() {
    let dir = tempfile::tempdir().unwrap();
    let address = closed_address();
    let out = run(forwarder(&dir)
        .args(["--to", &format!("http://{address}")])
        .args(["--alert-name", "Account locked out", "0b5e", "r1"]));
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(75), "{stderr}");
    for part in [
        &format!("http://{address}/v1/alerts"),
        "The alert was not queued",
        "Netwrix Auditor will retry",
    ] {
        assert!(stderr.contains(part), "{part:?} in {stderr}");
    }
}

#[test]
fn forward_with_a_missing_or_unusable_token_file_says_so_without_its_content() {
    let dir = tempfile::tempdir().unwrap();
    let to = format!("http://{}", closed_address());
    let missing = dir.path().join("missing.token");
    let out = run(forwarder(&dir)
        .args(["--to", &to, "--token-file"])
        .arg(&missing)
        .args(["0b5e", "r1"]));
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot read the token file"), "{stderr}");
    assert!(stderr.contains(&missing.display().to_string()), "{stderr}");

    for (content, problem) in [
        ("", "is empty"),
        ("s3cr3t-token-one\ns3cr3t-token-two\n", "more than one line"),
        (
            "Authorization: Basic s3cr3t-token-one",
            "without `Bearer <token>`",
        ),
    ] {
        let file = dir.path().join("intake.token");
        std::fs::write(&file, content).unwrap();
        let out = run(forwarder(&dir)
            .args(["--to", &to, "--token-file"])
            .arg(&file)
            .args(["0b5e", "r1"]));
        let stderr = stderr_of(&out);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(problem), "{problem:?} in {stderr}");
        assert!(stderr.contains(&file.display().to_string()), "{stderr}");
        assert!(!stderr.contains("s3cr3t"), "{stderr}");
    }
}

#[test]
fn forward_options_without_to_are_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    for (option, value) in [
        ("--token-file", "t"),
        ("--ca-file", "ca.pem"),
        ("--client-cert", "c.pem"),
        ("--timeout", "5s"),
    ] {
        let out = run(forwarder(&dir).args([option, value, "0b5e", "r1"]));
        assert_eq!(out.status.code(), Some(2), "{option}: {}", stderr_of(&out));
        assert!(stderr_of(&out).contains("--to"), "{}", stderr_of(&out));
    }
}

#[test]
fn forward_follows_no_redirect_and_names_where_it_pointed() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let elsewhere = Log::default();
    let target = serve(
        &runtime,
        intake(
            Arc::clone(&elsewhere),
            StatusCode::OK,
            r#"{"queued": true}"#,
        ),
    );
    let location = format!("http://{target}/v1/alerts");
    let redirect = Router::new().fallback(move || {
        let location = location.clone();
        async move {
            (
                StatusCode::TEMPORARY_REDIRECT,
                [(header::LOCATION, location)],
            )
        }
    });
    let address = serve(&runtime, redirect);

    let dir = tempfile::tempdir().unwrap();
    let out = run(forwarder(&dir)
        .env("SLUICE_INTAKE_TOKEN", "s3cr3t-token-for-the-intake")
        .args(["--to", &format!("http://{address}"), "0b5e", "r1"]));
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(65), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "307 Temporary Redirect to http://{target}/v1/alerts"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("follows no redirect"), "{stderr}");
    assert!(!stderr.contains("s3cr3t"), "{stderr}");
    assert!(
        elsewhere.lock().unwrap().is_empty(),
        "the redirect was followed"
    );
}

#[test]
fn forward_sends_the_ids_as_json_with_the_token_and_exits_0_once_queued() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let log = Log::default();
    let answer = r#"{"queued": true, "alerts": 1, "pipelines": ["security"]}"#;
    let address = serve(&runtime, intake(Arc::clone(&log), StatusCode::OK, answer));
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("intake.token");
    std::fs::write(&token_file, "Authorization: Bearer tok-123\r\n").unwrap();

    let out = run(forwarder(&dir)
        .args(["--to", &format!("http://{address}/"), "--token-file"])
        .arg(&token_file)
        .args([
            "--alert-name",
            "Locked \"out\" & more",
            "--pipeline",
            "security",
        ])
        .args(["ignored", "0b5e", "r1"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let received = log.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    assert_eq!(request.uri, "/v1/alerts");
    assert_eq!(request.authorization.as_deref(), Some("Bearer tok-123"));
    assert_eq!(request.content_type.as_deref(), Some("application/json"));
    let body: serde_json::Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "alert_id": "0b5e", "record_id": "r1",
            "alert_name": "Locked \"out\" & more", "pipeline": "security",
        })
    );
}

#[test]
fn forward_sends_a_csv_file_as_it_is_with_the_name_in_the_query() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let log = Log::default();
    let address = serve(
        &runtime,
        intake(
            Arc::clone(&log),
            StatusCode::OK,
            r#"{"queued": true, "alerts": 2}"#,
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("alert.csv");
    let content = "RecordID,Who\r\nr1,CORP\\alice\r\nr2,CORP\\bob\r\n";
    std::fs::write(&csv, content).unwrap();

    let out = run(forwarder(&dir)
        .args(["--to", &format!("http://{address}")])
        .args(["--alert-name", "Locked out & more"])
        .arg(&csv));
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let received = log.lock().unwrap().clone();
    let request = &received[0];
    assert_eq!(request.uri, "/v1/alerts?alert_name=Locked+out+%26+more");
    assert_eq!(request.content_type.as_deref(), Some("text/csv"));
    assert_eq!(request.authorization, None);
    assert_eq!(request.body, content);
}

#[test]
fn forward_says_what_the_host_refused_and_exits_with_its_code() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (status, answer, code, part) in [
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            r#"{"error": "this host has no pipeline named \"sec\""}"#,
            65,
            r#"422 Unprocessable Entity: this host has no pipeline named "sec""#,
        ),
        (
            StatusCode::UNAUTHORIZED,
            r#"{"error": "a bearer token is required"}"#,
            77,
            "refused the credentials: 401 Unauthorized: a bearer token is required",
        ),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            r#"{"error": "busy"}"#,
            75,
            "cannot take the alert now: 503 Service Unavailable: busy",
        ),
    ] {
        let address = serve(&runtime, intake(Log::default(), status, answer));
        let out = run(forwarder(&dir).args(["--to", &format!("http://{address}"), "0b5e", "r1"]));
        let stderr = stderr_of(&out);
        assert_eq!(out.status.code(), Some(code), "{stderr}");
        assert!(stderr.contains(part), "{part:?} in {stderr}");
        assert!(
            stderr.contains(&format!("http://{address}/v1/alerts")),
            "{stderr}"
        );
    }
}

#[test]
fn forward_passes_over_hosts_that_are_down_or_busy_and_exits_0_at_the_one_that_queues() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (busy, queued) = (Log::default(), Log::default());
    let busy_at = serve(
        &runtime,
        intake(
            Arc::clone(&busy),
            StatusCode::SERVICE_UNAVAILABLE,
            r#"{"error": "busy"}"#,
        ),
    );
    let answer = r#"{"queued": true, "alerts": 1}"#;
    let queued_at = serve(
        &runtime,
        intake(Arc::clone(&queued), StatusCode::OK, answer),
    );
    let down = closed_address();
    let dir = tempfile::tempdir().unwrap();
    let out = run(forwarder(&dir)
        .args(["--to", &format!("http://{down}")])
        .args(["--to", &format!("http://{busy_at}")])
        .args(["--to", &format!("http://{queued_at}")])
        .args(["--alert-name", "Account locked out", "0b5e", "r1"]));
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(busy.lock().unwrap().len(), 1);
    let received = queued.lock().unwrap().clone();
    assert_eq!(received.len(), 1, "{received:?}");
    assert_eq!(received[0].uri, "/v1/alerts");
    // Auditor sees exit 0 only; whoever runs it by hand sees which hosts were passed over.
    for part in [
        format!("warning: sluice at http://{queued_at}/v1/alerts queued the alert"),
        format!("http://{down}/v1/alerts: cannot connect"),
        format!("http://{busy_at}/v1/alerts: 503 Service Unavailable: busy"),
    ] {
        assert!(stderr.contains(&part), "{part:?} in {stderr}");
    }
}

/// A host that took the request and did not answer in time may have queued the alert: the
/// next is sent it all the same, as the shared store makes the repeat the same alert.
#[test]
fn forward_passes_over_a_host_that_does_not_answer_within_the_timeout() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let stalled = Router::new().fallback(|| async {
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        StatusCode::OK
    });
    let stalled_at = serve(&runtime, stalled);
    let queued = Log::default();
    let answer = r#"{"queued": true, "alerts": 1}"#;
    let queued_at = serve(
        &runtime,
        intake(Arc::clone(&queued), StatusCode::OK, answer),
    );
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let out = run(forwarder(&dir)
        .args(["--timeout", "1s", "--to", &format!("http://{stalled_at}")])
        .args(["--to", &format!("http://{queued_at}"), "0b5e", "r1"]));
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "{stderr}"
    );
    assert_eq!(queued.lock().unwrap().len(), 1);
    let part = format!("http://{stalled_at}/v1/alerts: no answer within 1s");
    assert!(stderr.contains(&part), "{part:?} in {stderr}");
}

#[test]
fn forward_takes_several_intakes_in_one_comma_separated_to() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let queued = Log::default();
    let answer = r#"{"queued": true, "alerts": 1}"#;
    let queued_at = serve(
        &runtime,
        intake(Arc::clone(&queued), StatusCode::OK, answer),
    );
    let down = closed_address();
    let dir = tempfile::tempdir().unwrap();
    let out = run(forwarder(&dir)
        .arg(format!("--to=http://{down}, http://{queued_at}/,"))
        .args(["0b5e", "r1"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(queued.lock().unwrap().len(), 1);
}

#[test]
fn forward_stops_at_a_refused_token_without_trying_the_next_host() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (denying, next) = (Log::default(), Log::default());
    let denied_at = serve(
        &runtime,
        intake(
            Arc::clone(&denying),
            StatusCode::UNAUTHORIZED,
            r#"{"error": "the bearer token is not this intake's"}"#,
        ),
    );
    let answer = r#"{"queued": true, "alerts": 1}"#;
    let next_at = serve(&runtime, intake(Arc::clone(&next), StatusCode::OK, answer));
    let dir = tempfile::tempdir().unwrap();
    let out = run(forwarder(&dir)
        .env("SLUICE_INTAKE_TOKEN", "s3cr3t-token-for-the-intake")
        .args(["--to", &format!("http://{denied_at}")])
        .args(["--to", &format!("http://{next_at}")])
        .args(["0b5e", "r1"]));
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(77), "{stderr}");
    assert_eq!(denying.lock().unwrap().len(), 1);
    assert!(
        next.lock().unwrap().is_empty(),
        "another host would refuse the token alike: {stderr}"
    );
    for part in [
        "refused the credentials: 401 Unauthorized: the bearer token is not this intake's",
        "The other intake given with --to was not tried",
    ] {
        assert!(stderr.contains(part), "{part:?} in {stderr}");
    }
    assert!(!stderr.contains("s3cr3t"), "{stderr}");
}

#[test]
fn forward_with_every_host_down_exits_75_and_says_what_each_answered() {
    let (a, b) = (closed_address(), closed_address());
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let out = run(forwarder(&dir)
        .args(["--to", &format!("http://{a},http://{b}"), "--timeout", "5s"])
        .args(["0b5e", "r1"]));
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(75), "{stderr}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "{stderr}"
    );
    let first = stderr.lines().next().unwrap_or_default();
    for part in [
        "error: no intake queued the alert: ".to_owned(),
        format!("http://{a}/v1/alerts: cannot connect"),
        format!("; http://{b}/v1/alerts: cannot connect"),
    ] {
        assert!(first.contains(&part), "{part:?} in {stderr}");
    }
    // Then each host's own message, with what to check there.
    for url in [a, b] {
        assert!(
            stderr.contains(&format!(
                "error: cannot reach sluice at http://{url}/v1/alerts"
            )),
            "{stderr}"
        );
    }
    assert!(stderr.contains("Netwrix Auditor will retry"), "{stderr}");
}

/// The token in the header line `Authorization: Bearer <token>\n`.
fn token_of(header_line: &str) -> String {
    let token = header_line
        .strip_prefix("Authorization: Bearer ")
        .and_then(|t| t.strip_suffix('\n'))
        .unwrap_or_else(|| panic!("not a header line: {header_line:?}"));
    assert!(token.len() >= 64, "{token}");
    assert!(token.bytes().all(|b| b.is_ascii_graphic()), "{token}");
    token.to_owned()
}

/// The hex digits of the line `token_sha256 = "…"` in `text`.
fn sha256_line(text: &str) -> String {
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("token_sha256 = \""))
        .unwrap_or_else(|| panic!("no token_sha256 line in {text}"));
    let hex = line.strip_suffix('"').unwrap().to_owned();
    assert_eq!(hex.len(), 64);
    assert!(hex.bytes().all(|b| b.is_ascii_hexdigit()), "{hex}");
    hex
}

fn sha256_hex(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn forward_token_generated_into_a_new_private_file_with_its_hash() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sluice-intake.token");
    let out = run(sluice()
        .args(["generate", "intake-token", "--out"])
        .arg(&file));
    assert!(out.status.success(), "{}", stderr_of(&out));
    let content = std::fs::read_to_string(&file).unwrap();
    let token = token_of(&content);
    assert_eq!(sha256_line(&text(&out.stdout)), sha256_hex(&token));
    assert!(!text(&out.stdout).contains(&token) && !stderr_of(&out).contains(&token));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let again = run(sluice()
        .args(["generate", "intake-token", "--out"])
        .arg(&file));
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr_of(&again).contains("exists already"),
        "{}",
        stderr_of(&again)
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), content);

    let printed = run(sluice().args(["generate", "intake-token"]));
    assert!(printed.status.success(), "{}", stderr_of(&printed));
    let token = token_of(&text(&printed.stdout));
    assert_eq!(sha256_line(&stderr_of(&printed)), sha256_hex(&token));
}
