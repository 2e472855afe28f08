//! sluice host (being written).
