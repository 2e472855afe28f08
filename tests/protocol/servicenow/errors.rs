//! Errors with the documented status, headers and body: 401, 403 (ACL, data policy), 404, 400, 405, 429.

use super::*;

per_release!(
    errors_401,
    errors_403_acl,
    errors_403_data_policy,
    errors_404_400_405,
    errors_429_rate_limit,
);

async fn errors_401(release: Release) {
    let sn = start_release(release).await;
    let check = |reply: Reply| {
        reply.assert_error(
            401,
            "User Not Authenticated",
            json!("Required to provide Auth information"),
        );
        assert_eq!(
            reply.header("www-authenticate"),
            Some("BASIC realm=\"Service-now\"")
        );
    };
    let url = format!("{}{INCIDENTS}?sysparm_limit=1", sn.base());
    check(
        sn.send(sn.http.get(&url).basic_auth("sluice", Some("wrong")))
            .await,
    );
    check(sn.send(sn.http.get(&url)).await);
    check(sn.send(sn.http.get(&url).bearer_auth("not-a-token")).await);
    check(
        sn.send(
            sn.http
                .post(format!("{}/api/now/attachment/file", sn.base())),
        )
        .await,
    );
    check(
        sn.send(sn.http.get(format!("{}/api/now/nothing/here", sn.base())))
            .await,
    );
    assert!(sn.sn.incidents().is_empty());
}

async fn errors_403_acl(release: Release) {
    let sn = start_release(release).await;
    let id = text(&sn.create(json!({})).await["sys_id"]).to_owned();
    assert!(sn.sn.set_state(&id, "7"), "an agent closes it");
    let closed = sn.sn.incident(&id).expect("incident");
    assert!(!closed.is_active());
    assert!(!closed.get("closed_at").is_empty());
    assert_eq!(sn.sn.profile().closed_writes, ClosedWrites::Strict);
    sn.patch(&id, json!({"work_notes": "alert re-fired"}))
        .await
        .assert_error(
            403,
            "Operation Failed",
            json!("ACL Exception Update Failed due to security constraints"),
        );
    assert!(sn.sn.journal(&id).is_empty());
    // The admin credential passes the ACL.
    let reply = sn
        .send(
            sn.http
                .patch(format!("{}{INCIDENTS}/{id}", sn.base()))
                .basic_auth("admin", Some("admin"))
                .header(CONTENT_TYPE, "application/json")
                .body(r#"{"work_notes":"admin note"}"#),
        )
        .await;
    assert_eq!(reply.status, 200);
    // Permissive profile: 200 and the note is appended (kibana#162557).
    let mut profile = sn.sn.profile();
    profile.closed_writes = ClosedWrites::Permissive;
    sn.sn.set_profile(profile);
    assert_eq!(
        sn.patch(&id, json!({"work_notes": "alert re-fired"}))
            .await
            .status,
        200
    );
    assert_eq!(sn.sn.journal(&id).len(), 2);
    // Writes to other tables are not allowed for the integration user.
    sn.call(
        Method::POST,
        "/api/now/table/sys_user_group",
        Some(json!({"name": "x"})),
    )
    .await
    .assert_error(
        403,
        "Operation Failed",
        json!("ACL Exception Insert Failed due to security constraints"),
    );
}

async fn errors_403_data_policy(release: Release) {
    let sn = start_release(release).await;
    let default_policy = sn.sn.profile().close_info;
    let expected_default = if release >= Release::Kingston {
        CloseInfoPolicy::DataPolicy
    } else {
        CloseInfoPolicy::None
    };
    assert_eq!(default_policy, expected_default);
    let mut profile = sn.sn.profile();
    profile.close_info = CloseInfoPolicy::DataPolicy;
    sn.sn.set_profile(profile);
    let id = text(&sn.create(json!({})).await["sys_id"]).to_owned();
    sn.patch(&id, json!({"state": "6"})).await.assert_error(
        403,
        "Operation Failed",
        json!("Data Policy Exception: The following fields are mandatory: Resolution code, Resolution notes"),
    );
    let (code, obsolete) = close_codes(release);
    sn.patch(&id, json!({"state": "6", "close_code": code}))
        .await
        .assert_error(
            403,
            "Operation Failed",
            json!("Data Policy Exception: The following fields are mandatory: Resolution notes"),
        );
    // A close_code of the other era's list is silently dropped (a value outside a choice list
    // is), which then trips the policy.
    sn.patch(
        &id,
        json!({"state": "6", "close_code": obsolete, "close_notes": "n"}),
    )
    .await
    .assert_error(
        403,
        "Operation Failed",
        json!("Data Policy Exception: The following fields are mandatory: Resolution code"),
    );
    assert_eq!(sn.sn.incident(&id).expect("incident").state(), "1");
    let reply = sn
        .patch(
            &id,
            json!({"state": "6", "close_code": code, "close_notes": "n"}),
        )
        .await;
    assert_eq!(reply.status, 200);
    // Without the policy, resolving bare is accepted.
    let mut profile = sn.sn.profile();
    profile.close_info = CloseInfoPolicy::None;
    sn.sn.set_profile(profile);
    let other = text(&sn.create(json!({})).await["sys_id"]).to_owned();
    assert_eq!(sn.patch(&other, json!({"state": "6"})).await.status, 200);
}

async fn errors_404_400_405(release: Release) {
    let sn = start_release(release).await;
    let missing = "0123456789abcdef0123456789abcdef";
    let no_record = json!("Record doesn't exist or ACL restricts the record retrieval");
    sn.get(&format!("{INCIDENTS}/{missing}"))
        .await
        .assert_error(404, "No Record found", no_record.clone());
    sn.patch(missing, json!({"work_notes": "x"}))
        .await
        .assert_error(404, "No Record found", no_record.clone());
    // The DELETE of the capture deleteNonExistingRecord.
    sn.call(Method::DELETE, &format!("{INCIDENTS}/NoId"), None)
        .await
        .assert_error(404, "No Record found", no_record);
    let reply = sn
        .send(
            sn.req(Method::POST, INCIDENTS)
                .header(CONTENT_TYPE, "application/json")
                .body(r#"{"short_description": "disk full","#),
        )
        .await;
    reply.assert_error(
        400,
        "Exception while reading request",
        json!("The payload is not valid JSON."),
    );
    sn.get("/api/now/v2/table/incidnet").await.assert_error(
        400,
        "Invalid table incidnet",
        Value::Null,
    );
    sn.call(Method::POST, "/api/now/table/incidnet", Some(json!({})))
        .await
        .assert_error(400, "Invalid table incidnet", Value::Null);
    sn.get("/api/now/v3/table/incident").await.assert_error(
        400,
        "Requested URI does not represent any resource",
        Value::Null,
    );
    // Over the 10 MB REST payload cap (KB0747638).
    let big = format!("{{\"description\":\"{}\"}}", "x".repeat(10_485_760));
    let reply = sn
        .send(
            sn.req(Method::POST, INCIDENTS)
                .header(CONTENT_TYPE, "application/json")
                .body(big.clone()),
        )
        .await;
    let detail = format!(
        "Rejected large REST payload with content-length = {} bytes. Max allowed: 10485760 bytes.",
        big.len()
    );
    reply.assert_error(400, "Exception while reading request", json!(detail));
    assert!(sn.sn.incidents().is_empty());
    // 405 for verbs a path does not take.
    let id = text(&sn.create(json!({})).await["sys_id"]).to_owned();
    let reply = sn
        .call(Method::POST, &format!("{INCIDENTS}/{id}"), Some(json!({})))
        .await;
    reply.assert_error(
        405,
        "Method not Supported",
        json!("POST method not supported for API"),
    );
    assert_eq!(sn.call(Method::DELETE, INCIDENTS, None).await.status, 405);
    // 406 when the client insists on something other than JSON or XML (XML: `apis.rs`);
    // 415 for a body the emulator does not read.
    assert_eq!(
        sn.send(
            sn.http
                .get(format!("{}{INCIDENTS}", sn.base()))
                .basic_auth("sluice", Some("sluice"))
                .header("Accept", "text/csv")
        )
        .await
        .status,
        406
    );
    let reply = sn
        .send(
            sn.req(Method::PATCH, &format!("{INCIDENTS}/{id}"))
                .header(CONTENT_TYPE, "application/xml")
                .body("<x/>"),
        )
        .await;
    assert_eq!(reply.status, 415);
}

async fn errors_429_rate_limit(release: Release) {
    let mut config = ServiceNowConfig::for_release(release);
    config.profile.rate_limit = Some(RateLimitRule::per_hour(2));
    let sn = start(config).await;
    for _ in 0..2 {
        let reply = sn.get(&format!("{INCIDENTS}?sysparm_limit=1")).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("x-ratelimit-limit"), Some("2"));
        assert!(reply.header("x-ratelimit-reset").is_some());
        assert_eq!(
            reply.header("x-ratelimit-rule"),
            Some("5f0d4a1c4f5d130058ae7e918110c702")
        );
    }
    let reply = sn.get(INCIDENTS).await;
    reply.assert_error(
        429,
        "Rate limit exceeded",
        json!("Rate limit of 2 requests per hour for Table API exceeded"),
    );
    let retry_after: u64 = reply
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=3600).contains(&retry_after));
    let reset: i64 = reply
        .header("x-ratelimit-reset")
        .expect("reset")
        .parse()
        .expect("unix time");
    assert_eq!(reset % 3600, 0);
    // The Attachment API is not covered by a Table API rule; the next hour resets the count.
    assert_eq!(sn.get("/api/now/attachment").await.status, 200);
    sn.sn.advance(Duration::from_secs(3600));
    assert_eq!(sn.get(INCIDENTS).await.status, 200);
}
