//! The API's OpenAPI 3.1 document, `GET /api/openapi.json`: generated from the wire types and
//! the handlers' annotations, so it cannot drift from the code; a test checks that it lists every
//! route of the router and no other.

use std::sync::LazyLock;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::SESSION_COOKIE;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Serviceportal für Leistungserbringer",
        description = "The provider portal of a German statutory health insurer: registration with the IK and two letters, login, the own password set with the Prüfnummer, and the Online-Hintergrund-Abfrage (is this patient exempt from co-payments?), every answer recorded.\n\nErrors are RFC 9457 problem documents (`application/problem+json`) with a stable `code`, a title in the person's language (German by default, English with `Accept-Language: en`) and, for bad input, `errors` per field. Request bodies are JSON objects of at most 16 KiB without unknown fields. Every answer carries `X-Request-Id`.",
        license(name = "EUPL-1.2"),
    ),
    paths(
        crate::health,
        crate::openapi::document,
        crate::tenant::tenant,
        crate::tenant::logo,
        crate::accounts::challenge,
        crate::accounts::register,
        crate::accounts::login,
        crate::accounts::current_session,
        crate::accounts::logout,
        crate::accounts::change_password,
        crate::accounts::reset_password,
        crate::second_factor::second_step,
        crate::second_factor::enrol,
        crate::second_factor::remove,
        crate::second_factor::confirm,
        crate::second_factor::passkey_challenge,
        crate::second_factor::second_step_passkey,
        crate::second_factor::enrol_passkey,
        crate::second_factor::remove_passkey,
        crate::second_factor::confirm_passkey,
        crate::second_factor::list_sessions,
        crate::second_factor::end_sessions,
        crate::second_factor::end_session,
        crate::notices::block,
        crate::notices::history,
        crate::oha::ask,
        crate::therapy::physicians,
        crate::therapy::practice,
        crate::therapy::list,
        crate::therapy::create,
        crate::therapy::read,
        crate::therapy::update,
        crate::therapy::delete,
        crate::therapy::send,
        crate::therapy::pdf,
        crate::therapy::attach,
        crate::therapy::detach,
        crate::therapy::attachment_upload,
        crate::therapy::attachment_complete,
        crate::fhir::metadata,
        crate::fhir::smart_configuration,
        crate::fhir::search_parameter,
        crate::fhir::coverage_search,
        crate::oauth::token,
        crate::oauth::jwks,
        crate::proofs::verify,
        crate::proofs::qr,
        crate::content::pages,
        crate::content::page,
        crate::clients::list_clients,
        crate::clients::revoke_client,
        crate::figures::service_figures,
        crate::figures::service_figures_csv,
        crate::backoffice::backoffice_login,
        crate::backoffice::backoffice_current_session,
        crate::backoffice::backoffice_logout,
        crate::backoffice::backoffice_figures,
    ),
    components(schemas(crate::fhir::SearchForm, crate::oauth::TokenForm)),
    modifiers(&SessionCookie),
    tags(
        (name = "portal", description = "Health and this document"),
        (name = "accounts", description = "Registration, login (with a second factor: TOTP and recovery codes), sessions, passwords"),
        (name = "oha", description = "The Online-Hintergrund-Abfrage, and the check of its signed proofs"),
        (name = "etherapiebericht", description = "Therapy reports to physicians (eArztbrief over KIM)"),
        (name = "figures", description = "The portal's public service figures per month, small counts masked"),
        (name = "backoffice", description = "The back office's own login (not a provider's) and its figures per day"),
        (name = "content", description = "The information pages per Berufsfeld: public, sanitised HTML"),
        (name = "fhir", description = "The machine API: FHIR R4 (`application/fhir+json`, OperationOutcome errors) with OAuth2 client credentials and a private_key_jwt assertion (SMART Backend Services); not JSON:API-style"),
    ),
)]
pub struct ApiDoc;

/// The session cookie as the API's one security scheme.
struct SessionCookie;

impl Modify for SessionCookie {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let cookie = SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            SESSION_COOKIE,
            "Set by `POST /api/session`: HttpOnly, Secure, SameSite=Strict.",
        )));
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("session", cookie);
        let backoffice = SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            crate::backoffice::BACKOFFICE_COOKIE,
            "Set by `POST /api/backoffice/session`: HttpOnly, Secure, SameSite=Strict. A back-office user's, never a provider's.",
        )));
        components.add_security_scheme("backoffice", backoffice);
        let bearer = SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some("An access token from `POST /oauth/token` (scope `system/Coverage.rs`, 5 minutes)."))
                .build(),
        );
        components.add_security_scheme("bearer", bearer);
    }
}

static DOCUMENT: LazyLock<String> =
    LazyLock::new(|| ApiDoc::openapi().to_pretty_json().unwrap_or_default());

/// This document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "portal",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object)),
)]
pub async fn document() -> Response {
    let json = HeaderValue::from_static("application/json");
    ([(header::CONTENT_TYPE, json)], DOCUMENT.as_str()).into_response()
}
