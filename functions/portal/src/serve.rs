//! `portal serve`: the API and the single-page app on one origin.

use std::future::Future;
use std::path::Path;

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use portal_http::AppState;
use tokio::net::TcpListener;
use tower_http::services::{ServeDir, ServeFile};

/// The API plus the built app from `static_dir`; paths the app routes itself (`/oha`, …) get its
/// `index.html`. Until the app is built, `/` explains how to build it.
pub fn app(state: AppState, static_dir: &Path) -> Router {
    let index = static_dir.join("index.html");
    let site = if index.is_file() {
        Router::new().fallback_service(ServeDir::new(static_dir).fallback(ServeFile::new(index)))
    } else {
        Router::new().route("/", get(|| async { Html(NO_APP_YET) }))
    };
    portal_http::api_with(state, site)
}

const NO_APP_YET: &str = include_str!("no_app_yet.html");

/// Serves until `shutdown` resolves, then lets requests in flight finish.
pub async fn run(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
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
