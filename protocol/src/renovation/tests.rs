use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::*;

const TZ: Tz = chrono_tz::Asia::Shanghai;

fn now() -> DateTime<Utc> {
    "2026-12-01T02:00:00Z".parse().unwrap()
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn body() -> RenovationBody {
    RenovationBody {
        house_id: RecordId::random(&mut rand::thread_rng()),
        house: "3栋2单元501".into(),
        owner: "张伟".into(),
        phone: "13800000000".into(),
        contractor: Contractor {
            name: "安居装饰公司".into(),
            licence: "91110000MA01".into(),
            manager: "李工".into(),
            phone: "13900000000".into(),
        },
        items: vec![WorkItem::Wiring, WorkItem::Flooring],
        planned_start: day("2026-12-05"),
        planned_end: day("2027-02-28"),
        hours: "08:00–12:00, 14:00–18:00；周末不得进行噪音作业".into(),
        deposit: Fen::yuan(2_000),
        rubbish_fee: Fen::yuan(300),
        pass_fee: Fen::yuan(10),
        steps: Vec::new(),
        passes: Vec::new(),
        returned: Vec::new(),
        patrols: Vec::new(),
        corrections: Vec::new(),
        deductions: Vec::new(),
        notes: Vec::new(),
    }
}

fn doc() -> AutoCommit {
    let id = RecordId::random(&mut rand::thread_rng());
    let site = SiteId::random(&mut rand::thread_rng());
    apply(id, site, TZ, now(), "客服员", &body()).unwrap()
}

fn state(doc: &AutoCommit) -> RenovationState {
    crate::kind::read::<Renovation>(doc).unwrap().state()
}

fn go(doc: &mut AutoCommit, action: Action, text: &str) -> Result<(), RuleError> {
    step(doc, now(), "王经理", action, text, None, Paid(true))
}

#[test]
fn load_bearing_walls_and_the_outside_are_refused_at_application() {
    for bad in ["拆改承重墙", "改变外立面"] {
        let refused = parse_item(bad).unwrap_err().to_string();
        assert!(refused.contains("never") || refused.contains("outside"), "{refused}");
    }
    assert_eq!(parse_item("吊顶").unwrap(), WorkItem::Ceiling);
    let empty = RenovationBody { items: Vec::new(), ..body() };
    let id = RecordId::random(&mut rand::thread_rng());
    assert!(apply(id, SiteId::random(&mut rand::thread_rng()), TZ, now(), "客服员", &empty).is_err());
    let backwards = RenovationBody { planned_end: day("2026-12-01"), ..body() };
    assert!(apply(id, SiteId::random(&mut rand::thread_rng()), TZ, now(), "客服员", &backwards).is_err());
}

#[test]
fn no_start_before_the_deposit_and_fees_are_paid_and_a_pass_is_issued() {
    let mut d = doc();
    assert!(go(&mut d, Action::Start, "").is_err(), "not yet approved");
    go(&mut d, Action::Approve, "资料齐全").unwrap();
    let unpaid = step(&mut d, now(), "客服员", Action::Start, "", None, Paid(false)).unwrap_err().to_string();
    assert!(unpaid.contains("paid"), "{unpaid}");
    let no_pass = go(&mut d, Action::Start, "").unwrap_err().to_string();
    assert!(no_pass.contains("出入证"), "{no_pass}");
    issue_pass(&mut d, now(), "王师傅", "CR-001").unwrap();
    assert!(issue_pass(&mut d, now(), "赵师傅", "CR-001").is_err(), "a number once");
    go(&mut d, Action::Start, "").unwrap();
    assert_eq!(state(&d), RenovationState::Working);
    return_pass(&mut d, "CR-001").unwrap();
    assert!(return_pass(&mut d, "CR-001").is_err());
}

#[test]
fn an_extension_needs_a_later_end_and_a_reason() {
    let mut d = doc();
    go(&mut d, Action::Approve, "").unwrap();
    issue_pass(&mut d, now(), "王师傅", "CR-001").unwrap();
    go(&mut d, Action::Start, "").unwrap();
    let earlier = step(&mut d, now(), "王经理", Action::Extend, "材料未到", Some(day("2027-01-01")), Paid(true));
    assert!(earlier.is_err());
    assert!(step(&mut d, now(), "王经理", Action::Extend, " ", Some(day("2027-03-31")), Paid(true)).is_err());
    step(&mut d, now(), "王经理", Action::Extend, "材料未到", Some(day("2027-03-31")), Paid(true)).unwrap();
    assert_eq!(crate::kind::read::<Renovation>(&d).unwrap().ends(), day("2027-03-31"));
}

#[test]
fn no_refund_with_a_violation_open_and_a_failed_inspection_is_inspected_again() {
    let mut d = doc();
    go(&mut d, Action::Approve, "").unwrap();
    issue_pass(&mut d, now(), "王师傅", "CR-001").unwrap();
    go(&mut d, Action::Start, "").unwrap();
    let v = Violation {
        item: "周末噪音作业".into(),
        photo_note: "周六上午电钻".into(),
        deadline: day("2026-12-03"),
        fine: Fen::yuan(200),
    };
    patrol(&mut d, now(), "巡查员", "卫生间防水施工中", None).unwrap();
    patrol(&mut d, now(), "巡查员", "周六施工", Some(&v)).unwrap();
    let late = Violation { deadline: day("2026-11-30"), ..v.clone() };
    assert!(patrol(&mut d, now(), "巡查员", "x", Some(&late)).is_err(), "a deadline in the past");
    go(&mut d, Action::Finish, "").unwrap();
    go(&mut d, Action::Fail, "卫生间闭水试验渗漏").unwrap();
    assert_eq!(state(&d), RenovationState::Rectifying);
    go(&mut d, Action::Rectified, "重做防水").unwrap();
    go(&mut d, Action::Pass, "复验合格").unwrap();
    let open = refund(&mut d, now(), "王经理", &[], "现金").unwrap_err().to_string();
    assert!(open.contains("违规"), "{open}");
    assert!(correct(&mut d, now(), "巡查员", 0, "x").is_err(), "the first patrol found nothing");
    correct(&mut d, now(), "巡查员", 1, "已停止周末施工").unwrap();
    let too_much = [Deduction { amount: Fen::yuan(3_000), reason: "损坏".into(), approved_by: "王经理".into() }];
    assert!(refund(&mut d, now(), "王经理", &too_much, "现金").is_err());
    let fine = [Deduction {
        amount: Fen::yuan(200), reason: "周末噪音作业罚款".into(), approved_by: "王经理".into()
    }];
    refund(&mut d, now(), "王经理", &fine, "退至业主银行卡").unwrap();
    let r: Renovation = crate::kind::read(&d).unwrap();
    assert_eq!((r.state(), r.refundable()), (RenovationState::Refunded, Fen::yuan(1_800)));
    go(&mut d, Action::Close, "").unwrap();
    assert!(!crate::kind::read::<Renovation>(&d).unwrap().is_active());
}

#[test]
fn a_patrol_at_the_site_and_a_note_at_head_office_merge_the_same_in_both_orders() {
    let mut site = doc();
    go(&mut site, Action::Approve, "").unwrap();
    issue_pass(&mut site, now(), "王师傅", "CR-001").unwrap();
    go(&mut site, Action::Start, "").unwrap();
    let mut office = site.fork();
    patrol(&mut site, now(), "巡查员", "吊顶施工", None).unwrap();
    step(
        &mut office,
        now() + Duration::minutes(1),
        "总部工程部",
        Action::Extend,
        "总部同意延期",
        Some(day("2027-03-15")),
        Paid(true),
    )
    .unwrap();
    note(&mut office, now() + Duration::minutes(2), "总部工程部", "请加强周末巡查").unwrap();
    note(&mut site, now() + Duration::minutes(3), "巡查员", "已告知装修单位").unwrap();
    let (mut a, mut b) = (site.fork(), office.fork());
    a.merge(&mut office).unwrap();
    b.merge(&mut site).unwrap();
    let (x, y): (Renovation, Renovation) = (crate::kind::read(&a).unwrap(), crate::kind::read(&b).unwrap());
    assert_eq!(x, y);
    assert_eq!((x.patrols.len(), x.ends(), x.notes.len()), (1, day("2027-03-15"), 2));
    assert!(note(&mut a, now(), "巡查员", "  ").is_err(), "an empty note is refused");
}
