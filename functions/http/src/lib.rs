//! The portal's HTTP API as one axum [`Router`]. The Lambdas hand it to `lambda_http::run`, the
//! local `portal serve` to `axum::serve`: the same handlers answer in both.

mod accounts;
mod headers;
mod json;
mod oha;
mod problem;
mod request_id;
mod session;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::{Json, Router};
use portal_core::accounts::Accounts;
use portal_core::oha::Oha;
use portal_core::{Clock, ExemptionStore, ProviderDirectory};
use serde::Serialize;

pub use headers::{HEADERS as SECURITY_HEADERS, security_headers};
pub use json::{ApiJson, MAX_BODY_BYTES};
pub use problem::{FieldProblem, Problem, RequestLang};
pub use request_id::{REQUEST_ID, RequestId};
pub use session::{ActiveProvider, SESSION_COOKIE, SignedIn};

/// What the handlers may use; each entry point wires in the adapters it has.
#[derive(Clone)]
pub struct AppState {
    pub providers: Arc<dyn ProviderDirectory>,
    pub exemptions: Arc<dyn ExemptionStore>,
    pub clock: Arc<dyn Clock>,
    pub accounts: Accounts,
    pub oha: Oha,
}

/// The `/api` routes with their middleware, as a Lambda serves them.
pub fn api(state: AppState) -> Router {
    api_with(state, Router::new())
}

/// The `/api` routes next to `site` (the app's files), all behind the same middleware. Unknown
/// `/api` paths answer 404 as problem+json, never the app's `index.html`.
pub fn api_with(state: AppState, site: Router) -> Router {
    let api = Router::new()
        .route("/api/health", get(health))
        .route("/api/challenge", get(accounts::challenge))
        .route("/api/registrations", post(accounts::register))
        .route(
            "/api/session",
            post(accounts::login).get(accounts::current_session).delete(accounts::logout),
        )
        .route("/api/password", post(accounts::change_password))
        .route("/api/password-reset", post(accounts::reset_password))
        .route("/api/exemption-queries", post(oha::ask))
        .route("/api/{*rest}", axum::routing::any(not_found))
        .with_state(state);
    request_id::layer(security_headers(api.merge(site)))
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
}

async fn health() -> Json<Health> {
    Json(Health { status: "ok", version: env!("CARGO_PKG_VERSION") })
}

async fn not_found(RequestLang(lang): RequestLang) -> Problem {
    Problem::not_found(lang)
}
