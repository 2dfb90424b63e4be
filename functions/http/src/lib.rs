//! The portal's HTTP API as one axum [`Router`]. The Lambdas hand it to `lambda_http::run`, the
//! local `portal serve` to `axum::serve`: the same handlers answer in both.

mod accounts;
mod client;
mod errors;
mod headers;
mod json;
mod oha;
mod openapi;
mod problem;
mod request_id;
mod session;
mod texts;

use std::sync::Arc;

use axum::handler::Handler;
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderValue, Method};
use axum::routing::{MethodFilter, MethodRouter, on};
use axum::{Json, Router};
use portal_core::accounts::{Accounts, HashError};
use portal_core::oha::Oha;
use portal_core::{Clock, Settings, Stores, UseCases};
use portal_wire::Health;
use tower_http::set_header::SetResponseHeaderLayer;

pub use client::{Client, ORIGIN_VERIFY};
pub use errors::{ApiError, RequestError};
pub use headers::{HEADERS as SECURITY_HEADERS, security_headers};
pub use json::{ApiJson, BODY_TIMEOUT, MAX_BODY_BYTES};
pub use openapi::ApiDoc;
pub use problem::{FieldProblem, Problem, ProblemCode, RequestLang, field_problem};
pub use request_id::{REQUEST_ID, RequestId};
pub use session::{ActiveProvider, SESSION_COOKIE, SignedIn};

/// What the handlers may use: the use cases, and how to tell the client's address.
#[derive(Clone)]
pub struct AppState {
    pub accounts: Accounts,
    pub oha: Oha,
    /// See [`Settings::client_address_header`] and [`Settings::origin_secret`].
    pub client_address_header: Option<String>,
    pub origin_secret: Option<String>,
}

impl AppState {
    /// The use cases on `stores` (see [`UseCases::wire`]), with the settings the handlers read.
    pub fn wire(
        stores: &Stores,
        settings: &Settings,
        clock: Arc<dyn Clock>,
        letters_queued: Arc<dyn Fn() + Send + Sync>,
    ) -> Result<AppState, HashError> {
        let UseCases { accounts, oha } = UseCases::wire(stores, settings, clock, letters_queued)?;
        Ok(AppState {
            accounts,
            oha,
            client_address_header: settings.client_address_header.clone(),
            origin_secret: settings.origin_secret.clone(),
        })
    }
}

/// A group of routes that one Lambda function answers in AWS (locally one server answers all).
/// Its [`name`](Capability::name) is the function's binary and its `Binary` in the SAM template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    /// The health check and the answer to unknown `/api` paths: needs no data at all.
    Health,
    /// The security check and registration: writes accounts and letters, reads no sessions.
    Registration,
    /// Login, logout, session status and passwords: the only reader of password hashes.
    Session,
    /// The exemption query: reads no password hash, appends to the audit log.
    Query,
}

impl Capability {
    pub const ALL: [Capability; 4] =
        [Capability::Health, Capability::Registration, Capability::Session, Capability::Query];

    pub fn name(self) -> &'static str {
        match self {
            Capability::Health => "health",
            Capability::Registration => "registration",
            Capability::Session => "session",
            Capability::Query => "query",
        }
    }
}

/// One route of the API and the function that answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub capability: Capability,
    pub method: Method,
    pub path: &'static str,
}

/// Every route of the API, the one list both the router and the deployment check read.
pub fn routes() -> Vec<Route> {
    endpoints().into_iter().map(|(route, _)| route).collect()
}

fn endpoints() -> Vec<(Route, MethodRouter<AppState>)> {
    use Capability::{Health, Query, Registration, Session};
    vec![
        endpoint(Health, Method::GET, "/api/health", health),
        endpoint(Health, Method::GET, "/api/openapi.json", openapi::document),
        endpoint(Registration, Method::GET, "/api/challenge", accounts::challenge),
        endpoint(Registration, Method::POST, "/api/registrations", accounts::register),
        endpoint(Session, Method::POST, "/api/session", accounts::login),
        endpoint(Session, Method::GET, "/api/session", accounts::current_session),
        endpoint(Session, Method::DELETE, "/api/session", accounts::logout),
        endpoint(Session, Method::POST, "/api/password", accounts::change_password),
        endpoint(Session, Method::POST, "/api/password-reset", accounts::reset_password),
        endpoint(Query, Method::POST, "/api/exemption-queries", oha::ask),
    ]
}

fn endpoint<H, T>(
    capability: Capability,
    method: Method,
    path: &'static str,
    handler: H,
) -> (Route, MethodRouter<AppState>)
where
    H: Handler<T, AppState>,
    T: 'static,
{
    let filter = match method {
        Method::GET => MethodFilter::GET,
        Method::DELETE => MethodFilter::DELETE,
        _ => MethodFilter::POST,
    };
    (Route { capability, method, path }, on(filter, handler))
}

/// Every `/api` route with its middleware, as the local server answers them.
pub fn api(state: AppState) -> Router {
    api_with(state, Router::new())
}

/// The routes of `capabilities` only, as one Lambda function serves them.
pub fn api_for(capabilities: &[Capability], state: AppState) -> Router {
    layered(router(capabilities, state))
}

/// The `/api` routes next to `site` (the app's files), all behind the same middleware. Unknown
/// `/api` paths answer 404 as problem+json, never the app's `index.html`.
pub fn api_with(state: AppState, site: Router) -> Router {
    layered(router(&Capability::ALL, state).merge(site))
}

fn router(capabilities: &[Capability], state: AppState) -> Router {
    endpoints()
        .into_iter()
        .filter(|(route, _)| capabilities.contains(&route.capability))
        // Routes of one path merge into one method router.
        .fold(Router::new(), |router, (route, handler)| router.route(route.path, handler))
        .route("/api/{*rest}", axum::routing::any(not_found))
        .method_not_allowed_fallback(method_not_allowed)
        // Answers hold health data and sessions: no browser or proxy may keep a copy.
        .layer(SetResponseHeaderLayer::overriding(
            CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .with_state(state)
}

fn layered(router: Router) -> Router {
    request_id::layer(security_headers(router))
}

/// Whether the portal answers.
#[utoipa::path(get, path = "/api/health", tag = "portal", responses((status = 200, description = "It does", body = Health)))]
async fn health() -> Json<Health> {
    Json(Health { status: "ok".into(), version: env!("CARGO_PKG_VERSION").into() })
}

async fn not_found(RequestLang(lang): RequestLang) -> Problem {
    Problem::of(&errors::RequestError::NotFound, lang)
}

async fn method_not_allowed(RequestLang(lang): RequestLang) -> Problem {
    Problem::of(&errors::RequestError::MethodNotAllowed, lang)
}
