//! Turning a panic inside plugin code into a [`PluginError`].
//!
//! Since Rust 1.81 a panic that unwinds out of an `extern "C"` function aborts the process, and
//! abi_stable's trait-object shims abort too. So every entry point runs the author's code under
//! `catch_unwind`, and a panic hook (installed once, in this plugin's own copy of std) captures
//! the message and location for the error instead of printing it.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use crate::PluginError;

thread_local! {
    static GUARD_DEPTH: Cell<u32> = const { Cell::new(0) };
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

static INSTALL_HOOK: Once = Once::new();

fn install_hook() {
    INSTALL_HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if GUARD_DEPTH.with(Cell::get) == 0 {
                // Not ours (an in-process test, say): keep the usual report.
                previous(info);
                return;
            }
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic with a non-text payload".to_owned());
            let text = match info.location() {
                Some(l) => format!("{message} (at {}:{})", l.file(), l.line()),
                None => message,
            };
            LAST_PANIC.with(|p| *p.borrow_mut() = Some(text));
        }));
    });
}

/// Runs `f`, returning a [`crate::ErrorKind::Panicked`] error if it panics. `what` names the
/// entry point for the message.
pub(crate) fn guarded<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, PluginError> {
    install_hook();
    GUARD_DEPTH.with(|d| d.set(d.get() + 1));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    GUARD_DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    result.map_err(|_| {
        let detail = LAST_PANIC
            .with(|p| p.borrow_mut().take())
            .unwrap_or_else(|| "no message".to_owned());
        PluginError::new(
            crate::ErrorKind::Panicked,
            format!("the plugin panicked in {what}: {detail}"),
        )
    })
}
