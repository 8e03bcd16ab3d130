//! Head office's dashboard (总部看板), served by `wuye-server run` beside
//! sync over HTTPS: every site at a glance for a month or a week, the
//! alerts, sync health with revoke and rotate, a site's drill-down to its
//! records and their history, deciding a major complaint and head-office
//! notes, and the exports. The same stack, embedding and security as the
//! site's web desk (`wuye-web`): askama templates (`server/templates/`),
//! sessions and CSRF, security headers, every asset in the binary. Handlers
//! are thin: they read the request, call head office (`crate::figures`,
//! `crate::office`, `crate::people`) and render. Charts are SVG drawn here
//! ([`chart`]).

pub mod chart;
pub mod exports;
pub mod overview;
pub mod page;
pub mod records;
pub mod session;
pub mod sites;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::routing::{get, post};
use axum::Router;
use wuye_protocol::time::Clock;

use wuye_node::Store;

use crate::office::{HeadOffice, OfficeStore};

/// How the dashboard listens.
#[derive(Debug, Clone)]
pub struct DashOptions {
    /// The address and port.
    pub listen: SocketAddr,
    /// A certificate and key (PEM files) given by the operator; otherwise
    /// the dashboard's own authority makes one.
    pub cert: Option<(PathBuf, PathBuf)>,
    /// Extra names for its own certificate.
    pub names: Vec<String>,
}

/// What every handler shares: head office on either store.
pub struct DashState<S = Store>(Arc<Inner<S>>);

impl<S> Clone for DashState<S> {
    fn clone(&self) -> Self {
        DashState(self.0.clone())
    }
}

struct Inner<S> {
    office: Mutex<HeadOffice<S>>,
    data: PathBuf,
}

impl<S> std::fmt::Debug for DashState<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DashState").finish_non_exhaustive()
    }
}

impl<S: OfficeStore> DashState<S> {
    /// The state over head office (its own connection to the database).
    pub fn new(office: HeadOffice<S>, data: PathBuf) -> Self {
        DashState(Arc::new(Inner { office: Mutex::new(office), data }))
    }

    /// Runs `work` on head office on a blocking thread: SQLite calls block.
    pub async fn with_office<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut HeadOffice<S>) -> T + Send + 'static,
    ) -> T {
        let state = self.clone();
        match tokio::task::spawn_blocking(move || {
            let mut office = state.0.office.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            work(&mut office)
        })
        .await
        {
            Ok(value) => value,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }

    /// The server's data folder (exports are written to a temporary folder in it).
    pub fn data(&self) -> &Path {
        &self.0.data
    }
}

/// Every page of the dashboard.
pub fn router<S: OfficeStore>(state: DashState<S>) -> Router {
    let router = Router::new()
        .route("/", get(overview::show::<S>))
        .route("/login", get(session::login_page).post(session::login::<S>))
        .route("/logout", post(session::logout::<S>))
        .route("/lang/{lang}", get(session::set_lang))
        .route("/assets/{name}", get(wuye_web::assets::serve))
        .route("/sites/{id}", get(sites::show::<S>))
        .route("/sync", get(sites::health::<S>))
        .route("/sync/{id}/revoke", post(sites::revoke::<S>))
        .route("/sync/{id}/rotate", post(sites::rotate::<S>))
        .route("/complaints/{id}", get(records::complaint::<S>))
        .route("/complaints/{id}/decide", post(records::decide::<S>))
        .route("/complaints/{id}/note", post(records::note::<S>))
        .route("/repairs/{id}", get(records::repair::<S>))
        .route("/repairs/{id}/note", post(records::repair_note::<S>))
        .route("/export", get(exports::download::<S>))
        .route("/metrics", get(metrics::<S>))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz::<S>))
        .fallback(page::not_found::<S>)
        .layer(axum::middleware::from_fn_with_state(page::COOKIES, wuye_web::csrf::guard));
    wuye_web::secure::layers(router).with_state(state)
}

/// Prometheus's scrape: sync rounds, records and bytes, round durations,
/// errors, each site's seconds since its last sync and records waiting, the
/// store's size (no sign-in: it names sites by id only).
async fn metrics<S: OfficeStore>(
    axum::extract::State(state): axum::extract::State<DashState<S>>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let data = state.data().to_path_buf();
    match state.with_office(move |o| crate::metrics::render(o, &data)).await {
        Ok(text) => ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response(),
        Err(e) => (axum::http::StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response(),
    }
}

/// Alive: the process answers.
async fn healthz() -> &'static str {
    "ok"
}

/// Ready: the store answers a query.
async fn readyz<S: OfficeStore>(
    axum::extract::State(state): axum::extract::State<DashState<S>>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match state.with_office(|o| o.site_ids().map(|ids| ids.len())).await {
        Ok(n) => format!("ready: {n} site(s)").into_response(),
        Err(e) => (axum::http::StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {e}")).into_response(),
    }
}

/// The dashboard's certificate authority and server certificate, by name.
pub const TLS_NAMES: wuye_web::tls::Names =
    wuye_web::tls::Names { authority: "Wuye 物业 head-office dashboard CA", server: "Wuye head-office dashboard" };

/// The TLS configuration: the operator's certificate and key, or one from the dashboard's own authority.
fn tls_config(data: &Path, options: &DashOptions) -> anyhow::Result<rustls::ServerConfig> {
    match &options.cert {
        Some((cert, key)) => wuye_web::tls::from_pem_files(cert, key),
        None => wuye_web::tls::server_config(data, TLS_NAMES, options.listen, &options.names),
    }
}

/// Serves the dashboard until `shutdown` completes.
pub async fn serve(
    data: PathBuf,
    clock: Arc<dyn Clock>,
    options: DashOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let folder = data.clone();
    let office = tokio::task::spawn_blocking(move || crate::office::open_any(&folder, clock)).await??;
    let router = match office {
        crate::office::Opened::Sqlite(hq) => router(DashState::new(hq, data.clone())),
        crate::office::Opened::Postgres(hq) => router(DashState::new(hq, data.clone())),
    };
    let tls = tls_config(&data, &options)?;
    anyhow::Context::context(
        wuye_web::secure::serve(router, options.listen, Some(tls), "dashboard", shutdown).await,
        "the dashboard: give another address with --dashboard-listen",
    )
}
