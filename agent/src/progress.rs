//! Progress of a long sync: a bar on a terminal, log lines otherwise.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::link::RoundOutcome;

/// How often progress is logged when no terminal shows a bar.
pub const LOG_EVERY_MS: u64 = 2_000;

/// Shows how a round advances.
#[derive(Debug)]
pub struct SyncProgress {
    bar: Option<ProgressBar>,
    expected: u64,
    last_log: Instant,
}

impl SyncProgress {
    /// Progress for a round expected to send about `expected` records.
    pub fn new(expected: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(expected.max(1));
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{bar:30}] {pos}/{len} records  {msg}  {per_sec}  about {eta} left",
                )
                .expect("literal template")
                .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Self { bar, expected, last_log: Instant::now() }
    }

    /// Called after every message of the round.
    pub fn update(&mut self, outcome: &RoundOutcome) {
        let done = (outcome.report.pushed + outcome.report.pulled) as u64;
        let bytes = outcome.bytes_sent + outcome.bytes_received;
        match &self.bar {
            Some(bar) => {
                if done > bar.length().unwrap_or(0) {
                    bar.set_length(done);
                }
                bar.set_position(done);
                bar.set_message(indicatif::HumanBytes(bytes).to_string());
            }
            None => {
                if self.last_log.elapsed() >= Duration::from_millis(LOG_EVERY_MS) {
                    self.last_log = Instant::now();
                    let secs = outcome.elapsed.as_secs_f64().max(0.001);
                    let rate = done as f64 / secs;
                    let left = self.expected.saturating_sub(done);
                    tracing::info!(
                        records_done = done,
                        records_expected = self.expected,
                        bytes,
                        records_per_s = rate as u64,
                        seconds_left = if rate > 0.0 { (left as f64 / rate).ceil() as u64 } else { 0 },
                        "sync in progress"
                    );
                }
            }
        }
    }

    /// Clears the bar.
    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
