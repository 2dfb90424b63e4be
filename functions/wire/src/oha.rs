//! The Online-Hintergrund-Abfrage: is this patient exempt from co-payments?

use serde::{Deserialize, Serialize};
use time::Date;

/// `POST /api/exemption-queries`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueryBody {
    /// The patient's insurance number (Krankenversichertennummer), 10 characters.
    #[serde(default)]
    pub kvnr: String,
    /// How the patient consented: `insured_present` or `representative_present`.
    #[serde(default)]
    pub consent: Option<String>,
    /// The day of dispensing, `YYYY-MM-DD`, at most a year back and not in the future.
    #[serde(default)]
    pub dispensing_date: Option<String>,
}

/// The answer, recorded in the audit log before it left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnswerBody {
    pub query_id: String,
    pub kvnr: String,
    /// False: the insurer has no exemption on record for this person at all.
    pub found: bool,
    /// "M. M."
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initials: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub years: Option<Vec<YearBody>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exempt_on_dispensing_date: Option<bool>,
}

/// One shown year: exempt with its validity, or not exempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct YearBody {
    pub year: i32,
    pub exempt: bool,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::dates::iso_day")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub valid_from: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::dates::iso_day")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub valid_to: Option<Date>,
}
