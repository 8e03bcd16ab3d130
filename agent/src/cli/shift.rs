//! `handover` and `briefing`: what the next shift takes over.

use std::path::Path;

use clap::Args;
use wuye_node::process::print_json;

use super::*;

pub(crate) fn print_handover(h: &wuye_app::shift::Handover) {
    wuye_node::say!("交接班 handover");
    wuye_node::say!(
        "  carry over ({}): calls and visits still to become a work order or complaint record",
        h.carry_over.len()
    );
    for l in &h.carry_over {
        wuye_node::say!("    {}  {}  {} {}: {}", &l.id.to_string()[..8], l.at, l.caller, l.unit, l.asked);
    }
    wuye_node::say!("  commitments due ({})", h.commitments_due.len());
    for c in &h.commitments_due {
        wuye_node::say!("    {}  due {}  {}: {}", &c.id.to_string()[..8], c.due, c.caller, c.text);
    }
    wuye_node::say!("  open complaints ({})", h.open_complaints.len());
    for c in &h.open_complaints {
        wuye_node::say!(
            "    {}  {}  {} {}: {}",
            &c.id.to_string()[..8],
            c.status.label(),
            c.customer,
            c.unit,
            c.summary
        );
    }
    wuye_node::say!("  keys out ({}, {} overdue)", h.keys_out.len(), h.keys_overdue.len());
    for k in &h.keys_out {
        let late = if h.key_overdue(k) { "  [逾期 overdue]" } else { "" };
        wuye_node::say!("    {}  {}  lent to {}{late}", k.tag, k.opens, k.lent_to.as_deref().unwrap_or_default());
    }
    wuye_node::say!("  item-release slips not yet checked ({})", h.slips_waiting.len());
    for s in &h.slips_waiting {
        wuye_node::say!("    {}  {} {}", s.number, s.house, s.applicant);
    }
    wuye_node::say!("  open work orders ({}, {} overdue)", h.open_repairs.len(), h.overdue_repairs.len());
    for r in &h.open_repairs {
        let late = if h.overdue_repairs.iter().any(|o| o.id == r.id) { "  [逾期 overdue]" } else { "" };
        wuye_node::say!(
            "    {}  {}  {}: {}{late}",
            &r.id.to_string()[..8],
            r.status.label(),
            r.urgency.label(),
            r.description
        );
    }
}

/// The arguments of `handover`: alone, what the next shift takes over.
#[derive(Args)]
pub(crate) struct HandoverArgs {
    #[command(subcommand)]
    cmd: Option<HandoverCommand>,
    /// Print JSON.
    #[arg(long, global = true)]
    pub json: bool,
}

/// The handover record (交接班记录).
#[derive(clap::Subcommand)]
enum HandoverCommand {
    /// Write the record as the outgoing person: the open items are listed as they stand now.
    Write {
        /// Who takes over: a staff member's name (or id).
        #[arg(long, allow_hyphen_values = true)]
        to: String,
        /// The shift (早班, 中班, 夜班, …).
        #[arg(long, default_value = "")]
        shift: String,
        /// A thing handed over with its count and condition: `对讲机x2:完好` (once per thing).
        #[arg(long = "item", allow_hyphen_values = true)]
        things: Vec<String>,
        /// 本班情况 and 遗留问题, with why they are unfinished.
        #[arg(long, default_value = "", allow_hyphen_values = true)]
        notes: String,
    },
    /// Confirm a record handed to you (signed in as yourself), noting any shortage found.
    Confirm {
        /// The record's id (or its first characters).
        id: String,
        /// What was found short or wrong.
        #[arg(long, default_value = "", allow_hyphen_values = true)]
        found: String,
    },
    /// The site's handover records, newest first.
    List,
}

fn print_record(r: &wuye_protocol::handover::ShiftHandover) {
    let things: Vec<String> = r.things.iter().map(|t| format!("{}×{} {}", t.name, t.quantity, t.condition)).collect();
    wuye_node::say!("交接班记录  {}  {} {} → {}  {}  {}", r.at, r.shift, r.from, r.to, r.state.label(), r.id);
    for i in &r.items {
        wuye_node::say!("    [{}] {}{}", i.kind.label(), i.text, if i.overdue { "  [逾期 overdue]" } else { "" });
    }
    if !things.is_empty() {
        wuye_node::say!("  移交物品: {}", things.join("、"));
    }
    if !r.notes.is_empty() {
        wuye_node::say!("  {}", r.notes);
    }
    if let Some(got) = &r.received {
        wuye_node::say!("  接班确认 {} {} {}", got.by, got.at, got.text);
    }
}

/// Runs `wuye-agent handover …`.
pub(crate) fn handover(data: &Path, args: HandoverArgs) -> anyhow::Result<()> {
    let HandoverArgs { cmd, json } = args;
    let (mut desk, actor) = open_signed_in(data)?;
    let record = match cmd {
        None => {
            let h = wuye_app::shift::handover(&desk.store, desk.now())?;
            if json {
                print_json(&h)?;
            } else {
                print_handover(&h);
            }
            return Ok(());
        }
        Some(HandoverCommand::List) => {
            let all = desk.handovers()?;
            if json {
                print_json(&all)?;
            } else {
                all.iter().for_each(print_record);
            }
            return Ok(());
        }
        Some(HandoverCommand::Write { to, shift, things, notes }) => {
            let things = things
                .iter()
                .map(|t| {
                    let (count, condition) = t.split_once([':', '：']).unwrap_or((t, ""));
                    let (name, quantity) = wuye_app::lists::counted(count)?;
                    Ok(wuye_protocol::handover::Thing { name, quantity, condition: condition.trim().to_string() })
                })
                .collect::<anyhow::Result<_>>()?;
            desk.write_handover(&wuye_app::desk::HandoverNote { shift, to, things, notes }, &actor)?
        }
        Some(HandoverCommand::Confirm { id, found }) => desk.confirm_handover(&id, &found, &actor)?,
    };
    if json {
        print_json(&record)?;
    } else {
        print_record(&record);
    }
    Ok(())
}

/// The arguments of `briefing`.
#[derive(Args)]
pub(crate) struct BriefingArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `wuye-agent briefing …`.
pub(crate) fn briefing(data: &Path, args: BriefingArgs) -> anyhow::Result<()> {
    let BriefingArgs { json } = args;
    let (desk, _) = open_signed_in(data)?;
    let b = wuye_app::shift::briefing(&desk.store, desk.now(), desk.site.timezone)?;
    if json {
        print_json(&b)?;
    } else {
        let y = &b.yesterday;
        wuye_node::say!(
                "班前会 briefing. Yesterday ({}): {} calls and visits, {} complaints ({} major), {} work orders ({} emergency)",
                y.date, y.calls_and_visits, y.complaints, y.major_complaints, y.repairs, y.emergency_repairs
            );
        print_handover(&b.open);
    }
    Ok(())
}
