//! Randomised convergence in the socket-free harness: sites and head office
//! act concurrently through partitions that come and go; once the links heal,
//! every replica holds identical records and nothing reported saved is missing.
//!
//! Each case prints its seed; `WUYE_TEST_SEED=N` replays one, and
//! `WUYE_LONG_TESTS=1` runs many more cases.

use std::collections::{BTreeMap, BTreeSet};
use wuye_node::Records as _;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wuye_protocol::complaint::Complaint;
use wuye_protocol::ids::RecordId;
use wuye_server::office::OfficeStore;
use wuye_tests::harness::{sample, Network};
use wuye_tests::pg::Postgres;
use wuye_tests::seed;

/// What every side reported as saved, to check against at the end.
#[derive(Default)]
struct Ledger {
    complaints: BTreeMap<RecordId, usize>,
    notes: BTreeMap<RecordId, usize>,
    decided: BTreeSet<RecordId>,
}

/// A round of `site` that the line may cut after any message; it either
/// completes or is cut, never fails.
fn cut_round<S: OfficeStore>(net: &mut Network<S>, site: usize, rng: &mut StdRng, seed: u64) {
    let cut_after = if rng.gen_bool(0.3) { Some(rng.gen_range(1..12)) } else { None };
    let mut sent = 0;
    net.round_with(site, |m| {
        sent += 1;
        match cut_after {
            Some(limit) if sent > limit => None,
            _ => Some(m),
        }
    })
    .unwrap_or_else(|e| panic!("seed {seed}: a round either completes or is cut, never fails: {e}"));
}

fn run_case(seed: u64, sites: usize, steps: usize) {
    run_case_on(Network::new(seed), seed, sites, steps);
}

/// [`run_case`] with head office on the network's store.
fn run_case_on<S: OfficeStore>(mut net: Network<S>, seed: u64, sites: usize, steps: usize) {
    let mut rng = StdRng::seed_from_u64(seed);
    for i in 0..sites {
        net.add_site(&format!("小区{i}"));
    }
    let mut ledger = Ledger::default();
    let mut partitioned = vec![false; sites];
    for _ in 0..steps {
        net.clock.advance(chrono::Duration::seconds(rng.gen_range(1..600)));
        let site = rng.gen_range(0..sites);
        match rng.gen_range(0..100) {
            0..=29 => {
                let major = rng.gen_bool(0.3);
                let c = net.add_complaint(site, &sample(rng.gen_range(0..1000), major));
                ledger.complaints.insert(c.id, site);
            }
            30..=49 => {
                let own: Vec<RecordId> =
                    ledger.complaints.iter().filter(|(_, s)| **s == site).map(|(id, _)| *id).collect();
                if let Some(id) = own.get(rng.gen_range(0..own.len().max(1))).copied() {
                    net.sites[site].desk.add_note(&id.to_string(), "跟踪记录", "客服员").expect("note saves");
                    *ledger.notes.entry(id).or_default() += 1;
                }
            }
            50..=59 => {
                // Head office decides a major complaint it already holds.
                let held = net.office.store.all::<Complaint>(None).expect("office lists");
                let open: Vec<_> = held.iter().filter(|c| c.major && c.decision.is_none()).collect();
                if let Some(c) = open.get(rng.gen_range(0..open.len().max(1))) {
                    net.office
                        .decide(
                            &wuye_server::people::Actor::CommandLine("物业公司经理".into()),
                            &c.id.to_string(),
                            "总部决定",
                        )
                        .expect("decision saves");
                    ledger.decided.insert(c.id);
                }
            }
            60..=69 => partitioned[site] = !partitioned[site],
            _ => {
                if partitioned[site] {
                    continue;
                }
                cut_round(&mut net, site, &mut rng, seed);
            }
        }
    }
    // Heal every link and let the network settle.
    net.run_until_quiescent();
    net.assert_converged();
    for (id, site) in &ledger.complaints {
        let at_site = net.sites[*site]
            .desk
            .store
            .get::<Complaint>(*id)
            .unwrap_or_else(|e| panic!("seed {seed}: {id} lost at its site: {e}"));
        let at_office = net
            .office
            .store
            .view::<Complaint>(*id)
            .unwrap_or_else(|e| panic!("seed {seed}: {id} never reached head office: {e}"));
        assert_eq!(at_site, at_office, "seed {seed}");
        assert_eq!(at_site.notes.len(), ledger.notes.get(id).copied().unwrap_or(0), "seed {seed}: notes of {id}");
        assert_eq!(at_site.decision.is_some(), ledger.decided.contains(id), "seed {seed}: decision of {id}");
    }
    let total: usize = (0..sites).map(|i| net.sites[i].desk.store.all::<Complaint>(None).expect("lists").len()).sum();
    assert_eq!(total, ledger.complaints.len(), "seed {seed}: no site holds records that are not its own");
}

/// Runs `cases` cases (many more with `WUYE_LONG_TESTS`) from the printed seed named `name`,
/// each with a number of sites drawn from `sites`.
fn cases(name: &str, cases: u64, long: u64, sites: std::ops::RangeInclusive<usize>, run: fn(u64, usize, usize)) {
    let base = seed::seed(name);
    let cases = if seed::long() { long } else { cases };
    for case in 0..cases {
        let seed = base.wrapping_add(case);
        let mut rng = StdRng::seed_from_u64(seed);
        run(seed, rng.gen_range(sites.clone()), 150);
    }
    println!("{name}: {cases} cases from seed {base}");
}

#[test]
fn replicas_converge_after_random_operations_through_partitions() {
    cases("convergence", 12, 300, 3..=5, run_case);
}

/// The same random operations with head office on a real PostgreSQL (a
/// fresh database a case): the sync suite's guarantees on the second store.
#[test]
fn replicas_converge_with_head_office_on_postgresql() {
    let Some(pg) = Postgres::start() else { return };
    let base = seed::seed("convergence on postgresql");
    let cases = if seed::long() { 40 } else { 4 };
    for case in 0..cases {
        let seed = base.wrapping_add(case);
        let mut rng = StdRng::seed_from_u64(seed);
        let store = wuye_store_pg::PgStore::connect(&pg.database()).expect("the database answers");
        run_case_on(Network::over(store, seed), seed, rng.gen_range(3..=4), 150);
    }
    println!("convergence on postgresql: {cases} cases from seed {base}");
}

#[test]
fn a_site_offline_for_days_catches_up_in_one_round() {
    let seed = seed::seed("long outage");
    let mut rng = StdRng::seed_from_u64(seed);
    let mut net = Network::new(seed);
    net.add_site("朝阳花园管理处");
    let mut ids = Vec::new();
    for n in 0..200 {
        ids.push(net.add_complaint(0, &sample(n, n % 5 == 0)).id);
    }
    net.run_until_quiescent();
    // Days offline: 5,000 changes at the site, decisions at head office meanwhile.
    let mut changes = 0;
    while changes < 5_000 {
        net.clock.advance(chrono::Duration::seconds(rng.gen_range(10..120)));
        if rng.gen_bool(0.4) {
            ids.push(net.add_complaint(0, &sample(changes, changes % 7 == 0)).id);
        } else {
            let id = ids[rng.gen_range(0..ids.len())];
            net.sites[0].desk.add_note(&id.to_string(), "离线期间跟踪", "客服员").expect("note saves");
        }
        changes += 1;
    }
    let mut decided = 0;
    for c in net.office.store.all::<Complaint>(None).expect("lists") {
        if c.major && c.decision.is_none() {
            net.office
                .decide(&wuye_server::people::Actor::CommandLine("物业公司经理".into()), &c.id.to_string(), "总部批复")
                .expect("decides");
            decided += 1;
        }
    }
    let report = net.round(0).expect("one round");
    assert!(report.pulled >= decided, "head office's {decided} decisions came down: {report:?}");
    net.assert_converged();
    let after = net.round(0).expect("an idle round");
    assert_eq!((after.pushed, after.pulled), (0, 0), "one round was enough");
}

/// The ids each replica holds: every site's, then head office's (last).
fn holdings(net: &Network) -> Vec<BTreeSet<RecordId>> {
    let ids = |store: &wuye_node::Store| -> BTreeSet<RecordId> {
        store.all::<Complaint>(None).expect("lists").into_iter().map(|c| c.id).collect()
    };
    let mut out: Vec<BTreeSet<RecordId>> = net.sites.iter().map(|s| ids(&s.desk.store)).collect();
    out.push(ids(&net.office.store));
    out
}

/// Sites and head office act, sync through cut rounds, and now and then one
/// replica's store is replaced by a copy taken earlier (a restore from last
/// night's backup). Once the links heal, every replica holds the same records,
/// and every record some surviving replica held is everywhere it belongs.
fn run_restore_case(seed: u64, sites: usize, steps: usize) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut rng = StdRng::seed_from_u64(seed);
    let mut net = Network::new(seed);
    for i in 0..sites {
        net.add_site(&format!("小区{i}"));
    }
    // Every site enrolls first: a copy of head office from before a site
    // enrolled does not know its credential (the office then rotates it).
    net.run_until_quiescent();
    // Replica index: 0..sites are sites, `sites` is head office.
    let mut snapshots: Vec<Vec<std::path::PathBuf>> = vec![Vec::new(); sites + 1];
    let mut expected: BTreeMap<RecordId, usize> = BTreeMap::new();
    for _ in 0..steps {
        net.clock.advance(chrono::Duration::seconds(rng.gen_range(1..600)));
        let site = rng.gen_range(0..sites);
        match rng.gen_range(0..100) {
            0..=34 => {
                let c = net.add_complaint(site, &sample(rng.gen_range(0..1000), rng.gen_bool(0.3)));
                expected.insert(c.id, site);
            }
            35..=44 => {
                let own: Vec<RecordId> = expected.iter().filter(|(_, s)| **s == site).map(|(id, _)| *id).collect();
                if let Some(id) = own.get(rng.gen_range(0..own.len().max(1))) {
                    // The record may have gone with a restore of its only holder.
                    let _ = net.sites[site].desk.add_note(&id.to_string(), "跟踪记录", "客服员");
                }
            }
            45..=49 => {
                let held = net.office.store.all::<Complaint>(None).expect("office lists");
                if let Some(c) = held.iter().find(|c| c.major && c.decision.is_none()) {
                    net.office
                        .decide(
                            &wuye_server::people::Actor::CommandLine("物业公司经理".into()),
                            &c.id.to_string(),
                            "总部决定",
                        )
                        .expect("decision saves");
                }
            }
            50..=57 => {
                let replica = rng.gen_range(0..=sites);
                snapshots[replica].push(if replica == sites {
                    net.snapshot_office(dir.path())
                } else {
                    net.snapshot_site(replica, dir.path())
                });
            }
            58..=63 => {
                let replica = rng.gen_range(0..=sites);
                let Some(copy) = snapshots[replica].get(rng.gen_range(0..snapshots[replica].len().max(1))).cloned()
                else {
                    continue;
                };
                let before = holdings(&net);
                let elsewhere: BTreeSet<RecordId> =
                    before.iter().enumerate().filter(|(i, _)| *i != replica).flat_map(|(_, h)| h.clone()).collect();
                if replica == sites {
                    net.restore_office(&copy);
                } else {
                    net.restore_site(replica, &copy);
                }
                let restored = &holdings(&net)[replica];
                // Held only by the replica that went back in time, and not in its copy: gone, rightly.
                expected.retain(|id, _| elsewhere.contains(id) || restored.contains(id));
                // And a copy taken later than the replica's last state brings its records back.
                let owners: BTreeMap<_, usize> = (0..sites).map(|i| (net.site_id(i), i)).collect();
                let store = if replica == sites { &net.office.store } else { &net.sites[replica].desk.store };
                for c in store.all::<Complaint>(None).expect("lists") {
                    expected.insert(c.id, owners[&c.site_id]);
                }
            }
            _ => {
                cut_round(&mut net, site, &mut rng, seed);
            }
        }
    }
    net.run_until_quiescent();
    net.assert_converged();
    for (id, site) in &expected {
        assert!(net.sites[*site].desk.store.get::<Complaint>(*id).is_ok(), "seed {seed}: {id} lost at its site");
        assert!(net.office.store.get::<Complaint>(*id).is_ok(), "seed {seed}: {id} lost at head office");
    }
    let total: usize = holdings(&net)[..sites].iter().map(BTreeSet::len).sum();
    assert_eq!(total, expected.len(), "seed {seed}: every record held is accounted for");
}

#[test]
fn replicas_converge_when_a_store_is_replaced_by_an_earlier_copy() {
    cases("restore convergence", 8, 100, 2..=4, run_restore_case);
}
