//! The QUIC endpoint: accepts sites and runs one sync session per stream.
//!
//! One thread owns head office's store; connections send it their sessions'
//! work and await the answer. SQLite has one writer at a time anyway; one
//! owner avoids the sleeping busy-waits that competing connections would
//! suffer, and keeps the async workers free for QUIC (blocking them would
//! make tokio start a thread, and an allocator heap, per blocked worker).
//! The CPU-heavy part of a batch (loading and checking Automerge documents)
//! runs on several threads inside the store. SQLite's WAL lets the CLI read and write while `run`
//! serves. Connections are bounded by [`MAX_CONNECTIONS`]; a connection runs
//! one round at a time, and every reply waits at most [`STEP_TIMEOUT_MS`].

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{mpsc, Arc};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::timeout;
use wuye_node::frames::{read_message, write_message};
use wuye_protocol::sync::ServerSession;
use wuye_protocol::time::Clock;
use wuye_protocol::wire::{ErrorCode, Message};

use crate::office::{self, HeadOffice, OfficeError};

/// Most site connections served at once; more are refused until one closes.
pub const MAX_CONNECTIONS: usize = 1_024;
/// How long the server waits for the agent's next message within a round.
pub const STEP_TIMEOUT_MS: u64 = 30_000;
/// How long shutdown waits for open connections to close.
pub const SHUTDOWN_GRACE_MS: u64 = 3_000;

/// Binds the QUIC endpoint with the folder's TLS identity.
pub fn bind(dir: &Path, listen: SocketAddr) -> Result<quinn::Endpoint, OfficeError> {
    let identity = office::identity(dir)?;
    let config = wuye_node::tls::server_config(&identity)?;
    quinn::Endpoint::server(config, listen)
        .map_err(|e| OfficeError::Invalid(format!("cannot listen on {listen}: {e}; is another server using the port?")))
}

/// Serves sync on `endpoint` until `shutdown` resolves, then closes cleanly.
pub async fn run(
    endpoint: quinn::Endpoint,
    office: HeadOffice,
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
                tokio::spawn(async move {
                    handle_connection(incoming, office, clock).await;
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
    tracing::info!("shutting down");
    endpoint.close(0u32.into(), b"head office shutting down");
    let _ = timeout(Duration::from_millis(SHUTDOWN_GRACE_MS), endpoint.wait_idle()).await;
}

/// How often the write-ahead log is copied into the database.
pub const CHECKPOINT_INTERVAL_MS: u64 = 5_000;

async fn checkpoint_regularly(office: StoreThread) {
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

type Job = Box<dyn FnOnce(&mut HeadOffice) + Send>;

/// The thread that owns head office's store, and the way to hand it work.
#[derive(Clone)]
struct StoreThread {
    jobs: mpsc::Sender<Job>,
}

impl StoreThread {
    fn start(mut office: HeadOffice) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
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
    async fn call<R: Send + 'static>(&self, f: impl FnOnce(&mut HeadOffice) -> R + Send + 'static) -> Option<R> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move |office| {
                let _ = tx.send(f(office));
            }))
            .ok()?;
        rx.await.ok()
    }
}

async fn handle_connection(incoming: quinn::Incoming, office: StoreThread, clock: Arc<dyn Clock>) {
    let remote = incoming.remote_address();
    let conn = match incoming.await {
        Ok(conn) => conn,
        Err(e) => {
            tracing::warn!(%remote, "connection failed during the handshake: {e}");
            return;
        }
    };
    loop {
        let (send, recv) = match conn.accept_bi().await {
            Ok(streams) => streams,
            Err(e) => {
                tracing::debug!(%remote, "connection closed: {e}");
                return;
            }
        };
        handle_stream(&office, &conn, send, recv, clock.as_ref(), remote).await;
    }
}

async fn handle_stream(
    office: &StoreThread,
    conn: &quinn::Connection,
    mut send: quinn::SendStream,
    mut recv: quinn::RecvStream,
    clock: &dyn Clock,
    remote: SocketAddr,
) {
    let mut session = Some(ServerSession::new());
    let site = |s: &Option<ServerSession>| s.as_ref().and_then(ServerSession::site);
    loop {
        let message = match timeout(Duration::from_millis(STEP_TIMEOUT_MS), read_message(&mut recv)).await {
            Err(_) => {
                tracing::warn!(%remote, site = ?site(&session), "no message within {STEP_TIMEOUT_MS} ms; round abandoned");
                return;
            }
            Ok(Ok(Some((message, _)))) => message,
            Ok(Ok(None)) => return,
            Ok(Err(e)) => {
                tracing::warn!(%remote, site = ?site(&session), "bad frame: {e}");
                let _ = write_message(&mut send, &Message::Error { code: ErrorCode::Protocol, message: e.to_string() })
                    .await;
                let _ = send.finish();
                return;
            }
        };
        let name = wuye_protocol::sync::message_name(&message);
        let started = std::time::Instant::now();
        let now = clock.now();
        let mut taken = session.take().expect("the session is back after every call");
        let Some((back, result)) = office
            .call(move |o| {
                let result = taken.handle(o, message, now);
                (taken, result)
            })
            .await
        else {
            tracing::error!(%remote, "the store thread is gone; round abandoned");
            return;
        };
        session = Some(back);
        tracing::debug!(%remote, message = name, busy_us = started.elapsed().as_micros() as u64, "handled");
        match result {
            Ok(reply) => {
                let done = matches!(reply, Message::Bye);
                if let Err(e) = write_message(&mut send, &reply).await {
                    tracing::warn!(%remote, site = ?site(&session), "reply failed: {e}");
                    return;
                }
                if done {
                    tracing::debug!(%remote, site = ?site(&session), "round complete");
                    let _ = send.finish();
                    return;
                }
            }
            Err(e) => {
                tracing::warn!(%remote, site = ?site(&session), "round refused: {e}");
                if let Some(wire) = e.to_wire() {
                    let _ = write_message(&mut send, &wire).await;
                }
                let _ = send.finish();
                if matches!(e, wuye_protocol::sync::SessionError::Unauthorized(_)) {
                    // A refused credential ends the connection, not only the round;
                    // give the error a moment to reach the agent first.
                    let _ = timeout(Duration::from_millis(200), send.stopped()).await;
                    conn.close(2u32.into(), b"credential refused");
                }
                return;
            }
        }
    }
}
