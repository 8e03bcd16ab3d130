//! `duty`: the duty roster (值班表).

use std::path::Path;

use clap::Subcommand;
use wuye_node::process::print_json;

use super::*;

#[derive(Subcommand)]
pub(crate) enum DutyCommand {
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

/// Runs `wuye-agent duty …`.
pub(crate) fn run(data: &Path, args: DutyCommand) -> anyhow::Result<()> {
    let cmd = args;
    let (mut desk, actor) = open_signed_in(data)?;
    match cmd {
        DutyCommand::Assign { staff, date, shift } => {
            let d = desk.assign_duty(&staff, parse_date(&date)?, shift.parse()?, &actor)?;
            wuye_node::say!("{} is on duty {} {}", d.staff_name, d.date, d.shift.as_str());
        }
        DutyCommand::Check { date, json } => {
            let date = match date {
                Some(d) => parse_date(&d)?,
                None => desk.now().with_timezone(&desk.site.timezone).date_naive(),
            };
            let check = desk.duty_check(date)?;
            let gaps: Vec<&str> = check.iter().filter(|(_, names)| names.is_empty()).map(|(s, _)| s.as_str()).collect();
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
    Ok(())
}
