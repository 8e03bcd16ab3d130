//! Lists, filtered and paged, for every front end: which records of a kind
//! a person asked for, a page at a time, in the kind's order. At the site a
//! list holds the site's records; at head office one site's or every site's.

use chrono::{NaiveDate, TimeZone};
use chrono_tz::Tz;
use wuye_node::{Filter, Page, Paged, Store};
use wuye_protocol::ids::SiteId;
use wuye_protocol::kind::Kind;

use crate::desk::Desk;
use crate::AppError;

/// Most records one page may hold.
pub const MAX_PAGE: usize = 500;

/// Years a date typed by a person may have.
pub const DATE_YEARS: std::ops::RangeInclusive<i32> = 1900..=2999;

/// A local date as people type it, YYYY-MM-DD.
pub fn parse_date(text: &str) -> Result<NaiveDate, AppError> {
    use chrono::Datelike;
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| DATE_YEARS.contains(&d.year()))
        .ok_or_else(|| AppError::BadDate(text.to_string()))
}

/// A local time as people type it, `2026-11-28 14:30` in the site's time
/// zone (or RFC 3339). A time a clock change makes happen twice is taken the
/// first time; one it skips is refused.
pub fn parse_time(text: &str, tz: Tz) -> Result<chrono::DateTime<chrono::Utc>, AppError> {
    use chrono::Datelike;
    let bad = || AppError::BadTime(text.to_string());
    let at = match wuye_protocol::time::from_stored(text.trim()) {
        Some(at) => at,
        None => {
            let local = chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M").map_err(|_| bad())?;
            tz.from_local_datetime(&local).earliest().ok_or_else(bad)?.with_timezone(&chrono::Utc)
        }
    };
    if DATE_YEARS.contains(&at.year()) {
        Ok(at)
    } else {
        Err(bad())
    }
}

/// What a person asks a list for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// Only records in one of these states (all when empty), as the kind names them.
    pub statuses: Vec<String>,
    /// Only records from this local date on (by the kind's own time: received, reported, due, …).
    pub from: Option<NaiveDate>,
    /// Only records up to and including this local date.
    pub to: Option<NaiveDate>,
    /// Only records whose fields have these values (`category`, `major`, …).
    pub fields: Vec<(&'static str, String)>,
    /// Only records holding this text: a unit, a name, a phone number.
    pub contains: Option<String>,
}

impl ListFilter {
    /// The store's filter for `site`, with local dates turned into instants in `tz`.
    pub fn for_store(&self, site: Option<SiteId>, tz: Tz) -> Filter {
        let start_of = |day: NaiveDate| {
            let midnight = day.and_hms_opt(0, 0, 0).expect("midnight exists");
            // A day that begins in a clock change begins at its earliest instant.
            tz.from_local_datetime(&midnight)
                .earliest()
                .map(|t| wuye_protocol::time::to_stored(t.with_timezone(&chrono::Utc)))
        };
        Filter {
            site,
            statuses: self.statuses.clone(),
            sort_from: self.from.and_then(start_of),
            sort_before: self.to.and_then(|d| d.succ_opt()).and_then(start_of),
            fields: self.fields.clone(),
            contains: self.contains.clone(),
        }
    }
}

/// A page of `T` from `store`, checked: at most [`MAX_PAGE`] records.
fn page<T: Kind>(store: &Store, filter: Filter, page: &Page) -> Result<Paged<T>, AppError> {
    if page.limit.is_some_and(|l| l == 0 || l > MAX_PAGE) {
        return Err(AppError::Rule(wuye_protocol::rules::RuleError::OutOfRange {
            field: "the page size",
            value: page.limit.unwrap_or_default().to_string(),
            allowed: format!("from 1 to {MAX_PAGE} records a page"),
        }));
    }
    Ok(store.page::<T>(&filter, page)?)
}

impl Desk {
    /// One page of this site's records of kind `T` that pass `filter`.
    pub fn list<T: Kind>(&self, filter: &ListFilter, at: &Page) -> Result<Paged<T>, AppError> {
        page(&self.store, filter.for_store(Some(self.site.id), self.site.timezone), at)
    }

    /// Every record of kind `T` at this site that passes `filter`.
    pub fn list_all<T: Kind>(&self, filter: &ListFilter) -> Result<Vec<T>, AppError> {
        let filter = filter.for_store(Some(self.site.id), self.site.timezone);
        Ok(self.store.page::<T>(&filter, &Page::all())?.items)
    }
}

/// Head office's lists: one page of the records of kind `T` of one site (or
/// every site) that pass `filter`, local dates read in `tz`.
pub fn office_list<T: Kind>(
    store: &Store,
    site: Option<SiteId>,
    tz: Tz,
    filter: &ListFilter,
    at: &Page,
) -> Result<Paged<T>, AppError> {
    page(store, filter.for_store(site, tz), at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use rand::SeedableRng;
    use wuye_protocol::complaint::{Complaint, NewComplaint};
    use wuye_protocol::rules::Channel;
    use wuye_protocol::time::{self, ManualClock};

    fn desk_with(n: usize) -> (Desk, ManualClock) {
        let clock = ManualClock::new(time::from_stored("2026-11-26T15:30:00Z").unwrap());
        let mut rng = rand::rngs::StdRng::seed_from_u64(2);
        let site = crate::Site { id: SiteId::random(&mut rng), timezone: chrono_tz::Asia::Shanghai };
        let mut store = Store::open_in_memory().unwrap();
        crate::open_site_tables(&mut store).unwrap();
        let mut desk = Desk::new(store, site, Arc::new(clock.clone()), rng);
        for i in 0..n {
            let input = NewComplaint {
                phone: String::new(),
                customer: format!("住户{i}"),
                unit: "1栋101".into(),
                channel: Channel::Phone,
                summary: "噪音".into(),
                category: "噪音".into(),
                departments: vec![],
                major: i % 3 == 0,
            };
            desk.add_complaint(&input, "客服员").unwrap();
            clock.advance(chrono::Duration::hours(1));
        }
        (desk, clock)
    }

    #[test]
    fn pages_follow_each_other_without_gaps_or_repeats_and_filters_narrow_them() {
        let (desk, _) = desk_with(10);
        let mut seen: Vec<Complaint> = Vec::new();
        let mut at = Page::first(3);
        loop {
            let page = desk.list::<Complaint>(&ListFilter::default(), &at).unwrap();
            assert!(page.items.len() <= 3);
            seen.extend(page.items);
            match page.next {
                Some(cursor) => at = Page { limit: Some(3), after: Some(cursor), ..Page::default() },
                None => break,
            }
        }
        let all = desk.list_all::<Complaint>(&ListFilter::default()).unwrap();
        assert_eq!(seen, all);
        assert_eq!(all.len(), 10);
        assert_eq!(all[0].customer, "住户0", "oldest first");

        let major = ListFilter { statuses: vec!["escalated".into()], ..ListFilter::default() };
        assert_eq!(desk.list_all::<Complaint>(&major).unwrap().len(), 4);

        // The first was received at 23:30 on the 26th in Shanghai; the next nine on the 27th.
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        let on_27th = ListFilter { from: Some(day(27)), to: Some(day(27)), ..ListFilter::default() };
        assert_eq!(desk.list_all::<Complaint>(&on_27th).unwrap().len(), 9);
        let on_26th = ListFilter { to: Some(day(26)), ..ListFilter::default() };
        assert_eq!(desk.list_all::<Complaint>(&on_26th).unwrap().len(), 1);

        // Newest first, a page at a time, is the same list reversed.
        let mut newest = Vec::new();
        let mut at = Page { limit: Some(4), newest_first: true, ..Page::default() };
        loop {
            let page = desk.list::<Complaint>(&ListFilter::default(), &at).unwrap();
            newest.extend(page.items);
            match page.next {
                Some(cursor) => at.after = Some(cursor),
                None => break,
            }
        }
        assert_eq!(newest, all.iter().rev().cloned().collect::<Vec<_>>());

        // Fields and text narrow it: 住户3 is major; 住户1 matches 住户1 only.
        let major = ListFilter { fields: vec![("major", "true".into())], ..ListFilter::default() };
        assert_eq!(desk.list_all::<Complaint>(&major).unwrap().len(), 4);
        let named = ListFilter { contains: Some("住户1".into()), ..ListFilter::default() };
        assert_eq!(desk.list_all::<Complaint>(&named).unwrap().len(), 1);
        let category = ListFilter { fields: vec![("category", "卫生".into())], ..ListFilter::default() };
        assert!(desk.list_all::<Complaint>(&category).unwrap().is_empty());
        let quoted = ListFilter { contains: Some("\"%".into()), ..ListFilter::default() };
        assert!(desk.list_all::<Complaint>(&quoted).unwrap().is_empty());

        let e = desk.list::<Complaint>(&ListFilter::default(), &Page::first(MAX_PAGE + 1)).unwrap_err();
        assert_eq!(e.code(), "rule.out_of_range");
    }
}

/// A name and how many, as people write it: `冰箱x1`, `冰箱×2`, `纸箱*12`,
/// or a name alone (one).
pub fn counted(text: &str) -> Result<(String, u64), wuye_protocol::rules::RuleError> {
    let text = text.trim();
    let split = text
        .rfind(['x', 'X', '×', '*'])
        .filter(|&i| text[i..].chars().skip(1).all(|c| c.is_ascii_digit()) && i + 1 < text.len());
    match split {
        Some(i) => {
            let digits: String = text[i..].chars().skip(1).collect();
            let quantity = digits.parse::<u64>().map_err(|_| wuye_protocol::rules::RuleError::OutOfRange {
                field: "a quantity",
                value: wuye_protocol::text::echo(text),
                allowed: "a name and a number, e.g. 冰箱x1".into(),
            })?;
            Ok((text[..i].trim().to_string(), quantity))
        }
        None => Ok((text.to_string(), 1)),
    }
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
        assert!(counted("沙发×").is_err());
    }
}
