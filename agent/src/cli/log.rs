//! `log`: the work log (工作日志).

use clap::Subcommand;
use wuye_app::desk::NewLogEntry;
use wuye_node::process::print_json;

use super::*;
use wuye_app::lists::ListFilter;
use wuye_protocol::log_entry::LogEntry;

#[derive(Subcommand)]
pub(crate) enum LogCommand {
    /// Log a call or visit.
    Add {
        /// phone or visit (or another channel).
        #[arg(long)]
        channel: String,
        /// Who called or came.
        #[arg(long, allow_hyphen_values = true)]
        caller: String,
        /// Their unit.
        #[arg(long, default_value = "", allow_hyphen_values = true)]
        unit: String,
        /// What was asked.
        #[arg(long, allow_hyphen_values = true)]
        text: String,
        /// What was done, when handled at once.
        #[arg(long, default_value = "", allow_hyphen_values = true)]
        done: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Record what was done about an entry.
    Done {
        /// The entry's id (or its first characters).
        id: String,
        /// What was done.
        #[arg(long, allow_hyphen_values = true)]
        text: String,
    },
    /// List entries, of one local date (YYYY-MM-DD) or all.
    List {
        /// Only this date, in the site's time zone.
        #[arg(long)]
        date: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn run(data: &std::path::Path, cmd: LogCommand) -> anyhow::Result<()> {
    let (mut desk, actor) = open_signed_in(data)?;
    match cmd {
        LogCommand::Add { channel, caller, unit, text, done, json } => {
            let entry =
                NewLogEntry { channel: channel.parse()?, caller: &caller, unit: &unit, asked: &text, done: &done };
            let l = desk.add_log(&entry, &actor)?;
            if json {
                print_json(&l)?;
            } else {
                wuye_node::say!("{}", l.id);
            }
        }
        LogCommand::Done { id, text } => {
            desk.log_done(&id, &text, &actor)?;
            wuye_node::say!("recorded");
        }
        LogCommand::List { date, json } => {
            let date = date.map(|d| parse_date(&d)).transpose()?;
            let entries = desk.list_all::<LogEntry>(&ListFilter { from: date, to: date, ..ListFilter::default() })?;
            if json {
                print_json(&entries)?;
            } else {
                for l in &entries {
                    let state = if l.open { "open" } else { "handled" };
                    wuye_node::say!(
                        "{}  {}  {}  {} {}: {}  [{state}] {}",
                        &l.id.to_string()[..8],
                        l.at,
                        l.channel.label(),
                        l.caller,
                        l.unit,
                        l.asked,
                        l.done
                    );
                }
                wuye_node::say!("{} entries", entries.len());
            }
        }
    }
    Ok(())
}
