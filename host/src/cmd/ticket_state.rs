//! Incident states by name. The state store keeps a ticket's state as the sink reported its
//! raw value (ServiceNow's `"6"`); people read names.

/// The name of ServiceNow incident state `value` in the state model of instances from
/// Helsinki on (1 New, 2 In Progress, 3 On Hold, 6 Resolved, 7 Closed, 8 Canceled). An
/// instance that kept the older model calls 2 "Active"; values neither model has are
/// returned as they are.
pub(crate) fn servicenow_state_name(value: &str) -> Option<&'static str> {
    Some(match value {
        "1" => "New",
        "2" => "In Progress",
        "3" => "On Hold",
        "4" => "Awaiting User Info",
        "5" => "Awaiting Evidence",
        "6" => "Resolved",
        "7" => "Closed",
        "8" => "Canceled",
        _ => return None,
    })
}

/// How a ticket's state reads for people, given the pipeline's sink type: `Resolved` for a
/// ServiceNow state sluice knows, the raw value otherwise.
pub(crate) fn state_name(sink_type: &str, value: &str) -> String {
    match sink_type {
        "servicenow" => {
            servicenow_state_name(value).map_or_else(|| value.to_owned(), str::to_owned)
        }
        _ => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servicenow_states_read_by_name_and_others_as_they_are() {
        assert_eq!(state_name("servicenow", "6"), "Resolved");
        assert_eq!(state_name("servicenow", "1"), "New");
        assert_eq!(state_name("servicenow", "42"), "42");
        assert_eq!(state_name("jsonl", "6"), "6");
    }
}
