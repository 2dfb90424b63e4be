//! Registration, login, session and passwords.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// `GET /api/challenge`: a proof-of-work security check. Find a number `nonce` such that
/// SHA-256 of `{salt}:{nonce}` starts with `difficulty` zero bits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChallengeBody {
    pub id: String,
    pub salt: String,
    pub difficulty: u8,
    #[serde(with = "crate::dates::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub expires_at: OffsetDateTime,
}

/// A solved security check.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChallengeAnswer {
    #[serde(default)]
    pub id: String,
    /// The nonce, as a decimal number in a string.
    #[serde(default)]
    pub nonce: String,
}

/// `POST /api/registrations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistrationBody {
    /// The 9-digit institution code (IK).
    #[serde(default)]
    pub ik: String,
    #[serde(default)]
    pub terms_accepted: bool,
    #[serde(default)]
    pub challenge: ChallengeAnswer,
}

/// The answer to a registration: the letters are on their way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisteredBody {
    pub ik: String,
    /// Where the letters go, masked: "Muster-Apotheke, p***@muster-apotheke.example".
    pub recipient: String,
    pub letters: usize,
}

/// `POST /api/session`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginBody {
    #[serde(default)]
    pub ik: String,
    #[serde(default)]
    pub password: String,
    /// A solved `GET /api/challenge`, needed after several failures for the IK
    /// (`challenge_required`).
    #[serde(default)]
    pub challenge: Option<ChallengeAnswer>,
}

/// The logged-in provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionBody {
    pub ik: String,
    pub name: String,
    /// The provider's field in the insurer's directory (`apotheke`, `heilmittel`,
    /// `hilfsmittel`, `sonstige`): the information pages open on its own.
    #[serde(default)]
    pub berufsfeld: Option<portal_domain::Berufsfeld>,
    /// True until an own password is set with the Prüfnummer.
    pub must_change_password: bool,
    pub idle_timeout_s: i64,
    #[serde(with = "crate::dates::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub expires_at: OffsetDateTime,
    /// True after a right password on an account with a second factor: this session may only
    /// send the code (`POST /api/session/second-factor`); every other route answers 401
    /// `second_factor_required`.
    #[serde(default)]
    pub second_factor_required: bool,
    /// True when the insurer requires a second factor and the account has none: this session
    /// may only enrol one (`POST /api/second-factor/totp`, `…/confirm`) or log out; every other
    /// route answers 403 `second_factor_enrolment_required`.
    #[serde(default)]
    pub enrolment_required: bool,
    /// The account's active second factor: `totp` (an authenticator app), `passkey`, or `null`
    /// without one (the security page offers enrolment then, removal otherwise). At the login's
    /// second step it says which the provider is asked for.
    #[serde(default)]
    pub second_factor: Option<SecondFactorKind>,
    /// Passkeys can be enrolled here: the portal's address has a host name they are bound to.
    #[serde(default)]
    pub passkeys_offered: bool,
}

/// A kind of second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SecondFactorKind {
    /// An authenticator app (TOTP, RFC 6238).
    Totp,
    /// A passkey (WebAuthn, with user verification).
    Passkey,
}

/// `POST /api/password`: the first own password, with the Prüfnummer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordBody {
    #[serde(default)]
    pub pruefnummer: String,
    #[serde(default)]
    pub new_password: String,
}

/// `POST /api/password` as the server reads it: the first own password with the Prüfnummer
/// (`{pruefnummer, new_password}`, see [`PasswordBody`]), or, once an own password is set, a
/// change (`{current_password, new_password, code}`, `code` from the authenticator app when a
/// second factor is active).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordRequest {
    /// The first own password: the Prüfnummer from the second letter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pruefnummer: Option<String>,
    /// A change: the password now valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_password: Option<String>,
    #[serde(default)]
    pub new_password: String,
    /// A change on an account with a second factor: the app's current code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// A change on an account with a passkey: its answer to `POST /api/session/passkey`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passkey: Option<PasskeyAnswer>,
}

/// `POST /api/second-factor/totp`: an enrolment begun, shown once. Not active until confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TotpEnrolmentBody {
    /// The TOTP secret in base32, for typing into an authenticator app.
    pub secret: String,
    /// `otpauth://totp/…` (SHA-1, 6 digits, 30 seconds).
    pub otpauth_uri: String,
    /// The URI as a QR code: an SVG document.
    pub qr_svg: String,
}

/// `POST /api/second-factor/totp/confirm`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TotpConfirmBody {
    /// The app's current code (6 digits).
    #[serde(default)]
    pub code: String,
    /// The current password: needed, except in the session the password step just led to a
    /// required enrolment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// The ten recovery codes: shown once, each works once instead of a code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecoveryCodesBody {
    pub recovery_codes: Vec<String>,
}

/// `DELETE /api/second-factor/totp`: the password and a code (or a recovery code).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TotpRemoveBody {
    #[serde(default)]
    pub password: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_code: Option<String>,
}

/// `POST /api/session/second-factor`: `{code}` or `{recovery_code}`, with a solved security
/// check after several failures for the IK (`challenge_required`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecondFactorBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge: Option<ChallengeAnswer>,
}

/// WebAuthn's JSON: the options for the browser (`PublicKeyCredential.parse…FromJSON`), or the
/// browser's answer (`credential.toJSON()`).
// Kept as its text: the server hands it to its WebAuthn library as it came, and the app, which
// passes the browser's own objects, compiles no JSON tree for it (the wasm's size budget).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = Object))]
pub struct WebAuthnJson(pub Box<serde_json::value::RawValue>);

impl WebAuthnJson {
    /// The JSON text.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// Whether it is a JSON object (a missing field reads as `null`).
    pub fn is_object(&self) -> bool {
        self.get().trim_start().starts_with('{')
    }
}

impl PartialEq for WebAuthnJson {
    fn eq(&self, other: &WebAuthnJson) -> bool {
        self.get() == other.get()
    }
}

impl Eq for WebAuthnJson {}

/// `POST /api/second-factor/passkey` (a registration) or `POST /api/session/passkey` (an
/// authentication): a passkey ceremony begun.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasskeyCeremonyBody {
    /// The options in WebAuthn's JSON form, for `PublicKeyCredential.parseCreationOptionsFromJSON`
    /// (registration) or `parseRequestOptionsFromJSON` (authentication), then
    /// `navigator.credentials.create` or `.get`.
    pub options: WebAuthnJson,
    /// The ceremony's state, sealed: sent back unchanged with the browser's answer, by the same
    /// session, within five minutes.
    pub state: String,
}

/// The browser's answer to a passkey ceremony.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasskeyAnswer {
    /// The ceremony's `state`, as it came.
    #[serde(default)]
    pub state: String,
    /// `credential.toJSON()` of what `navigator.credentials.create` or `.get` returned.
    #[serde(default)]
    pub credential: WebAuthnJson,
}

/// `POST /api/second-factor/passkey/confirm`: the registration's answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasskeyConfirmBody {
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub credential: WebAuthnJson,
    /// The current password: needed, except in the session the password step just led to a
    /// required enrolment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// `POST /api/session/second-factor/passkey`: the login's second step with the passkey's
/// answer, with a solved security check after several failures for the IK.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasskeySecondFactorBody {
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub credential: WebAuthnJson,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge: Option<ChallengeAnswer>,
}

/// `DELETE /api/second-factor/passkey`: the password and the passkey's answer (or a recovery
/// code).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasskeyRemoveBody {
    #[serde(default)]
    pub password: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passkey: Option<PasskeyAnswer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_code: Option<String>,
}

/// One of the account's sessions (`GET /api/sessions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionEntryBody {
    /// Names the session for `DELETE /api/sessions/{id}` (not the cookie).
    pub id: String,
    /// The session this request came with.
    pub current: bool,
    #[serde(with = "crate::dates::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub started_at: OffsetDateTime,
    #[serde(with = "crate::dates::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub last_active_at: OffsetDateTime,
    /// The browser family: `Firefox`, `Chrome`, `Safari`, `Edge` or `andere` (nothing more of
    /// the User-Agent is kept).
    pub browser: String,
}

/// `POST /api/password-reset`: a forgotten password or an inactive account, with the Prüfnummer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResetBody {
    #[serde(default)]
    pub ik: String,
    #[serde(default)]
    pub pruefnummer: String,
    #[serde(default)]
    pub new_password: String,
}

/// `POST /api/account/block`: the token of a change notice's link ("Das war ich nicht").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlockRequest {
    pub token: String,
}

/// What happened to the account (`GET /api/account/history`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AccountEventKind {
    Login,
    LoginFailed,
    SecondFactorFailed,
    FactorEnrolled,
    FactorRemoved,
    /// The back office removed the second factor.
    FactorReset,
    RecoveryCodeUsed,
    PasswordChanged,
    /// Set anew with the Prüfnummer.
    PasswordReset,
    /// Blocked by the back office.
    Blocked,
    /// Blocked with the link of a change notice; new letters were sent.
    BlockedByLink,
    /// An event this app does not know yet.
    #[serde(other)]
    Other,
}

/// One line of the account's history, the newest first (the last 90 days).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryEntryBody {
    #[serde(with = "crate::dates::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: OffsetDateTime,
    pub event: AccountEventKind,
    /// The browser family (`Firefox`, `Chrome`, `Safari`, `Edge` or `andere`); `null` for
    /// what the back office did.
    pub browser: Option<String>,
}
