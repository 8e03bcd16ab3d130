//! `wuye-demo`: head office and two site offices on loopback, on embedded
//! SQLite in a temporary folder. One site is cut off, keeps working, and
//! catches up; a head-office decision flows down. `--keep` leaves it running.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::bail;
use serde_json::Value;
use wuye_tests::procs::{self, path, Agent, Proc, Server};
use wuye_tests::relay::Relay;

const WAIT_LIMIT: Duration = Duration::from_secs(90);

fn say(text: &str) {
    println!("{text}");
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) -> anyhow::Result<()> {
    let start = Instant::now();
    while !done() {
        if start.elapsed() > WAIT_LIMIT {
            bail!("gave up after {} s waiting for {what}", WAIT_LIMIT.as_secs());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    say(&format!("   ({what}: {:.1} s)", start.elapsed().as_secs_f64()));
    Ok(())
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("?")
}

fn complaints(v: Value) -> Vec<Value> {
    v.as_array().cloned().unwrap_or_default()
}

fn add(agent: &Agent, customer: &str, unit: &str, summary: &str, major: bool) -> String {
    let id = agent.add_complaint(customer, unit, summary, major);
    say(&format!("   登记 {customer} {unit}: {summary}{}", if major { " [重大投诉 major]" } else { "" }));
    id
}

fn main() -> anyhow::Result<()> {
    let keep = std::env::args().any(|a| a == "--keep");
    let tmp = tempfile::Builder::new().prefix("wuye-demo-").tempdir()?;
    let dir = tmp.path();
    let rt = tokio::runtime::Runtime::new()?;

    say("Wuye demo: head office and two site offices on this machine (loopback QUIC, embedded SQLite)\n");
    let server = Server::init(dir);
    let chaoyang = server.add_site("朝阳花园管理处");
    let haidian = server.add_site("海淀雅苑管理处");
    let dashboard_port = wuye_tests::browser::free_tcp_port();
    let hq = server.start_with_dashboard(dashboard_port);
    server.add_user("周总", "zhou", "manager", &[]);
    say(&format!("1. Head office is serving at {} (certificate {}…)", server.addr, &server.fingerprint[..16]));
    say(&format!("   and its dashboard at https://127.0.0.1:{dashboard_port} (manager 周总, sign-in name zhou)"));

    let relay = rt.block_on(Relay::start(server.addr.parse()?))?;
    let a = Agent::init(dir, "chaoyang", &server.addr, &server.fingerprint, &chaoyang);
    let b = Agent::init(dir, "haidian", &relay.addr.to_string(), &server.fingerprint, &haidian);
    // Each site's web desk on a loopback port of its own.
    let desks = [
        format!("127.0.0.1:{}", wuye_tests::browser::free_tcp_port()),
        format!("127.0.0.1:{}", wuye_tests::browser::free_tcp_port()),
    ];
    let run_args = |agent: &Agent, desk: &str| {
        let data = path(&agent.data).to_string();
        ["run", "--data", &data, "--interval-secs", "1", "--web-listen", desk].map(String::from).to_vec()
    };
    let a_run = Proc::spawn(
        "wuye-agent",
        &run_args(&a, &desks[0]).iter().map(String::as_str).collect::<Vec<_>>(),
        &dir.join("chaoyang.log"),
    );
    let b_run = Proc::spawn(
        "wuye-agent",
        &run_args(&b, &desks[1]).iter().map(String::as_str).collect::<Vec<_>>(),
        &dir.join("haidian.log"),
    );
    say(&format!(
        "2. Two site agents are running and syncing every second: 朝阳花园管理处 and 海淀雅苑管理处 (whose line goes through a relay we can cut).\n   Each was set up with the one-time enrollment code head office issued, traded at its first sync for a credential of its own;\n   its first supervisor, {} (客服主管), is signed in.\n",
        wuye_tests::procs::SUPERVISOR.0
    ));

    say("3. The front desks register complaints:");
    add(&a, "张伟", "3栋2单元501", "楼上漏水，天花板发霉", false);
    let a_major = add(&a, "王芳", "5栋1单元202", "物业费多收，要求退还", true);
    add(&a, "李娜", "1栋1单元101", "楼道垃圾未及时清运", false);
    add(&b, "刘洋", "2栋3单元303", "电梯夜间噪音过大", false);
    let b_major = add(&b, "赵敏", "8栋1单元101", "地下车库积水，车辆受损", true);
    wait_until("head office has all 5 complaints", || complaints(server.json(&["complaint", "list"])).len() == 5)?;

    relay.cut();
    say("\n4. 海淀雅苑's line is cut. The office keeps working offline:");
    add(&b, "孙丽", "6栋2单元602", "门禁卡无法开启单元门", false);
    procs::ok(
        "wuye-agent",
        &["complaint", "note", &b_major, "--data", path(&b.data), "--text", "已联系保险公司，等待定损"],
    );
    say("   跟踪记录 on 赵敏's complaint: 已联系保险公司，等待定损");
    say(&format!(
        "   海淀雅苑 now holds {} complaints; head office has {} of them",
        complaints(b.json(&["complaint", "list"])).len(),
        complaints(server.json(&["complaint", "list", "--site", &haidian.id])).len()
    ));

    say("\n5. At head office the property manager (物业公司经理) decides both major complaints:");
    for (id, text) in [(&a_major, "核实后退还多收部分"), (&b_major, "公司先行垫付维修费，工程部加装排水泵")]
    {
        procs::ok("wuye-server", &["complaint", "decide", id, "--data", path(&server.data), "--text", text]);
        say(&format!("   决定: {text}"));
    }
    wait_until("朝阳花园, still online, has its decision", || {
        a.json(&["complaint", "show", &a_major])["status"] == "decided"
    })?;
    say(&format!(
        "   海淀雅苑, offline, shows its major complaint as: {}",
        text(&b.json(&["complaint", "show", &b_major])["status"])
    ));

    relay.heal();
    say("\n6. The line comes back; 海淀雅苑's agent reconnects by itself:");
    wait_until("海淀雅苑 and head office agree", || {
        let site = b.json(&["complaint", "list"]);
        let office = server.json(&["complaint", "list", "--site", &haidian.id]);
        complaints(site.clone()).len() == 3 && site == office
    })?;
    let merged = b.json(&["complaint", "show", &b_major]);
    say(&format!(
        "   赵敏's complaint now carries both the offline note ({}) and the decision ({}); status {}",
        text(&merged["notes"][0]["text"]),
        text(&merged["decision"]["text"]),
        text(&merged["status"])
    ));

    say("\n7. Final check, record by record:");
    let mut all_agree = true;
    for (name, agent, cred) in [("朝阳花园", &a, &chaoyang), ("海淀雅苑", &b, &haidian)] {
        let site = agent.json(&["complaint", "list"]);
        let office = server.json(&["complaint", "list", "--site", &cred.id]);
        let same = site == office;
        all_agree &= same;
        say(&format!(
            "   {name}: {} complaints at the site, {} at head office: {}",
            complaints(site).len(),
            complaints(office).len(),
            if same { "identical" } else { "DIFFERENT" }
        ));
    }
    if !all_agree {
        bail!("the sites and head office disagree; logs are in {}", dir.display());
    }
    say("   Both sites and head office agree.\n");

    let month = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).format("%Y-%m").to_string();
    say(&format!("8. Head office's figures for {month} (docs/KPI.md; the dashboard shows the same):"));
    let kpi = procs::ok("wuye-server", &["report", "kpi", "--data", path(&server.data), "--month", &month]);
    for line in kpi.lines() {
        say(&format!("   {line}"));
    }
    say("");

    if keep {
        let kept = tmp.keep();
        explain(&kept, &server, &a, &b, &desks, dashboard_port);
        println!("Press Ctrl-C to stop everything.");
        rt.block_on(async {
            let _ = tokio::signal::ctrl_c().await;
        });
        drop((a_run, b_run, hq, relay));
        println!("stopped; the folders stay in {}", kept.display());
    } else {
        drop((a_run, b_run, hq, relay));
        say("Demo finished; its temporary folder was removed. Run with --keep to explore it.");
    }
    Ok(())
}

fn explain(dir: &Path, server: &Server, a: &Agent, b: &Agent, desks: &[String; 2], dashboard_port: u16) {
    let bin = procs::bin_dir();
    let s = bin.join("wuye-server");
    let ag = bin.join("wuye-agent");
    println!("Everything is still running. Folders in {}:", dir.display());
    println!("  head office  {}", server.data.display());
    println!("  朝阳花园      {}", a.data.display());
    println!("  海淀雅苑      {}  (through the relay)", b.data.display());
    println!(
        "The web desks (open in a browser; sign in as {} with the password {}):",
        procs::SUPERVISOR.1,
        procs::SUPERVISOR.2
    );
    println!("  朝阳花园      http://{}", desks[0]);
    println!("  海淀雅苑      http://{}", desks[1]);
    println!(
        "Head office's dashboard: https://127.0.0.1:{dashboard_port} (its certificate authority is {}; sign in as zhou with the password {})",
        server.data.join("web-ca.pem").display(),
        wuye_tests::browser::password("zhou")
    );
    println!("Try:");
    println!("  {} complaint list --data {}", s.display(), server.data.display());
    println!("  {} site list --data {}", s.display(), server.data.display());
    println!(
        "  {} complaint add --data {} --customer 周杰 --unit 7栋701 --channel wechat --summary 快递柜损坏",
        ag.display(),
        a.data.display()
    );
    println!("  {} complaint list --data {}", ag.display(), a.data.display());
    println!("Logs: {}/*.log", dir.display());
}
