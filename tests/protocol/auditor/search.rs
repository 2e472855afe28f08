//! Searching: the documented filters, operators, timeframes, working hours, paging with the filters.

use super::*;

/// The hand-made record set, written through the write endpoint in XML.
pub(super) async fn write_search_fixture(env: &Env) {
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
            r#"<MonitoringPlan Operator="StartsWith">cl</MonitoringPlan>"#,
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
async fn a_filter_outside_the_schema_is_refused_not_ignored() {
    let env = default_env().await;
    write_search_fixture(&env).await;
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><ActivityRecordSearch xmlns="{ACTIVITY_RECORDS_NS}"><FilterList><Who>jdoe</Who><Colour>blue</Colour></FilterList></ActivityRecordSearch>"#
    );
    let reply = env.post("activity_records/search", body).await;
    assert_error_xml(&reply, "XMLError");
    assert!(reply.body.contains("FilterList/Colour"), "{}", reply.body);
    let reply = env
        .post_json(
            "activity_records/search?format=json",
            &json!({"FilterList": {"Who": "jdoe", "Colour": "blue"}}),
        )
        .await;
    assert_error_json(&reply, "InputError");
    assert!(reply.body.contains("FilterList/Colour"), "{}", reply.body);
    // The documented filters alone still search.
    assert_eq!(
        search_json(&env, json!({"Who": "jdoe"})).await,
        [r"CORP\jdoe"]
    );
}
