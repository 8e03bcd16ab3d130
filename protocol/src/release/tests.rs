use super::*;

fn t(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn slip(kind: Applicant, auth: Authorisation, confirmed_by: &str) -> NewSlip {
    NewSlip {
        number: "FX-20261130-001".into(),
        applicant: "刘强".into(),
        applicant_kind: kind,
        house: "3栋2单元501".into(),
        phone: "13900001111".into(),
        car_plate: "京A12345".into(),
        items: vec![Item { name: "冰箱".into(), quantity: 1 }, Item { name: "纸箱".into(), quantity: 12 }],
        reason: "搬家".into(),
        authorisation: auth,
        confirmed_by: confirmed_by.into(),
        valid_on: "2026-11-30".parse().unwrap(),
    }
}

fn issued(new: &NewSlip) -> Result<AutoCommit, RuleError> {
    let mut rng = rand::thread_rng();
    issue(
        RecordId::random(&mut rng),
        SiteId::random(&mut rng),
        chrono_tz::Asia::Shanghai,
        t("2026-11-30T01:00:00Z"),
        "客服员",
        new,
    )
}

#[test]
fn a_tenant_needs_the_owners_authorisation_and_a_call_names_who_confirmed() {
    assert!(issued(&slip(Applicant::Tenant, Authorisation::InPerson, "")).is_err());
    assert!(issued(&slip(Applicant::Tenant, Authorisation::Phone, "")).is_err(), "who confirmed");
    let doc = issued(&slip(Applicant::Tenant, Authorisation::Phone, "业主王先生 09:10")).unwrap();
    let s = read(&doc).unwrap();
    assert_eq!((s.status, s.items.len(), s.items[1].quantity), (SlipStatus::Issued, 2, 12));
    let mut no_items = slip(Applicant::Owner, Authorisation::InPerson, "");
    no_items.items.clear();
    assert!(issued(&no_items).is_err());
}

#[test]
fn the_gate_releases_or_refuses_once_and_never_after_the_day_is_over() {
    let mut doc = issued(&slip(Applicant::Owner, Authorisation::InPerson, "")).unwrap();
    assert!(step(&mut doc, t("2026-11-30T08:00:00Z"), "门岗", SlipStep::Refuse("")).is_err(), "a refusal says why");
    let mut late = doc.fork();
    assert!(
        step(&mut late, t("2026-11-30T16:30:00Z"), "门岗", SlipStep::Release).is_err(),
        "00:30 on 1 December: expired"
    );
    assert!(read(&late).unwrap().is_expired(t("2026-11-30T16:30:00Z")));
    step(&mut doc, t("2026-11-30T08:00:00Z"), "门岗", SlipStep::Release).unwrap();
    assert_eq!(read(&doc).unwrap().status, SlipStatus::Released);
    assert!(step(&mut doc, t("2026-11-30T08:05:00Z"), "客服员", SlipStep::Cancel("写错")).is_err(), "released: done");
}

#[test]
fn a_release_at_the_gate_and_a_cancellation_at_the_desk_made_apart_merge_the_same_in_either_order() {
    let mut base = issued(&slip(Applicant::Owner, Authorisation::InPerson, "")).unwrap();
    let (mut gate, mut desk) = (base.fork(), base.fork());
    step(&mut gate, t("2026-11-30T08:00:00Z"), "门岗", SlipStep::Release).unwrap();
    step(&mut desk, t("2026-11-30T08:01:00Z"), "客服员", SlipStep::Cancel("住户改期")).unwrap();
    let (mut a, mut b) = (gate.fork(), desk.fork());
    a.merge(&mut desk).unwrap();
    b.merge(&mut gate).unwrap();
    let (x, y) = (read(&a).unwrap(), read(&b).unwrap());
    assert_eq!(x, y);
    assert_eq!(x.steps.len(), 2, "both kept in the history");
}
