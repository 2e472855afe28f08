//! The `source` table: the Auditor endpoint, its account, request limits; and the credentials rule both systems share.

use super::*;

impl Converter<'_> {
    pub(super) fn source_table(&mut self, p: &str) -> Table {
        let mut t = Table::new(format!("{p}.source"));
        t.set("type", "netwrix_auditor".into(), "");
        let file = self.itsm_file.clone();
        self.auditor_endpoint(&mut t, &file);
        self.credentials(
            &mut t,
            Credentials {
                file: &file,
                user: self.itsm_setting(ItsmParam::NetwrixAuditorUserName),
                password: self.itsm_setting(ItsmParam::NetwrixAuditorPassword),
                user_setting: "NetwrixAuditorUserName",
                password_setting: "NetwrixAuditorPassword",
                user_env: "NETWRIX_AUDITOR_USERNAME",
                password_env: "NETWRIX_AUDITOR_PASSWORD",
                secret_file: "/etc/sluice/auditor-password",
                windows_auth: true,
            },
        );
        // The add-on's Windows client negotiated NTLM with the Integration API, as Netwrix
        // recommends; sluice speaks it too, so Basic need not be turned on for the move.
        t.set(
            "auth",
            "ntlm".into(),
            "the add-on signed in with Windows authentication (NTLM)",
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

    /// `endpoint`: `NetwrixAuditorHost` with a scheme, or the add-on's default; a note when
    /// it names this machine.
    fn auditor_endpoint(&mut self, t: &mut Table, file: &str) {
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
                file,
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
                        "{shown} is plain http: the activity records cross the network \
                         readable (NTLM keeps the password itself off the wire); switch the \
                         Integration API to https (APIAdminTool.exe api https, in the Audit \
                         Core folder of the Auditor install), and pin its self-signed \
                         certificate with the source's http.tls_fingerprint"
                    ),
                );
                host.to_owned()
            }
            Some(_) => host.to_owned(),
        }
    }

    /// A text parameter of `ITSMSettings.xml` with the place it was read, if the file has it.
    fn itsm_setting(&self, param: ItsmParam) -> Option<Setting<String>> {
        self.itsm.text(param).map(|(value, at)| Setting {
            value: value.to_owned(),
            at: at.clone(),
        })
    }

    /// `username` and `password` of a component: as given, or `${ENV}` placeholders where
    /// the add-on had none.
    pub(super) fn credentials(&mut self, t: &mut Table, c: Credentials<'_>) {
        match c.user.clone().filter(|u| !u.value.is_empty()) {
            None => self.account_from_environment(t, &c),
            Some(user) => {
                self.account_as_given(t, &c, user);
                self.password(t, &c);
            }
        }
    }

    /// No user in the add-on's file: both `username` and `password` become `${ENV}`
    /// placeholders, and the report says why.
    fn account_from_environment(&mut self, t: &mut Table, c: &Credentials<'_>) {
        let at = c.user.as_ref().map(|u| u.at.clone());
        let why = if c.windows_auth {
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
        if c.windows_auth {
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
        t.set("password", Value::Str(c.password_reference()), "");
    }

    /// The add-on's user, written as `username` (with Windows authentication, the source
    /// signs in with NTLM as the add-on did: `auth = "ntlm"`).
    fn account_as_given(&mut self, t: &mut Table, c: &Credentials<'_>, user: Setting<String>) {
        t.set(
            "username",
            Value::Str(escape_references(&user.value)),
            c.user_setting,
        );
    }

    /// `password` next to a given user: a placeholder where the add-on had none or one sluice
    /// would misread, else the add-on's, in clear.
    fn password(&mut self, t: &mut Table, c: &Credentials<'_>) {
        match c.password.clone().filter(|p| !p.value.is_empty()) {
            None => self.missing_password(t, c),
            Some(p) if p.value.starts_with("file:") => self.file_like_password(t, c, &p.at),
            Some(p) => self.clear_password(t, c, p),
        }
    }

    fn missing_password(&mut self, t: &mut Table, c: &Credentials<'_>) {
        let env = c.password_reference();
        let at = c.password.as_ref().map(|p| p.at.clone());
        self.note(
            at.as_ref(),
            c.file,
            c.password_setting,
            Verdict::Changed,
            format!("empty, and sluice needs one; the config reads it from {env}"),
        );
        t.set_explained(
            "password",
            Value::Str(env),
            vec![format!(
                "{}: empty in the add-on's file; set {} or write it here.",
                c.password_setting, c.password_env
            )],
        );
    }

    /// A password beginning with `file:`, which sluice would read as a file reference.
    fn file_like_password(&mut self, t: &mut Table, c: &Credentials<'_>, at: &At) {
        let env = c.password_reference();
        self.note(
            Some(at),
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
            Value::Str(env),
            vec![format!(
                "{}: set {}; the value cannot be written here as is.",
                c.password_setting, c.password_env
            )],
        );
    }

    fn clear_password(&mut self, t: &mut Table, c: &Credentials<'_>, password: Setting<String>) {
        let env = c.password_reference();
        self.note(
            Some(&password.at),
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
            Value::Str(escape_references(&password.value)),
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
