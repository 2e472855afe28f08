//! An HTML page where the Integration API's JSON or XML was expected (a proxy's error page, a
//! login portal, the wrong port): the error says an HTML page arrived, quotes at most its
//! short title, and asks whether `endpoint` is the Integration API; never the whole body.
//!
//! The emulator always answers pages, so a tiny loopback server stands in for the proxy.

use serde_json::json;
use sluice_sdk::ErrorKind;
use sluice_source_netwrix_auditor::Format;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::harness::{at, both_formats, Env};

/// Text in the page's body that must never reach a message.
const BODY_SECRET: &str = "sso-session-7f3a9c";

/// Serves `status`, `content_type` (if any) and `body` to every request; returns its URL.
fn serve_html(env: &Env, status: u16, content_type: Option<&str>, body: String) -> String {
    let head = match content_type {
        Some(value) => format!("Content-Type: {value}\r\n"),
        None => String::new(),
    };
    let answer = format!(
        "HTTP/1.1 {status} X\r\n{head}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    env.block_on(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(answer_one(stream, answer.clone()));
            }
        });
        url
    })
}

/// Reads one request (headers and `Content-Length` bytes of body), then writes `answer`.
async fn answer_one(mut stream: TcpStream, answer: String) {
    let mut seen = Vec::new();
    let mut buf = [0_u8; 4096];
    loop {
        let Ok(n) = stream.read(&mut buf).await else {
            return;
        };
        if n == 0 {
            return;
        }
        seen.extend_from_slice(&buf[..n]);
        if let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&seen[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if seen.len() >= end + 4 + length {
                break;
            }
        }
    }
    let _ = stream.write_all(answer.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn login_page(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><form action=\"/login\"><input type=\"hidden\" name=\"state\" \
         value=\"{BODY_SECRET}\"></form></body></html>"
    )
}

fn env() -> Env {
    Env::new(Default::default(), at("2025-04-03T00:00:00Z"))
}

fn wire(format: Format) -> &'static str {
    match format {
        Format::Json => "JSON",
        Format::Xml => "XML",
    }
}

/// A 200 login portal: an error naming the HTML page, its title and the format expected.
fn a_login_page_is_named_as_html(format: Format) {
    let env = env();
    let page = login_page("Sign in \u{2013} Corp Portal");
    let url = serve_html(&env, 200, Some("text/html; charset=utf-8"), page);
    let config = env.config(format, json!({"endpoint": url}));
    for err in [
        env.source(&config)
            .healthcheck()
            .expect_err("HTML is no page"),
        env.source(&config).poll(None).expect_err("HTML is no page"),
    ] {
        assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
        let message = err.message();
        let expected = format!(
            "Netwrix Auditor answered 200 with an HTML page (Content-Type text/html; \
             charset=utf-8; title \"Sign in \u{2013} Corp Portal\"), not the {} the \
             Integration API sends",
            wire(format)
        );
        assert!(message.contains(&expected), "{message}");
        assert!(message.contains("port 9699"), "{message}");
        assert!(message.contains("login page"), "{message}");
        assert!(message.contains("/activity_records/search"), "{message}");
        assert!(!message.contains(BODY_SECRET), "{message}");
        assert!(!message.contains("malformed"), "{message}");
    }
}

/// Without a `Content-Type`, the body's own start says it is HTML; a long title with control
/// characters is escaped and cut to 100 characters.
fn an_untyped_page_with_a_hostile_title(format: Format) {
    let env = env();
    let title = format!("Proxy\r\nFAKE LOG LINE\u{1b}[31m {}", "x".repeat(300));
    let url = serve_html(&env, 200, None, login_page(&title));
    let config = env.config(format, json!({"endpoint": url}));
    let err = env.source(&config).healthcheck().expect_err("HTML");
    let message = err.message();
    assert!(
        message.contains(
            "with an HTML page (no Content-Type; title \"Proxy\\r\\nFAKE LOG LINE\\u{1b}[31m xxx"
        ),
        "{message}"
    );
    assert!(
        !message.contains('\n') && !message.contains('\u{1b}'),
        "{message}"
    );
    let quoted = message
        .split("title \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default();
    assert!(quoted.chars().count() <= 100, "{quoted}");
    assert!(quoted.ends_with('…'), "{quoted}");
    assert!(!message.contains(&"x".repeat(120)), "{message}");
}

/// A 500 error page from a proxy: transient as before, and described by its title rather than
/// by the markup at its start.
fn an_html_error_page_is_described_by_its_title(format: Format) {
    let env = env();
    let page = login_page("502 Bad Gateway");
    let url = serve_html(&env, 502, Some("text/html"), page);
    let config = env.config(format, json!({"endpoint": url}));
    let err = env.source(&config).healthcheck().expect_err("502");
    assert_eq!(err.kind(), ErrorKind::Transient, "{err}");
    let message = err.message();
    assert!(
        message.contains("an HTML page (Content-Type text/html; title \"502 Bad Gateway\")"),
        "{message}"
    );
    assert!(!message.contains(BODY_SECRET), "{message}");
}

both_formats!(
    a_login_page_is_named_as_html,
    an_untyped_page_with_a_hostile_title,
    an_html_error_page_is_described_by_its_title,
);
