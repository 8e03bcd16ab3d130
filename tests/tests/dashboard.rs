//! Head office's dashboard in a real headless Chromium, against the real
//! `wuye-server run` (its dashboard over HTTPS on a loopback port) and real
//! sites that synced known records. The figures expected are counted by the
//! test from what it made, never by the product's code. Screenshots of the
//! overview and a site's page go to `docs/screenshots/`.

use std::time::Duration;

use calamine::{Data, Reader};
use fantoccini::Locator;
use wuye_tests::browser::{self, free_tcp_port, Browser, Driver};
use wuye_tests::pg::Postgres;
use wuye_tests::procs::{self, path, Agent, Proc, Server};

const WAIT: Duration = Duration::from_secs(20);

/// Head office with two sites that synced known records, and its people.
struct Company {
    dir: tempfile::TempDir,
    server: Server,
    _proc: Proc,
    base: String,
    a: Agent,
    a_id: String,
    b_id: String,
    /// Site A's major complaint, waiting for the manager.
    major: String,
    driver: Driver,
    /// The PostgreSQL head office runs on, when it does (stopped last).
    _pg: Option<Postgres>,
}

/// What the test made at site A this month, counted here.
const A_COMPLAINTS: usize = 4;
const A_VISITS: usize = 2;
const A_SATISFIED: usize = 1;
const B_COMPLAINTS: usize = 2;

fn company() -> Option<Company> {
    company_on(None)
}

/// [`company`] with head office's records in `pg` when given.
fn company_on(pg: Option<Postgres>) -> Option<Company> {
    if !browser::available() {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = match &pg {
        Some(pg) => Server::init_on(dir.path(), "hq", &pg.database()),
        None => Server::init(dir.path()),
    };
    let cred_a = server.add_site("朝阳花园");
    let cred_b = server.add_site("锦绣家园");
    let server_proc = server.start();
    let a = Agent::init(dir.path(), "a", &server.addr, &server.fingerprint, &cred_a);
    let b = Agent::init(dir.path(), "b", &server.addr, &server.fingerprint, &cred_b);
    assert!(a.run(&["settings", "set", "households", "800"]).status.success());
    // Site A: four complaints, one of them major; two resolved and visited, one satisfied.
    let major = a.add_complaint("张伟", "3栋501", "电梯多次困人", true);
    let first = a.add_complaint("王芳", "5栋202", "楼道卫生差", false);
    let second = a.add_complaint("刘强", "6栋101", "夜间噪音", false);
    a.add_complaint("陈静", "7栋303", "绿化损坏", false);
    for (id, score) in [(&first, "4"), (&second, "2")] {
        assert!(a.run(&["complaint", "resolve", id, "--result", "已处理"]).status.success());
        assert!(a.run(&["complaint", "visit", id, "--satisfaction", score]).status.success());
    }
    for (customer, unit) in [("赵敏", "1栋101"), ("孙丽", "2栋202")] {
        b.add_complaint(customer, unit, "门禁失灵", false);
    }
    a.sync();
    b.sync();
    drop(server_proc);
    let port = free_tcp_port();
    let proc = server.start_with_dashboard(port);
    server.add_user("系统管理员", "admin", "admin", &[]);
    server.add_user("周总", "zhou", "manager", &[]);
    server.add_user("品质部钱工", "qian", "quality", &[]);
    server.add_user("区域李经理", "li", "regional", &[&cred_a.id]);
    let driver = Driver::start(dir.path());
    Some(Company {
        base: format!("https://127.0.0.1:{port}"),
        dir,
        server,
        _proc: proc,
        a,
        a_id: cred_a.id,
        b_id: cred_b.id,
        major,
        driver,
        _pg: pg,
    })
}

/// This month in the tests' Asia/Shanghai.
fn this_month() -> String {
    chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).format("%Y-%m").to_string()
}

impl Company {
    /// `report kpi`'s workbook for `month`, from the command line, opened.
    fn workbook(&self, month: &str) -> calamine::Xlsx<std::io::BufReader<std::fs::File>> {
        let out = self.dir.path().join(format!("report-{month}-{}.xlsx", free_tcp_port()));
        let data = path(&self.server.data);
        procs::ok(
            "wuye-server",
            &["report", "kpi", "--data", data, "--month", month, "--format", "xlsx", "--out", path(&out)],
        );
        calamine::open_workbook(&out).unwrap()
    }

    async fn signed_in(&self, login: &str) -> Browser {
        let profile = self.dir.path().join(format!("profile-{login}-{}", free_tcp_port()));
        let b = self.driver.browser(&self.base, &profile, 1366, 900).await;
        b.sign_in(login, &browser::password(login)).await;
        b.wait_for_text("总览", WAIT).await;
        b
    }
}

/// The text of one cell of the overview: site row, figure column.
async fn cell(b: &Browser, site: &str, key: &str) -> String {
    let css = format!("tr[data-site='{site}'] td[data-k='{key}']");
    b.client.find(Locator::Css(&css)).await.unwrap().text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_shows_each_sites_figures_as_counted_and_a_regional_manager_sees_only_their_sites() {
    let Some(c) = company() else {
        return;
    };
    let q = c.signed_in("qian").await;
    q.wait_for_text("朝阳花园", WAIT).await;
    assert_eq!(cell(&q, &c.a_id, "complaints").await, A_COMPLAINTS.to_string());
    assert_eq!(cell(&q, &c.b_id, "complaints").await, B_COMPLAINTS.to_string());
    let satisfied = format!("{:.1}%", A_SATISFIED as f64 * 100.0 / A_VISITS as f64);
    assert_eq!(cell(&q, &c.a_id, "satisfaction").await, satisfied);
    assert_eq!(cell(&q, &c.a_id, "majors").await, "1 (0 h)");
    let rate = format!("{:.2}", A_COMPLAINTS as f64 * 100.0 / 800.0);
    assert_eq!(cell(&q, &c.a_id, "rate").await, rate, "households came with the site's profile");
    let total = q.client.find(Locator::Css("tr.total td[data-k='complaints']")).await.unwrap().text().await.unwrap();
    assert_eq!(total, (A_COMPLAINTS + B_COMPLAINTS).to_string());
    q.screenshot("dashboard-overview").await;

    // Sorted by complaints, most first: site A leads.
    q.goto("/?sort=complaints&desc=true").await;
    let first = q.client.find(Locator::Css("#overview tbody tr")).await.unwrap().attr("data-site").await.unwrap();
    assert_eq!(first.as_deref(), Some(c.a_id.as_str()));

    q.click("朝阳花园").await;
    q.wait_for_text("本期指标", WAIT).await;
    let text = q.text().await;
    assert!(text.contains("电梯多次困人") && text.contains("楼道卫生差"), "{text}");
    q.screenshot("dashboard-site").await;
    q.close().await;

    let li = c.signed_in("li").await;
    let text = li.wait_for_text("朝阳花园", WAIT).await;
    assert!(!text.contains("锦绣家园"), "a regional manager sees only their sites: {text}");
    li.goto(&format!("/sites/{}", c.b_id)).await;
    li.wait_for_text("不在您负责的范围内", WAIT).await;
    li.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_made_in_the_browser_reaches_the_site_at_its_next_sync() {
    let Some(c) = company() else {
        return;
    };
    // A quality person may note but not decide.
    let q = c.signed_in("qian").await;
    q.goto(&format!("/complaints/{}", c.major)).await;
    q.wait_for_text("电梯多次困人", WAIT).await;
    assert!(!q.text().await.contains("记录决定"), "only a manager decides");
    q.close().await;

    let zhou = c.signed_in("zhou").await;
    zhou.goto(&format!("/complaints/{}", c.major)).await;
    zhou.wait_for_text("待经理决定", WAIT).await;
    zhou.fill("经理决定", "由维修部三日内修复，费用公司承担").await;
    zhou.click("记录决定").await;
    zhou.wait_for_text("已记录，将在该管理处下次同步时送达", WAIT).await;
    zhou.wait_for_text("经理已决定", WAIT).await;
    zhou.close().await;

    c.a.sync();
    let at_site = c.a.json(&["complaint", "show", &c.major]);
    assert_eq!(at_site["decision"]["text"], "由维修部三日内修复，费用公司承担");
    assert_eq!(at_site["decision"]["by"], "周总（总部经理）");
    assert_eq!(at_site["status"], "decided");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_the_dashboard_counts_the_same_and_a_decision_reaches_the_site() {
    let Some(pg) = Postgres::start() else { return };
    let Some(c) = company_on(Some(pg)) else {
        return;
    };
    let zhou = c.signed_in("zhou").await;
    zhou.wait_for_text("朝阳花园", WAIT).await;
    assert_eq!(cell(&zhou, &c.a_id, "complaints").await, A_COMPLAINTS.to_string());
    assert_eq!(cell(&zhou, &c.b_id, "complaints").await, B_COMPLAINTS.to_string());
    let satisfied = format!("{:.1}%", A_SATISFIED as f64 * 100.0 / A_VISITS as f64);
    assert_eq!(cell(&zhou, &c.a_id, "satisfaction").await, satisfied);
    assert_eq!(cell(&zhou, &c.a_id, "majors").await, "1 (0 h)");

    zhou.goto(&format!("/complaints/{}", c.major)).await;
    zhou.wait_for_text("待经理决定", WAIT).await;
    zhou.fill("经理决定", "更换电梯控制柜，本周内完成").await;
    zhou.click("记录决定").await;
    zhou.wait_for_text("经理已决定", WAIT).await;
    zhou.goto("/sync").await;
    zhou.wait_for_text("锦绣家园", WAIT).await;
    zhou.close().await;
    c.a.sync();
    let at_site = c.a.json(&["complaint", "show", &c.major]);
    assert_eq!(at_site["decision"]["text"], "更换电梯控制柜，本周内完成");
    assert_eq!(at_site["decision"]["by"], "周总（总部经理）");

    // The service's own pages read the database too.
    let metrics = c.driver.browser(&c.base, &c.dir.path().join("profile-metrics"), 1366, 900).await;
    metrics.goto("/metrics").await;
    let text = metrics.wait_for_text("wuye_store_bytes", WAIT).await;
    let bytes: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("wuye_store_bytes "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{text}"));
    assert!(bytes > 0.0, "the database's size: {text}");
    assert!(text.contains(&format!("site=\"{}\"", c.a_id)), "{text}");
    metrics.goto("/readyz").await;
    metrics.wait_for_text("ready: 2 site(s)", WAIT).await;
    metrics.close().await;

    // The month's workbook, from the records in PostgreSQL.
    let mut book = c.workbook(&this_month());
    assert_eq!(book.worksheet_range("客户投诉登记表").unwrap().height(), 1 + A_COMPLAINTS + B_COMPLAINTS);
    assert_eq!(book.worksheet_range("回访记录表").unwrap().height(), 1 + A_VISITS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_offline_for_two_days_is_alerted_and_the_exports_read_back_with_the_counted_rows() {
    let Some(c) = company() else {
        return;
    };
    // Site B's last sync two days ago, as if its link had been down since.
    let db = rusqlite::Connection::open(c.server.data.join("server.db")).unwrap();
    let two_days_ago = (chrono::Utc::now() - chrono::Duration::hours(49)).to_rfc3339();
    db.execute("UPDATE sites SET last_sync_at = ?1 WHERE id = ?2", [&two_days_ago, &c.b_id]).unwrap();
    drop(db);
    let admin = c.signed_in("admin").await;
    admin.wait_for_text("超过一天未同步（49 h）", WAIT).await;
    admin.click("同步状况").await;
    admin.wait_for_text("客户端版本", WAIT).await;
    admin.close().await;

    // The workbook for the month, from the command line, read back.
    let month = this_month();
    let mut book = c.workbook(&month);
    let complaints = book.worksheet_range("客户投诉登记表").unwrap();
    let header: Vec<String> = complaints.rows().next().unwrap().iter().map(|d| d.to_string()).collect();
    assert_eq!(&header[..5], ["管理处", "序号", "日期/时间", "房号", "投诉人"]);
    assert_eq!(complaints.height(), 1 + A_COMPLAINTS + B_COMPLAINTS);
    let figures = book.worksheet_range("月度指标").unwrap();
    let row_a: Vec<Data> = figures.rows().find(|r| r[0] == Data::String("朝阳花园".into())).unwrap().to_vec();
    assert_eq!(row_a[2], Data::Float(A_COMPLAINTS as f64), "投诉量");
    let visits = book.worksheet_range("回访记录表").unwrap();
    assert_eq!(visits.height(), 1 + A_VISITS);

    // The same month as CSV from the dashboard, for a person who may export.
    let q = c.signed_in("qian").await;
    let got = q
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0]).then(r => r.arrayBuffer()).then(b => {
                 const bytes = Array.from(new Uint8Array(b).slice(0, 3));
                 done({bom: bytes, text: new TextDecoder().decode(b)});
             });",
            vec![serde_json::json!(format!("/export?period={month}&format=csv&sheet=complaints"))],
        )
        .await
        .unwrap();
    assert_eq!(got["bom"], serde_json::json!([0xEF, 0xBB, 0xBF]), "a byte-order mark, for Excel");
    let csv = got["text"].as_str().unwrap();
    assert_eq!(csv.trim_end().lines().count(), 1 + A_COMPLAINTS + B_COMPLAINTS, "{csv}");
    q.close().await;
}
