//! A whole company's records at head office, for the dashboard's benchmark:
//! many sites, each with complaints and work orders spread over months,
//! walked through their steps (results, visits, arrivals, completions,
//! paid charges, closes) by the product's own code, and applied to head
//! office through the sync path (`HeadOffice::apply`) as if each site had
//! synced them. Deterministic for a seed.

use automerge::AutoCommit;
use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::SeedableRng;
use rayon::prelude::*;
use wuye_protocol::calendar::DutyCalendar;
use wuye_protocol::complaint;
use wuye_protocol::ids::{EventId, RecordId, SiteId};
use wuye_protocol::money::Fen;
use wuye_protocol::repair::{self, NewRepair, RepairStep, ResponseRules, Urgency};
use wuye_protocol::rules::Channel;
use wuye_protocol::site_profile::{self, Profile};
use wuye_protocol::sync::SyncStore;
use wuye_protocol::wire::{heads_to_wire, DocPayload};
use wuye_server::office::HeadOffice;

use crate::harness::sample;

/// Records made and applied at a time.
const BATCH: usize = 1_000;

fn payload(kind: &str, doc: &mut AutoCommit) -> anyhow::Result<DocPayload> {
    let (header, _) = wuye_protocol::record::read(doc)?;
    Ok(DocPayload {
        id: header.id,
        kind: kind.to_string(),
        full: true,
        heads: heads_to_wire(&doc.get_heads()),
        bytes: doc.save(),
    })
}

/// Record `i` of a site: six in ten complaints, four in ten work orders,
/// received at `at`; those older than a month carried through their steps.
fn record(site: SiteId, i: usize, at: DateTime<Utc>, now: DateTime<Utc>, seed: u64) -> anyhow::Result<DocPayload> {
    let mut rng = StdRng::seed_from_u64(seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let tz = chrono_tz::Asia::Shanghai;
    let settled = now - at > Duration::days(30) || i % 10 != 9;
    let by = "客服员";
    if i % 10 < 6 {
        let mut doc = complaint::create(
            RecordId::random(&mut rng),
            site,
            tz,
            at,
            by,
            EventId::random(&mut rng),
            &sample(i, i.is_multiple_of(50)),
        )?;
        let limit = if i.is_multiple_of(50) { Duration::hours(8) } else { Duration::days(3) };
        complaint::set_time_limits(&mut doc, at + Duration::days(1), at + limit)?;
        if settled && !i.is_multiple_of(50) {
            let took = Duration::hours(if i.is_multiple_of(7) { 90 } else { 20 });
            complaint::resolve(&mut doc, EventId::random(&mut rng), at + took, by, "已处理")?;
            let score = [5, 4, 4, 3, 2][i % 5];
            complaint::visit(&mut doc, EventId::random(&mut rng), at + took + Duration::days(1), by, score, "")?;
            if score >= 3 {
                complaint::archive(&mut doc, EventId::random(&mut rng), at + took + Duration::days(1), by)?;
            }
        }
        return payload("complaint", &mut doc);
    }
    let urgency = if i.is_multiple_of(9) { Urgency::Emergency } else { Urgency::Normal };
    let paid = i.is_multiple_of(6);
    let input = NewRepair {
        unit: Some(format!("{}栋{}单元{:03}", i % 9 + 1, i % 3 + 1, 101 + i % 20)),
        area: None,
        category: repair::Category::Water,
        description: "卫生间漏水".into(),
        channel: Channel::Phone,
        urgency,
        appointment: None,
        paid,
        reporter: String::new(),
        reporter_phone: String::new(),
    };
    let calendar = DutyCalendar::new(tz);
    let rules = ResponseRules::default();
    let mut doc =
        repair::create(RecordId::random(&mut rng), site, &calendar, &rules, at, by, EventId::random(&mut rng), &input)?;
    if settled {
        let mut step =
            |t: DateTime<Utc>, s: RepairStep<'_>| repair::step(&mut doc, EventId::random(&mut rng), t, by, s);
        let arrive = if i.is_multiple_of(4) { Duration::hours(30) } else { Duration::minutes(20) };
        step(at + Duration::minutes(5), RepairStep::Dispatch("维修工老王"))?;
        step(at + arrive, RepairStep::Arrive)?;
        let charge = paid.then(|| Fen(5_000 + (i as u64 % 10) * 1_000));
        step(
            at + arrive + Duration::hours(2),
            RepairStep::Complete { work: "更换阀门", materials: "阀门", charge_fen: charge },
        )?;
        let score = [5, 4, 4, 3, 1][i % 5];
        step(at + Duration::days(2), RepairStep::Visit { satisfaction: score, comment: "" })?;
        if score >= 3 {
            step(at + Duration::days(2), RepairStep::Close)?;
        }
    }
    payload("repair", &mut doc)
}

/// Makes `per_site` records for each site, received evenly over `months`
/// months up to `now`, and applies them to head office as each site's sync
/// would; each site sends its profile (households) too.
pub fn fill(
    hq: &mut HeadOffice,
    sites: &[SiteId],
    per_site: usize,
    months: i64,
    now: DateTime<Utc>,
    seed: u64,
) -> anyhow::Result<()> {
    let span = Duration::days(months * 30);
    let start = now - span;
    for (s, &site) in sites.iter().enumerate() {
        let peer = wuye_protocol::sync::site_peer(site);
        // Not the seed of any record's own generator (record 0's is `seed + s`).
        let mut rng = StdRng::seed_from_u64((seed + s as u64).wrapping_mul(31).wrapping_add(7));
        let profile = Profile {
            households: Some(1_000 + (s as u64 % 20) * 100),
            categories: vec!["设施".into(), "噪音".into(), "卫生".into(), "安全".into()],
            emergency_minutes: 30,
            normal_duty_hours: 24,
            complaint_reply_duty_hours: 8,
            complaint_result_duty_hours: 24,
            major_result_duty_hours: 8,
            summer_from: "05-01".into(),
            summer_to: "09-30".into(),
            agent_version: env!("CARGO_PKG_VERSION").into(),
        };
        let mut doc =
            site_profile::new_site_profile(RecordId::random(&mut rng), site, chrono_tz::Asia::Shanghai, now, &profile)?;
        hq.apply(&peer, site, vec![payload("site_profile", &mut doc)?], 0)?;
        for first in (0..per_site).step_by(BATCH) {
            let last = (first + BATCH).min(per_site);
            let docs = (first..last)
                .into_par_iter()
                .map(|i| {
                    let at = start + span * (i as i32) / (per_site as i32);
                    record(site, i, at, now, seed + s as u64)
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            hq.apply(&peer, site, docs, 0)?;
        }
    }
    Ok(())
}
