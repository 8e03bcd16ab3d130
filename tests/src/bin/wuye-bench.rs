//! `wuye-bench SCENARIO [--runs N]`: sync measured against the targets in BENCHMARKS.md
//! (`dashboard` also takes `--sites N --records M`, per site, and `--keep DIR`
//! to build that company once in DIR and measure it again later; the `pg-`
//! scenarios run head office on a PostgreSQL cluster they start, with
//! `--servers N` servers on its one database).
//!
//! Longer than 600 lines on purpose: one binary holds every scenario so that
//! `wuye-bench all` measures them with the same helpers in one run.
//!
//! Data is built with the project's own code (the agent's `Desk`/`Store`,
//! head office's `HeadOffice`); the server is the real `wuye-server` process
//! and agents are the real `wuye-agent` process, or the agent library over
//! real QUIC where hundreds of sites are needed. Bytes on the wire are counted
//! by a UDP relay between agents and server. Each scenario prints one JSON
//! line; `seconds` is the median of its runs.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wuye_node::Records as _;

use anyhow::{bail, Context};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::{json, Value};
use wuye_agent::config::AgentConfig;
use wuye_node::process::peak_rss_mb_of;
use wuye_node::Store;
use wuye_protocol::complaint;
use wuye_protocol::complaint::Complaint;
use wuye_protocol::ids::{EventId, RecordId, SiteId};
use wuye_protocol::sync::SyncStore;
use wuye_protocol::time::{Clock, SystemClock};
use wuye_protocol::wire::{heads_to_wire, DocPayload};
use wuye_server::office::{HeadOffice, NewSite};
use wuye_tests::harness::sample;
use wuye_tests::pg::Postgres;
use wuye_tests::procs::{self, path, Proc, Server};
use wuye_tests::relay::Relay;

const SCENARIOS: [&str; 20] = [
    "floor-apply",
    "floor-apply-stored",
    "floor-connect",
    "first-sync",
    "catch-up",
    "idle",
    "head-office-edits",
    "many-sites",
    "many-sites-large",
    "idle-sites",
    "server-list",
    "agent-add",
    "list-page",
    "reconcile",
    "web-pages",
    "issue-bills",
    "dashboard",
    "pg-first-sync",
    "pg-many-sites",
    "pg-idle-sites",
];

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    if xs.is_empty() {
        return f64::NAN;
    }
    xs[xs.len() / 2]
}

fn percentile(mut xs: Vec<f64>, p: f64) -> f64 {
    xs.sort_by(f64::total_cmp);
    let i = ((xs.len() as f64 - 1.0) * p).round() as usize;
    xs[i.min(xs.len() - 1)]
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        std::fs::copy(entry.path(), to.join(entry.file_name()))?;
    }
    Ok(())
}

/// Head office's folder with `sites` registered, built in-process.
fn server_template(dir: &Path, sites: usize) -> anyhow::Result<(Server, Vec<NewSite>)> {
    let server = Server::init(dir);
    let mut hq = HeadOffice::open(&server.data, Arc::new(SystemClock))?;
    let creds = (0..sites).map(|i| hq.add_site(&format!("测试小区{i:03}管理处"))).collect::<Result<Vec<_>, _>>()?;
    Ok((server, creds))
}

/// A copy of a server template on a fresh port.
fn server_copy(template: &Server, dir: &Path) -> anyhow::Result<Server> {
    copy_dir(&template.data, dir)?;
    Ok(Server {
        data: dir.to_path_buf(),
        addr: format!("127.0.0.1:{}", procs::free_port()),
        fingerprint: template.fingerprint.clone(),
    })
}

/// An agent folder for `site` with `records` complaints, built in-process.
fn agent_with_records(dir: &Path, server: &Server, site: &NewSite, records: usize, seed: u64) -> anyhow::Result<()> {
    let config =
        AgentConfig::new(&server.addr, &server.fingerprint, &site.site_id.to_string(), &site.code, "Asia/Shanghai")?;
    let mut store = config.init(dir)?;
    fill(&mut store, site.site_id, records, seed)
}

fn fill(store: &mut Store, site: SiteId, records: usize, seed: u64) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(seed);
    let now = SystemClock.now() - chrono::Duration::days(3);
    let mut done = 0;
    while done < records {
        let n = (records - done).min(1_000);
        let mut docs = (done..done + n)
            .map(|i| {
                complaint::create(
                    RecordId::random(&mut rng),
                    site,
                    chrono_tz::Asia::Shanghai,
                    now + chrono::Duration::seconds(i as i64),
                    "客服员",
                    EventId::random(&mut rng),
                    &sample(i, i % 20 == 0),
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        store.insert_batch(&mut docs)?;
        done += n;
    }
    Ok(())
}

/// The bytes of a database file in `dir` and of its write-ahead log.
fn db_bytes(dir: &Path, file: &str) -> (u64, u64) {
    let size = |name: String| std::fs::metadata(dir.join(name)).map_or(0, |m| m.len());
    (size(file.to_string()), size(format!("{file}-wal")))
}

/// Where a database's bytes go, by table and index (SQLite's `dbstat`,
/// whole pages, so each B-tree's free space is counted with it): the
/// profile behind the disk figure, largest first, in bytes a record.
fn disk_profile(db: &Path, records: usize) -> anyhow::Result<Value> {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut stmt =
        conn.prepare("SELECT name, sum(pgsize), sum(payload) FROM dbstat GROUP BY name ORDER BY sum(pgsize) DESC")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))?;
    let mut out = serde_json::Map::new();
    for row in rows {
        let (name, pages, payload) = row?;
        if pages as usize >= records {
            out.insert(name, json!({"bytes": pages as usize / records, "payload": payload as usize / records}));
        }
    }
    Ok(Value::Object(out))
}

fn point_agent_at(dir: &Path, addr: &str) -> anyhow::Result<()> {
    let store = Store::open(&dir.join(wuye_agent::DB_FILE))?;
    store.set_setting("server", addr)?;
    Ok(())
}

/// Runs a binary with its peak memory reported; returns stdout, wall seconds and peak MiB.
fn run_measured(name: &str, args: &[&str]) -> anyhow::Result<(Vec<u8>, f64, f64)> {
    let start = Instant::now();
    let out = std::process::Command::new(procs::bin(name))
        .args(args)
        .env("WUYE_LOG", "warn")
        .env(wuye_node::process::REPORT_RSS_ENV, "1")
        .stdin(std::process::Stdio::null())
        .output()?;
    let wall = start.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        bail!("{name} {args:?} failed: {stderr}");
    }
    let rss =
        stderr.lines().find_map(|l| l.strip_prefix("peak_rss_mb=")).and_then(|v| v.trim().parse().ok()).unwrap_or(0.0);
    Ok((out.stdout, wall, rss))
}

/// `wuye-agent sync --json` on a folder; returns its report and wall time.
fn sync(agent: &Path) -> anyhow::Result<(Value, f64)> {
    let start = Instant::now();
    let out = procs::run("wuye-agent", &["sync", "--json", "--data", path(agent)]);
    let wall = start.elapsed().as_secs_f64();
    if !out.status.success() {
        bail!("sync failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok((serde_json::from_slice(&out.stdout)?, wall))
}

struct Line {
    scenario: &'static str,
    seconds: f64,
    bytes: u64,
    server_rss_mb: f64,
    agent_rss_mb: f64,
    extra: Value,
}

impl Line {
    fn print(self) {
        let mut v = json!({
            "scenario": self.scenario,
            "seconds": round3(self.seconds),
            "bytes": self.bytes,
            "server_rss_mb": round3(self.server_rss_mb),
            "agent_rss_mb": round3(self.agent_rss_mb),
        });
        if let (Some(map), Value::Object(extra)) = (v.as_object_mut(), self.extra) {
            map.extend(extra);
        }
        println!("{v}");
    }
}

struct Bench {
    rt: tokio::runtime::Runtime,
    tmp: tempfile::TempDir,
    runs: usize,
    counter: usize,
}

impl Bench {
    fn fresh_dir(&mut self, name: &str) -> PathBuf {
        self.counter += 1;
        self.tmp.path().join(format!("{name}-{}", self.counter))
    }

    fn relay(&self, server: &Server) -> anyhow::Result<Relay> {
        Ok(self.rt.block_on(Relay::start(server.addr.parse()?))?)
    }
}

/// One site with 10,000 records, first sync to an empty server; then the
/// later scenarios on the same pair.
struct SitePair {
    server: Server,
    agent: PathBuf,
    relay: Relay,
    proc: Proc,
}

const FIRST_SYNC_RECORDS: usize = 10_000;

fn first_sync(b: &mut Bench) -> anyhow::Result<(Line, SitePair)> {
    let tdir = b.fresh_dir("template");
    let (template, creds) = server_template(&tdir, 1)?;
    let agent_template = tdir.join("agent");
    agent_with_records(&agent_template, &template, &creds[0], FIRST_SYNC_RECORDS, 1)?;
    let mut times = Vec::new();
    let mut walls = Vec::new();
    let mut last = None;
    let (mut bytes, mut server_rss, mut agent_rss) = (0, 0.0f64, 0.0f64);
    for _ in 0..b.runs {
        let dir = b.fresh_dir("first-sync");
        let server = server_copy(&template, &dir.join("hq"))?;
        let agent = dir.join("agent");
        copy_dir(&agent_template, &agent)?;
        let proc = server.start();
        let relay = b.relay(&server)?;
        point_agent_at(&agent, &relay.addr.to_string())?;
        let (report, wall) = sync(&agent)?;
        // The records and the site's profile (管理处概况), which `sync` writes first.
        if report["pushed"] != FIRST_SYNC_RECORDS + 1 {
            bail!("first sync pushed {} records", report["pushed"]);
        }
        times.push(report["seconds"].as_f64().unwrap_or(f64::NAN));
        walls.push(wall);
        let (up, down) = relay.bytes();
        bytes = up + down;
        server_rss = server_rss.max(peak_rss_mb_of(proc.id()).unwrap_or(0.0));
        agent_rss = agent_rss.max(report["peak_rss_mb"].as_f64().unwrap_or(0.0));
        last = Some(SitePair { server, agent, relay, proc });
    }
    let pair = last.context("at least one run")?;
    // Disk after the last run, while head office still runs: its database and its log, and the site's.
    let (hq_disk, site_disk) =
        (db_bytes(&pair.server.data, wuye_server::DB_FILE), db_bytes(&pair.agent, wuye_agent::DB_FILE));
    // And after head office's next regular checkpoint, which copies the log and cuts it back.
    std::thread::sleep(Duration::from_millis(wuye_server::serve::CHECKPOINT_INTERVAL_MS + 1_500));
    let settled = db_bytes(&pair.server.data, wuye_server::DB_FILE);
    let profile = disk_profile(&pair.server.data.join(wuye_server::DB_FILE), FIRST_SYNC_RECORDS)?;
    let stored = HeadOffice::open(&pair.server.data, Arc::new(SystemClock))?.store.all::<Complaint>(None)?.len();
    if stored != FIRST_SYNC_RECORDS {
        bail!("head office stored {stored} complaints");
    }
    Ok((
        Line {
            scenario: "first-sync",
            seconds: median(times),
            bytes,
            server_rss_mb: server_rss,
            agent_rss_mb: agent_rss,
            extra: json!({
                "records": FIRST_SYNC_RECORDS,
                "process_wall_seconds": round3(median(walls)),
                "runs": b.runs,
                "server_db_bytes": hq_disk.0,
                "server_wal_bytes": hq_disk.1,
                "server_db_bytes_after_checkpoint": settled.0,
                "server_wal_bytes_after_checkpoint": settled.1,
                "server_disk_bytes_per_record_after_checkpoint": (settled.0 + settled.1) / FIRST_SYNC_RECORDS as u64,
                "server_disk_by_table": profile,
                "site_db_bytes": site_disk.0,
                "site_wal_bytes": site_disk.1,
            }),
        },
        pair,
    ))
}

/// The payloads a site sends of its `records` new complaints, batch by batch
/// as a round sends them, read from a site store built in `dir`.
fn site_batches(dir: &Path, site: SiteId, records: usize, seed: u64) -> anyhow::Result<Vec<Vec<DocPayload>>> {
    std::fs::create_dir_all(dir)?;
    let mut store = Store::open(&dir.join("site.db"))?;
    fill(&mut store, site, records, seed)?;
    let mut batches = Vec::new();
    let mut cursor = 0;
    loop {
        let out = store.outgoing(wuye_protocol::sync::SERVER_PEER, site, cursor)?;
        if out.docs.is_empty() && !out.more {
            break;
        }
        cursor = out.upto;
        batches.push(out.docs);
    }
    Ok(batches)
}

/// The floor for applying received documents: the same code path a round
/// takes at head office (load, check, merge, write, commit, on all cores),
/// in one process, no network: `records` new documents into an empty
/// on-disk store, batch by batch. Building the site's data is not timed.
fn floor_apply(b: &mut Bench, records: usize) -> anyhow::Result<Line> {
    let site = SiteId::random(&mut StdRng::seed_from_u64(7));
    let batches = site_batches(&b.fresh_dir("floor-site"), site, records, 7)?;
    let peer = wuye_protocol::sync::site_peer(site);
    let mut times = Vec::new();
    for _ in 0..b.runs {
        let dir = b.fresh_dir("floor-hq");
        std::fs::create_dir_all(&dir)?;
        let mut store = Store::open(&dir.join("server.db"))?;
        let start = Instant::now();
        for (i, batch) in batches.iter().enumerate() {
            store.apply(&peer, site, batch.clone(), i as u64 + 1)?;
        }
        times.push(start.elapsed().as_secs_f64());
        if store.record_count()? != records as u64 {
            bail!("the floor stored {} of {records} records", store.record_count()?);
        }
    }
    Ok(Line {
        scenario: "floor-apply",
        seconds: median(times),
        bytes: batches.iter().flatten().map(|d| d.bytes.len() as u64).sum(),
        server_rss_mb: 0.0,
        agent_rss_mb: 0.0,
        extra: json!({"records": records, "batches": batches.len(), "measured": "Store::apply of every batch, in one process", "runs": b.runs}),
    })
}

/// The floor for a catch-up's apply: 100 records changed at the site applied
/// to a store that already holds all 10,000 (`floor-apply 100 on stored documents`).
fn floor_apply_stored(b: &mut Bench) -> anyhow::Result<Line> {
    const EDITED: usize = 100;
    let mut rng = StdRng::seed_from_u64(8);
    let site = SiteId::random(&mut rng);
    let site_dir = b.fresh_dir("floor-stored-site");
    std::fs::create_dir_all(&site_dir)?;
    let mut site_store = Store::open(&site_dir.join("site.db"))?;
    fill(&mut site_store, site, FIRST_SYNC_RECORDS, 8)?;
    let peer = wuye_protocol::sync::site_peer(site);
    let hq_template = b.fresh_dir("floor-stored-hq");
    std::fs::create_dir_all(&hq_template)?;
    {
        let mut hq = Store::open(&hq_template.join("server.db"))?;
        let mut cursor = 0;
        loop {
            let out = site_store.outgoing(wuye_protocol::sync::SERVER_PEER, site, cursor)?;
            if out.docs.is_empty() && !out.more {
                break;
            }
            cursor = out.upto;
            let applied = hq.apply(&peer, site, out.docs, cursor)?;
            site_store.acknowledge(wuye_protocol::sync::SERVER_PEER, &applied.held, &[])?;
        }
        hq.checkpoint_fully()?;
    }
    // A note on 100 of them at the site: what a catch-up round carries.
    let ids: Vec<RecordId> = site_store.all::<Complaint>(None)?.iter().take(EDITED).map(|c| c.id).collect();
    for id in &ids {
        site_store.edit(*id, |doc| {
            complaint::add_note(doc, EventId::random(&mut rng), SystemClock.now(), "客服员", "已回访")
        })?;
    }
    let changed = site_store.outgoing(wuye_protocol::sync::SERVER_PEER, site, 0)?.docs;
    if changed.len() != EDITED {
        bail!("{} changed records to send, not {EDITED}", changed.len());
    }
    let mut times = Vec::new();
    for _ in 0..b.runs {
        let dir = b.fresh_dir("floor-stored-run");
        copy_dir(&hq_template, &dir)?;
        let mut store = Store::open(&dir.join("server.db"))?;
        let start = Instant::now();
        store.apply(&peer, site, changed.clone(), 1_000_000)?;
        times.push(start.elapsed().as_secs_f64());
    }
    Ok(Line {
        scenario: "floor-apply-stored",
        seconds: median(times),
        bytes: changed.iter().map(|d| d.bytes.len() as u64).sum(),
        server_rss_mb: 0.0,
        agent_rss_mb: 0.0,
        extra: json!({"records": EDITED, "stored": FIRST_SYNC_RECORDS, "measured": "Store::apply of 100 changed records into a store holding 10,000", "runs": b.runs}),
    })
}

/// The floor for connecting: a QUIC+TLS connection to head office's own
/// endpoint (its certificate, pinned as an agent pins it) and one round trip
/// on a stream, on loopback. The median of 25 connections.
fn floor_connect(b: &mut Bench) -> anyhow::Result<Line> {
    let dir = b.fresh_dir("floor-connect");
    let (server, creds) = server_template(&dir, 1)?;
    let listen: std::net::SocketAddr = server.addr.parse()?;
    let times = b.rt.block_on(async {
        let endpoint = wuye_server::serve::bind(&server.data, listen)?;
        let local = endpoint.local_addr()?;
        let echo = tokio::spawn(async move {
            while let Some(incoming) = endpoint.accept().await {
                tokio::spawn(async move {
                    let Ok(conn) = incoming.await else { return };
                    if let Ok((mut send, mut recv)) = conn.accept_bi().await {
                        let mut byte = [0u8; 1];
                        if recv.read_exact(&mut byte).await.is_ok() {
                            let _ = send.write_all(&byte).await;
                            let _ = send.finish();
                        }
                    }
                    let _ = conn.closed().await;
                });
            }
        });
        let config = AgentConfig::new(
            &local.to_string(),
            &server.fingerprint,
            &creds[0].site_id.to_string(),
            &creds[0].code,
            "Asia/Shanghai",
        )?;
        let mut times = Vec::new();
        for _ in 0..25 {
            let start = Instant::now();
            let (client, conn) = wuye_agent::link::connect(&config).await?;
            let (mut send, mut recv) = conn.open_bi().await?;
            send.write_all(&[7]).await?;
            let mut byte = [0u8; 1];
            recv.read_exact(&mut byte).await?;
            times.push(start.elapsed().as_secs_f64());
            conn.close(0u32.into(), b"done");
            client.wait_idle().await;
        }
        echo.abort();
        anyhow::Ok(times)
    })?;
    Ok(Line {
        scenario: "floor-connect",
        seconds: median(times.clone()),
        bytes: 0,
        server_rss_mb: 0.0,
        agent_rss_mb: 0.0,
        extra: json!({"p90_seconds": round3(percentile(times, 0.9)), "connections": 25, "measured": "QUIC+TLS connect and one round trip on loopback, in one process"}),
    })
}

/// Edits `n` records on one side (agent or head office), then one `sync`.
fn edit_then_sync(
    b: &Bench,
    pair: &SitePair,
    scenario: &'static str,
    at_office: bool,
    n: usize,
) -> anyhow::Result<Line> {
    let mut times = Vec::new();
    let mut byte_counts = Vec::new();
    let mut agent_rss = 0.0f64;
    for run in 0..b.runs {
        let ids: Vec<String> = {
            let store = Store::open(&pair.agent.join(wuye_agent::DB_FILE))?;
            store.all::<Complaint>(None)?.iter().skip(run * n).take(n).map(|c| c.id.to_string()).collect()
        };
        if at_office {
            let mut hq = HeadOffice::open(&pair.server.data, Arc::new(SystemClock))?;
            for id in &ids {
                let rid = hq.store.resolve(wuye_protocol::doc::RecordKind::Complaint, id)?;
                hq.store.edit(rid, |doc| {
                    complaint::add_note(
                        doc,
                        EventId::random(&mut rand::thread_rng()),
                        SystemClock.now(),
                        "总部",
                        "总部已督办",
                    )
                })?;
            }
        } else {
            let (store, config) = wuye_agent::config::open(&pair.agent)?;
            let mut desk = wuye_app::desk::Desk::with_os_rng(store, config.site(), Arc::new(SystemClock));
            for id in &ids {
                desk.add_note(id, "已派维修工上门", "客服员")?;
            }
        }
        let before = pair.relay.bytes();
        let (report, _) = sync(&pair.agent)?;
        let after = pair.relay.bytes();
        let moved = if at_office { &report["pulled"] } else { &report["pushed"] };
        if *moved != n {
            bail!("{scenario}: expected {n} records to move, report {report}");
        }
        times.push(report["seconds"].as_f64().unwrap_or(f64::NAN));
        byte_counts.push(((after.0 - before.0) + (after.1 - before.1)) as f64);
        agent_rss = agent_rss.max(report["peak_rss_mb"].as_f64().unwrap_or(0.0));
    }
    Ok(Line {
        scenario,
        seconds: median(times),
        bytes: median(byte_counts) as u64,
        server_rss_mb: peak_rss_mb_of(pair.proc.id()).unwrap_or(0.0),
        agent_rss_mb: agent_rss,
        extra: json!({"records_edited": n, "of_records": FIRST_SYNC_RECORDS, "runs": b.runs, "includes": "connecting"}),
    })
}

fn idle(b: &Bench, pair: &SitePair) -> anyhow::Result<Line> {
    // With connecting, as `wuye-agent sync` does.
    let mut times = Vec::new();
    let mut byte_counts = Vec::new();
    let mut agent_rss = 0.0f64;
    for _ in 0..b.runs {
        let before = pair.relay.bytes();
        let (report, _) = sync(&pair.agent)?;
        let after = pair.relay.bytes();
        if report["pushed"] != 0 || report["pulled"] != 0 {
            bail!("idle round moved records: {report}");
        }
        times.push(report["seconds"].as_f64().unwrap_or(f64::NAN));
        byte_counts.push(((after.0 - before.0) + (after.1 - before.1)) as f64);
        agent_rss = agent_rss.max(report["peak_rss_mb"].as_f64().unwrap_or(0.0));
    }
    // On a kept connection, as `wuye-agent run` does between rounds.
    let (kept_seconds, kept_bytes) = b.rt.block_on(async {
        let (mut store, config) = wuye_agent::config::open(&pair.agent)?;
        let (endpoint, conn) = wuye_agent::link::connect(&config).await?;
        let mut t = Vec::new();
        let mut by = Vec::new();
        for _ in 0..b.runs.max(5) {
            let before = pair.relay.bytes();
            let out = wuye_agent::link::round(&conn, &mut store, &config, &SystemClock).await?;
            tokio::time::sleep(Duration::from_millis(50)).await;
            let after = pair.relay.bytes();
            t.push(out.elapsed.as_secs_f64());
            by.push(((after.0 - before.0) + (after.1 - before.1)) as f64);
        }
        conn.close(0u32.into(), b"done");
        endpoint.wait_idle().await;
        anyhow::Ok((median(t), median(by)))
    })?;
    Ok(Line {
        scenario: "idle",
        seconds: kept_seconds,
        bytes: kept_bytes as u64,
        server_rss_mb: peak_rss_mb_of(pair.proc.id()).unwrap_or(0.0),
        agent_rss_mb: agent_rss,
        extra: json!({
            "records": FIRST_SYNC_RECORDS,
            "measured_on": "a kept connection (run mode)",
            "with_connect_seconds": round3(median(times)),
            "with_connect_bytes": median(byte_counts) as u64,
            "runs": b.runs,
        }),
    })
}

/// `sites` agents, each with `records`, all syncing at once to one fresh server.
fn many_sites(b: &mut Bench, scenario: &'static str, sites: usize, records: usize) -> anyhow::Result<Line> {
    let tdir = b.fresh_dir(scenario);
    let (template, creds) = server_template(&tdir, sites)?;
    let agents: Vec<PathBuf> = creds.iter().enumerate().map(|(i, _)| tdir.join(format!("agent-{i:03}"))).collect();
    for (i, cred) in creds.iter().enumerate() {
        agent_with_records(&agents[i], &template, cred, records, 100 + i as u64)?;
    }
    let mut walls = Vec::new();
    let (mut bytes, mut server_rss, mut agent_rss) = (0, 0.0f64, 0.0f64);
    for _ in 0..b.runs {
        let dir = b.fresh_dir(scenario);
        let server = server_copy(&template, &dir.join("hq"))?;
        let proc = server.start();
        let relay = b.relay(&server)?;
        let copies: Vec<PathBuf> = (0..sites).map(|i| dir.join(format!("agent-{i:03}"))).collect();
        for (from, to) in agents.iter().zip(&copies) {
            copy_dir(from, to)?;
            point_agent_at(to, &relay.addr.to_string())?;
        }
        walls.push(sync_all(b, &copies, records, scenario)?);
        agent_rss = agent_rss.max(wuye_node::process::peak_rss_mb().unwrap_or(0.0) / sites as f64);
        let (up, down) = relay.bytes();
        bytes = up + down;
        server_rss = server_rss.max(peak_rss_mb_of(proc.id()).unwrap_or(0.0));
    }
    Ok(Line {
        scenario,
        seconds: median(walls),
        bytes,
        server_rss_mb: server_rss,
        agent_rss_mb: agent_rss,
        extra: json!({
            "sites": sites,
            "records_per_site": records,
            "measured": "wall time from starting every site's sync until the last completes",
            "agents": "in one process over real QUIC, one connection and one store each; agent_rss_mb is that process's peak divided by the sites",
            "runs": b.runs,
        }),
    })
}

/// Syncs every agent folder at once (agents in this process over real
/// QUIC, one connection and one store each), checking each pushed
/// `records`; the wall time from starting to the last done.
fn sync_all(b: &Bench, folders: &[PathBuf], records: usize, scenario: &str) -> anyhow::Result<f64> {
    // Every agent's folder is opened first: the clock runs for syncing only.
    let agents_open = folders.iter().map(|dir| wuye_agent::config::open(dir)).collect::<Result<Vec<_>, _>>()?;
    let start = Instant::now();
    let reports = b.rt.block_on(async {
        let tasks: Vec<_> = agents_open
            .into_iter()
            .map(|(mut store, config)| {
                tokio::spawn(async move {
                    wuye_agent::link::sync_once(&mut store, &config, &SystemClock, &mut |_| {}).await
                })
            })
            .collect();
        let mut reports = Vec::new();
        for t in tasks {
            reports.push(t.await);
        }
        reports
    });
    let wall = start.elapsed().as_secs_f64();
    for report in reports {
        let outcome = report?.map_err(|e| anyhow::anyhow!("{scenario}: a sync failed: {e}"))?;
        if outcome.report.pushed != records {
            bail!("{scenario}: a site pushed {} records", outcome.report.pushed);
        }
    }
    Ok(wall)
}

/// Head office on PostgreSQL: `servers` server folders on one new database
/// of `pg` (the first made by `wuye-server init --store`, the others copies
/// of it on ports of their own), with `sites` registered.
fn pg_head_office(
    b: &mut Bench,
    pg: &Postgres,
    name: &str,
    servers: usize,
    sites: usize,
) -> anyhow::Result<(Vec<Server>, Vec<NewSite>, String)> {
    let url = pg.database();
    let dir = b.fresh_dir(name);
    let data = dir.join("hq-0");
    let addr = format!("127.0.0.1:{}", procs::free_port());
    let fingerprint = procs::ok("wuye-server", &["init", "--data", path(&data), "--listen", &addr, "--store", &url])
        .trim()
        .to_string();
    let mut all = vec![Server { data, addr, fingerprint }];
    for i in 1..servers {
        let copy = server_copy(&all[0], &dir.join(format!("hq-{i}")))?;
        all.push(copy);
    }
    let store = wuye_store_pg::PgStore::connect(&url)?;
    let mut hq = HeadOffice::over(store, Arc::new(SystemClock), StdRng::from_entropy())?;
    let creds = (0..sites).map(|i| hq.add_site(&format!("测试小区{i:03}管理处"))).collect::<Result<Vec<_>, _>>()?;
    Ok((all, creds, url))
}

/// The bytes PostgreSQL holds for the database at `url` (tables, indexes, TOAST).
fn pg_database_bytes(url: &str) -> anyhow::Result<u64> {
    let mut store = wuye_store_pg::PgStore::connect(url)?;
    let row = store.client().query_one("SELECT pg_database_size(current_database())", &[])?;
    Ok(row.get::<_, i64>(0) as u64)
}

/// First sync of 10,000 records to head office on PostgreSQL (one server:
/// one site's round is served by one server, so a second adds nothing here).
fn pg_first_sync(b: &mut Bench, pg: &Postgres) -> anyhow::Result<Line> {
    let (mut times, mut walls) = (Vec::new(), Vec::new());
    let (mut bytes, mut server_rss, mut per_record) = (0, 0.0f64, 0);
    for _ in 0..b.runs {
        let (servers, creds, url) = pg_head_office(b, pg, "pg-first-sync", 1, 1)?;
        let empty = pg_database_bytes(&url)?;
        let agent = b.fresh_dir("pg-first-sync-agent");
        agent_with_records(&agent, &servers[0], &creds[0], FIRST_SYNC_RECORDS, 1)?;
        let proc = servers[0].start();
        let relay = b.relay(&servers[0])?;
        point_agent_at(&agent, &relay.addr.to_string())?;
        let (report, wall) = sync(&agent)?;
        if report["pushed"] != FIRST_SYNC_RECORDS + 1 {
            bail!("first sync on PostgreSQL pushed {} records", report["pushed"]);
        }
        times.push(report["seconds"].as_f64().unwrap_or(f64::NAN));
        walls.push(wall);
        let (up, down) = relay.bytes();
        bytes = up + down;
        server_rss = server_rss.max(peak_rss_mb_of(proc.id()).unwrap_or(0.0));
        per_record = (pg_database_bytes(&url)?.saturating_sub(empty)) / FIRST_SYNC_RECORDS as u64;
    }
    Ok(Line {
        scenario: "pg-first-sync",
        seconds: median(times),
        bytes,
        server_rss_mb: server_rss,
        agent_rss_mb: 0.0,
        extra: json!({
            "records": FIRST_SYNC_RECORDS,
            "servers": 1,
            "process_wall_seconds": round3(median(walls)),
            "database_bytes_per_record": per_record,
            "runs": b.runs,
        }),
    })
}

/// 50 sites × 200 records syncing at once to head office on PostgreSQL with
/// `servers` servers, the sites spread over them in turn.
fn pg_many_sites(b: &mut Bench, pg: &Postgres, servers: usize) -> anyhow::Result<Line> {
    let (sites, records) = (50, 200);
    let mut walls = Vec::new();
    let mut server_rss = 0.0f64;
    for _ in 0..b.runs {
        let (all, creds, _) = pg_head_office(b, pg, "pg-many-sites", servers, sites)?;
        let dir = b.fresh_dir("pg-many-sites-agents");
        let folders: Vec<PathBuf> = (0..sites).map(|i| dir.join(format!("agent-{i:03}"))).collect();
        for (i, (cred, folder)) in creds.iter().zip(&folders).enumerate() {
            agent_with_records(folder, &all[i % servers], cred, records, 100 + i as u64)?;
        }
        let procs: Vec<Proc> = all.iter().map(Server::start).collect();
        walls.push(sync_all(b, &folders, records, "pg-many-sites")?);
        for p in &procs {
            server_rss = server_rss.max(peak_rss_mb_of(p.id()).unwrap_or(0.0));
        }
    }
    Ok(Line {
        scenario: "pg-many-sites",
        seconds: median(walls),
        bytes: 0,
        server_rss_mb: server_rss,
        agent_rss_mb: 0.0,
        extra: json!({
            "sites": sites,
            "records_per_site": records,
            "servers": servers,
            "measured": "wall time from starting every site's sync until the last completes",
            "runs": b.runs,
        }),
    })
}

const IDLE_SITES: usize = 500;

fn idle_sites(b: &mut Bench) -> anyhow::Result<Line> {
    let dir = b.fresh_dir("idle-sites");
    let (template, creds) = server_template(&dir, IDLE_SITES + 1)?;
    let server = server_copy(&template, &dir.join("hq-run"))?;
    idle_sites_on(b, "idle-sites", &dir, &[server], &creds)
}

/// 500 idle sites spread over `servers` on PostgreSQL (the probe on the first).
fn pg_idle_sites(b: &mut Bench, pg: &Postgres, servers: usize) -> anyhow::Result<Line> {
    let (all, creds, _) = pg_head_office(b, pg, "pg-idle-sites", servers, IDLE_SITES + 1)?;
    let dir = b.fresh_dir("pg-idle-sites-agents");
    let mut line = idle_sites_on(b, "pg-idle-sites", &dir, &all, &creds)?;
    if let Value::Object(extra) = &mut line.extra {
        extra.insert("servers".into(), json!(servers));
    }
    Ok(line)
}

/// Every site of `creds` but the last syncing every 5 s, spread over
/// `servers` in turn; the last site's rounds (through the first server) measured.
fn idle_sites_on(
    b: &mut Bench,
    scenario: &'static str,
    dir: &Path,
    servers: &[Server],
    creds: &[NewSite],
) -> anyhow::Result<Line> {
    let procs: Vec<Proc> = servers.iter().map(Server::start).collect();
    let relays = servers.iter().map(|s| b.relay(s)).collect::<anyhow::Result<Vec<_>>>()?;
    let (server, relay) = (&servers[0], &relays[0]);
    let mut configs = Vec::new();
    let last = creds.len() - 1;
    for (i, cred) in creds.iter().enumerate() {
        // The probe (the last site) goes through the first server.
        let through = if i == last { relay } else { &relays[i % relays.len()] };
        let config = AgentConfig::new(
            &through.addr.to_string(),
            &server.fingerprint,
            &cred.site_id.to_string(),
            &cred.code,
            "Asia/Shanghai",
        )?;
        let mut store = config.init(&dir.join(format!("agent-{i:03}")))?;
        fill(&mut store, cred.site_id, 20, 7 + i as u64)?;
        configs.push(config);
    }
    let probe_config = configs.pop().context("one probe site")?;
    let probe_dir = dir.join(format!("agent-{last:03}"));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let interval = Duration::from_millis(wuye_agent::link::DEFAULT_INTERVAL_MS);
    let handles: Vec<_> = configs
        .into_iter()
        .enumerate()
        .map(|(i, config)| {
            let mut stop = stop_rx.clone();
            let folder = dir.join(format!("agent-{i:03}"));
            b.rt.spawn(async move {
                let (mut store, _) = wuye_agent::config::open(&folder).expect("agent folder opens");
                wuye_agent::link::run(&mut store, &config, &SystemClock, interval, async move {
                    let _ = stop.changed().await;
                })
                .await;
            })
        })
        .collect();
    // Let every site connect and finish its first rounds.
    std::thread::sleep(Duration::from_secs(15));
    let (probe_times, probe_bytes) = b.rt.block_on(async {
        let (mut store, _) = wuye_agent::config::open(&probe_dir)?;
        wuye_agent::link::sync_once(&mut store, &probe_config, &SystemClock, &mut |_| {}).await?;
        let (endpoint, conn) = wuye_agent::link::connect(&probe_config).await?;
        let mut t = Vec::new();
        let mut by = Vec::new();
        for _ in 0..b.runs.max(5) {
            let before = relay.bytes();
            let out = wuye_agent::link::round(&conn, &mut store, &probe_config, &SystemClock).await?;
            let after = relay.bytes();
            t.push(out.elapsed.as_secs_f64());
            by.push(((after.0 - before.0) + (after.1 - before.1)) as f64);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        conn.close(0u32.into(), b"done");
        endpoint.wait_idle().await;
        anyhow::Ok((t, by))
    })?;
    let server_rss = procs.iter().map(|p| peak_rss_mb_of(p.id()).unwrap_or(0.0)).fold(0.0, f64::max);
    let bench_rss = wuye_node::process::peak_rss_mb().unwrap_or(0.0);
    let _ = stop_tx.send(true);
    b.rt.block_on(async {
        for h in handles {
            let _ = tokio::time::timeout(Duration::from_secs(5), h).await;
        }
    });
    Ok(Line {
        scenario,
        seconds: median(probe_times.clone()),
        bytes: median(probe_bytes) as u64,
        server_rss_mb: server_rss,
        agent_rss_mb: bench_rss / (creds.len() - 1) as f64,
        extra: json!({
            "sites_connected": creds.len() - 1,
            "round_interval_ms": wuye_agent::link::DEFAULT_INTERVAL_MS,
            "probe_round_max_seconds": round3(probe_times.iter().cloned().fold(0.0, f64::max)),
            "agents": "in one process over real QUIC; agent_rss_mb is that process's peak divided by the sites",
        }),
    })
}

const LIST_SITES: usize = 100;
const LIST_RECORDS_PER_SITE: usize = 2_000;

fn server_list(b: &mut Bench) -> anyhow::Result<Line> {
    let dir = b.fresh_dir("server-list");
    let (server, creds) = server_template(&dir, LIST_SITES)?;
    {
        let mut hq = HeadOffice::open(&server.data, Arc::new(SystemClock))?;
        let mut rng = StdRng::seed_from_u64(11);
        let now = SystemClock.now() - chrono::Duration::days(30);
        for (s, cred) in creds.iter().enumerate() {
            for chunk in 0..LIST_RECORDS_PER_SITE / 500 {
                let docs = (0..500)
                    .map(|k| {
                        let i = chunk * 500 + k;
                        let mut doc = complaint::create(
                            RecordId::random(&mut rng),
                            cred.site_id,
                            chrono_tz::Asia::Shanghai,
                            now + chrono::Duration::seconds(i as i64),
                            "客服员",
                            EventId::random(&mut rng),
                            &sample(i + s, i % 20 == 0),
                        )?;
                        Ok(DocPayload {
                            id: complaint::read(&doc)?.id,
                            kind: wuye_protocol::doc::RecordKind::Complaint.as_str().to_string(),
                            full: true,
                            heads: heads_to_wire(&doc.get_heads()),
                            bytes: doc.save(),
                        })
                    })
                    .collect::<anyhow::Result<Vec<_>>>()?;
                let peer = wuye_protocol::sync::site_peer(cred.site_id);
                hq.apply(&peer, cred.site_id, docs, 0)?;
            }
        }
    }
    let site = creds[LIST_SITES / 2].site_id.to_string();
    let mut walls = Vec::new();
    let mut server_rss = 0.0f64;
    for _ in 0..b.runs {
        let (stdout, wall, rss) = run_measured(
            "wuye-server",
            &["complaint", "list", "--site", &site, "--json", "--data", path(&server.data)],
        )?;
        walls.push(wall);
        server_rss = server_rss.max(rss);
        let listed: Value = serde_json::from_slice(&stdout)?;
        if listed.as_array().map(Vec::len) != Some(LIST_RECORDS_PER_SITE) {
            bail!("server-list listed {:?} records", listed.as_array().map(Vec::len));
        }
    }
    Ok(Line {
        scenario: "server-list",
        seconds: median(walls),
        bytes: 0,
        server_rss_mb: server_rss,
        agent_rss_mb: 0.0,
        extra: json!({"records_total": LIST_SITES * LIST_RECORDS_PER_SITE, "sites": LIST_SITES, "listed": LIST_RECORDS_PER_SITE, "measured": "wall time of the wuye-server process", "runs": b.runs}),
    })
}

const ADD_RECORDS: usize = 100_000;
const ADD_SAMPLES: usize = 200;

fn agent_add(b: &mut Bench) -> anyhow::Result<Line> {
    let dir = b.fresh_dir("agent-add");
    let (server, creds) = server_template(&dir, 1)?;
    let agent = dir.join("agent");
    agent_with_records(&agent, &server, &creds[0], ADD_RECORDS, 5)?;
    {
        // `complaint add` acts for the person signed in, as at a real front desk.
        let (store, config) = wuye_agent::config::open(&agent)?;
        let mut desk = wuye_app::desk::Desk::with_os_rng(store, config.site(), Arc::new(SystemClock));
        desk.first_supervisor("周站长", "zhou", "bench-password")?;
    }
    let mut walls = Vec::new();
    let mut agent_rss = 0.0f64;
    for i in 0..ADD_SAMPLES {
        let (_, wall, rss) = run_measured(
            "wuye-agent",
            &[
                "complaint",
                "add",
                "--data",
                path(&agent),
                "--customer",
                "张伟",
                "--unit",
                &format!("{}栋{}01", i % 9 + 1, i % 6 + 1),
                "--channel",
                "phone",
                "--summary",
                "楼上漏水，天花板发霉，请尽快派人查看",
                "--department",
                "维修部",
            ],
        )?;
        walls.push(wall);
        agent_rss = agent_rss.max(rss);
    }
    let (store, config) = wuye_agent::config::open(&agent)?;
    let mut desk = wuye_app::desk::Desk::with_os_rng(store, config.site(), Arc::new(SystemClock));
    let mut in_process = Vec::new();
    for i in 0..ADD_SAMPLES {
        let start = Instant::now();
        desk.add_complaint(&sample(i, false), "客服员")?;
        in_process.push(start.elapsed().as_secs_f64());
    }
    Ok(Line {
        scenario: "agent-add",
        seconds: percentile(walls.clone(), 0.99),
        bytes: 0,
        server_rss_mb: 0.0,
        agent_rss_mb: agent_rss,
        extra: json!({
            "statistic": "p99 of the whole wuye-agent process",
            "records_before": ADD_RECORDS,
            "samples": ADD_SAMPLES,
            "p50_seconds": round3(percentile(walls, 0.5)),
            "in_process_p99_seconds": round3(percentile(in_process.clone(), 0.99)),
            "in_process_p50_seconds": round3(percentile(in_process, 0.5)),
        }),
    })
}

const RECONCILE_RECORDS: usize = 10_000;
const RECONCILE_BEHIND: usize = 1_000;

/// A site restored in place from a copy 1,000 records behind, against head
/// office holding its 10,000: one `wuye-agent sync`, which finds the
/// checkpoints differ and reconciles.
fn reconcile(b: &mut Bench) -> anyhow::Result<Line> {
    let dir = b.fresh_dir("reconcile");
    let (server, creds) = server_template(&dir, 1)?;
    let agent = dir.join("agent");
    agent_with_records(&agent, &server, &creds[0], RECONCILE_RECORDS - RECONCILE_BEHIND, 7)?;
    let proc = server.start();
    let relay = b.relay(&server)?;
    point_agent_at(&agent, &relay.addr.to_string())?;
    sync(&agent)?;
    let copy = dir.join("agent-copy");
    copy_dir(&agent, &copy)?;
    {
        let mut store = Store::open(&agent.join(wuye_agent::DB_FILE))?;
        fill(&mut store, creds[0].site_id, RECONCILE_BEHIND, 8)?;
    }
    sync(&agent)?;
    let mut times = Vec::new();
    let mut byte_counts = Vec::new();
    let mut agent_rss = 0.0f64;
    for _ in 0..b.runs {
        std::fs::remove_dir_all(&agent)?;
        copy_dir(&copy, &agent)?;
        let before = relay.bytes();
        let (report, _) = sync(&agent)?;
        let after = relay.bytes();
        if report["reconciled"] != true || report["pulled"] != RECONCILE_BEHIND || report["pushed"] != 0 {
            bail!("reconcile: expected a reconciliation bringing back {RECONCILE_BEHIND} records, report {report}");
        }
        times.push(report["seconds"].as_f64().unwrap_or(f64::NAN));
        byte_counts.push(((after.0 - before.0) + (after.1 - before.1)) as f64);
        agent_rss = agent_rss.max(report["peak_rss_mb"].as_f64().unwrap_or(0.0));
    }
    Ok(Line {
        scenario: "reconcile",
        seconds: median(times),
        bytes: median(byte_counts) as u64,
        server_rss_mb: peak_rss_mb_of(proc.id()).unwrap_or(0.0),
        agent_rss_mb: agent_rss,
        extra: json!({"records_at_office": RECONCILE_RECORDS, "behind": RECONCILE_BEHIND, "runs": b.runs, "includes": "connecting"}),
    })
}

const PAGE_RECORDS: usize = 100_000;
const PAGE_SIZE: usize = 50;
const PAGE_SAMPLES: usize = 200;

/// A page of 50 complaints from a site holding 100,000, through the
/// application layer every front end calls: the first page, the first page
/// of one state, and a page deep in the list by its cursor.
fn list_page(b: &mut Bench) -> anyhow::Result<Line> {
    use wuye_app::lists::ListFilter;
    use wuye_node::Page;
    let dir = b.fresh_dir("list-page");
    let (server, creds) = server_template(&dir, 1)?;
    let agent = dir.join("agent");
    agent_with_records(&agent, &server, &creds[0], PAGE_RECORDS, 6)?;
    let (store, config) = wuye_agent::config::open(&agent)?;
    let desk = wuye_app::desk::Desk::with_os_rng(store, config.site(), Arc::new(SystemClock));
    let time = |filter: &ListFilter, page: &Page| -> anyhow::Result<(Vec<f64>, usize)> {
        let mut ms = Vec::new();
        let mut len = 0;
        for _ in 0..PAGE_SAMPLES {
            let start = Instant::now();
            let got = desk.list::<Complaint>(filter, page)?;
            ms.push(start.elapsed().as_secs_f64() * 1000.0);
            len = got.items.len();
        }
        Ok((ms, len))
    };
    let all = ListFilter::default();
    let (first, n_first) = time(&all, &Page::first(PAGE_SIZE))?;
    let escalated = ListFilter { statuses: vec!["escalated".into()], ..ListFilter::default() };
    let (state, n_state) = time(&escalated, &Page::first(PAGE_SIZE))?;
    // The cursor of the record halfway down the list.
    let mut at = Page::first(PAGE_SIZE);
    for _ in 0..PAGE_RECORDS / PAGE_SIZE / 2 {
        at.after = desk.list::<Complaint>(&all, &at)?.next;
    }
    let (deep, n_deep) = time(&all, &at)?;
    if [n_first, n_state, n_deep] != [PAGE_SIZE; 3] {
        bail!("list-page got pages of {n_first}, {n_state} and {n_deep} records");
    }
    let ms = |xs: Vec<f64>| round3(median(xs));
    Ok(Line {
        scenario: "list-page",
        seconds: median(first.clone()) / 1000.0,
        bytes: 0,
        server_rss_mb: 0.0,
        // The bench process's peak would include the scenarios run before this one.
        agent_rss_mb: 0.0,
        extra: json!({
            "records": PAGE_RECORDS,
            "page": PAGE_SIZE,
            "samples": PAGE_SAMPLES,
            "measured": "in process, Desk::list",
            "first_page_median_ms": ms(first.clone()),
            "first_page_p99_ms": round3(percentile(first, 0.99)),
            "one_state_first_page_median_ms": ms(state),
            "halfway_page_median_ms": ms(deep),
        }),
    })
}

const WEB_SAMPLES: usize = 200;

/// The web desk's pages with 100,000 records at the site, measured in the
/// agent's own process (server-side time: the router from request to the
/// last byte of the body): the day's board, the first page of the complaint
/// list, a complaint's page; and what a page weighs over the wire, gzipped,
/// with its style sheet and scripts.
/// One GET through a router in process, with a session cookie (and gzip when
/// asked): the milliseconds from request to body, the body's bytes, the status.
fn oneshot(
    rt: &tokio::runtime::Runtime,
    app: &axum::Router,
    cookie: &str,
    path: &str,
    gzip: bool,
) -> anyhow::Result<(f64, usize, u16)> {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;
    let mut req = Request::get(path).header("cookie", cookie);
    if gzip {
        req = req.header("accept-encoding", "gzip");
    }
    let req = req.body(Body::empty())?;
    let app = app.clone();
    rt.block_on(async move {
        let start = Instant::now();
        let response = app.oneshot(req).await?;
        let status = response.status().as_u16();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
        Ok((start.elapsed().as_secs_f64() * 1000.0, body.len(), status))
    })
}

fn web_pages(b: &mut Bench) -> anyhow::Result<Line> {
    let dir = b.fresh_dir("web-pages");
    let (server, creds) = server_template(&dir, 1)?;
    let agent = dir.join("agent");
    agent_with_records(&agent, &server, &creds[0], PAGE_RECORDS, 7)?;
    let (store, config) = wuye_agent::config::open(&agent)?;
    let mut desk = wuye_app::desk::Desk::with_os_rng(store, config.site(), Arc::new(SystemClock));
    desk.first_supervisor("周站长", "zhou", "bench-password-2026")?;
    let (member, token) = desk.open_session("zhou", "bench-password-2026", None)?;
    let actor = wuye_app::desk::Actor::of(&member);
    let newest = wuye_node::Page { limit: Some(1), newest_first: true, ..wuye_node::Page::default() };
    let id = desk.list::<Complaint>(&wuye_app::lists::ListFilter::default(), &newest)?.items[0].id.to_string();
    for step in [wuye_app::desk::Step::Note("已联系住户"), wuye_app::desk::Step::Assign("维修部")] {
        desk.step(&id, &step, &actor)?;
    }
    let app = wuye_agent::web::router(wuye_agent::web::AppState::new(desk, false));
    let cookie = format!("wuye_session={}", token.as_str());
    let get = |path: &str, gzip: bool| oneshot(&b.rt, &app, &cookie, path, gzip);
    let pages =
        [("board", "/".to_string()), ("list", "/complaints".to_string()), ("detail", format!("/complaints/{id}"))];
    let mut extra = serde_json::Map::new();
    let mut board_ms = Vec::new();
    for (name, path) in &pages {
        let mut ms = Vec::new();
        for _ in 0..WEB_SAMPLES {
            let (t, _, status) = get(path, false)?;
            if status != 200 {
                bail!("web-pages: {path} answered {status}");
            }
            ms.push(t);
        }
        extra.insert(format!("{name}_median_ms"), json!(round3(median(ms.clone()))));
        extra.insert(format!("{name}_p99_ms"), json!(round3(percentile(ms.clone(), 0.99))));
        if *name == "board" {
            board_ms = ms;
        }
    }
    let urls = wuye_web::assets::urls();
    let mut assets = 0;
    for url in [urls.css, urls.js, urls.htmx] {
        assets += get(url, true)?.1;
    }
    for (name, path) in &pages {
        let (_, bytes, _) = get(path, true)?;
        extra.insert(format!("{name}_with_assets_gzip_bytes"), json!(bytes + assets));
    }
    extra.insert("assets_gzip_bytes".into(), json!(assets));
    extra.insert("records".into(), json!(PAGE_RECORDS));
    extra.insert("samples".into(), json!(WEB_SAMPLES));
    extra.insert("measured".into(), json!("in process, the router from request to body"));
    Ok(Line {
        scenario: "web-pages",
        seconds: median(board_ms) / 1000.0,
        bytes: 0,
        server_rss_mb: 0.0,
        agent_rss_mb: 0.0,
        extra: Value::Object(extra),
    })
}

/// Houses a site bills in the issue-bills scenario.
const BILL_HOUSES: usize = 5_000;

/// Issuing a month's bills (出账) at a site of 5,000 houses handed over, one
/// 物业费 by area: each run issues a new month (5,000 new bills, checked
/// against those already issued, saved in one transaction), timed in process.
fn issue_bills(b: &mut Bench) -> anyhow::Result<Line> {
    use wuye_app::desk::{Actor, NewFeeItem, NewPrice};
    use wuye_protocol::fee::{Basis, Cycle, FeeKind, Price};
    let dir = b.fresh_dir("issue-bills");
    let (server, creds) = server_template(&dir, 1)?;
    let agent = dir.join("agent");
    agent_with_records(&agent, &server, &creds[0], 0, 7)?;
    let (store, config) = wuye_agent::config::open(&agent)?;
    let mut desk = wuye_app::desk::Desk::with_os_rng(store, config.site(), Arc::new(SystemClock));
    let manager = Actor::of(&desk.add_staff("周经理", wuye_protocol::staff::Role::Manager, "客服中心")?);
    let mut sheet = vec![["楼栋", "单元", "楼层", "房号", "类型", "建筑面积"].map(String::from).to_vec()];
    for i in 0..BILL_HOUSES {
        let (building, floor, room) = (i / 200 + 1, (i % 200) / 4 + 1, i % 4 + 1);
        sheet.push(vec![
            format!("{building}栋"),
            String::new(),
            floor.to_string(),
            format!("{floor}0{room}"),
            "住宅".into(),
            format!("{}.{:02}", 60 + i % 90, i % 100),
        ]);
    }
    desk.import_houses(&sheet, &manager)?;
    let now = desk.now();
    for h in desk.houses(None, None)? {
        desk.store.edit(h.id, |doc| {
            wuye_protocol::house::set_state(doc, now, "周经理", wuye_protocol::house::HouseState::HandedOver, "")
        })?;
    }
    let today = now.with_timezone(&desk.site.timezone).date_naive();
    let first = Cycle::Monthly.period_of(today).start;
    let item = NewFeeItem {
        name: "物业费".into(),
        fee_kind: FeeKind::Property,
        basis: Basis::Area,
        meter: None,
        cycle: Cycle::Monthly,
        due_day: 31,
        applies_to: Vec::new(),
        price: NewPrice {
            from: first,
            price: Price::parse("2.35")?,
            approval: String::new(),
            late: wuye_protocol::fee::ledger::LateRule::NONE,
        },
    };
    desk.add_fee_item(&item, &manager)?;
    let mut seconds = Vec::new();
    for run in 0..b.runs {
        let month = first + chrono::Months::new(run as u32);
        let start = Instant::now();
        let issued = desk.issue_bills(month, &manager)?;
        seconds.push(start.elapsed().as_secs_f64());
        if issued.created != BILL_HOUSES {
            bail!("issue-bills: {} bills made for {month}, not {BILL_HOUSES}", issued.created);
        }
    }
    Ok(Line {
        scenario: "issue-bills",
        seconds: median(seconds.clone()),
        bytes: 0,
        server_rss_mb: 0.0,
        agent_rss_mb: 0.0,
        extra: json!({
            "houses": BILL_HOUSES,
            "runs_seconds": seconds.iter().map(|s| round3(*s)).collect::<Vec<_>>(),
            "measured": "in process, Desk::issue_bills for one new month",
        }),
    })
}

/// Samples of each dashboard page.
const DASHBOARD_SAMPLES: usize = 20;

/// Head office's dashboard at company scale: `sites` sites × `per_site`
/// records over 24 months (200 × 10,000 by default: two million records),
/// synced in through the sync path; the overview of a month, a site's
/// drill-down, and the month's xlsx workbook for every site.
fn dashboard(b: &mut Bench, sites: usize, per_site: usize, keep: Option<&Path>) -> anyhow::Result<Line> {
    use wuye_server::people::{self, Actor, NewUser, Role};
    // `--keep DIR` builds the company once in DIR and measures it again on later runs.
    let kept = keep.map(Path::to_path_buf);
    let dir = kept.clone().unwrap_or_else(|| b.fresh_dir("dashboard"));
    let marker = dir.join("sites.json");
    let now = SystemClock.now();
    let started = Instant::now();
    let (server, ids) = match std::fs::read(&marker) {
        Ok(bytes) if kept.is_some() => {
            let (addr, fingerprint, ids): (String, String, Vec<SiteId>) = serde_json::from_slice(&bytes)?;
            (Server { data: dir.join("hq"), addr, fingerprint }, ids)
        }
        _ => {
            let (server, creds) = server_template(&dir, sites)?;
            let ids: Vec<SiteId> = creds.iter().map(|c| c.site_id).collect();
            let mut hq = HeadOffice::open(&server.data, Arc::new(SystemClock))?;
            wuye_tests::company::fill(&mut hq, &ids, per_site, 24, now, 13)?;
            hq.store.checkpoint()?;
            std::fs::write(&marker, serde_json::to_vec(&(&server.addr, &server.fingerprint, &ids))?)?;
            (server, ids)
        }
    };
    let sites = ids.len();
    let fill_seconds = started.elapsed().as_secs_f64();
    let db_bytes = std::fs::metadata(server.data.join(wuye_server::DB_FILE))?.len();
    let hq = HeadOffice::open(&server.data, Arc::new(SystemClock))?;
    let new = NewUser { name: "品质部".into(), login: "qa".into(), role: Role::Quality, sites: vec![] };
    if people::users(&hq.store)?.is_empty() {
        people::add_user(&hq.store, &Actor::CommandLine("bench".into()), &new, "bench-password-2026", &ids, now)?;
    }
    let (_, token) = people::sign_in(&hq.store, "qa", "bench-password-2026", None, now)?;
    let app = wuye_server::web::router(wuye_server::web::DashState::new(hq, server.data.clone()));
    let cookie = format!("wuye_hq_session={}", token.as_str());
    let get = |path: &str, gzip: bool| oneshot(&b.rt, &app, &cookie, path, gzip);
    let month = now.with_timezone(&chrono_tz::Asia::Shanghai).format("%Y-%m").to_string();
    let last_month = wuye_app::kpi::Period::parse(&month)?.previous().to_string();
    let site = ids[sites / 2];
    let pages = [
        ("overview", format!("/?period={month}")),
        ("overview_last_month", format!("/?period={last_month}")),
        ("drill_down", format!("/sites/{site}?period={month}")),
    ];
    let mut extra = serde_json::Map::new();
    let mut overview_ms = Vec::new();
    for (name, path) in &pages {
        let mut ms = Vec::new();
        for _ in 0..DASHBOARD_SAMPLES {
            let (t, _, status) = get(path, false)?;
            if status != 200 {
                bail!("dashboard: {path} answered {status}");
            }
            ms.push(t);
        }
        extra.insert(format!("{name}_median_ms"), json!(round3(median(ms.clone()))));
        extra.insert(format!("{name}_p99_ms"), json!(round3(percentile(ms.clone(), 0.99))));
        if *name == "overview" {
            overview_ms = ms;
        }
    }
    let urls = wuye_web::assets::urls();
    let mut assets = 0;
    for url in [urls.css, urls.js, urls.htmx] {
        assets += get(url, true)?.1;
    }
    let (_, overview_gz, _) = get(&pages[0].1, true)?;
    extra.insert("overview_with_assets_gzip_bytes".into(), json!(overview_gz + assets));
    drop(app);
    let mut walls = Vec::new();
    let mut rss = 0.0f64;
    let mut xlsx_bytes = 0;
    for run in 0..b.runs.min(3) {
        let out = dir.join(format!("month-{run}.xlsx"));
        let (_, wall, peak) = run_measured(
            "wuye-server",
            &[
                "report",
                "kpi",
                "--data",
                path(&server.data),
                "--month",
                &month,
                "--format",
                "xlsx",
                "--out",
                path(&out),
            ],
        )?;
        walls.push(wall);
        rss = rss.max(peak);
        xlsx_bytes = std::fs::metadata(&out)?.len();
    }
    extra.insert("xlsx_month_all_sites_median_s".into(), json!(round3(median(walls))));
    extra.insert("xlsx_peak_rss_mb".into(), json!(round3(rss)));
    extra.insert("xlsx_bytes".into(), json!(xlsx_bytes));
    extra.insert("sites".into(), json!(sites));
    let records: i64 = HeadOffice::open(&server.data, Arc::new(SystemClock))?.store.record_count()? as i64;
    extra.insert("records".into(), json!(records));
    extra.insert("fill_seconds".into(), json!(round3(fill_seconds)));
    extra.insert("head_office_db_bytes".into(), json!(db_bytes));
    extra.insert("samples".into(), json!(DASHBOARD_SAMPLES));
    extra.insert(
        "measured".into(),
        json!("pages: in process, the router from request to body; xlsx: the wuye-server process"),
    );
    Ok(Line {
        scenario: "dashboard",
        seconds: median(overview_ms) / 1000.0,
        bytes: 0,
        server_rss_mb: rss,
        agent_rss_mb: 0.0,
        extra: Value::Object(extra),
    })
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let scenario = args.first().map(String::as_str).unwrap_or("all");
    let runs = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .map(|r| r.parse::<usize>())
        .transpose()
        .context("--runs takes a whole number")?
        .unwrap_or(5)
        .max(1);
    let wanted: Vec<&str> = match scenario {
        // The dashboard's company of two million records takes half an hour to build, and
        // the PostgreSQL scenarios need a cluster: asked for by name.
        "all" => SCENARIOS.iter().copied().filter(|s| *s != "dashboard" && !s.starts_with("pg-")).collect(),
        s if SCENARIOS.contains(&s) => vec![s],
        other => bail!("unknown scenario '{other}': use one of {} or all", SCENARIOS.join(", ")),
    };
    let mut b = Bench {
        rt: tokio::runtime::Builder::new_multi_thread().enable_all().build()?,
        tmp: tempfile::Builder::new().prefix("wuye-bench-").tempdir()?,
        runs,
        counter: 0,
    };
    let needs_pair = wanted.iter().any(|s| ["first-sync", "catch-up", "idle", "head-office-edits"].contains(s));
    if needs_pair {
        let (line, pair) = first_sync(&mut b)?;
        if wanted.contains(&"first-sync") {
            line.print();
        }
        if wanted.contains(&"catch-up") {
            edit_then_sync(&b, &pair, "catch-up", false, 100)?.print();
        }
        if wanted.contains(&"idle") {
            idle(&b, &pair)?.print();
        }
        if wanted.contains(&"head-office-edits") {
            edit_then_sync(&b, &pair, "head-office-edits", true, 100)?.print();
        }
    }
    if wanted.contains(&"floor-apply") {
        let number = |flag: &str, default: usize| -> anyhow::Result<usize> {
            let at = args.iter().position(|a| a == flag);
            Ok(at.and_then(|i| args.get(i + 1)).map(|n| n.parse()).transpose()?.unwrap_or(default))
        };
        floor_apply(&mut b, number("--records", FIRST_SYNC_RECORDS)?.max(1))?.print();
    }
    if wanted.contains(&"floor-apply-stored") {
        floor_apply_stored(&mut b)?.print();
    }
    if wanted.contains(&"floor-connect") {
        floor_connect(&mut b)?.print();
    }
    if wanted.contains(&"many-sites") {
        many_sites(&mut b, "many-sites", 50, 200)?.print();
    }
    if wanted.contains(&"many-sites-large") {
        many_sites(&mut b, "many-sites-large", 50, 1_000)?.print();
    }
    if wanted.contains(&"idle-sites") {
        idle_sites(&mut b)?.print();
    }
    if wanted.contains(&"server-list") {
        server_list(&mut b)?.print();
    }
    if wanted.contains(&"agent-add") {
        agent_add(&mut b)?.print();
    }
    if wanted.contains(&"list-page") {
        list_page(&mut b)?.print();
    }
    if wanted.contains(&"reconcile") {
        reconcile(&mut b)?.print();
    }
    if wanted.contains(&"web-pages") {
        web_pages(&mut b)?.print();
    }
    if wanted.contains(&"issue-bills") {
        issue_bills(&mut b)?.print();
    }
    let pg_wanted = wanted.iter().any(|s| s.starts_with("pg-"));
    if pg_wanted {
        let servers = args
            .iter()
            .position(|a| a == "--servers")
            .and_then(|i| args.get(i + 1))
            .map(|n| n.parse::<usize>())
            .transpose()
            .context("--servers takes a whole number")?
            .unwrap_or(1)
            .max(1);
        let pg = Postgres::start_durable().context("PostgreSQL is not installed: scripts/setup.sh installs it")?;
        if wanted.contains(&"pg-first-sync") {
            pg_first_sync(&mut b, &pg)?.print();
        }
        if wanted.contains(&"pg-many-sites") {
            pg_many_sites(&mut b, &pg, servers)?.print();
        }
        if wanted.contains(&"pg-idle-sites") {
            pg_idle_sites(&mut b, &pg, servers)?.print();
        }
    }
    if wanted.contains(&"dashboard") {
        let number = |flag: &str, default: usize| -> anyhow::Result<usize> {
            let at = args.iter().position(|a| a == flag);
            Ok(at.and_then(|i| args.get(i + 1)).map(|n| n.parse()).transpose()?.unwrap_or(default))
        };
        let keep = args.iter().position(|a| a == "--keep").and_then(|i| args.get(i + 1)).map(PathBuf::from);
        let (sites, records) = (number("--sites", 200)?.max(2), number("--records", 10_000)?.max(10));
        dashboard(&mut b, sites, records, keep.as_deref())?.print();
    }
    Ok(())
}
