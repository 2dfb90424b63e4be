//! The eTherapiebericht over HTTP: so far, the physician search of the report form.

use axum::Json;
use axum::extract::Query;
use axum::http::Uri;
use portal_core::model::Service;
use portal_wire::PhysicianBody;
use serde::Deserialize;

use crate::errors::RequestError;
use crate::session::ActiveProvider;
use crate::{Problem, RequestLang, Tenanted};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// At least two letters of a word of the name, a LANR or BSNR (9 digits), or a postcode.
    #[serde(default)]
    q: String,
}

/// The physicians a report can go to, found by name, LANR, BSNR or postcode (at most 20, by
/// name). For Heilmittel practices only.
#[utoipa::path(
    get,
    path = "/api/physicians",
    tag = "etherapiebericht",
    params(SearchParams),
    responses(
        (status = 200, description = "The physicians found, by name", body = Vec<PhysicianBody>),
        (status = 401, description = "`unauthenticated`, or `session_expired`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`password_change_required`, or `heilmittel_only`: the provider is not a Heilmittel practice", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`service_not_offered`: this insurer does not offer the eTherapiebericht", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`query_too_short`, or `invalid_body`: the query string cannot be read", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
    security(("session" = [])),
)]
pub async fn physicians(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    ActiveProvider(provider): ActiveProvider,
    uri: Uri,
) -> Result<Json<Vec<PhysicianBody>>, Problem> {
    // Read here rather than by the extractor, whose refusal would not be a problem document.
    let Query(params) = Query::<SearchParams>::try_from_uri(&uri)
        .map_err(|e| Problem::of(&RequestError::UnexpectedShape(e.body_text()), lang))?;
    if !app.tenant.offers(Service::Etherapiebericht) {
        return Err(Problem::of(&RequestError::ServiceNotOffered, lang));
    }
    let found = app
        .reports
        .search_physicians(&provider.standing.ik, &params.q)
        .await
        .map_err(|e| Problem::of(&e, lang))?;
    Ok(Json(
        found
            .into_iter()
            .map(|p| PhysicianBody {
                lanr: p.lanr.to_string(),
                bsnr: p.bsnr.to_string(),
                earztbrief: p.receives_earztbrief().is_some(),
                name: p.name,
                plz: p.address.plz,
                ort: p.address.ort,
            })
            .collect(),
    ))
}
