//! The `source` table: the Auditor endpoint, its account, request limits; and the credentials rule both systems share.

use super::*;

impl Converter<'_> {
    pub(super) fn source_table(&mut self, p: &str) -> Table {
        let mut t = Table::new(format!("{p}.source"));
        t.set("type", "netwrix_auditor".into(), "");
        let file = self.itsm_file.clone();
        let host = self.itsm.text(ItsmParam::NetwrixAuditorHost);
        let (endpoint, comment) = match host.filter(|(h, _)| !h.is_empty()) {
            Some((h, at)) => {
                let at = at.clone();
                let comment = if h.contains("://") || h.contains('@') {
                    "NetwrixAuditorHost".to_owned()
                } else {
                    format!("NetwrixAuditorHost {h}: no scheme means https")
                };
                (self.endpoint_of_host(h, &at), comment)
            }
            None => (
                format!("https://{DEFAULT_HOST}"),
                format!("NetwrixAuditorHost: not set ({DEFAULT_HOST}, https)"),
            ),
        };
        if is_local(&endpoint) {
            let at = host.map(|(_, at)| at.clone());
            self.note(
                at.as_ref(),
                &file,
                "NetwrixAuditorHost",
                Verdict::Check,
                "names this machine: the add-on ran on the Auditor server; if sluice runs \
                 elsewhere, put the Auditor server's name in the source's endpoint"
                    .to_owned(),
            );
        }
        t.set(
            "endpoint",
            Value::Str(escape_references(&endpoint)),
            comment,
        );
        self.credentials(
            &mut t,
            Credentials {
                file: &file,
                user: self
                    .itsm
                    .text(ItsmParam::NetwrixAuditorUserName)
                    .map(|(v, at)| (v.to_owned(), at.clone())),
                password: self
                    .itsm
                    .text(ItsmParam::NetwrixAuditorPassword)
                    .map(|(v, at)| (v.to_owned(), at.clone())),
                user_setting: "NetwrixAuditorUserName",
                password_setting: "NetwrixAuditorPassword",
                user_env: "NETWRIX_AUDITOR_USERNAME",
                password_env: "NETWRIX_AUDITOR_PASSWORD",
                secret_file: "/etc/sluice/auditor-password",
                windows_auth: true,
            },
        );
        let count = self.clamped(ItsmParam::WebRequestLimit, 200, COUNT_RANGE, "records");
        t.set(
            "count",
            Value::Int(count as i64),
            "ActivityRecordWebRequests/RequestLimit",
        );
        let timeout = self.clamped(ItsmParam::WebRequestTimeout, 180, TIMEOUT_RANGE, "seconds");
        t.set(
            "request_timeout",
            Value::Str(duration(timeout)),
            "ActivityRecordWebRequests/RequestTimeout",
        );
        t
    }

    /// `NetwrixAuditorHost` as an endpoint with a scheme, noting what the user should know.
    pub(super) fn endpoint_of_host(&mut self, host: &str, at: &At) -> String {
        let shown = if host.contains('@') {
            "(not shown: it carries user info)".to_owned()
        } else {
            host.to_owned()
        };
        if host.contains('@') {
            self.note(
                Some(at),
                "",
                "NetwrixAuditorHost",
                Verdict::Check,
                "carries user info (user:password@), which sluice refuses there; move the \
                 account to the source's username and password"
                    .to_owned(),
            );
        }
        match host.split_once("://") {
            None => format!("https://{host}"),
            Some((scheme, _)) if scheme.eq_ignore_ascii_case("http") => {
                self.note(
                    Some(at),
                    "",
                    "NetwrixAuditorHost",
                    Verdict::Check,
                    format!(
                        "{shown} is plain http: sluice signs in with HTTP Basic, so the \
                         password crosses the network readable; switch the Integration API to \
                         https (APIAdminTool.exe api https, netwrix reference §1.1)"
                    ),
                );
                host.to_owned()
            }
            Some(_) => host.to_owned(),
        }
    }

    /// `username` and `password` of a component: as given, or `${ENV}` placeholders where
    /// the add-on had none.
    pub(super) fn credentials(&mut self, t: &mut Table, c: Credentials<'_>) {
        let user = c.user.clone().filter(|(u, _)| !u.is_empty());
        let password = c.password.clone().filter(|(p, _)| !p.is_empty());
        let Some((user, user_at)) = user else {
            let at = c.user.as_ref().map(|(_, at)| at.clone());
            let integrated = c.windows_auth;
            let why = if integrated {
                "empty, so the add-on signed in as its Windows service account (integrated \
                 authentication), which sluice cannot do"
            } else {
                "empty, and sluice needs an account"
            };
            self.note(
                at.as_ref(),
                c.file,
                c.user_setting,
                Verdict::Changed,
                format!(
                    "{why}; the config reads the account from ${{{}}} and ${{{}}}: set both, or \
                     write them into the config",
                    c.user_env, c.password_env
                ),
            );
            let mut above = vec![format!(
                "{}: {why}. Set the environment variables {} and {}",
                c.user_setting, c.user_env, c.password_env
            )];
            if integrated {
                above.push(
                    "(an account with Auditor's Global reviewer role), or write the account here."
                        .to_owned(),
                );
            } else {
                above.push("or write the account here.".to_owned());
            }
            t.set_explained(
                "username",
                Value::Str(format!("${{{}}}", c.user_env)),
                above,
            );
            t.set(
                "password",
                Value::Str(format!("${{{}}}", c.password_env)),
                "",
            );
            return;
        };
        if c.windows_auth {
            self.note(
                Some(&user_at),
                c.file,
                c.user_setting,
                Verdict::Check,
                "sluice signs in with HTTP Basic only, where the add-on's Windows client could \
                 use NTLM: the Integration API must accept Basic for this account (netwrix \
                 reference §1.2)"
                    .to_owned(),
            );
        }
        t.set(
            "username",
            Value::Str(escape_references(&user)),
            c.user_setting,
        );
        let env = format!("${{{}}}", c.password_env);
        match password {
            None => {
                let at = c.password.as_ref().map(|(_, at)| at.clone());
                self.note(
                    at.as_ref(),
                    c.file,
                    c.password_setting,
                    Verdict::Changed,
                    format!("empty, and sluice needs one; the config reads it from {env}"),
                );
                t.set_explained(
                    "password",
                    Value::Str(env.clone()),
                    vec![format!(
                        "{}: empty in the add-on's file; set {} or write it here.",
                        c.password_setting, c.password_env
                    )],
                );
            }
            Some((p, at)) if p.starts_with("file:") => {
                self.note(
                    Some(&at),
                    c.file,
                    c.password_setting,
                    Verdict::Changed,
                    format!(
                        "begins with `file:`, which sluice reads as a reference to a file; the \
                         config reads it from {env} instead: set it"
                    ),
                );
                t.set_explained(
                    "password",
                    Value::Str(env.clone()),
                    vec![format!(
                        "{}: set {}; the value cannot be written here as is.",
                        c.password_setting, c.password_env
                    )],
                );
            }
            Some((p, at)) => {
                self.note(
                    Some(&at),
                    c.file,
                    c.password_setting,
                    Verdict::Check,
                    format!(
                        "written into the config in clear, as the add-on's file had it; better \
                         a secret reference, {env} or file:{}",
                        c.secret_file
                    ),
                );
                t.set_explained(
                    "password",
                    Value::Str(escape_references(&p)),
                    vec![
                        format!(
                            "{}, as the add-on's file had it. Better, keep it out of",
                            c.password_setting
                        ),
                        "this file with a secret reference: an environment variable,".to_owned(),
                        format!("\"{env}\", or a file, \"file:{}\".", c.secret_file),
                    ],
                );
            }
        }
    }
}
