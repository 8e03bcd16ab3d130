//! Renovations (装修) at the desk: the application (one active renovation a
//! house), approval, whose charges (装修押金, 垃圾清运费, each pass's 工本费)
//! become bills in the fee ledger; passes, the start only once those bills
//! are paid, patrols and violations, extensions, completion and inspection,
//! the deposit refunded less deductions (posted in the ledger as a refund
//! and a reduction of the deposit's bill), and the close.

use chrono::NaiveDate;
use wuye_node::Records as _;
use wuye_protocol::bill::{Bill, BillBody};
use wuye_protocol::doc::RecordKind;
use wuye_protocol::fee::ledger::{BillState, LateRule};
use wuye_protocol::fee::{Basis, FeeKind, PayMethod, Period, Price};
use wuye_protocol::house::House;
use wuye_protocol::ids::RecordId;
use wuye_protocol::money::Fen;
use wuye_protocol::payment::{Line, PayKind, Payment, PaymentBody};
use wuye_protocol::renovation::{
    self, Action, Contractor, Deduction, Paid, Renovation, RenovationBody, Violation, WorkItem,
};
use wuye_protocol::rules::RuleError;
use wuye_protocol::staff::{may, Guarded};

use super::fees::Issued;
use super::{Actor, Desk};
use crate::renovations::{charge_id, is_charge_of, pass_key, DEPOSIT, PASS, RUBBISH};
use crate::settings::SiteSettings;
use crate::AppError;

/// A renovation as its page shows it.
#[derive(Debug, Clone)]
pub struct RenovationView {
    /// The record.
    pub r: Renovation,
    /// Its charges (deposit, rubbish removal, passes) as the ledger stands today.
    pub charges: Vec<(Bill, BillState)>,
    /// The deposit's refund receipt, once refunded.
    pub refund: Option<Payment>,
}

/// An application as the desk takes it.
#[derive(Debug, Clone)]
pub struct NewRenovation {
    /// The house, as people write it.
    pub house: String,
    /// The owner.
    pub owner: String,
    /// The owner's phone.
    pub phone: String,
    /// The contractor.
    pub contractor: Contractor,
    /// The work items.
    pub items: Vec<WorkItem>,
    /// Planned first and last days.
    pub start: NaiveDate,
    /// Planned last day.
    pub end: NaiveDate,
}

impl Desk {
    /// Takes an application; refused when the house has a renovation not yet closed.
    pub fn apply_renovation(&mut self, new: &NewRenovation, actor: &Actor) -> Result<Renovation, AppError> {
        may(actor.role, Guarded::Renovation)?;
        let house = self.house_at(&new.house)?;
        if let Some(open) = self.renovations()?.into_iter().find(|r| r.house_id == house.id && r.is_active()) {
            return Err(RuleError::OutOfRange {
                field: "the house",
                value: house.address(),
                allowed: format!("one renovation a house: {} ({}) is not yet closed", open.id, open.state().label()),
            }
            .into());
        }
        let settings = SiteSettings::load(&self.store)?;
        let body = RenovationBody {
            house_id: house.id,
            house: house.address(),
            owner: new.owner.clone(),
            phone: new.phone.clone(),
            contractor: new.contractor.clone(),
            items: new.items.clone(),
            planned_start: new.start,
            planned_end: new.end,
            hours: settings.renovation_hours,
            deposit: Fen(settings.renovation_deposit),
            rubbish_fee: Fen(settings.renovation_rubbish_fee),
            pass_fee: Fen(settings.renovation_pass_fee),
            steps: Vec::new(),
            passes: Vec::new(),
            returned: Vec::new(),
            patrols: Vec::new(),
            corrections: Vec::new(),
            deductions: Vec::new(),
            notes: Vec::new(),
        };
        let id = RecordId::random(&mut self.rng);
        let mut doc = renovation::apply(id, self.site.id, self.site.timezone, self.now(), &actor.name, &body)?;
        Ok(wuye_node::Store::typed(self.store.insert_new(&mut doc)?)?)
    }

    /// The site's renovations, newest first.
    pub fn renovations(&self) -> Result<Vec<Renovation>, AppError> {
        let mut all: Vec<Renovation> = self.store.all(Some(self.site.id))?;
        all.reverse();
        Ok(all)
    }

    /// One renovation by id (or its first characters).
    pub fn renovation(&self, id: &str) -> Result<Renovation, AppError> {
        Ok(self.store.get(self.store.resolve(RecordKind::Renovation, id)?)?)
    }

    /// A renovation with its charges as the ledger stands today and the
    /// deposit's refund receipt, once refunded: what its page and its prints show.
    pub fn renovation_view(&self, id: &str) -> Result<RenovationView, AppError> {
        let r = self.renovation(id)?;
        let ledger = self.ledger_of(r.house_id)?;
        let charges: Vec<(Bill, BillState)> = ledger.bills.into_iter().filter(|(b, _)| is_charge_of(&r, b)).collect();
        let deposit = charge_id(&r, DEPOSIT);
        let bill = charges.iter().find(|(b, _)| b.item_id == deposit).map(|(b, _)| b.id);
        let refund = self
            .house_payments(r.house_id)?
            .into_iter()
            .find(|p| p.pay_kind == PayKind::Refund && !p.is_void() && p.lines.iter().any(|l| Some(l.bill) == bill));
        Ok(RenovationView { r, charges, refund })
    }

    /// The bills of a renovation's charges.
    pub fn renovation_bills(&self, r: &Renovation) -> Result<Vec<Bill>, AppError> {
        let mut bills = self.ledger_of(r.house_id)?.bills;
        bills.retain(|(b, _)| is_charge_of(r, b));
        Ok(bills.into_iter().map(|(b, _)| b).collect())
    }

    /// A step on a renovation. Approving bills its deposit and rubbish fee;
    /// the start needs them (and every pass's fee) paid.
    pub fn renovation_step(
        &mut self,
        id: &str,
        action: Action,
        text: &str,
        until: Option<NaiveDate>,
        actor: &Actor,
    ) -> Result<Renovation, AppError> {
        let guard = match action {
            Action::Approve | Action::Refuse | Action::Extend | Action::Close => Guarded::ApproveRenovation,
            Action::Refund => Guarded::Refund,
            _ => Guarded::Renovation,
        };
        may(actor.role, guard)?;
        if action == Action::Refund {
            return Err(RuleError::OutOfRange {
                field: "the step",
                value: action.label().into(),
                allowed: "the deposit's refund, with its deductions (`renovation refund`)".into(),
            }
            .into());
        }
        let r = self.renovation(id)?;
        let ledger = self.ledger_of(r.house_id)?;
        if action == Action::Close {
            let deposit = charge_id(&r, DEPOSIT);
            let paid: u64 = ledger.bills.iter().filter(|(b, _)| b.item_id == deposit).map(|(_, s)| s.paid.0).sum();
            let kept: u64 = r.deductions.iter().map(|d| d.amount.0).sum();
            if paid > kept {
                return Err(RuleError::OutOfRange {
                    field: "the step",
                    value: action.label().into(),
                    allowed: format!(
                        "closing once no money is held: {} of the deposit is still held",
                        Fen(paid - kept)
                    ),
                }
                .into());
            }
        }
        let mine: Vec<_> = ledger.bills.iter().filter(|(b, _)| is_charge_of(&r, b)).collect();
        let paid = Paid(!mine.is_empty() && mine.iter().all(|(_, s)| s.outstanding.0 == 0));
        let now = self.now();
        self.store.edit(r.id, |doc| renovation::step(doc, now, &actor.name, action, text, until, paid))?;
        if action == Action::Approve {
            let house: House = self.store.get(r.house_id)?;
            let charges = [(DEPOSIT, FeeKind::Deposit, r.deposit), (RUBBISH, FeeKind::Rubbish, r.rubbish_fee)];
            let bodies = charges
                .iter()
                .filter(|(_, _, fen)| fen.0 > 0)
                .map(|(name, kind, fen)| self.charge(&r, &house, name, *kind, *fen, name))
                .collect();
            self.insert_bills(bodies, &mut Issued::default(), actor)?;
        }
        self.renovation(&r.id.to_string())
    }

    /// The bill of one of a renovation's charges (`key` makes its id its own).
    fn charge(&self, r: &Renovation, house: &House, name: &str, kind: FeeKind, fen: Fen, key: &str) -> BillBody {
        let today = self.today();
        BillBody {
            house_id: house.id,
            house: house.address(),
            item_id: charge_id(r, key),
            item: name.to_string(),
            fee_kind: kind,
            basis: Basis::Fixed,
            period: Period { start: today, months: 0 },
            from: today,
            quantity: 0,
            readings: None,
            price: Price(fen.0 * 100),
            approval: String::new(),
            amount: fen,
            due: today,
            late: LateRule::NONE,
            reductions: Vec::new(),
        }
    }

    /// Issues a worker's pass (出入证) and bills its fee.
    pub fn renovation_pass(
        &mut self,
        id: &str,
        worker: &str,
        number: &str,
        actor: &Actor,
    ) -> Result<Renovation, AppError> {
        may(actor.role, Guarded::Renovation)?;
        let r = self.renovation(id)?;
        let now = self.now();
        self.store.edit(r.id, |doc| renovation::issue_pass(doc, now, worker, number))?;
        if r.pass_fee.0 > 0 {
            let house: House = self.store.get(r.house_id)?;
            let body = self.charge(&r, &house, PASS, FeeKind::Other, r.pass_fee, &pass_key(number));
            self.insert_bills(vec![body], &mut Issued::default(), actor)?;
        }
        self.renovation(&r.id.to_string())
    }

    /// Takes a pass back.
    pub fn renovation_return_pass(&mut self, id: &str, number: &str, actor: &Actor) -> Result<Renovation, AppError> {
        may(actor.role, Guarded::Renovation)?;
        let r = self.renovation(id)?;
        Ok(wuye_node::Store::typed(self.store.edit(r.id, |doc| renovation::return_pass(doc, number))?)?)
    }

    /// Records a patrol (装修巡查), with a violation if one was found.
    pub fn renovation_patrol(
        &mut self,
        id: &str,
        seen: &str,
        violation: Option<&Violation>,
        actor: &Actor,
    ) -> Result<Renovation, AppError> {
        may(actor.role, Guarded::Renovation)?;
        let r = self.renovation(id)?;
        let now = self.now();
        Ok(wuye_node::Store::typed(
            self.store.edit(r.id, |doc| renovation::patrol(doc, now, &actor.name, seen, violation))?,
        )?)
    }

    /// Records a violation put right (`patrol` is the patrol's number, from 1).
    pub fn renovation_correct(
        &mut self,
        id: &str,
        patrol: usize,
        note: &str,
        actor: &Actor,
    ) -> Result<Renovation, AppError> {
        may(actor.role, Guarded::Renovation)?;
        let r = self.renovation(id)?;
        let now = self.now();
        let at = patrol.saturating_sub(1);
        Ok(wuye_node::Store::typed(self.store.edit(r.id, |doc| renovation::correct(doc, now, &actor.name, at, note))?)?)
    }

    /// Refunds the deposit less `deductions` (a 经理 approves every deduction):
    /// the renovation records them; the ledger gets a refund receipt for the
    /// rest on the deposit's bill and a reduction of that bill by the same,
    /// so the deductions stay as what the office kept.
    pub fn refund_renovation_deposit(
        &mut self,
        id: &str,
        deductions: &[(Fen, String)],
        method: PayMethod,
        actor: &Actor,
    ) -> Result<(Renovation, Option<Payment>), AppError> {
        may(actor.role, Guarded::Refund)?;
        let r = self.renovation(id)?;
        let deposit = self.renovation_bills(&r)?.into_iter().find(|b| b.item == DEPOSIT);
        let deductions: Vec<Deduction> = deductions
            .iter()
            .map(|(amount, reason)| Deduction {
                amount: *amount,
                reason: reason.clone(),
                approved_by: actor.name.clone(),
            })
            .collect();
        let now = self.now();
        let how = method.label().to_string();
        self.store.edit(r.id, |doc| renovation::refund(doc, now, &actor.name, &deductions, &how))?;
        let r = self.renovation(&r.id.to_string())?;
        let back = r.refundable();
        let Some(bill) = deposit.filter(|_| back.0 > 0) else { return Ok((r, None)) };
        self.store.edit(bill.id, |doc| wuye_protocol::bill::reduce(doc, now, &actor.name, back, "装修押金退还"))?;
        let body = PaymentBody {
            receipt: 0,
            pay_kind: PayKind::Refund,
            house_id: r.house_id,
            house: r.house.clone(),
            payer: r.owner.clone(),
            method,
            paid_on: self.today(),
            received: back,
            from_prepaid: Fen::ZERO,
            to_prepaid: Fen::ZERO,
            lines: vec![Line::of(&bill, back)],
            waived_by: String::new(),
            waive_reason: String::new(),
            reverses: None,
            note: format!("装修押金退还（扣除 {}）", Fen(r.deposit.0 - back.0)),
            voids: Vec::new(),
        };
        let payment = self.insert_receipt(body, actor)?;
        Ok((r, Some(payment)))
    }

    /// The deposits held now: principal paid on the deposit bills of
    /// renovations not yet refunded (the ledger's figure, as head office computes it).
    pub fn deposits_held(&self) -> Result<Fen, AppError> {
        let books = crate::fees::Books::load(&self.store, Some(self.site.id))?;
        Ok(crate::renovations::deposits_held(&self.renovations()?, &books, self.today()))
    }

    /// A note on a renovation (跟踪记录).
    pub fn renovation_note(&mut self, id: &str, text: &str, actor: &Actor) -> Result<Renovation, AppError> {
        may(actor.role, Guarded::Renovation)?;
        let r = self.renovation(id)?;
        let now = self.now();
        Ok(wuye_node::Store::typed(self.store.edit(r.id, |doc| renovation::note(doc, now, &actor.name, text))?)?)
    }
}
