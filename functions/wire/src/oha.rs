//! The Online-Hintergrund-Abfrage: is this patient exempt from co-payments?

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

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
    /// The signed proof of this answer (*Zuzahlungsnachweis*), signed once the query was
    /// recorded: a compact JWS (ES256, `typ` `zuzahlungsnachweis+jwt`) with the portal's key
    /// (`GET /oauth/jwks.json`). It states the query id, the insurer's and the provider's IK,
    /// a salted SHA-256 of the KVNR (never the KVNR), the years shown, the day of dispensing and
    /// the time. Keep it for billing; anyone with the KVNR checks it at
    /// `POST /api/proofs/verify`.
    pub proof: String,
}

/// `POST /api/proofs/verify`: a proof, and the KVNR it should be about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerifyProofBody {
    /// The compact JWS, as the answer carried it.
    #[serde(default)]
    pub proof: String,
    /// The patient's KVNR (the proof holds only its salted hash).
    #[serde(default)]
    pub kvnr: String,
}

/// What checking a proof found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ProofVerdict {
    /// Signed with a published key of the portal, and about this KVNR.
    Genuine,
    /// Not a proof: not a JWS, another type or algorithm.
    NotAProof,
    /// Signed with a key the portal does not publish.
    UnknownKey,
    /// The signature does not hold: the proof was changed or forged.
    BadSignature,
    /// A genuine proof, but about another person.
    OtherKvnr,
}

/// The answer of `POST /api/proofs/verify` (200 whatever the verdict).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProofCheckBody {
    /// The signature holds with a published key and the KVNR matches the proof's salted hash.
    pub genuine: bool,
    pub verdict: ProofVerdict,
    /// What the proof states, whenever its signature holds (also for another KVNR).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<ProofStatementBody>,
    /// This insurer's audit log holds the query (same id, provider, KVNR, intact). False for a
    /// proof that is not genuine, or of another insurer.
    pub in_audit_log: bool,
}

/// What a proof states.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProofStatementBody {
    pub query_id: String,
    pub insurer_ik: String,
    /// The insurer's name, when this portal serves it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insurer_name: Option<String>,
    pub provider_ik: String,
    /// When the answer was given.
    #[serde(with = "crate::dates::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub answered_at: OffsetDateTime,
    /// `web` or `api`.
    pub channel: String,
    /// False: the insurer had no exemption on record for the person.
    pub found: bool,
    pub years: Vec<YearBody>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::dates::iso_day")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub dispensing_date: Option<Date>,
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
