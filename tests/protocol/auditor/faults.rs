//! Fault modes (503, dropped connections, truncated bodies, an endless mark) and request statistics.

use super::*;

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
