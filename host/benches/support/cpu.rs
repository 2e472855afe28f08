//! CPU time, as Linux reports it: where a benchmark's machine spent its cores.

/// Clock ticks per second of `/proc/*/stat` (`USER_HZ`: 100 on every Linux this runs on).
const TICKS_PER_S: f64 = 100.0;

/// Fields 14 to 17 of `/proc/<pid>/stat` (utime, stime, cutime, cstime), in ticks.
fn times(pid: &str) -> Option<[u64; 4]> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; the fields after it are counted from its `)`.
    let rest = stat.rsplit_once(')')?.1;
    let mut fields = rest.split_whitespace().skip(11).map(|f| f.parse().ok());
    Some([
        fields.next()??,
        fields.next()??,
        fields.next()??,
        fields.next()??,
    ])
}

/// CPU seconds (user and system) that process `pid` has used; NaN where `/proc` cannot tell.
pub fn seconds_of(pid: u32) -> f64 {
    times(&pid.to_string()).map_or(f64::NAN, |t| (t[0] + t[1]) as f64 / TICKS_PER_S)
}

/// CPU seconds used by this process's children that have exited and been waited for.
pub fn seconds_of_children() -> f64 {
    times("self").map_or(f64::NAN, |t| (t[2] + t[3]) as f64 / TICKS_PER_S)
}
