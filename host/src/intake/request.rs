//! Reading one request as one alert: form fields or JSON with Auditor's ids, or the CSV of
//! its "Write data to CSV file" mode. The checks are those of `sluice alert-response`: what
//! no response action sends (an unfilled placeholder, a control character in a name that
//! would forge log lines) is refused before anything is queued.

use serde::Deserialize;

use crate::handoff::{csv, Handoff, ResponseAlert, ResponsePipelines};
use sluice_core::Timestamp;

/// Why a request is not an alert; each is answered with its own status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum BadRequest {
    /// The body cannot be read as an alert (400).
    Malformed(String),
    /// The body is of another type (415).
    ContentType(String),
    /// No pipeline of this host takes it (422).
    Pipeline(String),
}

/// The fields of an alert by ids, as form fields or a JSON object.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertFields {
    alert_id: String,
    record_id: String,
    #[serde(default)]
    alert_name: Option<String>,
    #[serde(default)]
    pipeline: Option<String>,
}

/// The query string of a CSV request.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CsvQuery {
    #[serde(default)]
    alert_name: Option<String>,
    #[serde(default)]
    pipeline: Option<String>,
}

/// The body types read, for the answer to another.
pub(super) const ACCEPTED_TYPES: &str =
    "application/x-www-form-urlencoded, application/json or text/csv";

/// The alert a request with `content_type`, `query` and `body` carries, for the pipelines
/// `routes` gives, received `now`.
pub(super) fn alert(
    content_type: Option<&str>,
    query: Option<&str>,
    body: &[u8],
    routes: &ResponsePipelines,
    now: Timestamp,
) -> Result<ResponseAlert, BadRequest> {
    let essence = content_type
        .and_then(|t| t.split(';').next())
        .map(|t| t.trim().to_ascii_lowercase());
    match essence.as_deref() {
        Some("application/x-www-form-urlencoded") => {
            let fields = serde_urlencoded::from_bytes::<AlertFields>(body)
                .map_err(|e| BadRequest::Malformed(format!("the form fields: {e}")))?;
            by_ids(fields, routes, now)
        }
        Some("application/json") => {
            let fields = serde_json::from_slice::<AlertFields>(body)
                .map_err(|e| BadRequest::Malformed(format!("the JSON body: {e}")))?;
            by_ids(fields, routes, now)
        }
        Some("text/csv") => {
            let query: CsvQuery = match query {
                Some(q) => serde_urlencoded::from_str(q)
                    .map_err(|e| BadRequest::Malformed(format!("the query string: {e}")))?,
                None => CsvQuery::default(),
            };
            from_csv(query, body, routes, now)
        }
        _ => Err(BadRequest::ContentType(format!(
            "the body must be {ACCEPTED_TYPES}, not {}",
            content_type.map_or_else(|| "untyped".to_owned(), |t| format!("{t:?}"))
        ))),
    }
}

fn by_ids(
    fields: AlertFields,
    routes: &ResponsePipelines,
    now: Timestamp,
) -> Result<ResponseAlert, BadRequest> {
    let pipelines = routes
        .route(fields.pipeline.as_deref())
        .map_err(BadRequest::Pipeline)?;
    let alert = Handoff::new(
        pipelines,
        &fields.alert_id,
        &fields.record_id,
        fields.alert_name.as_deref(),
        now,
    );
    alert.check().map_err(BadRequest::Malformed)?;
    Ok(ResponseAlert::Ids(alert))
}

fn from_csv(
    query: CsvQuery,
    body: &[u8],
    routes: &ResponsePipelines,
    now: Timestamp,
) -> Result<ResponseAlert, BadRequest> {
    if let Some(name) = &query.alert_name {
        sluice_core::check_alert_name(name)
            .map_err(|p| BadRequest::Malformed(format!("the alert name {name:?} {p}")))?;
    }
    let pipelines = routes
        .route(query.pipeline.as_deref())
        .map_err(BadRequest::Pipeline)?;
    let rows = csv::parse(body, "the request body").map_err(BadRequest::Malformed)?;
    Ok(ResponseAlert::Csv {
        pipelines,
        rows,
        alert_name: query.alert_name,
        received_at: now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes() -> ResponsePipelines {
        let text = r#"
[pipelines.security.source]
type = "netwrix_auditor"
[pipelines.security.sink]
type = "servicenow"
[pipelines.audit]
intake.response_action = false
[pipelines.audit.source]
type = "netwrix_auditor"
[pipelines.audit.sink]
type = "servicenow"
"#;
        let file = sluice_core::ConfigFile::parse(
            std::path::Path::new("sluice.toml"),
            text.to_owned(),
            &sluice_core::SecretResolver::placeholders(),
        )
        .unwrap();
        ResponsePipelines::of(&file.config)
    }

    fn read(
        content_type: &str,
        query: Option<&str>,
        body: &str,
    ) -> Result<ResponseAlert, BadRequest> {
        alert(
            Some(content_type),
            query,
            body.as_bytes(),
            &routes(),
            Timestamp::from_millis(7),
        )
    }

    #[test]
    fn form_and_json_give_the_same_alert() {
        let form = read(
            "application/x-www-form-urlencoded",
            None,
            "alert_id=0B5E&record_id=r1&alert_name=Locked%20out",
        )
        .unwrap();
        let json = read(
            "application/json; charset=utf-8",
            None,
            r#"{"alert_id":"0B5E","record_id":"r1","alert_name":"Locked out"}"#,
        )
        .unwrap();
        assert_eq!(form, json);
        assert_eq!(form.pipelines(), ["security"]);
    }

    #[test]
    fn what_no_response_action_sends_is_refused_with_the_reason() {
        for (kind, body, says) in [
            ("application/json", "{", "the JSON body"),
            (
                "application/json",
                r#"{"alert_id":"a"}"#,
                "missing field `record_id`",
            ),
            (
                "application/json",
                r#"{"alert_id":"a","record_id":"b","x":1}"#,
                "unknown field",
            ),
            (
                "application/x-www-form-urlencoded",
                "alert_id={AlertID}&record_id=r",
                "placeholder",
            ),
            (
                "application/x-www-form-urlencoded",
                "alert_id=a&record_id=r&alert_name=x%0Ay",
                "alert name",
            ),
            (
                "text/csv",
                "Foo,Bar\n1,2\n",
                "the request body is not a CSV file",
            ),
        ] {
            match read(kind, None, body) {
                Err(BadRequest::Malformed(m)) => assert!(m.contains(says), "{body}: {m}"),
                other => panic!("{body}: {other:?}"),
            }
        }
        assert!(matches!(
            read("text/plain", None, "x"),
            Err(BadRequest::ContentType(_))
        ));
        assert!(matches!(
            read("application/json", None, r#"{"alert_id":"a","record_id":"b","pipeline":"nope"}"#),
            Err(BadRequest::Pipeline(m)) if m.contains("no pipeline named \"nope\"")
        ));
    }

    #[test]
    fn a_csv_body_is_read_with_its_name_from_the_query() {
        let alert = read(
            "text/csv",
            Some("alert_name=Group%20changed&pipeline=security"),
            "Record ID,Who\nrid-1,CORP\\a\nrid-2,CORP\\b\n",
        )
        .unwrap();
        assert_eq!(alert.alerts(), 2);
        assert!(
            matches!(alert, ResponseAlert::Csv { alert_name: Some(n), .. } if n == "Group changed")
        );
    }
}
