//! The information pages per Berufsfeld: public, no session. Rendered and sanitised when they
//! were loaded; these handlers only pick.

use axum::Json;
use axum::extract::{Path, Query};
use axum::http::{StatusCode, Uri};
use portal_core::content::ContentPage;
use portal_domain::Berufsfeld;
use portal_wire::{ContentPageBody, ContentPageSummaryBody, ContentSourceBody};
use serde::Deserialize;

use crate::errors::{ApiError, RequestError};
use crate::texts::Text;
use crate::{Problem, ProblemCode, RequestLang, Tenanted};

/// The longest search that is looked at (characters); more is cut off.
const MAX_QUERY_CHARS: usize = 200;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PagesParams {
    /// Only this Berufsfeld's pages and those for every Berufsfeld (its own first):
    /// `apotheke`, `heilmittel`, `hilfsmittel` or `sonstige`.
    #[serde(default)]
    berufsfeld: Option<String>,
    /// Words that title, summary or text must all hold (case, umlauts and punctuation do not
    /// matter: "gebuehr" finds "Gebühr").
    #[serde(default)]
    q: Option<String>,
}

/// What the content routes refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ContentError {
    #[error("no such page")]
    NotFound,
    #[error("no such Berufsfeld")]
    UnknownBerufsfeld,
}

impl ApiError for ContentError {
    fn status(&self) -> StatusCode {
        match self {
            ContentError::NotFound => StatusCode::NOT_FOUND,
            ContentError::UnknownBerufsfeld => StatusCode::BAD_REQUEST,
        }
    }
    fn code(&self) -> ProblemCode {
        match self {
            ContentError::NotFound => ProblemCode::NotFound,
            ContentError::UnknownBerufsfeld => ProblemCode::UnknownBerufsfeld,
        }
    }
    fn text(&self) -> Text {
        match self {
            ContentError::NotFound => Text::PageNotFound,
            ContentError::UnknownBerufsfeld => Text::UnknownBerufsfeld,
        }
    }
    fn field(&self) -> Option<&'static str> {
        match self {
            ContentError::NotFound => None,
            ContentError::UnknownBerufsfeld => Some("berufsfeld"),
        }
    }
}

fn summary(page: &ContentPage) -> ContentPageSummaryBody {
    ContentPageSummaryBody {
        slug: page.slug.to_string(),
        title: page.title.clone(),
        berufsfeld: page.berufsfeld,
        area: page.area,
        summary: page.summary.clone(),
    }
}

/// The insurer's information pages valid today, in the navigation's order: for one Berufsfeld
/// (its own first, then those for every Berufsfeld) or all, optionally only those a search
/// finds.
#[utoipa::path(
    get,
    path = "/api/content/pages",
    tag = "content",
    params(PagesParams),
    responses(
        (status = 200, description = "The pages found (maybe none)", body = Vec<ContentPageSummaryBody>),
        (status = 400, description = "`unknown_berufsfeld`", body = portal_wire::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid_body`: the query string cannot be read", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn pages(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    uri: Uri,
) -> Result<Json<Vec<ContentPageSummaryBody>>, Problem> {
    // Read here rather than by the extractor, whose refusal would not be a problem document.
    let Query(params) = Query::<PagesParams>::try_from_uri(&uri)
        .map_err(|e| Problem::of(&RequestError::UnexpectedShape(e.body_text()), lang))?;
    let berufsfeld = match params.berufsfeld.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(
            Berufsfeld::parse(text)
                .ok_or_else(|| Problem::of(&ContentError::UnknownBerufsfeld, lang))?,
        ),
    };
    let query: String = params.q.unwrap_or_default().chars().take(MAX_QUERY_CHARS).collect();
    Ok(Json(app.content.list(berufsfeld, &query).into_iter().map(summary).collect()))
}

/// One information page, its HTML sanitised.
#[utoipa::path(
    get,
    path = "/api/content/pages/{slug}",
    tag = "content",
    params(("slug" = String, Path, description = "The page's name, as the list gives it")),
    responses(
        (status = 200, description = "The page", body = ContentPageBody),
        (status = 404, description = "`not_found`: no such page, or not valid yet", body = portal_wire::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn page(
    Tenanted(app): Tenanted,
    RequestLang(lang): RequestLang,
    Path(slug): Path<String>,
) -> Result<Json<ContentPageBody>, Problem> {
    let page = app.content.page(&slug).ok_or_else(|| Problem::of(&ContentError::NotFound, lang))?;
    Ok(Json(ContentPageBody {
        slug: page.slug.to_string(),
        title: page.title.clone(),
        berufsfeld: page.berufsfeld,
        area: page.area,
        summary: page.summary.clone(),
        html: page.html.clone(),
        sources: page
            .sources
            .iter()
            .map(|s| ContentSourceBody { title: s.title.clone(), url: s.url.clone() })
            .collect(),
        valid_from: page.valid_from.to_string(),
    }))
}
