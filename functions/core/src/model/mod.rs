//! What the ports store and return: every entity of the portal, with no use case in sight. Ports
//! import this and the domain only; adapters map these to their items and rows.

mod anchor;
mod audit;
mod backoffice;
mod challenge;
mod client;
mod counter;
mod error;
mod figures;
mod history;
mod ids;
mod letter;
mod report;
pub mod stored;
mod tenant;

pub use anchor::{Anchor, AnchoredHead};
pub use audit::{AuditEntry, AuditHead, AuditRecord, AuditRow, Channel, Limit, Outcome, Recorded};
pub use backoffice::{BackofficeName, BackofficeNameError, BackofficeSession, BackofficeUser};
pub use challenge::Challenge;
pub use client::{Client, Jwks, JwksError, SigningAlgorithm};
pub use counter::{Counter, DayCount, HOURS_BUCKETS, hours_bucket};
pub use error::{Source, StoreError, error_chain};
pub use figures::{AuditCheck, DayFigures, ProviderDay};
pub use history::{
    AccountEvent, BLOCK_LINK_VALID_FOR, BlockToken, DEVICE_KNOWN_FOR, DeviceSeen, HISTORY_KEPT_FOR,
    HistoryEntry,
};
pub use ids::{ChallengeId, ClientId, LetterId, QueryId, ReportId};
pub use letter::{Letter, LetterKind, LetterStatus, Sender};
pub use portal_domain::access::{
    Account, Barrier, Browser, FactorKind, Policy, SecondFactor, Session, SessionIdHash,
    SessionStage, Standing,
};
pub use report::{
    AttachmentInfo, DeliveryFailure, FrozenMessage, MessageAttachment, PhysicianRef, Receipt,
    ReceiptKind, ReportContents, ReportDocument, ReportMessage, ReportStatus, Sealed, StoredReport,
    sha256_hex,
};
pub use tenant::{Letterhead, Look, Service, Tenant};
