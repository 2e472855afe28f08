//! `sluice alerts` (being written).
