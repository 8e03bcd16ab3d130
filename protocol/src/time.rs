//! Time: the injected clock, and instants shown in a site's time zone.
//!
//! Instants are stored in UTC (RFC 3339) and shown with the site's offset.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, SecondsFormat, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// The time zone a site uses when none is configured.
pub const DEFAULT_TIMEZONE: &str = "Asia/Shanghai";

/// Where code gets the current time; tests pass a [`ManualClock`].
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to; shared clones see the same time.
#[derive(Debug, Clone)]
pub struct ManualClock {
    micros: Arc<AtomicI64>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        Self { micros: Arc::new(AtomicI64::new(start.timestamp_micros())) }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: chrono::Duration) {
        let delta = by.num_microseconds().expect("test clock step fits in i64 microseconds");
        self.micros.fetch_add(delta, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.micros.load(Ordering::SeqCst))
            .expect("manual clock stays within chrono's range")
    }
}

/// The error for an unknown time-zone name.
#[derive(Debug, thiserror::Error)]
#[error("unknown time zone '{}': use an IANA name such as Asia/Shanghai", crate::text::echo(.0))]
pub struct TimezoneError(pub String);

/// Parses an IANA time-zone name.
pub fn parse_timezone(name: &str) -> Result<Tz, TimezoneError> {
    name.trim().parse::<Tz>().map_err(|_| TimezoneError(name.chars().take(64).collect()))
}

/// The canonical stored form of an instant: UTC, RFC 3339, microseconds.
pub fn to_stored(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Parses a stored instant (any RFC 3339 offset is accepted).
pub fn from_stored(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc))
}

/// An instant as a site sees it, to the second, with the site's offset: the
/// type of every time in a record's view. It reads and writes as RFC 3339
/// text (`2026-11-27T10:30:00+08:00`), and is compared and sorted as the
/// instant it is.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SiteTime(DateTime<FixedOffset>);

impl SiteTime {
    /// `at` in the time zone `tz`, to the second.
    pub fn new(at: DateTime<Utc>, tz: Tz) -> Self {
        let local = tz.from_utc_datetime(&at.naive_utc()).fixed_offset();
        Self(local.with_nanosecond(0).unwrap_or(local))
    }

    /// The instant, in UTC.
    pub fn utc(&self) -> DateTime<Utc> {
        self.0.with_timezone(&Utc)
    }

    /// The time with the site's offset.
    pub fn local(&self) -> DateTime<FixedOffset> {
        self.0
    }

    /// To the minute, as tables show it: `2026-11-01 01:45`, with the offset
    /// added (`2026-11-01 01:45-04:00`) when a clock change makes that local
    /// time happen twice in `tz`, so the two are told apart.
    pub fn minute(&self, tz: Tz) -> String {
        let local = self.0.with_timezone(&tz);
        match tz.from_local_datetime(&local.naive_local()) {
            chrono::LocalResult::Ambiguous(..) => local.format("%Y-%m-%d %H:%M%:z").to_string(),
            _ => local.format("%Y-%m-%d %H:%M").to_string(),
        }
    }
}

impl std::fmt::Display for SiteTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Secs, false))
    }
}

impl std::fmt::Debug for SiteTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SiteTime({self})")
    }
}

impl PartialEq<&str> for SiteTime {
    fn eq(&self, other: &&str) -> bool {
        DateTime::parse_from_rfc3339(other).is_ok_and(|t| t == self.0 && t.offset() == self.0.offset())
    }
}

impl serde::Serialize for SiteTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for SiteTime {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        DateTime::parse_from_rfc3339(&text)
            .map(SiteTime)
            .map_err(|e| serde::de::Error::custom(format!("'{text}' is not an RFC 3339 time: {e}")))
    }
}

/// An instant as the site sees it: RFC 3339 with the site's offset, seconds precision.
pub fn to_site(at: DateTime<Utc>, tz: Tz) -> SiteTime {
    SiteTime::new(at, tz)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_time_that_happens_twice_is_shown_with_its_offset() {
        let ny: Tz = "America/New_York".parse().unwrap();
        let first = to_site(from_stored("2026-11-01T05:45:00Z").unwrap(), ny);
        let second = to_site(from_stored("2026-11-01T06:15:00Z").unwrap(), ny);
        assert_eq!(first.minute(ny), "2026-11-01 01:45-04:00");
        assert_eq!(second.minute(ny), "2026-11-01 01:15-05:00");
        let plain = to_site(from_stored("2026-11-27T02:30:00Z").unwrap(), chrono_tz::Asia::Shanghai);
        assert_eq!(plain.minute(chrono_tz::Asia::Shanghai), "2026-11-27 10:30");
        let json = serde_json::to_string(&plain).unwrap();
        assert_eq!(json, "\"2026-11-27T10:30:00+08:00\"");
        assert_eq!(serde_json::from_str::<SiteTime>(&json).unwrap(), plain);
        assert!(serde_json::from_str::<SiteTime>("\"yesterday\"").is_err());
    }

    #[test]
    fn site_time_carries_the_site_offset() {
        let at = from_stored("2026-11-27T02:30:00Z").unwrap();
        assert_eq!(to_site(at, chrono_tz::Asia::Shanghai), "2026-11-27T10:30:00+08:00");
        assert_eq!(to_site(at, chrono_tz::UTC), "2026-11-27T02:30:00+00:00");
    }

    #[test]
    fn stored_form_round_trips() {
        let at = from_stored("2026-11-27T10:30:00.123456+08:00").unwrap();
        assert_eq!(to_stored(at), "2026-11-27T02:30:00.123456Z");
        assert_eq!(from_stored(&to_stored(at)), Some(at));
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(from_stored("2026-01-01T00:00:00Z").unwrap());
        let before = clock.now();
        clock.advance(chrono::Duration::minutes(5));
        assert_eq!(clock.now() - before, chrono::Duration::minutes(5));
    }

    #[test]
    fn unknown_zone_is_refused() {
        assert!(parse_timezone("Mars/Olympus").is_err());
        assert_eq!(parse_timezone(DEFAULT_TIMEZONE).unwrap(), chrono_tz::Asia::Shanghai);
    }
}
