//! Item-release slips with the real `wuye-agent`: issued at the desk with a
//! number of the day, refused to the gate to issue, checked at the gate by a
//! 门岗, a tenant without the owner's authorisation refused, and the slips
//! reaching head office as they stand.

use wuye_tests::browser::password;
use wuye_tests::procs::{path, Agent, Server, SUPERVISOR};

#[test]
fn a_slip_is_issued_at_the_desk_checked_at_the_gate_and_reaches_head_office() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::init(dir.path());
    let cred = server.add_site("朝阳花园管理处");
    let agent = Agent::init(dir.path(), "site", &server.addr, &server.fingerprint, &cred);
    let issue = |extra: &[&str]| {
        let mut args = vec![
            "release",
            "issue",
            "--applicant",
            "刘强",
            "--house",
            "3栋2单元501",
            "--item",
            "冰箱x1",
            "--item",
            "纸箱×12",
            "--reason",
            "搬家",
            "--json",
        ];
        args.extend(extra);
        agent.run(&args)
    };
    let out = issue(&["--kind", "业主", "--auth", "本人"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let slip: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(slip["number"].as_str().unwrap().starts_with("FX-") && slip["number"].as_str().unwrap().ends_with("-001"));
    assert_eq!(slip["items"][1]["quantity"], 12);
    let tenant = issue(&["--kind", "租户", "--auth", "本人"]);
    assert!(!tenant.status.success(), "a tenant needs the owner's authorisation");
    let second: serde_json::Value = serde_json::from_slice(
        &issue(&["--kind", "租户", "--auth", "电话确认", "--confirmed-by", "业主王先生 09:10"]).stdout,
    )
    .unwrap();
    assert!(second["number"].as_str().unwrap().ends_with("-002"));

    // The gate checks; it may not issue.
    let add = ["staff", "add", "--name", "赵门岗", "--role", "门岗", "--login", "zhao", "--data", path(&agent.data)];
    wuye_tests::procs::ok_with_input("wuye-agent", &add, &format!("{}\n", password("zhao")));
    assert!(agent.login("zhao", &password("zhao")).status.success());
    let refused = issue(&["--kind", "业主", "--auth", "本人"]);
    assert!(!refused.status.success() && String::from_utf8_lossy(&refused.stderr).contains("门岗"));
    let id = slip["id"].as_str().unwrap();
    let checked = agent.json(&["release", "check", id]);
    assert_eq!(checked["status"], "released");
    assert_eq!(checked["steps"][0]["by"], "赵门岗（门岗）");
    let twice = agent.run(&["release", "check", id]);
    assert!(!twice.status.success(), "released once");
    let other = second["id"].as_str().unwrap();
    assert_eq!(agent.json(&["release", "check", other, "--refuse", "委托未核实"])["status"], "refused");
    assert!(agent.login(SUPERVISOR.1, SUPERVISOR.2).status.success());

    let _run = server.start();
    agent.sync();
    let at_office = server.json(&["records", "release"]);
    let states: Vec<&str> = at_office.as_array().unwrap().iter().map(|s| s["status"].as_str().unwrap()).collect();
    assert_eq!(states.len(), 2);
    assert!(states.contains(&"released") && states.contains(&"refused"), "{at_office}");
}
