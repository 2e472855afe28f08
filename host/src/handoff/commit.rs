//! Group commit for alerts that arrive one request at a time: a thread with its own store
//! connection takes every alert waiting, queues them in one transaction and answers each
//! after the commit. Hundreds of forwarded alerts a second then cost a few transactions, and
//! the pipelines' own transactions do not wait behind one per alert.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::oneshot;

use super::ResponseAlert;
use sluice_core::store::alerts;
use sluice_core::store::db::{self, Db};
use sluice_core::{Doorbell, StateSettings, Store};

/// The most alerts queued in one transaction; more wait for the next.
const MAX_BATCH: usize = 256;

/// How often an idle committer looks whether it should stop.
const IDLE_CHECK: Duration = Duration::from_millis(200);

/// What became of an alert: (newly queued, already there) once committed, or why not.
pub type Committed = Result<(usize, usize), String>;

/// An alert waiting for the commit, and where its answer goes.
struct Job {
    alert: ResponseAlert,
    answer: oneshot::Sender<Committed>,
}

/// Why an alert was not taken for commit.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// As many alerts wait as the committer takes at once: try again in a moment.
    #[error("{0} alerts are waiting for the state store")]
    Busy(usize),
    /// The committer has stopped (sluice is stopping).
    #[error("sluice is stopping")]
    Stopped,
}

/// The committing thread; it stops when the last [`Committer`] handle and the owner are gone.
#[derive(Debug)]
pub struct CommitThread {
    jobs: Option<SyncSender<Job>>,
    thread: Option<JoinHandle<()>>,
}

/// A handle that submits alerts to the [`CommitThread`].
#[derive(Debug, Clone)]
pub struct Committer {
    jobs: SyncSender<Job>,
    capacity: usize,
}

impl CommitThread {
    /// Opens a connection to the store `state` and starts the thread; `waiting` alerts may
    /// wait for it at once, beyond which [`Committer::submit`] answers busy. `doorbell` is rung
    /// after each commit that queued something new.
    ///
    /// # Errors
    ///
    /// The store cannot be opened, or the thread cannot start.
    pub fn start(
        state: &StateSettings,
        waiting: usize,
        doorbell: Doorbell,
    ) -> Result<(CommitThread, Committer), String> {
        let store = Store::connect(state.location()).map_err(|e| e.to_string())?;
        let capacity = waiting.max(1);
        let (jobs, receiver) = mpsc::sync_channel::<Job>(capacity);
        let thread = std::thread::Builder::new()
            .name("intake-commit".into())
            .spawn(move || commit_until_closed(store, &receiver, &doorbell))
            .map_err(|e| format!("cannot start the committing thread: {e}"))?;
        let committer = Committer {
            jobs: jobs.clone(),
            capacity,
        };
        Ok((
            CommitThread {
                jobs: Some(jobs),
                thread: Some(thread),
            },
            committer,
        ))
    }
}

impl Drop for CommitThread {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            // Handles still held elsewhere keep it alive; it ends on its own once they go.
            if thread.is_finished() {
                let _ = thread.join();
            }
        }
    }
}

impl Committer {
    /// Hands `alert` to the committing thread; the receiver gets what became of it.
    ///
    /// # Errors
    ///
    /// Too many alerts wait already, or the thread has stopped.
    pub fn submit(
        &self,
        alert: ResponseAlert,
    ) -> Result<oneshot::Receiver<Committed>, SubmitError> {
        let (answer, receiver) = oneshot::channel();
        match self.jobs.try_send(Job { alert, answer }) {
            Ok(()) => Ok(receiver),
            Err(TrySendError::Full(_)) => Err(SubmitError::Busy(self.capacity)),
            Err(TrySendError::Disconnected(_)) => Err(SubmitError::Stopped),
        }
    }
}

/// Commits batches until every sender is gone.
fn commit_until_closed(mut store: Store, jobs: &Receiver<Job>, doorbell: &Doorbell) {
    let span = tracing::info_span!("intake");
    let _entered = span.enter();
    loop {
        let first = match jobs.recv_timeout(IDLE_CHECK) {
            Ok(job) => job,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if commit(&mut store, batch) {
            doorbell.ring();
        }
    }
}

/// Queues every job's alerts: the response actions' together (a few statements for the
/// batch), a CSV's on its own; each job's (newly queued, already there).
fn enqueue_batch(tx: &Db<'_>, batch: &[Job]) -> db::Result<Vec<(usize, usize)>> {
    let mut counts = vec![(0, 0); batch.len()];
    let (mut together, mut owners) = (Vec::new(), Vec::new());
    for (i, job) in batch.iter().enumerate() {
        match &job.alert {
            ResponseAlert::Ids(handoff) => {
                let alerts = handoff.alerts();
                owners.extend(std::iter::repeat_n(i, alerts.len()));
                together.extend(alerts);
            }
            csv => counts[i] = csv.enqueue(tx)?,
        }
    }
    for (owner, new) in owners.into_iter().zip(alerts::enqueue_all(tx, &together)?) {
        if new {
            counts[owner].0 += 1;
        } else {
            counts[owner].1 += 1;
        }
    }
    Ok(counts)
}

/// Queues `batch` in one transaction and answers each job; whether anything new was queued.
fn commit(store: &mut Store, batch: Vec<Job>) -> bool {
    let committed = store.write(|tx| enqueue_batch(tx, &batch));
    match committed {
        Ok(counts) => {
            let fresh = counts.iter().any(|(queued, _)| *queued > 0);
            for (job, count) in batch.into_iter().zip(counts) {
                let _ = job.answer.send(Ok(count));
            }
            fresh
        }
        Err(error) => {
            let reason = Arc::<str>::from(error.to_string());
            tracing::warn!(%error, alerts = batch.len(), "Cannot queue forwarded alerts; they are answered 503 and their forwarders will try again.");
            for job in batch {
                let _ = job.answer.send(Err(reason.to_string()));
            }
            false
        }
    }
}
