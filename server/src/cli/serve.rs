//! `init`, `fingerprint`, `run`, `backup` and `restore`: head office's folder, identity and service.

use std::path::Path;
use std::sync::Arc;

use wuye_node::process::shutdown_signal;
use wuye_protocol::time::SystemClock;
use wuye_server::office::{self, Opened};
use wuye_server::serve;

/// Runs `wuye-server init …`.
pub(crate) fn init(
    data: &Path,
    listen: Option<String>,
    store: Option<String>,
    store_ca: Option<&Path>,
) -> anyhow::Result<()> {
    let fingerprint = match store {
        Some(url) => office::init_postgres(data, &url, store_ca, listen.as_deref())?,
        None => office::init(data, listen.as_deref())?,
    };
    wuye_node::say!("{fingerprint}");
    Ok(())
}

/// Runs `wuye-server fingerprint …`.
pub(crate) fn fingerprint(data: &Path) -> anyhow::Result<()> {
    let identity = office::identity(data)?;
    wuye_node::say!("{}", wuye_node::tls::fingerprint(&identity.cert_der));
    Ok(())
}

/// How the dashboard is served beside sync.
#[derive(clap::Args)]
pub(crate) struct DashboardArgs {
    /// Where the dashboard listens (HTTPS), IP:PORT.
    #[arg(long, default_value = wuye_server::DEFAULT_DASHBOARD_LISTEN)]
    dashboard_listen: String,
    /// Serve sync only.
    #[arg(long)]
    no_dashboard: bool,
    /// The dashboard's certificate chain (PEM); without it the dashboard's
    /// own authority (`web-ca.pem` in the folder, to install in browsers) makes one.
    #[arg(long, requires = "dashboard_key", value_name = "FILE")]
    dashboard_cert: Option<std::path::PathBuf>,
    /// The private key of --dashboard-cert (PEM).
    #[arg(long, requires = "dashboard_cert", value_name = "FILE")]
    dashboard_key: Option<std::path::PathBuf>,
    /// More names (host names, addresses) for the dashboard's own certificate.
    #[arg(long = "dashboard-name", value_name = "NAME")]
    dashboard_names: Vec<String>,
}

impl DashboardArgs {
    fn options(self) -> anyhow::Result<Option<wuye_server::web::DashOptions>> {
        if self.no_dashboard {
            return Ok(None);
        }
        let listen = office::check_listen(&self.dashboard_listen)?;
        let cert = self.dashboard_cert.zip(self.dashboard_key);
        Ok(Some(wuye_server::web::DashOptions { listen, cert, names: self.dashboard_names }))
    }
}

/// Runs `wuye-server run …`.
pub(crate) fn run(
    data: &Path,
    clock: Arc<SystemClock>,
    listen: Option<String>,
    dashboard: DashboardArgs,
) -> anyhow::Result<()> {
    let hq = office::open_any(data, clock.clone())?;
    let configured = || match &hq {
        Opened::Sqlite(hq) => hq.listen(),
        Opened::Postgres(hq) => hq.listen(),
    };
    let listen = office::check_listen(&listen.map(Ok).unwrap_or_else(configured)?)?;
    let dashboard = dashboard.options()?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let endpoint = serve::bind(data, listen)?;
        let local = endpoint.local_addr()?;
        wuye_node::say!("wuye-server listening on {local}");
        tracing::info!(%local, "serving sync");
        let (stop_dashboard, dashboard_stopped) = tokio::sync::oneshot::channel::<()>();
        let served = dashboard.map(|options| {
            wuye_node::say!("dashboard on https://{}", options.listen);
            let (data, clock) = (data.to_path_buf(), clock.clone());
            tokio::spawn(async move {
                // A dashboard that cannot start (its port taken, say) never stops sync.
                let stopped = async {
                    let _ = dashboard_stopped.await;
                };
                if let Err(e) = wuye_server::web::serve(data, clock, options, stopped).await {
                    tracing::error!("the dashboard is not served: {e:#}");
                }
            })
        });
        wuye_node::process::service_ready();
        match hq {
            Opened::Sqlite(hq) => serve::run(endpoint, hq, clock, shutdown_signal()).await,
            Opened::Postgres(hq) => serve::run(endpoint, hq, clock, shutdown_signal()).await,
        }
        wuye_node::process::service_stopping();
        let _ = stop_dashboard.send(());
        if let Some(served) = served {
            let _ = served.await;
        }
        anyhow::Ok(())
    })?;
    tracing::info!("stopped");
    Ok(())
}

/// Runs `wuye-server store copy --from DIR --to URL`.
pub(crate) fn copy(from: &Path, to: &str, store_ca: Option<&Path>) -> anyhow::Result<()> {
    let copied = office::copy_to_postgres(from, to, store_ca)?;
    wuye_node::say!(
        "copied {} records ({} replaced ones remembered), {} sites and {} logged actions into PostgreSQL, \
         and checked every record's heads against {}; {} now runs on PostgreSQL (its server.db stays as it was: \
         delete {} to go back). At each site's next sync the two compare what they hold.",
        copied.records,
        copied.purged,
        copied.sites,
        copied.actions,
        from.join(wuye_server::DB_FILE).display(),
        from.display(),
        from.join(office::STORE_URL_FILE).display(),
    );
    Ok(())
}

/// Runs `wuye-server store rebuild`.
pub(crate) fn rebuild(data: &Path, clock: Arc<SystemClock>) -> anyhow::Result<()> {
    on_either!(data, clock, |hq| {
        let count = hq.store.rebuild_projections()?;
        wuye_node::say!("{count} record(s) listed again from their documents, and the figures summed again");
        Ok(())
    })
}

/// Runs `wuye-server backup FILE`.
pub(crate) fn backup(data: &Path, file: &Path) -> anyhow::Result<()> {
    office::backup(data, file)?;
    wuye_node::say!(
        "head office's data and certificate are copied to {}; keep it where only head office's operators can read it",
        file.display()
    );
    Ok(())
}

/// Runs `wuye-server restore FILE`.
pub(crate) fn restore(data: &Path, file: &Path) -> anyhow::Result<()> {
    office::restore(file, data)?;
    wuye_node::say!(
        "{} is restored from {}; at each site's next sync, the two compare what they hold and exchange what differs",
        data.display(),
        file.display()
    );
    Ok(())
}
