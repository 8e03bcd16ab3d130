//! Databases written by an earlier release open with this one and read back
//! the same. The fixture in `tests/fixtures/release-1` was made by
//! `tests/fixtures/make-release-fixture.sh` with the binaries of the release
//! that resolved "What an outside test broke" (the commit it names); what its
//! commands printed then is kept beside it as JSON.

use std::path::{Path, PathBuf};

use wuye_tests::procs::{self, path, SUPERVISOR};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join("release-1")
}

/// A private copy of one of the fixture's databases in a folder of its own.
fn copy_of(db: &str, into: &Path) -> PathBuf {
    let dir = into.join(db.trim_end_matches(".db"));
    std::fs::create_dir(&dir).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    std::fs::copy(fixture().join(db), dir.join(db)).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.join(db), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    dir
}

fn expected(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(fixture().join("expected").join(format!("{name}.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// `now` with only the fields `then` had: a field added since (a new
/// setting, say) is not part of what release 1 wrote; every field it had
/// must read back the same.
fn as_then(now: &serde_json::Value, then: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match (now, then) {
        (Value::Object(now), Value::Object(then)) => Value::Object(
            now.iter().filter(|(k, _)| then.contains_key(*k)).map(|(k, v)| (k.clone(), as_then(v, &then[k]))).collect(),
        ),
        (Value::Array(now), Value::Array(then)) if now.len() == then.len() => {
            Value::Array(now.iter().zip(then).map(|(n, t)| as_then(n, t)).collect())
        }
        _ => now.clone(),
    }
}

fn check(name: &str, now: serde_json::Value) {
    let then = expected(name);
    assert_eq!(as_then(&now, &then), then, "{name} reads back differently after the upgrade");
}

#[test]
fn a_site_and_head_office_written_by_release_1_read_back_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let site = copy_of("agent.db", dir.path());
    let hq = copy_of("server.db", dir.path());

    let login = procs::run_with_input(
        "wuye-agent",
        &["login", SUPERVISOR.1, "--data", path(&site)],
        Some(&format!("{}\n", SUPERVISOR.2)),
    );
    assert!(login.status.success(), "{}", String::from_utf8_lossy(&login.stderr));
    for what in ["complaint list", "repair list", "staff list", "log list", "settings show"] {
        let mut args: Vec<&str> = what.split(' ').collect();
        args.extend(["--json", "--data", path(&site)]);
        check(&format!("site-{}", what.replace(' ', "-")), procs::json("wuye-agent", &args));
    }
    // Residents held whole identity numbers in their synced documents then;
    // each moved to a new document (a new id, naming the old one) without
    // them, and the site still shows them whole to those who may see them.
    let residents = procs::json("wuye-agent", &["resident", "list", "--json", "--data", path(&site)]);
    let mut now: Vec<serde_json::Value> = residents.as_array().unwrap().clone();
    let mut then: Vec<serde_json::Value> = expected("site-resident-list").as_array().unwrap().clone();
    assert!(!then.is_empty());
    let key = |r: &serde_json::Value| (r["created_at"].to_string(), r["name"].to_string());
    now.sort_by_key(key);
    then.sort_by_key(key);
    assert_eq!(now.len(), then.len());
    for (now, then) in now.iter_mut().zip(then.iter_mut()) {
        let now = now.as_object_mut().unwrap();
        let then = then.as_object_mut().unwrap();
        let old_id = then.remove("id").unwrap();
        assert_eq!(now.remove("replaces"), Some(old_id.clone()), "the new document names the one it replaces");
        assert_ne!(now.remove("id"), Some(old_id));
        // The household columns came later: a resident of then reads as an owner with none.
        assert_eq!(
            (&now["resident_type"], &now["moved_out"], &now["house_id"]),
            (&"owner".into(), &serde_json::Value::Null, &serde_json::Value::Null)
        );
        let (now, then) = (serde_json::Value::Object(now.clone()), serde_json::Value::Object(then.clone()));
        assert_eq!(as_then(&now, &then), then, "a resident reads back differently after the upgrade");
    }

    let office = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--json", "--data", path(&hq)]);
        procs::json("wuye-server", &all)
    };
    check("hq-complaint-list", office(&["complaint", "list"]));
    check("hq-repair-list", office(&["repair", "list"]));
    for kind in ["staff", "log", "commitment", "duty", "resident"] {
        check(&format!("hq-records-{kind}"), office(&["records", kind]));
    }
    // A daily report's figures were JSON text (`content`) then and are typed
    // fields (`figures`) now: the same figures.
    let mut reports = expected("hq-records-report");
    for report in reports.as_array_mut().unwrap() {
        let report = report.as_object_mut().unwrap();
        let content = report.remove("content").unwrap();
        report.insert("figures".into(), serde_json::from_str(content.as_str().unwrap()).unwrap());
    }
    assert!(!reports.as_array().unwrap().is_empty());
    assert_eq!(office(&["records", "report"]), reports, "daily reports read back differently after the upgrade");
    // And it keeps working: a new record on the old database.
    let added = procs::json(
        "wuye-agent",
        &[
            "complaint",
            "add",
            "--customer",
            "新住户",
            "--unit",
            "9栋901",
            "--channel",
            "phone",
            "--summary",
            "升级后的第一条投诉",
            "--json",
            "--data",
            path(&site),
        ],
    );
    assert_eq!(added["summary"], "升级后的第一条投诉");
    // Documents written then stay as they were stored and still load (a
    // note on one); what is written now is packed against its kind's dictionary.
    let then = expected("site-complaint-list");
    let open = then.as_array().unwrap().iter().find(|c| c["status"] == "in_progress").unwrap();
    let old = open["id"].as_str().unwrap().to_string();
    let stored_as = |id: &str| -> Option<i64> {
        let conn = rusqlite::Connection::open(site.join(wuye_agent::DB_FILE)).unwrap();
        conn.query_row("SELECT dict FROM docs WHERE id = ?1", [id], |r| r.get(0)).unwrap()
    };
    assert_eq!(stored_as(&old), None, "an old document is left as it was stored");
    assert!(stored_as(added["id"].as_str().unwrap()).is_some(), "a new one is packed");
    let noted = procs::json(
        "wuye-agent",
        &["complaint", "note", &old, "--text", "升级后补记", "--json", "--data", path(&site)],
    );
    assert_eq!(noted["notes"].as_array().unwrap().last().unwrap()["text"], "升级后补记");
    assert!(stored_as(&old).is_some(), "written again, it is packed too");

    // Laid out by number now (sites, peers, documents): what head office was
    // known to hold of every document still here came through, so nothing is
    // sent again, and every view was written again packed.
    let held = |db: &Path, sql: &str| -> Vec<(String, Vec<u8>)> {
        let conn = rusqlite::Connection::open(db).unwrap();
        let mut rows: Vec<(String, Vec<u8>)> = conn
            .prepare(sql)
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        rows.sort();
        rows
    };
    let now =
        held(&site.join(wuye_agent::DB_FILE), "SELECT d.id, p.heads FROM peer_heads p JOIN docs d ON d.n = p.doc");
    std::fs::create_dir(dir.path().join("untouched")).unwrap();
    let untouched = copy_of("agent.db", &dir.path().join("untouched"));
    let mut then = held(&untouched.join("agent.db"), "SELECT doc_id, heads FROM peer_heads");
    // The resident whose identity number moved to a new document was deleted, with what was known of it.
    let purged: Vec<String> = rusqlite::Connection::open(site.join(wuye_agent::DB_FILE))
        .unwrap()
        .prepare("SELECT id FROM purged")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    then.retain(|(id, _)| !purged.contains(id));
    assert!(!now.is_empty());
    assert_eq!(now, then, "what head office holds is known after the upgrade as before");
    let conn = rusqlite::Connection::open(site.join(wuye_agent::DB_FILE)).unwrap();
    let (rows, packed): (i64, i64) = conn
        .query_row("SELECT count(*), count(dict) FROM projection_rows", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert!(rows > 0 && packed == rows, "{packed} of {rows} views packed");
}

#[test]
fn a_database_from_a_newer_release_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let site = copy_of("agent.db", dir.path());
    let db = site.join("agent.db");
    {
        // As a later release would leave it: its layout further on than this build knows.
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute("UPDATE schema_versions SET version = 99 WHERE component = 'store'", []).ok();
        conn.pragma_update(None, "user_version", 99).unwrap();
        conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    }
    let before = std::fs::read(&db).unwrap();
    let out = procs::run("wuye-agent", &["complaint", "list", "--data", path(&site)]);
    assert!(!out.status.success());
    let words = String::from_utf8_lossy(&out.stderr);
    assert!(words.contains("newer") && words.contains("upgrade"), "{words}");
    assert!(std::fs::read(&db).unwrap() == before, "the newer release's database is not written to");
}
