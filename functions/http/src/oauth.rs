//! The machine API's token endpoint (OAuth2 client credentials with a `private_key_jwt`
//! assertion, RFC 7523, as SMART Backend Services uses it) and the public keys its tokens are
//! checked with.

use axum::Json;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portal_core::clients::{TokenError, TokenRequest};
use serde_json::{Value, json};

use crate::Tenanted;
use crate::fhir::form;

/// An OAuth2 error answer (RFC 6749 §5.2): the code only, never which check failed.
fn oauth_error(status: StatusCode, code: &str) -> Response {
    (status, Json(json!({ "error": code }))).into_response()
}

/// A token for a client of the machine API.
#[utoipa::path(post, path = "/oauth/token", tag = "fhir",
    request_body(content = crate::oauth::TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "`{access_token, token_type: bearer, expires_in: 300, scope}`", content_type = "application/json", body = Object),
        (status = 400, description = "`{\"error\": \"invalid_client\"}`: not a client-credentials request with a JWT assertion", content_type = "application/json", body = Object),
        (status = 401, description = "`{\"error\": \"invalid_client\"}`: the assertion does not prove the client (which check failed is not said)", content_type = "application/json", body = Object),
        (status = 503, description = "`{\"error\": \"temporarily_unavailable\"}`", content_type = "application/json", body = Object),
    ),
)]
pub async fn token(Tenanted(app): Tenanted, request: Request) -> Response {
    let Ok(pairs) = form(request).await else {
        tracing::debug!("token request refused: not a form of at most 16 KiB");
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_client");
    };
    let get = |name: &str| pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let request = TokenRequest {
        grant_type: get("grant_type"),
        client_assertion_type: get("client_assertion_type"),
        client_assertion: get("client_assertion"),
        scope: get("scope"),
    };
    match app.clients.issue(&request).await {
        Ok(issued) => Json(json!({
            "access_token": issued.access_token,
            "token_type": "bearer",
            "expires_in": issued.expires_in,
            "scope": issued.scope,
        }))
        .into_response(),
        Err(TokenError::Malformed(_)) => oauth_error(StatusCode::BAD_REQUEST, "invalid_client"),
        Err(TokenError::Refused(_)) => oauth_error(StatusCode::UNAUTHORIZED, "invalid_client"),
        Err(TokenError::NoSigner) => {
            tracing::error!("a token was asked for, but no token key is configured");
            oauth_error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable")
        }
        Err(TokenError::Store(error)) => {
            tracing::error!(error = %portal_core::error_chain(&error), "token request failed");
            oauth_error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable")
        }
    }
}

/// The token request's form, for the OpenAPI document.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct TokenForm {
    /// `client_credentials`
    grant_type: String,
    /// `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`
    client_assertion_type: String,
    /// The JWT (RS384, ES384, ES256 or RS256; `iss` = `sub` = client id, `aud` = this URL, `exp`
    /// at most 5 minutes ahead, a new `jti`)
    client_assertion: String,
    /// `system/Coverage.rs`
    scope: String,
}

/// The portal's public keys: those its access tokens are signed with, then those the proofs of
/// answered queries are signed with (each by its `kid`).
#[utoipa::path(get, path = "/oauth/jwks.json", tag = "fhir", responses(
    (status = 200, description = "A JWKS: the access tokens' keys and the proofs' keys", content_type = "application/json", body = Object),
))]
pub async fn jwks(Tenanted(app): Tenanted) -> Json<Value> {
    let mut keys = app.clients.public_keys();
    keys.keys.extend(app.proofs.public_keys().keys);
    Json(serde_json::to_value(keys).unwrap_or_else(|_| json!({"keys": []})))
}

/// Unknown `/oauth` paths.
pub async fn not_found() -> Response {
    oauth_error(StatusCode::NOT_FOUND, "not_found")
}
