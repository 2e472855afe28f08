//! Journal fields (`work_notes`, `comments`): every non-empty write appends a
//! `sys_journal_field` row; nothing is ever overwritten. In display mode the field
//! reads back as all entries, newest first, each `"<date> - <user> (Work notes)\n<text>\n\n"`.

use super::schema;
use super::store::{new_sys_id, Record, Store};

/// The internal work notes journal.
pub(crate) const WORK_NOTES: &str = "work_notes";
/// The customer-visible "Additional comments" journal.
pub(crate) const COMMENTS: &str = "comments";

/// The heading word of an entry of `element`.
fn heading(element: &str) -> &str {
    match element {
        WORK_NOTES => "Work notes",
        COMMENTS => "Additional comments",
        other => other,
    }
}

/// Appends one entry; empty text creates none (unverified for the API, but what the UI does).
pub(crate) fn append(
    store: &mut Store,
    table: &str,
    element_id: &str,
    element: &str,
    value: &str,
    created_by: &str,
    now: &str,
) {
    if value.is_empty() {
        return;
    }
    let mut row = Record::blank(&schema::JOURNAL);
    row.set("sys_id", new_sys_id());
    row.set("name", table);
    row.set("element", element);
    row.set("element_id", element_id);
    row.set("value", value);
    row.set("sys_created_on", now);
    row.set("sys_created_by", created_by);
    store.insert(&schema::JOURNAL, row);
}

/// The entries of `element_id` (all journals), oldest first.
pub(crate) fn entries<'a>(store: &'a Store, element_id: &str) -> Vec<&'a Record> {
    store
        .rows(schema::JOURNAL.name)
        .iter()
        .filter(|r| r.get("element_id") == element_id)
        .collect()
}

/// The display form of the journals `elements` of `element_id`: newest first, concatenated.
pub(crate) fn display(store: &Store, element_id: &str, elements: &[&str]) -> String {
    let mut out = String::new();
    for entry in entries(store, element_id)
        .into_iter()
        .rev()
        .filter(|r| elements.contains(&r.get("element")))
    {
        let user = entry.get("sys_created_by");
        let name = store
            .rows(schema::USER.name)
            .iter()
            .find(|u| u.get("user_name") == user)
            .map(|u| u.get("name"))
            .filter(|n| !n.is_empty())
            .unwrap_or(user);
        out.push_str(&format!(
            "{} - {} ({})\n{}\n\n",
            entry.get("sys_created_on"),
            name,
            heading(entry.get("element")),
            entry.get("value")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_newest_first_with_headings() {
        let mut store = Store::new();
        let mut user = Record::blank(&schema::USER);
        user.set("sys_id", "u1");
        user.set("user_name", "svc");
        user.set("name", "Alert Integration");
        store.insert(&schema::USER, user);
        append(
            &mut store,
            "incident",
            "i1",
            WORK_NOTES,
            "first",
            "svc",
            "2018-06-01 10:15:04",
        );
        append(
            &mut store,
            "incident",
            "i1",
            COMMENTS,
            "hello",
            "svc",
            "2018-06-01 10:20:00",
        );
        append(
            &mut store,
            "incident",
            "i1",
            WORK_NOTES,
            "",
            "svc",
            "2018-06-01 10:30:00",
        );
        append(
            &mut store,
            "incident",
            "i2",
            WORK_NOTES,
            "other",
            "svc",
            "2018-06-01 10:40:00",
        );
        append(
            &mut store,
            "incident",
            "i1",
            WORK_NOTES,
            "second",
            "nobody",
            "2018-06-01 10:45:02",
        );
        assert_eq!(
            display(&store, "i1", &[WORK_NOTES]),
            "2018-06-01 10:45:02 - nobody (Work notes)\nsecond\n\n\
             2018-06-01 10:15:04 - Alert Integration (Work notes)\nfirst\n\n"
        );
        assert_eq!(
            display(&store, "i1", &[WORK_NOTES, COMMENTS])
                .lines()
                .nth(3),
            Some("2018-06-01 10:20:00 - Alert Integration (Additional comments)")
        );
        assert_eq!(entries(&store, "i1").len(), 3);
    }
}
