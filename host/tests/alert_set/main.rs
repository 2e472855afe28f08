//! The shipped alert set, proved on the Auditor emulator's data set (being written).
