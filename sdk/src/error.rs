//! [`PluginError`]: how plugins report failures, classified so the host can act on them.

use std::fmt;
use std::time::Duration;

/// What kind of failure a [`PluginError`] is. The host decides from it whether to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The component's configuration is invalid. Fix the config; retrying will not help.
    Config,
    /// The remote system refused our credentials. Fix them; retrying will not help.
    Credentials,
    /// A temporary failure (outage, 5xx, timeout, rate limit). Retry later.
    Transient,
    /// The remote system answered something we could not understand (malformed page,
    /// truncated body). Retry, but it may be a bug on either side.
    Protocol,
    /// The remote system rejected the request for good (400, 403, 404, a data policy).
    Rejected,
    /// The plugin does not support what was asked (an unknown component or action).
    Unsupported,
    /// The plugin panicked. The host reports it and retries.
    Panicked,
    /// Anything else.
    Internal,
}

impl ErrorKind {
    /// Whether retrying the same call may succeed.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::Transient | ErrorKind::Protocol | ErrorKind::Panicked
        )
    }

    /// A stable snake_case name, for logs, metrics and `--json` output.
    pub fn as_code(self) -> &'static str {
        match self {
            ErrorKind::Config => "config",
            ErrorKind::Credentials => "credentials",
            ErrorKind::Transient => "transient",
            ErrorKind::Protocol => "protocol",
            ErrorKind::Rejected => "rejected",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Panicked => "panicked",
            ErrorKind::Internal => "internal",
        }
    }

    pub(crate) fn to_code(self) -> u8 {
        match self {
            ErrorKind::Config => 1,
            ErrorKind::Credentials => 2,
            ErrorKind::Transient => 3,
            ErrorKind::Protocol => 4,
            ErrorKind::Rejected => 5,
            ErrorKind::Unsupported => 6,
            ErrorKind::Panicked => 7,
            ErrorKind::Internal => 0,
        }
    }

    /// Codes a newer SDK added become `Internal` in an older one.
    pub(crate) fn from_code(code: u8) -> Self {
        match code {
            1 => ErrorKind::Config,
            2 => ErrorKind::Credentials,
            3 => ErrorKind::Transient,
            4 => ErrorKind::Protocol,
            5 => ErrorKind::Rejected,
            6 => ErrorKind::Unsupported,
            7 => ErrorKind::Panicked,
            _ => ErrorKind::Internal,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_code())
    }
}

/// An error from a plugin: a kind, a message for the operator, and where it applies.
///
/// Messages should say what went wrong, where, and what to do, and must never contain a
/// secret (passwords, tokens).
///
/// ```
/// use std::time::Duration;
/// use sluice_sdk::{ErrorKind, PluginError};
///
/// let err = PluginError::transient("ServiceNow answered 429 Too Many Requests")
///     .with_retry_after(Duration::from_secs(30));
/// assert!(err.kind().is_retryable());
/// assert_eq!(err.retry_after(), Some(Duration::from_secs(30)));
///
/// let err = PluginError::config("must start with https://").at("endpoint");
/// assert_eq!(err.to_string(), "endpoint: must start with https://");
/// assert_eq!(err.kind(), ErrorKind::Config);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginError {
    kind: ErrorKind,
    message: String,
    key_path: Option<String>,
    retry_after: Option<Duration>,
}

impl PluginError {
    /// An error of `kind`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        PluginError {
            kind,
            message: message.into(),
            key_path: None,
            retry_after: None,
        }
    }

    /// [`ErrorKind::Config`].
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, message)
    }

    /// [`ErrorKind::Credentials`].
    pub fn credentials(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Credentials, message)
    }

    /// [`ErrorKind::Transient`].
    pub fn transient(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Transient, message)
    }

    /// [`ErrorKind::Protocol`].
    pub fn protocol(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Protocol, message)
    }

    /// [`ErrorKind::Rejected`].
    pub fn rejected(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Rejected, message)
    }

    /// [`ErrorKind::Unsupported`].
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unsupported, message)
    }

    /// [`ErrorKind::Internal`].
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    /// Names the config key the error is about, as a dotted path within the component's table.
    pub fn at(mut self, key_path: impl Into<String>) -> Self {
        self.key_path = Some(key_path.into());
        self
    }

    /// Records how long the remote system asked us to wait.
    pub fn with_retry_after(mut self, delay: Duration) -> Self {
        self.retry_after = Some(delay);
        self
    }

    /// The kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, without the key path.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The config key the error is about, if any.
    pub fn key_path(&self) -> Option<&str> {
        self.key_path.as_deref()
    }

    /// How long to wait before retrying, if the remote system said.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.key_path {
            Some(path) if !path.is_empty() => write!(f, "{path}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for PluginError {}
