//! The tickets of one batch side by side: the plan's steps cut into one sequence per ticket,
//! run by a few threads that each take the next sequence not yet taken.
//!
//! Threads, not async: every request is a blocking call into the host (`Host::http`), and a
//! cdylib cannot share the host's runtime. The threads are scoped to one `deliver`, so a batch
//! leaves nothing running behind it. The calling thread is one of them.
//!
//! Tickets are independent of each other, except through `known` (what the sink last saw of a
//! ticket), which is only ever a hint: a reopen that runs before another sequence's read of its
//! ticket costs at most one extra request, never a wrong result.

use std::any::Any;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;

use sluice_sdk::{ActionOutcome, TicketAction};

use super::ticket_of;
use crate::plan::Step;

/// The plan's steps as per-ticket sequences: all steps on one ticket, in plan order; a step
/// on no ticket (`Create`, `FindByCorrelation`) alone. Those come first, in plan order, then
/// the tickets' sequences in order of first appearance: a new alert's incident is opened
/// before the updates of open tickets that share its batch, not after them.
pub(super) fn by_ticket<'s>(steps: &'s [Step], actions: &[TicketAction]) -> Vec<Vec<&'s Step>> {
    let mut alone: Vec<Vec<&Step>> = Vec::new();
    let mut groups: Vec<Vec<&Step>> = Vec::new();
    let mut of_ticket: HashMap<&str, usize> = HashMap::new();
    for step in steps {
        let Some(ticket) = ticket_of(step, actions) else {
            alone.push(vec![step]);
            continue;
        };
        match of_ticket.entry(ticket) {
            Entry::Occupied(at) => {
                if let Some(group) = groups.get_mut(*at.get()) {
                    group.push(step);
                }
            }
            Entry::Vacant(at) => {
                at.insert(groups.len());
                groups.push(vec![step]);
            }
        }
    }
    alone.extend(groups);
    alone
}

/// Runs every group with `run_group` on `workers` threads, the calling one included, and
/// returns all their results (in no particular order: each names its action).
///
/// A panic in any of them becomes a panic of the calling thread, after the others finished the
/// group in hand (they take no new one), so the SDK's guard around `deliver` reports it as it
/// reports a panic on the calling thread. A thread that cannot be started is reported to
/// `cannot_spawn` and its share left to the others.
pub(super) fn run<'s, R, E>(
    workers: usize,
    groups: &[Vec<&'s Step>],
    run_group: R,
    cannot_spawn: E,
) -> Vec<(usize, ActionOutcome)>
where
    R: Fn(&[&'s Step]) -> Vec<(usize, ActionOutcome)> + Sync,
    E: Fn(std::io::Error),
{
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let work = || {
        let _stop = StopOnPanic(&stop);
        let mut results = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            let Some(group) = groups.get(next.fetch_add(1, Ordering::Relaxed)) else {
                break;
            };
            results.extend(run_group(group));
        }
        results
    };
    thread::scope(|scope| {
        let mut spawned = Vec::new();
        for n in 1..workers {
            match thread::Builder::new()
                .name(format!("servicenow-deliver-{n}"))
                .spawn_scoped(scope, work)
            {
                Ok(handle) => spawned.push(handle),
                Err(error) => {
                    cannot_spawn(error);
                    break;
                }
            }
        }
        let mut results = work();
        for handle in spawned {
            match handle.join() {
                Ok(theirs) => results.extend(theirs),
                // Re-raised here with its message: `scope` would only say that a thread
                // panicked, and the SDK's guard records messages of this thread's panics only.
                Err(payload) => panic!(
                    "a thread delivering to ServiceNow panicked: {}",
                    message(payload.as_ref())
                ),
            }
        }
        results
    })
}

/// Tells the other threads to take no new group when this one unwinds.
struct StopOnPanic<'a>(&'a AtomicBool);

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        if thread::panicking() {
            self.0.store(true, Ordering::Relaxed);
        }
    }
}

/// A panic payload's text.
fn message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic with a non-text payload")
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use sluice_sdk::Ticket;

    use super::*;

    fn note(ticket: &str) -> TicketAction {
        TicketAction::AddNote {
            ticket: ticket.into(),
            journal: sluice_sdk::Journal::WorkNotes,
            text: "n".to_owned(),
        }
    }

    fn create() -> TicketAction {
        TicketAction::Create {
            correlation: sluice_sdk::Correlation {
                id: "k".into(),
                display: "k".into(),
            },
            fields: sluice_sdk::Fields::new(),
        }
    }

    #[test]
    fn ticketless_steps_stand_alone_first_then_each_tickets_steps_in_order() {
        let actions = [
            note("a"),
            create(),
            note("b"),
            note("a"),
            create(),
            note("b"),
        ];
        let steps: Vec<Step> = (0..actions.len()).map(Step::Single).collect();
        let groups: Vec<Vec<usize>> = by_ticket(&steps, &actions)
            .iter()
            .map(|g| g.iter().flat_map(|s| s.members()).collect())
            .collect();
        assert_eq!(groups, [vec![1], vec![4], vec![0, 3], vec![2, 5]]);
    }

    #[test]
    fn every_group_runs_once_and_each_in_its_own_order() {
        let steps: Vec<Step> = (0..40).map(Step::Single).collect();
        let groups: Vec<Vec<&Step>> = steps.chunks(4).map(|c| c.iter().collect()).collect();
        let seen = Mutex::new(Vec::new());
        let results = run(
            3,
            &groups,
            |group| {
                let members: Vec<usize> = group.iter().flat_map(|s| s.members()).collect();
                seen.lock().map(|mut s| s.push(members.clone())).ok();
                members
                    .into_iter()
                    .map(|i| (i, ActionOutcome::Done(Ticket::default())))
                    .collect()
            },
            |e| panic!("{e}"),
        );
        let mut answered: Vec<usize> = results.iter().map(|(i, _)| *i).collect();
        answered.sort_unstable();
        assert_eq!(answered, (0..40).collect::<Vec<_>>());
        let seen = seen.into_inner().unwrap_or_default();
        assert_eq!(seen.len(), 10);
        assert!(
            seen.iter().all(|g| g.windows(2).all(|w| w[0] < w[1])),
            "{seen:?}"
        );
    }

    #[test]
    fn a_panic_in_a_worker_is_raised_on_the_calling_thread_with_its_message() {
        let steps: Vec<Step> = (0..8).map(Step::Single).collect();
        let groups: Vec<Vec<&Step>> = steps.iter().map(|s| vec![s]).collect();
        let caller = thread::current().id();
        let worker_ran = AtomicBool::new(false);
        let raised = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run(
                4,
                &groups,
                |_| {
                    if thread::current().id() != caller {
                        worker_ran.store(true, Ordering::SeqCst);
                        panic!("boom in a worker");
                    }
                    // The calling thread holds its group until a worker has one.
                    while !worker_ran.load(Ordering::SeqCst) {
                        thread::yield_now();
                    }
                    Vec::new()
                },
                |e| panic!("{e}"),
            )
        }));
        let Err(payload) = raised else {
            panic!("the panic did not reach the caller")
        };
        assert_eq!(
            message(payload.as_ref()),
            "a thread delivering to ServiceNow panicked: boom in a worker"
        );
    }
}
