//! The command line's commands, one module per noun (in the manner of
//! mini-redis's `cmd/`): each parses nothing itself (clap did), calls the desk
//! and prints. What several share lives here.

pub(crate) mod commitment;
pub(crate) mod complaint;
pub(crate) mod duty;
pub(crate) mod fee;
pub(crate) mod key;
pub(crate) mod link;
pub(crate) mod log;
pub(crate) mod movein;
pub(crate) mod release;
pub(crate) mod renovation;
pub(crate) mod repair;
pub(crate) mod report;
pub(crate) mod resident;
pub(crate) mod session;
pub(crate) mod settings;
pub(crate) mod shift;
pub(crate) mod staff;
pub(crate) mod unit;
pub(crate) mod web;

use std::sync::Arc;

use wuye_agent::config;
use wuye_app::desk::{Actor, Desk};
use wuye_protocol::text::echo;
use wuye_protocol::time::SystemClock;

pub(crate) fn open_desk(data: &std::path::Path) -> anyhow::Result<Desk> {
    let (store, config) = config::open(data)?;
    Ok(Desk::with_os_rng(store, config.site(), Arc::new(SystemClock)))
}

/// Opens the desk for the person signed in; refuses when nobody is.
pub(crate) fn open_signed_in(data: &std::path::Path) -> anyhow::Result<(Desk, Actor)> {
    let desk = open_desk(data)?;
    let actor = desk.signed_in()?;
    Ok((desk, actor))
}

/// A password typed at the terminal (twice when `confirm`), or one line of standard input.
pub(crate) fn read_password(prompt: &str, confirm: bool) -> anyhow::Result<String> {
    Ok(wuye_node::process::read_password(prompt, confirm)?)
}

/// Parses a local date, YYYY-MM-DD.
pub(crate) fn parse_date(text: &str) -> anyhow::Result<chrono::NaiveDate> {
    Ok(wuye_app::lists::parse_date(text)?)
}

/// Parses an appointment: RFC 3339, or YYYY-MM-DD HH:MM in the site's time zone.
/// A time typed at the desk: `2026-11-28 14:30` in site time, or RFC 3339.
/// A local time that a clock change makes happen twice is taken the first
/// time, with a warning that names both.
pub(crate) fn parse_time(text: &str, tz: chrono_tz::Tz) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    use chrono::{Datelike, TimeZone};
    let invalid = || {
        anyhow::anyhow!("'{}' is not a valid time: write 2026-11-28 14:30 (site time) or an RFC 3339 time", echo(text))
    };
    let check_year = |t: chrono::DateTime<chrono::Utc>| {
        if wuye_app::lists::DATE_YEARS.contains(&t.year()) {
            Ok(t)
        } else {
            Err(invalid())
        }
    };
    if let Some(t) = wuye_protocol::time::from_stored(text.trim()) {
        return check_year(t);
    }
    let local = chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M").map_err(|_| invalid())?;
    if !wuye_app::lists::DATE_YEARS.contains(&local.year()) {
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
