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
    MethodNotAllowed,
    InvalidInput,
    Internal,
    Unavailable,
    // Registration.
    ChallengesUsedUp,
    TermsRequired,
    ChallengeInvalid,
    UnknownIk,
    AlreadyActive,
    /// `until`: German local date and time ("07.05.2026 10:00").
    LettersOnTheWay {
        until: String,
    },
    RegistrationInProgress,
    // Login and passwords.
    WrongPassword,
    WrongPruefnummer,
    ChallengeRequired,
    TooManyAttempts {
        minutes: u64,
    },
    Blocked,
    Inactive,
    InitialPasswordExpired,
    UseBothLetters,
    // The session.
    LogIn,
    SessionExpired,
    PasswordChangeRequired,
    // The exemption query.
    QuotaUsedUp {
        quota: u32,
    },
    TooFast,
    AuditUnavailable,
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
