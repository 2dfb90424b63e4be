//! Every text the API says to a person, one catalogue per language. [`Text`] names them; each
//! catalogue matches on every variant, so a missing translation does not compile, and a language
//! more is one file more (and a variant of `Lang`). Field messages come from the domain's rules
//! (`UserFacing`), which the domain translates the same way.

mod de;
mod en;

use portal_domain::Lang;

/// What a problem document says, with what varies in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text {
    // The request itself.
    NotJson,
    NotAnObject,
    UnknownField,
    UnexpectedShape,
    UnsupportedMediaType,
    TooLarge,
    TooSlow,
    NotFound,
    UnknownTenant,
    CrossSite,
    ServiceNotOffered,
    MethodNotAllowed,
    InvalidInput,
    Internal,
    Unavailable,
    // Registration.
    ChallengesUsedUp,
    TermsRequired,
    ChallengeInvalid,
    UnknownIk {
        desk: Desk,
    },
    AlreadyActive,
    /// `until`: German local date and time ("07.05.2026 10:00").
    LettersOnTheWay {
        until: String,
        desk: Desk,
    },
    RegistrationInProgress,
    // Login and passwords.
    WrongPassword,
    /// A back-office login with a wrong name or password.
    BackofficeWrongPassword,
    WrongPruefnummer,
    ChallengeRequired,
    TooManyAttempts {
        minutes: u64,
    },
    Blocked {
        desk: Desk,
    },
    Inactive,
    InitialPasswordExpired,
    UseBothLetters,
    // The session.
    LogIn,
    SessionExpired,
    PasswordChangeRequired,
    // The second factor, re-authentication, the sessions list.
    SecondFactorRequired,
    SecondFactorEnrolmentRequired,
    WrongCode,
    PasskeyRefused,
    PasskeyRequired,
    PasskeysUnavailable,
    WrongCurrentPassword,
    CodeRequired,
    PasswordRequired,
    CurrentPasswordRequired,
    SecondFactorActive,
    NoSecondFactor,
    BlockLinkInvalid,
    SessionEndedAfterFailures,
    SessionNotFound,
    // The eTherapiebericht.
    HeilmittelOnly,
    QueryTooShort,
    ReportNotFound,
    ReportSent,
    InvalidProof,
    ReportChanged,
    ContentsExpired,
    IdempotencyKeyRequired,
    NoEarztbrief,
    UnknownReport,
    ReportIncomplete,
    PdfTooLarge,
    PdfInvalid,
    PdfEncrypted,
    PdfTooManyPages,
    AttachmentMissing,
    DirectUploadOnly,
    UploadMissing,
    // The exemption query.
    QuotaUsedUp {
        quota: u32,
    },
    TooFast,
    AuditUnavailable,
    // The proofs.
    ProofChecksUsedUp,
    // The information pages.
    PageNotFound,
    UnknownBerufsfeld,
}

/// Where a text sends the provider: the insurer's provider service and its contact line, or,
/// when the request's insurer has none on file, "our provider service".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Desk {
    pub insurer: Option<(String, String)>,
}

impl Desk {
    pub fn of(tenant: &portal_core::model::Tenant) -> Desk {
        let contact = tenant.letterhead.service_line.trim();
        let insurer = (!contact.is_empty()).then(|| (tenant.name.clone(), contact.to_string()));
        Desk { insurer }
    }
}

impl Text {
    /// The text as the request's insurer says it: naming its own provider service.
    pub fn at(self, tenant: &portal_core::model::Tenant) -> Text {
        let desk = Desk::of(tenant);
        match self {
            Text::UnknownIk { .. } => Text::UnknownIk { desk },
            Text::Blocked { .. } => Text::Blocked { desk },
            Text::LettersOnTheWay { until, .. } => Text::LettersOnTheWay { until, desk },
            other => other,
        }
    }
}

/// One language's texts.
pub trait Catalogue: Sync {
    fn text(&self, text: &Text) -> String;
}

pub fn catalogue(lang: Lang) -> &'static dyn Catalogue {
    match lang {
        Lang::De => &de::German,
        Lang::En => &en::English,
    }
}
