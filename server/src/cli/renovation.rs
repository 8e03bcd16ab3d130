//! `renovation`: the sites' renovations (装修) at head office: list them
//! with what is open on each, and add a note (跟踪记录), which reaches the
//! site at its next sync.

use std::path::Path;
use std::sync::Arc;

use clap::Subcommand;
use wuye_node::process::print_json;
use wuye_protocol::renovation::Renovation;
use wuye_protocol::time::SystemClock;

use wuye_server::office::{HeadOffice, OfficeStore};
use wuye_server::people::Actor;

#[derive(Subcommand)]
pub(crate) enum RenovationCommand {
    /// List the renovations, of one site or of all.
    List {
        /// The site's id (or its first characters).
        #[arg(long)]
        site: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Add a note to a renovation.
    Note {
        /// The renovation's id (or its first characters).
        id: String,
        /// The note.
        #[arg(allow_hyphen_values = true)]
        text: String,
        /// Who writes it; recorded as NAME（总部命令行）.
        #[arg(long, default_value = "总部工程部", allow_hyphen_values = true)]
        by: String,
    },
}

/// Runs `wuye-server renovation …`.
pub(crate) fn run(data: &Path, clock: Arc<SystemClock>, cmd: RenovationCommand) -> anyhow::Result<()> {
    on_either!(data, clock, |hq| on(&mut hq, cmd))
}

fn on<S: OfficeStore>(hq: &mut HeadOffice<S>, cmd: RenovationCommand) -> anyhow::Result<()> {
    match cmd {
        RenovationCommand::List { site, json } => {
            let site = site.map(|s| hq.site(&s)).transpose()?;
            let all = hq.all::<Renovation>(site)?;
            if json {
                return Ok(print_json(&all)?);
            }
            for r in &all {
                wuye_node::say!(
                    "{}  {}  {}  {} 至 {}  违规未整改 {}  {}",
                    r.house,
                    r.owner,
                    r.state().label(),
                    r.planned_start,
                    r.ends(),
                    r.open_violations().len(),
                    r.id
                );
            }
            wuye_node::say!("{} renovation(s)", all.len());
        }
        RenovationCommand::Note { id, text, by } => {
            let r = hq.renovation_note(&Actor::CommandLine(by), &id, &text)?;
            wuye_node::say!("{} {}: note added; it reaches the site at its next sync", r.house, r.owner);
        }
    }
    Ok(())
}
