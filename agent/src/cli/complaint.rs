//! `complaint`: the complaint's whole way (投诉处理及回访制度).

use clap::{Args, Subcommand};
use wuye_app::desk::Step;
use wuye_node::process::print_json;
use wuye_node::render;
use wuye_protocol::complaint::NewComplaint;
use wuye_protocol::rules::Channel;

use super::*;
use wuye_app::lists::ListFilter;
use wuye_protocol::complaint::Complaint;

#[derive(Subcommand)]
pub(crate) enum ComplaintCommand {
    /// Register a complaint (投诉登记).
    Add(AddArgs),
    /// List this site's complaints.
    List {
        /// Only complaints in this state (registered, in_progress, assigned, escalated,
        /// decided, resolved, reopened, visited, archived); may be given more than once.
        #[arg(long)]
        status: Vec<String>,
        /// Only complaints received on or after this local date, YYYY-MM-DD.
        #[arg(long)]
        from: Option<String>,
        /// Only complaints received on or before this local date, YYYY-MM-DD.
        #[arg(long)]
        to: Option<String>,
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
    /// Issue a work contact slip (工作联系单) to a department.
    Assign {
        /// The complaint's id (or its first characters).
        id: String,
        /// The department instructed (维修部, 保洁, ...).
        #[arg(long, allow_hyphen_values = true)]
        department: String,
        /// What the department is asked to do (处理要求).
        #[arg(long, default_value = "", allow_hyphen_values = true)]
        instruction: String,
        /// To be done by, YYYY-MM-DD HH:MM (site time).
        #[arg(long)]
        due: Option<String>,
        #[command(flatten)]
        common: StepArgs,
    },
    /// Record a department's reply (部门回复) on a work contact slip.
    Reply {
        /// The complaint's id (or its first characters).
        id: String,
        /// Which contact slip, counted from 1 in the order they were issued.
        #[arg(long, default_value_t = 1)]
        slip: usize,
        /// The department's words.
        #[arg(long, allow_hyphen_values = true)]
        text: String,
        #[command(flatten)]
        common: StepArgs,
    },
    /// Escalate to the property manager as a major complaint (重大投诉).
    Escalate {
        /// The complaint's id (or its first characters).
        id: String,
        #[command(flatten)]
        common: StepArgs,
    },
    /// Record the result (处理结果).
    Resolve {
        /// The complaint's id (or its first characters).
        id: String,
        /// What was done.
        #[arg(long, allow_hyphen_values = true)]
        result: String,
        #[command(flatten)]
        common: StepArgs,
    },
    /// Record a follow-up visit (回访); satisfaction 1-2 reopens the complaint.
    Visit {
        /// The complaint's id (or its first characters).
        id: String,
        /// 1 (very unsatisfied) to 5 (very satisfied).
        #[arg(long)]
        satisfaction: u8,
        /// The resident's words.
        #[arg(long, default_value = "", allow_hyphen_values = true)]
        comment: String,
        #[command(flatten)]
        common: StepArgs,
    },
    /// The property manager's decision (经理决定) on a major complaint, at the site.
    Decide {
        /// The complaint's id (or its first characters).
        id: String,
        /// The decision.
        #[arg(long, allow_hyphen_values = true)]
        text: String,
        #[command(flatten)]
        common: StepArgs,
    },
    /// Archive (归档) after a satisfied follow-up visit.
    Archive {
        /// The complaint's id (or its first characters).
        id: String,
        #[command(flatten)]
        common: StepArgs,
    },
    /// Complaints and work orders that recur at the same unit or building and category.
    Recurring {
        /// The window, in days.
        #[arg(long, default_value_t = 90)]
        days: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Every step, who took it and when.
    History {
        /// The complaint's id (or its first characters).
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Add a tracking note (跟踪记录).
    Note {
        /// The complaint's id (or its first characters).
        id: String,
        /// The note.
        #[arg(long, allow_hyphen_values = true)]
        text: String,
        /// Print the complaint as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// What every workflow step takes.
#[derive(Args)]
pub(crate) struct StepArgs {
    /// Print the complaint as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub(crate) struct AddArgs {
    /// The customer's name.
    #[arg(long, allow_hyphen_values = true)]
    customer: String,
    /// Their phone number (联系电话).
    #[arg(long, default_value = "")]
    phone: String,
    /// Building and unit (楼栋/房号).
    #[arg(long, allow_hyphen_values = true)]
    unit: String,
    /// phone, visit, letter, fax, wechat or app.
    #[arg(long)]
    channel: String,
    /// What the complaint is about.
    #[arg(long, allow_hyphen_values = true)]
    summary: String,
    /// The site's category (卫生, 噪音, 服务态度, 设施, 安全, 收费, 其他 unless changed).
    #[arg(long, default_value = wuye_protocol::complaint::UNCATEGORISED, allow_hyphen_values = true)]
    category: String,
    /// A department involved; repeat for several.
    #[arg(long = "department", allow_hyphen_values = true)]
    departments: Vec<String>,
    /// A major complaint (重大投诉), decided by the property manager.
    #[arg(long)]
    major: bool,
    /// The work-log entry it came from.
    #[arg(long)]
    from_log: Option<String>,
    /// Print the whole record as JSON.
    #[arg(long)]
    json: bool,
}

pub(crate) fn print_step(c: &wuye_protocol::complaint::Complaint, done: &str, json: bool) -> anyhow::Result<()> {
    if json {
        print_json(c)?;
    } else {
        wuye_node::say!("{done} on {}; status {}", c.id, c.status.label());
    }
    Ok(())
}

pub(crate) fn run(data: &std::path::Path, cmd: ComplaintCommand) -> anyhow::Result<()> {
    let (mut desk, actor) = open_signed_in(data)?;
    match cmd {
        ComplaintCommand::Add(a) => {
            let input = NewComplaint {
                phone: a.phone,
                customer: a.customer,
                unit: a.unit,
                channel: a.channel.parse::<Channel>()?,
                summary: a.summary,
                category: a.category,
                departments: a.departments,
                major: a.major,
            };
            let c =
                desk.made_from_log(a.from_log.as_deref(), |desk| desk.add_complaint(&input, &actor.name), |c| c.id)?;
            if a.json {
                print_json(&c)?;
            } else {
                wuye_node::say!("{}", c.id);
            }
        }
        ComplaintCommand::List { status, from, to, json } => {
            for s in &status {
                if wuye_protocol::complaint::ComplaintStatus::parse(s).is_none() {
                    anyhow::bail!(
                        "unknown complaint state '{}': use registered, in_progress, assigned, escalated, decided, resolved, reopened, visited or archived",
                        wuye_protocol::text::echo(s)
                    );
                }
            }
            let filter = ListFilter {
                statuses: status,
                from: from.as_deref().map(parse_date).transpose()?,
                to: to.as_deref().map(parse_date).transpose()?,
                ..ListFilter::default()
            };
            let all = desk.list_all::<Complaint>(&filter)?;
            render::print_complaints(&all, json)?;
        }
        ComplaintCommand::Show { id, json } => {
            let c = desk.complaint(&id)?;
            render::print_complaint(&c, json)?;
        }
        ComplaintCommand::Note { id, text, json } => {
            let c = desk.step(&id, &Step::Note(&text), &actor)?;
            print_step(&c, "note added", json)?;
        }
        ComplaintCommand::Assign { id, department, instruction, due, common } => {
            // The time is read before anything is written: a wrong one writes nothing.
            let due = due.map(|d| parse_time(&d, desk.site.timezone)).transpose()?;
            wuye_protocol::complaint::check_contact(&instruction, due, desk.now())?;
            let mut c = desk.step(&id, &Step::Assign(&department), &actor)?;
            if !instruction.trim().is_empty() || due.is_some() {
                c = desk.contact_details(&c.id.to_string(), c.assignments.len(), &instruction, due)?;
            }
            print_step(&c, "work contact slip issued", common.json)?;
        }
        ComplaintCommand::Reply { id, slip, text, common } => {
            let c = desk.contact_reply(&id, slip, &text, &actor)?;
            print_step(&c, "the department's reply recorded", common.json)?;
        }
        ComplaintCommand::Escalate { id, common } => {
            let c = desk.step(&id, &Step::Escalate, &actor)?;
            print_step(&c, "escalated to the property manager", common.json)?;
        }
        ComplaintCommand::Resolve { id, result, common } => {
            let c = desk.step(&id, &Step::Resolve(&result), &actor)?;
            print_step(&c, "result recorded", common.json)?;
        }
        ComplaintCommand::Visit { id, satisfaction, comment, common } => {
            let c = desk.step(&id, &Step::Visit { satisfaction, comment: &comment }, &actor)?;
            print_step(&c, "follow-up visit recorded", common.json)?;
        }
        ComplaintCommand::Decide { id, text, common } => {
            let c = desk.step(&id, &Step::Decide(&text), &actor)?;
            print_step(&c, "decision recorded", common.json)?;
        }
        ComplaintCommand::Archive { id, common } => {
            let c = desk.step(&id, &Step::Archive, &actor)?;
            print_step(&c, "archived", common.json)?;
        }
        ComplaintCommand::Recurring { days, json } => {
            if !(1..=3_650).contains(&days) {
                anyhow::bail!("--days takes 1 to 3650, not {days}");
            }
            let groups = wuye_app::reports::recurring(&desk.store, desk.site.id, desk.now(), days)?;
            if json {
                print_json(&groups)?;
            } else {
                for g in &groups {
                    wuye_node::say!("{} × {} {} ({})", g.count, g.place, g.category, g.scope);
                }
                wuye_node::say!(
                    "{} recurring problem(s) in the last {days} days: ask the departments for a preventive measure",
                    groups.len()
                );
            }
        }
        ComplaintCommand::History { id, json } => {
            let history = desk.history(&id)?;
            if json {
                print_json(&history)?;
            } else {
                for h in &history {
                    let satisfaction = h.satisfaction.map(|s| format!(" [{s}/5]")).unwrap_or_default();
                    wuye_node::say!("{}  {:<10} {}{}  {}", h.at, h.kind, h.by, satisfaction, h.text);
                }
            }
        }
    }
    Ok(())
}
