//! `bill`: a site's bills (账单) at head office: list them, and reduce one
//! (减免), which reaches the site at its next sync.

use std::path::Path;
use std::sync::Arc;

use clap::Subcommand;
use wuye_node::process::print_json;
use wuye_protocol::bill::Bill;
use wuye_protocol::money::Fen;
use wuye_protocol::time::SystemClock;

use wuye_server::office::{HeadOffice, OfficeStore};
use wuye_server::people::Actor;

#[derive(Subcommand)]
pub(crate) enum BillCommand {
    /// List the bills, of one site or of all.
    List {
        /// The site's id (or its first characters).
        #[arg(long)]
        site: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Reduce a bill (减免), with the reason.
    Reduce {
        /// The bill's id (or its first characters).
        id: String,
        /// How much, in yuan.
        #[arg(long)]
        amount: String,
        /// Why.
        #[arg(long, allow_hyphen_values = true)]
        reason: String,
        /// Who approves; recorded as NAME（总部命令行）.
        #[arg(long, default_value = "物业公司经理", allow_hyphen_values = true)]
        by: String,
    },
}

/// Runs `wuye-server bill …`.
pub(crate) fn run(data: &Path, clock: Arc<SystemClock>, cmd: BillCommand) -> anyhow::Result<()> {
    on_either!(data, clock, |hq| on(&mut hq, cmd))
}

fn on<S: OfficeStore>(hq: &mut HeadOffice<S>, cmd: BillCommand) -> anyhow::Result<()> {
    match cmd {
        BillCommand::List { site, json } => {
            let site = site.map(|s| hq.site(&s)).transpose()?;
            let bills = hq.all::<Bill>(site)?;
            if json {
                return Ok(print_json(&bills)?);
            }
            for b in &bills {
                wuye_node::say!(
                    "{}  {} {}  {}  减免 {}  {}到期  {}",
                    b.house,
                    b.item,
                    b.period,
                    b.amount,
                    b.reduced(),
                    b.due,
                    b.id
                );
            }
            wuye_node::say!("{} bill(s)", bills.len());
        }
        BillCommand::Reduce { id, amount, reason, by } => {
            let b = hq.reduce_bill(&Actor::CommandLine(by), &id, Fen::parse_yuan(&amount)?, &reason)?;
            wuye_node::say!(
                "{} {} {}: 减免 {}; it reaches the site at its next sync",
                b.house,
                b.item,
                b.period,
                b.reduced()
            );
        }
    }
    Ok(())
}
