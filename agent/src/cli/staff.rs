//! `staff`: staff, roles, passwords and leaving.

use std::path::Path;

use clap::Subcommand;
use wuye_node::process::print_json;
use wuye_protocol::staff::Role;

use super::*;
use wuye_app::lists::ListFilter;
use wuye_protocol::staff::Staff;

#[derive(Subcommand)]
pub(crate) enum StaffCommand {
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

/// Runs `wuye-agent staff …`.
pub(crate) fn run(data: &Path, args: StaffCommand) -> anyhow::Result<()> {
    let cmd = args;
    let (mut desk, actor) = open_signed_in(data)?;
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
            let staff = desk.list_all::<Staff>(&ListFilter::default())?;
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
    Ok(())
}
