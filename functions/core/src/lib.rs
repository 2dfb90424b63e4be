//! Use cases of the provider portal and the narrow ports they need.
//!
//! A use case knows the rules (from `portal-domain`) and talks to the world only through the
//! traits in [`ports`]; adapters (SQLite, DynamoDB, SES, the outbox folder) implement them, entry
//! points (Lambda mains, the local `portal` binary) wire them together.

pub mod accounts;
pub mod app;
pub mod backoffice;
pub mod clients;
pub mod content;
pub mod figures;
pub mod import;
pub mod model;
pub mod oha;
pub mod ports;
pub mod proofs;
pub mod settings;
pub mod stores;
pub mod tenants;
pub mod therapy;

pub use app::UseCases;
pub use model::Counter;
pub use ports::{
    AccountHistory, AccountStore, AnchorLog, AnchorSigner, AuditLog, BlockTokens, ChallengeStore,
    ClientRegistry, Clock, DeliveryError, ExemptionStore, KnownDevices, LetterQueue, Limits,
    MailError, Mailer, PdfFacts, PdfRefused, PhysicianDirectory, PresignedUpload,
    ProviderDirectory, RenderError, ReportAttachments, ReportDelivery, ReportQueue, ReportRenderer,
    ReportStore, Saved, SeenTokenIds, SessionStore, StoreError, SystemClock, TokenSigner, Uploaded,
    error_chain,
};
pub use ports::{AuditTimeline, BackofficeStore, FigureStore};
pub use settings::{Settings, SettingsError};
pub use stores::{Store, Stores};
pub use tenants::{Tenants, TenantsError, host_name};
