//! Verifying the audit log's hash chains: changing a record breaks its hash; removing one
//! leaves a gap in `seq`, a missing tail differs from the head, and a removed first record
//! shows because its successor's predecessor was not yet due for deletion.

use portal_domain::Ik;
use time::{Duration, OffsetDateTime};

use crate::model::{AuditHead, AuditRow};
use crate::ports::{AuditLog, StoreError};

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
    /// An anchor (line number) has a chain behind where the anchor before it saw it.
    AnchorWentBack { ik: Ik, line: usize },
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
    // The newest record rewritten with a fresh hash would still link to its predecessor; the
    // head remembers the hash it had.
    if let Some(AuditRow::Intact(newest)) = rows.last()
        && newest.seq == head.seq
        && newest.hash != head.hash
    {
        problems.push(AuditProblem::Changed { ik, seq: newest.seq });
    }
    let last = rows.last().map_or(0, AuditRow::seq);
    if last < head.seq {
        problems.push(AuditProblem::Missing { ik, from: last + 1, to: head.seq });
    }
    problems
}
