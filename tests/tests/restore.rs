//! A peer that went back in time (restored from a copy) or was duplicated
//! (a folder copied to a second PC) loses nothing: socket-free, in one
//! process, every message through the frame codec.

use wuye_node::Records as _;
use wuye_protocol::complaint::Complaint;
use wuye_protocol::sync::SessionError;
use wuye_protocol::wire::ErrorCode;
use wuye_tests::harness::{sample, Network};

fn one_site() -> Network {
    let mut net = Network::new(7);
    net.add_site("朝阳花园管理处");
    net
}

fn count_at_site(net: &Network, i: usize) -> usize {
    net.sites[i].desk.store.all::<Complaint>(None).unwrap().len()
}

fn count_at_office(net: &Network) -> usize {
    net.office.store.all::<Complaint>(None).unwrap().len()
}

#[test]
fn a_site_restored_from_last_nights_copy_gets_back_what_it_lost_and_sends_what_it_made_since() {
    let dir = tempfile::tempdir().unwrap();
    let mut net = one_site();
    for n in 0..5 {
        net.add_complaint(0, &sample(n, false));
    }
    net.round(0).unwrap();
    let copy = net.snapshot_site(0, dir.path());
    for n in 5..10 {
        net.add_complaint(0, &sample(n, false));
    }
    net.round(0).unwrap();
    assert_eq!(count_at_office(&net), 10);

    net.restore_site(0, &copy);
    assert_eq!(count_at_site(&net, 0), 5, "the copy lacks the last five");
    for n in 10..13 {
        net.add_complaint(0, &sample(n, false));
    }
    let report = net.round(0).unwrap();
    assert!(report.reconciled, "the round saw that the site went back in time");
    assert_eq!(report.pushed, 3, "only the three new complaints go up");
    assert_eq!(report.pulled, 5, "the five it lost come back");
    assert_eq!(count_at_office(&net), 13);
    assert_eq!(count_at_site(&net, 0), 13);
    let again = net.round(0).unwrap();
    assert!(!again.reconciled, "one reconciliation, then ordinary rounds");
    assert_eq!((again.pushed, again.pulled), (0, 0));
    net.assert_converged();
}

#[test]
fn head_office_restored_from_an_older_copy_gets_back_what_it_lost_and_its_new_decisions_reach_the_site() {
    let dir = tempfile::tempdir().unwrap();
    let mut net = one_site();
    let mut ids = Vec::new();
    for n in 0..6 {
        ids.push(net.add_complaint(0, &sample(n, true)).id.to_string());
    }
    net.round(0).unwrap();
    for id in &ids[..3] {
        net.office
            .decide(&wuye_server::people::Actor::CommandLine("物业公司经理".into()), id, "总部决定：三日内修复")
            .unwrap();
    }
    let copy = net.snapshot_office(dir.path());
    for id in &ids[3..] {
        net.office
            .decide(&wuye_server::people::Actor::CommandLine("物业公司经理".into()), id, "总部决定：公司承担费用")
            .unwrap();
    }
    net.round(0).unwrap();
    for n in 6..9 {
        net.add_complaint(0, &sample(n, false));
    }
    net.round(0).unwrap();
    assert_eq!(count_at_office(&net), 9);

    net.restore_office(&copy);
    assert_eq!(count_at_office(&net), 6, "the copy lacks what came after it");
    // Decisions made after the restore, on complaints whose earlier decisions the copy lacks.
    for id in &ids[3..] {
        net.office.note(&wuye_server::people::Actor::CommandLine("品质部".into()), id, "总部复核").unwrap();
    }
    let report = net.round(0).unwrap();
    assert!(report.reconciled);
    net.round(0).unwrap();
    assert_eq!(count_at_office(&net), 9);
    let decided = |c: &Complaint| c.decision.is_some();
    let at_site = net.sites[0].desk.store.all::<Complaint>(None).unwrap();
    let at_office = net.office.store.all::<Complaint>(None).unwrap();
    assert_eq!(at_site.iter().filter(|c| decided(c)).count(), 6);
    assert_eq!(at_office.iter().filter(|c| decided(c)).count(), 6, "the decisions the copy lacked came back");
    assert!(at_site.iter().filter(|c| c.notes.iter().any(|n| n.text == "总部复核")).count() == 3);
    net.assert_converged();
}

#[test]
fn a_folder_copied_to_a_second_pc_is_refused_until_it_is_enrolled_and_then_nothing_either_made_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let mut net = one_site();
    net.add_complaint(0, &sample(0, false));
    net.round(0).unwrap();
    let copy = net.copy_site(0, dir.path());
    net.add_complaint(0, &sample(1, false));
    net.add_complaint(copy, &sample(2, false));
    net.add_complaint(0, &sample(3, false));
    net.add_complaint(copy, &sample(4, false));
    net.round(0).unwrap();
    match net.round(copy) {
        Err(SessionError::Remote { code: ErrorCode::Unauthorized, message }) => {
            assert!(message.contains("another copy") && message.contains("enroll"), "{message}");
        }
        other => panic!("the copy must be refused, got {other:?}"),
    }
    assert_eq!(count_at_site(&net, copy), 3, "the refused copy keeps what it holds");
    assert_eq!(count_at_office(&net), 3);

    // The office keeps the copy: a new enrollment code for the site, taken by the copy.
    let site = net.site_id(0).to_string();
    let code = net.office.rotate_site(&wuye_server::people::Actor::CommandLine("运维".into()), &site).unwrap().code;
    net.sites[copy].config.enroll_code = Some(code);
    net.sites[copy].config.token = "c".repeat(64);
    let report = net.round(copy).unwrap();
    assert!(report.reconciled, "the copy reconciles first");
    net.round(copy).unwrap();
    assert_eq!(count_at_office(&net), 5, "both copies' complaints arrived");
    assert_eq!(count_at_site(&net, copy), 5);
    assert!(net.round(0).is_err(), "from now on the other copy is refused");
}

/// A record of a kind this build does not know (a newer release made it) is
/// kept and passed on unchanged, never dropped or refused as malformed.
#[test]
fn a_record_of_a_kind_this_build_does_not_know_is_kept_and_passed_on() {
    use automerge::transaction::Transactable;
    use wuye_protocol::sync::{site_peer, SyncStore};
    use wuye_protocol::wire::{heads_to_wire, DocPayload};
    let mut net = one_site();
    net.round(0).unwrap();
    let site = net.site_id(0);
    let id = wuye_protocol::ids::RecordId::random(&mut rand::thread_rng());
    let mut doc = automerge::AutoCommit::new();
    for (key, value) in [
        ("kind", "parcel".to_string()),
        ("id", id.to_string()),
        ("site_id", site.to_string()),
        ("created_at", "2026-11-27T01:00:00Z".to_string()),
        ("created_by", "收发员".to_string()),
        ("timezone", "Asia/Shanghai".to_string()),
        ("reading", "1234.5".to_string()),
    ] {
        doc.put(automerge::ROOT, key, value).unwrap();
    }
    doc.put(automerge::ROOT, "schema", automerge::ScalarValue::Uint(1)).unwrap();
    let payload = |doc: &mut automerge::AutoCommit| DocPayload {
        id,
        kind: "parcel".into(),
        full: true,
        heads: heads_to_wire(&doc.get_heads()),
        bytes: doc.save(),
    };
    // Head office holds it (a newer site sent it), and passes it on to this site.
    let applied = net.office.apply(&site_peer(site), site, vec![payload(&mut doc)], 0).unwrap();
    assert_eq!((applied.held.len(), applied.refused.len()), (1, 0), "{applied:?}");
    let report = net.round(0).unwrap();
    assert_eq!(report.pulled, 1, "{report:?}");
    assert!(report.refused_here.is_empty(), "{report:?}");
    let held = |store: &wuye_node::Store| -> (String, Vec<u8>) {
        store
            .conn()
            .query_row("SELECT kind, heads FROM docs WHERE id = ?1", [id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
    };
    assert_eq!(held(&net.sites[0].desk.store).0, "parcel");
    assert_eq!(held(&net.sites[0].desk.store), held(&net.office.store), "the same history on both sides");
    // A later change to it reaches the site too, and lists and rebuilds pass it by.
    doc.put(automerge::ROOT, "reading", "1240.0").unwrap();
    net.office.apply(&site_peer(site), site, vec![payload(&mut doc)], 0).unwrap();
    net.round(0).unwrap();
    assert_eq!(held(&net.sites[0].desk.store), held(&net.office.store));
    assert_eq!(
        net.sites[0].desk.store.rebuild_projections().unwrap(),
        0,
        "the one record held is of a kind not known here: kept, not projected"
    );
    let again = net.round(0).unwrap();
    assert_eq!((again.pushed, again.pulled), (0, 0));
}
