//! Receipts that come back for a sent report: read receipts (MDN, RFC 8098) from the physician's
//! system and delivery status notifications (DSN, RFC 3464) from the mail servers on the way.
//! [`read_receipt`] reads one; [`receipt_mdn`] and [`receipt_dsn`] write them the way the demo and
//! the tests drop them into the outbox's `in/` folder.

use mail_parser::{MessageParser, MimeHeaders, PartType};
use portal_core::model::{DeliveryFailure, ReceiptKind, ReportMessage};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

/// What a receipt says about which message, and when (if it says).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    Receipt {
        message_id: String,
        /// The address it speaks for: its `Final-Recipient` (an MDN's `From` without one).
        from: Option<String>,
        kind: ReceiptKind,
        at: Option<OffsetDateTime>,
    },
    /// A DSN saying delivery is delayed: nothing to record, the final one follows.
    Delayed,
}

/// Why a file is not a receipt we understand.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unreadable {
    #[error("not a mail message")]
    NotMail,
    #[error("not a multipart/report")]
    NotReport,
    #[error("no disposition or delivery status part")]
    NoStatus,
    #[error("no original message id")]
    NoMessageId,
    #[error("a disposition or action we do not know")]
    UnknownStatus,
}

/// Reads one receipt message.
pub fn read_receipt(raw: &[u8]) -> Result<Reading, Unreadable> {
    let message = MessageParser::default().parse(raw).ok_or(Unreadable::NotMail)?;
    if message.headers().is_empty() {
        return Err(Unreadable::NotMail);
    }
    let content_type = message.content_type().ok_or(Unreadable::NotReport)?;
    let is_report = content_type.ctype().eq_ignore_ascii_case("multipart")
        && content_type.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"));
    if !is_report {
        return Err(Unreadable::NotReport);
    }
    let at = message
        .date()
        .and_then(|date| OffsetDateTime::from_unix_timestamp(date.to_timestamp()).ok());
    let report_type = content_type.attribute("report-type").unwrap_or_default().to_lowercase();

    // The headers of the original message, where the report returns them.
    let mut returned: Vec<(String, String)> = Vec::new();
    let mut status: Option<(String, Vec<(String, String)>)> = None;
    for part in &message.parts {
        let Some(ct) = part.content_type() else { continue };
        let mime =
            format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or_default()).to_ascii_lowercase();
        match mime.as_str() {
            "message/disposition-notification" | "message/delivery-status" => {
                status.get_or_insert((mime.clone(), fields(part.contents())));
            }
            "text/rfc822-headers" => returned.extend(fields(part.contents())),
            "message/rfc822" | "message/global" => {
                if let PartType::Message(original) = &part.body {
                    for name in ["X-Original-Message-ID", "Message-ID"] {
                        if let Some(value) = original.header_raw(name) {
                            returned.push((name.to_ascii_lowercase(), value.trim().to_string()));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let (mime, fields) = status.ok_or(Unreadable::NoStatus)?;
    let field = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    let returned_field =
        |name: &str| returned.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    // `rfc822; praxis@x.kim.telematik`: a DSN's From is the mail server, so the recipient field.
    let from = field("final-recipient")
        .or(field("original-recipient"))
        .and_then(|f| address(f.rsplit(';').next().unwrap_or_default()))
        .or_else(|| message.header_raw("From").and_then(address));

    if mime == "message/disposition-notification" || report_type == "disposition-notification" {
        let disposition = field("disposition").ok_or(Unreadable::UnknownStatus)?;
        // `action-mode/sending-mode; type/modifier`.
        let kind = disposition
            .rsplit(';')
            .next()
            .map(|t| t.trim().split('/').next().unwrap_or_default().to_ascii_lowercase());
        let kind = match kind.as_deref() {
            Some("displayed") => ReceiptKind::Read,
            Some("processed" | "dispatched" | "deleted" | "denied") => ReceiptKind::Delivered,
            _ => return Err(Unreadable::UnknownStatus),
        };
        let message_id = message_id([
            field("original-message-id"),
            message.header_raw("In-Reply-To"),
            returned_field("message-id"),
        ])?;
        return Ok(Reading::Receipt { message_id, from, kind, at });
    }

    // A DSN: per-message fields, then one group per recipient (we send to one).
    let action = field("action").map(|a| a.trim().to_ascii_lowercase());
    let kind = match action.as_deref() {
        Some("delivered" | "relayed" | "expanded") => ReceiptKind::Delivered,
        Some("delayed") => return Ok(Reading::Delayed),
        Some("failed") => {
            let status = field("status").unwrap_or_default();
            ReceiptKind::Failed(failure_of_status(status))
        }
        _ => return Err(Unreadable::UnknownStatus),
    };
    let message_id = message_id([
        field("original-envelope-id"),
        returned_field("x-original-message-id"),
        returned_field("message-id"),
    ])?;
    Ok(Reading::Receipt { message_id, from, kind, at })
}

/// The mail address in `Name <a@b>` or `a@b`, lower case.
fn address(text: &str) -> Option<String> {
    let text = text.trim();
    let inner = match (text.rfind('<'), text.rfind('>')) {
        (Some(open), Some(close)) if open < close => &text[open + 1..close],
        _ => text.split_whitespace().find(|w| w.contains('@')).unwrap_or(text),
    };
    let inner = inner.trim();
    inner.contains('@').then(|| inner.to_ascii_lowercase())
}

/// What an enhanced status code (RFC 3463) of a failed delivery means for the practice.
pub fn failure_of_status(status: &str) -> DeliveryFailure {
    let code: Vec<&str> = status.trim().split(['.', ' ']).take(3).collect();
    match code.as_slice() {
        [_, "3", "4"] | [_, "2", "3"] => DeliveryFailure::TooLarge,
        [_, "7", _] => DeliveryFailure::NoCertificate,
        _ => DeliveryFailure::AddressRefused,
    }
}

/// The first candidate that is one of ours (`<…@etherapiebericht>`), else the first at all, as
/// `<id>`.
fn message_id(candidates: [Option<&str>; 3]) -> Result<String, Unreadable> {
    let ids: Vec<String> = candidates
        .into_iter()
        .flatten()
        .map(|c| c.trim())
        .filter(|c| c.contains('@'))
        .map(|c| format!("<{}>", c.trim_start_matches('<').trim_end_matches('>').trim()))
        .collect();
    ids.iter()
        .find(|id| ReportMessage::parse_message_id(id).is_some())
        .or(ids.first())
        .cloned()
        .ok_or(Unreadable::NoMessageId)
}

/// Header-like fields (`Name: value`, folded lines unfolded), names lowercase; the groups of a
/// delivery status run together (the first of a name wins).
fn fields(contents: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(contents);
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = fields.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            fields.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    fields
}

/// What the physician's system did with the message (RFC 8098 disposition types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Shown to the user: a read receipt.
    Displayed,
    /// Taken into the practice system without showing it yet.
    Processed,
    Dispatched,
}

impl Disposition {
    fn as_str(self) -> &'static str {
        match self {
            Disposition::Displayed => "displayed",
            Disposition::Processed => "processed",
            Disposition::Dispatched => "dispatched",
        }
    }
}

/// What a mail server reports on a delivery (RFC 3464 actions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DsnAction {
    Delivered,
    Delayed,
    Failed,
}

impl DsnAction {
    fn as_str(self) -> &'static str {
        match self {
            DsnAction::Delivered => "delivered",
            DsnAction::Delayed => "delayed",
            DsnAction::Failed => "failed",
        }
    }
}

const BOUNDARY: &str = "=_etherapiebericht_receipt_=";

fn date(at: OffsetDateTime) -> String {
    at.format(&Rfc2822).unwrap_or_default()
}

/// A read or processing receipt (MDN) from `recipient` for the message `original_message_id`
/// (`<…>`), as the physician's system sends it.
pub fn receipt_mdn(
    original_message_id: &str,
    recipient: &str,
    disposition: Disposition,
    at: OffsetDateTime,
) -> String {
    let kind = disposition.as_str();
    let mode = match disposition {
        Disposition::Displayed => "manual-action/MDN-sent-manually",
        _ => "automatic-action/MDN-sent-automatically",
    };
    let local = original_message_id.trim_matches(['<', '>']).replace('@', ".");
    [
        format!("From: <{recipient}>"),
        format!("Date: {}", date(at)),
        format!("Subject: Empfangsbestaetigung ({kind})"),
        format!("Message-ID: <mdn.{kind}.{local}@receipt.invalid>"),
        format!("In-Reply-To: {original_message_id}"),
        "MIME-Version: 1.0".into(),
        format!(
            "Content-Type: multipart/report; report-type=disposition-notification;\r\n boundary=\"{BOUNDARY}\""
        ),
        String::new(),
        format!("--{BOUNDARY}"),
        "Content-Type: text/plain; charset=utf-8".into(),
        String::new(),
        format!("The message was {kind}."),
        format!("--{BOUNDARY}"),
        "Content-Type: message/disposition-notification".into(),
        String::new(),
        "Reporting-UA: practice-system; eTherapiebericht receipt".into(),
        format!("Final-Recipient: rfc822; {recipient}"),
        format!("Original-Message-ID: {original_message_id}"),
        format!("Disposition: {mode}; {kind}"),
        String::new(),
        format!("--{BOUNDARY}--"),
        String::new(),
    ]
    .join("\r\n")
}

/// A delivery status notification (DSN) for the message `original_message_id` to `recipient`:
/// `status` is the enhanced status code (`2.0.0`, `5.1.1`, `5.7.1`, …). The original message
/// id travels in the returned headers, as most mail servers send it.
pub fn receipt_dsn(
    original_message_id: &str,
    recipient: &str,
    action: DsnAction,
    status: &str,
    at: OffsetDateTime,
) -> String {
    let kind = action.as_str();
    let local = original_message_id.trim_matches(['<', '>']).replace('@', ".");
    [
        "From: Mail Delivery System <mailer-daemon@receipt.invalid>".into(),
        format!("Date: {}", date(at)),
        format!("Subject: Delivery Status Notification ({kind})"),
        format!("Message-ID: <dsn.{kind}.{local}@receipt.invalid>"),
        "MIME-Version: 1.0".into(),
        format!(
            "Content-Type: multipart/report; report-type=delivery-status;\r\n boundary=\"{BOUNDARY}\""
        ),
        String::new(),
        format!("--{BOUNDARY}"),
        "Content-Type: text/plain; charset=utf-8".into(),
        String::new(),
        format!("Delivery to <{recipient}>: {kind} ({status})."),
        format!("--{BOUNDARY}"),
        "Content-Type: message/delivery-status".into(),
        String::new(),
        "Reporting-MTA: dns; receipt.invalid".into(),
        format!("Arrival-Date: {}", date(at)),
        String::new(),
        format!("Final-Recipient: rfc822; {recipient}"),
        format!("Action: {kind}"),
        format!("Status: {status}"),
        format!("Last-Attempt-Date: {}", date(at)),
        String::new(),
        format!("--{BOUNDARY}"),
        "Content-Type: text/rfc822-headers".into(),
        String::new(),
        format!("Message-ID: {original_message_id}"),
        "X-KIM-Dienstkennung: Arztbrief;VHitG-Versand;V1.2".into(),
        String::new(),
        format!("--{BOUNDARY}--"),
        String::new(),
    ]
    .join("\r\n")
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const ID: &str = "<01JV5T0000000000000000RPRT.401612342@etherapiebericht>";
    const AT: OffsetDateTime = datetime!(2026-05-04 10:15:00 UTC);

    fn read(raw: &str) -> Reading {
        read_receipt(raw.as_bytes()).unwrap()
    }

    fn receipt(kind: ReceiptKind) -> Reading {
        let from = Some("praxis.schulz@hno-erfurt.kim.telematik".into());
        Reading::Receipt { message_id: ID.into(), from, kind, at: Some(AT) }
    }

    #[test]
    fn our_mdns_and_dsns_read_back_as_what_they_say() {
        let to = "praxis.schulz@hno-erfurt.kim.telematik";
        assert_eq!(
            read(&receipt_mdn(ID, to, Disposition::Displayed, AT)),
            receipt(ReceiptKind::Read)
        );
        for d in [Disposition::Processed, Disposition::Dispatched] {
            assert_eq!(read(&receipt_mdn(ID, to, d, AT)), receipt(ReceiptKind::Delivered));
        }
        let dsn = |action, status| read(&receipt_dsn(ID, to, action, status, AT));
        assert_eq!(dsn(DsnAction::Delivered, "2.0.0"), receipt(ReceiptKind::Delivered));
        assert_eq!(dsn(DsnAction::Delayed, "4.4.1"), Reading::Delayed);
        for (status, failure) in [
            ("5.1.1", DeliveryFailure::AddressRefused),
            ("5.1.10", DeliveryFailure::AddressRefused),
            ("5.3.4", DeliveryFailure::TooLarge),
            ("5.7.1", DeliveryFailure::NoCertificate),
            ("5.4.4", DeliveryFailure::AddressRefused),
        ] {
            assert_eq!(
                dsn(DsnAction::Failed, status),
                receipt(ReceiptKind::Failed(failure)),
                "{status}"
            );
        }
    }

    /// As Postfix returns a bounce: the original id only in the returned message's headers,
    /// a gateway's rewritten `Message-ID` beside our `X-Original-Message-ID`.
    #[test]
    fn a_real_world_dsn_finds_our_id_in_the_returned_message() {
        let raw = format!(
            "From: MAILER-DAEMON@mx.example (Mail Delivery System)\r\n\
             Date: Mon, 4 May 2026 12:15:00 +0200\r\n\
             Subject: Undelivered Mail Returned to Sender\r\n\
             MIME-Version: 1.0\r\n\
             Content-Type: multipart/report; report-type=delivery-status;\r\n\
             \tboundary=\"B1\"\r\n\
             \r\n\
             --B1\r\n\
             Content-Description: Notification\r\n\
             Content-Type: text/plain; charset=us-ascii\r\n\
             \r\n\
             I'm sorry to have to inform you that your message could not be delivered.\r\n\
             --B1\r\n\
             Content-Description: Delivery report\r\n\
             Content-Type: message/delivery-status\r\n\
             \r\n\
             Reporting-MTA: dns; mx.example\r\n\
             X-Postfix-Queue-ID: 4F1A2B3C\r\n\
             \r\n\
             Final-Recipient: rfc822; praxis.schulz@hno-erfurt.kim.telematik\r\n\
             Original-Recipient: rfc822;praxis.schulz@hno-erfurt.kim.telematik\r\n\
             Action: failed\r\n\
             Status: 5.7.1\r\n\
             Diagnostic-Code: smtp; 550 5.7.1 no certificate for\r\n \
             recipient\r\n\
             \r\n\
             --B1\r\n\
             Content-Description: Undelivered Message\r\n\
             Content-Type: message/rfc822\r\n\
             \r\n\
             Message-ID: <rewritten@gateway.example>\r\n\
             X-Original-Message-ID: {ID}\r\n\
             Subject: eTherapiebericht\r\n\
             \r\n\
             (body)\r\n\
             --B1--\r\n"
        );
        assert_eq!(read(&raw), receipt(ReceiptKind::Failed(DeliveryFailure::NoCertificate)));

        // The envelope id, where the sender asked for one (`MAIL FROM … ENVID=`).
        let with_envid = raw
            .replace("X-Postfix-Queue-ID: 4F1A2B3C", &format!("Original-Envelope-Id: {ID}"))
            .replace(&format!("X-Original-Message-ID: {ID}\r\n"), "");
        assert_eq!(read(&with_envid), receipt(ReceiptKind::Failed(DeliveryFailure::NoCertificate)));
    }

    #[test]
    fn anything_else_is_unreadable() {
        assert_eq!(read_receipt(b""), Err(Unreadable::NotMail));
        assert!(read_receipt(b"\x00\x01garbage").is_err());
        assert_eq!(
            read_receipt(b"Subject: Hallo\r\n\r\nEinfach eine Mail.\r\n"),
            Err(Unreadable::NotReport)
        );
        let unknown = receipt_mdn(ID, "a@b.kim.telematik", Disposition::Displayed, AT)
            .replace("; displayed", "; exploded");
        assert_eq!(read_receipt(unknown.as_bytes()), Err(Unreadable::UnknownStatus));
        let no_id = receipt_mdn(ID, "a@b.kim.telematik", Disposition::Displayed, AT)
            .replace(&format!("Original-Message-ID: {ID}"), "X-Nothing: here")
            .replace(&format!("In-Reply-To: {ID}"), "X-Nothing: here");
        assert_eq!(read_receipt(no_id.as_bytes()), Err(Unreadable::NoMessageId));
    }
}
