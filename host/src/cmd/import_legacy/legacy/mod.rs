//! The vendor add-on's two settings files as values: `ITSMSettings.xml` and
//! `ServiceNowSettings.xml`.
//!
//! The shipped files were never published, only their element names: their root names and
//! nesting are not known. So reading is lenient: the root's name is ignored, names match in
//! any case, a setting is accepted at any depth, an unknown wrapper element is looked into,
//! and the three request groups of `ITSMSettings.xml` decide which `RequestLimit` is which.
//! Strict where the add-on was: a number or a flag that does not read as one is an error
//! naming file, line and element.
//!
//! What was found but means nothing here (an unknown element, a setting given twice) becomes a
//! report [`Note`].

use super::report::{At, Note, Verdict};
use super::xml::Element;

/// How a setting's text is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Text, trimmed.
    Text,
    /// Text kept exactly (a password may begin or end with a space).
    Exact,
    /// A whole number of things, at most the given value.
    Count(u64),
    /// A whole number of seconds.
    Seconds,
    /// `true` or `false` (`1`/`0` too, as .NET's XML reader takes them).
    Flag,
}

/// The largest count a TOML integer holds.
const TOML_MAX: u64 = i64::MAX as u64;

mod itsm;
mod servicenow;

pub(super) use itsm::{looks_like_itsm, read_itsm, ItsmParam, ItsmSettings};
pub(super) use servicenow::{
    looks_like_servicenow, read_servicenow, ServiceNowSettings, Setting, TicketParameter,
};

/// A value read from a file, typed by its parameter's kind.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Text(String),
    Number(u64),
    Flag(bool),
}

fn at(file: &str, element: &Element) -> At {
    At {
        file: file.to_owned(),
        line: element.line,
        column: element.column,
    }
}

fn value_error(file: &str, element: &Element, message: String) -> String {
    format!(
        "{}:{}:{}: <{}> {message}",
        file, element.line, element.column, element.name
    )
}

/// The text of a setting's element; an element inside it is an error (the add-on's reader
/// would refuse it too), named without its content, which may be part of a password.
fn value_of<'e>(file: &str, element: &'e Element) -> Result<&'e str, String> {
    if element.children.is_empty() {
        Ok(&element.text)
    } else {
        Err(value_error(
            file,
            element,
            "holds an element where a value belongs; write a `<` in a value as &lt;".to_owned(),
        ))
    }
}

/// Reads `text` as `kind`; the error says what the element should hold.
fn typed(kind: Kind, text: &str, default: &str) -> Result<Value, String> {
    let trimmed = text.trim();
    let number = || -> Result<u64, String> {
        if trimmed.is_empty() || !trimmed.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!("is {trimmed:?}, not a whole number"));
        }
        trimmed
            .parse::<u64>()
            .map_err(|_| format!("is {trimmed}, too large"))
    };
    match kind {
        Kind::Text => Ok(Value::Text(trimmed.to_owned())),
        Kind::Exact => Ok(Value::Text(text.to_owned())),
        Kind::Count(max) => match number() {
            Ok(n) if n <= max => Ok(Value::Number(n)),
            Ok(n) => Err(format!("is {n}, more than the most sluice takes ({max})")),
            Err(e) => Err(format!("{e}; the add-on's default is {default}")),
        },
        Kind::Seconds => number()
            .map(Value::Number)
            .map_err(|e| format!("{e} of seconds; the add-on's default is {default}")),
        Kind::Flag => match trimmed.to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(Value::Flag(true)),
            "false" | "0" => Ok(Value::Flag(false)),
            _ => Err(format!(
                "is {trimmed:?}, not true or false; the add-on's default is {default}"
            )),
        },
    }
}

/// Whether any element below `root` is named one of `names`.
fn has_any(root: &Element, names: &[&str]) -> bool {
    root.children
        .iter()
        .any(|c| names.iter().any(|n| c.is(n)) || has_any(c, names))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::cmd::import_legacy::xml;

    fn root(text: &str) -> Element {
        xml::parse(Path::new("f.xml"), text.as_bytes()).unwrap()
    }

    #[test]
    fn names_match_in_any_case_at_any_depth_and_groups_decide_request_limits() {
        let (s, notes) = read_itsm(
            &root(
                "<Whatever><General><ticketfloodlimit> 7 </ticketfloodlimit></General>\
                 <ActivityRecordWebRequests><RequestLimit>300</RequestLimit></ActivityRecordWebRequests>\
                 <TICKETREQUESTSRETENTION><requestlimit>9</requestlimit></TICKETREQUESTSRETENTION>\
                 <EnableTicketCorrelation>False</EnableTicketCorrelation>\
                 <RequestLimit>1</RequestLimit><Bogus>x</Bogus></Whatever>",
            ),
            "f.xml",
        )
        .unwrap();
        assert_eq!(s.number(ItsmParam::TicketFloodLimit).map(|v| v.0), Some(7));
        assert_eq!(s.number(ItsmParam::WebRequestLimit).map(|v| v.0), Some(300));
        assert_eq!(
            s.number(ItsmParam::TicketRequestsLimit).map(|v| v.0),
            Some(9)
        );
        assert_eq!(s.number(ItsmParam::RecordRequestsLimit), None);
        assert_eq!(
            s.flag(ItsmParam::EnableTicketCorrelation).map(|v| v.0),
            Some(false)
        );
        let settings: Vec<&str> = notes.iter().map(|n| n.setting.as_str()).collect();
        assert_eq!(settings, ["RequestLimit", "Bogus"]);
        assert!(notes[0].message.contains("which limit"), "{}", notes[0]);
    }

    #[test]
    fn bad_numbers_and_flags_name_file_line_and_element() {
        let err = read_itsm(
            &root("<R>\n  <TicketFloodInterval>1h</TicketFloodInterval>\n</R>"),
            "f.xml",
        )
        .unwrap_err();
        assert_eq!(
            err,
            "f.xml:2:3: <TicketFloodInterval> is \"1h\", not a whole number of seconds; the \
             add-on's default is 3600"
        );
        let err = read_itsm(
            &root("<R><DisplayOnlyFirstActivityRecord>yes</DisplayOnlyFirstActivityRecord></R>"),
            "f.xml",
        )
        .unwrap_err();
        assert!(err.contains("not true or false"), "{err}");
        let err = read_itsm(
            &root("<R><TicketFloodLimit>99999999999</TicketFloodLimit></R>"),
            "f.xml",
        )
        .unwrap_err();
        assert!(err.contains("more than"), "{err}");
        let err = read_servicenow(
            &root("<R><ReopenTicketOptions><NewState>New</NewState></ReopenTicketOptions></R>"),
            "f.xml",
        )
        .unwrap_err();
        assert!(
            err.contains("<NewState> is \"New\", not a state number"),
            "{err}"
        );
    }

    #[test]
    fn an_element_inside_a_value_is_refused_without_showing_it() {
        let err = read_itsm(
            &root("<R><NetwrixAuditorPassword>ab<zebra/>cd</NetwrixAuditorPassword></R>"),
            "f.xml",
        )
        .unwrap_err();
        assert_eq!(
            err,
            "f.xml:1:4: <NetwrixAuditorPassword> holds an element where a value belongs; write \
             a `<` in a value as &lt;"
        );
        let err =
            read_servicenow(&root("<S><Password>ab<zebra/></Password></S>"), "f.xml").unwrap_err();
        assert!(!err.contains("zebra"), "{err}");
    }

    #[test]
    fn servicenow_parameters_keep_order_and_refs_are_summarized() {
        let (s, notes) = read_servicenow(
            &root(
                "<S><Connection><URL> https://x </URL><Password> p </Password></Connection>\
                 <TicketParameters>\
                 <TicketParameter><Name>b</Name><Value> 1 </Value></TicketParameter>\
                 <TicketParameter Name=\"a\" Value=\"2\"/>\
                 <TicketParameter><Value>orphan</Value></TicketParameter>\
                 </TicketParameters>\
                 <TicketParameterRefs><TicketParameterRef><Name>company</Name><TicketParameters>\
                 <TicketParameter><Name>id</Name><Value>42</Value></TicketParameter>\
                 </TicketParameters></TicketParameterRef></TicketParameterRefs>\
                 <ReopenTicketOptions><ClosedTicketStates><TicketState>6</TicketState>\
                 <TicketState>6</TicketState><TicketState>7</TicketState></ClosedTicketStates>\
                 </ReopenTicketOptions></S>",
            ),
            "f.xml",
        )
        .unwrap();
        assert_eq!(s.url.unwrap().value, "https://x");
        assert_eq!(s.password.unwrap().value, " p ");
        let params = s.ticket_parameters.unwrap().value;
        let pairs: Vec<(&str, &str)> = params
            .iter()
            .map(|p| (p.name.as_str(), p.value.as_str()))
            .collect();
        assert_eq!(pairs, [("b", " 1 "), ("a", "2")]);
        assert_eq!(s.ticket_parameter_refs.unwrap().value, "company (id = 42)");
        assert_eq!(s.closed_states.unwrap().value, ["6", "7"]);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert_eq!(notes[0].setting, "TicketParameters/TicketParameter");
    }

    #[test]
    fn swapped_files_are_recognised() {
        let itsm = root("<R><TicketFloodLimit>1</TicketFloodLimit></R>");
        let sn = root("<R><Connection><URL>u</URL></Connection></R>");
        assert!(looks_like_itsm(&itsm) && !looks_like_servicenow(&itsm));
        assert!(looks_like_servicenow(&sn) && !looks_like_itsm(&sn));
    }
}
