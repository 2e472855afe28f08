//! Reading and changing incidents: queries by correlation id, the work-notes journal, attachments, reopening.

use super::*;

per_release!(
    query_by_correlation_id_newest_first,
    work_notes_journal,
    attachments_round_trip,
    reopen_resolved_incident,
);

async fn query_by_correlation_id_newest_first(release: Release) {
    let sn = start_release(release).await;
    let older = sn
        .create(json!({"correlation_id": "ax1:9f2c", "short_description": "older"}))
        .await;
    sn.sn.advance(Duration::from_secs(60));
    let newer = sn
        .create(json!({"correlation_id": "ax1:9f2c", "short_description": "newer"}))
        .await;
    sn.create(json!({"correlation_id": "ax1:other"})).await;
    let query = "sysparm_query=correlation_id%3Dax1%3A9f2c%5Eactive%3Dtrue%5EORDERBYDESCsys_created_on\
                 &sysparm_limit=1&sysparm_fields=sys_id,number,state,incident_state,active,correlation_id\
                 &sysparm_exclude_reference_link=true";
    let reply = sn.get(&format!("{INCIDENTS}?{query}")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some(JSON_CT));
    assert_eq!(reply.header("x-total-count"), Some("2"));
    let rows = reply.result();
    assert_eq!(
        rows,
        json!([{
            "sys_id": newer["sys_id"], "number": newer["number"], "state": "1",
            "incident_state": "1", "active": "true", "correlation_id": "ax1:9f2c",
        }])
    );
    let link = reply.header("link").expect("a Link header");
    assert!(
        link.contains("rel=\"first\"")
            && link.contains("rel=\"next\"")
            && link.contains("rel=\"last\""),
        "{link}"
    );
    assert!(link.contains("sysparm_offset=1>;rel=\"next\""), "{link}");
    // Ascending order puts the older one first; correlation_display is stored too.
    let reply = sn
        .get(&format!("{INCIDENTS}?sysparm_query=correlation_id=ax1:9f2c^ORDERBYsys_created_on&sysparm_fields=sys_id"))
        .await;
    assert_eq!(reply.result()[0]["sys_id"], older["sys_id"]);
    // A typo'd field is ignored by default (the result widens) …
    let reply = sn
        .get(&format!(
            "{INCIDENTS}?sysparm_query=correltion_id=ax1:9f2c&sysparm_fields=sys_id"
        ))
        .await;
    assert_eq!(reply.header("x-total-count"), Some("3"));
    // … or matches nothing with the switch.
    let mut profile = sn.sn.profile();
    profile.invalid_query = InvalidQuery::NoRows;
    sn.sn.set_profile(profile);
    let reply = sn
        .get(&format!(
            "{INCIDENTS}?sysparm_query=correltion_id=ax1:9f2c&sysparm_fields=sys_id"
        ))
        .await;
    assert_eq!(reply.header("x-total-count"), Some("0"));
    // `field=value` shorthand filters: a 2018-era behaviour (profile switch).
    let reply = sn
        .get(&format!(
            "{INCIDENTS}?correlation_id=ax1:other&sysparm_fields=sys_id"
        ))
        .await;
    let shorthand = release >= Release::Kingston;
    assert_eq!(
        reply.header("x-total-count"),
        Some(if shorthand { "1" } else { "3" })
    );
    // An absurd offset is an empty page, not a crash.
    let reply = sn
        .get(&format!(
            "{INCIDENTS}?sysparm_offset=18446744073709551615&sysparm_limit=5"
        ))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.result(), json!([]));
}

async fn work_notes_journal(release: Release) {
    let sn = start_release(release).await;
    let created = sn
        .create(json!({"short_description": "disk", "work_notes": "first seen"}))
        .await;
    let id = text(&created["sys_id"]).to_owned();
    assert_eq!(created["work_notes"], json!(""));
    sn.sn.advance(Duration::from_secs(5));
    let reply = sn.patch(&id, json!({"work_notes": "still firing"})).await;
    assert_eq!(reply.status, 200);
    let result = reply.result();
    assert_eq!(
        result["work_notes"],
        json!(""),
        "value mode reads journals back empty"
    );
    assert_eq!(result["sys_mod_count"], json!("1"));
    assert_ne!(result["sys_updated_on"], created["sys_updated_on"]);
    // PUT is a partial update too; comments are a second journal.
    let reply = sn
        .call(
            Method::PUT,
            &format!("{INCIDENTS}/{id}"),
            Some(json!({"comments": "we are on it"})),
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.result()["short_description"], json!("disk"));
    let journal = sn.sn.journal(&id);
    let texts: Vec<_> = journal
        .iter()
        .map(|e| (e.element.as_str(), e.value.as_str()))
        .collect();
    assert_eq!(
        texts,
        [
            ("work_notes", "first seen"),
            ("work_notes", "still firing"),
            ("comments", "we are on it")
        ]
    );
    let shown = sn
        .get(&format!(
            "{INCIDENTS}/{id}?sysparm_display_value=true&sysparm_fields=work_notes,comments"
        ))
        .await
        .result();
    let notes = text(&shown["work_notes"]);
    let expected = format!(
        "{} - Sluice Integration (Work notes)\nstill firing\n\n{} - Sluice Integration (Work notes)\nfirst seen\n\n",
        journal[1].created_on, journal[0].created_on
    );
    assert_eq!(notes, expected);
    assert!(text(&shown["comments"]).contains("(Additional comments)\nwe are on it"));
    // sys_journal_field rows (one per entry, found by element_id), as adapters read them.
    let rows = sn
        .get(&format!(
            "/api/now/v2/table/sys_journal_field?sysparm_query=element_id={id}^element=work_notes^name=incident^ORDERBYDESCsys_created_on\
             &sysparm_fields=sys_id,name,element,element_id,value,sys_created_on,sys_created_by"
        ))
        .await
        .result();
    assert_eq!(rows.as_array().map(Vec::len), Some(2));
    assert_eq!(rows[0]["value"], json!("still firing"));
    assert_eq!(rows[0]["sys_created_by"], json!("sluice"));
    assert_eq!(rows[0]["element_id"], json!(id));
    // An empty note adds nothing.
    sn.patch(&id, json!({"work_notes": ""})).await;
    assert_eq!(sn.sn.journal(&id).len(), 3);
}

async fn attachments_round_trip(release: Release) {
    let sn = start_release(release).await;
    let id = text(&sn.create(json!({})).await["sys_id"]).to_owned();
    let content =
        b"Filesystem  Size  Used Avail Use% Mounted on\n/dev/sdb1   200G  190G   10G  95% /var\n";
    let reply = sn
        .send(
            sn.req(Method::POST, &format!("/api/now/attachment/file?table_name=incident&table_sys_id={id}&file_name=df-output.txt"))
                .header(CONTENT_TYPE, "text/plain")
                .body(content.to_vec()),
        )
        .await;
    assert_eq!(reply.status, 201);
    let meta = reply.result();
    let attachment_id = text(&meta["sys_id"]).to_owned();
    let expected_keys: BTreeSet<&str> = [
        "table_sys_id",
        "table_name",
        "file_name",
        "content_type",
        "size_bytes",
        "size_compressed",
        "compressed",
        "download_link",
        "image_width",
        "image_height",
        "average_image_color",
        "sys_id",
        "sys_created_on",
        "sys_created_by",
        "sys_updated_on",
        "sys_updated_by",
        "sys_mod_count",
        "sys_tags",
    ]
    .into_iter()
    // Today's instances add these (see `apis.rs`).
    .chain(
        [
            "hash",
            "chunk_size_bytes",
            "state",
            "created_by_name",
            "updated_by_name",
        ]
        .into_iter()
        .filter(|_| release >= Release::Quebec),
    )
    .collect();
    let keys: BTreeSet<&str> = meta
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, expected_keys);
    assert!(meta
        .as_object()
        .expect("object")
        .values()
        .all(Value::is_string));
    assert_eq!(meta["size_bytes"], json!(content.len().to_string()));
    assert_eq!(meta["content_type"], json!("text/plain"));
    let download = format!("{}/api/now/attachment/{attachment_id}/file", sn.base());
    assert_eq!(meta["download_link"], json!(download));
    assert_eq!(
        reply.header("location"),
        Some(format!("{}/api/now/attachment/{attachment_id}", sn.base()).as_str())
    );
    // Multipart, fields first and the file part last, on the versioned path.
    let body = format!(
        "--b0undary\r\nContent-Disposition: form-data; name=\"table_name\"\r\n\r\nincident\r\n\
         --b0undary\r\nContent-Disposition: form-data; name=\"table_sys_id\"\r\n\r\n{id}\r\n\
         --b0undary\r\nContent-Disposition: form-data; name=\"uploadFile\"; filename=\"trace.log\"\r\nContent-Type: text/plain\r\n\r\nline 1\r\nline 2\r\n--b0undary--\r\n"
    );
    let reply = sn
        .send(
            sn.req(Method::POST, "/api/now/v1/attachment/upload")
                .header(CONTENT_TYPE, "multipart/form-data; boundary=b0undary")
                .body(body),
        )
        .await;
    assert_eq!(
        reply.status,
        201,
        "{:?}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.result()["file_name"], json!("trace.log"));
    assert!(reply
        .header("location")
        .is_some_and(|l| l.contains("/api/now/v1/attachment/")));
    // List with a query, metadata, content.
    let listed = sn
        .get(&format!(
            "/api/now/attachment?sysparm_query=table_sys_id={id}^file_name=df-output.txt"
        ))
        .await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.result().as_array().map(Vec::len), Some(1));
    assert_eq!(
        sn.get(&format!("/api/now/attachment/{attachment_id}"))
            .await
            .result()["file_name"],
        json!("df-output.txt")
    );
    let file = sn
        .send(
            sn.req(
                Method::GET,
                &format!("/api/now/v1/attachment/{attachment_id}/file"),
            )
            .header("Accept", "*/*"),
        )
        .await;
    assert_eq!(file.status, 200);
    assert_eq!(file.body, content.to_vec());
    assert_eq!(file.header("content-type"), Some("text/plain"));
    let header_meta: Value = serde_json::from_str(
        file.header("x-attachment-metadata")
            .expect("metadata header"),
    )
    .expect("JSON metadata");
    assert_eq!(header_meta["sys_id"], json!(attachment_id));
    let stored = sn.sn.attachments(&id);
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0].bytes, content.to_vec());
    assert_eq!(stored[1].bytes, b"line 1\r\nline 2".to_vec());
    // Errors: no Content-Type → 400; unknown record → 404; missing parameter → 400.
    let reply = sn
        .send(
            sn.req(
                Method::POST,
                &format!(
                    "/api/now/attachment/file?table_name=incident&table_sys_id={id}&file_name=x"
                ),
            )
            .body("x"),
        )
        .await;
    assert_eq!(reply.status, 400);
    let reply = sn
        .send(
            sn.req(Method::POST, "/api/now/attachment/file?table_name=incident&table_sys_id=0123456789abcdef0123456789abcdef&file_name=x")
                .header(CONTENT_TYPE, "text/plain")
                .body("x"),
        )
        .await;
    assert_eq!(reply.status, 404);
    let reply = sn
        .send(
            sn.req(
                Method::POST,
                "/api/now/attachment/file?table_name=incident&file_name=x",
            )
            .header(CONTENT_TYPE, "text/plain")
            .body("x"),
        )
        .await;
    assert_eq!(reply.status, 400);
    // Delete: 204, then 404.
    let reply = sn
        .call(
            Method::DELETE,
            &format!("/api/now/attachment/{attachment_id}"),
            None,
        )
        .await;
    assert_eq!(reply.status, 204);
    assert!(reply.body.is_empty());
    assert_eq!(
        sn.get(&format!("/api/now/attachment/{attachment_id}"))
            .await
            .status,
        404
    );
    assert_eq!(sn.sn.attachments(&id).len(), 1);
}

async fn reopen_resolved_incident(release: Release) {
    let sn = start_release(release).await;
    let id = text(&sn.create(json!({"short_description": "flapping"})).await["sys_id"]).to_owned();
    let reply = sn
        .patch(
            &id,
            json!({"state": "6", "close_code": close_codes(release).0, "close_notes": "recovered"}),
        )
        .await;
    assert_eq!(reply.status, 200);
    let resolved = reply.result();
    assert_eq!(
        (
            text(&resolved["state"]),
            text(&resolved["incident_state"]),
            text(&resolved["active"])
        ),
        ("6", "6", "true")
    );
    assert!(is_glide_date_time(text(&resolved["resolved_at"])));
    assert_eq!(resolved["resolved_by"], json!(API_USER_SYS_ID));
    let reply = sn
        .patch(
            &id,
            json!({"state": "2", "work_notes": "re-fired; reopening"}),
        )
        .await;
    assert_eq!(reply.status, 200);
    let reopened = reply.result();
    assert_eq!(
        (
            text(&reopened["state"]),
            text(&reopened["incident_state"]),
            text(&reopened["active"])
        ),
        ("2", "2", "true")
    );
    assert_eq!(reopened["reopen_count"], json!("1"));
    assert_eq!(reopened["resolved_at"], json!(""));
    // Old state model (upgraded instance): 2 is "Active", 4 exists, 8 does not.
    let mut profile = sn.sn.profile();
    profile.state_model = StateModel::Old;
    sn.sn.set_profile(profile);
    assert_eq!(
        sn.patch(&id, json!({"state": "4"})).await.result()["state"],
        json!("4")
    );
    assert_eq!(
        sn.patch(&id, json!({"state": "8"})).await.result()["state"],
        json!("4"),
        "8 is dropped"
    );
    let shown = sn
        .get(&format!(
            "{INCIDENTS}/{id}?sysparm_display_value=true&sysparm_fields=state"
        ))
        .await
        .result();
    assert_eq!(shown["state"], json!("Awaiting User Info"));
}
