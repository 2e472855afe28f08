//! The FFI-safe layer: the root module, the mirror types that cross the boundary, and the
//! trait objects for components and host capabilities.
//!
//! Everything that names abi_stable lives under this module, so that a later move to another
//! ABI crate (stabby, plain C) touches only here. The public API of the crate uses std types and
//! converts at the edge (`convert.rs`): strings and vectors *move* across (no copy on the way
//! in), which keeps a batch crossing the boundary cheap.
//!
//! # Evolving the ABI
//!
//! - New root-module entry points and new trait methods go *after* the fields marked
//!   `#[sabi(last_prefix_field)]`; the host reads them through the generated `Option` accessors,
//!   so an older plugin gets a clear refusal instead of a crash.
//! - `AbiAction` and `AbiOutcome` are non-exhaustive across the ABI: variants may be added, as
//!   long as they fit the inline storage (its size cannot change). The storage is exactly the
//!   largest common variant, because every element of a batch is moved at that size; a new
//!   variant with a larger payload, or a rare one, keeps it behind an `RBox`
//!   (`AbiAction::ChangeState` does).
//! - A sink's batch crosses in slots the host owns and keeps from batch to batch
//!   (`SinkObj::deliver`): the plugin takes action `i` out of its slot and writes outcome `i`
//!   into another. Empty slots hold the `Vacant` variant, which is never a request or an
//!   answer.
//! - Kinds that will grow (error kinds, HTTP error kinds) are `u8` newtypes, not enums.
//! - Anything else is a breaking change: bump [`ABI_VERSION`]'s minor (`0.y`).

pub(crate) mod convert;
pub(crate) mod root;
pub(crate) mod traits;
pub(crate) mod types;

/// The version of the ABI, checked by abi_stable when a plugin is loaded.
///
/// abi_stable's rule for `0.y.z`: the host and the plugin must agree on `y`, and the plugin's `z`
/// must be at least the host's. Bump `y` for any breaking change to a type in `types.rs`.
///
/// History: `0.2` added `AbiHttpRequest::auth` (the host runs NTLM and Negotiate handshakes
/// for plugins), which changed that type's layout; `0.1` was the first.
#[cfg(not(feature = "__test_version_drift"))]
pub const ABI_VERSION: &str = "0.2.0";
/// A version no real host has, to test the loader's refusal.
#[cfg(feature = "__test_version_drift")]
pub const ABI_VERSION: &str = "0.99.0";
