//! TLS for the QUIC link: the server's self-signed identity, the agent's
//! pinning of its SHA-256 fingerprint, and the endpoint configurations.

use std::sync::Arc;
use std::time::Duration;

use quinn::crypto::rustls::{QuicClientConfig, QuicServerConfig};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use wuye_protocol::wire::ALPN;

/// The name the server's certificate carries and agents ask for.
pub const SERVER_NAME: &str = "wuye-server";
/// Most concurrent streams one connection may open.
pub const MAX_STREAMS_PER_CONNECTION: u32 = 4;
/// A connection with no traffic for this long is closed.
pub const IDLE_TIMEOUT_MS: u64 = 30_000;
/// How often an idle agent pings to keep its connection open.
pub const KEEP_ALIVE_MS: u64 = 5_000;

/// Why a TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// Certificate generation failed.
    #[error("could not create the server certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// rustls refused the configuration (a damaged key file, say).
    #[error("TLS configuration refused: {0}; if the key files were edited, restore them")]
    Rustls(#[from] rustls::Error),
    /// The fingerprint is not 64 hex digits.
    #[error("'{}' is not a certificate fingerprint: expected 64 hex digits as printed by `wuye-server fingerprint`", wuye_protocol::text::echo(.0))]
    BadFingerprint(String),
    /// QUIC refused the TLS configuration.
    #[error("QUIC refused the TLS configuration: {0}")]
    Quic(String),
}

/// The server's certificate and private key, DER-encoded.
#[derive(Clone)]
pub struct Identity {
    /// The certificate.
    pub cert_der: Vec<u8>,
    /// The PKCS#8 private key.
    pub key_der: Vec<u8>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity").field("fingerprint", &fingerprint(&self.cert_der)).finish_non_exhaustive()
    }
}

impl Identity {
    /// A new self-signed identity for [`SERVER_NAME`].
    pub fn generate() -> Result<Self, TlsError> {
        let certified = rcgen::generate_simple_self_signed(vec![SERVER_NAME.to_string()])?;
        Ok(Self { cert_der: certified.cert.der().to_vec(), key_der: certified.key_pair.serialize_der() })
    }
}

/// The fingerprint of the certificate a QUIC connection's peer presented.
pub fn peer_fingerprint(conn: &quinn::Connection) -> Option<String> {
    let certs = conn.peer_identity()?.downcast::<Vec<CertificateDer<'static>>>().ok()?;
    certs.first().map(|c| fingerprint(c.as_ref()))
}

/// The SHA-256 fingerprint of a DER certificate, as lowercase hex.
pub fn fingerprint(cert_der: &[u8]) -> String {
    crate::secret::sha256_hex(cert_der)
}

/// Normalises a fingerprint typed by a person (case, colons, spaces).
pub fn parse_fingerprint(text: &str) -> Result<String, TlsError> {
    let clean: String = text.chars().filter(|c| !matches!(c, ':' | ' ' | '-')).collect::<String>().to_ascii_lowercase();
    if clean.len() == 64 && clean.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(clean)
    } else {
        Err(TlsError::BadFingerprint(text.chars().take(100).collect()))
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn transport(keep_alive: bool) -> Arc<quinn::TransportConfig> {
    let mut t = quinn::TransportConfig::default();
    t.max_concurrent_bidi_streams(MAX_STREAMS_PER_CONNECTION.into());
    t.max_concurrent_uni_streams(0u32.into());
    t.max_idle_timeout(Some(
        quinn::IdleTimeout::try_from(Duration::from_millis(IDLE_TIMEOUT_MS)).expect("idle timeout fits"),
    ));
    // Path MTU probes cost kilobytes per connection and gain nothing for
    // batches this size; the default 1200-byte datagrams fit every path.
    t.mtu_discovery_config(None);
    if keep_alive {
        t.keep_alive_interval(Some(Duration::from_millis(KEEP_ALIVE_MS)));
    }
    Arc::new(t)
}

/// The server's QUIC configuration.
pub fn server_config(identity: &Identity) -> Result<quinn::ServerConfig, TlsError> {
    let mut tls = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(identity.cert_der.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(identity.key_der.clone())),
        )?;
    tls.alpn_protocols = vec![ALPN.to_vec()];
    let quic = QuicServerConfig::try_from(tls).map_err(|e| TlsError::Quic(e.to_string()))?;
    let mut config = quinn::ServerConfig::with_crypto(Arc::new(quic));
    config.transport_config(transport(false));
    Ok(config)
}

/// The agent's QUIC configuration, trusting only the pinned certificate.
pub fn client_config(pinned_fingerprint: &str) -> Result<quinn::ClientConfig, TlsError> {
    client_config_any(&[pinned_fingerprint])
}

/// The agent's QUIC configuration, trusting any of the pinned certificates:
/// the current one and, during a rotation, the one head office announced.
pub fn client_config_any(pinned_fingerprints: &[&str]) -> Result<quinn::ClientConfig, TlsError> {
    let pinned = pinned_fingerprints.iter().map(|f| parse_fingerprint(f)).collect::<Result<Vec<_>, _>>()?;
    let provider = provider();
    let mut tls = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedVerifier { pinned, provider }))
        .with_no_client_auth();
    tls.alpn_protocols = vec![ALPN.to_vec()];
    let quic = QuicClientConfig::try_from(tls).map_err(|e| TlsError::Quic(e.to_string()))?;
    let mut config = quinn::ClientConfig::new(Arc::new(quic));
    config.transport_config(transport(true));
    Ok(config)
}

/// Accepts exactly the certificates whose fingerprints are pinned.
#[derive(Debug)]
struct PinnedVerifier {
    pinned: Vec<String>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let seen = fingerprint(end_entity.as_ref());
        if self.pinned.contains(&seen) {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "server certificate fingerprint {seen} does not match the pinned {}; check the address, or give \
                 the fingerprint `wuye-server fingerprint` prints with `wuye-agent server set`",
                self.pinned.join(" or ")
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_normalised_and_checked() {
        let fp = "AB:".repeat(31) + "AB";
        assert_eq!(parse_fingerprint(&fp).unwrap(), "ab".repeat(32));
        assert!(parse_fingerprint("abc").is_err());
    }

    #[test]
    fn a_generated_identity_builds_both_configs() {
        let id = Identity::generate().unwrap();
        server_config(&id).unwrap();
        client_config(&fingerprint(&id.cert_der)).unwrap();
    }
}
