//! sluice-source-netwrix-auditor (being written).
