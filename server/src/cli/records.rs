//! `records`: every site's records of one kind, as head office may show them.

use std::path::Path;
use std::sync::Arc;

use wuye_node::process::print_json;
use wuye_protocol::doc::RecordKind;
use wuye_protocol::time::SystemClock;
use wuye_server::office::HeadOffice;

/// Runs `wuye-server records …`.
pub(crate) fn records(
    data: &Path,
    clock: Arc<SystemClock>,
    kind: String,
    site: Option<String>,
    json: bool,
) -> anyhow::Result<()> {
    let hq = HeadOffice::open(data, clock)?;
    let site = site.map(|s| hq.site(&s)).transpose()?;
    let Some(kind) = RecordKind::from_word(&kind) else {
        let words: Vec<&str> = RecordKind::ALL.iter().map(|k| k.word()).collect();
        anyhow::bail!("unknown record kind '{}': use {}", wuye_protocol::text::echo(&kind), words.join(", "))
    };
    let rows: Vec<serde_json::Value> = wuye_app::office::records(&hq.store, kind, site)?
        .into_iter()
        .map(serde_json::to_value)
        .collect::<Result<_, _>>()?;
    if json {
        print_json(&rows)?;
    } else {
        for row in &rows {
            wuye_node::say!("{row}");
        }
        wuye_node::say!("{} record(s)", rows.len());
    }
    Ok(())
}
