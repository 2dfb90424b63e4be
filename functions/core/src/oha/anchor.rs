//! Anchors: the head of every provider's chain, signed, written outside the store (at least
//! hourly) to a log the portal can only append to. Hash chains show a changed or removed
//! record, but not a tail cut off together with its head, since anyone who may write the store
//! can recompute plain hashes; an anchor remembers where each chain stood.
//!
//! A line of the anchor log: `<signature, base64url> <anchor as JSON>`. The signature covers the
//! JSON exactly as written; each anchor names the SHA-256 of the line before it, so a line
//! changed or removed in the middle shows too.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portal_domain::Ik;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use super::AuditProblem;
use crate::model::{Anchor, AnchoredHead, AuditRow};
use crate::ports::{AnchorLog, AnchorSigner, AuditLog, Clock, StoreError};

/// How often the local portal anchors the chains (when they changed); `verify` finds an anchor
/// missing when a change is older than two of these.
pub const ANCHOR_EVERY: Duration = Duration::HOUR;

/// Writes anchors and checks the chains against the newest one.
#[derive(Clone)]
pub struct Anchoring {
    pub audit: Arc<dyn AuditLog>,
    pub log: Arc<dyn AnchorLog>,
    pub signer: Arc<dyn AnchorSigner>,
    pub clock: Arc<dyn Clock>,
}

fn digest(line: &str) -> String {
    hex::encode(Sha256::digest(line.as_bytes()))
}

fn nanos(at: OffsetDateTime) -> i128 {
    at.unix_timestamp_nanos()
}

impl Anchoring {
    /// Appends an anchor of every chain's head, unless they stand where the last anchor saw them.
    pub async fn anchor(&self) -> Result<Option<Anchor>, StoreError> {
        let mut heads: Vec<AnchoredHead> = self
            .audit
            .audit_heads()
            .await?
            .into_iter()
            .map(|h| AnchoredHead { ik: h.ik, seq: h.seq, hash: h.hash, at: nanos(h.at) })
            .collect();
        heads.sort_by(|a, b| a.ik.as_str().cmp(b.ik.as_str()));
        // Another writer (`portal audit anchor` beside `portal serve`) may append first: then
        // build on its line.
        for _ in 0..3 {
            let lines = self.log.lines().await?;
            let last_line = lines.last().map(String::as_str);
            let last = last_line.and_then(|line| parse(line).map(|(_, anchor, _)| anchor));
            if let Some(last) = &last {
                if last.heads == heads {
                    return Ok(None);
                }
                // Never sign a chain that went back: that would vouch for a cut tail.
                if let Some(ik) = went_back(last, &heads) {
                    return Err(StoreError::Corrupt(format!(
                        "the audit chain of IK {ik} stands behind the last anchor; run `portal audit verify`"
                    )));
                }
            }
            let anchor = Anchor {
                at: nanos(self.clock.now()),
                key: self.signer.key_id().to_string(),
                prev: last_line.map(digest).unwrap_or_default(),
                heads: heads.clone(),
            };
            let json = serde_json::to_string(&anchor).map_err(StoreError::unavailable)?;
            let signature = self.signer.sign(json.as_bytes()).await?;
            let line = format!("{} {json}", URL_SAFE_NO_PAD.encode(signature));
            if self.log.append(&line, last_line).await? {
                return Ok(Some(anchor));
            }
        }
        Err(StoreError::unavailable("the anchor log kept changing under another writer"))
    }

    /// What the anchor log says is wrong: with itself (a forged or unlinked line), and with the
    /// chains as they are now (a cut tail, a replaced record, a chain gone). Positions the
    /// retention has legitimately removed are no problem.
    pub async fn check(&self, retention: Duration) -> Result<Vec<AuditProblem>, StoreError> {
        let now = self.clock.now();
        let expired = |at: i128| at + retention.whole_nanoseconds() <= nanos(now);
        let mut problems = Vec::new();
        let mut prev = String::new();
        let mut newest = None;
        for (number, line) in self.log.lines().await?.iter().enumerate() {
            let genuine = parse(line).filter(|(json, anchor, signature)| {
                anchor.prev == prev && self.signer.verify(json.as_bytes(), signature)
            });
            match genuine {
                Some((_, anchor, _)) => {
                    // An anchor that has a chain behind the one before it was written after a
                    // cut (by a writer that did not refuse, or with the key elsewhere).
                    let behind =
                        newest.as_ref().and_then(|before| went_back(before, &anchor.heads));
                    if let Some(ik) = behind {
                        problems.push(AuditProblem::AnchorWentBack { ik, line: number + 1 });
                    }
                    newest = Some(anchor);
                }
                None => problems.push(AuditProblem::AnchorForged { line: number + 1 }),
            }
            prev = digest(line);
        }
        let heads = self.audit.audit_heads().await?;
        // A chain that changed two intervals ago and more, with no anchor since: anchors were
        // not written, or the newest were cut from the log.
        let anchored_until = newest.as_ref().map_or(i128::MIN, |a: &Anchor| a.at);
        let two_intervals: Duration = ANCHOR_EVERY * 2i32;
        let due_before = nanos(now) - two_intervals.whole_nanoseconds();
        if heads.iter().any(|h| (anchored_until..due_before).contains(&nanos(h.at))) {
            problems.push(AuditProblem::AnchorMissing);
        }
        let Some(anchor) = newest else { return Ok(problems) };
        for anchored in anchor.heads.iter().filter(|h| !expired(h.at)) {
            let ik = anchored.ik;
            if !heads.iter().any(|h| h.ik == ik) {
                problems.push(AuditProblem::ChainGone { ik });
                continue;
            }
            let rows = self.audit.audit_of_ik(&ik).await?;
            let last = rows.last().map_or(0, AuditRow::seq);
            if last < anchored.seq {
                problems.push(AuditProblem::CutAfterAnchor { ik, anchored: anchored.seq, last });
            } else if let Some(AuditRow::Intact(record)) =
                rows.iter().find(|row| row.seq() == anchored.seq)
                && record.hash != anchored.hash
            {
                problems.push(AuditProblem::DiffersFromAnchor { ik, seq: anchored.seq });
            }
        }
        Ok(problems)
    }
}

/// The first IK whose chain stands behind where `before` saw it: gone, at an earlier position,
/// or another record at the same one. Chains only grow (retention removes records, not heads).
fn went_back(before: &Anchor, heads: &[AnchoredHead]) -> Option<Ik> {
    before.heads.iter().find_map(|old| {
        let now = heads.iter().find(|h| h.ik == old.ik);
        let behind =
            now.is_none_or(|h| h.seq < old.seq || (h.seq == old.seq && h.hash != old.hash));
        behind.then_some(old.ik)
    })
}

/// A line's anchor JSON, the anchor, and its signature; `None` for a line that is not one.
fn parse(line: &str) -> Option<(&str, Anchor, Vec<u8>)> {
    let (signature, json) = line.split_once(' ')?;
    let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
    let anchor = serde_json::from_str(json).ok()?;
    Some((json, anchor, signature))
}
