//! `portal serve`: the API and the single-page app on one origin.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use portal_http::AppState;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt as _;
use tower_http::services::{ServeDir, ServeFile};

/// The API plus the built app from `static_dir`; paths the app routes itself (`/oha`, …) get its
/// `index.html`. Until the app is built, `/` explains how to build it.
pub fn app(state: AppState, static_dir: &Path) -> Router {
    let index = static_dir.join("index.html");
    let site = if index.is_file() {
        // The build put `.br` and `.gz` beside each file; the smallest the browser takes is sent.
        let files = ServeDir::new(static_dir)
            .precompressed_br()
            .precompressed_gzip()
            .fallback(ServeFile::new(index).precompressed_br().precompressed_gzip());
        Router::new().fallback_service(files).layer(middleware::from_fn(static_answers))
    } else {
        Router::new().route("/", get(|| async { Html(NO_APP_YET) }))
    };
    portal_http::api_with(state, site)
}

const NO_APP_YET: &str = include_str!("no_app_yet.html");

/// The app's files as CloudFront serves them: hashed names (`portal-app-1a2b….wasm`) never
/// change, so browsers keep them; `index.html` and the other names are checked on every load.
/// A path the file system cannot even look up (a segment longer than a file name may be) is
/// simply not there: 404, not the 500 the file service would give.
async fn static_answers(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path.split('/').any(|segment| segment.len() > MAX_SEGMENT) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let immutable = is_hashed(path);
    let mut response = next.run(request).await;
    if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
        let policy = if immutable { "public, max-age=31536000, immutable" } else { "no-cache" };
        response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    response
}

/// The longest file name the usual file systems allow.
const MAX_SEGMENT: usize = 255;

/// trunk names the built files `name-<16 hex digits>.ext` (the wasm `…_bg.wasm`).
fn is_hashed(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or_default();
    let stem = file.split('.').next().unwrap_or_default();
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-')
        .is_some_and(|(_, hash)| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// What the local server allows a connection: slow or stalled clients are cut off, and the
/// number of open connections is bounded, so a few clients cannot hold the server.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// Time to send a request's head (line and headers), from when the server waits for one.
    /// (The API gives a request's body `portal_http::BODY_TIMEOUT`.)
    pub header_timeout: Duration,
    /// Open connections at most.
    pub max_connections: usize,
    /// Open connections of one client address at most: one client cannot take every place.
    pub max_connections_per_client: usize,
}

impl Default for ServerLimits {
    fn default() -> ServerLimits {
        ServerLimits {
            header_timeout: Duration::from_secs(10),
            max_connections: 1024,
            max_connections_per_client: 64,
        }
    }
}

/// The open connections per client address.
#[derive(Default)]
struct Open(std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>);

impl Open {
    /// Counts a connection of `client` if it has fewer than `most` open.
    fn enter(&self, client: std::net::IpAddr, most: usize) -> bool {
        let mut open = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = open.entry(client).or_default();
        let room = *count < most;
        if room {
            *count += 1;
        }
        room
    }

    fn leave(&self, client: std::net::IpAddr) {
        let mut open = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(count) = open.get_mut(&client) {
            *count -= 1;
            if *count == 0 {
                open.remove(&client);
            }
        }
    }
}

/// Serves until `shutdown` resolves, then lets requests in flight finish.
pub async fn run(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    run_with(listener, app, ServerLimits::default(), shutdown).await
}

/// [`run`] with the given limits.
pub async fn run_with(
    listener: TcpListener,
    app: Router,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let open = Arc::new(Open::default());
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    tokio::pin!(shutdown);
    loop {
        // At the limit, stop accepting: further clients wait in the kernel's backlog.
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit.map_err(std::io::Error::other)?,
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors and the like: wait a moment rather than spin.
                Err(error) => {
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // A client with its share open is turned away at once (the connection closes).
        if !open.enter(peer.ip(), limits.max_connections_per_client.max(1)) {
            drop(stream);
            continue;
        }
        let service = app.clone().map_request(move |mut request: Request| {
            request.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            request
        });
        let connection = builder.serve_connection(
            TokioIo::new(stream),
            TowerToHyperService::new(
                service
                    .map_request(|r: Request<hyper::body::Incoming>| r.map(axum::body::Body::new)),
            ),
        );
        let connection = graceful.watch(connection);
        let open = Arc::clone(&open);
        tokio::spawn(async move {
            // A client that leaves, or is cut off for stalling, is no error of ours.
            let _ = connection.await;
            open.leave(peer.ip());
            drop(permit);
        });
    }
    graceful.shutdown().await;
    Ok(())
}

/// Ctrl-C or SIGTERM (what a service manager sends).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
