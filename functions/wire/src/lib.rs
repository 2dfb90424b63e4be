//! The API's wire types: what requests carry and answers say. The handlers read and write these,
//! the OpenAPI document (`GET /api/openapi.json`) is generated from them, so a field exists in
//! one place. No logic here: parsing into domain types happens in the handlers.

mod accounts;
mod content;
pub mod dates;
mod figures;
mod oha;
mod problem;
mod tenant;
mod therapy;

pub use accounts::{
    AccountEventKind, BlockRequest, ChallengeAnswer, ChallengeBody, HistoryEntryBody, LoginBody,
    PasskeyAnswer, PasskeyCeremonyBody, PasskeyConfirmBody, PasskeyRemoveBody,
    PasskeySecondFactorBody, PasswordBody, PasswordRequest, RecoveryCodesBody, RegisteredBody,
    RegistrationBody, ResetBody, SecondFactorBody, SecondFactorKind, SessionBody, SessionEntryBody,
    TotpConfirmBody, TotpEnrolmentBody, TotpRemoveBody, WebAuthnJson,
};
pub use content::{ContentPageBody, ContentPageSummaryBody, ContentSourceBody};
pub use figures::{
    AnomalyBody, AuditCheckBody, BackofficeDayBody, BackofficeFiguresBody, BackofficeLoginBody,
    BackofficeSessionBody, Masked, MaskedShare, MaskedText, MonthFiguresBody, ProviderShareBody,
    SMALL, ServiceFiguresBody,
};
pub use oha::{
    AnswerBody, ProofCheckBody, ProofStatementBody, ProofVerdict, QueryBody, VerifyProofBody,
    YearBody,
};
pub use problem::{FieldProblem, Problem, ProblemCode};
pub use tenant::{ColorsBody, TenantBody};

/// A machine API client of the logged-in provider (`GET /api/clients`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientBody {
    pub client_id: String,
    #[serde(with = "crate::dates::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: time::OffsetDateTime,
    /// Set once revoked: no tokens any more.
    #[serde(
        default,
        with = "crate::dates::rfc3339_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub revoked_at: Option<time::OffsetDateTime>,
    /// The `kid`s of its registered public keys.
    pub keys: Vec<String>,
}
pub use therapy::{
    AttachmentBody, FailureBody, PhysicianBody, PhysicianRefBody, PracticeBody, ReportBody,
    ReportDraftBody, ReportPhysicianBody, ReportStatusBody, UploadCompleteBody, UploadTicketBody,
};

use serde::{Deserialize, Serialize};

/// `GET /api/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// Always `ok` when the portal answers.
    pub status: String,
    pub version: String,
}
