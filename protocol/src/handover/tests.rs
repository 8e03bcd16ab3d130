use super::*;

fn t(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// Writes `new` as 张敏（客服员）.
fn written(new: &NewHandover) -> Result<AutoCommit, RuleError> {
    let mut rng = rand::thread_rng();
    let (id, site) = (RecordId::random(&mut rng), SiteId::random(&mut rng));
    write(id, site, chrono_tz::Asia::Shanghai, t("2026-11-01T09:00:00Z"), "张敏（客服员）", new)
}

fn record(to_id: RecordId) -> AutoCommit {
    let mut rng = rand::thread_rng();
    let new = NewHandover {
        shift: "早班".into(),
        to_id,
        to: "李娜（客服员）".into(),
        items: vec![OpenItem {
            kind: OpenKind::Key,
            id: RecordId::random(&mut rng),
            text: "K-017 借给 维修工老王".into(),
            overdue: true,
        }],
        things: vec![Thing { name: "对讲机".into(), quantity: 2, condition: "完好".into() }],
        notes: "3栋电梯异响，已报工程部".into(),
    };
    written(&new).unwrap()
}

#[test]
fn only_the_incoming_person_confirms_and_only_once() {
    let to = RecordId::random(&mut rand::thread_rng());
    let mut doc = record(to);
    let r: ShiftHandover = crate::kind::read(&doc).unwrap();
    assert_eq!(
        (r.state, r.from.as_str(), r.items.len(), r.things[0].quantity),
        (HandoverState::Handed, "张敏（客服员）", 1, 2)
    );
    let stranger = RecordId::random(&mut rand::thread_rng());
    let err = confirm(&mut doc, t("2026-11-01T09:05:00Z"), "王五（客服员）", stranger, "").unwrap_err().to_string();
    assert!(err.contains("李娜"), "{err}");
    confirm(&mut doc, t("2026-11-01T09:05:00Z"), "李娜（客服员）", to, "对讲机电池缺1块").unwrap();
    let r: ShiftHandover = crate::kind::read(&doc).unwrap();
    assert_eq!(r.state, HandoverState::Received);
    assert_eq!(r.received.as_ref().unwrap().text, "对讲机电池缺1块");
    assert!(confirm(&mut doc, t("2026-11-01T09:06:00Z"), "李娜（客服员）", to, "").is_err());
}

#[test]
fn nobody_hands_over_to_themselves_and_two_confirmations_made_apart_merge_the_same() {
    let to = RecordId::random(&mut rand::thread_rng());
    let new = NewHandover {
        shift: String::new(),
        to_id: to,
        to: "张敏（客服员）".into(),
        items: vec![],
        things: vec![],
        notes: String::new(),
    };
    assert!(written(&new).is_err());
    let mut a = record(to);
    let mut b = a.fork();
    confirm(&mut a, t("2026-11-01T09:05:00Z"), "李娜（客服员）", to, "").unwrap();
    confirm(&mut b, t("2026-11-01T09:07:00Z"), "李娜（客服员）", to, "少一把钥匙").unwrap();
    let mut ab = a.fork();
    ab.merge(&mut b).unwrap();
    let mut ba = b.fork();
    ba.merge(&mut a).unwrap();
    let (x, y): (ShiftHandover, ShiftHandover) = (crate::kind::read(&ab).unwrap(), crate::kind::read(&ba).unwrap());
    assert_eq!(x, y);
    assert_eq!(x.state, HandoverState::Received);
}
