//! Which insurer a request is for: resolved once, from the host name, before any handler runs.
//! Handlers take [`Tenanted`] and so only ever see that tenant's use cases and stores.

use std::sync::Arc;

use axum::Json;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use portal_core::UseCases;
use portal_wire::{ColorsBody, TenantBody};

use crate::client::proxy_header;
use crate::errors::RequestError;
use crate::{AppState, Problem};

/// The page that lists the tenants on a loopback address (`portal serve` with several).
pub const TENANTS_PAGE: &str = "/mandanten";

/// The use cases of the request's tenant.
#[derive(Clone)]
pub struct Tenanted(pub Arc<UseCases>);

impl<S: Send + Sync> FromRequestParts<S> for Tenanted {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        match parts.extensions.get::<Arc<UseCases>>() {
            Some(app) => Ok(Tenanted(Arc::clone(app))),
            None => Err(Problem::of(
                &RequestError::UnknownTenant,
                crate::problem::lang_of(&parts.headers),
            )),
        }
    }
}

/// Middleware: finds the tenant of the request's host and hands its use cases on. An unknown
/// host gets a 404 (problem+json under `/api`, a page elsewhere), never a default tenant; on a
/// loopback address with several tenants, `/` leads to the list of them.
pub async fn resolve(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    // Whether the portal answers, and how: the same for every host (probes ask by address).
    if matches!(request.uri().path(), "/api/health" | "/api/openapi.json") {
        return next.run(request).await;
    }
    let host = host_of(&state, request.headers(), request.uri());
    if let Some(app) = state.app_for_host(&host) {
        tracing::Span::current().record("tenant", app.tenant.slug.as_str());
        if is_cross_site(&request, &host) {
            let lang = crate::problem::lang_of(request.headers());
            return Problem::of(&RequestError::CrossSite, lang).into_response();
        }
        request.extensions_mut().insert(Arc::clone(app));
        return next.run(request).await;
    }
    let path = request.uri().path();
    let under = |prefix: &str| {
        path.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    if under("/api") || under("/oauth") {
        let lang = crate::problem::lang_of(request.headers());
        return Problem::of(&RequestError::UnknownTenant, lang).into_response();
    }
    if under("/fhir") {
        let unknown = crate::fhir::Outcome::without_tenant(crate::fhir::FhirError::NotFound);
        return unknown.into_response();
    }
    if is_loopback(&host) {
        match path {
            "/" => return Redirect::to(TENANTS_PAGE).into_response(),
            TENANTS_PAGE => return page(StatusCode::OK, tenants_page(&state, &host)),
            _ => {}
        }
    }
    page(StatusCode::NOT_FOUND, UNKNOWN_HOST_PAGE.to_string())
}

/// A page of its own: its style is inline, and it needs nothing else.
fn page(status: StatusCode, html: String) -> Response {
    let mut response = (status, Html(html)).into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        ),
    );
    response
}

/// The host the request was sent to: a trusted proxy's header (CloudFront's viewer host), else
/// `Host` (HTTP/1.1), else the URI's authority.
fn host_of(state: &AppState, headers: &axum::http::HeaderMap, uri: &axum::http::Uri) -> String {
    let header = state.tenant_host_header.as_deref();
    proxy_header(headers, header, state.origin_secret.as_deref())
        .or_else(|| headers.get(header::HOST))
        .and_then(|value| value.to_str().ok())
        .map(str::to_string)
        .or_else(|| uri.authority().map(|a| a.to_string()))
        .unwrap_or_default()
}

/// A request that changes something (not GET, HEAD or OPTIONS) under `/api`, sent by a page of
/// another origin: its browser says so in `Sec-Fetch-Site` (`same-site` counts too: the insurers'
/// portals are sibling hosts) or in an `Origin` that is not the request's host. The `SameSite`
/// cookie already keeps the session out of such requests; this refuses them even where a browser
/// would send it. Clients that are no browser send neither header and are not affected.
fn is_cross_site(request: &Request, host: &str) -> bool {
    use axum::http::Method;
    let changes = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let path = request.uri().path();
    if !changes || !(path == "/api" || path.starts_with("/api/")) {
        return false;
    }
    let headers = request.headers();
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if matches!(fetch_site, Some("cross-site" | "same-site")) {
        return true;
    }
    let Some(origin) = headers.get(header::ORIGIN) else { return false };
    let authority = origin.to_str().ok().and_then(|o| o.split_once("://")).map(|(_, a)| a);
    !authority.is_some_and(|authority| authority.eq_ignore_ascii_case(host))
}

fn is_loopback(host: &str) -> bool {
    matches!(portal_core::host_name(host).as_str(), "127.0.0.1" | "localhost" | "[::1]")
}

fn tenants_page(state: &AppState, host: &str) -> String {
    let port = host.rsplit_once(':').filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()));
    let port = port.map_or(String::new(), |(_, p)| format!(":{p}"));
    let items: String = state
        .tenants
        .iter()
        .filter_map(|t| t.hosts.first().map(|h| (t, h)))
        .map(|(t, h)| {
            format!(
                "<li><a href=\"http://{h}{port}/\">{name}</a> <span>({h}{port})</span></li>",
                name = escape(&t.name),
                h = escape(h),
            )
        })
        .collect();
    TENANTS_PAGE_HTML.replace("{items}", &items)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const TENANTS_PAGE_HTML: &str = r#"<!doctype html>
<html lang="de"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Serviceportale für Leistungserbringer</title>
<style>body{font:1rem/1.5 system-ui,sans-serif;margin:2rem auto;max-width:40rem;padding:0 1rem;color:#1a1a1a}a{color:#005e3a}span{color:#4a4a4a}</style></head>
<body><main><h1>Serviceportale für Leistungserbringer</h1>
<p>Diese Installation dient mehreren Krankenkassen. Bitte wählen Sie das Portal Ihrer Krankenkasse:</p>
<ul>{items}</ul>
<p lang="en">This installation serves several insurers: please choose yours.</p></main></body></html>
"#;

const UNKNOWN_HOST_PAGE: &str = r#"<!doctype html>
<html lang="de"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kein Portal unter dieser Adresse</title>
<style>body{font:1rem/1.5 system-ui,sans-serif;margin:2rem auto;max-width:40rem;padding:0 1rem;color:#1a1a1a}</style></head>
<body><main><h1>Kein Portal unter dieser Adresse</h1>
<p>Unter dieser Adresse ist kein Serviceportal einer Krankenkasse eingerichtet. Bitte prüfen Sie die Adresse; Ihre Krankenkasse nennt sie Ihnen in ihren Schreiben.</p>
<p lang="en">No insurer's service portal is set up at this address. Please check the address; your insurer gives it in its letters.</p></main></body></html>
"#;

/// The insurer of this host: its name, logo, colours, contact and services.
#[utoipa::path(get, path = "/api/tenant", tag = "portal", responses(
    (status = 200, description = "The insurer whose portal this host is", body = TenantBody),
    (status = 404, description = "`unknown_tenant`: no portal is set up under this host name", body = portal_wire::Problem, content_type = "application/problem+json"),
))]
pub async fn tenant(Tenanted(app): Tenanted) -> Json<TenantBody> {
    let t = &app.tenant;
    Json(TenantBody {
        slug: t.slug.to_string(),
        ik: t.ik.to_string(),
        name: t.name.clone(),
        logo_url: "/api/tenant/logo.svg".into(),
        colors: ColorsBody {
            primary: t.look.primary.to_string(),
            secondary: t.look.secondary.to_string(),
        },
        contact: t.letterhead.service_line.clone(),
        services: t.services.iter().map(|s| s.as_str().to_string()).collect(),
        years_shown: t.years_shown.as_str().into(),
        terms: t.terms.clone(),
        second_factor_required: t.second_factor_required,
    })
}

/// The insurer's logo.
#[utoipa::path(get, path = "/api/tenant/logo.svg", tag = "portal", responses(
    (status = 200, description = "The logo", content_type = "image/svg+xml", body = String),
    (status = 404, description = "`unknown_tenant`", body = portal_wire::Problem, content_type = "application/problem+json"),
))]
pub async fn logo(Tenanted(app): Tenanted) -> Response {
    let mut response = app.tenant.look.logo_svg.clone().into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml"));
    // An SVG opened on its own runs no script and loads nothing.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
    );
    response
}
