//! `server`, `sync`, `status` and `run`: the link with head office.

use std::path::Path;
use std::time::Duration;

use clap::{Args, Subcommand};
use wuye_agent::config::{self};
use wuye_agent::link;
use wuye_agent::progress::SyncProgress;
use wuye_node::process::{print_json, shutdown_signal};
use wuye_protocol::time::SystemClock;

use super::*;

#[derive(Subcommand)]
pub(crate) enum ServerCommand {
    /// Set head office's address and certificate fingerprint.
    Set {
        /// Head office's address, HOST:PORT.
        #[arg(long)]
        server: String,
        /// Head office's certificate fingerprint (`wuye-server fingerprint`).
        #[arg(long)]
        fingerprint: String,
    },
}

/// Runs `wuye-agent server …`.
pub(crate) fn server(data: &Path, args: ServerCommand) -> anyhow::Result<()> {
    let ServerCommand::Set { server, fingerprint } = args;
    let (desk, actor) = open_signed_in(data)?;
    wuye_protocol::staff::may(actor.role, wuye_protocol::staff::Guarded::Configure)?;
    let mut config = wuye_agent::config::AgentConfig::load(&desk.store)?;
    config.set_server(&server, &fingerprint)?;
    config.save(&desk.store)?;
    desk.store.delete_setting(link::REFUSED_SETTING)?;
    wuye_node::say!(
            "head office is now {} with fingerprint {}; the next sync uses them (a running agent takes them at its next connection)",
            config.server,
            config.fingerprint
        );
    Ok(())
}

/// The arguments of `sync`.
#[derive(Args)]
pub(crate) struct SyncArgs {
    /// Print the round's figures as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `wuye-agent sync …`.
/// Writes the site profile head office reads, when the settings changed
/// since (or it was never written); a failure is told and syncing goes on.
fn publish_profile(data: &Path) {
    let published = super::open_desk(data).and_then(|mut desk| Ok(desk.publish_profile()?));
    if let Err(e) = published {
        tracing::warn!("the site profile for head office was not written: {e:#}");
    }
}

/// What `run` does once at its start, on one opened desk: the site profile
/// written, and the personal details removed of residents who moved out
/// longer ago than the site keeps them (recorded as done by the agent); a
/// failure is told and the agent goes on.
fn at_start(data: &Path) {
    let mut desk = match super::open_desk(data) {
        Ok(desk) => desk,
        Err(e) => return tracing::warn!("the site profile for head office was not written: {e:#}"),
    };
    if let Err(e) = desk.publish_profile() {
        tracing::warn!("the site profile for head office was not written: {e:#}");
    }
    let actor = wuye_app::desk::Actor::named("客服中心（保存期满自动移除）");
    match desk.remove_moved_out_details(&actor) {
        Ok(done) if !done.is_empty() => tracing::info!(residents = done.len(), "moved-out residents' details removed"),
        Ok(_) => {}
        Err(e) => tracing::warn!("moved-out residents' details were not removed: {e:#}"),
    }
}

pub(crate) fn sync(data: &Path, args: SyncArgs) -> anyhow::Result<()> {
    let SyncArgs { json } = args;
    publish_profile(data);
    let (mut store, config) = config::open(data)?;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let expected = store.unconfirmed_count(wuye_protocol::sync::SERVER_PEER, config.site_id)?;
    let mut progress = SyncProgress::new(expected);
    let result = rt.block_on(link::sync_once(&mut store, &config, &SystemClock, &mut |o| progress.update(o)));
    progress.finish();
    let outcome = result?;
    let r = &outcome.report;
    if json {
        print_json(&serde_json::json!({
            "site_name": r.site_name,
            "pushed": r.pushed,
            "pulled": r.pulled,
            "reconciled": r.reconciled,
            "bytes_sent": outcome.bytes_sent,
            "bytes_received": outcome.bytes_received,
            "seconds": outcome.elapsed.as_secs_f64(),
            "peak_rss_mb": wuye_node::process::peak_rss_mb(),
            "refused": r.refused_by_server.iter().chain(&r.refused_here)
                .map(|f| serde_json::json!({"id": f.id, "reason": f.reason})).collect::<Vec<_>>(),
        }))?;
    } else {
        if r.reconciled {
            wuye_node::say!(
                "this site and head office no longer agreed on what the other held (a folder restored from a copy?): \
                 compared every record and exchanged what differed"
            );
        }
        wuye_node::say!(
            "synced with head office as {}: {} record(s) sent, {} received",
            r.site_name,
            r.pushed,
            r.pulled
        );
    }
    let refused: Vec<_> = r.refused_by_server.iter().chain(&r.refused_here).collect();
    if !refused.is_empty() {
        for f in &refused {
            eprintln!("refused: {}: {}", f.id, f.reason);
        }
        anyhow::bail!("{} record(s) were refused; see the lines above", refused.len());
    }
    Ok(())
}

/// The arguments of `status`.
#[derive(Args)]
pub(crate) struct StatusArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `wuye-agent status …`.
pub(crate) fn status(data: &Path, args: StatusArgs) -> anyhow::Result<()> {
    let StatusArgs { json } = args;
    let (store, config) = config::open(data)?;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let status = rt.block_on(wuye_agent::status::status(&store, &config))?;
    if json {
        print_json(&status)?;
    } else {
        wuye_node::say!("site {}  head office {}", status.site_id, status.server);
        wuye_node::say!("last sync      {}", status.last_sync_at.map_or("never".to_string(), |t| t.to_string()));
        wuye_node::say!("records        {} ({} waiting to go up)", status.records, status.waiting_up);
        match (&status.server_error, &status.refused_by_server) {
            (_, Some(why)) => wuye_node::say!("head office    refuses this site: {why}"),
            (None, None) => wuye_node::say!("head office    reachable"),
            (Some(e), None) => wuye_node::say!("head office    not reachable: {e}"),
        }
        match status.clock_offset_seconds {
            Some(o) if status.clock_wrong => wuye_node::say!(
                "clock          this PC is {} s {} head office: set the right time (deadlines and records rest on it)",
                o.abs(),
                if o > 0 { "ahead of" } else { "behind" }
            ),
            Some(_) => wuye_node::say!("clock          agrees with head office"),
            None => {}
        }
        if let Some(next) = &status.next_fingerprint {
            wuye_node::say!("certificate    head office's next one ({next}) is accepted too");
        }
    }
    Ok(())
}

/// The arguments of `run`.
#[derive(Args)]
pub(crate) struct RunArgs {
    /// Seconds between rounds while connected.
    #[arg(long, default_value_t = link::DEFAULT_INTERVAL_MS / 1000)]
    pub interval_secs: u64,
    /// Sync only: no web desk.
    #[arg(long)]
    pub no_web: bool,
    #[command(flatten)]
    pub web: super::web::WebArgs,
}

/// Runs `wuye-agent run …`.
pub(crate) fn run(data: &Path, args: RunArgs) -> anyhow::Result<()> {
    let RunArgs { interval_secs, no_web, web } = args;
    at_start(data);
    let (mut store, config) = config::open(data)?;
    let web = if no_web { None } else { Some(web.options(data)?) };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    tracing::info!(site = %config.site_id, server = %config.server, "agent running");
    rt.block_on(async {
        let (stop_web, web_stopped) = tokio::sync::oneshot::channel::<()>();
        let desk = web.map(|options| {
            let data = data.to_path_buf();
            tokio::spawn(async move {
                // The desk failing to start (its port taken, say) never stops syncing.
                if let Err(e) = wuye_agent::web::serve(data, options, async {
                    let _ = web_stopped.await;
                })
                .await
                {
                    tracing::error!("the web desk is not served: {e:#}");
                }
            })
        });
        wuye_node::process::service_ready();
        link::run(&mut store, &config, &SystemClock, Duration::from_secs(interval_secs.max(1)), shutdown_signal())
            .await;
        wuye_node::process::service_stopping();
        let _ = stop_web.send(());
        if let Some(desk) = desk {
            let _ = desk.await;
        }
    });
    tracing::info!("agent stopped");
    Ok(())
}
