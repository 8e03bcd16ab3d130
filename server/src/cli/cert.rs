//! `cert`: rotating head office's certificate without stranding a site.

use std::path::Path;
use std::sync::Arc;

use clap::Subcommand;
use wuye_protocol::time::SystemClock;
use wuye_server::office::HeadOffice;

#[derive(Subcommand)]
pub(crate) enum CertCommand {
    /// Make the next certificate; its fingerprint reaches every site at its
    /// next sync (`site list` shows which sites hold it).
    Rotate,
    /// Serve with the next certificate from the next start of `run`; refused
    /// while an enrolled site does not hold its fingerprint, unless --force.
    Switch {
        /// Switch even though some sites do not hold the new fingerprint yet.
        #[arg(long)]
        force: bool,
    },
}

/// Runs `wuye-server cert …`.
pub(crate) fn run(data: &Path, clock: Arc<SystemClock>, cmd: CertCommand) -> anyhow::Result<()> {
    match cmd {
        CertCommand::Rotate => {
            let mut hq = HeadOffice::open(data, clock)?;
            let fingerprint = hq.rotate_cert(data)?;
            wuye_node::say!("next certificate made; fingerprint {fingerprint}");
            wuye_node::say!(
                "every site receives it at its next sync; when `site list` shows that all hold it, run `wuye-server cert switch`"
            );
        }
        CertCommand::Switch { force } => {
            let mut hq = HeadOffice::open(data, clock)?;
            let fingerprint = hq.switch_cert(data, force)?;
            wuye_node::say!(
                "switched to the certificate with fingerprint {fingerprint}; restart `wuye-server run` to serve with it \
                 (the old one is kept as {})",
                wuye_server::PREVIOUS_CERT_FILE
            );
        }
    }
    Ok(())
}
