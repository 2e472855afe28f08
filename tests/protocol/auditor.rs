//! Netwrix Auditor Integration API emulator, driven over real HTTP on loopback with the request
//! forms `shared/reference/netwrix-auditor.md` §1–3 documents — never through a sluice client.
//!
//! ```text
//!   reqwest ──HTTP Basic──▶ serve(Auditor::router()) on 127.0.0.1:0
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
    challenge: Option<String>,
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
        let challenge = header(reqwest::header::WWW_AUTHENTICATE);
        let body = response.text().await.expect("body");
        Reply {
            status,
            content_type,
            challenge,
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

#[tokio::test]
async fn enum_get_returns_the_documented_xml_page() {
    let env = default_env().await;
    seed(&env);
    let reply = env.get("activity_records/enum?count=2").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.content_type.as_deref(), Some("application/xml"));
    assert!(reply
        .body
        .starts_with(r#"<?xml version="1.0" standalone="yes"?>"#));
    let root = parse_xml(&reply.body);
    assert_eq!(root.name, "ActivityRecordList");
    assert_eq!(root.namespace.as_deref(), Some(ACTIVITY_RECORDS_NS));
    assert_eq!(
        root.names(),
        ["ContinuationMark", "ActivityRecord", "ActivityRecord"]
    );
    let first = &root.children[1];
    assert_eq!(
        first.names(),
        [
            "DataSource",
            "Item",
            "ObjectType",
            "RID",
            "What",
            "Action",
            "When",
            "Where",
            "Who",
            "DetailList"
        ]
    );
    assert_eq!(first.text_of("When"), Some("2024-03-11T08:45:12Z"));
    assert_eq!(first.text_of("Who"), Some(r"CORP\Administrator"));
    assert_rid(first.text_of("RID").unwrap_or_default());
    let detail = first
        .child("DetailList")
        .and_then(|d| d.child("Detail"))
        .expect("Detail");
    assert_eq!(detail.names(), ["PropertyName", "After"]);
}

#[tokio::test]
async fn enum_continues_with_a_bare_json_string_until_an_empty_page_with_a_mark() {
    let env = default_env().await;
    seed(&env);
    let (mut seen, mut mark) =
        json_page(&env.get("activity_records/enum?format=json&count=2").await);
    assert_eq!(seen.len(), 2);
    let mut pages = 1;
    loop {
        let body = Value::String(mark.clone().expect("every page carries a mark"));
        let (records, next) = json_page(
            &env.post_json("activity_records/enum?format=json&count=2", &body)
                .await,
        );
        pages += 1;
        mark = next;
        if records.is_empty() {
            break;
        }
        seen.extend(records);
    }
    assert_eq!(pages, 4, "2 + 2 + 1 + the empty page");
    assert_eq!(seen.len(), 5);
    assert!(
        mark.is_some(),
        "the empty final page keeps its mark by default"
    );
    let rids: std::collections::BTreeSet<&str> =
        seen.iter().filter_map(|r| r["RID"].as_str()).collect();
    assert_eq!(rids.len(), 5);

    // Activity stored after the end appears behind the final mark.
    env.auditor.write(vec![record(
        r"CORP\late",
        "Read",
        "x",
        "2024-03-12T00:00:00Z",
        "File Servers",
    )]);
    let (records, _) = json_page(
        &env.post_json(
            "activity_records/enum?format=json&count=2",
            &Value::String(mark.unwrap_or_default()),
        )
        .await,
    );
    assert_eq!(whos(&records), [r"CORP\late"]);
}

#[tokio::test]
async fn enum_continues_with_the_xml_continuation_mark_root() {
    let env = default_env().await;
    seed(&env);
    let root = parse_xml(&env.get("activity_records/enum?count=3").await.body);
    let mark = root.text_of("ContinuationMark").expect("mark").to_owned();
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><ContinuationMark xmlns="{ACTIVITY_RECORDS_NS}">{mark}</ContinuationMark>"#
    );
    let reply = env.post("activity_records/enum?count=3", body).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let page = parse_xml(&reply.body);
    assert_eq!(
        page.names(),
        ["ContinuationMark", "ActivityRecord", "ActivityRecord"]
    );
    let no_namespace = format!("<ContinuationMark>{mark}</ContinuationMark>");
    assert_error_xml(
        &env.post("activity_records/enum", no_namespace).await,
        "XMLError",
    );
}

#[tokio::test]
async fn the_final_mark_can_be_switched_off() {
    let env = start(AuditorConfig {
        behaviour: Behaviour {
            mark_on_last_page: false,
            ..Behaviour::default()
        },
        ..AuditorConfig::default()
    })
    .await;
    let (records, mark) = json_page(&env.get("activity_records/enum?format=json").await);
    assert!(records.is_empty());
    assert_eq!(mark, None);
    let root = parse_xml(&env.get("activity_records/enum").await.body);
    assert!(
        root.children.is_empty(),
        "no ContinuationMark element: {:?}",
        root.names()
    );
    seed(&env);
    let (records, mark) = json_page(&env.get("activity_records/enum?format=json&count=10").await);
    assert_eq!(records.len(), 5);
    assert!(mark.is_some(), "only the empty page loses its mark");
}

/// The hand-made record set, written through the write endpoint in XML.
async fn write_search_fixture(env: &Env) {
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<ActivityRecordList xmlns="{ACTIVITY_RECORDS_NS}">
  <ActivityRecord><Who>CORP\Administrator</Who><Action>Modified</Action><What>\local\corp\Users\Domain Admins</What><When>2024-03-11T08:45:12Z</When><Where>dc01.corp.local</Where><ObjectType>group</ObjectType><Item><Name>corp.local</Name></Item><DetailList><Detail><PropertyName>member</PropertyName><After>CORP\mallory</After></Detail></DetailList></ActivityRecord>
  <ActivityRecord><ObjectType>File</ObjectType><Where>fs01.corp.local</Where><When>2024-03-10T23:15:00+01:00</When><What>\\fs01\Shares\Finance\Budget.xlsx</What><Action>Read</Action><Who>CORP\Analyst</Who><Workstation>ws-007.corp.local</Workstation></ActivityRecord>
  <ActivityRecord><Who>CORP\svc-backup</Who><Action>Modified</Action><What>\local\corp\Users\Enterprise Admins</What><When>2024-03-11T09:30:00Z</When><Where>dc02.corp.local</Where><ObjectType>group</ObjectType></ActivityRecord>
  <ActivityRecord><Who>admin@corp.onmicrosoft.com</Who><Action>Modified</Action><What>Shared Mailbox</What><When>2024-03-04T12:00:00Z</When><Where>BLUPR05MB1940</Where><ObjectType>Mailbox</ObjectType><MonitoringPlan><Name>Cloud</Name></MonitoringPlan></ActivityRecord>
  <ActivityRecord><Who>CORP\jdoe</Who><Action>Read</Action><What>\\fs01\Shares\HR\Salaries.xlsx</What><When>2024-03-11T06:00:00Z</When><Where>fs01.corp.local</Where><ObjectType>File</ObjectType><Unknown>ignored</Unknown></ActivityRecord>
</ActivityRecordList>"#
    );
    let reply = env.post("activity_records/", body).await;
    assert_empty(&reply, 200);
    assert_eq!(reply.content_type.as_deref(), Some("text/plain"));
}

async fn search_xml(env: &Env, filters: &str) -> Vec<String> {
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><ActivityRecordSearch xmlns="{ACTIVITY_RECORDS_NS}"><FilterList>{filters}</FilterList></ActivityRecordSearch>"#
    );
    let reply = env.post("activity_records/search", body).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.content_type.as_deref(), Some("application/xml"));
    let root = parse_xml(&reply.body);
    assert_eq!(
        root.children.first().map(|c| c.name.as_str()),
        Some("ContinuationMark")
    );
    let mut whos: Vec<String> = root
        .children
        .iter()
        .filter(|c| c.name == "ActivityRecord")
        .map(|r| r.text_of("Who").unwrap_or_default().to_owned())
        .collect();
    whos.sort();
    whos
}

async fn search_json(env: &Env, filters: Value) -> Vec<String> {
    let reply = env
        .post_json(
            "activity_records/search?format=json",
            &json!({"FilterList": filters}),
        )
        .await;
    whos(&json_page(&reply).0)
}

#[tokio::test]
async fn search_in_xml_combines_operators_as_documented() {
    let env = default_env().await;
    write_search_fixture(&env).await;
    let cases: [(&str, &[&str]); 8] = [
        (
            r#"<Who>Admin</Who><Who>Analyst</Who>"#,
            &[
                "CORP\\Administrator",
                "CORP\\Analyst",
                "admin@corp.onmicrosoft.com",
            ],
        ),
        (
            r#"<Who Operator="DoesNotContain">svc-</Who><Who Operator="NotEqualTo">CORP\jdoe</Who><ObjectType Operator="Equals">group</ObjectType>"#,
            &["CORP\\Administrator"],
        ),
        (
            r#"<What Operator="EndsWith">\Domain Admins</What><What Operator="EndsWith">\Enterprise Admins</What>"#,
            &["CORP\\Administrator", "CORP\\svc-backup"],
        ),
        (
            r#"<DataSource Operator="Equals"> Netwrix API </DataSource><Action>read</Action>"#,
            &["CORP\\Analyst", "CORP\\jdoe"],
        ),
        (
            r#"<Item Operator="EndsWith">(Integration)</Item>"#,
            &["CORP\\Administrator"],
        ),
        (r#"<Monitoring Plan>Cloud</Monitoring Plan>"#, &[]),
        (
            r#"<MonitoringPlan Operator="StartsWith">cl</MonitoringPlan><Colour>blue</Colour>"#,
            &["admin@corp.onmicrosoft.com"],
        ),
        (
            r#"<After>mallory</After><Detail Operator="Equals">MEMBER</Detail>"#,
            &["CORP\\Administrator"],
        ),
    ];
    for (i, (filters, expected)) in cases.iter().enumerate() {
        if filters.contains("<Monitoring Plan>") {
            // A spaced element name is not well-formed XML; only JSON can spell that key.
            let body = format!(
                r#"<ActivityRecordSearch xmlns="{ACTIVITY_RECORDS_NS}"><FilterList>{filters}</FilterList></ActivityRecordSearch>"#
            );
            assert_error_xml(&env.post("activity_records/search", body).await, "XMLError");
            continue;
        }
        assert_eq!(
            search_xml(&env, filters).await,
            *expected,
            "case {i}: {filters}"
        );
    }
}

#[tokio::test]
async fn search_in_json_accepts_every_documented_spec_form() {
    let env = default_env().await;
    write_search_fixture(&env).await;
    let cases = [
        (json!({"Who": "Analyst"}), vec![r"CORP\Analyst"]),
        (
            json!({"Who": ["Admin", "Analyst"]}),
            vec![
                r"CORP\Administrator",
                r"CORP\Analyst",
                "admin@corp.onmicrosoft.com",
            ],
        ),
        (json!({"Who": {"Equals": r"CORP\jdoe"}}), vec![r"CORP\jdoe"]),
        (
            json!({"Who": ["jdoe", {"StartsWith": "admin@"}], "Action": {"NotEqualTo": "Modified"}}),
            vec![r"CORP\jdoe"],
        ),
        (
            json!({"Who": {"DoesNotContain": "CORP\\"}, "Monitoring Plan": "Cloud"}),
            vec!["admin@corp.onmicrosoft.com"],
        ),
        (
            json!({"DataSource": "Netwrix API", "Action": "Modified", "What": [{"EndsWith": "\\Domain Admins"}, {"EndsWith": "\\Enterprise Admins"}], "Who": {"DoesNotContain": "svc-"}}),
            vec![r"CORP\Administrator"],
        ),
        (
            json!({"Workstation": {"Contains": "ws-"}}),
            vec![r"CORP\Analyst"],
        ),
        (
            json!({"RID": {"StartsWith": "2"}, "Who": {"NotEqualTo": "CORP\\jdoe"}, "ObjectType": "File"}),
            vec![r"CORP\Analyst"],
        ),
    ];
    for (filters, expected) in cases {
        assert_eq!(
            search_json(&env, filters.clone()).await,
            expected,
            "{filters}"
        );
    }
}

#[tokio::test]
async fn when_and_working_hours_follow_the_emulator_clock() {
    let env = default_env().await;
    write_search_fixture(&env).await;
    env.auditor.set_now(Some(at("2024-03-11T12:00:00Z")));
    let all = vec![
        r"CORP\Administrator",
        r"CORP\Analyst",
        r"CORP\jdoe",
        r"CORP\svc-backup",
        "admin@corp.onmicrosoft.com",
    ];
    let cases = [
        (
            json!({"When": {"Today": ""}}),
            vec![r"CORP\Administrator", r"CORP\jdoe", r"CORP\svc-backup"],
        ),
        (json!({"When": {"Yesterday": ""}}), vec![r"CORP\Analyst"]),
        (
            json!({"When": [{"LastSevenDays": ""}]}),
            vec![
                r"CORP\Administrator",
                r"CORP\Analyst",
                r"CORP\jdoe",
                r"CORP\svc-backup",
            ],
        ),
        (json!({"When": {"LastThirtyDays": ""}}), all.clone()),
        (
            json!({"When": {"From": "2024-03-04T12:00:00Z", "To": "2024-03-10T22:15:00Z"}}),
            vec![r"CORP\Analyst", "admin@corp.onmicrosoft.com"],
        ),
        (
            json!({"When": [{"Yesterday": ""}, {"From": "2024-03-04T00:00:00+01:00", "To": "2024-03-05T00:00:00+01:00"}]}),
            vec![r"CORP\Analyst", "admin@corp.onmicrosoft.com"],
        ),
        (
            json!({"When": {"NotEqualTo": {"Today": ""}}}),
            vec![r"CORP\Analyst", "admin@corp.onmicrosoft.com"],
        ),
        (
            json!({"WorkingHours": {"From": "08:00:00Z", "To": "18:00:00Z"}}),
            vec![
                r"CORP\Administrator",
                r"CORP\svc-backup",
                "admin@corp.onmicrosoft.com",
            ],
        ),
        (
            json!({"WorkingHours": {"NotEqualTo": {"From": "09:00:00+01:00", "To": "19:00:00+01:00"}}}),
            vec![r"CORP\Analyst", r"CORP\jdoe"],
        ),
    ];
    for (filters, expected) in cases {
        assert_eq!(
            search_json(&env, filters.clone()).await,
            expected,
            "{filters}"
        );
    }
    let xml_cases: [(&str, &[&str]); 3] = [
        ("<When><LastSevenDays/></When><When><From>2024-03-04T00:00:00Z</From><To>2024-03-05T00:00:00Z</To></When><Action>Modified</Action>", &[r"CORP\Administrator", r"CORP\svc-backup", "admin@corp.onmicrosoft.com"]),
        (r#"<When Operator="NotEqualTo"><Today/></When>"#, &[r"CORP\Analyst", "admin@corp.onmicrosoft.com"]),
        (r#"<WorkingHours Operator="NotEqualTo"><From>08:00:00Z</From><To>18:00:00Z</To></WorkingHours>"#, &[r"CORP\Analyst", r"CORP\jdoe"]),
    ];
    for (filters, expected) in xml_cases {
        assert_eq!(search_xml(&env, filters).await, expected, "{filters}");
    }
    let bad = env
        .post_json(
            "activity_records/search?format=json",
            &json!({"FilterList": {"When": {"From": "2024-03-04 00:00"}}}),
        )
        .await;
    assert_error_json(&bad, "InputError");
}

#[tokio::test]
async fn search_pages_carry_the_mark_with_the_same_filters() {
    let env = default_env().await;
    write_search_fixture(&env).await;
    let filters = json!({"Who": {"Contains": "corp"}});
    let path = "activity_records/search?format=json&count=2";
    let (first, mark) = json_page(&env.post_json(path, &json!({"FilterList": filters})).await);
    assert_eq!(first.len(), 2);
    let mark = mark.expect("mark");
    let (second, mark2) = json_page(
        &env.post_json(
            path,
            &json!({"ContinuationMark": mark, "FilterList": filters}),
        )
        .await,
    );
    let (third, mark3) = json_page(
        &env.post_json(
            path,
            &json!({"ContinuationMark": mark2, "FilterList": filters}),
        )
        .await,
    );
    let (end, _) = json_page(
        &env.post_json(
            path,
            &json!({"ContinuationMark": mark3, "FilterList": filters}),
        )
        .await,
    );
    assert!(end.is_empty());
    let mut all = [first, second, third].concat();
    all.sort_by_key(|r| r["Who"].as_str().map(str::to_owned));
    assert_eq!(whos(&all).len(), 5);

    let other = json!({"ContinuationMark": mark, "FilterList": {"Who": "jdoe"}});
    assert_error_json(&env.post_json(path, &other).await, "InputError");
    assert_error_json(
        &env.post_json(
            "activity_records/enum?format=json",
            &Value::String(mark.clone()),
        )
        .await,
        "InputError",
    );
    let (_, enum_mark) = json_page(&env.get("activity_records/enum?format=json&count=1").await);
    let crossed = json!({"ContinuationMark": enum_mark, "FilterList": filters});
    assert_error_json(&env.post_json(path, &crossed).await, "InputError");

    // XML form of page two: the mark together with the same FilterList.
    let xml_first = format!(
        r#"<ActivityRecordSearch xmlns="{ACTIVITY_RECORDS_NS}"><FilterList><Who>corp</Who></FilterList></ActivityRecordSearch>"#
    );
    let root = parse_xml(
        &env.post("activity_records/search?count=4", xml_first)
            .await
            .body,
    );
    let mark = root.text_of("ContinuationMark").expect("mark");
    let xml_next = format!(
        r#"<ActivityRecordSearch xmlns="{ACTIVITY_RECORDS_NS}"><ContinuationMark>{mark}</ContinuationMark><FilterList><Who>corp</Who></FilterList></ActivityRecordSearch>"#
    );
    let page = parse_xml(
        &env.post("activity_records/search?count=4", xml_next)
            .await
            .body,
    );
    assert_eq!(page.names(), ["ContinuationMark", "ActivityRecord"]);

    // An empty mark element on the first page reads as no mark.
    let empty_mark = format!(
        r#"<ActivityRecordSearch xmlns="{ACTIVITY_RECORDS_NS}"><ContinuationMark/><FilterList><Who>corp</Who></FilterList></ActivityRecordSearch>"#
    );
    let page = parse_xml(
        &env.post("activity_records/search?count=4", empty_mark)
            .await
            .body,
    );
    assert_eq!(page.children.len(), 5);
}

#[tokio::test]
async fn json_keys_are_case_sensitive_unless_lenient() {
    let env = default_env().await;
    write_search_fixture(&env).await;
    let body = json!({"filterlist": {"Who": "jdoe"}});
    assert_error_json(
        &env.post_json("activity_records/search?format=json", &body)
            .await,
        "InputError",
    );
    let lenient = start(AuditorConfig {
        behaviour: Behaviour {
            json_keys: KeyMatching::CaseInsensitive,
            ..Behaviour::default()
        },
        ..AuditorConfig::default()
    })
    .await;
    write_search_fixture(&lenient).await;
    let reply = lenient
        .post_json(
            "activity_records/search?format=json",
            &json!({"filterlist": {"who": {"equals": "CORP\\jdoe"}}}),
        )
        .await;
    assert_eq!(whos(&json_page(&reply).0), [r"CORP\jdoe"]);
}

#[tokio::test]
async fn in_group_uses_the_directory() {
    let env = start(AuditorConfig {
        dataset: Some(DatasetConfig {
            records: 600,
            ..DatasetConfig::default()
        }),
        ..AuditorConfig::default()
    })
    .await;
    let reply = env
        .post_json(
            "activity_records/search?format=json&count=1000",
            &json!({"FilterList": {"Who": {"InGroup": "CORP\\Domain Admins"}}}),
        )
        .await;
    let records = json_page(&reply).0;
    assert!(!records.is_empty());
    let members = [r"CORP\Administrator", r"CORP\adm-jsmith", r"CORP\adm-mlee"];
    assert!(whos(&records).iter().all(|w| members.contains(&w.as_str())));
    env.auditor
        .set_group_members("Auditors", &[r"CORP\hd-bwong".to_owned()]);
    let reply = env
        .post_json(
            "activity_records/search?format=json&count=1000",
            &json!({"FilterList": {"Who": {"InGroup": "Auditors"}}}),
        )
        .await;
    assert!(whos(&json_page(&reply).0)
        .iter()
        .all(|w| w == r"CORP\hd-bwong"));
}

#[tokio::test]
async fn wrong_methods_get_an_empty_405() {
    let env = default_env().await;
    for (method, path) in [
        (reqwest::Method::PUT, "activity_records/enum"),
        (reqwest::Method::DELETE, "activity_records/search"),
        (
            reqwest::Method::PATCH,
            "activity_records/search?format=json",
        ),
        (reqwest::Method::GET, "activity_records/"),
        (reqwest::Method::PUT, "activity_records/"),
    ] {
        let reply = env.send(env.request(method.clone(), path)).await;
        assert_empty(&reply, 405);
    }
}

#[tokio::test]
async fn authentication_is_required_everywhere() {
    let env = default_env().await;
    let paths = [
        "activity_records/enum",
        "activity_records/search",
        "activity_records/",
    ];
    for path in paths {
        let anonymous = env.send(env.client.post(env.url(path)).body("<x/>")).await;
        assert_empty(&anonymous, 401);
        assert_eq!(
            anonymous.challenge.as_deref(),
            Some("Negotiate, NTLM, Basic")
        );
        let wrong = env
            .send(
                env.client
                    .post(env.url(path))
                    .basic_auth(USER, Some("nope"))
                    .body("<x/>"),
            )
            .await;
        assert_empty(&wrong, 401);
        assert_eq!(wrong.challenge.as_deref(), Some("Negotiate, NTLM, Basic"));
    }
    let upper = env
        .send(
            env.client
                .get(env.url("activity_records/enum"))
                .basic_auth(r"corp\SVC-SLUICE", Some(PASSWORD)),
        )
        .await;
    assert_eq!(upper.status, 200);
}

#[tokio::test]
async fn basic_can_be_refused_like_a_windows_only_server() {
    let env = start(AuditorConfig {
        behaviour: Behaviour {
            accept_basic: false,
            ..Behaviour::default()
        },
        ..AuditorConfig::default()
    })
    .await;
    let reply = env.get("activity_records/enum").await;
    assert_empty(&reply, 401);
    assert_eq!(reply.challenge.as_deref(), Some("Negotiate, NTLM, Basic"));
}

#[tokio::test]
async fn unknown_paths_get_an_empty_404() {
    let env = default_env().await;
    for path in [
        "mynewendpoint/",
        "activity_records/enum/more",
        "activity_records/retrieve",
    ] {
        assert_empty(&env.get(path).await, 404);
    }
    let outside = env
        .send(env.client.get(format!("{}/other", env.served.base_url())))
        .await;
    assert_empty(&outside, 404);
}

#[tokio::test]
async fn malformed_xml_is_a_400_xml_error_in_the_api_namespace() {
    let env = default_env().await;
    let broken = format!(
        r#"<ActivityRecordSearch xmlns="{ACTIVITY_RECORDS_NS}"><FilterList><Who>x</What></FilterList>"#
    );
    assert_error_xml(
        &env.post("activity_records/search", broken).await,
        "XMLError",
    );
    assert_error_xml(
        &env.post("activity_records/", "<ActivityRecordList").await,
        "XMLError",
    );
    assert_error_xml(
        &env.post("activity_records/enum", "not xml").await,
        "XMLError",
    );
    // JSON posted without ?format=json is read as XML and refused (reference §1.4).
    assert_error_xml(
        &env.post("activity_records/", r#"[{"Who":"x"}]"#).await,
        "XMLError",
    );
    // A search without its FilterList.
    let empty = format!(r#"<ActivityRecordSearch xmlns="{ACTIVITY_RECORDS_NS}"/>"#);
    assert_error_xml(
        &env.post("activity_records/search", empty).await,
        "XMLError",
    );
}

#[tokio::test]
async fn malformed_json_is_an_empty_500() {
    let env = default_env().await;
    for path in [
        "activity_records/search?format=json",
        "activity_records/?format=json",
        "activity_records/enum?format=json",
    ] {
        for body in [
            "{",
            r#"[{"Who": "x",}]"#,
            r#"{"FilterList": {"Who": "CORP\jdoe"}}"#,
            "",
        ] {
            assert_empty(&env.post(path, body).await, 500);
        }
    }
}

#[tokio::test]
async fn bad_counts_are_input_errors() {
    let env = default_env().await;
    assert_error_xml(
        &env.get("activity_records/enum?count=abc").await,
        "InputError",
    );
    assert_error_xml(
        &env.get("activity_records/enum?count=0").await,
        "InputError",
    );
    assert_error_json(
        &env.get("activity_records/enum?count=-1&format=json").await,
        "InputError",
    );
    let search = json!({"FilterList": {}});
    assert_error_json(
        &env.post_json("activity_records/search?format=json&count=x", &search)
            .await,
        "InputError",
    );
    assert_eq!(
        env.get("activity_records/enum?format=json&count=1500")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn bad_and_tampered_marks_are_input_errors() {
    let env = default_env().await;
    seed(&env);
    let garbage = Value::String("PG5yPjxuIG49InswRjNBfSIgbz0iMTAwMCIvPjwvbnI+AA==".to_owned());
    assert_error_json(
        &env.post_json("activity_records/enum?format=json", &garbage)
            .await,
        "InputError",
    );
    assert_error_json(
        &env.post_json(
            "activity_records/enum?format=json",
            &json!({"ContinuationMark": "x"}),
        )
        .await,
        "InputError",
    );
    let (_, mark) = json_page(&env.get("activity_records/enum?format=json&count=1").await);
    let mut mark = mark.expect("mark");
    let last = mark.pop().map_or('A', |c| if c == 'A' { 'B' } else { 'A' });
    mark.push(last);
    assert_error_json(
        &env.post_json("activity_records/enum?format=json", &Value::String(mark))
            .await,
        "InputError",
    );
    let xml =
        format!(r#"<ContinuationMark xmlns="{ACTIVITY_RECORDS_NS}">nonsense</ContinuationMark>"#);
    assert_error_xml(&env.post("activity_records/enum", xml).await, "InputError");
}

#[tokio::test]
async fn oversize_writes_get_an_empty_413() {
    let env = start(AuditorConfig {
        max_body_bytes: 1024,
        ..AuditorConfig::default()
    })
    .await;
    let records: Vec<Value> = (0..40)
        .map(|i| json!({"Who": format!("CORP\\u{i}"), "Action": "Read", "What": "x", "When": "2024-03-11T09:00:00Z", "Where": "h", "ObjectType": "File"}))
        .collect();
    let reply = env
        .post_json("activity_records/?format=json", &Value::Array(records))
        .await;
    assert_empty(&reply, 413);
    assert!(env.auditor.records().is_empty());
}

#[tokio::test]
async fn xml_writes_are_stored_as_auditor_stores_them() {
    let env = default_env().await;
    write_search_fixture(&env).await;
    let reply = env.get("activity_records/enum").await;
    let root = parse_xml(&reply.body);
    let records: Vec<&Node> = root
        .children
        .iter()
        .filter(|c| c.name == "ActivityRecord")
        .collect();
    assert_eq!(records.len(), 5);
    for record in &records {
        assert_rid(record.text_of("RID").unwrap_or_default());
        assert_eq!(record.text_of("DataSource"), Some("Netwrix API"));
    }
    let first = records[0];
    assert_eq!(
        first.child("Item").and_then(|i| i.text_of("Name")),
        Some("corp.local (Integration)")
    );
    let analyst = records[1];
    assert_eq!(
        analyst.text_of("When"),
        Some("2024-03-10T22:15:00Z"),
        "offsets are normalised to UTC"
    );
    let plan = records[3].child("MonitoringPlan").expect("plan");
    assert_eq!(plan.text_of("Name"), Some("Cloud"));
    assert_eq!(
        plan.text_of("ID").map(str::len),
        Some(38),
        "an ID in braces is assigned"
    );
}

#[tokio::test]
async fn json_writes_are_a_bare_array_and_are_validated() {
    let env = default_env().await;
    let body = json!([{
        "Who": "svc-backup", "Action": "Removed", "What": "Vault\\Policies\\Nightly",
        "ObjectType": "Policy", "Where": "backup01", "When": "2024-03-11T09:00:00+01:00",
        "MonitoringPlan": {"Name": "Integrations"}, "Item": {"Name": "BackupSuite"},
        "DataSource": "Something else", "RID": "ignored",
        "DetailList": [{"PropertyName": "Retention", "Before": "30", "After": "7"}]
    }]);
    let reply = env.post_json("activity_records/?format=json", &body).await;
    assert_empty(&reply, 200);
    assert_eq!(reply.content_type.as_deref(), Some("text/plain"));
    let (records, _) = json_page(&env.get("activity_records/enum?format=json").await);
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert_rid(record["RID"].as_str().unwrap_or_default());
    assert_eq!(record["DataSource"], "Netwrix API");
    assert_eq!(record["Item"], json!({"Name": "BackupSuite (Integration)"}));
    assert_eq!(record["When"], "2024-03-11T08:00:00Z");
    assert_eq!(
        record["DetailList"],
        json!([{"PropertyName": "Retention", "Before": "30", "After": "7"}])
    );
    assert_eq!(record["MonitoringPlan"]["Name"], "Integrations");

    let wrapped = json!({"ActivityRecordList": []});
    assert_error_json(
        &env.post_json("activity_records/?format=json", &wrapped)
            .await,
        "InputError",
    );
    let missing = json!([{"Who": "x", "Action": "Read", "What": "y", "When": "2024-03-11T09:00:00Z", "Where": "h"}]);
    let reply = env
        .post_json("activity_records/?format=json", &missing)
        .await;
    assert_error_json(&reply, "InputError");
    let body: Value = serde_json::from_str(&reply.body).unwrap_or_default();
    assert_eq!(
        body["ErrorList"][0]["Location"],
        "ActivityRecord[1]/ObjectType"
    );
    let bad_when = json!([{"Who": "x", "Action": "Read", "What": "y", "When": "11/03/2024", "Where": "h", "ObjectType": "File"}]);
    assert_error_json(
        &env.post_json("activity_records/?format=json", &bad_when)
            .await,
        "InputError",
    );
    assert_eq!(
        env.auditor.records().len(),
        1,
        "refused batches store nothing"
    );
}

#[tokio::test]
async fn the_write_endpoint_without_trailing_slash_is_a_switch() {
    let env = default_env().await;
    let body = json!([{"Who": "x", "Action": "Read", "What": "y", "When": "2024-03-11T09:00:00Z", "Where": "h", "ObjectType": "File"}]);
    assert_empty(
        &env.post_json("activity_records?format=json", &body).await,
        200,
    );
    let strict = start(AuditorConfig {
        behaviour: Behaviour {
            write_without_trailing_slash: false,
            ..Behaviour::default()
        },
        ..AuditorConfig::default()
    })
    .await;
    assert_empty(
        &strict
            .post_json("activity_records?format=json", &body)
            .await,
        404,
    );
    assert_empty(
        &strict
            .post_json("activity_records/?format=json", &body)
            .await,
        200,
    );
}

#[tokio::test]
async fn archive_only_records_are_not_searchable() {
    let env = default_env().await;
    let body = json!([
        {"Who": "a", "Action": "Read", "What": "y", "When": "2024-03-11T09:00:00Z", "Where": "h", "ObjectType": "File", "IsArchiveOnly": true},
        {"Who": "b", "Action": "Read", "What": "y", "When": "2024-03-11T09:00:00Z", "Where": "h", "ObjectType": "File", "IsArchiveOnly": false}
    ]);
    assert_empty(
        &env.post_json("activity_records/?format=json", &body).await,
        200,
    );
    assert_eq!(env.auditor.records().len(), 2);
    let (records, _) = json_page(&env.get("activity_records/enum?format=json").await);
    assert_eq!(whos(&records), ["b"]);
}

#[tokio::test]
async fn unavailable_fault_answers_503_then_recovers() {
    let env = default_env().await;
    env.auditor.set_faults(Faults {
        unavailable_next: 2,
        latency_ms: 1,
        ..Faults::default()
    });
    assert_empty(&env.get("activity_records/enum").await, 503);
    assert_empty(
        &env.post_json(
            "activity_records/search?format=json",
            &json!({"FilterList": {}}),
        )
        .await,
        503,
    );
    assert_eq!(env.get("activity_records/enum").await.status, 200);
    let stats = env.auditor.requests();
    assert_eq!(stats.count_status(Endpoint::Enum, 503), 1);
    assert_eq!(stats.count_status(Endpoint::Search, 503), 1);
    assert_eq!(stats.count_status(Endpoint::Enum, 200), 1);
}

#[tokio::test]
async fn dropped_connections_carry_no_response() {
    let env = default_env().await;
    env.auditor.set_faults(Faults {
        drop_next: 1,
        ..Faults::default()
    });
    let result = env
        .request(reqwest::Method::GET, "activity_records/enum")
        .send()
        .await;
    assert!(result.is_err(), "expected no response, got {result:?}");
    assert_eq!(env.get("activity_records/enum").await.status, 200);
    let stats = env.auditor.requests();
    assert_eq!(stats.endpoints[&Endpoint::Enum].dropped, 1);
}

#[tokio::test]
async fn truncated_bodies_are_cut_in_half() {
    let env = default_env().await;
    seed(&env);
    let whole = env.get("activity_records/enum?format=json").await;
    env.auditor.set_faults(Faults {
        truncate_next: 1,
        ..Faults::default()
    });
    let cut = env.get("activity_records/enum?format=json").await;
    assert_eq!(cut.status, 200);
    assert_eq!(cut.content_type.as_deref(), Some("application/json"));
    // The marks of the two responses may differ in length by a few characters.
    assert!(
        cut.body.len().abs_diff(whole.body.len() / 2) < 32,
        "{} of {}",
        cut.body.len(),
        whole.body.len()
    );
    assert!(cut.body.starts_with(r#"{"ActivityRecordList":[{"#));
    assert!(serde_json::from_str::<Value>(&cut.body).is_err());
}

#[tokio::test]
async fn an_endless_mark_repeats_the_same_page_with_fresh_marks() {
    let env = default_env().await;
    seed(&env);
    env.auditor.set_faults(Faults {
        endless_mark: true,
        ..Faults::default()
    });
    let (first, mut mark) = json_page(&env.get("activity_records/enum?format=json&count=2").await);
    let mut marks = vec![mark.clone()];
    for _ in 0..5 {
        let body = Value::String(mark.clone().unwrap_or_default());
        let (page, next) = json_page(
            &env.post_json("activity_records/enum?format=json&count=2", &body)
                .await,
        );
        assert_eq!(page, first);
        assert!(!marks.contains(&next), "marks are fresh");
        marks.push(next.clone());
        mark = next;
    }
}

#[tokio::test]
async fn writes_are_spared_from_faults_unless_included() {
    let env = default_env().await;
    let body = json!([{"Who": "x", "Action": "Read", "What": "y", "When": "2024-03-11T09:00:00Z", "Where": "h", "ObjectType": "File"}]);
    env.auditor.set_faults(Faults {
        unavailable_probability: 1.0,
        ..Faults::default()
    });
    assert_empty(
        &env.post_json("activity_records/?format=json", &body).await,
        200,
    );
    env.auditor.set_faults(Faults {
        unavailable_probability: 1.0,
        include_write: true,
        ..Faults::default()
    });
    assert_empty(
        &env.post_json("activity_records/?format=json", &body).await,
        503,
    );
}

#[tokio::test]
async fn a_full_pass_over_a_generated_data_set_costs_one_request_per_page() {
    let records = 10_000;
    let env = start(AuditorConfig {
        dataset: Some(DatasetConfig {
            records,
            ..DatasetConfig::default()
        }),
        ..AuditorConfig::default()
    })
    .await;
    let expected: BTreeMap<String, ()> = env
        .auditor
        .records()
        .into_iter()
        .filter_map(|r| r.rid)
        .map(|r| (r, ()))
        .collect();
    let (mut page, mut mark) =
        json_page(&env.get("activity_records/enum?format=json&count=200").await);
    let mut seen = BTreeMap::new();
    while !page.is_empty() {
        for record in &page {
            seen.insert(record["RID"].as_str().unwrap_or_default().to_owned(), ());
        }
        let body = Value::String(mark.clone().unwrap_or_default());
        (page, mark) = json_page(
            &env.post_json("activity_records/enum?format=json&count=200", &body)
                .await,
        );
    }
    assert_eq!(seen, expected);
    let stats = env.auditor.requests();
    assert_eq!(stats.count(Endpoint::Enum), (records / 200 + 1) as u64);
    assert_eq!(stats.total(), stats.count_status(Endpoint::Enum, 200));
}
