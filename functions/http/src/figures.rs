//! The portal's public service figures per month (`GET /api/service-figures`, and as CSV), read
//! from the daily roll-ups only. Counts below 10, and shares computed from them, are masked.

use axum::Json;
use axum::extract::Query;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use portal_core::figures::{MIN_SHOWN, Month, MonthFigures};
use portal_domain::{Lang, UserFacing, german_date};
use portal_wire::{Masked, MaskedShare, MaskedText, MonthFiguresBody, ServiceFiguresBody};
use serde::Deserialize;

use crate::errors::RequestError;
use crate::problem::field_problem;
use crate::texts::{Text, catalogue};
use crate::{Problem, ProblemCode, RequestLang, Tenanted};

/// At most this many months in one answer (five years).
const MAX_MONTHS: u32 = 60;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FiguresParams {
    /// The first month, `YYYY-MM`; by default eleven months before `to`.
    #[param(pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$", example = "2026-01")]
    from: Option<String>,
    /// The last month, `YYYY-MM`; by default the current one (so far).
    #[param(pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$", example = "2026-12")]
    to: Option<String>,
}

/// 400 naming the field at fault.
fn bad_month(field: &str, error: &dyn UserFacing, lang: Lang) -> Problem {
    let mut problem = Problem::new(
        StatusCode::BAD_REQUEST,
        ProblemCode::InvalidDate,
        catalogue(lang).text(&Text::InvalidInput),
    );
    problem.detail = Some(error.message(lang).to_string());
    problem.errors.push(field_problem(field, error, lang));
    problem
}

/// The months asked for, checked.
fn months_asked(uri: &Uri, now: Month, lang: Lang) -> Result<(Month, Month), Problem> {
    let Query(params) = Query::<FiguresParams>::try_from_uri(uri)
        .map_err(|e| Problem::of(&RequestError::UnexpectedShape(e.body_text()), lang))?;
    let month = |text: &Option<String>, field: &str| {
        text.as_deref().map(Month::parse).transpose().map_err(|e| bad_month(field, &e, lang))
    };
    let to = month(&params.to, "to")?.unwrap_or(now);
    let from = month(&params.from, "from")?.unwrap_or(to.back(11));
    if from > to || from < to.back(MAX_MONTHS - 1) {
        return Err(bad_month("from", &RangeError, lang));
    }
    Ok((from, to))
}

/// `from` after `to`, or too many months.
struct RangeError;

impl UserFacing for RangeError {
    fn code(&self) -> &'static str {
        "invalid_date"
    }
    fn message(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::De => "Der erste Monat muss vor dem letzten liegen, höchstens 60 Monate davor.",
            Lang::En => "The first month must come before the last, at most 60 months before it.",
        }
    }
}

fn masked(count: u64) -> Masked {
    Masked::of(count, MIN_SHOWN)
}

/// A month as published: small counts masked, and the share of exempt answers too when either
/// side of it is small (it would tell the small count).
pub fn month_body(month: &MonthFigures) -> MonthFiguresBody {
    let (answered, exempt) = (month.queries_answered, month.queries_exempt);
    let share_exempt = if exempt < MIN_SHOWN || answered - exempt.min(answered) < MIN_SHOWN {
        MaskedShare::Small(MaskedText)
    } else {
        MaskedShare::Share(exempt as f64 / answered as f64)
    };
    MonthFiguresBody {
        month: month.month.to_string(),
        queries_answered: masked(answered),
        share_exempt,
        providers_registered: month.providers_registered.map(masked),
        providers_active: masked(month.providers_active),
        median_hours_to_letters: month.median_hours_to_letters,
        reports_sent: month.reports_sent.map(masked),
        reports_delivered: month.reports_delivered.map(masked),
        availability: month.availability,
    }
}

async fn figures_of(
    app: &portal_core::UseCases,
    uri: &Uri,
    lang: Lang,
) -> Result<ServiceFiguresBody, Problem> {
    let now = Month::of(german_date(app.figures.clock.now()));
    let (from, to) = months_asked(uri, now, lang)?;
    let months = app.figures.months(from, to).await.map_err(|e| Problem::of(&e, lang))?;
    Ok(ServiceFiguresBody { months: months.iter().map(month_body).collect() })
}

/// The portal's figures per month, from its own records: queries answered and the share
/// exempt, providers registered and active, eTherapieberichte sent and delivered. Public;
/// counts below 10 are the string `"< 10"`, figures the portal does not record are `null`.
#[utoipa::path(
    get,
    path = "/api/service-figures",
    tag = "figures",
    params(FiguresParams),
    responses(
        (status = 200, description = "The months asked for, oldest first", body = ServiceFiguresBody),
        (status = 400, description = "`invalid_date`: `from` or `to` is not a month (YYYY-MM), or `from` is after `to` or more than 60 months before it; `errors` names the field", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_body`: the query string cannot be read", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn service_figures(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    uri: Uri,
) -> Result<Json<ServiceFiguresBody>, Problem> {
    Ok(Json(figures_of(&app, &uri, lang).await?))
}

/// The same figures as CSV (`;`-separated, as German spreadsheets read it), one line per month.
#[utoipa::path(
    get,
    path = "/api/service-figures.csv",
    tag = "figures",
    params(FiguresParams),
    responses(
        (status = 200, description = "One line per month: month;queries_answered;share_exempt;providers_registered;providers_active;median_hours_to_letters;reports_sent;reports_delivered;availability (empty: not recorded)", content_type = "text/csv", body = String),
        (status = 400, description = "`invalid_date`: `from` or `to` is not a month, or the range is wrong", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_body`: the query string cannot be read", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn service_figures_csv(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    uri: Uri,
) -> Result<Response, Problem> {
    let body = figures_of(&app, &uri, lang).await?;
    let mut csv = String::from(
        "month;queries_answered;share_exempt;providers_registered;providers_active;median_hours_to_letters;reports_sent;reports_delivered;availability\n",
    );
    let count = |m: Option<Masked>| match m {
        Some(Masked::Count(n)) => n.to_string(),
        Some(Masked::Small(_)) => portal_wire::SMALL.to_string(),
        None => String::new(),
    };
    let number = |n: Option<f64>| n.map(|n| format!("{n:.4}")).unwrap_or_default();
    for m in &body.months {
        let share = match m.share_exempt {
            MaskedShare::Share(share) => format!("{share:.4}"),
            MaskedShare::Small(_) => portal_wire::SMALL.to_string(),
        };
        csv += &format!(
            "{};{};{};{};{};{};{};{};{}\n",
            m.month,
            count(Some(m.queries_answered)),
            share,
            count(m.providers_registered),
            count(Some(m.providers_active)),
            number(m.median_hours_to_letters),
            count(m.reports_sent),
            count(m.reports_delivered),
            number(m.availability),
        );
    }
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
        (
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment; filename=\"servicezahlen.csv\""),
        ),
    ];
    Ok((headers, csv).into_response())
}
