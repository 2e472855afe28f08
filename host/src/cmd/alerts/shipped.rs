//! The shipped alert set (`alerts/*.toml` in the source tree), embedded by `host/build.rs` so
//! that `sluice alerts upload` can install it wherever the binary runs.

include!(concat!(env!("OUT_DIR"), "/shipped_alerts.rs"));
