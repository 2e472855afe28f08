//! The other APIs and forms today's documentation describes, per release profile: XML from
//! the Table API (`Accept: application/xml`), the Batch API (`POST /api/now/v1/batch`, from
//! London), the Aggregate API (`GET /api/now/stats/{table}`), and the attachment metadata of
//! today's instances (`hash`, `created_by_name`, …). Request and answer shapes are the ones in
//! ServiceNow's REST API reference.

use base64::Engine as _;
use sha2::Digest as _;

use super::*;

per_release!(
    table_api_serves_xml,
    batch_api_from_london,
    aggregate_api_counts_and_groups,
    attachment_metadata_of_the_era
);

async fn table_api_serves_xml(release: Release) {
    let sn = start_release(release).await;
    sn.create(json!({"short_description": "in <xml> & out"}))
        .await;
    let accepting = |path: &str, accept: &'static str| {
        sn.http
            .get(format!("{}{path}", sn.base()))
            .basic_auth("sluice", Some("sluice"))
            .header("Accept", accept)
    };
    let xml = |path: &str| accepting(path, "application/xml");
    let reply = sn.send(xml(INCIDENTS)).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("application/xml;charset=UTF-8")
    );
    let body = String::from_utf8_lossy(&reply.body).into_owned();
    assert!(
        body.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?><response><result>"#),
        "{body}"
    );
    assert!(
        body.contains("<short_description>in &lt;xml&gt; &amp; out</short_description>"),
        "{body}"
    );
    assert_eq!(reply.header("x-total-count"), Some("1"));
    // Errors too.
    let missing = sn
        .send(xml(&format!(
            "{INCIDENTS}/0123456789abcdef0123456789abcdef"
        )))
        .await;
    assert_eq!(missing.status, 404);
    let body = String::from_utf8_lossy(&missing.body).into_owned();
    assert!(
        body.contains("<message>No Record found</message>")
            && body.contains("<status>failure</status>"),
        "{body}"
    );
    // JSON stays the default, and wins when both are acceptable.
    let both = sn
        .send(accepting(INCIDENTS, "application/json, application/xml"))
        .await;
    assert_eq!(both.header("content-type"), Some(JSON_CT));
}

async fn batch_api_from_london(release: Release) {
    let sn = start_release(release).await;
    let engine = base64::engine::general_purpose::STANDARD;
    let json_headers = json!([
        {"name": "Content-Type", "value": "application/json"},
        {"name": "Accept", "value": "application/json"},
    ]);
    let batch = json!({
        "batch_request_id": "1",
        "rest_requests": [
            {"id": "11", "headers": json_headers, "method": "POST", "url": INCIDENTS,
             "body": engine.encode(r#"{"short_description":"from a batch"}"#)},
            {"id": "12", "headers": json_headers, "method": "GET", "exclude_response_headers": true,
             "url": format!("{INCIDENTS}?sysparm_query=short_description=from%20a%20batch")},
            {"id": "13", "headers": json_headers, "method": "GET",
             "url": format!("{INCIDENTS}/0123456789abcdef0123456789abcdef")},
        ],
    });
    let reply = sn
        .call(Method::POST, "/api/now/v1/batch", Some(batch))
        .await;
    if release < Release::London {
        reply.assert_error(
            400,
            "Requested URI does not represent any resource",
            Value::Null,
        );
        assert!(sn.sn.incidents().is_empty());
        return;
    }
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let answer = reply.json();
    assert_eq!(answer["batch_request_id"], "1");
    assert_eq!(answer["unserviced_requests"], json!([]));
    let items = answer["serviced_requests"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let statuses: Vec<(&str, u64)> = items
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap_or(""),
                i["status_code"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(statuses, [("11", 201), ("12", 200), ("13", 404)]);
    assert_eq!(items[0]["status_text"], "Created");
    assert!(items[0]["headers"]
        .as_array()
        .is_some_and(|h| !h.is_empty()));
    assert_eq!(items[1]["headers"], json!([]));
    let decoded = engine
        .decode(items[1]["body"].as_str().unwrap_or(""))
        .unwrap_or_default();
    let found: Value = serde_json::from_slice(&decoded).unwrap_or(Value::Null);
    assert_eq!(found["result"][0]["short_description"], "from a batch");
    assert_eq!(sn.sn.incidents().len(), 1);
    // The batch's credentials are each item's: without them, nothing runs.
    let anonymous = sn
        .send(
            sn.http
                .post(format!("{}/api/now/v1/batch", sn.base()))
                .header(CONTENT_TYPE, "application/json")
                .body(json!({"rest_requests": []}).to_string()),
        )
        .await;
    assert_eq!(anonymous.status, 401);
}

async fn aggregate_api_counts_and_groups(release: Release) {
    let sn = start_release(release).await;
    for (impact, urgency) in [("1", "1"), ("2", "2"), ("2", "3")] {
        sn.create(json!({"impact": impact, "urgency": urgency}))
            .await;
    }
    let count = sn
        .get("/api/now/stats/incident?sysparm_count=true&sysparm_query=impact=2")
        .await;
    assert_eq!(count.status, 200);
    assert_eq!(count.json(), json!({"result": {"stats": {"count": "2"}}}));
    let grouped = sn
        .get("/api/now/v1/stats/incident?sysparm_count=true&sysparm_group_by=impact&sysparm_avg_fields=urgency")
        .await;
    assert_eq!(
        grouped.result(),
        json!([
            {"stats": {"count": "1", "avg": {"urgency": "1.0000"}},
             "groupby_fields": [{"value": "1", "field": "impact"}]},
            {"stats": {"count": "2", "avg": {"urgency": "2.5000"}},
             "groupby_fields": [{"value": "2", "field": "impact"}]},
        ])
    );
    sn.get("/api/now/stats/incident?sysparm_count=true&sysparm_having=count^impact^>^1")
        .await
        .assert_error(
            400,
            "sysparm_having is not supported by this emulator",
            Value::Null,
        );
    sn.get("/api/now/stats/nope?sysparm_count=true")
        .await
        .assert_error(400, "Invalid table nope", Value::Null);
}

async fn attachment_metadata_of_the_era(release: Release) {
    let sn = start_release(release).await;
    let id = text(&sn.create(json!({})).await["sys_id"]).to_owned();
    let content = b"Account Locked Out: False -> True\n";
    let reply = sn
        .send(
            sn.req(
                Method::POST,
                &format!("/api/now/attachment/file?table_name=incident&table_sys_id={id}&file_name=note.txt"),
            )
            .header(CONTENT_TYPE, "text/plain")
            .body(content.to_vec()),
        )
        .await;
    assert_eq!(reply.status, 201);
    let meta = reply.result();
    if release < Release::Quebec {
        assert!(meta.get("hash").is_none(), "{meta}");
        return;
    }
    let hash: String = sha2::Sha256::digest(content)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(meta["hash"], hash);
    assert_eq!(meta["created_by_name"], "Sluice Integration");
    assert_eq!(meta["updated_by_name"], "Sluice Integration");
    assert_eq!(meta["state"], "available");
    assert!(meta["chunk_size_bytes"]
        .as_str()
        .is_some_and(|s| !s.is_empty()));
}
