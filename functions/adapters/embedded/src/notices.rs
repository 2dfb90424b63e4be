//! The account's history, its known browsers and the block links of its notices in the SQLite
//! file (one file per tenant: nothing here can reach another tenant's).

use async_trait::async_trait;
use portal_core::model::stored::corrupt;
use portal_core::model::{AccountEvent, BlockToken, Browser, DeviceSeen, HistoryEntry};
use portal_core::{AccountHistory, BlockTokens, KnownDevices, StoreError};
use portal_domain::Ik;
use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;

use crate::rows::{ik_of, nanos, time_of};
use crate::{EmbeddedStore, sql};

#[async_trait]
impl AccountHistory for EmbeddedStore {
    #[tracing::instrument(level = "debug", name = "sqlite.record_event", skip_all)]
    async fn record_event(&self, entry: &HistoryEntry) -> Result<(), StoreError> {
        let entry = entry.clone();
        self.write(move |connection| {
            connection
                .execute(
                    "INSERT OR REPLACE INTO account_history (ik, at, id, event, browser, expires_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        entry.ik.as_str(),
                        nanos(entry.at),
                        entry.id,
                        entry.event.as_str(),
                        entry.browser.map(Browser::as_str),
                        nanos(entry.expires_at()),
                    ],
                )
                .map(drop)
                .map_err(sql)
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.history_of", skip_all)]
    async fn history_of(
        &self,
        ik: &Ik,
        since: OffsetDateTime,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        let (ik, since) = (ik.to_string(), nanos(since));
        self.run(move |connection| {
            let mut select = connection
                .prepare_cached(
                    "SELECT ik, at, id, event, browser FROM account_history \
                     WHERE ik = ?1 AND at >= ?2 ORDER BY at DESC, id DESC",
                )
                .map_err(sql)?;
            let rows = select
                .query_map(params![ik, since], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, i64>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, String>(3)?,
                        row.get::<_, Option<String>>(4)?,
                    ))
                })
                .map_err(sql)?;
            rows.map(|row| {
                let (ik, at, id, event, browser) = row.map_err(sql)?;
                Ok(HistoryEntry {
                    ik: ik_of(&ik)?,
                    at: time_of(at)?,
                    event: AccountEvent::parse(&event).ok_or_else(|| corrupt("event", &event))?,
                    browser: browser.as_deref().map(Browser::parse),
                    id,
                })
            })
            .collect()
        })
        .await
    }
}

#[async_trait]
impl KnownDevices for EmbeddedStore {
    #[tracing::instrument(level = "debug", name = "sqlite.remember_device", skip_all)]
    async fn remember_device(
        &self,
        ik: &Ik,
        device_hash: &str,
        expires_at: OffsetDateTime,
    ) -> Result<DeviceSeen, StoreError> {
        let (ik, hash, expires_at) = (ik.to_string(), device_hash.to_string(), nanos(expires_at));
        // In the writer's transaction: the count and the insert cannot be interleaved.
        self.write(move |connection| {
            let known: i64 = connection
                .query_row("SELECT count(*) FROM known_devices WHERE ik = ?1", [&ik], |row| {
                    row.get(0)
                })
                .map_err(sql)?;
            let inserted = connection
                .execute(
                    "INSERT INTO known_devices (ik, device_hash, expires_at) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (ik, device_hash) DO NOTHING",
                    params![ik, hash, expires_at],
                )
                .map_err(sql)?;
            Ok(match (inserted, known) {
                (0, _) => DeviceSeen::Known,
                (_, 0) => DeviceSeen::First,
                _ => DeviceSeen::New,
            })
        })
        .await
    }
}

#[async_trait]
impl BlockTokens for EmbeddedStore {
    #[tracing::instrument(level = "debug", name = "sqlite.put_block_token", skip_all)]
    async fn put_block_token(&self, token: &BlockToken) -> Result<(), StoreError> {
        let token = token.clone();
        self.write(move |connection| {
            connection
                .execute(
                    "INSERT OR REPLACE INTO block_tokens (token_hash, ik, expires_at, drops_factor) \
                     VALUES (?1, ?2, ?3, ?4)",
                    params![
                        token.hash,
                        token.ik.as_str(),
                        nanos(token.expires_at),
                        token.drops_factor
                    ],
                )
                .map(drop)
                .map_err(sql)
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.take_block_token", skip_all)]
    async fn take_block_token(&self, hash: &str) -> Result<Option<BlockToken>, StoreError> {
        let hash = hash.to_string();
        // One statement: of two requests with the same link, one gets it.
        self.write(move |connection| {
            let row = connection
                .query_row(
                    "DELETE FROM block_tokens WHERE token_hash = ?1 \
                     RETURNING ik, expires_at, drops_factor",
                    [&hash],
                    |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            row.get::<_, i64>(1)?,
                            row.get::<_, bool>(2)?,
                        ))
                    },
                )
                .optional()
                .map_err(sql)?;
            row.map(|(ik, expires_at, drops_factor)| {
                Ok(BlockToken {
                    hash: hash.clone(),
                    ik: ik_of(&ik)?,
                    expires_at: time_of(expires_at)?,
                    drops_factor,
                })
            })
            .transpose()
        })
        .await
    }
}
