//! Errors as RFC 9457 problem documents: a stable `code` for programs, a title and detail in the
//! person's language (German by default, English with `Accept-Language: en`), and what is wrong
//! with each field.

use serde::{Deserialize, Serialize};

macro_rules! problem_codes {
    ($($(#[doc = $doc:literal])* $variant:ident = $text:literal,)*) => {
        /// Every `code` the API answers with. Programs branch on these; the texts may change.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub enum ProblemCode {
            $($(#[doc = $doc])* $variant,)*
        }

        impl ProblemCode {
            pub const ALL: &[ProblemCode] = &[$(ProblemCode::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(ProblemCode::$variant => $text,)*
                }
            }
        }
    };
}

problem_codes! {
    // The request itself.
    /// The body is not JSON.
    InvalidJson = "invalid_json",
    /// The body is JSON, but not the object the operation takes.
    InvalidBody = "invalid_body",
    /// The body has a field the operation does not know.
    UnknownField = "unknown_field",
    UnsupportedMediaType = "unsupported_media_type",
    PayloadTooLarge = "payload_too_large",
    /// The body did not arrive completely in time.
    RequestTimeout = "request_timeout",
    NotFound = "not_found",
    /// No insurer's portal is set up under the request's host name.
    UnknownTenant = "unknown_tenant",
    /// A changing request sent by a page of another site (another origin): refused, so no
    /// other site can act with the provider's session.
    CrossSiteRequest = "cross_site_request",
    /// This insurer does not offer the service in its portal.
    ServiceNotOffered = "service_not_offered",
    MethodNotAllowed = "method_not_allowed",
    /// A technical error; the log has it under the request id.
    Internal = "internal",
    /// The store is unreachable; nothing was changed.
    Unavailable = "unavailable",
    // Fields, as the domain rules name them.
    InvalidIk = "invalid_ik",
    InvalidKvnr = "invalid_kvnr",
    ConsentRequired = "consent_required",
    InvalidDate = "invalid_date",
    InvalidDispensingDate = "invalid_dispensing_date",
    InvalidPruefnummer = "invalid_pruefnummer",
    WeakPassword = "weak_password",
    InvalidEmail = "invalid_email",
    InvalidName = "invalid_name",
    InvalidProvider = "invalid_provider",
    InvalidExemption = "invalid_exemption",
    // Registration.
    /// The security check is wrong, expired or used.
    ChallengeInvalid = "challenge_invalid",
    /// Security checks of this minute are used up (for this client or for all).
    TooManyRequests = "too_many_requests",
    TermsRequired = "terms_required",
    /// The IK is not in the insurer's provider directory.
    UnknownIk = "unknown_ik",
    /// The IK has an account with an own password: reset it with the Prüfnummer instead.
    AlreadyActive = "already_active",
    /// Letters of a recent registration are still in the post and stay valid.
    LettersOnTheWay = "letters_on_the_way",
    RegistrationInProgress = "registration_in_progress",
    // Login and session.
    /// IK and password (or Prüfnummer) do not match; the same for an unknown IK.
    InvalidCredentials = "invalid_credentials",
    /// Several failures for this IK today: solve `GET /api/challenge` and send it along.
    ChallengeRequired = "challenge_required",
    /// Too many failed attempts from this client in this hour.
    TooManyAttempts = "too_many_attempts",
    /// Blocked by the insurer's back office.
    Blocked = "blocked",
    // The eTherapiebericht.
    /// Only Heilmittel practices write therapy reports.
    HeilmittelOnly = "heilmittel_only",
    /// The physician search needs at least two letters, a LANR, a BSNR or a postcode.
    QueryTooShort = "query_too_short",
    /// A report field left empty that sending needs.
    Required = "required",
    /// A free text longer than allowed (4,000 characters, names 100).
    TooLong = "too_long",
    /// A value out of range or with a control character.
    InvalidValue = "invalid_value",
    /// Verordnungsbericht and the report on special request exist in speech therapy only.
    KindNotForArea = "kind_not_for_area",
    InvalidLanr = "invalid_lanr",
    InvalidBsnr = "invalid_bsnr",
    InvalidIcd10 = "invalid_icd10",
    InvalidDiagnosisGroup = "invalid_diagnosis_group",
    /// The physician picked is not in the insurer's physician directory.
    UnknownPhysician = "unknown_physician",
    /// The physician's practice receives no eArztbrief: print the report and hand it over.
    NoEarztbrief = "no_earztbrief",
    /// `corrects` names no sent report of this practice.
    UnknownReport = "unknown_report",
    /// Not a proof signed by this portal.
    InvalidProof = "invalid_proof",
    /// The report was sent: it cannot change; write a correction instead.
    ReportSent = "report_sent",
    /// Another request changed the report meanwhile: load it again.
    ReportChanged = "report_changed",
    /// The report's contents are no longer kept.
    ContentsExpired = "contents_expired",
    /// A send needs an `Idempotency-Key` header (1 to 100 visible characters).
    IdempotencyKeyRequired = "idempotency_key_required",
    /// A practice's own PDF larger than 10 MB.
    PdfTooLarge = "pdf_too_large",
    /// The uploaded file is not a PDF that parses.
    PdfInvalid = "pdf_invalid",
    /// The uploaded PDF is encrypted.
    PdfEncrypted = "pdf_encrypted",
    /// The uploaded PDF has more than 100 pages.
    PdfTooManyPages = "pdf_too_many_pages",
    /// The report's own PDF is no longer kept: upload it again.
    AttachmentMissing = "attachment_missing",
    /// No presigned upload here (the embedded store): `PUT …/attachment` takes the PDF itself.
    DirectUploadOnly = "direct_upload_only",
    /// The upload named to `…/attachment/complete` is not there (never put, or expired).
    UploadMissing = "upload_missing",
    /// Unused for 180 days: reactivate with the Prüfnummer.
    Inactive = "inactive",
    /// The initial password expired: register again.
    InitialPasswordExpired = "initial_password_expired",
    /// The first own password takes both letters: log in with the initial password.
    UseBothLetters = "use_both_letters",
    Unauthenticated = "unauthenticated",
    SessionExpired = "session_expired",
    /// Set an own password with the Prüfnummer first.
    PasswordChangeRequired = "password_change_required",
    // The second factor.
    /// The password was right; send the code first (`POST /api/session/second-factor`).
    SecondFactorRequired = "second_factor_required",
    /// The insurer requires a second factor: enrol one first (`POST /api/second-factor/totp`).
    SecondFactorEnrolmentRequired = "second_factor_enrolment_required",
    /// The code (or recovery code) is wrong, or was used before.
    InvalidCode = "invalid_code",
    /// The passkey's answer does not verify, answers no ceremony of this session, or came late.
    InvalidPasskey = "invalid_passkey",
    /// Passkeys cannot be used under this portal's address (it has no host name).
    PasskeysUnavailable = "passkeys_unavailable",
    /// The password sent to confirm a change is wrong.
    InvalidPassword = "invalid_password",
    /// A field this request needs is missing (named in `errors`).
    FieldRequired = "field_required",
    /// A second factor is active already: remove it first.
    SecondFactorActive = "second_factor_active",
    /// No enrolment begun to confirm, or no active factor to remove.
    NoSecondFactor = "no_second_factor",
    /// The link of a change notice is unknown, expired (after 7 days) or used before.
    BlockLinkInvalid = "block_link_invalid",
    // The exemption query.
    /// The burst limit or the daily quota is reached.
    RateLimited = "rate_limited",
    /// The query could not be recorded, so no status is given.
    AuditUnavailable = "audit_unavailable",
    // The information pages.
    /// `berufsfeld` is not one of `apotheke`, `heilmittel`, `hilfsmittel`, `sonstige`.
    UnknownBerufsfeld = "unknown_berufsfeld",
}

impl ProblemCode {
    /// The code with this text; `None` for one the API never answers with.
    pub fn parse(text: &str) -> Option<ProblemCode> {
        ProblemCode::ALL.iter().copied().find(|code| code.as_str() == text)
    }
}

/// A problem document (`application/problem+json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// `/api/problems/{code}`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub code: ProblemCode,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// With 429: seconds until trying again makes sense (also sent as `Retry-After`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_s: Option<u64>,
}

impl Problem {
    pub fn new(status: u16, code: ProblemCode, title: impl Into<String>) -> Problem {
        Problem {
            kind: format!("/api/problems/{}", code.as_str()),
            title: title.into(),
            status,
            detail: None,
            code,
            errors: Vec::new(),
            retry_after_s: None,
        }
    }
}

/// What is wrong with one field of the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldProblem {
    /// The field's name in the request (`kvnr`, `challenge.nonce`).
    pub field: String,
    pub code: ProblemCode,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_written_as_its_text_and_read_back() {
        for code in ProblemCode::ALL {
            let json = serde_json::to_string(code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(ProblemCode::parse(code.as_str()), Some(*code));
        }
        assert_eq!(ProblemCode::parse("no_such_code"), None);
    }
}
