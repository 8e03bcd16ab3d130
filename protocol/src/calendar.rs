//! Duty hours (值班制度) and response deadlines counted in them.
//!
//! Office hours are 08:00–12:00 and 13:00–17:00; in summer the afternoon is
//! 13:30–17:30. A normal repair's response deadline counts only these hours,
//! in the site's time zone; an emergency's counts every minute.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// First (month, day) of the summer schedule unless a site sets its own.
pub const DEFAULT_SUMMER_FROM: (u32, u32) = (5, 1);
/// Last (month, day) of the summer schedule unless a site sets its own.
pub const DEFAULT_SUMMER_TO: (u32, u32) = (9, 30);

/// A site's duty hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DutyCalendar {
    /// The site's time zone.
    pub timezone: Tz,
    /// First (month, day) of the summer schedule, inclusive.
    pub summer_from: (u32, u32),
    /// Last (month, day) of the summer schedule, inclusive.
    pub summer_to: (u32, u32),
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("literal time of day")
}

impl DutyCalendar {
    /// The default schedule: summer from 1 May to 30 September.
    pub fn new(timezone: Tz) -> Self {
        Self { timezone, summer_from: DEFAULT_SUMMER_FROM, summer_to: DEFAULT_SUMMER_TO }
    }

    fn is_summer(&self, date: NaiveDate) -> bool {
        let md = (date.month(), date.day());
        md >= self.summer_from && md <= self.summer_to
    }

    /// The duty periods of a local date, as (start, end) times of day.
    pub fn periods(&self, date: NaiveDate) -> [(NaiveTime, NaiveTime); 2] {
        if self.is_summer(date) {
            [(hm(8, 0), hm(12, 0)), (hm(13, 30), hm(17, 30))]
        } else {
            [(hm(8, 0), hm(12, 0)), (hm(13, 0), hm(17, 0))]
        }
    }

    /// A local date and time of day as an instant.
    pub fn instant(&self, date: NaiveDate, t: NaiveTime) -> DateTime<Utc> {
        let local = date.and_time(t);
        // Duty hours never fall in a DST gap in the zones we serve; take the earliest if ambiguous.
        self.timezone
            .from_local_datetime(&local)
            .earliest()
            .unwrap_or_else(|| self.timezone.from_utc_datetime(&local))
            .with_timezone(&Utc)
    }

    /// The instant `duty` of duty time after `start`, counting only duty periods.
    pub fn add_duty_time(&self, start: DateTime<Utc>, duty: Duration) -> DateTime<Utc> {
        let mut left = duty;
        let mut date = start.with_timezone(&self.timezone).date_naive();
        // Bounded: even a year of duty hours ends within a few hundred days.
        for _ in 0..3_660 {
            for (from, to) in self.periods(date) {
                let (from, to) = (self.instant(date, from), self.instant(date, to));
                let begin = from.max(start);
                if begin >= to {
                    continue;
                }
                if to - begin >= left {
                    return begin + left;
                }
                left -= to - begin;
            }
            date = date.succ_opt().expect("dates stay within chrono's range");
        }
        start + duty
    }

    /// How much duty time lies between `from` and `to` (negative when `to`
    /// is earlier): "剩余 3 工时" before a deadline, or how late after it.
    pub fn duty_time_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        if to < from {
            return -self.duty_time_between(to, from);
        }
        let mut total = Duration::zero();
        let mut date = from.with_timezone(&self.timezone).date_naive();
        let last = to.with_timezone(&self.timezone).date_naive();
        // Bounded like add_duty_time: ten years of days at most.
        for _ in 0..3_660 {
            if date > last {
                break;
            }
            for (start, end) in self.periods(date) {
                let (start, end) = (self.instant(date, start).max(from), self.instant(date, end).min(to));
                if end > start {
                    total += end - start;
                }
            }
            date = date.succ_opt().expect("dates stay within chrono's range");
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::from_stored;

    fn check(start: &str, hours: i64, expected: &str) {
        let cal = DutyCalendar::new(chrono_tz::Asia::Shanghai);
        let start = from_stored(start).unwrap();
        let got = cal.add_duty_time(start, Duration::hours(hours));
        assert_eq!(crate::time::to_site(got, chrono_tz::Asia::Shanghai), expected, "{start} + {hours} h");
    }

    #[test]
    fn duty_time_skips_lunch_nights_and_keeps_the_summer_afternoon() {
        // Winter, Friday 27 Nov 2026, 10:00 local (02:00 UTC).
        check("2026-11-27T02:00:00Z", 1, "2026-11-27T11:00:00+08:00");
        check("2026-11-27T02:00:00Z", 3, "2026-11-27T14:00:00+08:00");
        check("2026-11-27T02:00:00Z", 8, "2026-11-28T10:00:00+08:00");
        check("2026-11-27T02:00:00Z", 24, "2026-11-30T10:00:00+08:00");
        // Reported at night: counting starts at 08:00 the next day.
        check("2026-11-27T14:00:00Z", 2, "2026-11-28T10:00:00+08:00");
        // Summer: the afternoon is 13:30–17:30.
        check("2026-07-01T03:00:00Z", 2, "2026-07-01T14:30:00+08:00");
        check("2026-07-01T03:00:00Z", 6, "2026-07-02T09:00:00+08:00");
    }

    #[test]
    fn duty_time_between_undoes_adding_it_and_counts_back_when_late() {
        let cal = DutyCalendar::new(chrono_tz::Asia::Shanghai);
        for start in ["2026-11-27T02:00:00Z", "2026-11-27T14:00:00Z", "2026-07-01T03:00:00Z"] {
            let start = from_stored(start).unwrap();
            for hours in [1, 3, 8, 24, 100] {
                let end = cal.add_duty_time(start, Duration::hours(hours));
                assert_eq!(cal.duty_time_between(start, end), Duration::hours(hours), "{start} + {hours} h");
                assert_eq!(cal.duty_time_between(end, start), -Duration::hours(hours));
            }
        }
        // Over a night nothing counts.
        let evening = from_stored("2026-11-27T10:00:00Z").unwrap();
        assert_eq!(cal.duty_time_between(evening, evening + Duration::hours(12)), Duration::zero());
    }
}
