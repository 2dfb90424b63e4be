//! Request bodies: JSON only (415 otherwise), at most 16 KiB (413), no unknown fields (422).

use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use portal_domain::Lang;
use serde::de::DeserializeOwned;

use crate::Problem;

pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// A JSON request body; every way it can be wrong is a problem document in the person's language.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, _: &S) -> Result<Self, Problem> {
        let lang = crate::problem::lang_of(request.headers());
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                text(
                    lang,
                    "Bitte senden Sie JSON (Content-Type: application/json).",
                    "Please send JSON (Content-Type: application/json).",
                ),
            ));
        }
        let bytes =
            axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES).await.map_err(|_| {
                Problem::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    text(
                        lang,
                        "Die Anfrage ist zu groß (höchstens 16 KiB).",
                        "The request is too large (16 KiB at most).",
                    ),
                )
            })?;
        serde_json::from_slice(&bytes).map(ApiJson).map_err(|error| body_problem(&error, lang))
    }
}

fn text(lang: Lang, de: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::De => de,
        Lang::En => en,
    }
}

fn body_problem(error: &serde_json::Error, lang: Lang) -> Problem {
    if error.is_syntax() || error.is_eof() {
        return Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            text(lang, "Die Anfrage ist kein gültiges JSON.", "The request is not valid JSON."),
        );
    }
    let message = error.to_string();
    let unknown = message.strip_prefix("unknown field `").and_then(|rest| rest.split('`').next());
    let (code, title) = match unknown {
        Some(_) => (
            "unknown_field",
            text(
                lang,
                "Die Anfrage enthält ein unbekanntes Feld.",
                "The request contains an unknown field.",
            ),
        ),
        None => (
            "invalid_body",
            text(
                lang,
                "Die Anfrage hat nicht die erwartete Form.",
                "The request does not have the expected shape.",
            ),
        ),
    };
    Problem::new(StatusCode::UNPROCESSABLE_ENTITY, code, title).with_detail(message)
}
