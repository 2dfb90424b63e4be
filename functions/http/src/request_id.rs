//! Every response carries `X-Request-Id`, and every log line of the request carries it too, so a
//! provider's support call can be matched to the log without exchanging personal data.

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use tracing::Instrument;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the request being handled, in the request's extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

pub(crate) fn layer(router: Router) -> Router {
    router.layer(middleware::from_fn(assign))
}

async fn assign(mut request: Request, next: Next) -> Response {
    // Behind API Gateway or a proxy, keep the id it assigned if it looks like one.
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            (1..=64).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        .map_or_else(|| ulid::Ulid::new().to_string(), str::to_string);
    request.extensions_mut().insert(RequestId(id.clone()));
    let path = logged_path(request.uri().path());
    // `tenant` is filled in once the host name has picked one (tenant::resolve).
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        %path,
        tenant = tracing::field::Empty
    );
    let mut response = next.run(request).instrument(span.clone()).await;
    span.in_scope(|| tracing::info!(status = response.status().as_u16(), "answered"));
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// Paths are logged up to 100 characters: enough to know the route, and a probe's 100 kB path
/// does not end up in the log whole.
fn logged_path(path: &str) -> String {
    const KEEP: usize = 100;
    match path.char_indices().nth(KEEP) {
        Some((cut, _)) => format!("{}…", &path[..cut]),
        None => path.to_string(),
    }
}
