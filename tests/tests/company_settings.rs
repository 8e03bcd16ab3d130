//! Company-wide settings and the site profile in the socket-free harness:
//! head office publishes categories and time limits, every site has them
//! after its next round (a site registered later too), a site may set its
//! own only where head office allows, complaints registered afterwards get
//! the company's time limits, and head office reads each site's profile.

use wuye_app::settings::{SettingsError, SiteSettings};
use wuye_node::Records as _;
use wuye_protocol::calendar::DutyCalendar;
use wuye_protocol::company_settings::CompanySettings;
use wuye_server::company::Changes;
use wuye_server::people::Actor;
use wuye_tests::harness::{sample, Network};

fn publish(net: &mut Network, changes: Changes) {
    net.office.publish_rules(&Actor::CommandLine("周总".into()), &changes).expect("publishes");
}

#[test]
fn published_settings_reach_every_site_and_a_site_changes_only_what_head_office_allows() {
    let mut net = Network::new(7);
    net.add_site("朝阳花园管理处");
    net.add_site("海淀雅苑管理处");
    net.run_until_quiescent();
    publish(
        &mut net,
        Changes {
            categories: Some("卫生,噪音,设施,其他".into()),
            limits: vec![
                ("complaint-result-duty-hours".into(), "16".into()),
                ("resident-retention-days".into(), "180".into()),
            ],
            site_may_set: Some("categories".into()),
        },
    );
    let late = net.add_site("锦绣家园管理处");
    net.run_until_quiescent();
    net.assert_converged();
    for site in &net.sites {
        let s = SiteSettings::load(&site.desk.store).unwrap();
        assert_eq!(s.categories, ["卫生", "噪音", "设施", "其他"]);
        assert_eq!((s.complaint_result_duty_hours, s.resident_retention_days), (16, 180));
        assert!(s.set_by_company.contains(&"complaint-result-duty-hours".to_string()));
        assert!(!s.set_by_company.contains(&"categories".to_string()));
        assert_eq!(site.desk.store.all::<CompanySettings>(None).unwrap().len(), 1, "one document per site");
    }
    assert_eq!(late, 2);

    // A site may choose its categories, but not the time limits.
    let store = &net.sites[0].desk.store;
    let own = SiteSettings::set(store, "categories", "卫生,噪音,停车").unwrap();
    assert_eq!(own.categories, ["卫生", "噪音", "停车"]);
    assert!(matches!(SiteSettings::set(store, "complaint-result-duty-hours", "48"), Err(SettingsError::Company(_))));
    assert_eq!(SiteSettings::load(store).unwrap().complaint_result_duty_hours, 16, "nothing changed");
    // How long a moved-out resident's details are kept is the company's.
    assert!(matches!(SiteSettings::set(store, "resident-retention-days", "400"), Err(SettingsError::Company(_))));

    // A complaint registered now is due within the company's 16 duty hours.
    let c = net.add_complaint(0, &sample(1, false));
    let calendar = DutyCalendar::new(chrono_tz::Asia::Shanghai);
    let due = calendar.add_duty_time(c.received_at.utc(), chrono::Duration::hours(16));
    assert_eq!(c.result_due.unwrap().utc(), due);

    // Published again without letting sites choose: the site's own categories give way.
    publish(&mut net, Changes { site_may_set: Some(String::new()), ..Changes::default() });
    net.run_until_quiescent();
    let s = SiteSettings::load(&net.sites[0].desk.store).unwrap();
    assert_eq!(s.categories, ["卫生", "噪音", "设施", "其他"]);
    assert!(matches!(
        SiteSettings::set(&net.sites[0].desk.store, "categories", "卫生"),
        Err(SettingsError::Company(_))
    ));
}

#[test]
fn head_office_reads_each_sites_profile_and_wrong_values_are_refused_with_nothing_published() {
    let mut net = Network::new(8);
    net.add_site("朝阳花园管理处");
    SiteSettings::set(&net.sites[0].desk.store, "households", "1200").unwrap();
    net.sites[0].desk.publish_profile().unwrap();
    net.run_until_quiescent();
    let briefs = net.office.site_briefs(None).unwrap();
    let profile = briefs[0].profile.as_ref().expect("the profile arrived");
    assert_eq!(profile.profile.households, Some(1200));
    assert_eq!(profile.timezone, "Asia/Shanghai");

    for wrong in [
        Changes { limits: vec![("complaint-result-duty-hours".into(), "0".into())], ..Changes::default() },
        Changes { categories: Some(" , ".into()), ..Changes::default() },
        Changes { site_may_set: Some("web-port".into()), ..Changes::default() },
    ] {
        let refused = net.office.publish_rules(&Actor::CommandLine("周总".into()), &wrong);
        assert!(refused.is_err(), "{wrong:?}");
    }
    assert!(net.office.company_rules().unwrap().is_none(), "nothing was published");
    let quality = wuye_server::people::User {
        id: "hq-0123456789abcdef".parse().unwrap(),
        login: "qa".into(),
        name: "品质部".into(),
        role: wuye_server::people::Role::Quality,
        sites: vec![],
        disabled_at: None,
    };
    assert!(net.office.publish_rules(&Actor::Person(quality), &Changes::default()).is_err(), "only admin or manager");
}
