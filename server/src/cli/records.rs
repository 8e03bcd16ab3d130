//! `records`: every site's records of one kind, as head office may show them.

use std::path::Path;
use std::sync::Arc;

use wuye_protocol::time::SystemClock;

/// Runs `wuye-server records …`.
pub(crate) fn records(
    data: &Path,
    clock: Arc<SystemClock>,
    kind: String,
    site: Option<String>,
    json: bool,
) -> anyhow::Result<()> {
    on_either!(data, clock, |hq| {
        let site = site.map(|s| hq.site(&s)).transpose()?;
        let rows = wuye_app::office::records_named(&hq.store, &kind, site)?;
        Ok(wuye_node::process::print_rows(&rows, json)?)
    })
}
