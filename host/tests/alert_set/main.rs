//! The shipped alert set (`alerts/`), proved on the Auditor emulator's data set, whose category
//! table (`sluice_emulators::auditor::dataset`) is the contract the filters are written
//! against.
//!
//! ```text
//!   dataset::generate(seed) ──► (ActivityRecord, Category) ──► sluice_sdk::Record, as the plugin decodes it
//!                                                                │
//!   alerts/*.toml ──load_file / load_dir──► filters ──────────────┤  filters: each alert selects exactly
//!                                                                │  its categories, on three seeds
//!   Engine (poll = true, MemorySource pages, ManualClock) ◄──────┘  engine: alerts raised per record,
//!                                                                   and per burst for thresholds
//!   Auditor emulator, POST /search with each alert's [filters] ──► emulator: the same records
//! ```

mod emulator; // sluice's evaluator and the emulator's agree on every shipped filter
mod engine; // the polling path: records and bursts raise the alerts they should
mod files; // the files load, names, enabled defaults, README
mod filters; // each alert's filters against the category table
mod support;
