use super::*;
use crate::Records as _;
use rand::SeedableRng;
use wuye_protocol::complaint::Complaint;
use wuye_protocol::complaint::NewComplaint;
use wuye_protocol::doc::RecordKind;
use wuye_protocol::ids::EventId;
use wuye_protocol::rules::Channel;

fn with_complaints(n: usize) -> (Store, Vec<RecordId>) {
    complaints_in(Store::open_in_memory().unwrap(), n)
}

fn complaints_in(mut store: Store, n: usize) -> (Store, Vec<RecordId>) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let site = SiteId::random(&mut rng);
    let now = wuye_protocol::time::from_stored("2026-11-27T01:00:00Z").unwrap();
    let ids = (0..n)
        .map(|i| {
            let mut doc = wuye_protocol::complaint::create(
                RecordId::random(&mut rng),
                site,
                chrono_tz::Asia::Shanghai,
                now + chrono::Duration::minutes(i as i64),
                "客服员",
                EventId::random(&mut rng),
                &NewComplaint {
                    phone: String::new(),
                    customer: format!("住户{i}"),
                    unit: "1栋101".into(),
                    channel: Channel::Visit,
                    summary: "噪音".into(),
                    category: "噪音".into(),
                    departments: vec![],
                    major: false,
                },
            )
            .unwrap();
            store.insert_new(&mut doc).unwrap().id()
        })
        .collect();
    (store, ids)
}

#[test]
fn ids_resolve_from_unique_prefixes_only() {
    let (store, ids) = with_complaints(40);
    let full = ids[0].to_string();
    assert_eq!(store.resolve(RecordKind::Complaint, &full).unwrap(), ids[0]);
    assert_eq!(store.resolve(RecordKind::Complaint, &full[..13].to_uppercase()).unwrap(), ids[0]);
    assert!(matches!(store.resolve(RecordKind::Complaint, "ab"), Err(StoreError::PrefixTooShort(_))));
    assert!(matches!(store.resolve(RecordKind::Complaint, "zzzz"), Err(StoreError::NotFound { .. })));
    for (seq, id) in ["abcd0000-0000-4000-8000-000000000000", "abcd1111-0000-4000-8000-000000000000"].iter().enumerate()
    {
        store
            .conn()
            .execute(
                "INSERT INTO docs (id, kind, site, seq, heads, bytes) VALUES (?1, 'complaint', 0, ?2, x'', x'')",
                params![id, seq as i64],
            )
            .unwrap();
    }
    assert!(matches!(store.resolve(RecordKind::Complaint, "abcd"), Err(StoreError::Ambiguous(_))));
    assert_eq!(
        store.resolve(RecordKind::Complaint, "abcd1").unwrap().to_string(),
        "abcd1111-0000-4000-8000-000000000000"
    );
}

#[test]
fn projections_rebuild_to_the_same_rows() {
    let (mut store, _) = with_complaints(12);
    let before = store.all::<Complaint>(None).unwrap();
    assert_eq!(store.rebuild_projections().unwrap(), 12);
    assert_eq!(store.all::<Complaint>(None).unwrap(), before);
    assert_eq!(before[0].customer, "住户0", "oldest first");
}

#[test]
fn a_refused_edit_leaves_the_record_and_its_sequence_alone() {
    let (mut store, ids) = with_complaints(1);
    let seq_before: i64 = store.conn().query_row("SELECT seq FROM docs", [], |r| r.get(0)).unwrap();
    let err = store.edit(ids[0], |_| Err(RuleError::Empty("note"))).unwrap_err();
    assert!(err.to_string().contains("note is empty"), "{err}");
    let seq_after: i64 = store.conn().query_row("SELECT seq FROM docs", [], |r| r.get(0)).unwrap();
    assert_eq!(seq_before, seq_after);
}

#[test]
fn a_replaced_record_is_deleted_and_never_taken_again() {
    use wuye_protocol::resident::{self, NewResident, Resident};
    use wuye_protocol::sync::SyncStore;
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let mut store = Store::open_in_memory().unwrap();
    let site = SiteId::random(&mut rng);
    let tz = chrono_tz::Asia::Shanghai;
    let now = wuye_protocol::time::from_stored("2026-11-27T01:00:00Z").unwrap();
    let input = NewResident { unit: "1栋101".into(), name: "张伟".into(), ..NewResident::default() };
    let (mut old_doc, _) = resident::create(RecordId::random(&mut rng), site, tz, now, "李娜", &input).unwrap();
    let old: Resident = Store::typed(store.insert_new(&mut old_doc).unwrap()).unwrap();
    let (new_doc, _) = resident::replacement(&old, RecordId::random(&mut rng), tz).unwrap();
    store.insert_batch(&mut [new_doc]).unwrap();
    assert!(matches!(store.load(old.id), Err(StoreError::NotFound { .. })));
    assert_eq!(store.all::<Resident>(None).unwrap().len(), 1);

    // A peer that still holds the old document sends it: acknowledged, not stored.
    let payload = wuye_protocol::wire::DocPayload {
        id: old.id,
        kind: RecordKind::Resident.as_str().to_string(),
        full: true,
        bytes: old_doc.save(),
        heads: heads_to_wire(&old_doc.get_heads()),
    };
    let applied = store.apply("peer", site, vec![payload], 1).unwrap();
    assert_eq!(applied.held.len(), 1);
    assert!(applied.refused.is_empty() && applied.need_full.is_empty());
    assert!(matches!(store.load(old.id), Err(StoreError::NotFound { .. })));
    assert_eq!(store.all::<Resident>(None).unwrap().len(), 1);
}

/// Every count the triggers keep, against a count of the rows themselves.
fn counts_agree(store: &Store) {
    let mut stmt = store
        .conn()
        .prepare("SELECT kind, site_id, status, count(*) FROM projections GROUP BY kind, site_id, status")
        .unwrap();
    let rows: Vec<(String, String, String, i64)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).unwrap().map(Result::unwrap).collect();
    for (kind, site, status, n) in &rows {
        let kind = RecordKind::parse(kind).unwrap();
        let site: SiteId = site.parse().unwrap();
        assert_eq!(store.count_in_state(kind, Some(site), status).unwrap() as i64, *n, "{kind:?} {status}");
    }
    let kept: i64 =
        store.conn().query_row("SELECT coalesce(sum(n), 0) FROM projection_counts", [], |r| r.get(0)).unwrap();
    assert_eq!(kept, rows.iter().map(|r| r.3).sum::<i64>(), "no count left over for rows gone");
}

#[test]
fn counts_by_state_follow_every_insert_step_purge_and_rebuild() {
    let (mut store, ids) = with_complaints(12);
    counts_agree(&store);
    assert_eq!(store.count_in_state(RecordKind::Complaint, None, "registered").unwrap(), 12);
    let now = wuye_protocol::time::from_stored("2026-11-27T05:00:00Z").unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    for id in &ids[..5] {
        store
            .edit(*id, |doc| wuye_protocol::complaint::assign(doc, EventId::random(&mut rng), now, "客服员", "维修部"))
            .unwrap();
    }
    // A note keeps the state: the count must not move.
    store
        .edit(ids[0], |doc| wuye_protocol::complaint::add_note(doc, EventId::random(&mut rng), now, "客服员", "已联系"))
        .unwrap();
    counts_agree(&store);
    sums_agree(&store);
    assert_eq!(store.count_in_state(RecordKind::Complaint, None, "assigned").unwrap(), 5);
    assert_eq!(store.count_in_state(RecordKind::Complaint, None, "registered").unwrap(), 7);
    // A result and a visit the next day add facts on other days.
    let next_day = now + chrono::Duration::days(1);
    store
        .edit(ids[1], |doc| wuye_protocol::complaint::resolve(doc, EventId::random(&mut rng), now, "客服员", "已修好"))
        .unwrap();
    store
        .edit(ids[1], |doc| {
            wuye_protocol::complaint::visit(doc, EventId::random(&mut rng), next_day, "客服员", 4, "满意")
        })
        .unwrap();
    sums_agree(&store);
    let tx = store.conn.transaction().unwrap();
    let mut tally = super::Tally::default();
    purge(&tx, &mut tally, ids[11]).unwrap();
    tally.flush(&tx).unwrap();
    tx.commit().unwrap();
    counts_agree(&store);
    sums_agree(&store);
    assert_eq!(store.count_in_state(RecordKind::Complaint, None, "registered").unwrap(), 6);
    store.rebuild_projections().unwrap();
    counts_agree(&store);
    sums_agree(&store);
    assert_eq!(store.count_in_state(RecordKind::Complaint, None, "assigned").unwrap(), 4);
}

/// The figures' sums by day and by month equal the facts of the records stored, added up afresh.
fn sums_agree(store: &Store) {
    use std::collections::BTreeMap;
    let mut by_day: BTreeMap<(String, String, String), i64> = BTreeMap::new();
    let mut by_month: BTreeMap<(String, String, String), i64> = BTreeMap::new();
    let mut stmt = store.conn.prepare("SELECT site_id, facts FROM projections").unwrap();
    let rows: Vec<(String, String)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().collect::<Result<_, _>>().unwrap();
    for (site, facts) in rows {
        for (metric, day, n) in wuye_protocol::kpi::decode(&facts) {
            *by_day.entry((day.to_string(), site.clone(), metric.clone())).or_default() += n;
            *by_month.entry((day.format("%Y-%m").to_string(), site.clone(), metric)).or_default() += n;
        }
    }
    let read = |table: &str| -> BTreeMap<(String, String, String), i64> {
        let mut stmt = store.conn.prepare(&format!("SELECT * FROM {table}")).unwrap();
        let rows = stmt.query_map([], |r| Ok(((r.get(0)?, r.get(1)?, r.get(2)?), r.get(3)?))).unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    };
    assert!(!by_day.is_empty());
    assert_eq!(read("kpi_day"), by_day);
    assert_eq!(read("kpi_month"), by_month);
}

#[test]
fn sums_follow_documents_received_new_and_merged_again() {
    use wuye_protocol::sync::SyncStore;
    let (mut site, ids) = with_complaints(6);
    let owner = site.get::<Complaint>(ids[0]).unwrap().site_id;
    let now = wuye_protocol::time::from_stored("2026-11-28T01:00:00Z").unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    let mut office = Store::open_in_memory().unwrap();
    let send = |from: &mut Store, to: &mut Store| {
        let out = from.outgoing("office", owner, 0).unwrap();
        to.apply("site", owner, out.docs, out.upto).unwrap();
    };
    send(&mut site, &mut office);
    sums_agree(&office);
    // A result and a visit at the site, received again: the office takes back the old facts.
    site.edit(ids[2], |doc| wuye_protocol::complaint::resolve(doc, EventId::random(&mut rng), now, "客服员", "已处理"))
        .unwrap();
    site.edit(ids[2], |doc| {
        wuye_protocol::complaint::visit(doc, EventId::random(&mut rng), now, "客服员", 2, "不满意")
    })
    .unwrap();
    send(&mut site, &mut office);
    sums_agree(&office);
    let visits: i64 =
        office.conn.query_row("SELECT sum(n) FROM kpi_day WHERE metric = 'visits'", [], |r| r.get(0)).unwrap();
    assert_eq!(visits, 1);
}

#[test]
fn the_log_has_a_size_limit_and_the_closing_checkpoint_empties_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.db");
    let store = Store::open(&path).unwrap();
    let limit: i64 = store.conn().pragma_query_value(None, "journal_size_limit", |r| r.get(0)).unwrap();
    assert_eq!(limit, WAL_LIMIT_BYTES);
    store.defer_checkpoints().unwrap();
    store.set_wal_limit(1 << 30).unwrap();
    let (store, _) = complaints_in(store, 300);
    let wal = dir.path().join("server.db-wal");
    let size = || std::fs::metadata(&wal).map_or(0, |m| m.len());
    assert!(size() > 0, "the writes went to the log");
    store.checkpoint().unwrap();
    assert!(size() > 0, "a log within its limit is copied and its file left for reuse");
    store.checkpoint_fully().unwrap();
    assert_eq!(size(), 0, "the closing checkpoint empties it");
    // A log grown past its limit is emptied by the regular checkpoint once copied.
    store.set_wal_limit(64 * 1024).unwrap();
    let (store, _) = complaints_in(store, 300);
    assert!(size() > 64 * 1024, "the burst grew the log past the limit: {} bytes", size());
    store.checkpoint().unwrap();
    assert_eq!(size(), 0, "a regular checkpoint cut the log back");
    assert_eq!(store.wal_bytes(), 0);
}

/// What a round's health report counts as waiting: documents changed after
/// the round's pushes that the peer does not hold as they are, found by the
/// sequence's index; what the peer confirmed, or what was numbered before
/// `after`, is not counted.
#[test]
fn records_waiting_are_those_changed_after_the_pushes_and_not_held() {
    use wuye_protocol::sync::{SyncStore, SERVER_PEER};
    let (mut store, ids) = with_complaints(3);
    let site: SiteId = store.get::<Complaint>(ids[0]).unwrap().site_id;
    let seq = |store: &Store, id: RecordId| -> Seq {
        store.conn().query_row("SELECT seq FROM docs WHERE id = ?1", [id.to_string()], |r| r.get::<_, i64>(0)).unwrap()
            as Seq
    };
    assert_eq!(store.unconfirmed_after(SERVER_PEER, site, 0).unwrap(), 3);
    assert_eq!(
        store.unconfirmed_after(SERVER_PEER, site, 0).unwrap(),
        store.unconfirmed_count(SERVER_PEER, site).unwrap()
    );
    store.mark_held(SERVER_PEER, &ids[..2]).unwrap();
    assert_eq!(store.unconfirmed_after(SERVER_PEER, site, 0).unwrap(), 1, "the peer holds two");
    let last = seq(&store, ids[2]);
    assert_eq!(store.unconfirmed_after(SERVER_PEER, site, last).unwrap(), 0, "nothing changed after the pushes");
    // A note written after the pushes: the held record changed, and it waits.
    store
        .edit(ids[0], |doc| {
            wuye_protocol::complaint::add_note(
                doc,
                EventId::random(&mut rand::thread_rng()),
                chrono::Utc::now(),
                "客服员",
                "已回访",
            )
        })
        .unwrap();
    assert_eq!(store.unconfirmed_after(SERVER_PEER, site, last).unwrap(), 1);
    assert_eq!(store.unconfirmed_after(SERVER_PEER, SiteId::random(&mut rand::thread_rng()), 0).unwrap(), 0);
}

#[test]
fn an_edit_keeps_its_changes_for_the_next_push_and_they_are_what_loading_would_send() {
    use wuye_protocol::sync::{site_peer, SyncStore, SERVER_PEER};
    let note = |store: &mut Store, id: RecordId, text: &str| {
        store
            .edit(id, |doc| {
                wuye_protocol::complaint::add_note(
                    doc,
                    EventId::random(&mut rand::thread_rng()),
                    chrono::Utc::now(),
                    "客服员",
                    text,
                )
            })
            .unwrap();
    };
    let pending = |store: &Store, id: RecordId| -> Option<Vec<u8>> {
        store.conn().query_row("SELECT pending FROM docs WHERE id = ?1", [id.to_string()], |r| r.get(0)).unwrap()
    };
    let (mut site, ids) = with_complaints(3);
    let site_id: SiteId = site.get::<Complaint>(ids[0]).unwrap().site_id;
    // Nothing is kept while head office holds nothing: the whole document goes.
    note(&mut site, ids[0], "已联系业主");
    assert_eq!(pending(&site, ids[0]), None);
    let mut office = Store::open_in_memory().unwrap();
    let first = site.outgoing(SERVER_PEER, site_id, 0).unwrap();
    let applied = office.apply(&site_peer(site_id), site_id, first.docs, first.upto).unwrap();
    site.acknowledge(SERVER_PEER, &applied.held, &[]).unwrap();

    // Two notes on one record and one on another after head office holds them.
    note(&mut site, ids[0], "维修工已上门");
    note(&mut site, ids[0], "业主满意");
    note(&mut site, ids[1], "已回访");
    assert!(pending(&site, ids[0]).is_some() && pending(&site, ids[1]).is_some());
    let kept = site.outgoing(SERVER_PEER, site_id, 0).unwrap();
    assert_eq!(kept.docs.len(), 2);
    assert!(kept.docs.iter().all(|d| !d.full), "changes, not whole documents");
    // The same as loading each document and computing its changes.
    site.conn().execute_batch("UPDATE docs SET pending = NULL, pending_base = NULL").unwrap();
    assert_eq!(site.outgoing(SERVER_PEER, site_id, 0).unwrap().docs, kept.docs);
    note(&mut site, ids[1], "再次回访");

    let now = site.outgoing(SERVER_PEER, site_id, 0).unwrap();
    let applied = office.apply(&site_peer(site_id), site_id, now.docs, now.upto).unwrap();
    assert!(applied.refused.is_empty() && applied.need_full.is_empty());
    for id in &ids[..2] {
        assert_eq!(office.get::<Complaint>(*id).unwrap(), site.get::<Complaint>(*id).unwrap());
    }
    // Once head office confirms them they are dropped.
    site.acknowledge(SERVER_PEER, &applied.held, &[]).unwrap();
    assert_eq!((pending(&site, ids[0]), pending(&site, ids[1])), (None, None));
    assert!(site.outgoing(SERVER_PEER, site_id, 0).unwrap().docs.is_empty());

    // Kept changes are after exactly the heads head office held: once it holds
    // others (a decision of its own merged back), they are not used, and a
    // document received over an edited one drops them.
    note(&mut site, ids[2], "已派人查看");
    let out = site.outgoing(SERVER_PEER, site_id, 0).unwrap();
    office.apply(&site_peer(site_id), site_id, out.docs, out.upto).unwrap();
    note(&mut office, ids[2], "总部已督办");
    let down = office.outgoing(&site_peer(site_id), site_id, 0).unwrap();
    assert_eq!(down.docs.len(), 1);
    assert!(pending(&site, ids[2]).is_some());
    site.apply(SERVER_PEER, site_id, down.docs, down.upto).unwrap();
    assert_eq!(pending(&site, ids[2]), None, "a document received drops the changes kept before it");
    assert_eq!(office.get::<Complaint>(ids[2]).unwrap().notes, site.get::<Complaint>(ids[2]).unwrap().notes);
}

#[test]
fn a_batch_of_packed_documents_is_limited_by_what_goes_on_the_wire() {
    use wuye_protocol::sync::{SyncStore, SERVER_PEER};
    use wuye_protocol::wire::{MAX_BATCH_BYTES, MAX_DOC_BYTES};
    // Documents that pack small (long notes of repeated text) but go whole on the wire.
    let (mut site, ids) = with_complaints(24);
    let site_id: SiteId = site.get::<Complaint>(ids[0]).unwrap().site_id;
    let text = "楼道灯不亮，已报修。".repeat(200);
    for id in &ids {
        site.edit(*id, |doc| {
            for _ in 0..40 {
                let event = EventId::random(&mut rand::thread_rng());
                wuye_protocol::complaint::add_note(doc, event, chrono::Utc::now(), "客服员", &text)?;
            }
            Ok(())
        })
        .unwrap();
    }
    let stored: i64 = site.conn().query_row("SELECT sum(length(bytes)) FROM docs", [], |r| r.get(0)).unwrap();
    assert!((stored as usize) < MAX_BATCH_BYTES / 2, "packed, they are small: {stored} bytes");
    let (mut sent, mut batches, mut cursor) = (0, 0, 0);
    loop {
        let out = site.outgoing(SERVER_PEER, site_id, cursor).unwrap();
        let bytes: usize = out.docs.iter().map(|d| d.bytes.len()).sum();
        assert!(bytes <= MAX_BATCH_BYTES + MAX_DOC_BYTES, "a batch of {bytes} bytes would be refused");
        sent += out.docs.len();
        batches += usize::from(!out.docs.is_empty());
        cursor = out.upto;
        if !out.more {
            break;
        }
    }
    assert_eq!(sent, 24);
    assert!(batches > 1, "what goes on the wire, not what is stored, fills a batch");
}
