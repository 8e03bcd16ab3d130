//! Head office's record store on a real PostgreSQL (started by the test, on
//! loopback), beside the SQLite store: the same sync operations give the same
//! answers on both, and the pull cursor stays safe while several writers
//! (several `wuye-server` processes) commit out of order. The race is staged
//! on purpose: a writer is held between taking its sequence number and
//! committing while another writer and a reader go on.

use std::sync::mpsc;
use std::time::Duration;

use wuye_node::{Cell, Store};
use wuye_protocol::ids::SiteId;
use wuye_protocol::sync::{site_peer, SyncStore, SERVER_PEER};
use wuye_protocol::wire::{heads_to_blob, DocPayload, Seq};
use wuye_store_pg::PgStore;
use wuye_tests::harness::{sample, Network};
use wuye_tests::pg::Postgres;

/// A head-office note on a complaint, as a store's edit.
fn note(doc: &mut automerge::AutoCommit, text: &str) -> Result<(), wuye_protocol::rules::RuleError> {
    let event = wuye_protocol::ids::EventId::random(&mut rand::thread_rng());
    wuye_protocol::complaint::add_note(doc, event, chrono::Utc::now(), "总部品质部", text)
}

/// A site that registered `n` complaints, and what it would push of them.
fn site_with(n: usize, seed: u64) -> (Network, SiteId, Vec<DocPayload>) {
    let mut net = Network::new(seed);
    net.add_site("朝阳花园");
    for i in 0..n {
        net.sites[0].desk.add_complaint(&sample(i, i % 5 == 0), "客服员").unwrap();
        // Now and then a minute later: sort keys both repeat and differ.
        if i % 3 == 0 {
            net.clock.advance(chrono::Duration::minutes(1));
        }
    }
    let desk = &mut net.sites[0].desk;
    let site = desk.site.id;
    let docs = desk.store.outgoing(SERVER_PEER, site, 0).unwrap().docs;
    assert_eq!(docs.len(), n);
    (net, site, docs)
}

/// What a store answers to the same calls, for comparing two stores.
#[derive(Debug, PartialEq)]
struct Answers {
    applied: (usize, usize, usize),
    outgoing: Vec<(String, bool, Seq)>,
    digests: usize,
    same: Vec<bool>,
    cursor: Seq,
    checkpoint: Option<u64>,
    after_edit: Vec<String>,
    count: u64,
}

fn exercise<S: SyncStore<Error = wuye_node::StoreError>>(
    store: &mut S,
    site: SiteId,
    docs: &[DocPayload],
    changed: &[DocPayload],
    edit: impl FnOnce(&mut S),
    count: impl Fn(&mut S) -> u64,
) -> Answers {
    let peer = site_peer(site);
    let applied = store.apply(&peer, site, docs.to_vec(), 7).unwrap();
    // The same batch again takes nothing new; changes that do not decode are refused.
    let again = store.apply(&peer, site, docs.to_vec(), 7).unwrap();
    assert!(again.refused.is_empty() && again.need_full.is_empty());
    let mut stripped = changed[0].clone();
    stripped.full = false;
    stripped.bytes = vec![0x85, 0x6f, 0x4a, 0x83];
    let bad = store.apply(&peer, site, vec![stripped], 7).unwrap();
    let out = store.outgoing("other", site, 0).unwrap();
    let outgoing = out.docs.iter().map(|d| (d.id.to_string(), d.full, out.upto)).collect();
    // Back from the site: nothing echoes to it.
    let echo = store.outgoing(&peer, site, 0).unwrap();
    assert!(echo.docs.is_empty(), "what the site sent is not sent back");
    let digests = store.digests(site, None, 1000).unwrap();
    let same = store.compare_digests("third", site, &digests[..3]).unwrap();
    store.acknowledge("other", &applied.held, &[]).unwrap();
    let cursor = store.cursor(&peer).unwrap();
    store.keep_checkpoint(&peer, wuye_protocol::wire::Checkpoint { epoch: 4, nonce: [9; 16] }, "pc-1").unwrap();
    let checkpoint = store.checkpoint_with(&peer).unwrap().map(|(c, _)| c.epoch);
    let later = store.apply(&peer, site, changed.to_vec(), 9).unwrap();
    assert_eq!(later.held.len(), changed.len());
    edit(store);
    let upto = out.upto;
    let after = store.outgoing("other", site, upto).unwrap();
    let mut after_edit: Vec<String> = after.docs.iter().map(|d| format!("{}:{}", d.id, d.full)).collect();
    after_edit.sort();
    store.forget_peer("other").unwrap();
    assert_eq!(store.cursor("other").unwrap(), 0);
    Answers {
        applied: (
            applied.held.len(),
            applied.need_full.len() + bad.need_full.len(),
            applied.refused.len() + bad.refused.len(),
        ),
        outgoing,
        digests: digests.len(),
        same,
        cursor,
        checkpoint,
        after_edit,
        count: count(store),
    }
}

#[test]
fn the_same_sync_operations_give_the_same_answers_on_sqlite_and_postgresql() {
    let Some(pg) = Postgres::start() else { return };
    let (mut net, site, docs) = site_with(12, 3);
    // Later at the site: notes on two complaints, sent as changes.
    let desk = &mut net.sites[0].desk;
    let mut ids: Vec<String> = docs.iter().map(|d| d.id.to_string()).collect();
    ids.sort();
    desk.add_note(&ids[0], "已联系业主", "客服员").unwrap();
    desk.add_note(&ids[1], "维修部已到场", "客服员").unwrap();
    desk.store.acknowledge(SERVER_PEER, &[], &[]).unwrap();
    let held: Vec<_> =
        docs.iter().map(|d| wuye_protocol::wire::HeadsAck { id: d.id, heads: d.heads.clone() }).collect();
    desk.store.acknowledge(SERVER_PEER, &held, &[]).unwrap();
    let changed = desk.store.outgoing(SERVER_PEER, site, 0).unwrap().docs;
    assert_eq!(changed.len(), 2);
    assert!(changed.iter().all(|d| !d.full), "changes after what head office holds");
    let target = docs[5].id;

    let mut sqlite = Store::open_in_memory().unwrap();
    let on_sqlite = exercise(
        &mut sqlite,
        site,
        &docs,
        &changed,
        |s| {
            s.edit(target, |doc| note(doc, "请尽快处理")).unwrap();
        },
        |s| s.record_count().unwrap(),
    );
    let mut postgres = PgStore::connect(&pg.database()).unwrap();
    let on_postgres = exercise(
        &mut postgres,
        site,
        &docs,
        &changed,
        |s| {
            s.edit(target, |doc| note(doc, "请尽快处理")).unwrap();
        },
        |s| s.record_count().unwrap(),
    );
    assert_eq!(on_sqlite, on_postgres);
    assert_eq!(on_postgres.applied, (12, 0, 1), "twelve taken; changes that do not decode refused");
    assert_eq!(
        on_postgres.after_edit,
        vec![format!("{target}:false")],
        "the site's own changes keep their numbers (nothing echoes); head office's note takes a new one"
    );
    // Both hold the same documents, head for head (but the one each store
    // noted on itself, whose note has its own time and id).
    let mut sqlite_heads: Vec<(String, Vec<u8>)> = Vec::new();
    for d in docs.iter().filter(|d| d.id != target) {
        let mut doc = sqlite.load(d.id).unwrap();
        sqlite_heads.push((d.id.to_string(), heads_to_blob(&wuye_protocol::wire::heads_to_wire(&doc.get_heads()))));
    }
    sqlite_heads.sort();
    let mut pg_heads = postgres.all_heads().unwrap();
    pg_heads.retain(|(id, _)| *id != target.to_string());
    assert_eq!(pg_heads, sqlite_heads);
    // The figures' sums agree, after documents received, received again as
    // changes and edited at head office (each counted once), and so do the
    // figures read from them.
    let on_sqlite = sums(&sqlite);
    assert!(
        on_sqlite.iter().any(|r| r[2] == Cell::Text("complaints".into()) && r[3] == Cell::Int(12)),
        "{on_sqlite:?}"
    );
    assert_eq!(sums(&postgres), on_sqlite);
    // The records' own time (the network's clock), not today's: the month they fall in.
    let now = wuye_protocol::time::Clock::now(&net.clock);
    let period = wuye_app::kpi::Period::month_of(now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive());
    let basis =
        [wuye_app::kpi::SiteBasis { site_id: site, timezone: chrono_tz::Asia::Shanghai, households: Some(200) }];
    let figures = wuye_app::kpi::figures(&postgres, period, &basis, now).unwrap();
    assert_eq!(figures, wuye_app::kpi::figures(&sqlite, period, &basis, now).unwrap());
    assert_eq!(figures[0].complaints, 12);
    assert_eq!(wuye_app::kpi::majors_waiting(&postgres).unwrap(), wuye_app::kpi::majors_waiting(&sqlite).unwrap());
}

/// Both tables of the figures' sums, sorted the same way whatever the database's collation.
fn sums(store: &dyn wuye_node::sql::Sql) -> Vec<Vec<Cell>> {
    let mut rows = store.rows("SELECT month, site_id, metric, n FROM kpi_month", &[]).unwrap();
    rows.extend(store.rows("SELECT day, site_id, metric, n FROM kpi_day", &[]).unwrap());
    rows.sort_by_key(|r| format!("{r:?}"));
    rows
}

/// Stages the classic race: writer A takes the next sequence number of a
/// site and is held before committing; writer B (another server) changes
/// another record of the same site meanwhile; a reader pulls. B must wait
/// for A, the reader must see neither until A commits, and then both in
/// order, so that its cursor never passes a number that commits later.
#[test]
fn a_writer_that_commits_late_is_never_skipped_by_a_pull_cursor() {
    let Some(pg) = Postgres::start() else { return };
    let url = pg.database();
    let (mut net, site, docs) = site_with(6, 5);
    let peer = site_peer(site);
    let mut reader = PgStore::connect(&url).unwrap();
    reader.apply(&peer, site, docs[..4].to_vec(), 1).unwrap();
    let first = reader.outgoing("reader", site, 0).unwrap();
    assert_eq!(first.docs.len(), 4);
    let cursor = first.upto;

    let (held_tx, held_rx) = mpsc::channel::<Seq>();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let url_a = url.clone();
    let doc_a = docs[4].clone();
    let peer_a = peer.clone();
    let a = std::thread::spawn(move || {
        let mut store = PgStore::connect(&url_a).unwrap();
        store
            .apply_then(&peer_a, site, vec![doc_a], 2, |next| {
                held_tx.send(next).unwrap();
                release_rx.recv().unwrap();
            })
            .unwrap();
    });
    let a_takes = held_rx.recv_timeout(Duration::from_secs(20)).expect("A reached its commit");
    assert_eq!(a_takes, cursor + 1, "A holds the next number");

    let (b_done_tx, b_done_rx) = mpsc::channel::<()>();
    let url_b = url.clone();
    let target = docs[0].id;
    let b = std::thread::spawn(move || {
        let mut store = PgStore::connect(&url_b).unwrap();
        store.edit(target, |doc| note(doc, "已督办")).unwrap();
        b_done_tx.send(()).unwrap();
    });
    assert!(
        b_done_rx.recv_timeout(Duration::from_millis(700)).is_err(),
        "B waits for A: writers of one site commit in the order of their numbers"
    );
    let meanwhile = reader.outgoing("reader", site, cursor).unwrap();
    assert!(meanwhile.docs.is_empty(), "nothing uncommitted is seen");
    assert_eq!(meanwhile.upto, cursor, "and the cursor does not move");

    release_tx.send(()).unwrap();
    a.join().unwrap();
    b_done_rx.recv_timeout(Duration::from_secs(20)).expect("B commits after A");
    b.join().unwrap();
    let after = reader.outgoing("reader", site, cursor).unwrap();
    let got: Vec<_> = after.docs.iter().map(|d| d.id).collect();
    assert_eq!(got, vec![docs[4].id, target], "A's record, then B's, in the order of their numbers");
    assert_eq!(after.upto, cursor + 2);
    drop(net.sites.pop());
}

/// Many writers on several connections at once, for one site, while a
/// reader keeps pulling and moving its cursor: at the end the reader has
/// seen every record (seeded; the seed is printed).
#[test]
fn concurrent_writers_on_several_connections_never_leave_a_gap_behind_a_reader() {
    let Some(pg) = Postgres::start() else { return };
    let url = pg.database();
    let seed = wuye_tests::seed::seed("concurrent_writers_on_several_connections");
    let (_net, site, docs) = site_with(120, seed);
    let peer = site_peer(site);
    let chunks: Vec<Vec<DocPayload>> = docs.chunks(3).map(<[DocPayload]>::to_vec).collect();
    let per_writer = chunks.len().div_ceil(4);
    let mut writers = Vec::new();
    for (w, part) in chunks.chunks(per_writer).enumerate() {
        let (url, peer, part) = (url.clone(), peer.clone(), part.to_vec());
        writers.push(std::thread::spawn(move || {
            let mut store = PgStore::connect(&url).unwrap();
            for (i, batch) in part.into_iter().enumerate() {
                store.apply(&peer, site, batch, (w * 1000 + i) as Seq).unwrap();
            }
        }));
    }
    let mut reader = PgStore::connect(&url).unwrap();
    let mut seen = std::collections::HashSet::new();
    let mut cursor = 0;
    while writers.iter().any(|w| !w.is_finished()) {
        let out = reader.outgoing("reader", site, cursor).unwrap();
        seen.extend(out.docs.iter().map(|d| d.id));
        cursor = out.upto;
    }
    for w in writers {
        w.join().unwrap();
    }
    loop {
        let out = reader.outgoing("reader", site, cursor).unwrap();
        if out.docs.is_empty() && !out.more {
            break;
        }
        seen.extend(out.docs.iter().map(|d| d.id));
        cursor = out.upto;
    }
    assert_eq!(seen.len(), docs.len(), "seed {seed}: the reader saw every record");
}

/// Every list the front ends ask for (by site, by state, by a field, by
/// text, within sort keys, page by page either way) gives the same records
/// in the same order from PostgreSQL's projections as from SQLite's.
#[test]
fn lists_and_pages_read_the_same_from_postgresql_as_from_sqlite() {
    use wuye_node::{Filter, Page, Records};
    use wuye_protocol::complaint::Complaint;
    let Some(pg) = Postgres::start() else { return };
    let (_net, site, docs) = site_with(40, 11);
    let peer = site_peer(site);
    let mut sqlite = Store::open_in_memory().unwrap();
    sqlite.apply(&peer, site, docs.clone(), 1).unwrap();
    let mut postgres = PgStore::connect(&pg.database()).unwrap();
    postgres.apply(&peer, site, docs, 1).unwrap();
    let all: Vec<Complaint> = Records::list(&sqlite, &Filter::default(), &Page::all()).unwrap().items;
    let middle = wuye_protocol::time::to_stored(all[all.len() / 2].received_at.utc());
    let filters = [
        Filter::default(),
        Filter { site: Some(site), ..Filter::default() },
        Filter { site: Some(SiteId::random(&mut rand::thread_rng())), ..Filter::default() },
        Filter { statuses: vec!["registered".into(), "assigned".into()], ..Filter::default() },
        Filter { fields: vec![("major", "true".into())], ..Filter::default() },
        Filter { fields: vec![("unit", all[3].unit.clone())], ..Filter::default() },
        Filter { contains: Some("张伟".into()), ..Filter::default() },
        Filter { contains: Some("楼上漏水".into()), ..Filter::default() },
        Filter { sort_from: Some(middle.clone()), ..Filter::default() },
        Filter { sort_before: Some(middle), ..Filter::default() },
    ];
    let walk = |store: &dyn Fn(&Filter, &Page) -> wuye_node::Paged<Complaint>, filter: &Filter, newest: bool| {
        let mut ids = Vec::new();
        let mut page = Page { limit: Some(7), after: None, newest_first: newest };
        loop {
            let got = store(filter, &page);
            ids.extend(got.items.iter().map(|c| c.id));
            match got.next {
                Some(next) => page.after = Some(next),
                None => break,
            }
        }
        ids
    };
    let on_sqlite = |f: &Filter, p: &Page| Records::list::<Complaint>(&sqlite, f, p).unwrap();
    let on_postgres = |f: &Filter, p: &Page| Records::list::<Complaint>(&postgres, f, p).unwrap();
    for filter in &filters {
        for newest in [false, true] {
            let (a, b) = (walk(&on_sqlite, filter, newest), walk(&on_postgres, filter, newest));
            assert_eq!(a, b, "{filter:?}, newest first: {newest}");
        }
        let whole: Vec<Complaint> = Records::list(&postgres, filter, &Page::all()).unwrap().items;
        assert_eq!(whole, Records::list::<Complaint>(&sqlite, filter, &Page::all()).unwrap().items, "{filter:?}");
    }
    assert_eq!(walk(&on_postgres, &filters[0], false).len(), 40);
    assert!(!walk(&on_postgres, &filters[4], false).is_empty(), "some complaints are major");
    let (from, before) = (walk(&on_postgres, &filters[8], false), walk(&on_postgres, &filters[9], false));
    assert!(!from.is_empty() && !before.is_empty() && from.len() + before.len() == 40, "the middle splits the list");
    let one = all[7].id;
    assert_eq!(Records::view::<Complaint>(&postgres, one).unwrap(), Records::view::<Complaint>(&sqlite, one).unwrap());
}

/// What a BI tool reads: the `bi_*` views (docs/SCHEMA.md) have one row per
/// complaint, work order, bill and payment synced, with plain columns equal
/// to the records' own fields, and no phone number anywhere in them.
#[test]
fn bi_tools_read_complaints_repairs_bills_and_payments_as_plain_columns() {
    use wuye_app::desk::{Actor, NewPayment, NewRenovation};
    use wuye_protocol::fee::PayMethod;
    use wuye_protocol::house::{self, HouseState};
    use wuye_protocol::money::Fen;
    use wuye_protocol::renovation::{Action, Contractor, WorkItem};
    use wuye_protocol::repair::{Category, NewRepair, Urgency};
    use wuye_protocol::rules::Channel;
    use wuye_protocol::staff::Role;
    let Some(pg) = Postgres::start() else { return };
    let (mut net, site, _) = site_with(5, 13);
    let desk = &mut net.sites[0].desk;
    let manager = Actor::of(&desk.add_staff("王经理", Role::Manager, "客服中心").unwrap());
    let repair = NewRepair {
        unit: Some("3栋2单元501".into()),
        area: None,
        category: Category::Water,
        description: "水管爆裂".into(),
        channel: Channel::Phone,
        urgency: Urgency::Emergency,
        appointment: None,
        paid: true,
        reporter: "张伟".into(),
        reporter_phone: "13800000000".into(),
    };
    desk.add_repair(&repair, &manager).unwrap();
    let sheet: Vec<Vec<String>> =
        [["楼栋", "单元", "楼层", "房号", "类型", "建筑面积"], ["3栋", "2单元", "5", "501", "住宅", "89.50"]]
            .iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
    desk.import_houses(&sheet, &manager).unwrap();
    let now = desk.now();
    let h = desk.houses(None, None).unwrap().remove(0);
    desk.store.edit(h.id, |doc| house::set_state(doc, now, "王经理", HouseState::HandedOver, "")).unwrap();
    let today = now.with_timezone(&desk.site.timezone).date_naive();
    let contractor = Contractor {
        name: "安居装饰".into(),
        licence: "L1".into(),
        manager: "李工".into(),
        phone: "13900000000".into(),
    };
    let new = NewRenovation {
        house: "3栋2单元501".into(),
        owner: "张伟".into(),
        phone: "13800000000".into(),
        contractor,
        items: vec![WorkItem::Flooring],
        start: today,
        end: today + chrono::Duration::days(20),
    };
    let r = desk.apply_renovation(&new, &manager).unwrap();
    desk.renovation_step(&r.id.to_string(), Action::Approve, "", None, &manager).unwrap();
    let pay = NewPayment {
        house: "3栋2单元501",
        payer: "张伟",
        method: PayMethod::Cash,
        amount: Fen::yuan(2_000),
        bills: Vec::new(),
        waive: None,
    };
    desk.take_payment(&pay, &manager).unwrap();
    let docs = desk.store.outgoing(SERVER_PEER, site, 0).unwrap().docs;
    let mut store = PgStore::connect(&pg.database()).unwrap();
    store.apply(&site_peer(site), site, docs, 1).unwrap();

    let complaints = store.query_text("SELECT unit, channel, major, status FROM bi_complaints ORDER BY unit").unwrap();
    assert_eq!(complaints.len(), 5);
    for row in &complaints {
        let expected = if row[2].as_deref() == Some("t") { "escalated" } else { "registered" };
        assert_eq!(row[3].as_deref(), Some(expected), "a major complaint goes to the manager: {complaints:?}");
    }
    let repairs = store.query_text("SELECT place, category, urgency, paid, status FROM bi_repairs").unwrap();
    assert_eq!(
        repairs,
        vec![vec![
            Some("3栋2单元501".into()),
            Some("water".into()),
            Some("emergency".into()),
            Some("t".into()),
            Some("reported".into())
        ]]
    );
    let bills = store
        .query_text(
            "SELECT item, fee_kind, amount_fen, reduced_fen, period_start FROM bi_bills ORDER BY amount_fen DESC",
        )
        .unwrap();
    assert_eq!(bills.len(), 2, "the deposit and the rubbish removal: {bills:?}");
    assert_eq!(bills[0][0].as_deref(), Some("装修押金"));
    assert_eq!((bills[0][2].as_deref(), bills[0][3].as_deref()), (Some("200000"), Some("0")));
    assert_eq!(bills[0][4].as_deref(), Some(today.to_string().as_str()));
    let payments = store.query_text("SELECT receipt, pay_kind, method, received_fen, voided FROM bi_payments").unwrap();
    assert_eq!(
        payments,
        vec![vec![
            Some("1".into()),
            Some("receipt".into()),
            Some("cash".into()),
            Some("200000".into()),
            Some("f".into())
        ]]
    );
    for view in ["bi_complaints", "bi_repairs", "bi_bills", "bi_payments"] {
        let text = store.query_text(&format!("SELECT row_to_json(v)::text FROM {view} v")).unwrap();
        assert!(text.iter().flatten().flatten().all(|row| !row.contains("13800000000")), "{view} shows no phone");
    }
}
