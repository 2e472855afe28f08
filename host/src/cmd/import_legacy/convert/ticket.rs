//! The `ticket` table from TicketParameters, each template checked.

use super::*;

impl Converter<'_> {
    /// `[pipelines.security.ticket]` from `TicketParameters`, in the add-on's order.
    pub(super) fn ticket_table(&mut self, p: &str) -> Option<Table> {
        let file = self.servicenow_file.clone();
        let Some(list) = self.servicenow.ticket_parameters.clone() else {
            self.note(
                None,
                &file,
                "TicketParameters",
                Verdict::Changed,
                "not in the file; sluice's default ticket fields apply (the add-on's defaults \
                 without assignment_group)"
                    .to_owned(),
            );
            return None;
        };
        let mut t = Table::new(format!("{p}.ticket"));
        t.comments = vec![
            "TicketParameters, in the add-on's order: ServiceNow field = template. work_notes and"
                .to_owned(),
            "comments also decide where updates are written.".to_owned(),
        ];
        let kept = self.last_of_each_name(&list.value);
        for param in kept {
            self.check_template(param);
            if param.name == "assignment_group" && is_demo_group(&param.value) {
                self.note(
                    Some(&param.at),
                    "",
                    "TicketParameters/assignment_group",
                    Verdict::Check,
                    format!(
                        "{:?} is the Service Desk group of ServiceNow's demo data, which the \
                         add-on ships; carried over, but put your group's sys_id there",
                        param.value.trim()
                    ),
                );
            }
            t.set(&param.name, Value::Str(param.value.clone()), "");
        }
        Some(t)
    }

    /// One parameter per field: a config holds one value per key, and ServiceNow keeps the
    /// last of a field written twice.
    pub(super) fn last_of_each_name<'p>(
        &mut self,
        params: &'p [TicketParameter],
    ) -> Vec<&'p TicketParameter> {
        let mut kept: Vec<&TicketParameter> = Vec::new();
        for param in params {
            if let Some(i) = kept.iter().position(|k| k.name == param.name) {
                let earlier = kept.remove(i);
                self.note(
                    Some(&earlier.at),
                    "",
                    &format!("TicketParameters/{}", param.name),
                    Verdict::Changed,
                    format!(
                        "set again at line {}; a config holds one template per field, so the \
                         later one was kept",
                        param.at.line
                    ),
                );
            }
            kept.push(param);
        }
        kept
    }

    /// Notes placeholders sluice does not know; the template is written anyway.
    pub(super) fn check_template(&mut self, param: &TicketParameter) {
        let Ok(template) = Template::parse(&param.value, None) else {
            return;
        };
        let setting = format!("TicketParameters/{}", param.name);
        for name in template.placeholders() {
            if ALERT_PLACEHOLDERS.contains(&name) {
                continue;
            }
            let hint = match ALERT_PLACEHOLDERS
                .iter()
                .find(|k| k.eq_ignore_ascii_case(name))
            {
                Some(near) => format!(" (names are case-sensitive: %{near}%)"),
                None => format!("; it knows %{}%", ALERT_PLACEHOLDERS.join("%, %")),
            };
            self.note(
                Some(&param.at),
                "",
                &setting,
                Verdict::Check,
                format!(
                    "%{name}% is not a placeholder sluice knows{hint}; written as is, and \
                     `sluice validate` refuses it until it is fixed"
                ),
            );
        }
        if param.value.contains("%%") {
            self.note(
                Some(&param.at),
                "",
                &setting,
                Verdict::Check,
                "contains `%%`, which sluice renders as one `%`".to_owned(),
            );
        }
    }

    /// The elements documented only for the add-on's ConnectWise build, which a ServiceNow
    /// file may still hold.
    pub(super) fn connectwise_only(&mut self) {
        let sn = self.servicenow;
        if let Some(s) = &sn.ignore_upload_attachment_error {
            let also = if s.value {
                ""
            } else {
                " (false asked for an error instead)"
            };
            self.note(
                Some(&s.at),
                "",
                "IgnoreUploadAttachmentError",
                Verdict::NotCarriedOver,
                format!(
                    "sluice always keeps an update whose records attachment ServiceNow refuses, \
                     and logs a warning{also}; there is no MissingAttachments folder"
                ),
            );
        }
        if let Some(s) = &sn.enable_tls12 {
            self.note(
                Some(&s.at),
                "",
                "EnableTls12",
                Verdict::NotCarriedOver,
                "sluice always uses TLS 1.2 or later".to_owned(),
            );
        }
        if let Some(s) = &sn.ticket_parameter_refs {
            self.note(
                Some(&s.at),
                "",
                "TicketParameterRefs",
                Verdict::NotCarriedOver,
                format!(
                    "ConnectWise reference objects ({}); a ServiceNow reference field takes its \
                     sys_id as a plain value in [pipelines.{PIPELINE}.ticket]",
                    if s.value.is_empty() { "none" } else { &s.value }
                ),
            );
        }
    }
}
