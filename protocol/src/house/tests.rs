use super::*;

fn new(room: &str) -> NewHouse {
    NewHouse {
        building: "3栋".into(),
        unit: "2单元".into(),
        floor: 5,
        room: room.into(),
        house_type: HouseType::Home,
        area_centi: 8_950,
    }
}

fn t(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

#[test]
fn areas_are_read_in_hundredths_and_refused_when_they_cannot_be_real() {
    assert_eq!(parse_area("89.5").unwrap(), 8_950);
    assert_eq!(parse_area(" 120.25㎡ ").unwrap(), 12_025);
    assert_eq!(parse_area("75").unwrap(), 7_500);
    assert_eq!(area_text(8_950), "89.50");
    for bad in ["0", "89.555", "-3", "八十", "", "1e3", "100000.01"] {
        assert!(parse_area(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_house_is_handed_over_once_then_moves_between_renovation_occupancy_and_vacancy() {
    let mut rng = rand::thread_rng();
    let tz = chrono_tz::Asia::Shanghai;
    let mut doc = new_house(
        RecordId::random(&mut rng),
        SiteId::random(&mut rng),
        tz,
        t("2026-11-01T02:00:00Z"),
        "客服员",
        &new("501"),
    )
    .unwrap();
    let h: House = crate::kind::read(&doc).unwrap();
    assert_eq!((h.state, h.address(), h.handover_date), (HouseState::NotHandedOver, "3栋2单元501".to_string(), None));
    assert!(
        set_state(&mut doc, t("2026-11-02T02:00:00Z"), "客服员", HouseState::Occupied, "").is_err(),
        "not before handover"
    );
    set_state(&mut doc, t("2026-11-02T17:00:00Z"), "客服员", HouseState::HandedOver, "收楼流转单").unwrap();
    assert!(set_state(&mut doc, t("2026-11-04T02:00:00Z"), "客服员", HouseState::HandedOver, "").is_err(), "once");
    set_state(&mut doc, t("2026-11-05T02:00:00Z"), "客服员", HouseState::Renovating, "").unwrap();
    let h: House = crate::kind::read(&doc).unwrap();
    assert_eq!(h.state, HouseState::Renovating);
    assert_eq!(h.handover_date, Some("2026-11-03".parse().unwrap()), "the site's day");
}

#[test]
fn two_handovers_made_apart_merge_to_one_in_either_order() {
    let mut rng = rand::thread_rng();
    let tz = chrono_tz::Asia::Shanghai;
    let mut base = new_house(
        RecordId::random(&mut rng),
        SiteId::random(&mut rng),
        tz,
        t("2026-11-01T02:00:00Z"),
        "客服员",
        &new("502"),
    )
    .unwrap();
    let (mut a, mut b) = (base.fork(), base.fork());
    set_state(&mut a, t("2026-11-02T02:00:00Z"), "站点", HouseState::HandedOver, "").unwrap();
    set_state(&mut b, t("2026-11-03T02:00:00Z"), "总部", HouseState::HandedOver, "").unwrap();
    set_state(&mut b, t("2026-11-04T02:00:00Z"), "总部", HouseState::Vacant, "").unwrap();
    let (mut ab, mut ba) = (a.fork(), b.fork());
    ab.merge(&mut b).unwrap();
    ba.merge(&mut a).unwrap();
    let (x, y): (House, House) = (crate::kind::read(&ab).unwrap(), crate::kind::read(&ba).unwrap());
    assert_eq!(x, y);
    assert_eq!(x.steps.len(), 3);
    assert!(matches!(x.state, HouseState::Vacant | HouseState::HandedOver));
}

#[test]
fn addresses_written_freely_reduce_to_one_key_and_lists_count_buildings_as_people_do() {
    assert_eq!(address_key("3栋 2单元 501"), address_key("3栋2单元501"));
    assert_eq!(address_key("３号楼2单元501室"), address_key("3栋2单元501"));
    assert_ne!(address_key("3栋2单元502"), address_key("3栋2单元501"));
    assert!(natural("2栋") < natural("10栋"));
}
