//! Which insurer this portal is: what the app shows as its name, logo, colours and contact.

use serde::{Deserialize, Serialize};

/// `GET /api/tenant`: the insurer whose portal the request's host name is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TenantBody {
    /// Short name: `plus`, `bayern`.
    pub slug: String,
    /// The insurer's Institutionskennzeichen.
    pub ik: String,
    /// "AOK PLUS"
    pub name: String,
    /// The logo (SVG) on this host.
    pub logo_url: String,
    pub colors: ColorsBody,
    /// The service line for providers: "Servicetelefon: 0800 1059000 (kostenfrei)".
    pub contact: String,
    /// What this insurer offers here: `oha`, `etherapiebericht`, `calculators`.
    pub services: Vec<String>,
    /// Which years a query result shows: `current_and_previous_until_june_30`,
    /// `previous_current_next` or `current`.
    pub years_shown: String,
    /// The terms of use a provider accepts when registering.
    pub terms: String,
    /// Whether every provider must use a second factor at login.
    pub second_factor_required: bool,
}

/// Two colours as `#rrggbb`, each readable as text on white and under white text (WCAG AA).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ColorsBody {
    pub primary: String,
    pub secondary: String,
}
