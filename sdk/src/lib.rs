//! sluice-sdk (being written).
