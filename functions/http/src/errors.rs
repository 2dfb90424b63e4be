//! One way from error to answer: each error the API can meet says its status, its stable code,
//! its text (from the catalogue, in the person's language) and what else the answer needs;
//! [`Problem::of`] makes the problem document from that, and nothing else does.

use axum::http::StatusCode;
use portal_core::StoreError;
use portal_core::accounts::{
    FactorError, HashError, LoginError, PasswordChangeError, RegisterError, SessionError,
};
use portal_core::oha::QueryError;
use portal_core::proofs::VerifyError;
use portal_core::therapy::ReportsError;
use portal_domain::UserFacing;
use time::{Duration, OffsetDateTime};

use crate::ProblemCode;
use crate::texts::{Desk, Text};

pub trait ApiError {
    fn status(&self) -> StatusCode;
    fn code(&self) -> ProblemCode;
    fn text(&self) -> Text;
    /// A domain rule refused one field: answered 422 with the rule's own code and message.
    fn rule(&self) -> Option<(&'static str, &dyn UserFacing)> {
        None
    }
    /// The one field this error is about (it is then listed in `errors` with the same text).
    fn field(&self) -> Option<&'static str> {
        None
    }
    /// For programs: what exactly was wrong, beyond the title.
    fn detail(&self) -> Option<String> {
        None
    }
    fn retry_after(&self) -> Option<Duration> {
        None
    }
    /// A failure on our side: logged with the request id, never shown to the person.
    fn cause(&self) -> Option<&(dyn std::error::Error + 'static)> {
        None
    }
}

impl ApiError for StoreError {
    fn status(&self) -> StatusCode {
        StatusCode::SERVICE_UNAVAILABLE
    }
    fn code(&self) -> ProblemCode {
        ProblemCode::Unavailable
    }
    fn text(&self) -> Text {
        Text::Unavailable
    }
    fn cause(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self)
    }
}

impl ApiError for HashError {
    fn status(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }
    fn code(&self) -> ProblemCode {
        ProblemCode::Internal
    }
    fn text(&self) -> Text {
        Text::Internal
    }
    fn cause(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self)
    }
}

/// Forwards every question to an inner error (a store or hashing failure inside a use case's).
macro_rules! delegate {
    ($inner:expr) => {{
        let inner: &dyn ApiError = $inner;
        inner
    }};
}

impl ApiError for RegisterError {
    fn status(&self) -> StatusCode {
        match self {
            RegisterError::ChallengeInvalid => StatusCode::BAD_REQUEST,
            RegisterError::UnknownIk => StatusCode::NOT_FOUND,
            RegisterError::AlreadyActive
            | RegisterError::LettersOnTheWay { .. }
            | RegisterError::Busy => StatusCode::CONFLICT,
            RegisterError::Blocked => StatusCode::LOCKED,
            RegisterError::Store(e) => e.status(),
            RegisterError::Hash(e) => e.status(),
        }
    }
    fn code(&self) -> ProblemCode {
        match self {
            RegisterError::ChallengeInvalid => ProblemCode::ChallengeInvalid,
            RegisterError::UnknownIk => ProblemCode::UnknownIk,
            RegisterError::AlreadyActive => ProblemCode::AlreadyActive,
            RegisterError::LettersOnTheWay { .. } => ProblemCode::LettersOnTheWay,
            RegisterError::Busy => ProblemCode::RegistrationInProgress,
            RegisterError::Blocked => ProblemCode::Blocked,
            RegisterError::Store(e) => e.code(),
            RegisterError::Hash(e) => e.code(),
        }
    }
    fn text(&self) -> Text {
        match self {
            RegisterError::ChallengeInvalid => Text::ChallengeInvalid,
            RegisterError::UnknownIk => Text::UnknownIk { desk: Desk::default() },
            RegisterError::AlreadyActive => Text::AlreadyActive,
            RegisterError::LettersOnTheWay { until } => {
                Text::LettersOnTheWay { until: german_date_and_time(*until), desk: Desk::default() }
            }
            RegisterError::Busy => Text::RegistrationInProgress,
            RegisterError::Blocked => Text::Blocked { desk: Desk::default() },
            RegisterError::Store(e) => e.text(),
            RegisterError::Hash(e) => e.text(),
        }
    }
    fn cause(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RegisterError::Store(e) => delegate!(e).cause(),
            RegisterError::Hash(e) => delegate!(e).cause(),
            _ => None,
        }
    }
}

impl ApiError for LoginError {
    fn status(&self) -> StatusCode {
        match self {
            LoginError::InvalidCredentials
            | LoginError::ChallengeRequired
            | LoginError::InitialPasswordExpired => StatusCode::UNAUTHORIZED,
            LoginError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            LoginError::Blocked | LoginError::Inactive => StatusCode::LOCKED,
            LoginError::Store(e) => e.status(),
        }
    }
    fn code(&self) -> ProblemCode {
        match self {
            LoginError::InvalidCredentials => ProblemCode::InvalidCredentials,
            LoginError::ChallengeRequired => ProblemCode::ChallengeRequired,
            LoginError::TooManyAttempts { .. } => ProblemCode::TooManyAttempts,
            LoginError::Blocked => ProblemCode::Blocked,
            LoginError::Inactive => ProblemCode::Inactive,
            LoginError::InitialPasswordExpired => ProblemCode::InitialPasswordExpired,
            LoginError::Store(e) => e.code(),
        }
    }
    fn text(&self) -> Text {
        match self {
            LoginError::InvalidCredentials => Text::WrongPassword,
            LoginError::ChallengeRequired => Text::ChallengeRequired,
            LoginError::TooManyAttempts { retry_after } => {
                Text::TooManyAttempts { minutes: seconds(*retry_after).div_ceil(60) }
            }
            LoginError::Blocked => Text::Blocked { desk: Desk::default() },
            LoginError::Inactive => Text::Inactive,
            LoginError::InitialPasswordExpired => Text::InitialPasswordExpired,
            LoginError::Store(e) => e.text(),
        }
    }
    fn retry_after(&self) -> Option<Duration> {
        match self {
            LoginError::TooManyAttempts { retry_after } => Some(*retry_after),
            _ => None,
        }
    }
    fn cause(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LoginError::Store(e) => delegate!(e).cause(),
            _ => None,
        }
    }
}

impl ApiError for PasswordChangeError {
    fn status(&self) -> StatusCode {
        match self {
            PasswordChangeError::MalformedPruefnummer(_) | PasswordChangeError::Weak(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            PasswordChangeError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            PasswordChangeError::NeedsBothLetters => StatusCode::CONFLICT,
            PasswordChangeError::CurrentPasswordRequired => StatusCode::UNPROCESSABLE_ENTITY,
            PasswordChangeError::Blocked => StatusCode::LOCKED,
            PasswordChangeError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            PasswordChangeError::Store(e) => e.status(),
            PasswordChangeError::Hash(e) => e.status(),
        }
    }
    fn code(&self) -> ProblemCode {
        match self {
            PasswordChangeError::MalformedPruefnummer(_) => ProblemCode::InvalidPruefnummer,
            PasswordChangeError::Weak(_) => ProblemCode::WeakPassword,
            PasswordChangeError::InvalidCredentials => ProblemCode::InvalidCredentials,
            PasswordChangeError::NeedsBothLetters => ProblemCode::UseBothLetters,
            PasswordChangeError::CurrentPasswordRequired => ProblemCode::FieldRequired,
            PasswordChangeError::Blocked => ProblemCode::Blocked,
            PasswordChangeError::TooManyAttempts { .. } => ProblemCode::TooManyAttempts,
            PasswordChangeError::Store(e) => e.code(),
            PasswordChangeError::Hash(e) => e.code(),
        }
    }
    fn text(&self) -> Text {
        match self {
            PasswordChangeError::MalformedPruefnummer(_) | PasswordChangeError::Weak(_) => {
                Text::InvalidInput
            }
            PasswordChangeError::InvalidCredentials => Text::WrongPruefnummer,
            PasswordChangeError::NeedsBothLetters => Text::UseBothLetters,
            PasswordChangeError::CurrentPasswordRequired => Text::CurrentPasswordRequired,
            PasswordChangeError::Blocked => Text::Blocked { desk: Desk::default() },
            PasswordChangeError::TooManyAttempts { retry_after } => {
                Text::TooManyAttempts { minutes: seconds(*retry_after).div_ceil(60) }
            }
            PasswordChangeError::Store(e) => e.text(),
            PasswordChangeError::Hash(e) => e.text(),
        }
    }
    fn retry_after(&self) -> Option<Duration> {
        match self {
            PasswordChangeError::TooManyAttempts { retry_after } => Some(*retry_after),
            _ => None,
        }
    }
    fn rule(&self) -> Option<(&'static str, &dyn UserFacing)> {
        match self {
            PasswordChangeError::MalformedPruefnummer(e) => Some(("pruefnummer", e)),
            PasswordChangeError::Weak(e) => Some(("new_password", e)),
            _ => None,
        }
    }
    fn field(&self) -> Option<&'static str> {
        match self {
            PasswordChangeError::CurrentPasswordRequired => Some("current_password"),
            _ => None,
        }
    }
    fn cause(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PasswordChangeError::Store(e) => delegate!(e).cause(),
            PasswordChangeError::Hash(e) => delegate!(e).cause(),
            _ => None,
        }
    }
}

impl ApiError for SessionError {
    fn status(&self) -> StatusCode {
        match self {
            SessionError::Missing | SessionError::Expired | SessionError::SecondFactorRequired => {
                StatusCode::UNAUTHORIZED
            }
            SessionError::EnrolmentRequired => StatusCode::FORBIDDEN,
            SessionError::Store(e) => e.status(),
        }
    }
    fn code(&self) -> ProblemCode {
        match self {
            SessionError::Missing => ProblemCode::Unauthenticated,
            SessionError::Expired => ProblemCode::SessionExpired,
            SessionError::SecondFactorRequired => ProblemCode::SecondFactorRequired,
            SessionError::EnrolmentRequired => ProblemCode::SecondFactorEnrolmentRequired,
            SessionError::Store(e) => e.code(),
        }
    }
    fn text(&self) -> Text {
        match self {
            SessionError::Missing => Text::LogIn,
            SessionError::Expired => Text::SessionExpired,
            SessionError::SecondFactorRequired => Text::SecondFactorRequired,
            SessionError::EnrolmentRequired => Text::SecondFactorEnrolmentRequired,
            SessionError::Store(e) => e.text(),
        }
    }
    fn cause(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SessionError::Store(e) => delegate!(e).cause(),
            _ => None,
        }
    }
}

impl ApiError for FactorError {
    fn status(&self) -> StatusCode {
        match self {
            FactorError::InvalidCode
            | FactorError::PasskeyRefused
            | FactorError::InvalidPassword
            | FactorError::ChallengeRequired
            | FactorError::SessionEnded => StatusCode::UNAUTHORIZED,
            FactorError::CodeRequired
            | FactorError::PasskeyRequired
            | FactorError::PasswordRequired
            | FactorError::Weak(_) => StatusCode::UNPROCESSABLE_ENTITY,
            FactorError::AlreadyActive
            | FactorError::NoFactor
            | FactorError::PasskeysUnavailable => StatusCode::CONFLICT,
            FactorError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            FactorError::Blocked => StatusCode::LOCKED,
            FactorError::Cipher(_) => StatusCode::INTERNAL_SERVER_ERROR,
            FactorError::Store(e) => e.status(),
            FactorError::Hash(e) => e.status(),
        }
    }
    fn code(&self) -> ProblemCode {
        match self {
            FactorError::InvalidCode => ProblemCode::InvalidCode,
            FactorError::PasskeyRefused => ProblemCode::InvalidPasskey,
            FactorError::PasskeysUnavailable => ProblemCode::PasskeysUnavailable,
            FactorError::InvalidPassword => ProblemCode::InvalidPassword,
            FactorError::ChallengeRequired => ProblemCode::ChallengeRequired,
            FactorError::SessionEnded => ProblemCode::SessionExpired,
            FactorError::CodeRequired
            | FactorError::PasskeyRequired
            | FactorError::PasswordRequired => ProblemCode::FieldRequired,
            FactorError::Weak(_) => ProblemCode::WeakPassword,
            FactorError::AlreadyActive => ProblemCode::SecondFactorActive,
            FactorError::NoFactor => ProblemCode::NoSecondFactor,
            FactorError::TooManyAttempts { .. } => ProblemCode::TooManyAttempts,
            FactorError::Blocked => ProblemCode::Blocked,
            FactorError::Cipher(_) => ProblemCode::Internal,
            FactorError::Store(e) => e.code(),
            FactorError::Hash(e) => e.code(),
        }
    }
    fn text(&self) -> Text {
        match self {
            FactorError::InvalidCode => Text::WrongCode,
            FactorError::PasskeyRefused => Text::PasskeyRefused,
            FactorError::PasskeysUnavailable => Text::PasskeysUnavailable,
            FactorError::InvalidPassword => Text::WrongCurrentPassword,
            FactorError::ChallengeRequired => Text::ChallengeRequired,
            FactorError::SessionEnded => Text::SessionEndedAfterFailures,
            FactorError::CodeRequired => Text::CodeRequired,
            FactorError::PasskeyRequired => Text::PasskeyRequired,
            FactorError::PasswordRequired => Text::PasswordRequired,
            FactorError::Weak(_) => Text::InvalidInput,
            FactorError::AlreadyActive => Text::SecondFactorActive,
            FactorError::NoFactor => Text::NoSecondFactor,
            FactorError::TooManyAttempts { retry_after } => {
                Text::TooManyAttempts { minutes: seconds(*retry_after).div_ceil(60) }
            }
            FactorError::Blocked => Text::Blocked { desk: Desk::default() },
            FactorError::Cipher(_) => Text::Internal,
            FactorError::Store(e) => e.text(),
            FactorError::Hash(e) => e.text(),
        }
    }
    fn rule(&self) -> Option<(&'static str, &dyn UserFacing)> {
        match self {
            FactorError::Weak(e) => Some(("new_password", e)),
            _ => None,
        }
    }
    fn field(&self) -> Option<&'static str> {
        match self {
            FactorError::CodeRequired => Some("code"),
            FactorError::PasskeyRequired => Some("passkey"),
            FactorError::PasswordRequired => Some("password"),
            _ => None,
        }
    }
    fn retry_after(&self) -> Option<Duration> {
        match self {
            FactorError::TooManyAttempts { retry_after } => Some(*retry_after),
            _ => None,
        }
    }
    fn cause(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FactorError::Cipher(e) => Some(e),
            FactorError::Store(e) => delegate!(e).cause(),
            FactorError::Hash(e) => delegate!(e).cause(),
            _ => None,
        }
    }
}

impl ApiError for QueryError {
    fn status(&self) -> StatusCode {
        match self {
            QueryError::DispensingDate(_) => StatusCode::UNPROCESSABLE_ENTITY,
            QueryError::QuotaExceeded { .. } | QueryError::TooFast { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            QueryError::AuditUnavailable(_) | QueryError::ProofUnavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            QueryError::Store(e) => e.status(),
        }
    }
    fn code(&self) -> ProblemCode {
        match self {
            QueryError::DispensingDate(_) => ProblemCode::InvalidDispensingDate,
            QueryError::QuotaExceeded { .. } | QueryError::TooFast { .. } => {
                ProblemCode::RateLimited
            }
            QueryError::AuditUnavailable(_) => ProblemCode::AuditUnavailable,
            QueryError::ProofUnavailable(e) | QueryError::Store(e) => e.code(),
        }
    }
    fn text(&self) -> Text {
        match self {
            QueryError::DispensingDate(_) => Text::InvalidInput,
            QueryError::QuotaExceeded { quota, .. } => Text::QuotaUsedUp { quota: *quota },
            QueryError::TooFast { .. } => Text::TooFast,
            QueryError::AuditUnavailable(_) => Text::AuditUnavailable,
            QueryError::ProofUnavailable(e) | QueryError::Store(e) => e.text(),
        }
    }
    fn rule(&self) -> Option<(&'static str, &dyn UserFacing)> {
        match self {
            QueryError::DispensingDate(e) => Some(("dispensing_date", e)),
            _ => None,
        }
    }
    fn retry_after(&self) -> Option<Duration> {
        match self {
            QueryError::QuotaExceeded { retry_after, .. } | QueryError::TooFast { retry_after } => {
                Some(*retry_after)
            }
            _ => None,
        }
    }
    fn cause(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            QueryError::AuditUnavailable(e)
            | QueryError::ProofUnavailable(e)
            | QueryError::Store(e) => delegate!(e).cause(),
            _ => None,
        }
    }
}

impl ApiError for VerifyError {
    fn field(&self) -> Option<&'static str> {
        matches!(self, VerifyError::NotAProof).then_some("proof")
    }
    fn status(&self) -> StatusCode {
        match self {
            VerifyError::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
            VerifyError::NotAProof => StatusCode::UNPROCESSABLE_ENTITY,
            VerifyError::Store(e) => e.status(),
        }
    }
    fn code(&self) -> ProblemCode {
        match self {
            VerifyError::TooMany { .. } => ProblemCode::TooManyRequests,
            VerifyError::NotAProof => ProblemCode::InvalidProof,
            VerifyError::Store(e) => e.code(),
        }
    }
    fn text(&self) -> Text {
        match self {
            VerifyError::TooMany { .. } => Text::ProofChecksUsedUp,
            VerifyError::NotAProof => Text::InvalidProof,
            VerifyError::Store(e) => e.text(),
        }
    }
    fn retry_after(&self) -> Option<Duration> {
        match self {
            VerifyError::TooMany { retry_after } => Some(*retry_after),
            VerifyError::NotAProof | VerifyError::Store(_) => None,
        }
    }
    fn cause(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            VerifyError::Store(e) => delegate!(e).cause(),
            VerifyError::TooMany { .. } | VerifyError::NotAProof => None,
        }
    }
}

/// Whole seconds, at least one: what `Retry-After` says.
pub(crate) fn seconds(duration: Duration) -> u64 {
    u64::try_from(duration.whole_seconds()).unwrap_or(0).max(1)
}

/// "07.05.2026 10:00" in German local time.
fn german_date_and_time(at: OffsetDateTime) -> String {
    let (day, clock) = portal_domain::german_day_and_clock(at);
    format!("{day} {clock}")
}

/// What is wrong with a request before any use case sees it, and the few refusals of the
/// handlers themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestError {
    NotFound,
    UnknownTenant,
    /// A changing request from a page of another origin (`Origin`, `Sec-Fetch-Site`).
    CrossSite,
    ServiceNotOffered,
    MethodNotAllowed,
    UnsupportedMediaType,
    TooLarge,
    TooSlow,
    NotJson,
    NotAnObject,
    /// With serde's words on what it was (our type names taken out).
    UnknownField(String),
    UnexpectedShape(String),
    ChallengesUsedUp,
    TermsRequired,
    PasswordChangeRequired,
    /// `DELETE /api/sessions/{id}` names no session of the account.
    SessionNotFound,
    /// A field the request needs is missing (`code` or `recovery_code`, say).
    FieldRequired(&'static str),
}

impl ApiError for ReportsError {
    fn status(&self) -> StatusCode {
        match self {
            ReportsError::NotHeilmittel => StatusCode::FORBIDDEN,
            ReportsError::NotFound => StatusCode::NOT_FOUND,
            ReportsError::AlreadySent | ReportsError::Changed => StatusCode::CONFLICT,
            ReportsError::ContentsExpired => StatusCode::GONE,
            ReportsError::IdempotencyKey => StatusCode::BAD_REQUEST,
            ReportsError::QueryTooShort
            | ReportsError::Incomplete(_)
            | ReportsError::NoEarztbrief
            | ReportsError::UnknownCorrected
            | ReportsError::PdfInvalid
            | ReportsError::PdfEncrypted
            | ReportsError::PdfTooManyPages => StatusCode::UNPROCESSABLE_ENTITY,
            ReportsError::PdfTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ReportsError::AttachmentMissing => StatusCode::GONE,
            // Not a server error (schemathesis and alarms count 5xx): the route is not here.
            ReportsError::DirectUploadOnly => StatusCode::NOT_FOUND,
            ReportsError::UploadMissing => StatusCode::UNPROCESSABLE_ENTITY,
            ReportsError::Cipher(_) | ReportsError::Render(_) | ReportsError::NoKimAddress => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            ReportsError::Store(e) => e.status(),
        }
    }
    fn code(&self) -> ProblemCode {
        match self {
            ReportsError::NotHeilmittel => ProblemCode::HeilmittelOnly,
            ReportsError::QueryTooShort => ProblemCode::QueryTooShort,
            ReportsError::NotFound => ProblemCode::NotFound,
            ReportsError::AlreadySent => ProblemCode::ReportSent,
            ReportsError::Changed => ProblemCode::ReportChanged,
            ReportsError::ContentsExpired => ProblemCode::ContentsExpired,
            ReportsError::IdempotencyKey => ProblemCode::IdempotencyKeyRequired,
            ReportsError::Incomplete(_) => ProblemCode::Required,
            ReportsError::NoEarztbrief => ProblemCode::NoEarztbrief,
            ReportsError::UnknownCorrected => ProblemCode::UnknownReport,
            ReportsError::PdfTooLarge => ProblemCode::PdfTooLarge,
            ReportsError::PdfInvalid => ProblemCode::PdfInvalid,
            ReportsError::PdfEncrypted => ProblemCode::PdfEncrypted,
            ReportsError::PdfTooManyPages => ProblemCode::PdfTooManyPages,
            ReportsError::AttachmentMissing => ProblemCode::AttachmentMissing,
            ReportsError::DirectUploadOnly => ProblemCode::DirectUploadOnly,
            ReportsError::UploadMissing => ProblemCode::UploadMissing,
            ReportsError::Cipher(_) | ReportsError::Render(_) | ReportsError::NoKimAddress => {
                ProblemCode::Internal
            }
            ReportsError::Store(e) => e.code(),
        }
    }
    fn text(&self) -> Text {
        match self {
            ReportsError::NotHeilmittel => Text::HeilmittelOnly,
            ReportsError::QueryTooShort => Text::QueryTooShort,
            ReportsError::NotFound => Text::ReportNotFound,
            ReportsError::AlreadySent => Text::ReportSent,
            ReportsError::Changed => Text::ReportChanged,
            ReportsError::ContentsExpired => Text::ContentsExpired,
            ReportsError::IdempotencyKey => Text::IdempotencyKeyRequired,
            ReportsError::Incomplete(_) => Text::ReportIncomplete,
            ReportsError::NoEarztbrief => Text::NoEarztbrief,
            ReportsError::UnknownCorrected => Text::UnknownReport,
            ReportsError::PdfTooLarge => Text::PdfTooLarge,
            ReportsError::PdfInvalid => Text::PdfInvalid,
            ReportsError::PdfEncrypted => Text::PdfEncrypted,
            ReportsError::PdfTooManyPages => Text::PdfTooManyPages,
            ReportsError::AttachmentMissing => Text::AttachmentMissing,
            ReportsError::DirectUploadOnly => Text::DirectUploadOnly,
            ReportsError::UploadMissing => Text::UploadMissing,
            ReportsError::Cipher(_) | ReportsError::Render(_) | ReportsError::NoKimAddress => {
                Text::Internal
            }
            ReportsError::Store(e) => e.text(),
        }
    }
    fn field(&self) -> Option<&'static str> {
        match self {
            ReportsError::QueryTooShort => Some("q"),
            ReportsError::NoEarztbrief => Some("physician"),
            ReportsError::UnknownCorrected => Some("corrects"),
            ReportsError::PdfTooLarge
            | ReportsError::PdfInvalid
            | ReportsError::PdfEncrypted
            | ReportsError::PdfTooManyPages
            | ReportsError::UploadMissing => Some("attachment"),
            _ => None,
        }
    }
    fn cause(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReportsError::Store(e) => delegate!(e).cause(),
            ReportsError::Cipher(e) => Some(e),
            ReportsError::Render(e) => Some(e),
            ReportsError::NoKimAddress => Some(self),
            _ => None,
        }
    }
}

impl ApiError for RequestError {
    fn status(&self) -> StatusCode {
        match self {
            RequestError::NotFound
            | RequestError::UnknownTenant
            | RequestError::ServiceNotOffered => StatusCode::NOT_FOUND,
            RequestError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            RequestError::CrossSite => StatusCode::FORBIDDEN,
            RequestError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            RequestError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            RequestError::TooSlow => StatusCode::REQUEST_TIMEOUT,
            RequestError::NotJson => StatusCode::BAD_REQUEST,
            RequestError::NotAnObject
            | RequestError::UnknownField(_)
            | RequestError::UnexpectedShape(_)
            | RequestError::TermsRequired => StatusCode::UNPROCESSABLE_ENTITY,
            RequestError::ChallengesUsedUp => StatusCode::TOO_MANY_REQUESTS,
            RequestError::PasswordChangeRequired => StatusCode::FORBIDDEN,
            RequestError::SessionNotFound => StatusCode::NOT_FOUND,
            RequestError::FieldRequired(_) => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
    fn code(&self) -> ProblemCode {
        match self {
            RequestError::NotFound => ProblemCode::NotFound,
            RequestError::UnknownTenant => ProblemCode::UnknownTenant,
            RequestError::CrossSite => ProblemCode::CrossSiteRequest,
            RequestError::ServiceNotOffered => ProblemCode::ServiceNotOffered,
            RequestError::MethodNotAllowed => ProblemCode::MethodNotAllowed,
            RequestError::UnsupportedMediaType => ProblemCode::UnsupportedMediaType,
            RequestError::TooLarge => ProblemCode::PayloadTooLarge,
            RequestError::TooSlow => ProblemCode::RequestTimeout,
            RequestError::NotJson => ProblemCode::InvalidJson,
            RequestError::NotAnObject | RequestError::UnexpectedShape(_) => {
                ProblemCode::InvalidBody
            }
            RequestError::UnknownField(_) => ProblemCode::UnknownField,
            RequestError::ChallengesUsedUp => ProblemCode::TooManyRequests,
            RequestError::TermsRequired => ProblemCode::TermsRequired,
            RequestError::PasswordChangeRequired => ProblemCode::PasswordChangeRequired,
            RequestError::SessionNotFound => ProblemCode::NotFound,
            RequestError::FieldRequired(_) => ProblemCode::FieldRequired,
        }
    }
    fn text(&self) -> Text {
        match self {
            RequestError::NotFound => Text::NotFound,
            RequestError::UnknownTenant => Text::UnknownTenant,
            RequestError::CrossSite => Text::CrossSite,
            RequestError::ServiceNotOffered => Text::ServiceNotOffered,
            RequestError::MethodNotAllowed => Text::MethodNotAllowed,
            RequestError::UnsupportedMediaType => Text::UnsupportedMediaType,
            RequestError::TooLarge => Text::TooLarge,
            RequestError::TooSlow => Text::TooSlow,
            RequestError::NotJson => Text::NotJson,
            RequestError::NotAnObject => Text::NotAnObject,
            RequestError::UnknownField(_) => Text::UnknownField,
            RequestError::UnexpectedShape(_) => Text::UnexpectedShape,
            RequestError::ChallengesUsedUp => Text::ChallengesUsedUp,
            RequestError::TermsRequired => Text::TermsRequired,
            RequestError::PasswordChangeRequired => Text::PasswordChangeRequired,
            RequestError::SessionNotFound => Text::SessionNotFound,
            RequestError::FieldRequired(field) => match *field {
                "code" => Text::CodeRequired,
                "passkey" | "state" | "credential" => Text::PasskeyRequired,
                "current_password" => Text::CurrentPasswordRequired,
                _ => Text::InvalidInput,
            },
        }
    }
    fn field(&self) -> Option<&'static str> {
        match self {
            RequestError::TermsRequired => Some("terms_accepted"),
            RequestError::FieldRequired(field) => Some(field),
            _ => None,
        }
    }
    fn detail(&self) -> Option<String> {
        match self {
            RequestError::UnknownField(detail) | RequestError::UnexpectedShape(detail) => {
                Some(detail.clone())
            }
            _ => None,
        }
    }
    fn retry_after(&self) -> Option<Duration> {
        match self {
            RequestError::ChallengesUsedUp => Some(Duration::MINUTE),
            _ => None,
        }
    }
}

impl ApiError for portal_core::backoffice::BackofficeLoginError {
    fn status(&self) -> StatusCode {
        use portal_core::backoffice::BackofficeLoginError as E;
        match self {
            E::InvalidCredentials => StatusCode::UNAUTHORIZED,
            E::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            E::Store(e) => e.status(),
        }
    }
    fn code(&self) -> ProblemCode {
        use portal_core::backoffice::BackofficeLoginError as E;
        match self {
            E::InvalidCredentials => ProblemCode::InvalidCredentials,
            E::TooManyAttempts { .. } => ProblemCode::TooManyAttempts,
            E::Store(e) => e.code(),
        }
    }
    fn text(&self) -> Text {
        use portal_core::backoffice::BackofficeLoginError as E;
        match self {
            E::InvalidCredentials => Text::BackofficeWrongPassword,
            E::TooManyAttempts { retry_after } => {
                Text::TooManyAttempts { minutes: seconds(*retry_after).div_ceil(60) }
            }
            E::Store(e) => e.text(),
        }
    }
    fn retry_after(&self) -> Option<Duration> {
        match self {
            portal_core::backoffice::BackofficeLoginError::TooManyAttempts { retry_after } => {
                Some(*retry_after)
            }
            _ => None,
        }
    }
    fn cause(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            portal_core::backoffice::BackofficeLoginError::Store(e) => delegate!(e).cause(),
            _ => None,
        }
    }
}
