//! Therapy reports in SQLite: one row each, keyed by practice and id, so that a practice's
//! query cannot reach another's row; contents as the sealed bytes the use case hands over.

use async_trait::async_trait;
use portal_core::model::stored::{corrupt, report::name_of};
use portal_core::model::{ReportId, ReportStatus, StoredReport};
use portal_core::{ReportAttachments, ReportQueue, ReportStore, Saved, StoreError};
use portal_domain::Ik;
use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;

use crate::rows::{REPORT_COLUMNS, nanos, report_from};
use crate::{EmbeddedStore, sql};

#[async_trait]
impl ReportStore for EmbeddedStore {
    #[tracing::instrument(level = "debug", name = "sqlite.report", skip_all)]
    async fn report(
        &self,
        practice: &Ik,
        id: &ReportId,
    ) -> Result<Option<StoredReport>, StoreError> {
        let (practice, id) = (*practice, id.to_string());
        self.run(move |connection| {
            let query =
                format!("SELECT {REPORT_COLUMNS} FROM reports WHERE practice = ?1 AND id = ?2");
            connection
                .prepare_cached(&query)
                .and_then(|mut select| {
                    select
                        .query_row([practice.as_str(), &id], |row| Ok(report_from(row)))
                        .optional()
                })
                .map_err(sql)?
                .transpose()
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.reports_of", skip_all)]
    async fn reports_of(&self, practice: &Ik) -> Result<Vec<StoredReport>, StoreError> {
        let practice = *practice;
        self.run(move |connection| {
            let query = format!(
                "SELECT {REPORT_COLUMNS} FROM reports WHERE practice = ?1 ORDER BY updated_at DESC, id DESC"
            );
            let mut select = connection.prepare_cached(&query).map_err(sql)?;
            let rows =
                select.query_map([practice.as_str()], |row| Ok(report_from(row))).map_err(sql)?;
            rows.map(|row| row.map_err(sql)?).collect()
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.save_report", skip_all)]
    async fn save_report(&self, report: &StoredReport) -> Result<Saved, StoreError> {
        let r = report.clone();
        self.write(move |connection| {
            let expected = i64::try_from(r.version).map_err(|e| corrupt("version", e))?;
            if stored_version(connection, &r.practice, &r.id)? != expected {
                return Ok(Saved::Conflict);
            }
            connection
                .execute(
                    &format!(
                        "INSERT OR REPLACE INTO reports ({REPORT_COLUMNS}) VALUES
                         (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                          ?17, ?18, ?19, ?20)"
                    ),
                    params![
                        r.practice.as_str(),
                        r.id.to_string(),
                        r.status.as_str(),
                        r.kind.map(name_of),
                        r.area.map(name_of),
                        r.contents.as_ref().map(|sealed| sealed.0.as_slice()),
                        r.corrects.map(|id| id.to_string()),
                        nanos(r.created_at),
                        nanos(r.updated_at),
                        r.queued_at.map(nanos),
                        r.sent_at.map(nanos),
                        r.delivered_at.map(nanos),
                        r.read_at.map(nanos),
                        r.failure.map(|f| portal_domain::UserFacing::code(&f)),
                        r.idempotency_key,
                        r.attempts,
                        r.next_attempt_at.map(nanos),
                        nanos(r.contents_expire_at),
                        nanos(r.expires_at),
                        expected + 1,
                    ],
                )
                .map_err(sql)?;
            Ok(Saved::Done)
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.delete_report", skip_all)]
    async fn delete_report(&self, report: &StoredReport) -> Result<Saved, StoreError> {
        let (practice, id, version) = (report.practice, report.id, report.version);
        self.write(move |connection| {
            let deleted = connection
                .execute(
                    "DELETE FROM reports WHERE practice = ?1 AND id = ?2 AND version = ?3",
                    params![
                        practice.as_str(),
                        id.to_string(),
                        i64::try_from(version).unwrap_or(-1)
                    ],
                )
                .map_err(sql)?;
            Ok(if deleted == 1 { Saved::Done } else { Saved::Conflict })
        })
        .await
    }
}

/// The stored version of a report, 0 when there is none.
fn stored_version(
    connection: &rusqlite::Connection,
    practice: &Ik,
    id: &ReportId,
) -> Result<i64, StoreError> {
    connection
        .query_row(
            "SELECT version FROM reports WHERE practice = ?1 AND id = ?2",
            [practice.as_str(), &id.to_string()],
            |row| row.get::<_, i64>(0),
        )
        .optional()
        .map_err(sql)
        .map(Option::unwrap_or_default)
}

#[async_trait]
impl ReportQueue for EmbeddedStore {
    #[tracing::instrument(level = "debug", name = "sqlite.due_reports", skip_all)]
    async fn due_reports(
        &self,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<StoredReport>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.run(move |connection| {
            let query = format!(
                "SELECT {REPORT_COLUMNS} FROM reports
                 WHERE status = '{queued}' AND next_attempt_at <= ?1
                 ORDER BY next_attempt_at LIMIT ?2",
                queued = ReportStatus::Queued.as_str()
            );
            let mut select = connection.prepare_cached(&query).map_err(sql)?;
            let rows = select
                .query_map(params![nanos(now), limit], |row| Ok(report_from(row)))
                .map_err(sql)?;
            rows.map(|row| row.map_err(sql)?).collect()
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.purge_reports", skip_all)]
    async fn purge_reports(&self, now: OffsetDateTime) -> Result<(usize, usize), StoreError> {
        let scrub = self.scrub_flag();
        self.write(move |connection| {
            let contents = connection
                .execute(
                    // A new version, so that a writer holding the old record (with its
                    // contents) conflicts instead of writing them back.
                    "UPDATE reports SET contents = NULL, version = version + 1
                     WHERE contents IS NOT NULL AND contents_expire_at <= ?1",
                    [nanos(now)],
                )
                .map_err(sql)?;
            let records = connection
                .execute("DELETE FROM reports WHERE expires_at <= ?1", [nanos(now)])
                .map_err(sql)?;
            // Own PDFs go with their report's contents.
            connection
                .execute(
                    "DELETE FROM report_attachments WHERE NOT EXISTS (
                         SELECT 1 FROM reports r WHERE r.practice = report_attachments.practice
                         AND r.id = report_attachments.report AND r.contents IS NOT NULL)",
                    [],
                )
                .map_err(sql)?;
            if contents + records > 0 {
                // Removed clinical text leaves no old page behind in the write-ahead log.
                scrub.store(true, std::sync::atomic::Ordering::SeqCst);
            }
            Ok((contents, records))
        })
        .await
    }
}

#[async_trait]
impl ReportAttachments for EmbeddedStore {
    #[tracing::instrument(level = "debug", name = "sqlite.put_attachment", skip_all)]
    async fn put_attachment(
        &self,
        practice: &Ik,
        report: &ReportId,
        sealed: &[u8],
    ) -> Result<(), StoreError> {
        let (practice, report, sealed) = (*practice, report.to_string(), sealed.to_vec());
        self.write(move |connection| {
            connection
                .execute(
                    "INSERT OR REPLACE INTO report_attachments (practice, report, sealed)
                     VALUES (?1, ?2, ?3)",
                    params![practice.as_str(), report, sealed],
                )
                .map_err(sql)?;
            Ok(())
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.attachment", skip_all)]
    async fn attachment(
        &self,
        practice: &Ik,
        report: &ReportId,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let (practice, report) = (*practice, report.to_string());
        self.run(move |connection| {
            connection
                .query_row(
                    "SELECT sealed FROM report_attachments WHERE practice = ?1 AND report = ?2",
                    [practice.as_str(), &report],
                    |row| row.get::<_, Vec<u8>>(0),
                )
                .optional()
                .map_err(sql)
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.delete_attachment", skip_all)]
    async fn delete_attachment(&self, practice: &Ik, report: &ReportId) -> Result<(), StoreError> {
        let (practice, report) = (*practice, report.to_string());
        let scrub = self.scrub_flag();
        self.write(move |connection| {
            let deleted = connection
                .execute(
                    "DELETE FROM report_attachments WHERE practice = ?1 AND report = ?2",
                    [practice.as_str(), &report],
                )
                .map_err(sql)?;
            if deleted > 0 {
                scrub.store(true, std::sync::atomic::Ordering::SeqCst);
            }
            Ok(())
        })
        .await
    }
}
