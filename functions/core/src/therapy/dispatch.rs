//! The reports' dispatcher: the letters' pattern. A queued report is claimed for a while (its
//! next try moved past the claim), built into its message, handed to KIM, and marked sent; a
//! try that fails is retried with backoff, a refusal or the last failed try marks it failed.
//! Receipts move a sent report on to delivered and read.
//!
//! A dispatcher that dies after KIM took the message and before the report was marked sent
//! leaves it queued: after the claim runs out the next round sends it once more, under the same
//! `Message-ID`. That is the one window: at most one more copy, never none.

use portal_domain::UserFacing;
use time::Duration;

use super::{Letter, Reports, ReportsError, SENT_KEPT, earztbrief_xml};
use crate::model::{
    DeliveryFailure, ReceiptKind, ReportDocument, ReportMessage, ReportStatus, StoredReport,
};
use crate::ports::{DeliveryError, ReportDelivery, ReportQueue, Saved, StoreError};

/// How long a dispatcher may take with a report it claimed before another may try.
const CLAIM: Duration = Duration::minutes(5);
/// Tries before a report is given up (with the backoff below: about four hours).
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
    pub receipts: usize,
}

/// Sends the due reports of one tenant, then records the receipts that came in, then drops
/// expired contents.
pub async fn dispatch_reports(
    reports: &Reports,
    queue: &dyn ReportQueue,
    delivery: &dyn ReportDelivery,
) -> Result<DispatchedReports, StoreError> {
    let mut done = DispatchedReports::default();
    let now = reports.clock.now();
    for record in queue.due_reports(now, 50).await? {
        let claimed = StoredReport {
            attempts: record.attempts + 1,
            next_attempt_at: Some(now + CLAIM),
            ..record
        };
        if reports.reports.save_report(&claimed).await? == Saved::Conflict {
            continue; // another dispatcher has it
        }
        let claimed = StoredReport { version: claimed.version + 1, ..claimed };
        let outcome = match message(reports, &claimed).await {
            Ok(message) => delivery.deliver(&message).await,
            Err(ReportsError::Store(e)) => return Err(e),
            Err(error) => {
                // The report was complete when it was queued; what fails now is on our side.
                tracing::error!(report = %claimed.id, error = %crate::error_chain(&error), "report message not built");
                Err(DeliveryError::Unavailable(error.into()))
            }
        };
        let now = reports.clock.now();
        let next = match outcome {
            Ok(()) => {
                done.sent += 1;
                tracing::info!(report = %claimed.id, "report sent");
                StoredReport {
                    status: ReportStatus::Sent,
                    sent_at: Some(now),
                    next_attempt_at: None,
                    ..claimed.clone()
                }
            }
            Err(DeliveryError::Unavailable(error)) if claimed.attempts < MAX_ATTEMPTS => {
                done.retrying += 1;
                tracing::warn!(report = %claimed.id, attempts = claimed.attempts, error = %crate::error_chain(&*error), "report not sent, will retry");
                StoredReport {
                    next_attempt_at: Some(now + backoff(claimed.attempts)),
                    ..claimed.clone()
                }
            }
            Err(error) => {
                done.failed += 1;
                let failure = match &error {
                    DeliveryError::Refused(failure) => *failure,
                    DeliveryError::Unavailable(_) => DeliveryFailure::GaveUp,
                };
                tracing::warn!(report = %claimed.id, failure = failure.code(), "report failed");
                StoredReport {
                    status: ReportStatus::Failed,
                    failure: Some(failure),
                    next_attempt_at: None,
                    ..claimed.clone()
                }
            }
        };
        let next = StoredReport { updated_at: now, contents_expire_at: now + SENT_KEPT, ..next };
        if reports.reports.save_report(&next).await? == Saved::Conflict {
            tracing::error!(report = %claimed.id, "report changed while it was being sent");
        }
    }
    done.receipts = record_receipts(reports, delivery).await?;
    let (contents, records) = queue.purge_reports(reports.clock.now()).await?;
    if contents + records > 0 {
        tracing::info!(contents, records, "expired reports purged");
    }
    Ok(done)
}

/// The message of a claimed report: the report read whole again, its PDF and XML.
async fn message(reports: &Reports, record: &StoredReport) -> Result<ReportMessage, ReportsError> {
    let contents = reports.contents(record)?;
    let at = record.queued_at.unwrap_or(record.updated_at);
    let date = portal_domain::german_date(at);
    let (report, physician) = reports.complete(&contents, date).await?;
    let practice =
        reports.providers.provider(&record.practice).await?.ok_or(ReportsError::NotHeilmittel)?;
    let to = physician.receives_earztbrief().cloned().ok_or(ReportsError::NoEarztbrief)?;
    let from = reports.tenant.kim_address.clone().ok_or(ReportsError::NoEarztbrief)?;
    let document = ReportDocument {
        id: &record.id,
        report: &report,
        practice: &practice,
        physician: &physician,
        insurer: &reports.tenant.name,
        date,
        corrects: record.corrects.as_ref(),
    };
    let pdf = reports.renderer.render(&document)?;
    let id = record.id.to_string();
    let xml = earztbrief_xml(
        &report,
        &Letter { id: &id, at, practice: &practice, physician: &physician },
    );
    let kind = super::earztbrief::title(report.kind);
    Ok(ReportMessage {
        report: record.id,
        message_id: ReportMessage::message_id_of(&record.id, &record.practice),
        from,
        from_name: format!("{} über {}", practice.name, reports.tenant.name),
        to,
        to_name: physician.name.clone(),
        subject: format!("{kind} (eArztbrief)"),
        body: format!(
            "Sehr geehrte Damen und Herren,\n\n\
             anbei erhalten Sie einen {kind} der Praxis {name}, {ort}, als eArztbrief \
             (PDF und XML), übermittelt über den eTherapiebericht der {insurer}.\n\n\
             Bei Fragen zum Bericht wenden Sie sich bitte an die Praxis.\n",
            name = practice.name,
            ort = practice.address.ort,
            insurer = reports.tenant.name,
        ),
        pdf,
        xml,
        pdf_name: format!("{kind}-{id}.pdf").replace(' ', "-"),
        xml_name: format!("{kind}-{id}.xml").replace(' ', "-"),
    })
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
        if let Some(record) = found {
            let status = match receipt.kind {
                ReceiptKind::Delivered => ReportStatus::Delivered,
                ReceiptKind::Read => ReportStatus::Read,
                ReceiptKind::Failed(_) => ReportStatus::Failed,
            };
            if record.status.advances_to(status) {
                let at = receipt.at;
                let now = reports.clock.now();
                let next = StoredReport {
                    status,
                    delivered_at: record.delivered_at.or(match status {
                        ReportStatus::Delivered | ReportStatus::Read => Some(at),
                        _ => None,
                    }),
                    read_at: (status == ReportStatus::Read).then_some(at).or(record.read_at),
                    failure: match receipt.kind {
                        ReceiptKind::Failed(failure) => Some(failure),
                        _ => record.failure,
                    },
                    next_attempt_at: None,
                    updated_at: now,
                    contents_expire_at: now + SENT_KEPT,
                    ..record.clone()
                };
                if reports.reports.save_report(&next).await? == Saved::Conflict {
                    continue; // changed meanwhile: the receipt is read again next round
                }
                recorded += 1;
                tracing::info!(report = %record.id, status = status.as_str(), "receipt recorded");
            }
        } else {
            // Another tenant's (tenants share the local receipts folder), or none's: left for
            // whoever it belongs to.
            tracing::debug!(message_id = %receipt.message_id, "receipt for no report of this tenant");
            continue;
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
