//! The ports: each trait is as narrow as the use cases that need it, so a Lambda gets only the
//! capabilities (and, in AWS, the permissions) its job requires.

use async_trait::async_trait;
use portal_domain::therapy::{Bsnr, Lanr, Physician, PhysicianQuery};
use portal_domain::{Exemption, Ik, Kvnr, Provider, german_date};
use time::{Date, OffsetDateTime};

use crate::model::{
    Account, AuditEntry, AuditHead, AuditRow, BlockToken, Challenge, ChallengeId, Client, ClientId,
    DeliveryFailure, DeviceSeen, HistoryEntry, Letter, LetterId, Limit, Receipt, Recorded,
    ReportDocument, ReportId, ReportMessage, Session, SessionIdHash, Standing, StoredReport,
};
pub use crate::model::{Source, StoreError, error_chain};

/// The provider directory the insurer imports: who may register, and where letters go.
#[async_trait]
pub trait ProviderDirectory: Send + Sync {
    /// Adds or replaces the entries with the same IK. Writing the same entries again changes nothing.
    async fn put_providers(&self, providers: &[Provider]) -> Result<(), StoreError>;
    async fn provider(&self, ik: &Ik) -> Result<Option<Provider>, StoreError>;
    /// Whether the directory has no entry at all (the demo loads its data only then).
    async fn is_empty(&self) -> Result<bool, StoreError>;
}

/// The physicians therapy reports go to, which the insurer imports. Narrow, so that a directory
/// of gematik's (the VZD, over FHIR) can take its place.
#[async_trait]
pub trait PhysicianDirectory: Send + Sync {
    /// Adds or replaces the entries with the same LANR and BSNR.
    async fn put_physicians(&self, physicians: &[Physician]) -> Result<(), StoreError>;
    async fn physician(&self, lanr: &Lanr, bsnr: &Bsnr) -> Result<Option<Physician>, StoreError>;
    /// At most `limit` entries that answer `query` (each one [`Physician::matches`] it), by name.
    async fn search_physicians(
        &self,
        query: &PhysicianQuery,
        limit: usize,
    ) -> Result<Vec<Physician>, StoreError>;
}

/// Therapy reports, each practice's apart. The store sees their contents sealed only.
#[async_trait]
pub trait ReportStore: Send + Sync {
    /// The report `id` if it is `practice`'s (another practice's report does not exist for it).
    async fn report(
        &self,
        practice: &Ik,
        id: &ReportId,
    ) -> Result<Option<StoredReport>, StoreError>;
    /// The practice's reports, the last changed first.
    async fn reports_of(&self, practice: &Ik) -> Result<Vec<StoredReport>, StoreError>;
    /// Saves `report` provided the stored version is still `report.version` (0: not stored
    /// yet); the stored version becomes `report.version + 1`. Nothing is written on `Conflict`.
    async fn save_report(&self, report: &StoredReport) -> Result<Saved, StoreError>;
    /// Deletes `report` provided the stored version is still `report.version`.
    async fn delete_report(&self, report: &StoredReport) -> Result<Saved, StoreError>;
}

/// The reports waiting for the dispatcher, and their housekeeping.
#[async_trait]
pub trait ReportQueue: Send + Sync {
    /// Queued reports due by `now` (their next try has come, no dispatcher holds them), oldest
    /// first.
    async fn due_reports(
        &self,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<StoredReport>, StoreError>;
    /// Drops contents past `contents_expire_at` and records past `expires_at`; says how many
    /// of each. (DynamoDB's TTL does this by itself.)
    async fn purge_reports(&self, now: OffsetDateTime) -> Result<(usize, usize), StoreError>;
}

/// The co-payment exemptions the insurer imports, one per person and year.
#[async_trait]
pub trait ExemptionStore: Send + Sync {
    /// Adds or replaces the exemptions with the same KVNR and year.
    async fn put_exemptions(&self, exemptions: &[Exemption]) -> Result<(), StoreError>;
    /// All years on record for one person, newest first.
    async fn exemptions_of(&self, kvnr: &Kvnr) -> Result<Vec<Exemption>, StoreError>;
    /// Everyone exempt in `year` (for replacing a year with a new file).
    async fn exempt_in(&self, year: i32) -> Result<Vec<Kvnr>, StoreError>;
    /// Removes the exemptions of `year` for these people; absent ones are ignored.
    async fn remove_exemptions(&self, year: i32, kvnrs: &[Kvnr]) -> Result<(), StoreError>;
}

/// Whether a conditional write went through, or someone changed the record first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    Done,
    Conflict,
}

/// Providers' accounts, and the letters queued with their changes.
#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn account(&self, ik: &Ik) -> Result<Option<Account>, StoreError>;
    /// The account's standing only: reads no hash, so that it works under a role that may not.
    async fn standing(&self, ik: &Ik) -> Result<Option<Standing>, StoreError>;
    /// Saves `account` and queues `letters` in one atomic step, provided the stored version is
    /// still `account.version` (0: no account stored yet). The stored version becomes
    /// `account.version + 1`. Nothing is written on `Conflict`.
    async fn save_account(
        &self,
        account: &Account,
        letters: &[Letter],
    ) -> Result<Saved, StoreError>;
}

/// The letters waiting for the dispatcher.
#[async_trait]
pub trait LetterQueue: Send + Sync {
    /// Letters neither sent nor void, oldest first.
    async fn pending_letters(&self, limit: usize) -> Result<Vec<Letter>, StoreError>;
    /// Reserves a pending letter for one dispatcher until `until`, so that two woken at once (in
    /// AWS the stream and the schedule) never both send it. False when the letter is no longer
    /// pending or another dispatcher's reservation has not run out by `now`.
    async fn claim_letter(
        &self,
        id: &LetterId,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Gives a reservation back (the letter could not be sent), for the next round.
    async fn release_letter(&self, id: &LetterId) -> Result<(), StoreError>;
    /// The letter went out: the record stays, its text (which may hold a secret) goes.
    async fn mark_sent(&self, id: &LetterId) -> Result<(), StoreError>;
    /// Superseded by newer letters: never to be sent.
    async fn mark_void(&self, id: &LetterId) -> Result<(), StoreError>;
}

/// Logged-in browsers, by the hash of their cookie.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Creates or replaces (extends) a session.
    async fn put_session(&self, session: &Session) -> Result<(), StoreError>;
    async fn session(&self, id_hash: &SessionIdHash) -> Result<Option<Session>, StoreError>;
    async fn delete_session(&self, id_hash: &SessionIdHash) -> Result<(), StoreError>;
    /// Every stored session of one provider, in no particular order (expired ones may be among
    /// them until the store removes them).
    async fn sessions_of(&self, ik: &Ik) -> Result<Vec<Session>, StoreError>;
}

/// What happened to each account (BSI TR-03161 O.Pass_4): appended to, read newest first,
/// each entry gone after 90 days (TTL in DynamoDB, `purge_expired` locally).
#[async_trait]
pub trait AccountHistory: Send + Sync {
    async fn record_event(&self, entry: &HistoryEntry) -> Result<(), StoreError>;
    /// The account's entries since `since`, the newest first.
    async fn history_of(
        &self,
        ik: &Ik,
        since: OffsetDateTime,
    ) -> Result<Vec<HistoryEntry>, StoreError>;
}

/// The browsers each account has been logged in from, by the hash of their device cookie.
#[async_trait]
pub trait KnownDevices: Send + Sync {
    /// Notes the browser `device_hash` for the account until `expires_at`, atomically (a
    /// conditional insert, so that of two logins at once only one finds it new), and says
    /// whether it was known, new, or the account's first.
    async fn remember_device(
        &self,
        ik: &Ik,
        device_hash: &str,
        expires_at: OffsetDateTime,
    ) -> Result<DeviceSeen, StoreError>;
}

/// The links of change notices that block an account, by the hash of their token.
#[async_trait]
pub trait BlockTokens: Send + Sync {
    async fn put_block_token(&self, token: &BlockToken) -> Result<(), StoreError>;
    /// Removes the token and returns it (expired or not), so that each works once.
    async fn take_block_token(&self, hash: &str) -> Result<Option<BlockToken>, StoreError>;
}

/// The back office's own users and their sessions (the tenant's; never a provider's).
#[async_trait]
pub trait BackofficeStore: Send + Sync {
    /// Adds a user; `Conflict` when the name is taken.
    async fn add_backoffice_user(
        &self,
        user: &crate::model::BackofficeUser,
    ) -> Result<Saved, StoreError>;
    async fn backoffice_user(
        &self,
        name: &crate::model::BackofficeName,
    ) -> Result<Option<crate::model::BackofficeUser>, StoreError>;
    /// Removes the user and ends their sessions; false when there was none.
    async fn remove_backoffice_user(
        &self,
        name: &crate::model::BackofficeName,
    ) -> Result<bool, StoreError>;
    /// Creates or extends a session.
    async fn put_backoffice_session(
        &self,
        session: &crate::model::BackofficeSession,
    ) -> Result<(), StoreError>;
    async fn backoffice_session(
        &self,
        id_hash: &str,
    ) -> Result<Option<crate::model::BackofficeSession>, StoreError>;
    async fn delete_backoffice_session(&self, id_hash: &str) -> Result<(), StoreError>;
}

/// Counters for quotas and rate limits.
#[async_trait]
pub trait Limits: Send + Sync {
    /// Counts one use of `key` if fewer than `limit` were counted before; says whether it did.
    /// The count starts again after `window_ends`.
    async fn try_count(
        &self,
        key: &str,
        limit: u32,
        window_ends: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// How many uses of `key` were counted (0 for a key never counted).
    async fn used(&self, key: &str) -> Result<u32, StoreError>;
}

/// The registration's proof-of-work challenges.
#[async_trait]
pub trait ChallengeStore: Send + Sync {
    async fn put_challenge(&self, challenge: &Challenge) -> Result<(), StoreError>;
    /// Removes the challenge and returns it, so that each one works once.
    async fn take_challenge(&self, id: &ChallengeId) -> Result<Option<Challenge>, StoreError>;
}

/// The clients of the machine API that the back office registered, each one provider's.
#[async_trait]
pub trait ClientRegistry: Send + Sync {
    /// Adds a client, or replaces the one with the same id.
    async fn put_client(&self, client: &Client) -> Result<(), StoreError>;
    async fn client(&self, id: &ClientId) -> Result<Option<Client>, StoreError>;
    /// One provider's clients (`None`: every provider's), oldest first.
    async fn clients_of(&self, ik: Option<&Ik>) -> Result<Vec<Client>, StoreError>;
    /// Marks the client revoked at `at` (a revoked one keeps its first revocation); false when
    /// there is no such client.
    async fn revoke(&self, id: &ClientId, at: OffsetDateTime) -> Result<bool, StoreError>;
}

/// The ids (`jti`) of the client assertions already used, each kept until the assertion
/// expires: an assertion works once.
#[async_trait]
pub trait SeenTokenIds: Send + Sync {
    /// Records `jti` until `expires_at`, atomically (a conditional insert): true the first
    /// time, false when it was recorded before, however many ask at once.
    async fn remember(&self, jti: &str, expires_at: OffsetDateTime) -> Result<bool, StoreError>;
}

/// Signs with an ES256 key the stores do not hold: a key file locally (KMS in AWS is to come),
/// and publishes the public keys the signatures are checked with. The portal has two: one for
/// the machine API's access tokens, one for the proofs of answered queries.
#[async_trait]
pub trait TokenSigner: Send + Sync {
    /// The `kid` of the key that signs now.
    fn key_id(&self) -> &str;
    /// The ES256 signature (r ‖ s, 64 bytes) of `message`.
    async fn sign(&self, message: &[u8]) -> Result<Vec<u8>, StoreError>;
    /// Every public key a token may have been signed with (the current one first), as a JWKS.
    fn public_keys(&self) -> jsonwebtoken::jwk::JwkSet;
}

#[derive(Debug, thiserror::Error)]
#[error("the letter could not be sent")]
pub struct MailError(#[source] pub Source);

/// Sends a complete message to its recipient: SES in AWS, the outbox folder locally.
#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, letter: &Letter) -> Result<(), MailError>;
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// For good: trying again will not help.
    #[error("the KIM service refused the report ({})", portal_domain::UserFacing::code(.0))]
    Refused(DeliveryFailure),
    /// For now: the next try may work.
    #[error("the KIM service could not take the report")]
    Unavailable(#[source] Source),
}

/// Hands reports to KIM and brings their receipts back: a KIM client module over SMTP and POP3
/// in production, a folder locally.
#[async_trait]
pub trait ReportDelivery: Send + Sync {
    /// Sends one message. Sending the same message again (after a crash) is harmless: the
    /// recipient's system knows it by its `Message-ID`.
    async fn deliver(&self, message: &ReportMessage) -> Result<(), DeliveryError>;
    /// The receipts that came in and are not yet acknowledged.
    async fn receipts(&self) -> Result<Vec<Receipt>, DeliveryError>;
    /// The receipt was recorded: not to be read again.
    async fn acknowledge(&self, receipt: &Receipt) -> Result<(), DeliveryError>;
}

#[derive(Debug, thiserror::Error)]
#[error("the report's document could not be made")]
pub struct RenderError(#[source] pub Source);

/// Makes the report's PDF/A document: the same input gives the same bytes, so the preview is
/// what is sent.
pub trait ReportRenderer: Send + Sync {
    fn render(&self, document: &ReportDocument) -> Result<Vec<u8>, RenderError>;
    /// Parses a practice's own PDF whole: how many pages it has, or why it is refused.
    fn inspect_pdf(&self, _pdf: &[u8]) -> Result<PdfFacts, PdfRefused> {
        Err(PdfRefused::Invalid)
    }
    /// The pages of `documents`, one after the other, in one PDF: the preview of a report
    /// sent with the practice's own PDF behind its cover (not a PDF/A: the foreign pages are
    /// the practice's, as they came).
    fn join_pdfs(&self, _documents: &[&[u8]]) -> Result<Vec<u8>, RenderError> {
        Err(RenderError("this process renders no reports".into()))
    }
}

/// What an uploaded PDF is, once parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PdfFacts {
    pub pages: u32,
}

/// Why an uploaded PDF is not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PdfRefused {
    /// Not a PDF, or one whose structure does not parse.
    Invalid,
    /// Encrypted (even with an empty password): the physician's system could not file it.
    Encrypted,
}

/// The practices' own PDFs, sealed, one per report (too large for a DynamoDB item: S3 in AWS,
/// a table of the SQLite file locally). Keyed by tenant, practice and report like the report.
#[async_trait]
pub trait ReportAttachments: Send + Sync {
    /// Stores (or replaces) the sealed PDF of `practice`'s report `report`.
    async fn put_attachment(
        &self,
        practice: &Ik,
        report: &ReportId,
        sealed: &[u8],
    ) -> Result<(), StoreError>;
    async fn attachment(
        &self,
        practice: &Ik,
        report: &ReportId,
    ) -> Result<Option<Vec<u8>>, StoreError>;
    /// Deletes it; deleting one that is not there is no error.
    async fn delete_attachment(&self, practice: &Ik, report: &ReportId) -> Result<(), StoreError>;
    /// An address where the browser puts a PDF itself (S3: a presigned PUT, valid `valid` long),
    /// past the Lambda's 6 MB payload limit; `None`: this store takes PDFs only through the API.
    async fn presign_upload(
        &self,
        _practice: &Ik,
        _report: &ReportId,
        _upload: &str,
        _valid: std::time::Duration,
    ) -> Result<Option<PresignedUpload>, StoreError> {
        Ok(None)
    }
    /// Takes the uploaded object (deleting it): its bytes, unless larger than `max`.
    async fn take_upload(
        &self,
        _practice: &Ik,
        _report: &ReportId,
        _upload: &str,
        _max: usize,
    ) -> Result<Uploaded, StoreError> {
        Ok(Uploaded::Missing)
    }
}

/// Where and how the browser puts an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedUpload {
    pub url: String,
    pub method: &'static str,
    /// The `Content-Type` the signature covers.
    pub content_type: &'static str,
}

/// What [`ReportAttachments::take_upload`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uploaded {
    Missing,
    TooLarge,
    Pdf(Vec<u8>),
}

/// The audit log of exemption queries: per provider a hash chain, appended to and never changed.
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// In one atomic write: counts one use of each limit and appends `entry`, linked to its
    /// provider's head, to the chain. When a limit is reached it does neither and says which.
    async fn record_query(
        &self,
        entry: &AuditEntry,
        limits: &[Limit],
    ) -> Result<Recorded, StoreError>;
    /// The heads of all chains (for verification).
    async fn audit_heads(&self) -> Result<Vec<AuditHead>, StoreError>;
    /// One provider's records, by `seq`; a record that no longer reads comes back as damaged.
    async fn audit_of_ik(&self, ik: &Ik) -> Result<Vec<AuditRow>, StoreError>;
    /// Every query about one person, oldest first.
    async fn audit_of_kvnr(&self, kvnr: &Kvnr) -> Result<Vec<AuditRow>, StoreError>;
    /// One provider's record at `seq` (from 1), as a proof names it; `None` if there is none.
    async fn audit_record(&self, ik: &Ik, seq: u64) -> Result<Option<AuditRow>, StoreError>;
}

/// The audit log read by time, across providers: what the daily roll-up of the figures reads
/// (requests never do).
#[async_trait]
pub trait AuditTimeline: Send + Sync {
    /// Every intact record of every provider of the tenant with `from <= at < to`, in no
    /// particular order (damaged records tell no time and are left to `portal audit verify`).
    async fn audit_between(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<crate::model::AuditRecord>, StoreError>;
}

/// The daily figures, one value per German calendar day.
#[async_trait]
pub trait FigureStore: Send + Sync {
    /// Writes the day's figures, replacing any written before: rolling a day up again is
    /// harmless.
    async fn put_day_figures(&self, figures: &crate::model::DayFigures) -> Result<(), StoreError>;
    /// The figures of the days from `from` to `to` (inclusive) that were rolled up, by day;
    /// with the per-provider counts only if `with_providers` (they are large, and the public
    /// figures do not need them).
    async fn day_figures(
        &self,
        from: Date,
        to: Date,
        with_providers: bool,
    ) -> Result<Vec<crate::model::DayFigures>, StoreError>;
}

/// Where anchors of the audit chains go: outside the store, append-only (a local file; in AWS
/// an S3 bucket with Object Lock).
#[async_trait]
pub trait AnchorLog: Send + Sync {
    /// Appends `line` if the log's last line is still `after` (`None`: the log is empty);
    /// false when another writer appended first.
    async fn append(&self, line: &str, after: Option<&str>) -> Result<bool, StoreError>;
    /// Every line, oldest first.
    async fn lines(&self) -> Result<Vec<String>, StoreError>;
}

/// Signs anchors with a key the store does not hold, and checks such signatures.
#[async_trait]
pub trait AnchorSigner: Send + Sync {
    /// Names the key, so that a rotated key's anchors still verify.
    fn key_id(&self) -> &str;
    async fn sign(&self, message: &[u8]) -> Result<Vec<u8>, StoreError>;
    fn verify(&self, message: &[u8], signature: &[u8]) -> bool;
}

/// The time, injectable so that date rules (30 June, expiry, idle timeouts) can be tested.
pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;

    /// Today in Germany, which is what every calendar rule of the portal means by "today".
    fn today(&self) -> Date {
        german_date(self.now())
    }
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}
