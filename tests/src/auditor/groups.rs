//! Group membership, held by the emulator so the `InGroup`/`NotInGroup` search operators have
//! something to consult (documented as: `Who` is or is not a member of the named AD
//! group). Membership is a static directory, not derived from the group changes in the
//! records, just as the real filter consults the directory at query time.

use std::collections::{HashMap, HashSet};

/// Members of each group, case-folded. Group names are stored without their `DOMAIN\` prefix.
#[derive(Clone, Debug, Default)]
pub(crate) struct Groups {
    members: HashMap<String, HashSet<String>>,
}

impl Groups {
    /// Adds members to a group (creating it). `group` may carry a `DOMAIN\` prefix.
    pub(crate) fn add<I, S>(&mut self, group: &str, members: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let entry = self.members.entry(group_key(group)).or_default();
        entry.extend(members.into_iter().map(|m| m.as_ref().to_lowercase()));
    }

    /// Replaces a group's members.
    pub(crate) fn set<I, S>(&mut self, group: &str, members: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.members.remove(&group_key(group));
        self.add(group, members);
    }

    /// Whether `who` (e.g. `CORP\jdoe`) is a member of `group` (e.g. `Domain Admins` or
    /// `CORP\Domain Admins`). A member listed without a domain matches that account name in
    /// any domain.
    pub(crate) fn is_member(&self, group: &str, who: &str) -> bool {
        let Some(members) = self.members.get(&group_key(group)) else {
            return false;
        };
        let who = who.to_lowercase();
        if members.contains(&who) {
            return true;
        }
        match who.rsplit_once('\\') {
            Some((_, account)) => members.contains(account),
            None => false,
        }
    }
}

/// `CORP\Domain Admins` and `domain admins` are the same group.
fn group_key(group: &str) -> String {
    let short = group.rsplit_once('\\').map_or(group, |(_, name)| name);
    short.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn membership_ignores_case_and_domain_prefix_of_the_group() {
        let mut groups = Groups::default();
        groups.add("Domain Admins", [r"CORP\adm-jsmith"]);
        assert!(groups.is_member(r"CORP\Domain Admins", r"corp\ADM-JSMITH"));
        assert!(groups.is_member("domain admins", r"CORP\adm-jsmith"));
        assert!(!groups.is_member("Domain Admins", r"CORP\jdoe"));
        assert!(!groups.is_member("Nobody", r"CORP\adm-jsmith"));
    }

    #[test]
    fn members_without_domain_match_any_domain() {
        let mut groups = Groups::default();
        groups.add("Helpdesk", ["hd-agarcia"]);
        assert!(groups.is_member("Helpdesk", r"CORP\hd-agarcia"));
        groups.set("Helpdesk", [r"CORP\hd-bwong"]);
        assert!(!groups.is_member("Helpdesk", r"CORP\hd-agarcia"));
    }
}
