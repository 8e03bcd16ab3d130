//! `report`: one site's figures computed at head office, with the same code
//! the site uses (`wuye_app::reports`), so both arrive at the same numbers.

use std::path::Path;
use std::sync::Arc;

use clap::Subcommand;
use wuye_node::process::print_json;
use wuye_protocol::time::{Clock, SystemClock};
use wuye_server::office::{HeadOffice, OfficeStore};

#[derive(Subcommand)]
pub(crate) enum ReportCommand {
    /// Every site's figures (docs/KPI.md) for a month or a week: a table, JSON, CSV, or an xlsx
    /// workbook with the figures, the 客户投诉登记表, the 维修工作单 and the 回访记录表.
    Kpi {
        /// The month, YYYY-MM (or a week, YYYY-Www).
        #[arg(long)]
        month: String,
        /// Only this site.
        #[arg(long)]
        site: Option<String>,
        /// table, json, csv or xlsx.
        #[arg(long, default_value = "table")]
        format: String,
        /// Where to write (xlsx needs it; csv and json print when it is absent).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// A site's daily figures (每日重大投诉、报修信息上报) for a local date, from what head office holds.
    Daily {
        /// The site's id.
        #[arg(long)]
        site: String,
        /// The local date, YYYY-MM-DD.
        #[arg(long)]
        date: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// A site's recurring problems (对反复出现的问题): the same place and category again.
    Recurring {
        /// The site's id.
        #[arg(long)]
        site: String,
        /// How many days back.
        #[arg(long, default_value_t = 90)]
        days: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `wuye-server report …`.
pub(crate) fn run(data: &Path, clock: Arc<SystemClock>, cmd: ReportCommand) -> anyhow::Result<()> {
    on_either!(data, clock.clone(), |hq| report(&hq, &clock, cmd))
}

fn report<S: OfficeStore>(hq: &HeadOffice<S>, clock: &Arc<SystemClock>, cmd: ReportCommand) -> anyhow::Result<()> {
    match cmd {
        ReportCommand::Kpi { month, site, format, out } => kpi(hq, &month, site.as_deref(), &format, out.as_deref())?,
        ReportCommand::Daily { site, date, json } => {
            let site = hq.site(&site)?;
            let date = wuye_app::lists::parse_date(&date)?;
            let figures = wuye_app::reports::daily_figures(&hq.store, site, date, clock.now())?;
            if json {
                print_json(&figures)?;
            } else {
                wuye_node::say!("每日上报 daily figures of site {site} for {date}, computed at head office");
                wuye_node::say!("{}", serde_json::to_string_pretty(&figures)?);
            }
        }
        ReportCommand::Recurring { site, days, json } => {
            if !(1..=3_650).contains(&days) {
                anyhow::bail!("--days takes 1 to 3650, not {days}");
            }
            let site = hq.site(&site)?;
            let groups = wuye_app::reports::recurring(&hq.store, site, clock.now(), days)?;
            if json {
                print_json(&groups)?;
            } else {
                for g in &groups {
                    wuye_node::say!("{} × {} {} ({})", g.count, g.place, g.category, g.scope);
                }
                wuye_node::say!("{} recurring problem(s) at site {site} in the last {days} days", groups.len());
            }
        }
    }
    Ok(())
}

/// Runs `wuye-server report kpi`.
fn kpi<S: OfficeStore>(
    hq: &HeadOffice<S>,
    period: &str,
    site: Option<&str>,
    format: &str,
    out: Option<&Path>,
) -> anyhow::Result<()> {
    use wuye_server::export::{self, Sheet};
    let period = wuye_app::kpi::Period::parse(period)?;
    let only = site.map(|s| hq.site(s)).transpose()?;
    let book = hq.book(only.as_ref().map(std::slice::from_ref), period)?;
    match (format, out) {
        ("xlsx", Some(out)) => {
            let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            export::write_xlsx(&hq.store, &book, out, dir)?;
            wuye_node::say!(
                "{} written: figures, 交付钥匙放行, 客户投诉登记表, 维修工作单 and 回访记录表 for {period}",
                out.display()
            );
        }
        ("xlsx", None) => anyhow::bail!("an xlsx workbook needs a file: add --out FILE.xlsx"),
        ("csv", Some(out)) => {
            let file = std::fs::File::create_new(out)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e} (the file must not exist yet)", out.display()))?;
            export::write_csv(&hq.store, Sheet::Figures, &book, std::io::BufWriter::new(file))?;
        }
        ("csv", None) => {
            export::write_csv(&hq.store, Sheet::Figures, &book, std::io::stdout().lock())?;
        }
        ("json", _) => {
            let lines: Vec<serde_json::Value> = book
                .sites
                .iter()
                .zip(&book.figures)
                .zip(&book.estates)
                .map(|((s, f), e)| {
                    serde_json::json!({"site_id": s.site_id, "name": s.name, "as_of": s.as_of(), "figures": f, "estate": e})
                })
                .collect();
            let all = serde_json::json!({
                "period": period.to_string(), "sites": lines, "total": book.total, "estate": book.estate
            });
            match out {
                Some(out) => std::fs::write(out, serde_json::to_vec_pretty(&all)?)?,
                None => print_json(&all)?,
            }
        }
        ("table", _) => {
            for sheet in [Sheet::Figures, Sheet::Estate] {
                let mut rows: Vec<Vec<String>> = vec![sheet.headers().iter().map(|h| h.to_string()).collect()];
                export::rows(&hq.store, sheet, &book, |cells| {
                    rows.push(cells.iter().map(export::Cell::text).collect());
                    Ok(())
                })?;
                for line in aligned(&rows) {
                    wuye_node::say!("{line}");
                }
                wuye_node::say!("");
            }
        }
        (other, _) => anyhow::bail!("--format takes table, json, csv or xlsx, not '{other}'"),
    }
    Ok(())
}

/// How wide a text is on a terminal: Chinese characters take two columns.
fn width(text: &str) -> usize {
    text.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

/// Rows as lines of columns padded to line up, two spaces apart.
fn aligned(rows: &[Vec<String>]) -> Vec<String> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> =
        (0..columns).map(|c| rows.iter().filter_map(|r| r.get(c)).map(|t| width(t)).max().unwrap_or(0)).collect();
    rows.iter()
        .map(|r| {
            let cells: Vec<String> =
                r.iter().enumerate().map(|(c, t)| format!("{t}{}", " ".repeat(widths[c] - width(t)))).collect();
            cells.join("  ").trim_end().to_string()
        })
        .collect()
}
