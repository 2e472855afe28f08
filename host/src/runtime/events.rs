//! What the operating system asks of `sluice run`, as events on a channel the main thread
//! reads: stop (SIGTERM, SIGINT) and reload (SIGHUP).
//!
//! Signals arrive on a task of the tokio runtime; the main thread acts on them, outside any
//! async context, because building pipelines calls plugins that block. A second stop signal
//! while the first drains exits at once (what was in flight is reconciled at the next start).

use std::sync::mpsc::{channel, Receiver, Sender};

/// A request from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// Drain and exit; the signal's name.
    Stop(&'static str),
    /// Read the config again (SIGHUP); also reopen the log file.
    Reload,
    /// This host's role on a shared store changed (it took the delivery lease or lost it).
    Leadership,
}

/// Listens for signals on `runtime` and sends them as events; the sender is for the host's
/// own events.
pub fn listen(runtime: &tokio::runtime::Handle) -> (Sender<Event>, Receiver<Event>) {
    let (sender, events) = channel();
    runtime.spawn(forward(sender.clone()));
    (sender, events)
}

#[cfg(unix)]
async fn forward(sender: Sender<Event>) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        tracing::warn!("Cannot listen for SIGTERM and SIGHUP; only Ctrl-C stops sluice.");
        let _ = tokio::signal::ctrl_c().await;
        let _ = sender.send(Event::Stop("SIGINT"));
        return;
    };
    let mut stopping = false;
    loop {
        let event = tokio::select! {
            _ = term.recv() => Event::Stop("SIGTERM"),
            _ = tokio::signal::ctrl_c() => Event::Stop("SIGINT"),
            _ = hup.recv() => Event::Reload,
        };
        if let Event::Stop(signal) = event {
            if stopping {
                exit_now(signal);
            }
            stopping = true;
        }
        if sender.send(event).is_err() {
            return;
        }
    }
}

/// Gives up draining.
fn exit_now(signal: &str) -> ! {
    tracing::warn!(%signal, "Second stop signal: exiting now; what was in flight is reconciled at the next start.");
    std::process::exit(i32::from(crate::exit::FAILURE))
}

#[cfg(not(unix))]
async fn forward(sender: Sender<Event>) {
    // Service wrappers (WinSW, NSSM) stop a console program with Ctrl-C; reload comes from
    // the config watch.
    let mut stopping = false;
    loop {
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        if stopping {
            exit_now("Ctrl-C");
        }
        stopping = true;
        if sender.send(Event::Stop("Ctrl-C")).is_err() {
            return;
        }
    }
}
