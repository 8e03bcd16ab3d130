//! HTTPS for browsers on an office's LAN. Browsers cannot pin a fingerprint,
//! so each front end makes a small certificate authority of its own
//! (`web-ca.pem`, valid ten years, allowed to sign server certificates only)
//! and from it, at every start, a server certificate for its names and
//! addresses. Installing `web-ca.pem` once on a desk PC (on Windows, one
//! import into "Trusted Root Certification Authorities") makes browsers trust
//! the desk without warnings. The authority's key stays in the data folder,
//! readable only by the agent's user.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
    SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use std::net::SocketAddr;

/// The authority's certificate, to install on desk PCs.
pub const CA_CERT: &str = "web-ca.pem";
const CA_KEY: &str = "web-ca.key";

/// Where the authority's certificate is.
pub fn ca_path(data: &Path) -> PathBuf {
    data.join(CA_CERT)
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    Ok(())
}

fn days(n: i64) -> time::Duration {
    time::Duration::days(n)
}

/// The authority's fields: the same every time, so that the certificate made
/// from the stored key names the issuer the desk PCs trust.
fn authority_params(name: &str, not_before: time::OffsetDateTime) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, name);
    params.distinguished_name.push(DnType::OrganizationName, "Wuye site office");
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = not_before;
    params.not_after = not_before + days(3650);
    params
}

/// The authority: its key read from the folder, or the authority made once.
fn authority(data: &Path, name: &str) -> anyhow::Result<(Certificate, KeyPair)> {
    let (cert_path, key_path) = (data.join(CA_CERT), data.join(CA_KEY));
    let now = time::OffsetDateTime::now_utc();
    if key_path.exists() {
        let key = KeyPair::from_pem(&std::fs::read_to_string(&key_path)?).with_context(|| {
            format!(
                "{} is damaged: remove {CA_KEY} and {CA_CERT} to make a new authority, then install it on the desk PCs again",
                key_path.display()
            )
        })?;
        let cert = authority_params(name, now - days(1)).self_signed(&key)?;
        if !cert_path.exists() {
            std::fs::write(&cert_path, cert.pem())?;
        }
        return Ok((cert, key));
    }
    let key = KeyPair::generate()?;
    let cert = authority_params(name, now - days(1)).self_signed(&key)?;
    write_private(&key_path, &key.serialize_pem())?;
    std::fs::write(&cert_path, cert.pem())?;
    tracing::info!(ca = %cert_path.display(), "made the web desk's certificate authority: install it on the desk PCs");
    Ok((cert, key))
}

/// The names the server certificate holds: localhost, loopback, the listening
/// address when it is a specific one, the machine's host name, and the names given.
fn names(listen: SocketAddr, given: &[String]) -> Vec<SanType> {
    let mut names: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
    if !listen.ip().is_unspecified() {
        names.push(listen.ip().to_string());
    }
    if let Ok(host) = std::fs::read_to_string("/etc/hostname") {
        names.push(host.trim().to_string());
    }
    if let Ok(host) = std::env::var("COMPUTERNAME") {
        names.push(host);
    }
    names.extend(given.iter().cloned());
    names.retain(|n| !n.is_empty());
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter_map(|n| match n.parse::<IpAddr>() {
            Ok(ip) => Some(SanType::IpAddress(ip)),
            Err(_) => n.clone().try_into().ok().map(SanType::DnsName),
        })
        .collect()
}

/// Who the certificates are for: the authority's name (as a desk PC's
/// certificate store lists it) and the server certificate's.
#[derive(Debug, Clone, Copy)]
pub struct Names {
    /// The authority, e.g. `Wuye 物业 web desk CA`; the same for the life of its key.
    pub authority: &'static str,
    /// The server certificate's common name.
    pub server: &'static str,
}

/// The TLS configuration of a front end listening on `listen`: a server
/// certificate made now for its names (and the `names` given), signed by the
/// authority kept in `data`, with the authority's certificate sent along.
pub fn server_config(
    data: &Path,
    who: Names,
    listen: SocketAddr,
    names_given: &[String],
) -> anyhow::Result<rustls::ServerConfig> {
    let (ca, ca_key) = authority(data, who.authority)?;
    let now = time::OffsetDateTime::now_utc();
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, who.server);
    params.subject_alt_names = names(listen, names_given);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = now - days(1);
    // Browsers refuse server certificates longer than 398 days; a new one is made at every start.
    params.not_after = now + days(397);
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, &ca, &ca_key)?;
    let chain = vec![CertificateDer::from(cert.der().to_vec()), CertificateDer::from(ca.der().to_vec())];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The TLS configuration from a certificate chain and its private key in PEM
/// files the operator gives (a certificate from the company's own authority, say).
pub fn from_pem_files(cert: &Path, key: &Path) -> anyhow::Result<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("cannot read the certificate {}", cert.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("{} is not a PEM certificate chain", cert.display()))?;
    if chain.is_empty() {
        anyhow::bail!("{} holds no certificate: give the PEM file of the server's certificate", cert.display());
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("{} is not a PEM private key (PKCS#8, PKCS#1 or SEC1)", key.display()))?;
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .context("the certificate and the key do not go together")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}
