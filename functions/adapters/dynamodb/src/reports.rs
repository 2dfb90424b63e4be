//! Therapy reports in DynamoDB, one table with a partition key `pk` and a sort key `sk`: each
//! practice's reports under `{tenant}#{practice}`, a report's metadata under `report#{id}` and
//! its sealed contents under `report#{id}#contents` (attribute layout in `items.rs`). The two
//! items are written and deleted together in one transaction, conditional on the metadata's
//! version, and each goes by TTL (`ttl`): the contents at `contents_expire_at`, the metadata at
//! `expires_at`. Queued reports carry `queued` (the tenant) and so appear in the sparse index
//! `queued`, sorted by `next_attempt_at`: the dispatcher's queue.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use futures::{StreamExt as _, TryStreamExt as _};
use portal_core::model::{ReportId, ReportStatus, StoredReport};
use portal_core::{ReportQueue, ReportStore, Saved, StoreError};
use portal_domain::Ik;
use time::OffsetDateTime;

use crate::accounts::conditional_put;
use crate::items::{
    CONTENTS_SK_SUFFIX, Item, ItemExt as _, QUEUED, REPORT_SK_PREFIX, Scope, contents_item,
    contents_key, nanos, number, report_from, report_item, report_pk, report_sk, string,
};
use crate::{DynamoStore, all_items, lost_race};

/// Sparse index: only queued reports carry the `queued` attribute (the tenant's IK); sorted by
/// `next_attempt_at`, keys only (the report is read whole from the table).
pub(crate) const QUEUED_INDEX: &str = QUEUED;

/// Reports of the queue read at once.
const PARALLEL_READS: usize = 8;

impl DynamoStore {
    /// The report whose items' sort keys start with `sk` (`report#{id}`) in partition `pk`, both
    /// items read consistently.
    async fn report_at(
        &self,
        pk: AttributeValue,
        sk: &str,
    ) -> Result<Option<StoredReport>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.tables.reports)
            .key_condition_expression("pk = :pk AND begins_with(sk, :sk)")
            .expression_attribute_values(":pk", pk)
            .expression_attribute_values(":sk", string(sk))
            .consistent_read(true);
        let mut reports = joined(&self.scope, all_items(query).await?)?;
        Ok(reports.pop())
    }

    /// The transaction item that deletes a report's contents item, whether it exists or not.
    fn delete_contents(&self, report: &StoredReport) -> Result<TransactWriteItem, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.tables.reports)
            .set_key(Some(contents_key(&self.scope, report)))
            .build()
            .map_err(StoreError::unavailable)?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// Runs a report's transaction, whose first item is the metadata's conditional write.
    async fn transact_report(&self, items: Vec<TransactWriteItem>) -> Result<Saved, StoreError> {
        match self.client.transact_write_items().set_transact_items(Some(items)).send().await {
            Ok(_) => Ok(Saved::Done),
            Err(error) if lost_race(&error, 0) => Ok(Saved::Conflict),
            Err(error) => Err(StoreError::unavailable(error)),
        }
    }
}

/// The reports among a query's items, each metadata item joined with its contents item. A
/// contents item left without its metadata (gone by TTL first) is no report.
fn joined(scope: &Scope, items: Vec<Item>) -> Result<Vec<StoredReport>, StoreError> {
    let mut parts: BTreeMap<String, (Option<Item>, Option<Item>)> = BTreeMap::new();
    for item in items {
        let sk = item.text("sk")?.to_string();
        match sk.strip_suffix(CONTENTS_SK_SUFFIX) {
            Some(report) => parts.entry(report.to_string()).or_default().1 = Some(item),
            None => parts.entry(sk).or_default().0 = Some(item),
        }
    }
    parts
        .into_values()
        .filter_map(|(metadata, contents)| {
            metadata.map(|metadata| report_from(scope, &metadata, contents.as_ref()))
        })
        .collect()
}

/// The version condition of a report's metadata item: absent for a new report (version 0).
fn version_condition(report: &StoredReport) -> (&'static str, Option<Item>) {
    if report.version == 0 {
        ("attribute_not_exists(pk)", None)
    } else {
        let expected = HashMap::from([(":expected".to_string(), number(report.version))]);
        ("version = :expected", Some(expected))
    }
}

#[async_trait]
impl ReportStore for DynamoStore {
    #[tracing::instrument(level = "debug", name = "dynamodb.report", skip_all)]
    async fn report(
        &self,
        practice: &Ik,
        id: &ReportId,
    ) -> Result<Option<StoredReport>, StoreError> {
        // Another practice's report is under another partition key: not found here.
        self.report_at(report_pk(&self.scope, practice), &report_sk(id)).await
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.reports_of", skip_all)]
    async fn reports_of(&self, practice: &Ik) -> Result<Vec<StoredReport>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.tables.reports)
            .key_condition_expression("pk = :pk AND begins_with(sk, :sk)")
            .expression_attribute_values(":pk", report_pk(&self.scope, practice))
            .expression_attribute_values(":sk", string(REPORT_SK_PREFIX))
            .consistent_read(true);
        let mut reports = joined(&self.scope, all_items(query).await?)?;
        reports.sort_by_key(|r| Reverse((r.updated_at, r.id)));
        Ok(reports)
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.save_report", skip_all)]
    async fn save_report(&self, report: &StoredReport) -> Result<Saved, StoreError> {
        let (condition, values) = version_condition(report);
        let metadata = conditional_put(
            &self.tables.reports,
            report_item(&self.scope, report),
            condition,
            values,
        )?;
        let contents = match &report.contents {
            Some(sealed) => {
                let put = Put::builder()
                    .table_name(&self.tables.reports)
                    .set_item(Some(contents_item(&self.scope, report, sealed)))
                    .build()
                    .map_err(StoreError::unavailable)?;
                TransactWriteItem::builder().put(put).build()
            }
            None => self.delete_contents(report)?,
        };
        self.transact_report(vec![metadata, contents]).await
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.delete_report", skip_all)]
    async fn delete_report(&self, report: &StoredReport) -> Result<Saved, StoreError> {
        let key = HashMap::from([
            ("pk".to_string(), report_pk(&self.scope, &report.practice)),
            ("sk".to_string(), string(report_sk(&report.id))),
        ]);
        // Version 0 was never stored: the condition fails, as it should.
        let metadata = Delete::builder()
            .table_name(&self.tables.reports)
            .set_key(Some(key))
            .condition_expression("version = :expected")
            .expression_attribute_values(":expected", number(report.version))
            .build()
            .map_err(StoreError::unavailable)?;
        let metadata = TransactWriteItem::builder().delete(metadata).build();
        self.transact_report(vec![metadata, self.delete_contents(report)?]).await
    }
}

#[async_trait]
impl ReportQueue for DynamoStore {
    #[tracing::instrument(level = "debug", name = "dynamodb.due_reports", skip_all)]
    async fn due_reports(
        &self,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<StoredReport>, StoreError> {
        let mut due = Vec::new();
        let mut start = None;
        while due.len() < limit {
            let page = self
                .client
                .query()
                .table_name(&self.tables.reports)
                .index_name(QUEUED_INDEX)
                .key_condition_expression("#queued = :tenant AND next_attempt_at <= :now")
                .expression_attribute_names("#queued", QUEUED)
                .expression_attribute_values(":tenant", string(self.scope.tenant()))
                .expression_attribute_values(":now", nanos(now))
                .limit(i32::try_from(limit - due.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(StoreError::unavailable)?;
            // The index is eventually consistent: each report is read again from the table, and
            // taken only if it is still queued and due.
            let keys = page.items.unwrap_or_default();
            let reports: Vec<Option<StoredReport>> = futures::stream::iter(keys)
                .map(|key| async move {
                    let (pk, sk) = (key.get("pk").cloned(), key.text("sk")?.to_string());
                    let pk =
                        pk.ok_or_else(|| StoreError::Corrupt("attribute pk is missing".into()))?;
                    self.report_at(pk, &sk).await
                })
                .buffered(PARALLEL_READS)
                .try_collect()
                .await?;
            due.extend(reports.into_iter().flatten().filter(|r| {
                r.status == ReportStatus::Queued && r.next_attempt_at.is_some_and(|at| at <= now)
            }));
            start = page.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        due.truncate(limit);
        Ok(due)
    }

    /// DynamoDB's TTL removes both by itself (the contents item at `contents_expire_at`, the
    /// metadata item at `expires_at`, each within a day or two of the time), so there is nothing
    /// to purge here and nothing to count: always `(0, 0)`. Until TTL has come, an expired
    /// contents item is still read; the use case checks `contents_expire_at` itself.
    #[tracing::instrument(level = "debug", name = "dynamodb.purge_reports", skip_all)]
    async fn purge_reports(&self, _now: OffsetDateTime) -> Result<(usize, usize), StoreError> {
        Ok((0, 0))
    }
}
