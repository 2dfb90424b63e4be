//! The information pages per Berufsfeld (`GET /api/content/pages`, `…/{slug}`): public, no
//! session.

use portal_domain::Berufsfeld;
use portal_domain::therapy::TherapyArea;
use serde::{Deserialize, Serialize};

/// A page in the list: what the navigation and the search results show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContentPageSummaryBody {
    /// The page's address: `/info/{slug}`.
    pub slug: String,
    pub title: String,
    /// `null`: a page for every Berufsfeld.
    pub berufsfeld: Option<Berufsfeld>,
    /// Within `heilmittel`: the profession the page is for (`physio`, `ergo`, `logo`, `podo`,
    /// `ernaehrung`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<TherapyArea>,
    pub summary: String,
}

/// A source a page is written from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContentSourceBody {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// One page, rendered: its `html` is sanitised (no script, style, event handler or form) and
/// may be inserted as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContentPageBody {
    pub slug: String,
    pub title: String,
    pub berufsfeld: Option<Berufsfeld>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<TherapyArea>,
    pub summary: String,
    pub html: String,
    pub sources: Vec<ContentSourceBody>,
    /// The day the page is valid from (`YYYY-MM-DD`).
    pub valid_from: String,
}
