//! A renovation from application to refund in the socket-free harness, with
//! one failed inspection and one violation, its charges paid through the
//! fee ledger, then synced: head office holds the same record and the same
//! deposit bills, and the deposits held equal the ledger's.

use chrono::{Duration, NaiveDate};
use wuye_app::desk::{Actor, NewPayment, NewRenovation};
use wuye_app::fees::Books;
use wuye_app::renovations::{self, Works};
use wuye_protocol::bill::Bill;
use wuye_protocol::fee::PayMethod;
use wuye_protocol::house::{self, HouseState};
use wuye_protocol::money::Fen;
use wuye_protocol::payment::PayKind;
use wuye_protocol::renovation::{Action, Contractor, Renovation, RenovationState, Violation, WorkItem};
use wuye_protocol::staff::Role;
use wuye_server::people::Actor as OfficeActor;
use wuye_tests::harness::Network;

/// The site's renovation figures as the site computes them, and as head office does.
fn works_both(net: &Network) -> (Works, Works) {
    let desk = &net.sites[0].desk;
    let books = Books::load(&desk.store, Some(desk.site.id)).unwrap();
    let today = desk.now().with_timezone(&desk.site.timezone).date_naive();
    let site = renovations::works(&desk.renovations().unwrap(), &books, today);
    let office = net.office.book(None, wuye_app::kpi::Period::month_of(today)).unwrap().works.remove(0);
    (site, office)
}

/// A site with a 经理, a 客服员 and one house handed over, and an application for it.
fn set_up(seed: u64) -> (Network, Actor, Actor, NewRenovation, NaiveDate) {
    let mut net = Network::new(seed);
    net.add_site("朝阳花园管理处");
    let desk = &mut net.sites[0].desk;
    let manager = Actor::of(&desk.add_staff("王经理", Role::Manager, "客服中心").unwrap());
    let clerk = Actor::of(&desk.add_staff("李娜", Role::FrontDesk, "客服中心").unwrap());
    let sheet: Vec<Vec<String>> =
        [["楼栋", "单元", "楼层", "房号", "类型", "建筑面积"], ["3栋", "2单元", "5", "501", "住宅", "89.50"]]
            .iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
    desk.import_houses(&sheet, &manager).unwrap();
    let now = desk.now();
    let h = desk.houses(None, None).unwrap().remove(0);
    desk.store.edit(h.id, |doc| house::set_state(doc, now, "王经理", HouseState::HandedOver, "")).unwrap();
    let today = now.with_timezone(&desk.site.timezone).date_naive();
    let new = NewRenovation {
        house: "3栋2单元501".into(),
        owner: "张伟".into(),
        phone: "13800000000".into(),
        contractor: Contractor {
            name: "安居装饰公司".into(),
            licence: "91110000MA01".into(),
            manager: "李工".into(),
            phone: "13900000000".into(),
        },
        items: vec![WorkItem::Wiring, WorkItem::Waterproofing, WorkItem::Flooring],
        start: today + Duration::days(2),
        end: today + Duration::days(60),
    };
    (net, manager, clerk, new, today)
}

#[test]
fn a_renovation_goes_from_application_to_refund_through_the_ledger_and_head_office_holds_the_same() {
    let (mut net, manager, clerk, new, today) = set_up(21);
    let desk = &mut net.sites[0].desk;
    let r = desk.apply_renovation(&new, &clerk).unwrap();
    let id = r.id.to_string();
    let twice = desk.apply_renovation(&new, &clerk).unwrap_err().to_string();
    assert!(twice.contains("one renovation a house"), "{twice}");
    assert!(desk.renovation_step(&id, Action::Approve, "", None, &clerk).is_err(), "a 客服员 does not approve");
    desk.renovation_step(&id, Action::Approve, "资料齐全", None, &manager).unwrap();
    desk.renovation_pass(&id, "王师傅", "CR-001", &clerk).unwrap();
    let unpaid = desk.renovation_step(&id, Action::Start, "", None, &clerk).unwrap_err().to_string();
    assert!(unpaid.contains("paid"), "{unpaid}");
    let r = desk.renovation(&id).unwrap();
    let owed: u64 = desk.renovation_bills(&r).unwrap().iter().map(|b| b.amount.0).sum();
    assert_eq!(owed, 200_000 + 30_000 + 1_000, "deposit, rubbish and one pass");
    let pay = NewPayment {
        house: "3栋2单元501",
        payer: "张伟",
        method: PayMethod::Wechat,
        amount: Fen(owed),
        bills: Vec::new(),
        waive: None,
    };
    desk.take_payment(&pay, &clerk).unwrap();
    assert_eq!(desk.deposits_held().unwrap(), Fen::yuan(2_000));
    desk.renovation_step(&id, Action::Start, "", None, &clerk).unwrap();

    // A violation on patrol; the inspection fails once, then passes.
    let v = Violation {
        item: "周末噪音作业".into(),
        photo_note: "周六电钻".into(),
        deadline: today + Duration::days(3),
        fine: Fen::yuan(200),
    };
    desk.renovation_patrol(&id, "周六施工", Some(&v), &clerk).unwrap();
    net.run_until_quiescent();

    // Head office computes the site's figures with the site's code; its
    // note and a site patrol written at once both arrive on both sides.
    let (site_works, office_works) = works_both(&net);
    assert_eq!(site_works, office_works);
    assert_eq!(
        (office_works.in_progress, office_works.violations_open, office_works.deposits_held),
        (1, 1, Fen::yuan(2_000))
    );
    net.office.renovation_note(&OfficeActor::CommandLine("总部工程部".into()), &id, "请加强周末巡查").unwrap();
    net.sites[0].desk.renovation_patrol(&id, "施工正常", None, &clerk).unwrap();
    net.run_until_quiescent();
    net.assert_converged();
    let r = net.sites[0].desk.renovation(&id).unwrap();
    assert_eq!((r.patrols.len(), r.notes.len()), (2, 1));

    // Past the deadline the violation is on the board and on head office's figures.
    net.clock.advance(Duration::days(4));
    let board = net.sites[0].desk.board().unwrap();
    assert_eq!(board.renovations.violations_overdue.len(), 1);
    assert_eq!(board.renovations.violations_overdue[0].patrol, 1);
    let overview = net.office.overview(None, wuye_app::kpi::Period::month_of(today + Duration::days(4))).unwrap();
    assert_eq!((overview.works.violations_overdue, overview.lines[0].works.violations_overdue), (1, 1));

    let desk = &mut net.sites[0].desk;
    desk.renovation_step(&id, Action::Finish, "", None, &clerk).unwrap();
    net.clock.advance(Duration::days(4));
    let desk = &mut net.sites[0].desk;
    let board = desk.board().unwrap();
    assert_eq!(board.renovations.inspections_overdue.len(), 1, "finished four days ago, not inspected");
    net.run_until_quiescent();
    let (site_works, office_works) = works_both(&net);
    assert_eq!(site_works, office_works);
    assert_eq!((office_works.not_inspected, office_works.inspections_overdue), (1, 1));
    let desk = &mut net.sites[0].desk;
    desk.renovation_step(&id, Action::Fail, "卫生间闭水试验渗漏", None, &clerk).unwrap();
    desk.renovation_step(&id, Action::Rectified, "重做防水", None, &clerk).unwrap();
    desk.renovation_step(&id, Action::Pass, "复验合格", None, &clerk).unwrap();
    let open = desk.refund_renovation_deposit(&id, &[], PayMethod::Transfer, &manager).unwrap_err().to_string();
    assert!(open.contains("违规"), "{open}");
    desk.renovation_correct(&id, 1, "已停止周末施工", &clerk).unwrap();
    let fine = [(Fen::yuan(200), "周末噪音作业罚款".to_string())];
    assert!(desk.refund_renovation_deposit(&id, &fine, PayMethod::Transfer, &clerk).is_err(), "a 经理's");
    let (r, receipt) = desk.refund_renovation_deposit(&id, &fine, PayMethod::Transfer, &manager).unwrap();
    let receipt = receipt.unwrap();
    assert_eq!((r.state(), receipt.received), (RenovationState::Refunded, Fen::yuan(1_800)));
    assert_eq!(desk.deposits_held().unwrap(), Fen::ZERO);
    let (_, ledger) = desk.house_ledger("3栋2单元501").unwrap();
    assert_eq!((ledger.outstanding, ledger.prepaid), (Fen::ZERO, Fen::ZERO), "the books balance after the refund");
    desk.renovation_step(&id, Action::Close, "", None, &manager).unwrap();
    net.run_until_quiescent();
    let (site_works, office_works) = works_both(&net);
    assert_eq!(site_works, office_works);
    assert_eq!((office_works.in_progress, office_works.deposits_held), (0, Fen::ZERO));

    let at_site: Vec<Renovation> = net.sites[0].desk.store.all(None).unwrap();
    let at_office: Vec<Renovation> = net.office.store.all(Some(net.site_id(0))).unwrap();
    assert_eq!(at_site, at_office);
    let site_bills: Vec<Bill> = net.sites[0].desk.store.all(None).unwrap();
    let office_bills: Vec<Bill> = net.office.store.all(Some(net.site_id(0))).unwrap();
    assert_eq!(site_bills, office_bills);
}

#[test]
fn the_command_line_carries_a_renovation_through_and_head_office_gets_it() {
    use wuye_tests::procs::{Agent, Server};
    let dir = tempfile::tempdir().unwrap();
    let server = Server::init(dir.path());
    let cred = server.add_site("朝阳花园管理处");
    let agent = Agent::init(dir.path(), "site", &server.addr, &server.fingerprint, &cred);
    let sheet = dir.path().join("houses.csv");
    std::fs::write(&sheet, "楼栋,单元,楼层,房号,类型,建筑面积\n3栋,2单元,5,501,住宅,89.50\n").unwrap();
    agent.ok(&["unit", "import", sheet.to_str().unwrap()]);
    agent.add_staff("王经理", "经理", "wang");
    agent.sign_in_as("wang");
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let (start, end, deadline) = (today + Duration::days(1), today + Duration::days(30), today + Duration::days(3));
    let refused = agent.refused(&[
        "renovation",
        "apply",
        "--house",
        "3栋2单元501",
        "--owner",
        "张伟",
        "--contractor",
        "安居装饰",
        "--licence",
        "L1",
        "--manager",
        "李工",
        "--manager-phone",
        "13900000000",
        "--item",
        "拆改承重墙",
        "--start",
        &start.to_string(),
        "--end",
        &end.to_string(),
    ]);
    assert!(refused.contains("load-bearing"), "{refused}");
    let r = agent.json(&[
        "renovation",
        "apply",
        "--house",
        "3栋2单元501",
        "--owner",
        "张伟",
        "--contractor",
        "安居装饰",
        "--licence",
        "L1",
        "--manager",
        "李工",
        "--manager-phone",
        "13900000000",
        "--item",
        "水电改造",
        "--item",
        "吊顶",
        "--start",
        &start.to_string(),
        "--end",
        &end.to_string(),
    ]);
    let id = r["id"].as_str().unwrap().to_string();
    agent.ok(&["renovation", "step", &id, "approve", "--text", "资料齐全"]);
    agent.ok(&["renovation", "pass", &id, "--worker", "王师傅", "--number", "CR-001"]);
    let early = agent.refused(&["renovation", "step", &id, "start"]);
    assert!(early.contains("paid"), "{early}");
    agent.ok(&["fee", "pay", "3栋2单元501", "--amount", "2310", "--method", "微信", "--payer", "张伟"]);
    agent.ok(&["renovation", "step", &id, "start"]);
    agent.ok(&[
        "renovation",
        "patrol",
        &id,
        "--seen",
        "周六施工",
        "--violation",
        "周末噪音作业",
        "--deadline",
        &deadline.to_string(),
        "--fine",
        "200",
    ]);
    agent.ok(&["renovation", "step", &id, "finish"]);
    agent.ok(&["renovation", "step", &id, "pass", "--text", "验收合格"]);
    let open = agent.refused(&["renovation", "refund", &id, "--method", "转账"]);
    assert!(open.contains("违规"), "{open}");
    agent.ok(&["renovation", "correct", &id, "--patrol", "1", "--note", "已停工整改"]);
    let refunded = agent.ok(&["renovation", "refund", &id, "--deduct", "200:周末噪音作业罚款", "--method", "转账"]);
    assert!(refunded.contains("退款收据 00000002") && refunded.contains("¥1,800"), "{refunded}");
    agent.ok(&["renovation", "step", &id, "close"]);
    let _running = server.start();
    agent.sync();
    let at_office = server.json(&["records", "renovation"]);
    assert_eq!(at_office[0]["id"].as_str(), Some(id.as_str()), "{at_office}");
    assert_eq!(at_office, agent.json(&["renovation", "list"]));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 24, ..Default::default() })]

    /// Whatever the deposit, the passes, how the owner pays and what is
    /// deducted, the deposit's ledger entries balance: money in less money
    /// out is the fees plus the deductions kept, the deposits held go from
    /// the deposit to nought, and the house owes nothing and has nothing prepaid.
    #[test]
    fn the_deposit_balances_through_refund_and_deductions(
        seed in 0u64..1_000,
        deposit_yuan in 1u64..20_000,
        passes in 1usize..4,
        parts in proptest::collection::vec(1u64..100, 1..4),
        cuts in proptest::collection::vec(0u64..100, 0..4),
    ) {
        let (mut net, manager, clerk, new, _) = set_up(seed);
        let desk = &mut net.sites[0].desk;
        desk.set_setting(&manager, "renovation-deposit", &deposit_yuan.to_string()).unwrap();
        let id = desk.apply_renovation(&new, &clerk).unwrap().id.to_string();
        desk.renovation_step(&id, Action::Approve, "", None, &manager).unwrap();
        for n in 0..passes {
            desk.renovation_pass(&id, &format!("工人{n}"), &format!("CR-{n:03}"), &clerk).unwrap();
        }
        let r = desk.renovation(&id).unwrap();
        let owed: u64 = desk.renovation_bills(&r).unwrap().iter().map(|b| b.amount.0).sum();
        let deposit = deposit_yuan * 100;
        proptest::prop_assert_eq!(owed, deposit + 30_000 + 1_000 * passes as u64);
        // Paid in parts proportional to `parts`, the last part taking the rest.
        let weight: u64 = parts.iter().sum();
        let mut left = owed;
        for (i, w) in parts.iter().enumerate() {
            let amount = if i + 1 == parts.len() { left } else { (owed * w / weight).min(left) };
            if amount == 0 {
                continue;
            }
            left -= amount;
            let pay = NewPayment { house: "3栋2单元501", payer: "张伟", method: PayMethod::Cash, amount: Fen(amount), bills: Vec::new(), waive: None };
            desk.take_payment(&pay, &clerk).unwrap();
        }
        proptest::prop_assert_eq!(desk.deposits_held().unwrap(), Fen(deposit));
        desk.renovation_step(&id, Action::Start, "", None, &clerk).unwrap();
        desk.renovation_step(&id, Action::Finish, "", None, &clerk).unwrap();
        desk.renovation_step(&id, Action::Pass, "", None, &clerk).unwrap();
        // Deductions as shares of the deposit, never more than all of it.
        let mut kept = 0;
        let mut deductions = Vec::new();
        for (i, c) in cuts.iter().enumerate() {
            let amount = (deposit * c / 400).min(deposit - kept);
            if amount > 0 {
                kept += amount;
                deductions.push((Fen(amount), format!("扣款{i}")));
            }
        }
        let (r, receipt) = desk.refund_renovation_deposit(&id, &deductions, PayMethod::Transfer, &manager).unwrap();
        proptest::prop_assert_eq!(r.refundable(), Fen(deposit - kept));
        proptest::prop_assert_eq!(receipt.map_or(0, |p| p.received.0), deposit - kept);
        proptest::prop_assert_eq!(desk.deposits_held().unwrap(), Fen::ZERO);
        let payments = desk.payments_of("3栋2单元501").unwrap();
        let money_in: u64 = payments.iter().filter(|p| p.pay_kind == PayKind::Receipt).map(|p| p.received.0).sum();
        let money_out: u64 = payments.iter().filter(|p| p.pay_kind == PayKind::Refund).map(|p| p.received.0).sum();
        proptest::prop_assert_eq!(money_in - money_out, 30_000 + 1_000 * passes as u64 + kept);
        let (_, ledger) = desk.house_ledger("3栋2单元501").unwrap();
        proptest::prop_assert_eq!((ledger.outstanding, ledger.prepaid), (Fen::ZERO, Fen::ZERO));
        desk.renovation_step(&id, Action::Close, "", None, &manager).unwrap();
    }
}
