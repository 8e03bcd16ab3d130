//! A renovation from application to refund in the socket-free harness, with
//! one failed inspection and one violation, its charges paid through the
//! fee ledger, then synced: head office holds the same record and the same
//! deposit bills, and the deposits held equal the ledger's.

use chrono::{Duration, NaiveDate};
use wuye_app::desk::{Actor, NewPayment, NewRenovation};
use wuye_app::fees::Books;
use wuye_app::renovations::{self, Works};
use wuye_node::Records as _;
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
    use calamine::Reader;
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
    // Head office's workbook: the site's renovation figures and the renovation itself.
    let running = server.start();
    agent.sync();
    let out = dir.path().join("kpi.xlsx");
    let month = today.format("%Y-%m").to_string();
    let data = wuye_tests::procs::path(&server.data);
    let xlsx = ["report", "kpi", "--data", data, "--month", &month, "--format", "xlsx", "--out", out.to_str().unwrap()];
    wuye_tests::procs::ok("wuye-server", &xlsx);
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&out).unwrap();
    let works = book.worksheet_range("装修指标").unwrap();
    let row: Vec<String> = works.rows().nth(1).unwrap().iter().map(|d| d.to_string()).collect();
    assert_eq!(&row[..2], ["朝阳花园管理处", "0"], "{row:?}");
    assert_eq!(
        (row[2].as_str(), row[6].as_str(), row[8].as_str()),
        ("1", "1", "2000"),
        "in progress, violations open, deposit held: {row:?}"
    );
    let list = book.worksheet_range("装修台账").unwrap();
    let row: Vec<String> = list.rows().nth(1).unwrap().iter().map(|d| d.to_string()).collect();
    assert_eq!((row[1].as_str(), row[8].as_str(), row[10].as_str()), ("3栋2单元501", "施工中", "1"), "{row:?}");
    drop(running);

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

/// The whole flow at the web desk in a real headless Chromium: the
/// application with its work items ticked, approval, a pass, the start
/// refused until the charges are paid on the fees page, a patrol with a
/// violation put right, finish and inspection, the pass and the application
/// printed, then a 经理 refunds the deposit less a fine, prints the refund
/// slip (the amount in capital numerals) and closes the renovation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_desk_carries_a_renovation_from_application_to_close_and_prints_its_papers() {
    use wuye_tests::browser::{self, pdf_text_and_pages, Stage};
    use wuye_tests::procs::SUPERVISOR;
    const WAIT: std::time::Duration = std::time::Duration::from_secs(20);
    let Some(Stage { dir, site, driver }) = browser::stage(false) else {
        return;
    };
    let sheet = dir.path().join("houses.csv");
    std::fs::write(&sheet, "楼栋,单元,楼层,房号,类型,建筑面积\n3栋,2单元,5,501,住宅,89.50\n").unwrap();
    site.agent.ok(&["unit", "import", sheet.to_str().unwrap()]);
    site.agent.add_staff("王经理", "经理", "wang");
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let b = driver.browser(&site.base, &dir.path().join("p1"), 1366, 900).await;
    b.sign_in(SUPERVISOR.1, SUPERVISOR.2).await;

    b.goto("/renovations").await;
    b.fill("房屋", "3栋2单元501").await;
    b.fill("业主", "张伟").await;
    b.fill("装修单位", "安居装饰公司").await;
    b.fill("营业执照/资质证号", "91110000MA01").await;
    b.fill("现场负责人", "李工").await;
    b.fill("负责人电话", "13900000000").await;
    b.fill("计划开工", &(today + Duration::days(1)).to_string()).await;
    b.fill("计划完工", &(today + Duration::days(30)).to_string()).await;
    b.click("水电改造").await;
    b.click("防水").await;
    b.click("受理装修申请").await;
    b.wait_for_text("审核意见", WAIT).await;
    let page = b.path().await;
    b.click("审核通过").await;
    b.wait_for_text("发放出入证", WAIT).await;
    b.fill("施工人员", "王师傅").await;
    b.fill("出入证号", "CR-001").await;
    b.click("发放出入证").await;
    b.wait_for_text("CR-001", WAIT).await;
    b.click("开工").await;
    let refused = b.wait_for_text("不允许", WAIT).await;
    assert!(refused.contains("收款"), "the start waits for the charges: {refused}");

    b.click("到收费页面收款").await;
    b.wait_for_text("装修押金", WAIT).await;
    b.fill("金额（元）", "2310").await;
    b.fill("缴款人", "张伟").await;
    b.click("收款").await;
    b.wait_for_text("已收款", WAIT).await;
    b.goto(&page).await;
    b.click("开工").await;
    b.wait_for_text("记录巡查", WAIT).await;
    b.fill("巡查情况", "周六电钻作业").await;
    b.fill("违规事项", "周末噪音作业").await;
    b.fill("整改期限", &(today + Duration::days(3)).to_string()).await;
    b.fill("拟罚款", "200").await;
    b.click("记录巡查").await;
    b.wait_for_text("周末噪音作业", WAIT).await;
    b.click("完工申报").await;
    b.wait_for_text("验收不合格", WAIT).await;
    b.click("验收合格").await;
    b.wait_for_text("退还押金", WAIT).await;
    b.fill("整改情况", "已停止周末施工").await;
    b.click("整改完成").await;
    b.wait_for_text("已整改", WAIT).await;
    b.screenshot("renovation").await;

    b.click("打印出入证").await;
    let pass = b.wait_for_text("出入证限本人使用", WAIT).await;
    assert!(pass.contains("CR-001") && pass.contains("王师傅") && pass.contains("安居装饰公司"), "{pass}");
    b.goto(&format!("/print{page}")).await;
    let form = b.wait_for_text("装修申请表", WAIT).await;
    assert!(form.contains("☑ 水电改造") && form.contains("☐ 吊顶") && form.contains("审核通过"), "{form}");
    let (text, pages) = pdf_text_and_pages(&b.print_pdf().await, dir.path());
    assert!(text.contains("装修申请表") && text.contains("装修单位负责人"), "{text}");
    assert_eq!(pages, 1, "the application fits one page");

    b.sign_in("wang", &browser::password("wang")).await;
    b.goto(&page).await;
    b.fill("扣款（每行：金额:事由）", "200:周末噪音作业罚款").await;
    b.click("退还押金").await;
    b.wait_for_text("押金已退", WAIT).await;
    b.click("打印押金退还单").await;
    let slip = b.wait_for_text("装修押金退还单", WAIT).await;
    assert!(slip.contains("周末噪音作业罚款") && slip.contains("壹仟捌佰元整"), "{slip}");
    b.screenshot("deposit-refund").await;
    b.goto(&page).await;
    b.click("结案").await;
    b.wait_for_text("已结案", WAIT).await;
    let all = site.agent.json(&["renovation", "list"]);
    assert_eq!(all[0]["deductions"][0]["approved_by"], "王经理（经理）", "{all}");
    b.close().await;
}
