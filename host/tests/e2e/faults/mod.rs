//! Issue 8: faults of both systems and of the host itself. After each, the ledger: every alert
//! accounted for, no duplicate ticket, no lost update, a sound state store.

mod auditor;
mod busy_instance;
mod drain;
mod failover;
mod kill;
mod late_commit;
mod reset_store;
mod second_host;
mod servicenow;
mod shared_faults;

/// Alert names of the floods: shipped ones, so tickets carry their definitions.
const NAMES: [&str; 4] = [
    "ITSM Add-On: User Account Locked Out",
    "ITSM Add-On: Member Added to a Privileged Group",
    "ITSM Add-On: Group Policy Object Modified or Linked",
    "ITSM Add-On: Audit or Security Log Cleared",
];

/// One alert per record, the names taken in turn: the first alert of a name opens its ticket,
/// the later ones are consolidated into it.
fn alerts<'a>(rids: &'a [String], names: &[&'a str]) -> Vec<(&'a str, &'a str)> {
    rids.iter()
        .enumerate()
        .map(|(i, rid)| (names[i % names.len()], rid.as_str()))
        .collect()
}
