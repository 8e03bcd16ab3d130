//! What each record contributes to the figures head office and the sites
//! report (`docs/KPI.md` defines them): a record's *facts*, each a metric
//! counted on a local date of the site. A store keeps each record's facts
//! beside its projection and adds them up by site and day, so a month's
//! figures for every site are sums, never a pass over the records. The same
//! facts are made at the site and at head office, from the same view.

use chrono::NaiveDate;

use crate::rules::SATISFIED_FROM;
use crate::time::SiteTime;

/// Every metric a record may count towards, with what it counts.
pub mod metric {
    /// A complaint received (投诉量), on the day it was received.
    pub const COMPLAINTS: &str = "complaints";
    /// A major complaint (重大投诉) received, on the day it was received.
    pub const COMPLAINTS_MAJOR: &str = "complaints_major";
    /// A complaint's result due, on the day of its deadline.
    pub const COMPLAINT_RESULTS_DUE: &str = "complaint_results_due";
    /// … and the result standing was recorded by then, on the deadline's day.
    pub const COMPLAINT_RESULTS_ON_TIME: &str = "complaint_results_on_time";
    /// A complaint's result standing, on the day it was recorded.
    pub const COMPLAINTS_RESOLVED: &str = "complaints_resolved";
    /// … followed by a visit, on the day of the result.
    pub const COMPLAINTS_RESOLVED_VISITED: &str = "complaints_resolved_visited";
    /// A work order reported, on the day it was reported.
    pub const REPAIRS: &str = "repairs";
    /// An emergency work order's response due, on the deadline's day.
    pub const REPAIRS_DUE_EMERGENCY: &str = "repairs_due_emergency";
    /// … and someone was on site by then.
    pub const REPAIRS_ON_TIME_EMERGENCY: &str = "repairs_on_time_emergency";
    /// A normal work order's response due, on the deadline's day.
    pub const REPAIRS_DUE_NORMAL: &str = "repairs_due_normal";
    /// … and someone was on site by then.
    pub const REPAIRS_ON_TIME_NORMAL: &str = "repairs_on_time_normal";
    /// A work order's latest completion, on its day.
    pub const REPAIRS_COMPLETED: &str = "repairs_completed";
    /// … followed by a visit, on the day of the completion.
    pub const REPAIRS_COMPLETED_VISITED: &str = "repairs_completed_visited";
    /// A work order closed, on the day it was closed.
    pub const REPAIRS_CLOSED: &str = "repairs_closed";
    /// … that had been reopened (返修) before it closed.
    pub const REPAIRS_CLOSED_REOPENED: &str = "repairs_closed_reopened";
    /// A follow-up visit (complaint or work order), on its day.
    pub const VISITS: &str = "visits";
    /// … at which the resident scored 3 or more.
    pub const VISITS_SATISFIED: &str = "visits_satisfied";
    /// Paid-service income (有偿服务), in fen, on the day of the completion that charged it.
    pub const PAID_INCOME_FEN: &str = "paid_income_fen";
    /// A daily report (每日上报) sent, on the date it reports.
    pub const DAILY_REPORTS: &str = "daily_reports";

    /// Metrics whose day is a deadline: a figure for a period counts them
    /// only on days already over, so that a deadline still to come is not
    /// yet on time or late.
    pub const DEADLINES: [&str; 6] = [
        COMPLAINT_RESULTS_DUE,
        COMPLAINT_RESULTS_ON_TIME,
        REPAIRS_DUE_EMERGENCY,
        REPAIRS_ON_TIME_EMERGENCY,
        REPAIRS_DUE_NORMAL,
        REPAIRS_ON_TIME_NORMAL,
    ];
}

/// One thing a record counts towards: `n` of `metric` on the site's local `day`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    /// What is counted (one of [`metric`]).
    pub metric: &'static str,
    /// The site's local date it counts on.
    pub day: NaiveDate,
    /// How many (fen, for income).
    pub n: i64,
}

impl Fact {
    /// One of `metric` on the local date of `at`.
    pub fn one(metric: &'static str, at: &SiteTime) -> Self {
        Fact { metric, day: at.local().date_naive(), n: 1 }
    }
}

/// Whether a score counts as satisfied.
pub fn satisfied(score: u8) -> bool {
    score >= SATISFIED_FROM
}

/// Facts in the compact form a store keeps beside a projection:
/// `metric day n` entries separated by `;`.
pub fn encode(facts: &[Fact]) -> String {
    let mut out = String::new();
    for f in facts {
        if !out.is_empty() {
            out.push(';');
        }
        out.push_str(&format!("{} {} {}", f.metric, f.day, f.n));
    }
    out
}

/// Reads [`encode`]'s form back; entries that do not parse (a metric this
/// build does not know, say) are left out.
pub fn decode(text: &str) -> Vec<(String, NaiveDate, i64)> {
    text.split(';')
        .filter_map(|entry| {
            let mut parts = entry.split(' ');
            let metric = parts.next()?.to_string();
            let day = parts.next()?.parse().ok()?;
            let n = parts.next()?.parse().ok()?;
            Some((metric, day, n))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_survive_their_compact_form() {
        let day: NaiveDate = "2026-11-03".parse().unwrap();
        let facts = vec![
            Fact { metric: metric::COMPLAINTS, day, n: 1 },
            Fact { metric: metric::PAID_INCOME_FEN, day, n: 8000 },
        ];
        let back = decode(&encode(&facts));
        assert_eq!(back, vec![("complaints".to_string(), day, 1), ("paid_income_fen".to_string(), day, 8000)]);
        assert!(decode("").is_empty());
        assert_eq!(decode("junk;complaints 2026-11-03 2").len(), 1);
    }
}
