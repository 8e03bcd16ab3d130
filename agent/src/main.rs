//! `wuye-agent`: the site office's command line. Parses arguments and calls the library.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use wuye_agent::config::{self, AgentConfig};
use wuye_agent::desk::{Actor, Desk, DeskRepairStep, NewLogEntry, Step};
use wuye_agent::link;
use wuye_agent::progress::SyncProgress;
use wuye_agent::settings::SiteSettings;
use wuye_node::process::{print_json, shutdown_signal};
use wuye_node::render;
use wuye_protocol::complaint::NewComplaint;
use wuye_protocol::repair::{NewRepair, Repair, RepairStep};
use wuye_protocol::resident::NewResident;
use wuye_protocol::rules::Channel;
use wuye_protocol::staff::Role;
use wuye_protocol::text::echo;
use wuye_protocol::time::{SystemClock, DEFAULT_TIMEZONE};

/// How long a failed sign-in takes to answer, whatever the reason.
const FAILED_SIGN_IN_PAUSE_MS: u64 = 1_000;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Wuye site agent: the site office's records, kept locally and synced with head office.
#[derive(Parser)]
#[command(name = "wuye-agent", version)]
struct Cli {
    /// The agent's data folder.
    #[arg(long, global = true, env = "WUYE_AGENT_DATA", value_name = "DIR")]
    data: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the data folder; works without head office being reachable.
    Init {
        /// Head office's address, HOST:PORT.
        #[arg(long)]
        server: String,
        /// Head office's certificate fingerprint (`wuye-server fingerprint`).
        #[arg(long)]
        fingerprint: String,
        /// This site's id (`wuye-server site add`).
        #[arg(long)]
        site: String,
        /// The one-time enrollment code `wuye-server site add` printed; the
        /// first sync trades it for this site's credential.
        #[arg(long)]
        code: String,
        /// The site's time zone (IANA name).
        #[arg(long, default_value = DEFAULT_TIMEZONE)]
        timezone: String,
        /// The first customer-service supervisor's (客服主管) name.
        #[arg(long, allow_hyphen_values = true)]
        supervisor: String,
        /// Their sign-in name; the password is asked for (or read from standard input).
        #[arg(long)]
        login: String,
    },
    /// Sign in for this shift; the password is asked for (or read from standard input).
    Login {
        /// The sign-in name.
        login: String,
    },
    /// Sign out.
    Logout,
    /// Take a new enrollment code (`wuye-server site rotate`): the next sync
    /// trades it for a new credential.
    Enroll {
        /// The code.
        code: String,
    },
    /// Where head office is: correct a wrong fingerprint, or follow head
    /// office to a new address or certificate (客服主管 or 经理).
    #[command(subcommand)]
    Server(ServerCommand),
    /// Complaints (客户投诉).
    #[command(subcommand)]
    Complaint(ComplaintCommand),
    /// Staff (员工) and their roles.
    #[command(subcommand)]
    Staff(StaffCommand),
    /// The household register (住户家庭情况登记表); ID-card and household-register
    /// numbers are shown whole only to 客服主管 and 经理.
    #[command(subcommand)]
    Resident(ResidentCommand),
    /// Repair work orders (维修工作单).
    #[command(subcommand)]
    Repair(RepairCommand),
    /// The work log (工作日志): every call and visit.
    #[command(subcommand)]
    Log(LogCommand),
    /// Promised replies (约定回复).
    #[command(subcommand)]
    Commitment(CommitmentCommand),
    /// What the next shift takes over (交接班): open complaints and work orders,
    /// commitments due, calls and visits not yet handled or turned into records.
    Handover {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The duty roster (值班表).
    #[command(subcommand)]
    Duty(DutyCommand),
    /// Reports upward.
    #[command(subcommand)]
    Report(ReportCommand),
    /// The site's settings: complaint categories, repair deadlines, summer schedule.
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// The shift-start briefing: yesterday's summary and today's open items.
    Briefing {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// One sync round with head office.
    Sync {
        /// Print the round's figures as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Last sync, records waiting to go up, and whether head office answers.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Keep syncing until stopped (SIGINT/SIGTERM).
    Run {
        /// Seconds between rounds while connected.
        #[arg(long, default_value_t = link::DEFAULT_INTERVAL_MS / 1000)]
        interval_secs: u64,
    },
}

#[derive(Subcommand)]
enum ServerCommand {
    /// Set head office's address and certificate fingerprint.
    Set {
        /// Head office's address, HOST:PORT.
        #[arg(long)]
        server: String,
        /// Head office's certificate fingerprint (`wuye-server fingerprint`).
        #[arg(long)]
        fingerprint: String,
    },
}

#[derive(Subcommand)]
enum DutyCommand {
    /// Put a staff member on duty for a shift.
    Assign {
        /// The staff member's id (`staff list`).
        #[arg(long)]
        staff: String,
        /// The local date, YYYY-MM-DD.
        #[arg(long)]
        date: String,
        /// am (08:00-12:00) or pm (the afternoon period).
        #[arg(long)]
        shift: String,
    },
    /// Who is on duty on a date; warns about any period with nobody.
    Check {
        /// The local date, YYYY-MM-DD (today if not given).
        #[arg(long)]
        date: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ReportCommand {
    /// The day's report upward (每日重大投诉、报修信息上报); it syncs to head office.
    Daily {
        /// The local date, YYYY-MM-DD (today if not given).
        #[arg(long)]
        date: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum SettingsCommand {
    /// Show every setting.
    Show {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Set one: categories A,B,C | emergency-minutes N | normal-duty-hours N | summer MM-DD..MM-DD.
    Set {
        /// The setting.
        key: String,
        /// Its value.
        value: String,
    },
}

#[derive(Subcommand)]
enum LogCommand {
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

#[derive(Subcommand)]
enum CommitmentCommand {
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

#[derive(Subcommand)]
enum RepairCommand {
    /// Report a repair (报修): a home (--unit) or a public area (--area).
    Add {
        /// The unit (楼栋/房号), for a resident's home.
        #[arg(long, conflicts_with = "area", allow_hyphen_values = true)]
        unit: Option<String>,
        /// The public area and location (公共区域).
        #[arg(long, allow_hyphen_values = true)]
        area: Option<String>,
        /// water, electric, doors_windows, pipes, elevator, public_facilities or other (or 水, 电, 门窗, 管道, 电梯, 公共设施, 其他).
        #[arg(long, allow_hyphen_values = true)]
        category: String,
        /// What is wrong.
        #[arg(long, allow_hyphen_values = true)]
        description: String,
        /// emergency (紧急: on site within 30 minutes) or normal (24 duty hours).
        #[arg(long)]
        urgency: String,
        /// phone, visit, letter, fax, wechat or app.
        #[arg(long)]
        channel: String,
        /// An agreed appointment: RFC 3339, or YYYY-MM-DD HH:MM in the site's time zone.
        #[arg(long)]
        appointment: Option<String>,
        /// A paid service (有偿服务).
        #[arg(long)]
        paid: bool,
        /// The work-log entry it came from.
        #[arg(long)]
        from_log: Option<String>,
        /// Print the whole work order as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Dispatch (or reassign) to a maintenance staff member.
    Dispatch {
        /// The work order's id (or its first characters).
        id: String,
        /// The maintenance staff member's id (`staff list`).
        #[arg(long)]
        to: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Someone arrived on site.
    Arrive {
        /// The work order's id (or its first characters).
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The work is done.
    Complete {
        /// The work order's id (or its first characters).
        id: String,
        /// The work done.
        #[arg(long, allow_hyphen_values = true)]
        work: String,
        /// Materials used.
        #[arg(long, default_value = "", allow_hyphen_values = true)]
        materials: String,
        /// The charge in yuan (a paid service only), e.g. 80 or 80.50.
        #[arg(long)]
        charge: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// A follow-up visit (回访); satisfaction 1-2 reopens the order.
    Visit {
        /// The work order's id (or its first characters).
        id: String,
        /// 1 to 5.
        #[arg(long)]
        satisfaction: u8,
        /// The resident's words.
        #[arg(long, default_value = "", allow_hyphen_values = true)]
        comment: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Close after a satisfied follow-up visit.
    Close {
        /// The work order's id (or its first characters).
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List this site's work orders.
    List {
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
    /// Work orders nobody reached by their response deadline.
    Overdue {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ResidentCommand {
    /// Register a resident.
    Add {
        /// Building and unit (楼栋/房号).
        #[arg(long, allow_hyphen_values = true)]
        unit: String,
        /// The resident's name.
        #[arg(long, allow_hyphen_values = true)]
        name: String,
        /// A phone number.
        #[arg(long, default_value = "")]
        phone: String,
        /// The 18-character resident ID-card number (居民身份证号).
        #[arg(long, default_value = "")]
        id_card: String,
        /// The household-register (户口簿) number.
        #[arg(long, default_value = "")]
        register: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List residents, of one unit or all.
    List {
        /// Only this unit.
        #[arg(long, allow_hyphen_values = true)]
        unit: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum StaffCommand {
    /// Add a staff member.
    Add {
        /// Their name.
        #[arg(long, allow_hyphen_values = true)]
        name: String,
        /// front_desk (客服员), supervisor (客服主管), manager (经理), maintenance (维修), finance (财务) or gate (门岗).
        #[arg(long)]
        role: String,
        /// A sign-in name, for staff who use the system; their first password is asked for.
        #[arg(long)]
        login: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the site's staff.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Set a staff member's password (their own, or anyone's for 客服主管 and 经理).
    Password {
        /// The sign-in name.
        login: String,
    },
    /// Disable a staff member who has left (客服主管 or 经理): their sign-in is
    /// refused at once and their session ends; their history stays.
    Disable {
        /// The staff member's id (`staff list`).
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ComplaintCommand {
    /// Register a complaint (投诉登记).
    Add(AddArgs),
    /// List this site's complaints.
    List {
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
struct StepArgs {
    /// Print the complaint as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct AddArgs {
    /// The customer's name.
    #[arg(long, allow_hyphen_values = true)]
    customer: String,
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

fn print_handover(h: &wuye_agent::shift::Handover) {
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

fn log(data: &std::path::Path, cmd: LogCommand) -> anyhow::Result<()> {
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
            let entries: Vec<_> = desk
                .store
                .log_entries(None)?
                .into_iter()
                .filter(|l| date.is_none_or(|d| l.at.starts_with(&d.format("%Y-%m-%d").to_string())))
                .collect();
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

fn commitment(data: &std::path::Path, cmd: CommitmentCommand) -> anyhow::Result<()> {
    let (mut desk, actor) = open_signed_in(data)?;
    match cmd {
        CommitmentCommand::Add { text, due, caller, from_log, json } => {
            let due = parse_time(&due, desk.config.timezone)?;
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
            let horizon = now + chrono::Duration::hours(wuye_agent::shift::DUE_WITHIN_HOURS);
            let due: Vec<_> = desk.store.commitments(None)?.into_iter().filter(|c| c.is_due_by(horizon)).collect();
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

fn print_repair(r: &Repair, done: &str, json: bool) -> anyhow::Result<()> {
    if json {
        print_json(r)?;
    } else {
        wuye_node::say!("{done} on work order {}; status {}", r.id, r.status.label());
    }
    Ok(())
}

/// Parses a local date, YYYY-MM-DD.
/// Years a date typed at the desk may have.
const DATE_YEARS: std::ops::RangeInclusive<i32> = 1900..=2999;

fn parse_date(text: &str) -> anyhow::Result<chrono::NaiveDate> {
    use chrono::Datelike;
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| DATE_YEARS.contains(&d.year()))
        .ok_or_else(|| anyhow::anyhow!("'{}' is not a valid date: write it like 2026-11-27", echo(text)))
}

/// Parses an appointment: RFC 3339, or YYYY-MM-DD HH:MM in the site's time zone.
/// A time typed at the desk: `2026-11-28 14:30` in site time, or RFC 3339.
/// A local time that a clock change makes happen twice is taken the first
/// time, with a warning that names both.
fn parse_time(text: &str, tz: chrono_tz::Tz) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    use chrono::{Datelike, TimeZone};
    let invalid = || {
        anyhow::anyhow!("'{}' is not a valid time: write 2026-11-28 14:30 (site time) or an RFC 3339 time", echo(text))
    };
    let check_year = |t: chrono::DateTime<chrono::Utc>| {
        if DATE_YEARS.contains(&t.year()) {
            Ok(t)
        } else {
            Err(invalid())
        }
    };
    if let Some(t) = wuye_protocol::time::from_stored(text.trim()) {
        return check_year(t);
    }
    let local = chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M").map_err(|_| invalid())?;
    if !DATE_YEARS.contains(&local.year()) {
        return Err(invalid());
    }
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => Ok(t.with_timezone(&chrono::Utc)),
        chrono::LocalResult::Ambiguous(first, second) => {
            eprintln!(
                "warning: {} happens twice in {} (the clock goes back): taken as the first, {}; for the second give {}",
                echo(text),
                tz.name(),
                first.format("%Y-%m-%d %H:%M%:z"),
                second.to_rfc3339()
            );
            Ok(first.with_timezone(&chrono::Utc))
        }
        chrono::LocalResult::None => Err(anyhow::anyhow!(
            "'{}' does not exist in {} (the clock jumps forward then): give a time outside the change",
            echo(text),
            tz.name()
        )),
    }
}

fn repair(data: &std::path::Path, cmd: RepairCommand) -> anyhow::Result<()> {
    let (mut desk, actor) = open_signed_in(data)?;
    let other = |step| DeskRepairStep::Other(step);
    match cmd {
        RepairCommand::Add {
            unit,
            area,
            category,
            description,
            urgency,
            channel,
            appointment,
            paid,
            from_log,
            json,
        } => {
            let input = NewRepair {
                unit,
                area,
                category: category.parse()?,
                description,
                channel: channel.parse()?,
                urgency: urgency.parse()?,
                appointment: appointment.map(|a| parse_time(&a, desk.config.timezone)).transpose()?,
                paid,
            };
            let r = desk.made_from_log(from_log.as_deref(), |desk| desk.add_repair(&input, &actor), |r| r.id)?;
            if json {
                print_json(&r)?;
            } else {
                wuye_node::say!("{}", r.id);
            }
        }
        RepairCommand::Dispatch { id, to, json } => {
            let r = desk.repair_step(&id, &DeskRepairStep::Dispatch { staff_id: &to }, &actor)?;
            print_repair(&r, "dispatched", json)?;
        }
        RepairCommand::Arrive { id, json } => {
            let r = desk.repair_step(&id, &other(RepairStep::Arrive), &actor)?;
            print_repair(&r, "arrival recorded", json)?;
        }
        RepairCommand::Complete { id, work, materials, charge, json } => {
            let charge_fen = charge.map(|c| wuye_protocol::money::Fen::parse_yuan(&c)).transpose()?;
            let step = RepairStep::Complete { work: &work, materials: &materials, charge_fen };
            let r = desk.repair_step(&id, &other(step), &actor)?;
            print_repair(&r, "completion recorded", json)?;
        }
        RepairCommand::Visit { id, satisfaction, comment, json } => {
            let r = desk.repair_step(&id, &other(RepairStep::Visit { satisfaction, comment: &comment }), &actor)?;
            print_repair(&r, "follow-up visit recorded", json)?;
        }
        RepairCommand::Close { id, json } => {
            let r = desk.repair_step(&id, &other(RepairStep::Close), &actor)?;
            print_repair(&r, "closed", json)?;
        }
        RepairCommand::List { json } => render::print_repairs(&desk.store.repairs(None)?, json)?,
        RepairCommand::Show { id, json } => render::print_repair(&desk.repair(&id)?, json)?,
        RepairCommand::Overdue { json } => render::print_repairs(&desk.overdue_repairs()?, json)?,
    }
    Ok(())
}

fn print_step(c: &wuye_protocol::complaint::Complaint, done: &str, json: bool) -> anyhow::Result<()> {
    if json {
        print_json(c)?;
    } else {
        wuye_node::say!("{done} on {}; status {}", c.id, c.status.label());
    }
    Ok(())
}

fn open_desk(data: &std::path::Path) -> anyhow::Result<Desk> {
    let (store, config) = config::open(data)?;
    Ok(Desk::with_os_rng(store, config, Arc::new(SystemClock)))
}

/// Opens the desk for the person signed in; refuses when nobody is.
fn open_signed_in(data: &std::path::Path) -> anyhow::Result<(Desk, Actor)> {
    let desk = open_desk(data)?;
    let actor = desk.signed_in()?;
    Ok((desk, actor))
}

/// A password typed at the terminal (twice when `confirm`), or one line of standard input.
fn read_password(prompt: &str, confirm: bool) -> anyhow::Result<String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(prompt)?;
        if confirm && rpassword::prompt_password("again: ")? != first {
            anyhow::bail!("the two passwords differ; nothing was changed, try again");
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let password = line.trim_end_matches(['\n', '\r']).to_string();
    if password.is_empty() {
        anyhow::bail!("no password given: type it when asked, or pipe it on standard input");
    }
    Ok(password)
}

fn main() -> std::process::ExitCode {
    let cli = match wuye_node::process::parse_args::<Cli>("wuye-agent") {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    wuye_node::process::start("wuye_agent=info,wuye_node=info,warn");
    let data = cli.data.clone();
    wuye_node::process::finish(run(cli).map_err(|e| {
        match data.as_deref().and_then(|dir| wuye_node::folder::disk_full_message(e.chain(), dir)) {
            Some(words) => anyhow::anyhow!(words),
            None => e,
        }
    }))
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let data = cli.data.context("no data folder given: pass --data DIR or set WUYE_AGENT_DATA")?;
    match cli.command {
        Command::Init { server, fingerprint, site, code, timezone, supervisor, login } => {
            let config = AgentConfig::new(&server, &fingerprint, &site, &code, &timezone)?;
            let login = wuye_agent::signin::check_login(&login)?;
            let password = read_password(&format!("password for {login}: "), true)?;
            wuye_agent::signin::check_password(&password)?;
            wuye_protocol::staff::check_name(&supervisor)?;
            let store = config.init(&data)?;
            let mut desk = Desk::with_os_rng(store, config, Arc::new(SystemClock));
            let member = desk.first_supervisor(&supervisor, &login, &password)?;
            wuye_node::say!(
                "agent folder {} ready for site {}; {} ({}) is signed in",
                data.display(),
                desk.config.site_id,
                member.name,
                member.role.label()
            );
        }
        Command::Login { login } => {
            let desk = open_desk(&data)?;
            let password = read_password(&format!("password for {}: ", login.trim()), false)?;
            match desk.sign_in(&login, &password) {
                Ok(member) => wuye_node::say!("{} ({}) signed in", member.name, member.role.label()),
                Err(e) => {
                    // Every failure costs the same pause, known name or not.
                    std::thread::sleep(Duration::from_millis(FAILED_SIGN_IN_PAUSE_MS));
                    return Err(e.into());
                }
            }
        }
        Command::Logout => {
            let desk = open_desk(&data)?;
            desk.sign_out()?;
            wuye_node::say!("signed out");
        }
        Command::Enroll { code } => {
            let (desk, actor) = open_signed_in(&data)?;
            wuye_protocol::staff::may(actor.role, wuye_protocol::staff::Guarded::Configure)?;
            let mut config = desk.config.clone();
            config.enroll(&code)?;
            config.save(&desk.store)?;
            wuye_node::say!(
                "enrollment code taken for site {}: the next sync trades it for a new credential",
                config.site_id
            );
        }
        Command::Server(ServerCommand::Set { server, fingerprint }) => {
            let (desk, actor) = open_signed_in(&data)?;
            wuye_protocol::staff::may(actor.role, wuye_protocol::staff::Guarded::Configure)?;
            let mut config = desk.config.clone();
            config.set_server(&server, &fingerprint)?;
            config.save(&desk.store)?;
            desk.store.delete_setting(link::REFUSED_SETTING)?;
            wuye_node::say!(
                "head office is now {} with fingerprint {}; the next sync uses them (a running agent takes them at its next connection)",
                config.server,
                config.fingerprint
            );
        }
        Command::Complaint(cmd) => complaint(&data, cmd)?,
        Command::Repair(cmd) => repair(&data, cmd)?,
        Command::Log(cmd) => log(&data, cmd)?,
        Command::Commitment(cmd) => commitment(&data, cmd)?,
        Command::Duty(cmd) => {
            let (mut desk, actor) = open_signed_in(&data)?;
            match cmd {
                DutyCommand::Assign { staff, date, shift } => {
                    let d = desk.assign_duty(&staff, parse_date(&date)?, shift.parse()?, &actor)?;
                    wuye_node::say!("{} is on duty {} {}", d.staff_name, d.date, d.shift.as_str());
                }
                DutyCommand::Check { date, json } => {
                    let date = match date {
                        Some(d) => parse_date(&d)?,
                        None => desk.now().with_timezone(&desk.config.timezone).date_naive(),
                    };
                    let check = desk.duty_check(date)?;
                    let gaps: Vec<&str> =
                        check.iter().filter(|(_, names)| names.is_empty()).map(|(s, _)| s.as_str()).collect();
                    if json {
                        print_json(&serde_json::json!({
                            "date": date,
                            "shifts": check.iter().map(|(s, n)| serde_json::json!({"shift": s, "on_duty": n})).collect::<Vec<_>>(),
                            "gaps": gaps,
                        }))?;
                    } else {
                        for (shift, names) in &check {
                            wuye_node::say!(
                                "{date} {}  {}",
                                shift.as_str(),
                                if names.is_empty() { "—".to_string() } else { names.join("、") }
                            );
                        }
                    }
                    if !gaps.is_empty() {
                        eprintln!(
                            "warning: nobody is on duty {date} {}: at least one person must be (值班制度)",
                            gaps.join(" and ")
                        );
                    }
                }
            }
        }
        Command::Report(ReportCommand::Daily { date, json }) => {
            let (mut desk, actor) = open_signed_in(&data)?;
            let date = match date {
                Some(d) => parse_date(&d)?,
                None => desk.now().with_timezone(&desk.config.timezone).date_naive(),
            };
            let report = desk.daily_report(date, &actor)?;
            let figures: serde_json::Value = serde_json::from_str(&report.content)?;
            if json {
                print_json(
                    &serde_json::json!({"id": report.id, "site_id": report.site_id, "date": report.date, "made_at": report.made_at, "figures": figures}),
                )?;
            } else {
                wuye_node::say!(
                    "每日上报 daily report {} (saved; it reaches head office at the next sync)",
                    report.date
                );
                wuye_node::say!("{}", serde_json::to_string_pretty(&figures)?);
            }
        }
        Command::Settings(cmd) => {
            let (desk, actor) = open_signed_in(&data)?;
            let store = &desk.store;
            let settings = match cmd {
                SettingsCommand::Show { json: true } => {
                    print_json(&SiteSettings::load(store)?)?;
                    return Ok(());
                }
                SettingsCommand::Show { json: false } => SiteSettings::load(store)?,
                SettingsCommand::Set { key, value } => {
                    wuye_protocol::staff::may(actor.role, wuye_protocol::staff::Guarded::Configure)?;
                    SiteSettings::set(store, &key, &value)?
                }
            };
            wuye_node::say!("categories         {}", settings.categories.join("、"));
            wuye_node::say!("emergency-minutes  {}", settings.emergency_minutes);
            wuye_node::say!("normal-duty-hours  {}", settings.normal_duty_hours);
            wuye_node::say!("summer             {}..{}", settings.summer_from, settings.summer_to);
        }
        Command::Handover { json } => {
            let (desk, _) = open_signed_in(&data)?;
            let h = wuye_agent::shift::handover(&desk.store, desk.now())?;
            if json {
                print_json(&h)?;
            } else {
                print_handover(&h);
            }
        }
        Command::Briefing { json } => {
            let (desk, _) = open_signed_in(&data)?;
            let b = wuye_agent::shift::briefing(&desk.store, desk.now(), desk.config.timezone)?;
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
        }
        Command::Resident(cmd) => {
            let (mut desk, actor) = open_signed_in(&data)?;
            match cmd {
                ResidentCommand::Add { unit, name, phone, id_card, register, json } => {
                    let input = NewResident { unit, name, phone, id_card, household_register: register };
                    let r = desk.add_resident(&input, &actor)?;
                    let shown = wuye_agent::desk::shown_to(r, &actor);
                    if json {
                        print_json(&shown)?;
                    } else {
                        wuye_node::say!("{}", shown.id);
                    }
                }
                ResidentCommand::List { unit, json } => {
                    let mut list = desk.residents_for(&actor)?;
                    if let Some(unit) = unit {
                        list.retain(|r| r.unit == unit.trim());
                    }
                    if json {
                        print_json(&list)?;
                    } else {
                        for r in &list {
                            wuye_node::say!(
                                "{}  {}  {}  {}  身份证 {}  户口簿 {}",
                                &r.id.to_string()[..8],
                                r.unit,
                                r.name,
                                r.phone,
                                r.id_card,
                                r.household_register
                            );
                        }
                        wuye_node::say!("{} resident(s)", list.len());
                    }
                }
            }
        }
        Command::Staff(cmd) => {
            let (mut desk, actor) = open_signed_in(&data)?;
            match cmd {
                StaffCommand::Add { name, role, login, json } => {
                    let role: Role = role.parse()?;
                    let password = match &login {
                        Some(login) => Some(read_password(&format!("password for {}: ", login.trim()), true)?),
                        None => None,
                    };
                    let sign_in = login.as_deref().zip(password.as_deref());
                    let member = desk.add_staff_member(&name, role, sign_in, &actor)?;
                    if json {
                        print_json(&member)?;
                    } else {
                        wuye_node::say!("{}", member.id);
                    }
                }
                StaffCommand::List { json } => {
                    let staff = desk.store.staff(None)?;
                    if json {
                        print_json(&staff)?;
                    } else {
                        for m in &staff {
                            let left = m.disabled.as_ref().map(|d| format!("  [已停用 disabled {}]", d.at));
                            wuye_node::say!(
                                "{}  {}  {}{}",
                                &m.id.to_string()[..8],
                                m.name,
                                m.role.label(),
                                left.unwrap_or_default()
                            );
                        }
                        wuye_node::say!("{} staff member(s)", staff.len());
                    }
                }
                StaffCommand::Password { login } => {
                    let password = read_password(&format!("new password for {}: ", login.trim()), true)?;
                    desk.change_password(&login, &password, &actor)?;
                    wuye_node::say!("password changed for {}", login.trim());
                }
                StaffCommand::Disable { id, json } => {
                    let member = desk.disable_staff(&id, &actor)?;
                    if json {
                        print_json(&member)?;
                    } else {
                        wuye_node::say!("{} is disabled: their sign-in is refused from now on", member.name);
                    }
                }
            }
        }
        Command::Sync { json } => {
            let (mut store, config) = config::open(&data)?;
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
            let expected = store.unconfirmed_count(wuye_protocol::sync::SERVER_PEER, config.site_id)?;
            let mut progress = SyncProgress::new(expected);
            let result = rt.block_on(link::sync_once(&mut store, &config, &SystemClock, &mut |o| progress.update(o)));
            progress.finish();
            let outcome = result?;
            let r = &outcome.report;
            if json {
                print_json(&serde_json::json!({
                    "site_name": r.site_name,
                    "pushed": r.pushed,
                    "pulled": r.pulled,
                    "bytes_sent": outcome.bytes_sent,
                    "bytes_received": outcome.bytes_received,
                    "seconds": outcome.elapsed.as_secs_f64(),
                    "peak_rss_mb": wuye_node::process::peak_rss_mb(),
                    "refused": r.refused_by_server.iter().chain(&r.refused_here)
                        .map(|f| serde_json::json!({"id": f.id, "reason": f.reason})).collect::<Vec<_>>(),
                }))?;
            } else {
                wuye_node::say!(
                    "synced with head office as {}: {} record(s) sent, {} received",
                    r.site_name,
                    r.pushed,
                    r.pulled
                );
            }
            let refused: Vec<_> = r.refused_by_server.iter().chain(&r.refused_here).collect();
            if !refused.is_empty() {
                for f in &refused {
                    eprintln!("refused: {}: {}", f.id, f.reason);
                }
                anyhow::bail!("{} record(s) were refused; see the lines above", refused.len());
            }
        }
        Command::Status { json } => {
            let (store, config) = config::open(&data)?;
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
            let status = rt.block_on(wuye_agent::status::status(&store, &config))?;
            if json {
                print_json(&status)?;
            } else {
                wuye_node::say!("site {}  head office {}", status.site_id, status.server);
                wuye_node::say!("last sync      {}", status.last_sync_at.as_deref().unwrap_or("never"));
                wuye_node::say!("records        {} ({} waiting to go up)", status.records, status.waiting_up);
                match (&status.server_error, &status.refused_by_server) {
                    (_, Some(why)) => wuye_node::say!("head office    refuses this site: {why}"),
                    (None, None) => wuye_node::say!("head office    reachable"),
                    (Some(e), None) => wuye_node::say!("head office    not reachable: {e}"),
                }
                match status.clock_offset_seconds {
                    Some(o) if status.clock_wrong => wuye_node::say!(
                        "clock          this PC is {} s {} head office: set the right time (deadlines and records rest on it)",
                        o.abs(),
                        if o > 0 { "ahead of" } else { "behind" }
                    ),
                    Some(_) => wuye_node::say!("clock          agrees with head office"),
                    None => {}
                }
                if let Some(next) = &status.next_fingerprint {
                    wuye_node::say!("certificate    head office's next one ({next}) is accepted too");
                }
            }
        }
        Command::Run { interval_secs } => {
            let (mut store, config) = config::open(&data)?;
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
            tracing::info!(site = %config.site_id, server = %config.server, "agent running");
            rt.block_on(link::run(
                &mut store,
                &config,
                &SystemClock,
                Duration::from_secs(interval_secs.max(1)),
                shutdown_signal(),
            ));
            tracing::info!("agent stopped");
        }
    }
    Ok(())
}

fn complaint(data: &std::path::Path, cmd: ComplaintCommand) -> anyhow::Result<()> {
    let (mut desk, actor) = open_signed_in(data)?;
    match cmd {
        ComplaintCommand::Add(a) => {
            let input = NewComplaint {
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
        ComplaintCommand::List { json } => {
            let all = desk.store.complaints(None)?;
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
        ComplaintCommand::Assign { id, department, common } => {
            let c = desk.step(&id, &Step::Assign(&department), &actor)?;
            print_step(&c, "work contact slip issued", common.json)?;
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
            let groups = wuye_agent::reports::recurring(&desk.store, desk.now(), days)?;
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
