//! The web desk (网页前台): the site's front desk in a browser, served by the
//! agent beside syncing. Server-rendered pages (askama templates checked at
//! compile time, under `agent/templates/`), htmx for the parts that refresh,
//! every asset embedded in the binary. Handlers are thin, one file per
//! resource: they read the request, call the application layer (`wuye-app`),
//! and render; no rule is written here.
//!
//! - [`session`]: sign-in, the desk's cookies, who is acting;
//! - [`page`]: what every page shows (header, sync state, language) and the
//!   error page; [`words`]: the pages' words in Chinese and English;
//! - what head office's dashboard shares with the desk (assets, CSRF,
//!   headers, HTTPS from an authority of its own, forms' messages) is in
//!   the `wuye-web` crate;
//! - one module per resource: [`board`], [`calls`], [`complaints`],
//!   [`repairs`], [`print`], [`people`], [`duty`], [`shift`], [`report`], [`settings`].

pub mod board;
pub mod calls;
pub mod complaints;
pub mod duty;
pub mod fees;
pub mod keys;
pub mod moveins;
pub mod page;
pub mod people;
pub mod print;
pub mod releases;
pub mod renovations;
pub mod repairs;
pub mod report;
pub mod session;
pub mod settings;
pub mod shift;
pub mod words;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;
use wuye_app::desk::Desk;
use wuye_protocol::time::{Clock, SystemClock};

use crate::config;

/// How often the sync state in the header is read afresh.
pub const BANNER_EVERY: Duration = Duration::from_secs(2);

/// How the web desk listens.
#[derive(Debug, Clone)]
pub struct WebOptions {
    /// The address and port.
    pub listen: SocketAddr,
    /// Plain HTTP although the address is beyond loopback (asked for explicitly).
    pub plain_http: bool,
    /// HTTPS even on loopback.
    pub tls: bool,
    /// Extra names for the desk's certificate (its LAN host names).
    pub names: Vec<String>,
}

impl WebOptions {
    /// Whether pages go over HTTPS: always beyond loopback unless plain HTTP
    /// was asked for, and on loopback when asked for.
    pub fn https(&self) -> bool {
        self.tls || (!self.listen.ip().is_loopback() && !self.plain_http)
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    desk: Mutex<Desk>,
    banner: RwLock<page::Banner>,
    https: bool,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("https", &self.0.https).finish_non_exhaustive()
    }
}

impl AppState {
    /// The state over a desk (its own connection to the site's database).
    pub fn new(desk: Desk, https: bool) -> Self {
        AppState(Arc::new(Inner { desk: Mutex::new(desk), banner: RwLock::new(page::Banner::default()), https }))
    }

    /// Runs `work` on the desk on a blocking thread: SQLite calls block.
    pub async fn with_desk<T: Send + 'static>(&self, work: impl FnOnce(&mut Desk) -> T + Send + 'static) -> T {
        let state = self.clone();
        match tokio::task::spawn_blocking(move || {
            // A handler that panicked leaves the desk as it was: each write is one transaction.
            let mut desk = state.0.desk.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            work(&mut desk)
        })
        .await
        {
            Ok(value) => value,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }

    /// The sync state as last read.
    pub fn banner(&self) -> page::Banner {
        self.0.banner.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Whether cookies must be marked Secure (pages over HTTPS).
    pub fn https(&self) -> bool {
        self.0.https
    }
}

/// Every page and form of the desk.
pub fn router(state: AppState) -> Router {
    let router = Router::new()
        .route("/", get(board::show))
        .route("/sync-state", get(page::sync_state))
        .route("/login", get(session::login_page).post(session::login))
        .route("/logout", post(session::logout))
        .route("/lang/{lang}", get(session::set_lang))
        .route("/assets/{name}", get(wuye_web::assets::serve))
        .route("/calls/new", get(calls::new))
        .route("/calls", get(calls::list).post(calls::create))
        .route("/calls/{id}/done", post(calls::done))
        .route("/commitments/{id}/reply", post(calls::reply))
        .route("/complaints", get(complaints::list).post(complaints::create))
        .route("/complaints/new", get(complaints::new))
        .route("/complaints/{id}", get(complaints::show))
        .route("/complaints/{id}/live", get(complaints::live))
        .route("/complaints/{id}/steps/{step}", post(complaints::step))
        .route("/repairs", get(repairs::list).post(repairs::create))
        .route("/repairs/new", get(repairs::new))
        .route("/repairs/mine", get(repairs::mine))
        .route("/repairs/{id}", get(repairs::show))
        .route("/repairs/{id}/steps/{step}", post(repairs::step))
        .route("/print/complaints/{id}", get(print::complaint_slip))
        .route("/print/complaints/{id}/contact/{n}", get(print::contact_slip))
        .route("/print/repairs/{id}", get(print::work_order))
        .route("/print/register", get(print::register))
        .route("/print/visits", get(print::visits))
        .route("/print/moveins/{id}", get(print::movein))
        .route("/print/moveins/{id}/inspection", get(print::inspection))
        .route("/print/keys", get(print::keys))
        .route("/print/releases/{id}", get(print::release))
        .route("/print/receipts/{number}", get(print::receipt))
        .route("/print/closes/{id}", get(print::close))
        .route("/print/notices", get(print::notice))
        .route("/print/reminders", get(print::reminder))
        .route("/fees", get(fees::index))
        .route("/fees/close", post(fees::close))
        .route("/fees/house", get(fees::house))
        .route("/fees/pay", post(fees::pay))
        .route("/fees/receipts/{number}/{action}", post(fees::receipt_step))
        .route("/fees/chase", post(fees::chase))
        .route("/fees/first-bills", post(fees::first_bills))
        .route("/fees/readings", post(fees::reading))
        .route("/fees/items", get(fees::items).post(fees::add_item))
        .route("/fees/items/{id}/price", post(fees::price))
        .route("/fees/issue", post(fees::issue))
        .route("/print/renovations/{id}", get(print::renovation))
        .route("/print/renovations/{id}/passes", get(print::passes))
        .route("/print/renovations/{id}/inspection", get(print::renovation_inspection))
        .route("/print/renovations/{id}/refund", get(print::deposit_refund))
        .route("/renovations", get(renovations::list).post(renovations::create))
        .route("/renovations/{id}", get(renovations::show))
        .route("/renovations/{id}/{action}", post(renovations::step))
        .route("/keys", get(keys::list).post(keys::create))
        .route("/keys/{id}/{action}", post(keys::step))
        .route("/houses", get(keys::houses))
        .route("/moveins", get(moveins::list).post(moveins::create))
        .route("/moveins/{id}", get(moveins::show))
        .route("/moveins/{id}/{action}", post(moveins::step))
        .route("/releases", get(releases::list).post(releases::create))
        .route("/releases/{id}", get(releases::show))
        .route("/releases/{id}/cancel", post(releases::cancel))
        .route("/gate", get(releases::gate))
        .route("/gate/{id}/{verdict}", post(releases::check))
        .route("/residents", get(people::residents).post(people::add_resident))
        .route("/staff", get(people::staff).post(people::add_staff))
        .route("/staff/{id}/disable", post(people::disable_staff))
        .route("/duty", get(duty::week).post(duty::assign))
        .route("/handover", get(shift::handover))
        .route("/handover/records", post(shift::record))
        .route("/handover/records/{id}/confirm", post(shift::record))
        .route("/briefing", get(shift::briefing))
        .route("/report", get(report::preview).post(report::send))
        .route("/settings", get(settings::show).post(settings::set))
        .fallback(page::not_found)
        .layer(axum::middleware::from_fn_with_state(session::COOKIES, wuye_web::csrf::guard));
    wuye_web::secure::layers(router).with_state(state)
}

/// Reads the sync state every [`BANNER_EVERY`] on a connection of its own,
/// so that no page waits for it.
async fn keep_banner(state: AppState, data: PathBuf) {
    let opened = tokio::task::spawn_blocking(move || config::open(&data)).await;
    let Ok(Ok((store, config))) = opened else {
        tracing::warn!("the web desk cannot read the sync state; the header will say so");
        return;
    };
    let store = Arc::new(Mutex::new(store));
    let config = Arc::new(config);
    loop {
        let (store, config) = (store.clone(), config.clone());
        let read = tokio::task::spawn_blocking(move || {
            let store = store.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            page::Banner::read(&store, &config, SystemClock.now())
        })
        .await;
        if let Ok(Ok(banner)) = read {
            *state.0.banner.write().unwrap_or_else(std::sync::PoisonError::into_inner) = banner;
        }
        tokio::time::sleep(BANNER_EVERY).await;
    }
}

/// Where the web desk listens: the address given; else, on the office's
/// LAN (`lan`), every address; else loopback; on the site's `web-port`.
pub fn listen_address(given: Option<SocketAddr>, lan: bool, data: &Path) -> anyhow::Result<SocketAddr> {
    if let Some(addr) = given {
        return Ok(addr);
    }
    let (store, _) = config::open(data)?;
    let port = wuye_app::settings::SiteSettings::load(&store)?.web_port;
    let ip: std::net::IpAddr = if lan { [0, 0, 0, 0].into() } else { [127, 0, 0, 1].into() };
    Ok(SocketAddr::new(ip, port))
}

/// The desk's certificate authority and server certificate, by name.
pub const TLS_NAMES: wuye_web::tls::Names =
    wuye_web::tls::Names { authority: "Wuye 物业 web desk CA", server: "Wuye web desk" };

/// Serves the web desk until `shutdown` completes.
pub async fn serve(
    data: PathBuf,
    options: WebOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let https = options.https();
    let folder = data.clone();
    let desk = tokio::task::spawn_blocking(move || -> anyhow::Result<Desk> {
        let (store, config) = config::open(&folder)?;
        Ok(Desk::with_os_rng(store, config.site(), Arc::new(SystemClock)))
    })
    .await??;
    let state = AppState::new(desk, https);
    tokio::spawn(keep_banner(state.clone(), data.clone()));
    let tls = match https {
        true => Some(wuye_web::tls::server_config(&data, TLS_NAMES, options.listen, &options.names)?),
        false => None,
    };
    anyhow::Context::context(
        wuye_web::secure::serve(router(state), options.listen, tls, "web desk", shutdown).await,
        "the web desk: set another port with --web-listen or `wuye-agent settings set web-port N`",
    )
}

/// A date from a filter bar: none when left empty.
pub fn optional_date(text: &str) -> Result<Option<chrono::NaiveDate>, wuye_app::AppError> {
    (!text.trim().is_empty()).then(|| wuye_app::lists::parse_date(text)).transpose()
}

/// The states a filter bar's choice means: all of them, the open ones (also
/// when only overdue records are asked for), or the one chosen.
pub fn chosen_states(status: &str, overdue: bool, open: impl Iterator<Item = &'static str>) -> Vec<String> {
    match (status, overdue) {
        ("", false) => Vec::new(),
        ("open", _) | ("", true) => open.map(String::from).collect(),
        (one, _) => vec![one.to_string()],
    }
}

/// A list's page newest first; when only overdue records are asked for
/// (`overdue` is their test as of now), every one of them on one page: they
/// are few among the open records the filter names.
pub fn page_or_overdue<T: wuye_protocol::kind::Kind>(
    desk: &Desk,
    filter: &wuye_app::lists::ListFilter,
    after: &str,
    overdue: Option<fn(&T, chrono::DateTime<chrono::Utc>) -> bool>,
) -> Result<wuye_node::Paged<T>, wuye_app::AppError> {
    let Some(is_overdue) = overdue else {
        return list_page::<T>(desk, filter, after, LIST_PAGE);
    };
    let now = desk.now();
    let mut items: Vec<T> = desk.list_all::<T>(filter)?.into_iter().filter(|r| is_overdue(r, now)).collect();
    items.reverse();
    Ok(wuye_node::Paged { items, next: None })
}

/// Records a list page holds.
pub const LIST_PAGE: usize = 50;

/// One page of a list, with the link to the next.
#[derive(Debug)]
pub struct ListPage<T> {
    /// The records.
    pub items: Vec<T>,
    /// The cursor of the next page, as the `after` query value.
    pub next: Option<String>,
}

impl<T> ListPage<T> {
    /// A list with nothing in it (its filter was wrong).
    pub fn empty() -> Self {
        ListPage { items: Vec::new(), next: None }
    }
}

impl<T> From<wuye_node::Paged<T>> for ListPage<T> {
    fn from(paged: wuye_node::Paged<T>) -> Self {
        ListPage { items: paged.items, next: paged.next.map(|c| format!("{}~{}", c.sort, c.id)) }
    }
}

/// One page of `T` newest first, after the cursor `after` (from the start when
/// it is empty or not one of ours).
pub fn list_page<T: wuye_protocol::kind::Kind>(
    desk: &Desk,
    filter: &wuye_app::lists::ListFilter,
    after: &str,
    per_page: usize,
) -> Result<wuye_node::Paged<T>, wuye_app::AppError> {
    let after = after
        .split_once('~')
        .and_then(|(sort, id)| Some(wuye_node::Cursor { sort: sort.to_string(), id: id.parse().ok()? }));
    desk.list::<T>(filter, &wuye_node::Page { limit: Some(per_page), after, newest_first: true })
}
