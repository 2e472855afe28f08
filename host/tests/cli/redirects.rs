//! A redirect is never followed: a 307 would re-send the request, its credentials and its body
//! (incident content, the activity search) to wherever the redirect points. The real plugins,
//! through the host's HTTP client, against a loopback server that answers 307 to another
//! loopback server that records everything it receives.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{header, Method, StatusCode, Uri};
use axum::Router;
use serde_json::json;

use sluice::plugin_host::{ComponentContext, HostCapabilities, HttpClient};
use sluice_core::{HttpSettings, ManualClock};
use sluice_sdk::{ActionOutcome, Correlation, ErrorKind, Plugin, PluginError, TicketAction};

use crate::util::workspace_plugin;

/// What the redirect's target received: `METHOD path (N body bytes)`, one line per request.
type Received = Arc<Mutex<Vec<String>>>;

async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    address
}

/// The other host: answers 200 to anything, and writes down what it got.
fn recorder(received: Received) -> Router {
    Router::new().fallback(move |method: Method, uri: Uri, body: Bytes| {
        let received = Arc::clone(&received);
        async move {
            received
                .lock()
                .unwrap()
                .push(format!("{method} {uri} ({} body bytes)", body.len()));
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                "{}",
            )
        }
    })
}

/// The configured server: 307 to the same path on `target`, for every request.
fn redirect_to(target: SocketAddr) -> Router {
    Router::new().fallback(move |uri: Uri| async move {
        let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        (
            StatusCode::TEMPORARY_REDIRECT,
            [(header::LOCATION, format!("http://{target}{path}"))],
        )
    })
}

fn capabilities(runtime: &tokio::runtime::Runtime, plugin: &str) -> Arc<HostCapabilities> {
    let http = HttpClient::new(&HttpSettings::default(), runtime.handle().clone(), plugin).unwrap();
    let clock = Arc::new(ManualClock::new(
        std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
    ));
    Arc::new(HostCapabilities::new(
        http,
        clock,
        ComponentContext {
            pipeline: "security".into(),
            plugin: plugin.into(),
            component: plugin.into(),
        },
    ))
}

/// The refusal a plugin reports for a redirect: a config problem that names the status, where
/// the redirect pointed, and what to do.
fn assert_redirect_refused(error: &PluginError, system: &str, target: SocketAddr, path: &str) {
    let message = error.to_string();
    assert_eq!(error.kind(), ErrorKind::Config, "{message}");
    assert!(
        message.contains(&format!(
            "{system} answered 307 Temporary Redirect to http://{target}{path}"
        )),
        "{message}"
    );
    assert!(
        message.contains("sluice follows no redirect")
            && message.contains("point `endpoint` at the address the server redirects to"),
        "{message}"
    );
}

#[test]
fn a_redirect_is_not_followed_and_the_error_says_where_it_pointed() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let received = Received::default();
    let target = runtime.block_on(serve(recorder(Arc::clone(&received))));
    let endpoint = format!("http://{}", runtime.block_on(serve(redirect_to(target))));

    let servicenow = Plugin::load(workspace_plugin("sluice-sink-servicenow")).unwrap();
    let config = json!({
        "endpoint": endpoint, "release": "london", "username": "svc", "password": "pw",
    });
    let mut sink = servicenow
        .new_sink("servicenow", &config, capabilities(&runtime, "servicenow"))
        .unwrap();
    let outcomes = sink.deliver(vec![TicketAction::Create {
        correlation: Correlation {
            id: "sluice-1".into(),
            display: "Account locked out".into(),
        },
        fields: [("short_description", "Account CORP\\alice locked out")]
            .into_iter()
            .collect(),
    }]);
    let checked = sink.healthcheck();

    let auditor = Plugin::load(workspace_plugin("sluice-source-netwrix-auditor")).unwrap();
    let config = json!({ "endpoint": endpoint, "username": "CORP\\svc", "password": "pw" });
    let mut source = auditor
        .new_source(
            "netwrix_auditor",
            &config,
            capabilities(&runtime, "netwrix-auditor"),
        )
        .unwrap();
    let polled = source.poll(None).map(|_| ());
    let fetched = source.fetch(vec!["rid-1".into()]).map(|_| ());

    let got = received.lock().unwrap().clone();
    assert!(
        got.is_empty(),
        "the redirect's target received requests meant for the configured server: {got:#?}"
    );

    let ActionOutcome::Failed(error) = &outcomes[0] else {
        panic!("a create answered with a redirect fails: {outcomes:?}")
    };
    assert_redirect_refused(error, "ServiceNow", target, "/api/now/");
    let error = checked.expect_err("the healthcheck was redirected");
    assert_redirect_refused(&error, "ServiceNow", target, "/api/now/");
    for result in [polled, fetched] {
        let error = result.expect_err("the search was redirected");
        assert_redirect_refused(&error, "Netwrix Auditor", target, "/netwrix/api/v1/");
    }
}
