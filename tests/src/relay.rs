//! A UDP relay between agents and the server that can cut the link, as a
//! site office's failing line would. QUIC sees only lost packets.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::net::UdpSocket;
use tokio::sync::Mutex;

/// Largest UDP datagram relayed.
const MAX_DATAGRAM_BYTES: usize = 65_535;

/// A running relay.
pub struct Relay {
    /// Where agents should send (the relay's own address).
    pub addr: SocketAddr,
    up: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    /// Starts relaying from a fresh loopback port to `upstream`.
    pub async fn start(upstream: SocketAddr) -> std::io::Result<Relay> {
        let listen = Arc::new(UdpSocket::bind("127.0.0.1:0").await?);
        let addr = listen.local_addr()?;
        let up = Arc::new(AtomicBool::new(true));
        let task = tokio::spawn(forward(listen, upstream, up.clone()));
        Ok(Relay { addr, up, task })
    }

    /// Drops every packet from now on, both ways.
    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
    }

    /// Passes packets again.
    pub fn heal(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn forward(listen: Arc<UdpSocket>, upstream: SocketAddr, up: Arc<AtomicBool>) {
    let peers: Arc<Mutex<HashMap<SocketAddr, Arc<UdpSocket>>>> = Arc::default();
    let mut buf = vec![0u8; MAX_DATAGRAM_BYTES];
    loop {
        let Ok((n, from)) = listen.recv_from(&mut buf).await else {
            return;
        };
        if !up.load(Ordering::SeqCst) {
            continue;
        }
        let socket = {
            let mut peers = peers.lock().await;
            match peers.get(&from) {
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
                    tokio::spawn(backward(s.clone(), listen.clone(), from, up.clone()));
                    s
                }
            }
        };
        let _ = socket.send(&buf[..n]).await;
    }
}

async fn backward(upstream: Arc<UdpSocket>, listen: Arc<UdpSocket>, client: SocketAddr, up: Arc<AtomicBool>) {
    let mut buf = vec![0u8; MAX_DATAGRAM_BYTES];
    loop {
        let Ok(n) = upstream.recv(&mut buf).await else {
            return;
        };
        if up.load(Ordering::SeqCst) {
            let _ = listen.send_to(&buf[..n], client).await;
        }
    }
}
