use super::*;
use crate::time::from_stored;
use rand::SeedableRng;

struct Fixture {
    rng: rand::rngs::StdRng,
    now: DateTime<Utc>,
}

impl Fixture {
    fn new() -> Self {
        Self { rng: rand::rngs::StdRng::seed_from_u64(7), now: from_stored("2026-11-27T01:00:00Z").unwrap() }
    }

    fn complaint(&mut self, major: bool) -> AutoCommit {
        create(
            RecordId::random(&mut self.rng),
            SiteId::random(&mut self.rng),
            chrono_tz::Asia::Shanghai,
            self.now,
            "客服员 王芳",
            EventId::random(&mut self.rng),
            &NewComplaint {
                phone: String::new(),
                customer: "张伟".into(),
                unit: "3栋2单元501".into(),
                channel: Channel::Phone,
                summary: "楼上漏水，天花板发霉".into(),
                category: "设施".into(),
                departments: vec!["维修部".into()],
                major,
            },
        )
        .unwrap()
    }

    fn event(&mut self) -> EventId {
        EventId::random(&mut self.rng)
    }
}

#[test]
fn a_new_complaint_reads_back_with_site_time() {
    let mut f = Fixture::new();
    let doc = f.complaint(false);
    let c = read(&doc).unwrap();
    assert_eq!(c.customer, "张伟");
    assert_eq!(c.received_at, "2026-11-27T09:00:00+08:00");
    assert_eq!(c.status, ComplaintStatus::Registered);
    assert_eq!(c.departments, vec!["维修部".to_string()]);
    assert_eq!(c.decision, None);
}

#[test]
fn status_follows_the_events() {
    fn check(major: bool, kinds: &[EventKind], expected: ComplaintStatus) {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let at = from_stored("2026-01-01T00:00:00Z").unwrap();
        let events: Vec<Event> = kinds
            .iter()
            .map(|&kind| Event {
                id: EventId::random(&mut rng),
                kind,
                at,
                by: "x".into(),
                text: String::new(),
                satisfaction: None,
                supersedes: Vec::new(),
                contact: Contact::default(),
            })
            .collect();
        assert_eq!(status(major, &events), expected, "major={major} {kinds:?}");
    }
    use EventKind::*;
    check(false, &[Registered], ComplaintStatus::Registered);
    check(false, &[Registered, Note], ComplaintStatus::InProgress);
    check(true, &[Registered], ComplaintStatus::Escalated);
    check(true, &[Registered, Note], ComplaintStatus::Escalated);
    check(true, &[Registered, Decision], ComplaintStatus::Decided);
    check(true, &[Registered, Note, Decision, Note], ComplaintStatus::Decided);
}

#[test]
fn only_a_major_complaint_is_decided_and_only_once() {
    let mut f = Fixture::new();
    let mut minor = f.complaint(false);
    let e = f.event();
    assert!(matches!(decide(&mut minor, e, f.now, "经理", "同意"), Err(RuleError::NotMajor(_))));

    let mut major = f.complaint(true);
    let e = f.event();
    decide(&mut major, e, f.now, "物业公司经理", "由维修部三日内修复，费用公司承担").unwrap();
    let c = read(&major).unwrap();
    assert_eq!(c.status, ComplaintStatus::Decided);
    assert_eq!(c.decision.as_ref().unwrap().by, "物业公司经理");
    let e = f.event();
    let err = decide(&mut major, e, f.now, "经理", "再次决定").unwrap_err();
    assert!(err.to_string().contains("already decided"), "{err}");
}

#[test]
fn concurrent_note_and_decision_both_survive_a_merge() {
    let mut f = Fixture::new();
    let mut site = f.complaint(true);
    let mut office = site.fork();
    let (e1, e2) = (f.event(), f.event());
    add_note(&mut site, e1, f.now, "客服员", "已联系楼上住户").unwrap();
    decide(&mut office, e2, f.now, "物业公司经理", "公司承担维修费").unwrap();
    site.merge(&mut office).unwrap();
    office.merge(&mut site).unwrap();
    let (a, b) = (read(&site).unwrap(), read(&office).unwrap());
    assert_eq!(a, b);
    assert_eq!(a.notes.len(), 1);
    assert_eq!(a.status, ComplaintStatus::Decided);
}

#[test]
fn two_decisions_made_apart_both_stand_until_a_manager_settles_them() {
    let mut f = Fixture::new();
    let mut site = f.complaint(true);
    let mut office = site.fork();
    let (e1, e2, e3, e4) = (f.event(), f.event(), f.event(), f.event());
    decide(&mut site, e1, f.now, "经理 李强", "维修部承担费用").unwrap();
    resolve(&mut site, e2, f.now, "经理 李强", "已修复").unwrap();
    decide(&mut office, e3, f.now, "物业公司经理", "业主承担费用").unwrap();
    site.merge(&mut office).unwrap();
    office.merge(&mut site).unwrap();
    let (a, b) = (read(&site).unwrap(), read(&office).unwrap());
    assert_eq!(a, b, "both replicas show the same thing");
    let texts: Vec<&str> = a.conflicting_decisions.iter().map(|d| d.text.as_str()).collect();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(texts.contains(&"维修部承担费用") && texts.contains(&"业主承担费用"));
    // A plain second decision is refused without a conflict, taken as a settlement with one.
    decide(&mut site, e4, f.now, "物业公司经理", "以总部决定为准：业主承担费用").unwrap();
    let settled = read(&site).unwrap();
    assert!(settled.conflicting_decisions.is_empty());
    assert_eq!(settled.decision.unwrap().text, "以总部决定为准：业主承担费用");
    let again = f.event();
    assert!(matches!(decide(&mut site, again, f.now, "经理", "再改"), Err(RuleError::AlreadyDecided { .. })));
}

#[test]
fn bad_input_is_refused_with_the_field_named() {
    let mut f = Fixture::new();
    let mut doc = f.complaint(false);
    let e = f.event();
    assert_eq!(add_note(&mut doc, e, f.now, "客服员", "   "), Err(RuleError::Empty("note")));
    let long = "很".repeat(MAX_TEXT_CHARS + 1);
    let err = add_note(&mut doc, e, f.now, "客服员", &long).unwrap_err();
    assert!(err.to_string().contains("note is too long"), "{err}");
    assert_eq!(read(&doc).unwrap().notes.len(), 0, "a refused note leaves no trace");
    assert!("telegram".parse::<Channel>().is_err());
    assert_eq!("微信".parse::<Channel>().unwrap(), Channel::Wechat);
}

#[test]
fn a_document_of_the_wrong_shape_names_the_field() {
    let mut f = Fixture::new();
    let mut doc = f.complaint(false);
    doc.put(ROOT, "major", "yes").unwrap();
    assert_eq!(read(&doc).unwrap_err(), DocError::WrongType { field: "major".into(), expected: "true or false" });
    let mut doc = f.complaint(false);
    doc.delete(ROOT, "customer").unwrap();
    assert_eq!(read(&doc).unwrap_err(), DocError::Missing("customer".into()));
    let mut doc = f.complaint(false);
    doc.put(ROOT, "kind", "spaceship").unwrap();
    assert!(read(&doc).unwrap_err().to_string().contains("unknown record kind"));
}

/// Runs steps in order on a fresh complaint; each step is an action and whether it must succeed.
fn walk(major: bool, steps: &[(&str, bool)]) -> (Complaint, Vec<String>) {
    let mut f = Fixture::new();
    let mut doc = f.complaint(major);
    let mut refusals = Vec::new();
    for (step, ok) in steps {
        f.now += chrono::Duration::minutes(5);
        let e = f.event();
        let now = f.now;
        let result = match *step {
            "note" => add_note(&mut doc, e, now, "客服员", "跟踪"),
            "assign" => assign(&mut doc, e, now, "客服员", "维修部"),
            "escalate" => escalate(&mut doc, e, now, "客服主管"),
            "decide" => decide(&mut doc, e, now, "物业公司经理", "同意"),
            "resolve" => resolve(&mut doc, e, now, "客服员", "已修复"),
            "visit5" => visit(&mut doc, e, now, "客服员", 5, "满意"),
            "visit1" => visit(&mut doc, e, now, "客服员", 1, "仍然漏水"),
            "archive" => archive(&mut doc, e, now, "客服主管"),
            other => panic!("unknown step {other}"),
        };
        assert_eq!(result.is_ok(), *ok, "step {step}: {result:?}");
        if let Err(err) = result {
            refusals.push(err.to_string());
        }
    }
    (read(&doc).unwrap(), refusals)
}

#[test]
fn the_whole_way_registered_to_archived() {
    fn check(major: bool, steps: &[(&str, bool)], expected: ComplaintStatus) {
        let (c, _) = walk(major, steps);
        assert_eq!(c.status, expected, "{steps:?}");
    }
    use ComplaintStatus as S;
    check(false, &[("assign", true)], S::Assigned);
    check(false, &[("assign", true), ("note", true)], S::Assigned);
    check(false, &[("assign", true), ("resolve", true)], S::Resolved);
    check(false, &[("resolve", true), ("visit5", true)], S::Visited);
    check(false, &[("resolve", true), ("visit5", true), ("archive", true)], S::Archived);
    check(false, &[("resolve", true), ("visit1", true)], S::Reopened);
    check(
        false,
        &[("resolve", true), ("visit1", true), ("assign", true), ("resolve", true), ("visit5", true)],
        S::Visited,
    );
    check(false, &[("escalate", true)], S::Escalated);
    check(false, &[("escalate", true), ("decide", true), ("resolve", true)], S::Resolved);
    check(true, &[("assign", true), ("decide", true)], S::Decided);
}

#[test]
fn impossible_steps_are_refused_with_what_to_do() {
    let (_, r) = walk(false, &[("archive", false)]);
    assert!(r[0].contains("archive only after a satisfied follow-up visit"), "{r:?}");
    let (_, r) = walk(false, &[("visit5", false)]);
    assert!(r[0].contains("after the result is recorded"), "{r:?}");
    let (_, r) = walk(true, &[("resolve", false)]);
    assert!(r[0].contains("needs the property manager's decision"), "{r:?}");
    let (_, r) = walk(false, &[("resolve", true), ("resolve", false), ("visit1", true), ("resolve", true)]);
    assert!(r[0].contains("already recorded"), "{r:?}");
    let (c, r) =
        walk(false, &[("resolve", true), ("visit5", true), ("archive", true), ("note", false), ("assign", false)]);
    assert_eq!(c.status, ComplaintStatus::Archived);
    assert!(r.iter().all(|m| m.contains("archived")), "{r:?}");
    let (_, r) = walk(true, &[("escalate", false)]);
    assert!(r[0].contains("already a major complaint"), "{r:?}");
    let mut f = Fixture::new();
    let mut doc = f.complaint(false);
    let e = f.event();
    resolve(&mut doc, e, f.now, "客服员", "已处理").unwrap();
    assert_eq!(visit(&mut doc, e, f.now, "客服员", 6, ""), Err(RuleError::Satisfaction(6)));
}

#[test]
fn the_record_shows_slips_results_and_visits() {
    let (c, _) =
        walk(false, &[("assign", true), ("resolve", true), ("visit1", true), ("resolve", true), ("visit5", true)]);
    assert_eq!(c.assignments[0].department, "维修部");
    assert_eq!(c.visits.iter().map(|v| v.satisfaction).collect::<Vec<_>>(), vec![1, 5]);
    assert_eq!(c.result.unwrap().text, "已修复");
}

#[test]
fn concurrent_archive_at_the_site_and_a_note_at_head_office_merge_to_one_status() {
    let mut f = Fixture::new();
    let mut site = f.complaint(false);
    for step in 0..2 {
        f.now += chrono::Duration::minutes(1);
        let e = f.event();
        if step == 0 {
            resolve(&mut site, e, f.now, "客服员", "已修复").unwrap();
        } else {
            visit(&mut site, e, f.now, "客服员", 4, "").unwrap();
        }
    }
    let mut office = site.fork();
    f.now += chrono::Duration::minutes(1);
    let (e1, e2) = (f.event(), f.event());
    archive(&mut site, e1, f.now, "客服主管").unwrap();
    add_note(&mut office, e2, f.now, "总部", "总部督办").unwrap();
    site.merge(&mut office).unwrap();
    office.merge(&mut site).unwrap();
    let (a, b) = (read(&site).unwrap(), read(&office).unwrap());
    assert_eq!(a, b);
    assert_eq!(a.status, ComplaintStatus::Archived);
    assert_eq!(a.notes.len(), 1, "the concurrent note survives in the record");
}

#[test]
fn concurrent_unsatisfied_and_satisfied_visits_resolve_the_same_way_everywhere() {
    let mut f = Fixture::new();
    let mut site = f.complaint(false);
    let e = f.event();
    resolve(&mut site, e, f.now, "客服员", "已修复").unwrap();
    let mut office = site.fork();
    f.now += chrono::Duration::minutes(1);
    let (e1, e2) = (f.event(), f.event());
    visit(&mut site, e1, f.now, "客服员", 2, "不满意").unwrap();
    visit(&mut office, e2, f.now, "总部", 5, "满意").unwrap();
    site.merge(&mut office).unwrap();
    office.merge(&mut site).unwrap();
    let (a, b) = (read(&site).unwrap(), read(&office).unwrap());
    assert_eq!(a.status, b.status, "one status on every replica");
    assert_eq!(a.visits.len(), 2, "both visits are kept");
}

#[test]
fn a_contact_slip_takes_its_instruction_due_time_and_the_departments_reply() {
    let mut f = Fixture::new();
    let now = f.now;
    let mut doc = f.complaint(false);
    let event = f.event();
    assign(&mut doc, event, now, "李娜", "维修部").unwrap();
    assert!(contact_details(&mut doc, 2, "x", None, now).unwrap_err().to_string().contains("1 to 1"));
    let past = from_stored("2026-11-26T02:00:00Z").unwrap();
    assert!(contact_details(&mut doc, 1, "更换楼道灯", Some(past), now).is_err(), "due after now");
    let due = from_stored("2026-11-28T02:00:00Z").unwrap();
    contact_details(&mut doc, 1, "更换楼道灯", Some(due), now).unwrap();
    assert!(contact_reply(&mut doc, 1, now, "维修部王工", " ").is_err());
    contact_reply(&mut doc, 1, now, "维修部王工", "已更换，明日回访").unwrap();
    let c = read(&doc).unwrap();
    let slip = &c.assignments[0];
    assert_eq!((slip.instruction.as_str(), slip.due.map(|d| d.utc())), ("更换楼道灯", Some(due)));
    assert_eq!(slip.reply.as_ref().map(|r| (r.by.as_str(), r.text.as_str())), Some(("维修部王工", "已更换，明日回访")));
}
