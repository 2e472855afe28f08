//! `sluice import-legacy` (being written).
