//! sluice-sink-jsonl (being written).
