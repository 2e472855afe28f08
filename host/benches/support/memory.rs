//! Peak memory, as Linux reports it: shared by the benchmarks that have a memory target.

/// The peak resident memory (VmHWM) of process `pid`, or of this process for `None`, in MB;
/// NaN where `/proc` cannot tell.
pub fn peak_rss_mb(pid: Option<u32>) -> f64 {
    let status = match pid {
        Some(pid) => format!("/proc/{pid}/status"),
        None => "/proc/self/status".to_owned(),
    };
    std::fs::read_to_string(status)
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}
