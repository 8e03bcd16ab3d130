//! Attacks on a real `wuye-server` on loopback: revoked sites, a flood from
//! one credential, every network limit broken on purpose, and secrets kept out
//! of the logs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wuye_node::tls::IDLE_TIMEOUT_MS;
use wuye_protocol::ids::{RecordId, SiteId};
use wuye_protocol::wire::{
    self, DocPayload, ErrorCode, Hash, Message, MAX_BATCH_DOCS, MAX_DOC_BYTES, MAX_FRAME_BYTES, MAX_HEADS,
    MAX_TOKEN_CHARS,
};
use wuye_protocol::PROTOCOL_VERSION;
use wuye_server::serve::{AUTH_TIMEOUT_MS, HANDSHAKE_TIMEOUT_MS, MAX_CONNECTIONS_PER_SITE, TOO_MANY_CONNECTIONS};
use wuye_tests::procs::{self, path, Agent, Proc, Server};
use wuye_tests::raw::RawClient;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// A site set up and enrolled: its agent, id and the credential its agent made.
struct Enrolled {
    agent: Agent,
    site: SiteId,
    token: String,
}

fn enrolled(dir: &std::path::Path, server: &Server, name: &str, folder: &str) -> Enrolled {
    let cred = server.add_site(name);
    let agent = Agent::init(dir, folder, &server.addr, &server.fingerprint, &cred);
    agent.sync();
    let (store, config) = wuye_agent::config::open(&agent.data).unwrap();
    assert_eq!(config.enroll_code, None, "the first sync spends the code");
    drop(store);
    Enrolled { agent, site: cred.id.parse().unwrap(), token: config.token }
}

fn hello(site: SiteId, token: &str) -> Message {
    Message::Hello {
        protocol_version: PROTOCOL_VERSION,
        site_id: site,
        token: token.to_string(),
        sent_at_ms: chrono::Utc::now().timestamp_millis(),
        checkpoint: None,
        instance: String::new(),
    }
}

fn add_bulk(agent: &Agent, n: usize, seed: usize) {
    let (store, config) = wuye_agent::config::open(&agent.data).unwrap();
    let mut desk = wuye_app::desk::Desk::with_os_rng(store, config.site(), Arc::new(wuye_protocol::time::SystemClock));
    for i in 0..n {
        desk.add_complaint(&wuye_tests::harness::sample(seed + i, false), "客服员").unwrap();
    }
}

fn timed_sync(agent: &Agent) -> Duration {
    let start = Instant::now();
    agent.sync();
    start.elapsed()
}

#[test]
fn revoking_a_site_closes_its_running_connection_and_rotating_lets_it_back_in() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::init(dir.path());
    let _running = server.start();
    let a = enrolled(dir.path(), &server, "朝阳花园管理处", "site-a");
    let log = dir.path().join("agent-run.log");
    let _agent_run = Proc::spawn("wuye-agent", &["run", "--interval-secs", "1", "--data", path(&a.agent.data)], &log);
    let wait_for = |file: &std::path::Path, needle: &str| {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if std::fs::read_to_string(file).unwrap_or_default().contains(needle) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "'{needle}' never appeared in {}:\n{}",
            file.display(),
            std::fs::read_to_string(file).unwrap_or_default()
        );
    };
    wait_for(&log, "connected to head office");

    procs::ok("wuye-server", &["site", "revoke", &a.site.to_string(), "--data", path(&server.data)]);
    wait_for(&server.log(), "closing the connection: the site was revoked or its credential replaced");
    wait_for(&log, "revoked by head office");

    let fresh =
        procs::json("wuye-server", &["site", "rotate", &a.site.to_string(), "--data", path(&server.data), "--json"]);
    procs::ok("wuye-agent", &["enroll", fresh["code"].as_str().unwrap(), "--data", path(&a.agent.data)]);
    let id = a.agent.add_complaint("张伟", "1栋101", "恢复后登记", false);
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let at_office = server.json(&["complaint", "list"]);
        if at_office.as_array().unwrap().iter().any(|c| c["id"] == id.as_str()) {
            break;
        }
        assert!(Instant::now() < deadline, "the running agent never came back with the new code");
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn a_flood_from_one_credential_leaves_another_site_syncing_at_normal_speed() {
    const FLOOD_CONNECTIONS: usize = 16;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::init(dir.path());
    let _running = server.start();
    let a = enrolled(dir.path(), &server, "朝阳花园管理处", "site-a");
    let b = enrolled(dir.path(), &server, "海淀雅苑管理处", "site-b");
    add_bulk(&a.agent, 200, 0);
    a.agent.sync();

    let mut quiet = Vec::new();
    for round in 0..3 {
        add_bulk(&b.agent, 100, 1000 * (round + 1));
        quiet.push(timed_sync(&b.agent));
    }

    let rt = runtime();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (addr, fingerprint) = (server.addr.clone(), server.fingerprint.clone());
    // The flood presents site A's own checkpoint, as A would, so its rounds are ordinary ones.
    let checkpoint = {
        use wuye_protocol::sync::SyncStore;
        let mut store = wuye_node::Store::open(&a.agent.data.join(wuye_agent::DB_FILE)).unwrap();
        store.checkpoint_with(wuye_protocol::sync::SERVER_PEER).unwrap().map(|(c, _)| c)
    };
    let flood: Vec<_> = (0..FLOOD_CONNECTIONS)
        .map(|_| {
            let (addr, fingerprint, token, stop) = (addr.clone(), fingerprint.clone(), a.token.clone(), stop.clone());
            let site = a.site;
            rt.spawn(async move {
                let client = RawClient::connect(&addr, &fingerprint).await.unwrap();
                // No Done: a completed round would move the checkpoint on from the one presented.
                let round = [
                    Message::Hello {
                        protocol_version: PROTOCOL_VERSION,
                        site_id: site,
                        token: token.clone(),
                        sent_at_ms: chrono::Utc::now().timestamp_millis(),
                        checkpoint,
                        instance: String::new(),
                    },
                    Message::Pull { cursor: 0, applied: Vec::new(), need_full: Vec::new() },
                ];
                let mut rounds = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    match client.exchange(&round, Duration::from_secs(5)).await {
                        Ok(_) if client.conn.close_reason().is_none() => rounds += 1,
                        _ => break,
                    }
                }
                (rounds, client.conn.close_reason().map(|r| r.to_string()))
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let mut flooded = Vec::new();
    for round in 0..3 {
        add_bulk(&b.agent, 100, 10_000 * (round + 1));
        flooded.push(timed_sync(&b.agent));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let results: Vec<(u64, Option<String>)> = rt.block_on(async {
        let mut out = Vec::new();
        for f in flood {
            out.push(f.await.unwrap());
        }
        out
    });
    quiet.sort();
    flooded.sort();
    let (quiet, flooded) = (quiet[1], flooded[1]);
    let rounds: u64 = results.iter().map(|r| r.0).sum();
    let evicted =
        results.iter().filter(|r| r.1.as_deref().is_some_and(|why| why.contains("oldest was closed"))).count();
    println!("site B's sync of 100 records: {quiet:?} quiet, {flooded:?} flooded ({rounds} flood rounds, {evicted} flood connections closed)");
    assert!(
        evicted >= FLOOD_CONNECTIONS - MAX_CONNECTIONS_PER_SITE,
        "at most {MAX_CONNECTIONS_PER_SITE} of site A's connections stay open: {results:?}"
    );
    assert!(TOO_MANY_CONNECTIONS.contains("oldest was closed"));
    assert!(
        flooded < quiet * 5 + Duration::from_secs(1),
        "site B slowed from {quiet:?} to {flooded:?} under the flood"
    );
    assert_eq!(server.json(&["complaint", "list", "--site", &b.site.to_string()]).as_array().unwrap().len(), 600);
}

fn tiny_doc(n: u8) -> DocPayload {
    DocPayload {
        id: RecordId::random(&mut rand::thread_rng()),
        kind: wuye_protocol::doc::RecordKind::Complaint.as_str().to_string(),
        full: true,
        bytes: vec![n],
        heads: vec![Hash([n; 32])],
    }
}

#[test]
fn every_network_limit_ends_the_connection_with_an_error_and_others_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::init(dir.path());
    let _running = server.start();
    let a = enrolled(dir.path(), &server, "朝阳花园管理处", "site-a");
    let b = enrolled(dir.path(), &server, "海淀雅苑管理处", "site-b");
    let rt = runtime();
    let connect = || rt.block_on(RawClient::connect(&server.addr, &server.fingerprint)).unwrap();
    let wait = Duration::from_secs(3);

    // Each attack: what to send after (or instead of) a genuine Hello, and the error expected.
    let big_doc = DocPayload { bytes: vec![0; MAX_DOC_BYTES + 1], ..tiny_doc(1) };
    let many_heads = DocPayload { heads: (0..=MAX_HEADS as u8).map(|n| Hash([n; 32])).collect(), ..tiny_doc(2) };
    let attacks: Vec<(&str, Vec<Message>, ErrorCode, &str)> = vec![
        (
            "too many documents in a batch",
            vec![
                hello(a.site, &a.token),
                Message::Push { docs: (0..=MAX_BATCH_DOCS).map(|_| tiny_doc(3)).collect(), upto: 1 },
            ],
            ErrorCode::LimitExceeded,
            "over the limit of 500",
        ),
        (
            "a document over the size limit",
            vec![hello(a.site, &a.token), Message::Push { docs: vec![big_doc], upto: 1 }],
            ErrorCode::LimitExceeded,
            "over the limit",
        ),
        (
            "too many document bytes in a batch",
            vec![
                hello(a.site, &a.token),
                Message::Push {
                    docs: (0..6).map(|n| DocPayload { bytes: vec![0; MAX_DOC_BYTES], ..tiny_doc(n) }).collect(),
                    upto: 1,
                },
            ],
            ErrorCode::LimitExceeded,
            "document bytes",
        ),
        (
            "too many heads",
            vec![hello(a.site, &a.token), Message::Push { docs: vec![many_heads], upto: 1 }],
            ErrorCode::LimitExceeded,
            "heads",
        ),
        (
            "an over-long token",
            vec![hello(a.site, &"a".repeat(MAX_TOKEN_CHARS + 1))],
            ErrorCode::LimitExceeded,
            "token longer",
        ),
        ("another site's credential", vec![hello(b.site, &a.token)], ErrorCode::Unauthorized, "refused"),
        ("a message out of turn", vec![Message::Done { applied: Vec::new() }], ErrorCode::Protocol, "expected Hello"),
    ];
    for (what, messages, code, words) in attacks {
        let client = connect();
        let replies = rt.block_on(client.exchange(&messages, wait)).unwrap();
        let error = replies.iter().find_map(|m| match m {
            Message::Error { code, message } => Some((*code, message.clone())),
            _ => None,
        });
        let (got, message) = error.unwrap_or_else(|| panic!("{what}: no error in {replies:?}"));
        assert_eq!(got, code, "{what}: {message}");
        assert!(message.contains(words), "{what}: {message}");
        assert!(rt.block_on(client.closed_within(wait)).is_some(), "{what}: the connection stays open");
    }

    // Frames the codec refuses: declared too long, and bytes that are no message.
    let too_long = ((MAX_FRAME_BYTES + 1) as u32).to_be_bytes();
    let mut garbage = 7u32.to_be_bytes().to_vec();
    garbage.extend([0xff; 7]);
    for (what, bytes, words) in
        [("an over-long frame", too_long.to_vec(), "limit"), ("garbage", garbage, "undecodable")]
    {
        let client = connect();
        let replies = rt.block_on(client.send_bytes(&bytes, wait)).unwrap();
        assert!(
            matches!(replies.first(), Some(Message::Error { code: ErrorCode::Protocol, message }) if message.contains(words)),
            "{what}: {replies:?}"
        );
        assert!(rt.block_on(client.closed_within(wait)).is_some(), "{what}: the connection stays open");
    }

    // Streams: the server grants a connection MAX_STREAMS_PER_CONNECTION at a time.
    let client = connect();
    let streams = rt.block_on(async {
        let mut open = Vec::new();
        for _ in 0..wuye_node::tls::MAX_STREAMS_PER_CONNECTION {
            let (mut send, recv) = client.conn.open_bi().await.unwrap();
            send.write_all(&wire::encode(&hello(a.site, &a.token)).unwrap()).await.unwrap();
            open.push((send, recv));
        }
        let extra = tokio::time::timeout(Duration::from_millis(500), client.conn.open_bi()).await;
        (open.len(), extra.is_ok())
    });
    assert_eq!(streams, (wuye_node::tls::MAX_STREAMS_PER_CONNECTION as usize, false), "one stream too many opened");

    // A connection that never starts a sync is closed after the auth time-out.
    let idle = connect();
    let started = Instant::now();
    let reason = rt.block_on(idle.closed_within(Duration::from_millis(AUTH_TIMEOUT_MS + 5_000)));
    assert!(reason.is_some_and(|r| r.contains("no sync started")), "idle connection kept");
    assert!(started.elapsed() >= Duration::from_millis(AUTH_TIMEOUT_MS - 500));

    // After all that, both sites sync as before.
    a.agent.add_complaint("张伟", "1栋101", "攻击之后登记", false);
    assert_eq!(a.agent.sync()["pushed"], 1);
    assert_eq!(b.agent.sync()["pushed"], 0);
}

#[test]
fn no_code_credential_or_password_reaches_a_log() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::init(dir.path());
    let _running = server.start_logging("trace");
    let cred = server.add_site("朝阳花园管理处");
    let agent = Agent::init(dir.path(), "site-a", &server.addr, &server.fingerprint, &cred);
    let agent_log = dir.path().join("agent-sync.log");
    let mut sync = Proc::spawn_logging("wuye-agent", &["sync", "--data", path(&agent.data)], &agent_log, "trace");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !sync.has_exited() {
        assert!(Instant::now() < deadline, "sync did not finish");
        std::thread::sleep(Duration::from_millis(50));
    }
    let (_, config) = wuye_agent::config::open(&agent.data).unwrap();
    let token = config.token;
    let logs = std::fs::read_to_string(server.log()).unwrap() + &std::fs::read_to_string(&agent_log).unwrap();
    assert!(logs.contains("round complete") || logs.contains("synced"), "trace logs were written:\n{logs}");
    for secret in [cred.code.as_str(), &cred.code.replace('-', ""), &token, procs::SUPERVISOR.2] {
        assert!(!logs.contains(secret), "a secret reached the logs");
    }
}

#[test]
fn a_handshake_that_stalls_and_a_connection_left_idle_are_closed_by_their_time_outs() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::init(dir.path());
    let _running = server.start();
    let a = enrolled(dir.path(), &server, "朝阳花园管理处", "site-a");
    let rt = runtime();

    // Head office's answers never arrive: the handshake stalls at the server.
    let relay = rt.block_on(wuye_tests::relay::Relay::start(server.addr.parse().unwrap())).unwrap();
    relay.cut_down();
    let relay_addr = relay.addr.to_string();
    let fingerprint = server.fingerprint.clone();
    let _stalled = rt.spawn(async move { RawClient::connect(&relay_addr, &fingerprint).await.map(|_| ()) });
    let deadline = Instant::now() + Duration::from_millis(HANDSHAKE_TIMEOUT_MS + 8_000);
    let needle = "handshake not finished within";
    while !std::fs::read_to_string(server.log()).unwrap_or_default().contains(needle) {
        assert!(Instant::now() < deadline, "the stalled handshake was never dropped");
        std::thread::sleep(Duration::from_millis(200));
    }

    // An authenticated connection that goes quiet without keep-alives is closed when idle.
    let quiet = rt.block_on(RawClient::connect_with(&server.addr, &server.fingerprint, false)).unwrap();
    let replies = rt.block_on(quiet.exchange(&[hello(a.site, &a.token)], Duration::from_secs(2))).unwrap();
    assert!(matches!(replies.first(), Some(Message::Welcome { .. })), "{replies:?}");
    let started = Instant::now();
    let closed = rt.block_on(quiet.closed_within(Duration::from_millis(IDLE_TIMEOUT_MS + 5_000)));
    assert!(closed.as_deref().is_some_and(|r| r.contains("timed out")), "idle connection kept: {closed:?}");
    assert!(
        started.elapsed() >= Duration::from_millis(IDLE_TIMEOUT_MS - 3_000),
        "closed early: {:?}",
        started.elapsed()
    );
}
