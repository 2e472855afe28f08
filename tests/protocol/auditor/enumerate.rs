//! Enumerating: the first page, continuation marks in XML and JSON, the end of the data.

use super::*;

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
