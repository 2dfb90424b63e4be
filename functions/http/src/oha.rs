//! `POST /api/exemption-queries`: the Online-Hintergrund-Abfrage for a logged-in provider.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use portal_core::oha::{Answer, QueryError, Question};
use portal_domain::{Consent, Initials, Kvnr, Lang, YearStatus, parse_date};
use serde::{Deserialize, Serialize};
use time::Duration;

use crate::json::ApiJson;
use crate::problem::store_failed;
use crate::session::ActiveProvider;
use crate::{AppState, FieldProblem, Problem, RequestLang};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryBody {
    #[serde(default)]
    kvnr: String,
    #[serde(default)]
    consent: Option<String>,
    #[serde(default)]
    dispensing_date: Option<String>,
}

#[derive(Serialize)]
pub struct AnswerBody {
    query_id: String,
    kvnr: Kvnr,
    found: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    initials: Option<Initials>,
    #[serde(skip_serializing_if = "Option::is_none")]
    years: Option<Vec<YearStatus>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exempt_on_dispensing_date: Option<bool>,
}

impl From<Answer> for AnswerBody {
    fn from(answer: Answer) -> AnswerBody {
        let found = answer.found.is_some();
        let (initials, years, on_day) = match answer.found {
            Some(f) => (Some(f.initials), Some(f.years), f.exempt_on_dispensing_date),
            None => (None, None, None),
        };
        AnswerBody {
            query_id: answer.query_id,
            kvnr: answer.kvnr,
            found,
            initials,
            years,
            exempt_on_dispensing_date: on_day,
        }
    }
}

pub async fn ask(
    State(state): State<AppState>,
    RequestLang(lang): RequestLang,
    ActiveProvider(provider): ActiveProvider,
    ApiJson(body): ApiJson<QueryBody>,
) -> Result<Json<AnswerBody>, Problem> {
    // Every field's problem at once, so the form can mark them all.
    let mut errors = Vec::new();
    let kvnr =
        Kvnr::parse(&body.kvnr).map_err(|e| errors.push(FieldProblem::new("kvnr", &e, lang))).ok();
    let consent = Consent::parse(body.consent.as_deref().unwrap_or(""))
        .map_err(|e| errors.push(FieldProblem::new("consent", &e, lang)))
        .ok();
    let dispensing_date = match body.dispensing_date.as_deref().filter(|d| !d.trim().is_empty()) {
        None => None,
        Some(raw) => match parse_date(raw) {
            Ok(day) => Some(day),
            Err(e) => {
                errors.push(FieldProblem {
                    field: "dispensing_date",
                    code: "invalid_dispensing_date",
                    message: portal_domain::UserFacing::message(&e, lang).to_string(),
                });
                None
            }
        },
    };
    let (Some(kvnr), Some(consent), true) = (kvnr, consent, errors.is_empty()) else {
        return Err(Problem::invalid_fields(errors, lang));
    };
    let question = Question { ik: provider.standing.ik, kvnr, consent, dispensing_date };
    match state.oha.ask(question).await {
        Ok(answer) => Ok(Json(answer.into())),
        Err(QueryError::DispensingDate(e)) => {
            Err(Problem::invalid_field("dispensing_date", &e, lang))
        }
        Err(QueryError::QuotaExceeded { retry_after }) => Err(rate_limited(
            retry_after,
            lang,
            &format!(
                "Das Tageskontingent von {} Abfragen ist erreicht. Ab Mitternacht sind wieder Abfragen möglich.",
                state.oha.settings.quota_per_day
            ),
            &format!(
                "The daily quota of {} queries is used up. Queries are possible again from midnight.",
                state.oha.settings.quota_per_day
            ),
        )),
        Err(QueryError::TooFast { retry_after }) => Err(rate_limited(
            retry_after,
            lang,
            "Zu viele Abfragen in kurzer Zeit. Bitte warten Sie einen Moment.",
            "Too many queries in a short time. Please wait a moment.",
        )),
        Err(QueryError::AuditUnavailable(error)) => {
            tracing::error!(error = %portal_core::error_chain(&error), "audit log unavailable, no status given");
            let title = match lang {
                Lang::De => {
                    "Die Abfrage konnte nicht protokolliert werden. Ohne Protokoll zeigen wir kein Ergebnis; bitte versuchen Sie es in einigen Minuten erneut."
                }
                Lang::En => {
                    "The query could not be recorded. Without a record we show no result; please try again in a few minutes."
                }
            };
            Err(Problem::new(StatusCode::SERVICE_UNAVAILABLE, "audit_unavailable", title))
        }
        Err(QueryError::Store(error)) => Err(store_failed(&error, lang)),
    }
}

fn rate_limited(retry_after: Duration, lang: Lang, de: &str, en: &str) -> Problem {
    let title = match lang {
        Lang::De => de,
        Lang::En => en,
    };
    Problem::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", title)
        .with_retry_after(retry_after.whole_seconds().max(1) as u64)
}
