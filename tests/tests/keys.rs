//! Keys in custody with the real `wuye-agent`: an owner's key lent only by a
//! 客服主管 saying how the owner was contacted, returned, and the keys
//! reaching head office.

use wuye_tests::browser::password;
use wuye_tests::procs::{path, Agent, Server, SUPERVISOR};

#[test]
fn an_owners_key_is_lent_with_approval_returned_and_reaches_head_office() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::init(dir.path());
    let cred = server.add_site("朝阳花园管理处");
    let agent = Agent::init(dir.path(), "site", &server.addr, &server.fingerprint, &cred);
    let key = agent.json(&[
        "key",
        "add",
        "--tag",
        "K-017",
        "--kind",
        "业主寄存",
        "--slot",
        "A3",
        "--opens",
        "3栋2单元501",
        "--from",
        "业主张伟",
    ]);
    let id = key["id"].as_str().unwrap().to_string();
    assert_eq!(key["status"], "in_cabinet");
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let lend = |extra: &[&str]| {
        let mut args = vec!["key", "lend", &id, "--to", "维修工老王", "--reason", "入户维修", "--due", &tomorrow];
        args.extend(extra);
        agent.run(&args)
    };

    // A 客服员 may not lend an owner's key; the supervisor may, saying how the owner was contacted.
    let add = ["staff", "add", "--name", "李娜", "--role", "客服员", "--login", "lina", "--data", path(&agent.data)];
    wuye_tests::procs::ok_with_input("wuye-agent", &add, &format!("{}\n", password("lina")));
    assert!(agent.login("lina", &password("lina")).status.success());
    let refused = lend(&["--owner-contacted", "电话联系业主"]);
    assert!(!refused.status.success() && String::from_utf8_lossy(&refused.stderr).contains("客服主管"));
    assert!(agent.login(SUPERVISOR.1, SUPERVISOR.2).status.success());
    assert!(!lend(&[]).status.success(), "how the owner was contacted is needed");
    assert!(
        !lend(&["--owner-contacted", "电话联系业主张伟 09:10", "--id-card", "110105194912310021"]).status.success(),
        "a wrong ID-card number is refused"
    );
    let lent = lend(&["--owner-contacted", "电话联系业主张伟 09:10", "--id-card", "11010519491231002X"]);
    assert!(lent.status.success(), "{}", String::from_utf8_lossy(&lent.stderr));
    let listed = agent.json(&["key", "list"]);
    assert_eq!(listed[0]["status"], "lent");
    assert!(listed[0]["steps"][1]["approved_by"].as_str().unwrap().contains("电话联系业主张伟"));
    assert_eq!(agent.json(&["key", "list", "--overdue"]).as_array().unwrap().len(), 0, "due tomorrow");
    assert!(agent.run(&["key", "return", &id]).status.success());

    let _run = server.start();
    agent.sync();
    let at_office = server.json(&["records", "key"]);
    assert_eq!(at_office[0]["status"], "in_cabinet");
    assert_eq!(at_office[0]["steps"].as_array().unwrap().len(), 3);
    assert_eq!(at_office[0]["steps"][1]["id_number"], "110105********002X", "head office holds it masked");
    // The whole number is in no file of head office; the site keeps it.
    for entry in std::fs::read_dir(&server.data).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap_or_default();
        assert!(!bytes.windows(18).any(|w| w == b"11010519491231002X"), "a whole ID number at head office");
    }
    let site_db = std::fs::read_dir(&agent.data).unwrap().filter_map(|e| e.ok()).map(|e| e.path()).collect::<Vec<_>>();
    assert!(
        site_db.iter().any(|p| std::fs::read(p).unwrap_or_default().windows(18).any(|w| w == b"11010519491231002X")),
        "the site keeps the whole number"
    );
}
