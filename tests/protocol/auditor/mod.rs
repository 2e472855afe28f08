//! Netwrix Auditor Integration API emulator, driven over real HTTP on loopback with the request
//! forms Netwrix documents for its endpoints, records and search filters — never through a
//! sluice client.
//!
//! ```text
//!   reqwest ──HTTP Basic──▶ serve(Auditor::router()) on 127.0.0.1:0
//!   requests-ntlm, pyspnego ──NTLM, Negotiate──▶   (HTTP, or HTTPS with a self-signed certificate)
//!      │                          │
//!      └── asserts status, Content-Type, WWW-Authenticate and body shape (XML or JSON)
//! ```

use std::collections::BTreeMap;

use jiff::Timestamp;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;
use serde_json::{json, Value};
use sluice_emulators::auditor::{
    ActivityRecord, Auditor, AuditorConfig, Behaviour, DatasetConfig, Detail, Endpoint, Faults,
    Item, KeyMatching, ACTIVITY_RECORDS_NS, API_NS,
};
use sluice_emulators::{serve, Served};

const USER: &str = r"CORP\svc-sluice";
const PASSWORD: &str = "sluice-demo";

/// One emulator on a loopback port plus a client.
struct Env {
    auditor: Auditor,
    served: Served,
    client: reqwest::Client,
}

/// What a test looks at in a response.
#[derive(Debug)]
struct Reply {
    status: u16,
    content_type: Option<String>,
    /// Every `WWW-Authenticate` header, in order.
    challenges: Vec<String>,
    body: String,
}

async fn start(config: AuditorConfig) -> Env {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let auditor = Auditor::new(config);
    let served = serve(auditor.router(), ([127, 0, 0, 1], 0).into())
        .await
        .expect("bind loopback");
    let client = reqwest::Client::builder().build().expect("client");
    Env {
        auditor,
        served,
        client,
    }
}

async fn default_env() -> Env {
    start(AuditorConfig::default()).await
}

impl Env {
    fn url(&self, path: &str) -> String {
        format!("{}/netwrix/api/v1/{path}", self.served.base_url())
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("response");
        let header = |name: reqwest::header::HeaderName| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let status = response.status().as_u16();
        let content_type = header(reqwest::header::CONTENT_TYPE);
        let challenges = response
            .headers()
            .get_all(reqwest::header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        let body = response.text().await.expect("body");
        Reply {
            status,
            content_type,
            challenges,
            body,
        }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .basic_auth(USER, Some(PASSWORD))
    }

    async fn get(&self, path: &str) -> Reply {
        self.send(self.request(reqwest::Method::GET, path)).await
    }

    /// POST with the documented content type for the body's format.
    async fn post(&self, path: &str, body: impl Into<String>) -> Reply {
        let content_type = if path.contains("format=json") {
            "application/json; Charset=UTF-8"
        } else {
            "application/xml; Charset=UTF-8"
        };
        let request = self
            .request(reqwest::Method::POST, path)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body.into());
        self.send(request).await
    }

    async fn post_json(&self, path: &str, body: &Value) -> Reply {
        self.post(path, body.to_string()).await
    }
}

/// A parsed XML element, enough to check the documented shapes.
#[derive(Debug, Default)]
struct Node {
    namespace: Option<String>,
    name: String,
    text: String,
    children: Vec<Node>,
}

impl Node {
    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }

    fn names(&self) -> Vec<&str> {
        self.children.iter().map(|c| c.name.as_str()).collect()
    }
}

fn parse_xml(body: &str) -> Node {
    let mut reader = NsReader::from_str(body);
    let mut stack: Vec<Node> = vec![Node::default()];
    loop {
        let (ns, event) = reader.read_resolved_event().expect("well-formed XML");
        let namespace = match ns {
            ResolveResult::Bound(ns) => Some(ns.as_ref().to_owned()),
            _ => None,
        };
        match event {
            Event::Start(start) => stack.push(Node {
                namespace,
                name: start.local_name().as_ref().to_owned(),
                ..Node::default()
            }),
            Event::Empty(start) => {
                let node = Node {
                    namespace,
                    name: start.local_name().as_ref().to_owned(),
                    ..Node::default()
                };
                stack.last_mut().expect("open").children.push(node);
            }
            Event::End(_) => {
                let node = stack.pop().expect("open element");
                stack.last_mut().expect("parent").children.push(node);
            }
            Event::Text(text) => stack.last_mut().expect("open").text += &text.xml10_content(),
            Event::GeneralRef(r) => {
                let c = match r.xml10_content().as_ref() {
                    "amp" => '&',
                    "lt" => '<',
                    "gt" => '>',
                    "quot" => '"',
                    "apos" => '\'',
                    other => panic!("unexpected entity {other}"),
                };
                stack.last_mut().expect("open").text.push(c);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let mut document = stack.pop().expect("document");
    assert_eq!(document.children.len(), 1, "one root element");
    document.children.remove(0)
}

fn at(text: &str) -> Timestamp {
    text.parse().expect("timestamp")
}

fn record(who: &str, action: &str, what: &str, when: &str, data_source: &str) -> ActivityRecord {
    let mut record = ActivityRecord::new(who, action, what, at(when), "dc01.corp.local", "user");
    record.data_source = Some(data_source.to_owned());
    record
}

fn assert_rid(rid: &str) {
    assert_eq!(rid.len(), 49, "{rid}");
    assert!(rid[..17].bytes().all(|b| b.is_ascii_digit()), "{rid}");
    assert!(
        rid[17..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)),
        "{rid}"
    );
}

fn assert_error_xml(reply: &Reply, category: &str) {
    assert_eq!(reply.status, 400, "{reply:?}");
    assert_eq!(reply.content_type.as_deref(), Some("application/xml"));
    let root = parse_xml(&reply.body);
    assert_eq!(root.name, "ErrorList");
    assert_eq!(root.namespace.as_deref(), Some(API_NS));
    let error = root.child("Error").expect("Error");
    assert_eq!(error.text_of("Category"), Some(category), "{}", reply.body);
    assert!(!error.text_of("Description").unwrap_or_default().is_empty());
}

fn assert_error_json(reply: &Reply, category: &str) {
    assert_eq!(reply.status, 400, "{reply:?}");
    assert_eq!(reply.content_type.as_deref(), Some("application/json"));
    let body: Value = serde_json::from_str(&reply.body).expect("JSON");
    assert_eq!(body["ErrorList"][0]["Category"], category, "{body}");
    assert!(body["ErrorList"][0]["Description"].is_string());
}

fn assert_empty(reply: &Reply, status: u16) {
    assert_eq!(reply.status, status, "{reply:?}");
    assert!(reply.body.is_empty(), "{reply:?}");
}

fn json_page(reply: &Reply) -> (Vec<Value>, Option<String>) {
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.content_type.as_deref(), Some("application/json"));
    let body: Value = serde_json::from_str(&reply.body).expect("JSON page");
    let object = body.as_object().expect("the page is an object");
    let records = object["ActivityRecordList"]
        .as_array()
        .expect("list")
        .clone();
    let mark = object
        .get("ContinuationMark")
        .map(|m| m.as_str().expect("mark is a string").to_owned());
    (records, mark)
}

fn whos(records: &[Value]) -> Vec<String> {
    let mut whos: Vec<String> = records
        .iter()
        .map(|r| r["Who"].as_str().unwrap_or_default().to_owned())
        .collect();
    whos.sort();
    whos
}

/// Five records of different shapes, written directly.
fn seed(env: &Env) {
    let mut admin = record(
        r"CORP\Administrator",
        "Modified",
        r"\local\corp\Users\Domain Admins",
        "2024-03-11T08:45:12Z",
        "Active Directory",
    );
    admin.object_type = "group".to_owned();
    admin.details = vec![Detail {
        after: Some(r"CORP\mallory".to_owned()),
        ..Detail::named("member")
    }];
    admin.item = Some(Item {
        name: "corp.local (Domain)".to_owned(),
    });
    let analyst = record(
        r"CORP\Analyst",
        "Read",
        r"\\fs01\Shares\Finance\Budget.xlsx",
        "2024-03-10T22:15:00Z",
        "File Servers",
    );
    let svc = record(
        r"CORP\svc-backup",
        "Modified",
        r"\local\corp\Users\Domain Admins",
        "2024-03-11T09:30:00Z",
        "Active Directory",
    );
    let mailer = record(
        "admin@corp.onmicrosoft.com",
        "Modified",
        "Shared Mailbox",
        "2024-03-04T12:00:00Z",
        "Exchange Online",
    );
    let logon = record(
        r"CORP\jdoe",
        "Successful Logon",
        "ws-001.corp.local",
        "2024-03-11T06:00:00Z",
        "Logon Activity",
    );
    let rids = env.auditor.write(vec![admin, analyst, svc, mailer, logon]);
    assert_eq!(rids.len(), 5);
    rids.iter().for_each(|rid| assert_rid(rid));
}

mod enumerate;
mod errors;
mod faults;
mod search;
mod windows_auth;
mod writes;
