//! Fees at the desk (收费): fee items and their prices, meter readings,
//! issuing bills (出账) without ever issuing one twice, taking payments with
//! gap-free receipt numbers, refunds (红冲), voids (作废) before the day's
//! close (日结), reductions (减免), the arrears list and its chasing (催缴).
//! The ledger's arithmetic is [`wuye_protocol::fee::ledger`]'s; the houses'
//! ledgers are [`crate::fees`]'s, which head office uses too.

use std::collections::HashSet;
use wuye_node::Records as _;

use chrono::NaiveDate;
use rusqlite::params;
use wuye_node::StoreError;
use wuye_protocol::bill::{self, Bill, BillBody};
use wuye_protocol::chase::{self, Chase, ChaseBody};
use wuye_protocol::day_close::{self, CloseBody, DayClose};
use wuye_protocol::doc::RecordKind;
use wuye_protocol::fee::ledger::{self, Ask, HouseLedger, LateRule};
use wuye_protocol::fee::{Basis, ChaseWay, Cycle, FeeKind, MeterKind, PayMethod, Period, Price};
use wuye_protocol::fee_item::{self, FeeItem, ItemBody, Version};
use wuye_protocol::house::{House, HouseType};
use wuye_protocol::ids::RecordId;
use wuye_protocol::meter::{self, MeterReading, ReadingBody};
use wuye_protocol::money::Fen;
use wuye_protocol::payment::{self, PayKind, Payment, PaymentBody};
use wuye_protocol::rules::RuleError;
use wuye_protocol::staff::{may, Guarded};

use super::{Actor, Desk};
use crate::fees::{Arrear, Books};
use crate::settings::SiteSettings;
use crate::AppError;

/// A fee item as the desk sets it up, with its first price.
#[derive(Debug, Clone)]
pub struct NewFeeItem {
    /// Its name.
    pub name: String,
    /// What kind of fee.
    pub fee_kind: FeeKind,
    /// How a bill is computed.
    pub basis: Basis,
    /// The meter, for a metered fee.
    pub meter: Option<MeterKind>,
    /// How often it is billed.
    pub cycle: Cycle,
    /// The day of a period's first month by which its bill is paid (31: the month's end).
    pub due_day: u32,
    /// The house types it applies to (all when empty).
    pub applies_to: Vec<HouseType>,
    /// The first price.
    pub price: NewPrice,
}

/// A price from a day on.
#[derive(Debug, Clone)]
pub struct NewPrice {
    /// The first day it applies.
    pub from: NaiveDate,
    /// The unit price.
    pub price: Price,
    /// The price approval document (物价批复文号).
    pub approval: String,
    /// Late fees.
    pub late: LateRule,
}

/// What issuing bills did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Issued {
    /// Bills made now.
    pub created: usize,
    /// Bills that already existed (never made twice).
    pub existing: usize,
    /// Their total.
    pub amount: Fen,
    /// Houses whose prepaid balance paid some of them.
    pub paid_from_prepaid: usize,
    /// What could not be billed, and why.
    pub missing: Vec<String>,
}

/// A payment as the cashier takes it.
#[derive(Debug, Clone)]
pub struct NewPayment<'a> {
    /// The house, as people write it.
    pub house: &'a str,
    /// Who pays.
    pub payer: &'a str,
    /// How.
    pub method: PayMethod,
    /// How much.
    pub amount: Fen,
    /// The bills the payer names (ids or their first characters), oldest first when none.
    pub bills: Vec<String>,
    /// Late fees waived, with the 经理's reason.
    pub waive: Option<&'a str>,
}

/// A reminder as the desk records it.
#[derive(Debug, Clone)]
pub struct NewChase<'a> {
    /// The house.
    pub house: &'a str,
    /// How.
    pub way: ChaseWay,
    /// What came of it.
    pub result: &'a str,
    /// The day the owner promised to pay.
    pub promised: Option<NaiveDate>,
    /// The complaint given as the reason for not paying (id or its first characters).
    pub complaint: Option<&'a str>,
}

fn wrong(field: &'static str, value: impl Into<String>, allowed: impl Into<String>) -> AppError {
    RuleError::OutOfRange { field, value: value.into(), allowed: allowed.into() }.into()
}

impl Desk {
    pub(super) fn today(&self) -> NaiveDate {
        self.now().with_timezone(&self.site.timezone).date_naive()
    }

    /// Sets up a fee item with its first price.
    pub fn add_fee_item(&mut self, new: &NewFeeItem, actor: &Actor) -> Result<FeeItem, AppError> {
        may(actor.role, Guarded::ManageFees)?;
        if self.fee_items()?.iter().any(|i| i.name == new.name.trim()) {
            return Err(wrong("the fee item's name", new.name.trim(), "a name no other fee item has"));
        }
        let body = ItemBody {
            name: new.name.clone(),
            fee_kind: new.fee_kind,
            basis: new.basis,
            meter: new.meter,
            cycle: new.cycle,
            due_day: new.due_day,
            applies_to: new.applies_to.clone(),
            versions: vec![self.version(&new.price, actor)],
        };
        let id = RecordId::random(&mut self.rng);
        let mut doc = fee_item::create(id, self.site.id, self.site.timezone, self.now(), &actor.name, &body)?;
        Ok(wuye_node::Store::typed(self.store.insert_new(&mut doc)?)?)
    }

    fn version(&self, new: &NewPrice, actor: &Actor) -> Version {
        Version {
            from: new.from,
            price: new.price,
            approval: new.approval.clone(),
            late: new.late,
            by: actor.name.clone(),
            at: wuye_protocol::time::to_stored(self.now()),
        }
    }

    /// A new price for a fee item from a day on; bills already issued keep theirs.
    pub fn set_fee_price(&mut self, item: &str, new: &NewPrice, actor: &Actor) -> Result<FeeItem, AppError> {
        may(actor.role, Guarded::ManageFees)?;
        let item = self.fee_item(item)?;
        let version = self.version(new, actor);
        Ok(wuye_node::Store::typed(self.store.edit(item.id, |doc| fee_item::add_version(doc, &version))?)?)
    }

    /// The site's fee items, by name.
    pub fn fee_items(&self) -> Result<Vec<FeeItem>, AppError> {
        Ok(self.store.all(Some(self.site.id))?)
    }

    /// A fee item by its name or id.
    pub fn fee_item(&self, name: &str) -> Result<FeeItem, AppError> {
        if let Some(item) = self.fee_items()?.into_iter().find(|i| i.name == name.trim()) {
            return Ok(item);
        }
        Ok(self.store.get(self.store.resolve(RecordKind::FeeItem, name)?)?)
    }

    /// Records a meter reading; one below the last before it is refused
    /// unless the meter was replaced.
    pub fn read_meter(
        &mut self,
        house: &str,
        meter: MeterKind,
        reading: u64,
        read_on: NaiveDate,
        replacement: bool,
        actor: &Actor,
    ) -> Result<MeterReading, AppError> {
        let house = self.house_at(house)?;
        let mut doc = self.reading_doc(&house, meter, reading, read_on, replacement, None, actor)?;
        Ok(wuye_node::Store::typed(self.store.insert_new(&mut doc)?)?)
    }

    #[allow(clippy::too_many_arguments)]
    fn reading_doc(
        &mut self,
        house: &House,
        meter: MeterKind,
        reading: u64,
        read_on: NaiveDate,
        replacement: bool,
        move_in: Option<RecordId>,
        actor: &Actor,
    ) -> Result<automerge::AutoCommit, AppError> {
        let previous = self
            .readings(Some(house.id))?
            .into_iter()
            .rfind(|r| r.meter == meter && r.read_on <= read_on)
            .map(|r| r.reading);
        let body = ReadingBody {
            house_id: house.id,
            house: house.address(),
            meter,
            reading,
            read_on,
            reader: actor.name.clone(),
            replacement,
            move_in,
        };
        let id = RecordId::random(&mut self.rng);
        Ok(meter::record(id, self.site.id, self.site.timezone, self.now(), &actor.name, &body, previous)?)
    }

    /// Records the readings of a sheet (抄表单: 房屋, 表, 读数, 抄表日期, 换表),
    /// all or none: every row is checked first, problems named by row.
    pub fn import_readings(&mut self, sheet: &[Vec<String>], actor: &Actor) -> Result<usize, AppError> {
        may(actor.role, Guarded::ManageFees)?;
        let mut docs = Vec::new();
        let mut problems = Vec::new();
        for (n, row) in sheet.iter().enumerate().skip(1) {
            let cell = |i: usize| row.get(i).map(|c| c.trim()).unwrap_or("");
            if row.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let parsed = (|| -> Result<automerge::AutoCommit, AppError> {
                let house = self.house_at(cell(0))?;
                let meter: MeterKind = cell(1).parse()?;
                let reading = wuye_protocol::fee::parse_quantity("the reading", cell(2))?;
                let day = crate::lists::parse_date(cell(3))?;
                let replacement = matches!(cell(4), "是" | "换表" | "yes" | "y" | "1");
                // A later row of the same sheet counts as the previous reading.
                self.reading_doc(&house, meter, reading, day, replacement, None, actor)
            })();
            match parsed {
                Ok(doc) => docs.push(doc),
                Err(e) => problems.push(format!("row {}: {e}", n + 1)),
            }
        }
        if !problems.is_empty() {
            return Err(AppError::ImportRefused { problems });
        }
        Ok(self.store.insert_batch(&mut docs)?.len())
    }

    /// Meter readings, of one house or all, in the order read.
    pub fn readings(&self, house: Option<RecordId>) -> Result<Vec<MeterReading>, AppError> {
        let mut all: Vec<MeterReading> = self.store.all(Some(self.site.id))?;
        all.retain(|r| house.is_none_or(|h| r.house_id == h));
        all.sort_by_key(|r| (r.read_on, r.recorded_at.utc()));
        Ok(all)
    }

    /// Issues every bill due up to the month holding `month` (出账): for each
    /// fee item and each house handed over that it applies to, every period
    /// from the later of the handover and the item's first price to that
    /// month that has no bill yet; metered fees for that month from its
    /// readings. A house's prepaid balance then pays its new bills.
    pub fn issue_bills(&mut self, month: NaiveDate, actor: &Actor) -> Result<Issued, AppError> {
        may(actor.role, Guarded::ManageFees)?;
        let houses: Vec<House> = self.houses(None, None)?;
        let items = self.fee_items()?;
        let readings = self.readings(None)?;
        let mut report = Issued::default();
        let mut bodies = Vec::new();
        for item in &items {
            for house in &houses {
                let Some(handover) = house.handover_date else { continue };
                if !item.applies(house.house_type) {
                    continue;
                }
                let from = handover.max(item.starts().unwrap_or(handover));
                let last = Cycle::Monthly.period_of(month).end();
                let periods = match item.basis {
                    Basis::Meter => vec![Cycle::Monthly.period_of(month)],
                    _ => periods_between(item.cycle, from, last),
                };
                for period in periods {
                    match bill_body(item, house, period, from, &readings) {
                        Ok(Some(body)) => bodies.push(body),
                        Ok(None) => {}
                        Err(why) => report.missing.push(format!("{} {} {}: {why}", house.address(), item.name, period)),
                    }
                }
            }
        }
        self.insert_bills(bodies, &mut report, actor)?;
        Ok(report)
    }

    pub(super) fn insert_bills(
        &mut self,
        bodies: Vec<BillBody>,
        report: &mut Issued,
        actor: &Actor,
    ) -> Result<(), AppError> {
        let existing = self.bill_ids()?;
        let (now, tz, site) = (self.now(), self.site.timezone, self.site.id);
        let mut docs = Vec::new();
        let mut houses = HashSet::new();
        for body in bodies {
            if existing.contains(&bill::bill_id(site, body.house_id, body.item_id, &body.period)) {
                report.existing += 1;
                continue;
            }
            report.amount.0 += body.amount.0;
            houses.insert(body.house_id);
            docs.push(bill::issue(site, tz, now, &actor.name, &body)?);
        }
        report.created = docs.len();
        self.store.insert_batch(&mut docs)?;
        report.paid_from_prepaid = self.use_prepaid(&houses, actor)?;
        Ok(())
    }

    fn bill_ids(&self) -> Result<HashSet<RecordId>, StoreError> {
        let mut stmt =
            self.store.conn().prepare_cached("SELECT id FROM projections WHERE kind = 'bill' AND site_id = ?1")?;
        let ids = stmt.query_map([self.site.id.to_string()], |r| r.get::<_, String>(0))?;
        let mut out = HashSet::new();
        for id in ids {
            if let Ok(id) = id?.parse() {
                out.insert(id);
            }
        }
        Ok(out)
    }

    /// Lets each of `houses`' prepaid balances pay its open bills' principal, oldest first.
    fn use_prepaid(&mut self, houses: &HashSet<RecordId>, actor: &Actor) -> Result<usize, AppError> {
        let mut books = Books::load(&self.store, Some(self.site.id))?;
        books.bills.retain(|b| houses.contains(&b.house_id));
        books.payments.retain(|p| houses.contains(&p.house_id));
        let today = self.today();
        let mut docs = Vec::new();
        for (house_id, ledger) in books.ledgers(today) {
            if ledger.prepaid.0 == 0 || ledger.outstanding.0 == 0 {
                continue;
            }
            let a = ledger::allocate(&ledger, Fen::ZERO, &[], Ask::PrincipalOnly)?;
            let house = ledger.bills.first().map(|(b, _)| b.house.clone()).unwrap_or_default();
            let body = PaymentBody {
                receipt: 0,
                pay_kind: PayKind::PrepaidUse,
                house_id,
                house,
                payer: String::new(),
                method: PayMethod::Prepaid,
                paid_on: today,
                received: Fen::ZERO,
                from_prepaid: a.from_prepaid,
                to_prepaid: a.to_prepaid,
                lines: a.lines,
                waived_by: String::new(),
                waive_reason: String::new(),
                reverses: None,
                note: String::new(),
                voids: Vec::new(),
            };
            let id = RecordId::random(&mut self.rng);
            docs.push(payment::take(id, self.site.id, self.site.timezone, self.now(), &actor.name, &body)?);
        }
        Ok(self.store.insert_batch(&mut docs)?.len())
    }

    /// The first bills of a house being handed over: `months` of its 物业费
    /// from `from` (the move-in day), unless issued already.
    pub fn first_bills(&mut self, house: &str, actor: &Actor) -> Result<Issued, AppError> {
        may(actor.role, Guarded::TakePayment)?;
        let house = self.house_at(house)?;
        let mut report = Issued::default();
        let bodies = self.first_bill_bodies(&house)?;
        if bodies.is_empty() {
            return Err(wrong(
                "the first bills",
                house.address(),
                "a 物业费 fee item by area or fixed amount (`fee item add`) and movein-prepay-months above 0",
            ));
        }
        self.insert_bills(bodies, &mut report, actor)?;
        Ok(report)
    }

    fn first_bill_bodies(&self, house: &House) -> Result<Vec<BillBody>, AppError> {
        let months = SiteSettings::load(&self.store)?.movein_prepay_months;
        if months == 0 {
            return Ok(Vec::new());
        }
        let existing: Vec<Bill> = self.house_bills(house.id)?;
        let from = existing
            .iter()
            .filter(|b| b.fee_kind == FeeKind::Property)
            .map(|b| b.from)
            .min()
            .or(house.handover_date)
            .unwrap_or_else(|| self.today());
        let until = from + chrono::Months::new(months) - chrono::Days::new(1);
        let mut bodies = Vec::new();
        for item in self
            .fee_items()?
            .iter()
            .filter(|i| i.fee_kind == FeeKind::Property && i.basis != Basis::Meter && i.applies(house.house_type))
        {
            let from = from.max(item.starts().unwrap_or(from));
            for period in periods_between(item.cycle, from, until) {
                if let Ok(Some(body)) = bill_body(item, house, period, from, &[]) {
                    bodies.push(body);
                }
            }
        }
        Ok(bodies)
    }

    /// Whether a house's first bills are all paid (the move-in's fees
    /// station is stamped only then); the refusal names what is missing.
    pub fn first_bills_paid(&self, house_id: RecordId) -> Result<(), AppError> {
        let house: House = self.store.get(house_id)?;
        let bodies = self.first_bill_bodies(&house)?;
        if bodies.is_empty() {
            return Ok(());
        }
        let ledger = self.ledger_of(house.id)?;
        let mut missing = Vec::new();
        for body in bodies {
            let id = bill::bill_id(self.site.id, body.house_id, body.item_id, &body.period);
            match ledger.bills.iter().find(|(b, _)| b.id == id) {
                Some((_, s)) if s.outstanding.0 == 0 => {}
                Some((_, s)) => missing.push(format!("{} {} owes {}", body.item, body.period, s.outstanding)),
                None => missing.push(format!("{} {} not yet billed", body.item, body.period)),
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        Err(wrong(
            "the first bills",
            missing.join("; "),
            "all paid before the fees station is stamped (`fee first-bills HOUSE`, then `fee pay`)",
        ))
    }

    fn house_bills(&self, house: RecordId) -> Result<Vec<Bill>, AppError> {
        self.of_house(house)
    }

    pub(super) fn house_payments(&self, house: RecordId) -> Result<Vec<Payment>, AppError> {
        self.of_house(house)
    }

    /// The site's records of kind `T` for one house (by their `house_id`).
    fn of_house<T: wuye_protocol::kind::Kind>(&self, house: RecordId) -> Result<Vec<T>, AppError> {
        let filter = wuye_node::Filter {
            site: Some(self.site.id),
            fields: vec![("house_id", house.to_string())],
            ..wuye_node::Filter::default()
        };
        Ok(self.store.page::<T>(&filter, &wuye_node::Page::all())?.items)
    }

    pub(super) fn ledger_of(&self, house: RecordId) -> Result<HouseLedger, AppError> {
        Ok(ledger::house_ledger(self.house_bills(house)?, &self.house_payments(house)?, self.today()))
    }

    /// A house's ledger today: its bills as they stand, late fees, prepaid balance.
    pub fn house_ledger(&self, house: &str) -> Result<(House, HouseLedger), AppError> {
        let house = self.house_at(house)?;
        let ledger = self.ledger_of(house.id)?;
        Ok((house, ledger))
    }

    /// A house's payments, newest first.
    pub fn payments_of(&self, house: &str) -> Result<Vec<Payment>, AppError> {
        let mut all = self.house_payments(self.house_at(house)?.id)?;
        all.reverse();
        Ok(all)
    }

    /// Principal a house owes past due today, if any (flagged on item-release slips).
    pub fn arrears_at(&self, address: &str) -> Result<Option<Fen>, AppError> {
        let Ok(house) = self.house_at(address) else { return Ok(None) };
        let ledger = self.ledger_of(house.id)?;
        let overdue = ledger.overdue();
        Ok((overdue.0 > 0).then_some(overdue))
    }

    fn next_receipt(&self) -> Result<u64, StoreError> {
        Ok(self.store.conn().query_row(
            "SELECT COALESCE(MAX(json_extract(view, '$.receipt')), 0) FROM projections
             WHERE kind = 'payment' AND site_id = ?1",
            [self.site.id.to_string()],
            |r| r.get::<_, i64>(0),
        )? as u64
            + 1)
    }

    /// Saves a payment with the next receipt number; the number is checked
    /// unique in the same transaction, so two desks never print the same one.
    pub(super) fn insert_receipt(&mut self, mut body: PaymentBody, actor: &Actor) -> Result<Payment, AppError> {
        body.receipt = self.next_receipt()?;
        let id = RecordId::random(&mut self.rng);
        let mut doc = payment::take(id, self.site.id, self.site.timezone, self.now(), &actor.name, &body)?;
        let (site, number) = (self.site.id.to_string(), body.receipt as i64);
        let views = self.store.insert_batch_with(std::slice::from_mut(&mut doc), |tx| {
            let n: i64 = tx.query_row(
                "SELECT count(*) FROM projections WHERE kind = 'payment' AND site_id = ?1
                 AND json_extract(view, '$.receipt') = ?2",
                params![site, number],
                |r| r.get(0),
            )?;
            if n > 1 {
                return Err(StoreError::Corrupt {
                    id: format!("receipt {number}"),
                    reason: "another desk took this receipt number at the same moment: take the payment again".into(),
                });
            }
            Ok(())
        })?;
        Ok(wuye_node::Store::typed(views.into_iter().next().expect("one in, one out"))?)
    }

    /// Takes a payment for a house: principal first, oldest bills first (or
    /// the bills named), then late fees unless a 经理 waives them, the rest
    /// to the prepaid balance; the receipt gets the site's next number.
    pub fn take_payment(&mut self, new: &NewPayment<'_>, actor: &Actor) -> Result<Payment, AppError> {
        may(actor.role, Guarded::TakePayment)?;
        if new.waive.is_some() {
            may(actor.role, Guarded::Reduce)?;
        }
        if new.method == PayMethod::Prepaid || new.amount.0 == 0 {
            return Err(wrong(
                "the payment",
                new.amount.to_string(),
                "money paid in cash, WeChat, Alipay, card or transfer",
            ));
        }
        let house = self.house_at(new.house)?;
        let ledger = self.ledger_of(house.id)?;
        let named: Vec<RecordId> =
            new.bills.iter().map(|b| self.store.resolve(RecordKind::Bill, b)).collect::<Result<_, _>>()?;
        let a = ledger::allocate(&ledger, new.amount, &named, Ask::All { waive: new.waive.is_some() })?;
        let body = PaymentBody {
            receipt: 0,
            pay_kind: PayKind::Receipt,
            house_id: house.id,
            house: house.address(),
            payer: new.payer.to_string(),
            method: new.method,
            paid_on: self.today(),
            received: new.amount,
            from_prepaid: a.from_prepaid,
            to_prepaid: a.to_prepaid,
            lines: a.lines,
            waived_by: if new.waive.is_some() { actor.name.clone() } else { String::new() },
            waive_reason: new.waive.unwrap_or_default().to_string(),
            reverses: None,
            note: String::new(),
            voids: Vec::new(),
        };
        self.insert_receipt(body, actor)
    }

    /// A payment by its receipt number (`42` or `00000042`) or id.
    pub fn receipt(&self, number: &str) -> Result<Payment, AppError> {
        let all: Vec<Payment> = self.store.all(Some(self.site.id))?;
        if let Ok(n) = number.trim().parse::<u64>() {
            if let Some(p) = all.iter().find(|p| p.receipt == n && n > 0) {
                return Ok(p.clone());
            }
        }
        Ok(self.store.get(self.store.resolve(RecordKind::Payment, number)?)?)
    }

    fn closed_ids(&self) -> Result<HashSet<RecordId>, AppError> {
        Ok(self.day_closes()?.into_iter().flat_map(|c| c.body.payments).collect())
    }

    /// Refunds a payment whole (红冲): a new receipt that reverses every line of it.
    pub fn refund_payment(&mut self, number: &str, reason: &str, actor: &Actor) -> Result<Payment, AppError> {
        may(actor.role, Guarded::Refund)?;
        let original = self.receipt(number)?;
        if original.pay_kind != PayKind::Receipt || original.is_void() {
            return Err(wrong("the receipt", original.number(), "a payment taken and not voided"));
        }
        let all: Vec<Payment> = self.house_payments(original.house_id)?;
        if all.iter().any(|p| p.reverses == Some(original.id) && !p.is_void()) {
            return Err(wrong("the receipt", original.number(), "a payment not refunded already"));
        }
        let ledger = self.ledger_of(original.house_id)?;
        if ledger.prepaid.0 + original.from_prepaid.0 < original.to_prepaid.0 {
            return Err(wrong(
                "the refund",
                original.number(),
                format!(
                    "the {} it added to the prepaid balance has since paid bills: refund the balance left instead",
                    original.to_prepaid
                ),
            ));
        }
        let body = PaymentBody {
            pay_kind: PayKind::Refund,
            paid_on: self.today(),
            reverses: Some(original.id),
            note: reason.to_string(),
            voids: Vec::new(),
            ..original.body.clone()
        };
        self.insert_receipt(body, actor)
    }

    /// Pays back part or all of a house's prepaid balance.
    pub fn refund_prepaid(
        &mut self,
        house: &str,
        amount: Fen,
        method: PayMethod,
        reason: &str,
        actor: &Actor,
    ) -> Result<Payment, AppError> {
        may(actor.role, Guarded::Refund)?;
        let house = self.house_at(house)?;
        let ledger = self.ledger_of(house.id)?;
        if amount.0 == 0 || amount > ledger.prepaid {
            return Err(wrong(
                "the refund",
                amount.to_string(),
                format!("more than ¥0 and at most the prepaid balance {}", ledger.prepaid),
            ));
        }
        let body = PaymentBody {
            receipt: 0,
            pay_kind: PayKind::Refund,
            house_id: house.id,
            house: house.address(),
            payer: "预存退款".into(),
            method,
            paid_on: self.today(),
            received: amount,
            from_prepaid: Fen::ZERO,
            to_prepaid: amount,
            lines: Vec::new(),
            waived_by: String::new(),
            waive_reason: String::new(),
            reverses: None,
            note: reason.to_string(),
            voids: Vec::new(),
        };
        self.insert_receipt(body, actor)
    }

    /// Voids a receipt (作废) before its day's close; it keeps its number.
    pub fn void_receipt(&mut self, number: &str, reason: &str, actor: &Actor) -> Result<Payment, AppError> {
        may(actor.role, Guarded::VoidReceipt)?;
        let p = self.receipt(number)?;
        if self.closed_ids()?.contains(&p.id) {
            return Err(wrong("the receipt", p.number(), "one not yet in a day's close (日结): refund it instead"));
        }
        let house_payments = self.house_payments(p.house_id)?;
        if house_payments.iter().any(|r| r.reverses == Some(p.id) && !r.is_void()) {
            return Err(wrong("the receipt", p.number(), "one not refunded: void the refund first"));
        }
        let ledger = self.ledger_of(p.house_id)?;
        let effect = p.sign() * (p.to_prepaid.0 as i64 - p.from_prepaid.0 as i64);
        if (ledger.prepaid.0 as i64) < effect {
            return Err(wrong("the receipt", p.number(), "one whose prepaid part has not since paid bills"));
        }
        let now = self.now();
        Ok(wuye_node::Store::typed(self.store.edit(p.id, |doc| payment::void(doc, now, &actor.name, reason))?)?)
    }

    /// Closes the cashier's payments not yet closed (日结); they can no longer be voided.
    pub fn close_day(&mut self, actor: &Actor) -> Result<DayClose, AppError> {
        may(actor.role, Guarded::TakePayment)?;
        let closed = self.closed_ids()?;
        let all: Vec<Payment> = self.store.all(Some(self.site.id))?;
        let mine: Vec<&Payment> = all
            .iter()
            .filter(|p| p.cashier == actor.name && p.pay_kind != PayKind::PrepaidUse && !closed.contains(&p.id))
            .collect();
        let body = CloseBody::of(self.today(), &mine);
        let id = RecordId::random(&mut self.rng);
        let mut doc = day_close::close(id, self.site.id, self.site.timezone, self.now(), &actor.name, &body)?;
        Ok(wuye_node::Store::typed(self.store.insert_new(&mut doc)?)?)
    }

    /// The site's day closes, newest first.
    pub fn day_closes(&self) -> Result<Vec<DayClose>, AppError> {
        let mut all: Vec<DayClose> = self.store.all(Some(self.site.id))?;
        all.reverse();
        Ok(all)
    }

    /// A day close by id (or its first characters).
    pub fn day_close(&self, id: &str) -> Result<DayClose, AppError> {
        Ok(self.store.get(self.store.resolve(RecordKind::DayClose, id)?)?)
    }

    /// The payments of a site day, in receipt order.
    pub fn payments_on(&self, day: NaiveDate) -> Result<Vec<Payment>, AppError> {
        let mut all: Vec<Payment> = self.store.all(Some(self.site.id))?;
        all.retain(|p| p.paid_on == day);
        all.sort_by_key(|p| (p.receipt, p.at.utc()));
        Ok(all)
    }

    /// Reduces a bill (减免), approved by a 经理 with a reason.
    pub fn reduce_bill(&mut self, id: &str, amount: Fen, reason: &str, actor: &Actor) -> Result<Bill, AppError> {
        may(actor.role, Guarded::Reduce)?;
        let id = self.store.resolve(RecordKind::Bill, id)?;
        let now = self.now();
        Ok(wuye_node::Store::typed(self.store.edit(id, |doc| bill::reduce(doc, now, &actor.name, amount, reason))?)?)
    }

    /// One bill by id (or its first characters).
    pub fn bill(&self, id: &str) -> Result<Bill, AppError> {
        Ok(self.store.get(self.store.resolve(RecordKind::Bill, id)?)?)
    }

    /// The bills of a period's first month, by house.
    pub fn bills_for(&self, month: NaiveDate) -> Result<Vec<Bill>, AppError> {
        let mut all: Vec<Bill> = self.store.all(Some(self.site.id))?;
        all.retain(|b| b.period.covers(month) || b.period.start == month);
        all.sort_by(|a, b| (&a.house, &a.item).cmp(&(&b.house, &b.item)));
        Ok(all)
    }

    /// The arrears list today (欠费明细), longest overdue first.
    pub fn arrears(&self) -> Result<Vec<Arrear>, AppError> {
        let books = Books::load(&self.store, Some(self.site.id))?;
        let chases: Vec<Chase> = self.store.all(Some(self.site.id))?;
        let levels = SiteSettings::load(&self.store)?.chase_levels;
        Ok(crate::fees::arrears(&books, &chases, levels, self.today()))
    }

    /// Records a reminder of a house's arrears at the level they have reached
    /// (at least the first); the last level is the 经理's.
    pub fn chase(&mut self, new: &NewChase<'_>, actor: &Actor) -> Result<Chase, AppError> {
        may(actor.role, Guarded::TakePayment)?;
        let house = self.house_at(new.house)?;
        let ledger = self.ledger_of(house.id)?;
        let days = ledger.overdue_days();
        if days == 0 {
            return Err(wrong("the house", house.address(), "a house with bills past due"));
        }
        let level = crate::fees::level_of(days, SiteSettings::load(&self.store)?.chase_levels).max(1);
        if level == chase::LEVELS {
            may(actor.role, Guarded::LastReminder)?;
        }
        let complaint = match new.complaint {
            Some(c) => Some(self.store.resolve(RecordKind::Complaint, c)?),
            None => None,
        };
        let overdue = ledger.overdue();
        let body = ChaseBody {
            house_id: house.id,
            house: house.address(),
            level,
            way: new.way,
            result: new.result.to_string(),
            promised: new.promised,
            complaint,
            owed: overdue,
            overdue_days: days,
        };
        let id = RecordId::random(&mut self.rng);
        let mut doc = chase::record(id, self.site.id, self.site.timezone, self.now(), &actor.name, &body)?;
        Ok(wuye_node::Store::typed(self.store.insert_new(&mut doc)?)?)
    }

    /// The reminders given, newest first.
    pub fn chases(&self) -> Result<Vec<Chase>, AppError> {
        let mut all: Vec<Chase> = self.store.all(Some(self.site.id))?;
        all.reverse();
        Ok(all)
    }

    /// Promises to pay falling due by today for houses still in arrears: the
    /// day's board shows them. Only the houses with a promise due have their
    /// ledgers read, so the board stays quick at a site of many bills.
    pub fn promises_due(&self) -> Result<Vec<Chase>, AppError> {
        let today = self.today();
        let mut latest: std::collections::HashMap<RecordId, Chase> = std::collections::HashMap::new();
        for c in self.store.all::<Chase>(Some(self.site.id))? {
            latest.insert(c.house_id, c);
        }
        let mut due = Vec::new();
        for c in latest.into_values().filter(|c| c.promised.is_some_and(|d| d <= today)) {
            if self.ledger_of(c.house_id)?.overdue_days() > 0 {
                due.push(c);
            }
        }
        due.sort_by_key(|c| c.promised);
        Ok(due)
    }

    /// Records a meter reading taken on a move-in slip as the house's first.
    pub(super) fn first_reading(
        &mut self,
        house_id: RecordId,
        meter: MeterKind,
        reading: u64,
        slip: RecordId,
        actor: &Actor,
    ) -> Result<(), AppError> {
        let house: House = self.store.get(house_id)?;
        let today = self.today();
        let mut doc = self.reading_doc(&house, meter, reading, today, false, Some(slip), actor)?;
        self.store.insert_new(&mut doc)?;
        Ok(())
    }
}

/// The periods of `cycle` from the one holding `from` to the last starting by `last`.
fn periods_between(cycle: Cycle, from: NaiveDate, last: NaiveDate) -> Vec<Period> {
    let mut out = Vec::new();
    let mut period = cycle.period_of(from);
    while period.start <= last {
        out.push(period);
        if period.months == 0 {
            break;
        }
        period = cycle.period_of(period.end() + chrono::Days::new(1));
    }
    out
}

/// The bill of `item` for `house` and `period`, billed from `from`; none
/// when nothing is owed for it; why not, when it cannot be computed.
fn bill_body(
    item: &FeeItem,
    house: &House,
    period: Period,
    from: NaiveDate,
    readings: &[MeterReading],
) -> Result<Option<BillBody>, String> {
    let billed_from = from.max(period.start);
    let (quantity, meter_readings) = match (item.basis, item.meter) {
        (Basis::Meter, Some(m)) => {
            let mine: Vec<&MeterReading> = readings
                .iter()
                .filter(|r| r.house_id == house.id && r.meter == m && r.read_on <= period.end())
                .collect();
            let before = mine.iter().rposition(|r| r.read_on < period.start);
            let within = &mine[before.unwrap_or(0)..];
            if !within.iter().any(|r| period.covers(r.read_on)) {
                return Err(format!("no {} reading in the month", m.label()));
            }
            let used = meter::used(within);
            (used, Some((within[0].reading, within[within.len() - 1].reading)))
        }
        (Basis::Fixed, _) => (0, None),
        _ => (house.area_centi, None),
    };
    let version_day = if item.basis == Basis::Meter { period.start.max(from) } else { billed_from };
    let version = item.version_on(version_day).ok_or_else(|| format!("no price in force on {version_day}"))?;
    let amount = ledger::amount(item.basis, period, billed_from, quantity, |d| item.version_on(d).map(|v| v.price))
        .ok_or_else(|| "no price in force for part of the period".to_string())?;
    if amount.0 == 0 {
        return Ok(None);
    }
    Ok(Some(BillBody {
        house_id: house.id,
        house: house.address(),
        item_id: item.id,
        item: item.name.clone(),
        fee_kind: item.fee_kind,
        basis: item.basis,
        period,
        from: billed_from,
        quantity,
        readings: meter_readings,
        price: version.price,
        approval: version.approval.clone(),
        amount,
        due: item.due_on(&period, billed_from),
        late: version.late,
        reductions: Vec::new(),
    }))
}
