use chrono::{DateTime, NaiveDate, Utc};

use super::bill::{self, Bill, BillBody};
use super::fee_item::{self, FeeItem, ItemBody, Version};
use super::ledger::LateRule;
use super::meter::{self, MeterReading, ReadingBody};
use super::payment::{self, Line, PayKind, Payment, PaymentBody};
use super::*;
use crate::house::HouseType;
use crate::ids::{RecordId, SiteId};

const TZ: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

fn now() -> DateTime<Utc> {
    "2026-03-20T02:00:00Z".parse().unwrap()
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn site() -> SiteId {
    SiteId::random(&mut rand::thread_rng())
}

#[test]
fn prices_rates_shares_and_quantities_are_read_as_offices_write_them_and_shown_back() {
    assert_eq!(Price::parse("2.35").unwrap(), Price(23_500));
    assert_eq!(Price::parse("¥0.588").unwrap().to_string(), "¥0.588");
    assert_eq!(Price::parse("300").unwrap().to_string(), "¥300");
    for bad in ["", "0", "-1", "1.23456", "两块"] {
        assert!(Price::parse(bad).is_err(), "{bad}");
    }
    assert_eq!(Rate::parse("0.05%").unwrap(), Rate(500));
    assert_eq!(Rate::parse("3‰").unwrap(), Rate(3_000));
    assert_eq!(Rate(500).to_string(), "0.05%");
    assert!(Rate::parse("2%").is_err() && Rate::parse("0.05").is_err());
    assert_eq!(Share::parse("100%").unwrap(), Share::WHOLE);
    assert!(Share::parse("120%").is_err());
    assert_eq!(parse_quantity("area", "89.5").unwrap(), 8_950);
    assert_eq!(show_quantity(8_950), "89.5");
    assert_eq!(parse_month("2026年3月").unwrap(), day("2026-03-01"));
    assert!(parse_month("2026-13").is_err());
}

#[test]
fn periods_follow_the_calendar_and_are_named_as_offices_name_them() {
    assert_eq!(Cycle::Quarterly.period_of(day("2026-05-17")).label(), "2026年4月至6月");
    assert_eq!(Cycle::HalfYearly.period_of(day("2026-12-31")).end(), day("2026-12-31"));
    assert_eq!(Cycle::Yearly.period_of(day("2026-02-01")).key(), "2026-01");
    assert_eq!(Cycle::Monthly.period_of(day("2026-02-10")).end(), day("2026-02-28"));
    assert_eq!(Cycle::Once.period_of(day("2026-02-10")).key(), "once");
}

fn item_body(kind: FeeKind, basis: Basis, rate: &str) -> ItemBody {
    ItemBody {
        name: "物业费".into(),
        fee_kind: kind,
        basis,
        meter: (basis == Basis::Meter).then_some(MeterKind::Water),
        cycle: Cycle::Monthly,
        due_day: 31,
        applies_to: vec![HouseType::Home],
        versions: vec![Version {
            from: day("2026-01-01"),
            price: Price::parse("2.35").unwrap(),
            approval: "价批〔2025〕12号".into(),
            late: LateRule { rate: Rate::parse(rate).unwrap(), grace_days: 0, cap: Share::WHOLE },
            by: "经理".into(),
            at: String::new(),
        }],
    }
}

#[test]
fn a_fee_item_keeps_its_prices_by_date_and_refuses_late_fees_on_money_collected_for_others() {
    let body = item_body(FeeKind::Property, Basis::Area, "0.05%");
    let mut doc =
        fee_item::create(RecordId::random(&mut rand::thread_rng()), site(), TZ, now(), "经理", &body).unwrap();
    let v2 = Version { from: day("2026-07-01"), price: Price::parse("2.5").unwrap(), ..body.versions[0].clone() };
    fee_item::add_version(&mut doc, &v2).unwrap();
    let item: FeeItem = crate::kind::read(&doc).unwrap();
    assert_eq!(item.version_on(day("2026-06-30")).unwrap().price, Price(23_500));
    assert_eq!(item.version_on(day("2026-07-01")).unwrap().price, Price(25_000));
    assert!(item.version_on(day("2025-12-31")).is_none());

    let water = item_body(FeeKind::Water, Basis::Meter, "0.05%");
    let refused = fee_item::create(RecordId::random(&mut rand::thread_rng()), site(), TZ, now(), "经理", &water);
    assert!(refused.unwrap_err().to_string().contains("水费"));
    let mut quarterly_meter = item_body(FeeKind::Water, Basis::Meter, "0");
    quarterly_meter.cycle = Cycle::Quarterly;
    assert!(fee_item::create(RecordId::random(&mut rand::thread_rng()), site(), TZ, now(), "经理", &quarterly_meter)
        .is_err());
}

fn bill_body(house: RecordId, item: RecordId) -> BillBody {
    let period = Cycle::Monthly.period_of(day("2026-03-01"));
    BillBody {
        house_id: house,
        house: "1栋101".into(),
        item_id: item,
        item: "物业费".into(),
        fee_kind: FeeKind::Property,
        basis: Basis::Area,
        period,
        from: period.start,
        quantity: 8_950,
        readings: None,
        price: Price(23_500),
        approval: String::new(),
        amount: Fen(21_033),
        due: day("2026-03-31"),
        late: LateRule::NONE,
        reductions: Vec::new(),
    }
}

#[test]
fn a_bills_id_comes_from_its_site_house_item_and_period_and_reductions_merge_from_both_sides() {
    let (s, house, item) =
        (site(), RecordId::random(&mut rand::thread_rng()), RecordId::random(&mut rand::thread_rng()));
    let a = bill::issue(s, TZ, now(), "收费员", &bill_body(house, item)).unwrap();
    let b = bill::issue(s, TZ, now() + chrono::Duration::hours(3), "另一人", &bill_body(house, item)).unwrap();
    let (a_view, b_view): (Bill, Bill) = (crate::kind::read(&a).unwrap(), crate::kind::read(&b).unwrap());
    assert_eq!(a_view.id, b_view.id);
    let other_month = BillBody {
        period: Cycle::Monthly.period_of(day("2026-04-01")),
        from: day("2026-04-01"),
        ..bill_body(house, item)
    };
    let c: Bill = crate::kind::read(&bill::issue(s, TZ, now(), "收费员", &other_month).unwrap()).unwrap();
    assert_ne!(a_view.id, c.id);

    let mut site_copy = a;
    let mut office_copy = site_copy.fork();
    bill::reduce(&mut site_copy, now(), "经理", Fen(1_000), "空置减免").unwrap();
    bill::reduce(&mut office_copy, now(), "总部", Fen(2_000), "维修补偿").unwrap();
    site_copy.merge(&mut office_copy).unwrap();
    office_copy.merge(&mut site_copy).unwrap();
    let (x, y): (Bill, Bill) = (crate::kind::read(&site_copy).unwrap(), crate::kind::read(&office_copy).unwrap());
    assert_eq!(x, y);
    assert_eq!(x.principal(), Fen(21_033 - 3_000));
    assert!(bill::reduce(&mut site_copy, now(), "经理", Fen(99_999), "太多").is_err());
}

#[test]
fn a_payment_must_add_up_a_refund_needs_a_reason_and_a_void_keeps_the_number() {
    let s = site();
    let b: Bill = crate::kind::read(
        &bill::issue(
            s,
            TZ,
            now(),
            "收费员",
            &bill_body(RecordId::random(&mut rand::thread_rng()), RecordId::random(&mut rand::thread_rng())),
        )
        .unwrap(),
    )
    .unwrap();
    let body = PaymentBody {
        receipt: 7,
        pay_kind: PayKind::Receipt,
        house_id: b.house_id,
        house: b.house.clone(),
        payer: "张三".into(),
        method: PayMethod::Wechat,
        paid_on: day("2026-03-20"),
        received: Fen(30_000),
        from_prepaid: Fen::ZERO,
        to_prepaid: Fen(30_000 - 21_033),
        lines: vec![Line::of(&b, Fen(21_033))],
        waived_by: String::new(),
        waive_reason: String::new(),
        reverses: None,
        note: String::new(),
        voids: Vec::new(),
    };
    let id = RecordId::random(&mut rand::thread_rng());
    let mut doc = payment::take(id, s, TZ, now(), "收费员", &body).unwrap();
    let short = PaymentBody { to_prepaid: Fen::ZERO, ..body.clone() };
    assert!(payment::take(id, s, TZ, now(), "收费员", &short).unwrap_err().to_string().contains("must equal"));
    let refund = PaymentBody { pay_kind: PayKind::Refund, ..body.clone() };
    assert!(payment::take(id, s, TZ, now(), "收费员", &refund).is_err());
    let no_receipt = PaymentBody { receipt: 0, ..body };
    assert!(payment::take(id, s, TZ, now(), "收费员", &no_receipt).is_err());

    payment::void(&mut doc, now(), "经理", "收错房号").unwrap();
    let p: Payment = crate::kind::read(&doc).unwrap();
    assert!(p.is_void());
    assert_eq!(p.number(), "00000007");
    assert!(payment::void(&mut doc, now(), "经理", "再次").is_err());
}

#[test]
fn a_reading_below_the_last_is_refused_unless_the_meter_was_replaced_and_use_never_counts_across_a_replacement() {
    let body = ReadingBody {
        house_id: RecordId::random(&mut rand::thread_rng()),
        house: "1栋101".into(),
        meter: MeterKind::Water,
        reading: 1_000,
        read_on: day("2026-03-20"),
        reader: "抄表员".into(),
        replacement: false,
        move_in: None,
    };
    let id = RecordId::random(&mut rand::thread_rng());
    let s = site();
    let refused = meter::record(id, s, TZ, now(), "抄表员", &body, Some(2_000)).unwrap_err().to_string();
    assert!(refused.contains("previous reading 20") && refused.contains("replacement"), "{refused}");
    let replaced = ReadingBody { replacement: true, ..body.clone() };
    meter::record(id, s, TZ, now(), "抄表员", &replaced, Some(2_000)).unwrap();

    let read = |reading: u64, replacement: bool| -> MeterReading {
        let b = ReadingBody { reading, replacement, ..body.clone() };
        crate::kind::read(&meter::record(id, s, TZ, now(), "抄表员", &b, None).unwrap()).unwrap()
    };
    let readings = [read(1_000, false), read(1_500, false), read(20, true), read(320, false)];
    assert_eq!(meter::used(&readings.iter().collect::<Vec<_>>()), 500 + 300);
}

#[test]
fn a_day_close_counts_receipts_refunds_and_voids_by_method() {
    use super::day_close::CloseBody;
    let s = site();
    let house = RecordId::random(&mut rand::thread_rng());
    let take = |receipt: u64, kind: PayKind, method: PayMethod, yuan: u64| -> Payment {
        let body = PaymentBody {
            receipt,
            pay_kind: kind,
            house_id: house,
            house: "1栋101".into(),
            payer: "张三".into(),
            method,
            paid_on: day("2026-03-20"),
            received: Fen::yuan(yuan),
            from_prepaid: Fen::ZERO,
            to_prepaid: Fen::yuan(yuan),
            lines: Vec::new(),
            waived_by: String::new(),
            waive_reason: String::new(),
            reverses: None,
            note: if kind == PayKind::Refund { "退预存".into() } else { String::new() },
            voids: Vec::new(),
        };
        let id = RecordId::random(&mut rand::thread_rng());
        crate::kind::read(&payment::take(id, s, TZ, now(), "收费员", &body).unwrap()).unwrap()
    };
    let cash = take(1, PayKind::Receipt, PayMethod::Cash, 100);
    let mut doc = payment::take(
        RecordId::random(&mut rand::thread_rng()),
        s,
        TZ,
        now(),
        "收费员",
        &PaymentBody { receipt: 2, method: PayMethod::Wechat, ..take(2, PayKind::Receipt, PayMethod::Wechat, 50).body },
    )
    .unwrap();
    payment::void(&mut doc, now(), "经理", "重复").unwrap();
    let voided: Payment = crate::kind::read(&doc).unwrap();
    let refund = take(3, PayKind::Refund, PayMethod::Cash, 30);
    let close = CloseBody::of(day("2026-03-20"), &[&cash, &voided, &refund]);
    assert_eq!((close.count, close.voided, close.receipts), (2, 1, (1, 3)));
    assert_eq!(close.net(), 7_000);
    assert_eq!(close.by_method(), vec![("现金", Fen::yuan(100), Fen::yuan(30))]);
    assert_eq!(close.prepaid, 7_000);
}
