//! What today's releases add, per release profile, as ServiceNow documents it: the OAuth
//! client-credentials grant (Washington DC on, only where the instance enables it; no user in
//! the request), API keys in `x-sn-apikey` (Washington DC on, where the plugin is active),
//! and the Security Incident Response table `sn_si_incident` (where the application is
//! installed; a close only from Review, with a closure code).

use super::*;

per_release!(
    client_credentials_per_release,
    api_keys_per_release,
    security_incidents_per_release
);

/// `POST /oauth_token.do` with `form`; status and JSON body.
async fn token(sn: &Instance, form: &[(&str, &str)]) -> (u16, Value) {
    let body: String = form
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let response = sn
        .http
        .post(format!("{}/oauth_token.do", sn.base()))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("a response");
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap_or_default();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, body)
}

const CLIENT_CREDENTIALS: [(&str, &str); 3] = [
    ("grant_type", "client_credentials"),
    ("client_id", "sluice"),
    ("client_secret", "sluice-secret"),
];

async fn client_credentials_per_release(release: Release) {
    let mut config = ServiceNowConfig::for_release(release);
    // Off by default everywhere: the instance's administrator enables the grant.
    let (status, body) = token(&start(config.clone()).await, &CLIENT_CREDENTIALS).await;
    assert_eq!(status, 401, "{release}: {body}");
    assert_eq!(
        body,
        json!({"error_description": "access_denied", "error": "server_error"})
    );
    config.profile.client_credentials = true;
    let sn = start(config).await;
    let (status, body) = token(&sn, &CLIENT_CREDENTIALS).await;
    if release < Release::WashingtonDc {
        assert_eq!(
            status, 401,
            "{release} has no client-credentials grant: {body}"
        );
        return;
    }
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 1799);
    assert!(body.get("refresh_token").is_none(), "{body}");
    let access = text(&body["access_token"]).to_owned();
    let reply = sn
        .send(
            sn.http
                .get(format!("{}{INCIDENTS}", sn.base()))
                .bearer_auth(&access),
        )
        .await;
    assert_eq!(reply.status, 200);
    // A wrong secret is refused like any bad client.
    let wrong = [
        CLIENT_CREDENTIALS[0],
        CLIENT_CREDENTIALS[1],
        ("client_secret", "no"),
    ];
    assert_eq!(token(&sn, &wrong).await.0, 401);
}

async fn api_keys_per_release(release: Release) {
    let sn = start_release(release).await;
    let keyed = |method: Method, key: &str| {
        sn.http
            .request(method, format!("{}{INCIDENTS}", sn.base()))
            .header("x-sn-apikey", key)
            .header("Accept", "application/json")
    };
    let with_key = |key: &str| keyed(Method::GET, key);
    let reply = sn.send(with_key("sluice-api-key")).await;
    if release < Release::WashingtonDc {
        // No plugin: the header means nothing, and a request without credentials is refused.
        assert_eq!(reply.status, 401, "{release}");
        return;
    }
    assert_eq!(reply.status, 200, "{release}");
    // Created records are the key's user's.
    let created = sn
        .send(
            keyed(Method::POST, "sluice-api-key")
                .header(CONTENT_TYPE, "application/json")
                .body(json!({"short_description": "by key"}).to_string()),
        )
        .await;
    let sys_id = text(&created.result()["sys_id"]).to_owned();
    let stored = sn.sn.incident(&sys_id).expect("created");
    assert_eq!(stored.get("opened_by"), API_USER_SYS_ID);
    assert_eq!(sn.send(with_key("another-key")).await.status, 401);
    assert!(sn.sn.revoke_api_key("sluice-api-key"));
    assert_eq!(sn.send(with_key("sluice-api-key")).await.status, 401);
}

async fn security_incidents_per_release(release: Release) {
    let sn = start_release(release).await;
    let path = "/api/now/table/sn_si_incident";
    let installed = sn.sn.profile().security_incident_response;
    assert_eq!(installed, release >= Release::WashingtonDc);
    if !installed {
        sn.get(path)
            .await
            .assert_error(400, "Invalid table sn_si_incident", Value::Null);
        return;
    }
    let states = sn.sn.profile().security_incident_states;
    let value = |label: &str| {
        states
            .iter()
            .find(|(_, l)| l == label)
            .map(|(v, _)| v.clone())
            .unwrap_or_default()
    };
    // The states and closure codes are in sys_choice for clients to read.
    let choices = sn
        .get("/api/now/table/sys_choice?sysparm_query=name=sn_si_incident^element=state")
        .await;
    assert_eq!(
        choices.result().as_array().map(Vec::len),
        Some(states.len())
    );
    let created = sn
        .call(
            Method::POST,
            path,
            Some(json!({"short_description": "Password spray", "work_notes": "from SIEM"})),
        )
        .await;
    assert_eq!(created.status, 201);
    let record = created.result();
    assert!(text(&record["number"]).starts_with("SIR"));
    assert_eq!(record["state"], value("Draft"));
    let id = text(&record["sys_id"]).to_owned();
    let at = format!("{path}/{id}");
    let code = sn.sn.profile().security_incident_close_codes[0].clone();
    let close = json!({"state": value("Closed"), "close_code": code, "close_notes": "n"});
    // A close outside Review is aborted; without a closure code it is refused by policy.
    let reply = sn.call(Method::PATCH, &at, Some(close.clone())).await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.json()["error"]["message"], "Operation Failed");
    let review = json!({"state": value("Review")});
    assert_eq!(sn.call(Method::PATCH, &at, Some(review)).await.status, 200);
    sn.call(Method::PATCH, &at, Some(json!({"state": value("Closed")})))
        .await
        .assert_error(
            403,
            "Operation Failed",
            json!("Data Policy Exception: The following fields are mandatory: Closure code"),
        );
    let closed = sn.call(Method::PATCH, &at, Some(close)).await;
    assert_eq!(closed.status, 200);
    assert_eq!(closed.result()["active"], "false");
    // Closed records are read-only for a non-admin, as incidents are.
    let note = json!({"work_notes": "late"});
    assert_eq!(sn.call(Method::PATCH, &at, Some(note)).await.status, 403);
}
