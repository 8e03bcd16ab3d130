//! A hand-driven QUIC client for tests that misbehave on purpose: it speaks
//! the wire protocol message by message, with whatever credential or bytes
//! the test chooses, against a real `wuye-server`.

use std::net::SocketAddr;
use std::time::Duration;

use wuye_node::frames::{read_message, write_message};
use wuye_protocol::wire::Message;

/// One connection to head office.
pub struct RawClient {
    /// Kept so the endpoint outlives the connection.
    pub endpoint: quinn::Endpoint,
    /// The connection.
    pub conn: quinn::Connection,
}

impl RawClient {
    /// Connects to `addr`, pinning `fingerprint`.
    pub async fn connect(addr: &str, fingerprint: &str) -> anyhow::Result<RawClient> {
        Self::connect_with(addr, fingerprint, true).await
    }

    /// Connects with or without the agent's keep-alive pings (without, an idle
    /// connection is left to head office's idle time-out).
    pub async fn connect_with(addr: &str, fingerprint: &str, keep_alive: bool) -> anyhow::Result<RawClient> {
        let addr: SocketAddr = addr.parse()?;
        let mut endpoint = quinn::Endpoint::client("127.0.0.1:0".parse()?)?;
        let mut config = wuye_node::tls::client_config(fingerprint)?;
        if !keep_alive {
            config.transport_config(std::sync::Arc::new(quinn::TransportConfig::default()));
        }
        endpoint.set_default_client_config(config);
        let conn = endpoint.connect(addr, wuye_node::tls::SERVER_NAME)?.await?;
        Ok(RawClient { endpoint, conn })
    }

    /// Opens a stream, sends `messages` in order, and reads replies until the
    /// server ends the stream, closes the connection, or `wait` passes.
    pub async fn exchange(&self, messages: &[Message], wait: Duration) -> anyhow::Result<Vec<Message>> {
        let (mut send, mut recv) = self.conn.open_bi().await?;
        for m in messages {
            write_message(&mut send, m).await?;
        }
        self.collect(&mut recv, wait).await
    }

    /// Opens a stream and writes raw bytes, then reads replies as [`Self::exchange`] does.
    pub async fn send_bytes(&self, bytes: &[u8], wait: Duration) -> anyhow::Result<Vec<Message>> {
        let (mut send, mut recv) = self.conn.open_bi().await?;
        send.write_all(bytes).await?;
        self.collect(&mut recv, wait).await
    }

    async fn collect(&self, recv: &mut quinn::RecvStream, wait: Duration) -> anyhow::Result<Vec<Message>> {
        let mut replies = Vec::new();
        let deadline = tokio::time::Instant::now() + wait;
        while let Ok(Ok(Some((m, _)))) = tokio::time::timeout_at(deadline, read_message(recv)).await {
            replies.push(m);
        }
        Ok(replies)
    }

    /// Waits up to `wait` for the server to close the connection; its reason if it did.
    pub async fn closed_within(&self, wait: Duration) -> Option<String> {
        tokio::time::timeout(wait, self.conn.closed()).await.ok().map(|e| e.to_string())
    }
}
