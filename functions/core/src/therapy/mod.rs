//! The eTherapiebericht's use cases: a Heilmittel practice writes a report to the physician
//! who asked for it, checks its document, and sends it; a dispatcher hands it to KIM and records
//! the receipts. Only the practice reads a report: the store holds its contents sealed.

mod cipher;
mod dispatch;
pub(crate) mod earztbrief;

use std::sync::Arc;

use portal_domain::therapy::{Bsnr, FormProblem, Lanr, Physician, PhysicianQuery, TherapyReport};
use portal_domain::{Berufsfeld, Ik, Provider};
use time::{Date, Duration, OffsetDateTime};

use crate::model::{
    AttachmentInfo, FrozenMessage, MessageAttachment, ReportContents, ReportDocument, ReportId,
    ReportMessage, ReportStatus, StoredReport, Tenant, sha256_hex,
};
use crate::ports::{
    Clock, PdfRefused, PhysicianDirectory, PresignedUpload, ProviderDirectory, RenderError,
    ReportAttachments, ReportRenderer, ReportStore, Saved, StoreError, Uploaded,
};

pub use cipher::{CipherError, ReportCipher, ReportKeys, SecretCipher};
pub use dispatch::{DispatchedReports, dispatch_reports};
pub use earztbrief::{Letter, earztbrief_xml, oid};

/// The most physicians one search answers with: enough to pick from, few enough to read.
pub const SEARCH_LIMIT: usize = 20;
/// A draft's contents are kept this long after its last change.
pub const DRAFT_KEPT: Duration = Duration::days(90);
/// A sent report's contents are kept this long after its last status (the practice's history
/// shows a month).
pub const SENT_KEPT: Duration = Duration::days(30);
/// A report's metadata (who sent what to whom, when) is kept a year.
pub const RECORD_KEPT: Duration = Duration::days(365);
/// The history shows sent reports of the last month.
pub const HISTORY: Duration = Duration::days(31);
/// The longest `Idempotency-Key` kept.
pub const IDEMPOTENCY_KEY_MAX: usize = 100;
/// The largest own PDF a practice uploads (the 10 MB, as MiB): with the cover well
/// below KIM 1.5's 500 MB and the 25 MB of KIM 1.0 client modules.
pub const ATTACHMENT_MAX_BYTES: usize = 10 * 1024 * 1024;
/// How long a presigned upload's address is valid: a 10 MB upload on a slow line, no longer.
pub const UPLOAD_VALID: Duration = Duration::minutes(15);
/// The most pages of an own PDF: a therapy report, not a file.
pub const ATTACHMENT_MAX_PAGES: u32 = 100;
/// What the cover says in a free-text section the practice's own PDF fills.
pub const SEE_ATTACHED: &str = "Siehe den beigefügten Bericht der Praxis (eigenes PDF).";

/// What every tenant's reports share in one process: the deployment's key and the renderer.
#[derive(Clone)]
pub struct Reporting {
    /// `None` in a process that has no business with reports' contents (a Lambda function of
    /// another capability): sealing and opening then fail, and nothing is sealed badly.
    pub keys: Option<ReportKeys>,
    pub renderer: Arc<dyn ReportRenderer>,
}

impl Reporting {
    /// For a process that never touches a report.
    pub fn none() -> Reporting {
        Reporting { keys: None, renderer: Arc::new(NoRenderer) }
    }

    pub fn cipher(&self, tenant: &Ik) -> ReportCipher {
        match &self.keys {
            Some(keys) => keys.for_tenant(tenant),
            None => ReportCipher::without_key(tenant),
        }
    }
}

/// The renderer of a process that renders no report.
struct NoRenderer;

impl ReportRenderer for NoRenderer {
    fn render(&self, _: &ReportDocument) -> Result<Vec<u8>, RenderError> {
        Err(RenderError("this process renders no reports".into()))
    }
}

/// The form of a report whose text is the practice's own PDF: the free-text sections left
/// empty point to it, so the cover carries the patient and prescription block and the PDF the
/// rest. What the practice did write stays.
fn cover_form(form: &portal_domain::therapy::ReportForm) -> portal_domain::therapy::ReportForm {
    let mut form = form.clone();
    for text in [
        &mut form.findings,
        &mut form.goals,
        &mut form.measures,
        &mut form.course,
        &mut form.compliance,
        &mut form.prognosis,
        &mut form.recommendation.text,
    ] {
        if text.trim().is_empty() {
            *text = SEE_ATTACHED.to_string();
        }
    }
    form
}

/// A physician picked who is not (or no longer) in the directory.
const UNKNOWN_PHYSICIAN: portal_domain::therapy::FieldError =
    portal_domain::therapy::FieldError::Rule(
        "unknown_physician",
        [
            "Die gewählte Arztpraxis steht nicht im Arztverzeichnis. Bitte wählen Sie sie über die Suche aus.",
            "The physician picked is not in the directory. Please pick them through the search.",
        ],
    );

/// The eTherapiebericht of one tenant.
#[derive(Clone)]
pub struct Reports {
    pub tenant: Arc<Tenant>,
    pub providers: Arc<dyn ProviderDirectory>,
    pub physicians: Arc<dyn PhysicianDirectory>,
    pub reports: Arc<dyn ReportStore>,
    /// The practices' own PDFs, sealed.
    pub attachments: Arc<dyn ReportAttachments>,
    /// The figures' per-day counts of reports sent and delivered.
    pub limits: Arc<dyn crate::ports::Limits>,
    pub cipher: Arc<ReportCipher>,
    pub renderer: Arc<dyn ReportRenderer>,
    pub clock: Arc<dyn Clock>,
    /// Called when a report was queued (locally it wakes the dispatcher; in AWS the table's
    /// stream does that).
    pub reports_queued: Arc<dyn Fn() + Send + Sync>,
}

/// A report as its practice sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportView {
    /// The record; its `contents` are sealed and not for showing.
    pub record: StoredReport,
    /// `None` once they expired.
    pub contents: Option<ReportContents>,
    /// The physician picked, as the directory knows them.
    pub physician: Option<Physician>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportsError {
    /// Only Heilmittel practices write therapy reports.
    #[error("only Heilmittel practices write therapy reports")]
    NotHeilmittel,
    /// Fewer than two letters, or a number that is neither a LANR, a BSNR nor a postcode.
    #[error("the search is too short to search with")]
    QueryTooShort,
    /// No such report, or another practice's.
    #[error("no such report")]
    NotFound,
    /// Sent (or on its way): it cannot change; a correction is a new report.
    #[error("the report was sent and cannot change")]
    AlreadySent,
    /// Its contents expired: the record shows only that it was sent.
    #[error("the report's contents are no longer kept")]
    ContentsExpired,
    /// A send was asked without an `Idempotency-Key`, or with one too long.
    #[error("a send needs an Idempotency-Key of 1 to 100 visible characters")]
    IdempotencyKey,
    /// Fields missing or wrong: nothing was sent.
    #[error("the report is not complete")]
    Incomplete(Vec<FormProblem>),
    /// The physician's practice receives no eArztbrief: the practice prints the report instead.
    #[error("the physician's practice receives no eArztbrief")]
    NoEarztbrief,
    /// `corrects` names no sent report of this practice.
    #[error("the corrected report is not a sent report of this practice")]
    UnknownCorrected,
    /// Changed by another request while this one worked on it: try again.
    #[error("the report changed meanwhile")]
    Changed,
    /// An own PDF larger than [`ATTACHMENT_MAX_BYTES`].
    #[error("the PDF is larger than 10 MB")]
    PdfTooLarge,
    /// Not a PDF, or one that does not parse.
    #[error("the file is not a readable PDF")]
    PdfInvalid,
    /// An encrypted PDF (the physician's system could not file it).
    #[error("the PDF is encrypted")]
    PdfEncrypted,
    /// More than [`ATTACHMENT_MAX_PAGES`] pages.
    #[error("the PDF has too many pages")]
    PdfTooManyPages,
    /// The own PDF the report names is no longer in the store (or not the one uploaded).
    #[error("the report's own PDF is no longer kept")]
    AttachmentMissing,
    /// No presigned upload in this store (the embedded one): `attach` takes the PDF itself.
    #[error("this store takes PDFs only through the API")]
    DirectUploadOnly,
    /// The upload named is not there (never put, expired, or taken already).
    #[error("no such upload")]
    UploadMissing,
    /// The insurer's tenants file names no KIM address to send from.
    #[error("the insurer has no KIM address to send from")]
    NoKimAddress,
    #[error("the report's contents could not be sealed or opened")]
    Cipher(#[from] CipherError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Reports {
    /// The physicians answering `query`, for the practice `ik`, by name.
    pub async fn search_physicians(
        &self,
        ik: &Ik,
        query: &str,
    ) -> Result<Vec<Physician>, ReportsError> {
        self.heilmittel_practice(ik).await?;
        let query = PhysicianQuery::parse(query).ok_or(ReportsError::QueryTooShort)?;
        Ok(self.physicians.search_physicians(&query, SEARCH_LIMIT).await?)
    }

    /// The practice's stamp, as the provider directory has it.
    pub async fn practice(&self, ik: &Ik) -> Result<Provider, ReportsError> {
        self.heilmittel_practice(ik).await
    }

    /// The practice's drafts, and the reports it sent in the last month, the last changed first.
    pub async fn list(&self, ik: &Ik) -> Result<Vec<ReportView>, ReportsError> {
        self.heilmittel_practice(ik).await?;
        let since = self.clock.now() - HISTORY;
        let mut views = Vec::new();
        for record in self.reports.reports_of(ik).await? {
            if record.status == ReportStatus::Draft || record.updated_at >= since {
                views.push(self.view(record).await?);
            }
        }
        Ok(views)
    }

    /// A new draft (any field may be empty).
    pub async fn create(
        &self,
        ik: &Ik,
        contents: ReportContents,
        corrects: Option<ReportId>,
    ) -> Result<ReportView, ReportsError> {
        self.heilmittel_practice(ik).await?;
        if let Some(corrected) = corrects {
            match self.reports.report(ik, &corrected).await? {
                Some(r) if r.status != ReportStatus::Draft => {}
                _ => return Err(ReportsError::UnknownCorrected),
            }
        }
        let (id, now) = (ReportId::new(), self.clock.now());
        let record = StoredReport {
            id,
            practice: *ik,
            status: ReportStatus::Draft,
            kind: contents.form.kind,
            area: contents.form.area,
            contents: Some(self.cipher.seal(&contents, ik, &id)?),
            corrects,
            created_at: now,
            updated_at: now,
            queued_at: None,
            sent_at: None,
            delivered_at: None,
            read_at: None,
            failure: None,
            idempotency_key: None,
            attempts: 0,
            next_attempt_at: None,
            contents_expire_at: now + DRAFT_KEPT,
            expires_at: now + RECORD_KEPT,
            version: 0,
        };
        self.save(&record).await?;
        tracing::info!(report = %id, "draft created");
        self.view(StoredReport { version: 1, ..record }).await
    }

    pub async fn report(&self, ik: &Ik, id: &ReportId) -> Result<ReportView, ReportsError> {
        self.heilmittel_practice(ik).await?;
        let record = self.reports.report(ik, id).await?.ok_or(ReportsError::NotFound)?;
        self.view(record).await
    }

    /// Replaces a draft's contents.
    pub async fn update(
        &self,
        ik: &Ik,
        id: &ReportId,
        contents: ReportContents,
    ) -> Result<ReportView, ReportsError> {
        let record = self.draft(ik, id).await?;
        // The own PDF stays with the report: the form's body does not carry it.
        let attachment = self.contents(&record).ok().and_then(|c| c.attachment);
        let contents = ReportContents { attachment, ..contents };
        let now = self.clock.now();
        let record = StoredReport {
            kind: contents.form.kind,
            area: contents.form.area,
            contents: Some(self.cipher.seal(&contents, ik, id)?),
            updated_at: now,
            contents_expire_at: now + DRAFT_KEPT,
            expires_at: now + RECORD_KEPT,
            ..record
        };
        self.save(&record).await?;
        self.view(StoredReport { version: record.version + 1, ..record }).await
    }

    /// Deletes a draft (a sent report stays, as the record of what was sent).
    pub async fn delete(&self, ik: &Ik, id: &ReportId) -> Result<(), ReportsError> {
        let record = self.draft(ik, id).await?;
        match self.reports.delete_report(&record).await? {
            Saved::Done => Ok(self.attachments.delete_attachment(ik, id).await?),
            Saved::Conflict => Err(self.why_not_a_draft(ik, id).await),
        }
    }

    /// Puts the practice's own PDF behind the draft's cover (replacing one it had): at most
    /// 10 MB, a PDF that parses, not encrypted, at most 100 pages. Sealed like the contents.
    pub async fn attach(
        &self,
        ik: &Ik,
        id: &ReportId,
        name: &str,
        pdf: &[u8],
    ) -> Result<ReportView, ReportsError> {
        let record = self.draft(ik, id).await?;
        if pdf.len() > ATTACHMENT_MAX_BYTES {
            return Err(ReportsError::PdfTooLarge);
        }
        let facts = self.renderer.inspect_pdf(pdf).map_err(|refused| match refused {
            PdfRefused::Invalid => ReportsError::PdfInvalid,
            PdfRefused::Encrypted => ReportsError::PdfEncrypted,
        })?;
        if facts.pages > ATTACHMENT_MAX_PAGES {
            return Err(ReportsError::PdfTooManyPages);
        }
        let mut contents = self.contents(&record)?;
        let name: String = name.trim().chars().filter(|c| !c.is_control()).take(200).collect();
        contents.attachment = Some(AttachmentInfo {
            name: if name.is_empty() { "Bericht.pdf".into() } else { name },
            bytes: pdf.len() as u64,
            pages: facts.pages,
            sha256: sha256_hex(pdf),
        });
        let sealed = self.cipher.seal_attachment(pdf, ik, id)?;
        self.attachments.put_attachment(ik, id, &sealed).await?;
        let now = self.clock.now();
        let record = StoredReport {
            contents: Some(self.cipher.seal(&contents, ik, id)?),
            updated_at: now,
            contents_expire_at: now + DRAFT_KEPT,
            expires_at: now + RECORD_KEPT,
            ..record
        };
        self.save(&record).await?;
        tracing::info!(report = %id, bytes = pdf.len(), pages = facts.pages, "own PDF attached");
        self.view(StoredReport { version: record.version + 1, ..record }).await
    }

    /// A presigned address for the draft's own PDF (the browser puts it, then [`Self::complete_upload`]):
    /// the upload's name, the address and until when it holds.
    pub async fn upload_ticket(
        &self,
        ik: &Ik,
        id: &ReportId,
    ) -> Result<(String, PresignedUpload, OffsetDateTime), ReportsError> {
        self.draft(ik, id).await?;
        let upload = hex::encode(rand::random::<[u8; 16]>());
        let valid = std::time::Duration::from_secs(UPLOAD_VALID.whole_seconds().unsigned_abs());
        let presigned = self
            .attachments
            .presign_upload(ik, id, &upload, valid)
            .await?
            .ok_or(ReportsError::DirectUploadOnly)?;
        Ok((upload, presigned, self.clock.now() + UPLOAD_VALID))
    }

    /// The PDF the browser put at a presigned address: checked, sealed and kept as
    /// [`Self::attach`] does; the upload itself is deleted either way.
    pub async fn complete_upload(
        &self,
        ik: &Ik,
        id: &ReportId,
        upload: &str,
        name: &str,
    ) -> Result<ReportView, ReportsError> {
        // Only names this portal hands out reach the store's keys.
        if upload.len() != 32 || !upload.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ReportsError::UploadMissing);
        }
        self.draft(ik, id).await?;
        match self.attachments.take_upload(ik, id, upload, ATTACHMENT_MAX_BYTES).await? {
            Uploaded::Missing => Err(ReportsError::UploadMissing),
            Uploaded::TooLarge => Err(ReportsError::PdfTooLarge),
            Uploaded::Pdf(pdf) => self.attach(ik, id, name, &pdf).await,
        }
    }

    /// Takes the own PDF off a draft (none there: nothing changes).
    pub async fn detach(&self, ik: &Ik, id: &ReportId) -> Result<ReportView, ReportsError> {
        let record = self.draft(ik, id).await?;
        let mut contents = self.contents(&record)?;
        if contents.attachment.take().is_none() {
            return self.view(record).await;
        }
        let now = self.clock.now();
        let record = StoredReport {
            contents: Some(self.cipher.seal(&contents, ik, id)?),
            updated_at: now,
            contents_expire_at: now + DRAFT_KEPT,
            ..record
        };
        self.save(&record).await?;
        self.attachments.delete_attachment(ik, id).await?;
        self.view(StoredReport { version: record.version + 1, ..record }).await
    }

    /// The own PDF as uploaded, checked against what the report names.
    async fn attached_pdf(
        &self,
        record: &StoredReport,
        sha256: &str,
    ) -> Result<Vec<u8>, ReportsError> {
        let sealed = self
            .attachments
            .attachment(&record.practice, &record.id)
            .await?
            .ok_or(ReportsError::AttachmentMissing)?;
        let pdf = self.cipher.open_attachment(&sealed, &record.practice, &record.id)?;
        if sha256_hex(&pdf) != sha256 {
            return Err(ReportsError::AttachmentMissing);
        }
        Ok(pdf)
    }

    /// Freezes a complete report (its message made now, PDF and XML included) and queues it
    /// for delivery. A repeated send with the same `Idempotency-Key` answers as the first did;
    /// nothing is sent twice. A report that failed may be sent again under a new key.
    pub async fn send(
        &self,
        ik: &Ik,
        id: &ReportId,
        idempotency_key: Option<&str>,
    ) -> Result<ReportView, ReportsError> {
        let practice = self.heilmittel_practice(ik).await?;
        let key = idempotency_key
            .map(str::trim)
            .filter(|k| {
                !k.is_empty()
                    && k.len() <= IDEMPOTENCY_KEY_MAX
                    && k.chars().all(|c| c.is_ascii_graphic())
            })
            .ok_or(ReportsError::IdempotencyKey)?;
        let record = self.reports.report(ik, id).await?.ok_or(ReportsError::NotFound)?;
        if let Some(answer) = self.sent_before(&record, key).await {
            return answer;
        }
        let mut contents = self.contents(&record)?;
        let now = self.clock.now();
        let message = self.message(&record, &contents, &practice, now).await?;
        contents.frozen = Some(FrozenMessage::of(&message));
        let record = StoredReport {
            status: ReportStatus::Queued,
            contents: Some(self.cipher.seal(&contents, ik, id)?),
            queued_at: Some(now),
            updated_at: now,
            sent_at: None,
            failure: None,
            attempts: 0,
            idempotency_key: Some(key.to_string()),
            next_attempt_at: Some(now),
            contents_expire_at: now + SENT_KEPT,
            expires_at: now + RECORD_KEPT,
            ..record
        };
        if self.reports.save_report(&record).await? == Saved::Conflict {
            // Someone else sent it (or changed it) meanwhile: answer as to a repeated send.
            let now_stored = self.reports.report(ik, id).await?.ok_or(ReportsError::NotFound)?;
            return match self.sent_before(&now_stored, key).await {
                Some(answer) => answer,
                None => Err(ReportsError::Changed),
            };
        }
        tracing::info!(report = %id, "report queued");
        (self.reports_queued)();
        self.view(StoredReport { version: record.version + 1, ..record }).await
    }

    /// The answer to a send of a report that is not (or no longer) a draft: the report itself
    /// for the same key, a refusal for another, nothing (go on) for a failed one under a new key.
    async fn sent_before(
        &self,
        record: &StoredReport,
        key: &str,
    ) -> Option<Result<ReportView, ReportsError>> {
        if record.status == ReportStatus::Draft {
            return None;
        }
        if record.idempotency_key.as_deref() == Some(key) {
            return Some(self.view(record.clone()).await);
        }
        match record.status {
            ReportStatus::Failed => None,
            _ => Some(Err(ReportsError::AlreadySent)),
        }
    }

    /// The KIM message of a complete report, made at `at`: its PDF/A, its eArztbrief XML, to
    /// the physician picked (who must receive eArztbriefe).
    async fn message(
        &self,
        record: &StoredReport,
        contents: &ReportContents,
        practice: &Provider,
        at: OffsetDateTime,
    ) -> Result<ReportMessage, ReportsError> {
        let date = portal_domain::german_date(at);
        let (report, physician) = self.complete(contents, date).await?;
        let to = physician.receives_earztbrief().cloned().ok_or(ReportsError::NoEarztbrief)?;
        let attachment = match &contents.attachment {
            Some(info) => Some(self.attached_pdf(record, &info.sha256).await?),
            None => None,
        };
        let from = self.tenant.kim_address.clone().ok_or(ReportsError::NoKimAddress)?;
        let pdf = self.render(record, &report, practice, &physician, date)?;
        let id = record.id.to_string();
        let xml = earztbrief_xml(&report, &Letter { id: &id, at, practice, physician: &physician });
        let kind = earztbrief::title(report.kind);
        Ok(ReportMessage {
            report: record.id,
            message_id: ReportMessage::message_id_of(&record.id, &record.practice),
            from,
            from_name: format!("{} über {}", practice.name, self.tenant.name),
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
                insurer = self.tenant.name,
            ),
            pdf,
            xml,
            pdf_name: format!("{kind}-{id}.pdf").replace(' ', "-"),
            xml_name: format!("{kind}-{id}.xml").replace(' ', "-"),
            // A name of its own: the uploaded file's may name the patient.
            attachment: attachment.map(|pdf| MessageAttachment {
                name: format!("{kind}-{id}-Praxisbericht.pdf").replace(' ', "-"),
                pdf,
            }),
        })
    }

    /// The report's PDF: for a sent report the document that was sent; for a draft the preview
    /// of what would be sent today (to a physician who receives no eArztbrief, the letter to
    /// print).
    pub async fn pdf(&self, ik: &Ik, id: &ReportId) -> Result<Vec<u8>, ReportsError> {
        let practice = self.heilmittel_practice(ik).await?;
        let record = self.reports.report(ik, id).await?.ok_or(ReportsError::NotFound)?;
        let contents = self.contents(&record)?;
        let attached = match &contents.attachment {
            Some(info) => Some(self.attached_pdf(&record, &info.sha256).await?),
            None => None,
        };
        let cover = match &contents.frozen {
            Some(frozen) => frozen.pdf.clone(),
            None => {
                let date = self.clock.today();
                let (report, physician) = self.complete(&contents, date).await?;
                self.render(&record, &report, &practice, &physician, date)?
            }
        };
        match attached {
            // What the physician gets, in one file: the cover, then the practice's pages.
            Some(pdf) => Ok(self.renderer.join_pdfs(&[&cover, &pdf])?),
            None => Ok(cover),
        }
    }

    /// The report's PDF/A as of `date`.
    fn render(
        &self,
        record: &StoredReport,
        report: &TherapyReport,
        practice: &Provider,
        physician: &Physician,
        date: Date,
    ) -> Result<Vec<u8>, ReportsError> {
        let document = ReportDocument {
            id: &record.id,
            report,
            practice,
            physician,
            insurer: &self.tenant.name,
            date,
            corrects: record.corrects.as_ref(),
        };
        Ok(self.renderer.render(&document)?)
    }

    /// The report parsed whole, and the physician it goes to, or every field at fault.
    async fn complete(
        &self,
        contents: &ReportContents,
        today: Date,
    ) -> Result<(TherapyReport, Physician), ReportsError> {
        let physician = self.physician(contents).await?;
        let report = match contents.attachment {
            Some(_) => cover_form(&contents.form).complete(today),
            None => contents.form.complete(today),
        };
        match (report, physician) {
            (Ok(report), Ok(physician)) => Ok((report, physician)),
            (Err(mut problems), Err(missing)) => {
                problems.extend(missing);
                Err(ReportsError::Incomplete(problems))
            }
            (Err(problems), Ok(_)) | (Ok(_), Err(problems)) => {
                Err(ReportsError::Incomplete(problems))
            }
        }
    }

    /// The physician picked, from the directory; a missing or unknown one as a form problem.
    async fn physician(
        &self,
        contents: &ReportContents,
    ) -> Result<Result<Physician, Vec<FormProblem>>, ReportsError> {
        use portal_domain::therapy::FieldError;
        let picked = &contents.physician;
        let problem = |path: &str, error| FormProblem { path: path.into(), error };
        if picked.lanr.trim().is_empty() || picked.bsnr.trim().is_empty() {
            return Ok(Err(vec![problem("physician", FieldError::Missing)]));
        }
        let (Ok(lanr), Ok(bsnr)) = (Lanr::parse(&picked.lanr), Bsnr::parse(&picked.bsnr)) else {
            return Ok(Err(vec![problem("physician", UNKNOWN_PHYSICIAN)]));
        };
        Ok(match self.physicians.physician(&lanr, &bsnr).await? {
            Some(physician) => Ok(physician),
            None => Err(vec![problem("physician", UNKNOWN_PHYSICIAN)]),
        })
    }

    /// The practice's draft `id`, or why it cannot change.
    async fn draft(&self, ik: &Ik, id: &ReportId) -> Result<StoredReport, ReportsError> {
        self.heilmittel_practice(ik).await?;
        let record = self.reports.report(ik, id).await?.ok_or(ReportsError::NotFound)?;
        match record.status {
            ReportStatus::Draft => Ok(record),
            _ => Err(ReportsError::AlreadySent),
        }
    }

    /// After a conflicting write: someone sent or deleted the report in between.
    async fn why_not_a_draft(&self, ik: &Ik, id: &ReportId) -> ReportsError {
        match self.reports.report(ik, id).await {
            Ok(Some(_)) => ReportsError::AlreadySent,
            Ok(None) => ReportsError::NotFound,
            Err(e) => e.into(),
        }
    }

    async fn save(&self, record: &StoredReport) -> Result<(), ReportsError> {
        match self.reports.save_report(record).await? {
            Saved::Done => Ok(()),
            Saved::Conflict => Err(self.why_not_a_draft(&record.practice, &record.id).await),
        }
    }

    fn contents(&self, record: &StoredReport) -> Result<ReportContents, ReportsError> {
        if record.contents_expire_at <= self.clock.now() {
            return Err(ReportsError::ContentsExpired);
        }
        let sealed = record.contents.as_ref().ok_or(ReportsError::ContentsExpired)?;
        Ok(self.cipher.open(sealed, &record.practice, &record.id)?)
    }

    async fn view(&self, record: StoredReport) -> Result<ReportView, ReportsError> {
        let contents = match self.contents(&record) {
            Ok(contents) => Some(contents),
            Err(ReportsError::ContentsExpired) => None,
            Err(ReportsError::Cipher(error)) => {
                // One record that does not open must not hide the practice's others.
                tracing::error!(report = %record.id, %error, "report contents do not open");
                None
            }
            Err(e) => return Err(e),
        };
        let physician = match &contents {
            Some(c) => self.physician(c).await?.ok(),
            None => None,
        };
        Ok(ReportView { record, contents, physician })
    }

    /// A practice of the Heilmittel field, or why not (a provider no longer in the directory is
    /// treated as not one).
    async fn heilmittel_practice(&self, ik: &Ik) -> Result<Provider, ReportsError> {
        match self.providers.provider(ik).await? {
            Some(p) if p.berufsfeld == Berufsfeld::Heilmittel => Ok(p),
            _ => Err(ReportsError::NotHeilmittel),
        }
    }
}
