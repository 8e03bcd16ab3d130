//! The move-in slip (收楼流转单) with the real `wuye-agent`: a house from the
//! register handed over through its six stations by the people of each (销售,
//! 工程, 财务, the desk), two defects at the inspection made into work orders,
//! the fees refused before the papers until a 经理 stamps out of order with a
//! reason, a key handed over from custody, the house handed over at the last
//! stamp, and head office holding the same slip.

use wuye_tests::procs::{Agent, Server, SUPERVISOR};

#[test]
fn a_house_is_handed_over_through_six_stations_and_head_office_holds_the_same_slip() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::init(dir.path());
    let cred = server.add_site("朝阳花园管理处");
    let agent = Agent::init(dir.path(), "site", &server.addr, &server.fingerprint, &cred);
    let sheet = dir.path().join("houses.csv");
    std::fs::write(&sheet, "楼栋,单元,楼层,房号,类型,建筑面积\n3栋,2单元,5,501,住宅,89.50\n").unwrap();
    agent.ok(&["unit", "import", sheet.to_str().unwrap()]);
    agent.add_key("K-501", "空置房", "3栋2单元501", "开发商");
    for (name, role, login) in
        [("孙销售", "销售", "sun"), ("钱工程", "工程", "qian"), ("李出纳", "财务", "li"), ("王经理", "经理", "wang")]
    {
        agent.add_staff(name, role, login);
    }

    let refused = agent.refused(&["movein", "open", "--house", "9栋101", "--owner", "张伟"]);
    assert!(refused.contains("register"), "{refused}");
    let slip = agent.json(&["movein", "open", "--house", "3栋 2单元 501", "--owner", "张伟", "--phone", "13800000000"]);
    let id = slip["id"].as_str().unwrap().to_string();
    let again = agent.refused(&["movein", "open", "--house", "3栋2单元501", "--owner", "张伟"]);
    assert!(again.contains("one slip a house"), "{again}");

    // 1 销售: the buyer's documents.
    agent.sign_in_as("sun");
    let early = agent.refused(&["movein", "stamp", &id, "--station", "documents"]);
    assert!(early.contains("购房合同"), "{early}");
    agent.ok(&["movein", "tick", &id, "--station", "documents", "--all"]);
    let not_theirs = agent.refused(&["movein", "tick", &id, "--station", "inspection", "房屋验收表"]);
    assert!(not_theirs.contains("工程") || not_theirs.contains("engineering"), "{not_theirs}");
    agent.ok(&["movein", "stamp", &id, "--station", "documents"]);

    // 2 交房小组: inspection, meters, two defects that become work orders.
    agent.sign_in_as("qian");
    agent.ok(&["movein", "read", &id, "--water", "3.20", "--electricity", "12", "--gas", "0.5"]);
    agent.ok(&["movein", "defect", &id, "--room", "主卧", "--text", "墙面裂缝约30厘米", "--order", "其他"]);
    agent.ok(&["movein", "defect", &id, "--room", "卫生间", "--text", "地漏堵塞", "--order", "管道"]);
    agent.ok(&["movein", "tick", &id, "--station", "inspection", "房屋验收表", "房屋交付确认书"]);
    agent.ok(&["movein", "stamp", &id, "--station", "inspection"]);

    // 4 财务 before 3: refused, until the 经理 stamps out of order with a reason.
    agent.sign_in_as("li");
    agent.ok(&["movein", "fee", &id, "--item", "物业费6个月", "--amount", "1611.00"]);
    agent.ok(&["movein", "tick", &id, "--station", "fees", "--all"]);
    let order = agent.refused(&["movein", "stamp", &id, "--station", "fees"]);
    assert!(order.contains("经理"), "{order}");
    agent.sign_in_as("wang");
    let no_reason = agent.refused(&["movein", "stamp", &id, "--station", "fees"]);
    assert!(no_reason.contains("reason"), "{no_reason}");
    agent.ok(&["movein", "stamp", &id, "--station", "fees", "--override", "业主赶飞机，资料与协议稍后签署"]);

    // 3, 5, 6 at the desk.
    assert!(agent.login(SUPERVISOR.1, SUPERVISOR.2).status.success());
    agent.ok(&["movein", "tick", &id, "--station", "papers", "--all"]);
    agent.ok(&["movein", "stamp", &id, "--station", "papers"]);
    agent.ok(&["movein", "key", &id, "K-501"]);
    agent.ok(&["movein", "tick", &id, "--station", "keys", "--all"]);
    agent.ok(&["movein", "stamp", &id, "--station", "keys"]);
    agent.ok(&["movein", "tick", &id, "--station", "gift", "--all"]);
    let last = agent.json(&["movein", "stamp", &id, "--station", "gift"]);
    assert_eq!(last["state"], "delivered", "{last}");
    let fees = &last["stations"][3];
    assert_eq!(
        (fees["by"].as_str(), fees["reason"].as_str()),
        (Some("王经理（经理）"), Some("业主赶飞机，资料与协议稍后签署"))
    );
    let orders = last["orders"].as_array().unwrap();
    assert!(orders.iter().all(|o| o == "已报修"), "{last}");

    let house = &agent.json(&["unit", "list"])[0];
    assert_eq!(house["state"], "handed_over");
    assert!(house["handover_date"].is_string());
    assert_eq!(agent.json(&["key", "list"])[0]["status"], "handed_over");
    let repairs = agent.json(&["repair", "list"]);
    assert_eq!(repairs.as_array().unwrap().len(), 2);
    let repairs = repairs.clone();
    assert!(repairs[0]["unit"].as_str().unwrap().contains("501"));
    assert_eq!(
        (repairs[0]["reporter"].as_str(), repairs[0]["reporter_phone"].as_str()),
        (Some("张伟"), Some("13800000000"))
    );
    let reported = agent.add_repair("3栋2单元501", &["--reporter", "王芳", "--phone", "139 0000 0000"]);
    let reported: serde_json::Value = serde_json::from_slice(&reported.stdout).unwrap();
    assert_eq!(reported["reporter"], "王芳");
    let bad_phone = agent.add_repair("3栋2单元501", &["--reporter", "王芳", "--phone", "一三九"]);
    assert!(!bad_phone.status.success(), "a phone of digits only");

    let _run = server.start();
    agent.sync();
    let at_site = agent.json(&["movein", "list"]);
    let at_office = server.json(&["records", "movein"]);
    assert_eq!(at_site, at_office);
    assert_eq!(server.json(&["records", "unit"])[0]["state"], "handed_over");
}
