//! Fees in the socket-free harness: a month of bills, part payments, a
//! refund, a void, chasing and day closes at a site that syncs only now and
//! then, with head office's figures equal to this test's own arithmetic;
//! receipt numbers gap-free across the site's offline days; and a payment
//! at the site merged with a reduction granted at head office at the same
//! time, the same on both sides.

use chrono::{Duration, NaiveDate};
use wuye_app::desk::{Actor, NewChase, NewFeeItem, NewPayment, NewPrice};
use wuye_app::fees::{self, Books};
use wuye_app::kpi::Period;
use wuye_node::Records as _;
use wuye_protocol::bill::Bill;
use wuye_protocol::fee::ledger::LateRule;
use wuye_protocol::fee::{Basis, ChaseWay, Cycle, FeeKind, PayMethod, Price, Rate, Share};
use wuye_protocol::house::{self, House, HouseState};
use wuye_protocol::money::Fen;
use wuye_protocol::payment::Payment;
use wuye_protocol::staff::Role;
use wuye_server::people::Actor as OfficeActor;
use wuye_tests::harness::Network;

/// Three houses (89.50, 120 and 60 m²), handed over today (2026-11-27, a Friday).
const AREAS: [(&str, u64); 3] = [("1栋101", 8_950), ("1栋102", 12_000), ("1栋103", 6_000)];

fn today(net: &Network) -> NaiveDate {
    let desk = &net.sites[0].desk;
    desk.now().with_timezone(&desk.site.timezone).date_naive()
}

/// A site with its houses handed over and a 物业费 of ¥2 a m² a month
/// (0.05% a day late, no grace); returns the 经理 and the 收费员.
fn site_with_fees(net: &mut Network) -> (Actor, Actor) {
    net.add_site("朝阳花园管理处");
    let desk = &mut net.sites[0].desk;
    let manager = Actor::of(&desk.add_staff("王经理", Role::Manager, "客服中心").unwrap());
    let cashier = Actor::of(&desk.add_staff("钱会计", Role::Finance, "客服中心").unwrap());
    let mut sheet: Vec<Vec<String>> =
        vec![["楼栋", "单元", "楼层", "房号", "类型", "建筑面积"].map(String::from).to_vec()];
    for (n, (_, area)) in AREAS.iter().enumerate() {
        let room = format!("10{}", n + 1);
        let area = format!("{}.{:02}", area / 100, area % 100);
        sheet.push(vec!["1栋".into(), String::new(), "1".into(), room, "住宅".into(), area]);
    }
    desk.import_houses(&sheet, &manager).unwrap();
    let now = desk.now();
    for h in desk.houses(None, None).unwrap() {
        desk.store.edit(h.id, |doc| house::set_state(doc, now, "王经理", HouseState::HandedOver, "交付")).unwrap();
    }
    let item = NewFeeItem {
        name: "物业费".into(),
        fee_kind: FeeKind::Property,
        basis: Basis::Area,
        meter: None,
        cycle: Cycle::Monthly,
        due_day: 31,
        applies_to: Vec::new(),
        price: NewPrice {
            from: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            price: Price::parse("2").unwrap(),
            approval: "价批〔2026〕8号".into(),
            late: LateRule { rate: Rate::parse("0.05%").unwrap(), grace_days: 0, cap: Share::WHOLE },
        },
    };
    desk.add_fee_item(&item, &cashier).unwrap();
    (manager, cashier)
}

fn pay(net: &mut Network, cashier: &Actor, house: &str, yuan: u64) -> Payment {
    let new = NewPayment {
        house,
        payer: "业主",
        method: PayMethod::Wechat,
        amount: Fen::yuan(yuan),
        bills: Vec::new(),
        waive: None,
    };
    net.sites[0].desk.take_payment(&new, cashier).unwrap()
}

/// This test's own arithmetic: a month of `area` (hundredths of m²) at ¥2, `days` of `of`, rounded half up.
fn month_fen(area: u64, days: u64, of: u64) -> u64 {
    let exact_times_2 = 2 * area * 2 * days; // fen × 2 × `of`: area/100 m² × 200 fen × days/of, doubled
    (exact_times_2 + of) / (2 * of)
}

#[test]
fn a_month_of_bills_payments_a_refund_chasing_and_closes_gives_head_office_the_sites_figures() {
    let mut net = Network::new(15);
    let (manager, cashier) = site_with_fees(&mut net);
    net.run_until_quiescent();

    // November: 4 days of 30 (27th to 30th). Issued twice: nothing twice.
    let nov = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    let first = net.sites[0].desk.issue_bills(nov, &cashier).unwrap();
    assert_eq!((first.created, first.existing), (3, 0));
    let again = net.sites[0].desk.issue_bills(nov, &cashier).unwrap();
    assert_eq!((again.created, again.existing), (0, 3));
    let nov_bills: Vec<u64> = AREAS.iter().map(|(_, a)| month_fen(*a, 4, 30)).collect();
    assert_eq!(first.amount.0, nov_bills.iter().sum::<u64>());

    // December: whole months.
    net.clock.advance(Duration::days(5)); // 12-02
    let dec = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let issued = net.sites[0].desk.issue_bills(dec, &cashier).unwrap();
    let dec_bills: Vec<u64> = AREAS.iter().map(|(_, a)| a * 2).collect();
    assert_eq!((issued.created, issued.amount.0), (3, dec_bills.iter().sum::<u64>()));

    // 12-02: 101 pays ¥300 (both bills, two days' late fee on November's, due 11-30, and the rest
    // prepaid); 102 pays ¥20 (part of November's);
    // 103 pays ¥50 by mistake, refunded by the 经理; a receipt taken in error is voided.
    let a = pay(&mut net, &cashier, "1栋101", 300);
    let late_101 = (nov_bills[0] * 2 * 500 * 2 + 1_000_000) / 2_000_000;
    assert_eq!(a.late_fees().0, late_101);
    assert_eq!(a.to_prepaid.0, 30_000 - nov_bills[0] - dec_bills[0] - late_101);
    let b = pay(&mut net, &cashier, "1栋102", 20);
    let wrong = pay(&mut net, &cashier, "1栋103", 50);
    let refund = net.sites[0].desk.refund_payment(&wrong.number(), "收错了", &manager).unwrap();
    let voided = pay(&mut net, &cashier, "1栋102", 10);
    net.sites[0].desk.void_receipt(&voided.number(), "重复收款", &cashier).unwrap();
    let close = net.sites[0].desk.close_day(&cashier).unwrap();
    // The cashier's close holds the cashier's receipts; the 经理's refund is in the 经理's.
    assert_eq!((close.count, close.voided), (3, 1));
    assert_eq!(close.net(), (300 + 20 + 50) * 100);
    let managers = net.sites[0].desk.close_day(&manager).unwrap();
    assert_eq!((managers.count, managers.net()), (1, -50 * 100));
    let refused = net.sites[0].desk.void_receipt(&b.number(), "日结后", &cashier).unwrap_err().to_string();
    assert!(refused.contains("日结"), "{refused}");
    assert_eq!(
        [a.receipt, b.receipt, wrong.receipt, refund.receipt, voided.receipt],
        [1, 2, 3, 4, 5],
        "receipt numbers are the site's, gap-free"
    );

    // 12-20: 103 is 20 days past November's due date (11-30): the first level of chasing.
    net.clock.advance(Duration::days(18));
    let promised = today(&net) + Duration::days(8);
    let chase = NewChase {
        house: "1栋103",
        way: ChaseWay::Phone,
        result: "业主出差，月底回来交",
        promised: Some(promised),
        complaint: None,
    };
    let reminder = net.sites[0].desk.chase(&chase, &cashier).unwrap();
    assert_eq!((reminder.level, reminder.overdue_days), (1, 20));
    let arrears = net.sites[0].desk.arrears().unwrap();
    assert_eq!(arrears.iter().map(|a| a.house.as_str()).collect::<Vec<_>>(), ["1栋102", "1栋103"]);

    // 12-28: the promise falls due on the board; 102 pays the rest of November's bill.
    net.clock.advance(Duration::days(8));
    assert_eq!(net.sites[0].desk.board().unwrap().promises_due.len(), 1);
    let rest = nov_bills[1] - 2_000;
    let c = net.sites[0]
        .desk
        .take_payment(
            &NewPayment {
                house: "1栋102",
                payer: "业主",
                method: PayMethod::Cash,
                amount: Fen(rest),
                bills: Vec::new(),
                waive: None,
            },
            &cashier,
        )
        .unwrap();
    assert_eq!(c.receipt, 6);
    net.sites[0].desk.close_day(&cashier).unwrap();
    net.run_until_quiescent();

    // The test's own figures for December, as of 12-28:
    // billed: the three December bills; collected: only 101's December bill was paid (in full).
    let billed = dec_bills.iter().sum::<u64>();
    let collected = dec_bills[0];
    // past arrears: November's three bills, due 11-30, were owed at December's start; 101's and
    // 102's were paid in December.
    let past = nov_bills.iter().sum::<u64>();
    let past_collected = nov_bills[0] + nov_bills[1];
    let (site_money, office_money) = {
        let desk = &net.sites[0].desk;
        let books = Books::load(&desk.store, Some(desk.site.id)).unwrap();
        let site = fees::money(&books, dec, NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(), today(&net));
        let book = net.office.book(None, Period::month_of(dec)).unwrap();
        (site, book.money[0].clone())
    };
    assert_eq!(site_money, office_money, "head office computes what the site does");
    assert_eq!((office_money.billed.0, office_money.collected.0), (billed, collected));
    assert_eq!((office_money.houses_billed, office_money.houses_paid), (3, 1));
    assert_eq!((office_money.past_arrears.0, office_money.past_collected.0), (past, past_collected));
    assert_eq!(office_money.net_received, ((300 + 20 + 50 - 50) * 100 + rest) as i64);
    // 102 paid November's rest on 12-28: late fee 0.05% a day on what was unpaid each day after 12-01
    // (¥20 paid 12-02 counts from 12-03): 2 days on the whole, 26 days (to 12-28) on the rest; not yet paid.
    let late_102 = (nov_bills[1] * 2 + rest * 26) * 500;
    let late_102 = (late_102 * 2 + 1_000_000) / 2_000_000;
    let (_, ledger) = net.sites[0].desk.house_ledger("1栋102").unwrap();
    assert_eq!(ledger.late_owed.0, late_102);
    assert_eq!(office_money.late_collected, Fen(late_101));
    assert!(office_money.collection_rate.is_some_and(|r| (r - 100.0 * collected as f64 / billed as f64).abs() < 1e-9));
    // January's past arrears: what was owed at its start on bills due before it (102's December,
    // 103's November and December).
    let jan = net.office.book(None, Period::month_of(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap())).unwrap();
    assert_eq!(jan.money[0].past_arrears.0, dec_bills[1] + nov_bills[2] + dec_bills[2]);
    // In January 103 pays all it owes: January's 清欠率 is what it paid of the arrears at January's start.
    net.clock.advance(Duration::days(8)); // 2027-01-05
    let (_, ledger) = net.sites[0].desk.house_ledger("1栋103").unwrap();
    let all = ledger.outstanding.0 + ledger.late_owed.0;
    let new = NewPayment {
        house: "1栋103",
        payer: "业主",
        method: PayMethod::Transfer,
        amount: Fen(all),
        bills: Vec::new(),
        waive: None,
    };
    net.sites[0].desk.take_payment(&new, &cashier).unwrap();
    net.run_until_quiescent();
    let jan = net.office.book(None, Period::month_of(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap())).unwrap();
    let m = &jan.money[0];
    assert_eq!(m.past_collected.0, nov_bills[2] + dec_bills[2]);
    let expected = 100.0 * (nov_bills[2] + dec_bills[2]) as f64 / (dec_bills[1] + nov_bills[2] + dec_bills[2]) as f64;
    assert!(m.arrears_rate.is_some_and(|r| (r - expected).abs() < 1e-9), "{:?} against {expected}", m.arrears_rate);
    assert!(m.late_collected.0 > 0, "103's late fees were paid in January");
    // The same payments and closes at head office as at the site.
    let at_site: Vec<Payment> = net.sites[0].desk.store.all(None).unwrap();
    let at_office: Vec<Payment> = net.office.store.all(Some(net.site_id(0))).unwrap();
    assert_eq!(at_site, at_office);
}

#[test]
fn receipt_numbers_stay_gap_free_across_days_offline_and_arrive_unchanged() {
    let mut net = Network::new(16);
    let (_, cashier) = site_with_fees(&mut net);
    net.sites[0].desk.issue_bills(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(), &cashier).unwrap();
    net.run_until_quiescent();
    let mut numbers = Vec::new();
    for day in 0..5 {
        for (house, _) in AREAS {
            numbers.push(pay(&mut net, &cashier, house, 1 + day).receipt);
        }
        net.sites[0].desk.close_day(&cashier).unwrap();
        net.clock.advance(Duration::days(1));
    }
    assert_eq!(numbers, (1..=15).collect::<Vec<u64>>());
    net.run_until_quiescent();
    let mut at_office: Vec<u64> =
        net.office.store.all::<Payment>(Some(net.site_id(0))).unwrap().iter().map(|p| p.receipt).collect();
    at_office.sort();
    assert_eq!(at_office, numbers);
}

#[test]
fn a_payment_at_the_site_and_a_reduction_at_head_office_at_once_merge_the_same_on_both_sides() {
    let mut net = Network::new(17);
    let (_, cashier) = site_with_fees(&mut net);
    net.sites[0].desk.issue_bills(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(), &cashier).unwrap();
    net.run_until_quiescent();
    let bill: Bill =
        net.sites[0].desk.store.all::<Bill>(None).unwrap().into_iter().find(|b| b.house == "1栋101").unwrap();
    let whole = bill.amount;
    // Apart: the site takes the whole bill; head office reduces it by ¥10.
    let paid = net.sites[0]
        .desk
        .take_payment(
            &NewPayment {
                house: "1栋101",
                payer: "业主",
                method: PayMethod::Cash,
                amount: whole,
                bills: Vec::new(),
                waive: None,
            },
            &cashier,
        )
        .unwrap();
    assert_eq!(paid.principal(), whole);
    net.office
        .reduce_bill(&OfficeActor::CommandLine("总部财务".into()), &bill.id.to_string(), Fen::yuan(10), "空置优惠")
        .unwrap();
    net.run_until_quiescent();
    net.assert_converged();
    let today = today(&net);
    let site_books = Books::load(&net.sites[0].desk.store, Some(net.site_id(0))).unwrap();
    let office_books = Books::load(&net.office.store, Some(net.site_id(0))).unwrap();
    let (site, office) = (site_books.ledgers(today), office_books.ledgers(today));
    let (s, o) = (&site[&bill.house_id], &office[&bill.house_id]);
    assert_eq!(serde_json::to_value(s).unwrap(), serde_json::to_value(o).unwrap());
    // The overlap became the house's prepaid balance; nothing is owed and nothing lost.
    assert_eq!((s.outstanding, s.prepaid), (Fen::ZERO, Fen::yuan(10)));
    let house: House = net.sites[0].desk.store.get(bill.house_id).unwrap();
    assert_eq!(house.address(), "1栋101");
}

#[test]
fn metered_fees_bill_what_the_readings_show_across_a_replaced_meter_and_name_houses_without_a_reading() {
    use wuye_protocol::fee::MeterKind;
    let mut net = Network::new(18);
    let (manager, cashier) = site_with_fees(&mut net);
    let water = NewFeeItem {
        name: "水费".into(),
        fee_kind: FeeKind::Water,
        basis: Basis::Meter,
        meter: Some(MeterKind::Water),
        cycle: Cycle::Monthly,
        due_day: 31,
        applies_to: Vec::new(),
        price: NewPrice {
            from: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            price: Price::parse("3.45").unwrap(),
            approval: String::new(),
            late: LateRule::NONE,
        },
    };
    let desk = &mut net.sites[0].desk;
    desk.add_fee_item(&water, &cashier).unwrap();
    let day = |m: u32, d: u32| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
    // 101: 100.00 at the handover, 112.50 at the end of November.
    desk.read_meter("1栋101", MeterKind::Water, 10_000, day(11, 27), false, &cashier).unwrap();
    let lower =
        desk.read_meter("1栋101", MeterKind::Water, 9_000, day(11, 27), false, &cashier).unwrap_err().to_string();
    assert!(lower.contains("replacement"), "{lower}");
    net.clock.advance(Duration::days(3)); // 11-30
    let desk = &mut net.sites[0].desk;
    desk.read_meter("1栋101", MeterKind::Water, 11_250, day(11, 30), false, &cashier).unwrap();
    // 102: 50 at the handover, 58 on the old meter, replaced at 0, then 3.
    desk.read_meter("1栋102", MeterKind::Water, 5_000, day(11, 27), false, &cashier).unwrap();
    desk.read_meter("1栋102", MeterKind::Water, 5_800, day(11, 29), false, &cashier).unwrap();
    desk.read_meter("1栋102", MeterKind::Water, 0, day(11, 29), true, &manager).unwrap();
    desk.read_meter("1栋102", MeterKind::Water, 300, day(11, 30), false, &cashier).unwrap();
    let issued = desk.issue_bills(day(11, 1), &cashier).unwrap();
    assert_eq!(issued.missing.len(), 1, "103 has no reading: {:?}", issued.missing);
    assert!(issued.missing[0].contains("1栋103"), "{:?}", issued.missing);
    let bills: Vec<Bill> = desk.store.all(None).unwrap();
    let water_of = |house: &str| bills.iter().find(|b| b.house == house && b.item == "水费").unwrap().clone();
    let (a, b) = (water_of("1栋101"), water_of("1栋102"));
    assert_eq!((a.quantity, a.readings, a.amount), (1_250, Some((10_000, 11_250)), Fen(4_313)));
    assert_eq!((b.quantity, b.amount), (800 + 300, Fen(3_795)));
    assert_eq!(a.late, LateRule::NONE, "no late fee on water collected for others");
}

#[test]
fn the_last_level_of_chasing_is_the_managers_and_a_price_change_applies_to_later_bills_only() {
    let mut net = Network::new(19);
    let (manager, cashier) = site_with_fees(&mut net);
    let nov = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    net.sites[0].desk.issue_bills(nov, &cashier).unwrap();
    // From January the price is ¥2.50; November's bills keep ¥2.
    let new = NewPrice {
        from: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
        price: Price::parse("2.5").unwrap(),
        approval: "价批〔2026〕30号".into(),
        late: LateRule { rate: Rate::parse("0.05%").unwrap(), grace_days: 0, cap: Share::WHOLE },
    };
    net.sites[0].desk.set_fee_price("物业费", &new, &manager).unwrap();
    net.clock.advance(Duration::days(200)); // 2027-06-15
    let issued = net.sites[0].desk.issue_bills(NaiveDate::from_ymd_opt(2027, 6, 1).unwrap(), &cashier).unwrap();
    assert_eq!(issued.created, 3 * 7, "December to June for three houses");
    let bills: Vec<Bill> = net.sites[0].desk.store.all(None).unwrap();
    let of = |house: &str, month: u32, year: i32| {
        bills
            .iter()
            .find(|b| b.house == house && b.period.start == NaiveDate::from_ymd_opt(year, month, 1).unwrap())
            .unwrap()
            .amount
    };
    assert_eq!(of("1栋101", 11, 2026), Fen(month_fen(8_950, 4, 30)));
    assert_eq!(of("1栋101", 12, 2026), Fen(17_900));
    assert_eq!(of("1栋101", 1, 2027), Fen(22_375));

    // 196 days past November's due date: the last level.
    let chase =
        NewChase {
            house: "1栋101", way: ChaseWay::Letter, result: "送达催缴通知书", promised: None, complaint: None
        };
    let refused = net.sites[0].desk.chase(&chase, &cashier).unwrap_err().to_string();
    assert!(refused.contains("经理"), "{refused}");
    let last = net.sites[0].desk.chase(&chase, &manager).unwrap();
    assert_eq!(last.level, 3);
    let arrears = net.sites[0].desk.arrears().unwrap();
    let a = arrears.iter().find(|a| a.house == "1栋101").unwrap();
    assert!(a.aging.over_180.0 > 0 && a.level == 3 && a.last_reminder.is_some(), "{a:?}");
}
