//! Whole identity numbers never leave the site: the real binaries on
//! loopback QUIC, and a byte search of every file in head office's folder,
//! while it runs and after it stops.

use std::path::Path;
use std::time::Duration;

use automerge::transaction::Transactable;
use wuye_node::Store;
use wuye_protocol::ids::{RecordId, SiteId};
use wuye_protocol::resident::{self, NewResident};
use wuye_tests::procs::{Agent, Server};

/// Seventeen digits completed with their check character (GB 11643).
fn id_card(first17: &str) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let sum: u32 = first17.chars().zip(WEIGHTS).map(|(c, w)| c.to_digit(10).unwrap() * w).sum();
    format!("{first17}{}", CHECK[(sum % 11) as usize])
}

/// Every file under `dir` that holds `needle`, with how many times.
fn files_holding(dir: &Path, needle: &str) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let bytes = std::fs::read(&p).unwrap_or_default();
            let n = bytes.windows(needle.len()).filter(|w| *w == needle.as_bytes()).count();
            if n > 0 {
                found.push((p.display().to_string(), n));
            }
        }
    }
    found
}

/// A resident document of the first layout (whole numbers in the document),
/// as a release before this one wrote it.
fn first_layout_resident(site: SiteId, card: &str, register: &str) -> automerge::AutoCommit {
    let mut rng = rand::thread_rng();
    let now = chrono::Utc::now() - chrono::Duration::days(30);
    let input = NewResident {
        unit: "3栋2单元501".into(),
        name: "张伟".into(),
        phone: "13800138000".into(),
        id_card: card.into(),
        household_register: register.into(),
        ..NewResident::default()
    };
    let (mut doc, _) =
        resident::create(RecordId::random(&mut rng), site, chrono_tz::Asia::Shanghai, now, "李娜", &input).unwrap();
    doc.put(automerge::ROOT, "id_card", card).unwrap();
    doc.put(automerge::ROOT, "household_register", register).unwrap();
    doc.delete(automerge::ROOT, "masked").unwrap();
    doc
}

#[test]
fn whole_identity_numbers_are_in_no_file_of_head_office_while_it_runs_and_after_it_stops() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::init(dir.path());
    let cred = server.add_site("朝阳花园管理处");
    let agent = Agent::init(dir.path(), "site-a", &server.addr, &server.fingerprint, &cred);
    let site: SiteId = cred.id.parse().unwrap();

    // A resident registered now: only the masked number is ever written to the synced document.
    let new_card = id_card("44030519880808123");
    let added = agent.json(&[
        "resident",
        "add",
        "--unit",
        "5栋1单元202",
        "--name",
        "王芳",
        "--id-card",
        &new_card,
        "--register",
        "B7654321",
    ]);
    assert_eq!(added["id_card"], new_card.as_str(), "the supervisor sees the whole number at the site");

    // A resident of the first layout, already at head office before the upgrade (as in the field).
    let old_card = id_card("11010519491231002");
    let old_register = "A1234567";
    let mut legacy = first_layout_resident(site, &old_card, old_register);
    let bytes = legacy.save_nocompress();
    for db in [agent.data.join("agent.db"), server.data.join("server.db")] {
        let mut store = Store::open(&db).unwrap();
        let mut doc = automerge::AutoCommit::load(&bytes).unwrap();
        store.insert_new(&mut doc).unwrap();
        store.checkpoint().unwrap();
    }
    assert!(
        !files_holding(&server.data, &old_card).is_empty(),
        "the search finds a whole number where one is (head office before the move)"
    );

    let mut running = server.start();
    // Opening the site's folder moves the resident; the sync takes the move to head office.
    let report = agent.sync();
    assert!(report["pushed"].as_u64().unwrap() >= 2, "{report}");
    for needle in [old_card.as_str(), old_register, new_card.as_str(), "B7654321"] {
        let found = files_holding(&server.data, needle);
        assert!(found.is_empty(), "{needle} is in head office's files while it runs: {found:?}");
    }
    let at_office = server.json(&["records", "resident"]);
    let cards: Vec<&str> = at_office.as_array().unwrap().iter().map(|r| r["id_card"].as_str().unwrap()).collect();
    assert_eq!(cards.len(), 2, "{at_office}");
    assert!(cards.contains(&resident::mask(&old_card).as_str()), "{cards:?}");
    assert!(cards.contains(&resident::mask(&new_card).as_str()), "{cards:?}");

    running.stop(Duration::from_secs(10));
    for needle in [old_card.as_str(), old_register, new_card.as_str(), "B7654321"] {
        let found = files_holding(&server.data, needle);
        assert!(found.is_empty(), "{needle} is in head office's files after it stopped: {found:?}");
    }

    // The site still has both, whole, for those who may see them; the old record is gone there too.
    let at_site = agent.json(&["resident", "list"]);
    let mut whole: Vec<&str> = at_site.as_array().unwrap().iter().map(|r| r["id_card"].as_str().unwrap()).collect();
    whole.sort();
    let mut want = vec![old_card.as_str(), new_card.as_str()];
    want.sort();
    assert_eq!(whole, want);
}
