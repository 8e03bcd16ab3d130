//! Fees with the real binaries: a move-in whose fees station waits for the
//! house's first bills to be paid (command line, synced to head office),
//! and the web desk's fee pages in a real headless Chromium: a fee item set
//! up, the first bills issued, a payment taken and its receipt printed with
//! the amount in capital numerals, the day closed and its 日结单 printed.

use std::time::Duration;

use wuye_tests::browser::{self, pdf_text_and_pages, Stage};
use wuye_tests::procs::{self, path, Agent, Server, SUPERVISOR};

const WAIT: Duration = Duration::from_secs(20);

/// What a house owes, as typed at the desk and in fen.
fn owed(agent: &Agent, house: &str) -> (String, u64) {
    let ledger = agent.json(&["fee", "house", house]);
    let fen = ledger["outstanding"].as_u64().unwrap();
    (format!("{}.{:02}", fen / 100, fen % 100), fen)
}

/// The first day a house's bills cover: the handover day, the day the test
/// runs in the site's time zone (read from the bills, so a test that runs
/// across midnight still agrees with them).
fn first_billed_day(agent: &Agent, house: &str) -> chrono::NaiveDate {
    let ledger = agent.json(&["fee", "house", house]);
    let days = ledger["bills"].as_array().unwrap().iter().map(|b| b[0]["from"].as_str().unwrap().parse().unwrap());
    days.min().expect("the house has bills")
}

/// The first bills of a house handed over on `day` at ¥2 a m² a month on
/// 89.50 m² (¥179 a month): six whole months from the 1st, else the part of
/// this month and the six months after it.
fn assert_first_bills(day: chrono::NaiveDate, fen: u64) {
    use chrono::Datelike;
    if day.day() == 1 {
        assert_eq!(fen, 6 * 17_900, "six whole months from {day}");
    } else {
        assert!(fen > 6 * 17_900 && fen < 7 * 17_900, "six months and the part from {day}: {fen}");
    }
}

#[test]
fn a_move_ins_fees_station_waits_for_the_first_bills_to_be_paid_and_head_office_gets_the_payment() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::init(dir.path());
    let cred = server.add_site("朝阳花园管理处");
    let agent = Agent::init(dir.path(), "site", &server.addr, &server.fingerprint, &cred);
    let sheet = dir.path().join("houses.csv");
    std::fs::write(&sheet, "楼栋,单元,楼层,房号,类型,建筑面积\n3栋,2单元,5,501,住宅,89.50\n").unwrap();
    agent.ok(&["unit", "import", sheet.to_str().unwrap()]);
    agent.add_staff("王经理", "经理", "wang");
    agent.add_staff("李出纳", "财务", "li");
    agent.sign_in_as("wang");
    agent.ok(&[
        "fee",
        "item-add",
        "--name",
        "物业费",
        "--kind",
        "物业费",
        "--basis",
        "按面积",
        "--price",
        "2",
        "--from",
        "2026-01-01",
        "--late-rate",
        "0.05%",
        "--approval",
        "价批〔2026〕8号",
    ]);
    let refused = agent.refused(&[
        "fee",
        "item-add",
        "--name",
        "水费",
        "--kind",
        "水费",
        "--basis",
        "按抄表",
        "--meter",
        "水表",
        "--price",
        "3.45",
        "--from",
        "2026-01-01",
        "--late-rate",
        "0.05%",
    ]);
    assert!(refused.contains("水费"), "no late fee on water collected for others: {refused}");

    let slip = agent.json(&["movein", "open", "--house", "3栋2单元501", "--owner", "张伟", "--phone", "13800000000"]);
    let id = slip["id"].as_str().unwrap().to_string();
    agent.ok(&["movein", "tick", &id, "--station", "documents", "--all"]);
    agent.ok(&["movein", "stamp", &id, "--station", "documents"]);
    agent.ok(&["movein", "read", &id, "--water", "3.20", "--electricity", "12", "--gas", "0.5"]);
    agent.ok(&["movein", "tick", &id, "--station", "inspection", "--all"]);
    agent.ok(&["movein", "stamp", &id, "--station", "inspection"]);
    agent.ok(&["movein", "tick", &id, "--station", "papers", "--all"]);
    agent.ok(&["movein", "stamp", &id, "--station", "papers"]);
    agent.ok(&["movein", "tick", &id, "--station", "fees", "--all"]);
    let early = agent.refused(&["movein", "stamp", &id, "--station", "fees"]);
    assert!(early.contains("first bills") && early.contains("not yet billed"), "{early}");

    // The cashier issues the first bills and takes the payment; the 经理 stamps.
    agent.sign_in_as("li");
    let issued = agent.ok(&["fee", "first-bills", "3栋2单元501"]);
    assert!(issued.contains("first bill(s) issued"), "{issued}");
    let (yuan, fen) = owed(&agent, "3栋2单元501");
    assert_first_bills(first_billed_day(&agent, "3栋2单元501"), fen);
    let half = format!("{}", fen / 200);
    agent.ok(&["fee", "pay", "3栋2单元501", "--amount", &half, "--method", "微信", "--payer", "张伟"]);
    agent.sign_in_as("wang");
    let still = agent.refused(&["movein", "stamp", &id, "--station", "fees"]);
    assert!(still.contains("owes"), "{still}");
    agent.sign_in_as("li");
    let (rest, _) = owed(&agent, "3栋2单元501");
    let receipt = agent.ok(&["fee", "pay", "3栋2单元501", "--amount", &rest, "--method", "现金", "--payer", "张伟"]);
    assert!(receipt.contains("收据 00000002"), "{receipt}");
    assert_eq!(owed(&agent, "3栋2单元501").1, 0, "{yuan} paid in two");
    agent.sign_in_as("wang");
    agent.ok(&["movein", "stamp", &id, "--station", "fees"]);

    // The move-in's readings are the house's first.
    let house = agent.json(&["records", "meter"]);
    assert_eq!(house.as_array().unwrap().len(), 3, "{house}");

    // The cashier closes the day; a closed receipt is not voided.
    agent.sign_in_as("li");
    let close = agent.ok(&["fee", "close"]);
    assert!(close.contains("00000001–00000002"), "{close}");
    agent.sign_in_as("wang");
    let late = agent.refused(&["fee", "void", "1", "--reason", "收错"]);
    assert!(late.contains("日结"), "{late}");

    let _running = server.start();
    agent.sync();
    let at_office = server.json(&["records", "payment"]);
    assert_eq!(at_office.as_array().unwrap().len(), 2, "{at_office}");
    let bills = server.json(&["bill", "list"]);
    let bills = bills.as_array().unwrap();
    assert!(bills.len() >= 6, "{bills:?}");

    // Head office reduces a bill already paid: at the site the overlap becomes prepaid.
    let whole = bills.iter().max_by_key(|b| b["amount"].as_u64()).unwrap();
    let id = whole["id"].as_str().unwrap();
    let reduce = [
        "bill",
        "reduce",
        id,
        "--amount",
        "5",
        "--reason",
        "交房延期补偿",
        "--by",
        "周总",
        "--data",
        path(&server.data),
    ];
    procs::ok("wuye-server", &reduce);
    agent.sync();
    let ledger = agent.json(&["fee", "house", "3栋2单元501"]);
    assert_eq!((ledger["outstanding"].as_u64(), ledger["prepaid"].as_u64()), (Some(0), Some(500)), "{ledger}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_desk_takes_a_payment_prints_its_receipt_and_closes_the_day() {
    let Some(Stage { dir, site, driver }) = browser::stage(false) else {
        return;
    };
    let sheet = dir.path().join("houses.csv");
    std::fs::write(&sheet, "楼栋,单元,楼层,房号,类型,建筑面积\n1栋,,1,101,住宅,100\n").unwrap();
    site.agent.ok(&["unit", "import", sheet.to_str().unwrap()]);
    let b = driver.browser(&site.base, &dir.path().join("p1"), 1366, 900).await;
    b.sign_in(SUPERVISOR.1, SUPERVISOR.2).await;

    b.goto("/fees/items").await;
    b.fill("收费项目", "物业费").await;
    b.choose("类别", "物业费").await;
    b.choose("计费方式", "按面积").await;
    b.fill("单价（元）", "2.5").await;
    b.fill("起始日期", "2026-01-01").await;
    b.fill("滞纳金日费率", "0.05%").await;
    b.click("新增收费项目").await;
    b.wait_for_text("¥2.5", WAIT).await;

    b.goto("/fees").await;
    b.fill("房屋", "1栋101").await;
    b.click("查看收费").await;
    b.wait_for_text("出首期账单", WAIT).await;
    b.click("出首期账单（收楼）").await;
    let page = b.wait_for_text("物业费", WAIT).await;
    assert!(page.contains("未收本金"), "{page}");
    b.fill("金额（元）", "2000").await;
    b.fill("缴款人", "陈明").await;
    b.click("收款").await;
    b.wait_for_text("已收款", WAIT).await;
    b.screenshot("fees-house").await;
    b.click("打印收据").await;
    let receipt = b.wait_for_text("收据单", WAIT).await;
    assert!(receipt.contains("00000001") && receipt.contains("贰仟元整"), "{receipt}");
    assert!(receipt.contains("预存"), "the rest is prepaid: {receipt}");
    b.screenshot("receipt").await;
    let (text, pages) = pdf_text_and_pages(&b.print_pdf().await, dir.path());
    assert!(text.contains("存根") && text.contains("记账"), "three copies: {text}");
    assert!(pages >= 1);

    b.goto("/fees").await;
    b.click("日结").await;
    let close = b.wait_for_text("收费日结单", WAIT).await;
    assert!(close.contains("有效张数") && close.contains("现金"), "{close}");
    let closes = site.agent.json(&["records", "day-close"]);
    assert_eq!(closes.as_array().unwrap().len(), 1, "{closes}");
    b.close().await;
}
