//! `wuye-agent status`: how this site stands with head office.

use serde::Serialize;
use wuye_node::{Store, StoreError};
use wuye_protocol::ids::SiteId;
use wuye_protocol::sync::SERVER_PEER;
use wuye_protocol::time;

use crate::config::AgentConfig;
use crate::link;

/// The site's standing, as `status --json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// This site.
    pub site_id: SiteId,
    /// Head office's address.
    pub server: String,
    /// When the last round completed, in the site's time zone; `null` if never.
    pub last_sync_at: Option<wuye_protocol::time::SiteTime>,
    /// Records held here.
    pub records: u64,
    /// Records changed here that head office has not confirmed.
    pub waiting_up: u64,
    /// Whether head office answered just now.
    pub server_reachable: bool,
    /// Why not, when it did not.
    pub server_error: Option<String>,
    /// Head office's refusal of this site at the last round (revoked, a spent
    /// or replaced credential, another version), until a round succeeds.
    pub refused_by_server: Option<String>,
    /// How far this PC's clock was ahead of head office's at the last round
    /// (negative: behind), in seconds.
    pub clock_offset_seconds: Option<i64>,
    /// Whether that is more than 5 minutes either way.
    pub clock_wrong: bool,
    /// The certificate fingerprint head office announced it will move to, if any.
    pub next_fingerprint: Option<String>,
}

/// Reads the local figures and probes head office.
pub async fn status(store: &Store, config: &AgentConfig) -> Result<Status, StoreError> {
    let last_sync_at = link::last_sync(store)?.map(|t| time::to_site(t, config.timezone));
    let records = store.record_count()?;
    let waiting_up = store.unconfirmed_count(SERVER_PEER, config.site_id)?;
    let probe = link::probe(config).await;
    let offset_ms = store.setting(link::CLOCK_OFFSET_SETTING)?.and_then(|o| o.parse::<i64>().ok());
    Ok(Status {
        site_id: config.site_id,
        server: config.server.clone(),
        last_sync_at,
        records,
        waiting_up,
        server_reachable: probe.is_ok(),
        server_error: probe.err().map(|e| e.to_string()),
        refused_by_server: store.setting(link::REFUSED_SETTING)?,
        clock_offset_seconds: offset_ms.map(|o| o / 1000),
        clock_wrong: offset_ms.is_some_and(|o| o.abs() > link::MAX_CLOCK_OFFSET_MS),
        next_fingerprint: config.next_fingerprint.clone(),
    })
}
