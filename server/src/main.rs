//! `wuye-server`: head office's command line. Parses arguments and
//! dispatches to one module per command noun (`cli/`).

mod cli;

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use wuye_protocol::time::SystemClock;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Wuye head office: receives every site's records, acts on them, reports across sites.
#[derive(Parser)]
#[command(name = "wuye-server", version)]
struct Cli {
    /// The server's data folder.
    #[arg(long, global = true, env = "WUYE_SERVER_DATA", value_name = "DIR")]
    data: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the data folder: database and TLS identity; prints the fingerprint.
    Init {
        /// Where `run` listens, IP:PORT.
        #[arg(long)]
        listen: Option<String>,
        /// Keep head office's records in this PostgreSQL database
        /// (postgres://USER@HOST:PORT/DB) instead of the folder's SQLite file.
        #[arg(long, value_name = "URL")]
        store: Option<String>,
        /// The authority (PEM) the database's TLS certificate is checked
        /// against; without it, the system's trusted authorities.
        #[arg(long, value_name = "FILE", requires = "store")]
        store_ca: Option<PathBuf>,
    },
    /// Print the certificate's SHA-256 fingerprint again.
    Fingerprint,
    /// Write a consistent copy of head office's data and certificate to FILE, also while `run` runs.
    Backup {
        /// The backup file to write (it must not exist yet).
        file: PathBuf,
    },
    /// Make the folder given by --data (new or empty) from a backup FILE; each
    /// site's next sync compares it with head office and exchanges what differs.
    Restore {
        /// The backup file `wuye-server backup` wrote.
        file: PathBuf,
    },
    /// Rotate head office's certificate without stranding any site.
    #[command(subcommand)]
    Cert(cli::cert::CertCommand),
    /// Sites (项目/小区).
    #[command(subcommand)]
    Site(cli::site::SiteCommand),
    /// Company-wide settings (公司统一设置) published to every site: categories, time limits.
    #[command(subcommand)]
    Settings(cli::settings::SettingsCommand),
    /// Head office's people: who signs in to the dashboard, with which role and sites.
    #[command(subcommand)]
    User(cli::user::UserCommand),
    /// Serve sync, and the dashboard over HTTPS, until SIGINT or SIGTERM.
    Run {
        /// Where to listen, IP:PORT (overrides init's).
        #[arg(long)]
        listen: Option<String>,
        #[command(flatten)]
        dashboard: cli::serve::DashboardArgs,
    },
    /// Complaints from every site.
    #[command(subcommand)]
    Complaint(cli::complaint::ComplaintCommand),
    /// The sites' bills (账单): list them, reduce one (减免).
    #[command(subcommand)]
    Bill(cli::bill::BillCommand),
    /// The sites' renovations (装修): list them, add a note.
    #[command(subcommand)]
    Renovation(cli::renovation::RenovationCommand),
    /// Repair work orders from every site.
    #[command(subcommand)]
    Repair(cli::repair::RepairCommand),
    /// One site's figures computed at head office: the daily report, recurring problems.
    #[command(subcommand)]
    Report(cli::report::ReportCommand),
    /// Head office's store: move it from SQLite onto PostgreSQL.
    #[command(subcommand)]
    Store(StoreCommand),
    /// Every site's records of one kind: staff, work logs, commitments, duty rosters, daily reports, residents, ….
    Records {
        /// complaint, staff, repair, log, commitment, duty (rosters), report (daily reports)
        /// or resident (the household register, identity numbers masked).
        kind: String,
        /// Only this site's.
        #[arg(long)]
        site: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum StoreCommand {
    /// Copy head office's records, sites and settings from a SQLite folder
    /// into an empty PostgreSQL database, check every record arrived, and
    /// point the folder at the database (stop `wuye-server run` first).
    Copy {
        /// The server folder on SQLite.
        #[arg(long, value_name = "DIR")]
        from: PathBuf,
        /// The PostgreSQL database (postgres://USER@HOST:PORT/DB), empty.
        #[arg(long, value_name = "URL")]
        to: String,
        /// The authority (PEM) the database's TLS certificate is checked against.
        #[arg(long, value_name = "FILE")]
        store_ca: Option<PathBuf>,
    },
    /// Make every list entry (projection) and the figures' sums again from
    /// the records' documents, when a message says one is damaged; sites'
    /// rounds wait for it (or are retried), and nothing is lost.
    Rebuild,
}

fn main() -> std::process::ExitCode {
    let cli = match wuye_node::process::parse_args::<Cli>("wuye-server") {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    wuye_node::process::start("wuye_server=info,wuye_node=info,warn");
    let data = cli.data.clone();
    wuye_node::process::finish(run(cli).map_err(|e| {
        match data.as_deref().and_then(|dir| wuye_node::folder::disk_full_message(e.chain(), dir)) {
            Some(words) => anyhow::anyhow!(words),
            None => match cli::words_for(&e) {
                Some(words) => anyhow::anyhow!(words),
                None => e,
            },
        }
    }))
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let Some(data) = cli.data.as_deref() else {
        // `store copy` names its folder itself.
        if let Command::Store(StoreCommand::Copy { from, to, store_ca }) = &cli.command {
            return cli::serve::copy(from, to, store_ca.as_deref());
        }
        anyhow::bail!("no data folder given: pass --data DIR or set WUYE_SERVER_DATA");
    };
    let clock = Arc::new(SystemClock);
    match cli.command {
        Command::Init { listen, store, store_ca } => cli::serve::init(data, listen, store, store_ca.as_deref()),
        Command::Fingerprint => cli::serve::fingerprint(data),
        Command::Backup { file } => cli::serve::backup(data, &file),
        Command::Restore { file } => cli::serve::restore(data, &file),
        Command::Run { listen, dashboard } => cli::serve::run(data, clock, listen, dashboard),
        Command::Site(cmd) => cli::site::run(data, clock, cmd),
        Command::User(cmd) => cli::user::run(data, clock, cmd),
        Command::Settings(cmd) => cli::settings::run(data, clock, cmd),
        Command::Cert(cmd) => cli::cert::run(data, clock, cmd),
        Command::Records { kind, site, json } => cli::records::records(data, clock, kind, site, json),
        Command::Report(cmd) => cli::report::run(data, clock, cmd),
        Command::Repair(cmd) => cli::repair::run(data, clock, cmd),
        Command::Complaint(cmd) => cli::complaint::run(data, clock, cmd),
        Command::Bill(cmd) => cli::bill::run(data, clock, cmd),
        Command::Renovation(cmd) => cli::renovation::run(data, clock, cmd),
        Command::Store(StoreCommand::Copy { from, to, store_ca }) => cli::serve::copy(&from, &to, store_ca.as_deref()),
        Command::Store(StoreCommand::Rebuild) => cli::serve::rebuild(data, clock),
    }
}
