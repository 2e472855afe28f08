//! The `sink` table: the ServiceNow connection and the reopen options.

use super::*;

impl Converter<'_> {
    pub(super) fn sink_table(&mut self, p: &str) -> Table {
        let mut t = Table::new(format!("{p}.sink"));
        t.set("type", "servicenow".into(), "");
        let file = self.servicenow_file.clone();
        self.instance_url(&mut t, &file);
        self.release(&mut t, &file);
        self.credentials(
            &mut t,
            Credentials {
                file: &file,
                user: self.servicenow.user_name.clone(),
                password: self.servicenow.password.clone(),
                user_setting: "Connection/UserName",
                password_setting: "Connection/Password",
                user_env: "SERVICENOW_USERNAME",
                password_env: "SERVICENOW_PASSWORD",
                secret_file: "/etc/sluice/servicenow-password",
                windows_auth: false,
            },
        );
        self.reopen_states(&mut t);
        t
    }

    /// `endpoint`: `Connection/URL`, with `https://` added where it has no scheme, or
    /// `${SERVICENOW_ENDPOINT}` where it is not set.
    fn instance_url(&mut self, t: &mut Table, file: &str) {
        match self.servicenow.url.clone().filter(|u| !u.value.is_empty()) {
            Some(Setting { value: url, at }) if url.contains("://") => {
                if url.contains('@') {
                    self.note(
                        Some(&at),
                        file,
                        "Connection/URL",
                        Verdict::Check,
                        "carries user info (user:password@), which sluice refuses; move the \
                         account to the sink's username and password"
                            .to_owned(),
                    );
                }
                t.set(
                    "endpoint",
                    Value::Str(escape_references(&url)),
                    "Connection/URL",
                );
            }
            Some(Setting { value: url, at }) => {
                self.note(
                    Some(&at),
                    file,
                    "Connection/URL",
                    Verdict::Changed,
                    "has no scheme; written with https://, which ServiceNow instances require"
                        .to_owned(),
                );
                t.set(
                    "endpoint",
                    Value::Str(escape_references(&format!("https://{url}"))),
                    "Connection/URL, https:// added",
                );
            }
            None => self.instance_url_from_environment(t, file),
        }
    }

    fn instance_url_from_environment(&mut self, t: &mut Table, file: &str) {
        let at = self.servicenow.url.as_ref().map(|u| u.at.clone());
        self.note(
            at.as_ref(),
            file,
            "Connection/URL",
            Verdict::Changed,
            "not set; the config reads the instance URL from ${SERVICENOW_ENDPOINT}: \
             set it, or write the URL into the config"
                .to_owned(),
        );
        t.set(
            "endpoint",
            "${SERVICENOW_ENDPOINT}".into(),
            "Connection/URL: not set; like https://acme.service-now.com",
        );
    }

    /// `release`: the add-on's files name none, so the default, to check.
    fn release(&mut self, t: &mut Table, file: &str) {
        self.note(
            None,
            file,
            "ServiceNow release (not in the add-on's files)",
            Verdict::Check,
            format!(
                "written as {RELEASE:?}; set the sink's release to your instance's: helsinki, \
                 istanbul, jakarta (experimental), kingston or london"
            ),
        );
        t.set_explained(
            "release",
            RELEASE.into(),
            vec![
                "Not in the add-on's files: check it. helsinki, istanbul, jakarta (experimental),"
                    .to_owned(),
                "kingston or london.".to_owned(),
            ],
        );
    }

    pub(super) fn reopen_states(&mut self, t: &mut Table) {
        let new_state = self.servicenow.new_state.clone();
        let reopen = new_state
            .as_ref()
            .map_or_else(|| "1".to_owned(), |s| s.value.clone());
        t.set(
            "reopen_state",
            Value::Str(reopen.clone()),
            if new_state.is_some() {
                "ReopenTicketOptions/NewState"
            } else {
                "ReopenTicketOptions/NewState: not set (New)"
            },
        );
        match self.servicenow.closed_states.clone() {
            Some(list) if list.value.is_empty() => {
                self.note(
                    Some(&list.at),
                    "",
                    "ReopenTicketOptions/ClosedTicketStates",
                    Verdict::Changed,
                    "lists no state, so the add-on reopened nothing; sluice needs at least one, \
                     so the config turns reopening off instead \
                     (suppression.reopen_ticket_on_repetitive_alerts = false)"
                        .to_owned(),
                );
            }
            Some(list) => {
                if list.value.contains(&reopen) {
                    let at = new_state.map_or(list.at.clone(), |s| s.at);
                    self.note(
                        Some(&at),
                        "",
                        "ReopenTicketOptions/NewState",
                        Verdict::Check,
                        format!(
                            "{reopen} is also a closed state, so a reopened ticket would still \
                             count as closed; sluice refuses that: pick an open state, like 1 \
                             (New)"
                        ),
                    );
                }
                t.set(
                    "closed_states",
                    Value::Strs(list.value),
                    "ReopenTicketOptions/ClosedTicketStates",
                );
            }
            None => t.set(
                "closed_states",
                Value::Strs(vec!["6".into(), "7".into(), "8".into()]),
                "ReopenTicketOptions/ClosedTicketStates: not set",
            ),
        }
    }

    /// Whether the add-on's file leaves nothing to reopen from.
    pub(super) fn no_closed_states(&self) -> bool {
        self.servicenow
            .closed_states
            .as_ref()
            .is_some_and(|l| l.value.is_empty())
    }
}
