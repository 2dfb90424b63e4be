//! A therapy report as the stores keep it: metadata in the clear (who, when, where it stands),
//! the contents sealed with a key the store never holds.

use portal_domain::therapy::{
    KimAddress, Physician, ReportForm, ReportKind, TherapyArea, TherapyReport,
};
use portal_domain::{Ik, Lang, Provider, UserFacing};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use super::ReportId;

/// Where a report stands. Only a draft may change; the others follow the delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportStatus {
    Draft,
    /// Frozen and waiting for the dispatcher.
    Queued,
    /// The KIM client module accepted it.
    Sent,
    /// The recipient's mailbox received it (delivery receipt).
    Delivered,
    /// The physician's system opened it (read receipt).
    Read,
    /// Refused for good; the reason is in `failure`.
    Failed,
}

impl ReportStatus {
    pub const ALL: [ReportStatus; 6] = [
        ReportStatus::Draft,
        ReportStatus::Queued,
        ReportStatus::Sent,
        ReportStatus::Delivered,
        ReportStatus::Read,
        ReportStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportStatus::Draft => "draft",
            ReportStatus::Queued => "queued",
            ReportStatus::Sent => "sent",
            ReportStatus::Delivered => "delivered",
            ReportStatus::Read => "read",
            ReportStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<ReportStatus> {
        ReportStatus::ALL.into_iter().find(|status| status.as_str() == s)
    }

    /// How far along the delivery it is: a receipt never moves a report back.
    fn rank(self) -> u8 {
        match self {
            ReportStatus::Draft => 0,
            ReportStatus::Queued => 1,
            ReportStatus::Sent => 2,
            ReportStatus::Delivered => 3,
            ReportStatus::Read => 4,
            ReportStatus::Failed => 5,
        }
    }

    /// Whether a receipt saying `next` moves the report on.
    pub fn advances_to(self, next: ReportStatus) -> bool {
        self != ReportStatus::Failed && next.rank() > self.rank()
    }
}

/// Why a report could not be delivered, in words a practice can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryFailure {
    /// The KIM directory or the recipient's mail server does not know the address.
    AddressRefused,
    /// No encryption certificate for the recipient: KIM cannot seal the message for it.
    NoCertificate,
    /// Larger than the recipient or the KIM service accepts.
    TooLarge,
    /// Every try failed (the last one's reason is in the log).
    GaveUp,
}

impl DeliveryFailure {
    pub const ALL: [DeliveryFailure; 4] = [
        DeliveryFailure::AddressRefused,
        DeliveryFailure::NoCertificate,
        DeliveryFailure::TooLarge,
        DeliveryFailure::GaveUp,
    ];

    pub fn parse(s: &str) -> Option<DeliveryFailure> {
        DeliveryFailure::ALL.into_iter().find(|f| f.code() == s)
    }
}

impl UserFacing for DeliveryFailure {
    fn code(&self) -> &'static str {
        match self {
            DeliveryFailure::AddressRefused => "address_refused",
            DeliveryFailure::NoCertificate => "no_certificate",
            DeliveryFailure::TooLarge => "too_large",
            DeliveryFailure::GaveUp => "gave_up",
        }
    }

    fn message(&self, lang: Lang) -> &'static str {
        match (self, lang) {
            (DeliveryFailure::AddressRefused, Lang::De) => {
                "Die KIM-Adresse der Arztpraxis wurde abgewiesen. Bitte prüfen Sie die Adresse mit der Praxis oder übergeben Sie den Bericht als Brief."
            }
            (DeliveryFailure::AddressRefused, Lang::En) => {
                "The physician's KIM address was refused. Please check it with the practice or hand the report over as a letter."
            }
            (DeliveryFailure::NoCertificate, Lang::De) => {
                "Für die Arztpraxis ist kein Verschlüsselungszertifikat hinterlegt; der Bericht konnte nicht sicher versandt werden. Bitte übergeben Sie ihn als Brief."
            }
            (DeliveryFailure::NoCertificate, Lang::En) => {
                "The physician's practice has no encryption certificate on file; the report could not be sent securely. Please hand it over as a letter."
            }
            (DeliveryFailure::TooLarge, Lang::De) => {
                "Der Bericht ist zu groß für den Empfang über KIM. Bitte verkleinern Sie die hochgeladene PDF-Datei."
            }
            (DeliveryFailure::TooLarge, Lang::En) => {
                "The report is too large to be received over KIM. Please make the uploaded PDF smaller."
            }
            (DeliveryFailure::GaveUp, Lang::De) => {
                "Der Bericht konnte auch nach mehreren Versuchen nicht übermittelt werden. Bitte versuchen Sie es später erneut oder übergeben Sie ihn als Brief."
            }
            (DeliveryFailure::GaveUp, Lang::En) => {
                "The report could not be delivered after several tries. Please try again later or hand it over as a letter."
            }
        }
    }
}

/// The physician a report goes to, as the practice picked them (a draft may not have one yet).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PhysicianRef {
    pub lanr: String,
    pub bsnr: String,
}

/// What is sealed: everything a practice wrote or uploaded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReportContents {
    pub form: ReportForm,
    pub physician: PhysicianRef,
}

/// The report's contents, encrypted (AES-256-GCM): the store keeps these bytes and nothing it
/// could read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed(pub Vec<u8>);

/// A therapy report as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReport {
    pub id: ReportId,
    /// The practice's IK: only its accounts see the report.
    pub practice: Ik,
    pub status: ReportStatus,
    /// Metadata the back office may list (never the contents).
    pub kind: Option<ReportKind>,
    pub area: Option<TherapyArea>,
    /// `None` once the contents expired (the metadata stays a year).
    pub contents: Option<Sealed>,
    /// The sent report this one corrects.
    pub corrects: Option<ReportId>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub queued_at: Option<OffsetDateTime>,
    pub sent_at: Option<OffsetDateTime>,
    pub delivered_at: Option<OffsetDateTime>,
    pub read_at: Option<OffsetDateTime>,
    pub failure: Option<DeliveryFailure>,
    /// The `Idempotency-Key` of the send that queued it.
    pub idempotency_key: Option<String>,
    /// Tries of the dispatcher so far.
    pub attempts: u32,
    /// Not to be tried before (backoff), and reserved for one dispatcher until then.
    pub next_attempt_at: Option<OffsetDateTime>,
    /// The contents go then: a draft 90 days after its last change, a sent report 30 days
    /// after its last status.
    pub contents_expire_at: OffsetDateTime,
    /// The record goes then: a year after its last change.
    pub expires_at: OffsetDateTime,
    /// Counts saves: a save is conditional on the version it read (0: not stored yet).
    pub version: u64,
}

/// One report on its way over KIM: what the delivery port turns into a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportMessage {
    pub report: ReportId,
    /// `<{report}.{practice}@etherapiebericht>`: no host name, and a receipt that quotes it
    /// finds its report.
    pub message_id: String,
    /// The insurer's KIM address the service sends from.
    pub from: KimAddress,
    /// The practice the report comes from, by name (the sender's display name).
    pub from_name: String,
    pub to: KimAddress,
    pub to_name: String,
    /// Without medical content.
    pub subject: String,
    /// Without medical content: who sends what, and where to ask.
    pub body: String,
    pub pdf: Vec<u8>,
    pub xml: Vec<u8>,
    /// File names of the attachments.
    pub pdf_name: String,
    pub xml_name: String,
}

impl ReportMessage {
    pub fn message_id_of(report: &ReportId, practice: &Ik) -> String {
        format!("<{report}.{practice}@etherapiebericht>")
    }

    /// The report and practice a receipt's `Original-Message-ID` names.
    pub fn parse_message_id(message_id: &str) -> Option<(ReportId, Ik)> {
        let inner = message_id.trim().strip_prefix('<')?.strip_suffix(">")?;
        let (left, host) = inner.split_once('@')?;
        let (report, practice) = left.split_once('.')?;
        if host != "etherapiebericht" {
            return None;
        }
        Some((ReportId::parse(report)?, Ik::parse(practice).ok()?))
    }
}

/// What the PDF shows: the report, who wrote it (the practice's stamp from the directory), to
/// whom, for which insurer, on which day.
#[derive(Debug, Clone, Copy)]
pub struct ReportDocument<'a> {
    pub id: &'a ReportId,
    pub report: &'a TherapyReport,
    pub practice: &'a Provider,
    pub physician: &'a Physician,
    /// The insurer running the service, as providers know it.
    pub insurer: &'a str,
    /// The day it was sent (today for the preview of a draft).
    pub date: Date,
    /// A report that corrects an earlier one names it.
    pub corrects: Option<&'a ReportId>,
}

/// What a receipt says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptKind {
    Delivered,
    Read,
    Failed(DeliveryFailure),
}

/// A receipt that came back for a sent report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The id of the message it answers.
    pub message_id: String,
    pub kind: ReceiptKind,
    pub at: OffsetDateTime,
    /// How the delivery port finds it again to acknowledge it (a file name, a mailbox id).
    pub handle: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_finds_its_report_by_the_message_id_and_nothing_else_does() {
        let (id, ik) = (ReportId::new(), Ik::parse("107299005").unwrap());
        let message_id = ReportMessage::message_id_of(&id, &ik);
        assert_eq!(ReportMessage::parse_message_id(&message_id), Some((id, ik)));
        assert_eq!(ReportMessage::parse_message_id("<x.y@example.org>"), None);
        assert_eq!(ReportMessage::parse_message_id(&message_id.replace("etherapie", "e")), None);
    }

    #[test]
    fn a_receipt_never_moves_a_report_back() {
        use ReportStatus::*;
        assert!(Sent.advances_to(Delivered) && Delivered.advances_to(Read));
        assert!(!Read.advances_to(Delivered) && !Failed.advances_to(Read));
        assert!(Queued.advances_to(Failed));
    }
}
