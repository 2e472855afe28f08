//! [`Script`]: records in the data set's shapes for scripted scenarios (`sluice demo`, tests
//! that tell a story), where the generated month of noise would be in the way.

use jiff::Timestamp;
use rand::rngs::Xoshiro256PlusPlus;
use rand::SeedableRng;

use super::events::Forge;
use super::names::{users, AD_ROOT, DOMAIN_ADMINS, PRIVILEGED_GROUPS};
use crate::auditor::record::ActivityRecord;

/// An employee of the fictional `CORP` domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Employee {
    /// `CORP\anguyen`.
    pub account: String,
    /// `Alice Nguyen`.
    pub display: String,
    /// The workstation the employee logs on from, `ws-0008.corp.local`.
    pub workstation: String,
}

/// Builds the records of a story, one event at a time, with the same shapes, hosts and
/// monitoring plans as the generated data set (the module's table), so the shipped alert
/// definitions select them as they select the data set's.
///
/// ```
/// use sluice_emulators::auditor::dataset::Script;
///
/// let mut script = Script::new(7);
/// let alice = script.employees()[0].clone();
/// let at = "2026-03-02T09:00:00Z".parse().unwrap();
/// let lockout = script.lockout(at, &alice);
/// assert_eq!(lockout.who, r"NT AUTHORITY\SYSTEM");
/// assert_eq!(lockout.details[0].after.as_deref(), Some("True"));
/// ```
#[derive(Debug)]
pub struct Script {
    forge: Forge,
    employees: Vec<Employee>,
}

impl Script {
    /// A script whose random choices (domain controller, workstation of an AD change) follow
    /// `seed`.
    pub fn new(seed: u64) -> Self {
        let employees = users()
            .into_iter()
            .map(|u| Employee {
                account: u.account,
                display: u.display,
                workstation: u.workstation,
            })
            .collect();
        Script {
            forge: Forge::new(Xoshiro256PlusPlus::seed_from_u64(seed)),
            employees,
        }
    }

    /// The domain's employees, in a fixed order.
    pub fn employees(&self) -> &[Employee] {
        &self.employees
    }

    /// The domain's administrative accounts (`CORP\Administrator`, `CORP\adm-…`).
    pub fn domain_admins(&self) -> &'static [&'static str] {
        &DOMAIN_ADMINS
    }

    /// `employee`'s account locked out by the domain controller (category
    /// `AccountLockedOut`).
    pub fn lockout(&mut self, when: Timestamp, employee: &Employee) -> ActivityRecord {
        self.forge.lockout(when, &user(employee), true)
    }

    /// A failed logon of `employee` from `workstation` (category `FailedLogon`).
    pub fn failed_logon(
        &mut self,
        when: Timestamp,
        employee: &Employee,
        workstation: &str,
    ) -> ActivityRecord {
        self.forge.failed_logon(when, &user(employee), workstation)
    }

    /// `admin` adding `member` to the privileged group `group` ("Domain Admins",
    /// "Administrators", …; category `PrivilegedGroupMemberAdded`). An unknown group name is
    /// placed under `Users`, as the first three privileged groups are.
    pub fn privileged_member_added(
        &mut self,
        when: Timestamp,
        admin: &str,
        group: &str,
        member: &Employee,
    ) -> ActivityRecord {
        let container = PRIVILEGED_GROUPS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(group))
            .map_or("Users", |(_, container)| container);
        self.forge.membership(
            when,
            admin.to_owned(),
            format!(r"{AD_ROOT}\{container}\{group}"),
            member.account.clone(),
            true,
        )
    }
}

fn user(employee: &Employee) -> super::names::User {
    super::names::User {
        account: employee.account.clone(),
        display: employee.display.clone(),
        workstation: employee.workstation.clone(),
    }
}
