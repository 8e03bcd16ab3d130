//! The office's records (房屋, 钥匙, 物品放行条, 收楼流转单, 交接班记录) in the
//! socket-free harness: each kind made and stepped at the site reaches head
//! office as it stands, and a step taken on the same record at head office
//! while the site takes its own (each merging the other's in the opposite
//! order) leaves both holding the same record.

use wuye_app::desk::{Actor, HandoverNote, Loan, MoveInStep};
use wuye_node::Records as _;
use wuye_protocol::handover::ShiftHandover;
use wuye_protocol::house::{self, House, HouseState};
use wuye_protocol::key::{self, Key, KeyKind, NewKey, Step};
use wuye_protocol::kind::Kind;
use wuye_protocol::movein::{self, MoveIn, StationKind, StationState};
use wuye_protocol::release::{self, Applicant, Authorisation, Item, NewSlip, ReleaseSlip, SlipStatus, SlipStep};
use wuye_protocol::staff::Role;
use wuye_tests::harness::Network;

/// Every record of `T` at the site and at head office is the same.
fn same<T: Kind + PartialEq + std::fmt::Debug>(net: &Network) -> Vec<T> {
    let at_site = net.sites[0].desk.store.all::<T>(None).unwrap();
    let at_office = net.office.store.all::<T>(Some(net.site_id(0))).unwrap();
    assert_eq!(at_site, at_office, "{:?} differ", T::KIND);
    at_site
}

/// A slip for a fridge leaving today.
fn fridge(today: chrono::NaiveDate) -> NewSlip {
    NewSlip {
        number: String::new(),
        applicant: "刘强".into(),
        applicant_kind: Applicant::Owner,
        house: "3栋2单元302".into(),
        phone: String::new(),
        car_plate: String::new(),
        items: vec![Item { name: "冰箱".into(), quantity: 1 }],
        reason: "搬家".into(),
        authorisation: Authorisation::InPerson,
        confirmed_by: String::new(),
        valid_on: today,
    }
}

/// A key of `kind` taken in.
fn new_key(tag: &str, kind: KeyKind, opens: &str) -> NewKey {
    NewKey { tag: tag.into(), kind, slot: "A1".into(), opens: opens.into(), deposited_by: "业主陈明".into() }
}

#[test]
fn each_office_record_syncs_and_steps_made_apart_at_site_and_head_office_merge_the_same() {
    let mut net = Network::new(7);
    net.add_site("朝阳花园管理处");
    let desk = &mut net.sites[0].desk;
    let boss = desk.add_staff("王经理", Role::Manager, "客服中心").unwrap();
    let next = desk.add_staff("李娜", Role::FrontDesk, "客服中心").unwrap();
    let manager = Actor::of(&boss);
    let sheet: Vec<Vec<String>> =
        [["楼栋", "单元", "楼层", "房号", "类型", "建筑面积"], ["3栋", "2单元", "5", "501", "住宅", "89.50"]]
            .iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
    desk.import_houses(&sheet, &manager).unwrap();
    let owner_key = desk.add_key(&new_key("K-9", KeyKind::OwnerDeposit, "3栋2单元302"), &manager).unwrap();
    let due = desk.now() + chrono::Duration::hours(4);
    let loan = Loan {
        to: "维修工老王".into(),
        reason: "入户".into(),
        owner_contacted: "电话联系业主陈明".into(),
        due,
        id_card: String::new(),
    };
    desk.lend_key(&owner_key.id.to_string(), &loan, &manager).unwrap();
    let today = desk.now().with_timezone(&desk.site.timezone).date_naive();
    let slip = desk.issue_slip(&fridge(today), &manager).unwrap();
    let slip_in = desk.open_movein("3栋2单元501", "张伟", "", &manager).unwrap();
    for item in StationKind::Documents.ticks() {
        desk.movein_step(&slip_in.id.to_string(), MoveInStep::Tick(StationKind::Documents, item, true), &manager)
            .unwrap();
    }
    let note = HandoverNote { to: next.id.to_string(), notes: "钥匙K-9借出".into(), ..HandoverNote::default() };
    let record = desk.write_handover(&note, &manager).unwrap();
    net.run_until_quiescent();
    assert_eq!(same::<House>(&net).len(), 1);
    assert_eq!(same::<Key>(&net)[0].lent_to.as_deref(), Some("维修工老王"));
    assert_eq!(same::<ReleaseSlip>(&net)[0].status, SlipStatus::Issued);
    assert_eq!(
        same::<MoveIn>(&net)[0].station(StationKind::Documents).unwrap().ticks.iter().filter(|t| t.1).count(),
        6
    );
    assert_eq!(same::<ShiftHandover>(&net)[0].items.len(), 2, "the key out and the slip waiting were listed");

    // Apart: the site stamps, returns, releases and confirms; head office sends back, chases, refuses, notes.
    let now = net.sites[0].desk.now();
    let desk = &mut net.sites[0].desk;
    desk.movein_step(&slip_in.id.to_string(), MoveInStep::Stamp(StationKind::Documents, None), &manager).unwrap();
    desk.key_step_by_id(&owner_key.id.to_string(), Step::Return, &manager).unwrap();
    desk.slip_step(&slip.id.to_string(), SlipStep::Release, &manager).unwrap();
    desk.confirm_handover(&record.id.to_string(), "", &Actor::of(&next)).unwrap();
    let house_id = same_id::<House>(&net);
    let office = &mut net.office.store;
    office
        .edit(slip_in.id, |doc| {
            movein::send_back(doc, now, "周总（总部经理）", Role::Manager, StationKind::Documents, "身份证复印件不清")
        })
        .unwrap();
    office.edit(owner_key.id, |doc| key::step(doc, now, "总部", Step::Chase("总部提醒催还"))).unwrap();
    office.edit(slip.id, |doc| release::step(doc, now, "总部", SlipStep::Refuse("总部核查：欠费未清"))).unwrap();
    office.edit(house_id, |doc| house::set_state(doc, now, "总部", HouseState::HandedOver, "总部补录")).unwrap();
    net.run_until_quiescent();

    let slip_in = &same::<MoveIn>(&net)[0];
    let stations: Vec<StationState> = slip_in.stations.iter().map(|s| s.state).collect();
    assert!(matches!(stations[0], StationState::Stamped | StationState::Returned), "{stations:?}");
    let key = &same::<Key>(&net)[0];
    assert_eq!(key.steps.len(), 4, "deposited, lent, returned and chased all kept");
    let slip = &same::<ReleaseSlip>(&net)[0];
    assert!(matches!(slip.status, SlipStatus::Released | SlipStatus::Refused), "one verdict stands");
    assert_eq!(slip.steps.len(), 2, "both verdicts are kept in the record");
    assert_eq!(same::<House>(&net)[0].state, HouseState::HandedOver);
    assert_eq!(same::<ShiftHandover>(&net)[0].received.as_ref().map(|r| r.by.as_str()), Some("李娜（客服员）"));
}

fn same_id<T: Kind + PartialEq + std::fmt::Debug>(net: &Network) -> wuye_protocol::ids::RecordId {
    same::<T>(net)[0].id()
}

#[test]
fn a_follow_up_visit_appears_on_the_board_when_it_falls_due_and_leaves_when_made() {
    use wuye_app::desk::Step;
    let mut net = Network::new(8);
    net.add_site("朝阳花园管理处");
    let c = net.add_complaint(0, &wuye_tests::harness::sample(0, false));
    let id = c.id.to_string();
    let desk = &mut net.sites[0].desk;
    let fixer = Actor::of(&desk.add_staff("王师傅", Role::Maintenance, "客服中心").unwrap());
    let front = Actor::of(&desk.add_staff("李娜", Role::FrontDesk, "客服中心").unwrap());
    let boss = Actor::of(&desk.add_staff("周站长", Role::Supervisor, "客服中心").unwrap());
    desk.set_setting(&boss, "visit-within-days", "2").unwrap();
    desk.step(&id, &Step::Assign("维修部"), &front).unwrap();
    desk.step(&id, &Step::Resolve("已更换水管"), &fixer).unwrap();
    assert!(net.sites[0].desk.board().unwrap().visits_due.is_empty(), "not due today");
    net.clock.advance(chrono::Duration::days(2));
    let due = net.sites[0].desk.board().unwrap().visits_due;
    assert_eq!((due.len(), due[0].kind, due[0].id), (1, "complaint", c.id));
    net.clock.advance(chrono::Duration::days(1));
    assert!(net.sites[0].desk.board().unwrap().visits_due[0].late);
    net.sites[0].desk.step(&id, &Step::Visit { satisfaction: 5, comment: "满意" }, &front).unwrap();
    assert!(net.sites[0].desk.board().unwrap().visits_due.is_empty(), "made");
    assert!(net.sites[0].desk.set_setting(&boss, "visit-within-days", "0").is_err());
}

#[test]
fn closed_slips_and_keys_leave_the_working_lists_after_their_retention_and_moved_out_residents_lose_their_details() {
    use wuye_protocol::resident::{Household, NewResident, Resident, REMOVED_NAME};
    let mut net = Network::new(9);
    net.add_site("朝阳花园管理处");
    let desk = &mut net.sites[0].desk;
    let boss = Actor::of(&desk.add_staff("周站长", Role::Supervisor, "客服中心").unwrap());
    desk.set_setting(&boss, "slip-retention-days", "365").unwrap();
    assert!(desk.set_setting(&boss, "key-retention-days", "5").is_err(), "at least 30 days");
    let today = desk.now().with_timezone(&desk.site.timezone).date_naive();
    let done = desk.issue_slip(&fridge(today), &boss).unwrap();
    desk.slip_step(&done.id.to_string(), SlipStep::Release, &boss).unwrap();
    let lost = desk.add_key(&new_key("K-1", KeyKind::Common, "天台"), &boss).unwrap();
    desk.key_step_by_id(&lost.id.to_string(), Step::Lose("已换锁"), &boss).unwrap();
    let household = Household { moved_in: Some(today - chrono::Duration::days(900)), ..Household::default() };
    let input = NewResident {
        unit: "3栋302".into(),
        name: "钱七".into(),
        phone: "13900000000".into(),
        id_card: "11010519491231002X".into(),
        household,
        ..NewResident::default()
    };
    let tenant = desk.add_resident(&input, &boss).unwrap();
    desk.move_out(&tenant.id.to_string(), today, &boss).unwrap();
    net.run_until_quiescent();

    net.clock.advance(chrono::Duration::days(364));
    let desk = &mut net.sites[0].desk;
    assert_eq!((desk.slips().unwrap().len(), desk.keys(false).unwrap().len()), (1, 1), "kept within the year");
    assert!(desk.remove_moved_out_details(&boss).unwrap().is_empty());
    net.clock.advance(chrono::Duration::days(3));
    let desk = &mut net.sites[0].desk;
    assert!(desk.slips().unwrap().is_empty() && desk.archived_slips().unwrap().len() == 1, "a slip is kept a year");
    assert_eq!((desk.keys(false).unwrap().len(), desk.archived_keys().unwrap().len()), (1, 0), "a key two years");
    let removed = desk.remove_moved_out_details(&boss).unwrap();
    assert_eq!(removed.len(), 1);
    assert!(wuye_app::identity::load(&desk.store, tenant.id).unwrap().is_none(), "the whole numbers are gone");
    net.run_until_quiescent();
    let at_office = &same::<Resident>(&net)[0];
    assert_eq!((at_office.name.as_str(), at_office.phone.as_str(), at_office.id_card.as_str()), (REMOVED_NAME, "", ""));
    assert!(
        at_office.household.details_removed.as_deref().is_some_and(|r| r.contains("周站长")),
        "the removal is recorded"
    );
    net.clock.advance(chrono::Duration::days(400));
    assert_eq!(net.sites[0].desk.archived_keys().unwrap().len(), 1);
}
