//! Creating incidents: the captured field set, defaults, links, `Location`, `X-no-response-body`.

use super::*;

per_release!(
    create_matches_the_capture,
    create_defaults_links_and_location,
    no_response_body_header,
);

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
    // sysparm_suppress_auto_sys_field lets the client set sys_* columns.
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
    let honoured = release >= Release::Kingston;
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
