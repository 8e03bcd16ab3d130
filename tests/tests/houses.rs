//! The house register with the real `wuye-agent`: a sheet of 20 houses
//! imported from CSV, another from xlsx, a wrong sheet refused whole with its
//! problems by row and column, the register listed and searched, the records
//! naming no house listed, and the houses reaching head office.

use wuye_tests::procs::{Agent, Server};

fn one_site(dir: &std::path::Path) -> (Server, Agent) {
    let server = Server::init(dir);
    let cred = server.add_site("朝阳花园管理处");
    let agent = Agent::init(dir, "site", &server.addr, &server.fingerprint, &cred);
    (server, agent)
}

fn count(v: &serde_json::Value) -> usize {
    v.as_array().map_or(0, Vec::len)
}

#[test]
fn a_register_is_imported_whole_or_not_at_all_and_records_naming_no_house_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let (server, agent) = one_site(dir.path());
    let mut csv = String::from("\u{feff}楼栋,单元,楼层,房号,类型,建筑面积\n");
    for floor in 1..=10 {
        for room in 1..=2 {
            csv += &format!("3栋,2单元,{floor},{floor}0{room},住宅,{}.50\n", 80 + room);
        }
    }
    let file = dir.path().join("register.csv");
    std::fs::write(&file, csv).unwrap();
    let out = agent.run(&["unit", "import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(count(&agent.json(&["unit", "list"])), 20);
    let floor5 = agent.json(&["unit", "list", "--room", "50"]);
    assert_eq!(count(&floor5), 2);
    assert_eq!(floor5[0]["area_centi"], 8_150);
    assert_eq!(floor5[0]["state"], "not_handed_over");

    // Importing the same houses again is refused, and so is a sheet with a wrong row: nothing written.
    let again = agent.run(&["unit", "import", file.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already registered"));
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "楼栋,单元,楼层,房号,类型,建筑面积\n5栋,1单元,2,201,住宅,90\n5栋,1单元,二,202,住宅,90\n")
        .unwrap();
    let refused = agent.run(&["unit", "import", bad.to_str().unwrap()]);
    let words = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success() && words.contains("row 3, 楼层"), "{words}");
    assert_eq!(count(&agent.json(&["unit", "list"])), 20, "nothing of the wrong sheet was imported");

    // An xlsx sheet, as offices keep them.
    let xlsx = dir.path().join("shops.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    for (c, h) in ["楼栋", "单元", "楼层", "房号", "类型", "建筑面积"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "商业街").unwrap();
    ws.write_number(1, 2, 1.0).unwrap();
    ws.write_string(1, 3, "S-01").unwrap();
    ws.write_string(1, 4, "商铺").unwrap();
    ws.write_number(1, 5, 45.25).unwrap();
    book.save(&xlsx).unwrap();
    let out = agent.run(&["unit", "import", xlsx.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let shops = agent.json(&["unit", "list", "--building", "商业街"]);
    assert_eq!((count(&shops), shops[0]["area_centi"].clone()), (1, serde_json::json!(4_525)));

    // A complaint written "3栋 2单元 501" matches; one at an unregistered unit is listed, never guessed.
    agent.add_complaint("张伟", "3栋 2单元 501", "漏水", false);
    let stray = agent.add_complaint("王芳", "9栋1单元101", "噪音", false);
    let unmatched = agent.json(&["unit", "unmatched"]);
    assert_eq!(count(&unmatched), 1, "{unmatched}");
    assert_eq!(unmatched[0]["id"], stray.as_str());

    // A resident belongs to a house: one at an unregistered unit is refused; a tenant with a car, then moved out.
    let nowhere = agent.run(&["resident", "add", "--unit", "9栋101", "--name", "赵六"]);
    assert!(!nowhere.status.success() && String::from_utf8_lossy(&nowhere.stderr).contains("register"));
    let tenant = agent.json(&[
        "resident",
        "add",
        "--unit",
        "3栋2单元 501",
        "--name",
        "钱七",
        "--type",
        "租户",
        "--relation",
        "租客",
        "--moved-in",
        "2026-03-01",
        "--emergency",
        "钱父 13900000000",
        "--plate",
        "粤b12345",
    ]);
    assert_eq!((tenant["unit"].as_str(), tenant["resident_type"].as_str()), (Some("3栋2单元501"), Some("tenant")));
    assert_eq!(tenant["plates"][0], "粤B12345");
    assert!(tenant["house_id"].is_string());
    let id = tenant["id"].as_str().unwrap();
    let early = agent.run(&["resident", "move-out", id, "--on", "2026-01-01"]);
    assert!(!early.status.success(), "moved out before moving in");
    assert_eq!(agent.json(&["resident", "move-out", id, "--on", "2026-11-01"])["moved_out"], "2026-11-01");

    let _run = server.start();
    agent.sync();
    assert_eq!(count(&server.json(&["records", "unit"])), 21, "the register reached head office");
    assert_eq!(server.json(&["records", "resident"])[0]["moved_out"], "2026-11-01");
}
