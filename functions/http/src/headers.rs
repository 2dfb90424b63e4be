//! The security headers of every response, API and app alike. CloudFront's response-headers
//! policy in `infra/template.yaml` sets the same values in AWS.

use axum::Router;
use axum::http::{HeaderName, HeaderValue};
use axum::response::Response;

/// Only our own origin; wasm needs `wasm-unsafe-eval`, nothing needs `unsafe-inline`.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Header names in lower case, as HTTP/2 and `HeaderName::from_static` want them.
pub const HEADERS: &[(&str, &str)] = &[
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("strict-transport-security", "max-age=63072000; includeSubDomains"),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-opener-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=()"),
];

/// Adds the security headers to every response of `router`, keeping any a handler set itself.
/// One layer for all of them: each layer of a router is one more boxed service to clone for
/// every request (seven of them took 2 % of the query path; BENCHMARKS.md).
pub fn security_headers(router: Router) -> Router {
    router.layer(axum::middleware::map_response(add_security_headers))
}

async fn add_security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in HEADERS {
        let name = HeaderName::from_static(name);
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    response
}
