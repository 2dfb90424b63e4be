//! The back office's own login and figures (`/api/backoffice/…`): a role of its own with a
//! cookie of its own (`__Host-backoffice`). A provider's session is not one, nor the reverse:
//! each route reads its own cookie only.

use axum::Json;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use portal_core::accounts::SessionError;
use portal_core::backoffice::{BackofficeFigures, ProviderShare};
use portal_core::model::BackofficeSession;
use portal_domain::{Lang, UserFacing, german_date};
use portal_wire::{
    AnomalyBody, AuditCheckBody, BackofficeDayBody, BackofficeFiguresBody, BackofficeLoginBody,
    BackofficeSessionBody, ProviderShareBody,
};
use serde::Deserialize;
use time::{Date, Duration, OffsetDateTime};

use crate::client::Client;
use crate::errors::RequestError;
use crate::json::ApiJson;
use crate::problem::field_problem;
use crate::texts::{Text, catalogue};
use crate::{AppState, Problem, ProblemCode, RequestLang, Tenanted};

/// `__Host-`: only set by this origin over HTTPS, for all paths, never for a parent domain.
pub const BACKOFFICE_COOKIE: &str = "__Host-backoffice";

/// At most this many days in one answer.
const MAX_DAYS: i64 = 92;

fn backoffice_cookie(id: &str) -> HeaderValue {
    let cookie = format!("{BACKOFFICE_COOKIE}={id}; Path=/; Secure; HttpOnly; SameSite=Strict");
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn cleared_backoffice_cookie() -> HeaderValue {
    HeaderValue::from_static(
        "__Host-backoffice=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0",
    )
}

/// The back-office session id from the `Cookie` header (never the provider's cookie).
fn backoffice_session_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| {
            pair.trim().strip_prefix(BACKOFFICE_COOKIE)?.strip_prefix('=').map(str::to_string)
        })
        .filter(|id| !id.is_empty())
}

/// A logged-in back-office user of the request's tenant; 401 otherwise.
pub struct BackofficeSignedIn(pub BackofficeSession);

impl FromRequestParts<AppState> for BackofficeSignedIn {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let lang = crate::problem::lang_of(&parts.headers);
        let Tenanted(app) = Tenanted::from_request_parts(parts, state).await?;
        let id = backoffice_session_id(&parts.headers)
            .ok_or_else(|| Problem::of(&SessionError::Missing, lang))?;
        let session = app.backoffice.authenticate(&id).await.map_err(|e| Problem::of(&e, lang))?;
        Ok(BackofficeSignedIn(session))
    }
}

fn session_body(app: &portal_core::UseCases, session: &BackofficeSession) -> BackofficeSessionBody {
    BackofficeSessionBody {
        name: session.name.to_string(),
        idle_timeout_s: app.backoffice.policy.session_idle.whole_seconds(),
    }
}

/// Logs a back-office user in (name and password from `portal backoffice add`). Failures are
/// counted per client and hour like providers' (then 429), and in the day's figures.
#[utoipa::path(
    post,
    path = "/api/backoffice/session",
    tag = "backoffice",
    request_body = BackofficeLoginBody,
    responses(
        (status = 200, description = "Logged in to the back office", body = BackofficeSessionBody, headers(("Set-Cookie" = String, description = "`__Host-backoffice=…; Path=/; Secure; HttpOnly; SameSite=Strict`"))),
        (status = 400, description = "`invalid_json`: the body is not JSON", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 401, description = "`invalid_credentials` (also for an unknown name)", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 408, description = "`request_timeout`: the body did not arrive in time", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: more than 16 KiB", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: not `application/json`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_body`, `unknown_field`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 429, description = "`too_many_attempts`: too many failures from this client in this hour", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the store is unreachable", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn backoffice_login(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    Client(client): Client,
    ApiJson(body): ApiJson<BackofficeLoginBody>,
) -> Result<Response, Problem> {
    let id = app
        .backoffice
        .login(&body.name, &body.password, client)
        .await
        .map_err(|e| Problem::of(&e, lang))?;
    let session = app.backoffice.authenticate(&id).await.map_err(|e| Problem::of(&e, lang))?;
    let mut response = Json(session_body(&app, &session)).into_response();
    response.headers_mut().insert(header::SET_COOKIE, backoffice_cookie(&id));
    Ok(response)
}

/// The logged-in back-office user; each request extends the session.
#[utoipa::path(
    get,
    path = "/api/backoffice/session",
    tag = "backoffice",
    security(("backoffice" = [])),
    responses(
        (status = 200, description = "Logged in", body = BackofficeSessionBody),
        (status = 401, description = "`unauthenticated` or `session_expired`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the store is unreachable", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn backoffice_current_session(
    Tenanted(app): Tenanted,
    BackofficeSignedIn(session): BackofficeSignedIn,
) -> Json<BackofficeSessionBody> {
    Json(session_body(&app, &session))
}

/// Logs the back-office user out: the session ends on the server and the cookie is cleared.
#[utoipa::path(
    delete,
    path = "/api/backoffice/session",
    tag = "backoffice",
    security((), ("backoffice" = [])),
    responses(
        (status = 204, description = "Logged out", headers(("Set-Cookie" = String, description = "clears `__Host-backoffice`"))),
        (status = 503, description = "`unavailable`: the store is unreachable", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn backoffice_logout(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    if let Some(id) = backoffice_session_id(&headers) {
        app.backoffice.logout(&id).await.map_err(|e| Problem::of(&e, lang))?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, cleared_backoffice_cookie());
    Ok(response)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BackofficeFiguresParams {
    /// The first day, `YYYY-MM-DD`; by default 13 days before `to`.
    #[param(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", example = "2026-11-01")]
    from: Option<String>,
    /// The last day, `YYYY-MM-DD`; by default today (so far).
    #[param(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", example = "2026-11-30")]
    to: Option<String>,
}

/// Not a day, or a range the wrong way round or too long.
struct DayError;

impl UserFacing for DayError {
    fn code(&self) -> &'static str {
        "invalid_date"
    }
    fn message(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::De => {
                "Bitte geben Sie Tage als JJJJ-MM-TT an; der erste vor dem letzten, höchstens 92 Tage."
            }
            Lang::En => {
                "Please give days as YYYY-MM-DD, the first before the last, at most 92 days."
            }
        }
    }
}

fn bad_day(field: &str, lang: Lang) -> Problem {
    let mut problem = Problem::new(
        StatusCode::BAD_REQUEST,
        ProblemCode::InvalidDate,
        catalogue(lang).text(&Text::InvalidInput),
    );
    problem.detail = Some(DayError.message(lang).to_string());
    problem.errors.push(field_problem(field, &DayError, lang));
    problem
}

fn days_asked(uri: &Uri, today: Date, lang: Lang) -> Result<(Date, Date), Problem> {
    let Query(params) = Query::<BackofficeFiguresParams>::try_from_uri(uri)
        .map_err(|e| Problem::of(&RequestError::UnexpectedShape(e.body_text()), lang))?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = |text: &Option<String>, field: &str| {
        text.as_deref()
            .map(|t| Date::parse(t, format))
            .transpose()
            .map_err(|_| bad_day(field, lang))
    };
    let to = day(&params.to, "to")?.unwrap_or(today);
    let from = day(&params.from, "from")?.unwrap_or(to - Duration::days(13));
    if from > to || to - from >= Duration::days(MAX_DAYS) {
        return Err(bad_day("from", lang));
    }
    Ok((from, to))
}

fn share_body(share: &ProviderShare) -> ProviderShareBody {
    ProviderShareBody {
        ik: share.ik.to_string(),
        queries: share.queries,
        share_of_quota: share.share_of_quota,
    }
}

fn figures_body(from: Date, to: Date, figures: BackofficeFigures) -> BackofficeFiguresBody {
    BackofficeFiguresBody {
        from: from.to_string(),
        to: to.to_string(),
        days: figures
            .days
            .iter()
            .map(|d| {
                let f = &d.figures;
                BackofficeDayBody {
                    day: f.day.to_string(),
                    queries_answered: f.queries_answered,
                    queries_exempt: f.queries_exempt,
                    queries_not_found: f.queries_not_found,
                    queries_night: f.queries_night,
                    providers_active: f.providers_active,
                    providers_registered: f.providers_registered,
                    median_hours_to_letters: f.median_hours_to_letters,
                    reports_sent: f.reports_sent,
                    reports_delivered: f.reports_delivered,
                    refused_unavailable: f.refused_unavailable,
                    login_failures: f.login_failures,
                    blocks: f.blocks,
                    backoffice_login_failures: f.backoffice_failures,
                    top_providers: d.top.iter().map(share_body).collect(),
                    close_to_quota: d.close_to_quota.iter().map(share_body).collect(),
                }
            })
            .collect(),
        letters_pending: figures.letters_pending as u64,
        audit_check: figures.audit_check.map(|c| AuditCheckBody {
            checked_at: OffsetDateTime::from_unix_timestamp(c.checked_at)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH),
            chains: c.chains,
            records: c.records,
            problems: c.problems,
        }),
        anomalies: figures
            .anomalies
            .iter()
            .map(|a| AnomalyBody {
                day: a.day.to_string(),
                ik: a.ik.to_string(),
                rule: a.rule.as_str().to_string(),
                detail: a.detail.clone(),
            })
            .collect(),
    }
}

/// The back office's figures per day: queries, top providers with their share of the quota,
/// those close to it, failed logins and blocks, letters waiting, the last audit check, and the
/// anomalies. Read from the daily roll-ups, never the audit log itself.
#[utoipa::path(
    get,
    path = "/api/backoffice/figures",
    tag = "backoffice",
    security(("backoffice" = [])),
    params(BackofficeFiguresParams),
    responses(
        (status = 200, description = "The days asked for, oldest first", body = BackofficeFiguresBody),
        (status = 400, description = "`invalid_date`: `from` or `to` is not a day (YYYY-MM-DD), or the range is wrong or longer than 92 days", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated` or `session_expired`: no back-office session (a provider's is none)", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_body`: the query string cannot be read", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn backoffice_figures(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    _signed_in: BackofficeSignedIn,
    uri: Uri,
) -> Result<Json<BackofficeFiguresBody>, Problem> {
    let today = german_date(app.figures.clock.now());
    let (from, to) = days_asked(&uri, today, lang)?;
    let figures = app.backoffice.figures(from, to).await.map_err(|e| Problem::of(&e, lang))?;
    Ok(Json(figures_body(from, to, figures)))
}
