//! Building one record per category, in the shapes the table in the module doc promises.

use jiff::Timestamp;
use rand::rngs::Xoshiro256PlusPlus;
use rand::RngExt;

use super::names::*;
use super::Category;
use crate::auditor::record::{ActivityRecord, Detail, Item, MonitoringPlan};

/// The generator's working set: the random source and the fixed organisation.
#[derive(Debug)]
pub(super) struct Forge {
    pub(super) rng: Xoshiro256PlusPlus,
    users: Vec<User>,
}

impl Forge {
    pub(super) fn new(rng: Xoshiro256PlusPlus) -> Self {
        Forge {
            rng,
            users: users(),
        }
    }

    /// A random employee.
    pub(super) fn user(&mut self) -> User {
        let i = self.rng.random_range(0..self.users.len());
        self.users[i].clone()
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.rng.random_range(0..items.len())]
    }

    /// One record of the category at `when`: the builder of its category group, below in
    /// the order of the module doc's table.
    pub(super) fn record(&mut self, category: Category, when: Timestamp) -> ActivityRecord {
        use Category::*;
        match category {
            PrivilegedGroupMemberAdded | PrivilegedGroupMemberRemoved => {
                self.privileged_membership(when, category == PrivilegedGroupMemberAdded)
            }
            OrdinaryGroupMemberAdded | OrdinaryGroupMemberRemoved => {
                self.ordinary_membership(when, category == OrdinaryGroupMemberAdded)
            }
            GroupAttributeModified => self.group_attribute(when),
            UserCreated => self.user_created(when),
            UserAttributeModified => self.user_attribute(when),
            AccountLockedOut | AccountUnlocked => {
                let target = self.user();
                self.lockout(when, &target, category == AccountLockedOut)
            }
            UserAccountDisabled | UserAccountEnabled => {
                self.account_switched(when, category == UserAccountDisabled)
            }
            PasswordResetByOther => self.password_reset(when),
            PasswordChangedBySelf => self.password_changed(when),
            SuccessfulLogon | FailedLogon | Logoff => self.domain_logon(when, category),
            GpoModified => self.gpo_modified(when),
            GpoLinked => self.gpo_linked(when),
            AuditLogCleared | ServiceStateChanged => {
                self.server_event(when, category == AuditLogCleared)
            }
            FileRead | FileModified | FileCreated | FileDeleted => {
                let user = self.user();
                let path = self.file_path();
                self.file(when, &user, path, category)
            }
            MailboxFullAccessGranted | MailboxSendAsGranted | MailboxPermissionRemoved => {
                self.mailbox_permission(when, category)
            }
            MailboxSettingsModified => self.mailbox_settings(when),
            SqlLogonSucceeded | SqlLogonFailed => {
                self.sql_logon(when, category == SqlLogonSucceeded)
            }
            SqlSysadminMemberAdded | SqlOrdinaryRoleMemberAdded => {
                self.sql_role_member(when, category == SqlSysadminMemberAdded)
            }
        }
    }

    /// `PrivilegedGroupMemberAdded` (`added`) or `…Removed`.
    fn privileged_membership(&mut self, when: Timestamp, added: bool) -> ActivityRecord {
        let (group, container) =
            PRIVILEGED_GROUPS[self.rng.random_range(0..PRIVILEGED_GROUPS.len())];
        let who = self.pick(&DOMAIN_ADMINS).to_owned();
        let member = self.user().account;
        self.membership(
            when,
            who,
            format!(r"{AD_ROOT}\{container}\{group}"),
            member,
            added,
        )
    }

    /// `OrdinaryGroupMemberAdded` (`added`) or `…Removed`.
    fn ordinary_membership(&mut self, when: Timestamp, added: bool) -> ActivityRecord {
        let group = self.pick(&ORDINARY_GROUPS);
        let who = self.pick(&HELPDESK).to_owned();
        let member = self.user().account;
        self.membership(
            when,
            who,
            format!(r"{AD_ROOT}\Corp\Groups\{group}"),
            member,
            added,
        )
    }

    /// `GroupAttributeModified`.
    fn group_attribute(&mut self, when: Timestamp) -> ActivityRecord {
        let group = self.pick(&ORDINARY_GROUPS);
        let who = self.pick(&HELPDESK).to_owned();
        let mut record = self.ad(
            when,
            who,
            "group",
            "Modified",
            format!(r"{AD_ROOT}\Corp\Groups\{group}"),
        );
        record.details = vec![change(
            "description",
            &format!("{group} team"),
            &format!("{group} department (all locations)"),
        )];
        record
    }

    /// `UserCreated`.
    fn user_created(&mut self, when: Timestamp) -> ActivityRecord {
        let target = self.user();
        let who = self.pick(&HELPDESK).to_owned();
        let mut record = self.ad(when, who, "user", "Added", target.path());
        let sam = target
            .account
            .rsplit_once('\\')
            .map_or("", |(_, s)| s)
            .to_owned();
        record.details = vec![Detail {
            after: Some(sam),
            ..Detail::named("sAMAccountName")
        }];
        record
    }

    /// `UserAttributeModified`.
    fn user_attribute(&mut self, when: Timestamp) -> ActivityRecord {
        let target = self.user();
        let who = self.pick(&HELPDESK).to_owned();
        let (attribute, before, after) =
            USER_ATTRIBUTES[self.rng.random_range(0..USER_ATTRIBUTES.len())];
        let mut record = self.ad(when, who, "user", "Modified", target.path());
        record.details = vec![change(attribute, before, after)];
        record
    }

    /// `UserAccountDisabled` (`disabled`) or `UserAccountEnabled`.
    fn account_switched(&mut self, when: Timestamp, disabled: bool) -> ActivityRecord {
        let target = self.user();
        let who = self.pick(&HELPDESK).to_owned();
        let mut record = self.ad(when, who, "user", "Modified", target.path());
        record.details = vec![if disabled {
            change("Account Disabled", "False", "True")
        } else {
            change("Account Disabled", "True", "False")
        }];
        record
    }

    /// `PasswordResetByOther`.
    fn password_reset(&mut self, when: Timestamp) -> ActivityRecord {
        let target = self.user();
        let who = if self.rng.random_bool(0.8) {
            self.pick(&HELPDESK)
        } else {
            self.pick(&DOMAIN_ADMINS)
        }
        .to_owned();
        let mut record = self.ad(when, who, "user", "Modified", target.path());
        record.details = vec![Detail::named("Password Reset")];
        record
    }

    /// `PasswordChangedBySelf`.
    fn password_changed(&mut self, when: Timestamp) -> ActivityRecord {
        let target = self.user();
        let mut record = self.ad(
            when,
            target.account.clone(),
            "user",
            "Modified",
            target.path(),
        );
        record.workstation = Some(target.workstation);
        record.details = vec![Detail::named("Password Changed")];
        record
    }

    /// `SuccessfulLogon`, `FailedLogon` or `Logoff`, mostly from the user's own workstation.
    fn domain_logon(&mut self, when: Timestamp, category: Category) -> ActivityRecord {
        let user = self.user();
        let workstation = if self.rng.random_bool(0.9) {
            user.workstation.clone()
        } else {
            workstation(self.rng.random_range(0..WORKSTATION_COUNT))
        };
        self.logon(when, &user.account, &workstation, category)
    }

    /// `GpoModified`.
    fn gpo_modified(&mut self, when: Timestamp) -> ActivityRecord {
        let gpo = self.pick(&GPOS);
        let (setting, before, after) = GPO_SETTINGS[self.rng.random_range(0..GPO_SETTINGS.len())];
        let who = self.pick(&DOMAIN_ADMINS).to_owned();
        let mut record = self.ad(
            when,
            who,
            "groupPolicyContainer",
            "Modified",
            format!(r"{AD_ROOT}\Policies\{gpo}"),
        );
        record.data_source = Some("Group Policy".to_owned());
        record.details = vec![change(setting, before, after)];
        record
    }

    /// `GpoLinked`.
    fn gpo_linked(&mut self, when: Timestamp) -> ActivityRecord {
        let gpo = self.pick(&GPOS);
        let ou = self.pick(&OUS);
        let who = self.pick(&DOMAIN_ADMINS).to_owned();
        let mut record = self.ad(
            when,
            who,
            "organizationalUnit",
            "Modified",
            format!(r"{AD_ROOT}\{ou}"),
        );
        record.data_source = Some("Group Policy".to_owned());
        record.details = vec![Detail {
            after: Some(gpo.to_owned()),
            message: Some(format!("Added: {gpo}")),
            ..Detail::named("gPLink")
        }];
        record
    }

    /// `AuditLogCleared` (`cleared`) or `ServiceStateChanged`, from a member server's event log.
    fn server_event(&mut self, when: Timestamp, cleared: bool) -> ActivityRecord {
        let host = self.pick(&MEMBER_SERVERS).to_owned();
        let who = if cleared {
            self.pick(&SERVER_ADMINS).to_owned()
        } else {
            SYSTEM.to_owned()
        };
        let (object_type, action, what, event_id, message) = if cleared {
            (
                "Event Log",
                "Removed",
                "Security".to_owned(),
                "1102",
                "The audit log was cleared.".to_owned(),
            )
        } else {
            let service = self.pick(&SERVICES);
            (
                "Service",
                "Modified",
                service.to_owned(),
                "7036",
                format!("The {service} service entered the running state."),
            )
        };
        let mut record = ActivityRecord::new(who, action, what, when, host.clone(), object_type);
        record.data_source = Some("Event Log".to_owned());
        record.monitoring_plan = Some(plan(PLAN_WINDOWS));
        record.item = Some(Item {
            name: format!("{host} (Computer)"),
        });
        record.details = vec![Detail {
            after: Some(event_id.to_owned()),
            message: Some(message),
            ..Detail::named("Event ID")
        }];
        record
    }

    /// `MailboxFullAccessGranted`, `MailboxSendAsGranted` or `MailboxPermissionRemoved`.
    fn mailbox_permission(&mut self, when: Timestamp, category: Category) -> ActivityRecord {
        let owner = self.user();
        let delegate = self.user().account;
        let right = match category {
            Category::MailboxFullAccessGranted => "Full Access",
            Category::MailboxSendAsGranted => "Send As",
            _ => self.pick(&["Full Access", "Send As"]),
        };
        let detail = if category == Category::MailboxPermissionRemoved {
            Detail {
                before: Some(delegate.clone()),
                message: Some(format!("Removed: {delegate}")),
                ..Detail::named(right)
            }
        } else {
            Detail {
                after: Some(delegate.clone()),
                message: Some(format!("Added: {delegate}")),
                ..Detail::named(right)
            }
        };
        let mut record = self.mailbox(when, &owner);
        record.details = vec![detail];
        record
    }

    /// `MailboxSettingsModified`.
    fn mailbox_settings(&mut self, when: Timestamp) -> ActivityRecord {
        let owner = self.user();
        let mut record = self.mailbox(when, &owner);
        record.details = vec![change("ProhibitSendQuota", "2 GB", "4 GB")];
        record
    }

    /// `SqlLogonSucceeded` (`succeeded`) or `SqlLogonFailed`, by a SQL login, a service account
    /// or an employee.
    fn sql_logon(&mut self, when: Timestamp, succeeded: bool) -> ActivityRecord {
        let login = if self.rng.random_bool(0.5) {
            self.pick(&SQL_LOGINS).to_owned()
        } else if self.rng.random_bool(0.5) {
            self.pick(&SERVICE_ACCOUNTS).to_owned()
        } else {
            self.user().account
        };
        let windows = login.contains('\\');
        let action = if succeeded {
            "Successful Logon"
        } else {
            "Failed Logon"
        };
        let mut record = self.sql(when, login, "Logon", action, SQL_INSTANCE.to_owned());
        record.workstation = Some(
            self.pick(&["app01.corp.local", "web01.corp.local"])
                .to_owned(),
        );
        record.details = vec![if succeeded {
            Detail {
                after: Some(if windows { "Windows" } else { "SQL Server" }.to_owned()),
                ..Detail::named("Authentication")
            }
        } else {
            Detail {
                after: Some("Password did not match that for the login provided.".to_owned()),
                ..Detail::named("Cause")
            }
        }];
        record
    }

    /// `SqlSysadminMemberAdded` (`sysadmin`) or `SqlOrdinaryRoleMemberAdded`.
    fn sql_role_member(&mut self, when: Timestamp, sysadmin: bool) -> ActivityRecord {
        let role = if sysadmin {
            "sysadmin"
        } else {
            self.pick(&SQL_ROLES)
        };
        let member = if self.rng.random_bool(0.5) {
            self.pick(&SQL_LOGINS).to_owned()
        } else {
            self.user().account
        };
        let mut record = self.sql(
            when,
            SQL_ADMIN.to_owned(),
            "Server Role",
            "Modified",
            role.to_owned(),
        );
        record.details = vec![Detail {
            after: Some(member.clone()),
            message: Some(format!("Added: {member}")),
            ..Detail::named("Member")
        }];
        record
    }

    /// A failed logon by `user` from `workstation` (for bursts).
    pub(super) fn failed_logon(
        &mut self,
        when: Timestamp,
        user: &User,
        workstation: &str,
    ) -> ActivityRecord {
        self.logon(when, &user.account, workstation, Category::FailedLogon)
    }

    /// A lockout (or unlock) of `user`.
    pub(super) fn lockout(&mut self, when: Timestamp, user: &User, locked: bool) -> ActivityRecord {
        let who = if locked {
            SYSTEM.to_owned()
        } else {
            self.pick(&HELPDESK).to_owned()
        };
        let mut record = self.ad(when, who, "user", "Modified", user.path());
        record.details = vec![if locked {
            change("Account Locked Out", "False", "True")
        } else {
            change("Account Locked Out", "True", "False")
        }];
        record
    }

    /// A file deletion by `user` (for mass deletions), in `folder`.
    pub(super) fn deletion(
        &mut self,
        when: Timestamp,
        user: &User,
        folder: &str,
    ) -> ActivityRecord {
        let path = format!(r"{folder}\{}", self.file_name());
        self.file(when, user, path, Category::FileDeleted)
    }

    /// A share folder, `\\fs01\Shares\Finance`.
    pub(super) fn folder(&mut self) -> String {
        format!(r"\\fs01\Shares\{}", self.pick(&SHARES))
    }

    fn file_path(&mut self) -> String {
        let folder = self.folder();
        format!(r"{folder}\{}", self.file_name())
    }

    fn file_name(&mut self) -> String {
        let stem = self.pick(&FILE_STEMS);
        let ext = self.pick(&FILE_EXTENSIONS);
        let n = self.rng.random_range(1..400);
        format!("{stem} {n:03}.{ext}")
    }

    pub(super) fn membership(
        &mut self,
        when: Timestamp,
        who: String,
        what: String,
        member: String,
        added: bool,
    ) -> ActivityRecord {
        let mut record = self.ad(when, who, "group", "Modified", what);
        record.details = vec![if added {
            Detail {
                after: Some(member.clone()),
                message: Some(format!("Added: {member}")),
                ..Detail::named("Member")
            }
        } else {
            Detail {
                before: Some(member.clone()),
                message: Some(format!("Removed: {member}")),
                ..Detail::named("Member")
            }
        }];
        record
    }

    /// An Active Directory change on a domain controller.
    fn ad(
        &mut self,
        when: Timestamp,
        who: String,
        object_type: &str,
        action: &str,
        what: String,
    ) -> ActivityRecord {
        let dc = self.pick(&DOMAIN_CONTROLLERS);
        let mut record = ActivityRecord::new(who, action, what, when, dc, object_type);
        record.data_source = Some("Active Directory".to_owned());
        record.monitoring_plan = Some(plan(PLAN_AD));
        record.item = Some(Item {
            name: ITEM_DOMAIN.to_owned(),
        });
        record.workstation = Some(workstation(self.rng.random_range(0..WORKSTATION_COUNT)));
        record
    }

    fn logon(
        &mut self,
        when: Timestamp,
        who: &str,
        workstation: &str,
        category: Category,
    ) -> ActivityRecord {
        let action = match category {
            Category::SuccessfulLogon => "Successful Logon",
            Category::FailedLogon => "Failed Logon",
            _ => "Logoff",
        };
        let dc = self.pick(&DOMAIN_CONTROLLERS);
        let mut record = ActivityRecord::new(who, action, workstation, when, dc, "Logon");
        record.data_source = Some("Logon Activity".to_owned());
        record.monitoring_plan = Some(plan(PLAN_AD));
        record.item = Some(Item {
            name: ITEM_DOMAIN.to_owned(),
        });
        record.workstation = Some(workstation.to_owned());
        record.details = match category {
            Category::SuccessfulLogon => vec![Detail {
                after: Some(
                    self.pick(&["Interactive", "Network", "RemoteInteractive"])
                        .to_owned(),
                ),
                ..Detail::named("Logon Type")
            }],
            Category::FailedLogon => vec![Detail {
                after: Some("Unknown user name or bad password.".to_owned()),
                ..Detail::named("Cause")
            }],
            _ => Vec::new(),
        };
        record
    }

    fn file(
        &mut self,
        when: Timestamp,
        user: &User,
        what: String,
        category: Category,
    ) -> ActivityRecord {
        let action = match category {
            Category::FileRead => "Read",
            Category::FileModified => "Modified",
            Category::FileCreated => "Added",
            _ => "Removed",
        };
        let mut record = ActivityRecord::new(
            user.account.clone(),
            action,
            what,
            when,
            FILE_SERVER,
            "File",
        );
        record.data_source = Some("File Servers".to_owned());
        record.monitoring_plan = Some(plan(PLAN_FILES));
        record.item = Some(Item {
            name: ITEM_FILES.to_owned(),
        });
        record.workstation = Some(user.workstation.clone());
        record
    }

    fn mailbox(&mut self, when: Timestamp, owner: &User) -> ActivityRecord {
        let mut record = ActivityRecord::new(
            EXCHANGE_ADMIN,
            "Modified",
            owner.path(),
            when,
            EXCHANGE_SERVER,
            "Mailbox",
        );
        record.data_source = Some("Exchange".to_owned());
        record.monitoring_plan = Some(plan(PLAN_EXCHANGE));
        record.item = Some(Item {
            name: ITEM_EXCHANGE.to_owned(),
        });
        record.workstation = Some(workstation(self.rng.random_range(0..WORKSTATION_COUNT)));
        record
    }

    fn sql(
        &mut self,
        when: Timestamp,
        who: String,
        object_type: &str,
        action: &str,
        what: String,
    ) -> ActivityRecord {
        let mut record = ActivityRecord::new(who, action, what, when, SQL_SERVER, object_type);
        record.data_source = Some("SQL Server".to_owned());
        record.monitoring_plan = Some(plan(PLAN_SQL));
        record.item = Some(Item {
            name: ITEM_SQL.to_owned(),
        });
        record
    }
}

fn plan((name, id): (&str, &str)) -> MonitoringPlan {
    MonitoringPlan {
        name: name.to_owned(),
        id: Some(id.to_owned()),
    }
}

fn change(property: &str, before: &str, after: &str) -> Detail {
    Detail {
        before: Some(before.to_owned()),
        after: Some(after.to_owned()),
        ..Detail::named(property)
    }
}
