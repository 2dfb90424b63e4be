//! The figures' roll-up in the SQLite file: the audit log by time (index `audit_by_time`) and
//! one row of figures per day. The file is the tenant's, so no key names the tenant.

use async_trait::async_trait;
use portal_core::model::{AuditRecord, DayFigures};
use portal_core::{AuditTimeline, FigureStore, StoreError};
use rusqlite::params;
use time::{Date, OffsetDateTime};

use crate::rows::{AUDIT_COLUMNS, audit_row_from, nanos};
use crate::{EmbeddedStore, sql};

#[async_trait]
impl AuditTimeline for EmbeddedStore {
    #[tracing::instrument(level = "debug", name = "sqlite.audit_between", skip_all)]
    async fn audit_between(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let (from, to) = (nanos(from), nanos(to));
        self.run(move |connection| {
            let query =
                format!("SELECT {AUDIT_COLUMNS} FROM audit WHERE at >= ?1 AND at < ?2 ORDER BY at");
            let mut select = connection.prepare_cached(&query).map_err(sql)?;
            let rows =
                select.query_map(params![from, to], |row| Ok(audit_row_from(row))).map_err(sql)?;
            let mut records = Vec::new();
            for row in rows {
                if let Some(record) = row.map_err(sql)?.intact() {
                    records.push(record.clone());
                }
            }
            Ok(records)
        })
        .await
    }
}

#[async_trait]
impl FigureStore for EmbeddedStore {
    async fn put_day_figures(&self, figures: &DayFigures) -> Result<(), StoreError> {
        let (day, text, providers) =
            (figures.day.to_string(), figures.to_text(), figures.providers_text());
        self.write(move |connection| {
            connection
                .prepare_cached(
                    "INSERT OR REPLACE INTO day_figures (day, figures, providers) VALUES (?1, ?2, ?3)",
                )
                .and_then(|mut put| put.execute(params![day, text, providers]))
                .map_err(sql)?;
            Ok(())
        })
        .await
    }

    async fn day_figures(
        &self,
        from: Date,
        to: Date,
        with_providers: bool,
    ) -> Result<Vec<DayFigures>, StoreError> {
        let (from, to) = (from.to_string(), to.to_string());
        self.run(move |connection| {
            let mut select = connection
                .prepare_cached(if with_providers {
                    "SELECT figures, providers FROM day_figures WHERE day >= ?1 AND day <= ?2 ORDER BY day"
                } else {
                    "SELECT figures, NULL FROM day_figures WHERE day >= ?1 AND day <= ?2 ORDER BY day"
                })
                .map_err(sql)?;
            let rows = select
                .query_map(params![from, to], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, Option<String>>(1)?))
                })
                .map_err(sql)?;
            rows.map(|row| {
                let (figures, providers) = row.map_err(sql)?;
                DayFigures::parse(&figures, providers.as_deref())
            })
            .collect()
        })
        .await
    }
}
