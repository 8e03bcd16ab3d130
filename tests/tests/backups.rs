//! Restores, copies and backups with the real binaries on loopback QUIC,
//! as an office's IT person would do them: nothing is lost, in either
//! direction, and every side ends holding the same records.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use wuye_tests::procs::{self, path, Agent, Server};

fn list(v: &Value) -> Vec<Value> {
    let mut items = v.as_array().expect("a JSON list").clone();
    items.sort_by_key(|c| c["id"].as_str().unwrap_or_default().to_string());
    items
}

/// Copies a folder's files (a cold copy, or a hot one with its `-wal`).
fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
}

/// Puts a folder back from a copy, in place.
fn put_back(copy: &Path, folder: &Path) {
    std::fs::remove_dir_all(folder).unwrap();
    copy_folder(copy, folder);
}

fn one_site(dir: &Path) -> (Server, Agent) {
    let server = Server::init(dir);
    let cred = server.add_site("朝阳花园管理处");
    let agent = Agent::init(dir, "site-a", &server.addr, &server.fingerprint, &cred);
    (server, agent)
}

fn assert_same(server: &Server, agent: &Agent, count: usize) {
    let at_office = list(&server.json(&["complaint", "list"]));
    let at_site = list(&agent.json(&["complaint", "list"]));
    assert_eq!(at_office.len(), count, "head office holds {} complaints", at_office.len());
    assert_eq!(at_site, at_office, "site and head office hold the same complaints");
}

/// Damages a record's list entry in a folder's database, as a failing disk
/// or a stray tool might; its document is left as it was.
fn damage_list_entry(db: &Path, id: &str) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let changed = conn.execute("UPDATE projection_rows SET view = x'ff00ff' WHERE id = ?1", [id]).unwrap();
    assert_eq!(changed, 1, "{id} is listed in {}", db.display());
}

#[test]
fn a_damaged_list_entry_names_its_record_and_the_command_that_makes_the_lists_again() {
    let dir = tempfile::tempdir().unwrap();
    let (server, agent) = one_site(dir.path());
    let ids: Vec<String> =
        (0..4).map(|n| agent.add_complaint(&format!("住户{n}"), "3栋501", "楼上漏水", n == 0)).collect();
    {
        let _running = server.start();
        agent.sync();
    }
    let (at_site, at_office) = (agent.json(&["complaint", "list"]), server.json(&["complaint", "list"]));
    assert_eq!(list(&at_site).len(), 4);
    damage_list_entry(&agent.data.join(wuye_agent::DB_FILE), &ids[1]);
    damage_list_entry(&server.data.join(wuye_server::DB_FILE), &ids[2]);

    let said = agent.refused(&["complaint", "list"]);
    assert!(said.contains(&ids[1]) && said.contains("wuye-agent rebuild"), "{said}");
    let office = procs::run("wuye-server", &["complaint", "list", "--data", path(&server.data)]);
    let said = String::from_utf8_lossy(&office.stderr);
    assert!(!office.status.success() && said.contains(&ids[2]) && said.contains("wuye-server store rebuild"), "{said}");
    // Other records are still read one by one meanwhile.
    assert_eq!(agent.json(&["complaint", "show", &ids[0]])["customer"], "住户0");

    // Made again from the documents, no sign-in needed: the same lists as before.
    let rebuilt = agent.ok(&["rebuild"]);
    assert!(rebuilt.contains("listed again"), "{rebuilt}");
    assert_eq!(agent.json(&["complaint", "list"]), at_site);
    let rebuilt = procs::ok("wuye-server", &["store", "rebuild", "--data", path(&server.data)]);
    assert!(rebuilt.contains("listed again"), "{rebuilt}");
    assert_eq!(server.json(&["complaint", "list"]), at_office);
}

#[test]
fn a_site_restored_from_last_nights_copy_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (server, agent) = one_site(dir.path());
    let _running = server.start();
    for n in 0..5 {
        agent.add_complaint(&format!("住户{n}"), "3栋501", "楼上漏水", false);
    }
    agent.sync();
    let copy = dir.path().join("last-night");
    copy_folder(&agent.data, &copy);
    for n in 5..10 {
        agent.add_complaint(&format!("住户{n}"), "3栋501", "电梯噪音", false);
    }
    agent.sync();
    put_back(&copy, &agent.data);
    for n in 10..13 {
        agent.add_complaint(&format!("住户{n}"), "5栋202", "垃圾未清运", false);
    }
    let report = agent.sync();
    assert_eq!(report["reconciled"], true, "{report}");
    assert_eq!((report["pushed"].as_u64(), report["pulled"].as_u64()), (Some(3), Some(5)), "{report}");
    assert_same(&server, &agent, 13);
    let again = agent.sync();
    assert_eq!((again["reconciled"].as_bool(), again["pushed"].as_u64()), (Some(false), Some(0)), "{again}");
}

#[test]
fn head_office_restored_from_an_older_copy_loses_nothing_in_either_direction() {
    let dir = tempfile::tempdir().unwrap();
    let (server, agent) = one_site(dir.path());
    let mut running = server.start();
    let ids: Vec<String> =
        (0..6).map(|n| agent.add_complaint(&format!("住户{n}"), "1栋101", "外墙渗水", true)).collect();
    agent.sync();
    let decide = |id: &str| {
        procs::ok(
            "wuye-server",
            &["complaint", "decide", id, "--text", "公司承担维修费用", "--data", path(&server.data)],
        )
    };
    for id in &ids[..3] {
        decide(id);
    }
    running.stop(Duration::from_secs(10));
    let copy = dir.path().join("hq-copy");
    copy_folder(&server.data, &copy);
    let mut running = server.start();
    for id in &ids[3..] {
        decide(id);
    }
    agent.sync();
    for n in 6..9 {
        agent.add_complaint(&format!("住户{n}"), "2栋302", "停车位被占", false);
    }
    agent.sync();
    running.stop(Duration::from_secs(10));

    put_back(&copy, &server.data);
    let _running = server.start();
    // Made at head office after the restore.
    for id in &ids[3..] {
        procs::ok("wuye-server", &["complaint", "note", id, "--text", "总部复核", "--data", path(&server.data)]);
    }
    let report = agent.sync();
    assert_eq!(report["reconciled"], true, "{report}");
    agent.sync();
    assert_same(&server, &agent, 9);
    let at_office = list(&server.json(&["complaint", "list"]));
    assert_eq!(at_office.iter().filter(|c| !c["decision"].is_null()).count(), 6, "every decision is back");
    let at_site = list(&agent.json(&["complaint", "list"]));
    let noted = at_site
        .iter()
        .filter(|c| c["notes"].as_array().is_some_and(|n| n.iter().any(|n| n["text"] == "总部复核")))
        .count();
    assert_eq!(noted, 3, "head office's notes after the restore reached the site");
}

#[test]
fn a_folder_copied_to_a_second_pc_is_refused_until_enrolled_and_nothing_either_made_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let (server, agent) = one_site(dir.path());
    let _running = server.start();
    agent.add_complaint("张伟", "3栋501", "楼上漏水", false);
    agent.sync();
    let second = Agent { data: dir.path().join("second-pc") };
    copy_folder(&agent.data, &second.data);
    agent.add_complaint("王芳", "5栋202", "电梯噪音", false);
    second.add_complaint("李娜", "1栋101", "垃圾未清运", false);
    agent.add_complaint("刘洋", "2栋302", "停车位被占", false);
    second.add_complaint("陈静", "6栋601", "楼道灯坏", false);
    agent.sync();
    let refused = second.run(&["sync"]);
    assert!(!refused.status.success());
    let words = String::from_utf8_lossy(&refused.stderr);
    assert!(words.contains("another copy") && words.contains("wuye-agent enroll"), "{words}");
    assert_eq!(list(&second.json(&["complaint", "list"])).len(), 3, "the refused copy keeps all it holds");

    // The office keeps the second PC.
    let site = agent.json(&["status"])["site_id"].as_str().unwrap().to_string();
    let code = server.json(&["site", "rotate", &site])["code"].as_str().unwrap().to_string();
    procs::ok("wuye-agent", &["enroll", &code, "--data", path(&second.data)]);
    let report = second.sync();
    assert_eq!(report["reconciled"], true, "{report}");
    second.sync();
    assert_same(&server, &second, 5);
    assert!(!agent.run(&["sync"]).status.success(), "from now on the first copy is refused");
}

#[test]
fn a_hot_copy_and_a_backup_taken_while_syncing_restore_with_nothing_lost() {
    let dir = tempfile::tempdir().unwrap();
    let (server, agent) = one_site(dir.path());
    let _running = server.start();
    for n in 0..40 {
        agent.add_complaint(&format!("住户{n}"), "3栋501", "楼上漏水", false);
    }
    // A hot copy while `run` keeps syncing: the database and its -wal as they are.
    let run = procs::Proc::spawn(
        "wuye-agent",
        &["run", "--interval-secs", "1", "--data", path(&agent.data)],
        &dir.path().join("run.log"),
    );
    std::thread::sleep(Duration::from_millis(1500));
    let hot = dir.path().join("hot");
    copy_folder(&agent.data, &hot);
    let backup = dir.path().join("site.backup");
    let out = agent.run(&["backup", path(&backup)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    drop(run);
    for n in 40..45 {
        agent.add_complaint(&format!("住户{n}"), "5栋202", "电梯噪音", false);
    }
    agent.sync();

    put_back(&hot, &agent.data);
    agent.sync();
    assert_same(&server, &agent, 45);

    // The backup, restored in place of the folder.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let refused = agent.run(&["restore", path(&backup)]);
    assert!(!refused.status.success(), "a live folder is never overwritten");
    std::fs::remove_dir_all(&agent.data).unwrap();
    procs::ok("wuye-agent", &["restore", path(&backup), "--data", path(&agent.data)]);
    assert!(agent.login(procs::SUPERVISOR.1, procs::SUPERVISOR.2).status.success());
    agent.sync();
    assert_same(&server, &agent, 45);
}

#[test]
fn a_torn_copy_is_refused_at_open_naming_the_file_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, agent) = one_site(dir.path());
    for n in 0..200 {
        agent.add_complaint(&format!("住户{n}"), "3栋501", "楼上漏水，天花板发霉，请尽快派人查看", false);
    }
    let torn = Agent { data: dir.path().join("torn") };
    copy_folder(&agent.data, &torn.data);
    let db = torn.data.join("agent.db");
    let _ = std::fs::remove_file(torn.data.join("agent.db-wal"));
    let _ = std::fs::remove_file(torn.data.join("agent.db-shm"));
    let mut bytes = std::fs::read(&db).unwrap();
    // Half-written pages in the middle of the file, as a copy racing a writer leaves them.
    let middle = bytes.len() / 2 / 4096 * 4096;
    for b in &mut bytes[middle..middle + 8192] {
        *b = 0x5a;
    }
    std::fs::write(&db, &bytes).unwrap();
    let out = torn.run(&["complaint", "list"]);
    assert!(!out.status.success());
    let words = String::from_utf8_lossy(&out.stderr);
    assert!(words.contains("agent.db") && words.contains("damaged"), "{words}");
    assert_eq!(std::fs::read(&db).unwrap(), bytes, "nothing was written to it");
}

#[test]
fn head_offices_backup_taken_while_it_runs_restores_a_whole_folder_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (server, agent) = one_site(dir.path());
    let mut running = server.start();
    for n in 0..5 {
        agent.add_complaint(&format!("住户{n}"), "3栋501", "楼上漏水", n % 2 == 0);
    }
    agent.sync();
    let backup = dir.path().join("hq.backup");
    procs::ok("wuye-server", &["backup", path(&backup), "--data", path(&server.data)]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777, 0o600);
    }
    for n in 5..8 {
        agent.add_complaint(&format!("住户{n}"), "5栋202", "电梯噪音", false);
    }
    agent.sync();
    running.stop(Duration::from_secs(10));

    // The disk is replaced: the folder comes back from the backup, certificate and all.
    let refused = procs::run("wuye-server", &["restore", path(&backup), "--data", path(&server.data)]);
    assert!(!refused.status.success(), "a live folder is never overwritten");
    std::fs::remove_dir_all(&server.data).unwrap();
    procs::ok("wuye-server", &["restore", path(&backup), "--data", path(&server.data)]);
    let fingerprint = procs::ok("wuye-server", &["fingerprint", "--data", path(&server.data)]);
    assert_eq!(fingerprint.trim(), server.fingerprint, "the sites' pinned certificate comes back with it");
    assert_eq!(list(&server.json(&["complaint", "list"])).len(), 5, "the backup holds what it held");
    let _running = server.start();
    let report = agent.sync();
    assert_eq!(report["reconciled"], true, "{report}");
    assert_same(&server, &agent, 8);
}
