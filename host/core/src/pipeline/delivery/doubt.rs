//! Creates in doubt: sent, never answered, and so perhaps still to be committed by the sink.
//!
//! A ticket system finishes a transaction whose client stopped waiting (a timeout, a dropped
//! connection, a process that died): ServiceNow commits an insert that takes 65 s although the
//! client gave up at 60 s. A create sent again before that commit lands opens a second ticket.
//! So an open whose create is in doubt is looked up by its correlation key, again and again,
//! and sent again only once the window in which the earlier create could still land is over.

use std::time::Duration;

use super::RetryLater;
use crate::time::Timestamp;

/// The fewest looks for the ticket while a create is in doubt: one every eighth of the
/// window (15 s for the default two minutes).
const LOOKS_PER_WINDOW: u32 = 8;

/// What joins why a create is in doubt and what is done about it, in the action's last error.
const WAITING: &str = "; looked up, not sent again, until ";

/// How long an unanswered create may still be committed by the sink
/// (`delivery.in_doubt_window`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct DoubtWindow(pub Duration);

impl DoubtWindow {
    /// Why a create last sent unanswered at `since` must not be sent again at `now`, although
    /// its ticket was not found: it may still appear. `None` once the window is over. `cause`
    /// is the action's last error, which says why the create went unanswered.
    pub(super) fn wait(
        self,
        since: Option<Timestamp>,
        now: Timestamp,
        cause: Option<&str>,
    ) -> Option<RetryLater> {
        let until = since? + self.0;
        if now >= until {
            return None;
        }
        let remaining = until.saturating_since(now);
        let look_again = (self.0 / LOOKS_PER_WINDOW)
            .max(Duration::from_secs(1))
            .min(remaining);
        let cause = cause
            .and_then(|c| c.split(WAITING).next())
            .filter(|c| !c.is_empty())
            .unwrap_or("an earlier create of this ticket got no answer");
        Some(RetryLater::new(
            format!(
                "{cause}{WAITING}{} (delivery.in_doubt_window = {}), in case the earlier \
                 create is still committed; next look in {}",
                humantime::format_rfc3339_seconds(until.to_system_time()),
                humantime::format_duration(round_to_seconds(self.0)),
                humantime::format_duration(round_to_seconds(look_again)),
            ),
            Some(look_again),
        ))
    }
}

fn round_to_seconds(d: Duration) -> Duration {
    Duration::from_secs(d.as_secs().max(u64::from(d.subsec_nanos() > 0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: DoubtWindow = DoubtWindow(Duration::from_secs(120));

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_millis(secs * 1000)
    }

    #[test]
    fn a_create_never_in_doubt_is_sent_again_at_once() {
        assert_eq!(WINDOW.wait(None, at(100), None), None);
    }

    #[test]
    fn within_the_window_the_ticket_is_looked_up_again_before_the_window_ends() {
        let cause = "no answer within 60 s (HTTP timeout)";
        let wait = WINDOW
            .wait(Some(at(100)), at(110), Some(cause))
            .expect("still in doubt");
        assert_eq!(wait.after, Some(Duration::from_secs(15)));
        assert!(wait.reason.contains("in_doubt_window"), "{}", wait.reason);
        assert!(wait.reason.starts_with(cause), "{}", wait.reason);
        // Near the end, the next look is at the end, not after it; the cause stays the first
        // one, not the previous wait's message.
        let last = WINDOW
            .wait(Some(at(100)), at(218), Some(&wait.reason))
            .expect("still in doubt");
        assert_eq!(last.after, Some(Duration::from_secs(2)));
        assert_eq!(last.reason.matches(WAITING).count(), 1, "{}", last.reason);
        assert!(last.reason.starts_with(cause), "{}", last.reason);
    }

    #[test]
    fn once_the_window_is_over_the_create_is_sent_again() {
        assert_eq!(WINDOW.wait(Some(at(100)), at(220), None), None);
        assert_eq!(WINDOW.wait(Some(at(100)), at(1000), None), None);
    }
}
