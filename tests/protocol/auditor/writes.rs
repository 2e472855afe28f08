//! The write endpoint: XML and JSON bodies, validation, RIDs, archive-only records.

use super::search::write_search_fixture;
use super::*;

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
