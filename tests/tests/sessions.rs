//! Several people signed in at once at one site, each with a session of their
//! own, acting in turn and each recorded as themselves.

use std::sync::Arc;

use wuye_app::desk::{Desk, Step};
use wuye_protocol::time::SystemClock;
use wuye_tests::procs::{self, path, Agent, Server, SUPERVISOR};

#[test]
fn two_people_signed_in_at_once_act_in_turn_each_as_themselves() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::init(dir.path());
    let cred = server.add_site("朝阳花园管理处");
    let agent = Agent::init(dir.path(), "site", &server.addr, &server.fingerprint, &cred);
    let args = ["staff", "add", "--name", "李娜", "--role", "客服员", "--login", "lina", "--data", path(&agent.data)];
    procs::ok_with_input("wuye-agent", &args, "李娜的密码-2026\n");

    let (store, config) = wuye_agent::config::open(&agent.data).unwrap();
    let mut desk = Desk::with_os_rng(store, config.site(), Arc::new(SystemClock));
    let (_, zhou) = desk.open_session(SUPERVISOR.1, SUPERVISOR.2, None).unwrap();
    let (_, lina) = desk.open_session("lina", "李娜的密码-2026", None).unwrap();

    let as_lina = desk.acting(&lina).unwrap();
    let complaint = desk.add_complaint(&wuye_tests::harness::sample(1, false), &as_lina.name).unwrap();
    let as_zhou = desk.acting(&zhou).unwrap();
    let id = complaint.id.to_string();
    desk.step(&id, &Step::Note("已联系楼上住户"), &as_zhou).unwrap();
    let as_lina = desk.acting(&lina).unwrap();
    desk.step(&id, &Step::Note("住户已回电"), &as_lina).unwrap();

    let history = desk.history(&id).unwrap();
    let by: Vec<&str> = history.iter().map(|h| h.by.as_str()).collect();
    assert_eq!(by, ["李娜（客服员）", "周站长（客服主管）", "李娜（客服员）"], "{history:?}");
    // The command line's own session is a third, untouched by the other two.
    assert!(desk.signed_in().is_ok(), "init signed the supervisor in at the command line");
}
