//! # sluice-layout
//!
//! Architecture checks over the workspace's own sources, run as ordinary tests
//! (`cargo nextest run --workspace` runs them with the rest; `cargo test -p sluice-layout`
//! alone). Every file is parsed with `syn`; nothing is compiled or run.
//!
//! ## What is checked, and why
//!
//! - **Function length** ([`LengthReport`]): no product function is longer than
//!   [`MAX_FUNCTION_LINES`] lines, from its `fn` line to its closing brace. A function a
//!   reader can take in at once keeps a file readable: a long one is split into named steps,
//!   and the names say what the steps are. Product code is every `.rs` file under a member
//!   crate's `src/` (binaries in `src/bin/` included) and `benches/`, less test code
//!   (`#[cfg(test)]` items and modules, `#[test]` functions, `tests.rs` files and `tests/`
//!   directories, modules declared `#[cfg(test)] mod x;`). The emulators under `tests/src/`
//!   are product code: `sluice emulate` serves them. A few data tables are allowed in
//!   [`ALLOWED_LONG_FUNCTIONS`], each with its reason.
//!
//! - **No module cycles** ([`CycleReport`]): inside each crate, the top-level modules form
//!   layers, each using only the ones below it, so a module can be read, tested and moved
//!   knowing only what it depends on, and nothing below calls up (the crate docs of `sluice`
//!   and `sluice-core` list their modules in that order). The same holds one level down,
//!   inside a top-level module with submodules: the pipeline's stages read in data-flow order
//!   (intake ─► rules ─► suppression ─► mapping ─► delivery). An edge `a -> b` is any
//!   reference from code in `a` to `crate::b` (in a `use` or in code), or a `super::`/`self::`
//!   path that resolves there; a cycle is reported as `a -> b -> a` with the reference that
//!   makes each edge, and every edge of a tangle is in some reported cycle. Test code is
//!   ignored: tests may reach anywhere.
//!
//! The workspace's members are read from the root `Cargo.toml` when the checks run, so a new
//! crate (or one moved, as `host/core`) is checked without touching this one.
//!
//! ## When a check fails
//!
//! Its message lists what to fix: `file:line  name  N lines (M over)` for each long function;
//! for each cycle the route and, per edge, `file:line  use crate::b::X`. Split the function,
//! or move what both sides of a cycle need into the lower module. Allowing a long function
//! is for data tables only.

mod attrs;
mod checks;
mod error;
mod graph;
mod length;
mod modules;
mod source;
mod workspace;

pub use checks::{crate_graphs, CycleReport, LengthReport};
pub use error::LayoutError;
pub use graph::{Cycle, Evidence, ModuleGraph};
pub use length::{function_spans, FunctionSpan, ALLOWED_LONG_FUNCTIONS, MAX_FUNCTION_LINES};
pub use modules::{resolve, use_leaves, CrateModules, ModulePath, Reference};
pub use source::{module_path_of, parse_text, SourceFile};
pub use workspace::{member_dirs, workspace_root, CrateSources, Workspace, THIS_CRATE};
