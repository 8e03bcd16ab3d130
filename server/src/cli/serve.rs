//! `init`, `fingerprint`, `run`, `backup` and `restore`: head office's folder, identity and service.

use std::path::Path;
use std::sync::Arc;

use wuye_node::process::shutdown_signal;
use wuye_protocol::time::SystemClock;
use wuye_server::office::{self, HeadOffice};
use wuye_server::serve;

/// Runs `wuye-server init …`.
pub(crate) fn init(data: &Path, listen: Option<String>) -> anyhow::Result<()> {
    let fingerprint = office::init(data, listen.as_deref())?;
    wuye_node::say!("{fingerprint}");
    Ok(())
}

/// Runs `wuye-server fingerprint …`.
pub(crate) fn fingerprint(data: &Path) -> anyhow::Result<()> {
    let identity = office::identity(data)?;
    wuye_node::say!("{}", wuye_node::tls::fingerprint(&identity.cert_der));
    Ok(())
}

/// Runs `wuye-server run …`.
pub(crate) fn run(data: &Path, clock: Arc<SystemClock>, listen: Option<String>) -> anyhow::Result<()> {
    let hq = HeadOffice::open(data, clock.clone())?;
    let listen = office::check_listen(&listen.map(Ok).unwrap_or_else(|| hq.listen())?)?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let endpoint = serve::bind(data, listen)?;
        let local = endpoint.local_addr()?;
        wuye_node::say!("wuye-server listening on {local}");
        tracing::info!(%local, "serving sync");
        serve::run(endpoint, hq, clock, shutdown_signal()).await;
        anyhow::Ok(())
    })?;
    tracing::info!("stopped");
    Ok(())
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
