//! Reading entities back from what a store keeps (text and numbers): the same checks for every
//! store, so that a damaged value is told the same way whichever store held it. Adapters take
//! the values out of their rows or items and hand them over here.

use portal_domain::therapy::{Bsnr, KimAddress, Lanr, Physician};
use portal_domain::{
    Address, Consent, EmailAddress, Exemption, Ik, Initials, Kvnr, Provider, parse_date,
};
use time::{Date, OffsetDateTime};

use super::{AuditRecord, Channel, Client, ClientId, Jwks, Outcome, QueryId, StoreError};

/// "what: why", for a value that no longer parses.
pub fn corrupt(what: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {error}"))
}

pub fn ik(text: &str) -> Result<Ik, StoreError> {
    Ik::parse(text).map_err(|e| corrupt("ik", e))
}

pub fn kvnr(text: &str) -> Result<Kvnr, StoreError> {
    Kvnr::parse(text).map_err(|e| corrupt("kvnr", e))
}

pub fn date(what: &str, text: &str) -> Result<Date, StoreError> {
    parse_date(text).map_err(|e| corrupt(what, e))
}

/// Times are kept as nanoseconds since 1970 (UTC), which sort and compare as integers.
pub fn time(nanos: i128) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(nanos).map_err(|e| corrupt("time", e))
}

pub fn nanos(at: OffsetDateTime) -> i128 {
    at.unix_timestamp_nanos()
}

/// A provider directory entry as stored.
pub struct StoredProvider<'a> {
    pub ik: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    pub strasse: &'a str,
    pub plz: &'a str,
    pub ort: &'a str,
    pub berufsfeld: &'a str,
}

impl StoredProvider<'_> {
    pub fn read(&self) -> Result<Provider, StoreError> {
        let email = EmailAddress::parse(self.email).map_err(|e| corrupt("provider email", e))?;
        Provider::new(
            ik(self.ik)?,
            self.name,
            email,
            self.strasse,
            self.plz,
            self.ort,
            self.berufsfeld,
        )
        .map_err(|e| corrupt("provider", e))
    }
}

/// A physician directory entry as stored.
pub struct StoredPhysician<'a> {
    pub lanr: &'a str,
    pub bsnr: &'a str,
    pub name: &'a str,
    pub strasse: &'a str,
    pub plz: &'a str,
    pub ort: &'a str,
    pub kim: Option<&'a str>,
    pub earztbrief: bool,
}

impl StoredPhysician<'_> {
    pub fn read(&self) -> Result<Physician, StoreError> {
        let lanr = Lanr::parse(self.lanr).map_err(|e| corrupt("lanr", e))?;
        let bsnr = Bsnr::parse(self.bsnr).map_err(|e| corrupt("bsnr", e))?;
        let kim = self.kim.map(KimAddress::parse).transpose().map_err(|e| corrupt("kim", e))?;
        let address =
            Address::parse(self.strasse, self.plz, self.ort).map_err(|e| corrupt("address", e))?;
        Physician::new(lanr, bsnr, self.name, address, kim, self.earztbrief)
            .map_err(|e| corrupt("physician", e))
    }
}

/// An exemption as stored.
pub struct StoredExemption<'a> {
    pub kvnr: &'a str,
    pub year: i32,
    pub initials: &'a str,
    pub valid_from: &'a str,
    pub valid_to: &'a str,
}

impl StoredExemption<'_> {
    pub fn read(&self) -> Result<Exemption, StoreError> {
        let initials = Initials::from_stored(self.initials).map_err(|e| corrupt("initials", e))?;
        let (from, to) = (date("valid_from", self.valid_from)?, date("valid_to", self.valid_to)?);
        Exemption::new(kvnr(self.kvnr)?, initials, self.year, from, to)
            .map_err(|e| corrupt("exemption", e))
    }
}

/// An audit record as stored.
pub struct StoredAuditRecord<'a> {
    pub ik: &'a str,
    pub seq: u64,
    pub query_id: &'a str,
    pub at: i128,
    pub kvnr: &'a str,
    pub consent: &'a str,
    pub dispensing_date: Option<&'a str>,
    pub outcome: &'a str,
    /// Absent in records written before channels existed: those are `web`.
    pub channel: Option<&'a str>,
    pub prev_hash: &'a str,
    pub prev_at: Option<i128>,
    pub hash: &'a str,
    pub expires_at: i128,
}

impl StoredAuditRecord<'_> {
    pub fn read(&self) -> Result<AuditRecord, StoreError> {
        Ok(AuditRecord {
            ik: ik(self.ik)?,
            seq: self.seq,
            query_id: QueryId::parse(self.query_id)
                .ok_or_else(|| corrupt("query id", self.query_id))?,
            at: time(self.at)?,
            kvnr: kvnr(self.kvnr)?,
            consent: Consent::parse(self.consent).map_err(|e| corrupt("consent", e))?,
            dispensing_date: self
                .dispensing_date
                .map(|d| date("dispensing_date", d))
                .transpose()?,
            outcome: Outcome::parse(self.outcome)
                .ok_or_else(|| corrupt("outcome", self.outcome))?,
            channel: match self.channel {
                None => Channel::Web,
                Some(text) => Channel::parse(text).ok_or_else(|| corrupt("channel", text))?,
            },
            prev_hash: self.prev_hash.to_string(),
            prev_at: self.prev_at.map(time).transpose()?,
            hash: self.hash.to_string(),
            expires_at: time(self.expires_at)?,
        })
    }
}

/// A registered client as stored.
pub struct StoredClient<'a> {
    pub id: &'a str,
    pub ik: &'a str,
    pub jwks: &'a str,
    pub created_at: i128,
    pub revoked_at: Option<i128>,
}

impl StoredClient<'_> {
    pub fn read(&self) -> Result<Client, StoreError> {
        Ok(Client {
            id: ClientId::parse(self.id).ok_or_else(|| corrupt("client id", self.id))?,
            ik: ik(self.ik)?,
            jwks: Jwks::parse(self.jwks).map_err(|e| corrupt("jwks", e))?,
            created_at: time(self.created_at)?,
            revoked_at: self.revoked_at.map(time).transpose()?,
        })
    }
}

/// The parts of a stored report that are kept as text: each read back strictly.
pub mod report {
    use portal_domain::therapy::{ReportKind, TherapyArea};

    use super::{StoreError, corrupt};
    use crate::model::{DeliveryFailure, ReportId, ReportStatus};

    pub fn id(text: &str) -> Result<ReportId, StoreError> {
        ReportId::parse(text).ok_or_else(|| corrupt("report id", text))
    }

    pub fn status(text: &str) -> Result<ReportStatus, StoreError> {
        ReportStatus::parse(text).ok_or_else(|| corrupt("report status", text))
    }

    pub fn failure(text: &str) -> Result<DeliveryFailure, StoreError> {
        DeliveryFailure::parse(text).ok_or_else(|| corrupt("report failure", text))
    }

    /// The kind as its serde name (`therapiebericht`).
    pub fn kind(text: &str) -> Result<ReportKind, StoreError> {
        serde_json::from_value(serde_json::Value::String(text.into()))
            .map_err(|e| corrupt("report kind", e))
    }

    pub fn area(text: &str) -> Result<TherapyArea, StoreError> {
        serde_json::from_value(serde_json::Value::String(text.into()))
            .map_err(|e| corrupt("therapy area", e))
    }

    /// The serde name of a kind or area, as kept.
    pub fn name_of(value: impl serde::Serialize) -> String {
        match serde_json::to_value(value) {
            Ok(serde_json::Value::String(name)) => name,
            _ => String::new(),
        }
    }
}
