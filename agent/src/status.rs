//! `wuye-agent status`: how this site stands with head office.

use serde::Serialize;
use wuye_node::{Store, StoreError};
use wuye_protocol::ids::SiteId;
use wuye_protocol::sync::SERVER_PEER;
use wuye_protocol::time;

use crate::config::AgentConfig;
use crate::link::{self, LAST_SYNC_SETTING};

/// The site's standing, as `status --json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// This site.
    pub site_id: SiteId,
    /// Head office's address.
    pub server: String,
    /// When the last round completed, in the site's time zone; `null` if never.
    pub last_sync_at: Option<String>,
    /// Records held here.
    pub records: u64,
    /// Records changed here that head office has not confirmed.
    pub waiting_up: u64,
    /// Whether head office answered just now.
    pub server_reachable: bool,
    /// Why not, when it did not.
    pub server_error: Option<String>,
}

/// Reads the local figures and probes head office.
pub async fn status(store: &Store, config: &AgentConfig) -> Result<Status, StoreError> {
    let last_sync_at = store
        .setting(LAST_SYNC_SETTING)?
        .and_then(|t| time::from_stored(&t))
        .map(|t| time::to_site(t, config.timezone));
    let records = store.record_count()?;
    let waiting_up = store.unconfirmed_count(SERVER_PEER, config.site_id)?;
    let probe = link::probe(config).await;
    Ok(Status {
        site_id: config.site_id,
        server: config.server.clone(),
        last_sync_at,
        records,
        waiting_up,
        server_reachable: probe.is_ok(),
        server_error: probe.err().map(|e| e.to_string()),
    })
}
