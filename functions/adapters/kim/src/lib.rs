//! The eTherapiebericht over KIM (Kommunikation im Medizinwesen): the eArztbrief message
//! ([`kim_message`]), its delivery to a KIM client module over SMTP ([`SmtpDelivery`]) or into a
//! local folder ([`OutboxDelivery`]), and the receipts that come back ([`read_receipt`], with
//! [`receipt_mdn`] and [`receipt_dsn`] to write them for the demo and the tests).
//!
//! Nothing here logs personal data: file names, report ids and SMTP reply codes only.

mod message;
mod outbox;
mod receipts;
mod smtp;

pub use message::{DEFAULT_SENDER_SYSTEM, DIENSTKENNUNG, kim_message};
pub use outbox::OutboxDelivery;
pub use receipts::{
    Disposition, DsnAction, Reading, Unreadable, failure_of_status, read_receipt, receipt_dsn,
    receipt_mdn,
};
pub use smtp::{SmtpConfig, SmtpConfigError, SmtpDelivery, Tls, kim_user_name};
