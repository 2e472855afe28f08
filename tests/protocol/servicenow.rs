//! ServiceNow Table, Attachment and OAuth APIs over real HTTP on loopback, for every release
//! profile, checked against `shared/reference/servicenow.md` and the 2018 captures in
//! `shared/fixtures/servicenow-captures-2018/` — and driven once by pysnow, a third-party client.
//!
//! ```text
//!   reqwest / pysnow ──HTTP──▶ sluice_emulators::serve(ServiceNow::router())
//!                                   │
//!   assertions on status, headers, ◀┘ and on ServiceNow::{incidents, journal, attachments}
//!   bodies
//! ```

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::header::{HeaderMap, CONTENT_TYPE};
use reqwest::{Client, Method, RequestBuilder};
use serde_json::{json, Map, Value};
use sluice_emulators::servicenow::{
    CloseInfoPolicy, ClosedWrites, Credentials, Faults, InvalidQuery, MultipartSysIdField,
    PathKind, Profile, RateLimitRule, Release, ReopenEffects, ServerErrorStatus, ServiceNow,
    ServiceNowConfig, StateModel, Trigger, ADMIN_SYS_ID, API_USER_SYS_ID, SERVICE_DESK_SYS_ID,
};
use sluice_emulators::{serve, Served};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const JSON_CT: &str = "application/json;charset=UTF-8";
/// The `Accept` the 2018 captures sent (and still got JSON).
const CAPTURE_ACCEPT: &str = "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2";
const INCIDENTS: &str = "/api/now/v2/table/incident";

/// Runs an async scenario once per release, as one test per release.
macro_rules! per_release {
    ($($scenario:ident),* $(,)?) => {
        $(
            mod $scenario {
                use super::*;
                #[tokio::test]
                async fn helsinki() { super::$scenario(Release::Helsinki).await }
                #[tokio::test]
                async fn istanbul() { super::$scenario(Release::Istanbul).await }
                #[tokio::test]
                async fn jakarta() { super::$scenario(Release::Jakarta).await }
                #[tokio::test]
                async fn kingston() { super::$scenario(Release::Kingston).await }
                #[tokio::test]
                async fn london() { super::$scenario(Release::London).await }
            }
        )*
    };
}

per_release!(
    create_matches_the_capture,
    create_defaults_links_and_location,
    no_response_body_header,
    query_by_correlation_id_newest_first,
    work_notes_journal,
    attachments_round_trip,
    reopen_resolved_incident,
    errors_401,
    errors_403_acl,
    errors_403_data_policy,
    errors_404_400_405,
    errors_429_rate_limit,
    v1_and_v2_empty_results,
    pagination_headers,
    display_value_modes,
    choices_groups_and_users,
    oauth_grants_and_bearer,
    priority_and_state_rules,
);

// ---------------------------------------------------------------------------------------------
// Harness

/// An emulator on a loopback port and an HTTP client for it.
struct Instance {
    sn: ServiceNow,
    served: Served,
    http: Client,
}

/// What came back.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "status {}: body is not JSON ({e}): {:?}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    fn result(&self) -> Value {
        self.json()["result"].clone()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the status and the exact error envelope.
    fn assert_error(&self, status: u16, message: &str, detail: Value) {
        assert_eq!(
            self.status,
            status,
            "{:?}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(self.header("content-type"), Some(JSON_CT));
        assert_eq!(
            self.json(),
            json!({"error": {"message": message, "detail": detail}, "status": "failure"})
        );
    }
}

fn http_client() -> Client {
    // reqwest is built without a default TLS provider; plain HTTP needs none, but the builder
    // wants one installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("an HTTP client")
}

async fn start(config: ServiceNowConfig) -> Instance {
    let sn = ServiceNow::new(config);
    let served = serve(sn.router(), "127.0.0.1:0".parse().expect("loopback"))
        .await
        .expect("the emulator listens");
    Instance {
        sn,
        served,
        http: http_client(),
    }
}

async fn start_release(release: Release) -> Instance {
    start(ServiceNowConfig::for_release(release)).await
}

impl Instance {
    fn base(&self) -> String {
        self.served.base_url()
    }

    /// A request as the API user (`sluice`/`sluice`), `Accept: application/json`.
    fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base()))
            .basic_auth("sluice", Some("sluice"))
            .header("Accept", "application/json")
    }

    async fn send(&self, request: RequestBuilder) -> Reply {
        let response = request.send().await.expect("a response");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.expect("a body").to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    /// A JSON request as the API user.
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut request = self.req(method, path);
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        self.send(request).await
    }

    async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None).await
    }

    /// Creates an incident; returns the result object.
    async fn create(&self, body: Value) -> Value {
        let reply = self
            .call(
                Method::POST,
                &format!("{INCIDENTS}?sysparm_exclude_reference_link=true"),
                Some(body),
            )
            .await;
        assert_eq!(
            reply.status,
            201,
            "{:?}",
            String::from_utf8_lossy(&reply.body)
        );
        reply.result()
    }

    async fn patch(&self, sys_id: &str, body: Value) -> Reply {
        self.call(
            Method::PATCH,
            &format!("{INCIDENTS}/{sys_id}?sysparm_exclude_reference_link=true"),
            Some(body),
        )
        .await
    }
}

fn text(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
}

fn is_glide_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 19
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b' ',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        })
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/servicenow-captures-2018")
        .join(name)
}

/// The `result` object of the real 2018 create response.
fn captured_incident() -> Map<String, Value> {
    let path = fixture("output.ServiceNowOutputTest_insertRecord.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let exchanges: Value = serde_json::from_str(&text).expect("capture is JSON");
    let payload = exchanges[0]["response"]["payload"]
        .as_str()
        .expect("capture has a payload");
    let body: Value = serde_json::from_str(payload).expect("payload is JSON");
    body["result"].as_object().cloned().expect("result object")
}

// ---------------------------------------------------------------------------------------------
// Create

/// The exact field set and defaults of the 2018 capture, with the same request.
async fn create_matches_the_capture(release: Release) {
    // The capture was made as `admin`, so its opened_by is the admin's sys_id.
    let mut config = ServiceNowConfig::for_release(release);
    config.username = "admin".to_owned();
    config.password = "pw".to_owned();
    config.admin = None;
    let sn = start(config).await;
    let reply = sn
        .send(
            sn.http
                .post(format!(
                    "{}{INCIDENTS}?sysparm_exclude_reference_link=true",
                    sn.base()
                ))
                .basic_auth("admin", Some("pw"))
                .header("X-no-response-body", "false")
                .header("Accept", CAPTURE_ACCEPT)
                .header(CONTENT_TYPE, "application/json")
                .body(r#"{"number":"ABCDEF123"}"#),
        )
        .await;
    assert_eq!(reply.status, 201);
    assert_eq!(reply.header("content-type"), Some(JSON_CT));
    let result = reply.result();
    let result = result.as_object().expect("result object");
    let captured = captured_incident();
    let keys = |m: &Map<String, Value>| m.keys().cloned().collect::<BTreeSet<_>>();
    assert_eq!(keys(result), keys(&captured), "{release}: field set");
    let sys_id = text(&result["sys_id"]);
    assert_eq!(
        reply.header("location"),
        Some(format!("{}{INCIDENTS}/{sys_id}", sn.base()).as_str())
    );
    let volatile = ["sys_id", "sys_created_on", "sys_updated_on", "opened_at"];
    for (field, value) in &captured {
        assert!(
            result[field].is_string(),
            "{release}: {field} is not a string"
        );
        if !volatile.contains(&field.as_str()) {
            assert_eq!(&result[field], value, "{release}: default of {field}");
        }
    }
    assert_eq!(sys_id.len(), 32);
    assert!(sys_id.bytes().all(|c| c.is_ascii_hexdigit()));
    let created_on = text(&result["sys_created_on"]);
    assert!(is_glide_date_time(created_on), "{created_on}");
    assert_eq!(result["opened_at"], result["sys_created_on"]);
    assert_eq!(result["sys_updated_on"], result["sys_created_on"]);
    assert_eq!(sn.sn.incidents().len(), 1);
}

async fn create_defaults_links_and_location(release: Release) {
    let sn = start_release(release).await;
    // Unversioned path: Location has no version segment; links on by default.
    let reply = sn
        .call(
            Method::POST,
            "/api/now/table/incident",
            Some(json!({"short_description": "x"})),
        )
        .await;
    assert_eq!(reply.status, 201);
    let result = reply.result();
    let sys_id = text(&result["sys_id"]).to_owned();
    assert_eq!(
        reply.header("location"),
        Some(format!("{}/api/now/table/incident/{sys_id}", sn.base()).as_str())
    );
    assert_eq!(
        result["opened_by"],
        json!({"link": format!("{}/api/now/table/sys_user/{API_USER_SYS_ID}", sn.base()), "value": API_USER_SYS_ID})
    );
    assert_eq!(
        result["caller_id"],
        json!(""),
        "empty reference is a string"
    );
    assert_eq!(result["sys_created_by"], json!("sluice"));
    let number = text(&result["number"]);
    assert!(
        number.len() == 10
            && number.starts_with("INC")
            && number[3..].bytes().all(|c| c.is_ascii_digit()),
        "{number}"
    );
    // v1 keeps its segment too.
    let reply = sn
        .call(Method::POST, "/api/now/v1/table/incident", Some(json!({})))
        .await;
    let id = text(&reply.result()["sys_id"]).to_owned();
    assert_eq!(
        reply.header("location"),
        Some(format!("{}/api/now/v1/table/incident/{id}", sn.base()).as_str())
    );
    // Unknown body fields are ignored; an array uses its first record only.
    let reply = sn
        .call(
            Method::POST,
            INCIDENTS,
            Some(json!([{"short_description": "first", "u_nonexistent": "1"}, {"short_description": "second"}])),
        )
        .await;
    assert_eq!(reply.status, 201);
    assert_eq!(reply.result()["short_description"], json!("first"));
    assert!(reply.result().get("u_nonexistent").is_none());
    assert_eq!(sn.sn.incidents().len(), 3);
    // sysparm_suppress_auto_sys_field lets the client set sys_* columns (§1.3).
    let reply = sn
        .call(
            Method::POST,
            &format!("{INCIDENTS}?sysparm_suppress_auto_sys_field=true&sysparm_fields=sys_created_on,sys_created_by"),
            Some(json!({"sys_created_on": "2017-01-02 03:04:05", "sys_created_by": "importer"})),
        )
        .await;
    assert_eq!(
        reply.result(),
        json!({"sys_created_on": "2017-01-02 03:04:05", "sys_created_by": "importer"})
    );
    let reply = sn
        .call(
            Method::POST,
            &format!("{INCIDENTS}?sysparm_fields=sys_created_by"),
            Some(json!({"sys_created_by": "importer"})),
        )
        .await;
    assert_eq!(reply.result(), json!({"sys_created_by": "sluice"}));
    // A duplicate sys_id is an insert error (capture insertRecordError).
    let reply = sn
        .call(
            Method::POST,
            INCIDENTS,
            Some(json!({"sys_id": sys_id, "number": "2135483521432"})),
        )
        .await;
    reply.assert_error(
        403,
        "Operation Failed",
        json!("Error during insert of incident (2135483521432)"),
    );
}

/// `X-no-response-body: true` → 201, `Location`, no body and no content type — on the 2018
/// releases (capture insertRecordNoResponse); ignored before (profile switch).
async fn no_response_body_header(release: Release) {
    let sn = start_release(release).await;
    let request = || {
        sn.req(Method::POST, INCIDENTS)
            .header("X-no-response-body", "true")
            .header(CONTENT_TYPE, "application/json")
            .body(r#"{"number":"ABCDEF123"}"#)
    };
    let reply = sn.send(request()).await;
    assert_eq!(reply.status, 201);
    assert!(reply.header("location").is_some());
    let honoured = matches!(release, Release::Kingston | Release::London);
    assert_eq!(sn.sn.profile().no_response_body_header, honoured);
    if honoured {
        assert!(reply.body.is_empty());
        assert_eq!(reply.header("content-type"), None);
    } else {
        assert_eq!(reply.result()["number"], json!("ABCDEF123"));
    }
    // The switch flips it on any release.
    let mut profile = sn.sn.profile();
    profile.no_response_body_header = !honoured;
    sn.sn.set_profile(profile);
    let reply = sn.send(request()).await;
    assert_eq!(reply.body.is_empty(), !honoured);
    // GET ignores the header (capture getRecords).
    let reply = sn
        .send(
            sn.req(Method::GET, INCIDENTS)
                .header("X-no-response-body", "true"),
        )
        .await;
    assert_eq!(reply.result().as_array().map(Vec::len), Some(2));
}

// ---------------------------------------------------------------------------------------------
// Query, update, journal, attachments, reopen

async fn query_by_correlation_id_newest_first(release: Release) {
    let sn = start_release(release).await;
    let older = sn
        .create(json!({"correlation_id": "ax1:9f2c", "short_description": "older"}))
        .await;
    sn.sn.advance(Duration::from_secs(60));
    let newer = sn
        .create(json!({"correlation_id": "ax1:9f2c", "short_description": "newer"}))
        .await;
    sn.create(json!({"correlation_id": "ax1:other"})).await;
    let query = "sysparm_query=correlation_id%3Dax1%3A9f2c%5Eactive%3Dtrue%5EORDERBYDESCsys_created_on\
                 &sysparm_limit=1&sysparm_fields=sys_id,number,state,incident_state,active,correlation_id\
                 &sysparm_exclude_reference_link=true";
    let reply = sn.get(&format!("{INCIDENTS}?{query}")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some(JSON_CT));
    assert_eq!(reply.header("x-total-count"), Some("2"));
    let rows = reply.result();
    assert_eq!(
        rows,
        json!([{
            "sys_id": newer["sys_id"], "number": newer["number"], "state": "1",
            "incident_state": "1", "active": "true", "correlation_id": "ax1:9f2c",
        }])
    );
    let link = reply.header("link").expect("a Link header");
    assert!(
        link.contains("rel=\"first\"")
            && link.contains("rel=\"next\"")
            && link.contains("rel=\"last\""),
        "{link}"
    );
    assert!(link.contains("sysparm_offset=1>;rel=\"next\""), "{link}");
    // Ascending order puts the older one first; correlation_display is stored too.
    let reply = sn
        .get(&format!("{INCIDENTS}?sysparm_query=correlation_id=ax1:9f2c^ORDERBYsys_created_on&sysparm_fields=sys_id"))
        .await;
    assert_eq!(reply.result()[0]["sys_id"], older["sys_id"]);
    // A typo'd field is ignored by default (the result widens) …
    let reply = sn
        .get(&format!(
            "{INCIDENTS}?sysparm_query=correltion_id=ax1:9f2c&sysparm_fields=sys_id"
        ))
        .await;
    assert_eq!(reply.header("x-total-count"), Some("3"));
    // … or matches nothing with the switch.
    let mut profile = sn.sn.profile();
    profile.invalid_query = InvalidQuery::NoRows;
    sn.sn.set_profile(profile);
    let reply = sn
        .get(&format!(
            "{INCIDENTS}?sysparm_query=correltion_id=ax1:9f2c&sysparm_fields=sys_id"
        ))
        .await;
    assert_eq!(reply.header("x-total-count"), Some("0"));
    // `field=value` shorthand filters: a 2018-era behaviour (profile switch).
    let reply = sn
        .get(&format!(
            "{INCIDENTS}?correlation_id=ax1:other&sysparm_fields=sys_id"
        ))
        .await;
    let shorthand = matches!(release, Release::Kingston | Release::London);
    assert_eq!(
        reply.header("x-total-count"),
        Some(if shorthand { "1" } else { "3" })
    );
    // An absurd offset is an empty page, not a crash.
    let reply = sn
        .get(&format!(
            "{INCIDENTS}?sysparm_offset=18446744073709551615&sysparm_limit=5"
        ))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.result(), json!([]));
}

async fn work_notes_journal(release: Release) {
    let sn = start_release(release).await;
    let created = sn
        .create(json!({"short_description": "disk", "work_notes": "first seen"}))
        .await;
    let id = text(&created["sys_id"]).to_owned();
    assert_eq!(created["work_notes"], json!(""));
    sn.sn.advance(Duration::from_secs(5));
    let reply = sn.patch(&id, json!({"work_notes": "still firing"})).await;
    assert_eq!(reply.status, 200);
    let result = reply.result();
    assert_eq!(
        result["work_notes"],
        json!(""),
        "value mode reads journals back empty"
    );
    assert_eq!(result["sys_mod_count"], json!("1"));
    assert_ne!(result["sys_updated_on"], created["sys_updated_on"]);
    // PUT is a partial update too; comments are a second journal.
    let reply = sn
        .call(
            Method::PUT,
            &format!("{INCIDENTS}/{id}"),
            Some(json!({"comments": "we are on it"})),
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.result()["short_description"], json!("disk"));
    let journal = sn.sn.journal(&id);
    let texts: Vec<_> = journal
        .iter()
        .map(|e| (e.element.as_str(), e.value.as_str()))
        .collect();
    assert_eq!(
        texts,
        [
            ("work_notes", "first seen"),
            ("work_notes", "still firing"),
            ("comments", "we are on it")
        ]
    );
    let shown = sn
        .get(&format!(
            "{INCIDENTS}/{id}?sysparm_display_value=true&sysparm_fields=work_notes,comments"
        ))
        .await
        .result();
    let notes = text(&shown["work_notes"]);
    let expected = format!(
        "{} - Sluice Integration (Work notes)\nstill firing\n\n{} - Sluice Integration (Work notes)\nfirst seen\n\n",
        journal[1].created_on, journal[0].created_on
    );
    assert_eq!(notes, expected);
    assert!(text(&shown["comments"]).contains("(Additional comments)\nwe are on it"));
    // sys_journal_field rows, as adapters read them (§2.3).
    let rows = sn
        .get(&format!(
            "/api/now/v2/table/sys_journal_field?sysparm_query=element_id={id}^element=work_notes^name=incident^ORDERBYDESCsys_created_on\
             &sysparm_fields=sys_id,name,element,element_id,value,sys_created_on,sys_created_by"
        ))
        .await
        .result();
    assert_eq!(rows.as_array().map(Vec::len), Some(2));
    assert_eq!(rows[0]["value"], json!("still firing"));
    assert_eq!(rows[0]["sys_created_by"], json!("sluice"));
    assert_eq!(rows[0]["element_id"], json!(id));
    // An empty note adds nothing.
    sn.patch(&id, json!({"work_notes": ""})).await;
    assert_eq!(sn.sn.journal(&id).len(), 3);
}

async fn attachments_round_trip(release: Release) {
    let sn = start_release(release).await;
    let id = text(&sn.create(json!({})).await["sys_id"]).to_owned();
    let content =
        b"Filesystem  Size  Used Avail Use% Mounted on\n/dev/sdb1   200G  190G   10G  95% /var\n";
    let reply = sn
        .send(
            sn.req(Method::POST, &format!("/api/now/attachment/file?table_name=incident&table_sys_id={id}&file_name=df-output.txt"))
                .header(CONTENT_TYPE, "text/plain")
                .body(content.to_vec()),
        )
        .await;
    assert_eq!(reply.status, 201);
    let meta = reply.result();
    let attachment_id = text(&meta["sys_id"]).to_owned();
    let expected_keys: BTreeSet<&str> = [
        "table_sys_id",
        "table_name",
        "file_name",
        "content_type",
        "size_bytes",
        "size_compressed",
        "compressed",
        "download_link",
        "image_width",
        "image_height",
        "average_image_color",
        "sys_id",
        "sys_created_on",
        "sys_created_by",
        "sys_updated_on",
        "sys_updated_by",
        "sys_mod_count",
        "sys_tags",
    ]
    .into_iter()
    .collect();
    let keys: BTreeSet<&str> = meta
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, expected_keys);
    assert!(meta
        .as_object()
        .expect("object")
        .values()
        .all(Value::is_string));
    assert_eq!(meta["size_bytes"], json!(content.len().to_string()));
    assert_eq!(meta["content_type"], json!("text/plain"));
    let download = format!("{}/api/now/attachment/{attachment_id}/file", sn.base());
    assert_eq!(meta["download_link"], json!(download));
    assert_eq!(
        reply.header("location"),
        Some(format!("{}/api/now/attachment/{attachment_id}", sn.base()).as_str())
    );
    // Multipart, fields first and the file part last, on the versioned path.
    let body = format!(
        "--b0undary\r\nContent-Disposition: form-data; name=\"table_name\"\r\n\r\nincident\r\n\
         --b0undary\r\nContent-Disposition: form-data; name=\"table_sys_id\"\r\n\r\n{id}\r\n\
         --b0undary\r\nContent-Disposition: form-data; name=\"uploadFile\"; filename=\"trace.log\"\r\nContent-Type: text/plain\r\n\r\nline 1\r\nline 2\r\n--b0undary--\r\n"
    );
    let reply = sn
        .send(
            sn.req(Method::POST, "/api/now/v1/attachment/upload")
                .header(CONTENT_TYPE, "multipart/form-data; boundary=b0undary")
                .body(body),
        )
        .await;
    assert_eq!(
        reply.status,
        201,
        "{:?}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.result()["file_name"], json!("trace.log"));
    assert!(reply
        .header("location")
        .is_some_and(|l| l.contains("/api/now/v1/attachment/")));
    // List with a query, metadata, content.
    let listed = sn
        .get(&format!(
            "/api/now/attachment?sysparm_query=table_sys_id={id}^file_name=df-output.txt"
        ))
        .await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.result().as_array().map(Vec::len), Some(1));
    assert_eq!(
        sn.get(&format!("/api/now/attachment/{attachment_id}"))
            .await
            .result()["file_name"],
        json!("df-output.txt")
    );
    let file = sn
        .send(
            sn.req(
                Method::GET,
                &format!("/api/now/v1/attachment/{attachment_id}/file"),
            )
            .header("Accept", "*/*"),
        )
        .await;
    assert_eq!(file.status, 200);
    assert_eq!(file.body, content.to_vec());
    assert_eq!(file.header("content-type"), Some("text/plain"));
    let header_meta: Value = serde_json::from_str(
        file.header("x-attachment-metadata")
            .expect("metadata header"),
    )
    .expect("JSON metadata");
    assert_eq!(header_meta["sys_id"], json!(attachment_id));
    let stored = sn.sn.attachments(&id);
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0].bytes, content.to_vec());
    assert_eq!(stored[1].bytes, b"line 1\r\nline 2".to_vec());
    // Errors: no Content-Type → 400; unknown record → 404; missing parameter → 400.
    let reply = sn
        .send(
            sn.req(
                Method::POST,
                &format!(
                    "/api/now/attachment/file?table_name=incident&table_sys_id={id}&file_name=x"
                ),
            )
            .body("x"),
        )
        .await;
    assert_eq!(reply.status, 400);
    let reply = sn
        .send(
            sn.req(Method::POST, "/api/now/attachment/file?table_name=incident&table_sys_id=0123456789abcdef0123456789abcdef&file_name=x")
                .header(CONTENT_TYPE, "text/plain")
                .body("x"),
        )
        .await;
    assert_eq!(reply.status, 404);
    let reply = sn
        .send(
            sn.req(
                Method::POST,
                "/api/now/attachment/file?table_name=incident&file_name=x",
            )
            .header(CONTENT_TYPE, "text/plain")
            .body("x"),
        )
        .await;
    assert_eq!(reply.status, 400);
    // Delete: 204, then 404.
    let reply = sn
        .call(
            Method::DELETE,
            &format!("/api/now/attachment/{attachment_id}"),
            None,
        )
        .await;
    assert_eq!(reply.status, 204);
    assert!(reply.body.is_empty());
    assert_eq!(
        sn.get(&format!("/api/now/attachment/{attachment_id}"))
            .await
            .status,
        404
    );
    assert_eq!(sn.sn.attachments(&id).len(), 1);
}

async fn reopen_resolved_incident(release: Release) {
    let sn = start_release(release).await;
    let id = text(&sn.create(json!({"short_description": "flapping"})).await["sys_id"]).to_owned();
    let reply = sn
        .patch(
            &id,
            json!({"state": "6", "close_code": "Solved (Permanently)", "close_notes": "recovered"}),
        )
        .await;
    assert_eq!(reply.status, 200);
    let resolved = reply.result();
    assert_eq!(
        (
            text(&resolved["state"]),
            text(&resolved["incident_state"]),
            text(&resolved["active"])
        ),
        ("6", "6", "true")
    );
    assert!(is_glide_date_time(text(&resolved["resolved_at"])));
    assert_eq!(resolved["resolved_by"], json!(API_USER_SYS_ID));
    let reply = sn
        .patch(
            &id,
            json!({"state": "2", "work_notes": "re-fired; reopening"}),
        )
        .await;
    assert_eq!(reply.status, 200);
    let reopened = reply.result();
    assert_eq!(
        (
            text(&reopened["state"]),
            text(&reopened["incident_state"]),
            text(&reopened["active"])
        ),
        ("2", "2", "true")
    );
    assert_eq!(reopened["reopen_count"], json!("1"));
    assert_eq!(reopened["resolved_at"], json!(""));
    // Old state model (upgraded instance): 2 is "Active", 4 exists, 8 does not.
    let mut profile = sn.sn.profile();
    profile.state_model = StateModel::Old;
    sn.sn.set_profile(profile);
    assert_eq!(
        sn.patch(&id, json!({"state": "4"})).await.result()["state"],
        json!("4")
    );
    assert_eq!(
        sn.patch(&id, json!({"state": "8"})).await.result()["state"],
        json!("4"),
        "8 is dropped"
    );
    let shown = sn
        .get(&format!(
            "{INCIDENTS}/{id}?sysparm_display_value=true&sysparm_fields=state"
        ))
        .await
        .result();
    assert_eq!(shown["state"], json!("Awaiting User Info"));
}

// ---------------------------------------------------------------------------------------------
// Errors

async fn errors_401(release: Release) {
    let sn = start_release(release).await;
    let check = |reply: Reply| {
        reply.assert_error(
            401,
            "User Not Authenticated",
            json!("Required to provide Auth information"),
        );
        assert_eq!(
            reply.header("www-authenticate"),
            Some("BASIC realm=\"Service-now\"")
        );
    };
    let url = format!("{}{INCIDENTS}?sysparm_limit=1", sn.base());
    check(
        sn.send(sn.http.get(&url).basic_auth("sluice", Some("wrong")))
            .await,
    );
    check(sn.send(sn.http.get(&url)).await);
    check(sn.send(sn.http.get(&url).bearer_auth("not-a-token")).await);
    check(
        sn.send(
            sn.http
                .post(format!("{}/api/now/attachment/file", sn.base())),
        )
        .await,
    );
    check(
        sn.send(sn.http.get(format!("{}/api/now/nothing/here", sn.base())))
            .await,
    );
    assert!(sn.sn.incidents().is_empty());
}

async fn errors_403_acl(release: Release) {
    let sn = start_release(release).await;
    let id = text(&sn.create(json!({})).await["sys_id"]).to_owned();
    assert!(sn.sn.set_state(&id, "7"), "an agent closes it");
    let closed = sn.sn.incident(&id).expect("incident");
    assert!(!closed.is_active());
    assert!(!closed.get("closed_at").is_empty());
    assert_eq!(sn.sn.profile().closed_writes, ClosedWrites::Strict);
    sn.patch(&id, json!({"work_notes": "alert re-fired"}))
        .await
        .assert_error(
            403,
            "Operation Failed",
            json!("ACL Exception Update Failed due to security constraints"),
        );
    assert!(sn.sn.journal(&id).is_empty());
    // The admin credential passes the ACL.
    let reply = sn
        .send(
            sn.http
                .patch(format!("{}{INCIDENTS}/{id}", sn.base()))
                .basic_auth("admin", Some("admin"))
                .header(CONTENT_TYPE, "application/json")
                .body(r#"{"work_notes":"admin note"}"#),
        )
        .await;
    assert_eq!(reply.status, 200);
    // Permissive profile: 200 and the note is appended (kibana#162557).
    let mut profile = sn.sn.profile();
    profile.closed_writes = ClosedWrites::Permissive;
    sn.sn.set_profile(profile);
    assert_eq!(
        sn.patch(&id, json!({"work_notes": "alert re-fired"}))
            .await
            .status,
        200
    );
    assert_eq!(sn.sn.journal(&id).len(), 2);
    // Writes to other tables are not allowed for the integration user.
    sn.call(
        Method::POST,
        "/api/now/table/sys_user_group",
        Some(json!({"name": "x"})),
    )
    .await
    .assert_error(
        403,
        "Operation Failed",
        json!("ACL Exception Insert Failed due to security constraints"),
    );
}

async fn errors_403_data_policy(release: Release) {
    let sn = start_release(release).await;
    let default_policy = sn.sn.profile().close_info;
    let expected_default = if matches!(release, Release::Kingston | Release::London) {
        CloseInfoPolicy::DataPolicy
    } else {
        CloseInfoPolicy::None
    };
    assert_eq!(default_policy, expected_default);
    let mut profile = sn.sn.profile();
    profile.close_info = CloseInfoPolicy::DataPolicy;
    sn.sn.set_profile(profile);
    let id = text(&sn.create(json!({})).await["sys_id"]).to_owned();
    sn.patch(&id, json!({"state": "6"})).await.assert_error(
        403,
        "Operation Failed",
        json!("Data Policy Exception: The following fields are mandatory: Resolution code, Resolution notes"),
    );
    sn.patch(
        &id,
        json!({"state": "6", "close_code": "Solved (Permanently)"}),
    )
    .await
    .assert_error(
        403,
        "Operation Failed",
        json!("Data Policy Exception: The following fields are mandatory: Resolution notes"),
    );
    // An obsolete close_code is silently dropped, which then trips the policy (§1.8).
    sn.patch(
        &id,
        json!({"state": "6", "close_code": "Solution provided", "close_notes": "n"}),
    )
    .await
    .assert_error(
        403,
        "Operation Failed",
        json!("Data Policy Exception: The following fields are mandatory: Resolution code"),
    );
    assert_eq!(sn.sn.incident(&id).expect("incident").state(), "1");
    let reply = sn
        .patch(
            &id,
            json!({"state": "6", "close_code": "Solved (Permanently)", "close_notes": "n"}),
        )
        .await;
    assert_eq!(reply.status, 200);
    // Without the policy, resolving bare is accepted.
    let mut profile = sn.sn.profile();
    profile.close_info = CloseInfoPolicy::None;
    sn.sn.set_profile(profile);
    let other = text(&sn.create(json!({})).await["sys_id"]).to_owned();
    assert_eq!(sn.patch(&other, json!({"state": "6"})).await.status, 200);
}

async fn errors_404_400_405(release: Release) {
    let sn = start_release(release).await;
    let missing = "0123456789abcdef0123456789abcdef";
    let no_record = json!("Record doesn't exist or ACL restricts the record retrieval");
    sn.get(&format!("{INCIDENTS}/{missing}"))
        .await
        .assert_error(404, "No Record found", no_record.clone());
    sn.patch(missing, json!({"work_notes": "x"}))
        .await
        .assert_error(404, "No Record found", no_record.clone());
    // The DELETE of the capture deleteNonExistingRecord.
    sn.call(Method::DELETE, &format!("{INCIDENTS}/NoId"), None)
        .await
        .assert_error(404, "No Record found", no_record);
    let reply = sn
        .send(
            sn.req(Method::POST, INCIDENTS)
                .header(CONTENT_TYPE, "application/json")
                .body(r#"{"short_description": "disk full","#),
        )
        .await;
    reply.assert_error(
        400,
        "Exception while reading request",
        json!("The payload is not valid JSON."),
    );
    sn.get("/api/now/v2/table/incidnet").await.assert_error(
        400,
        "Invalid table incidnet",
        Value::Null,
    );
    sn.call(Method::POST, "/api/now/table/incidnet", Some(json!({})))
        .await
        .assert_error(400, "Invalid table incidnet", Value::Null);
    sn.get("/api/now/v3/table/incident").await.assert_error(
        400,
        "Requested URI does not represent any resource",
        Value::Null,
    );
    // Over the 10 MB REST payload cap (KB0747638).
    let big = format!("{{\"description\":\"{}\"}}", "x".repeat(10_485_760));
    let reply = sn
        .send(
            sn.req(Method::POST, INCIDENTS)
                .header(CONTENT_TYPE, "application/json")
                .body(big.clone()),
        )
        .await;
    let detail = format!(
        "Rejected large REST payload with content-length = {} bytes. Max allowed: 10485760 bytes.",
        big.len()
    );
    reply.assert_error(400, "Exception while reading request", json!(detail));
    assert!(sn.sn.incidents().is_empty());
    // 405 for verbs a path does not take.
    let id = text(&sn.create(json!({})).await["sys_id"]).to_owned();
    let reply = sn
        .call(Method::POST, &format!("{INCIDENTS}/{id}"), Some(json!({})))
        .await;
    reply.assert_error(
        405,
        "Method not Supported",
        json!("POST method not supported for API"),
    );
    assert_eq!(sn.call(Method::DELETE, INCIDENTS, None).await.status, 405);
    // 406/415 when the client insists on something other than JSON.
    assert_eq!(
        sn.send(
            sn.http
                .get(format!("{}{INCIDENTS}", sn.base()))
                .basic_auth("sluice", Some("sluice"))
                .header("Accept", "application/xml")
        )
        .await
        .status,
        406
    );
    let reply = sn
        .send(
            sn.req(Method::PATCH, &format!("{INCIDENTS}/{id}"))
                .header(CONTENT_TYPE, "application/xml")
                .body("<x/>"),
        )
        .await;
    assert_eq!(reply.status, 415);
}

async fn errors_429_rate_limit(release: Release) {
    let mut config = ServiceNowConfig::for_release(release);
    config.profile.rate_limit = Some(RateLimitRule::per_hour(2));
    let sn = start(config).await;
    for _ in 0..2 {
        let reply = sn.get(&format!("{INCIDENTS}?sysparm_limit=1")).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("x-ratelimit-limit"), Some("2"));
        assert!(reply.header("x-ratelimit-reset").is_some());
        assert_eq!(
            reply.header("x-ratelimit-rule"),
            Some("5f0d4a1c4f5d130058ae7e918110c702")
        );
    }
    let reply = sn.get(INCIDENTS).await;
    reply.assert_error(
        429,
        "Rate limit exceeded",
        json!("Rate limit of 2 requests per hour for Table API exceeded"),
    );
    let retry_after: u64 = reply
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=3600).contains(&retry_after));
    let reset: i64 = reply
        .header("x-ratelimit-reset")
        .expect("reset")
        .parse()
        .expect("unix time");
    assert_eq!(reset % 3600, 0);
    // The Attachment API is not covered by a Table API rule; the next hour resets the count.
    assert_eq!(sn.get("/api/now/attachment").await.status, 200);
    sn.sn.advance(Duration::from_secs(3600));
    assert_eq!(sn.get(INCIDENTS).await.status, 200);
}

// ---------------------------------------------------------------------------------------------
// Collections and rendering

async fn v1_and_v2_empty_results(release: Release) {
    let sn = start_release(release).await;
    let query = "sysparm_query=number%3DImpossibleNumber007&sysparm_offset=0&sysparm_suppress_pagination_header=true&sysparm_limit=1";
    let v2 = sn.get(&format!("/api/now/v2/table/incident?{query}")).await;
    assert_eq!(v2.status, 200);
    assert_eq!(v2.json(), json!({"result": []}));
    assert_eq!(v2.header("x-total-count"), Some("0"));
    assert_eq!(v2.header("link"), None);
    let latest = sn.get(&format!("/api/now/table/incident?{query}")).await;
    assert_eq!(latest.json(), json!({"result": []}));
    sn.get(&format!("/api/now/v1/table/incident?{query}"))
        .await
        .assert_error(
            404,
            "No Record found",
            json!("Records matching query not found. Check query parameter or offset parameter"),
        );
    // v1 otherwise answers like v2.
    sn.create(json!({})).await;
    assert_eq!(
        sn.get("/api/now/v1/table/incident")
            .await
            .result()
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

async fn pagination_headers(release: Release) {
    let sn = start_release(release).await;
    for i in 0..5 {
        sn.create(json!({"short_description": format!("n{i}")}))
            .await;
    }
    let path = "/api/now/v2/table/incident";
    let reply = sn
        .get(&format!(
            "{path}?sysparm_fields=short_description&sysparm_limit=2&sysparm_offset=2"
        ))
        .await;
    assert_eq!(reply.header("x-total-count"), Some("5"));
    assert_eq!(
        reply.result(),
        json!([{"short_description": "n2"}, {"short_description": "n3"}])
    );
    let at = |offset: usize| {
        format!(
            "<{}{path}?sysparm_fields=short_description&sysparm_limit=2&sysparm_offset={offset}>",
            sn.base()
        )
    };
    assert_eq!(
        reply.header("link"),
        Some(
            format!(
                "{};rel=\"first\",{};rel=\"prev\",{};rel=\"next\",{};rel=\"last\"",
                at(0),
                at(0),
                at(4),
                at(4)
            )
            .as_str()
        )
    );
    let reply = sn
        .get(&format!(
            "{path}?sysparm_limit=2&sysparm_suppress_pagination_header=true"
        ))
        .await;
    assert_eq!(reply.header("link"), None);
    assert_eq!(reply.header("x-total-count"), Some("5"));
    let reply = sn
        .get(&format!(
            "{path}?sysparm_limit=2&sysparm_offset=4&sysparm_fields=number"
        ))
        .await;
    assert_eq!(reply.result().as_array().map(Vec::len), Some(1));
    assert!(!reply
        .header("link")
        .unwrap_or_default()
        .contains("rel=\"next\""));
}

async fn display_value_modes(release: Release) {
    let sn = start_release(release).await;
    let created = sn
        .create(json!({"assignment_group": SERVICE_DESK_SYS_ID, "impact": "1", "urgency": "2"}))
        .await;
    let id = text(&created["sys_id"]).to_owned();
    let get = |mode: &str, exclude: bool| {
        format!(
            "{INCIDENTS}/{id}?sysparm_display_value={mode}&sysparm_exclude_reference_link={exclude}\
             &sysparm_fields=assignment_group,state,priority,opened_at,work_notes,sys_class_name"
        )
    };
    let link = format!(
        "{}/api/now/table/sys_user_group/{SERVICE_DESK_SYS_ID}",
        sn.base()
    );
    let value = sn.get(&get("false", false)).await.result();
    assert_eq!(
        value["assignment_group"],
        json!({"link": link, "value": SERVICE_DESK_SYS_ID})
    );
    assert_eq!(
        (value["state"].clone(), value["priority"].clone()),
        (json!("1"), json!("2"))
    );
    let display = sn.get(&get("true", false)).await.result();
    assert_eq!(
        display["assignment_group"],
        json!({"display_value": "Service Desk", "link": link})
    );
    assert_eq!(display["state"], json!("New"));
    assert_eq!(display["priority"], json!("2 - High"));
    assert_eq!(display["sys_class_name"], json!("Incident"));
    assert_eq!(display["opened_at"], value["opened_at"]);
    let display = sn.get(&get("true", true)).await.result();
    assert_eq!(display["assignment_group"], json!("Service Desk"));
    let all = sn.get(&get("all", false)).await.result();
    assert_eq!(
        all["assignment_group"],
        json!({"display_value": "Service Desk", "value": SERVICE_DESK_SYS_ID, "link": link})
    );
    assert_eq!(all["state"], json!({"display_value": "New", "value": "1"}));
    assert_eq!(all["work_notes"], json!({"display_value": "", "value": ""}));
    // sysparm_input_display_value: a group by name; dot-walked fields.
    let reply = sn
        .call(
            Method::PATCH,
            &format!("{INCIDENTS}/{id}?sysparm_input_display_value=true&sysparm_exclude_reference_link=true&sysparm_fields=assignment_group,assignment_group.name"),
            Some(json!({"assignment_group": "Network"})),
        )
        .await;
    let result = reply.result();
    assert_eq!(result["assignment_group.name"], json!("Network"));
    assert_eq!(text(&result["assignment_group"]).len(), 32);
    let found = sn
        .get(&format!(
            "{INCIDENTS}?sysparm_query=assignment_group.name=Network&sysparm_fields=sys_id"
        ))
        .await;
    assert_eq!(found.result(), json!([{"sys_id": id}]));
}

async fn choices_groups_and_users(release: Release) {
    let sn = start_release(release).await;
    let states = sn
        .get("/api/now/v2/table/sys_choice?sysparm_query=name=incident^element=state^inactive=false&sysparm_fields=value,label")
        .await
        .result();
    assert_eq!(
        states,
        json!([
            {"value": "1", "label": "New"}, {"value": "2", "label": "In Progress"},
            {"value": "3", "label": "On Hold"}, {"value": "6", "label": "Resolved"},
            {"value": "7", "label": "Closed"}, {"value": "8", "label": "Canceled"},
        ])
    );
    let sn = &sn;
    let count = |element: &'static str| async move {
        sn.get(&format!(
            "/api/now/v2/table/sys_choice?sysparm_query=name=incident^element={element}"
        ))
        .await
        .header("x-total-count")
        .map(str::to_owned)
    };
    let has_hold = release >= Release::Jakarta;
    assert_eq!(
        count("hold_reason").await.as_deref(),
        Some(if has_hold { "4" } else { "0" })
    );
    assert_eq!(count("close_code").await.as_deref(), Some("7"));
    for element in ["category", "impact", "urgency", "priority", "severity"] {
        assert_ne!(count(element).await.as_deref(), Some("0"), "{element}");
    }
    let mut profile = sn.sn.profile();
    profile.state_model = StateModel::Old;
    sn.sn.set_profile(profile);
    let states = sn
        .get("/api/now/v2/table/sys_choice?sysparm_query=name=incident^element=state^inactive=false&sysparm_fields=value")
        .await
        .result();
    assert_eq!(
        states,
        json!([{"value": "1"}, {"value": "2"}, {"value": "3"}, {"value": "4"}, {"value": "5"}, {"value": "6"}, {"value": "7"}])
    );
    let desk = sn
        .get(&format!(
            "/api/now/table/sys_user_group/{SERVICE_DESK_SYS_ID}?sysparm_fields=name"
        ))
        .await
        .result();
    assert_eq!(desk, json!({"name": "Service Desk"}));
    let groups = sn.get("/api/now/table/sys_user_group?sysparm_query=nameINSecurity Operations,Network&sysparm_fields=name").await;
    assert_eq!(groups.header("x-total-count"), Some("2"));
    let me = sn
        .get("/api/now/table/sys_user?sysparm_query=user_name=sluice&sysparm_fields=sys_id,name")
        .await
        .result();
    assert_eq!(
        me,
        json!([{"sys_id": API_USER_SYS_ID, "name": "Sluice Integration"}])
    );
    let admin = sn
        .get(&format!(
            "/api/now/table/sys_user/{ADMIN_SYS_ID}?sysparm_fields=user_name"
        ))
        .await
        .result();
    assert_eq!(admin, json!({"user_name": "admin"}));
}

async fn oauth_grants_and_bearer(release: Release) {
    let sn = start_release(release).await;
    let token_url = format!("{}/oauth_token.do", sn.base());
    let form = |body: String| {
        sn.http
            .post(&token_url)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("Accept", "application/json")
            .body(body)
    };
    let reply = sn
        .send(form("grant_type=password&client_id=sluice&client_secret=sluice-secret&username=sluice&password=sluice".to_owned()))
        .await;
    assert_eq!(reply.status, 200);
    let grant = reply.json();
    assert_eq!(grant["token_type"], json!("Bearer"));
    assert_eq!(grant["scope"], json!("useraccount"));
    assert_eq!(grant["expires_in"], json!(1799));
    let access = text(&grant["access_token"]).to_owned();
    let refresh = text(&grant["refresh_token"]).to_owned();
    let with_bearer = |token: &str| {
        sn.http
            .get(format!("{}{INCIDENTS}?sysparm_limit=1", sn.base()))
            .bearer_auth(token)
    };
    assert_eq!(sn.send(with_bearer(&access)).await.status, 200);
    // Created through a token: opened_by is the token's user.
    let reply = sn
        .send(
            sn.http
                .post(format!(
                    "{}{INCIDENTS}?sysparm_exclude_reference_link=true",
                    sn.base()
                ))
                .bearer_auth(&access)
                .header(CONTENT_TYPE, "application/json")
                .body("{}"),
        )
        .await;
    assert_eq!(reply.result()["opened_by"], json!(API_USER_SYS_ID));
    // Expiry follows the emulator clock: the same 401 as bad Basic credentials (§6.5).
    sn.sn.advance(Duration::from_secs(1800));
    let reply = sn.send(with_bearer(&access)).await;
    reply.assert_error(
        401,
        "User Not Authenticated",
        json!("Required to provide Auth information"),
    );
    assert_eq!(
        reply.header("www-authenticate"),
        Some("BASIC realm=\"Service-now\"")
    );
    let reply = sn
        .send(form(format!("grant_type=refresh_token&client_id=sluice&client_secret=sluice-secret&refresh_token={refresh}")))
        .await;
    assert_eq!(reply.status, 200);
    let renewed = text(&reply.json()["access_token"]).to_owned();
    assert_ne!(renewed, access);
    assert_eq!(sn.send(with_bearer(&renewed)).await.status, 200);
    // Failures: 401 access_denied/server_error.
    for body in [
        "grant_type=password&client_id=sluice&client_secret=wrong&username=sluice&password=sluice".to_owned(),
        "grant_type=password&client_id=sluice&client_secret=sluice-secret&username=sluice&password=nope".to_owned(),
        "grant_type=client_credentials&client_id=sluice&client_secret=sluice-secret".to_owned(),
        format!("grant_type=refresh_token&client_id=sluice&client_secret=sluice-secret&refresh_token={access}"),
    ] {
        let reply = sn.send(form(body.clone())).await;
        assert_eq!(reply.status, 401, "{body}");
        assert_eq!(reply.json(), json!({"error_description": "access_denied", "error": "server_error"}));
    }
}

async fn priority_and_state_rules(release: Release) {
    let sn = start_release(release).await;
    let created = sn
        .create(json!({"impact": "1", "urgency": "1", "priority": "5"}))
        .await;
    assert_eq!(
        created["priority"],
        json!("1"),
        "priority comes from impact x urgency"
    );
    let id = text(&created["sys_id"]).to_owned();
    let updated = sn.patch(&id, json!({"impact": "3"})).await.result();
    assert_eq!(updated["priority"], json!("3"));
    // incident_state follows state; an unknown state value is dropped silently.
    let updated = sn.patch(&id, json!({"incident_state": "2"})).await.result();
    assert_eq!(
        (updated["state"].clone(), updated["incident_state"].clone()),
        (json!("2"), json!("2"))
    );
    let updated = sn.patch(&id, json!({"state": "5"})).await;
    assert_eq!(updated.status, 200);
    assert_eq!(updated.result()["state"], json!("2"));
    // Canceled (new model) is inactive; Resolved is still active.
    let other = text(&sn.create(json!({})).await["sys_id"]).to_owned();
    assert_eq!(
        sn.patch(&other, json!({"state": "8"})).await.result()["active"],
        json!("false")
    );
    assert!(sn.sn.set_state(&id, "6"));
    let resolved = sn.sn.incident(&id).expect("incident");
    assert!(resolved.is_active());
    assert!(
        !resolved.get("close_code").is_empty(),
        "the agent filled in close info"
    );
    assert!(sn.sn.set_state(resolved.number(), "7"));
    let closed = sn.sn.incident(&id).expect("incident");
    assert_eq!(
        (
            closed.state(),
            closed.get("incident_state"),
            closed.is_active()
        ),
        ("7", "7", false)
    );
    assert!(!sn.sn.set_state(&id, "4"), "the new model has no state 4");
    // sys_mod_count counts updates; a no-op write does not count.
    let before = sn.sn.incident(&other).expect("incident");
    let mut profile = sn.sn.profile();
    profile.closed_writes = ClosedWrites::Permissive;
    sn.sn.set_profile(profile);
    sn.patch(
        &other,
        json!({"short_description": before.get("short_description")}),
    )
    .await;
    assert_eq!(
        sn.sn
            .incident(&other)
            .expect("incident")
            .get("sys_mod_count"),
        before.get("sys_mod_count")
    );
}

// ---------------------------------------------------------------------------------------------
// Faults and statistics (release-independent)

#[tokio::test]
async fn fault_injection() {
    let sn = start_release(Release::London).await;
    // Ambiguous POST: the record exists, the client got no answer.
    sn.sn.set_faults(Faults {
        ambiguous_post: Trigger::next(1),
        ..Faults::default()
    });
    let lost = sn
        .req(Method::POST, INCIDENTS)
        .header(CONTENT_TYPE, "application/json")
        .body(r#"{"correlation_id":"retry-me"}"#)
        .send()
        .await;
    assert!(lost.is_err(), "the connection must drop: {lost:?}");
    let found = sn
        .get(&format!(
            "{INCIDENTS}?sysparm_query=correlation_id=retry-me&sysparm_fields=sys_id"
        ))
        .await;
    assert_eq!(
        found.header("x-total-count"),
        Some("1"),
        "created once despite the lost answer"
    );
    // Dropped connection before anything happens.
    sn.sn.set_faults(Faults {
        drop_connection: Trigger::next(1),
        methods: vec!["POST".to_owned()],
        ..Faults::default()
    });
    assert_eq!(sn.get(INCIDENTS).await.status, 200, "GET is not affected");
    let dropped = sn
        .req(Method::POST, INCIDENTS)
        .header(CONTENT_TYPE, "application/json")
        .body("{}")
        .send()
        .await;
    assert!(dropped.is_err());
    assert_eq!(sn.sn.incidents().len(), 1);
    // On the wire: not a single byte comes back before the close.
    sn.sn.set_faults(Faults {
        drop_connection: Trigger::next(1),
        ..Faults::default()
    });
    let mut stream = tokio::net::TcpStream::connect(sn.served.addr())
        .await
        .expect("connect");
    stream
        .write_all(b"GET /api/now/table/incident HTTP/1.1\r\nHost: x\r\nAuthorization: Basic c2x1aWNlOnNsdWljZQ==\r\n\r\n")
        .await
        .expect("request written");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    assert!(answer.is_empty(), "{:?}", String::from_utf8_lossy(&answer));
    assert_eq!(sn.sn.requests().dropped(), 3);
    // 503 for the next request, then normal.
    sn.sn.set_faults(Faults {
        server_error: Trigger::next(1),
        server_error_status: ServerErrorStatus::ServiceUnavailable,
        ..Faults::default()
    });
    assert_eq!(sn.get(INCIDENTS).await.status, 503);
    assert_eq!(sn.get(INCIDENTS).await.status, 200);
    sn.sn.set_faults(Faults {
        server_error: Trigger::next(1),
        ..Faults::default()
    });
    let reply = sn.get(INCIDENTS).await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.json()["status"], json!("failure"));
    // Node busy: 429 without Retry-After.
    sn.sn.set_faults(Faults {
        busy: Trigger::probability(1.0),
        ..Faults::default()
    });
    let reply = sn.get(INCIDENTS).await;
    assert_eq!(reply.status, 429);
    assert_eq!(reply.header("retry-after"), None);
    sn.sn.set_faults(Faults::default());
    assert_eq!(sn.get(INCIDENTS).await.status, 200);
    let faults: Faults =
        serde_json::from_str(r#"{"latency_ms":1,"methods":["PATCH"]}"#).expect("faults JSON");
    sn.sn.set_faults(faults);
    assert_eq!(sn.get(INCIDENTS).await.status, 200);
}

#[tokio::test]
async fn request_statistics() {
    let sn = start_release(Release::Kingston).await;
    let id = text(&sn.create(json!({})).await["sys_id"]).to_owned();
    sn.patch(&id, json!({"work_notes": "n"})).await;
    sn.get(&format!("{INCIDENTS}?sysparm_query=sys_id={id}"))
        .await;
    sn.send(sn.http.get(format!("{}{INCIDENTS}", sn.base())))
        .await;
    let stats = sn.sn.requests();
    assert_eq!(stats.table_count("POST", "incident"), 1);
    assert_eq!(stats.table_count("PATCH", "incident"), 1);
    assert_eq!(stats.count("GET", PathKind::TableCollection), 2);
    assert_eq!(stats.with_status(401), 1);
    assert_eq!(stats.total(), 4);
    assert_eq!(stats.dropped(), 0);
}

/// The remaining [U] switches, each flipped once.
#[tokio::test]
async fn minor_profile_switches() {
    let mut config = ServiceNowConfig::for_release(Release::London);
    config.profile.v1_empty_is_404 = false;
    config.profile.no_count_param = true;
    config.profile.link_on_single_page = false;
    config.profile.journal_table_readable = false;
    config.profile.multipart_sys_id_field = MultipartSysIdField::RecordSysId;
    let sn = start(config).await;
    let reply = sn
        .get("/api/now/v1/table/incident?sysparm_query=number=nope")
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), json!({"result": []}));
    let id = text(&sn.create(json!({})).await["sys_id"]).to_owned();
    let reply = sn.get(&format!("{INCIDENTS}?sysparm_no_count=true")).await;
    assert_eq!(reply.header("x-total-count"), None);
    assert_eq!(reply.header("link"), None, "one page, no Link");
    sn.get("/api/now/table/sys_journal_field")
        .await
        .assert_error(
            403,
            "Insufficient rights to query records",
            json!("Field(s) present in the query do not have permission to be read"),
        );
    let upload = |field: &str| {
        let body = format!(
            "--b\r\nContent-Disposition: form-data; name=\"table_name\"\r\n\r\nincident\r\n\
             --b\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{id}\r\n\
             --b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.bin\"\r\n\r\nAB\r\n--b--\r\n"
        );
        sn.req(Method::POST, "/api/now/attachment/upload")
            .header(CONTENT_TYPE, "multipart/form-data; boundary=b")
            .body(body)
    };
    assert_eq!(sn.send(upload("record_sys_id")).await.status, 201);
    assert_eq!(sn.send(upload("table_sys_id")).await.status, 400);
    let stored = sn.sn.attachments(&id);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].content_type, "application/octet-stream");
    // Priority frozen on update when the data lookup does not rerun.
    let mut profile = sn.sn.profile();
    profile.priority_on_update = false;
    sn.sn.set_profile(profile);
    assert_eq!(
        sn.patch(&id, json!({"impact": "1", "urgency": "1"}))
            .await
            .result()["priority"],
        json!("5")
    );
    // Reopen without side effects.
    let mut profile = sn.sn.profile();
    profile.reopen = ReopenEffects::None;
    sn.sn.set_profile(profile);
    assert!(sn.sn.set_state(&id, "6"));
    let reopened = sn.patch(&id, json!({"state": "1"})).await.result();
    assert_eq!(reopened["reopen_count"], json!("0"));
    assert_ne!(reopened["resolved_at"], json!(""));
}

#[tokio::test]
async fn profile_switches_are_serde() {
    let profile = Profile::for_release(Release::Jakarta);
    let text = serde_json::to_string(&profile).expect("serializes");
    let back: Profile = serde_json::from_str(&text).expect("deserializes");
    assert_eq!(back, profile);
    assert_eq!("KINGSTON".parse::<Release>(), Ok(Release::Kingston));
    let config = ServiceNowConfig {
        admin: Some(Credentials {
            username: "root".to_owned(),
            password: "r".to_owned(),
        }),
        ..ServiceNowConfig::default()
    };
    let sn = start(config).await;
    let reply = sn
        .send(
            sn.http
                .get(format!("{}{INCIDENTS}", sn.base()))
                .basic_auth("root", Some("r")),
        )
        .await;
    assert_eq!(reply.status, 200);
}

// ---------------------------------------------------------------------------------------------
// pysnow

/// `target/` of this build: the test binary lives in `target/<profile>/deps/`.
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable path");
    exe.parent()
        .and_then(Path::parent)
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .expect("the test executable is in target/<profile>/deps")
}

/// pysnow 0.7.17 is the last release; it works on Python 3.11 as is (python-magic falls back
/// to text/plain if libmagic is missing, pytz and ijson install as pure-Python wheels).
const PYSNOW: &str = "pysnow==0.7.17";

/// A venv with pysnow under the target dir, created on first use. Panics with the reason when
/// it cannot be built (e.g. no network for pip): this test must never pass silently.
fn pysnow_python() -> PathBuf {
    let venv = target_dir().join("pysnow-venv");
    let python = venv.join("bin").join("python");
    let importable = |python: &Path| {
        std::process::Command::new(python)
            .args(["-c", "import pysnow"])
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
            "`{} {}` failed; the pysnow test needs python3 with venv and network access to PyPI.\nstdout:\n{}\nstderr:\n{}",
            program.display(),
            args.join(" "),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let venv_arg = venv.to_string_lossy().into_owned();
    run(Path::new("python3"), &["-m", "venv", &venv_arg]);
    run(
        &venv.join("bin").join("pip"),
        &["install", "--quiet", "--disable-pip-version-check", PYSNOW],
    );
    assert!(
        importable(&python),
        "pysnow installed but `import pysnow` fails in {}",
        venv.display()
    );
    python
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
