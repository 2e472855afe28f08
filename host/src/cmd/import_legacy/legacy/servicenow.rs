//! `ServiceNowSettings.xml`: the connection, TicketParameters, the correlation format and the reopen options.

use super::*;

/// One `<TicketParameter>`: a ServiceNow field and its template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TicketParameter {
    pub(crate) name: String,
    pub(crate) value: String,
    pub(crate) at: At,
}

/// A value with the place it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Setting<T> {
    pub(crate) value: T,
    pub(crate) at: At,
}

/// `ServiceNowSettings.xml`.
#[derive(Debug, Default)]
pub(crate) struct ServiceNowSettings {
    /// `Connection/URL`.
    pub(crate) url: Option<Setting<String>>,
    /// `Connection/UserName`.
    pub(crate) user_name: Option<Setting<String>>,
    /// `Connection/Password`, exactly as written.
    pub(crate) password: Option<Setting<String>>,
    /// `TicketParameters`, in file order; `None` when the file has no such element.
    pub(crate) ticket_parameters: Option<Setting<Vec<TicketParameter>>>,
    /// `CorrelationTicketFormat`, exactly as written.
    pub(crate) correlation_format: Option<Setting<String>>,
    /// `ReopenTicketOptions/ClosedTicketStates`, each `TicketState`.
    pub(crate) closed_states: Option<Setting<Vec<String>>>,
    /// `ReopenTicketOptions/NewState`.
    pub(crate) new_state: Option<Setting<String>>,
    /// ConnectWise-only: `IgnoreUploadAttachmentError`.
    pub(crate) ignore_upload_attachment_error: Option<Setting<bool>>,
    /// ConnectWise-only: `EnableTls12`.
    pub(crate) enable_tls12: Option<Setting<bool>>,
    /// ConnectWise-only: `TicketParameterRefs`, summarized (`company (id = 42)`).
    pub(crate) ticket_parameter_refs: Option<Setting<String>>,
}

/// Reads `ServiceNowSettings.xml` from its root element. `file` names the file in messages.
pub(crate) fn read_servicenow(
    root: &Element,
    file: &str,
) -> Result<(ServiceNowSettings, Vec<Note>), String> {
    let mut reader = ServiceNowReader {
        file,
        settings: ServiceNowSettings::default(),
        notes: Vec::new(),
    };
    reader.walk(root, "")?;
    Ok((reader.settings, reader.notes))
}

struct ServiceNowReader<'f> {
    file: &'f str,
    settings: ServiceNowSettings,
    notes: Vec<Note>,
}

impl ServiceNowReader<'_> {
    fn walk(&mut self, element: &Element, path: &str) -> Result<(), String> {
        for child in &element.children {
            let here = if path.is_empty() {
                child.name.clone()
            } else {
                format!("{path}/{}", child.name)
            };
            if child.is("TicketParameters") {
                self.ticket_parameters_at(child);
                for item in &child.children {
                    if item.is("TicketParameter") {
                        self.ticket_parameter(item)?;
                    } else {
                        self.unknown(item, &format!("TicketParameters/{}", item.name));
                    }
                }
            } else if child.is("TicketParameter") {
                self.ticket_parameters_at(child);
                self.ticket_parameter(child)?;
            } else if child.is("TicketParameterRefs") {
                self.settings.ticket_parameter_refs = Some(Setting {
                    value: summarize_refs(child),
                    at: at(self.file, child),
                });
            } else if child.is("ClosedTicketStates") {
                self.closed_states_at(child);
                for item in &child.children {
                    if item.is("TicketState") {
                        self.ticket_state(item)?;
                    } else {
                        self.unknown(item, &format!("ClosedTicketStates/{}", item.name));
                    }
                }
            } else if child.is("TicketState") {
                self.closed_states_at(child);
                self.ticket_state(child)?;
            } else if child.is("URL") {
                let value = value_of(self.file, child)?.trim().to_owned();
                self.set_text(child, "Connection/URL", value, |s| &mut s.url);
            } else if child.is("UserName") {
                let value = value_of(self.file, child)?.trim().to_owned();
                self.set_text(child, "Connection/UserName", value, |s| &mut s.user_name);
            } else if child.is("Password") {
                let value = value_of(self.file, child)?.to_owned();
                self.set_text(child, "Connection/Password", value, |s| &mut s.password);
            } else if child.is("NewState") {
                let value = state(self.file, child)?;
                self.set_text(child, "ReopenTicketOptions/NewState", value, |s| {
                    &mut s.new_state
                });
            } else if child.is("CorrelationTicketFormat") {
                let value = value_of(self.file, child)?.to_owned();
                self.set_text(child, "CorrelationTicketFormat", value, |s| {
                    &mut s.correlation_format
                });
            } else if child.is("IgnoreUploadAttachmentError") {
                let value = self.flag(child, "true")?;
                self.settings.ignore_upload_attachment_error = Some(value);
            } else if child.is("EnableTls12") {
                let value = self.flag(child, "false")?;
                self.settings.enable_tls12 = Some(value);
            } else if !child.children.is_empty() {
                self.walk(child, &here)?;
            } else {
                self.unknown(child, &here);
            }
        }
        Ok(())
    }

    fn set_text(
        &mut self,
        element: &Element,
        name: &str,
        value: String,
        slot: impl Fn(&mut ServiceNowSettings) -> &mut Option<Setting<String>>,
    ) {
        let place = at(self.file, element);
        if let Some(earlier) = slot(&mut self.settings).replace(Setting {
            value,
            at: place.clone(),
        }) {
            self.notes.push(Note::at(
                &earlier.at,
                name,
                Verdict::Check,
                format!("set again at line {}; the value there was used", place.line),
            ));
        }
    }

    fn flag(&self, element: &Element, default: &str) -> Result<Setting<bool>, String> {
        match typed(Kind::Flag, value_of(self.file, element)?, default) {
            Ok(Value::Flag(value)) => Ok(Setting {
                value,
                at: at(self.file, element),
            }),
            Ok(_) => Err(value_error(self.file, element, "is not a flag".to_owned())),
            Err(m) => Err(value_error(self.file, element, m)),
        }
    }

    fn ticket_parameters_at(&mut self, element: &Element) {
        if self.settings.ticket_parameters.is_none() {
            self.settings.ticket_parameters = Some(Setting {
                value: Vec::new(),
                at: at(self.file, element),
            });
        }
    }

    /// `<TicketParameter><Name>…</Name><Value>…</Value></TicketParameter>`; the
    /// `Name="…" Value="…"` attribute form is read too, since the ConnectWise page speaks of
    /// "the Name attribute".
    fn ticket_parameter(&mut self, element: &Element) -> Result<(), String> {
        let name = match element.child("Name") {
            Some(n) => value_of(self.file, n)?.trim().to_owned(),
            None => element
                .attribute("Name")
                .unwrap_or_default()
                .trim()
                .to_owned(),
        };
        let value = match element.child("Value") {
            Some(v) => value_of(self.file, v)?.to_owned(),
            None => element.attribute("Value").unwrap_or_default().to_owned(),
        };
        let place = at(self.file, element);
        if name.is_empty() {
            self.notes.push(Note::at(
                &place,
                "TicketParameters/TicketParameter",
                Verdict::NotCarriedOver,
                "has no Name, so no ServiceNow field to fill; ignored",
            ));
            return Ok(());
        }
        for extra in element
            .children
            .iter()
            .filter(|c| !c.is("Name") && !c.is("Value"))
        {
            self.unknown(extra, &format!("TicketParameters/{name}/{}", extra.name));
        }
        if let Some(list) = &mut self.settings.ticket_parameters {
            list.value.push(TicketParameter {
                name,
                value,
                at: place,
            });
        }
        Ok(())
    }

    fn closed_states_at(&mut self, element: &Element) {
        if self.settings.closed_states.is_none() {
            self.settings.closed_states = Some(Setting {
                value: Vec::new(),
                at: at(self.file, element),
            });
        }
    }

    fn ticket_state(&mut self, element: &Element) -> Result<(), String> {
        let value = state(self.file, element)?;
        if let Some(list) = &mut self.settings.closed_states {
            if !list.value.contains(&value) {
                list.value.push(value);
            }
        }
        Ok(())
    }

    fn unknown(&mut self, element: &Element, path: &str) {
        self.notes.push(Note::at(
            &at(self.file, element),
            path,
            Verdict::NotCarriedOver,
            "not a setting the add-on documents; ignored",
        ));
    }
}

/// A ServiceNow state value: an integer, as `sys_choice` stores states.
fn state(file: &str, element: &Element) -> Result<String, String> {
    let text = value_of(file, element)?.trim();
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || digits.len() > 9 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(value_error(
            file,
            element,
            format!(
                "is {text:?}, not a state number; write the state's value, like 6 for Resolved \
                 or 1 for New"
            ),
        ));
    }
    Ok(text.to_owned())
}

/// `company (id = 42), board (id = 1)`.
fn summarize_refs(refs: &Element) -> String {
    let mut parts = Vec::new();
    for r in refs.children.iter().filter(|c| c.is("TicketParameterRef")) {
        let name = r.child("Name").map(|n| n.text.trim()).unwrap_or("?");
        let mut pairs = Vec::new();
        let params = r
            .child("TicketParameters")
            .map(|p| p.children.as_slice())
            .unwrap_or_default();
        for p in params {
            let key = p.child("Name").map(|n| n.text.trim()).unwrap_or("?");
            let value = p.child("Value").map(|v| v.text.trim()).unwrap_or("");
            pairs.push(format!("{key} = {value}"));
        }
        parts.push(format!("{name} ({})", pairs.join(", ")));
    }
    parts.join(", ")
}

/// Whether `root` holds `ServiceNowSettings.xml` elements.
pub(crate) fn looks_like_servicenow(root: &Element) -> bool {
    has_any(
        root,
        &[
            "Connection",
            "TicketParameters",
            "CorrelationTicketFormat",
            "ReopenTicketOptions",
        ],
    )
}
