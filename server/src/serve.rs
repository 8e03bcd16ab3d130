//! The QUIC endpoint: accepts sites and runs one sync session per stream.
//!
//! One thread owns head office's store; connections send it their sessions'
//! work and await the answer. SQLite has one writer at a time anyway; one
//! owner avoids the sleeping busy-waits that competing connections would
//! suffer, and keeps the async workers free for QUIC (blocking them would
//! make tokio start a thread, and an allocator heap, per blocked worker).
//! The CPU-heavy part of a batch (loading and checking Automerge documents)
//! runs on several threads inside the store. SQLite's WAL lets the CLI read and write while `run`
//! serves. Connections are bounded by [`MAX_CONNECTIONS`] in all and by
//! [`MAX_CONNECTIONS_PER_SITE`] for one site (the oldest gives way); a connection must authenticate
//! within [`AUTH_TIMEOUT_MS`], runs one round at a time, and every reply waits
//! at most [`STEP_TIMEOUT_MS`]. Every [`CREDENTIAL_CHECK_MS`] the server
//! re-reads the sites' credentials and closes the connections of sites that
//! were revoked or rotated since they authenticated (`site revoke` and
//! `site rotate` run as separate commands on the same database).

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::timeout;
use wuye_node::frames::{read_message, write_message, FrameIoError};
use wuye_protocol::ids::SiteId;
use wuye_protocol::sync::{ServerSession, SessionError};
use wuye_protocol::time::Clock;
use wuye_protocol::wire::FrameError;
use wuye_protocol::wire::{ErrorCode, Message};

use crate::office::{self, HeadOffice, OfficeError, OfficeStore};

/// Most site connections served at once; more are refused until one closes.
pub const MAX_CONNECTIONS: usize = 1_024;
/// Most connections one site may hold open at once; opening one more closes
/// the site's oldest with [`TOO_MANY_CONNECTIONS`]. An agent needs one.
pub const MAX_CONNECTIONS_PER_SITE: usize = 4;
/// The reason a connection closed for [`MAX_CONNECTIONS_PER_SITE`] carries.
pub const TOO_MANY_CONNECTIONS: &str =
    "this site opened more connections than head office keeps for one site; the oldest was closed. \
     Is another agent running with this site's folder or credential?";
/// How long the QUIC and TLS handshake may take.
pub const HANDSHAKE_TIMEOUT_MS: u64 = 10_000;
/// How long a new connection may take to open its first stream and be
/// accepted (Hello or Enroll); until then it holds a place for nothing.
pub const AUTH_TIMEOUT_MS: u64 = 10_000;
/// How often a running server re-reads the sites' credentials, closing the
/// connections of sites revoked or rotated since they authenticated.
pub const CREDENTIAL_CHECK_MS: u64 = 1_000;
/// How long the server waits for the agent's next message within a round.
pub const STEP_TIMEOUT_MS: u64 = 30_000;
/// How long shutdown waits for open connections to close.
pub const SHUTDOWN_GRACE_MS: u64 = 3_000;

/// Binds the QUIC endpoint with the folder's TLS identity.
pub fn bind(dir: &Path, listen: SocketAddr) -> Result<quinn::Endpoint, OfficeError> {
    let identity = office::identity(dir)?;
    let config = wuye_node::tls::server_config(&identity)?;
    quinn::Endpoint::server(config, listen)
        .map_err(|e| wuye_app::AppError::CannotListen { addr: listen.to_string(), detail: e.to_string() }.into())
}

/// Serves sync on `endpoint` until `shutdown` resolves, then closes cleanly.
pub async fn run<S: OfficeStore>(
    endpoint: quinn::Endpoint,
    mut office: HeadOffice<S>,
    clock: Arc<dyn Clock>,
    shutdown: impl Future<Output = ()>,
) {
    // Checkpoints move off the sync path: a commit that also copied the log
    // into the database would stall every site waiting for the lock.
    if let Err(e) = office.store.defer_checkpoints() {
        tracing::warn!("checkpoints stay automatic: {e}");
    }
    let office = StoreThread::start(office);
    let checkpoints = tokio::spawn(checkpoint_regularly(office.clone()));
    let open = Registry::default();
    let watcher = tokio::spawn(close_revoked_regularly(office.clone(), open.clone()));
    tokio::pin!(shutdown);
    let limit = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let incoming = tokio::select! {
            _ = &mut shutdown => break,
            incoming = endpoint.accept() => match incoming {
                Some(incoming) => incoming,
                None => break,
            },
        };
        match limit.clone().try_acquire_owned() {
            Ok(permit) => {
                let office = office.clone();
                let clock = clock.clone();
                let open = open.clone();
                tokio::spawn(async move {
                    handle_connection(incoming, office, open, clock).await;
                    drop(permit);
                });
            }
            Err(_) => {
                tracing::warn!(remote = %incoming.remote_address(), "refused a connection: {MAX_CONNECTIONS} already open");
                incoming.refuse();
            }
        }
    }
    checkpoints.abort();
    watcher.abort();
    tracing::info!("shutting down");
    endpoint.close(0u32.into(), b"head office shutting down");
    let _ = timeout(Duration::from_millis(SHUTDOWN_GRACE_MS), endpoint.wait_idle()).await;
    // The last act: the log copied into the database and emptied, waited
    // for, so that a stop right after a sync leaves no log behind.
    match office.call(|o| o.store.checkpoint_fully()).await {
        Some(Ok(())) => tracing::info!("write-ahead log checkpointed"),
        Some(Err(e)) => {
            tracing::warn!("the closing checkpoint failed: {e}; the log is kept and read at the next start")
        }
        None => tracing::warn!("the store thread is gone; the log is kept and read at the next start"),
    }
}

/// How often the write-ahead log is copied into the database.
pub const CHECKPOINT_INTERVAL_MS: u64 = 5_000;

async fn checkpoint_regularly<S: OfficeStore>(office: StoreThread<S>) {
    let mut tick = tokio::time::interval(Duration::from_millis(CHECKPOINT_INTERVAL_MS));
    loop {
        tick.tick().await;
        match office.call(|o| o.store.checkpoint()).await {
            Some(Ok(())) => {}
            Some(Err(e)) => tracing::warn!("checkpoint failed: {e}"),
            None => return,
        }
    }
}

/// The authenticated connections, by site, with the credential each used.
#[derive(Clone, Default)]
struct Registry {
    sites: Arc<Mutex<HashMap<SiteId, Vec<OpenConnection>>>>,
}

struct OpenConnection {
    conn: quinn::Connection,
    credential: Option<String>,
}

impl Registry {
    /// Records that `conn` authenticated as `site`. A site over its limit
    /// loses its oldest connection, closed with the reason: an agent that was
    /// killed or lost power leaves connections that look open until their
    /// idle time-out, and must not be locked out by them when it restarts.
    fn admit(&self, site: SiteId, conn: &quinn::Connection, credential: Option<String>) {
        let mut sites = self.sites.lock().expect("registry lock");
        let list = sites.entry(site).or_default();
        list.retain(|c| c.conn.close_reason().is_none());
        if list.iter().any(|c| c.conn.stable_id() == conn.stable_id()) {
            return;
        }
        while list.len() >= MAX_CONNECTIONS_PER_SITE {
            let oldest = list.remove(0);
            tracing::warn!(%site, remote = %oldest.conn.remote_address(), "closing the site's oldest connection: it opened more than {MAX_CONNECTIONS_PER_SITE}");
            oldest.conn.close(5u32.into(), TOO_MANY_CONNECTIONS.as_bytes());
        }
        list.push(OpenConnection { conn: conn.clone(), credential });
    }

    fn forget(&self, conn: &quinn::Connection) {
        let mut sites = self.sites.lock().expect("registry lock");
        for list in sites.values_mut() {
            list.retain(|c| c.conn.stable_id() != conn.stable_id());
        }
        sites.retain(|_, list| !list.is_empty());
    }

    /// Closes the connections whose site's credential is no longer the one they used.
    fn close_stale(&self, current: &HashMap<SiteId, Option<String>>) {
        let mut sites = self.sites.lock().expect("registry lock");
        for (site, list) in sites.iter_mut() {
            let now = current.get(site).cloned().flatten();
            list.retain(|c| {
                if now.is_some() && c.credential == now {
                    return true;
                }
                tracing::warn!(%site, remote = %c.conn.remote_address(), "closing the connection: the site was revoked or its credential replaced");
                c.conn.close(3u32.into(), b"the site's credential was revoked or replaced by head office");
                false
            });
        }
        sites.retain(|_, list| !list.is_empty());
    }
}

async fn close_revoked_regularly<S: OfficeStore>(office: StoreThread<S>, open: Registry) {
    let mut tick = tokio::time::interval(Duration::from_millis(CREDENTIAL_CHECK_MS));
    loop {
        tick.tick().await;
        match office.call(|o| o.credentials()).await {
            Some(Ok(current)) => open.close_stale(&current),
            Some(Err(e)) => tracing::warn!("cannot re-read the sites' credentials: {e}"),
            None => return,
        }
    }
}

type Job<S> = Box<dyn FnOnce(&mut HeadOffice<S>) + Send>;

/// The thread that owns head office's store, and the way to hand it work.
struct StoreThread<S> {
    jobs: mpsc::Sender<Job<S>>,
}

impl<S> Clone for StoreThread<S> {
    fn clone(&self) -> Self {
        Self { jobs: self.jobs.clone() }
    }
}

impl<S: OfficeStore> StoreThread<S> {
    fn start(mut office: HeadOffice<S>) -> Self {
        let (jobs, queue) = mpsc::channel::<Job<S>>();
        std::thread::Builder::new()
            .name("wuye-store".into())
            .spawn(move || {
                for job in queue {
                    // A panic inside a job is a bug; the store's transaction rolls back,
                    // so the thread may go on serving the other sites.
                    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut office))).is_err() {
                        tracing::error!("a store job panicked; its round was abandoned");
                    }
                }
            })
            .expect("the store thread starts");
        Self { jobs }
    }

    /// Runs `f` on the store thread; `None` if the thread is gone.
    async fn call<R: Send + 'static>(&self, f: impl FnOnce(&mut HeadOffice<S>) -> R + Send + 'static) -> Option<R> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move |office| {
                let _ = tx.send(f(office));
            }))
            .ok()?;
        rx.await.ok()
    }
}

async fn handle_connection<S: OfficeStore>(
    incoming: quinn::Incoming,
    office: StoreThread<S>,
    open: Registry,
    clock: Arc<dyn Clock>,
) {
    let remote = incoming.remote_address();
    let conn = match timeout(Duration::from_millis(HANDSHAKE_TIMEOUT_MS), incoming).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => {
            tracing::warn!(%remote, "connection failed during the handshake: {e}");
            return;
        }
        Err(_) => {
            tracing::warn!(%remote, "handshake not finished within {HANDSHAKE_TIMEOUT_MS} ms; dropped");
            return;
        }
    };
    let mut authenticated = false;
    loop {
        let next = if authenticated {
            conn.accept_bi().await
        } else {
            match timeout(Duration::from_millis(AUTH_TIMEOUT_MS), conn.accept_bi()).await {
                Ok(next) => next,
                Err(_) => {
                    tracing::warn!(%remote, "no sync started within {AUTH_TIMEOUT_MS} ms of connecting; closed");
                    conn.close(4u32.into(), b"no sync started in time");
                    break;
                }
            }
        };
        let (send, recv) = match next {
            Ok(streams) => streams,
            Err(e) => {
                tracing::debug!(%remote, "connection closed: {e}");
                break;
            }
        };
        let stream = Stream { office: &office, open: &open, conn: &conn, clock: clock.as_ref(), remote };
        match stream.serve(send, recv).await {
            StreamEnd::Authenticated => authenticated = true,
            StreamEnd::Other => {}
            StreamEnd::CloseConnection => break,
        }
    }
    open.forget(&conn);
}

/// How a stream's round ended, for its connection.
enum StreamEnd {
    /// The site was admitted (the round may have failed later).
    Authenticated,
    /// The round ended before anyone was admitted.
    Other,
    /// The connection must close (a refused credential, or over the site's limit).
    CloseConnection,
}

/// One round on one stream.
struct Stream<'a, S> {
    office: &'a StoreThread<S>,
    open: &'a Registry,
    conn: &'a quinn::Connection,
    clock: &'a dyn Clock,
    remote: SocketAddr,
}

impl<S: OfficeStore> Stream<'_, S> {
    /// Finishes the stream, lets the last message reach the peer, then closes the connection.
    async fn close(&self, send: &mut quinn::SendStream, reason: &[u8]) {
        let _ = send.finish();
        let _ = timeout(Duration::from_millis(200), send.stopped()).await;
        self.conn.close(2u32.into(), reason);
    }

    async fn serve(&self, mut send: quinn::SendStream, mut recv: quinn::RecvStream) -> StreamEnd {
        let remote = self.remote;
        let mut session = Some(ServerSession::new());
        let site = |s: &Option<ServerSession>| s.as_ref().and_then(ServerSession::site);
        let mut end = StreamEnd::Other;
        let begun = std::time::Instant::now();
        let mut moved = crate::metrics::Round::default();
        // The site, once admitted (the session forgets it when the round closes).
        let mut who = None;
        loop {
            let message = match timeout(Duration::from_millis(STEP_TIMEOUT_MS), read_message(&mut recv)).await {
                Err(_) => {
                    tracing::warn!(%remote, site = ?site(&session), "no message within {STEP_TIMEOUT_MS} ms; round abandoned");
                    crate::metrics::round_failed("timeout");
                    return end;
                }
                Ok(Ok(Some((message, size)))) => {
                    moved.bytes_in += size as u64;
                    if let Message::Push { docs, .. } = &message {
                        moved.records_in += docs.len() as u64;
                    }
                    message
                }
                Ok(Ok(None)) => return end,
                Ok(Err(e)) => {
                    // A frame that breaks the codec's limits or does not decode: the
                    // peer is not speaking this protocol, so the connection ends.
                    tracing::warn!(%remote, site = ?site(&session), "bad frame: {e}");
                    crate::metrics::round_failed("bad_frame");
                    let (code, words) = match e {
                        // An agent of another version: say which side to upgrade.
                        FrameIoError::Frame(FrameError::Version(v)) => (
                            ErrorCode::VersionMismatch,
                            wuye_protocol::sync::check_version::<std::io::Error>(v)
                                .err()
                                .map_or_else(|| e.to_string(), |refusal| refusal.to_string()),
                        ),
                        _ => (ErrorCode::Protocol, e.to_string()),
                    };
                    let _ = write_message(&mut send, &Message::Error { code, message: words }).await;
                    self.close(&mut send, b"bad frame").await;
                    return StreamEnd::CloseConnection;
                }
            };
            let name = wuye_protocol::sync::message_name(&message);
            let started = std::time::Instant::now();
            let now = self.clock.now();
            let mut taken = session.take().expect("the session is back after every call");
            let Some((back, result, credential)) = self
                .office
                .call(move |o| {
                    let result = taken.handle(o, message, now);
                    // On admission, note which credential the site used, so that a
                    // later revoke or rotate closes this connection.
                    let credential = match (&result, taken.site()) {
                        (Ok(Message::Welcome { .. }), Some(site)) => o.credential_hash(site).ok().flatten(),
                        _ => None,
                    };
                    (taken, result, credential)
                })
                .await
            else {
                tracing::error!(%remote, "the store thread is gone; round abandoned");
                return end;
            };
            session = Some(back);
            who = site(&session).or(who);
            tracing::debug!(%remote, message = name, busy_us = started.elapsed().as_micros() as u64, "handled");
            if let (Ok(Message::Welcome { .. }), Some(site)) = (&result, site(&session)) {
                self.open.admit(site, self.conn, credential);
                end = StreamEnd::Authenticated;
            }
            match result {
                Ok(reply) => {
                    let done = matches!(reply, Message::Bye { .. });
                    if let Message::PullBatch { docs, .. } = &reply {
                        moved.records_out += docs.len() as u64;
                    }
                    match write_message(&mut send, &reply).await {
                        Ok(size) => moved.bytes_out += size as u64,
                        Err(e) => {
                            tracing::warn!(%remote, site = ?site(&session), "reply failed: {e}");
                            crate::metrics::round_failed("reply_failed");
                            return end;
                        }
                    }
                    if done {
                        let seconds = begun.elapsed().as_secs_f64();
                        let id = who.map(|s| s.to_string()).unwrap_or_default();
                        crate::metrics::round_done(&id, moved, seconds);
                        tracing::info!(
                            %remote,
                            site = %id,
                            ms = (seconds * 1000.0).round() as u64,
                            records_in = moved.records_in,
                            records_out = moved.records_out,
                            bytes_in = moved.bytes_in,
                            bytes_out = moved.bytes_out,
                            "round complete"
                        );
                        let _ = send.finish();
                        return end;
                    }
                }
                Err(e) => {
                    tracing::warn!(%remote, site = ?site(&session), "round refused: {e}");
                    crate::metrics::round_failed(if matches!(e, SessionError::Store(_)) { "store" } else { "refused" });
                    if let Some(wire) = e.to_wire() {
                        let _ = write_message(&mut send, &wire).await;
                    }
                    let _ = send.finish();
                    if !matches!(e, SessionError::Store(_)) {
                        // A refused credential, a broken limit or a message out of turn
                        // ends the connection, not only the round (head office's own
                        // storage failing is no fault of the site's); give the error a
                        // moment to reach the agent.
                        self.close(&mut send, b"refused").await;
                        return StreamEnd::CloseConnection;
                    }
                    return end;
                }
            }
        }
    }
}
