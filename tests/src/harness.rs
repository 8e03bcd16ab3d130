//! A socket-free network: head office and sites in one process.
//!
//! Like samod's `Network` and quinn-proto's `Pair`, it drives the real sync
//! sessions and real stores with no sockets, passing every message through the
//! frame codec, so most sync behaviour is tested in milliseconds.

use std::sync::Arc;
use wuye_node::Records as _;

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::SeedableRng;
use wuye_agent::config::AgentConfig;
use wuye_app::desk::Desk;
use wuye_node::{Store, StoreError};
use wuye_protocol::complaint::{Complaint, NewComplaint};
use wuye_protocol::ids::SiteId;
use wuye_protocol::rules::Channel;
use wuye_protocol::sync::{ClientSession, RoundReport, ServerSession, SessionError};
use wuye_protocol::time::{Clock, ManualClock};
use wuye_protocol::wire::{self, Message};
use wuye_server::office::{HeadOffice, OfficeStore};

/// One site office in the harness.
pub struct Site {
    /// Its front desk (store and the site).
    pub desk: Desk,
    /// How it reaches head office.
    pub config: AgentConfig,
    /// Which copy of the site's folder it is (see `wuye_agent::link::instance_of`).
    pub instance: String,
}

/// Head office (on SQLite, or any store head office runs on) plus sites, in one process.
pub struct Network<S = Store> {
    /// Head office.
    pub office: HeadOffice<S>,
    /// The sites, in the order they were added.
    pub sites: Vec<Site>,
    /// The shared clock.
    pub clock: ManualClock,
    rng: StdRng,
    /// Messages exchanged so far.
    pub messages: u64,
    /// Frame bytes exchanged so far.
    pub bytes: u64,
    /// Time spent inside head office's session (its storage included).
    pub server_busy: std::time::Duration,
    /// Time spent inside the agents' sessions (their storage included).
    pub client_busy: std::time::Duration,
}

/// A fixed starting instant for tests: a Friday morning in Shanghai.
pub fn start_time() -> DateTime<Utc> {
    wuye_protocol::time::from_stored("2026-11-27T01:00:00Z").expect("literal time")
}

/// A number for the next copy's file name, unique in this process.
fn next_copy() -> u64 {
    static COPIES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    COPIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// A sample complaint in Chinese.
pub fn sample(n: usize, major: bool) -> NewComplaint {
    const SUMMARIES: [&str; 4] =
        ["楼上漏水，天花板发霉", "电梯夜间噪音过大", "楼道垃圾未及时清运", "门禁卡无法开启单元门"];
    const NAMES: [&str; 4] = ["张伟", "王芳", "李娜", "刘洋"];
    NewComplaint {
        customer: NAMES[n % NAMES.len()].to_string(),
        phone: format!("139{:08}", n),
        unit: format!("{}栋{}单元{:03}", n % 9 + 1, n % 3 + 1, 101 + n % 20),
        channel: Channel::ALL[n % Channel::ALL.len()],
        summary: SUMMARIES[n % SUMMARIES.len()].to_string(),
        category: ["设施", "噪音", "卫生", "安全"][n % 4].to_string(),
        departments: vec!["维修部".to_string()],
        major,
    }
}

impl Network {
    /// An empty network whose randomness comes from `seed`, head office on SQLite in memory.
    pub fn new(seed: u64) -> Self {
        Self::over(Store::open_in_memory().expect("in-memory store"), seed)
    }

    /// A copy of head office's database as it is now, in `dir`.
    pub fn snapshot_office(&self, dir: &std::path::Path) -> std::path::PathBuf {
        let path = dir.join(format!("office-{}.db", next_copy()));
        self.office.store.backup_to(&path).expect("head office's store copies");
        path
    }

    /// Puts head office's database back from a copy.
    pub fn restore_office(&mut self, copy: &std::path::Path) {
        let store = Store::open(copy).expect("the copy opens");
        let rng = StdRng::from_rng(&mut self.rng).expect("seeded rng");
        self.office = HeadOffice::new(store, Arc::new(self.clock.clone()), rng).expect("head office opens");
    }
}

impl<S: OfficeStore> Network<S> {
    /// An empty network whose randomness comes from `seed`, head office on `store`.
    pub fn over(store: S, seed: u64) -> Self {
        let clock = ManualClock::new(start_time());
        let mut rng = StdRng::seed_from_u64(seed);
        let office = HeadOffice::over(store, Arc::new(clock.clone()), StdRng::from_rng(&mut rng).expect("seeded rng"))
            .expect("head office schema");
        Self {
            office,
            sites: Vec::new(),
            clock,
            rng,
            messages: 0,
            bytes: 0,
            server_busy: std::time::Duration::ZERO,
            client_busy: std::time::Duration::ZERO,
        }
    }

    /// Registers a site at head office and sets up its agent; returns its index.
    pub fn add_site(&mut self, name: &str) -> usize {
        let new = self.office.add_site(name).expect("site registers");
        let config = AgentConfig {
            server: "127.0.0.1:1".into(),
            fingerprint: "00".repeat(32),
            site_id: new.site_id,
            token: "a".repeat(wuye_protocol::wire::CREDENTIAL_HEX_CHARS),
            enroll_code: Some(new.code),
            timezone: chrono_tz::Asia::Shanghai,
            next_fingerprint: None,
        };
        let mut store = Store::open_in_memory().expect("in-memory store");
        wuye_app::open_site_tables(&mut store).expect("the site's own tables");
        let desk = Desk::new(
            store,
            config.site(),
            Arc::new(self.clock.clone()),
            StdRng::from_rng(&mut self.rng).expect("seeded rng"),
        );
        let instance = format!("instance-{}", self.sites.len());
        self.sites.push(Site { desk, config, instance });
        self.sites.len() - 1
    }

    /// Site `i`'s id.
    pub fn site_id(&self, i: usize) -> SiteId {
        self.sites[i].desk.site.id
    }

    /// Registers a complaint at site `i`.
    pub fn add_complaint(&mut self, i: usize, input: &NewComplaint) -> Complaint {
        self.sites[i].desk.add_complaint(input, "客服员").expect("complaint saves")
    }

    fn carry(&mut self, message: &Message) -> Message {
        let frame = wire::encode(message).expect("message encodes");
        self.messages += 1;
        self.bytes += frame.len() as u64;
        let (decoded, used) = wire::decode(&frame).expect("frame decodes").expect("whole frame");
        assert_eq!(used, frame.len());
        decoded
    }

    /// A session for site `i`'s next round: enrolling while its code is unspent.
    fn client_session(&self, i: usize) -> ClientSession {
        let config = &self.sites[i].config;
        let session = match &config.enroll_code {
            Some(code) => ClientSession::enrolling(config.site_id, config.token.clone(), code.clone()),
            None => ClientSession::new(config.site_id, config.token.clone()),
        };
        session.with_instance(self.sites[i].instance.clone())
    }

    /// One full round between site `i` and head office.
    pub fn round(&mut self, i: usize) -> Result<RoundReport, SessionError<StoreError>> {
        self.round_with(i, Some)
    }

    /// One round in which every message from the agent first passes through
    /// `tamper`; `None` drops it, which ends the round as a broken link would.
    pub fn round_with(
        &mut self,
        i: usize,
        mut tamper: impl FnMut(Message) -> Option<Message>,
    ) -> Result<RoundReport, SessionError<StoreError>> {
        let mut client = self.client_session(i);
        let mut server = ServerSession::new();
        // Messages in flight to head office, in stream order.
        let hello = client.start(&mut self.sites[i].desk.store, self.clock.now())?;
        let mut to_server = std::collections::VecDeque::from([hello]);
        while let Some(next) = to_server.pop_front() {
            let Some(sent) = tamper(next) else {
                return Ok(client.report().clone());
            };
            let at_server = self.carry(&sent);
            let now = self.clock.now();
            let started = std::time::Instant::now();
            let reply = match server.handle(&mut self.office, at_server, now) {
                Ok(reply) => reply,
                Err(e) => e.to_wire().expect("server errors are told to the agent"),
            };
            self.server_busy += started.elapsed();
            let at_client = self.carry(&reply);
            let started = std::time::Instant::now();
            let replies = client.handle(&mut self.sites[i].desk.store, at_client);
            self.client_busy += started.elapsed();
            if client.admitted() {
                self.sites[i].config.enroll_code = None;
            }
            to_server.extend(replies?);
            if client.is_finished() {
                return Ok(client.report().clone());
            }
        }
        panic!("the agent stopped sending before the round finished");
    }

    /// Feeds hand-built messages to a fresh server session after a genuine
    /// Hello from site `i`; returns head office's replies (Welcome first).
    pub fn raw_exchange(&mut self, i: usize, messages: Vec<Message>) -> Vec<Message> {
        let mut server = ServerSession::new();
        let mut client = self.client_session(i);
        let mut replies = Vec::new();
        let hello = client.start(&mut self.sites[i].desk.store, self.clock.now()).expect("the agent's store answers");
        for m in std::iter::once(hello).chain(messages) {
            let at_server = self.carry(&m);
            let now = self.clock.now();
            let reply = match server.handle(&mut self.office, at_server, now) {
                Ok(reply) => reply,
                Err(e) => e.to_wire().expect("server errors are told to the agent"),
            };
            replies.push(self.carry(&reply));
        }
        replies
    }

    /// A copy of site `i`'s database as it is now, in `dir` (as last night's backup would be).
    pub fn snapshot_site(&self, i: usize, dir: &std::path::Path) -> std::path::PathBuf {
        let path = dir.join(format!("site-{i}-{}.db", next_copy()));
        self.sites[i].desk.store.backup_to(&path).expect("the site's store copies");
        path
    }

    /// Puts site `i`'s database back from a copy (the PC restored from a backup).
    pub fn restore_site(&mut self, i: usize, copy: &std::path::Path) {
        let store = Store::open(copy).expect("the copy opens");
        let site = self.sites[i].desk.site;
        let rng = StdRng::from_rng(&mut self.rng).expect("seeded rng");
        self.sites[i].desk = Desk::new(store, site, Arc::new(self.clock.clone()), rng);
    }

    /// A second agent for site `i` from a copy of its folder on another PC:
    /// the same site and credential, another instance. Returns its index.
    pub fn copy_site(&mut self, i: usize, dir: &std::path::Path) -> usize {
        let copy = self.snapshot_site(i, dir);
        let store = Store::open(&copy).expect("the copy opens");
        let site = self.sites[i].desk.site;
        let rng = StdRng::from_rng(&mut self.rng).expect("seeded rng");
        let desk = Desk::new(store, site, Arc::new(self.clock.clone()), rng);
        let config = self.sites[i].config.clone();
        let instance = format!("{}-copy-{}", self.sites[i].instance, self.sites.len());
        self.sites.push(Site { desk, config, instance });
        self.sites.len() - 1
    }

    /// Rounds for every site until a whole pass moves nothing.
    pub fn run_until_quiescent(&mut self) {
        for _ in 0..10 {
            let mut moved = 0;
            for i in 0..self.sites.len() {
                let r = self.round(i).expect("round completes");
                moved += r.pushed + r.pulled;
            }
            if moved == 0 {
                return;
            }
        }
        panic!("the network did not settle within 10 passes");
    }

    /// Asserts that every site and head office hold identical complaints for that site.
    pub fn assert_converged(&self) {
        for (i, site) in self.sites.iter().enumerate() {
            let at_site = site.desk.store.all::<Complaint>(None).expect("site lists");
            let at_office = self.office.store.all::<Complaint>(Some(self.site_id(i))).expect("office lists");
            assert_eq!(at_site, at_office, "site {i} and head office differ");
        }
    }
}
