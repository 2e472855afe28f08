//! Plugins: finding libraries (`discovery.rs`), loading each once, from a private copy
//! (`private.rs`), and keeping the refusals beside the loaded ones (`registry.rs`), and
//! resolving a config's components to them.

mod discovery;
pub mod instantiate;
mod private;
mod registry;

pub use discovery::{plugin_directories, plugin_files};
pub use registry::PluginRegistry;
