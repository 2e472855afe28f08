//! sluice-sink-servicenow (being written).
