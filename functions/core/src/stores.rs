//! All store ports as one value: what an entry point hands to the use cases.

use std::sync::Arc;

use crate::{
    AccountHistory, AccountStore, AuditLog, BlockTokens, ChallengeStore, ClientRegistry,
    ExemptionStore, KnownDevices, LetterQueue, Limits, PhysicianDirectory, ProviderDirectory,
    ReportAttachments, ReportQueue, ReportStore, SeenTokenIds, SessionStore,
};

/// The store adapters behind their ports, one value per port, so that a test can wrap one.
#[derive(Clone)]
pub struct Stores {
    pub providers: Arc<dyn ProviderDirectory>,
    pub exemptions: Arc<dyn ExemptionStore>,
    pub accounts: Arc<dyn AccountStore>,
    pub letters: Arc<dyn LetterQueue>,
    pub sessions: Arc<dyn SessionStore>,
    pub limits: Arc<dyn Limits>,
    pub challenges: Arc<dyn ChallengeStore>,
    pub audit: Arc<dyn AuditLog>,
    /// The audit log by time and the daily figures rolled up from it.
    pub timeline: Arc<dyn crate::AuditTimeline>,
    pub figures: Arc<dyn crate::FigureStore>,
    pub physicians: Arc<dyn PhysicianDirectory>,
    pub reports: Arc<dyn ReportStore>,
    pub report_queue: Arc<dyn ReportQueue>,
    /// The practices' own PDFs (in AWS an S3 bucket the DynamoDB store is given).
    pub attachments: Arc<dyn ReportAttachments>,
    pub clients: Arc<dyn ClientRegistry>,
    pub seen_token_ids: Arc<dyn SeenTokenIds>,
    pub history: Arc<dyn AccountHistory>,
    pub devices: Arc<dyn KnownDevices>,
    pub block_tokens: Arc<dyn BlockTokens>,
    /// The back office's own users and sessions.
    pub backoffice: Arc<dyn crate::ports::BackofficeStore>,
}

/// Everything one store adapter implements.
pub trait Store:
    ProviderDirectory
    + ExemptionStore
    + AccountStore
    + LetterQueue
    + SessionStore
    + Limits
    + ChallengeStore
    + AuditLog
    + crate::AuditTimeline
    + crate::FigureStore
    + PhysicianDirectory
    + ReportStore
    + ReportQueue
    + ReportAttachments
    + ClientRegistry
    + SeenTokenIds
    + AccountHistory
    + KnownDevices
    + BlockTokens
    + crate::ports::BackofficeStore
{
}
impl<S> Store for S where
    S: ProviderDirectory
        + ExemptionStore
        + AccountStore
        + LetterQueue
        + SessionStore
        + Limits
        + ChallengeStore
        + AuditLog
        + crate::AuditTimeline
        + crate::FigureStore
        + PhysicianDirectory
        + ReportStore
        + ReportQueue
        + ReportAttachments
        + ClientRegistry
        + SeenTokenIds
        + AccountHistory
        + KnownDevices
        + BlockTokens
        + crate::ports::BackofficeStore
{
}

impl Stores {
    /// One adapter behind every port.
    pub fn of<S: Store + 'static>(store: S) -> Stores {
        let store = Arc::new(store);
        Stores {
            providers: store.clone(),
            exemptions: store.clone(),
            accounts: store.clone(),
            letters: store.clone(),
            sessions: store.clone(),
            limits: store.clone(),
            challenges: store.clone(),
            audit: store.clone(),
            timeline: store.clone(),
            figures: store.clone(),
            physicians: store.clone(),
            reports: store.clone(),
            report_queue: store.clone(),
            attachments: store.clone(),
            clients: store.clone(),
            seen_token_ids: store.clone(),
            history: store.clone(),
            devices: store.clone(),
            block_tokens: store.clone(),
            backoffice: store,
        }
    }
}
