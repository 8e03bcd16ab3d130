//! `site`: registering sites, their credentials and how they stand.

use std::path::Path;
use std::sync::Arc;

use clap::Subcommand;
use wuye_node::process::print_json;
use wuye_protocol::time::SystemClock;
use wuye_server::office;

use wuye_server::people::Actor;

#[derive(Subcommand)]
pub(crate) enum SiteCommand {
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

/// Runs `wuye-server site …`.
pub(crate) fn run(data: &Path, clock: Arc<SystemClock>, cmd: SiteCommand) -> anyhow::Result<()> {
    match cmd {
        SiteCommand::Add { name, json } => {
            let site = on_either!(data, clock, |hq| hq.add_site(&name)?);
            print_new_site(&site, json)?;
        }
        SiteCommand::Revoke { id } => {
            let site = on_either!(data, clock, |hq| hq.revoke_site(&operator(), &id)?);
            wuye_node::say!(
                "site {site} revoked: a running server closes its connections within {} s and refuses every later sync; \
                 `site rotate` issues a new enrollment code",
                wuye_server::serve::CREDENTIAL_CHECK_MS.div_ceil(1000)
            );
        }
        SiteCommand::Rotate { id, json } => {
            let site = on_either!(data, clock, |hq| hq.rotate_site(&operator(), &id)?);
            print_new_site(&site, json)?;
        }
        SiteCommand::List { json } => {
            let sites = on_either!(data, clock, |hq| hq.sites()?);
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
    }
    Ok(())
}

/// The operator at this machine's command line.
fn operator() -> Actor {
    Actor::CommandLine("运维".into())
}

/// Shows a site's enrollment code once, with what to do with it.
pub(crate) fn print_new_site(site: &office::NewSite, json: bool) -> anyhow::Result<()> {
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
