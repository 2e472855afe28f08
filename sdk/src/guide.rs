//! Writing a plugin, step by step.
//!
#![doc = include_str!("../docs/writing-a-plugin.md")]
