//! [`Host`]: what a plugin may ask of the host (HTTP, logging, the clock), and
//! [`Capabilities`], the trait the host implements to provide it.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use crate::abi::traits::HostBox;
use crate::{HttpError, HttpRequest, HttpResponse};

/// The severity of a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum LogLevel {
    /// Something failed.
    Error,
    /// Something needs attention (an insecure setting, an experimental release).
    Warn,
    /// Normal operation worth recording.
    Info,
    /// Detail for diagnosing problems.
    Debug,
    /// Very fine detail.
    Trace,
}

impl LogLevel {
    pub(crate) fn to_code(self) -> u8 {
        match self {
            LogLevel::Error => 1,
            LogLevel::Warn => 2,
            LogLevel::Info => 3,
            LogLevel::Debug => 4,
            LogLevel::Trace => 5,
        }
    }

    pub(crate) fn from_code(code: u8) -> Self {
        match code {
            1 => LogLevel::Error,
            2 => LogLevel::Warn,
            3 => LogLevel::Info,
            4 => LogLevel::Debug,
            _ => LogLevel::Trace,
        }
    }
}

/// The services a host provides to plugins. The sluice host implements it with reqwest and
/// tracing; plugin authors implement it only to test their plugins without a host.
///
/// Implementations must not panic: a panic here would unwind through the plugin.
pub trait Capabilities: Send + Sync + 'static {
    /// Executes an HTTP request. Any HTTP status is `Ok`; `Err` means no response at all.
    fn http(&self, request: HttpRequest) -> Result<HttpResponse, HttpError>;
    /// Writes a log line attributed to the calling plugin component.
    fn log(&self, level: LogLevel, message: &str);
    /// The current time, as the host sees it. Tests move this clock instead of sleeping.
    fn now(&self) -> SystemTime;
}

/// A plugin's handle to its host: HTTP, logging and the clock.
///
/// A component receives one in its constructor and may keep clones of it. Calls are
/// synchronous; the host runs plugin calls on its blocking thread pool.
///
/// ```
/// use std::time::SystemTime;
/// use sluice_sdk::{Capabilities, Host, HttpError, HttpErrorKind, HttpRequest, HttpResponse, LogLevel};
///
/// // A host stand-in for a plugin's unit tests.
/// struct Offline;
/// impl Capabilities for Offline {
///     fn http(&self, _: HttpRequest) -> Result<HttpResponse, HttpError> {
///         Err(HttpError::new(HttpErrorKind::Connect, "offline"))
///     }
///     fn log(&self, level: LogLevel, message: &str) { eprintln!("{level:?} {message}") }
///     fn now(&self) -> SystemTime { SystemTime::UNIX_EPOCH }
/// }
///
/// let host = Host::new(Offline);
/// host.info("starting");
/// assert!(host.http(HttpRequest::get("http://127.0.0.1:1/")).is_err());
/// assert_eq!(host.now(), SystemTime::UNIX_EPOCH);
/// ```
#[derive(Clone)]
pub struct Host {
    inner: HostBox,
}

impl Host {
    /// A handle backed by `capabilities`.
    pub fn new(capabilities: impl Capabilities) -> Self {
        Host {
            inner: crate::abi::convert::host_box(Arc::new(capabilities)),
        }
    }

    /// A handle backed by shared `capabilities`.
    pub fn from_arc(capabilities: Arc<dyn Capabilities>) -> Self {
        Host {
            inner: crate::abi::convert::host_box(capabilities),
        }
    }

    pub(crate) fn from_abi(inner: HostBox) -> Self {
        Host { inner }
    }

    pub(crate) fn into_abi(self) -> HostBox {
        self.inner
    }

    /// Executes `request` through the host. Any HTTP status is `Ok`.
    pub fn http(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        crate::abi::convert::host_http(&self.inner, request)
    }

    /// Logs `message` at `level`, attributed to this plugin component.
    pub fn log(&self, level: LogLevel, message: impl AsRef<str>) {
        crate::abi::convert::host_log(&self.inner, level, message.as_ref());
    }

    /// Logs at [`LogLevel::Error`].
    pub fn error(&self, message: impl AsRef<str>) {
        self.log(LogLevel::Error, message);
    }

    /// Logs at [`LogLevel::Warn`].
    pub fn warn(&self, message: impl AsRef<str>) {
        self.log(LogLevel::Warn, message);
    }

    /// Logs at [`LogLevel::Info`].
    pub fn info(&self, message: impl AsRef<str>) {
        self.log(LogLevel::Info, message);
    }

    /// Logs at [`LogLevel::Debug`].
    pub fn debug(&self, message: impl AsRef<str>) {
        self.log(LogLevel::Debug, message);
    }

    /// The host's current time.
    pub fn now(&self) -> SystemTime {
        crate::abi::convert::host_now(&self.inner)
    }
}

impl fmt::Debug for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Host").finish_non_exhaustive()
    }
}
