//! The `suppression` and `retention` tables, and the queue settings that have no counterpart.

use super::*;

impl Converter<'_> {
    pub(super) fn suppression_table(&mut self, p: &str) -> Table {
        use ItsmParam::*;
        let mut t = Table::new(format!("{p}.suppression"));
        t.comments = vec![
            "The add-on's flood suppression, setting by setting (ITSMSettings.xml).".to_owned(),
        ];
        let limit = self.itsm.number(TicketFloodLimit).map_or(10, |v| v.0);
        t.set(
            "ticket_flood_limit",
            Value::Int(limit as i64),
            self.origin(TicketFloodLimit),
        );
        self.seconds(&mut t, "ticket_flood_interval", TicketFloodInterval, 3600);
        self.seconds(&mut t, "consolidation_interval", ConsolidationInterval, 900);
        self.flag(
            &mut t,
            "update_ticket_on_repetitive_alerts",
            UpdateTicketOnRepetitiveAlerts,
        );
        self.seconds(&mut t, "update_interval", UpdateInterval, 86_400);
        let reopen = self
            .itsm
            .flag(ReopenTicketOnRepetitiveAlerts)
            .is_none_or(|v| v.0);
        if self.no_closed_states() && reopen {
            t.set(
                "reopen_ticket_on_repetitive_alerts",
                false.into(),
                "off: ClosedTicketStates lists no state",
            );
        } else {
            self.flag(
                &mut t,
                "reopen_ticket_on_repetitive_alerts",
                ReopenTicketOnRepetitiveAlerts,
            );
        }
        self.flag(&mut t, "ticket_correlation", EnableTicketCorrelation);
        self.seconds(
            &mut t,
            "correlation_interval",
            CorrelationInterval,
            2_592_000,
        );
        self.flag(
            &mut t,
            "display_only_first_activity_record",
            DisplayOnlyFirstActivityRecord,
        );
        t
    }

    pub(super) fn retention_table(&mut self, p: &str) -> Table {
        use ItsmParam::*;
        let mut t = Table::new(format!("{p}.retention"));
        t.comments = vec![
            "How much history the state store keeps: the add-on's request retention.".to_owned(),
        ];
        let alerts = self.itsm.number(RecordRequestsLimit).map_or(5000, |v| v.0);
        t.set(
            "alerts",
            Value::Int(alerts as i64),
            self.origin(RecordRequestsLimit),
        );
        let alert_age = self.seconds(&mut t, "alert_age", RecordRequestsInterval, 604_800);
        let actions = self
            .itsm
            .number(TicketRequestsLimit)
            .map_or(300_000, |v| v.0);
        t.set(
            "ticket_actions",
            Value::Int(actions as i64),
            self.origin(TicketRequestsLimit),
        );
        self.seconds(&mut t, "ticket_action_age", TicketRequestsInterval, 604_800);
        // sluice remembers polled record ids at least as long as the alerts they raised
        // (config/load.rs); its default is a week.
        if alert_age > 604_800 {
            t.set(
                "seen_records_age",
                Value::Str(duration(alert_age)),
                "at least alert_age, as sluice requires",
            );
        }
        t
    }

    /// Writes a seconds parameter as a duration; returns the seconds.
    pub(super) fn seconds(
        &mut self,
        t: &mut Table,
        key: &str,
        param: ItsmParam,
        default: u64,
    ) -> u64 {
        let secs = self.itsm.number(param).map_or(default, |v| v.0);
        let comment = match self.itsm.number(param) {
            Some(_) => format!("{} {secs}", param.name()),
            None => self.origin(param),
        };
        t.set(key, Value::Str(duration(secs)), comment);
        secs
    }

    pub(super) fn flag(&mut self, t: &mut Table, key: &str, param: ItsmParam) {
        // Every flag of the add-on defaults to true.
        let value = self.itsm.flag(param).is_none_or(|v| v.0);
        t.set(key, value.into(), self.origin(param));
    }

    /// The two queue poll periods, which sluice has no use for.
    pub(super) fn queue_intervals(&mut self) {
        let itsm = self.itsm;
        if let Some((v, at)) = itsm.number(ItsmParam::CheckAlertQueueInterval) {
            self.note(
                Some(at),
                "",
                "CheckAlertQueueInterval",
                Verdict::NotCarriedOver,
                format!(
                    "{v} s: sluice has no alert queue to poll; an alert handed over by `sluice \
                     alert-response` is picked up within a second"
                ),
            );
        }
        if let Some((v, at)) = itsm.number(ItsmParam::ProcessActivityRecordQueueInterval) {
            self.note(
                Some(at),
                "",
                "ProcessActivityRecordQueueInterval",
                Verdict::NotCarriedOver,
                format!(
                    "{v} s: sluice fetches a queued alert's activity records within a second; \
                     there is no queue period to set"
                ),
            );
        }
    }
}
