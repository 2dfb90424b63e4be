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

    /// Where a receipt moves a report standing here (`failure`: why it failed, if it did);
    /// `None` when it does not move it. A receipt never moves a draft (never sent) or a report
    /// back; a failure receipt counts only before the message was delivered; a delivery or read
    /// receipt overrides giving up (the last try may have reached KIM after all) but not a
    /// refusal.
    pub fn after_receipt(
        self,
        failure: Option<DeliveryFailure>,
        receipt: ReceiptKind,
    ) -> Option<ReportStatus> {
        use ReportStatus::*;
        let next = match receipt {
            ReceiptKind::Delivered => Delivered,
            ReceiptKind::Read => Read,
            ReceiptKind::Failed(_) => Failed,
        };
        let moves = match self {
            Draft | Read => false,
            Queued | Sent => true,
            Delivered => next == Read,
            Failed => failure == Some(DeliveryFailure::GaveUp) && next != Failed,
        };
        moves.then_some(next)
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
    /// The physician's practice left the directory or no longer receives eArztbriefe after the
    /// report was sent.
    Undeliverable,
}

impl DeliveryFailure {
    pub const ALL: [DeliveryFailure; 5] = [
        DeliveryFailure::AddressRefused,
        DeliveryFailure::NoCertificate,
        DeliveryFailure::TooLarge,
        DeliveryFailure::GaveUp,
        DeliveryFailure::Undeliverable,
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
            DeliveryFailure::Undeliverable => "undeliverable",
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
                "Der Bericht konnte auch nach mehreren Versuchen nicht übermittelt werden. Sie können ihn erneut senden oder als Brief übergeben."
            }
            (DeliveryFailure::GaveUp, Lang::En) => {
                "The report could not be delivered after several tries. You can send it again or hand it over as a letter."
            }
            (DeliveryFailure::Undeliverable, Lang::De) => {
                "Die Arztpraxis steht nicht mehr im Verzeichnis oder empfängt keine eArztbriefe mehr. Bitte übergeben Sie den Bericht als Brief."
            }
            (DeliveryFailure::Undeliverable, Lang::En) => {
                "The physician's practice is no longer in the directory or no longer receives eArztbriefe. Please hand the report over as a letter."
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

/// What is sealed: everything a practice wrote, and from the send on the message as it was
/// sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReportContents {
    pub form: ReportForm,
    pub physician: PhysicianRef,
    /// Made when the practice sent the report: what goes over KIM (and what its PDF shows
    /// afterwards), however the directories change later.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frozen: Option<FrozenMessage>,
    /// The practice's own PDF, sent behind the report's cover (its bytes are sealed apart, in
    /// the attachments store: too large for a record).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachment: Option<AttachmentInfo>,
}

/// A practice's own PDF as the report knows it. The file name may name the patient, so it is
/// sealed with the contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentInfo {
    /// The file name as uploaded (for the practice's eyes and the attachment's name).
    pub name: String,
    pub bytes: u64,
    pub pages: u32,
    /// SHA-256 of the PDF, hex: the sealed bytes found in the store are these and no others.
    pub sha256: String,
}

/// A report's KIM message as made at its send, but for the ids (derived from the report).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrozenMessage {
    pub from: String,
    pub from_name: String,
    pub to: String,
    pub to_name: String,
    pub subject: String,
    pub body: String,
    #[serde(with = "base64_bytes")]
    pub pdf: Vec<u8>,
    #[serde(with = "base64_bytes")]
    pub xml: Vec<u8>,
    pub pdf_name: String,
    pub xml_name: String,
    /// The practice's own PDF, attached behind the PDF/A: its file name in the message and
    /// its SHA-256 (the bytes stay in the attachments store).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<(String, String)>,
}

impl FrozenMessage {
    pub fn of(message: &ReportMessage) -> FrozenMessage {
        FrozenMessage {
            from: message.from.as_str().to_string(),
            from_name: message.from_name.clone(),
            to: message.to.as_str().to_string(),
            to_name: message.to_name.clone(),
            subject: message.subject.clone(),
            body: message.body.clone(),
            pdf: message.pdf.clone(),
            xml: message.xml.clone(),
            pdf_name: message.pdf_name.clone(),
            xml_name: message.xml_name.clone(),
            attachment: message
                .attachment
                .as_ref()
                .map(|a| (a.name.clone(), crate::model::sha256_hex(&a.pdf))),
        }
    }

    /// The message of report `report` of `practice`, with the practice's own PDF `attached`
    /// if it had one; `None` if an address no longer parses.
    pub fn message(
        &self,
        report: &ReportId,
        practice: &Ik,
        attached: Option<Vec<u8>>,
    ) -> Option<ReportMessage> {
        Some(ReportMessage {
            report: *report,
            message_id: ReportMessage::message_id_of(report, practice),
            from: KimAddress::parse(&self.from).ok()?,
            from_name: self.from_name.clone(),
            to: KimAddress::parse(&self.to).ok()?,
            to_name: self.to_name.clone(),
            subject: self.subject.clone(),
            body: self.body.clone(),
            pdf: self.pdf.clone(),
            xml: self.xml.clone(),
            pdf_name: self.pdf_name.clone(),
            xml_name: self.xml_name.clone(),
            attachment: match (&self.attachment, attached) {
                (Some((name, _)), Some(pdf)) => Some(MessageAttachment { name: name.clone(), pdf }),
                _ => None,
            },
        })
    }
}

/// Bytes as base64 in the sealed JSON.
mod base64_bytes {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
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
    /// The practice's own PDF, as it uploaded it, behind the PDF/A cover.
    pub attachment: Option<MessageAttachment>,
}

/// A further PDF in the message: the practice's own report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageAttachment {
    pub name: String,
    pub pdf: Vec<u8>,
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
    /// The address it speaks for (its `Final-Recipient`, an MDN's `From` without one), lower
    /// case: it counts only for a report sent to that address.
    pub from: Option<String>,
    pub kind: ReceiptKind,
    pub at: OffsetDateTime,
    /// How the delivery port finds it again to acknowledge it (a file name, a mailbox id).
    pub handle: String,
}

/// SHA-256 of `bytes` in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    hex::encode(digest.as_ref())
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
    fn a_receipt_moves_a_sent_report_on_and_never_back_nor_a_draft() {
        use ReportStatus::*;
        let (delivered, read) = (ReceiptKind::Delivered, ReceiptKind::Read);
        let failed = ReceiptKind::Failed(DeliveryFailure::AddressRefused);
        assert_eq!(Sent.after_receipt(None, delivered), Some(Delivered));
        assert_eq!(Queued.after_receipt(None, read), Some(Read));
        assert_eq!(Delivered.after_receipt(None, read), Some(Read));
        assert_eq!(Sent.after_receipt(None, failed), Some(Failed));
        // Never back, never a failure after delivery, never a draft.
        assert_eq!(Read.after_receipt(None, delivered), None);
        assert_eq!(Delivered.after_receipt(None, failed), None);
        assert_eq!(Read.after_receipt(None, failed), None);
        assert_eq!(Draft.after_receipt(None, delivered), None);
        // A delivery overrides giving up, not a refusal.
        let gave_up = Some(DeliveryFailure::GaveUp);
        assert_eq!(Failed.after_receipt(gave_up, delivered), Some(Delivered));
        assert_eq!(Failed.after_receipt(gave_up, failed), None);
        assert_eq!(Failed.after_receipt(Some(DeliveryFailure::NoCertificate), read), None);
    }
}
