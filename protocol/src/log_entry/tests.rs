use super::*;
use crate::commitment::{commitment_reply, new_commitment, read_commitment};
use rand::SeedableRng;

#[test]
fn an_entry_is_open_until_handled_or_turned_into_a_record() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let now = time::from_stored("2026-11-27T02:00:00Z").unwrap();
    let tz = chrono_tz::Asia::Shanghai;
    let site = SiteId::random(&mut rng);
    let mut doc = new_log_entry(
        RecordId::random(&mut rng),
        site,
        tz,
        now,
        "李娜",
        Channel::Phone,
        "张伟",
        "3栋501",
        "询问停水时间",
        "",
    )
    .unwrap();
    assert!(read_log_entry(&doc).unwrap().open);
    let complaint = RecordId::random(&mut rng);
    log_link(&mut doc, complaint).unwrap();
    log_link(&mut doc, complaint).unwrap();
    let entry = read_log_entry(&doc).unwrap();
    assert_eq!((entry.open, entry.records.len()), (false, 1));
    let mut answered =
        new_log_entry(RecordId::random(&mut rng), site, tz, now, "李娜", Channel::Visit, "王芳", "", "问路", "已告知")
            .unwrap();
    assert!(!read_log_entry(&answered).unwrap().open);
    assert_eq!(log_done(&mut answered, now, "李娜", " "), Err(RuleError::Empty("done")));
}

#[test]
fn a_second_handling_or_reply_stands_beside_the_first_with_who_and_when() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let now = time::from_stored("2026-11-27T02:00:00Z").unwrap();
    let tz = chrono_tz::Asia::Shanghai;
    let site = SiteId::random(&mut rng);
    let mut entry =
        new_log_entry(RecordId::random(&mut rng), site, tz, now, "李娜", Channel::Phone, "刘洋", "", "停水", "")
            .unwrap();
    let later = now + chrono::Duration::minutes(5);
    log_done(&mut entry, later, "李娜", "已告知明天恢复").unwrap();
    let mut other = entry.fork();
    log_done(&mut entry, later, "周站长", "已再次电话确认").unwrap();
    log_done(&mut other, later, "王芳", "住户来访，已解释").unwrap();
    entry.merge(&mut other).unwrap();
    let read = read_log_entry(&entry).unwrap();
    let by: Vec<&str> = read.handlings.iter().map(|h| h.by.as_str()).collect();
    assert_eq!(by.len(), 3, "{by:?}");
    assert_eq!(by[0], "李娜");
    assert_eq!(read.done, read.handlings[2].text);
    assert_eq!(read.handlings[0].at, "2026-11-27T10:05:00+08:00");

    let due = now + chrono::Duration::hours(2);
    let mut c = new_commitment(RecordId::random(&mut rng), site, tz, now, "李娜", "外墙渗水", "张伟", due).unwrap();
    commitment_reply(&mut c, later, "李娜", "工程部下周检修").unwrap();
    commitment_reply(&mut c, later, "周站长", "改为本周五检修").unwrap();
    let read = read_commitment(&c).unwrap();
    assert_eq!(read.replies.len(), 2);
    assert_eq!(read.reply.as_deref(), Some("改为本周五检修"));
    assert_eq!(read.replies[0].text, "工程部下周检修");
}

#[test]
fn a_commitment_is_due_until_answered() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(4);
    let now = time::from_stored("2026-11-27T02:00:00Z").unwrap();
    let due = now + chrono::Duration::hours(2);
    let mut doc = new_commitment(
        RecordId::random(&mut rng),
        SiteId::random(&mut rng),
        chrono_tz::Asia::Shanghai,
        now,
        "李娜",
        "咨询工程部外墙渗水原因",
        "张伟",
        due,
    )
    .unwrap();
    let c = read_commitment(&doc).unwrap();
    assert!(!c.is_due_by(now));
    assert!(c.is_due_by(due));
    commitment_reply(&mut doc, now, "李娜", "工程部答复：下周检修").unwrap();
    assert!(!read_commitment(&doc).unwrap().is_due_by(due));
}
