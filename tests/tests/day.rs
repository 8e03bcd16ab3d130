//! One day at a site office, in real headless Chromium against the real
//! `wuye-agent run` and `wuye-server run` on loopback: 20 houses imported
//! from a sheet; a house handed over through all six stations of its move-in
//! slip (收楼流转单) with two defects made into work orders, and its slip and
//! inspection form printed; an owner's key lent with approval and returned,
//! and the key loan register printed; an item-release slip issued and printed
//! at the desk and checked on a phone by the 门岗 in a second browser; the
//! shift closed with its handover record, confirmed by the next person; then
//! head office holds the same records as the site.

use std::time::{Duration, Instant};

use wuye_tests::browser::{self, password, pdf_text_and_pages, Stage};

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_of_move_in_keys_item_release_and_handover_reaches_head_office() {
    let Some(Stage { dir, site, driver }) = browser::stage(false) else {
        return;
    };
    let agent = &site.agent;
    let mut sheet = String::from("楼栋,单元,楼层,房号,类型,建筑面积\n");
    for floor in 1..=10 {
        for room in 1..=2 {
            sheet += &format!("3栋,2单元,{floor},{floor}0{room},住宅,89.50\n");
        }
    }
    let file = dir.path().join("houses.csv");
    std::fs::write(&file, sheet).unwrap();
    agent.ok(&["unit", "import", file.to_str().unwrap()]);
    agent.add_key("K-501", "空置房", "3栋2单元501", "开发商");
    agent.add_key("K-302", "业主寄存", "3栋2单元302", "业主陈明");
    site.add_staff("王经理", "经理", "wang");
    site.add_staff("赵门岗", "门岗", "zhao");
    site.add_staff("李娜", "客服员", "lina");

    // The move-in slip, station by station, by the 经理 (who may stamp every station).
    let wang = driver.signed_in(&site, dir.path(), "wang", &password("wang")).await;
    wang.goto("/moveins").await;
    wang.fill("房号", "3栋2单元501").await;
    wang.fill("业主", "张伟").await;
    wang.fill("联系电话", "13800000000").await;
    wang.click("开具收楼流转单").await;
    wang.wait_for_text("销售部：资料核对", WAIT).await;
    let slip_page = wang.path().await;
    // Out of order is refused with the reason, even for the 经理 without one.
    wang.click("盖章").await;
    let refused = wang.wait_for_text("购房合同", WAIT).await;
    assert!(refused.contains("stamped once these are done") || refused.contains("盖章"), "{refused}");
    let ticks: [(&str, &[&str]); 6] = [
        ("documents", &["购房合同", "全款收据", "身份证", "户口簿", "收楼结算单", "住户家庭情况登记表"]),
        ("inspection", &["房屋验收表", "房屋交付确认书"]),
        ("papers", &["住宅质量保证书", "住宅使用说明书", "业主公约", "物业服务协议", "装修协议"]),
        ("fees", &["物业费", "维修基金收据"]),
        ("keys", &["钥匙领取书"]),
        ("gift", &["礼品签收"]),
    ];
    for (station, items) in ticks {
        for item in items {
            wang.click(&format!("☐ {item}")).await;
            wang.wait_for_text(&format!("☑ {item}"), WAIT).await;
        }
        match station {
            "inspection" => {
                wang.fill("水表读数", "3.20").await;
                wang.fill("电表读数", "12").await;
                wang.fill("燃气表读数", "0.5").await;
                wang.click("保存读数").await;
                for (room, text, category) in [("主卧", "墙面裂缝约30厘米", "其他"), ("卫生间", "地漏堵塞", "管道")]
                {
                    wang.fill("部位", room).await;
                    wang.fill("问题描述", text).await;
                    wang.choose("生成维修工作单", category).await;
                    wang.click("记录问题").await;
                    wang.wait_for_text(text, WAIT).await;
                }
            }
            "fees" => {
                wang.fill("收费项目", "物业费6个月").await;
                wang.fill("金额（元）", "1611.00").await;
                wang.click("记录收费").await;
                wang.wait_for_text("¥1,611.00", WAIT).await;
            }
            "keys" => {
                wang.choose("交付钥匙", "K-501 · 3栋2单元501").await;
                wang.click("加入钥匙").await;
                wang.wait_for_text("K-501", WAIT).await;
            }
            _ => {}
        }
        wang.click("盖章").await;
        wang.wait_for_text("王经理（经理）", WAIT).await;
    }
    let done = wang.wait_for_text("已交付", WAIT).await;
    assert_eq!(done.matches("已报修").count(), 2, "two work orders, shown as they stand:\n{done}");
    wang.goto(&slip_page).await;
    wang.wait_for_text("已交付", WAIT).await;
    wang.screenshot("movein").await;
    wang.click("打印收楼流转单").await;
    wang.wait_for_text("收单人", WAIT).await;
    let (text, pages) = pdf_text_and_pages(&wang.print_pdf().await, dir.path());
    assert_eq!(pages, 1, "{text}");
    for words in ["收楼流转单", "3栋2单元501", "张伟", "财务部：收费", "K-501", "王经理"] {
        assert!(text.contains(words), "'{words}' is printed:\n{text}");
    }
    wang.goto(&format!("/print{slip_page}/inspection")).await;
    wang.wait_for_text("房屋验收表", WAIT).await;
    let (text, _) = pdf_text_and_pages(&wang.print_pdf().await, dir.path());
    for words in ["房屋验收表", "墙面裂缝约30厘米", "地漏堵塞", "3.20"] {
        assert!(text.contains(words), "'{words}' is printed:\n{text}");
    }

    // An owner's key: refused without a note that the owner was contacted, lent with it, returned.
    wang.goto("/keys").await;
    wang.click("借出").await;
    wang.fill("借用人", "维修工老王").await;
    wang.fill("事由", "入户检修").await;
    wang.fill("应还时间", "2099-01-01 18:00").await;
    wang.click("借出").await;
    wang.wait_for_text("owner", WAIT).await;
    wang.click("借出").await;
    wang.fill("借用人", "维修工老王").await;
    wang.fill("事由", "入户检修").await;
    wang.fill("应还时间", "2099-01-01 18:00").await;
    wang.fill("已联系业主（方式、时间）", "电话联系业主陈明，同意").await;
    wang.click("借出").await;
    wang.wait_for_text("维修工老王", WAIT).await;
    wang.click("归还").await;
    wang.wait_for_text("在柜", WAIT).await;
    wang.goto("/print/keys").await;
    let register = wang.wait_for_text("钥匙借用登记表", WAIT).await;
    assert!(register.contains("K-302") && register.contains("电话联系业主陈明"), "{register}");

    // An item-release slip at the desk, checked at the gate on a phone.
    wang.goto("/releases").await;
    wang.fill("申请人", "刘强").await;
    wang.fill("房号", "3栋2单元302").await;
    wang.fill("物品（每行一项，如 冰箱x1）", "冰箱x1\n纸箱x12").await;
    wang.fill("事由", "搬家").await;
    wang.click("开具放行条").await;
    let shown = wang.wait_for_text("FX-", WAIT).await;
    let number =
        shown.split_whitespace().find(|w| w.starts_with("FX-")).unwrap().trim_end_matches(['）', ')']).to_string();
    wang.click("打印放行条").await;
    wang.wait_for_text("门岗联", WAIT).await;
    let (text, _) = pdf_text_and_pages(&wang.print_pdf().await, dir.path());
    assert!(text.contains(&number) && text.contains("冰箱"), "{text}");

    let zhao = driver.browser(&site.base, &dir.path().join("gate"), 390, 844).await;
    zhao.sign_in("zhao", &password("zhao")).await;
    zhao.wait_for_text("今日待查验", WAIT).await;
    assert_eq!(zhao.path().await, "/gate", "the gate's people land on the gate check");
    zhao.fill("放行条编号", &number.to_lowercase()).await;
    zhao.click("查找").await;
    zhao.wait_for_text("纸箱", WAIT).await;
    zhao.screenshot("gate-phone").await;
    let width: i64 =
        zhao.client.execute("return document.documentElement.scrollWidth", vec![]).await.unwrap().as_i64().unwrap();
    assert!(width <= 390, "no sideways scrolling on a phone: {width}px");
    zhao.click("放行").await;
    zhao.wait_for_text("已放行。", WAIT).await;
    // The gate may not issue.
    zhao.goto("/releases").await;
    zhao.fill("申请人", "某人").await;
    zhao.fill("房号", "3栋2单元302").await;
    zhao.fill("物品（每行一项，如 冰箱x1）", "电视x1").await;
    zhao.fill("事由", "维修").await;
    zhao.click("开具放行条").await;
    zhao.wait_for_text("门岗", WAIT).await;
    zhao.close().await;

    // The shift closes with its record; the next person confirms it.
    wang.goto("/handover").await;
    wang.choose("接班人", "李娜（客服员）").await;
    wang.fill("班次", "早班").await;
    wang.fill("移交物品（每行一项，如 对讲机x2:完好）", "对讲机x2:完好").await;
    wang.fill("本班情况及遗留问题", "3栋501两项验房问题待维修").await;
    wang.click("交班并生成记录").await;
    wang.wait_for_text("待接班确认", WAIT).await;
    wang.close().await;
    let record = &agent.json(&["handover", "list"])[0];
    let items: Vec<&str> = record["items"].as_array().unwrap().iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert!(items.contains(&"repair"), "{items:?}");
    agent.sign_in_as("lina");
    agent.ok(&["handover", "confirm", record["id"].as_str().unwrap()]);

    // Head office holds what the site holds.
    let deadline = Instant::now() + Duration::from_secs(60);
    for word in ["unit", "movein", "key", "release", "handover", "repair"] {
        let site_side = agent.json(&["records", word]);
        loop {
            let office = site.server.json(&["records", word]);
            if office == site_side {
                break;
            }
            assert!(Instant::now() < deadline, "{word} differs at head office:\n{office}\nat the site:\n{site_side}");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    // Its figures: 交付率, keys out, slips of the month.
    let month = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).format("%Y-%m").to_string();
    let data = site.server.data.to_str().unwrap().to_string();
    let report = wuye_tests::procs::json(
        "wuye-server",
        &["report", "kpi", "--month", &month, "--format", "json", "--data", &data],
    );
    let estate = &report["estate"];
    assert_eq!((estate["houses"].as_i64(), estate["handed_over"].as_i64()), (Some(20), Some(1)), "{report}");
    assert_eq!(estate["delivery_rate"].as_f64(), Some(5.0));
    assert_eq!((estate["keys_out"].as_i64(), estate["slips_issued"].as_i64()), (Some(0), Some(1)), "{report}");
}
