//! The eArztbrief as a KIM message (KBV "Richtlinie eArztbrief", gematik KIM): `multipart/mixed`
//! with a short text, the PDF/A (`eAB-PDF`) and the CDA XML (`eAB-XML`), the service tag
//! `X-KIM-Dienstkennung: Arztbrief;VHitG-Versand;V1.2` and a request for a read receipt.

use lettre::Message;
use lettre::message::header::{
    ContentDisposition, ContentTransferEncoding, ContentType, Header, HeaderName, HeaderValue,
};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use portal_core::DeliveryError;
use portal_core::model::{DeliveryFailure, ReportMessage};

/// The KIM service tag of an eArztbrief (KIM 1.5: a message of an application carries its tag).
pub const DIENSTKENNUNG: &str = "Arztbrief;VHitG-Versand;V1.2";

/// The `Content-Description` of a practice's own PDF sent with the eArztbrief.
pub const PRACTICE_PDF: &str = "Praxisbericht-PDF";

/// Names the sending system in `X-KIM-Sendersystem` where no other name is configured.
pub const DEFAULT_SENDER_SYSTEM: &str =
    concat!("Serviceportal eTherapiebericht;", env!("CARGO_PKG_VERSION"));

/// A header whose value is one line of text (RFC 2047-encoded by lettre where not ASCII).
macro_rules! text_header {
    ($(#[$doc:meta])* $type:ident, $name:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub(crate) struct $type(pub(crate) String);

        impl Header for $type {
            fn name() -> HeaderName {
                HeaderName::new_from_ascii_str($name)
            }

            fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
                Ok($type(s.to_string()))
            }

            fn display(&self) -> HeaderValue {
                HeaderValue::new(Self::name(), self.0.clone())
            }
        }
    };
}

text_header!(
    /// Which KIM application the message belongs to.
    KimDienstkennung,
    "X-KIM-Dienstkennung"
);
text_header!(
    /// The product that sent it.
    KimSendersystem,
    "X-KIM-Sendersystem"
);
text_header!(
    /// Where the recipient's system sends the read receipt (RFC 8098).
    DispositionNotificationTo,
    "Disposition-Notification-To"
);
text_header!(
    /// What an attachment is: `eAB-PDF`, `eAB-XML`.
    ContentDescription,
    "Content-Description"
);

/// A file name that goes into a quoted string as it is: printable ASCII, no quote, no backslash,
/// short enough for one header line.
fn plain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && name.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
}

/// `Content-Disposition: attachment; filename="…"` for a [`plain`] name.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PlainDisposition(String);

impl Header for PlainDisposition {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Content-Disposition")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(PlainDisposition(s.to_string()))
    }

    fn display(&self) -> HeaderValue {
        let value = format!("attachment; filename=\"{}\"", self.0);
        let folded = format!("attachment;\r\n filename=\"{}\"", self.0);
        HeaderValue::dangerous_new_pre_encoded(Self::name(), value, folded)
    }
}

/// The complete RFC 5322 message, CRLF line ends, no line longer than 76 characters but the
/// headers lettre folds.
///
/// Refused with [`DeliveryFailure::AddressRefused`] when lettre does not take an address as a
/// mailbox (a parsed `KimAddress` always is one).
pub fn kim_message(message: &ReportMessage, sender_system: &str) -> Result<Vec<u8>, DeliveryError> {
    Ok(build(message, sender_system)?.formatted())
}

pub(crate) fn build(
    message: &ReportMessage,
    sender_system: &str,
) -> Result<Message, DeliveryError> {
    let refused = |_| DeliveryError::Refused(DeliveryFailure::AddressRefused);
    let from = message.from.as_str().parse::<lettre::Address>().map_err(refused)?;
    let to = message.to.as_str().parse::<lettre::Address>().map_err(refused)?;
    let attachment = |name: &str, mime: &str, description: &str, bytes: &[u8]| {
        let part = SinglePart::builder();
        // The plain `filename="…"` every practice system reads, where the name allows it;
        // else lettre's RFC 2231 encoding.
        let part = if plain(name) {
            part.header(
                ContentType::parse(&format!("{mime}; name=\"{name}\""))
                    .unwrap_or(ContentType::TEXT_PLAIN),
            )
            .header(PlainDisposition(name.into()))
        } else {
            part.header(ContentType::parse(mime).unwrap_or(ContentType::TEXT_PLAIN))
                .header(ContentDisposition::attachment(name))
        };
        part.header(ContentDescription(description.into()))
            .header(ContentTransferEncoding::Base64)
            .body(bytes.to_vec())
    };
    let mut body = MultiPart::mixed()
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(message.body.replace("\r\n", "\n").replace('\n', "\r\n")),
        )
        .singlepart(attachment(&message.pdf_name, "application/pdf", "eAB-PDF", &message.pdf))
        .singlepart(attachment(&message.xml_name, "application/xml", "eAB-XML", &message.xml));
    // The practice's own PDF, as it came, behind the two parts the physician's system files:
    // it cannot be made part of the PDF/A (its pages are not ours to vouch for), and a system
    // that reads only `eAB-PDF` still finds the cover, which names it.
    if let Some(own) = &message.attachment {
        body = body.singlepart(attachment(&own.name, "application/pdf", PRACTICE_PDF, &own.pdf));
    }
    Message::builder()
        .message_id(Some(message.message_id.clone()))
        .from(Mailbox::new(Some(message.from_name.clone()), from.clone()))
        .to(Mailbox::new(Some(message.to_name.clone()), to))
        .subject(message.subject.clone())
        .header(DispositionNotificationTo(format!("<{from}>")))
        .header(KimDienstkennung(DIENSTKENNUNG.into()))
        .header(KimSendersystem(sender_system.into()))
        .multipart(body)
        // Only a missing From fails the builder, and it is set.
        .map_err(|e| DeliveryError::Unavailable(Box::new(e)))
}

#[cfg(test)]
pub(crate) mod tests {
    use mail_parser::{MessageParser, MimeHeaders};
    use portal_core::model::ReportId;
    use portal_domain::Ik;
    use portal_domain::therapy::KimAddress;

    use super::*;

    pub(crate) fn sample(report: &ReportId) -> ReportMessage {
        let practice = Ik::parse("401612342").unwrap();
        ReportMessage {
            report: *report,
            message_id: ReportMessage::message_id_of(report, &practice),
            from: KimAddress::parse("etherapiebericht@aok-plus.kim.telematik").unwrap(),
            from_name: "Logopädie Sprachraum Erfurt über AOK PLUS".into(),
            to: KimAddress::parse("praxis.schulz@hno-erfurt.kim.telematik").unwrap(),
            to_name: "Dr. med. Anna Schulz".into(),
            subject: "eTherapiebericht der Praxis Logopädie Sprachraum Erfurt".into(),
            body: "Guten Tag,\n\nanbei ein Therapiebericht (PDF und eArztbrief-XML).\n\
                   Rückfragen bitte an die Praxis: 0361 123456."
                .into(),
            // Every byte value, and more than one base64 line.
            pdf: (0..=255u8).cycle().take(5000).collect(),
            xml: "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ClinicalDocument>Größe</ClinicalDocument>"
                .as_bytes()
                .to_vec(),
            pdf_name: format!("Therapiebericht-{report}.pdf"),
            xml_name: format!("Therapiebericht-{report}.xml"),
            attachment: None,
        }
    }

    /// Checks a received or built message against what was sent; shared with the SMTP test.
    pub(crate) fn assert_is_the_kim_message(raw: &[u8], sent: &ReportMessage, sender: &str) {
        let parsed = MessageParser::default().parse(raw).expect("a parsable message");
        let text = |name: &str| {
            parsed
                .header(name)
                .and_then(|v| v.as_text())
                .unwrap_or_else(|| panic!("a {name} header"))
                .to_string()
        };
        assert_eq!(format!("<{}>", parsed.message_id().unwrap()), sent.message_id);
        assert_eq!(text("X-KIM-Dienstkennung"), "Arztbrief;VHitG-Versand;V1.2");
        assert_eq!(text("X-KIM-Sendersystem"), sender);
        assert_eq!(parsed.subject(), Some(sent.subject.as_str()));
        let from = parsed.from().and_then(|a| a.first()).unwrap();
        assert_eq!(from.name(), Some(sent.from_name.as_str()));
        assert_eq!(from.address(), Some(sent.from.as_str()));
        let to = parsed.to().and_then(|a| a.first()).unwrap();
        assert_eq!(to.name(), Some(sent.to_name.as_str()));
        assert_eq!(to.address(), Some(sent.to.as_str()));
        let receipt_to = parsed.header_raw("Disposition-Notification-To").unwrap();
        assert_eq!(receipt_to.trim(), format!("<{}>", sent.from));
        let content_type = parsed.content_type().unwrap();
        assert_eq!((content_type.ctype(), content_type.subtype()), ("multipart", Some("mixed")));

        let body = parsed.body_text(0).unwrap();
        assert_eq!(body.replace("\r\n", "\n").trim_end(), sent.body);
        let attachments: Vec<_> = parsed.attachments().collect();
        assert_eq!(attachments.len(), 2 + usize::from(sent.attachment.is_some()));
        if let Some(own) = &sent.attachment {
            let part = &attachments[2];
            assert_eq!(part.attachment_name(), Some(own.name.as_str()));
            assert_eq!(part.content_description(), Some(PRACTICE_PDF));
            assert_eq!(part.contents(), own.pdf.as_slice());
        }
        for (part, (name, mime, description, bytes)) in attachments.iter().zip([
            (&sent.pdf_name, "pdf", "eAB-PDF", &sent.pdf),
            (&sent.xml_name, "xml", "eAB-XML", &sent.xml),
        ]) {
            assert_eq!(part.attachment_name(), Some(name.as_str()));
            assert_eq!(part.content_description(), Some(description));
            let ct = part.content_type().unwrap();
            assert_eq!((ct.ctype(), ct.subtype()), ("application", Some(mime)));
            assert_eq!(part.contents(), bytes.as_slice(), "{description}");
        }
    }

    #[test]
    fn a_practices_own_pdf_goes_as_a_third_attachment_behind_the_two_the_system_files() {
        let report = ReportId::new();
        let mut sent = sample(&report);
        sent.attachment = Some(portal_core::model::MessageAttachment {
            name: format!("Therapiebericht-{report}-Praxisbericht.pdf"),
            pdf: b"%PDF-1.7 own".repeat(300),
        });
        let raw = kim_message(&sent, "S").unwrap();
        assert_is_the_kim_message(&raw, &sent, "S");
    }

    #[test]
    fn the_message_carries_the_kim_headers_the_text_and_both_attachments() {
        let report = ReportId::new();
        let sent = sample(&report);
        let raw = kim_message(&sent, "Serviceportal eTherapiebericht 1.0").unwrap();
        assert_is_the_kim_message(&raw, &sent, "Serviceportal eTherapiebericht 1.0");

        let text = String::from_utf8(raw).unwrap();
        if std::env::var_os("PORTAL_KIM_SHOW").is_some() {
            println!("{text}");
        }
        assert!(text.contains("\r\nX-KIM-Dienstkennung: Arztbrief;VHitG-Versand;V1.2\r\n"));
        assert!(text.starts_with(&format!("Message-ID: {}\r\n", sent.message_id)));
        let filename = format!("attachment;\r\n filename=\"{}\"\r\n", sent.pdf_name);
        assert!(text.contains(&format!("\r\nContent-Disposition: {filename}")));
        assert!(text.contains("\r\nContent-Description: eAB-PDF\r\n"));
        assert!(text.contains("\r\nContent-Description: eAB-XML\r\n"));
        for line in text.split("\r\n") {
            assert!(line.len() <= 998, "a line of {} characters", line.len());
            assert!(!line.contains('\n') && !line.contains('\r'), "bare line end in {line:?}");
        }
    }
}
