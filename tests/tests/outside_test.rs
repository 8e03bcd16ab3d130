//! What an outside test broke (issue 9), one regression test per item, each
//! with the reproduction it was found by, on the real binaries where it was.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use wuye_node::Records as _;

use wuye_protocol::staff::Staff;
use wuye_tests::procs::{self, path, Agent, Server, SUPERVISOR};

/// A head office, one enrolled site, and a running server.
struct World {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
    server: Server,
    agent: Agent,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let server = Server::init(&root);
    let cred = server.add_site("朝阳花园管理处");
    let agent = Agent::init(&root, "site", &server.addr, &server.fingerprint, &cred);
    World { _dir: dir, root, server, agent }
}

/// Runs an agent command with standard input; its output.
fn agent_with_input(agent: &Agent, args: &[&str], input: &str) -> std::process::Output {
    let mut all = args.to_vec();
    all.extend(["--data", path(&agent.data)]);
    procs::run_with_input("wuye-agent", &all, Some(input))
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

fn refused(out: std::process::Output, words: &str) -> String {
    let e = stderr(&out);
    assert!(!out.status.success(), "succeeded; expected a refusal with '{words}'");
    assert!(e.contains(words), "expected '{words}' in: {e}");
    e
}

/// Adds a staff member with a sign-in; returns their id.
fn add_staff(agent: &Agent, name: &str, role: &str, login: &str, password: &str) -> String {
    let out = agent_with_input(
        agent,
        &["staff", "add", "--name", name, "--role", role, "--login", login, "--json"],
        &format!("{password}\n"),
    );
    assert!(out.status.success(), "staff add: {}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["id"].as_str().unwrap().to_string()
}

fn sign_in(agent: &Agent, login: &str, password: &str) {
    let out = agent.login(login, password);
    assert!(out.status.success(), "login {login}: {}", stderr(&out));
}

#[test]
fn item1_a_parallel_burst_of_wrong_passwords_counts_every_attempt_and_the_right_one_must_wait() {
    let w = world();
    let burst: Vec<_> = (0..11)
        .map(|i| {
            let mut child = Command::new(procs::bin("wuye-agent"))
                .args(["login", SUPERVISOR.1, "--data", path(&w.agent.data)])
                .env("WUYE_LOG", "warn")
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            use std::io::Write;
            let _ = child.stdin.take().unwrap().write_all(format!("wrong{i}-password\n").as_bytes());
            child
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let right = w.agent.login(SUPERVISOR.1, SUPERVISOR.2);
    for mut child in burst {
        assert!(!child.wait().unwrap().success(), "a wrong password never signs in");
    }
    let words = refused(right, "wait");
    assert!(words.contains("failed attempts"), "{words}");
    let (store, _) = wuye_agent::config::open(&w.agent.data).unwrap();
    let failures: u32 =
        store.conn().query_row("SELECT failures FROM login_failures WHERE login = 'zhou'", [], |r| r.get(0)).unwrap();
    assert_eq!(failures, 12, "eleven wrong attempts and the refused right one, every one counted");
}

#[test]
fn item2_control_characters_are_refused_at_input_on_both_sides_and_in_documents_received() {
    let w = world();
    let out = w.agent.run(&[
        "complaint",
        "add",
        "--customer",
        "evil\x1b[2J\x1b[31m",
        "--unit",
        "1\r\n伪造行 已归档",
        "--channel",
        "phone",
        "--summary",
        "x\x1b]0;pwned\x07y",
    ]);
    let e = refused(out, "control character");
    assert!(!e.contains('\x1b'), "the refusal itself prints no escape: {e:?}");
    let out = procs::run("wuye-server", &["site", "add", "--name", "x\x1b[31my", "--data", path(&w.server.data)]);
    refused(out, "control character");
    // A summary may hold line breaks; a name may not.
    let ok = w.agent.add_complaint(
        "张伟",
        "3栋501",
        "第一行
第二行",
        false,
    );
    assert_eq!(
        w.agent.json(&["complaint", "show", &ok])["summary"],
        "第一行
第二行"
    );

    // A forged document carrying an escape is refused when read, whoever sent it.
    use automerge::transaction::Transactable;
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(9);
    let new = wuye_tests::harness::sample(1, false);
    let mut doc = wuye_protocol::complaint::create(
        wuye_protocol::ids::RecordId::random(&mut rng),
        wuye_protocol::ids::SiteId::random(&mut rng),
        chrono_tz::Asia::Shanghai,
        chrono::Utc::now(),
        "客服员",
        wuye_protocol::ids::EventId::random(&mut rng),
        &new,
    )
    .unwrap();
    doc.put(automerge::ROOT, "customer", "evil\x1b[2J").unwrap();
    let e = wuye_protocol::record::read(&doc).unwrap_err().to_string();
    assert!(e.contains("customer") && e.contains("control character"), "{e}");

    // And the second line of defence: text output escapes what slipped through.
    assert_eq!(wuye_protocol::text::printable("a\x1b[2Jb", true), "a\\u{1b}[2Jb");
}

#[test]
fn item3_a_disabled_staff_member_cannot_sign_in_their_session_ends_and_they_get_no_work() {
    let w = world();
    let lina = add_staff(&w.agent, "李娜", "front_desk", "lina", "李娜的密码-2026");
    let wang = add_staff(&w.agent, "王师傅", "maintenance", "wang", "王师傅的密码-2026");
    sign_in(&w.agent, "lina", "李娜的密码-2026");

    // lina is at the desk when a supervisor disables her (library level: one desk, two people).
    {
        let (store, config) = wuye_agent::config::open(&w.agent.data).unwrap();
        let mut desk =
            wuye_app::desk::Desk::with_os_rng(store, config.site(), Arc::new(wuye_protocol::time::SystemClock));
        assert_eq!(desk.signed_in().unwrap().name, "李娜（客服员）");
        let zhou = desk.store.all::<Staff>(None).unwrap().into_iter().find(|m| m.name == SUPERVISOR.0).unwrap();
        let supervisor = wuye_app::desk::Actor::of(&zhou);
        let lina_as_actor = desk.signed_in().unwrap();
        let e = desk.disable_staff(&wang, &lina_as_actor).unwrap_err().to_string();
        assert!(e.contains("客服主管"), "a front-desk clerk may not disable anyone: {e}");
        desk.disable_staff(&lina, &supervisor).unwrap();
        let e = desk.signed_in().unwrap_err().to_string();
        assert!(e.contains("disabled") || e.contains("ended"), "her session ended: {e}");
    }
    refused(w.agent.login("lina", "李娜的密码-2026"), "disabled");

    sign_in(&w.agent, SUPERVISOR.1, SUPERVISOR.2);
    assert!(w.agent.run(&["staff", "disable", &wang]).status.success());
    let staff = w.agent.json(&["staff", "list"]);
    let wang_row = staff.as_array().unwrap().iter().find(|m| m["name"] == "王师傅").unwrap();
    assert!(wang_row["disabled"].is_object(), "{wang_row}");
    let repair: serde_json::Value = serde_json::from_slice(&w.agent.add_repair("3栋501", &[]).stdout).unwrap();
    let id = repair["id"].as_str().unwrap();
    refused(w.agent.run(&["repair", "dispatch", id, "--to", &wang]), "has left");
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%d").to_string();
    refused(w.agent.run(&["duty", "assign", "--staff", &wang, "--date", &tomorrow, "--shift", "am"]), "has left");
    // Their history stays.
    let again = w.agent.run(&["staff", "disable", &wang]);
    refused(again, "has left");
}

#[test]
fn item4_a_revoked_site_backs_off_and_status_says_head_office_refuses_it() {
    let w = world();
    let _hq = w.server.start();
    w.agent.sync();
    let log = w.root.join("agent.log");
    let mut run =
        procs::Proc::spawn("wuye-agent", &["run", "--data", path(&w.agent.data), "--interval-secs", "1"], &log);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(&log).unwrap_or_default().contains("connected to head office") {
        assert!(std::time::Instant::now() < deadline, "the agent never connected");
        std::thread::sleep(Duration::from_millis(100));
    }
    let site = w.server.json(&["site", "list"])[0]["site_id"].as_str().unwrap().to_string();
    procs::ok("wuye-server", &["site", "revoke", &site, "--data", path(&w.server.data)]);
    std::thread::sleep(Duration::from_secs(9));
    run.stop(Duration::from_secs(3));
    let text = std::fs::read_to_string(&log).unwrap();
    let refusals = text.lines().filter(|l| l.contains("was revoked")).count();
    assert!((1..=2).contains(&refusals), "{refusals} refusals in 9 s (it was one every 0.5-0.9 s):\n{text}");
    let status = w.agent.json(&["status"]);
    assert!(status["refused_by_server"].as_str().unwrap_or_default().contains("revoked"), "{status}");
    let words = String::from_utf8_lossy(&w.agent.run(&["status"]).stdout).to_string();
    assert!(words.contains("refuses this site"), "{words}");
}

#[test]
fn item5_two_decisions_made_apart_are_both_kept_shown_everywhere_and_settled_by_a_manager() {
    let w = world();
    let mut hq = w.server.start();
    let id = w.agent.add_complaint("张伟", "3栋501", "楼上漏水", true);
    w.agent.sync();
    hq.stop(Duration::from_secs(3));
    add_staff(&w.agent, "刘经理", "manager", "liu", "刘经理的密码-2026");
    sign_in(&w.agent, "liu", "刘经理的密码-2026");
    assert!(w.agent.run(&["complaint", "decide", &id, "--text", "维修部承担费用"]).status.success());
    assert!(w.agent.run(&["complaint", "resolve", &id, "--result", "已修复"]).status.success());
    procs::ok("wuye-server", &["complaint", "decide", &id, "--text", "业主承担费用", "--data", path(&w.server.data)]);
    let _hq = w.server.start();
    w.agent.sync();
    w.agent.sync();
    let here = w.agent.json(&["complaint", "show", &id]);
    let there = w.server.json(&["complaint", "show", &id]);
    for c in [&here, &there] {
        assert_eq!(c["conflicting_decisions"].as_array().map(Vec::len), Some(2), "{c}");
    }
    let list = String::from_utf8_lossy(&w.agent.run(&["complaint", "list"]).stdout).to_string();
    assert!(list.contains("决定冲突"), "{list}");
    let office_list = procs::ok("wuye-server", &["complaint", "list", "--data", path(&w.server.data)]);
    assert!(office_list.contains("决定冲突"), "{office_list}");
    let report = w.agent.json(&["report", "daily"]);
    assert_eq!(report["figures"]["conflicting_decisions"].as_array().map(Vec::len), Some(1), "{report}");

    assert!(w.agent.run(&["complaint", "decide", &id, "--text", "以总部决定为准：业主承担费用"]).status.success());
    w.agent.sync();
    let settled = w.server.json(&["complaint", "show", &id]);
    assert!(settled.get("conflicting_decisions").is_none(), "{settled}");
    assert_eq!(settled["decision"]["text"], "以总部决定为准：业主承担费用");
}

/// A tmpfs mounted for one test and unmounted after it.
struct SmallDisk(std::path::PathBuf);

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn item6_a_full_disk_still_reads_and_a_write_says_the_disk_is_full() {
    let is_root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0"));
    if !is_root {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "CI runs as root: this test needs a tmpfs");
        eprintln!("item6 needs root to mount a small tmpfs; not run here");
        return;
    }
    let w = world();
    let mount = w.root.join("small");
    std::fs::create_dir(&mount).unwrap();
    let ok = Command::new("mount").args(["-t", "tmpfs", "-o", "size=3m", "tmpfs", path(&mount)]).status().unwrap();
    assert!(ok.success(), "mount a tmpfs");
    let _disk = SmallDisk(mount.clone());
    let cred = w.server.add_site("小区二");
    let agent = Agent::init(&mount, "site", &w.server.addr, &w.server.fingerprint, &cred);
    let id = agent.add_complaint("张伟", "3栋501", "楼上漏水", false);
    let fill = std::fs::File::create(mount.join("fill")).unwrap();
    let mut fill = std::io::BufWriter::new(fill);
    use std::io::Write;
    while fill.write_all(&[0u8; 4096]).is_ok() {}
    drop(fill.into_inner().ok());

    let list = agent.run(&["complaint", "list"]);
    assert!(list.status.success(), "reading works on a full disk: {}", stderr(&list));
    assert!(String::from_utf8_lossy(&list.stdout).contains("楼上漏水"));
    assert!(agent.run(&["complaint", "show", &id]).status.success());
    assert!(agent.run(&["status"]).status.success());
    let add = agent.run(&[
        "complaint",
        "add",
        "--customer",
        "李四",
        "--unit",
        "1栋",
        "--channel",
        "phone",
        "--summary",
        "噪音",
    ]);
    let e = refused(add, "is full: free space and try again; nothing was saved");
    assert!(e.contains(path(&agent.data)), "names the folder: {e}");
    std::fs::remove_file(mount.join("fill")).unwrap();
    assert_eq!(agent.json(&["complaint", "list"]).as_array().unwrap().len(), 1, "nothing half-saved");
}

#[test]
fn item7_a_wrong_fingerprint_is_corrected_and_a_certificate_rotation_strands_no_site() {
    let w = world();
    let mut hq = w.server.start();
    // A site set up with a wrong fingerprint is no longer stranded.
    let cred = w.server.add_site("小区二");
    let wrong = "ab".repeat(32);
    let second = Agent::init(&w.root, "second", &w.server.addr, &wrong, &cred);
    refused(second.run(&["sync"]), "does not match");
    let set = ["server", "set", "--server", &w.server.addr, "--fingerprint", &w.server.fingerprint];
    assert!(second.run(&set).status.success());
    second.sync();
    w.agent.sync();

    // Rotation: announced, held by every site, then switched to.
    let rotated = procs::ok("wuye-server", &["cert", "rotate", "--data", path(&w.server.data)]);
    let next = rotated.split("fingerprint ").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    w.agent.sync();
    let sites = w.server.json(&["site", "list"]);
    let holds: Vec<bool> =
        sites.as_array().unwrap().iter().map(|s| s["holds_next_fingerprint"].as_bool().unwrap()).collect();
    assert_eq!(holds, vec![true, false], "{sites}");
    let refused_switch = procs::run("wuye-server", &["cert", "switch", "--data", path(&w.server.data)]);
    refused(refused_switch, "小区二");
    second.sync();
    assert_eq!(w.agent.json(&["status"])["next_fingerprint"], next.as_str());
    procs::ok("wuye-server", &["cert", "switch", "--data", path(&w.server.data)]);
    hq.stop(Duration::from_secs(3));
    let _hq = w.server.start();
    assert_eq!(procs::ok("wuye-server", &["fingerprint", "--data", path(&w.server.data)]).trim(), next);
    for agent in [&w.agent, &second] {
        agent.sync();
        let (store, config) = wuye_agent::config::open(&agent.data).unwrap();
        assert_eq!(config.fingerprint, next, "the new fingerprint is the one pinned now");
        assert_eq!(config.next_fingerprint, None);
        drop(store);
    }
}

#[test]
fn item8_values_that_cannot_be_real_are_refused_with_what_is_allowed() {
    let w = world();
    let tz = chrono_tz::Asia::Shanghai;
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    let tomorrow = (today + chrono::Duration::days(1)).to_string();
    let long_ago = (today - chrono::Duration::days(400)).to_string();
    // Seventeen digits with a birth date of 9999-13-99, completed with their check character.
    let bad_birth = {
        let first17 = "110105999913990021"[..17].to_string();
        const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
        let sum: u32 = first17.chars().zip(WEIGHTS).map(|(c, w)| c.to_digit(10).unwrap() * w).sum();
        format!("{first17}{}", CHECK[(sum % 11) as usize])
    };
    #[rustfmt::skip]
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["report", "daily", "--date", "9999-12-31"], "not a valid date"),
        (vec!["report", "daily", "--date", "0000-01-01"], "not a valid date"),
        (vec!["report", "daily", "--date", &tomorrow], "to today"),
        (vec!["report", "daily", "--date", &long_ago], "to today"),
        (vec!["commitment", "add", "--text", "回复", "--due", "1970-01-01 00:00"], "from now"),
        (vec!["resident", "add", "--unit", "3栋501", "--name", "张伟", "--id-card", &bad_birth], "birth date"),
        (vec!["resident", "add", "--unit", "3栋501", "--name", "张伟", "--phone", "138\x1b[31m0000"], "phone"),
        (vec!["resident", "add", "--unit", "3栋501", "--name", "张伟", "--phone", "138\u{202E}0000"], "phone"),
        (vec!["settings", "set", "categories", "卫生,卫生"], "twice"),
    ];
    for (args, words) in cases {
        refused(w.agent.run(&args), words);
    }
    let blank = agent_with_input(
        &w.agent,
        &["staff", "add", "--name", "赵六", "--role", "客服员", "--login", "zhao"],
        "        \n",
    );
    refused(blank, "only spaces");
    let clash = agent_with_input(
        &w.agent,
        &["staff", "add", "--name", "周二", "--role", "客服员", "--login", "Zhou"],
        "另一个密码-2026\n",
    );
    refused(clash, "taken");
    assert_eq!(w.agent.json(&["staff", "list"]).as_array().unwrap().len(), 1, "nothing added");
}

#[test]
fn item9_a_wrong_site_clock_is_shown_in_status_and_at_head_office() {
    let w = world();
    let _hq = w.server.start();
    let ahead = wuye_protocol::time::ManualClock::new(chrono::Utc::now() + chrono::Duration::minutes(10));
    let (mut store, config) = wuye_agent::config::open(&w.agent.data).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(wuye_agent::link::sync_once(&mut store, &config, &ahead, &mut |_| {})).unwrap();
    drop(store);
    let status = w.agent.json(&["status"]);
    assert_eq!(status["clock_wrong"], true, "{status}");
    let offset = status["clock_offset_seconds"].as_i64().unwrap();
    assert!((590..=610).contains(&offset), "{offset}");
    let words = String::from_utf8_lossy(&w.agent.run(&["status"]).stdout).to_string();
    assert!(words.contains("ahead of head office"), "{words}");
    let site = &w.server.json(&["site", "list"])[0];
    assert_eq!(site["clock_wrong"], true, "{site}");
    let listed = procs::ok("wuye-server", &["site", "list", "--data", path(&w.server.data)]);
    assert!(listed.contains("clock +") && listed.contains("s off"), "{listed}");
    // A right clock clears it.
    w.agent.sync();
    assert_eq!(w.agent.json(&["status"])["clock_wrong"], false);
}

#[test]
fn items10_to_14_messages_say_what_was_wrong_in_the_users_terms() {
    let w = world();
    let repair: serde_json::Value = serde_json::from_slice(&w.agent.add_repair("3栋501", &["--paid"]).stdout).unwrap();
    let rid = repair["id"].as_str().unwrap();
    let lina = add_staff(&w.agent, "李娜", "front_desk", "lina", "李娜的密码-2026");
    // 10: year 0000 is not a valid date, and no record kind or internals are named.
    for (args, words) in [
        (vec!["commitment", "add", "--text", "回复", "--due", "0000-01-01 00:00"], "not a valid time"),
        (vec!["duty", "assign", "--staff", &lina, "--date", "0000-01-01", "--shift", "am"], "not a valid date"),
        (
            vec![
                "repair",
                "add",
                "--unit",
                "1栋",
                "--category",
                "水",
                "--description",
                "漏",
                "--urgency",
                "normal",
                "--channel",
                "phone",
                "--appointment",
                "0000-01-01 10:00",
            ],
            "not a valid time",
        ),
    ] {
        let e = refused(w.agent.run(&args), words);
        assert!(!e.contains("document") && !e.contains("-0001"), "{e}");
    }
    // 11: a charge too large is told in yuan.
    let e = refused(
        w.agent.run(&["repair", "complete", rid, "--work", "修好", "--charge", "1000001"]),
        "at most ¥1,000,000",
    );
    assert!(!e.contains("characters"), "{e}");
    // 12: a value may start with a dash.
    let c = w.agent.add_complaint("张伟", "3栋501", "-5度 暖气", false);
    assert_eq!(w.agent.json(&["complaint", "show", &c])["summary"], "-5度 暖气");
    // 13: a file that is not a wuye database is left as it was.
    let empty = w.root.join("empty");
    std::fs::create_dir(&empty).unwrap();
    std::fs::write(empty.join("agent.db"), b"").unwrap();
    refused(procs::run("wuye-agent", &["complaint", "list", "--data", path(&empty)]), "not a wuye agent folder");
    assert_eq!(std::fs::metadata(empty.join("agent.db")).unwrap().len(), 0, "nothing written into it");
    // 14: a huge argument is not echoed whole.
    let huge = "长".repeat(131_000 / 3);
    let e = refused(
        w.agent.run(&["complaint", "add", "--customer", "张", "--unit", "1", "--channel", &huge, "--summary", "x"]),
        "unknown channel",
    );
    assert!(e.len() < 600, "{} bytes echoed", e.len());
}

/// The next local 01:30 that a clock change makes happen twice in `tz`, within a year.
fn next_ambiguous_0130(tz: chrono_tz::Tz) -> String {
    use chrono::TimeZone;
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    (1..366)
        .map(|d| today + chrono::Duration::days(d))
        .map(|d| d.and_hms_opt(1, 30, 0).unwrap())
        .find(|t| matches!(tz.from_local_datetime(t), chrono::LocalResult::Ambiguous(..)))
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .expect("New York turns its clocks back once a year")
}

#[test]
fn item15_an_ambiguous_appointment_is_warned_about_and_shown_with_its_offset() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::init(dir.path());
    let cred = server.add_site("纽约管理处");
    let agent = Agent::init_in_zone(dir.path(), "ny", &server.addr, &server.fingerprint, &cred, "America/New_York");
    let when = next_ambiguous_0130(chrono_tz::America::New_York);
    let out = agent.add_repair("1栋", &["--appointment", &when]);
    assert!(out.status.success(), "{}", stderr(&out));
    let warning = stderr(&out);
    assert!(warning.contains("happens twice") && warning.contains("-04:00"), "{warning}");
    // Tables show the offset exactly where the local time is ambiguous.
    let ny = chrono_tz::America::New_York;
    let at: wuye_protocol::time::SiteTime = serde_json::from_str("\"2026-11-01T01:45:00-04:00\"").unwrap();
    let shown = at.minute(ny);
    assert_eq!(shown, "2026-11-01 01:45-04:00");
}
