//! The web desk in a real headless Chromium, against the real `wuye-agent run`
//! and `wuye-server run` on loopback. Screenshots of the main pages go to
//! `docs/screenshots/`.

use std::time::Duration;

use fantoccini::key::Key;
use wuye_tests::browser::{self, key, password, pdf_text_and_pages, Site, Stage};
use wuye_tests::procs::{self, path, SUPERVISOR};

const WAIT: Duration = Duration::from_secs(20);

fn complaints_at(site: &Site) -> Vec<serde_json::Value> {
    let v = site.agent.json(&["complaint", "list"]);
    v.as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_refuses_a_wrong_password_and_two_people_work_at_once_each_as_themselves() {
    let Some(Stage { dir, site, driver }) = browser::stage(false) else {
        return;
    };
    site.add_staff("李娜", "客服员", "lina");
    let zhou = driver.browser(&site.base, &dir.path().join("p1"), 1366, 768).await;
    let lina = driver.browser(&site.base, &dir.path().join("p2"), 1366, 768).await;

    zhou.goto("/complaints").await;
    assert!(zhou.path().await.starts_with("/login"), "signed out, a page sends to sign-in");
    zhou.sign_in(SUPERVISOR.1, "不对的密码").await;
    zhou.wait_for_text("登录名或密码错误", WAIT).await;
    zhou.screenshot("login").await;
    assert_eq!(
        zhou.field("登录名").await.prop("value").await.unwrap().as_deref(),
        Some(SUPERVISOR.1),
        "the name typed is kept"
    );
    zhou.sign_in(SUPERVISOR.1, SUPERVISOR.2).await;
    zhou.wait_for_text("今日", WAIT).await;
    lina.sign_in("lina", &password("lina")).await;
    lina.wait_for_text("李娜（客服员）", WAIT).await;

    for (who, customer) in [(&zhou, "张伟"), (&lina, "王芳")] {
        who.goto("/complaints/new").await;
        who.fill("投诉人", customer).await;
        who.fill("房号", "3栋501").await;
        who.choose("类别", "噪音").await;
        who.fill("投诉内容", "楼上夜间噪音").await;
        who.click("登记投诉").await;
        who.wait_for_text("投诉详情", WAIT).await;
    }
    let by: Vec<(String, String)> = complaints_at(&site)
        .iter()
        .map(|c| (c["customer"].as_str().unwrap().to_string(), c["created_by"].as_str().unwrap().to_string()))
        .collect();
    assert!(by.contains(&("张伟".into(), "周站长（客服主管）".into())), "{by:?}");
    assert!(by.contains(&("王芳".into(), "李娜（客服员）".into())), "{by:?}");

    // Signing out in one browser leaves the other signed in.
    lina.click("退出").await;
    lina.wait_for_text("登录", WAIT).await;
    zhou.goto("/").await;
    zhou.wait_for_text("周站长（客服主管）", WAIT).await;
    zhou.close().await;
    lina.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_becomes_a_complaint_that_goes_to_archive_and_its_slip_prints_on_one_page() {
    let Some(Stage { dir, site, driver }) = browser::stage(false) else {
        return;
    };
    site.add_staff("李娜", "客服员", "lina");
    let lina = driver.signed_in(&site, dir.path(), "lina", &password("lina")).await;
    lina.screenshot("board").await;

    lina.click("来电来访").await;
    lina.fill("来电/来访人", "张伟").await;
    lina.fill("联系电话", "13900001111").await;
    lina.fill("房号", "3栋501").await;
    lina.fill("事由", "卫生间天花板漏水，已三天").await;
    lina.click("转为投诉").await;
    lina.screenshot("call").await;
    lina.click("登记").await;
    lina.wait_for_text("登记投诉", WAIT).await;
    assert_eq!(
        lina.field("投诉人").await.prop("value").await.unwrap().as_deref(),
        Some("张伟"),
        "prefilled from the call"
    );
    assert_eq!(lina.field("联系电话").await.prop("value").await.unwrap().as_deref(), Some("13900001111"));
    // A mistake comes back with what was typed and the message beside its field.
    lina.choose("类别", "设施").await;
    lina.fill("投诉内容", "").await;
    lina.click("登记投诉").await;
    lina.wait_for_text("投诉内容为空：请填写", WAIT).await;
    let beside = lina.client.find(fantoccini::Locator::Css(".field.bad .error")).await.unwrap();
    let label = beside.find(fantoccini::Locator::XPath("../label")).await.unwrap().text().await.unwrap();
    assert_eq!(label, "投诉内容", "the message stands beside the field it is about");
    assert_eq!(
        lina.field("投诉人").await.prop("value").await.unwrap().as_deref(),
        Some("张伟"),
        "what was typed is kept"
    );
    lina.fill("投诉内容", "卫生间天花板漏水，已三天").await;
    lina.click("登记投诉").await;
    lina.wait_for_text("投诉详情", WAIT).await;
    let id = lina.path().await.trim_start_matches("/complaints/").to_string();

    lina.click("跟踪记录").await;
    lina.fill("记录内容", "已联系楼上住户").await;
    lina.click("跟踪记录").await;
    lina.wait_for_text("已联系楼上住户", WAIT).await;
    lina.click("发工作联系单").await;
    lina.fill("接收部门", "维修部").await;
    lina.click("发工作联系单").await;
    lina.wait_for_text("已派单", WAIT).await;
    lina.click("记录处理结果").await;
    lina.fill("处理结果", "更换楼上防水层").await;
    lina.click("记录处理结果").await;
    lina.wait_for_text("待回访", WAIT).await;
    lina.click("回访").await;
    lina.choose("满意度", "5 非常满意").await;
    lina.fill("住户意见", "很满意").await;
    lina.click("回访").await;
    let text = lina.wait_for_text("已回访", WAIT).await;
    // A 客服员 may not archive: the step is shown with the reason.
    assert!(text.contains("归档：只有客服主管或经理可以归档投诉"), "{text}");
    lina.screenshot("complaint").await;

    // The linked call is handled.
    let log = site.agent.json(&["log", "list"]);
    assert_eq!(log[0]["records"][0].as_str(), Some(id.as_str()), "the call is linked to the complaint");

    let zhou = driver.signed_in(&site, dir.path(), SUPERVISOR.1, SUPERVISOR.2).await;
    zhou.goto(&format!("/complaints/{id}")).await;
    zhou.click("归档").await;
    zhou.client.execute("window.confirm = function () { return true; };", vec![]).await.unwrap();
    zhou.click("归档").await;
    zhou.wait_for_text("已归档", WAIT).await;

    zhou.click("打印处理表").await;
    zhou.wait_for_text("客户投诉(建议)处理表", WAIT).await;
    zhou.screenshot("slip").await;
    let (text, pages) = pdf_text_and_pages(&zhou.print_pdf().await, dir.path());
    assert_eq!(pages, 1, "the slip fits one page:\n{text}");
    for words in ["客户投诉(建议)处理表", "张伟", "13900001111", "卫生间天花板漏水", "更换楼上防水层", "客户签字"]
    {
        assert!(text.contains(words), "'{words}' is printed:\n{text}");
    }
    zhou.goto(&format!("/print/complaints/{id}/contact/1")).await;
    zhou.wait_for_text("接单人", WAIT).await;
    let (text, pages) = pdf_text_and_pages(&zhou.print_pdf().await, dir.path());
    assert_eq!(pages, 1);
    assert!(text.contains("工作联系单") && text.contains("维修部"), "{text}");
    zhou.close().await;
    lina.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_work_order_goes_from_dispatch_to_close_and_the_worker_uses_a_phone() {
    let Some(Stage { dir, site, driver }) = browser::stage(false) else {
        return;
    };
    site.add_staff("王师傅", "维修", "wang");
    let zhou = driver.signed_in(&site, dir.path(), SUPERVISOR.1, SUPERVISOR.2).await;
    zhou.goto("/repairs/new").await;
    zhou.fill("房号", "5栋202").await;
    zhou.choose("报修类型", "水").await;
    zhou.fill("报修内容", "厨房水管漏水").await;
    zhou.click("有偿服务").await;
    zhou.click("登记报修").await;
    zhou.wait_for_text("维修工单", WAIT).await;
    let order = zhou.path().await;
    // Arrival before dispatch is refused, with the reason.
    let text = zhou.text().await;
    assert!(text.contains("到场："), "{text}");
    zhou.click("派工").await;
    zhou.choose("维修人员", "王师傅").await;
    zhou.click("派工").await;
    zhou.wait_for_text("已派工", WAIT).await;
    zhou.goto("/").await;
    let board = zhou.wait_for_text("待到场工单", WAIT).await;
    assert!(board.contains("厨房水管漏水") && board.contains("剩余"), "{board}");

    let wang = driver.browser(&site.base, &dir.path().join("p2"), 390, 844).await;
    wang.sign_in("wang", &password("wang")).await;
    wang.goto("/repairs/mine").await;
    wang.wait_for_text("厨房水管漏水", WAIT).await;
    wang.screenshot("my-orders-phone").await;
    let width: i64 =
        wang.client.execute("return document.documentElement.scrollWidth", vec![]).await.unwrap().as_i64().unwrap();
    assert!(width <= 390, "no sideways scrolling on a phone: {width}px");
    wang.click("打开").await;
    wang.click("到场").await;
    wang.click("到场").await;
    wang.wait_for_text("已到场", WAIT).await;
    wang.click("完工").await;
    wang.fill("维修内容", "更换角阀").await;
    wang.fill("用料", "角阀一个").await;
    wang.fill("费用（元）", "35.50").await;
    wang.click("完工").await;
    wang.wait_for_text("¥35.50", WAIT).await;

    zhou.goto(&order).await;
    zhou.click("回访").await;
    zhou.choose("满意度", "4 满意").await;
    zhou.click("回访").await;
    zhou.wait_for_text("已回访", WAIT).await;
    zhou.click("关闭工单").await;
    zhou.client.execute("window.confirm = function () { return true; };", vec![]).await.unwrap();
    zhou.click("关闭工单").await;
    zhou.wait_for_text("已关闭", WAIT).await;
    zhou.screenshot("work-order").await;
    zhou.click("打印维修工作单").await;
    zhou.wait_for_text("维修人员签字", WAIT).await;
    let (text, pages) = pdf_text_and_pages(&zhou.print_pdf().await, dir.path());
    assert_eq!(pages, 1, "{text}");
    for words in ["维修工作单", "5栋202", "厨房水管漏水", "王师傅", "角阀一个", "维修人员签字"]
    {
        assert!(text.contains(words), "'{words}' is printed:\n{text}");
    }
    zhou.close().await;
    wang.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_head_office_down_work_goes_on_and_a_decision_from_head_office_appears_without_reloading() {
    let Some(Stage { dir, mut site, driver }) = browser::stage(true) else {
        return;
    };
    let zhou = driver.browser(&site.base, &dir.path().join("p1"), 1366, 768).await;
    zhou.sign_in(SUPERVISOR.1, SUPERVISOR.2).await;
    zhou.wait_for_text("离线", WAIT).await;
    zhou.goto("/complaints/new").await;
    zhou.fill("投诉人", "刘洋").await;
    zhou.fill("房号", "8栋1201").await;
    zhou.choose("类别", "安全").await;
    zhou.fill("投诉内容", "地下车库照明全部损坏").await;
    zhou.click("重大投诉（报经理决定）").await;
    zhou.click("登记投诉").await;
    let text = zhou.wait_for_text("投诉详情", WAIT).await;
    assert!(
        text.contains("离线") && text.contains("待上传：2"),
        "offline, saved, waiting to go up with the site profile:\n{text}"
    );
    zhou.screenshot("offline").await;
    let id = zhou.path().await.trim_start_matches("/complaints/").to_string();

    site.server_proc = Some(site.server.start());
    zhou.wait_for_text("在线", Duration::from_secs(60)).await;
    zhou.wait_for_text("待上传：0", WAIT).await;
    let at_hq = site.server.json(&["records", "complaint"]);
    assert!(at_hq.to_string().contains("地下车库照明全部损坏"), "reached head office: {at_hq}");

    // Head office decides; the open page shows it after the next sync, unreloaded.
    let url_before = zhou.path().await;
    procs::ok(
        "wuye-server",
        &["complaint", "decide", &id, "--data", path(&site.server.data), "--text", "物业出资当晚抢修"],
    );
    let text = zhou.wait_for_text("物业出资当晚抢修", Duration::from_secs(30)).await;
    assert!(text.contains("经理已决定"), "{text}");
    assert_eq!(zhou.path().await, url_before);
    zhou.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_register_of_a_month_lists_every_complaint_of_that_month() {
    let Some(Stage { dir, site, driver }) = browser::stage(false) else {
        return;
    };
    let customers = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄丽"];
    for (i, c) in customers.iter().enumerate() {
        site.agent.add_complaint(c, &format!("{}栋{}0{}", i + 1, i + 1, i + 1), &format!("第{i}件投诉"), false);
    }
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let first = today.format("%Y-%m-01").to_string();
    let zhou = driver.signed_in(&site, dir.path(), SUPERVISOR.1, SUPERVISOR.2).await;
    zhou.goto("/complaints").await;
    zhou.fill("从", &first).await;
    zhou.fill("到", &today.to_string()).await;
    zhou.click("查询").await;
    zhou.wait_for_text("黄丽", WAIT).await;
    zhou.screenshot("complaints").await;
    zhou.click("打印登记表").await;
    zhou.wait_for_text("客户投诉登记表", WAIT).await;
    zhou.screenshot("register").await;
    let (text, _) = pdf_text_and_pages(&zhou.print_pdf().await, dir.path());
    for c in customers {
        assert!(text.contains(c), "{c} is in the register:\n{text}");
    }
    assert!(text.contains(&format!("共{}条", customers.len())), "{text}");
    // A month with none lists none.
    zhou.goto("/print/register?from=2001-01-01&to=2001-01-31").await;
    let text = zhou.wait_for_text("客户投诉登记表", WAIT).await;
    assert!(text.contains("共 0 条") && !text.contains("张伟"), "{text}");
    // Unknown pages answer 404 in the page's language.
    zhou.goto("/no-such-page").await;
    zhou.wait_for_text("页面不存在", WAIT).await;
    zhou.click("English").await;
    zhou.goto("/no-such-page").await;
    zhou.wait_for_text("Page not found", WAIT).await;
    zhou.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_keyboard_alone_registers_a_call_and_turns_it_into_a_complaint() {
    let Some(Stage { dir, site, driver }) = browser::stage(false) else {
        return;
    };
    let b = driver.browser(&site.base, &dir.path().join("p1"), 1366, 768).await;
    let (tab, enter, down) = (key(Key::Tab), key(Key::Enter), key(Key::Down));
    b.goto("/login").await;
    b.keys(&format!("{}{tab}{}{enter}", SUPERVISOR.1, SUPERVISOR.2)).await;
    b.wait_for_text("今日", WAIT).await;
    b.goto("/calls/new").await;
    // The form opens on the caller; Tab walks the fields in order.
    b.keys(&format!("赵敏{tab}13700002222{tab}6栋303{tab}门口积水，走路打滑{tab}{tab}")).await;
    // The radio group: arrow keys move the choice to 转为投诉.
    b.keys(&format!("{}", key(Key::Right))).await;
    b.keys(&format!("{tab}{tab}{enter}")).await;
    b.wait_for_text("登记投诉", WAIT).await;
    // The complaint form opens on the customer, filled from the call.
    b.keys(&format!("{tab}{tab}{tab}{tab}{down}{tab}{tab}{tab}{tab}{enter}")).await;
    let text = b.wait_for_text("投诉详情", WAIT).await;
    assert!(text.contains("赵敏") && text.contains("门口积水，走路打滑") && text.contains("13700002222"), "{text}");
    assert_eq!(complaints_at(&site).len(), 1);
    b.close().await;
}
