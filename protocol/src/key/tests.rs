use super::*;

fn t(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn key(kind: KeyKind) -> AutoCommit {
    let mut rng = rand::thread_rng();
    let new = NewKey {
        tag: "K-017".into(),
        kind,
        slot: "A3".into(),
        opens: "3栋2单元501".into(),
        deposited_by: "业主张伟".into(),
    };
    new_key(
        RecordId::random(&mut rng),
        SiteId::random(&mut rng),
        chrono_tz::Asia::Shanghai,
        t("2026-11-01T02:00:00Z"),
        "客服员",
        &new,
    )
    .unwrap()
}

fn lend<'a>(approved_by: &'a str) -> Step<'a> {
    Step::Lend {
        to: "维修工老王", reason: "入户维修", approved_by, due: t("2026-11-02T10:00:00Z"), id_number: ""
    }
}

#[test]
fn an_owners_key_is_lent_only_with_approval_and_is_overdue_when_not_back_in_time() {
    let mut doc = key(KeyKind::OwnerDeposit);
    assert!(step(&mut doc, t("2026-11-02T02:00:00Z"), "客服员", lend("")).is_err(), "approval needed");
    step(&mut doc, t("2026-11-02T02:00:00Z"), "周站长（客服主管）", lend("周站长；已电话联系业主")).unwrap();
    let k: Key = crate::kind::read(&doc).unwrap();
    assert_eq!((k.status, k.lent_to.as_deref()), (KeyStatus::Lent, Some("维修工老王")));
    assert!(!k.is_overdue(t("2026-11-02T09:00:00Z")) && k.is_overdue(t("2026-11-02T11:00:00Z")));
    assert!(step(&mut doc, t("2026-11-02T03:00:00Z"), "客服员", lend("x")).is_err(), "lent already");
    step(&mut doc, t("2026-11-02T12:00:00Z"), "客服员", Step::Chase("电话催还")).unwrap();
    step(&mut doc, t("2026-11-02T13:00:00Z"), "客服员", Step::Return).unwrap();
    let k: Key = crate::kind::read(&doc).unwrap();
    assert_eq!((k.status, k.steps.len()), (KeyStatus::InCabinet, 4));
    assert!(step(&mut doc, t("2026-11-02T13:00:00Z"), "客服员", Step::Return).is_err());
}

#[test]
fn a_common_key_needs_no_approval_and_a_loss_is_final() {
    let mut doc = key(KeyKind::Common);
    step(&mut doc, t("2026-11-02T02:00:00Z"), "客服员", lend("")).unwrap();
    step(&mut doc, t("2026-11-02T05:00:00Z"), "客服员", Step::Lose("已换锁")).unwrap();
    let k: Key = crate::kind::read(&doc).unwrap();
    assert_eq!(k.status, KeyStatus::Lost);
    assert!(step(&mut doc, t("2026-11-03T02:00:00Z"), "客服员", lend("")).is_err());
}

#[test]
fn two_loans_made_apart_merge_to_one_in_either_order() {
    let mut base = key(KeyKind::Common);
    let (mut a, mut b) = (base.fork(), base.fork());
    step(&mut a, t("2026-11-02T02:00:00Z"), "甲", lend("")).unwrap();
    step(&mut b, t("2026-11-02T02:01:00Z"), "乙", lend("")).unwrap();
    let (mut ab, mut ba) = (a.fork(), b.fork());
    ab.merge(&mut b).unwrap();
    ba.merge(&mut a).unwrap();
    let (x, y): (Key, Key) = (crate::kind::read(&ab).unwrap(), crate::kind::read(&ba).unwrap());
    assert_eq!(x, y);
    assert_eq!(x.status, KeyStatus::Lent);
}

#[test]
fn a_key_handed_to_the_owner_leaves_custody_for_good() {
    let mut doc = key(KeyKind::Vacant);
    step(&mut doc, t("2026-11-02T02:00:00Z"), "客服员", Step::HandOver("张伟")).unwrap();
    let k: Key = crate::kind::read(&doc).unwrap();
    assert_eq!(k.status, KeyStatus::HandedOver);
    assert!(step(&mut doc, t("2026-11-02T03:00:00Z"), "客服员", lend("")).is_err());
    assert!(step(&mut doc, t("2026-11-02T03:00:00Z"), "客服员", Step::HandOver("张伟")).is_err());
}

#[test]
fn a_borrowers_id_number_is_written_masked_only() {
    let mut doc = key(KeyKind::Common);
    let lend = Step::Lend {
        to: "维修工老王",
        reason: "入户维修",
        approved_by: "",
        due: t("2026-11-02T10:00:00Z"),
        id_number: "11010519491231002X",
    };
    step(&mut doc, t("2026-11-02T02:00:00Z"), "客服员", lend).unwrap();
    let k: Key = crate::kind::read(&doc).unwrap();
    assert_eq!(k.steps[1].id_number, "110105********002X");
    let bytes = doc.save();
    assert!(!bytes.windows(8).any(|w| w == b"19491231"), "the whole number is nowhere in the document");
}
