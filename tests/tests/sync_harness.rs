//! Sync behaviour in the socket-free harness: two sites and head office in one process.
//!
//! Longer than 600 lines on purpose: each test is a short story on the same
//! two-site network, and one file keeps that network's helpers in one place.

use automerge::transaction::Transactable;
use automerge::ROOT;
use wuye_app::desk::Actor;
use wuye_node::Cell;
use wuye_node::Records as _;
use wuye_protocol::complaint::Complaint;
use wuye_protocol::complaint::ComplaintStatus;
use wuye_protocol::daily_report::DailyReport;
use wuye_protocol::doc::RecordKind;
use wuye_protocol::duty_shift::DutyShift;
use wuye_protocol::ids::RecordId;
use wuye_protocol::repair::Repair;
use wuye_protocol::staff::Staff;
use wuye_protocol::sync::{RoundReport, SessionError, SyncStore};
use wuye_protocol::wire::{heads_to_wire, DocPayload, ErrorCode, Message};
use wuye_server::office::OfficeStore;
use wuye_tests::harness::{sample, Network};

fn two_sites() -> Network {
    two_sites_on(wuye_node::Store::open_in_memory().unwrap())
}

/// Two sites, head office on `store`.
fn two_sites_on<S: OfficeStore>(store: S) -> Network<S> {
    let mut net = Network::over(store, 42);
    net.add_site("朝阳花园管理处");
    net.add_site("海淀雅苑管理处");
    net
}

fn complaints_from_two_sites_reach_head_office_and_stay_apart<S: OfficeStore>(mut net: Network<S>) {
    for n in 0..5 {
        net.add_complaint(0, &sample(n, false));
    }
    for n in 0..3 {
        net.add_complaint(1, &sample(n, n == 0));
    }
    net.run_until_quiescent();
    net.assert_converged();
    assert_eq!(net.office.store.all::<Complaint>(None).unwrap().len(), 8);
    assert_eq!(net.sites[0].desk.store.all::<Complaint>(None).unwrap().len(), 5, "site 0 sees only its own");
    assert_eq!(net.sites[1].desk.store.all::<Complaint>(None).unwrap().len(), 3, "site 1 sees only its own");
}

fn a_head_office_decision_flows_down_to_the_site<S: OfficeStore>(mut net: Network<S>) {
    let c = net.add_complaint(0, &sample(0, true));
    net.run_until_quiescent();
    net.office
        .decide(
            &wuye_server::people::Actor::CommandLine("物业公司经理".into()),
            &c.id.to_string(),
            "由维修部三日内修复，费用公司承担",
        )
        .unwrap();
    let report = net.round(0).unwrap();
    assert_eq!((report.pushed, report.pulled), (0, 1));
    let at_site = net.sites[0].desk.store.get::<Complaint>(c.id).unwrap();
    assert_eq!(at_site.status, ComplaintStatus::Decided);
    assert_eq!(at_site.decision.unwrap().text, "由维修部三日内修复，费用公司承担");
    net.assert_converged();
}

fn a_site_note_and_a_head_office_decision_made_concurrently_both_survive<S: OfficeStore>(mut net: Network<S>) {
    let c = net.add_complaint(0, &sample(0, true));
    net.run_until_quiescent();
    let id = c.id.to_string();
    net.sites[0].desk.add_note(&id, "已联系楼上住户，约定周六查看", "客服员").unwrap();
    net.office
        .decide(&wuye_server::people::Actor::CommandLine("物业公司经理".into()), &id, "公司承担维修费用")
        .unwrap();
    net.run_until_quiescent();
    net.assert_converged();
    let merged = net.office.store.view::<Complaint>(c.id).unwrap();
    assert_eq!(merged.notes.len(), 1);
    assert!(merged.decision.is_some());
    assert_eq!(merged.status, ComplaintStatus::Decided);
}

fn a_round_sends_only_what_changed<S: OfficeStore>(mut net: Network<S>) {
    let ids: Vec<String> = (0..60).map(|n| net.add_complaint(0, &sample(n, false)).id.to_string()).collect();
    let first = net.round(0).unwrap();
    assert_eq!(first.pushed, 60);

    let before = net.messages;
    let idle = net.round(0).unwrap();
    assert_eq!((idle.pushed, idle.pulled), (0, 0));
    assert_eq!(net.messages - before, 6, "idle round: Hello, Welcome, Pull, PullBatch, Done, Bye");

    net.sites[0].desk.add_note(&ids[7], "已派维修工", "客服员").unwrap();
    net.sites[0].desk.add_note(&ids[31], "住户表示满意", "客服员").unwrap();
    let bytes_before = net.bytes;
    let edit = net.round(0).unwrap();
    assert_eq!((edit.pushed, edit.pulled), (2, 0), "two edited records go up, nothing echoes back");
    assert!(
        net.bytes - bytes_before < 4_000,
        "two incremental changes, not whole documents: {} bytes",
        net.bytes - bytes_before
    );
    net.assert_converged();
}

fn a_wrong_credential_is_refused_with_a_clear_message<S: OfficeStore>(mut net: Network<S>) {
    net.run_until_quiescent();
    net.sites[0].config.token = "0".repeat(64);
    match net.round(0) {
        Err(SessionError::Remote { code, message }) => {
            assert_eq!(code, ErrorCode::Unauthorized);
            assert!(message.contains("credential") && message.contains("refused"), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn refusal(result: Result<RoundReport, SessionError<wuye_node::StoreError>>) -> String {
    match result {
        Err(SessionError::Remote { code: ErrorCode::Unauthorized, message }) => message,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn an_enrollment_code_works_once_for_one_credential_and_not_after_it_expires<S: OfficeStore>(mut net: Network<S>) {
    let code = net.sites[0].config.enroll_code.clone().unwrap();
    let right_token = net.sites[0].config.token.clone();
    let standing = |net: &Network<S>, i: usize| {
        let site = net.site_id(i);
        net.office.sites().unwrap().into_iter().find(|s| s.site_id == site).unwrap().credential
    };
    assert!(standing(&net, 0).starts_with("awaiting enrollment until"), "{}", standing(&net, 0));

    net.sites[0].config.enroll_code = Some("ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ".into());
    assert!(refusal(net.round(0)).contains("wrong"));
    net.sites[0].config.enroll_code = Some(code.to_lowercase().replace('-', " "));
    net.round(0).expect("the code as a person might type it is accepted");
    assert_eq!(net.sites[0].config.enroll_code, None, "the agent forgets the spent code");

    // The same agent retrying (its answer lost) is let in; another credential is not.
    net.sites[0].config.enroll_code = Some(code.clone());
    net.round(0).expect("a retry with the same credential");
    net.sites[0].config.enroll_code = Some(code.clone());
    net.sites[0].config.token = "b".repeat(64);
    assert!(refusal(net.round(0)).contains("already used"));
    net.sites[0].config.enroll_code = None;
    net.sites[0].config.token = right_token;
    net.round(0).expect("the enrolled credential still works");
    assert_eq!(standing(&net, 0), "enrolled");

    // Site 1's code expires unused.
    net.clock.advance(chrono::Duration::hours(wuye_server::office::ENROLL_CODE_HOURS) + chrono::Duration::seconds(1));
    let message = refusal(net.round(1));
    assert!(message.contains("expired") && message.contains("site rotate"), "{message}");
    assert!(standing(&net, 1).starts_with("enrollment code expired at"), "{}", standing(&net, 1));
    net.office
        .revoke_site(&wuye_server::people::Actor::CommandLine("运维".into()), &net.site_id(0).to_string())
        .unwrap();
    assert!(standing(&net, 0).starts_with("revoked at"), "{}", standing(&net, 0));
    let fresh = net
        .office
        .rotate_site(&wuye_server::people::Actor::CommandLine("运维".into()), &net.site_id(1).to_string())
        .unwrap();
    net.sites[1].config.enroll(&fresh.code).unwrap();
    net.round(1).expect("a fresh code works");
}

fn head_office_keeps_only_hashes_of_codes_and_credentials<S: OfficeStore>(mut net: Network<S>) {
    let code = net.sites[0].config.enroll_code.clone().unwrap();
    net.run_until_quiescent();
    let token = net.sites[0].config.token.clone();
    let site = net.site_id(0).to_string();
    let row =
        net.office.store.rows("SELECT token_hash, enroll_hash FROM sites WHERE id = ?1", &[Cell::Text(site)]).unwrap();
    let text = |i: usize| row[0][i].text().unwrap().to_string();
    let (token_hash, enroll_hash) = (text(0), text(1));
    assert_eq!(token_hash.len(), 64);
    assert_ne!(token_hash, token);
    assert!(!enroll_hash.contains(&code) && !enroll_hash.contains(&code.replace('-', "")));
    let dump: String = net
        .office
        .store
        .rows("SELECT key, value FROM settings", &[])
        .unwrap()
        .iter()
        .flatten()
        .filter_map(Cell::text)
        .collect();
    assert!(!dump.contains(&token) && !dump.contains(&code));
}

#[test]
fn a_protocol_version_outside_head_offices_range_is_refused_naming_both_and_what_to_upgrade() {
    for (version, upgrade) in
        [(99, "upgrade wuye-server"), (wuye_protocol::MIN_AGENT_PROTOCOL_VERSION - 1, "upgrade wuye-agent")]
    {
        let mut net = two_sites();
        let result = net.round_with(0, |m| match m {
            Message::Hello { site_id, token, sent_at_ms, checkpoint, instance, .. } => {
                Some(Message::Hello { protocol_version: version, site_id, token, sent_at_ms, checkpoint, instance })
            }
            Message::Enroll { site_id, code, credential, sent_at_ms, instance, .. } => {
                Some(Message::Enroll { protocol_version: version, site_id, code, credential, sent_at_ms, instance })
            }
            other => Some(other),
        });
        match result {
            Err(SessionError::Remote { code, message }) => {
                assert_eq!(code, ErrorCode::VersionMismatch);
                assert!(message.contains(&format!("version {version}")), "{message}");
                assert!(message.contains(&wuye_protocol::PROTOCOL_VERSION.to_string()), "{message}");
                assert!(message.contains(upgrade), "{message}");
            }
            other => panic!("expected a version refusal, got {other:?}"),
        }
        // The site keeps working while it cannot sync.
        net.add_complaint(0, &sample(1, false));
        assert_eq!(net.sites[0].desk.store.all::<wuye_protocol::complaint::Complaint>(None).unwrap().len(), 1);
    }
}

/// A whole saved document as a push would carry it.
fn whole(id: RecordId, doc: &mut automerge::AutoCommit) -> DocPayload {
    DocPayload {
        id,
        kind: RecordKind::Complaint.as_str().to_string(),
        full: true,
        heads: heads_to_wire(&doc.get_heads()),
        bytes: doc.save(),
    }
}

/// Site `i` registers a record of its own and syncs, slipping `forged` into its push.
fn push_alongside_own_record<S: OfficeStore>(net: &mut Network<S>, i: usize, forged: DocPayload) -> RoundReport {
    net.add_complaint(i, &sample(1, false));
    net.round_with(i, |m| match m {
        Message::Push { mut docs, upto } => {
            docs.push(forged.clone());
            Some(Message::Push { docs, upto })
        }
        other => Some(other),
    })
    .unwrap()
}

fn a_site_cannot_overwrite_another_sites_complaint<S: OfficeStore>(mut net: Network<S>) {
    let victim = net.add_complaint(0, &sample(0, false));
    net.run_until_quiescent();
    // Site 1 forges a change to site 0's complaint and slips it into its push.
    let mut doc = net.office.store.document(victim.id).unwrap();
    doc.put(ROOT, "summary", "篡改").unwrap();
    let forged = whole(victim.id, &mut doc);
    let report = push_alongside_own_record(&mut net, 1, forged);
    assert_eq!(report.refused_by_server.len(), 1);
    assert!(report.refused_by_server[0].reason.contains("another site"), "{:?}", report.refused_by_server);
    assert_eq!(net.office.store.view::<Complaint>(victim.id).unwrap().summary, victim.summary, "unchanged");
    assert_eq!(net.office.store.all::<Complaint>(None).unwrap().len(), 2, "site 1's own record still went through");
}

fn a_new_document_claiming_another_site_is_refused<S: OfficeStore>(mut net: Network<S>) {
    // Site 1 builds a complaint that says it belongs to site 0.
    let mut other = Network::new(7);
    other.add_site("x");
    other.sites[0].desk.site.id = net.site_id(0);
    let c = other.add_complaint(0, &sample(3, false));
    let mut doc = other.sites[0].desk.store.load(c.id).unwrap();
    let forged = whole(c.id, &mut doc);
    let report = push_alongside_own_record(&mut net, 1, forged);
    assert_eq!(report.refused_by_server.len(), 1);
    assert!(report.refused_by_server[0].reason.contains("claims site"), "{:?}", report.refused_by_server);
    assert!(net.office.store.view::<Complaint>(c.id).is_err(), "nothing stored");
}

#[test]
fn changes_to_the_owner_or_creation_fields_are_refused_and_the_record_stays() {
    for (field, value) in
        [("site_id", "forged"), ("created_by", "冒名"), ("created_at", "2020-01-01T00:00:00Z"), ("kind", "repair")]
    {
        let mut net = two_sites();
        let c = net.add_complaint(0, &sample(0, false));
        net.run_until_quiescent();
        let value = if field == "site_id" { net.site_id(1).to_string() } else { value.to_string() };
        let mut doc = net.sites[0].desk.store.load(c.id).unwrap();
        let base = doc.get_heads();
        doc.put(ROOT, field, value).unwrap();
        let forged = DocPayload {
            id: c.id,
            kind: RecordKind::Complaint.as_str().to_string(),
            full: false,
            heads: heads_to_wire(&doc.get_heads()),
            bytes: doc.save_after(&base),
        };
        let replies = net.raw_exchange(0, vec![Message::Push { docs: vec![forged], upto: 99 }]);
        match &replies[1] {
            Message::PushAck { refused, .. } => {
                assert_eq!(refused.len(), 1, "{field}: {replies:?}");
            }
            other => panic!("{field}: expected PushAck, got {other:?}"),
        }
        let kept = net.office.store.view::<Complaint>(c.id).unwrap();
        assert_eq!(kept, c, "{field}: head office's record is unchanged");
    }
}

#[test]
fn a_round_cut_anywhere_and_repeated_gives_the_same_result() {
    for cut_after in 1..8 {
        let mut net = two_sites();
        let c = net.add_complaint(0, &sample(0, true));
        net.run_until_quiescent();
        for n in 1..4 {
            net.add_complaint(0, &sample(n, false));
        }
        net.sites[0].desk.add_note(&c.id.to_string(), "跟踪中", "客服员").unwrap();
        net.office
            .decide(&wuye_server::people::Actor::CommandLine("物业公司经理".into()), &c.id.to_string(), "同意赔偿")
            .unwrap();
        let mut sent = 0;
        net.round_with(0, |m| {
            sent += 1;
            (sent <= cut_after).then_some(m)
        })
        .unwrap();
        net.run_until_quiescent();
        net.assert_converged();
        assert_eq!(net.office.store.all::<Complaint>(None).unwrap().len(), 4, "cut after {cut_after}");
        let merged = net.sites[0].desk.store.get::<Complaint>(c.id).unwrap();
        assert_eq!((merged.notes.len(), merged.decision.is_some()), (1, true), "cut after {cut_after}");
    }
}

#[test]
fn a_server_that_lost_changes_gets_the_whole_document_again() {
    // The loss is staged by writing SQLite's row by hand.
    let mut net = two_sites();
    let c = net.add_complaint(0, &sample(0, false));
    net.run_until_quiescent();
    let old = net.office.store.document(c.id).unwrap().save();
    net.sites[0].desk.add_note(&c.id.to_string(), "第一次跟踪", "客服员").unwrap();
    net.run_until_quiescent();
    // Head office is restored from a backup taken before the first note
    // (the document as Automerge saved it, which the row may hold).
    net.office
        .store
        .conn()
        .execute("UPDATE docs SET bytes = ?1, dict = NULL WHERE id = ?2", (old.as_slice(), c.id.to_string()))
        .unwrap();
    net.sites[0].desk.add_note(&c.id.to_string(), "第二次跟踪", "客服员").unwrap();
    net.run_until_quiescent();
    let doc = net.office.store.document(c.id).unwrap();
    let notes = wuye_protocol::complaint::read(&doc).unwrap().notes;
    assert_eq!(notes.len(), 2, "the incremental change lacked its base; the full document filled the gap");
}

fn a_store_ack_for_an_unknown_document_is_ignored<S: OfficeStore>(mut net: Network<S>) {
    let mut other = Network::new(9);
    other.add_site("y");
    let c = other.add_complaint(0, &sample(0, false));
    let heads = heads_to_wire(&other.sites[0].desk.store.load(c.id).unwrap().get_heads());
    net.office.acknowledge("site:x", &[wuye_protocol::wire::HeadsAck { id: c.id, heads }], &[c.id]).unwrap();
    assert!(net.office.store.all::<Complaint>(None).unwrap().is_empty());
}

fn the_whole_complaint_workflow_syncs_and_both_sides_agree_on_the_status<S: OfficeStore>(mut net: Network<S>) {
    use wuye_app::desk::Step;
    use wuye_protocol::staff::Role;
    let c = net.add_complaint(0, &sample(0, false));
    let id = c.id.to_string();
    let desk = &mut net.sites[0].desk;
    let agent_id = desk.add_staff("王芳", Role::FrontDesk, "客服中心").unwrap().id.to_string();
    let boss_id = desk.add_staff("李主管", Role::Supervisor, "客服中心").unwrap().id.to_string();
    let fixer_id = desk.add_staff("王师傅", Role::Maintenance, "客服中心").unwrap().id.to_string();
    let front = Actor::of(&desk.staff_member(&agent_id).unwrap());
    let boss = Actor::of(&desk.staff_member(&boss_id).unwrap());
    let fixer = Actor::of(&desk.staff_member(&fixer_id).unwrap());
    net.sites[0].desk.step(&id, &Step::Assign("维修部"), &front).unwrap();
    net.sites[0].desk.step(&id, &Step::Escalate, &boss).unwrap();
    net.run_until_quiescent();
    // Head office decides while the site records a tracking note.
    net.office
        .decide(&wuye_server::people::Actor::CommandLine("物业公司经理".into()), &id, "公司承担维修费用")
        .unwrap();
    net.sites[0].desk.add_note(&id, "已联系楼上住户", "客服员").unwrap();
    net.run_until_quiescent();
    net.assert_converged();
    assert_eq!(net.office.store.view::<Complaint>(c.id).unwrap().status, ComplaintStatus::Decided);
    net.sites[0].desk.step(&id, &Step::Resolve("已更换水管"), &fixer).unwrap();
    net.sites[0].desk.step(&id, &Step::Visit { satisfaction: 2, comment: "还在滴水" }, &front).unwrap();
    net.run_until_quiescent();
    assert_eq!(net.office.store.view::<Complaint>(c.id).unwrap().status, ComplaintStatus::Reopened);
    net.sites[0].desk.step(&id, &Step::Resolve("二次维修"), &fixer).unwrap();
    net.sites[0].desk.step(&id, &Step::Visit { satisfaction: 5, comment: "满意" }, &front).unwrap();
    let refused = net.sites[0].desk.step(&id, &Step::Archive, &front).unwrap_err().to_string();
    assert!(refused.contains("only 客服主管 or 经理 may archive"), "{refused}");
    // Head office adds a note while the site archives.
    net.office.note(&wuye_server::people::Actor::CommandLine("总部".into()), &id, "总部已督办").unwrap();
    net.sites[0].desk.step(&id, &Step::Archive, &boss).unwrap();
    net.run_until_quiescent();
    net.assert_converged();
    let done = net.office.store.view::<Complaint>(c.id).unwrap();
    assert_eq!(done.status, ComplaintStatus::Archived);
    assert_eq!(done.visits.len(), 2);
    assert_eq!(done.notes.len(), 2, "the site's note and head office's concurrent note both survive");
    let history = net.sites[0].desk.history(&id).unwrap();
    let archived_by = &history.iter().find(|h| h.kind == "archived").unwrap().by;
    assert_eq!(archived_by, "李主管（客服主管）", "the history says who did it");
    assert_eq!(net.office.store.all::<Staff>(Some(net.site_id(0))).unwrap().len(), 3, "staff sync to head office too");
    let kinds: Vec<&str> = history.iter().map(|h| h.kind.as_str()).collect();
    for expected in ["registered", "assigned", "escalated", "decision", "resolved", "visited", "archived"] {
        assert!(kinds.contains(&expected), "{expected} missing from {kinds:?}");
    }
}

fn repair_orders_sync_and_a_deadline_missed_offline_is_still_overdue_after_sync<S: OfficeStore>(mut net: Network<S>) {
    use wuye_app::desk::DeskRepairStep;
    use wuye_protocol::repair::{Category, NewRepair, RepairStatus, RepairStep, Urgency};
    use wuye_protocol::rules::Channel;
    use wuye_protocol::staff::Role;
    let desk = &mut net.sites[0].desk;
    let fixer = desk.add_staff("王师傅", Role::Maintenance, "客服中心").unwrap().id.to_string();
    let front = desk.add_staff("李娜", Role::FrontDesk, "客服中心").unwrap().id.to_string();
    let actor = Actor::of(&desk.staff_member(&front).unwrap());
    let order = |unit: &str, urgency| NewRepair {
        unit: Some(unit.into()),
        area: None,
        category: Category::Pipes,
        description: "下水管漏水".into(),
        channel: Channel::Phone,
        urgency,
        appointment: None,
        paid: false,
        reporter: String::new(),
        reporter_phone: String::new(),
    };
    let late = desk.add_repair(&order("1栋101", Urgency::Emergency), &actor).unwrap();
    let on_time = desk.add_repair(&order("2栋202", Urgency::Emergency), &actor).unwrap();
    let refused = desk.repair_step(&late.id.to_string(), &DeskRepairStep::Dispatch { staff_id: &front }, &actor);
    assert!(refused.unwrap_err().to_string().contains("maintenance staff member"));
    let id = on_time.id.to_string();
    desk.repair_step(&id, &DeskRepairStep::Dispatch { staff_id: &fixer }, &actor).unwrap();
    desk.repair_step(&id, &DeskRepairStep::Other(RepairStep::Arrive), &actor).unwrap();
    // The site is offline for an hour: the first order's 30 minutes pass.
    net.clock.advance(chrono::Duration::hours(1));
    net.run_until_quiescent();
    let overdue = net.sites[0].desk.overdue_repairs().unwrap();
    assert_eq!(overdue.iter().map(|r| r.id).collect::<Vec<_>>(), vec![late.id]);
    let now = wuye_protocol::time::Clock::now(&net.clock);
    let at_office: Vec<_> =
        net.office.store.all::<Repair>(None).unwrap().into_iter().filter(|r| r.is_overdue(now)).collect();
    assert_eq!(at_office.iter().map(|r| r.id).collect::<Vec<_>>(), vec![late.id], "head office sees the same");
    assert_eq!(net.office.store.view::<Repair>(on_time.id).unwrap().status, RepairStatus::OnSite);
    assert_eq!(net.office.store.all::<Repair>(None).unwrap(), net.sites[0].desk.store.all::<Repair>(None).unwrap());
}

fn site_settings_shape_categories_and_deadlines_and_recurring_problems_are_found<S: OfficeStore>(mut net: Network<S>) {
    use wuye_app::settings::SiteSettings;
    use wuye_protocol::repair::{Category, NewRepair, Urgency};
    use wuye_protocol::rules::Channel;
    let desk = &mut net.sites[0].desk;
    let mut odd = sample(1, false);
    odd.category = "宠物".into();
    let refused = desk.add_complaint(&odd, "客服员").unwrap_err();
    assert_eq!(refused.code(), "complaint.unknown_category");
    let words = wuye_app::messages::message(&refused, wuye_app::messages::Lang::En, wuye_app::messages::Edge::Cli);
    assert!(words.contains("settings set categories"), "{words}");
    SiteSettings::set(&desk.store, "categories", "卫生,噪音,宠物,其他").unwrap();
    desk.add_complaint(&odd, "客服员").unwrap();
    assert!(SiteSettings::set(&desk.store, "summer", "10-01..05-01").is_err(), "a summer that ends before it starts");
    assert!(SiteSettings::set(&desk.store, "speed", "1").unwrap_err().to_string().contains("unknown setting"));
    SiteSettings::set(&desk.store, "emergency-minutes", "15").unwrap();
    let actor = Actor::named("客服员");
    let order = NewRepair {
        unit: Some("3栋2单元501".into()),
        area: None,
        category: Category::Water,
        description: "水管爆裂".into(),
        channel: Channel::Phone,
        urgency: Urgency::Emergency,
        appointment: None,
        paid: false,
        reporter: String::new(),
        reporter_phone: String::new(),
    };
    let r = desk.add_repair(&order, &actor).unwrap();
    assert_eq!(r.response_deadline, "2026-11-27T09:15:00+08:00", "the site's own emergency deadline");
    desk.add_repair(&NewRepair { unit: Some("3栋1单元101".into()), ..order.clone() }, &actor).unwrap();
    let mut noise = sample(0, false);
    noise.unit = "5栋101".into();
    noise.category = "噪音".into();
    desk.add_complaint(&noise, "客服员").unwrap();
    desk.add_complaint(&noise, "客服员").unwrap();
    let groups =
        wuye_app::reports::recurring(&desk.store, desk.site.id, wuye_protocol::time::Clock::now(&net.clock), 90)
            .unwrap();
    let found: Vec<(&str, &str, &str, usize)> =
        groups.iter().map(|g| (g.scope, g.place.as_str(), g.category.as_str(), g.count)).collect();
    assert!(found.contains(&("unit", "5栋101", "噪音", 2)), "{found:?}");
    assert!(found.contains(&("building", "3栋", "水", 2)), "{found:?}");
    assert!(!found.iter().any(|g| g.1 == "3栋2单元501"), "one order at a unit is not recurring: {found:?}");
}

fn the_duty_roster_shows_gaps_and_the_daily_report_reaches_head_office_once_per_day<S: OfficeStore>(
    mut net: Network<S>,
) {
    use wuye_protocol::duty_shift::Shift;
    use wuye_protocol::staff::Role;
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
    let desk = &mut net.sites[0].desk;
    let actor = Actor::named("客服主管");
    let li = desk.add_staff("李娜", Role::FrontDesk, "客服中心").unwrap().id.to_string();
    desk.assign_duty(&li, day, Shift::Am, &actor).unwrap();
    let check = desk.duty_check(day).unwrap();
    assert_eq!(check, vec![(Shift::Am, vec!["李娜".to_string()]), (Shift::Pm, vec![])], "the afternoon has nobody");
    desk.add_complaint(&sample(0, true), "客服员").unwrap();
    let first = desk.daily_report(day, &actor).unwrap();
    desk.add_complaint(&sample(1, true), "客服员").unwrap();
    let second = desk.daily_report(day, &actor).unwrap();
    assert_eq!(first.id, second.id, "remaking a day's report rewrites it");
    assert_eq!(second.figures.major_complaints.len(), 2);
    net.run_until_quiescent();
    let at_office = net.office.store.all::<DailyReport>(None).unwrap();
    assert_eq!(at_office, vec![second.clone()]);
    // Head office computes the same figures from the same records with the same code.
    let now = wuye_protocol::time::Clock::now(&net.clock);
    let site = net.site_id(0);
    let computed = wuye_app::reports::daily_figures(&net.office.store, site, day, now).unwrap();
    assert_eq!(computed, second.figures);
    assert_eq!(net.office.store.all::<DutyShift>(None).unwrap().len(), 1);
}

fn only_the_manager_decides_a_major_complaint_at_the_site_and_head_office_notes_a_repair<S: OfficeStore>(
    mut net: Network<S>,
) {
    use wuye_app::desk::Step;
    use wuye_protocol::staff::Role;
    let c = net.add_complaint(0, &sample(0, true));
    let id = c.id.to_string();
    let desk = &mut net.sites[0].desk;
    let boss = desk.add_staff("张主管", Role::Supervisor, "客服中心").unwrap().id.to_string();
    let manager = desk.add_staff("陈经理", Role::Manager, "客服中心").unwrap().id.to_string();
    let boss = Actor::of(&desk.staff_member(&boss).unwrap());
    let manager = Actor::of(&desk.staff_member(&manager).unwrap());
    let refused = desk.step(&id, &Step::Decide("同意"), &boss).unwrap_err().to_string();
    assert!(refused.contains("only 经理 may decide"), "{refused}");
    let decided = desk.step(&id, &Step::Decide("公司承担"), &manager).unwrap();
    assert_eq!(decided.decision.unwrap().by, "陈经理（经理）");
    net.run_until_quiescent();
    net.assert_converged();
}

fn a_revoked_site_is_refused_until_rotated_and_the_old_credential_stops_working<S: OfficeStore>(mut net: Network<S>) {
    net.add_complaint(0, &sample(0, false));
    net.run_until_quiescent();
    let site = net.site_id(0).to_string();
    net.office.revoke_site(&wuye_server::people::Actor::CommandLine("运维".into()), &site).unwrap();
    match net.round(0) {
        Err(SessionError::Remote { code: ErrorCode::Unauthorized, message }) => {
            assert!(message.contains("revoked") && message.contains("site rotate"), "{message}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    net.round(1).expect("other sites go on");
    let fresh = net.office.rotate_site(&wuye_server::people::Actor::CommandLine("运维".into()), &site).unwrap();
    assert!(refusal(net.round(0)).contains("wuye-agent enroll"), "the old credential");
    net.sites[0].config.enroll(&fresh.code).unwrap();
    net.round(0).expect("the new credential works");
}

#[test]
fn bytes_that_crash_the_automerge_decoder_are_refused_alone_and_the_batch_goes_on() {
    // Found by the `document` fuzz target: Automerge 0.12 panics decoding these.
    let crash = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fuzz/regressions/document/crash-c72dae3d5f8ec4446b82cf009b29fd6fb44baff2"
    ))
    .unwrap();
    let mut net = two_sites();
    let id = RecordId::random(&mut rand::thread_rng());
    let whole_doc = DocPayload {
        id,
        kind: RecordKind::Complaint.as_str().to_string(),
        full: true,
        bytes: crash.clone(),
        heads: vec![wuye_protocol::wire::Hash([1; 32])],
    };
    let report = push_alongside_own_record(&mut net, 0, whole_doc);
    assert_eq!(report.refused_by_server.len(), 1, "{:?}", report.refused_by_server);
    assert!(report.refused_by_server[0].reason.contains("does not load"), "{:?}", report.refused_by_server);
    assert_eq!(net.office.store.all::<Complaint>(None).unwrap().len(), 1, "the site's own record went through");

    // The same bytes as changes to a record head office holds: refused, the record unchanged.
    let own = net.office.store.all::<Complaint>(None).unwrap().remove(0);
    let changes = DocPayload {
        id: own.id,
        kind: RecordKind::Complaint.as_str().to_string(),
        full: false,
        bytes: crash,
        heads: vec![wuye_protocol::wire::Hash([2; 32])],
    };
    let replies = net.raw_exchange(0, vec![Message::Push { docs: vec![changes], upto: 99 }]);
    assert!(
        matches!(&replies[1], Message::PushAck { refused, .. } if refused.len() == 1 && refused[0].reason.contains("do not decode")),
        "{replies:?}"
    );
    assert_eq!(net.office.store.view::<Complaint>(own.id).unwrap(), own);
}

fn a_round_of_more_batches_than_the_limit_is_cut_off<S: OfficeStore>(mut net: Network<S>) {
    use wuye_protocol::wire::MAX_BATCHES_PER_ROUND;
    net.run_until_quiescent();
    let pushes = (0..=MAX_BATCHES_PER_ROUND as u64).map(|n| Message::Push { docs: Vec::new(), upto: n }).collect();
    let replies = net.raw_exchange(0, pushes);
    let acks = replies.iter().filter(|m| matches!(m, Message::PushAck { .. })).count();
    assert_eq!(acks, MAX_BATCHES_PER_ROUND, "every batch up to the limit is taken");
    assert!(
        matches!(&replies[MAX_BATCHES_PER_ROUND + 1], Message::Error { code: ErrorCode::LimitExceeded, message } if message.contains("batches")),
        "{:?}",
        replies.last()
    );
    net.round(0).expect("the next round is a fresh one");
}

#[test]
fn documents_of_the_wrong_shape_are_refused_one_by_one_naming_the_record_and_field() {
    use automerge::ScalarValue;
    type Spoil = fn(&mut automerge::AutoCommit);
    let cases: [(&str, Spoil, &str); 5] = [
        ("a missing field", |d| d.delete(ROOT, "summary").unwrap(), "summary"),
        ("a field of the wrong type", |d| d.put(ROOT, "summary", ScalarValue::Int(7)).unwrap(), "summary"),
        ("an unknown kind", |d| d.put(ROOT, "kind", "weather").unwrap(), "kind"),
        ("an absurdly long text", |d| d.put(ROOT, "summary", "长".repeat(50_000)).unwrap(), "summary"),
        ("a wrong channel", |d| d.put(ROOT, "channel", "pigeon").unwrap(), "channel"),
    ];
    for (what, spoil, field) in cases {
        let mut net = two_sites();
        let mut other = Network::new(11);
        other.add_site("x");
        other.sites[0].desk.site.id = net.site_id(1);
        let c = other.add_complaint(0, &sample(5, false));
        let mut doc = other.sites[0].desk.store.load(c.id).unwrap();
        spoil(&mut doc);
        let forged = whole(c.id, &mut doc);
        let report = push_alongside_own_record(&mut net, 1, forged);
        assert_eq!(report.refused_by_server.len(), 1, "{what}: {:?}", report.refused_by_server);
        let reason = &report.refused_by_server[0].reason;
        assert!(reason.contains(&c.id.to_string()) && reason.contains(field), "{what}: {reason}");
        assert!(net.office.store.view::<Complaint>(c.id).is_err(), "{what}: nothing stored");
        assert_eq!(
            net.office.store.all::<Complaint>(None).unwrap().len(),
            1,
            "{what}: the rest of the batch went through"
        );
    }
}

/// A protocol-5 agent ends its round with Finish, carrying how it stands;
/// head office keeps the report for the site (dashboard, metrics), an older
/// agent's Done is still served (with no report), and a report longer than
/// allowed is refused without replacing the one kept.
#[test]
fn an_agents_health_report_reaches_head_office_and_an_older_agents_done_is_still_served() {
    use wuye_protocol::wire::{Health, MAX_HEALTH_ERROR_CHARS};
    let mut net = Network::new(77);
    net.add_site("朝阳花园");
    net.round(0).unwrap();
    assert_eq!(net.office.sites().unwrap()[0].agent, None, "Done carries no report");
    let health = Health {
        version: "0.2.0".into(),
        disk_free_bytes: Some(5 << 30),
        records_waiting: 3,
        last_error: "无法连接总部：连接超时".into(),
    };
    let finish = |health: Health| {
        move |m: Message| {
            Some(match m {
                Message::Done { applied } => Message::Finish { applied, health: health.clone() },
                other => other,
            })
        }
    };
    net.round_with(0, finish(health.clone())).unwrap();
    assert_eq!(net.office.sites().unwrap()[0].agent, Some(health.clone()));
    let long = Health { last_error: "错".repeat(MAX_HEALTH_ERROR_CHARS + 1), ..health.clone() };
    let refused = net.round_with(0, finish(long)).unwrap_err();
    assert!(refused.to_string().contains("health report is longer than allowed"), "{refused}");
    assert_eq!(net.office.sites().unwrap()[0].agent, Some(health), "the last good report stays");
}

/// Each story above, on the two stores head office runs on: SQLite (one
/// test each) and a real PostgreSQL (one test for all of them, on one
/// cluster, a fresh database each).
macro_rules! stories {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[test]
                fn $name() {
                    super::$name(super::two_sites());
                }
            )*
        }

        #[test]
        fn every_story_holds_with_head_office_on_postgresql() {
            let Some(pg) = wuye_tests::pg::Postgres::start() else { return };
            $(
                eprintln!("{}", stringify!($name));
                let store = wuye_store_pg::PgStore::connect(&pg.database()).expect("the database answers");
                $name(two_sites_on(store));
            )*
        }
    };
}

stories!(
    the_whole_complaint_workflow_syncs_and_both_sides_agree_on_the_status,
    repair_orders_sync_and_a_deadline_missed_offline_is_still_overdue_after_sync,
    site_settings_shape_categories_and_deadlines_and_recurring_problems_are_found,
    the_duty_roster_shows_gaps_and_the_daily_report_reaches_head_office_once_per_day,
    only_the_manager_decides_a_major_complaint_at_the_site_and_head_office_notes_a_repair,
    a_round_of_more_batches_than_the_limit_is_cut_off,
    complaints_from_two_sites_reach_head_office_and_stay_apart,
    a_head_office_decision_flows_down_to_the_site,
    a_site_note_and_a_head_office_decision_made_concurrently_both_survive,
    a_round_sends_only_what_changed,
    a_wrong_credential_is_refused_with_a_clear_message,
    an_enrollment_code_works_once_for_one_credential_and_not_after_it_expires,
    head_office_keeps_only_hashes_of_codes_and_credentials,
    a_site_cannot_overwrite_another_sites_complaint,
    a_new_document_claiming_another_site_is_refused,
    a_store_ack_for_an_unknown_document_is_ignored,
    a_revoked_site_is_refused_until_rotated_and_the_old_credential_stops_working,
);
