//! Request bodies: JSON only (415 otherwise), at most 16 KiB (413), no unknown fields (422).

use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use portal_domain::Lang;
use serde::de::DeserializeOwned;

use crate::{Problem, ProblemCode};

pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// How long a client may take to send a body: 16 KiB take far less on any line; a client that
/// stalls would otherwise hold its connection and a task.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

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
                ProblemCode::UnsupportedMediaType,
                text(
                    lang,
                    "Bitte senden Sie JSON (Content-Type: application/json).",
                    "Please send JSON (Content-Type: application/json).",
                ),
            ));
        }
        let reading = axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES);
        let Ok(read) = tokio::time::timeout(BODY_TIMEOUT, reading).await else {
            return Err(Problem::new(
                StatusCode::REQUEST_TIMEOUT,
                ProblemCode::RequestTimeout,
                text(
                    lang,
                    "Die Anfrage kam nicht rechtzeitig vollständig an.",
                    "The request did not arrive completely in time.",
                ),
            ));
        };
        let bytes = read.map_err(|_| {
            Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ProblemCode::PayloadTooLarge,
                text(
                    lang,
                    "Die Anfrage ist zu groß (höchstens 16 KiB).",
                    "The request is too large (16 KiB at most).",
                ),
            )
        })?;
        // serde reads a JSON array into a struct's fields by position; the API's bodies are
        // objects with named fields, and nothing else is accepted.
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first.is_some_and(|b| *b != b'{') {
            let parses = serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok();
            return Err(if parses { not_an_object(lang) } else { invalid_json(lang) });
        }
        serde_json::from_slice(&bytes).map(ApiJson).map_err(|error| body_problem(&error, lang))
    }
}

fn invalid_json(lang: Lang) -> Problem {
    Problem::new(
        StatusCode::BAD_REQUEST,
        ProblemCode::InvalidJson,
        text(lang, "Die Anfrage ist kein gültiges JSON.", "The request is not valid JSON."),
    )
}

fn not_an_object(lang: Lang) -> Problem {
    Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        ProblemCode::InvalidBody,
        text(
            lang,
            "Die Anfrage muss ein JSON-Objekt mit benannten Feldern sein.",
            "The request must be a JSON object with named fields.",
        ),
    )
}

/// serde's message without the names of our Rust types ("expected struct QueryBody"): they mean
/// nothing to a caller and tell an attacker about the code.
fn public_detail(message: &str) -> String {
    let mut detail = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find("struct ") {
        detail.push_str(&rest[..at]);
        let after = &rest[at + "struct ".len()..];
        let name_len =
            after.find(|c: char| !c.is_alphanumeric() && c != '_').unwrap_or(after.len());
        detail.push_str("a JSON object");
        rest = &after[name_len..];
    }
    detail.push_str(rest);
    detail
}

fn text(lang: Lang, de: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::De => de,
        Lang::En => en,
    }
}

fn body_problem(error: &serde_json::Error, lang: Lang) -> Problem {
    if error.is_syntax() || error.is_eof() {
        return invalid_json(lang);
    }
    let message = error.to_string();
    let unknown = message.strip_prefix("unknown field `").and_then(|rest| rest.split('`').next());
    let (code, title) = match unknown {
        Some(_) => (
            ProblemCode::UnknownField,
            text(
                lang,
                "Die Anfrage enthält ein unbekanntes Feld.",
                "The request contains an unknown field.",
            ),
        ),
        None => (
            ProblemCode::InvalidBody,
            text(
                lang,
                "Die Anfrage hat nicht die erwartete Form.",
                "The request does not have the expected shape.",
            ),
        ),
    };
    Problem::new(StatusCode::UNPROCESSABLE_ENTITY, code, title).with_detail(public_detail(&message))
}
