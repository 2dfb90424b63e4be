//! The provider's own machine API clients (its software's registrations): listed, and revoked
//! when a key may be lost or the software is replaced. Registering stays with the back office
//! (`portal clients add`), which checks who asks.

use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use portal_core::model::ClientId;
use portal_wire::ClientBody;

use crate::errors::RequestError;
use crate::session::ActiveProvider;
use crate::{Problem, RequestLang, Tenanted};

/// The provider's machine API clients, the oldest first.
#[utoipa::path(
    get,
    path = "/api/clients",
    tag = "accounts",
    responses(
        (status = 200, description = "The provider's clients", body = Vec<ClientBody>),
        (status = 401, description = "`unauthenticated`, `session_expired`, or `second_factor_required`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`password_change_required`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])),
)]
pub async fn list_clients(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    ActiveProvider(provider): ActiveProvider,
) -> Result<Json<Vec<ClientBody>>, Problem> {
    let clients =
        app.clients.list(Some(&provider.standing.ik)).await.map_err(|e| Problem::of(&e, lang))?;
    Ok(Json(
        clients
            .into_iter()
            .map(|c| ClientBody {
                client_id: c.id.to_string(),
                created_at: c.created_at,
                revoked_at: c.revoked_at,
                keys: c.jwks.kids().map(str::to_string).collect(),
            })
            .collect(),
    ))
}

/// Revokes one of the provider's clients at once: no more tokens, and its tokens stop working.
#[utoipa::path(
    delete,
    path = "/api/clients/{id}",
    tag = "accounts",
    params(("id" = String, Path, description = "The client's id")),
    responses(
        (status = 204, description = "Revoked (or revoked before)"),
        (status = 401, description = "`unauthenticated`, `session_expired`, or `second_factor_required`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`password_change_required`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no client of this provider", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])),
)]
pub async fn revoke_client(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    ActiveProvider(provider): ActiveProvider,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    let not_found = || Problem::of(&RequestError::NotFound, lang);
    let id = ClientId::parse(&id).ok_or_else(not_found)?;
    match app.clients.revoke_own(&provider.standing.ik, &id).await {
        Ok(true) => Ok(StatusCode::NO_CONTENT),
        Ok(false) => Err(not_found()),
        Err(e) => Err(Problem::of(&e, lang)),
    }
}
