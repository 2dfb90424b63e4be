//! The yardstick for the query benchmark: the same stack (tokio, hyper, axum) answering 200 to
//! everything, with no middleware and no work. `bare_http 127.0.0.1:9090`
use axum::Router;
use axum::http::StatusCode;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:9090".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("bare_http on {}", listener.local_addr()?);
    axum::serve(listener, Router::new().fallback(|| async { StatusCode::OK })).await
}
