//! The portal's HTTP API as one axum [`Router`]. The Lambdas hand it to `lambda_http::run`, the
//! local `portal serve` to `axum::serve`: the same handlers answer in both.

mod accounts;
mod backoffice;
mod client;
mod clients;
mod content;
mod errors;
mod factor_proof;
mod fhir;
mod figures;
mod headers;
mod json;
mod notices;
mod oauth;
mod oha;
mod openapi;
mod problem;
mod proofs;
mod request_id;
mod second_factor;
mod session;
mod tenant;
mod texts;
mod therapy;

use std::sync::Arc;

use axum::handler::Handler;
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderValue, Method};
use axum::routing::{MethodFilter, MethodRouter, on};
use axum::{Json, Router};
use portal_core::accounts::{HashError, SecretHasher};
use portal_core::therapy::Reporting;
use portal_core::{Clock, Settings, Stores, Tenants, TokenSigner, UseCases};
use portal_wire::Health;
use tower_http::set_header::SetResponseHeaderLayer;

pub use client::{Client, ORIGIN_VERIFY};
pub use errors::{ApiError, RequestError};
pub use headers::{HEADERS as SECURITY_HEADERS, security_headers};
pub use json::{ApiJson, BODY_TIMEOUT, MAX_BODY_BYTES, REPORT_BODY_BYTES};
pub use notices::DEVICE_COOKIE;
pub use openapi::ApiDoc;
pub use problem::{FieldProblem, Problem, ProblemCode, RequestLang, field_problem};
pub use request_id::{REQUEST_ID, RequestId};
pub use session::{ActiveProvider, SESSION_COOKIE, SignedIn, session_id};
pub use tenant::{TENANTS_PAGE, Tenanted};

/// What the middleware and extractors read: every tenant's use cases, and how to tell the
/// request's host and the client's address.
#[derive(Clone)]
pub struct AppState {
    pub tenants: Tenants,
    /// One per tenant, in the order of `tenants`; each handed to its requests without a copy.
    apps: Arc<[Arc<UseCases>]>,
    /// See [`Settings::client_address_header`], [`Settings::tenant_host_header`] and
    /// [`Settings::origin_secret`].
    pub client_address_header: Option<Arc<str>>,
    pub tenant_host_header: Option<Arc<str>>,
    pub origin_secret: Option<Arc<str>>,
}

impl AppState {
    /// Each tenant's use cases on its stores (`stores` in the order of `tenants`; see
    /// [`UseCases::wire`]), with the settings the handlers read.
    pub fn wire(
        tenants: &Tenants,
        stores: &[Stores],
        settings: &Settings,
        reporting: &Reporting,
        clock: Arc<dyn Clock>,
        work_queued: Arc<dyn Fn() + Send + Sync>,
    ) -> Result<AppState, HashError> {
        assert_eq!(tenants.len(), stores.len(), "one set of stores per tenant");
        let hasher = SecretHasher::for_this_machine()?;
        let apps: Vec<Arc<UseCases>> = tenants
            .iter()
            .zip(stores)
            .map(|(tenant, stores)| {
                let queued = work_queued.clone();
                let app = UseCases::wire(
                    stores,
                    settings,
                    tenant,
                    &hasher,
                    reporting,
                    clock.clone(),
                    queued,
                );
                Arc::new(app)
            })
            .collect();
        Ok(AppState {
            tenants: tenants.clone(),
            apps: apps.into(),
            client_address_header: settings.client_address_header.as_deref().map(Arc::from),
            tenant_host_header: settings.tenant_host_header.as_deref().map(Arc::from),
            origin_secret: settings.origin_secret.as_deref().map(Arc::from),
        })
    }

    /// Every tenant's use cases with `signer` for the machine API's access tokens (one key for
    /// all: each token names its tenant, and each tenant accepts only its own).
    pub fn with_token_signer(self, signer: Arc<dyn TokenSigner>) -> AppState {
        self.rewire(|app| Some(app.clone().with_token_signer(signer.clone())))
    }

    /// Every tenant's use cases with `signer` for the proofs of answered queries (one key for
    /// all, as for tokens: each proof names its insurer, and each insurer's audit log holds
    /// only its own).
    pub fn with_proof_signer(self, signer: Arc<dyn TokenSigner>) -> AppState {
        self.rewire(|app| Some(app.clone().with_proof_signer(signer.clone())))
    }

    /// Every tenant's use cases with its key for account secrets (the TOTP secrets of the
    /// second factor), derived from the deployment's report key material under another HKDF
    /// info; without it, enrolment and the code step fail (500).
    pub fn with_account_keys(self, keys: &portal_core::therapy::ReportKeys) -> AppState {
        self.rewire(|app| Some(app.clone().with_account_keys(keys)))
    }

    /// Every tenant's information pages, by its short name (a tenant missing there shows none).
    pub fn with_content(
        self,
        libraries: &std::collections::BTreeMap<String, portal_core::content::ContentLibrary>,
    ) -> AppState {
        self.rewire(|app| {
            let library = libraries.get(app.tenant.slug.as_str())?;
            Some(app.clone().with_content(Arc::new(library.clone())))
        })
    }

    /// Each tenant's use cases as `change` makes them anew from the current ones, or kept as
    /// they are where it gives none.
    fn rewire(mut self, change: impl Fn(&UseCases) -> Option<UseCases>) -> AppState {
        let apps: Vec<Arc<UseCases>> = self
            .apps
            .iter()
            .map(|app| change(app).map_or_else(|| Arc::clone(app), Arc::new))
            .collect();
        self.apps = apps.into();
        self
    }

    /// The use cases of the tenant serving `host`.
    pub fn app_for_host(&self, host: &str) -> Option<&Arc<UseCases>> {
        let tenant = self.tenants.for_host(host)?;
        self.apps.iter().find(|app| Arc::ptr_eq(&app.tenant, tenant))
    }

    /// The use cases of the tenant named `slug` (for the back office's command line).
    pub fn app(&self, slug: &str) -> Option<&Arc<UseCases>> {
        self.apps.iter().find(|app| app.tenant.slug.as_str() == slug)
    }

    pub fn apps(&self) -> &[Arc<UseCases>] {
        &self.apps
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
    /// The eTherapiebericht: the physician directory and the practice's reports (the only
    /// capability that holds the reports' key). Reports are sent by the `report-dispatch`
    /// function, which answers no route.
    Reports,
    /// The machine API's FHIR endpoint (`/fhir/…`): checks access tokens against the token
    /// key's public half and the client's revocation, asks like the query, appends to the audit
    /// log.
    Fhir,
    /// The machine API's tokens (`/oauth/…`): reads clients, writes used assertion ids, signs
    /// access tokens (the only capability that holds the token key's private half).
    Token,
    /// The public check of the proofs of answered queries (`/api/proofs/verify`): counts checks
    /// per client, reads single audit records, needs the proof key's public half only.
    Proofs,
    /// The public service figures (`/api/service-figures…`): reads the daily roll-ups only.
    Figures,
    /// The information pages per Berufsfeld (`/api/content/…`): public, reads no store; in
    /// AWS the pages are built into the function.
    Content,
    /// The back office's login and figures (`/api/backoffice/…`): reads the back-office users
    /// and sessions, the figures' roll-ups and counters, and the pending letters' index; never a
    /// provider's account or session.
    Backoffice,
}

impl Capability {
    pub const ALL: [Capability; 11] = [
        Capability::Health,
        Capability::Registration,
        Capability::Session,
        Capability::Query,
        Capability::Reports,
        Capability::Fhir,
        Capability::Token,
        Capability::Proofs,
        Capability::Figures,
        Capability::Content,
        Capability::Backoffice,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Capability::Health => "health",
            Capability::Registration => "registration",
            Capability::Session => "session",
            Capability::Query => "query",
            Capability::Reports => "reports",
            Capability::Fhir => "fhir",
            Capability::Token => "token",
            Capability::Proofs => "proofs",
            Capability::Content => "content",
            Capability::Figures => "figures",
            Capability::Backoffice => "backoffice",
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
    use Capability::{Fhir, Figures, Health, Proofs, Query, Registration, Reports, Session, Token};
    vec![
        endpoint(Health, Method::GET, "/api/health", health),
        endpoint(Health, Method::GET, "/api/openapi.json", openapi::document),
        endpoint(Health, Method::GET, "/api/tenant", tenant::tenant),
        endpoint(Health, Method::GET, "/api/tenant/logo.svg", tenant::logo),
        endpoint(Registration, Method::GET, "/api/challenge", accounts::challenge),
        endpoint(Registration, Method::POST, "/api/registrations", accounts::register),
        endpoint(Session, Method::POST, "/api/session", accounts::login),
        endpoint(Session, Method::GET, "/api/session", accounts::current_session),
        endpoint(Session, Method::DELETE, "/api/session", accounts::logout),
        endpoint(Session, Method::POST, "/api/password", accounts::change_password),
        endpoint(Session, Method::POST, "/api/password-reset", accounts::reset_password),
        endpoint(Session, Method::POST, "/api/session/second-factor", second_factor::second_step),
        endpoint(Session, Method::POST, "/api/second-factor/totp", second_factor::enrol),
        endpoint(Session, Method::DELETE, "/api/second-factor/totp", second_factor::remove),
        endpoint(Session, Method::POST, "/api/second-factor/totp/confirm", second_factor::confirm),
        endpoint(Session, Method::POST, "/api/session/passkey", second_factor::passkey_challenge),
        endpoint(
            Session,
            Method::POST,
            "/api/session/second-factor/passkey",
            second_factor::second_step_passkey,
        ),
        endpoint(Session, Method::POST, "/api/second-factor/passkey", second_factor::enrol_passkey),
        endpoint(
            Session,
            Method::DELETE,
            "/api/second-factor/passkey",
            second_factor::remove_passkey,
        ),
        endpoint(
            Session,
            Method::POST,
            "/api/second-factor/passkey/confirm",
            second_factor::confirm_passkey,
        ),
        endpoint(Session, Method::GET, "/api/sessions", second_factor::list_sessions),
        endpoint(Session, Method::DELETE, "/api/sessions", second_factor::end_sessions),
        endpoint(Session, Method::DELETE, "/api/sessions/{id}", second_factor::end_session),
        endpoint(Session, Method::POST, "/api/account/block", notices::block),
        endpoint(Session, Method::GET, "/api/account/history", notices::history),
        endpoint(Session, Method::GET, "/api/clients", clients::list_clients),
        endpoint(Session, Method::DELETE, "/api/clients/{id}", clients::revoke_client),
        endpoint(Query, Method::POST, "/api/exemption-queries", oha::ask),
        endpoint(Reports, Method::GET, "/api/physicians", therapy::physicians),
        endpoint(Reports, Method::GET, "/api/practice", therapy::practice),
        endpoint(Reports, Method::GET, "/api/therapy-reports", therapy::list),
        endpoint(Reports, Method::POST, "/api/therapy-reports", therapy::create),
        endpoint(Reports, Method::GET, "/api/therapy-reports/{id}", therapy::read),
        endpoint(Reports, Method::PUT, "/api/therapy-reports/{id}", therapy::update),
        endpoint(Reports, Method::DELETE, "/api/therapy-reports/{id}", therapy::delete),
        endpoint(Reports, Method::POST, "/api/therapy-reports/{id}/send", therapy::send),
        endpoint(Reports, Method::GET, "/api/therapy-reports/{id}/pdf", therapy::pdf),
        endpoint(Reports, Method::PUT, "/api/therapy-reports/{id}/attachment", therapy::attach),
        endpoint(Reports, Method::DELETE, "/api/therapy-reports/{id}/attachment", therapy::detach),
        endpoint(
            Reports,
            Method::POST,
            "/api/therapy-reports/{id}/attachment/upload",
            therapy::attachment_upload,
        ),
        endpoint(
            Reports,
            Method::POST,
            "/api/therapy-reports/{id}/attachment/complete",
            therapy::attachment_complete,
        ),
        endpoint(Fhir, Method::GET, "/fhir/metadata", fhir::metadata),
        endpoint(
            Fhir,
            Method::GET,
            "/fhir/.well-known/smart-configuration",
            fhir::smart_configuration,
        ),
        endpoint(Fhir, Method::GET, "/fhir/SearchParameter/{id}", fhir::search_parameter),
        endpoint(Fhir, Method::POST, "/fhir/Coverage/_search", fhir::coverage_search),
        endpoint(Token, Method::POST, "/oauth/token", oauth::token),
        endpoint(Token, Method::GET, "/oauth/jwks.json", oauth::jwks),
        endpoint(Proofs, Method::POST, "/api/proofs/verify", proofs::verify),
        endpoint(Proofs, Method::POST, "/api/proofs/qr", proofs::qr),
        endpoint(Capability::Content, Method::GET, "/api/content/pages", content::pages),
        endpoint(Capability::Content, Method::GET, "/api/content/pages/{slug}", content::page),
        endpoint(Figures, Method::GET, "/api/service-figures", figures::service_figures),
        endpoint(Figures, Method::GET, "/api/service-figures.csv", figures::service_figures_csv),
        endpoint(
            Capability::Backoffice,
            Method::POST,
            "/api/backoffice/session",
            backoffice::backoffice_login,
        ),
        endpoint(
            Capability::Backoffice,
            Method::GET,
            "/api/backoffice/session",
            backoffice::backoffice_current_session,
        ),
        endpoint(
            Capability::Backoffice,
            Method::DELETE,
            "/api/backoffice/session",
            backoffice::backoffice_logout,
        ),
        endpoint(
            Capability::Backoffice,
            Method::GET,
            "/api/backoffice/figures",
            backoffice::backoffice_figures,
        ),
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
        Method::PUT => MethodFilter::PUT,
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
    layered(router(capabilities, state.clone()), state)
}

/// The `/api` routes next to `site` (the app's files), all behind the same middleware. Unknown
/// `/api` paths answer 404 as problem+json, never the app's `index.html`.
pub fn api_with(state: AppState, site: Router) -> Router {
    layered(router(&Capability::ALL, state.clone()).merge(site), state)
}

fn router(capabilities: &[Capability], state: AppState) -> Router {
    endpoints()
        .into_iter()
        .filter(|(route, _)| capabilities.contains(&route.capability))
        // Routes of one path merge into one method router.
        .fold(Router::new(), |router, (route, handler)| router.route(route.path, handler))
        .route("/api/{*rest}", axum::routing::any(not_found))
        .route("/fhir/{*rest}", axum::routing::any(fhir::not_found))
        .route("/oauth/{*rest}", axum::routing::any(oauth::not_found))
        .method_not_allowed_fallback(method_not_allowed)
        // Answers hold health data and sessions: no browser or proxy may keep a copy.
        .layer(SetResponseHeaderLayer::overriding(
            CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .with_state(state)
}

/// Every answer gets a request id and the security headers; every request its tenant first.
fn layered(router: Router, state: AppState) -> Router {
    let router = router.layer(axum::middleware::from_fn_with_state(state, tenant::resolve));
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
