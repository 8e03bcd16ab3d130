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

/// The arguments of `handover`.
#[derive(Args)]
pub(crate) struct HandoverArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `wuye-agent handover …`.
pub(crate) fn handover(data: &Path, args: HandoverArgs) -> anyhow::Result<()> {
    let HandoverArgs { json } = args;
    let (desk, _) = open_signed_in(data)?;
    let h = wuye_app::shift::handover(&desk.store, desk.now())?;
    if json {
        print_json(&h)?;
    } else {
        print_handover(&h);
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
