//! Head office on PostgreSQL, end to end: the real `wuye-server` and
//! `wuye-agent` binaries on loopback QUIC, two servers on one database (a
//! real PostgreSQL the test starts), sites whose rounds alternate between
//! them while other sites sync at the same time. Nothing is lost or
//! duplicated, each site holds only its own records, and a decision made
//! through one server's folder reaches the site through the other server.

use std::path::Path;
use std::process::Command;

use rand::{Rng, SeedableRng};
use serde_json::Value;
use wuye_tests::pg::Postgres;
use wuye_tests::procs::{self, free_port, path, Agent, Server, SiteCred};

fn ids(v: &Value) -> Vec<String> {
    let mut out: Vec<String> =
        v.as_array().expect("a list").iter().map(|c| c["id"].as_str().expect("id").to_string()).collect();
    out.sort();
    out
}

fn init_on(dir: &Path, name: &str, url: &str) -> Server {
    Server::init_on(dir, name, url)
}

/// A second server: a copy of `first`'s folder (the same certificate and
/// database), listening elsewhere.
fn copy_of(first: &Server, dir: &Path, name: &str) -> Server {
    let data = dir.join(name);
    let ok = Command::new("cp").args(["-a"]).arg(&first.data).arg(&data).status().expect("cp runs");
    assert!(ok.success());
    Server { data, addr: format!("127.0.0.1:{}", free_port()), fingerprint: first.fingerprint.clone() }
}

/// Points an agent at `server` for its next rounds.
fn point_at(agent: &Agent, server: &Server) {
    agent.ok(&["server", "set", "--server", &server.addr, "--fingerprint", &server.fingerprint]);
}

#[test]
fn two_servers_on_one_database_serve_sites_whose_rounds_alternate_between_them() {
    let Some(pg) = Postgres::start() else { return };
    let url = pg.database();
    let dir = tempfile::tempdir().unwrap();
    let a = init_on(dir.path(), "hq-a", &url);
    let b = copy_of(&a, dir.path(), "hq-b");
    assert_eq!(procs::ok("wuye-server", &["fingerprint", "--data", path(&b.data)]).trim(), a.fingerprint);

    // Sites registered through either folder land in the one database.
    let creds: Vec<SiteCred> =
        ["朝阳花园", "锦绣华庭", "翠湖天地"].iter().enumerate().map(|(i, n)| [&a, &b][i % 2].add_site(n)).collect();
    let listed = b.json(&["site", "list"]);
    assert_eq!(listed.as_array().unwrap().len(), 3, "{listed}");
    // BI tools name the sites from `bi_sites`, which holds no credential.
    let mut bi = wuye_store_pg::PgStore::connect(&url).unwrap();
    let names: Vec<String> =
        bi.client().query("SELECT name FROM bi_sites ORDER BY name", &[]).unwrap().iter().map(|r| r.get(0)).collect();
    assert_eq!(names.len(), 3);
    assert!(names.contains(&"锦绣华庭".to_string()));
    let columns: Vec<String> = bi
        .client()
        .query("SELECT column_name::text FROM information_schema.columns WHERE table_name = 'bi_sites'", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(!columns.iter().any(|c| c.contains("hash")), "{columns:?}");
    // `init` again on the same database would make a certificate the sites do not trust: refused.
    let again = procs::run("wuye-server", &["init", "--data", path(&dir.path().join("hq-c")), "--store", &url]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("copy that folder"), "{again:?}");
    assert!(!dir.path().join("hq-c").exists());

    let _run_a = a.start();
    let _run_b = b.start();
    let agents: Vec<Agent> = creds
        .iter()
        .enumerate()
        .map(|(i, cred)| Agent::init(dir.path(), &format!("site-{i}"), &a.addr, &a.fingerprint, cred))
        .collect();

    let seed: u64 = std::env::var("WUYE_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(rand::random);
    eprintln!("seed {seed} (WUYE_SEED={seed} repeats it)");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut added = vec![0usize; agents.len()];
    for round in 0..4 {
        // Every site adds complaints, then all sync at once, each through
        // the server the seed picks for it this round.
        let picks: Vec<bool> = agents.iter().map(|_| rng.gen()).collect();
        for (i, agent) in agents.iter().enumerate() {
            for k in 0..rng.gen_range(3..8) {
                agent.add_complaint("张伟", &format!("{}栋{}单元{}", i + 1, round + 1, 100 + k), "楼上漏水", k == 0);
                added[i] += 1;
            }
            point_at(agent, if picks[i] { &a } else { &b });
        }
        std::thread::scope(|s| {
            for agent in &agents {
                s.spawn(|| agent.sync());
            }
        });
    }

    // Nothing lost, nothing duplicated, each site's records where they belong.
    let everything = a.json(&["complaint", "list"]);
    assert_eq!(ids(&everything).len(), added.iter().sum::<usize>());
    assert_eq!(ids(&everything), ids(&b.json(&["complaint", "list"])), "both servers read the one database");
    for (agent, cred) in agents.iter().zip(&creds) {
        let at_site = agent.json(&["complaint", "list"]);
        let at_office = a.json(&["complaint", "list", "--site", &cred.id]);
        assert_eq!(ids(&at_site), ids(&at_office), "site {} holds exactly its own complaints", cred.id);
    }
    // The figures' sums, kept by both servers writing at once, count every
    // complaint once: each site's figures at head office are the site's own.
    let figures = figures_of(&a);
    assert_eq!(figures, figures_of(&b));
    assert_eq!(figures["total"]["complaints"].as_u64(), Some(added.iter().sum::<usize>() as u64), "{figures}");
    for (i, cred) in creds.iter().enumerate() {
        let line = figures["sites"].as_array().unwrap().iter().find(|l| l["site_id"] == cred.id.as_str()).unwrap();
        assert_eq!(line["figures"]["complaints"].as_u64(), Some(added[i] as u64), "{line}");
        assert_eq!(line["figures"]["complaints_major"], 4, "one major a round: {line}");
    }

    // A decision through B's folder reaches the site through A, and the
    // site's note made meanwhile reaches head office through B.
    let agent = &agents[0];
    let major = agent.json(&["complaint", "list"]).as_array().unwrap().iter().find(|c| c["major"] == true).cloned();
    let id = major.expect("a major complaint")["id"].as_str().unwrap().to_string();
    procs::ok("wuye-server", &["complaint", "decide", &id, "--data", path(&b.data), "--text", "核实后退还多收部分"]);
    agent.ok(&["complaint", "note", &id, "--text", "已电话告知业主"]);
    point_at(agent, &a);
    let report = agent.sync();
    assert_eq!(report["pulled"], 1, "{report}");
    point_at(agent, &b);
    agent.sync();
    let at_site = agent.json(&["complaint", "show", &id]);
    assert_eq!(at_site["status"], "decided");
    assert_eq!(at_site["decision"]["text"], "核实后退还多收部分");
    assert_eq!(at_site, a.json(&["complaint", "show", &id]), "the site and head office hold the same record");
    // A round with nothing new moves nothing, whichever server serves it.
    point_at(agent, &a);
    let idle = agent.sync();
    assert_eq!((idle["pushed"].as_u64(), idle["pulled"].as_u64()), (Some(0), Some(0)), "{idle}");

    // Company settings published through B's folder: A reads them, and every
    // site has them after a round through either server.
    procs::ok("wuye-server", &["settings", "publish", "--data", path(&b.data), "--categories", "卫生,噪音,维修,其他"]);
    assert_eq!(a.json(&["settings", "show"])["categories"], serde_json::json!(["卫生", "噪音", "维修", "其他"]));
    for (i, other) in agents.iter().enumerate() {
        point_at(other, [&a, &b][i % 2]);
        assert_eq!(other.sync()["pulled"], 1, "site {i} receives the company's settings");
    }
    assert!(a.json(&["repair", "list"]).as_array().unwrap().is_empty());
}

#[test]
fn head_office_on_postgresql_keeps_its_people_in_the_database_and_refuses_a_wrong_address() {
    let Some(pg) = Postgres::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = init_on(dir.path(), "hq", &pg.database());
    // Its people are in the database: added through this folder, read through a copy of it.
    server.add_user("周总", "zhou", "manager", &[]);
    let other = copy_of(&server, dir.path(), "hq-copy");
    let people = other.json(&["user", "list"]);
    assert_eq!(people[0]["login"], "zhou", "{people}");
    let out = procs::run("wuye-server", &["backup", "x.db", "--data", path(&server.data)]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"), "{out:?}");

    let out = procs::run("wuye-server", &["init", "--data", path(&dir.path().join("x")), "--store", "mysql://db/wuye"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("postgres://"), "{out:?}");
    let nobody = format!("postgres://wuye:secret@127.0.0.1:{}/nothing_here", free_port());
    let out = procs::run("wuye-server", &["init", "--data", path(&dir.path().join("y")), "--store", &nobody]);
    let words = String::from_utf8_lossy(&out.stderr);
    assert!(words.contains("cannot use the PostgreSQL database") && !words.contains("secret"), "{words}");
    assert!(!dir.path().join("y").exists(), "nothing is left behind by a refused init");
}

#[test]
fn a_sqlite_head_office_copied_onto_postgresql_goes_on_serving_its_sites_with_nothing_lost() {
    let Some(pg) = Postgres::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::init(dir.path());
    let creds = [server.add_site("朝阳花园"), server.add_site("锦绣华庭")];
    let agents: Vec<Agent> = creds
        .iter()
        .enumerate()
        .map(|(i, c)| Agent::init(dir.path(), &format!("site-{i}"), &server.addr, &server.fingerprint, c))
        .collect();
    let mut major = String::new();
    {
        let _running = server.start();
        for (i, agent) in agents.iter().enumerate() {
            for k in 0..6 {
                let id = agent.add_complaint("李娜", &format!("{}栋1单元{}", i + 1, 100 + k), "电梯噪音", k == 0);
                if i == 0 && k == 0 {
                    major = id;
                }
            }
            agent.sync();
        }
        procs::ok("wuye-server", &["complaint", "note", &major, "--data", path(&server.data), "--text", "已派人查看"]);
    }
    let before = server.json(&["complaint", "list"]);
    let sites_before = server.json(&["site", "list"]);
    let figures_before = figures_of(&server);
    let records_before = server.json(&["records", "complaint"]);
    server.add_user("品质部钱工", "qian", "quality", &[]);
    assert_eq!(figures_before["total"]["complaints"], 12, "{figures_before}");

    let url = pg.database();
    let said = procs::ok("wuye-server", &["store", "copy", "--from", path(&server.data), "--to", &url]);
    assert!(said.contains("copied") && said.contains("2 sites"), "{said}");
    // Copying again is refused, and so is another folder into a database that is no longer empty.
    let again = procs::run("wuye-server", &["store", "copy", "--from", path(&server.data), "--to", &url]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("already runs on PostgreSQL"), "{again:?}");
    let other = Server::init(&dir.path().join("other"));
    let into_full = procs::run("wuye-server", &["store", "copy", "--from", path(&other.data), "--to", &url]);
    assert!(String::from_utf8_lossy(&into_full.stderr).contains("empty database"), "{into_full:?}");
    assert!(!other.data.join("store.url").exists(), "a refused copy leaves the folder on SQLite");

    // The folder now reads PostgreSQL: the same complaints, the same sites, the same figures,
    // and again once the lists and sums are made again from the documents there.
    for rebuilt in [false, true] {
        assert_eq!(server.json(&["complaint", "list"]), before, "rebuilt: {rebuilt}");
        assert_eq!(figures_of(&server), figures_before, "rebuilt: {rebuilt}");
        assert_eq!(server.json(&["records", "complaint"]), records_before, "rebuilt: {rebuilt}");
        let said = procs::ok("wuye-server", &["store", "rebuild", "--data", path(&server.data)]);
        assert!(said.contains("listed again"), "{said}");
    }
    let people = server.json(&["user", "list"]);
    assert_eq!((&people[0]["login"], &people[0]["role"]), (&Value::from("qian"), &Value::from("quality")), "{people}");
    let sites_after = server.json(&["site", "list"]);
    assert_eq!(sites_after.as_array().unwrap().len(), 2);
    for (a, b) in sites_before.as_array().unwrap().iter().zip(sites_after.as_array().unwrap()) {
        assert_eq!((&a["site_id"], &a["name"], &a["credential"]), (&b["site_id"], &b["name"], &b["credential"]));
    }

    // The sites go on with the same credentials and certificate; their first
    // round compares what the two hold and sends only what differs: nothing
    // for the second site, the complaint head office noted for the first
    // (whole, both ways, as a reconciling round does).
    let _running = server.start();
    let rounds: Vec<Value> = agents.iter().map(|a| a.sync()).collect();
    assert!(rounds.iter().all(|r| r["reconciled"] == true), "{rounds:?}");
    assert_eq!((rounds[0]["pulled"].as_u64(), rounds[1]["pulled"].as_u64()), (Some(1), Some(0)), "{rounds:?}");
    assert_eq!(rounds[1]["pushed"], 0, "{rounds:?}");
    assert_eq!(agents[0].json(&["complaint", "show", &major])["notes"][0]["text"], "已派人查看");
    for agent in &agents {
        let idle = agent.sync();
        assert_eq!(
            (idle["pushed"].as_u64(), idle["pulled"].as_u64(), &idle["reconciled"]),
            (Some(0), Some(0), &Value::Bool(false))
        );
    }
    let id = agents[1].add_complaint("赵敏", "2栋2单元808", "楼道灯不亮", false);
    agents[1].sync();
    procs::ok(
        "wuye-server",
        &["complaint", "decide", &major, "--data", path(&server.data), "--text", "更换电梯曳引机"],
    );
    agents[0].sync();
    assert_eq!(agents[0].json(&["complaint", "show", &major])["decision"]["text"], "更换电梯曳引机");
    assert_eq!(server.json(&["complaint", "show", &id])["unit"], "2栋2单元808");
    assert_eq!(ids(&server.json(&["complaint", "list"])).len(), 13);
    // The sums go on from the copied ones: one more complaint, one more counted.
    assert_eq!(figures_of(&server)["total"]["complaints"], 13);
}

/// Head office's figures for this month (in the tests' Asia/Shanghai), as `report kpi` prints them.
fn figures_of(server: &Server) -> Value {
    let month = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).format("%Y-%m").to_string();
    let data = path(&server.data);
    wuye_tests::procs::json("wuye-server", &["report", "kpi", "--month", &month, "--format", "json", "--data", data])
}

/// An authority and a certificate it signed for 127.0.0.1: (authority PEM, certificate PEM, key PEM).
fn authority_and_server() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.distinguished_name.push(rcgen::DnType::CommonName, "公司数据库 CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap().signed_by(&key, &ca, &ca_key).unwrap();
    (ca.pem(), server.pem(), key.serialize_pem())
}

#[test]
fn head_office_reaches_its_database_over_tls_and_refuses_a_certificate_it_cannot_check() {
    let (ca, cert, key) = authority_and_server();
    let Some(pg) = Postgres::start_tls(&cert, &key) else { return };
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("company-ca.pem");
    std::fs::write(&ca_file, &ca).unwrap();
    let url = format!("{}?sslmode=require", pg.database());

    // With the company's authority: TLS, and the folder keeps the authority for later commands.
    let data = dir.path().join("hq");
    let addr = format!("127.0.0.1:{}", free_port());
    procs::ok(
        "wuye-server",
        &["init", "--data", path(&data), "--listen", &addr, "--store", &url, "--store-ca", path(&ca_file)],
    );
    assert!(data.join("store-ca.pem").is_file());
    let server = Server { data, addr, fingerprint: String::new() };
    server.add_site("朝阳花园");
    assert_eq!(server.json(&["site", "list"]).as_array().unwrap().len(), 1);
    let mut store = wuye_store_pg::PgStore::connect_with(&url, Some(ca.as_bytes())).unwrap();
    let ssl: bool =
        store.client().query_one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[]).unwrap().get(0);
    assert!(ssl, "the connection is encrypted");

    // Without it the certificate cannot be checked: refused, never used unchecked.
    let out = procs::run("wuye-server", &["init", "--data", path(&dir.path().join("hq2")), "--store", &url]);
    let words = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && words.contains("cannot use the PostgreSQL database"), "{words}");
    // An authority file that is not one is refused with what it is.
    std::fs::write(dir.path().join("bad.pem"), "not a certificate").unwrap();
    let bad = dir.path().join("bad.pem");
    let out = procs::run(
        "wuye-server",
        &["init", "--data", path(&dir.path().join("hq3")), "--store", &url, "--store-ca", path(&bad)],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("authority"), "{out:?}");
}

#[test]
fn a_new_certificate_reaches_every_server_folder_on_one_database_and_strands_no_site() {
    let Some(pg) = Postgres::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let a = init_on(dir.path(), "hq-a", &pg.database());
    let b = copy_of(&a, dir.path(), "hq-b");
    let agent = Agent::init(dir.path(), "site", &a.addr, &a.fingerprint, &a.add_site("朝阳花园"));
    agent.add_complaint("王芳", "1栋101", "电梯停运", false);
    {
        let _run_a = a.start();
        agent.sync();
    }

    let rotated = procs::ok("wuye-server", &["cert", "rotate", "--data", path(&a.data)]);
    let next = rotated.split("fingerprint ").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    assert!(rotated.contains("cert copy --from"), "{rotated}");
    // B has not got the certificate yet: it cannot switch, and a folder
    // without it has nothing to copy.
    assert!(!procs::run("wuye-server", &["cert", "switch", "--data", path(&b.data)]).status.success());
    let empty = procs::run("wuye-server", &["cert", "copy", "--from", path(&b.data), "--data", path(&a.data)]);
    assert!(!empty.status.success(), "{empty:?}");
    procs::ok("wuye-server", &["cert", "copy", "--from", path(&a.data), "--data", path(&b.data)]);

    // The site learns the next fingerprint through B, A switches (every
    // site holds it), and B follows without asking the sites again.
    {
        let _run_b = b.start();
        point_at(&agent, &b);
        agent.sync();
    }
    assert_eq!(agent.json(&["status"])["next_fingerprint"], next.as_str());
    procs::ok("wuye-server", &["cert", "switch", "--data", path(&a.data)]);
    procs::ok("wuye-server", &["cert", "switch", "--data", path(&b.data)]);
    for server in [&a, &b] {
        assert_eq!(procs::ok("wuye-server", &["fingerprint", "--data", path(&server.data)]).trim(), next);
    }
    let (_run_a, _run_b) = (a.start(), b.start());
    agent.add_complaint("李娜", "2栋202", "楼道灯不亮", false);
    assert_eq!(agent.sync()["pushed"], 1, "the site goes on with the server it knew, now on the new certificate");
    let b_now = Server { fingerprint: next.clone(), ..b.clone() };
    point_at(&agent, &b_now);
    agent.add_complaint("赵敏", "3栋303", "门禁失灵", false);
    assert_eq!(agent.sync()["pushed"], 1, "and with the other server, on the same certificate");
    assert_eq!(ids(&a.json(&["complaint", "list"])).len(), 3);
}
