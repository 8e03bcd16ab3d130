//! The command line's commands, one module per noun (in the manner of
//! mini-redis's `cmd/`): each parses nothing itself (clap did), calls the desk
//! and prints. What several share lives here.

pub(crate) mod commitment;
pub(crate) mod complaint;
pub(crate) mod duty;
pub(crate) mod key;
pub(crate) mod link;
pub(crate) mod log;
pub(crate) mod movein;
pub(crate) mod release;
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

/// A name and how many, as people write it: `冰箱x1`, `冰箱×2`, `纸箱*12`,
/// or a name alone (one).
pub(crate) fn counted(text: &str) -> anyhow::Result<(String, u64)> {
    let text = text.trim();
    let split = text
        .rfind(['x', 'X', '×', '*'])
        .filter(|&i| text[i..].chars().skip(1).all(|c| c.is_ascii_digit()) && i + 1 < text.len());
    let (name, quantity) = match split {
        Some(i) => {
            let digits: String = text[i..].chars().skip(1).collect();
            (
                text[..i].trim(),
                digits.parse::<u64>().map_err(|_| anyhow::anyhow!("'{text}': the quantity is not a number"))?,
            )
        }
        None => (text, 1),
    };
    Ok((name.to_string(), quantity))
}

#[cfg(test)]
mod counted_tests {
    use super::counted;

    #[test]
    fn names_and_counts_are_read_as_people_write_them() {
        assert_eq!(counted("冰箱x1").unwrap(), ("冰箱".to_string(), 1));
        assert_eq!(counted("纸箱×12").unwrap(), ("纸箱".to_string(), 12));
        assert_eq!(counted("沙发").unwrap(), ("沙发".to_string(), 1));
        assert_eq!(counted("Xbox").unwrap(), ("Xbox".to_string(), 1));
    }
}
