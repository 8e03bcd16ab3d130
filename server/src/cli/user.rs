//! `user`: head office's people (dashboard sign-in, roles, sites). The
//! server's command line acts as the operator of this machine, so it may add
//! the first administrator.

use std::path::Path;
use std::sync::Arc;

use clap::Subcommand;
use wuye_node::process::print_json;
use wuye_protocol::ids::SiteId;
use wuye_protocol::time::{Clock, SystemClock};
use wuye_server::office::{HeadOffice, OfficeStore};
use wuye_server::people::{self, Actor, NewUser, Role};

#[derive(Subcommand)]
pub(crate) enum UserCommand {
    /// Add a head-office person; the password is asked for (or read from standard input).
    Add {
        /// Their name, as it appears on what they do.
        #[arg(long, allow_hyphen_values = true)]
        name: String,
        /// Their sign-in name.
        #[arg(long)]
        login: String,
        /// admin (管理员), manager (经理), quality (品质部) or regional (区域经理).
        #[arg(long)]
        role: String,
        /// A regional manager's sites: their ids, separated by commas.
        #[arg(long, value_delimiter = ',')]
        sites: Vec<String>,
        /// Who adds them (the operator at this machine).
        #[arg(long, default_value = "运维", allow_hyphen_values = true)]
        by: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Disable a person: their sessions end and they cannot sign in again.
    Disable {
        /// Their sign-in name.
        login: String,
        /// Who disables them.
        #[arg(long, default_value = "运维", allow_hyphen_values = true)]
        by: String,
    },
    /// List head office's people.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `wuye-server user …`.
pub(crate) fn run(data: &Path, clock: Arc<SystemClock>, cmd: UserCommand) -> anyhow::Result<()> {
    on_either!(data, clock.clone(), |hq| user(&hq, &clock, cmd))
}

fn user<S: OfficeStore>(hq: &HeadOffice<S>, clock: &Arc<SystemClock>, cmd: UserCommand) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Add { name, login, role, sites, by, json } => {
            let role = Role::parse(&role)?;
            let sites = sites.iter().map(|s| hq.site(s)).collect::<Result<Vec<SiteId>, _>>()?;
            let password = wuye_node::process::read_password("password for the new person: ", true)?;
            let new = NewUser { name, login, role, sites };
            let user =
                people::add_user(&hq.store, &Actor::CommandLine(by), &new, &password, &hq.site_ids()?, clock.now())?;
            if json {
                print_json(&user)?;
            } else {
                wuye_node::say!("{} ({}) added as {} {}", user.name, user.login, user.role.as_str(), user.role.label());
            }
        }
        UserCommand::Disable { login, by } => {
            let user = people::disable_user(&hq.store, &Actor::CommandLine(by), &login, clock.now())?;
            wuye_node::say!("{} ({}) is disabled and signed out", user.name, user.login);
        }
        UserCommand::List { json } => {
            let users = people::users(&hq.store)?;
            if json {
                print_json(&users)?;
            } else {
                for u in &users {
                    let sites = u.sites.iter().map(SiteId::to_string).collect::<Vec<_>>().join(",");
                    let state = u.disabled_at.as_deref().map_or(String::new(), |at| format!("  disabled at {at}"));
                    wuye_node::say!("{}  {}  {} {}  {sites}{state}", u.login, u.name, u.role.as_str(), u.role.label());
                }
                wuye_node::say!("{} person(s)", users.len());
            }
        }
    }
    Ok(())
}
