//! The reports' dispatcher: the letters' pattern. A queued report is claimed for a while (its
//! next try moved past the claim), its message (frozen when the practice sent it) handed to
//! KIM, and the report marked sent; a try that fails is retried with backoff, a refusal or the
//! last failed try marks it failed. Receipts move a sent report on to delivered and read.
//!
//! A dispatcher that dies after KIM took the message and before the report was marked sent
//! leaves it queued: after the claim runs out the next round sends it once more, under the same
//! `Message-ID`. That is the one window: at most one more copy, never none.

use portal_domain::UserFacing;
use time::Duration;

use super::{Reports, ReportsError, SENT_KEPT};
use crate::model::{DayCount, DeliveryFailure, ReportMessage, ReportStatus, StoredReport};
use crate::ports::{DeliveryError, ReportDelivery, ReportQueue, Saved, StoreError};

/// How long a dispatcher may take with a report it claimed before another may try.
const CLAIM: Duration = Duration::minutes(5);
/// Tries before a report is given up (with the backoff below: about two hours).
pub const MAX_ATTEMPTS: u32 = 8;

/// The wait before the next try: 1, 2, 4 … minutes, at most an hour.
fn backoff(attempts: u32) -> Duration {
    Duration::minutes(1i64 << attempts.saturating_sub(1).min(6)).min(Duration::hours(1))
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DispatchedReports {
    pub sent: usize,
    /// Refused for good, or given up.
    pub failed: usize,
    /// To be tried again later.
    pub retrying: usize,
    /// Left for the next round: the store failed on them, or another dispatcher had them.
    pub skipped: usize,
    pub receipts: usize,
}

/// Sends the due reports of one tenant, then records the receipts that came in, then drops
/// expired contents. A store failure on one report leaves it for the next round and goes on
/// with the others; only a queue that cannot be read ends the round with an error.
pub async fn dispatch_reports(
    reports: &Reports,
    queue: &dyn ReportQueue,
    delivery: &dyn ReportDelivery,
) -> Result<DispatchedReports, StoreError> {
    let mut done = DispatchedReports::default();
    let now = reports.clock.now();
    for record in queue.due_reports(now, 50).await? {
        match dispatch_one(reports, delivery, record).await {
            Ok(Some(Outcome::Sent)) => done.sent += 1,
            Ok(Some(Outcome::Failed)) => done.failed += 1,
            Ok(Some(Outcome::Retrying)) => done.retrying += 1,
            Ok(None) => done.skipped += 1,
            Err(error) => {
                done.skipped += 1;
                tracing::warn!(error = %crate::error_chain(&error), "report left for the next round");
            }
        }
    }
    done.receipts = record_receipts(reports, delivery).await?;
    let (contents, records) = queue.purge_reports(reports.clock.now()).await?;
    if contents + records > 0 {
        tracing::info!(contents, records, "expired reports purged");
    }
    Ok(done)
}

enum Outcome {
    Sent,
    Failed,
    Retrying,
}

/// Claims one due report, sends it, records what came of it; `None` when another dispatcher
/// had claimed it first.
async fn dispatch_one(
    reports: &Reports,
    delivery: &dyn ReportDelivery,
    record: StoredReport,
) -> Result<Option<Outcome>, StoreError> {
    let now = reports.clock.now();
    let claimed = StoredReport {
        attempts: record.attempts + 1,
        next_attempt_at: Some(now + CLAIM),
        ..record
    };
    if reports.reports.save_report(&claimed).await? == Saved::Conflict {
        return Ok(None);
    }
    let claimed = StoredReport { version: claimed.version + 1, ..claimed };
    let outcome = match frozen_message(reports, &claimed).await {
        Ok(message) => delivery.deliver(&message).await,
        // Sealed when it was sent, it opens or it never will: nothing to retry (but a store
        // that did not answer for the own PDF may next time).
        Err(error) => Err(error),
    };
    let now = reports.clock.now();
    let (next, outcome) = match outcome {
        Ok(()) => {
            tracing::info!(report = %claimed.id, "report sent");
            let next = StoredReport {
                status: ReportStatus::Sent,
                sent_at: Some(now),
                next_attempt_at: None,
                ..claimed.clone()
            };
            (next, Outcome::Sent)
        }
        Err(DeliveryError::Unavailable(error)) if claimed.attempts < MAX_ATTEMPTS => {
            tracing::warn!(report = %claimed.id, attempts = claimed.attempts, error = %crate::error_chain(&*error), "report not sent, will retry");
            let next = StoredReport {
                next_attempt_at: Some(now + backoff(claimed.attempts)),
                ..claimed.clone()
            };
            (next, Outcome::Retrying)
        }
        Err(error) => {
            let failure = match &error {
                DeliveryError::Refused(failure) => *failure,
                DeliveryError::Unavailable(_) => DeliveryFailure::GaveUp,
            };
            tracing::warn!(report = %claimed.id, failure = failure.code(), "report failed");
            let next = StoredReport {
                status: ReportStatus::Failed,
                failure: Some(failure),
                next_attempt_at: None,
                ..claimed.clone()
            };
            (next, Outcome::Failed)
        }
    };
    let next = StoredReport { updated_at: now, ..next };
    if reports.reports.save_report(&next).await? == Saved::Conflict {
        tracing::error!(report = %claimed.id, "report changed while it was being sent");
    } else if matches!(outcome, Outcome::Sent) {
        crate::figures::count_figure(reports.limits.as_ref(), DayCount::ReportsSent, now).await;
    }
    Ok(Some(outcome))
}

/// The message frozen when the practice sent the report (with the practice's own PDF, read
/// back from the attachments store and checked against the hash frozen with it), or why there
/// is none to send.
async fn frozen_message(
    reports: &Reports,
    record: &StoredReport,
) -> Result<ReportMessage, DeliveryError> {
    let undeliverable = DeliveryError::Refused(DeliveryFailure::Undeliverable);
    let not_opened = |error: ReportsError| match error {
        ReportsError::Store(error) => DeliveryError::Unavailable(Box::new(error)),
        error => {
            if !matches!(error, ReportsError::ContentsExpired) {
                tracing::error!(report = %record.id, error = %crate::error_chain(&error), "report contents do not open");
            }
            DeliveryError::Refused(DeliveryFailure::Undeliverable)
        }
    };
    let contents = reports.contents(record).map_err(not_opened)?;
    let Some(frozen) = contents.frozen else { return Err(undeliverable) };
    let attached = match &frozen.attachment {
        Some((_, sha256)) => Some(reports.attached_pdf(record, sha256).await.map_err(not_opened)?),
        None => None,
    };
    frozen.message(&record.id, &record.practice, attached).ok_or(undeliverable)
}

/// Records each receipt on its report, then acknowledges it. A receipt for no report of this
/// tenant is left alone.
async fn record_receipts(
    reports: &Reports,
    delivery: &dyn ReportDelivery,
) -> Result<usize, StoreError> {
    let receipts = match delivery.receipts().await {
        Ok(receipts) => receipts,
        Err(error) => {
            tracing::warn!(error = %crate::error_chain(&error), "receipts not read, will retry");
            return Ok(0);
        }
    };
    let mut recorded = 0;
    for receipt in receipts {
        let found = match ReportMessage::parse_message_id(&receipt.message_id) {
            Some((id, practice)) => reports.reports.report(&practice, &id).await?,
            None => None,
        };
        let Some(record) = found else {
            // Another tenant's (tenants share the local receipts folder), or none's: left for
            // whoever it belongs to.
            tracing::debug!(message_id = %receipt.message_id, "receipt for no report of this tenant");
            continue;
        };
        // It counts only if it speaks for the address the report went to: any other (misrouted
        // or forged) stays unmatched in the inbox. Logged by report id, never by address. Once
        // the contents expired (30 days after the last status) the address is gone with them:
        // a late receipt then only moves the status, as before.
        let sent_to = reports.contents(&record).ok().and_then(|c| c.frozen).map(|f| f.to);
        if let Some(to) = sent_to
            && !receipt.from.as_deref().is_some_and(|from| from.eq_ignore_ascii_case(to.trim()))
        {
            tracing::warn!(report = %record.id, "a receipt not from the report's recipient: left unmatched");
            continue;
        }
        if let Some(status) = record.status.after_receipt(record.failure, receipt.kind) {
            let now = reports.clock.now();
            let at = receipt.at;
            // Contents that already expired stay gone (DynamoDB's TTL may not have caught up).
            let expired = record.contents_expire_at <= now;
            let next = StoredReport {
                status,
                delivered_at: match status {
                    ReportStatus::Delivered | ReportStatus::Read => {
                        record.delivered_at.or(Some(at))
                    }
                    _ => record.delivered_at,
                },
                read_at: if status == ReportStatus::Read { Some(at) } else { record.read_at },
                failure: match receipt.kind {
                    crate::model::ReceiptKind::Failed(failure) => Some(failure),
                    _ => None,
                },
                next_attempt_at: None,
                updated_at: now,
                contents: if expired { None } else { record.contents.clone() },
                contents_expire_at: if expired {
                    record.contents_expire_at
                } else {
                    now + SENT_KEPT
                },
                ..record.clone()
            };
            if reports.reports.save_report(&next).await? == Saved::Conflict {
                continue; // changed meanwhile: the receipt is read again next round
            }
            recorded += 1;
            if record.delivered_at.is_none() && next.delivered_at.is_some() {
                crate::figures::count_figure(
                    reports.limits.as_ref(),
                    DayCount::ReportsDelivered,
                    now,
                )
                .await;
            }
            tracing::info!(report = %record.id, status = status.as_str(), "receipt recorded");
        }
        if let Err(error) = delivery.acknowledge(&receipt).await {
            tracing::warn!(error = %crate::error_chain(&error), "receipt not acknowledged");
        }
    }
    Ok(recorded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tries_wait_longer_each_time_and_never_more_than_an_hour() {
        let waits: Vec<i64> = (1..=MAX_ATTEMPTS).map(|n| backoff(n).whole_minutes()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60]);
    }
}
