use chrono::{DateTime, NaiveDate, Utc};
use proptest::prelude::*;

use super::*;
use crate::fee::bill::{self, BillBody, Reduction};
use crate::fee::payment::{PayKind, PaymentBody, Void};
use crate::fee::{Cycle, FeeKind, PayMethod};
use crate::ids::SiteId;

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn at(text: &str) -> DateTime<Utc> {
    format!("{text}T02:00:00Z").parse().unwrap()
}

const SITE: [u8; 16] = [7; 16];

fn site() -> SiteId {
    serde_json::from_value(serde_json::json!(uuid::Uuid::from_bytes(SITE).to_string())).unwrap()
}

fn rid(n: u8) -> RecordId {
    RecordId::derived(&[&[n]])
}

/// A bill of `amount` fen due on `due`, with 0.05% a day and a 100% cap.
fn bill(n: u8, amount: u64, due: &str) -> Bill {
    let body = BillBody {
        house_id: rid(200),
        house: "1栋101".into(),
        item_id: rid(n),
        item: format!("物业费{n}"),
        fee_kind: FeeKind::Property,
        basis: Basis::Area,
        period: Cycle::Monthly.period_of(day(due)),
        from: Cycle::Monthly.period_of(day(due)).start,
        quantity: 10_000,
        readings: None,
        price: Price(10_000),
        approval: String::new(),
        amount: Fen(amount),
        due: day(due),
        late: LateRule { rate: Rate(500), grace_days: 0, cap: Share::WHOLE },
        reductions: Vec::new(),
    };
    let doc = bill::issue(site(), chrono_tz::Asia::Shanghai, at("2026-01-01"), "收费员", &body).unwrap();
    crate::kind::read(&doc).unwrap()
}

fn payment(
    n: u8,
    on: &str,
    kind: PayKind,
    received: u64,
    lines: Vec<Line>,
    to_prepaid: u64,
    from_prepaid: u64,
) -> Payment {
    Payment {
        id: rid(100 + n),
        site_id: site(),
        body: PaymentBody {
            receipt: u64::from(n),
            pay_kind: kind,
            house_id: rid(200),
            house: "1栋101".into(),
            payer: "张三".into(),
            method: PayMethod::Cash,
            paid_on: day(on),
            received: Fen(received),
            from_prepaid: Fen(from_prepaid),
            to_prepaid: Fen(to_prepaid),
            lines,
            waived_by: String::new(),
            waive_reason: String::new(),
            reverses: None,
            note: String::new(),
            voids: Vec::new(),
        },
        at: crate::time::to_site(at(on), chrono_tz::Asia::Shanghai),
        cashier: "收费员".into(),
    }
}

fn line(b: &Bill, principal: u64, late: u64) -> Line {
    Line { late_fee: Fen(late), ..Line::of(b, Fen(principal)) }
}

#[test]
fn the_worked_example_late_fee_on_part_payments_is_24_yuan_30() {
    let rule = LateRule { rate: Rate::parse("0.05%").unwrap(), grace_days: 0, cap: Share::WHOLE };
    let changes = [(day("2026-04-30"), 40_000), (day("2026-05-31"), 60_000)];
    assert_eq!(late_fee(Fen(100_000), day("2026-03-31"), &rule, &changes, day("2026-05-31")), Fen(2_430));
    // Nothing more accrues once it is all paid.
    assert_eq!(late_fee(Fen(100_000), day("2026-03-31"), &rule, &changes, day("2026-12-31")), Fen(2_430));
    // As of the first payment's day: 30 days on ¥1,000.
    assert_eq!(late_fee(Fen(100_000), day("2026-03-31"), &rule, &changes, day("2026-04-30")), Fen(1_500));
    // On the due date itself, nothing.
    assert_eq!(late_fee(Fen(100_000), day("2026-03-31"), &rule, &changes, day("2026-03-31")), Fen::ZERO);

    // The same through the bill and its payments.
    let b = bill(1, 100_000, "2026-03-31");
    let pays = [
        payment(1, "2026-04-30", PayKind::Receipt, 40_000, vec![line(&b, 40_000, 0)], 0, 0),
        payment(2, "2026-05-31", PayKind::Receipt, 60_000, vec![line(&b, 60_000, 0)], 0, 0),
    ];
    let ledger = house_ledger(vec![b], &pays, day("2026-06-30"));
    let (_, state) = &ledger.bills[0];
    assert_eq!((state.outstanding, state.late_accrued, state.late_owed), (Fen::ZERO, Fen(2_430), Fen(2_430)));
}

#[test]
fn grace_days_and_the_cap_limit_the_late_fee_and_it_is_rounded_once_half_up() {
    let rule = LateRule { rate: Rate(500), grace_days: 10, cap: Share::WHOLE };
    // Due 3-31 with 10 days' grace: accrues from 4-11; as of 4-20 that is 10 days.
    assert_eq!(late_fee(Fen(100_000), day("2026-03-31"), &rule, &[], day("2026-04-20")), Fen(500));
    assert_eq!(late_fee(Fen(100_000), day("2026-03-31"), &rule, &[], day("2026-04-10")), Fen::ZERO);
    // Capped at 10% of the principal.
    let capped = LateRule { cap: Share::parse("10%").unwrap(), ..rule };
    assert_eq!(late_fee(Fen(100_000), day("2026-03-31"), &capped, &[], day("2030-01-01")), Fen(10_000));
    // ¥0.01 at 0.05% a day for 1 day is 0.000005 fen: rounds to nothing; ¥10 for 1 day: 0.5 fen rounds up.
    let daily = LateRule { grace_days: 0, ..rule };
    assert_eq!(late_fee(Fen(1), day("2026-03-31"), &daily, &[], day("2026-04-01")), Fen::ZERO);
    assert_eq!(late_fee(Fen(1_000), day("2026-03-31"), &daily, &[], day("2026-04-01")), Fen(1));
    // Rounded once: 3 days on ¥3.00 is 0.45 fen, not 3 × 0.15 rounded each day.
    assert_eq!(late_fee(Fen(300), day("2026-03-31"), &daily, &[], day("2026-04-03")), Fen::ZERO);
    assert_eq!(late_fee(Fen(300), day("2026-03-31"), &daily, &[], day("2026-04-04")), Fen(1));
}

#[test]
fn a_part_month_is_billed_by_its_days_over_the_months_days() {
    let price = |_| Some(Price::parse("2.35").unwrap());
    let march = Cycle::Monthly.period_of(day("2026-03-01"));
    // 89.50 m² × ¥2.35 = ¥210.325 a month → ¥210.33.
    assert_eq!(amount(Basis::Area, march, day("2026-03-01"), 8_950, price), Some(Fen(21_033)));
    // Handed over 3-20: 12 of 31 days → ¥81.42 (81.4161…).
    assert_eq!(amount(Basis::Area, march, day("2026-03-20"), 8_950, price), Some(Fen(8_142)));
    // A quarter from 2-15 (Q1): 14/28 of February plus all of March, rounded once.
    let q1 = Cycle::Quarterly.period_of(day("2026-02-15"));
    assert_eq!(q1.label(), "2026年1月至3月");
    assert_eq!(amount(Basis::Area, q1, day("2026-02-15"), 8_950, price), Some(Fen(31_549)));
    // A fixed ¥300 a quarter, from 3-17: 15/31 of ¥100.
    assert_eq!(
        amount(Basis::Fixed, q1, day("2026-03-17"), 0, |_| Some(Price::parse("300").unwrap())),
        Some(Fen(4_839))
    );
    // Metered: 12.5 t × ¥3.45 = ¥43.125 → ¥43.13; never pro rata.
    assert_eq!(
        amount(Basis::Meter, march, day("2026-03-20"), 1_250, |_| Some(Price::parse("3.45").unwrap())),
        Some(Fen(4_313))
    );
    // Before the period ends nothing is billable after it: a house handed over after the period.
    assert_eq!(amount(Basis::Area, march, day("2026-04-02"), 8_950, price), Some(Fen::ZERO));
}

#[test]
fn a_price_change_mid_year_applies_from_its_month_and_each_month_uses_its_own_price() {
    let year = Cycle::Yearly.period_of(day("2026-05-05"));
    let price = |d: NaiveDate| Some(Price::parse(if d < day("2026-07-01") { "2" } else { "2.5" }).unwrap());
    // 100 m²: six months at ¥200 and six at ¥250.
    assert_eq!(amount(Basis::Area, year, year.start, 10_000, price), Some(Fen(270_000)));
    // No price in force for a month: nothing can be billed.
    let later = |d: NaiveDate| (d >= day("2026-07-01")).then(|| Price::parse("2.5").unwrap());
    assert_eq!(amount(Basis::Area, year, year.start, 10_000, later), None);
}

#[test]
fn a_payment_pays_principal_first_oldest_bills_first_then_late_fees_then_the_prepaid_balance() {
    let (old, new) = (bill(1, 10_000, "2026-01-31"), bill(2, 10_000, "2026-02-28"));
    let ledger = house_ledger(vec![new.clone(), old.clone()], &[], day("2026-03-10"));
    assert_eq!(ledger.bills[0].0.id, old.id, "oldest first");
    let late: u64 = ledger.bills.iter().map(|(_, s)| s.late_owed.0).sum();
    assert!(late > 0);

    // ¥150: all of the old bill, half of the new one, no late fee.
    let a = allocate(&ledger, Fen(15_000), &[], Ask::All { waive: false }).unwrap();
    assert_eq!(
        a.lines.iter().map(|l| (l.bill, l.principal.0, l.late_fee.0)).collect::<Vec<_>>(),
        [(old.id, 10_000, 0), (new.id, 5_000, 0)]
    );
    // ¥250: both, the late fees, and the rest to the prepaid balance.
    let a = allocate(&ledger, Fen(25_000), &[], Ask::All { waive: false }).unwrap();
    assert_eq!(a.lines.iter().map(|l| l.late_fee.0).sum::<u64>(), late);
    assert_eq!(a.to_prepaid, Fen(5_000 - late));
    // Waived: the late fees are marked waived and the rest is prepaid.
    let a = allocate(&ledger, Fen(25_000), &[], Ask::All { waive: true }).unwrap();
    assert_eq!(a.lines.iter().map(|l| l.late_waived.0).sum::<u64>(), late);
    assert_eq!(a.to_prepaid, Fen(5_000));
    // The payer names the newer bill.
    let a = allocate(&ledger, Fen(10_000), &[new.id], Ask::PrincipalOnly).unwrap();
    assert_eq!(a.lines.iter().map(|l| l.bill).collect::<Vec<_>>(), [new.id]);
}

#[test]
fn a_prepaid_balance_pays_later_bills_and_a_refund_gives_back_exactly_what_its_payment_did() {
    let b1 = bill(1, 10_000, "2026-01-31");
    let first = payment(1, "2026-01-10", PayKind::Receipt, 30_000, vec![line(&b1, 10_000, 0)], 20_000, 0);
    let b2 = bill(2, 10_000, "2026-02-28");
    let ledger = house_ledger(vec![b1.clone(), b2.clone()], std::slice::from_ref(&first), day("2026-02-01"));
    assert_eq!((ledger.prepaid, ledger.outstanding), (Fen(20_000), Fen(10_000)));
    let a = allocate(&ledger, Fen::ZERO, &[], Ask::PrincipalOnly).unwrap();
    assert_eq!((a.from_prepaid, a.to_prepaid, a.lines.len()), (Fen(10_000), Fen::ZERO, 1));
    let using = payment(2, "2026-02-01", PayKind::PrepaidUse, 0, a.lines, 0, 10_000);
    let ledger = house_ledger(vec![b1.clone(), b2.clone()], &[first.clone(), using.clone()], day("2026-02-01"));
    assert_eq!((ledger.prepaid, ledger.outstanding), (Fen(10_000), Fen::ZERO));

    // The first payment refunded whole: its bill is owed again and its prepaid part is gone.
    let mut refund = payment(3, "2026-02-02", PayKind::Refund, 30_000, first.lines.clone(), 20_000, 0);
    refund.body.reverses = Some(first.id);
    let all = [first.clone(), using.clone(), refund];
    let ledger = house_ledger(vec![b1.clone(), b2.clone()], &all, day("2026-02-02"));
    assert_eq!((ledger.prepaid, ledger.outstanding), (Fen::ZERO, Fen(10_000)));

    // A voided payment counts for nothing.
    let mut voided = first;
    voided.body.voids.push(Void { reason: "收错房号".into(), by: "经理".into(), at: String::new() });
    let ledger = house_ledger(vec![b1, b2], &[voided], day("2026-02-02"));
    assert_eq!((ledger.prepaid, ledger.outstanding), (Fen::ZERO, Fen(20_000)));
}

#[test]
fn a_reduction_granted_while_the_house_paid_turns_the_overlap_into_prepaid() {
    let mut b = bill(1, 10_000, "2026-01-31");
    let paid = payment(1, "2026-01-10", PayKind::Receipt, 10_000, vec![line(&b, 10_000, 0)], 0, 0);
    b.body.reductions.push(Reduction {
        amount: Fen(3_000),
        reason: "空置".into(),
        by: "总部".into(),
        at: String::new(),
    });
    let ledger = house_ledger(vec![b], &[paid], day("2026-03-01"));
    let (_, s) = &ledger.bills[0];
    assert_eq!((s.principal, s.paid, s.outstanding, s.overpaid), (Fen(7_000), Fen(7_000), Fen::ZERO, Fen(3_000)));
    assert_eq!(ledger.prepaid, Fen(3_000));
}

/// One step of the random ledger.
#[derive(Debug, Clone)]
enum Op {
    Bill { amount: u64, due_in: u16 },
    Pay { days: u16, amount: u64, waive: bool },
    Reduce { which: usize, share: u8 },
    Refund { which: usize, days: u16 },
    Void { which: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1..500_000u64, 0..120u16).prop_map(|(amount, due_in)| Op::Bill { amount, due_in }),
        (0..60u16, 0..800_000u64, any::<bool>()).prop_map(|(days, amount, waive)| Op::Pay { days, amount, waive }),
        (0..16usize, 1..100u8).prop_map(|(which, share)| Op::Reduce { which, share }),
        (0..16usize, 0..30u16).prop_map(|(which, days)| Op::Refund { which, days }),
        (0..16usize).prop_map(|which| Op::Void { which }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// For random bills, payments, reductions, refunds and voids, the ledger
    /// balances (principal = paid + outstanding on every bill; money in less
    /// money out = principal paid + late fees paid + the prepaid balance),
    /// and late fees are never negative nor past the cap.
    #[test]
    fn the_ledger_always_balances_and_late_fees_stay_within_the_cap(ops in proptest::collection::vec(op(), 1..40)) {
        let mut bills: Vec<Bill> = Vec::new();
        let mut pays: Vec<Payment> = Vec::new();
        let mut today = day("2026-01-01");
        for (n, op) in ops.into_iter().enumerate() {
            let n = u8::try_from(n).unwrap();
            match op {
                Op::Bill { amount, due_in } => {
                    let mut b = bill(n, amount, &(today + chrono::Days::new(u64::from(due_in))).to_string());
                    b.id = rid(n);
                    bills.push(b);
                }
                Op::Pay { days, amount, waive } => {
                    today = today + chrono::Days::new(u64::from(days));
                    let ledger = house_ledger(bills.clone(), &pays, today);
                    let a = allocate(&ledger, Fen(amount), &[], Ask::All { waive }).unwrap();
                    let mut p = payment(n, &today.to_string(), PayKind::Receipt, amount, a.lines, a.to_prepaid.0, a.from_prepaid.0);
                    p.id = rid(100u8.wrapping_add(n));
                    pays.push(p);
                }
                Op::Reduce { which, share } => {
                    if let Some(b) = bills.get_mut(which) {
                        let amount = b.principal().0 * u64::from(share) / 100;
                        if amount > 0 {
                            b.body.reductions.push(Reduction { amount: Fen(amount), reason: "减免".into(), by: "经理".into(), at: String::new() });
                        }
                    }
                }
                Op::Refund { which, days } => {
                    let target = pays.iter().filter(|p| p.pay_kind == PayKind::Receipt && !p.is_void()).nth(which).cloned();
                    let refunded = pays.iter().any(|p| Some(p.reverses) == target.as_ref().map(|t| Some(t.id)));
                    if let (Some(t), false) = (target, refunded) {
                        today = today + chrono::Days::new(u64::from(days));
                        let mut r = payment(n, &today.to_string(), PayKind::Refund, t.received.0, t.lines.clone(), t.to_prepaid.0, t.from_prepaid.0);
                        r.id = rid(100u8.wrapping_add(n));
                        r.body.reverses = Some(t.id);
                        pays.push(r);
                    }
                }
                Op::Void { which } => {
                    // As at the desk: a payment refunded is not voided (void the refund first).
                    let refunded = |id| pays.iter().any(|r| r.reverses == Some(id) && !r.is_void());
                    if let Some(p) = pays.get(which).map(|p| p.id).filter(|id| !refunded(*id)).and_then(|id| pays.iter_mut().find(|p| p.id == id)) {
                        p.body.voids.push(Void { reason: "作废".into(), by: "经理".into(), at: String::new() });
                    }
                }
            }
            let ledger = house_ledger(bills.clone(), &pays, today);
            let mut accounted: i64 = ledger.prepaid.0 as i64;
            for (b, s) in &ledger.bills {
                prop_assert_eq!(b.principal().0, s.paid.0 + s.outstanding.0);
                prop_assert_eq!(b.amount.0 - b.reduced().0, s.paid.0 + s.outstanding.0);
                let cap = b.principal().0 * b.late.cap.0 / 10_000;
                prop_assert!(s.late_accrued.0 <= cap, "late fee {} past the cap {}", s.late_accrued.0, cap);
                prop_assert_eq!(s.late_accrued.0, s.late_paid.0 + s.late_waived.0 + s.late_owed.0);
                accounted += (s.paid.0 + s.late_paid.0) as i64;
            }
            let cash: i64 = pays.iter().filter(|p| !p.is_void()).map(|p| p.sign() * p.received.0 as i64).sum();
            // Before a refund the prepaid balance it reverses may have been spent: the balance
            // then shows below zero, clamped; the books still hold once it is not.
            let raw_prepaid: i64 = pays.iter().filter(|p| !p.is_void()).map(|p| p.sign() * (p.to_prepaid.0 as i64 - p.from_prepaid.0 as i64)).sum::<i64>()
                + ledger.bills.iter().map(|(_, s)| s.overpaid.0 as i64).sum::<i64>();
            if raw_prepaid >= 0 {
                prop_assert_eq!(cash, accounted);
            }
        }
    }
}
