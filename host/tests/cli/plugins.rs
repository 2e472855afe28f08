//! Loading real plugin libraries: a good one through every entry point, a panicking one, one
//! built against a drifted SDK, and files that are not plugins at all.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use sluice::plugin_host::{ComponentContext, HostCapabilities, HttpClient};
use sluice_core::HttpSettings;
use sluice_core::ManualClock;
use sluice_sdk::{
    ActionOutcome, Checkpoint, ComponentKind, Correlation, ErrorKind, Journal, LoadErrorKind,
    Plugin, StateChange, TicketAction,
};

use crate::util::{drifted_plugin, probe_plugin, run, sluice, text};

fn probe() -> Plugin {
    Plugin::load(probe_plugin()).expect("the probe plugin loads")
}

/// The host's real capabilities, on a runtime owned by the test.
fn capabilities(runtime: &tokio::runtime::Runtime) -> Arc<HostCapabilities> {
    let http = HttpClient::new(&HttpSettings::default(), runtime.handle().clone(), "test").unwrap();
    let clock = Arc::new(ManualClock::new(
        std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
    ));
    Arc::new(HostCapabilities::new(
        http,
        clock,
        ComponentContext {
            pipeline: "p".into(),
            plugin: "probe".into(),
            component: "c".into(),
        },
    ))
}

/// A one-shot HTTP server answering `status` once; returns its URL.
fn answer_once(status: u16) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/health", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let mut buf = [0u8; 1024];
            let _ = stream.read(&mut buf);
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
        }
    });
    url
}

#[test]
fn good_plugin_works_through_every_entry_point() {
    let plugin = probe();
    let manifest = plugin.manifest();
    assert_eq!(manifest.name, "probe");
    assert_eq!(manifest.abi_version, sluice_sdk::ABI_VERSION);
    assert!(manifest
        .component(ComponentKind::Source, "probe_source")
        .is_some());
    assert!(manifest
        .component(ComponentKind::Sink, "probe_sink")
        .is_some());
    let schema = &manifest
        .component(ComponentKind::Source, "probe_source")
        .unwrap()
        .config_schema;
    assert_eq!(schema["properties"]["page"]["type"], "integer", "{schema}");

    // validate: the plugin's own pure checks, with the key path.
    let err = plugin
        .validate_config("probe_source", &serde_json::json!({ "page": 0 }))
        .unwrap_err();
    assert_eq!(
        (err.kind(), err.key_path()),
        (ErrorKind::Config, Some("page"))
    );

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let config =
        serde_json::json!({ "records": 6, "page": 4, "healthcheck_url": answer_once(200) });
    let mut source = plugin
        .new_source("probe_source", &config, capabilities(&runtime))
        .unwrap();
    source
        .healthcheck()
        .expect("healthcheck through the host's HTTP client");

    let first = source.poll(None).unwrap();
    assert_eq!(first.records.len(), 4);
    assert!(first.more);
    let record = &first.records[1];
    assert_eq!(record.id, "rec-1");
    assert_eq!(record.field("Who"), Some("CORP\\user1"));
    assert_eq!(record.details[0].after.as_deref(), Some("CORP\\m1"));
    assert_eq!(
        record.time,
        Some(std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
        "the plugin read the host's clock"
    );
    let second = source.poll(Some(first.checkpoint)).unwrap();
    assert_eq!((second.records.len(), second.more), (2, false));
    assert_eq!(second.checkpoint, Checkpoint("6".into()));
    let fetched = source.fetch(vec!["rec-5".into(), "rec-99".into()]).unwrap();
    assert_eq!(
        fetched.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["rec-5"]
    );

    let mut sink = plugin
        .new_sink("probe_sink", &serde_json::json!({}), capabilities(&runtime))
        .unwrap();
    sink.healthcheck().unwrap();
    let outcomes = sink.deliver(vec![TicketAction::Create {
        correlation: Correlation {
            id: "key-1".into(),
            display: "test".into(),
        },
        fields: [("short_description", "Locked out")].into_iter().collect(),
    }]);
    let ActionOutcome::Done(ticket) = &outcomes[0] else {
        panic!("{outcomes:?}")
    };
    assert_eq!(ticket.number, "PRB0000001");
    let id = ticket.id.clone();
    let outcomes = sink.deliver(vec![
        TicketAction::Update {
            ticket: id.clone(),
            fields: [("urgency", "1")].into_iter().collect(),
        },
        TicketAction::AddNote {
            ticket: id.clone(),
            journal: Journal::WorkNotes,
            text: "again".into(),
        },
        TicketAction::Attach {
            ticket: id.clone(),
            file_name: "record-2.txt".into(),
            content_type: "text/plain".into(),
            content: b"Who: CORP\\x".to_vec(),
        },
        TicketAction::ChangeState {
            ticket: id.clone(),
            change: StateChange::Resolve {
                close_code: "Solved (Permanently)".into(),
                close_notes: "n".into(),
            },
        },
        TicketAction::ChangeState {
            ticket: id.clone(),
            change: StateChange::set("1").only_from(["2"]),
        },
        TicketAction::Get { ticket: id.clone() },
        TicketAction::FindByCorrelation {
            correlation_id: "key-1".into(),
        },
        TicketAction::FindByCorrelation {
            correlation_id: "nope".into(),
        },
        TicketAction::Create {
            correlation: Correlation {
                id: "key-2".into(),
                display: "test".into(),
            },
            fields: [("short_description", "please retry")]
                .into_iter()
                .collect(),
        },
    ]);
    assert_eq!(outcomes.len(), 9);
    let ActionOutcome::Done(got) = &outcomes[5] else {
        panic!("{outcomes:?}")
    };
    assert_eq!(got.fields.get("urgency"), Some("1"));
    assert_eq!(got.fields.get("work_notes"), Some("again"));
    assert_eq!(got.fields.get("attachment"), Some("record-2.txt"));
    assert_eq!(
        got.state, "6",
        "the conditional change did not apply to a resolved ticket"
    );
    assert!(
        matches!(&outcomes[4], ActionOutcome::Unchanged(t) if t.state == "6"),
        "{outcomes:?}"
    );
    assert!(matches!(&outcomes[6], ActionOutcome::Done(t) if t.id == id));
    assert_eq!(outcomes[7], ActionOutcome::NotFound);
    assert_eq!(
        outcomes[8],
        ActionOutcome::Retry {
            reason: "asked to".into(),
            retry_after: Some(Duration::from_secs(7))
        }
    );

    let err = plugin
        .new_sink("nope", &serde_json::json!({}), capabilities(&runtime))
        .unwrap_err();
    assert!(err.message().contains("it provides: probe_sink"), "{err}");
}

#[test]
fn a_panic_in_a_plugin_is_an_error_and_the_plugin_keeps_working() {
    let plugin = probe();
    let runtime = tokio::runtime::Runtime::new().unwrap();

    let mut sink = plugin
        .new_sink(
            "probe_sink",
            &serde_json::json!({ "panic_in": "deliver" }),
            capabilities(&runtime),
        )
        .unwrap();
    let create = || TicketAction::Create {
        correlation: Correlation {
            id: "k".into(),
            display: "d".into(),
        },
        fields: Default::default(),
    };
    let outcomes = sink.deliver(vec![create(), create()]);
    assert_eq!(outcomes.len(), 2);
    for outcome in &outcomes {
        let ActionOutcome::Failed(e) = outcome else {
            panic!("{outcomes:?}")
        };
        assert_eq!(e.kind(), ErrorKind::Panicked);
        assert!(
            e.message().contains("probe asked to panic in deliver"),
            "{e}"
        );
        assert!(
            e.message().contains("src/lib.rs"),
            "the location is kept: {e}"
        );
    }
    let outcomes = sink.deliver(vec![create()]);
    assert!(
        matches!(outcomes[0], ActionOutcome::Done(_)),
        "called again after the panic: {outcomes:?}"
    );

    let mut source = plugin
        .new_source(
            "probe_source",
            &serde_json::json!({ "panic_in": "poll" }),
            capabilities(&runtime),
        )
        .unwrap();
    for _ in 0..2 {
        let err = source.poll(None).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Panicked, "{err}");
    }
    assert_eq!(
        source.fetch(vec!["rec-1".into()]).unwrap().len(),
        1,
        "other calls still work"
    );

    let err = plugin
        .new_sink(
            "probe_sink",
            &serde_json::json!({ "panic_in": "new" }),
            capabilities(&runtime),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Panicked);
}

#[test]
fn files_that_are_not_plugins_are_refused_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir
        .path()
        .join(format!("libjunk{}", std::env::consts::DLL_SUFFIX));
    std::fs::write(&junk, "#!/bin/sh\necho not a library\n").unwrap();
    let err = Plugin::load(&junk).unwrap_err();
    assert!(
        matches!(err.kind(), LoadErrorKind::NotALibrary(_)),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with(&format!("{} is not a sluice plugin", junk.display())),
        "{err}"
    );

    // A real shared library that is not a plugin: the jsonl plugin's own deps are not handy,
    // so use the C library every Linux process has.
    if let Some(libc) = [
        "/lib/x86_64-linux-gnu/libm.so.6",
        "/lib/aarch64-linux-gnu/libm.so.6",
        "/usr/lib/libm.so.6",
    ]
    .iter()
    .find(|p| std::path::Path::new(p).exists())
    {
        let copy = dir
            .path()
            .join(format!("libm{}", std::env::consts::DLL_SUFFIX));
        std::fs::copy(libc, &copy).unwrap();
        let err = Plugin::load(&copy).unwrap_err();
        assert_eq!(err.kind(), &LoadErrorKind::NotAPlugin, "{err}");
        assert!(
            err.to_string().contains("exports no sluice root module"),
            "{err}"
        );
    }
}

#[test]
fn drifted_plugins_are_refused_in_one_paragraph_and_the_host_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let layout = drifted_plugin("layout", dir.path());
    let version = drifted_plugin("version", dir.path());
    std::fs::write(
        dir.path()
            .join(format!("libjunk{}", std::env::consts::DLL_SUFFIX)),
        "x",
    )
    .unwrap();
    let probe = probe_plugin();
    std::fs::copy(
        &probe,
        dir.path().join(probe.file_name().expect("a file name")),
    )
    .expect("copy the probe plugin");

    let out = run(sluice()
        .arg("plugins")
        .arg("--json")
        .arg("--plugin-dir")
        .arg(dir.path()));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listing: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let loaded: Vec<&str> = listing["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        loaded.contains(&"probe"),
        "the other plugins still load: {loaded:?}"
    );
    assert!(!loaded.contains(&"sluice-drifted-plugin"), "{loaded:?}");

    let refused = listing["refused"].as_array().unwrap();
    let reason = |path: &std::path::Path| -> String {
        refused
            .iter()
            .find(|r| r["path"] == path.display().to_string())
            .map(|r| r["reason"].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("{} not refused: {listing}", path.display()))
    };
    let layout_reason = reason(&layout);
    assert!(
        layout_reason.contains("layout of the types it shares with sluice differs"),
        "{layout_reason}"
    );
    assert!(
        layout_reason.contains("Rebuild it against the sluice-sdk"),
        "{layout_reason}"
    );
    let version_reason = reason(&version);
    assert!(
        version_reason.contains("built against sluice plugin ABI 0.99.0"),
        "{version_reason}"
    );
    for r in refused {
        let reason = r["reason"].as_str().unwrap();
        assert!(
            !reason.contains('\n') && reason.len() < 400,
            "one short paragraph: {reason}"
        );
        assert!(
            r.get("detail").is_none(),
            "the layout dump appears only with -v"
        );
    }

    // With -v, the long form is there.
    let out = run(sluice()
        .args(["-v", "plugins", "--json", "--plugin-dir"])
        .arg(dir.path()));
    let listing: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let detail = listing["refused"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == layout.display().to_string())
        .and_then(|r| r["detail"].as_str())
        .expect("a detail with -v")
        .to_owned();
    assert!(detail.contains("Type Layout"), "{detail}");

    // The human listing says the same, and warns nothing twice.
    let out = run(sluice().arg("plugins").arg("--plugin-dir").arg(dir.path()));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("Refused:"), "{stdout}");
    assert!(!text(&out.stderr).contains("Type Layout"));
}
