//! Puts the parts together: the same `AppState` for `portal serve` and the tests, and the
//! background work of the local portal (sending letters, removing what expired).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use portal_core::accounts::dispatch_letters_counting;
use portal_core::model::Service;
use portal_core::oha::{ANCHOR_EVERY, Anchoring};
use portal_core::therapy::{Reporting, Reports, dispatch_reports};
use portal_core::{AnchorSigner, Clock, Mailer, ReportDelivery, Tenants};
use portal_document::PdfRenderer;
use portal_http::AppState;
use portal_kim::{OutboxDelivery, SmtpDelivery};
use portal_store_embedded::{
    FileAnchorKey, FileAnchorLog, FileTokenKey, NoAnchorKey, PROOF_KEY_PREFIX,
    open_or_create_report_keys,
};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::stores::TenantStores;

/// How often letters that failed are tried again, and expired records removed.
const RETRY_EVERY: Duration = Duration::from_secs(30);
/// How often the reports' dispatcher looks for receipts and reports due again: receipts arrive
/// as files, with nothing to wake it.
const RECEIPTS_EVERY: Duration = Duration::from_secs(2);

pub struct Portal {
    pub state: AppState,
    /// Wakes the dispatcher as soon as letters or reports are queued.
    pub work_queued: Arc<Notify>,
}

/// The reports' sealing key (from its file, made on first use) and the PDF renderer.
pub fn reporting(config: &Config) -> anyhow::Result<Reporting> {
    let keys = open_or_create_report_keys(&config.report_key).with_context(|| {
        format!("cannot read or make the report key {}", config.report_key.display())
    })?;
    Ok(Reporting { keys: Some(keys), renderer: Arc::new(PdfRenderer::new()) })
}

/// Where therapy reports go: a KIM client module over SMTP (`PORTAL_KIM_SMTP`), or the outbox
/// folder `<data dir>/outbox/etb/`, where receipts are dropped into `in/`.
pub fn report_delivery(config: &Config) -> anyhow::Result<Arc<dyn ReportDelivery>> {
    Ok(match &config.kim_smtp {
        Some(smtp) => Arc::new(
            SmtpDelivery::new(smtp.clone()).context("the KIM SMTP settings are not usable")?,
        ),
        None => Arc::new(OutboxDelivery::new(config.data_dir.join("outbox"))),
    })
}

/// Every tenant's use cases on its stores.
pub fn portal(
    config: &Config,
    tenants: &Tenants,
    stores: &[TenantStores],
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Portal> {
    let work_queued = Arc::new(Notify::new());
    let wake = Arc::clone(&work_queued);
    let stores: Vec<_> = stores.iter().map(|t| t.stores.clone()).collect();
    let reporting = reporting(config)?;
    let state = AppState::wire(
        tenants,
        &stores,
        &config.settings,
        &reporting,
        clock,
        Arc::new(move || wake.notify_one()),
    )
    .context("cannot prepare password hashing")?;
    // The second factor's TOTP secrets are sealed with a key of each tenant's own, derived from
    // the same key file as the reports' (another HKDF salt and info).
    let state = match &reporting.keys {
        Some(keys) => state.with_account_keys(keys),
        None => state,
    };
    let token_key = FileTokenKey::open_or_create(&config.token_key).with_context(|| {
        format!("cannot read or make the token key {}", config.token_key.display())
    })?;
    let proof_key = FileTokenKey::open_or_create_as(&config.proof_key, PROOF_KEY_PREFIX)
        .with_context(|| {
            format!("cannot read or make the proof key {}", config.proof_key.display())
        })?;
    let state = state.with_token_signer(Arc::new(token_key)).with_proof_signer(Arc::new(proof_key));
    let state = state.with_content(&crate::content::libraries(&config.content_dir, tenants)?);
    Ok(Portal { state, work_queued })
}

/// Whether anchoring may make the signing key when there is none: `portal serve` and
/// `portal audit anchor` may; `verify` must find the one that signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnchorKey {
    MakeIfMissing,
    MustExist,
}

/// The audit anchors of one tenant in its folder, signed with the configured key.
pub fn anchoring(
    config: &Config,
    tenant: &TenantStores,
    clock: Arc<dyn Clock>,
    key: AnchorKey,
) -> anyhow::Result<Anchoring> {
    let path = &config.anchor_key;
    let log = config.anchor_log(&tenant.tenant);
    let nothing_anchored = !log.exists() && !path.exists();
    let signer: Arc<dyn AnchorSigner> = match key {
        AnchorKey::MakeIfMissing => Arc::new(FileAnchorKey::open_or_create(path)?),
        // Without anchors there is nothing to check them with; with anchors the key must be
        // the one that signed them.
        AnchorKey::MustExist if nothing_anchored => Arc::new(NoAnchorKey),
        AnchorKey::MustExist => Arc::new(FileAnchorKey::open(path).with_context(|| {
            format!("the anchor key {} is missing: the anchors cannot be checked", path.display())
        })?),
    };
    Ok(Anchoring {
        audit: tenant.stores.audit.clone(),
        log: Arc::new(FileAnchorLog::new(&log)),
        signer,
        clock,
    })
}

/// One tenant's background work: its stores, its reports, and its anchoring if the audit is
/// anchored.
pub struct Background {
    pub tenant: TenantStores,
    pub reports: Reports,
    pub anchoring: Option<Anchoring>,
}

/// Sends every tenant's queued letters and reports until the process ends: at once when woken,
/// every 30 seconds for letters that failed, every 2 seconds for reports due and receipts. Also
/// purges expired records from the embedded stores, and anchors the audit chains when they
/// changed, at the start and then hourly.
pub fn spawn_background(
    work: Vec<Background>,
    mailer: Arc<dyn Mailer>,
    delivery: Arc<dyn ReportDelivery>,
    wake: Arc<Notify>,
    clock: Arc<dyn Clock>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut anchored_at = vec![None; work.len()];
        let mut letters_at = tokio::time::Instant::now();
        let mut woken = true;
        loop {
            let letters_due = woken || letters_at.elapsed() >= RETRY_EVERY;
            for (work, anchored_at) in work.iter().zip(&mut anchored_at) {
                if letters_due {
                    one_round(work, mailer.as_ref(), clock.as_ref(), anchored_at).await;
                }
                reports_round(work, delivery.as_ref()).await;
            }
            if letters_due {
                letters_at = tokio::time::Instant::now();
            }
            woken = tokio::select! {
                () = wake.notified() => true,
                () = tokio::time::sleep(RECEIPTS_EVERY) => false,
            };
        }
    })
}

async fn reports_round(work: &Background, delivery: &dyn ReportDelivery) {
    if !work.tenant.tenant.offers(Service::Etherapiebericht) {
        return;
    }
    let queue = work.tenant.stores.report_queue.as_ref();
    if let Err(error) = dispatch_reports(&work.reports, queue, delivery).await {
        let tenant = work.tenant.tenant.slug.as_str();
        tracing::error!(tenant, error = %portal_core::error_chain(&error), "report dispatch failed, will retry");
    }
}

async fn one_round(
    work: &Background,
    mailer: &dyn Mailer,
    clock: &dyn Clock,
    anchored_at: &mut Option<time::OffsetDateTime>,
) {
    let TenantStores { tenant, stores, embedded } = &work.tenant;
    let tenant = tenant.slug.as_str();
    if let Some(anchoring) = &work.anchoring
        && anchored_at.is_none_or(|at| clock.now() - at >= ANCHOR_EVERY)
    {
        match anchoring.anchor().await {
            Ok(_) => *anchored_at = Some(clock.now()),
            Err(error) => {
                tracing::error!(tenant, error = %portal_core::error_chain(&error), "anchoring the audit log failed, will retry")
            }
        }
    }
    let (letters, accounts) = (stores.letters.as_ref(), stores.accounts.as_ref());
    let figures = Some(stores.limits.as_ref());
    match dispatch_letters_counting(letters, accounts, mailer, clock, figures).await {
        Ok(done) if done.failed > 0 => {
            tracing::warn!(tenant, failed = done.failed, "letters left for the next round")
        }
        Ok(_) => {}
        Err(error) => {
            tracing::error!(tenant, error = %portal_core::error_chain(&error), "letter dispatch failed, will retry")
        }
    }
    if let Some(store) = embedded
        && let Err(error) = store.purge_expired(clock.now()).await
    {
        tracing::warn!(tenant, error = %portal_core::error_chain(&error), "purging expired records failed");
    }
}
