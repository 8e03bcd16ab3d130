//! Head office's metrics in Prometheus's text format, for `/metrics` on the
//! dashboard's port: sync rounds, records and bytes each way, how long a
//! round takes, errors by kind, and for each site the seconds since its last
//! sync and the records waiting to go down, with the store's size on disk.
//! The `metrics` facade records them where they happen; the exporter keeps
//! them in memory and renders them when scraped (no listener of its own).

use std::path::Path;
use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::office::{HeadOffice, OfficeError, OfficeStore};

/// Completed sync rounds.
pub const ROUNDS: &str = "wuye_sync_rounds_total";
/// Records received from sites.
pub const RECORDS_IN: &str = "wuye_sync_records_received_total";
/// Records sent to sites.
pub const RECORDS_OUT: &str = "wuye_sync_records_sent_total";
/// Bytes received from sites.
pub const BYTES_IN: &str = "wuye_sync_bytes_received_total";
/// Bytes sent to sites.
pub const BYTES_OUT: &str = "wuye_sync_bytes_sent_total";
/// How long a completed round took.
pub const ROUND_SECONDS: &str = "wuye_sync_round_seconds";
/// Rounds that ended in an error, by kind.
pub const ERRORS: &str = "wuye_sync_errors_total";
/// Seconds since each site's last completed round.
pub const SINCE_SYNC: &str = "wuye_site_seconds_since_sync";
/// Records each site has not yet confirmed.
pub const WAITING: &str = "wuye_site_records_waiting";
/// Records waiting to go up at each site, as its agent last reported.
pub const WAITING_UP: &str = "wuye_site_records_waiting_up";
/// Free disk space at each site, as its agent last reported.
pub const DISK_FREE: &str = "wuye_site_disk_free_bytes";
/// How far each site's clock was from head office's at its last round.
pub const CLOCK_OFFSET: &str = "wuye_site_clock_offset_seconds";
/// 1 when the site's agent reported a sync error at its last round.
pub const AGENT_ERROR: &str = "wuye_site_agent_error";
/// Each site's agent version, as a label (the value is always 1).
pub const AGENT_INFO: &str = "wuye_site_agent_info";
/// Head office's database on disk, write-ahead log included.
pub const STORE_BYTES: &str = "wuye_store_bytes";

/// The round durations' buckets, in seconds.
const BUCKETS: [f64; 12] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// The process's recorder, installed on first use.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(ROUND_SECONDS.into()), &BUCKETS)
            .expect("the buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may be installed already (a test running two
        // servers in one process): this one still renders what it records.
        if metrics::set_global_recorder(recorder).is_ok() {
            describe();
        }
        handle
    })
}

fn describe() {
    metrics::describe_counter!(ROUNDS, "Sync rounds completed");
    metrics::describe_counter!(RECORDS_IN, "Records received from sites");
    metrics::describe_counter!(RECORDS_OUT, "Records sent to sites");
    metrics::describe_counter!(BYTES_IN, "Bytes received from sites");
    metrics::describe_counter!(BYTES_OUT, "Bytes sent to sites");
    metrics::describe_histogram!(ROUND_SECONDS, metrics::Unit::Seconds, "How long a completed round took");
    metrics::describe_counter!(ERRORS, "Rounds ended by an error, by kind");
    metrics::describe_gauge!(SINCE_SYNC, metrics::Unit::Seconds, "Seconds since the site's last completed round");
    metrics::describe_gauge!(WAITING, "Records the site has not yet confirmed");
    metrics::describe_gauge!(STORE_BYTES, metrics::Unit::Bytes, "Head office's database on disk");
    metrics::describe_gauge!(WAITING_UP, "Records waiting to go up at the site, as its agent reported");
    metrics::describe_gauge!(DISK_FREE, metrics::Unit::Bytes, "Free disk at the site, as its agent reported");
    metrics::describe_gauge!(CLOCK_OFFSET, metrics::Unit::Seconds, "The site's clock less head office's");
    metrics::describe_gauge!(AGENT_ERROR, "1 when the site's agent reported a sync error");
    metrics::describe_gauge!(AGENT_INFO, "The site's agent version (label)");
}

/// What one completed round moved.
#[derive(Debug, Clone, Copy, Default)]
pub struct Round {
    /// Records received.
    pub records_in: u64,
    /// Records sent.
    pub records_out: u64,
    /// Bytes received.
    pub bytes_in: u64,
    /// Bytes sent.
    pub bytes_out: u64,
}

/// Counts a completed round of `site`.
pub fn round_done(site: &str, round: Round, seconds: f64) {
    handle();
    let site = site.to_string();
    metrics::counter!(ROUNDS, "site" => site.clone()).increment(1);
    metrics::counter!(RECORDS_IN, "site" => site.clone()).increment(round.records_in);
    metrics::counter!(RECORDS_OUT, "site" => site.clone()).increment(round.records_out);
    metrics::counter!(BYTES_IN, "site" => site.clone()).increment(round.bytes_in);
    metrics::counter!(BYTES_OUT, "site" => site).increment(round.bytes_out);
    metrics::histogram!(ROUND_SECONDS).record(seconds);
}

/// Counts a round ended by an error of `kind` (`timeout`, `bad_frame`,
/// `refused`, `reply_failed`, `store`).
pub fn round_failed(kind: &'static str) {
    handle();
    metrics::counter!(ERRORS, "kind" => kind).increment(1);
}

/// The size of head office's SQLite database files in `data`, write-ahead log included.
pub fn sqlite_bytes(data: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(data) else { return 0 };
    entries
        .flatten()
        .filter(|e| e.file_name().to_str().is_some_and(|n| n.starts_with(crate::DB_FILE)))
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum()
}

/// Everything, as Prometheus reads it: the per-site gauges and the store's
/// size are read now, from `office` and the folder `data`.
pub fn render<S: OfficeStore>(office: &HeadOffice<S>, data: &Path) -> Result<String, OfficeError> {
    let handle = handle();
    for site in office.sites()? {
        let id = site.site_id.to_string();
        if let Some(s) = site.seconds_since_sync {
            metrics::gauge!(SINCE_SYNC, "site" => id.clone()).set(s as f64);
        }
        if let Some(o) = site.clock_offset_seconds {
            metrics::gauge!(CLOCK_OFFSET, "site" => id.clone()).set(o as f64);
        }
        if let Some(agent) = &site.agent {
            metrics::gauge!(WAITING_UP, "site" => id.clone()).set(agent.records_waiting as f64);
            if let Some(free) = agent.disk_free_bytes {
                metrics::gauge!(DISK_FREE, "site" => id.clone()).set(free as f64);
            }
            metrics::gauge!(AGENT_ERROR, "site" => id.clone()).set(f64::from(u8::from(!agent.last_error.is_empty())));
            metrics::gauge!(AGENT_INFO, "site" => id.clone(), "version" => agent.version.clone()).set(1.0);
        }
        metrics::gauge!(WAITING, "site" => id).set(site.waiting_down as f64);
    }
    metrics::gauge!(STORE_BYTES).set(office.store.size_bytes(data)? as f64);
    Ok(handle.render())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_and_an_error_show_in_the_text_prometheus_reads() {
        round_done("site-a", Round { records_in: 3, records_out: 2, bytes_in: 100, bytes_out: 50 }, 0.02);
        round_failed("timeout");
        let text = handle().render();
        assert!(text.contains(r#"wuye_sync_records_received_total{site="site-a"} 3"#), "{text}");
        assert!(text.contains(r#"wuye_sync_errors_total{kind="timeout"} 1"#), "{text}");
        assert!(text.contains(r#"wuye_sync_round_seconds_bucket{le="0.025"} 1"#), "{text}");
        assert!(text.contains("# TYPE wuye_sync_round_seconds histogram"), "{text}");
    }
}
