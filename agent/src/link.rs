//! The sync driver: carries the protocol's [`ClientSession`] over QUIC.
//!
//! `sync` is one connection and one round. `run` keeps a connection open and
//! starts a round every interval; when the link drops it reconnects with
//! exponential backoff and jitter, so a site that is offline for days never
//! spins in a tight loop.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use tokio::time::timeout;
use wuye_node::frames::{read_message, write_message, FrameIoError};
use wuye_node::{Store, StoreError};
use wuye_protocol::sync::{ClientSession, RoundReport, SessionError};
use wuye_protocol::time::Clock;

use crate::config::AgentConfig;

/// How long to wait for head office to answer a connection attempt.
pub const CONNECT_TIMEOUT_MS: u64 = 5_000;
/// How long to wait for any one reply within a round.
pub const STEP_TIMEOUT_MS: u64 = 30_000;
/// How long `sync` lingers after closing so the close reaches head office.
pub const CLOSE_LINGER_MS: u64 = 20;
/// How often `run` syncs while connected, unless told otherwise.
pub const DEFAULT_INTERVAL_MS: u64 = 5_000;
/// The first wait after a failed connection.
pub const BACKOFF_MIN_MS: u64 = 1_000;
/// The longest wait between reconnection attempts.
pub const BACKOFF_MAX_MS: u64 = 60_000;
/// The first wait after head office refused this site (revoked, a wrong or
/// spent credential, another version): nothing changes by retrying soon.
pub const REFUSED_BACKOFF_MIN_MS: u64 = 15_000;
/// The longest wait after a refusal.
pub const REFUSED_BACKOFF_MAX_MS: u64 = 15 * 60_000;
/// A clock further than this from head office's is reported.
pub const MAX_CLOCK_OFFSET_MS: i64 = 5 * 60 * 1000;
/// The setting that holds head office's last refusal of this site, until a round succeeds.
pub const REFUSED_SETTING: &str = "refused_by_server";
/// The setting that holds how far this PC's clock was ahead of head office's at the last round, in ms.
pub const CLOCK_OFFSET_SETTING: &str = "clock_offset_ms";

/// Why a round did not complete.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// Head office could not be reached.
    #[error(
        "cannot reach head office at {server}: {reason}; every record stays saved here and goes up at the next sync"
    )]
    Unreachable {
        /// The configured address.
        server: String,
        /// What failed.
        reason: String,
    },
    /// The link broke mid-round.
    #[error("the link to head office broke during the round: {0}; nothing is lost, the next sync carries on")]
    Broken(String),
    /// The session failed (refused credential, protocol error, storage).
    #[error(transparent)]
    Session(#[from] SessionError<StoreError>),
    /// The configuration cannot be used.
    #[error("{0}")]
    Config(String),
}

impl LinkError {
    /// Whether head office refused this site (rather than the link failing):
    /// retrying soon would be refused the same way.
    pub fn is_refusal(&self) -> bool {
        use wuye_protocol::wire::ErrorCode;
        matches!(
            self,
            LinkError::Session(SessionError::Remote { code: ErrorCode::Unauthorized | ErrorCode::VersionMismatch, .. })
                | LinkError::Session(SessionError::Unauthorized(_) | SessionError::Version(_))
        )
    }
}

impl From<FrameIoError> for LinkError {
    fn from(e: FrameIoError) -> Self {
        LinkError::Broken(e.to_string())
    }
}

/// What a completed round did.
#[derive(Debug, Clone, Default)]
pub struct RoundOutcome {
    /// Documents moved and refused.
    pub report: RoundReport,
    /// Frame bytes sent.
    pub bytes_sent: u64,
    /// Frame bytes received.
    pub bytes_received: u64,
    /// Time from starting to connect until the round completed.
    pub elapsed: Duration,
}

async fn resolve(server: &str) -> Result<SocketAddr, LinkError> {
    let unreachable = |reason: String| LinkError::Unreachable { server: server.to_string(), reason };
    tokio::net::lookup_host(server)
        .await
        .map_err(|e| unreachable(format!("address lookup failed: {e}")))?
        .next()
        .ok_or_else(|| unreachable("the name has no address".into()))
}

/// Opens a QUIC connection to head office, verifying its pinned certificate.
pub async fn connect(config: &AgentConfig) -> Result<(quinn::Endpoint, quinn::Connection), LinkError> {
    let addr = resolve(&config.server).await?;
    let mut pinned = vec![config.fingerprint.as_str()];
    pinned.extend(config.next_fingerprint.as_deref());
    let client = wuye_node::tls::client_config_any(&pinned).map_err(|e| LinkError::Config(e.to_string()))?;
    let bind: SocketAddr = if addr.is_ipv6() {
        "[::]:0".parse().expect("literal address")
    } else {
        "0.0.0.0:0".parse().expect("literal address")
    };
    let unreachable = |reason: String| LinkError::Unreachable { server: config.server.clone(), reason };
    let endpoint = quinn::Endpoint::client(bind).map_err(|e| unreachable(format!("cannot open a UDP socket: {e}")))?;
    let connecting =
        endpoint.connect_with(client, addr, wuye_node::tls::SERVER_NAME).map_err(|e| unreachable(e.to_string()))?;
    match timeout(Duration::from_millis(CONNECT_TIMEOUT_MS), connecting).await {
        Ok(Ok(conn)) => Ok((endpoint, conn)),
        Ok(Err(e)) => Err(unreachable(e.to_string())),
        Err(_) => Err(unreachable(format!("no answer within {} s", CONNECT_TIMEOUT_MS / 1000))),
    }
}

/// The setting that records when the last round completed (UTC, RFC 3339).
pub const LAST_SYNC_SETTING: &str = "last_sync_at";
/// When the last round with head office completed, if one ever did.
pub fn last_sync(store: &Store) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
    Ok(store.setting(LAST_SYNC_SETTING)?.and_then(|t| wuye_protocol::time::from_stored(&t)))
}

/// The site's name as head office knows it, from the last round.
pub const SITE_NAME_SETTING: &str = "site_name";
/// Why `run` last failed to reach head office, and when (`time|reason`);
/// removed by the next round that completes. The web desk shows 离线 while it is set.
pub const LINK_DOWN_SETTING: &str = "link_down";

/// Runs one round on an open connection.
pub async fn round(
    conn: &quinn::Connection,
    store: &mut Store,
    config: &AgentConfig,
    clock: &dyn Clock,
) -> Result<RoundOutcome, LinkError> {
    round_with_progress(conn, store, config, clock, &mut |_| {}).await
}

/// Which copy of the site's folder this is: a digest of this PC's name and
/// the database's path, so a copy on another PC (or in another folder)
/// presents another, and a folder restored in place the same.
pub fn instance_of(store: &Store) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default();
    let path = store
        .conn()
        .path()
        .map(|p| std::fs::canonicalize(p).map_or_else(|_| p.to_string(), |c| c.display().to_string()));
    let digest = wuye_node::secret::sha256_hex(format!("{}\n{}", host.trim(), path.unwrap_or_default()).as_bytes());
    digest[..16].to_string()
}

/// Runs one round, calling `progress` after every message it handles.
pub async fn round_with_progress(
    conn: &quinn::Connection,
    store: &mut Store,
    config: &AgentConfig,
    clock: &dyn Clock,
    progress: &mut (dyn FnMut(&RoundOutcome) + Send),
) -> Result<RoundOutcome, LinkError> {
    let (mut send, mut recv) = conn.open_bi().await.map_err(|e| LinkError::Broken(e.to_string()))?;
    let (token, enroll_code) = tokio::task::block_in_place(|| crate::config::credentials(store))
        .map_err(|e| LinkError::Broken(e.to_string()))?;
    let mut enrolling = enroll_code.is_some();
    let session = match enroll_code {
        Some(code) => ClientSession::enrolling(config.site_id, token, code),
        None => ClientSession::new(config.site_id, token),
    };
    let health = tokio::task::block_in_place(|| health_of(store));
    let mut session = session.with_instance(instance_of(store)).with_health(health);
    let start = std::time::Instant::now();
    let mut outcome = RoundOutcome::default();
    let mut clock_offset_ms = None;
    let hello = tokio::task::block_in_place(|| session.start(store, clock.now())).map_err(LinkError::Session)?;
    outcome.bytes_sent += write_message(&mut send, &hello).await? as u64;
    loop {
        let step = timeout(Duration::from_millis(STEP_TIMEOUT_MS), read_message(&mut recv))
            .await
            .map_err(|_| LinkError::Broken(format!("no reply within {} s", STEP_TIMEOUT_MS / 1000)))??;
        let Some((message, used)) = step else {
            return Err(LinkError::Broken("head office closed the stream mid-round".into()));
        };
        outcome.bytes_received += used as u64;
        let name = wuye_protocol::sync::message_name(&message);
        let started = std::time::Instant::now();
        let welcome = matches!(message, wuye_protocol::wire::Message::Welcome { .. });
        let handled = tokio::task::block_in_place(|| {
            let handled = session.handle(store, message);
            if enrolling && session.admitted() {
                // Head office now knows the credential by its hash; the code is spent.
                store.delete_setting(crate::config::ENROLL_CODE_SETTING)?;
                enrolling = false;
            }
            if welcome && handled.is_ok() {
                // Kept before the round goes on: completing it tells head office this site holds it.
                note_next_fingerprint(store, config, session.report())?;
                clock_offset_ms = session
                    .report()
                    .server_time_ms
                    .map(|server_ms| clock.now().timestamp_millis().saturating_sub(server_ms));
            }
            Ok::<_, StoreError>(handled)
        })
        .map_err(|e| LinkError::Session(SessionError::Store(e)))?;
        tracing::debug!(message = name, busy_us = started.elapsed().as_micros() as u64, "handled");
        match handled {
            Ok(replies) => {
                for reply in &replies {
                    outcome.bytes_sent += write_message(&mut send, reply).await? as u64;
                }
                outcome.report = session.report().clone();
                outcome.elapsed = start.elapsed();
                progress(&outcome);
                if session.is_finished() {
                    break;
                }
            }
            Err(e) => {
                if let Some(wire) = e.to_wire() {
                    let _ = write_message(&mut send, &wire).await;
                    let _ = send.finish();
                }
                return Err(e.into());
            }
        }
    }
    let _ = send.finish();
    let finished = wuye_protocol::time::to_stored(clock.now());
    if let Some(offset_ms) = clock_offset_ms.filter(|o| o.abs() > MAX_CLOCK_OFFSET_MS) {
        tracing::warn!(
            offset_s = offset_ms / 1000,
            "this PC's clock differs from head office's by more than 5 minutes: set the right time, \
             deadlines and records here rest on it"
        );
    }
    tokio::task::block_in_place(|| {
        // Every round writes these: one commit, not three.
        let offset = clock_offset_ms.map(|o| o.to_string());
        let mut set =
            vec![(LAST_SYNC_SETTING, finished.as_str()), (SITE_NAME_SETTING, outcome.report.site_name.as_str())];
        set.extend(offset.as_deref().map(|o| (CLOCK_OFFSET_SETTING, o)));
        store.set_settings(&set, &[REFUSED_SETTING, LINK_DOWN_SETTING])?;
        promote_fingerprint(store, conn)
    })
    .map_err(|e| LinkError::Session(SessionError::Store(e)))?;
    Ok(outcome)
}

/// Keeps the certificate fingerprint head office announced it will move to.
fn note_next_fingerprint(store: &Store, config: &AgentConfig, report: &RoundReport) -> Result<(), StoreError> {
    use crate::config::NEXT_FINGERPRINT_SETTING;
    if let Some(next) = &report.next_fingerprint {
        if *next != config.fingerprint && store.setting(NEXT_FINGERPRINT_SETTING)?.as_ref() != Some(next) {
            tracing::info!(fingerprint = %next, "head office announced its next certificate; it is accepted from now on");
            store.set_setting(NEXT_FINGERPRINT_SETTING, next)?;
        }
    }
    Ok(())
}

/// After head office switched certificates: the announced fingerprint it now
/// presents becomes the one pinned.
fn promote_fingerprint(store: &Store, conn: &quinn::Connection) -> Result<(), StoreError> {
    use crate::config::NEXT_FINGERPRINT_SETTING;
    // Only during a rotation is there anything to look at.
    let Some(next) = store.setting(NEXT_FINGERPRINT_SETTING)? else {
        return Ok(());
    };
    let Some(seen) = wuye_node::tls::peer_fingerprint(conn) else {
        return Ok(());
    };
    if seen == next {
        tracing::info!(fingerprint = %next, "head office now serves its new certificate; it is the one pinned");
        store.set_setting("fingerprint", &next)?;
        store.delete_setting(NEXT_FINGERPRINT_SETTING)?;
    }
    Ok(())
}

/// How this agent stands, for head office (protocol 5's Finish): its
/// version, the disk's free space and the last sync error since its last
/// completed round, read before the round (what cannot be read is left out
/// rather than failing the round); the records waiting to go up are counted
/// by the session as the round ends.
pub fn health_of(store: &Store) -> wuye_protocol::wire::Health {
    let last_error = store
        .setting(REFUSED_SETTING)
        .ok()
        .flatten()
        .or_else(|| {
            let down = store.setting(LINK_DOWN_SETTING).ok().flatten()?;
            Some(down.split_once('|').map_or(down.clone(), |(_, e)| e.to_string()))
        })
        .unwrap_or_default();
    wuye_protocol::wire::Health {
        version: env!("CARGO_PKG_VERSION").to_string(),
        disk_free_bytes: store.path().and_then(disk_free),
        // Counted by the session as the round ends (`ClientSession::with_health`).
        records_waiting: 0,
        last_error: last_error.chars().take(wuye_protocol::wire::MAX_HEALTH_ERROR_CHARS).collect(),
    }
}

/// Free space for an unprivileged user on the disk holding `file`.
#[cfg(unix)]
fn disk_free(file: &std::path::Path) -> Option<u64> {
    let folder = file.parent()?;
    let stat = rustix::fs::statvfs(folder).ok()?;
    Some(stat.f_bavail.saturating_mul(stat.f_frsize))
}

#[cfg(not(unix))]
fn disk_free(_file: &std::path::Path) -> Option<u64> {
    None
}

/// Records that head office refused this site, for `status` to say why.
/// Notes that head office could not be reached (shown as 离线 until a round completes).
fn note_down(store: &Store, clock: &dyn Clock, error: &LinkError) {
    let value = format!("{}|{error}", wuye_protocol::time::to_stored(clock.now()));
    if let Err(e) = store.set_setting(LINK_DOWN_SETTING, &value) {
        tracing::warn!("could not record that head office is out of reach: {e}");
    }
}

fn note_refusal(store: &Store, error: &LinkError) {
    if error.is_refusal() {
        if let Err(e) = store.set_setting(REFUSED_SETTING, &error.to_string()) {
            tracing::warn!("could not record head office's refusal: {e}");
        }
    }
}

/// Connects, runs one round and closes.
pub async fn sync_once(
    store: &mut Store,
    config: &AgentConfig,
    clock: &dyn Clock,
    progress: &mut (dyn FnMut(&RoundOutcome) + Send),
) -> Result<RoundOutcome, LinkError> {
    let start = std::time::Instant::now();
    let (endpoint, conn) = connect(config).await?;
    let result = round_with_progress(&conn, store, config, clock, progress).await.map(|mut outcome| {
        outcome.elapsed = start.elapsed();
        outcome
    });
    if let Err(e) = &result {
        note_refusal(store, e);
    }
    conn.close(0u32.into(), b"round complete");
    // Give the close a moment to reach head office, so it frees the connection at
    // once rather than after its idle timeout; not the whole drain period.
    let _ = timeout(Duration::from_millis(CLOSE_LINGER_MS), endpoint.wait_idle()).await;
    result
}

fn log_outcome(outcome: &RoundOutcome) {
    let r = &outcome.report;
    if r.pushed > 0 || r.pulled > 0 {
        tracing::info!(
            pushed = r.pushed,
            pulled = r.pulled,
            bytes_sent = outcome.bytes_sent,
            bytes_received = outcome.bytes_received,
            "synced with head office"
        );
    } else {
        tracing::debug!("in step with head office");
    }
    for refusal in r.refused_by_server.iter().chain(&r.refused_here) {
        tracing::error!(record = %refusal.id, reason = %refusal.reason, "record refused");
    }
}

/// Keeps syncing until `shutdown` resolves: a round every `interval` while
/// connected, reconnecting with backoff when the link drops.
pub async fn run(
    store: &mut Store,
    config: &AgentConfig,
    clock: &dyn Clock,
    interval: Duration,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let mut backoff_ms = BACKOFF_MIN_MS;
    let mut refused_ms = REFUSED_BACKOFF_MIN_MS;
    let mut rng = rand::rngs::StdRng::from_entropy();
    loop {
        // Read afresh: `server set`, `enroll` or an announced certificate may have changed it.
        let config = tokio::task::block_in_place(|| AgentConfig::load(store)).unwrap_or_else(|_| config.clone());
        let attempt = tokio::select! {
            _ = &mut shutdown => return,
            attempt = connect(&config) => attempt,
        };
        let mut refused = false;
        match attempt {
            Ok((endpoint, conn)) => {
                tracing::info!(server = %config.server, "connected to head office");
                backoff_ms = BACKOFF_MIN_MS;
                loop {
                    match round(&conn, store, &config, clock).await {
                        Ok(outcome) => {
                            log_outcome(&outcome);
                            refused_ms = REFUSED_BACKOFF_MIN_MS;
                        }
                        Err(e) => {
                            refused = e.is_refusal();
                            tokio::task::block_in_place(|| {
                                note_refusal(store, &e);
                                note_down(store, clock, &e);
                            });
                            tracing::warn!("{e}");
                            break;
                        }
                    }
                    tokio::select! {
                        _ = &mut shutdown => {
                            conn.close(0u32.into(), b"agent stopping");
                            endpoint.wait_idle().await;
                            return;
                        }
                        _ = tokio::time::sleep(interval) => {}
                    }
                }
                conn.close(0u32.into(), b"reconnecting");
            }
            Err(e) => {
                tokio::task::block_in_place(|| note_down(store, clock, &e));
                tracing::warn!("{e}");
            }
        }
        // Jitter spreads the reconnections of many sites after head office returns.
        // A refusal waits longer, and longer each time: retrying changes nothing
        // until someone acts (a new code, `server set`), and each try costs both sides a handshake.
        let wait_ms = if refused {
            let wait = rng.gen_range(refused_ms / 2..=refused_ms);
            refused_ms = (refused_ms * 2).min(REFUSED_BACKOFF_MAX_MS);
            wait
        } else {
            let wait = rng.gen_range(backoff_ms / 2..=backoff_ms);
            backoff_ms = (backoff_ms * 2).min(BACKOFF_MAX_MS);
            wait
        };
        tracing::info!(retry_in_ms = wait_ms, "will retry");
        tokio::select! {
            _ = &mut shutdown => return,
            _ = tokio::time::sleep(Duration::from_millis(wait_ms)) => {}
        }
    }
}

/// Whether head office answers a connection now: `Ok(())` or the reason it does not.
pub async fn probe(config: &AgentConfig) -> Result<(), LinkError> {
    let (endpoint, conn) = connect(config).await?;
    conn.close(0u32.into(), b"probe");
    let _ = timeout(Duration::from_millis(CLOSE_LINGER_MS), endpoint.wait_idle()).await;
    Ok(())
}
