//! Request bodies: JSON only (415 otherwise), at most 16 KiB (a therapy report 128 KiB) (413),
//! no unknown fields (422).

use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

use crate::Problem;
use crate::errors::RequestError;

pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// A therapy report: seven free texts of up to 4,000 characters each, in UTF-8 and JSON.
pub const REPORT_BODY_BYTES: usize = 128 * 1024;

/// How long a client may take to send a body: 16 KiB take far less on any line; a client that
/// stalls would otherwise hold its connection and a task.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A JSON request body; every way it can be wrong is a problem document in the person's language.
/// At most `LIMIT` bytes.
pub struct ApiJson<T, const LIMIT: usize = MAX_BODY_BYTES>(pub T);

impl<S: Send + Sync, T: DeserializeOwned, const LIMIT: usize> FromRequest<S> for ApiJson<T, LIMIT> {
    type Rejection = Problem;

    async fn from_request(request: Request, _: &S) -> Result<Self, Problem> {
        let lang = crate::problem::lang_of(request.headers());
        read(request, LIMIT).await.map(ApiJson).map_err(|error| Problem::of(&error, lang))
    }
}

async fn read<T: DeserializeOwned>(request: Request, limit: usize) -> Result<T, RequestError> {
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(RequestError::UnsupportedMediaType);
    }
    let reading = axum::body::to_bytes(request.into_body(), limit);
    let bytes = tokio::time::timeout(BODY_TIMEOUT, reading)
        .await
        .map_err(|_| RequestError::TooSlow)?
        .map_err(|_| RequestError::TooLarge)?;
    // serde reads a JSON array into a struct's fields by position; the API's bodies are
    // objects with named fields, and nothing else is accepted.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|b| *b != b'{') {
        let parses = serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok();
        return Err(if parses { RequestError::NotAnObject } else { RequestError::NotJson });
    }
    serde_json::from_slice(&bytes).map_err(|error| {
        if error.is_syntax() || error.is_eof() {
            return RequestError::NotJson;
        }
        let detail = public_detail(&error.to_string());
        if detail.starts_with("unknown field `") {
            RequestError::UnknownField(detail)
        } else {
            RequestError::UnexpectedShape(detail)
        }
    })
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
