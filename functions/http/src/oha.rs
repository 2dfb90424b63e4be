//! `POST /api/exemption-queries`: the Online-Hintergrund-Abfrage for a logged-in provider.

use axum::Json;
use portal_core::model::{Channel, Service};
use portal_core::oha::{Answer, Question};
use portal_domain::{Consent, Kvnr, YearStatus, parse_date};
use portal_wire::{AnswerBody, QueryBody, YearBody};

use crate::errors::RequestError;
use crate::json::ApiJson;
use crate::problem::field_problem;
use crate::session::ActiveProvider;
use crate::{FieldProblem, Problem, ProblemCode, RequestLang, Tenanted};

fn answer_body(answer: Answer) -> AnswerBody {
    let found = answer.found.is_some();
    let (initials, years, on_day) = match answer.found {
        Some(f) => (Some(f.initials.to_string()), Some(f.years), f.exempt_on_dispensing_date),
        None => (None, None, None),
    };
    AnswerBody {
        query_id: answer.query_id.to_string(),
        kvnr: answer.kvnr.to_string(),
        found,
        initials,
        years: years.map(|years| years.into_iter().map(year_body).collect()),
        exempt_on_dispensing_date: on_day,
        proof: answer.proof,
    }
}

fn year_body(year: YearStatus) -> YearBody {
    YearBody {
        year: year.year,
        exempt: year.exempt(),
        valid_from: year.validity.map(|v| v.from),
        valid_to: year.validity.map(|v| v.to),
    }
}

/// Is this patient exempt from co-payments? The answer leaves only once it is recorded, with the
/// declared consent, in the provider's audit chain, and carries the signed proof of it.
#[utoipa::path(
    post,
    path = "/api/exemption-queries",
    tag = "oha",
    security(("session" = [])),
    request_body = QueryBody,
    responses(
        (status = 200, description = "The answer, recorded", body = AnswerBody),
        (status = 400, description = "`invalid_json`: the body is not JSON", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`service_not_offered`: this insurer does not offer the query here", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 408, description = "`request_timeout`: the body did not arrive in time", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: more than 16 KiB", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: not `application/json`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`, or `session_expired`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`password_change_required`: set an own password first", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_kvnr`, `consent_required`, `invalid_dispensing_date`, `invalid_body`, `unknown_field`; every field at fault in `errors`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: the minute's burst or the day's quota is used up", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`audit_unavailable` (no status without a record), or `unavailable` (also: the proof could not be signed)", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn ask(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    ActiveProvider(provider): ActiveProvider,
    client: crate::Client,
    ApiJson(body): ApiJson<QueryBody>,
) -> Result<Json<AnswerBody>, Problem> {
    if !app.tenant.offers(Service::Oha) {
        return Err(Problem::of(&RequestError::ServiceNotOffered, lang));
    }
    // Every field's problem at once, so the form can mark them all.
    let mut errors = Vec::new();
    let kvnr =
        Kvnr::parse(&body.kvnr).map_err(|e| errors.push(field_problem("kvnr", &e, lang))).ok();
    let consent = Consent::parse(body.consent.as_deref().unwrap_or(""))
        .map_err(|e| errors.push(field_problem("consent", &e, lang)))
        .ok();
    let dispensing_date = match body.dispensing_date.as_deref().filter(|d| !d.trim().is_empty()) {
        None => None,
        Some(raw) => match parse_date(raw) {
            Ok(day) => Some(day),
            Err(e) => {
                // The date's own rule says `invalid_date`; for this field it is the day of
                // dispensing that is wrong.
                let message = portal_domain::UserFacing::message(&e, lang).to_string();
                let code = ProblemCode::InvalidDispensingDate;
                errors.push(FieldProblem { field: "dispensing_date".into(), code, message });
                None
            }
        },
    };
    let (Some(kvnr), Some(consent), true) = (kvnr, consent, errors.is_empty()) else {
        return Err(Problem::invalid_fields(errors, lang));
    };
    let channel = Channel::Web;
    let ik = provider.standing.ik;
    let question = Question { ik, kvnr, consent, dispensing_date, channel, client: client.0 };
    let answer = match app.oha.ask(question).await {
        Ok(answer) => answer,
        Err(e) => {
            if e.is_unavailable() {
                app.figures.note_refused().await;
            }
            return Err(Problem::of(&e, lang));
        }
    };
    Ok(Json(answer_body(answer)))
}
