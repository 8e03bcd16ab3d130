//! `complaint`: every site's complaints, and head office's steps on them.

use std::path::Path;
use std::sync::Arc;

use clap::Subcommand;
use wuye_node::process::print_json;
use wuye_node::render;
use wuye_protocol::complaint::Complaint;
use wuye_protocol::time::SystemClock;
use wuye_server::people::Actor;

#[derive(Subcommand)]
pub(crate) enum ComplaintCommand {
    /// List complaints, of one site or all.
    List {
        /// Only this site's.
        #[arg(long)]
        site: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one complaint.
    Show {
        /// The complaint's id (or its first characters).
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// A head-office note on a complaint; it reaches the site at its next sync.
    Note {
        /// The complaint's id (or its first characters).
        id: String,
        /// The note.
        #[arg(long, allow_hyphen_values = true)]
        text: String,
        /// Who writes it; recorded as NAME（总部命令行）.
        #[arg(long, default_value = "总部", allow_hyphen_values = true)]
        by: String,
        /// Print the complaint as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The property manager's decision on a major complaint (重大投诉).
    Decide {
        /// The complaint's id (or its first characters).
        id: String,
        /// The decision.
        #[arg(long, allow_hyphen_values = true)]
        text: String,
        /// Who decides; recorded as NAME（总部命令行）, acting through head office's command line.
        #[arg(long, default_value = "物业公司经理", allow_hyphen_values = true)]
        by: String,
        /// Print the complaint as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `wuye-server complaint …`.
pub(crate) fn run(data: &Path, clock: Arc<SystemClock>, cmd: ComplaintCommand) -> anyhow::Result<()> {
    match cmd {
        ComplaintCommand::List { site, json } => {
            let all: Vec<Complaint> = on_either!(data, clock, |hq| {
                let site = site.map(|s| hq.site(&s)).transpose()?;
                hq.all::<Complaint>(site)?
            });
            render::print_complaints(&all, json)?;
        }
        ComplaintCommand::Show { id, json } => {
            let c = on_either!(data, clock, |hq| hq.complaint(&id)?);
            render::print_complaint(&c, json)?;
        }
        ComplaintCommand::Note { id, text, by, json } => {
            let c = on_either!(data, clock, |hq| hq.note(&Actor::CommandLine(by), &id, &text)?);
            if json {
                print_json(&c)?;
            } else {
                wuye_node::say!("note added to {}; it reaches the site at its next sync", c.id);
            }
        }
        ComplaintCommand::Decide { id, text, by, json } => {
            let c = on_either!(data, clock, |hq| hq.decide(&Actor::CommandLine(by), &id, &text)?);
            if json {
                print_json(&c)?;
            } else {
                wuye_node::say!("decision recorded on {}; it reaches the site at its next sync", c.id);
            }
        }
    }
    Ok(())
}
