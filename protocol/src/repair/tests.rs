use super::*;
use crate::time::from_stored;
use rand::SeedableRng;

fn order(urgency: Urgency, paid: bool) -> (AutoCommit, rand::rngs::StdRng, DateTime<Utc>) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    // Friday 27 Nov 2026, 10:00 in Shanghai.
    let now = from_stored("2026-11-27T02:00:00Z").unwrap();
    let doc = create(
        RecordId::random(&mut rng),
        SiteId::random(&mut rng),
        &DutyCalendar::new(chrono_tz::Asia::Shanghai),
        &ResponseRules::default(),
        now,
        "客服员",
        EventId::random(&mut rng),
        &NewRepair {
            unit: Some("3栋2单元501".into()),
            area: None,
            category: Category::Pipes,
            description: "厨房下水管漏水".into(),
            channel: Channel::Phone,
            urgency,
            appointment: None,
            paid,
            reporter: String::new(),
            reporter_phone: String::new(),
        },
    )
    .unwrap();
    (doc, rng, now)
}

fn go(
    doc: &mut AutoCommit,
    rng: &mut rand::rngs::StdRng,
    now: &mut DateTime<Utc>,
    s: RepairStep<'_>,
) -> Result<(), RuleError> {
    *now += Duration::minutes(10);
    step(doc, EventId::random(rng), *now, "客服员", s)
}

#[test]
fn the_whole_way_with_a_reassignment_and_a_reopen() {
    let (mut doc, mut rng, mut now) = order(Urgency::Normal, true);
    go(&mut doc, &mut rng, &mut now, RepairStep::Dispatch("王师傅")).unwrap();
    go(&mut doc, &mut rng, &mut now, RepairStep::Dispatch("李师傅")).unwrap();
    go(&mut doc, &mut rng, &mut now, RepairStep::Arrive).unwrap();
    go(
        &mut doc,
        &mut rng,
        &mut now,
        RepairStep::Complete { work: "更换下水管", materials: "PVC管1米", charge_fen: Some(Fen(8_000)) },
    )
    .unwrap();
    go(&mut doc, &mut rng, &mut now, RepairStep::Visit { satisfaction: 1, comment: "还漏" }).unwrap();
    assert_eq!(read(&doc).unwrap().status, RepairStatus::Reopened);
    go(&mut doc, &mut rng, &mut now, RepairStep::Dispatch("王师傅")).unwrap();
    go(&mut doc, &mut rng, &mut now, RepairStep::Arrive).unwrap();
    go(&mut doc, &mut rng, &mut now, RepairStep::Complete { work: "重新密封", materials: "", charge_fen: None })
        .unwrap();
    go(&mut doc, &mut rng, &mut now, RepairStep::Visit { satisfaction: 5, comment: "满意" }).unwrap();
    go(&mut doc, &mut rng, &mut now, RepairStep::Close).unwrap();
    let r = read(&doc).unwrap();
    assert_eq!(r.status, RepairStatus::Closed);
    assert_eq!(r.assigned_to.as_deref(), Some("王师傅"));
    assert_eq!(r.events.iter().filter(|e| e.kind == "dispatched").count(), 3, "reassignment keeps the history");
    assert_eq!(
        r.arrived_at.map(|a| a.to_string()).as_deref(),
        Some("2026-11-27T10:30:00+08:00"),
        "the first arrival counts"
    );
}

#[test]
fn impossible_steps_are_refused() {
    let (mut doc, mut rng, mut now) = order(Urgency::Normal, false);
    let err = go(&mut doc, &mut rng, &mut now, RepairStep::Arrive).unwrap_err().to_string();
    assert!(err.contains("after dispatching"), "{err}");
    let err = go(&mut doc, &mut rng, &mut now, RepairStep::Close).unwrap_err().to_string();
    assert!(err.contains("satisfied follow-up visit"), "{err}");
    go(&mut doc, &mut rng, &mut now, RepairStep::Dispatch("王师傅")).unwrap();
    go(&mut doc, &mut rng, &mut now, RepairStep::Arrive).unwrap();
    let err = go(
        &mut doc,
        &mut rng,
        &mut now,
        RepairStep::Complete { work: "修好", materials: "", charge_fen: Some(Fen(100)) },
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("paid service"), "{err}");
    assert!("plumbing".parse::<Category>().is_err());
    assert_eq!("电梯".parse::<Category>().unwrap(), Category::Elevator);
}

#[test]
fn deadlines_emergency_on_the_clock_normal_in_duty_hours() {
    let (doc, _, now) = order(Urgency::Emergency, false);
    let r = read(&doc).unwrap();
    assert_eq!(r.response_deadline, "2026-11-27T10:30:00+08:00");
    assert!(!r.is_overdue(now + Duration::minutes(29)));
    assert!(r.is_overdue(now + Duration::minutes(31)));
    let (doc, _, _) = order(Urgency::Normal, false);
    assert_eq!(read(&doc).unwrap().response_deadline, "2026-11-30T10:00:00+08:00");
}

#[test]
fn an_order_reached_late_stays_overdue_and_one_reached_in_time_does_not() {
    let (mut doc, mut rng, mut now) = order(Urgency::Emergency, false);
    go(&mut doc, &mut rng, &mut now, RepairStep::Dispatch("王师傅")).unwrap();
    go(&mut doc, &mut rng, &mut now, RepairStep::Arrive).unwrap();
    assert!(!read(&doc).unwrap().is_overdue(now + Duration::days(3)), "arrived after 20 minutes");
    let (mut doc, mut rng, mut now) = order(Urgency::Emergency, false);
    go(&mut doc, &mut rng, &mut now, RepairStep::Dispatch("王师傅")).unwrap();
    now += Duration::hours(1);
    go(&mut doc, &mut rng, &mut now, RepairStep::Arrive).unwrap();
    assert!(read(&doc).unwrap().is_overdue(now), "arrived after more than 30 minutes");
}

#[test]
fn a_site_reassignment_and_a_head_office_note_made_concurrently_merge_the_same_everywhere() {
    let (mut site, mut rng, mut now) = order(Urgency::Normal, false);
    go(&mut site, &mut rng, &mut now, RepairStep::Dispatch("王师傅")).unwrap();
    let mut office = site.fork();
    go(&mut site, &mut rng, &mut now, RepairStep::Dispatch("李师傅")).unwrap();
    go(&mut office, &mut rng, &mut now, RepairStep::Note("总部督办，请今天处理")).unwrap();
    site.merge(&mut office).unwrap();
    office.merge(&mut site).unwrap();
    let (a, b) = (read(&site).unwrap(), read(&office).unwrap());
    assert_eq!(a, b);
    assert_eq!(a.assigned_to.as_deref(), Some("李师傅"));
    assert!(a.events.iter().any(|e| e.kind == "note"));
}

#[test]
fn concurrent_arrival_and_reassignment_give_one_status_everywhere() {
    let (mut site, mut rng, mut now) = order(Urgency::Emergency, false);
    go(&mut site, &mut rng, &mut now, RepairStep::Dispatch("王师傅")).unwrap();
    let mut other = site.fork();
    go(&mut site, &mut rng, &mut now, RepairStep::Arrive).unwrap();
    go(&mut other, &mut rng, &mut now, RepairStep::Dispatch("李师傅")).unwrap();
    site.merge(&mut other).unwrap();
    other.merge(&mut site).unwrap();
    assert_eq!(read(&site).unwrap().status, read(&other).unwrap().status);
}
