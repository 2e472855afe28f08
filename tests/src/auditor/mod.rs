//! Emulator of the Netwrix Auditor Integration API. (Being written.)
