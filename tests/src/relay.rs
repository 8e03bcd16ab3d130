//! A UDP relay between agents and the server: it counts the bytes on the
//! wire and can misbehave like a site office's failing line (loss,
//! duplication, reordering, jitter, and partitions that come and go).
//! QUIC sees only what a real network would do to its packets.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::net::UdpSocket;

/// Largest UDP datagram relayed.
const MAX_DATAGRAM_BYTES: usize = 65_535;

/// What the line does to each packet; all probabilities are 0.0 to 1.0.
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    /// Chance a packet is dropped.
    pub loss: f64,
    /// Chance a packet is sent twice.
    pub duplicate: f64,
    /// Chance a packet is held back behind later ones.
    pub reorder: f64,
    /// Extra delay drawn from 0 to this many milliseconds for every packet.
    pub jitter_ms: u64,
}

struct Shared {
    up: AtomicBool,
    down: AtomicBool,
    faults: Mutex<Faults>,
    rng: Mutex<StdRng>,
    bytes_up: AtomicU64,
    bytes_down: AtomicU64,
}

impl Shared {
    /// Decides a packet's fate: how many copies, each after which delay.
    fn fate(&self) -> Vec<Duration> {
        if !self.up.load(Ordering::SeqCst) {
            return Vec::new();
        }
        let faults = *self.faults.lock().expect("faults lock");
        let mut rng = self.rng.lock().expect("rng lock");
        if rng.gen_bool(faults.loss.clamp(0.0, 1.0)) {
            return Vec::new();
        }
        let copies = if rng.gen_bool(faults.duplicate.clamp(0.0, 1.0)) { 2 } else { 1 };
        (0..copies)
            .map(|_| {
                let mut ms = if faults.jitter_ms > 0 { rng.gen_range(0..=faults.jitter_ms) } else { 0 };
                if rng.gen_bool(faults.reorder.clamp(0.0, 1.0)) {
                    ms += rng.gen_range(5..=30);
                }
                Duration::from_millis(ms)
            })
            .collect()
    }
}

/// A running relay.
pub struct Relay {
    /// Where agents should send (the relay's own address).
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    /// Starts relaying from a fresh loopback port to `upstream`, faultless.
    pub async fn start(upstream: SocketAddr) -> std::io::Result<Relay> {
        Self::with_faults(upstream, Faults::default(), 0).await
    }

    /// Starts relaying with `faults`, their randomness drawn from `seed`.
    pub async fn with_faults(upstream: SocketAddr, faults: Faults, seed: u64) -> std::io::Result<Relay> {
        let listen = Arc::new(UdpSocket::bind("127.0.0.1:0").await?);
        let addr = listen.local_addr()?;
        let shared = Arc::new(Shared {
            up: AtomicBool::new(true),
            down: AtomicBool::new(true),
            faults: Mutex::new(faults),
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            bytes_up: AtomicU64::new(0),
            bytes_down: AtomicU64::new(0),
        });
        let task = tokio::spawn(forward(listen, upstream, shared.clone()));
        Ok(Relay { addr, shared, task })
    }

    /// Drops every packet from now on, both ways (a partition).
    pub fn cut(&self) {
        self.shared.up.store(false, Ordering::SeqCst);
    }

    /// Drops every packet from head office to the agents from now on, and
    /// passes the other way: a handshake then never completes.
    pub fn cut_down(&self) {
        self.shared.down.store(false, Ordering::SeqCst);
    }

    /// Passes packets again.
    pub fn heal(&self) {
        self.shared.up.store(true, Ordering::SeqCst);
        self.shared.down.store(true, Ordering::SeqCst);
    }

    /// Changes what the line does to packets.
    pub fn set_faults(&self, faults: Faults) {
        *self.shared.faults.lock().expect("faults lock") = faults;
    }

    /// UDP payload bytes delivered so far: (agent to server, server to agent).
    pub fn bytes(&self) -> (u64, u64) {
        (self.shared.bytes_up.load(Ordering::SeqCst), self.shared.bytes_down.load(Ordering::SeqCst))
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Sends one packet's copies, each after its delay; counts what was sent.
async fn deliver(
    socket: Arc<UdpSocket>,
    packet: Vec<u8>,
    to: Option<SocketAddr>,
    delays: Vec<Duration>,
    counter: Arc<Shared>,
    up: bool,
) {
    async fn send(socket: &UdpSocket, packet: &[u8], to: Option<SocketAddr>, counter: &Shared, up: bool) {
        let sent = match to {
            Some(to) => socket.send_to(packet, to).await,
            None => socket.send(packet).await,
        };
        if let Ok(n) = sent {
            let c = if up { &counter.bytes_up } else { &counter.bytes_down };
            c.fetch_add(n as u64, Ordering::SeqCst);
        }
    }
    // The common case, one copy and no delay, is sent in line: no task per packet.
    if let [delay] = delays.as_slice() {
        if delay.is_zero() {
            send(&socket, &packet, to, &counter, up).await;
            return;
        }
    }
    for delay in delays {
        let (socket, packet, counter) = (socket.clone(), packet.clone(), counter.clone());
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            send(&socket, &packet, to, &counter, up).await;
        });
    }
}

async fn forward(listen: Arc<UdpSocket>, upstream: SocketAddr, shared: Arc<Shared>) {
    let mut peers: HashMap<SocketAddr, Arc<UdpSocket>> = HashMap::new();
    let mut buf = vec![0u8; MAX_DATAGRAM_BYTES];
    let mut tasks = AbortOnDrop(Vec::new());
    loop {
        let Ok((n, from)) = listen.recv_from(&mut buf).await else {
            break;
        };
        let socket = match peers.get(&from) {
            Some(s) => s.clone(),
            None => {
                let Ok(s) = UdpSocket::bind("127.0.0.1:0").await else {
                    continue;
                };
                if s.connect(upstream).await.is_err() {
                    continue;
                }
                let s = Arc::new(s);
                peers.insert(from, s.clone());
                tasks.0.push(tokio::spawn(backward(s.clone(), listen.clone(), from, shared.clone())));
                s
            }
        };
        deliver(socket, buf[..n].to_vec(), None, shared.fate(), shared.clone(), true).await;
    }
}

/// Ends the per-peer tasks when the relay's main task ends or is aborted.
struct AbortOnDrop(Vec<tokio::task::JoinHandle<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        for t in &self.0 {
            t.abort();
        }
    }
}

async fn backward(upstream: Arc<UdpSocket>, listen: Arc<UdpSocket>, client: SocketAddr, shared: Arc<Shared>) {
    let mut buf = vec![0u8; MAX_DATAGRAM_BYTES];
    loop {
        let Ok(n) = upstream.recv(&mut buf).await else {
            return;
        };
        let fate = if shared.down.load(Ordering::SeqCst) { shared.fate() } else { Vec::new() };
        deliver(listen.clone(), buf[..n].to_vec(), Some(client), fate, shared.clone(), false).await;
    }
}
