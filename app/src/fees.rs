//! The fee ledger over stored records, the same code at the site and at
//! head office: every house's ledger as of a day, the arrears list with its
//! aging (账龄), and the period's fee figures (收费率, 户收费率, 清欠率; see
//! `docs/KPI.md`). Whatever the site shows, head office computes from the
//! same synced bills and payments with these functions, so the two agree
//! to the fen.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::Serialize;
use wuye_node::{Records, StoreError};
use wuye_protocol::bill::Bill;
use wuye_protocol::chase::Chase;
use wuye_protocol::fee::ledger::{self, HouseLedger};
use wuye_protocol::ids::{RecordId, SiteId};
use wuye_protocol::money::Fen;
use wuye_protocol::payment::Payment;

use crate::kpi::percent;

/// A site's bills and payments (or every site's, at head office).
#[derive(Debug, Clone, Default)]
pub struct Books {
    /// The bills.
    pub bills: Vec<Bill>,
    /// The payments, refunds and uses of prepaid balances, voided ones included.
    pub payments: Vec<Payment>,
}

impl Books {
    /// Reads them from the store.
    pub fn load<R: Records<Error = StoreError>>(store: &R, site: Option<SiteId>) -> Result<Books, StoreError> {
        Ok(Books { bills: store.all(site)?, payments: store.all(site)? })
    }

    /// Each house's ledger as of the end of `as_of`, by the house's record id.
    pub fn ledgers(&self, as_of: NaiveDate) -> BTreeMap<RecordId, HouseLedger> {
        let mut bills: HashMap<RecordId, Vec<Bill>> = HashMap::new();
        for b in &self.bills {
            bills.entry(b.house_id).or_default().push(b.clone());
        }
        let mut payments: HashMap<RecordId, Vec<Payment>> = HashMap::new();
        for p in &self.payments {
            payments.entry(p.house_id).or_default().push(p.clone());
        }
        let mut houses: Vec<RecordId> = bills.keys().chain(payments.keys()).copied().collect();
        houses.sort();
        houses.dedup();
        houses
            .into_iter()
            .map(|h| {
                let ledger = ledger::house_ledger(
                    bills.remove(&h).unwrap_or_default(),
                    payments.get(&h).map(Vec::as_slice).unwrap_or(&[]),
                    as_of,
                );
                (h, ledger)
            })
            .collect()
    }
}

/// Principal owed by how long it has been overdue (账龄).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Aging {
    /// Not yet due or up to 30 days overdue.
    pub upto_30: Fen,
    /// 31 to 90 days.
    pub upto_90: Fen,
    /// 91 to 180 days.
    pub upto_180: Fen,
    /// More than 180 days.
    pub over_180: Fen,
}

impl Aging {
    /// The aging of one house's unpaid principal.
    pub fn of(ledger: &HouseLedger) -> Aging {
        let mut a = Aging::default();
        for (_, s) in &ledger.bills {
            a.add(s.overdue_days, s.outstanding);
        }
        a
    }

    fn add(&mut self, days: u32, owed: Fen) {
        let bucket = match days {
            0..=30 => &mut self.upto_30,
            31..=90 => &mut self.upto_90,
            91..=180 => &mut self.upto_180,
            _ => &mut self.over_180,
        };
        bucket.0 += owed.0;
    }

    /// Several together.
    pub fn plus(self, other: Aging) -> Aging {
        Aging {
            upto_30: Fen(self.upto_30.0 + other.upto_30.0),
            upto_90: Fen(self.upto_90.0 + other.upto_90.0),
            upto_180: Fen(self.upto_180.0 + other.upto_180.0),
            over_180: Fen(self.over_180.0 + other.over_180.0),
        }
    }

    /// All of it.
    pub fn total(&self) -> Fen {
        Fen(self.upto_30.0 + self.upto_90.0 + self.upto_180.0 + self.over_180.0)
    }
}

/// One house in the arrears list (欠费明细).
#[derive(Debug, Clone, Serialize)]
pub struct Arrear {
    /// The house's record.
    pub house_id: RecordId,
    /// Its address.
    pub house: String,
    /// Principal owed on bills past due.
    pub overdue: Fen,
    /// Principal owed in all.
    pub outstanding: Fen,
    /// Late fees owed as of the day.
    pub late_owed: Fen,
    /// Days the oldest unpaid bill is past due.
    pub overdue_days: u32,
    /// The oldest unpaid period.
    pub since: String,
    /// Its aging.
    pub aging: Aging,
    /// The level of chasing the arrears have reached (0: not yet), by the site's settings.
    pub level: u8,
    /// The last reminder, if any.
    pub last_reminder: Option<Chase>,
}

/// The houses with principal past due as of `as_of`, longest overdue first.
pub fn arrears(books: &Books, chases: &[Chase], levels: [u32; 3], as_of: NaiveDate) -> Vec<Arrear> {
    let mut out = Vec::new();
    for (house_id, ledger) in books.ledgers(as_of) {
        let overdue_days = ledger.overdue_days();
        if overdue_days == 0 {
            continue;
        }
        let overdue = ledger.overdue();
        let oldest = ledger.bills.iter().find(|(_, s)| s.overdue_days > 0).map(|(b, _)| b);
        let last_reminder = chases.iter().filter(|c| c.house_id == house_id).max_by_key(|c| c.at.utc()).cloned();
        out.push(Arrear {
            house_id,
            house: oldest.map(|b| b.house.clone()).unwrap_or_default(),
            overdue,
            outstanding: ledger.outstanding,
            late_owed: ledger.late_owed,
            overdue_days,
            since: oldest.map(|b| b.period.label()).unwrap_or_default(),
            aging: Aging::of(&ledger),
            level: level_of(overdue_days, levels),
            last_reminder,
        });
    }
    out.sort_by(|a, b| b.overdue_days.cmp(&a.overdue_days).then_with(|| a.house.cmp(&b.house)));
    out
}

/// The level of chasing `days` overdue reach.
pub fn level_of(days: u32, levels: [u32; 3]) -> u8 {
    levels.iter().filter(|l| days >= **l).count() as u8
}

/// A site's fee figures for a period (`docs/KPI.md`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Money {
    /// Billed in the period: principal of bills whose period starts in it.
    pub billed: Fen,
    /// … of it, collected within the period.
    pub collected: Fen,
    /// 收费率, %.
    pub collection_rate: Option<f64>,
    /// Houses billed in the period.
    pub houses_billed: i64,
    /// … whose bills of the period were all paid by its end.
    pub houses_paid: i64,
    /// 户收费率, %.
    pub house_rate: Option<f64>,
    /// Principal owed at the period's start on bills due before it.
    pub past_arrears: Fen,
    /// … of it, collected within the period.
    pub past_collected: Fen,
    /// 清欠率, %.
    pub arrears_rate: Option<f64>,
    /// Late fees paid within the period.
    pub late_collected: Fen,
    /// Late fees waived within the period.
    pub late_waived: Fen,
    /// Money taken within the period less refunds.
    pub net_received: i64,
    /// Unpaid principal by age at the period's end (or today, when earlier).
    pub aging: Aging,
}

impl Money {
    /// Several sites together.
    pub fn total(all: &[Money]) -> Money {
        let mut t = Money::default();
        for m in all {
            t.billed.0 += m.billed.0;
            t.collected.0 += m.collected.0;
            t.houses_billed += m.houses_billed;
            t.houses_paid += m.houses_paid;
            t.past_arrears.0 += m.past_arrears.0;
            t.past_collected.0 += m.past_collected.0;
            t.late_collected.0 += m.late_collected.0;
            t.late_waived.0 += m.late_waived.0;
            t.net_received += m.net_received;
            t.aging = t.aging.plus(m.aging);
        }
        t.rates();
        t
    }

    fn rates(&mut self) {
        let pct = |a: Fen, b: Fen| percent(a.0 as i64, b.0 as i64);
        self.collection_rate = pct(self.collected, self.billed);
        self.house_rate = percent(self.houses_paid, self.houses_billed);
        self.arrears_rate = pct(self.past_collected, self.past_arrears);
    }
}

/// The fee figures of one site's `books` for the days `first..=last`, as of `today`.
pub fn money(books: &Books, first: NaiveDate, last: NaiveDate, today: NaiveDate) -> Money {
    let end = last.min(today);
    let mut m = Money::default();
    let before = first.pred_opt().unwrap_or(first);
    let at_start = books.ledgers(before);
    let at_end = books.ledgers(end);
    let in_period = |d: NaiveDate| first <= d && d <= last;
    let moves = ledger::movements(&books.payments, end);
    let mut billed_houses: BTreeMap<RecordId, bool> = BTreeMap::new();
    let state_at_end: HashMap<RecordId, Fen> =
        at_end.values().flat_map(|l| l.bills.iter().map(|(b, s)| (b.id, s.outstanding))).collect();
    for bill in books.bills.iter().filter(|b| in_period(b.period.start)) {
        m.billed.0 += bill.principal().0;
        let paid = state_at_end.get(&bill.id).is_some_and(|o| o.0 == 0);
        let all_paid = billed_houses.entry(bill.house_id).or_insert(true);
        *all_paid &= paid;
    }
    let billed_ids: std::collections::HashSet<RecordId> =
        books.bills.iter().filter(|b| in_period(b.period.start)).map(|b| b.id).collect();
    let past: HashMap<RecordId, Fen> = at_start
        .values()
        .flat_map(|l| l.bills.iter())
        .filter(|(b, s)| b.due < first && s.outstanding.0 > 0)
        .map(|(b, s)| (b.id, s.outstanding))
        .collect();
    m.past_arrears = Fen(past.values().map(|f| f.0).sum());
    let (mut late_paid, mut late_waived) = (0i64, 0i64);
    let mut past_paid: HashMap<RecordId, i64> = HashMap::new();
    let mut billed_paid: HashMap<RecordId, i64> = HashMap::new();
    for mv in moves.iter().filter(|mv| in_period(mv.on)) {
        if billed_ids.contains(&mv.bill) {
            *billed_paid.entry(mv.bill).or_default() += mv.principal;
        }
        if past.contains_key(&mv.bill) {
            *past_paid.entry(mv.bill).or_default() += mv.principal;
        }
        late_paid += mv.late_paid;
        late_waived += mv.late_waived;
    }
    (m.late_collected, m.late_waived) = (Fen(late_paid.max(0) as u64), Fen(late_waived.max(0) as u64));
    let principal: HashMap<RecordId, Fen> = books.bills.iter().map(|b| (b.id, b.principal())).collect();
    m.collected =
        Fen(billed_paid.iter().map(|(id, p)| (*p).clamp(0, principal.get(id).map_or(0, |f| f.0 as i64)) as u64).sum());
    m.past_collected =
        Fen(past_paid.iter().map(|(id, p)| (*p).clamp(0, past.get(id).map_or(0, |f| f.0 as i64)) as u64).sum());
    m.houses_billed = billed_houses.len() as i64;
    m.houses_paid = billed_houses.values().filter(|p| **p).count() as i64;
    m.net_received = books
        .payments
        .iter()
        .filter(|p| !p.is_void() && in_period(p.paid_on) && p.paid_on <= end)
        .map(|p| p.sign() * p.received.0 as i64)
        .sum();
    m.aging = at_end.values().map(Aging::of).fold(Aging::default(), Aging::plus);
    m.rates();
    m
}
