//! Collections and rendering: v1/v2 empty results, paging headers, display values, reference tables, OAuth, priority and state rules.

use super::*;

per_release!(
    v1_and_v2_empty_results,
    pagination_headers,
    display_value_modes,
    choices_groups_and_users,
    oauth_grants_and_bearer,
    priority_and_state_rules,
);

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
    let codes = if release >= Release::WashingtonDc {
        "10"
    } else {
        "7"
    };
    assert_eq!(count("close_code").await.as_deref(), Some(codes));
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
    // Expiry follows the emulator clock: the same 401 as bad Basic credentials, as on a real
    // instance.
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
