//! `renovation`: renovations (装修): apply, approve or refuse, passes,
//! start, patrols and violations, extensions, completion and inspection,
//! the deposit's refund and the close.

use std::path::Path;

use clap::Subcommand;
use wuye_app::desk::NewRenovation;
use wuye_node::process::print_json;
use wuye_protocol::money::Fen;
use wuye_protocol::renovation::{self, Action, Contractor, Renovation, Violation};

use super::{open_desk, open_signed_in, parse_date};

#[derive(Subcommand)]
pub(crate) enum RenovationCommand {
    /// Take an application (装修申请).
    Apply {
        /// The house.
        #[arg(long)]
        house: String,
        /// The owner.
        #[arg(long, allow_hyphen_values = true)]
        owner: String,
        /// The owner's phone.
        #[arg(long, default_value = "")]
        phone: String,
        /// The contractor (装修单位).
        #[arg(long, allow_hyphen_values = true)]
        contractor: String,
        /// Its licence number.
        #[arg(long)]
        licence: String,
        /// Its person in charge.
        #[arg(long, allow_hyphen_values = true)]
        manager: String,
        /// Their phone.
        #[arg(long)]
        manager_phone: String,
        /// A work item (once per item): 水电改造, 拆改非承重墙, 防水, 铺装, 吊顶, 空调安装, 门窗, 油漆, 其他.
        #[arg(long = "item", required = true)]
        items: Vec<String>,
        /// Planned first day, YYYY-MM-DD.
        #[arg(long)]
        start: String,
        /// Planned last day, YYYY-MM-DD.
        #[arg(long)]
        end: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// A step: approve, refuse, start, extend (with --until), finish, pass, fail, rectified, close.
    Step {
        /// The renovation's id (or its first characters).
        id: String,
        /// The step.
        step: String,
        /// Why, or what was found.
        #[arg(long, default_value = "", allow_hyphen_values = true)]
        text: String,
        /// An extension's new last day, YYYY-MM-DD.
        #[arg(long)]
        until: Option<String>,
    },
    /// Issue a worker's pass (出入证); its fee is billed.
    Pass {
        /// The renovation's id.
        id: String,
        /// The worker.
        #[arg(long, allow_hyphen_values = true)]
        worker: String,
        /// The pass's number.
        #[arg(long)]
        number: String,
    },
    /// Take a pass back.
    ReturnPass {
        /// The renovation's id.
        id: String,
        /// The pass's number.
        #[arg(long)]
        number: String,
    },
    /// Record a patrol (装修巡查), with a violation if one was found.
    Patrol {
        /// The renovation's id.
        id: String,
        /// What was seen.
        #[arg(long, allow_hyphen_values = true)]
        seen: String,
        /// A violation: what rule was broken.
        #[arg(long, allow_hyphen_values = true)]
        violation: Option<String>,
        /// What the photo shows.
        #[arg(long, default_value = "", allow_hyphen_values = true)]
        photo: String,
        /// The day it must be put right by, YYYY-MM-DD.
        #[arg(long)]
        deadline: Option<String>,
        /// The fine proposed, in yuan.
        #[arg(long, default_value = "0")]
        fine: String,
    },
    /// Record a violation put right (the patrol's number, from 1).
    Correct {
        /// The renovation's id.
        id: String,
        /// The patrol's number.
        #[arg(long)]
        patrol: usize,
        /// What was done.
        #[arg(long, allow_hyphen_values = true)]
        note: String,
    },
    /// Add a note (跟踪记录).
    Note {
        /// The renovation's id.
        id: String,
        /// The note.
        #[arg(allow_hyphen_values = true)]
        text: String,
    },
    /// Refund the deposit (a 经理), less deductions `AMOUNT:REASON` (once each).
    Refund {
        /// The renovation's id.
        id: String,
        /// A deduction, `200:周末噪音作业罚款`.
        #[arg(long = "deduct")]
        deductions: Vec<String>,
        /// How it is paid back: 现金, 转账, 银行卡, …
        #[arg(long)]
        method: String,
    },
    /// The site's renovations.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// One renovation.
    Show {
        /// The renovation's id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn show(r: &Renovation) {
    let items: Vec<&str> = r.items.iter().map(|i| i.label()).collect();
    wuye_node::say!(
        "{}  {}  {}  {}  {} 至 {}  {}  {}",
        r.house,
        r.owner,
        r.contractor.name,
        items.join("、"),
        r.planned_start,
        r.ends(),
        r.state().label(),
        r.id
    );
    for (i, v) in r.open_violations() {
        wuye_node::say!("    违规 #{}: {}（{} 前整改）", i + 1, v.item, v.deadline);
    }
}

/// Runs `wuye-agent renovation …`.
pub(crate) fn run(data: &Path, cmd: RenovationCommand) -> anyhow::Result<()> {
    match cmd {
        RenovationCommand::Apply {
            house,
            owner,
            phone,
            contractor,
            licence,
            manager,
            manager_phone,
            items,
            start,
            end,
            json,
        } => {
            let (mut desk, actor) = open_signed_in(data)?;
            let new = NewRenovation {
                house,
                owner,
                phone,
                contractor: Contractor { name: contractor, licence, manager, phone: manager_phone },
                items: items.iter().map(|i| renovation::parse_item(i)).collect::<Result<_, _>>()?,
                start: parse_date(&start)?,
                end: parse_date(&end)?,
            };
            let r = desk.apply_renovation(&new, &actor)?;
            if json {
                return Ok(print_json(&r)?);
            }
            show(&r);
        }
        RenovationCommand::Step { id, step, text, until } => {
            let (mut desk, actor) = open_signed_in(data)?;
            let action: Action = step.parse()?;
            let until = until.map(|u| parse_date(&u)).transpose()?;
            show(&desk.renovation_step(&id, action, &text, until, &actor)?);
        }
        RenovationCommand::Pass { id, worker, number } => {
            let (mut desk, actor) = open_signed_in(data)?;
            show(&desk.renovation_pass(&id, &worker, &number, &actor)?);
        }
        RenovationCommand::ReturnPass { id, number } => {
            let (mut desk, actor) = open_signed_in(data)?;
            show(&desk.renovation_return_pass(&id, &number, &actor)?);
        }
        RenovationCommand::Patrol { id, seen, violation, photo, deadline, fine } => {
            let (mut desk, actor) = open_signed_in(data)?;
            let violation = match violation {
                Some(item) => Some(Violation {
                    item,
                    photo_note: photo,
                    deadline: parse_date(
                        deadline
                            .as_deref()
                            .ok_or_else(|| anyhow::anyhow!("a violation needs --deadline YYYY-MM-DD"))?,
                    )?,
                    fine: Fen::parse_yuan(&fine)?,
                }),
                None => None,
            };
            show(&desk.renovation_patrol(&id, &seen, violation.as_ref(), &actor)?);
        }
        RenovationCommand::Correct { id, patrol, note } => {
            let (mut desk, actor) = open_signed_in(data)?;
            show(&desk.renovation_correct(&id, patrol, &note, &actor)?);
        }
        RenovationCommand::Note { id, text } => {
            let (mut desk, actor) = open_signed_in(data)?;
            show(&desk.renovation_note(&id, &text, &actor)?);
        }
        RenovationCommand::Refund { id, deductions, method } => {
            let (mut desk, actor) = open_signed_in(data)?;
            let parsed = wuye_app::renovations::parse_deductions(deductions.iter().map(String::as_str))?;
            let (r, receipt) = desk.refund_renovation_deposit(&id, &parsed, method.parse()?, &actor)?;
            show(&r);
            if let Some(p) = receipt {
                wuye_node::say!("退款收据 {}  {}", p.number(), p.received);
            }
        }
        RenovationCommand::List { json } => {
            let all = open_desk(data)?.renovations()?;
            if json {
                return Ok(print_json(&all)?);
            }
            for r in &all {
                show(r);
            }
            wuye_node::say!("{} renovation(s)", all.len());
        }
        RenovationCommand::Show { id, json } => {
            let r = open_desk(data)?.renovation(&id)?;
            if json {
                return Ok(print_json(&r)?);
            }
            show(&r);
        }
    }
    Ok(())
}
