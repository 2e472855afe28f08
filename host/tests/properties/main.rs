//! Property tests of the host's parsers and evaluators over external input (alert
//! definitions, templates, config files): no panics on anything, and agreement with a simple
//! reference model where there is one. Cases per property: `PROPTEST_CASES` (default 64, a
//! few seconds in all); set it higher for long runs.

mod config;
mod filter;
mod template;

use proptest::test_runner::Config;

/// The proptest config: `PROPTEST_CASES` when set, else `default` cases.
pub fn cases(default: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default);
    Config::with_cases(cases)
}
