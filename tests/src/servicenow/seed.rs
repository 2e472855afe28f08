//! The data a fresh instance starts with: users (the API user, an admin and a few agents),
//! assignment groups, and the incident choice lists of the profile.

use super::account::Account;
use super::profile::{Profile, StateModel};
use super::schema::{self, TableDef};
use super::store::{new_sys_id, Record, Store};

/// sys_id of the PDI `admin` user; the 2018 captures show it as `opened_by` (capture
/// `output.ServiceNowOutputTest_insertRecord.json`).
pub const ADMIN_SYS_ID: &str = "6816f79cc0a8016401c5a33be04be441";

/// sys_id of the API (integration) user when it is not `admin`.
pub const API_USER_SYS_ID: &str = "5f7b1c2a4f5d130058ae7e918110c7a0";

/// sys_id of the admin credential when the API user itself is `admin`.
pub(crate) const SECOND_ADMIN_SYS_ID: &str = "6816f79cc0a8016401c5a33be04be442";

/// The human agent [`ServiceNow::set_state`](super::ServiceNow::set_state) acts as.
pub(crate) const AGENT_USER_NAME: &str = "beth.anglin";

/// "Service Desk" with the sys_id the vendor add-on ships as its default assignment group.
pub const SERVICE_DESK_SYS_ID: &str = "d625dccec0a8016700a22a0f7900d06";

/// Agents seeded besides the accounts: (user_name, first, last, sys_id, title).
const AGENTS: [(&str, &str, &str, &str, &str); 4] = [
    (
        "beth.anglin",
        "Beth",
        "Anglin",
        "46d44a23a9fe19810012d100cca80666",
        "Service Desk Agent",
    ),
    (
        "david.loo",
        "David",
        "Loo",
        "5137153cc611227c000bbd1bd8cd2007",
        "Network Engineer",
    ),
    (
        "don.goodliffe",
        "Don",
        "Goodliffe",
        "9ee1b13dc6112271007f9d0efdb69cd0",
        "Security Analyst",
    ),
    (
        "fred.luddy",
        "Fred",
        "Luddy",
        "5137153cc611227c000bbd1bd8cd2005",
        "",
    ),
];

/// Groups: (name, sys_id, description).
const GROUPS: [(&str, &str, &str); 5] = [
    (
        "Service Desk",
        SERVICE_DESK_SYS_ID,
        "First line support; default group of the vendor add-on",
    ),
    (
        "Security Operations",
        "0a52d3dcd7011200f2d224837e6103f2",
        "Security incident response",
    ),
    (
        "Network",
        "287ee6fea9fe198100ada7950d0b1b73",
        "Network operations",
    ),
    (
        "Database",
        "287ebd7da9fe198100f92cc8d1d2154e",
        "Database administration",
    ),
    (
        "Hardware",
        "8a5055c9c61122780043563ef53438e3",
        "Hardware support",
    ),
];

/// Fills `store` with users, groups and the choice lists of `profile`.
pub(crate) fn seed(store: &mut Store, accounts: &[Account], profile: &Profile, now: &str) {
    for account in accounts {
        let (first, last) = account
            .display_name
            .split_once(' ')
            .unwrap_or((account.display_name.as_str(), ""));
        store.insert(
            &schema::USER,
            user_row(&account.user_name, first, last, &account.sys_id, "", now),
        );
    }
    for (user_name, first, last, sys_id, title) in AGENTS {
        if store.find(schema::USER.name, sys_id).is_none() {
            store.insert(
                &schema::USER,
                user_row(user_name, first, last, sys_id, title, now),
            );
        }
    }
    for (name, sys_id, description) in GROUPS {
        let mut row = sys_row(&schema::GROUP, sys_id, now);
        row.set("name", name);
        row.set("description", description);
        row.set("active", "true");
        row.set("sys_domain", "global");
        store.insert(&schema::GROUP, row);
    }
    seed_choices(store, profile, now);
}

/// (Re)builds the incident choice lists from `profile`.
pub(crate) fn seed_choices(store: &mut Store, profile: &Profile, now: &str) {
    store.clear(schema::CHOICE.name);
    let states: &[(&str, &str)] = match profile.state_model {
        StateModel::New => &[
            ("1", "New"),
            ("2", "In Progress"),
            ("3", "On Hold"),
            ("6", "Resolved"),
            ("7", "Closed"),
            ("8", "Canceled"),
        ],
        StateModel::Old => &[
            ("1", "New"),
            ("2", "Active"),
            ("3", "Awaiting Problem"),
            ("4", "Awaiting User Info"),
            ("5", "Awaiting Evidence"),
            ("6", "Resolved"),
            ("7", "Closed"),
        ],
    };
    let three = [("1", "1 - High"), ("2", "2 - Medium"), ("3", "3 - Low")];
    let mut lists: Vec<(&str, Vec<(String, String)>)> = vec![
        ("state", owned(states)),
        ("incident_state", owned(states)),
        ("impact", owned(&three)),
        ("urgency", owned(&three)),
        ("severity", owned(&three)),
        (
            "priority",
            owned(&[
                ("1", "1 - Critical"),
                ("2", "2 - High"),
                ("3", "3 - Moderate"),
                ("4", "4 - Low"),
                ("5", "5 - Planning"),
            ]),
        ),
        (
            "category",
            owned(&[
                ("inquiry", "Inquiry / Help"),
                ("software", "Software"),
                ("hardware", "Hardware"),
                ("network", "Network"),
                ("database", "Database"),
            ]),
        ),
        (
            "close_code",
            profile
                .close_codes
                .iter()
                .map(|c| (c.clone(), c.clone()))
                .collect(),
        ),
        (
            "notify",
            owned(&[("1", "Do Not Notify"), ("2", "Send Email")]),
        ),
        (
            "escalation",
            owned(&[
                ("0", "Normal"),
                ("1", "Moderate"),
                ("2", "High"),
                ("3", "Overdue"),
            ]),
        ),
        (
            "approval",
            owned(&[
                ("not requested", "Not Yet Requested"),
                ("requested", "Requested"),
                ("approved", "Approved"),
                ("rejected", "Rejected"),
            ]),
        ),
        (
            "upon_approval",
            owned(&[
                ("proceed", "Proceed to Next Task"),
                ("wait", "Wait for a User to Close this task"),
            ]),
        ),
        (
            "upon_reject",
            owned(&[
                ("cancel", "Cancel all future Tasks"),
                ("goto", "Go to a previous Task"),
            ]),
        ),
        (
            "contact_type",
            owned(&[
                ("email", "Email"),
                ("phone", "Phone"),
                ("self-service", "Self-service"),
                ("walk-in", "Walk-in"),
            ]),
        ),
    ];
    if profile.hold_reason {
        lists.push((
            "hold_reason",
            owned(&[
                ("1", "Awaiting Caller"),
                ("3", "Awaiting Problem"),
                ("4", "Awaiting Vendor"),
                ("5", "Awaiting Change"),
            ]),
        ));
    }
    insert_choices(store, schema::INCIDENT.name, lists, now);
    if profile.security_incident_response {
        let codes = profile
            .security_incident_close_codes
            .iter()
            .map(|c| (c.clone(), c.clone()))
            .collect();
        let lists = vec![
            ("state", profile.security_incident_states.clone()),
            ("close_code", codes),
        ];
        insert_choices(store, schema::SECURITY_INCIDENT.name, lists, now);
    }
}

/// Adds `sys_choice` rows for `table`'s choice `lists`, in list order.
fn insert_choices(
    store: &mut Store,
    table: &str,
    lists: Vec<(&str, Vec<(String, String)>)>,
    now: &str,
) {
    for (element, choices) in lists {
        for (sequence, (value, label)) in choices.into_iter().enumerate() {
            let mut row = sys_row(&schema::CHOICE, &new_sys_id(), now);
            row.set("name", table);
            row.set("element", element);
            row.set("value", value);
            row.set("label", label);
            row.set("sequence", (sequence + 1).to_string());
            row.set("inactive", "false");
            row.set("language", "en");
            store.insert(&schema::CHOICE, row);
        }
    }
}

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(v, l)| ((*v).to_owned(), (*l).to_owned()))
        .collect()
}

fn user_row(
    user_name: &str,
    first: &str,
    last: &str,
    sys_id: &str,
    title: &str,
    now: &str,
) -> Record {
    let mut row = sys_row(&schema::USER, sys_id, now);
    let name = if last.is_empty() {
        first.to_owned()
    } else {
        format!("{first} {last}")
    };
    row.set("user_name", user_name);
    row.set("first_name", first);
    row.set("last_name", last);
    row.set("name", name);
    row.set("email", format!("{user_name}@example.com"));
    row.set("title", title);
    row.set("active", "true");
    row.set("sys_class_name", "sys_user");
    row.set("sys_domain", "global");
    row
}

fn sys_row(table: &TableDef, sys_id: &str, now: &str) -> Record {
    let mut row = Record::blank(table);
    row.set("sys_id", sys_id);
    row.set("sys_created_on", now);
    row.set("sys_created_by", "admin");
    row.set("sys_updated_on", now);
    row.set("sys_updated_by", "admin");
    row.set("sys_mod_count", "0");
    row
}
