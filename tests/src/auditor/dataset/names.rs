//! The fictional CORP organisation the data set describes: accounts, hosts, groups, monitoring
//! plans and items. Everything here is fixed; only the choices made from it depend on the seed.

/// NetBIOS domain prefix of every account.
pub(super) const DOMAIN: &str = "CORP";
/// The DNS domain.
pub(super) const DNS: &str = "corp.local";
/// `What` prefix of AD objects: Netwrix writes AD paths as `\local\corp\...`.
pub(super) const AD_ROOT: &str = r"\local\corp";

/// Built-in and administrative accounts.
pub(super) const ADMINISTRATOR: &str = r"CORP\Administrator";
pub(super) const DOMAIN_ADMINS: [&str; 3] = [ADMINISTRATOR, r"CORP\adm-jsmith", r"CORP\adm-mlee"];
pub(super) const SERVER_ADMINS: [&str; 2] = [r"CORP\adm-rpatel", r"CORP\adm-sql"];
pub(super) const EXCHANGE_ADMIN: &str = r"CORP\adm-exch";
pub(super) const SQL_ADMIN: &str = r"CORP\adm-sql";
pub(super) const HELPDESK: [&str; 3] = [r"CORP\hd-agarcia", r"CORP\hd-bwong", r"CORP\hd-cmiller"];
pub(super) const SERVICE_ACCOUNTS: [&str; 3] =
    [r"CORP\svc-backup", r"CORP\svc-sql", r"CORP\svc-web"];
/// Who Auditor reports for changes the system makes itself (lockouts).
pub(super) const SYSTEM: &str = r"NT AUTHORITY\SYSTEM";
/// SQL logins that are not Windows accounts.
pub(super) const SQL_LOGINS: [&str; 3] = ["app_reporting", "app_orders", "etl_loader"];

/// Privileged groups and the AD path each lives under.
pub(super) const PRIVILEGED_GROUPS: [(&str, &str); 6] = [
    ("Domain Admins", "Users"),
    ("Enterprise Admins", "Users"),
    ("Schema Admins", "Users"),
    ("Administrators", "Builtin"),
    ("Account Operators", "Builtin"),
    ("Backup Operators", "Builtin"),
];
/// Ordinary groups, under `Corp\Groups`. No name ends like a privileged one.
pub(super) const ORDINARY_GROUPS: [&str; 7] = [
    "Marketing",
    "VPN Users",
    "Helpdesk",
    "Finance",
    "Sales",
    "Engineering",
    "All Staff",
];

pub(super) const DOMAIN_CONTROLLERS: [&str; 2] = ["dc01.corp.local", "dc02.corp.local"];
pub(super) const FILE_SERVER: &str = "fs01.corp.local";
pub(super) const EXCHANGE_SERVER: &str = "exch01.corp.local";
pub(super) const SQL_SERVER: &str = "sql01.corp.local";
pub(super) const MEMBER_SERVERS: [&str; 5] = [
    "fs01.corp.local",
    "exch01.corp.local",
    "sql01.corp.local",
    "app01.corp.local",
    "web01.corp.local",
];
pub(super) const WORKSTATION_COUNT: usize = 150;

/// Monitoring plans (name, ID).
pub(super) const PLAN_AD: (&str, &str) =
    ("AD Monitoring", "{6F1C2B8A-3D4E-4F50-9A61-7B8C9D0E1F21}");
pub(super) const PLAN_FILES: (&str, &str) =
    ("File Servers", "{0B7E4C21-5A3F-4E8D-8C19-2D6F7A8B9C30}");
pub(super) const PLAN_EXCHANGE: (&str, &str) =
    ("Exchange", "{9D2A7F14-6B8C-4A1E-B3D5-4E6F8091A2B3}");
pub(super) const PLAN_SQL: (&str, &str) = ("SQL Servers", "{3E8B1C5D-7F2A-4B6C-9D0E-1F2A3B4C5D6E}");
pub(super) const PLAN_WINDOWS: (&str, &str) =
    ("Windows Servers", "{5C4D3E2F-1A0B-4C9D-8E7F-6A5B4C3D2E1F}");

pub(super) const ITEM_DOMAIN: &str = "corp.local (Domain)";
pub(super) const ITEM_FILES: &str = "fs01.corp.local (Computer)";
pub(super) const ITEM_EXCHANGE: &str = "exch01.corp.local (Computer)";
pub(super) const ITEM_SQL: &str = r"sql01.corp.local\MSSQLSERVER (SQL Server instance)";
pub(super) const SQL_INSTANCE: &str = r"sql01.corp.local\MSSQLSERVER";

pub(super) const SHARES: [&str; 6] = [
    "Finance",
    "HR",
    "Marketing",
    "Engineering",
    "Sales",
    "Public",
];
pub(super) const FILE_STEMS: [&str; 12] = [
    "Budget",
    "Forecast",
    "Minutes",
    "Roadmap",
    "Invoice",
    "Contract",
    "Payroll",
    "Report",
    "Presentation",
    "Timesheet",
    "Specification",
    "Notes",
];
pub(super) const FILE_EXTENSIONS: [&str; 5] = ["xlsx", "docx", "pdf", "pptx", "txt"];

pub(super) const GPOS: [&str; 5] = [
    "Default Domain Policy",
    "Workstation Baseline",
    "Server Hardening",
    "Password Policy",
    "Drive Mappings",
];
pub(super) const GPO_SETTINGS: [(&str, &str, &str); 4] = [
    (
        r"Computer Configuration\Policies\Windows Settings\Security Settings\Account Policies\Password Policy\Minimum password length",
        "8 characters",
        "12 characters",
    ),
    (
        r"Computer Configuration\Policies\Windows Settings\Security Settings\Account Policies\Account Lockout Policy\Account lockout threshold",
        "5 invalid logon attempts",
        "10 invalid logon attempts",
    ),
    (
        r"Computer Configuration\Policies\Windows Settings\Security Settings\Local Policies\Audit Policy\Audit logon events",
        "Success, Failure",
        "No auditing",
    ),
    (
        r"User Configuration\Policies\Administrative Templates\Control Panel\Prohibit access to Control Panel",
        "Not Configured",
        "Enabled",
    ),
];
pub(super) const OUS: [&str; 4] = [
    r"Corp\Workstations",
    r"Corp\Servers",
    r"Corp\Users",
    r"Corp\Laptops",
];
pub(super) const SERVICES: [&str; 4] = [
    "Windows Update",
    "Print Spooler",
    "Windows Defender Antivirus Service",
    "Background Intelligent Transfer Service",
];
pub(super) const SQL_ROLES: [&str; 3] = ["dbcreator", "bulkadmin", "processadmin"];
pub(super) const USER_ATTRIBUTES: [(&str, &str, &str); 4] = [
    ("title", "Analyst", "Senior Analyst"),
    ("department", "Sales", "Marketing"),
    ("telephoneNumber", "+1 555 0100", "+1 555 0199"),
    ("physicalDeliveryOfficeName", "Building A", "Building C"),
];

const FIRST_NAMES: [&str; 20] = [
    "Alice", "Brian", "Chloe", "David", "Emma", "Farid", "Grace", "Hiro", "Isabel", "Jonas",
    "Kavya", "Liam", "Maria", "Noah", "Olga", "Pedro", "Quinn", "Rosa", "Sven", "Tara",
];
const LAST_NAMES: [&str; 6] = ["Nguyen", "Okafor", "Schmidt", "Rossi", "Kowalski", "Haddad"];

/// An ordinary employee account.
#[derive(Clone, Debug)]
pub(super) struct User {
    /// `CORP\anguyen`.
    pub(super) account: String,
    /// `Alice Nguyen`.
    pub(super) display: String,
    /// The workstation the user logs on from, `ws-0042.corp.local`.
    pub(super) workstation: String,
}

impl User {
    /// The user's AD path, e.g. `\local\corp\Corp\Users\Alice Nguyen`.
    pub(super) fn path(&self) -> String {
        format!(r"{AD_ROOT}\Corp\Users\{}", self.display)
    }
}

/// The 120 employees, in a fixed order.
pub(super) fn users() -> Vec<User> {
    let mut users = Vec::with_capacity(FIRST_NAMES.len() * LAST_NAMES.len());
    for last in LAST_NAMES {
        for first in FIRST_NAMES {
            let i = users.len();
            let initial = first.chars().next().unwrap_or('x').to_ascii_lowercase();
            users.push(User {
                account: format!(r"{DOMAIN}\{initial}{}", last.to_lowercase()),
                display: format!("{first} {last}"),
                workstation: workstation((i * 7) % WORKSTATION_COUNT),
            });
        }
    }
    users
}

/// The `n`th workstation's FQDN.
pub(super) fn workstation(n: usize) -> String {
    format!("ws-{:04}.{DNS}", n + 1)
}

/// The group memberships of the directory, for `InGroup`.
pub(super) fn directory() -> Vec<(String, Vec<String>)> {
    let users = users();
    let accounts = |range: std::ops::Range<usize>, step: usize| -> Vec<String> {
        users[range]
            .iter()
            .step_by(step)
            .map(|u| u.account.clone())
            .collect()
    };
    let owned = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
    let mut administrators = owned(&DOMAIN_ADMINS);
    administrators.extend(owned(&SERVER_ADMINS));
    vec![
        ("Domain Admins".to_owned(), owned(&DOMAIN_ADMINS)),
        ("Enterprise Admins".to_owned(), owned(&[ADMINISTRATOR])),
        ("Schema Admins".to_owned(), owned(&[ADMINISTRATOR])),
        ("Administrators".to_owned(), administrators),
        ("Account Operators".to_owned(), owned(&HELPDESK[..1])),
        ("Backup Operators".to_owned(), owned(&SERVICE_ACCOUNTS[..1])),
        ("Helpdesk".to_owned(), owned(&HELPDESK)),
        ("Marketing".to_owned(), accounts(0..12, 1)),
        ("VPN Users".to_owned(), accounts(0..users.len(), 2)),
        ("Finance".to_owned(), accounts(12..24, 1)),
        ("Sales".to_owned(), accounts(24..40, 1)),
        ("Engineering".to_owned(), accounts(40..70, 1)),
        ("All Staff".to_owned(), accounts(0..users.len(), 1)),
    ]
}
