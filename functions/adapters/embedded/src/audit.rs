//! The audit log in the SQLite file: records by (ik, seq), one head per provider.

use async_trait::async_trait;
use portal_core::model::{AuditEntry, AuditHead, AuditRow, Limit, Recorded};
use portal_core::{AuditLog, StoreError};
use portal_domain::{Ik, Kvnr};
use rusqlite::{OptionalExtension, params};

use crate::rows::{AUDIT_COLUMNS, audit_row_from, ik_of, nanos, time_of};
use crate::{EmbeddedStore, corrupt, sql};

impl EmbeddedStore {
    async fn audit_where(
        &self,
        condition: &'static str,
        key: String,
    ) -> Result<Vec<AuditRow>, StoreError> {
        self.run(move |connection| {
            let query = format!("SELECT {AUDIT_COLUMNS} FROM audit WHERE {condition}");
            let mut select = connection.prepare_cached(&query).map_err(sql)?;
            let rows = select.query_map([key], |row| Ok(audit_row_from(row))).map_err(sql)?;
            rows.map(|row| row.map_err(sql)).collect()
        })
        .await
    }
}

#[async_trait]
impl AuditLog for EmbeddedStore {
    #[tracing::instrument(level = "debug", name = "sqlite.record_query", skip_all)]
    async fn record_query(
        &self,
        entry: &AuditEntry,
        limits: &[Limit],
    ) -> Result<Recorded, StoreError> {
        let (entry, limits) = (entry.clone(), limits.to_vec());
        // One write job: inside the writer's transaction nothing else writes between the checks
        // and the writes that follow them.
        self.write(move |connection| {
            for limit in &limits {
                let used: Option<i64> = connection
                    .prepare_cached("SELECT count FROM counters WHERE key = ?1")
                    .and_then(|mut select| select.query_row([limit.counter.key()], |row| row.get(0)).optional())
                    .map_err(sql)?;
                if used.unwrap_or(0) >= i64::from(limit.limit) {
                    return Ok(Recorded::OverLimit(limit.counter.clone()));
                }
            }
            for limit in &limits {
                connection
                    .prepare_cached(
                        "INSERT INTO counters (key, count, window_ends) VALUES (?1, 1, ?2)
                         ON CONFLICT (key) DO UPDATE SET count = count + 1",
                    )
                    .and_then(|mut count| count.execute(params![limit.counter.key(), nanos(limit.counter.window_ends())]))
                    .map_err(sql)?;
            }
            let head = connection
                .prepare_cached("SELECT seq, hash, at FROM audit_heads WHERE ik = ?1")
                .and_then(|mut select| {
                    select
                        .query_row([entry.ik.as_str()], |row| {
                            Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?, row.get::<_, i64>(2)?))
                        })
                        .optional()
                })
                .map_err(sql)?
                .map(|(seq, hash, at)| {
                    Ok::<_, StoreError>(AuditHead {
                        ik: entry.ik,
                        seq: u64::try_from(seq).map_err(|e| corrupt("seq", e))?,
                        hash,
                        at: time_of(at)?,
                    })
                })
                .transpose()?;
            let r = entry.link(head.as_ref());
            let seq = i64::try_from(r.seq).map_err(|e| corrupt("seq", e))?;
            connection
                .prepare_cached(&format!(
                    "INSERT INTO audit ({AUDIT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
                ))
                .and_then(|mut insert| {
                    insert.execute(params![
                        r.ik.as_str(),
                        seq,
                        r.query_id.to_string(),
                        nanos(r.at),
                        r.kvnr.as_str(),
                        r.consent.as_str(),
                        r.dispensing_date.map(|d| d.to_string()),
                        r.outcome.to_text(),
                        r.prev_hash,
                        r.prev_at.map(nanos),
                        r.hash,
                        nanos(r.expires_at),
                        r.channel.as_str(),
                    ])
                })
                .map_err(sql)?;
            connection
                .prepare_cached("INSERT OR REPLACE INTO audit_heads (ik, seq, hash, at) VALUES (?1, ?2, ?3, ?4)")
                .and_then(|mut head| head.execute(params![r.ik.as_str(), seq, r.hash, nanos(r.at)]))
                .map_err(sql)?;
            Ok(Recorded::Done(r))
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.audit_heads", skip_all)]
    async fn audit_heads(&self) -> Result<Vec<AuditHead>, StoreError> {
        self.run(|connection| {
            let mut select = connection
                .prepare_cached("SELECT ik, seq, hash, at FROM audit_heads ORDER BY ik")
                .map_err(sql)?;
            let rows = select
                .query_map([], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, i64>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, i64>(3)?,
                    ))
                })
                .map_err(sql)?;
            rows.map(|row| {
                let (ik, seq, hash, at) = row.map_err(sql)?;
                Ok(AuditHead {
                    ik: ik_of(&ik)?,
                    seq: u64::try_from(seq).map_err(|e| corrupt("seq", e))?,
                    hash,
                    at: time_of(at)?,
                })
            })
            .collect()
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.audit_of_ik", skip_all)]
    async fn audit_of_ik(&self, ik: &Ik) -> Result<Vec<AuditRow>, StoreError> {
        self.audit_where("ik = ?1 ORDER BY seq", ik.to_string()).await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.audit_of_kvnr", skip_all)]
    async fn audit_of_kvnr(&self, kvnr: &Kvnr) -> Result<Vec<AuditRow>, StoreError> {
        self.audit_where("kvnr = ?1 ORDER BY at", kvnr.to_string()).await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.audit_record", skip_all)]
    async fn audit_record(&self, ik: &Ik, seq: u64) -> Result<Option<AuditRow>, StoreError> {
        let (ik, Ok(seq)) = (ik.to_string(), i64::try_from(seq)) else { return Ok(None) };
        self.lookup(move |connection| {
            let query = format!("SELECT {AUDIT_COLUMNS} FROM audit WHERE ik = ?1 AND seq = ?2");
            let mut select = connection.prepare_cached(&query).map_err(sql)?;
            select
                .query_row(params![ik, seq], |row| Ok(audit_row_from(row)))
                .optional()
                .map_err(sql)
        })
        .await
    }
}
