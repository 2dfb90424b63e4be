//! The API's wire types: what requests carry and answers say. The handlers read and write these,
//! the OpenAPI document (`GET /api/openapi.json`) is generated from them, so a field exists in
//! one place. No logic here: parsing into domain types happens in the handlers.

mod accounts;
pub mod dates;
mod oha;
mod problem;
mod tenant;
mod therapy;

pub use accounts::{
    ChallengeAnswer, ChallengeBody, LoginBody, PasswordBody, PasswordRequest, RecoveryCodesBody,
    RegisteredBody, RegistrationBody, ResetBody, SecondFactorBody, SessionBody, SessionEntryBody,
    TotpConfirmBody, TotpEnrolmentBody, TotpRemoveBody,
};
pub use oha::{
    AnswerBody, ProofCheckBody, ProofStatementBody, ProofVerdict, QueryBody, VerifyProofBody,
    YearBody,
};
pub use problem::{FieldProblem, Problem, ProblemCode};
pub use tenant::{ColorsBody, TenantBody};
pub use therapy::{
    FailureBody, PhysicianBody, PhysicianRefBody, PracticeBody, ReportBody, ReportDraftBody,
    ReportPhysicianBody, ReportStatusBody,
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
