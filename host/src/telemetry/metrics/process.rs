//! The process metrics every Prometheus client library exports under the same names
//! (`process_cpu_seconds_total`, `process_resident_memory_bytes`, `process_start_time_seconds`,
//! …), read from /proc at each scrape. Only on Linux; elsewhere none are exported.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;

/// Reads this process's figures at each scrape.
#[derive(Debug, Default)]
pub(super) struct ProcessCollector;

#[cfg(target_os = "linux")]
impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        use prometheus_client::encoding::EncodeMetric;
        use prometheus_client::metrics::counter::ConstCounter;
        use prometheus_client::metrics::gauge::ConstGauge;
        use prometheus_client::registry::Unit;

        // A figure that cannot be read (a hardened /proc, say) is left out, not made up.
        let Some(p) = read() else {
            return Ok(());
        };
        let cpu = ConstCounter::new(p.cpu_seconds);
        cpu.encode(encoder.encode_descriptor(
            "process_cpu",
            "Total user and system CPU time spent in seconds",
            Some(&Unit::Seconds),
            cpu.metric_type(),
        )?)?;
        let gauges: [(&str, &str, Option<Unit>, f64); 6] = [
            (
                "process_resident_memory",
                "Resident memory size in bytes",
                Some(Unit::Bytes),
                p.resident_bytes,
            ),
            (
                "process_virtual_memory",
                "Virtual memory size in bytes",
                Some(Unit::Bytes),
                p.virtual_bytes,
            ),
            (
                "process_start_time",
                "Start time of the process since the Unix epoch in seconds",
                Some(Unit::Seconds),
                p.start_time_seconds,
            ),
            (
                "process_open_fds",
                "Number of open file descriptors",
                None,
                p.open_fds,
            ),
            (
                "process_max_fds",
                "Maximum number of open file descriptors",
                None,
                p.max_fds,
            ),
            (
                "process_threads",
                "Number of OS threads in the process",
                None,
                p.threads,
            ),
        ];
        for (name, help, unit, value) in gauges {
            let gauge = ConstGauge::new(value);
            gauge.encode(encoder.encode_descriptor(
                name,
                help,
                unit.as_ref(),
                gauge.metric_type(),
            )?)?;
        }
        Ok(())
    }
}

#[cfg(not(target_os = "linux"))]
impl Collector for ProcessCollector {
    fn encode(&self, _encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        Ok(())
    }
}

/// This process's figures, as /proc has them.
#[cfg(target_os = "linux")]
struct Figures {
    cpu_seconds: f64,
    resident_bytes: f64,
    virtual_bytes: f64,
    start_time_seconds: f64,
    open_fds: f64,
    max_fds: f64,
    threads: f64,
}

#[cfg(target_os = "linux")]
fn read() -> Option<Figures> {
    use procfs::process::{LimitValue, Process};

    let me = Process::myself().ok()?;
    let stat = me.stat().ok()?;
    let ticks = procfs::ticks_per_second() as f64;
    let boot = procfs::boot_time_secs().ok()? as f64;
    let max_fds = match me.limits().ok()?.max_open_files.soft_limit {
        LimitValue::Value(n) => n as f64,
        LimitValue::Unlimited => f64::INFINITY,
    };
    Some(Figures {
        cpu_seconds: (stat.utime + stat.stime) as f64 / ticks,
        resident_bytes: (stat.rss * procfs::page_size()) as f64,
        virtual_bytes: stat.vsize as f64,
        start_time_seconds: boot + stat.starttime as f64 / ticks,
        open_fds: me.fd_count().ok()? as f64,
        max_fds,
        threads: stat.num_threads as f64,
    })
}
