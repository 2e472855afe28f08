//! Fault modes, request statistics and the profile switches (release-independent).

use super::*;

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

/// The remaining switches for unverified behaviour, each flipped once.
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
