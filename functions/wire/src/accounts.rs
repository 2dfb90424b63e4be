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
    /// True until an own password is set with the Prüfnummer.
    pub must_change_password: bool,
    pub idle_timeout_s: i64,
    #[serde(with = "crate::dates::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub expires_at: OffsetDateTime,
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
