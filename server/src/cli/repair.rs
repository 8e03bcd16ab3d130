//! `repair`: every site's work orders, and head office's steps on them.

use std::path::Path;
use std::sync::Arc;

use clap::Subcommand;
use wuye_node::process::print_json;
use wuye_node::render;
use wuye_protocol::repair::Repair;
use wuye_protocol::time::SystemClock;
use wuye_server::office::{HeadOffice, OfficeStore};
use wuye_server::people::Actor;

#[derive(Subcommand)]
pub(crate) enum RepairCommand {
    /// List work orders, of one site or all.
    List {
        /// Only this site's.
        #[arg(long)]
        site: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one work order with its history.
    Show {
        /// The work order's id (or its first characters).
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// A head-office note on a work order; it reaches the site at its next sync.
    Note {
        /// The work order's id (or its first characters).
        id: String,
        /// The note.
        #[arg(long, allow_hyphen_values = true)]
        text: String,
        /// Who writes it; recorded as NAME（总部命令行）.
        #[arg(long, default_value = "总部", allow_hyphen_values = true)]
        by: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `wuye-server repair …`.
pub(crate) fn run(data: &Path, clock: Arc<SystemClock>, cmd: RepairCommand) -> anyhow::Result<()> {
    on_either!(data, clock, |hq| on(&mut hq, cmd))
}

fn on<S: OfficeStore>(hq: &mut HeadOffice<S>, cmd: RepairCommand) -> anyhow::Result<()> {
    match cmd {
        RepairCommand::Note { id, text, by, json } => {
            let r = hq.repair_note(&Actor::CommandLine(by), &id, &text)?;
            if json {
                print_json(&r)?;
            } else {
                wuye_node::say!("note added to work order {}; it reaches the site at its next sync", r.id);
            }
        }
        RepairCommand::List { site, json } => {
            let site = site.map(|s| hq.site(&s)).transpose()?;
            render::print_repairs(&hq.all::<Repair>(site)?, json)?;
        }
        RepairCommand::Show { id, json } => {
            let id = hq.store.resolve(wuye_protocol::doc::RecordKind::Repair, &id)?;
            render::print_repair(&hq.store.view::<Repair>(id)?, json)?;
        }
    }
    Ok(())
}
