//! Puts the parts together: the same `AppState` for `portal serve` and the tests, and the
//! background work of the local portal (sending letters, removing what expired).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use portal_core::accounts::dispatch_letters;
use portal_core::oha::{ANCHOR_EVERY, Anchoring};
use portal_core::{AnchorSigner, Clock, Mailer, Stores};
use portal_http::AppState;
use portal_store_embedded::{EmbeddedStore, FileAnchorKey, FileAnchorLog, NoAnchorKey};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::config::Config;

/// How often letters that failed are tried again, and expired records removed.
const RETRY_EVERY: Duration = Duration::from_secs(30);

pub struct Portal {
    pub state: AppState,
    /// Wakes the dispatcher as soon as letters are queued.
    pub letters_queued: Arc<Notify>,
}

pub fn portal(config: &Config, stores: &Stores, clock: Arc<dyn Clock>) -> anyhow::Result<Portal> {
    let letters_queued = Arc::new(Notify::new());
    let wake = Arc::clone(&letters_queued);
    let state =
        AppState::wire(stores, &config.settings, clock, Arc::new(move || wake.notify_one()))
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

/// The audit anchors in the configured file, signed with the configured key.
pub fn anchoring(
    config: &Config,
    stores: &Stores,
    clock: Arc<dyn Clock>,
    key: AnchorKey,
) -> anyhow::Result<Anchoring> {
    let path = &config.anchor_key;
    let nothing_anchored = !config.anchor_log.exists() && !path.exists();
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
        audit: stores.audit.clone(),
        log: Arc::new(FileAnchorLog::new(&config.anchor_log)),
        signer,
        clock,
    })
}

/// Sends queued letters until the process ends: at once when woken, and every 30 seconds for
/// those that failed. Also purges expired records from the embedded store, and anchors the
/// audit chains when they changed, at the start and then hourly.
pub fn spawn_background(
    stores: &Stores,
    embedded: Option<EmbeddedStore>,
    mailer: Arc<dyn Mailer>,
    wake: Arc<Notify>,
    clock: Arc<dyn Clock>,
    anchoring: Option<Anchoring>,
) -> JoinHandle<()> {
    let stores = stores.clone();
    tokio::spawn(async move {
        let mut anchored_at = None;
        loop {
            if let Some(anchoring) = &anchoring
                && anchored_at.is_none_or(|at| clock.now() - at >= ANCHOR_EVERY)
            {
                match anchoring.anchor().await {
                    Ok(_) => anchored_at = Some(clock.now()),
                    Err(error) => {
                        tracing::error!(error = %portal_core::error_chain(&error), "anchoring the audit log failed, will retry")
                    }
                }
            }
            match dispatch_letters(
                stores.letters.as_ref(),
                stores.accounts.as_ref(),
                mailer.as_ref(),
                clock.as_ref(),
            )
            .await
            {
                Ok(done) if done.failed > 0 => {
                    tracing::warn!(failed = done.failed, "letters left for the next round")
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::error!(error = %portal_core::error_chain(&error), "letter dispatch failed, will retry")
                }
            }
            if let Some(store) = &embedded
                && let Err(error) = store.purge_expired(clock.now()).await
            {
                tracing::warn!(error = %portal_core::error_chain(&error), "purging expired records failed");
            }
            tokio::select! {
                () = wake.notified() => {}
                () = tokio::time::sleep(RETRY_EVERY) => {}
            }
        }
    })
}
