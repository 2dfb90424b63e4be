//! The eTherapiebericht: the physicians a report can go to, and the reports themselves. A
//! report's form is the domain's [`ReportForm`] as it is (every field text, any may be empty),
//! so the app checks it with the same rules as the server.

use portal_domain::therapy::ReportForm;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// One physician at one practice site (`GET /api/physicians`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhysicianBody {
    /// Lebenslange Arztnummer, 9 digits.
    pub lanr: String,
    /// Betriebsstättennummer, 9 digits.
    pub bsnr: String,
    pub name: String,
    pub plz: String,
    pub ort: String,
    /// The practice receives eArztbriefe over KIM; without, the app offers a letter to print.
    pub earztbrief: bool,
}

/// The physician a report goes to, by LANR and BSNR as the directory lists them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhysicianRefBody {
    pub lanr: String,
    pub bsnr: String,
}

/// `POST /api/therapy-reports` and `PUT /api/therapy-reports/{id}`: a draft, any field may be
/// empty. Sending checks it whole.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportDraftBody {
    #[serde(flatten)]
    pub form: ReportForm,
    pub physician: PhysicianRefBody,
    /// On create only: the id of the sent report this one corrects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corrects: Option<String>,
}

/// Where a report stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ReportStatusBody {
    /// Being written: may change, may be deleted.
    Draft,
    /// Frozen, waiting to be handed to KIM.
    Queued,
    /// The KIM service took it.
    Sent,
    /// The physician's mailbox received it.
    Delivered,
    /// The physician's system opened it.
    Read,
    /// Not delivered: `failure` says why.
    Failed,
}

/// Why a report was not delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FailureBody {
    /// `address_refused`, `no_certificate`, `too_large` or `gave_up`.
    pub code: String,
    /// In the request's language.
    pub message: String,
}

/// The physician a report goes to, as the directory has them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportPhysicianBody {
    pub lanr: String,
    pub bsnr: String,
    /// From the directory; absent while none is picked or the one picked is not listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earztbrief: Option<bool>,
}

/// A report as its practice sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportBody {
    pub id: String,
    pub status: ReportStatusBody,
    /// Empty once the contents expired (`contents_expired`); the record stays a year.
    #[serde(flatten)]
    pub form: ReportForm,
    pub physician: ReportPhysicianBody,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<String>,
    #[serde(with = "crate::dates::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
    #[serde(with = "crate::dates::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: OffsetDateTime,
    /// When the practice sent it (it was queued then).
    #[serde(
        default,
        with = "crate::dates::rfc3339_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub sent_at: Option<OffsetDateTime>,
    #[serde(
        default,
        with = "crate::dates::rfc3339_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub delivered_at: Option<OffsetDateTime>,
    #[serde(
        default,
        with = "crate::dates::rfc3339_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub read_at: Option<OffsetDateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<FailureBody>,
    /// The contents are no longer kept (drafts 90 days after their last change, sent reports
    /// 30 days after their last status).
    #[serde(default)]
    pub contents_expired: bool,
}

/// `GET /api/practice`: the practice's stamp as the directory has it, which
/// every report carries (pre-filled, never typed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PracticeBody {
    pub ik: String,
    pub name: String,
    pub strasse: String,
    pub plz: String,
    pub ort: String,
}
