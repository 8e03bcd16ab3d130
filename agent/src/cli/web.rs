//! `web`: the web desk alone; its options are `run`'s too.

use std::net::SocketAddr;
use std::path::Path;

use clap::Args;
use wuye_agent::web::{self, WebOptions};
use wuye_node::process::shutdown_signal;

/// How the web desk is served (for `web`, and `run` beside syncing).
#[derive(Args, Debug, Clone)]
pub(crate) struct WebArgs {
    /// Listen on this IP:PORT (default 127.0.0.1 and the site's `web-port`, 8080).
    #[arg(long, value_name = "IP:PORT")]
    pub web_listen: Option<SocketAddr>,
    /// Let the office's other desk PCs reach the desk: listen on every
    /// address, over HTTPS with the desk's own certificate authority.
    #[arg(long)]
    pub lan: bool,
    /// Serve plain HTTP although listening beyond loopback: anyone on the
    /// LAN can then read passwords and records in transit. Only on a network
    /// nobody else uses.
    #[arg(long, conflicts_with = "tls")]
    pub plain_http: bool,
    /// Serve HTTPS on loopback too.
    #[arg(long)]
    pub tls: bool,
    /// A name or address desk PCs use for this PC (e.g. 192.168.1.10 or
    /// kefu-pc), put in the desk's certificate; may be repeated.
    #[arg(long = "web-name", value_name = "NAME")]
    pub names: Vec<String>,
}

impl WebArgs {
    /// The options these arguments give.
    pub(crate) fn options(&self, data: &Path) -> anyhow::Result<WebOptions> {
        Ok(WebOptions {
            listen: web::listen_address(self.web_listen, self.lan, data)?,
            plain_http: self.plain_http,
            tls: self.tls,
            names: self.names.clone(),
        })
    }
}

/// The arguments of `web`.
#[derive(Args)]
pub(crate) struct WebCommandArgs {
    #[command(flatten)]
    pub web: WebArgs,
    /// Make the desk's certificate authority if needed, print where it is
    /// (to install on desk PCs), and stop.
    #[arg(long)]
    pub print_ca: bool,
}

/// Runs `wuye-agent web …`.
pub(crate) fn run(data: &Path, args: WebCommandArgs) -> anyhow::Result<()> {
    let options = args.web.options(data)?;
    if args.print_ca {
        wuye_web::tls::server_config(data, web::TLS_NAMES, options.listen, &options.names)?;
        wuye_node::say!("{}", wuye_web::tls::ca_path(data).display());
        return Ok(());
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    rt.block_on(web::serve(data.to_path_buf(), options, shutdown_signal()))
}
