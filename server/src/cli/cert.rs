//! `cert`: rotating head office's certificate without stranding a site.

use std::path::Path;
use std::sync::Arc;

use clap::Subcommand;
use wuye_protocol::time::SystemClock;

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
    /// Copy the next certificate from the server folder where `cert rotate` made it: every
    /// server on one PostgreSQL database serves with the same certificate.
    Copy {
        /// That server folder.
        #[arg(long)]
        from: std::path::PathBuf,
    },
}

/// Runs `wuye-server cert …`.
pub(crate) fn run(data: &Path, clock: Arc<SystemClock>, cmd: CertCommand) -> anyhow::Result<()> {
    match cmd {
        CertCommand::Rotate => on_either!(data, clock, |hq| {
            let fingerprint = hq.rotate_cert(data)?;
            wuye_node::say!("next certificate made; fingerprint {fingerprint}");
            wuye_node::say!(
                "every site receives it at its next sync; when `site list` shows that all hold it, run `wuye-server cert switch` \
                 (other server folders on the same database: `wuye-server cert copy --from {}` in each first)",
                data.display()
            );
        }),
        CertCommand::Switch { force } => on_either!(data, clock, |hq| {
            let fingerprint = hq.switch_cert(data, force)?;
            wuye_node::say!(
                "switched to the certificate with fingerprint {fingerprint}; restart `wuye-server run` to serve with it \
                 (the old one is kept as {})",
                wuye_server::PREVIOUS_CERT_FILE
            );
        }),
        CertCommand::Copy { from } => on_either!(data, clock, |hq| {
            let fingerprint = hq.copy_next_cert(&from, data)?;
            wuye_node::say!(
                "next certificate (fingerprint {fingerprint}) copied from {}; run `wuye-server cert switch` here when that folder has",
                from.display()
            );
        }),
    }
    Ok(())
}
