//! Errors: 405, 401 and authentication schemes, 404, malformed XML and JSON, bad counts and marks, 413.

use super::*;

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
            anonymous.challenges,
            ["Negotiate", "NTLM", "Basic realm=\"127.0.0.1\""],
            "one header per scheme, as HTTP.sys sends them; Basic names its realm"
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
        assert_eq!(wrong.challenges, anonymous.challenges);
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
    assert_eq!(
        reply.challenges,
        ["Negotiate", "NTLM"],
        "a server with Basic turned off does not offer it"
    );
    let basic = env
        .send(
            env.client
                .get(env.url("activity_records/enum"))
                .basic_auth(USER, Some(PASSWORD)),
        )
        .await;
    assert_empty(&basic, 401);
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
    // JSON posted without ?format=json is read as XML and refused, as documented.
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
