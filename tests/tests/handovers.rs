//! The shift handover record (交接班记录) with the real `wuye-agent`: the
//! outgoing person writes it with the open items listed as they stand (a
//! complaint, a key out, a slip not yet checked), the things handed over and
//! notes; only the incoming person confirms it, once, noting a shortage; the
//! record reaches head office as it stands.

use wuye_tests::procs::{Agent, Server, SUPERVISOR};

#[test]
fn the_outgoing_person_writes_the_handover_and_only_the_incoming_one_confirms_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::init(dir.path());
    let cred = server.add_site("朝阳花园管理处");
    let agent = Agent::init(dir.path(), "site", &server.addr, &server.fingerprint, &cred);
    agent.add_staff("李娜", "客服员", "lina");
    agent.add_staff("王五", "客服员", "wangwu");
    let complaint = agent.add_complaint("张伟", "3栋501", "楼道灯坏了", false);
    // The work contact slip asks, with a time, and the department replies.
    let tomorrow = (chrono::Local::now() + chrono::Duration::days(1)).format("%Y-%m-%d 10:00").to_string();
    let late =
        agent.refused(&["complaint", "assign", &complaint, "--department", "工程部", "--due", "2020-01-01 10:00"]);
    assert!(late.contains("after now"), "{late}");
    assert!(
        agent.json(&["complaint", "show", &complaint])["assignments"].as_array().unwrap().is_empty(),
        "nothing written"
    );
    agent.ok(&[
        "complaint",
        "assign",
        &complaint,
        "--department",
        "工程部",
        "--instruction",
        "更换楼道灯",
        "--due",
        &tomorrow,
    ]);
    let replied = agent.json(&["complaint", "reply", &complaint, "--slip", "1", "--text", "已更换，灯具正常"]);
    let slip = &replied["assignments"][0];
    assert_eq!(
        (slip["instruction"].as_str(), slip["reply"]["text"].as_str()),
        (Some("更换楼道灯"), Some("已更换，灯具正常"))
    );
    assert!(slip["due"].is_string());
    let key = agent.add_key("K-017", "公共区域", "3栋天台", "工程部");
    let due = (chrono::Local::now() + chrono::Duration::days(1)).format("%Y-%m-%d 10:00").to_string();
    agent.ok(&[
        "key",
        "lend",
        key["id"].as_str().unwrap(),
        "--to",
        "维修工老王",
        "--reason",
        "天台检修",
        "--due",
        &due,
    ]);
    agent.ok(&[
        "release",
        "issue",
        "--applicant",
        "刘强",
        "--kind",
        "业主",
        "--house",
        "3栋501",
        "--item",
        "冰箱x1",
        "--reason",
        "搬家",
        "--auth",
        "本人",
    ]);

    let shown = agent.json(&["handover"]);
    assert_eq!((shown["keys_out"].as_array().unwrap().len(), shown["slips_waiting"].as_array().unwrap().len()), (1, 1));
    let refused = agent.refused(&["handover", "write", "--to", "周站长"]);
    assert!(refused.contains("someone other"), "{refused}");
    let record = agent.json(&[
        "handover",
        "write",
        "--to",
        "李娜",
        "--shift",
        "早班",
        "--item",
        "对讲机x2:完好",
        "--item",
        "钥匙登记本",
        "--notes",
        "3栋电梯异响，已报工程部，待回复",
    ]);
    let id = record["id"].as_str().unwrap().to_string();
    assert_eq!(record["from"], format!("{}（客服主管）", SUPERVISOR.0));
    assert_eq!(record["to"], "李娜（客服员）");
    let kinds: Vec<&str> = record["items"].as_array().unwrap().iter().map(|i| i["kind"].as_str().unwrap()).collect();
    for kind in ["complaint", "key", "slip"] {
        assert!(kinds.contains(&kind), "{kinds:?}");
    }
    assert_eq!(record["things"][0]["quantity"], 2);
    assert_eq!(record["state"], "handed");

    agent.sign_in_as("wangwu");
    let stranger = agent.refused(&["handover", "confirm", &id]);
    assert!(stranger.contains("李娜"), "{stranger}");
    agent.sign_in_as("lina");
    let got = agent.json(&["handover", "confirm", &id, "--found", "对讲机电池缺1块"]);
    assert_eq!((got["state"].as_str(), got["received"]["text"].as_str()), (Some("received"), Some("对讲机电池缺1块")));
    assert!(agent.refused(&["handover", "confirm", &id]).contains("already"));

    let _run = server.start();
    agent.sync();
    assert_eq!(agent.json(&["handover", "list"]), server.json(&["records", "handover"]));
    assert_eq!(server.json(&["records", "complaint"])[0]["assignments"][0]["reply"]["text"], "已更换，灯具正常");
}
