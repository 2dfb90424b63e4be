//! Puts the parts together: the same `AppState` for `portal serve` and the tests, and the
//! background work of the local portal (sending letters, removing what expired).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use portal_core::accounts::dispatch_letters;
use portal_core::oha::{ANCHOR_EVERY, Anchoring};
use portal_core::{AnchorSigner, Clock, Mailer, Tenants};
use portal_http::AppState;
use portal_store_embedded::{FileAnchorKey, FileAnchorLog, NoAnchorKey};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::stores::TenantStores;

/// How often letters that failed are tried again, and expired records removed.
const RETRY_EVERY: Duration = Duration::from_secs(30);

pub struct Portal {
    pub state: AppState,
    /// Wakes the dispatcher as soon as letters are queued.
    pub letters_queued: Arc<Notify>,
}

/// Every tenant's use cases on its stores.
pub fn portal(
    config: &Config,
    tenants: &Tenants,
    stores: &[TenantStores],
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Portal> {
    let letters_queued = Arc::new(Notify::new());
    let wake = Arc::clone(&letters_queued);
    let stores: Vec<_> = stores.iter().map(|t| t.stores.clone()).collect();
    let state = AppState::wire(
        tenants,
        &stores,
        &config.settings,
        clock,
        Arc::new(move || wake.notify_one()),
    )
    .context("cannot prepare password hashing")?;
    Ok(Portal { state, letters_queued })
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

/// One tenant's background work: its stores, and its anchoring if the audit is anchored.
pub struct Background {
    pub tenant: TenantStores,
    pub anchoring: Option<Anchoring>,
}

/// Sends every tenant's queued letters until the process ends: at once when woken, and every 30
/// seconds for those that failed. Also purges expired records from the embedded stores, and
/// anchors the audit chains when they changed, at the start and then hourly.
pub fn spawn_background(
    work: Vec<Background>,
    mailer: Arc<dyn Mailer>,
    wake: Arc<Notify>,
    clock: Arc<dyn Clock>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut anchored_at = vec![None; work.len()];
        loop {
            for (work, anchored_at) in work.iter().zip(&mut anchored_at) {
                one_round(work, mailer.as_ref(), clock.as_ref(), anchored_at).await;
            }
            tokio::select! {
                () = wake.notified() => {}
                () = tokio::time::sleep(RETRY_EVERY) => {}
            }
        }
    })
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
    match dispatch_letters(stores.letters.as_ref(), stores.accounts.as_ref(), mailer, clock).await {
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
