//! `commitment`: promised replies (约定回复).

use clap::Subcommand;
use wuye_node::process::print_json;

use super::*;
use wuye_app::lists::ListFilter;
use wuye_protocol::commitment::Commitment;

#[derive(Subcommand)]
pub(crate) enum CommitmentCommand {
    /// Write down a question to answer by a promised time.
    Add {
        /// The question and what was promised.
        #[arg(long, allow_hyphen_values = true)]
        text: String,
        /// The promised reply time: YYYY-MM-DD HH:MM (site time) or RFC 3339.
        #[arg(long)]
        due: String,
        /// Who is owed the reply.
        #[arg(long, default_value = "", allow_hyphen_values = true)]
        caller: String,
        /// The work-log entry it came from.
        #[arg(long)]
        from_log: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Record the reply given.
    Reply {
        /// The commitment's id (or its first characters).
        id: String,
        /// The reply.
        #[arg(long, allow_hyphen_values = true)]
        text: String,
    },
    /// Commitments unanswered and due (or late).
    Due {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn run(data: &std::path::Path, cmd: CommitmentCommand) -> anyhow::Result<()> {
    let (mut desk, actor) = open_signed_in(data)?;
    match cmd {
        CommitmentCommand::Add { text, due, caller, from_log, json } => {
            let due = parse_time(&due, desk.site.timezone)?;
            let c = desk.made_from_log(
                from_log.as_deref(),
                |desk| desk.add_commitment(&text, &caller, due, &actor),
                |c| c.id,
            )?;
            if json {
                print_json(&c)?;
            } else {
                wuye_node::say!("{}", c.id);
            }
        }
        CommitmentCommand::Reply { id, text } => {
            desk.commitment_reply(&id, &text, &actor)?;
            wuye_node::say!("reply recorded");
        }
        CommitmentCommand::Due { json } => {
            let now = desk.now();
            let horizon = now + chrono::Duration::hours(wuye_app::shift::DUE_WITHIN_HOURS);
            let due: Vec<_> = desk
                .list_all::<Commitment>(&ListFilter::default())?
                .into_iter()
                .filter(|c| c.is_due_by(horizon))
                .collect();
            if json {
                print_json(&due)?;
            } else {
                for c in &due {
                    let late = if c.is_due_by(now) { "  [逾期 late]" } else { "" };
                    wuye_node::say!("{}  due {}  {}: {}{late}", &c.id.to_string()[..8], c.due, c.caller, c.text);
                }
                wuye_node::say!("{} due within a day or late", due.len());
            }
        }
    }
    Ok(())
}
