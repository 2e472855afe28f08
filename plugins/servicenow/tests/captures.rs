//! The sink against **real** answers: the responses of the 2018 exchanges in
//! `tests/fixtures/servicenow-captures-2018/` replayed by a stand-in host, so the parsers are
//! held to what an instance said rather than to the emulator.
//!
//! ```text
//!  #[test] ─ deliver ─► sink ─ Host::http ─► Replay: next recorded response; the request is kept
//! ```

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde_json::{json, Value};
use sluice_sdk::{
    ActionOutcome, Capabilities, Correlation, ErrorKind, Fields, HttpError, HttpErrorKind,
    HttpRequest, HttpResponse, Journal, LogLevel, SinkInstance, TicketAction,
};

/// A host whose HTTP answers are recorded responses, in order.
struct Replay {
    responses: Mutex<VecDeque<HttpResponse>>,
    requests: Arc<Mutex<Vec<HttpRequest>>>,
}

impl Capabilities for Replay {
    fn http(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        if let Ok(mut seen) = self.requests.lock() {
            seen.push(request);
        }
        self.responses
            .lock()
            .ok()
            .and_then(|mut r| r.pop_front())
            .ok_or_else(|| HttpError::new(HttpErrorKind::Connect, "no more recorded responses"))
    }
    fn log(&self, _: LogLevel, _: &str) {}
    fn now(&self) -> SystemTime {
        SystemTime::UNIX_EPOCH
    }
}

/// The response of exchange `index` of capture `name`, with lower-case header names as the
/// host delivers them.
fn recorded(name: &str, index: usize) -> HttpResponse {
    let path = format!(
        "{}/../../tests/fixtures/servicenow-captures-2018/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let exchanges: Value = serde_json::from_str(&text).expect("a capture is JSON");
    let response = &exchanges[index]["response"];
    HttpResponse {
        status: response["status"]
            .as_u64()
            .and_then(|s| u16::try_from(s).ok())
            .unwrap_or(0),
        headers: response["headers"]
            .as_object()
            .map(|h| {
                h.iter()
                    .map(|(n, v)| (n.to_lowercase(), v.as_str().unwrap_or("").to_owned()))
                    .collect()
            })
            .unwrap_or_default(),
        body: response["payload"]
            .as_str()
            .unwrap_or("")
            .as_bytes()
            .to_vec(),
    }
}

/// A London sink whose requests are answered by `responses`.
fn sink(responses: Vec<HttpResponse>) -> (SinkInstance, Arc<Mutex<Vec<HttpRequest>>>) {
    let requests = Arc::new(Mutex::new(Vec::new()));
    let host = Replay {
        responses: Mutex::new(responses.into()),
        requests: requests.clone(),
    };
    let config = json!({
        "endpoint": "https://dev12629.service-now.com",
        "release": "london",
        "username": "admin",
        "password": "not-the-real-one",
    });
    let plugin = sluice_sink_servicenow::in_process().expect("registers");
    let sink = plugin
        .new_sink("servicenow", &config, Arc::new(host))
        .expect("builds");
    (sink, requests)
}

fn create() -> TicketAction {
    TicketAction::Create {
        correlation: Correlation {
            id: "na:1".into(),
            display: "sluice".into(),
        },
        fields: [("short_description", "x")].into_iter().collect::<Fields>(),
    }
}

const SYS_ID: &str = "9925eceb4f33130058ae7e918110c7f2";

#[test]
fn the_created_record_becomes_the_ticket() {
    let (mut sink, requests) = sink(vec![recorded(
        "output.ServiceNowOutputTest_insertRecord",
        0,
    )]);
    let outcomes = sink.deliver(vec![create()]);
    let ActionOutcome::Done(ticket) = &outcomes[0] else {
        panic!("{outcomes:?}")
    };
    assert_eq!(ticket.id, SYS_ID);
    assert_eq!(ticket.number, "ABCDEF123");
    assert_eq!(ticket.state, "1");
    assert_eq!(
        ticket.link,
        format!("https://dev12629.service-now.com/nav_to.do?uri=incident.do?sys_id={SYS_ID}")
    );
    assert_eq!(
        ticket.fields.get("opened_by"),
        Some("6816f79cc0a8016401c5a33be04be441")
    );
    assert!(ticket.display.is_empty(), "the capture is in value mode");

    let requests = requests.lock().map(|r| r.clone()).unwrap_or_default();
    let sent = &requests[0];
    assert_eq!(sent.method, "POST");
    assert!(sent
        .url
        .starts_with("https://dev12629.service-now.com/api/now/v2/table/incident?"));
    assert!(
        sent.url.contains("sysparm_exclude_reference_link=true"),
        "{}",
        sent.url
    );
    assert!(
        sent.url.contains("sysparm_display_value=all"),
        "{}",
        sent.url
    );
    assert!(
        sent.url.contains("sysparm_fields=sys_id%2Cnumber%2Cstate"),
        "{}",
        sent.url
    );
    let body: Value = serde_json::from_slice(&sent.body).expect("JSON body");
    assert_eq!(
        body,
        json!({"short_description": "x", "correlation_id": "na:1", "correlation_display": "sluice"})
    );
    assert!(
        sent.headers
            .iter()
            .any(|(n, v)| n == "Accept" && v == "application/json"),
        "{sent:?}"
    );
}

#[test]
fn an_empty_201_names_the_record_in_location() {
    let (mut sink, _) = sink(vec![recorded(
        "output.ServiceNowOutputTest_insertRecordNoResponse",
        0,
    )]);
    let outcomes = sink.deliver(vec![create()]);
    let ActionOutcome::Done(ticket) = &outcomes[0] else {
        panic!("{outcomes:?}")
    };
    assert_eq!(ticket.id, "1715e02f4f33130058ae7e918110c794");
    assert_eq!(ticket.number, "", "not in the answer");
}

#[test]
fn an_aborted_insert_is_failed_with_message_and_detail() {
    let (mut sink, _) = sink(vec![recorded(
        "output.ServiceNowOutputTest_insertRecordError",
        1,
    )]);
    let outcomes = sink.deliver(vec![create()]);
    let ActionOutcome::Failed(error) = &outcomes[0] else {
        panic!("{outcomes:?}")
    };
    assert_eq!(error.kind(), ErrorKind::Rejected);
    assert!(
        error.message().ends_with(
            "HTTP 403 Operation Failed: Error during insert of incident (2135483521432)"
        ),
        "{error}"
    );
}

#[test]
fn no_record_found_is_not_found_for_a_get_and_failed_for_a_write() {
    let not_found = recorded("output.ServiceNowOutputTest_deleteNonExistingRecord", 0);
    let (mut sink, _) = sink(vec![not_found.clone(), not_found]);
    let outcomes = sink.deliver(vec![
        TicketAction::Get {
            ticket: SYS_ID.into(),
        },
        TicketAction::AddNote {
            ticket: SYS_ID.into(),
            journal: Journal::WorkNotes,
            text: "x".into(),
        },
    ]);
    assert_eq!(outcomes[0], ActionOutcome::NotFound);
    let ActionOutcome::Failed(error) = &outcomes[1] else {
        panic!("{outcomes:?}")
    };
    assert!(
        error.message().contains(
            "HTTP 404 No Record found: Record doesn't exist or ACL restricts the record retrieval"
        ),
        "{error}"
    );
}

#[test]
fn an_update_answer_becomes_the_ticket() {
    let (mut sink, requests) = sink(vec![recorded(
        "output.ServiceNowOutputTest_updateRecord",
        1,
    )]);
    let id = "8425e02f4f33130058ae7e918110c7ba";
    let outcomes = sink.deliver(vec![TicketAction::AddNote {
        ticket: id.into(),
        journal: Journal::WorkNotes,
        text: "again".into(),
    }]);
    let ActionOutcome::Done(ticket) = &outcomes[0] else {
        panic!("{outcomes:?}")
    };
    assert_eq!((ticket.id.as_str(), ticket.state.as_str()), (id, "1"));
    assert_eq!(ticket.fields.get("sys_mod_count"), Some("1"));
    let requests = requests.lock().map(|r| r.clone()).unwrap_or_default();
    assert_eq!(requests[0].method, "PATCH");
    assert!(requests[0]
        .url
        .contains(&format!("/api/now/v2/table/incident/{id}?")));
}

#[test]
fn lookups_read_an_empty_and_a_full_list() {
    let (mut sink, requests) = sink(vec![
        recorded(
            "service.ServiceNowTableServiceTest_guessTableSchemaWhenNoRecordTest",
            0,
        ),
        recorded("service.TableApiClientTest_healthCheckOk", 0),
    ]);
    let outcomes = sink.deliver(vec![
        TicketAction::FindByCorrelation {
            correlation_id: "na:none".into(),
        },
        TicketAction::FindByCorrelation {
            correlation_id: "na:1".into(),
        },
    ]);
    assert_eq!(outcomes[0], ActionOutcome::NotFound);
    let ActionOutcome::Done(ticket) = &outcomes[1] else {
        panic!("{outcomes:?}")
    };
    assert_eq!(ticket.number, "00F0B");
    let requests = requests.lock().map(|r| r.clone()).unwrap_or_default();
    assert!(
        requests[1]
            .url
            .contains("sysparm_query=correlation_id%3Dna%3A1%5EORDERBYDESCsys_created_on"),
        "{}",
        requests[1].url
    );
    // Two rows: a second one would be a duplicate incident, to report.
    assert!(requests[1].url.contains("sysparm_limit=2"));
}

#[test]
fn the_recorded_401_is_a_credentials_error_without_the_password() {
    let (mut sink, _) = sink(vec![recorded(
        "service.TableApiClientTest_healthCheckInvalidCredentials",
        0,
    )]);
    let error = sink.healthcheck().expect_err("401");
    assert_eq!(error.kind(), ErrorKind::Credentials);
    assert!(error.message().contains("`admin`"), "{error}");
    assert!(
        error
            .message()
            .contains("Required to provide Auth information"),
        "{error}"
    );
    assert!(!error.message().contains("not-the-real-one"), "{error}");
}
