//! Errors as RFC 9457 problem documents: a stable `code` for programs, a title and detail in the
//! person's language (German by default, English with `Accept-Language: en`).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portal_domain::{Lang, UserFacing};
use serde::Serialize;

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

#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub code: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// With 423 and 429: seconds until trying again makes sense (also sent as `Retry-After`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_s: Option<u64>,
}

/// What is wrong with one field of the request.
#[derive(Debug, Clone, Serialize)]
pub struct FieldProblem {
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
}

impl FieldProblem {
    pub fn new(field: &'static str, error: &dyn UserFacing, lang: Lang) -> FieldProblem {
        FieldProblem { field, code: error.code(), message: error.message(lang).to_string() }
    }
}

impl Problem {
    pub fn new(status: StatusCode, code: &'static str, title: impl Into<String>) -> Problem {
        Problem {
            kind: format!("/api/problems/{code}"),
            title: title.into(),
            status: status.as_u16(),
            detail: None,
            code,
            errors: Vec::new(),
            retry_after_s: None,
        }
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Problem {
        self.retry_after_s = Some(seconds);
        self
    }

    /// 503: the store (or another part) is unreachable; nothing was changed.
    pub fn unavailable(lang: Lang) -> Problem {
        let title = match lang {
            Lang::De => {
                "Der Dienst ist vorübergehend nicht erreichbar. Bitte versuchen Sie es in einigen Minuten erneut."
            }
            Lang::En => {
                "The service is temporarily unavailable. Please try again in a few minutes."
            }
        };
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", title)
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Problem {
        self.detail = Some(detail.into());
        self
    }

    /// 422 for one invalid field: the field's own code and message lead.
    pub fn invalid_field(field: &'static str, error: &dyn UserFacing, lang: Lang) -> Problem {
        let title = match lang {
            Lang::De => "Die Eingabe ist unvollständig oder fehlerhaft.",
            Lang::En => "The input is incomplete or invalid.",
        };
        let mut problem = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, error.code(), title)
            .with_detail(error.message(lang));
        problem.errors.push(FieldProblem::new(field, error, lang));
        problem
    }

    /// 422 for several invalid fields; the first one's code leads.
    pub fn invalid_fields(errors: Vec<FieldProblem>, lang: Lang) -> Problem {
        let title = match lang {
            Lang::De => "Die Eingabe ist unvollständig oder fehlerhaft.",
            Lang::En => "The input is incomplete or invalid.",
        };
        let code = errors.first().map_or("invalid_body", |e| e.code);
        let mut problem = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, code, title);
        problem.detail = errors.first().map(|e| e.message.clone());
        problem.errors = errors;
        problem
    }

    pub fn not_found(lang: Lang) -> Problem {
        let title = match lang {
            Lang::De => "Diese Adresse gibt es nicht.",
            Lang::En => "There is nothing at this address.",
        };
        Problem::new(StatusCode::NOT_FOUND, "not_found", title)
    }

    pub fn method_not_allowed(lang: Lang) -> Problem {
        let title = match lang {
            Lang::De => "Diese Adresse kann so nicht aufgerufen werden.",
            Lang::En => "This address cannot be called this way.",
        };
        Problem::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", title)
    }

    /// 500 without internals: what went wrong is in the log under the request id.
    pub fn internal(lang: Lang) -> Problem {
        let title = match lang {
            Lang::De => {
                "Ein technischer Fehler ist aufgetreten. Bitte versuchen Sie es später erneut."
            }
            Lang::En => "A technical error occurred. Please try again later.",
        };
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", title)
    }
}

/// Logged with the request id; the person gets a 503 without internals.
pub(crate) fn store_failed(error: &portal_core::StoreError, lang: Lang) -> Problem {
    tracing::error!(error = %portal_core::error_chain(error), "store failed");
    Problem::unavailable(lang)
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let content_type = HeaderValue::from_static("application/problem+json");
        let mut response = (status, [(header::CONTENT_TYPE, content_type)], body).into_response();
        if let Some(seconds) = self.retry_after_s {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
