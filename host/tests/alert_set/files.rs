//! The shipped files themselves: they load, their names are unique and prefixed, they are on
//! or off as intended, and the README describes each.

use sluice_core::AlertSet;

use crate::support::{shipped, shipped_dir, shipped_files, INTENDED, OFF_BY_DEFAULT, PREFIX};

#[test]
fn every_file_loads_and_the_directory_loads_as_sluice_run_loads_it() {
    let files = shipped_files();
    let mut problems = Vec::new();
    for f in &files {
        if let Err(e) = sluice_core::load_alert_file(f) {
            problems.push(e.to_string());
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let set = AlertSet::load_dir(&shipped_dir()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(set.all().len(), files.len());
    assert!(files.len() >= 11, "the issue asks for at least 11 alerts");
}

#[test]
fn names_are_unique_prefixed_and_each_has_a_proof() {
    let alerts = shipped();
    let mut names: Vec<&str> = alerts.iter().map(|a| a.name.as_str()).collect();
    for name in &names {
        assert!(name.starts_with(PREFIX), "{name:?} lacks {PREFIX:?}");
    }
    names.sort();
    let mut intended: Vec<&str> = INTENDED.iter().map(|(n, _)| *n).collect();
    intended.sort();
    assert_eq!(
        names, intended,
        "every shipped alert needs its intended categories in support::INTENDED, and every \
         entry there a shipped file"
    );
    names.dedup();
    assert_eq!(names.len(), alerts.len(), "names must be unique");
}

#[test]
fn routine_alerts_are_off_and_the_rest_on() {
    for a in shipped() {
        let off = OFF_BY_DEFAULT.contains(&a.name.as_str());
        assert_eq!(a.enabled, !off, "{}: enabled = {}", a.name, a.enabled);
    }
}

#[test]
fn every_alert_has_filters_a_description_and_sane_ticket_overrides() {
    for a in shipped() {
        assert!(!a.filters.is_empty(), "{}: no filters", a.name);
        assert!(
            a.description.len() > 150 && a.description.ends_with('.'),
            "{}: the description becomes the incident's; say what happened and what to check",
            a.name
        );
        for field in a.ticket.keys() {
            assert!(
                ["impact", "urgency", "severity"].contains(&field.as_str()),
                "{}: unexpected override {field}",
                a.name
            );
        }
        let threshold = a.threshold.as_ref();
        let expected = matches!(
            a.name.as_str(),
            "ITSM Add-On: Mass File Deletion" | "ITSM Add-On: Repeated Failed Logons"
        );
        assert_eq!(threshold.is_some(), expected, "{}: threshold", a.name);
        if let Some(t) = threshold {
            assert_eq!(t.group_by.as_deref(), Some("Who"), "{}", a.name);
        }
    }
}

#[test]
fn the_readme_describes_every_alert() {
    let readme = std::fs::read_to_string(shipped_dir().join("README.md")).expect("README.md");
    for a in shipped() {
        assert!(
            readme.contains(&a.name),
            "alerts/README.md misses {:?}",
            a.name
        );
        let file = a.file.file_name().unwrap().to_string_lossy().into_owned();
        assert!(readme.contains(&file), "alerts/README.md misses {file}");
    }
}
