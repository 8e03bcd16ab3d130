//! `key`: keys in the office's custody (钥匙管理): taken in, lent, returned,
//! chased, lost, and the ones overdue.

use std::path::Path;

use clap::Subcommand;
use wuye_app::desk::Loan;
use wuye_node::process::print_json;
use wuye_protocol::key::{Key, NewKey, Step};

use super::{open_desk, open_signed_in};

#[derive(Subcommand)]
pub(crate) enum KeyCommand {
    /// Take a key (or bundle) into custody.
    Add {
        /// Its tag number (钥匙牌号), which must not show the address.
        #[arg(long)]
        tag: String,
        /// 业主寄存, 空置房, 公共区域, 设备房 or 返修.
        #[arg(long)]
        kind: String,
        /// The cabinet slot (柜位).
        #[arg(long, default_value = "")]
        slot: String,
        /// The house or place it opens.
        #[arg(long, allow_hyphen_values = true)]
        opens: String,
        /// Who deposited it.
        #[arg(long, default_value = "", allow_hyphen_values = true)]
        from: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Lend a key; an owner's key only by a 客服主管 or 经理, saying how the owner was contacted.
    Lend {
        /// The key's id (or its first characters).
        id: String,
        /// To whom.
        #[arg(long, allow_hyphen_values = true)]
        to: String,
        /// Why.
        #[arg(long, allow_hyphen_values = true)]
        reason: String,
        /// Due back, YYYY-MM-DD HH:MM (site time).
        #[arg(long)]
        due: String,
        /// For an owner's key: how and when the owner was contacted.
        #[arg(long, default_value = "", allow_hyphen_values = true)]
        owner_contacted: String,
        /// The borrower's ID-card number: kept whole at this site only, masked in the record.
        #[arg(long, default_value = "")]
        id_card: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// A lent key is back.
    Return {
        /// The key's id (or its first characters).
        id: String,
    },
    /// Note that the borrower was chased (催还).
    Chase {
        /// The key's id (or its first characters).
        id: String,
        /// What was said, and how.
        #[arg(long, allow_hyphen_values = true)]
        text: String,
    },
    /// The key is lost; say what was done (换锁, …).
    Lost {
        /// The key's id (or its first characters).
        id: String,
        /// What was done.
        #[arg(long, allow_hyphen_values = true)]
        text: String,
    },
    /// List the keys by tag (only the overdue ones with --overdue).
    List {
        /// Only keys lent and not back by their due time.
        #[arg(long)]
        overdue: bool,
        /// The archived keys instead (lost or handed over longer ago than `key-retention-days`).
        #[arg(long, conflicts_with = "overdue")]
        archived: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn show(k: &Key) {
    let lent = match (&k.lent_to, &k.due_back) {
        (Some(to), Some(due)) => format!("  借给 {to}，{} 前归还", due.local().format("%Y-%m-%d %H:%M")),
        _ => String::new(),
    };
    wuye_node::say!("{}  {}  {}  {}  {}{lent}  {}", k.tag, k.kind.label(), k.slot, k.opens, k.status.label(), k.id);
}

/// Runs `wuye-agent key …`.
pub(crate) fn run(data: &Path, cmd: KeyCommand) -> anyhow::Result<()> {
    match cmd {
        KeyCommand::Add { tag, kind, slot, opens, from, json } => {
            let (mut desk, actor) = open_signed_in(data)?;
            let key = desk.add_key(&NewKey { tag, kind: kind.parse()?, slot, opens, deposited_by: from }, &actor)?;
            if json {
                print_json(&key)?;
            } else {
                show(&key);
            }
        }
        KeyCommand::Lend { id, to, reason, due, owner_contacted, id_card, json } => {
            let (mut desk, actor) = open_signed_in(data)?;
            let due = wuye_app::lists::parse_time(&due, desk.site.timezone)?;
            let key = desk.lend_key(&id, &Loan { to, reason, owner_contacted, due, id_card }, &actor)?;
            if json {
                print_json(&key)?;
            } else {
                show(&key);
            }
        }
        KeyCommand::Return { id } => {
            let (mut desk, actor) = open_signed_in(data)?;
            show(&desk.key_step_by_id(&id, Step::Return, &actor)?);
        }
        KeyCommand::Chase { id, text } => {
            let (mut desk, actor) = open_signed_in(data)?;
            show(&desk.key_step_by_id(&id, Step::Chase(&text), &actor)?);
        }
        KeyCommand::Lost { id, text } => {
            let (mut desk, actor) = open_signed_in(data)?;
            show(&desk.key_step_by_id(&id, Step::Lose(&text), &actor)?);
        }
        KeyCommand::List { overdue, archived, json } => {
            let desk = open_desk(data)?;
            let keys = if archived { desk.archived_keys()? } else { desk.keys(overdue)? };
            if json {
                print_json(&keys)?;
            } else {
                for k in &keys {
                    show(k);
                }
                wuye_node::say!("{} key(s)", keys.len());
            }
        }
    }
    Ok(())
}
