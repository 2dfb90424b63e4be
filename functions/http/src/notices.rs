//! The device cookie (a login from a browser not seen before is told to the provider), the
//! block link of the change notices ("Das war ich nicht"), and the account's history, over
//! HTTP (BSI TR-03161 O.Auth_6, O.Auth_16, O.Pass_4).

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use portal_core::accounts::{BlockError, Device};
use portal_wire::{AccountEventKind, BlockRequest, HistoryEntryBody};

use crate::client::Client;
use crate::errors::ApiError;
use crate::json::ApiJson;
use crate::session::SignedIn;
use crate::texts::Text;
use crate::{Problem, ProblemCode, RequestLang, Tenanted};

/// `__Host-` like the session's: this origin only, over HTTPS. A year and a month (the most a
/// browser keeps a cookie is 400 days).
pub const DEVICE_COOKIE: &str = "__Host-device";

/// The browser's device id from its cookie (a new one where it has none).
pub(crate) fn device_of(headers: &HeaderMap) -> Device {
    let value = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(DEVICE_COOKIE)?.strip_prefix('='));
    Device::from_cookie(value)
}

/// Sets (or renews) the device cookie: long-lived, HttpOnly, never sent to another site.
pub(crate) fn device_cookie(device: &Device) -> HeaderValue {
    let cookie = format!(
        "{DEVICE_COOKIE}={}; Path=/; Max-Age=34560000; Secure; HttpOnly; SameSite=Strict",
        device.id()
    );
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `body` with the cookie of the session this browser goes on in and, after it, the browser's
/// device id (the end of a login notes the browser, so that a new one is noticed).
pub(crate) fn in_new_session(
    body: impl axum::response::IntoResponse,
    session_id: &str,
    device: &Device,
) -> axum::response::Response {
    let mut response = body.into_response();
    response.headers_mut().insert(header::SET_COOKIE, crate::session::session_cookie(session_id));
    response.headers_mut().append(header::SET_COOKIE, device_cookie(device));
    response
}

impl ApiError for BlockError {
    fn status(&self) -> StatusCode {
        match self {
            BlockError::InvalidLink => StatusCode::GONE,
            BlockError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            BlockError::Store(e) => e.status(),
            BlockError::Hash(e) => e.status(),
        }
    }
    fn code(&self) -> ProblemCode {
        match self {
            BlockError::InvalidLink => ProblemCode::BlockLinkInvalid,
            BlockError::TooManyAttempts { .. } => ProblemCode::TooManyAttempts,
            BlockError::Store(e) => e.code(),
            BlockError::Hash(e) => e.code(),
        }
    }
    fn text(&self) -> Text {
        match self {
            BlockError::InvalidLink => Text::BlockLinkInvalid,
            BlockError::TooManyAttempts { retry_after } => {
                let error = portal_core::accounts::LoginError::TooManyAttempts {
                    retry_after: *retry_after,
                };
                error.text()
            }
            BlockError::Store(e) => e.text(),
            BlockError::Hash(e) => e.text(),
        }
    }
    fn retry_after(&self) -> Option<time::Duration> {
        match self {
            BlockError::TooManyAttempts { retry_after } => Some(*retry_after),
            _ => None,
        }
    }
    fn cause(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BlockError::Store(e) => e.cause(),
            BlockError::Hash(e) => e.cause(),
            _ => None,
        }
    }
}

/// "Das war ich nicht": the token of a change notice's link blocks the account at once. Its
/// password and Prüfnummer are replaced by new ones, which go out as new credential letters;
/// every session ends, and neither the old password nor the old Prüfnummer works any more
/// (where the notice was about the second factor, that is removed too). Each link works once,
/// for seven days.
#[utoipa::path(
    post,
    path = "/api/account/block",
    tag = "accounts",
    request_body = BlockRequest,
    responses(
        (status = 204, description = "Blocked; new credential letters are on their way to the address on file"),
        (status = 400, description = "`invalid_json`: the body is not JSON", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 408, description = "`request_timeout`: the body did not arrive in time", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 410, description = "`block_link_invalid`: the link is unknown, expired (after 7 days) or used before", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: more than 16 KiB", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: not `application/json`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_body`, `unknown_field`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too_many_attempts`: too many failures from this client in this hour", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 500, description = "`internal`: a technical error, logged under the request id", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the store is unreachable", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn block(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    Client(client): Client,
    ApiJson(body): ApiJson<BlockRequest>,
) -> Result<StatusCode, Problem> {
    app.accounts
        .block_with_link(&body.token, client)
        .await
        .map(|()| StatusCode::NO_CONTENT)
        .map_err(|e| Problem::at(&e, lang, &app.tenant))
}

/// The account's history of the last 90 days, the newest first: logins, failed logins, failed
/// code steps, changes of the password and the second factor, recovery codes used, blocks.
#[utoipa::path(
    get,
    path = "/api/account/history",
    tag = "accounts",
    security(("session" = [])),
    responses(
        (status = 200, description = "The history", body = Vec<HistoryEntryBody>),
        (status = 401, description = "`unauthenticated`, `session_expired`, or `second_factor_required`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`second_factor_enrolment_required`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the store is unreachable", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn history(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    signed_in: SignedIn,
) -> Result<Json<Vec<HistoryEntryBody>>, Problem> {
    let entries = app
        .accounts
        .history(&signed_in.session.ik)
        .await
        .map_err(|e| Problem::at(&e, lang, &app.tenant))?;
    Ok(Json(
        entries
            .into_iter()
            .map(|entry| HistoryEntryBody {
                at: entry.at,
                event: event_kind(entry.event),
                browser: entry.browser.map(|b| b.name().to_string()),
            })
            .collect(),
    ))
}

fn event_kind(event: portal_core::model::AccountEvent) -> AccountEventKind {
    use portal_core::model::AccountEvent as E;
    match event {
        E::Login => AccountEventKind::Login,
        E::LoginFailed => AccountEventKind::LoginFailed,
        E::SecondFactorFailed => AccountEventKind::SecondFactorFailed,
        E::FactorEnrolled => AccountEventKind::FactorEnrolled,
        E::FactorRemoved => AccountEventKind::FactorRemoved,
        E::FactorReset => AccountEventKind::FactorReset,
        E::RecoveryCodeUsed => AccountEventKind::RecoveryCodeUsed,
        E::PasswordChanged => AccountEventKind::PasswordChanged,
        E::PasswordReset => AccountEventKind::PasswordReset,
        E::Blocked => AccountEventKind::Blocked,
        E::BlockedByLink => AccountEventKind::BlockedByLink,
    }
}
