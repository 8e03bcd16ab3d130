//! `wuye-server`: head office's command line. Parses arguments and calls the library.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use wuye_node::process::{print_json, shutdown_signal};
use wuye_node::render;
use wuye_protocol::time::SystemClock;
use wuye_server::office::{self, HeadOffice};
use wuye_server::serve;

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
    },
    /// Print the certificate's SHA-256 fingerprint again.
    Fingerprint,
    /// Rotate head office's certificate without stranding any site.
    #[command(subcommand)]
    Cert(CertCommand),
    /// Sites (项目/小区).
    #[command(subcommand)]
    Site(SiteCommand),
    /// Serve sync until SIGINT or SIGTERM.
    Run {
        /// Where to listen, IP:PORT (overrides init's).
        #[arg(long)]
        listen: Option<String>,
    },
    /// Complaints from every site.
    #[command(subcommand)]
    Complaint(ComplaintCommand),
    /// Repair work orders from every site.
    #[command(subcommand)]
    Repair(RepairCommand),
    /// Every site's staff, work logs, commitments, duty rosters, daily reports or residents.
    Records {
        /// staff, log, commitment, duty (rosters), report (daily reports) or resident
        /// (the household register, identity numbers masked).
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
enum CertCommand {
    /// Make the next certificate; its fingerprint reaches every site at its
    /// next sync (`site list` shows which sites hold it).
    Rotate,
    /// Serve with the next certificate from the next start of `run`; refused
    /// while an enrolled site does not hold its fingerprint, unless --force.
    Switch {
        /// Switch even though some sites do not hold the new fingerprint yet.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
enum SiteCommand {
    /// Register a site; prints its id and a one-time enrollment code (valid 72 hours).
    Add {
        /// The site's name.
        #[arg(long, allow_hyphen_values = true)]
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a site: its open connections close and every later sync is refused.
    Revoke {
        /// The site's id.
        id: String,
    },
    /// Issue a site a new enrollment code; its old credential stops working at once.
    Rotate {
        /// The site's id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List registered sites.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum RepairCommand {
    /// List work orders, of one site or all.
    List {
        /// Only this site's.
        #[arg(long)]
        site: Option<String>,
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
    /// A head-office note on a work order; it reaches the site at its next sync.
    Note {
        /// The work order's id (or its first characters).
        id: String,
        /// The note.
        #[arg(long, allow_hyphen_values = true)]
        text: String,
        /// Who writes it.
        #[arg(long, default_value = "总部", allow_hyphen_values = true)]
        by: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ComplaintCommand {
    /// List complaints, of one site or all.
    List {
        /// Only this site's.
        #[arg(long)]
        site: Option<String>,
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
    /// A head-office note on a complaint; it reaches the site at its next sync.
    Note {
        /// The complaint's id (or its first characters).
        id: String,
        /// The note.
        #[arg(long, allow_hyphen_values = true)]
        text: String,
        /// Who writes it.
        #[arg(long, default_value = "总部", allow_hyphen_values = true)]
        by: String,
        /// Print the complaint as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The property manager's decision on a major complaint (重大投诉).
    Decide {
        /// The complaint's id (or its first characters).
        id: String,
        /// The decision.
        #[arg(long, allow_hyphen_values = true)]
        text: String,
        /// Who decides.
        #[arg(long, default_value = "物业公司经理", allow_hyphen_values = true)]
        by: String,
        /// Print the complaint as JSON.
        #[arg(long)]
        json: bool,
    },
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
            None => e,
        }
    }))
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let data = cli.data.context("no data folder given: pass --data DIR or set WUYE_SERVER_DATA")?;
    let clock = Arc::new(SystemClock);
    match cli.command {
        Command::Init { listen } => {
            let fingerprint = office::init(&data, listen.as_deref())?;
            wuye_node::say!("{fingerprint}");
        }
        Command::Fingerprint => {
            let identity = office::identity(&data)?;
            wuye_node::say!("{}", wuye_node::tls::fingerprint(&identity.cert_der));
        }
        Command::Site(SiteCommand::Add { name, json }) => {
            let mut hq = HeadOffice::open(&data, clock)?;
            let site = hq.add_site(&name)?;
            print_new_site(&site, json)?;
        }
        Command::Site(SiteCommand::Revoke { id }) => {
            let mut hq = HeadOffice::open(&data, clock)?;
            let site = hq.revoke_site(&id)?;
            wuye_node::say!(
                "site {site} revoked: a running server closes its connections within {} s and refuses every later sync; \
                 `site rotate` issues a new enrollment code",
                wuye_server::serve::CREDENTIAL_CHECK_MS.div_ceil(1000)
            );
        }
        Command::Site(SiteCommand::Rotate { id, json }) => {
            let mut hq = HeadOffice::open(&data, clock)?;
            let site = hq.rotate_site(&id)?;
            print_new_site(&site, json)?;
        }
        Command::Site(SiteCommand::List { json }) => {
            let hq = HeadOffice::open(&data, clock)?;
            let sites = hq.sites()?;
            if json {
                print_json(&sites)?;
            } else {
                for s in &sites {
                    let clock = match s.clock_offset_seconds {
                        Some(o) if s.clock_wrong => format!("  [clock {o:+} s off: fix the site PC's time]"),
                        _ => String::new(),
                    };
                    let next = match s.holds_next_fingerprint {
                        Some(true) => "  holds the next certificate",
                        Some(false) => "  does not hold the next certificate yet",
                        None => "",
                    };
                    wuye_node::say!(
                        "{}  {}  last sync {}  {}{clock}{next}",
                        s.site_id,
                        s.name,
                        s.last_sync_at.as_deref().unwrap_or("never"),
                        s.credential
                    );
                }
                wuye_node::say!("{} site(s)", sites.len());
            }
        }
        Command::Cert(CertCommand::Rotate) => {
            let mut hq = HeadOffice::open(&data, clock)?;
            let fingerprint = hq.rotate_cert(&data)?;
            wuye_node::say!("next certificate made; fingerprint {fingerprint}");
            wuye_node::say!(
                "every site receives it at its next sync; when `site list` shows that all hold it, run `wuye-server cert switch`"
            );
        }
        Command::Cert(CertCommand::Switch { force }) => {
            let mut hq = HeadOffice::open(&data, clock)?;
            let fingerprint = hq.switch_cert(&data, force)?;
            wuye_node::say!(
                "switched to the certificate with fingerprint {fingerprint}; restart `wuye-server run` to serve with it \
                 (the old one is kept as {})",
                wuye_server::PREVIOUS_CERT_FILE
            );
        }
        Command::Run { listen } => {
            let hq = HeadOffice::open(&data, clock.clone())?;
            let listen = office::check_listen(&listen.map(Ok).unwrap_or_else(|| hq.listen())?)?;
            let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            rt.block_on(async {
                let endpoint = serve::bind(&data, listen)?;
                let local = endpoint.local_addr()?;
                wuye_node::say!("wuye-server listening on {local}");
                tracing::info!(%local, "serving sync");
                serve::run(endpoint, hq, clock, shutdown_signal()).await;
                anyhow::Ok(())
            })?;
            tracing::info!("stopped");
        }
        Command::Records { kind, site, json } => {
            let hq = HeadOffice::open(&data, clock)?;
            let site = site.map(|s| hq.site(&s)).transpose()?;
            fn rows<T: serde::Serialize>(records: Vec<T>) -> anyhow::Result<Vec<serde_json::Value>> {
                Ok(records.iter().map(serde_json::to_value).collect::<Result<_, _>>()?)
            }
            let rows = match kind.as_str() {
                "staff" => rows(hq.store.staff(site)?)?,
                "log" => rows(hq.store.log_entries(site)?)?,
                "commitment" => rows(hq.store.commitments(site)?)?,
                "duty" => rows(hq.store.duty_shifts(site)?)?,
                "report" => rows(hq.store.daily_reports(site)?)?,
                // Head office never shows identity numbers whole.
                "resident" => rows(hq.store.residents(site)?.into_iter().map(|r| r.masked()).collect())?,
                other => {
                    anyhow::bail!(
                        "unknown record kind '{}': use staff, log, commitment, duty, report or resident",
                        wuye_protocol::text::echo(other)
                    )
                }
            };
            if json {
                print_json(&rows)?;
            } else {
                for row in &rows {
                    wuye_node::say!("{row}");
                }
                wuye_node::say!("{} record(s)", rows.len());
            }
        }
        Command::Repair(cmd) => {
            let mut hq = HeadOffice::open(&data, clock)?;
            match cmd {
                RepairCommand::Note { id, text, by, json } => {
                    let r = hq.repair_note(&id, &text, &by)?;
                    if json {
                        print_json(&r)?;
                    } else {
                        wuye_node::say!("note added to work order {}; it reaches the site at its next sync", r.id);
                    }
                }
                RepairCommand::List { site, json } => {
                    let site = site.map(|s| hq.site(&s)).transpose()?;
                    render::print_repairs(&hq.store.repairs(site)?, json)?;
                }
                RepairCommand::Show { id, json } => {
                    let id = hq.store.resolve(wuye_protocol::doc::RecordKind::Repair, &id)?;
                    render::print_repair(&hq.store.repair(id)?, json)?;
                }
            }
        }
        Command::Complaint(cmd) => {
            let mut hq = HeadOffice::open(&data, clock)?;
            match cmd {
                ComplaintCommand::List { site, json } => {
                    let site = site.map(|s| hq.site(&s)).transpose()?;
                    let all = hq.store.complaints(site)?;
                    render::print_complaints(&all, json)?;
                }
                ComplaintCommand::Show { id, json } => {
                    let c = hq.complaint(&id)?;
                    render::print_complaint(&c, json)?;
                }
                ComplaintCommand::Note { id, text, by, json } => {
                    let c = hq.note(&id, &text, &by)?;
                    if json {
                        print_json(&c)?;
                    } else {
                        wuye_node::say!("note added to {}; it reaches the site at its next sync", c.id);
                    }
                }
                ComplaintCommand::Decide { id, text, by, json } => {
                    let c = hq.decide(&id, &text, &by)?;
                    if json {
                        print_json(&c)?;
                    } else {
                        wuye_node::say!("decision recorded on {}; it reaches the site at its next sync", c.id);
                    }
                }
            }
        }
    }
    Ok(())
}

/// Shows a site's enrollment code once, with what to do with it.
fn print_new_site(site: &office::NewSite, json: bool) -> anyhow::Result<()> {
    if json {
        print_json(site)?;
    } else {
        wuye_node::say!("site_id {}\nenroll_code {}\nexpires_at {}", site.site_id, site.code, site.expires_at);
        eprintln!(
            "give the site the id and the code; its `wuye-agent init --site {} --code CODE` (or `wuye-agent enroll CODE`) \
             trades the code for a credential on its first sync. The code works once.",
            site.site_id
        );
    }
    Ok(())
}
