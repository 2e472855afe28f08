//! A realistic, deterministic data set for the emulator: a month (by default) of activity in a
//! fictional `CORP` domain (`corp.local`), mostly benign noise with rare security events, each
//! record tagged with the [`Category`] it was generated as.
//!
//! The same [`DatasetConfig`] always yields the same records, RIDs included. The table below is
//! the **contract** the shipped alert definitions are written against: every category is
//! distinguishable by documented filter fields, so a test can prove that an
//! alert's filter selects exactly the records of its category.
//!
//! # Categories
//!
//! `—` means the part is absent. `<acct>` is an account such as `CORP\anguyen` (SQL logins such
//! as `app_reporting` for SQL Server rows), `<user path>` is `\local\corp\Corp\Users\<First
//! Last>`. Every record has exactly one Detail unless the table says none.
//!
//! | Category | DataSource | ObjectType | Action | What | Detail: PropertyName / Before / After / Message |
//! |---|---|---|---|---|---|
//! | `PrivilegedGroupMemberAdded` | Active Directory | group | Modified | `\local\corp\Users\Domain Admins`, `…\Users\Enterprise Admins`, `…\Users\Schema Admins`, `\local\corp\Builtin\Administrators`, `…\Builtin\Account Operators`, `…\Builtin\Backup Operators` | `Member` / — / `<acct>` / `Added: <acct>` |
//! | `PrivilegedGroupMemberRemoved` | Active Directory | group | Modified | as above | `Member` / `<acct>` / — / `Removed: <acct>` |
//! | `OrdinaryGroupMemberAdded` | Active Directory | group | Modified | `\local\corp\Corp\Groups\<Marketing, VPN Users, Helpdesk, Finance, Sales, Engineering, All Staff>` | `Member` / — / `<acct>` / `Added: <acct>` |
//! | `OrdinaryGroupMemberRemoved` | Active Directory | group | Modified | as above | `Member` / `<acct>` / — / `Removed: <acct>` |
//! | `GroupAttributeModified` | Active Directory | group | Modified | an ordinary group | `description` / old / new / — |
//! | `UserCreated` | Active Directory | user | Added | `<user path>` | `sAMAccountName` / — / name / — |
//! | `UserAttributeModified` | Active Directory | user | Modified | `<user path>` | `title`, `department`, `telephoneNumber` or `physicalDeliveryOfficeName` / old / new / — |
//! | `AccountLockedOut` | Active Directory | user | Modified | `<user path>` | `Account Locked Out` / `False` / `True` / — (Who `NT AUTHORITY\SYSTEM`) |
//! | `AccountUnlocked` | Active Directory | user | Modified | `<user path>` | `Account Locked Out` / `True` / `False` / — |
//! | `UserAccountDisabled` | Active Directory | user | Modified | `<user path>` | `Account Disabled` / `False` / `True` / — |
//! | `UserAccountEnabled` | Active Directory | user | Modified | `<user path>` | `Account Disabled` / `True` / `False` / — |
//! | `PasswordResetByOther` | Active Directory | user | Modified | `<user path>` | `Password Reset` / — / — / — (Who a helpdesk or admin account, never the user) |
//! | `PasswordChangedBySelf` | Active Directory | user | Modified | `<user path>` | `Password Changed` / — / — / — (Who the user) |
//! | `SuccessfulLogon` | Logon Activity | Logon | Successful Logon | workstation FQDN | `Logon Type` / — / `Interactive`, `Network` or `RemoteInteractive` / — |
//! | `FailedLogon` | Logon Activity | Logon | Failed Logon | workstation FQDN | `Cause` / — / `Unknown user name or bad password.` / — |
//! | `Logoff` | Logon Activity | Logon | Logoff | workstation FQDN | none |
//! | `GpoModified` | Group Policy | groupPolicyContainer | Modified | `\local\corp\Policies\<GPO>` | setting path (`Computer Configuration\…`) / old / new / — |
//! | `GpoLinked` | Group Policy | organizationalUnit | Modified | `\local\corp\Corp\<OU>` | `gPLink` / — / `<GPO>` / `Added: <GPO>` |
//! | `AuditLogCleared` | Event Log | Event Log | Removed | `Security` | `Event ID` / — / `1102` / `The audit log was cleared.` |
//! | `ServiceStateChanged` | Event Log | Service | Modified | service name | `Event ID` / — / `7036` / `The … service entered the running state.` |
//! | `FileRead` | File Servers | File | Read | `\\fs01\Shares\<Share>\<file>` | none |
//! | `FileModified` | File Servers | File | Modified | as above | none |
//! | `FileCreated` | File Servers | File | Added | as above | none |
//! | `FileDeleted` | File Servers | File | Removed | as above | none |
//! | `MailboxFullAccessGranted` | Exchange | Mailbox | Modified | `<user path>` (the owner) | `Full Access` / — / `<acct>` / `Added: <acct>` |
//! | `MailboxSendAsGranted` | Exchange | Mailbox | Modified | `<user path>` | `Send As` / — / `<acct>` / `Added: <acct>` |
//! | `MailboxPermissionRemoved` | Exchange | Mailbox | Modified | `<user path>` | `Full Access` or `Send As` / `<acct>` / — / `Removed: <acct>` |
//! | `MailboxSettingsModified` | Exchange | Mailbox | Modified | `<user path>` | `ProhibitSendQuota` / `2 GB` / `4 GB` / — |
//! | `SqlLogonSucceeded` | SQL Server | Logon | Successful Logon | `sql01.corp.local\MSSQLSERVER` | `Authentication` / — / `Windows` or `SQL Server` / — |
//! | `SqlLogonFailed` | SQL Server | Logon | Failed Logon | `sql01.corp.local\MSSQLSERVER` | `Cause` / — / `Password did not match that for the login provided.` / — |
//! | `SqlSysadminMemberAdded` | SQL Server | Server Role | Modified | `sysadmin` | `Member` / — / `<acct>` / `Added: <acct>` |
//! | `SqlOrdinaryRoleMemberAdded` | SQL Server | Server Role | Modified | `dbcreator`, `bulkadmin` or `processadmin` | `Member` / — / `<acct>` / `Added: <acct>` |
//!
//! Where, Item and MonitoringPlan by data source:
//!
//! | DataSource | Where | Item.Name | MonitoringPlan.Name |
//! |---|---|---|---|
//! | Active Directory, Group Policy, Logon Activity | `dc01.corp.local` or `dc02.corp.local` | `corp.local (Domain)` | `AD Monitoring` |
//! | File Servers | `fs01.corp.local` | `fs01.corp.local (Computer)` | `File Servers` |
//! | Exchange | `exch01.corp.local` | `exch01.corp.local (Computer)` | `Exchange` |
//! | SQL Server | `sql01.corp.local` | `sql01.corp.local\MSSQLSERVER (SQL Server instance)` | `SQL Servers` |
//! | Event Log | a member server, e.g. `app01.corp.local` | `<server> (Computer)` | `Windows Servers` |
//!
//! # Telling categories apart with filters
//!
//! Within one filter field entries OR together (as documented), so each distinction below
//! uses a different field. Examples, all with `Operator="Equals"` unless said:
//!
//! - privileged membership added: DataSource `Active Directory`, ObjectType `group`, What
//!   EndsWith each of `\Domain Admins`, `\Enterprise Admins`, `\Schema Admins`,
//!   `\Builtin\Administrators`, `\Account Operators`, `\Backup Operators`, Detail StartsWith
//!   `Added: ` (removed: `Removed: `; ordinary: What StartsWith `\local\corp\Corp\Groups\`);
//! - lockout: DataSource `Active Directory`, Detail `Account Locked Out`, After `True`
//!   (unlock has After `False`; `Account Disabled` uses the same True/False pattern);
//! - password reset by another account: Detail `Password Reset` (self change: `Password
//!   Changed`);
//! - failed logon: DataSource `Logon Activity`, Action `Failed Logon` (SQL Server failures
//!   have DataSource `SQL Server`);
//! - GPO modified: DataSource `Group Policy`, ObjectType `groupPolicyContainer`; GPO linked:
//!   ObjectType `organizationalUnit`, Detail `gPLink`;
//! - audit log cleared: DataSource `Event Log`, After `1102`;
//! - file deletion: DataSource `File Servers`, Action `Removed`;
//! - mailbox Full Access granted: DataSource `Exchange`, Detail `Full Access`, After StartsWith
//!   `CORP\` (removals carry the account in Before, not After);
//! - sysadmin granted: DataSource `SQL Server`, ObjectType `Server Role`, What `sysadmin`.
//!
//! # Bursts and guarantees
//!
//! Besides single events the generator emits two kinds of burst: one account failing to log on
//! 8–20 times from one workstation, 3–15 s apart, ending in an `AccountLockedOut` of that
//! account; and one user deleting 40–150 files in one share, 0.2–1.5 s apart (all
//! `FileDeleted`). With at least [`GUARANTEED_FROM`] records, every category and both burst
//! kinds occur at least once. Benign activity clusters in office hours (07:30–18:30 UTC);
//! security events fall at any hour. Records are stored sorted by `When`; RIDs are minted from
//! `When` plus a short collection delay.

mod events;
mod names;
mod script;

pub use script::{Employee, Script};

use std::time::Duration;

use jiff::Timestamp;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

use super::record::ActivityRecord;
use super::time::rid_stamp;
use events::Forge;

/// From this many records on, every category and both kinds of burst are present.
pub const GUARANTEED_FROM: usize = 500;

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatasetConfig {
    /// The random seed; the same seed and settings give the same records. Default 1.
    pub seed: u64,
    /// How many records. Default 10,000.
    pub records: usize,
    /// The earliest `When`. Default 2025-03-03T00:00:00Z (a Monday).
    pub start: Timestamp,
    /// `When` values fall in `start ..= start + span`. Default 30 days.
    pub span: Duration,
}

impl Default for DatasetConfig {
    fn default() -> Self {
        DatasetConfig {
            seed: 1,
            records: 10_000,
            // 2025-03-03T00:00:00Z.
            start: Timestamp::from_second(1_740_960_000).unwrap_or(Timestamp::UNIX_EPOCH),
            span: Duration::from_secs(30 * 86_400),
        }
    }
}

/// What a generated record is; see the table in the module doc for each shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[non_exhaustive]
pub enum Category {
    /// An account added to a privileged AD group.
    PrivilegedGroupMemberAdded,
    /// An account removed from a privileged AD group.
    PrivilegedGroupMemberRemoved,
    /// An account added to an ordinary AD group.
    OrdinaryGroupMemberAdded,
    /// An account removed from an ordinary AD group.
    OrdinaryGroupMemberRemoved,
    /// A group's description changed.
    GroupAttributeModified,
    /// A user account created.
    UserCreated,
    /// A user's title, department, phone or office changed.
    UserAttributeModified,
    /// A user account locked out.
    AccountLockedOut,
    /// A user account unlocked by the helpdesk.
    AccountUnlocked,
    /// A user account disabled.
    UserAccountDisabled,
    /// A user account enabled.
    UserAccountEnabled,
    /// A password reset by another account.
    PasswordResetByOther,
    /// A user changing their own password (not a reset).
    PasswordChangedBySelf,
    /// A successful domain logon.
    SuccessfulLogon,
    /// A failed domain logon.
    FailedLogon,
    /// A domain logoff.
    Logoff,
    /// A Group Policy setting changed.
    GpoModified,
    /// A Group Policy object linked to an OU.
    GpoLinked,
    /// The Security event log cleared (event 1102).
    AuditLogCleared,
    /// A Windows service changing state (event 7036).
    ServiceStateChanged,
    /// A file read on the file server.
    FileRead,
    /// A file modified on the file server.
    FileModified,
    /// A file created on the file server.
    FileCreated,
    /// A file deleted on the file server.
    FileDeleted,
    /// Full Access to a mailbox granted.
    MailboxFullAccessGranted,
    /// Send As on a mailbox granted.
    MailboxSendAsGranted,
    /// A Full Access or Send As permission removed.
    MailboxPermissionRemoved,
    /// A mailbox quota changed.
    MailboxSettingsModified,
    /// A successful SQL Server login.
    SqlLogonSucceeded,
    /// A failed SQL Server login.
    SqlLogonFailed,
    /// A login added to the sysadmin server role.
    SqlSysadminMemberAdded,
    /// A login added to another server role.
    SqlOrdinaryRoleMemberAdded,
}

impl Category {
    /// Every category, in declaration order.
    pub const ALL: [Category; 32] = {
        use Category::*;
        [
            PrivilegedGroupMemberAdded,
            PrivilegedGroupMemberRemoved,
            OrdinaryGroupMemberAdded,
            OrdinaryGroupMemberRemoved,
            GroupAttributeModified,
            UserCreated,
            UserAttributeModified,
            AccountLockedOut,
            AccountUnlocked,
            UserAccountDisabled,
            UserAccountEnabled,
            PasswordResetByOther,
            PasswordChangedBySelf,
            SuccessfulLogon,
            FailedLogon,
            Logoff,
            GpoModified,
            GpoLinked,
            AuditLogCleared,
            ServiceStateChanged,
            FileRead,
            FileModified,
            FileCreated,
            FileDeleted,
            MailboxFullAccessGranted,
            MailboxSendAsGranted,
            MailboxPermissionRemoved,
            MailboxSettingsModified,
            SqlLogonSucceeded,
            SqlLogonFailed,
            SqlSysadminMemberAdded,
            SqlOrdinaryRoleMemberAdded,
        ]
    };

    /// Relative frequency per 100,000 single events, and whether the activity keeps to office
    /// hours.
    fn weight(self) -> (u32, bool) {
        use Category::*;
        match self {
            FileRead => (28_000, true),
            SuccessfulLogon => (22_000, true),
            FileModified => (11_000, true),
            Logoff => (8_000, true),
            SqlLogonSucceeded => (6_000, false),
            FileCreated => (4_000, true),
            UserAttributeModified => (3_000, true),
            ServiceStateChanged => (2_500, false),
            FailedLogon => (2_500, true),
            FileDeleted => (2_000, true),
            PasswordChangedBySelf => (1_500, true),
            MailboxSettingsModified => (1_200, true),
            OrdinaryGroupMemberAdded => (1_000, true),
            OrdinaryGroupMemberRemoved => (700, true),
            GroupAttributeModified => (500, true),
            PasswordResetByOther => (400, true),
            SqlLogonFailed => (400, false),
            UserCreated => (300, true),
            AccountLockedOut | AccountUnlocked | UserAccountDisabled => (150, false),
            SqlOrdinaryRoleMemberAdded => (100, true),
            UserAccountEnabled | MailboxFullAccessGranted => (80, true),
            GpoModified => (60, false),
            MailboxPermissionRemoved => (60, true),
            MailboxSendAsGranted => (50, true),
            PrivilegedGroupMemberAdded => (30, false),
            GpoLinked | PrivilegedGroupMemberRemoved => (25, false),
            SqlSysadminMemberAdded => (10, false),
            AuditLogCleared => (5, false),
        }
    }
}

/// Per 100,000 draws: bursts of failed logons ending in a lockout, and mass deletions.
const FAILED_LOGON_BURST_WEIGHT: u32 = 15;
const MASS_DELETION_WEIGHT: u32 = 3;

/// One draw of the generator.
#[derive(Clone, Copy, Debug)]
enum Draw {
    Single(Category),
    FailedLogonBurst,
    MassDeletion,
}

/// Generates the records, sorted by `When`, each with its category and a RID.
pub fn generate(config: &DatasetConfig) -> Vec<(ActivityRecord, Category)> {
    let mut forge = Forge::new(Xoshiro256PlusPlus::seed_from_u64(config.seed));
    let clock = Clock::new(config);
    let mut out: Vec<(ActivityRecord, Category)> = Vec::with_capacity(config.records + 160);

    if config.records >= GUARANTEED_FROM {
        for category in Category::ALL {
            emit(&mut forge, &clock, &mut out, Draw::Single(category));
        }
        emit(&mut forge, &clock, &mut out, Draw::FailedLogonBurst);
        emit(&mut forge, &clock, &mut out, Draw::MassDeletion);
    }
    let table = draw_table();
    let total: u32 = table.iter().map(|(w, _)| *w).sum();
    while out.len() < config.records {
        let mut ticket = forge.rng.random_range(0..total);
        let draw = table
            .iter()
            .find(|(weight, _)| {
                let hit = ticket < *weight;
                ticket = ticket.saturating_sub(*weight);
                hit
            })
            .map_or(Draw::Single(Category::FileRead), |(_, draw)| *draw);
        emit(&mut forge, &clock, &mut out, draw);
    }
    out.truncate(config.records);
    let mut out = sorted_by_when(out);
    for (record, _) in &mut out {
        let delay_ms = forge.rng.random_range(1_000..120_000);
        let stored = Timestamp::from_millisecond(record.when.as_millisecond() + delay_ms)
            .unwrap_or(record.when);
        let tail: u128 = forge.rng.random();
        record.rid = Some(format!("{}{tail:032X}", rid_stamp(stored)));
    }
    out
}

/// Sorts by `When` (stably) through an index permutation: records are a few hundred bytes
/// each, and moving them around inside a comparison sort dominated generation time.
fn sorted_by_when(records: Vec<(ActivityRecord, Category)>) -> Vec<(ActivityRecord, Category)> {
    let mut order: Vec<(Timestamp, usize)> = records
        .iter()
        .enumerate()
        .map(|(i, (record, _))| (record.when, i))
        .collect();
    order.sort_unstable();
    let mut slots: Vec<Option<(ActivityRecord, Category)>> =
        records.into_iter().map(Some).collect();
    order
        .into_iter()
        .filter_map(|(_, i)| slots.get_mut(i).and_then(Option::take))
        .collect()
}

/// The group memberships of the data set's directory (who is in Domain Admins, Helpdesk, …),
/// loaded into the emulator for the `InGroup`/`NotInGroup` filters.
pub fn directory() -> Vec<(String, Vec<String>)> {
    names::directory()
}

fn draw_table() -> Vec<(u32, Draw)> {
    let mut table: Vec<(u32, Draw)> = Category::ALL
        .iter()
        .map(|c| (c.weight().0, Draw::Single(*c)))
        .collect();
    table.push((FAILED_LOGON_BURST_WEIGHT, Draw::FailedLogonBurst));
    table.push((MASS_DELETION_WEIGHT, Draw::MassDeletion));
    table
}

fn emit(forge: &mut Forge, clock: &Clock, out: &mut Vec<(ActivityRecord, Category)>, draw: Draw) {
    match draw {
        Draw::Single(category) => {
            let when = clock.pick(forge, category.weight().1);
            out.push((forge.record(category, when), category));
        }
        Draw::FailedLogonBurst => {
            let user = forge.user();
            let workstation =
                names::workstation(forge.rng.random_range(0..names::WORKSTATION_COUNT));
            let attempts = forge.rng.random_range(8..=20);
            let mut t = clock.pick(forge, false).as_millisecond();
            for _ in 0..attempts {
                out.push((
                    forge.failed_logon(clock.at(t), &user, &workstation),
                    Category::FailedLogon,
                ));
                t += forge.rng.random_range(3_000..15_000);
            }
            out.push((
                forge.lockout(clock.at(t), &user, true),
                Category::AccountLockedOut,
            ));
        }
        Draw::MassDeletion => {
            let user = forge.user();
            let folder = forge.folder();
            let count = forge.rng.random_range(40..=150);
            let mut t = clock.pick(forge, true).as_millisecond();
            for _ in 0..count {
                out.push((
                    forge.deletion(clock.at(t), &user, &folder),
                    Category::FileDeleted,
                ));
                t += forge.rng.random_range(200..1_500);
            }
        }
    }
}

/// Picks `When` values inside the configured window.
#[derive(Debug)]
struct Clock {
    start_ms: i64,
    end_ms: i64,
}

const DAY_MS: i64 = 86_400_000;

impl Clock {
    fn new(config: &DatasetConfig) -> Self {
        let start_ms = config.start.as_millisecond();
        let span_ms = i64::try_from(config.span.as_millis()).unwrap_or(i64::MAX);
        Clock {
            start_ms,
            end_ms: start_ms.saturating_add(span_ms),
        }
    }

    /// A moment in the window; office-hours activity lands between 07:30 and 18:30 UTC on 85%
    /// of draws.
    fn pick(&self, forge: &mut Forge, office_hours: bool) -> Timestamp {
        if self.end_ms <= self.start_ms {
            return self.at(self.start_ms);
        }
        let t = forge.rng.random_range(self.start_ms..=self.end_ms);
        if office_hours && forge.rng.random_bool(0.85) {
            let day = t - t.rem_euclid(DAY_MS);
            let snapped = day + forge.rng.random_range(27_000_000..66_600_000);
            if (self.start_ms..=self.end_ms).contains(&snapped) {
                return self.at(snapped);
            }
        }
        self.at(t)
    }

    /// The timestamp at `ms`, kept inside the window (bursts must not run past its end).
    fn at(&self, ms: i64) -> Timestamp {
        let clamped = ms.clamp(self.start_ms, self.end_ms.max(self.start_ms));
        Timestamp::from_millisecond(clamped).unwrap_or(Timestamp::UNIX_EPOCH)
    }
}

#[cfg(test)]
mod tests;
