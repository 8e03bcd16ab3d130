//! Faults with the real binaries on loopback: a bad line (loss, duplication,
//! reordering, jitter, partitions), processes killed with SIGKILL, and head
//! office restarted under running agents.
//!
//! Every randomised test prints its seed (`WUYE_TEST_SEED=N` replays it);
//! `WUYE_LONG_TESTS=1` runs the long variants.

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use wuye_tests::procs::{self, path, Agent, Proc, Server};
use wuye_tests::relay::{Faults, Relay};
use wuye_tests::seed;

fn count(v: &Value) -> usize {
    v.as_array().map_or(0, Vec::len)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
}

/// Runs `sync` until it succeeds; a bad line may fail some attempts.
fn sync_until_done(agent: &Agent, attempts: usize) -> Value {
    for attempt in 1..=attempts {
        let out = agent.run(&["sync", "--json"]);
        if out.status.success() {
            return serde_json::from_slice(&out.stdout).expect("sync prints JSON");
        }
        println!("attempt {attempt} failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    panic!("sync did not complete in {attempts} attempts");
}

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "gave up waiting for {what} after {} s", limit.as_secs());
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn add_bulk(agent: &Agent, n: usize, offset: usize) {
    let (store, config) = wuye_agent::config::open(&agent.data).expect("agent folder");
    let mut desk =
        wuye_app::desk::Desk::with_os_rng(store, config.site(), std::sync::Arc::new(wuye_protocol::time::SystemClock));
    for i in 0..n {
        desk.add_complaint(&wuye_tests::harness::sample(offset + i, (offset + i).is_multiple_of(10)), "客服员")
            .expect("saves");
    }
}

#[test]
fn sync_completes_and_is_correct_over_a_lossy_duplicating_reordering_jittery_line() {
    let seed = seed::seed("bad line");
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::init(dir.path());
    let cred = server.add_site("朝阳花园管理处");
    let _running = server.start();
    let faults = Faults { loss: 0.2, duplicate: 0.05, reorder: 0.1, jitter_ms: 200 };
    let relay = rt.block_on(Relay::with_faults(server.addr.parse().unwrap(), faults, seed)).unwrap();
    let agent = Agent::init(dir.path(), "site", &relay.addr.to_string(), &server.fingerprint, &cred);
    add_bulk(&agent, 300, 0);
    sync_until_done(&agent, 10);

    let majors: Vec<String> = server
        .json(&["complaint", "list"])
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["major"] == true)
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    for id in &majors {
        procs::ok("wuye-server", &["complaint", "decide", id, "--data", path(&server.data), "--text", "同意"]);
    }
    add_bulk(&agent, 50, 300);
    sync_until_done(&agent, 10);
    let at_site = agent.json(&["complaint", "list"]);
    assert_eq!(count(&at_site), 350, "seed {seed}");
    assert_eq!(at_site, server.json(&["complaint", "list"]), "seed {seed}");
    let decided = at_site.as_array().unwrap().iter().filter(|c| c["status"] == "decided").count();
    assert_eq!(decided, majors.len(), "seed {seed}");
}

#[test]
fn a_running_agent_gets_through_partitions_that_come_and_go() {
    let seed = seed::seed("partitions");
    let mut rng = StdRng::seed_from_u64(seed);
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::init(dir.path());
    let cred = server.add_site("海淀雅苑管理处");
    let _running = server.start();
    let relay = rt.block_on(Relay::with_faults(server.addr.parse().unwrap(), Faults::default(), seed)).unwrap();
    let agent = Agent::init(dir.path(), "site", &relay.addr.to_string(), &server.fingerprint, &cred);
    let _run = Proc::spawn(
        "wuye-agent",
        &["run", "--data", path(&agent.data), "--interval-secs", "1"],
        &dir.path().join("run.log"),
    );
    let flaps = if seed::long() { 30 } else { 6 };
    let mut saved = 0;
    for flap in 0..flaps {
        if flap % 2 == 0 {
            relay.cut()
        } else {
            relay.heal()
        }
        for _ in 0..rng.gen_range(1..4) {
            agent.add_complaint("张伟", &format!("{flap}栋101"), "断网期间登记", false);
            saved += 1;
        }
        std::thread::sleep(Duration::from_millis(rng.gen_range(300..2_000)));
    }
    relay.heal();
    wait_until("head office holds every complaint", Duration::from_secs(120), || {
        count(&server.json(&["complaint", "list"])) == saved
    });
    assert_eq!(agent.json(&["complaint", "list"]), server.json(&["complaint", "list"]), "seed {seed}");
}

fn integrity_ok(db: &std::path::Path) {
    let store = wuye_node::Store::open(db).expect("database opens");
    assert_eq!(store.integrity_check().expect("check runs"), "ok");
}

#[test]
fn killing_the_agent_or_the_server_mid_sync_loses_nothing() {
    let seed = seed::seed("kills");
    let mut rng = StdRng::seed_from_u64(seed);
    let kills = if seed::long() { 30 } else { 4 };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::init(dir.path());
    let cred = server.add_site("朝阳花园管理处");
    let agent = Agent::init(dir.path(), "site", &server.addr, &server.fingerprint, &cred);
    let mut expected = 0;
    let mut hq = server.start();
    let (mut agent_kills, mut server_kills, mut cut_short) = (0, 0, 0);
    for round in 0..kills * 2 {
        add_bulk(&agent, 1_500, expected);
        expected += 1_500;
        let reported = agent.add_complaint("王芳", "9栋909", &format!("第{round}轮登记"), false);
        expected += 1;
        let mut sync = Proc::spawn("wuye-agent", &["sync", "--data", path(&agent.data)], &dir.path().join("sync.log"));
        std::thread::sleep(Duration::from_millis(rng.gen_range(10..300)));
        if !sync.has_exited() {
            cut_short += 1;
        }
        if round % 2 == 0 {
            sync.kill();
            agent_kills += 1;
        } else {
            hq.kill();
            server_kills += 1;
            integrity_ok(&server.data.join(wuye_server::DB_FILE));
            hq = server.start();
            sync.kill();
        }
        integrity_ok(&agent.data.join(wuye_agent::DB_FILE));
        assert!(count(&agent.json(&["complaint", "list"])) == expected, "seed {seed}: agent lost a record");
        assert!(agent.json(&["complaint", "show", &reported])["id"] == reported.as_str());
    }
    println!("{agent_kills} agent kills, {server_kills} server kills, {cut_short} of them mid-sync");
    assert!(cut_short > 0, "seed {seed}: no kill landed mid-sync");
    sync_until_done(&agent, 3);
    let at_site = agent.json(&["complaint", "list"]);
    assert_eq!(count(&at_site), expected, "seed {seed}");
    assert_eq!(at_site, server.json(&["complaint", "list"]), "seed {seed}");
    drop(hq);
    integrity_ok(&server.data.join(wuye_server::DB_FILE));
}

#[test]
fn agents_reconnect_by_themselves_with_backoff_after_head_office_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::init(dir.path());
    let cred = server.add_site("朝阳花园管理处");
    let agent = Agent::init(dir.path(), "site", &server.addr, &server.fingerprint, &cred);
    let mut hq = server.start();
    let log = dir.path().join("run.log");
    let _run = Proc::spawn("wuye-agent", &["run", "--data", path(&agent.data), "--interval-secs", "1"], &log);
    agent.add_complaint("张伟", "1栋101", "重启前登记", false);
    wait_until("the first complaint reaches head office", Duration::from_secs(30), || {
        count(&server.json(&["complaint", "list"])) == 1
    });
    hq.stop(Duration::from_secs(5));
    let outage = Instant::now();
    agent.add_complaint("王芳", "2栋202", "总部停机期间登记", false);
    std::thread::sleep(Duration::from_secs(8));
    let _hq = server.start();
    wait_until("the agent reconnects and delivers", Duration::from_secs(90), || {
        count(&server.json(&["complaint", "list"])) == 2
    });
    let downtime = outage.elapsed();
    let text = std::fs::read_to_string(&log).unwrap();
    let retries = text.matches("will retry").count();
    println!("{retries} reconnection attempts over {} s", downtime.as_secs());
    // Backoff doubles from 1 s: a tight loop would have tried hundreds of times.
    assert!(retries <= 10, "{retries} retries in {} s: not backing off", downtime.as_secs());
    assert_eq!(agent.json(&["complaint", "list"]), server.json(&["complaint", "list"]));
}
