//! The audit log as hash chains: per provider, each record names its predecessor's hash and
//! time, and its own hash covers all of its fields. Changing a record breaks its hash; removing
//! one leaves a gap in `seq`, a missing tail differs from the head, and a removed first record
//! shows because its successor's predecessor was not yet due for deletion.

use portal_domain::{Consent, Ik, Kvnr};
use sha2::{Digest, Sha256};
use time::{Date, Duration, OffsetDateTime};

use super::Found;
use crate::ports::{AuditLog, StoreError};

/// What the query answered, as recorded (no names, no dates of validity).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub found: bool,
    /// The shown years in which the person was exempt.
    pub exempt_years: Vec<i32>,
    pub exempt_on_dispensing_date: Option<bool>,
}

impl Outcome {
    pub(crate) fn of(found: Option<&Found>) -> Outcome {
        match found {
            None => {
                Outcome { found: false, exempt_years: Vec::new(), exempt_on_dispensing_date: None }
            }
            Some(found) => Outcome {
                found: true,
                exempt_years: found.years.iter().filter(|y| y.exempt).map(|y| y.year).collect(),
                exempt_on_dispensing_date: found.exempt_on_dispensing_date,
            },
        }
    }

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
    pub query_id: String,
    pub at: OffsetDateTime,
    pub kvnr: Kvnr,
    pub consent: Consent,
    pub dispensing_date: Option<Date>,
    pub outcome: Outcome,
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
    pub query_id: String,
    pub ik: Ik,
    pub at: OffsetDateTime,
    pub kvnr: Kvnr,
    pub consent: Consent,
    pub dispensing_date: Option<Date>,
    pub outcome: Outcome,
    pub expires_at: OffsetDateTime,
}

impl AuditEntry {
    /// The record that follows `head` (or starts the chain).
    pub fn link(&self, head: Option<&AuditHead>) -> AuditRecord {
        let mut record = AuditRecord {
            ik: self.ik,
            seq: head.map_or(1, |h| h.seq + 1),
            query_id: self.query_id.clone(),
            at: self.at,
            kvnr: self.kvnr.clone(),
            consent: self.consent,
            dispensing_date: self.dispensing_date,
            outcome: self.outcome.clone(),
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
    pub fn computed_hash(&self) -> String {
        let fields = [
            self.ik.to_string(),
            self.seq.to_string(),
            self.query_id.clone(),
            self.at.unix_timestamp_nanos().to_string(),
            self.kvnr.to_string(),
            self.consent.as_str().to_string(),
            self.dispensing_date.map(|d| d.to_string()).unwrap_or_default(),
            self.outcome.to_text(),
            self.prev_hash.clone(),
            self.prev_at.map(|t| t.unix_timestamp_nanos().to_string()).unwrap_or_default(),
        ];
        let mut hasher = Sha256::new();
        for field in fields {
            hasher.update(field.len().to_le_bytes());
            hasher.update(field.as_bytes());
        }
        hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// What `portal audit verify` found wrong, by provider and position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditProblem {
    /// The record's content no longer matches its hash.
    Changed { ik: Ik, seq: u64 },
    /// The record names a predecessor that is not the one before it.
    Unlinked { ik: Ik, seq: u64 },
    /// Records `from..=to` are gone before their retention ended.
    Missing { ik: Ik, from: u64, to: u64 },
    /// The record no longer reads at all.
    Damaged { ik: Ik, seq: u64 },
    /// The chain ends before the position the last anchor (outside the store) saw: its tail
    /// was cut, and the head set back with it.
    CutAfterAnchor { ik: Ik, anchored: u64, last: u64 },
    /// The record at the anchored position is not the one the anchor saw.
    DiffersFromAnchor { ik: Ik, seq: u64 },
    /// A chain the last anchor saw is gone altogether.
    ChainGone { ik: Ik },
    /// An anchor whose signature does not hold, or that does not follow the one before it
    /// (line numbers of the anchor file, from 1).
    AnchorForged { line: usize },
    /// A chain changed two anchor intervals ago or more, and no anchor has been written since.
    AnchorMissing,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verified {
    pub chains: usize,
    pub records: usize,
    pub problems: Vec<AuditProblem>,
}

pub async fn verify_audit(
    log: &dyn AuditLog,
    now: OffsetDateTime,
    retention: Duration,
) -> Result<Verified, StoreError> {
    let mut verified = Verified::default();
    for head in log.audit_heads().await? {
        let rows = log.audit_of_ik(&head.ik).await?;
        verified.chains += 1;
        verified.records += rows.len();
        verified.problems.extend(chain_problems(&head, &rows, now, retention));
    }
    Ok(verified)
}

fn chain_problems(
    head: &AuditHead,
    rows: &[AuditRow],
    now: OffsetDateTime,
    retention: Duration,
) -> Vec<AuditProblem> {
    let ik = head.ik;
    let expired = |at: OffsetDateTime| at + retention <= now;
    let mut problems = Vec::new();
    let Some(first) = rows.first() else {
        if head.seq > 0 && !expired(head.at) {
            problems.push(AuditProblem::Missing { ik, from: 1, to: head.seq });
        }
        return problems;
    };
    // Records before the first may only be gone if retention removed them (a damaged first
    // record cannot say when its predecessor was due).
    let predecessor_due = first.intact().is_some_and(|r| r.prev_at.is_some_and(expired));
    if first.seq() > 1 && !predecessor_due {
        problems.push(AuditProblem::Missing { ik, from: 1, to: first.seq() - 1 });
    }
    for row in rows {
        match row {
            AuditRow::Damaged { seq, .. } => problems.push(AuditProblem::Damaged { ik, seq: *seq }),
            AuditRow::Intact(record) if record.computed_hash() != record.hash => {
                problems.push(AuditProblem::Changed { ik, seq: record.seq });
            }
            AuditRow::Intact(_) => {}
        }
    }
    for pair in rows.windows(2) {
        let (before, after) = (&pair[0], &pair[1]);
        if after.seq() != before.seq() + 1 {
            problems.push(AuditProblem::Missing {
                ik,
                from: before.seq() + 1,
                to: after.seq() - 1,
            });
        } else if let (Some(before), Some(after)) = (before.intact(), after.intact())
            && after.prev_hash != before.hash
        {
            problems.push(AuditProblem::Unlinked { ik, seq: after.seq });
        }
    }
    let last = rows.last().map_or(0, AuditRow::seq);
    if last < head.seq {
        problems.push(AuditProblem::Missing { ik, from: last + 1, to: head.seq });
    }
    problems
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
}
