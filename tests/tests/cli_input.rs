//! Bad input from people, command by command: every mistake gets a one-line
//! error that says what was wrong, a non-zero exit, and nothing written.

use wuye_tests::procs::{self, path, Agent, Server};

/// What the agent's database holds that a command could change: every
/// document's heads, every setting but the sign-in session, and the logins.
fn snapshot(agent: &Agent) -> String {
    let (store, _) = wuye_agent::config::open(&agent.data).unwrap();
    let conn = store.conn();
    let docs: String = conn
        .query_row("SELECT count(*) || ':' || coalesce(group_concat(id || hex(heads)), '') FROM docs", [], |r| r.get(0))
        .unwrap();
    let settings: String = conn
        .query_row("SELECT coalesce(group_concat(key || '=' || value), '') FROM settings ORDER BY key", [], |r| {
            r.get(0)
        })
        .unwrap();
    let logins: String = conn
        .query_row("SELECT coalesce(group_concat(login || hash), '') FROM logins", [], |r| r.get(0))
        .unwrap_or_default();
    format!("{docs}|{settings}|{logins}")
}

fn check_refusal(bin: &str, args: &[&str], input: Option<&str>, words: &str) -> String {
    let out = procs::run_with_input(bin, args, input);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "{bin} {args:?} succeeded; it should have refused");
    assert_eq!(stderr.trim().lines().count(), 1, "{bin} {args:?}: not one line:\n{stderr}");
    assert!(stderr.contains(words), "{bin} {args:?}: expected '{words}' in: {stderr}");
    assert!(out.stdout.is_empty(), "{bin} {args:?} printed to stdout: {}", String::from_utf8_lossy(&out.stdout));
    stderr
}

#[test]
fn every_agent_command_refuses_bad_input_in_one_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::init(dir.path());
    let cred = server.add_site("朝阳花园管理处");
    let agent = Agent::init(dir.path(), "site", &server.addr, &server.fingerprint, &cred);
    let data = path(&agent.data);
    let complaint = agent.add_complaint("张伟", "3栋501", "楼上漏水", false);
    let long = "长".repeat(5_000);
    let unknown = "ffffffff";

    #[rustfmt::skip]
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["complaint", "show", unknown], "no complaint"),
        (vec!["complaint", "add", "--customer", "王芳", "--unit", "1栋", "--channel", "phone"], "--summary"),
        (vec!["complaint", "add", "--customer", "王芳", "--unit", "1栋", "--channel", "phone", "--summary", &long], "too long"),
        (vec!["complaint", "add", "--customer", "王芳", "--unit", "1栋", "--channel", "pigeon", "--summary", "噪音"], "unknown channel"),
        (vec!["complaint", "add", "--customer", "王芳", "--unit", "1栋", "--channel", "phone", "--summary", "噪音", "--category", "天气"], "category"),
        (vec!["complaint", "note", unknown, "--text", "跟进"], "no complaint"),
        (vec!["complaint", "note", &complaint, "--text", ""], "empty"),
        (vec!["complaint", "visit", &complaint, "--satisfaction", "9"], "satisfaction"),
        (vec!["complaint", "archive", &complaint], "complaint"),
        (vec!["complaint", "decide", &complaint, "--text", "同意"], "经理"),
        (vec!["repair", "add", "--unit", "1栋", "--category", "水", "--description", "漏水", "--urgency", "soon", "--channel", "phone"], "urgency"),
        (vec!["repair", "show", unknown], "no repair"),
        (vec!["repair", "dispatch", unknown, "--to", unknown], "no repair"),
        (vec!["log", "add", "--channel", "phone", "--caller", "刘洋"], "--text"),
        (vec!["commitment", "add", "--text", "回复", "--due", "2026-13-45 17:00", "--caller", "赵敏"], "is not a valid time"),
        (vec!["duty", "assign", "--staff", unknown, "--date", "2026-02-30", "--shift", "day"], "date"),
        (vec!["duty", "check", "--date", "yesterday"], "date"),
        (vec!["report", "daily", "--date", "2026/11/27"], "date"),
        (vec!["resident", "add", "--unit", "3栋501", "--name", "张伟", "--id-card", "110105194912310021"], "check digit"),
        (vec!["resident", "add", "--unit", "3栋501", "--name", "", "--id-card", "11010519491231002X"], "empty"),
        (vec!["staff", "add", "--name", "赵六", "--role", "boss"], "role"),
        (vec!["staff", "password", "nobody"], "nobody"),
        (vec!["settings", "set", "colour", "blue"], "colour"),
        (vec!["settings", "set", "emergency-minutes", "many"], "emergency-minutes"),
        (vec!["enroll", "not-a-code"], "enrollment code"),
        (vec!["frobnicate"], "unrecognized subcommand"),
    ];
    for (args, words) in cases {
        let before = snapshot(&agent);
        let mut all = args.clone();
        all.extend(["--data", data]);
        check_refusal("wuye-agent", &all, Some("新的密码-12345\n"), words);
        assert_eq!(snapshot(&agent), before, "wuye-agent {args:?} wrote something");
    }

    // Sign-in: a wrong password and an unknown name get the same words.
    let before = snapshot(&agent);
    let wrong = check_refusal("wuye-agent", &["login", "zhou", "--data", data], Some("不是这个密码\n"), "wrong");
    let nobody = check_refusal("wuye-agent", &["login", "ghost", "--data", data], Some("不是这个密码\n"), "wrong");
    assert_eq!(wrong, nobody, "the refusal must not tell whether the name exists");
    assert_eq!(snapshot(&agent).split('|').next(), before.split('|').next(), "no record written");

    // Folders: missing, not a wuye folder, a head-office folder.
    let not_wuye = dir.path().join("plain");
    std::fs::create_dir(&not_wuye).unwrap();
    for (folder, words) in [
        (dir.path().join("missing"), "not a wuye agent folder"),
        (not_wuye.clone(), "not a wuye agent folder"),
        (server.data.clone(), "not a wuye agent folder"),
    ] {
        check_refusal("wuye-agent", &["complaint", "list", "--data", path(&folder)], None, words);
    }
    assert_eq!(std::fs::read_dir(&not_wuye).unwrap().count(), 0, "nothing was created in a plain folder");

    // `init` with bad values creates no folder.
    let fresh = dir.path().join("fresh");
    let base = [
        "init",
        "--data",
        path(&fresh),
        "--site",
        &cred.id,
        "--code",
        &cred.code,
        "--supervisor",
        "周站长",
        "--login",
        "zhou",
    ];
    #[rustfmt::skip]
    let init_cases: Vec<(Vec<&str>, &str, &str)> = vec![
        (vec!["--server", "nowhere", "--fingerprint", &server.fingerprint], "初始密码-2026\n", "HOST:PORT"),
        (vec!["--server", &server.addr, "--fingerprint", "12ab"], "初始密码-2026\n", "fingerprint"),
        (vec!["--server", &server.addr, "--fingerprint", &server.fingerprint, "--timezone", "Mars/Olympus"], "初始密码-2026\n", "Mars/Olympus"),
        (vec!["--server", &server.addr, "--fingerprint", &server.fingerprint], "short\n", "password"),
    ];
    for (extra, input, words) in init_cases {
        let mut all: Vec<&str> = base.to_vec();
        all.extend(extra);
        check_refusal("wuye-agent", &all, Some(input), words);
        assert!(!fresh.exists(), "a refused init left a folder behind");
    }
    let bad_code: Vec<&str> = base.iter().map(|a| if *a == cred.code { "bad" } else { a }).collect();
    let mut all = bad_code;
    all.extend(["--server", &server.addr, "--fingerprint", &server.fingerprint]);
    check_refusal("wuye-agent", &all, Some("初始密码-2026\n"), "enrollment code");
    assert!(!fresh.exists());
}

#[test]
fn every_server_command_refuses_bad_input_in_one_line_and_head_office_never_shows_id_numbers_whole() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::init(dir.path());
    let cred = server.add_site("朝阳花园管理处");
    let agent = Agent::init(dir.path(), "site", &server.addr, &server.fingerprint, &cred);
    let data = path(&server.data);
    let too_long_name = "园".repeat(200);
    #[rustfmt::skip]
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["site", "add", "--name", ""], "site name"),
        (vec!["site", "add", "--name", &too_long_name], "site name"),
        (vec!["site", "revoke", "not-an-id"], "id"),
        (vec!["site", "rotate", "00000000-0000-4000-8000-000000000000"], "no site"),
        (vec!["complaint", "show", "ffffffff"], "no complaint"),
        (vec!["complaint", "decide", "ffffffff", "--text", "同意"], "no complaint"),
        (vec!["repair", "note", "ffffffff", "--text", "跟进"], "no repair"),
        (vec!["records", "weather"], "record kind weather is not allowed: use one of complaint"),
        (vec!["records", "staff", "--site", "nowhere"], "id"),
        (vec!["site", "add"], "--name"),
    ];
    let sites_before = server.json(&["site", "list"]);
    for (args, words) in cases {
        let mut all = args.clone();
        all.extend(["--data", data]);
        check_refusal("wuye-server", &all, None, words);
    }
    assert_eq!(server.json(&["site", "list"]), sites_before, "nothing written");
    check_refusal("wuye-server", &["site", "list", "--data", path(&agent.data)], None, "not a wuye server folder");
    check_refusal(
        "wuye-server",
        &["site", "list", "--data", path(&dir.path().join("none"))],
        None,
        "not a wuye server folder",
    );

    // Identity numbers: whole for the supervisor, masked for a front-desk agent and at head office.
    let card = "11010519491231002X";
    let add = ["resident", "add", "--unit", "3栋501", "--name", "张伟", "--id-card", card, "--register", "110105123"];
    agent.json(&add);
    assert_eq!(agent.json(&["resident", "list"])[0]["id_card"], card, "客服主管 sees the number");
    let args = ["staff", "add", "--name", "李娜", "--role", "客服员", "--login", "lina", "--data", path(&agent.data)];
    procs::ok_with_input("wuye-agent", &args, "李娜的密码-2026\n");
    assert!(agent.login("lina", "李娜的密码-2026").status.success());
    let seen = agent.json(&["resident", "list"]);
    assert_eq!(seen[0]["id_card"], "110105********002X");
    assert_eq!(seen[0]["household_register"], "*****5123");
    let _running = server.start();
    agent.sync();
    let at_office = server.json(&["records", "resident"]);
    assert_eq!(at_office[0]["id_card"], "110105********002X");
    assert!(!at_office.to_string().contains(card));
}
