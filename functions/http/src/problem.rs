//! Errors as RFC 9457 problem documents: a stable `code` for programs, a title and detail in the
//! person's language (German by default, English with `Accept-Language: en`).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portal_domain::{Lang, UserFacing};
use portal_wire as wire;
pub use portal_wire::{FieldProblem, ProblemCode};

use portal_core::model::Tenant;

use crate::errors::{ApiError, seconds};
use crate::texts::{Text, catalogue};

/// The language of the person behind a request, from `Accept-Language`.
#[derive(Debug, Clone, Copy)]
pub struct RequestLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for RequestLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(RequestLang(lang_of(&parts.headers)))
    }
}

pub(crate) fn lang_of(headers: &axum::http::HeaderMap) -> Lang {
    let header = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    header.map(Lang::from_accept_language).unwrap_or_default()
}

/// A problem document as the handlers answer it: the wire type, with a response.
#[derive(Debug, Clone)]
pub struct Problem(pub wire::Problem);

impl std::ops::Deref for Problem {
    type Target = wire::Problem;
    fn deref(&self) -> &wire::Problem {
        &self.0
    }
}

impl std::ops::DerefMut for Problem {
    fn deref_mut(&mut self) -> &mut wire::Problem {
        &mut self.0
    }
}

/// What is wrong with one field, in the words of the domain rule that refused it.
pub fn field_problem(field: &str, error: &dyn UserFacing, lang: Lang) -> FieldProblem {
    FieldProblem {
        field: field.to_string(),
        code: code_of(error),
        message: error.message(lang).to_string(),
    }
}

/// The domain's codes are all on the wire; one that is not would be a bug, answered as the
/// generic "the body is not as expected".
fn code_of(error: &dyn UserFacing) -> ProblemCode {
    ProblemCode::parse(error.code()).unwrap_or(ProblemCode::InvalidBody)
}

impl Problem {
    pub fn new(status: StatusCode, code: ProblemCode, title: impl Into<String>) -> Problem {
        Problem(wire::Problem::new(status.as_u16(), code, title))
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Problem {
        self.retry_after_s = Some(seconds);
        self
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Problem {
        self.detail = Some(detail.into());
        self
    }

    /// The one way from an error to its answer, in the person's language. Failures on our side
    /// are logged here (with the request id, from the request's span), never shown.
    pub fn of(error: &dyn ApiError, lang: Lang) -> Problem {
        Problem::said(error, lang, error.text())
    }

    /// Like [`Problem::of`], in the words of the request's insurer: a text that sends the
    /// provider to the provider service names the insurer's, with its contact line.
    pub fn at(error: &dyn ApiError, lang: Lang, tenant: &Tenant) -> Problem {
        Problem::said(error, lang, error.text().at(tenant))
    }

    fn said(error: &dyn ApiError, lang: Lang, text: Text) -> Problem {
        if let Some(cause) = error.cause() {
            tracing::error!(code = error.code().as_str(), error = %portal_core::error_chain(cause), "request failed");
        }
        if let Some((field, rule)) = error.rule() {
            return Problem::invalid_field(field, rule, lang);
        }
        let text = catalogue(lang).text(&text);
        let mut problem = Problem::new(error.status(), error.code(), text.clone());
        if let Some(field) = error.field() {
            problem.errors.push(FieldProblem {
                field: field.into(),
                code: error.code(),
                message: text,
            });
        }
        problem.detail = error.detail();
        if let Some(after) = error.retry_after() {
            problem = problem.with_retry_after(seconds(after));
        }
        problem
    }

    /// 422 for one invalid field: the field's own code and message lead.
    pub fn invalid_field(field: &str, error: &dyn UserFacing, lang: Lang) -> Problem {
        Problem::invalid_fields(vec![field_problem(field, error, lang)], lang)
    }

    /// 422 for several invalid fields; the first one's code leads.
    pub fn invalid_fields(errors: Vec<FieldProblem>, lang: Lang) -> Problem {
        let title = catalogue(lang).text(&Text::InvalidInput);
        let code = errors.first().map_or(ProblemCode::InvalidBody, |e| e.code);
        let mut problem = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, code, title);
        problem.detail = errors.first().map(|e| e.message.clone());
        problem.errors = errors;
        problem
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self.0).unwrap_or_default();
        let content_type = HeaderValue::from_static("application/problem+json");
        let mut response = (status, [(header::CONTENT_TYPE, content_type)], body).into_response();
        if let Some(seconds) = self.retry_after_s {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
