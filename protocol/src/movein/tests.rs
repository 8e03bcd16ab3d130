use super::*;

fn t(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn slip() -> AutoCommit {
    let mut rng = rand::thread_rng();
    let new = NewMoveIn {
        house_id: RecordId::random(&mut rng),
        house: "3栋2单元501".into(),
        owner: "张伟".into(),
        phone: "13800000000".into(),
    };
    open(
        RecordId::random(&mut rng),
        SiteId::random(&mut rng),
        chrono_tz::Asia::Shanghai,
        t("2026-11-01T01:00:00Z"),
        "客服员小李",
        &new,
        &default_stations(),
    )
    .unwrap()
}

fn tick_all(doc: &mut AutoCommit, kind: StationKind) {
    for item in kind.ticks() {
        tick(doc, kind, item, true).unwrap();
    }
}

/// Everything a station needs before it is stamped, then the stamp.
fn ready(doc: &mut AutoCommit, kind: StationKind) {
    tick_all(doc, kind);
    match kind {
        StationKind::Inspection => {
            read_meter(doc, Meter::Water, "12.50").unwrap();
            read_meter(doc, Meter::Electricity, "3").unwrap();
        }
        StationKind::Keys => add_key(doc, RecordId::random(&mut rand::thread_rng()), "K-001").unwrap(),
        _ => {}
    }
}

const AT: &str = "2026-11-01T02:00:00Z";

#[test]
fn stations_are_stamped_in_order_by_their_roles_and_the_last_stamp_delivers() {
    let mut doc = slip();
    let roles = [Role::Sales, Role::Engineering, Role::FrontDesk, Role::Finance, Role::FrontDesk, Role::Supervisor];
    for (kind, role) in StationKind::ALL.iter().zip(roles) {
        ready(&mut doc, *kind);
        // The gate may stamp nothing, and nobody stamps twice.
        assert!(stamp(&mut doc, t(AT), "门岗", Role::Gate, *kind, None).is_err());
        stamp(&mut doc, t(AT), "某人", role, *kind, None).unwrap();
        assert!(stamp(&mut doc, t(AT), "某人", role, *kind, None).is_err(), "stamped twice");
    }
    let s = read(&doc).unwrap();
    assert_eq!(s.state, MoveInState::Delivered);
    assert_eq!(s.delivered_on, Some(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()));
    assert!(s.stations.iter().all(|st| st.state == StationState::Stamped && st.by == "某人"));
    assert!(send_back(&mut doc, t(AT), "经理", Role::Manager, StationKind::Gift, "x").is_err());
}

#[test]
fn a_station_needs_its_boxes_and_the_stations_above_it_unless_a_manager_overrides() {
    let mut doc = slip();
    // Nothing ticked: the refusal names what is missing.
    let err = stamp(&mut doc, t(AT), "销售", Role::Sales, StationKind::Documents, None).unwrap_err().to_string();
    assert!(err.contains("购房合同") && err.contains("户口簿"), "{err}");
    ready(&mut doc, StationKind::Inspection);
    // Out of order: refused for the inspection team, even with a reason.
    let err = stamp(&mut doc, t(AT), "工程", Role::Engineering, StationKind::Inspection, Some("业主赶时间"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("销售部：资料核对") && err.contains("经理"), "{err}");
    // A 经理 needs a reason.
    assert!(stamp(&mut doc, t(AT), "经理", Role::Manager, StationKind::Inspection, None).is_err());
    assert!(stamp(&mut doc, t(AT), "经理", Role::Manager, StationKind::Inspection, Some("  ")).is_err());
    stamp(&mut doc, t(AT), "王经理", Role::Manager, StationKind::Inspection, Some("销售部今日无人，资料后补")).unwrap();
    let s = read(&doc).unwrap();
    let st = s.station(StationKind::Inspection).unwrap();
    assert_eq!(
        (st.state, st.by.as_str(), st.reason.as_str()),
        (StationState::Stamped, "王经理", "销售部今日无人，资料后补")
    );
    // A stamped station's boxes no longer change.
    assert!(tick(&mut doc, StationKind::Inspection, "房屋验收表", false).is_err());
    assert!(read_meter(&mut doc, Meter::Gas, "1").is_err());
}

#[test]
fn keys_never_before_fees_whatever_the_order_and_bad_orders_are_refused() {
    let mut stations = default_stations();
    // Finance first and inspection last is a real project's order; keys before fees is not.
    let fees = stations.remove(3);
    stations.insert(0, fees.clone());
    assert!(check_stations(&stations).is_err(), "fees before the documents check");
    let mut stations = default_stations();
    stations.swap(3, 4);
    let err = check_stations(&stations).unwrap_err().to_string();
    assert!(err.contains("keys before fees"), "{err}");
    let mut stations = default_stations();
    let inspection = stations.remove(1);
    stations.push(inspection);
    check_stations(&stations).unwrap();
    // The text form round-trips and takes Chinese role names.
    let text = stations_text(&stations);
    assert_eq!(parse_stations(&text).unwrap(), stations);
    let cn = text.replace("finance,manager", "财务、经理");
    assert_eq!(parse_stations(&cn).unwrap(), stations);
    assert!(parse_stations("fees:财务").is_err());
    assert!(parse_stations(&text.replace("finance", "janitor")).is_err());
    assert!(parse_stations(&text.replace(";gift:物业公司：礼品", "")).is_err(), "a kind missing");
}

#[test]
fn readings_defects_fees_and_keys_are_checked() {
    let mut doc = slip();
    for bad in ["", "abc", "1.234", "-3", "1e5"] {
        assert!(read_meter(&mut doc, Meter::Water, bad).is_err(), "{bad}");
    }
    read_meter(&mut doc, Meter::Gas, "0.00").unwrap();
    assert!(tick(&mut doc, StationKind::Documents, "结婚证", true).is_err());
    let i = add_defect(&mut doc, "主卧", "墙面裂缝约30厘米").unwrap();
    let j = add_defect(&mut doc, "卫生间", "地漏堵塞").unwrap();
    let order = RecordId::random(&mut rand::thread_rng());
    link_order(&mut doc, j, order).unwrap();
    assert!(link_order(&mut doc, 7, order).is_err());
    assert!(add_fee(&mut doc, "物业费6个月", Fen::ZERO).is_err());
    add_fee(&mut doc, "物业费6个月", Fen(123_456)).unwrap();
    let key = RecordId::random(&mut rand::thread_rng());
    add_key(&mut doc, key, "K-9").unwrap();
    assert!(add_key(&mut doc, key, "K-9").is_err(), "the same key twice");
    let s = read(&doc).unwrap();
    assert_eq!((i, s.defects[0].work_order, s.defects[1].work_order), (0, None, Some(order)));
    assert_eq!(s.reading(Meter::Gas), "0.00");
    assert_eq!(s.fees[0].amount, Fen(123_456));
}

#[test]
fn stamps_made_apart_merge_the_same_in_either_order() {
    let mut site = slip();
    ready(&mut site, StationKind::Documents);
    stamp(&mut site, t(AT), "销售", Role::Sales, StationKind::Documents, None).unwrap();
    let mut other = site.fork();
    // At the site the inspection is stamped; elsewhere the documents are sent back.
    ready(&mut site, StationKind::Inspection);
    stamp(&mut site, t("2026-11-01T03:00:00Z"), "工程", Role::Engineering, StationKind::Inspection, None).unwrap();
    send_back(&mut other, t("2026-11-01T03:00:00Z"), "经理", Role::Manager, StationKind::Documents, "身份证复印件不清")
        .unwrap();
    let mut a = site.fork();
    a.merge(&mut other).unwrap();
    let mut b = other.fork();
    b.merge(&mut site).unwrap();
    let (a, b) = (read(&a).unwrap(), read(&b).unwrap());
    assert_eq!(a, b);
    assert_eq!(a.station(StationKind::Documents).unwrap().state, StationState::Returned);
    assert_eq!(a.station(StationKind::Inspection).unwrap().state, StationState::Stamped);
}

#[test]
fn a_returned_station_is_stamped_again() {
    let mut doc = slip();
    ready(&mut doc, StationKind::Documents);
    assert!(send_back(&mut doc, t(AT), "门岗", Role::Gate, StationKind::Documents, "x").is_err());
    assert!(send_back(&mut doc, t(AT), "销售", Role::Sales, StationKind::Documents, " ").is_err());
    send_back(&mut doc, t(AT), "销售", Role::Sales, StationKind::Documents, "缺户口簿").unwrap();
    let s = read(&doc).unwrap();
    let st = s.station(StationKind::Documents).unwrap();
    assert_eq!((st.state, st.reason.as_str()), (StationState::Returned, "缺户口簿"));
    stamp(&mut doc, t(AT), "销售", Role::Sales, StationKind::Documents, None).unwrap();
    assert_eq!(read(&doc).unwrap().station(StationKind::Documents).unwrap().state, StationState::Stamped);
}
