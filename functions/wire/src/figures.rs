//! The public service figures (`GET /api/service-figures`).

use serde::{Deserialize, Serialize};

/// What "a count too small to show" is on the wire.
pub const SMALL: &str = "< 10";

/// A count, or `"< 10"` where it is too small to show (no single provider or patient may be
/// singled out).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Masked {
    Count(u64),
    /// Always `"< 10"`.
    Small(MaskedText),
}

/// A share from 0 to 1, or `"< 10"` where it is computed from a count too small to show.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MaskedShare {
    Share(f64),
    /// Always `"< 10"`.
    Small(MaskedText),
}

/// The string `"< 10"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaskedText;

impl Serialize for MaskedText {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(SMALL)
    }
}

impl<'de> Deserialize<'de> for MaskedText {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match text.as_str() {
            SMALL => Ok(MaskedText),
            _ => Err(serde::de::Error::custom("expected \"< 10\"")),
        }
    }
}

impl Masked {
    /// `count`, or `"< 10"` below `min`.
    pub fn of(count: u64, min: u64) -> Masked {
        if count < min { Masked::Small(MaskedText) } else { Masked::Count(count) }
    }

    /// The count, if shown.
    pub fn count(self) -> Option<u64> {
        match self {
            Masked::Count(count) => Some(count),
            Masked::Small(_) => None,
        }
    }
}

impl MaskedShare {
    pub fn share(self) -> Option<f64> {
        match self {
            MaskedShare::Share(share) => Some(share),
            MaskedShare::Small(_) => None,
        }
    }
}

/// `GET /api/service-figures`: the portal's figures per month, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceFiguresBody {
    pub months: Vec<MonthFiguresBody>,
}

/// One month's figures. `null`: not recorded by the portal (yet).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthFiguresBody {
    /// `YYYY-MM`.
    pub month: String,
    /// Exemption queries answered (web and machine API).
    pub queries_answered: Masked,
    /// The share of answers showing an exemption, 0 to 1.
    pub share_exempt: MaskedShare,
    /// Providers that registered in the month.
    pub providers_registered: Option<Masked>,
    /// Providers with at least one query in the month.
    pub providers_active: Masked,
    /// The median hours from a registration to its letters being sent.
    pub median_hours_to_letters: Option<f64>,
    /// eTherapieberichte sent, and delivered.
    pub reports_sent: Option<Masked>,
    pub reports_delivered: Option<Masked>,
    /// Queries answered out of those asked (the rest refused as unavailable), 0 to 1.
    pub availability: Option<f64>,
}

/// The schemas by hand: `oneOf` a number and the string `"< 10"`.
#[cfg(feature = "openapi")]
mod schema {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type};
    use utoipa::openapi::{RefOr, Schema};

    fn one_of(number: Type, format: KnownFormat, description: &str) -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(number)
                    .format(Some(SchemaFormat::KnownFormat(format))),
            )
            .item(ObjectBuilder::new().schema_type(Type::String).enum_values(Some([super::SMALL])))
            .description(Some(description))
            .into()
    }

    impl utoipa::PartialSchema for super::Masked {
        fn schema() -> RefOr<Schema> {
            one_of(
                Type::Integer,
                KnownFormat::Int64,
                "A count, or \"< 10\" where it is too small to show.",
            )
        }
    }
    impl utoipa::ToSchema for super::Masked {}

    impl utoipa::PartialSchema for super::MaskedShare {
        fn schema() -> RefOr<Schema> {
            one_of(
                Type::Number,
                KnownFormat::Double,
                "A share from 0 to 1, or \"< 10\" where it comes from a count too small to show.",
            )
        }
    }
    impl utoipa::ToSchema for super::MaskedShare {}
}

/// `POST /api/backoffice/session`: a back-office user's login (not a provider's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BackofficeLoginBody {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub password: String,
}

/// The logged-in back-office user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BackofficeSessionBody {
    pub name: String,
    /// The session ends after this many seconds without a request.
    pub idle_timeout_s: i64,
}

/// `GET /api/backoffice/figures`: per day, unmasked (the back office sees the counts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BackofficeFiguresBody {
    /// `YYYY-MM-DD`, the range answered.
    pub from: String,
    pub to: String,
    /// The days rolled up in the range, oldest first (a day never rolled up is missing).
    pub days: Vec<BackofficeDayBody>,
    /// Letters waiting for the dispatcher now (at most 1000 counted). Letters are retried
    /// until sent, so none is "failed".
    pub letters_pending: u64,
    /// The last verification of the audit chains (by the roll-up, once a day); `null` when
    /// none ran in the last two days.
    pub audit_check: Option<AuditCheckBody>,
    pub anomalies: Vec<AnomalyBody>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BackofficeDayBody {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub queries_answered: u64,
    pub queries_exempt: u64,
    pub queries_not_found: u64,
    pub queries_night: u64,
    pub providers_active: u64,
    /// `null`: not recorded on that day (rolled up before the portal counted it).
    pub providers_registered: Option<u64>,
    pub median_hours_to_letters: Option<f64>,
    pub reports_sent: Option<u64>,
    pub reports_delivered: Option<u64>,
    pub refused_unavailable: Option<u64>,
    pub login_failures: Option<u64>,
    pub blocks: Option<u64>,
    pub backoffice_login_failures: Option<u64>,
    /// The 20 providers with the most queries, with their share of the daily quota.
    pub top_providers: Vec<ProviderShareBody>,
    /// Providers at 80 % of their daily quota or more.
    pub close_to_quota: Vec<ProviderShareBody>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProviderShareBody {
    pub ik: String,
    pub queries: u32,
    /// Queries / the daily quota, 0 to 1.
    pub share_of_quota: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditCheckBody {
    #[serde(with = "crate::dates::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub checked_at: time::OffsetDateTime,
    pub chains: u64,
    pub records: u64,
    /// 0: every chain intact.
    pub problems: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnomalyBody {
    pub day: String,
    pub ik: String,
    /// `jump`, `not_found` or `night`.
    pub rule: String,
    pub detail: String,
}
