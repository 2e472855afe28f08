//! Integration tests of the `sluice` binary and its plugin loading, with real cdylibs built
//! from this workspace.
//!
//! ```text
//!   test ──spawns──► target/<profile>/sluice ──dlopen──► lib*.so (probe, drifted, junk)
//!   test ──dlopen──► libsluice_probe_plugin.so  (in-process, through sluice_sdk::Plugin;
//!                                      built into target/fixture-plugins)
//! ```

mod alert_response;
mod alerts_cli;
mod crash;
mod demo;
mod emulate_samples;
mod forward;
mod generate;
mod hostile_input;
mod import_legacy;
mod move_store;
mod plugin_files;
mod plugins;
mod plugins_config;
// Only its closed addresses are used here.
#[allow(dead_code)]
#[path = "../support/ports.rs"]
mod ports;
mod redirects;
mod sdk_standalone;
mod util;
mod validate;
mod version;
