//! Security headers, compression and the body limit every page gets, and
//! serving a router over HTTP or HTTPS until shut down.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::Router;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// No inline script or style, nothing from elsewhere, never in a frame.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// `router` with the body limit, gzip, and the security headers on every answer.
pub fn layers<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    let set = |name, value| SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value));
    router
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(CompressionLayer::new())
        .layer(set(header::CONTENT_SECURITY_POLICY, CSP))
        .layer(set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(set(header::X_FRAME_OPTIONS, "DENY"))
        .layer(set(header::REFERRER_POLICY, "same-origin"))
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
}

fn bind(listen: SocketAddr) -> anyhow::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(listen).map_err(|e| {
        anyhow::anyhow!("cannot listen on {listen}: {e}; is another program using the port? Choose another port")
    })?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// Serves `app` on `listen`, over HTTPS when `tls` is given, until `shutdown`
/// completes (then lets answers under way finish, 3 s at most).
pub async fn serve(
    app: Router,
    listen: SocketAddr,
    tls: Option<rustls::ServerConfig>,
    what: &str,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        stopper.graceful_shutdown(Some(Duration::from_secs(3)));
    });
    let listener = bind(listen)?;
    let at = listener.local_addr()?;
    match tls {
        Some(config) => {
            tracing::info!("{what} at https://{at}");
            let config = axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(config));
            axum_server::from_tcp_rustls(listener, config).handle(handle).serve(app).await?;
        }
        None => {
            tracing::info!("{what} at http://{at}");
            axum_server::from_tcp(listener).handle(handle).serve(app).await?;
        }
    }
    Ok(())
}
