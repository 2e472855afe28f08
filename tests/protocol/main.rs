//! Protocol tests of the emulators: requests exactly as the vendors document them, over real
//! HTTP on loopback, checked for status, headers and body shape.

mod auditor;
mod servicenow;
mod venv;
