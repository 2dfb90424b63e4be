//! The audit log's records: per provider a hash chain. Each record names its predecessor's hash
//! and time, and its own hash covers all of its fields.

use portal_domain::{Consent, Ik, Kvnr};
use sha2::{Digest, Sha256};
use time::{Date, OffsetDateTime};

use super::{Counter, QueryId};

/// Where a query came in: the web page (a person typed it) or the machine API (FHIR).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Channel {
    /// The web query, `POST /api/exemption-queries`: every record written before channels
    /// existed is one.
    #[default]
    Web,
    /// The FHIR search of a registered client, `POST /fhir/Coverage/_search`.
    Api,
}

impl Channel {
    pub const ALL: [Channel; 2] = [Channel::Web, Channel::Api];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::Api => "api",
        }
    }

    pub fn parse(text: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// What the query answered, as recorded (no names, no dates of validity).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub found: bool,
    /// The shown years in which the person was exempt.
    pub exempt_years: Vec<i32>,
    pub exempt_on_dispensing_date: Option<bool>,
}

impl Outcome {
    /// Compact and stable: `not_found`, or `exempt:2026,2025` / `exempt:` with `;dispensing:yes`.
    pub fn to_text(&self) -> String {
        if !self.found {
            return "not_found".into();
        }
        let years: Vec<String> = self.exempt_years.iter().map(i32::to_string).collect();
        let mut text = format!("exempt:{}", years.join(","));
        if let Some(on_day) = self.exempt_on_dispensing_date {
            text += if on_day { ";dispensing:yes" } else { ";dispensing:no" };
        }
        text
    }

    pub fn parse(text: &str) -> Option<Outcome> {
        if text == "not_found" {
            return Some(Outcome {
                found: false,
                exempt_years: Vec::new(),
                exempt_on_dispensing_date: None,
            });
        }
        let (years, dispensing) = match text.split_once(';') {
            Some((years, "dispensing:yes")) => (years, Some(true)),
            Some((years, "dispensing:no")) => (years, Some(false)),
            Some(_) => return None,
            None => (text, None),
        };
        let years = years.strip_prefix("exempt:")?;
        let exempt_years = if years.is_empty() {
            Vec::new()
        } else {
            years.split(',').map(str::parse).collect::<Result<_, _>>().ok()?
        };
        Some(Outcome { found: true, exempt_years, exempt_on_dispensing_date: dispensing })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub ik: Ik,
    pub seq: u64,
    pub query_id: QueryId,
    pub at: OffsetDateTime,
    pub kvnr: Kvnr,
    pub consent: Consent,
    pub dispensing_date: Option<Date>,
    pub outcome: Outcome,
    pub channel: Channel,
    pub prev_hash: String,
    pub prev_at: Option<OffsetDateTime>,
    pub hash: String,
    pub expires_at: OffsetDateTime,
}

/// A stored record as read back: intact, or so damaged that it no longer reads (a bug, a disk
/// fault, or tampering), with its place in the chain so that reports can name it and go on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditRow {
    Intact(AuditRecord),
    /// `ik` is `None` when even that no longer reads.
    Damaged {
        ik: Option<Ik>,
        seq: u64,
        reason: String,
    },
}

impl AuditRow {
    pub fn seq(&self) -> u64 {
        match self {
            AuditRow::Intact(record) => record.seq,
            AuditRow::Damaged { seq, .. } => *seq,
        }
    }

    pub fn intact(&self) -> Option<&AuditRecord> {
        match self {
            AuditRow::Intact(record) => Some(record),
            AuditRow::Damaged { .. } => None,
        }
    }
}

/// The newest record of a provider's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditHead {
    pub ik: Ik,
    pub seq: u64,
    pub hash: String,
    pub at: OffsetDateTime,
}

/// One answered query, before it is linked into its provider's chain. The store links it, inside
/// the same atomic write that appends it, so concurrent queries of one provider cannot fork the
/// chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub query_id: QueryId,
    pub ik: Ik,
    pub at: OffsetDateTime,
    pub kvnr: Kvnr,
    pub consent: Consent,
    pub dispensing_date: Option<Date>,
    pub outcome: Outcome,
    pub channel: Channel,
    pub expires_at: OffsetDateTime,
}

impl AuditEntry {
    /// The record that follows `head` (or starts the chain).
    pub fn link(&self, head: Option<&AuditHead>) -> AuditRecord {
        let mut record = AuditRecord {
            ik: self.ik,
            seq: head.map_or(1, |h| h.seq + 1),
            query_id: self.query_id,
            at: self.at,
            kvnr: self.kvnr.clone(),
            consent: self.consent,
            dispensing_date: self.dispensing_date,
            outcome: self.outcome.clone(),
            channel: self.channel,
            prev_hash: head.map(|h| h.hash.clone()).unwrap_or_default(),
            prev_at: head.map(|h| h.at),
            hash: String::new(),
            expires_at: self.expires_at,
        };
        record.hash = record.computed_hash();
        record
    }
}

impl AuditRecord {
    /// SHA-256 over every field but the hash itself and the retention date.
    ///
    /// The channel came later. It enters as an eleventh field whenever it is not `web`, the
    /// only channel there was before: a web record hashes exactly as records always did, so
    /// every record written before still verifies, and yet the channel of every record is
    /// covered, since changing it either way changes the number of fields and so the hash.
    pub fn computed_hash(&self) -> String {
        let mut fields = vec![
            self.ik.to_string(),
            self.seq.to_string(),
            self.query_id.to_string(),
            self.at.unix_timestamp_nanos().to_string(),
            self.kvnr.to_string(),
            self.consent.as_str().to_string(),
            self.dispensing_date.map(|d| d.to_string()).unwrap_or_default(),
            self.outcome.to_text(),
            self.prev_hash.clone(),
            self.prev_at.map(|t| t.unix_timestamp_nanos().to_string()).unwrap_or_default(),
        ];
        if self.channel != Channel::Web {
            fields.push(self.channel.as_str().to_string());
        }
        let mut hasher = Sha256::new();
        for field in fields {
            hasher.update(field.len().to_le_bytes());
            hasher.update(field.as_bytes());
        }
        hex::encode(hasher.finalize())
    }
}

/// A counter that an answered query uses up, and how many uses it allows in its window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    pub counter: Counter,
    pub limit: u32,
}

/// What recording a query did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// Counted against every limit and appended to the chain.
    Done(AuditRecord),
    /// This counter's limit was reached: nothing was counted, nothing recorded.
    OverLimit(Counter),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_survive_their_text_form() {
        for text in [
            "not_found",
            "exempt:",
            "exempt:2026",
            "exempt:2026,2025;dispensing:no",
            "exempt:;dispensing:yes",
        ] {
            assert_eq!(Outcome::parse(text).map(|o| o.to_text()).as_deref(), Some(text));
        }
        assert_eq!(Outcome::parse("exempt:20x6"), None);
    }

    #[test]
    fn a_web_record_hashes_as_before_channels_and_a_changed_channel_shows() {
        let entry = AuditEntry {
            query_id: QueryId::new(),
            ik: Ik::parse("301412340").unwrap(),
            at: time::macros::datetime!(2026-05-04 08:00 UTC),
            kvnr: Kvnr::parse("A123456780").unwrap(),
            consent: Consent::InsuredPresent,
            dispensing_date: None,
            outcome: Outcome::parse("not_found").unwrap(),
            channel: Channel::Web,
            expires_at: time::macros::datetime!(2028-05-04 08:00 UTC),
        };
        let web = entry.link(None);
        // The hash of the release before channels: the ten fields, each with its length.
        let mut before = Sha256::new();
        for field in [
            web.ik.to_string(),
            "1".into(),
            web.query_id.to_string(),
            web.at.unix_timestamp_nanos().to_string(),
            "A123456780".into(),
            "insured_present".into(),
            String::new(),
            "not_found".into(),
            String::new(),
            String::new(),
        ] {
            before.update(field.len().to_le_bytes());
            before.update(field.as_bytes());
        }
        let before: String = hex::encode(before.finalize());
        assert_eq!(web.hash, before);
        let api = AuditEntry { channel: Channel::Api, ..entry }.link(None);
        assert_ne!(api.hash, web.hash);
        assert_eq!(api.computed_hash(), api.hash);
        assert_ne!(AuditRecord { channel: Channel::Web, ..api.clone() }.computed_hash(), api.hash);
        assert_ne!(AuditRecord { channel: Channel::Api, ..web.clone() }.computed_hash(), web.hash);
    }
}
