//! The architecture checks, over the real workspace.
//!
//! Each test parses the workspace anew (nextest runs every test in its own process), so the
//! plausibility checks ride along in the two tests rather than costing a third parse.

use std::path::PathBuf;

use sluice_layout::{
    workspace_root, CycleReport, LengthReport, Workspace, MAX_FUNCTION_LINES, THIS_CRATE,
};

fn workspace() -> Workspace {
    let root = workspace_root();
    let workspace = Workspace::load(&root)
        .unwrap_or_else(|error| panic!("cannot read the workspace at {}: {error}", root.display()));
    let packages: Vec<&str> = workspace
        .crates
        .iter()
        .map(|krate| krate.package.as_str())
        .collect();
    for expected in ["sluice", "sluice-sdk", "sluice-emulators"] {
        assert!(
            packages.contains(&expected),
            "{expected} not found among {packages:?}"
        );
    }
    for krate in &workspace.crates {
        assert!(
            !krate.files.is_empty(),
            "no product file found in {}",
            krate.dir.display()
        );
    }
    workspace
}

#[test]
fn no_product_function_is_longer_than_the_limit() {
    let report = LengthReport::of(&workspace());
    assert!(
        report.measured > 1000,
        "only {} functions measured: the scan is broken (a wrong root or directory?); \
         none may be over {MAX_FUNCTION_LINES} lines",
        report.measured
    );
    assert!(report.is_clean(), "\n{report}");
}

#[test]
fn no_crate_has_module_cycles() {
    let report = CycleReport::of(&workspace());
    assert!(
        report.modules > 60,
        "only {} modules in {} graphs: the scan is broken (a wrong root or directory?)",
        report.modules,
        report.graphs
    );
    assert!(report.cycles.is_empty(), "\n{report}");
}

/// The checks' own code is held to the same rules, though the workspace checks skip it.
#[test]
fn this_crate_keeps_its_own_rules() {
    let workspace = Workspace::load_members(&workspace_root(), &[PathBuf::from(THIS_CRATE)])
        .unwrap_or_else(|error| panic!("cannot read {THIS_CRATE}: {error}"));
    let lengths = LengthReport::of(&workspace);
    assert!(
        lengths.measured > 50,
        "only {} functions in {THIS_CRATE}",
        lengths.measured
    );
    assert!(lengths.too_long.is_empty(), "\n{lengths}");
    let cycles = CycleReport::of(&workspace);
    assert!(cycles.cycles.is_empty(), "\n{cycles}");
}

/// The layers the architecture wants, as the crates' manifests say them: the core decides and
/// stores, and has no command line, HTTP server, HTTP client or async runtime in it; the SDK,
/// which every plugin links, has none either.
#[test]
fn the_core_and_the_sdk_depend_on_no_cli_server_or_http_client() {
    const FORBIDDEN: &[&str] = &["clap", "axum", "reqwest", "hyper", "tokio", "sluice"];
    for manifest in ["host/core/Cargo.toml", "sdk/Cargo.toml"] {
        let path = workspace_root().join(manifest);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
        let parsed: toml::Table = text
            .parse()
            .unwrap_or_else(|error| panic!("{} is not TOML: {error}", path.display()));
        let dependencies = parsed
            .get("dependencies")
            .and_then(toml::Value::as_table)
            .unwrap_or_else(|| panic!("{manifest} has no [dependencies]"));
        assert!(
            dependencies.contains_key("sluice-sdk") || manifest.starts_with("sdk"),
            "{manifest}: the scan read the wrong table"
        );
        let found: Vec<&String> = dependencies
            .keys()
            .filter(|name| FORBIDDEN.contains(&name.as_str()))
            .collect();
        assert!(
            found.is_empty(),
            "{manifest} depends on {found:?}; that belongs in the `sluice` crate, on top"
        );
    }
}
