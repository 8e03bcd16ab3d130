//! End to end: the real `wuye-server` and `wuye-agent` binaries on loopback QUIC.
//!
//! Build the binaries first (`cargo build --release --workspace --bins`); the
//! tests find them beside their own executable or in `WUYE_BIN_DIR`.

use std::sync::Arc;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use serde_json::Value;
use wuye_tests::procs::{self, path, Agent, Proc, Server};

fn list(v: &Value) -> &Vec<Value> {
    v.as_array().expect("a JSON list")
}

fn by_id<'a>(v: &'a Value, id: &str) -> &'a Value {
    list(v).iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("{id} not listed in {v}"))
}

fn one_site(dir: &std::path::Path) -> (Server, Agent) {
    let server = Server::init(dir);
    let cred = server.add_site("朝阳花园管理处");
    let agent = Agent::init(dir, "site-a", &server.addr, &server.fingerprint, &cred);
    (server, agent)
}

#[test]
fn complaints_added_while_head_office_is_down_arrive_with_identical_fields() {
    let dir = tempfile::tempdir().unwrap();
    let (server, agent) = one_site(dir.path());
    let ids = [
        agent.add_complaint("张伟", "3栋2单元501", "楼上漏水，天花板发霉", false),
        agent.add_complaint("王芳", "5栋1单元202", "电梯夜间噪音过大", true),
        agent.add_complaint("李娜", "1栋1单元101", "楼道垃圾未及时清运", false),
    ];

    let offline = agent.run(&["sync"]);
    assert!(!offline.status.success(), "sync must fail while head office is down");
    let stderr = String::from_utf8_lossy(&offline.stderr);
    assert!(stderr.contains("cannot reach head office"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert_eq!(list(&agent.json(&["complaint", "list"])).len(), 3, "nothing lost");

    let _running = server.start();
    let report = agent.sync();
    assert_eq!(report["pushed"], 5, "the three complaints, the supervisor's staff record and the site profile");
    let at_office = server.json(&["complaint", "list"]);
    let at_site = agent.json(&["complaint", "list"]);
    assert_eq!(list(&at_office).len(), 3);
    for id in &ids {
        assert_eq!(by_id(&at_office, id), by_id(&at_site, id));
    }
    let first = by_id(&at_office, &ids[0]);
    assert_eq!(first["customer"], "张伟");
    assert!(first["received_at"].as_str().unwrap().ends_with("+08:00"), "{first}");
    assert_eq!(by_id(&at_office, &ids[1])["status"], "escalated");
}

#[test]
fn a_head_office_decision_reaches_the_site() {
    let dir = tempfile::tempdir().unwrap();
    let (server, agent) = one_site(dir.path());
    let _running = server.start();
    let id = agent.add_complaint("王芳", "5栋1单元202", "物业费收费标准有误，要求退还", true);
    agent.sync();
    procs::ok(
        "wuye-server",
        &["complaint", "decide", &id, "--data", path(&server.data), "--text", "核实后退还多收部分"],
    );
    let report = agent.sync();
    assert_eq!(report["pulled"], 1);
    let c = agent.json(&["complaint", "show", &id]);
    assert_eq!(c["status"], "decided");
    assert_eq!(c["decision"]["text"], "核实后退还多收部分");
    assert_eq!(c["decision"]["by"], "物业公司经理（总部命令行）");
}

#[test]
fn a_site_note_and_a_head_office_decision_made_concurrently_both_survive() {
    let dir = tempfile::tempdir().unwrap();
    let (server, agent) = one_site(dir.path());
    let id = agent.add_complaint("刘洋", "2栋3单元303", "地下车库积水", true);
    let running = server.start();
    agent.sync();
    drop(running);
    // Head office decides while the site, offline, adds a tracking note.
    procs::ok("wuye-server", &["complaint", "decide", &id, "--data", path(&server.data), "--text", "工程部加装排水泵"]);
    procs::ok("wuye-agent", &["complaint", "note", &id, "--data", path(&agent.data), "--text", "已通知业主挪车"]);
    let _running = server.start();
    agent.sync();
    let at_site = agent.json(&["complaint", "show", &id]);
    let at_office = server.json(&["complaint", "show", &id]);
    assert_eq!(at_site, at_office);
    assert_eq!(at_site["notes"][0]["text"], "已通知业主挪车");
    assert_eq!(at_site["decision"]["text"], "工程部加装排水泵");
    assert_eq!(at_site["status"], "decided");
}

#[test]
fn a_wrong_or_used_enrollment_code_a_wrong_fingerprint_and_another_sites_records_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::init(dir.path());
    let a = server.add_site("朝阳花园管理处");
    let b = server.add_site("海淀雅苑管理处");
    let site_a = Agent::init(dir.path(), "site-a", &server.addr, &server.fingerprint, &a);
    let site_b = Agent::init(dir.path(), "site-b", &server.addr, &server.fingerprint, &b);
    let _running = server.start();

    let wrong_code = procs::SiteCred { id: a.id.clone(), code: "ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ".into() };
    let guesser = Agent::init(dir.path(), "guesser", &server.addr, &server.fingerprint, &wrong_code);
    let out = guesser.run(&["sync"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("enrollment code") && stderr.contains("wrong"), "{stderr}");

    let wrong_fp = Agent::init(dir.path(), "mitm", &server.addr, &"ab".repeat(32), &a);
    let out = wrong_fp.run(&["sync"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("does not match the pinned"), "{stderr}");

    let secret = site_a.add_complaint("张伟", "3栋501", "邻居装修扰民", false);
    site_a.sync();
    // Site A's code is spent: a second folder set up with it is refused.
    let thief = Agent::init(dir.path(), "thief", &server.addr, &server.fingerprint, &a);
    let out = thief.run(&["sync"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("already used"), "{stderr}");
    assert_eq!(site_a.sync()["pushed"], 0, "the spent code does not disturb the site that used it");
    site_b.add_complaint("赵敏", "8栋101", "绿化带杂草丛生", false);
    site_b.sync();
    let seen_by_b = site_b.json(&["complaint", "list"]);
    assert_eq!(list(&seen_by_b).len(), 1);
    assert!(list(&seen_by_b).iter().all(|c| c["id"] != secret.as_str()));
    assert!(!site_b.run(&["complaint", "show", &secret]).status.success());
    assert_eq!(list(&server.json(&["complaint", "list"])).len(), 2);
}

#[test]
fn an_agent_killed_mid_sync_loses_nothing_and_the_next_sync_completes() {
    let seed: u64 =
        std::env::var("WUYE_TEST_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| rand::thread_rng().gen());
    println!("seed {seed} (replay with WUYE_TEST_SEED={seed})");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let dir = tempfile::tempdir().unwrap();
    let (server, agent) = one_site(dir.path());

    // Bulk records through the library, so a sync takes long enough to be cut.
    {
        let (store, config) = wuye_agent::config::open(&agent.data).unwrap();
        let mut desk =
            wuye_app::desk::Desk::with_os_rng(store, config.site(), Arc::new(wuye_protocol::time::SystemClock));
        for n in 0..3_000 {
            desk.add_complaint(&wuye_tests::harness::sample(n, n % 10 == 0), "客服员").unwrap();
        }
    }
    let reported: Vec<String> =
        (0..3).map(|n| agent.add_complaint("张伟", &format!("{n}栋101"), "报告已保存的投诉", false)).collect();

    let _running = server.start();
    let mut cut_mid_sync = 0;
    for round in 0..5 {
        // The first sync carries the 3,000 records: kill it early so that at least one
        // sync is always cut, however fast this machine is; later ones carry a record each.
        let delay_ms = if round == 0 { rng.gen_range(20..60) } else { rng.gen_range(20..400) };
        let mut sync = Proc::spawn(
            "wuye-agent",
            &["sync", "--data", path(&agent.data)],
            &dir.path().join(format!("sync-{round}.log")),
        );
        std::thread::sleep(Duration::from_millis(delay_ms));
        if !sync.has_exited() {
            cut_mid_sync += 1;
        }
        sync.kill();
        let extra = agent.add_complaint("王芳", "9栋909", &format!("第{round}次中断后登记"), false);
        let listed = agent.json(&["complaint", "list"]);
        assert!(list(&listed).iter().any(|c| c["id"] == extra.as_str()), "seed {seed}");
    }
    println!("{cut_mid_sync} of 5 syncs were killed before they finished");
    assert!(cut_mid_sync > 0, "no sync was cut short; seed {seed}");
    agent.sync();
    let at_site = agent.json(&["complaint", "list"]);
    let at_office = server.json(&["complaint", "list"]);
    assert_eq!(list(&at_site).len(), 3_000 + 3 + 5, "seed {seed}");
    assert_eq!(at_site, at_office, "seed {seed}");
    for id in &reported {
        by_id(&at_office, id);
    }
    let store = wuye_node::Store::open(&agent.data.join(wuye_agent::DB_FILE)).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok", "seed {seed}");
}

#[test]
fn a_day_at_a_site_with_head_office_down_reaches_head_office_intact() {
    let dir = tempfile::tempdir().unwrap();
    let (server, agent) = one_site(dir.path());
    let run = |args: &[&str]| -> String {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--data", path(&agent.data)]);
        procs::ok("wuye-agent", &all).trim().to_string()
    };
    let add_with_login = |name: &str, role: &str, login: &str| {
        let args = ["staff", "add", "--name", name, "--role", role, "--login", login, "--data", path(&agent.data)];
        procs::ok_with_input("wuye-agent", &args, &format!("{login}-密码-2026\n"));
    };
    let sign_in = |login: &str| {
        let out = agent.login(login, &format!("{login}-密码-2026"));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    add_with_login("李娜", "客服员", "lina");
    add_with_login("张主管", "supervisor", "zhang");
    add_with_login("王师傅", "维修", "wang");
    let fixer = run(&["staff", "list", "--json"]);
    let fixer: serde_json::Value = serde_json::from_str(&fixer).unwrap();
    let fixer =
        fixer.as_array().unwrap().iter().find(|m| m["name"] == "王师傅").unwrap()["id"].as_str().unwrap().to_string();
    // A front-desk agent may not add staff.
    sign_in("lina");
    let refused = agent.run(&["staff", "add", "--name", "赵六", "--role", "客服员"]);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("客服主管"), "only supervisors add staff");
    // Morning calls and visits.
    let leak =
        run(&["log", "add", "--channel", "phone", "--caller", "张伟", "--unit", "3栋501", "--text", "卫生间漏水"]);
    let noise =
        run(&["log", "add", "--channel", "visit", "--caller", "王芳", "--unit", "5栋202", "--text", "楼上装修噪音"]);
    let wall = run(&["log", "add", "--channel", "phone", "--caller", "赵敏", "--text", "外墙渗水原因"]);
    run(&["log", "add", "--channel", "phone", "--caller", "刘洋", "--text", "明天是否停水"]);
    let repair = run(&[
        "repair",
        "add",
        "--unit",
        "3栋501",
        "--category",
        "水",
        "--description",
        "卫生间漏水",
        "--urgency",
        "emergency",
        "--channel",
        "phone",
        "--from-log",
        &leak,
    ]);
    run(&["repair", "dispatch", &repair, "--to", &fixer]);
    sign_in("wang");
    run(&["repair", "arrive", &repair]);
    run(&["repair", "complete", &repair, "--work", "更换密封圈"]);
    sign_in("lina");
    let complaint = run(&[
        "complaint",
        "add",
        "--customer",
        "王芳",
        "--unit",
        "5栋202",
        "--channel",
        "visit",
        "--summary",
        "楼上装修噪音",
        "--department",
        "安保",
        "--from-log",
        &noise,
    ]);
    run(&["complaint", "assign", &complaint, "--department", "安保"]);
    run(&["complaint", "resolve", &complaint, "--result", "已要求楼上按时施工"]);
    run(&["complaint", "visit", &complaint, "--satisfaction", "4"]);
    let refused = agent.run(&["complaint", "archive", &complaint]);
    assert!(!refused.status.success(), "a front-desk agent may not archive");
    sign_in("zhang");
    run(&["complaint", "archive", &complaint]);
    sign_in("lina");
    let due = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
    run(&[
        "commitment",
        "add",
        "--text",
        "咨询工程部外墙渗水原因",
        "--due",
        &due,
        "--caller",
        "赵敏",
        "--from-log",
        &wall,
    ]);
    // The handover lists the one call nobody handled, and the open work order.
    let handover = agent.json(&["handover"]);
    assert_eq!(handover["carry_over"].as_array().unwrap().len(), 1, "{handover}");
    assert_eq!(handover["carry_over"][0]["caller"], "刘洋");
    assert_eq!(handover["open_repairs"].as_array().unwrap().len(), 1);
    assert_eq!(handover["open_complaints"].as_array().unwrap().len(), 0);

    // Head office was down all day; now it is back.
    assert!(!agent.run(&["sync"]).status.success());
    let _running = server.start();
    agent.sync();
    assert_eq!(server.json(&["complaint", "list"]), agent.json(&["complaint", "list"]));
    assert_eq!(server.json(&["repair", "list"]), agent.json(&["repair", "list"]));
    assert_eq!(server.json(&["complaint", "show", &complaint])["status"], "archived");
    assert_eq!(server.json(&["repair", "show", &repair])["status"], "completed");
    for (kind, count) in [("staff", 4), ("log", 4), ("commitment", 1)] {
        let rows = server.json(&["records", kind]);
        assert_eq!(rows.as_array().unwrap().len(), count, "{kind}: {rows}");
    }
    let history = agent.json(&["complaint", "history", &complaint]);
    let archived = history.as_array().unwrap().iter().find(|h| h["type"] == "archived").unwrap();
    assert_eq!(archived["by"], "张主管（客服主管）");
}

#[test]
fn a_revoked_site_is_refused_and_a_rotated_credential_lets_it_back_in() {
    let dir = tempfile::tempdir().unwrap();
    let (server, agent) = one_site(dir.path());
    let _running = server.start();
    agent.add_complaint("张伟", "1栋101", "登记", false);
    agent.sync();
    let site = server.json(&["site", "list"])[0]["site_id"].as_str().unwrap().to_string();
    procs::ok("wuye-server", &["site", "revoke", &site, "--data", path(&server.data)]);
    let out = agent.run(&["sync"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("revoked"), "{stderr}");
    let fresh = procs::json("wuye-server", &["site", "rotate", &site, "--data", path(&server.data), "--json"]);
    let out = agent.run(&["sync"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("wuye-agent enroll"),
        "rotation ends the old credential: {stderr}"
    );
    procs::ok("wuye-agent", &["enroll", fresh["code"].as_str().unwrap(), "--data", path(&agent.data)]);
    agent.add_complaint("王芳", "2栋202", "恢复后登记", false);
    assert_eq!(agent.sync()["pushed"], 1);
}

#[test]
fn head_office_computes_a_sites_daily_figures_the_same_as_the_site() {
    let dir = tempfile::tempdir().unwrap();
    let (server, agent) = one_site(dir.path());
    let _running = server.start();
    agent.add_complaint("王芳", "5栋1单元202", "物业费多收，要求退还", true);
    agent.add_complaint("李娜", "1栋1单元101", "楼道垃圾未及时清运", false);
    let report = agent.json(&["report", "daily"]);
    agent.sync();
    let site = agent.json(&["status"])["site_id"].as_str().unwrap().to_string();
    let date = report["date"].as_str().unwrap();
    let at_office = server.json(&["report", "daily", "--site", &site, "--date", date]);
    assert_eq!(at_office, report["figures"], "the same figures from the same records and the same code");
    assert_eq!(at_office["major_complaints"].as_array().unwrap().len(), 1);
    let bad = procs::run(
        "wuye-server",
        &["report", "daily", "--site", &site, "--date", "明天", "--data", path(&server.data)],
    );
    assert!(String::from_utf8_lossy(&bad.stderr).contains("is not a valid date"));
}
