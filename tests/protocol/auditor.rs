//! Netwrix Auditor Integration API, as documented (being written).
