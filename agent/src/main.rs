//! `wuye-agent`: the site office's command line. Parses arguments and
//! dispatches to one module per command noun (`cli/`).

mod cli;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

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
    Init(cli::session::InitArgs),
    /// Sign in for this shift; the password is asked for (or read from standard input).
    Login(cli::session::LoginArgs),
    /// Sign out.
    Logout,
    /// Write a consistent copy of the site's data to FILE, also while `run`
    /// runs (客服主管 or 经理); it holds identity numbers and passwords' hashes: keep it private.
    Backup(cli::session::BackupArgs),
    /// Make the folder given by --data (new or empty) from a backup FILE; the
    /// next sync compares it with head office and exchanges what differs.
    Restore(cli::session::RestoreArgs),
    /// Take a new enrollment code (`wuye-server site rotate`): the next sync
    /// trades it for a new credential.
    Enroll(cli::session::EnrollArgs),
    /// Where head office is: correct a wrong fingerprint, or follow head
    /// office to a new address or certificate (客服主管 or 经理).
    #[command(subcommand)]
    Server(cli::link::ServerCommand),
    /// Complaints (客户投诉).
    #[command(subcommand)]
    Complaint(cli::complaint::ComplaintCommand),
    /// Staff (员工) and their roles.
    #[command(subcommand)]
    Staff(cli::staff::StaffCommand),
    /// The household register (住户家庭情况登记表); ID-card and household-register
    /// numbers are shown whole only to 客服主管 and 经理.
    #[command(subcommand)]
    Resident(cli::resident::ResidentCommand),
    /// Keys in the office's custody (钥匙管理): take in, lend, return, chase, lose.
    #[command(subcommand)]
    Key(cli::key::KeyCommand),
    /// Fees (收费): fee items, meter readings, bills, payments and receipts, refunds, voids, the day's close, arrears.
    #[command(subcommand)]
    Fee(cli::fee::FeeCommand),
    /// Renovations (装修): apply, approve, passes, patrols, inspection, the deposit's refund.
    #[command(subcommand)]
    Renovation(cli::renovation::RenovationCommand),
    /// Item-release slips (物品放行条): issue at the desk, check at the gate, cancel.
    #[command(subcommand)]
    Release(cli::release::ReleaseCommand),
    /// The move-in slip (收楼流转单): open, tick, read meters, defects, fees, keys, stamp, send back.
    Movein(cli::movein::MoveInArgs),
    /// The house register (房屋): import it from a sheet, list it, find records naming no house.
    #[command(subcommand)]
    Unit(cli::unit::UnitCommand),
    /// Repair work orders (维修工作单).
    #[command(subcommand)]
    Repair(cli::repair::RepairCommand),
    /// The work log (工作日志): every call and visit.
    #[command(subcommand)]
    Log(cli::log::LogCommand),
    /// Promised replies (约定回复).
    #[command(subcommand)]
    Commitment(cli::commitment::CommitmentCommand),
    /// What the next shift takes over (交接班): open complaints and work orders,
    /// commitments due, calls and visits not yet handled or turned into records.
    Handover(cli::shift::HandoverArgs),
    /// The duty roster (值班表).
    #[command(subcommand)]
    Duty(cli::duty::DutyCommand),
    /// Reports upward.
    #[command(subcommand)]
    Report(cli::report::ReportCommand),
    /// The site's settings: complaint categories, repair deadlines, summer schedule.
    #[command(subcommand)]
    Settings(cli::settings::SettingsCommand),
    /// The shift-start briefing: yesterday's summary and today's open items.
    Briefing(cli::shift::BriefingArgs),
    /// Every record of one kind as the site holds it, in head office's form
    /// (`records movein`): what `wuye-server records` shows of this site.
    Records {
        /// The kind: complaint, repair, unit, movein, key, release, handover, …
        kind: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Make every list entry (projection) again from the records' documents,
    /// when a message says one is damaged; best with `run` stopped, as the
    /// desk's writes wait for it.
    Rebuild,
    /// One sync round with head office.
    Sync(cli::link::SyncArgs),
    /// Last sync, records waiting to go up, and whether head office answers.
    Status(cli::link::StatusArgs),
    /// Keep syncing until stopped (SIGINT/SIGTERM), and serve the web desk
    /// (http://127.0.0.1:8080 unless told otherwise).
    Run(cli::link::RunArgs),
    /// Serve the web desk alone, without syncing.
    Web(cli::web::WebCommandArgs),
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
            None => match e.chain().next().and_then(wuye_app::messages::for_cli) {
                Some(words) => anyhow::anyhow!(words),
                None => e,
            },
        }
    }))
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let data = cli.data.context("no data folder given: pass --data DIR or set WUYE_AGENT_DATA")?;
    let data = data.as_path();
    match cli.command {
        Command::Init(args) => cli::session::init(data, args),
        Command::Login(args) => cli::session::login(data, args),
        Command::Logout => cli::session::logout(data),
        Command::Backup(args) => cli::session::backup(data, args),
        Command::Restore(args) => cli::session::restore(data, args),
        Command::Enroll(args) => cli::session::enroll(data, args),
        Command::Server(cmd) => cli::link::server(data, cmd),
        Command::Complaint(cmd) => cli::complaint::run(data, cmd),
        Command::Repair(cmd) => cli::repair::run(data, cmd),
        Command::Log(cmd) => cli::log::run(data, cmd),
        Command::Commitment(cmd) => cli::commitment::run(data, cmd),
        Command::Duty(cmd) => cli::duty::run(data, cmd),
        Command::Report(cmd) => cli::report::run(data, cmd),
        Command::Settings(cmd) => cli::settings::run(data, cmd),
        Command::Handover(args) => cli::shift::handover(data, args),
        Command::Briefing(args) => cli::shift::briefing(data, args),
        Command::Resident(cmd) => cli::resident::run(data, cmd),
        Command::Unit(cmd) => cli::unit::run(data, cmd),
        Command::Release(cmd) => cli::release::run(data, cmd),
        Command::Fee(cmd) => cli::fee::run(data, cmd),
        Command::Renovation(cmd) => cli::renovation::run(data, cmd),
        Command::Movein(cmd) => cli::movein::run(data, cmd),
        Command::Records { kind, json } => {
            let desk = cli::open_desk(data)?;
            let rows = wuye_app::office::records_named(&desk.store, &kind, Some(desk.site.id))?;
            Ok(wuye_node::process::print_rows(&rows, json)?)
        }
        Command::Key(cmd) => cli::key::run(data, cmd),
        Command::Staff(cmd) => cli::staff::run(data, cmd),
        Command::Rebuild => cli::session::rebuild(data),
        Command::Sync(args) => cli::link::sync(data, args),
        Command::Status(args) => cli::link::status(data, args),
        Command::Run(args) => cli::link::run(data, args),
        Command::Web(args) => cli::web::run(data, args),
    }
}
