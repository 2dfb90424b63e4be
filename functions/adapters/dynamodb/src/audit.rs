//! The audit log in DynamoDB: records under (ik, seq ≥ 1), the provider's head under seq 0,
//! written in one transaction conditioned on the head. The application role has no UpdateItem or
//! DeleteItem on this table; TTL removes records after retention.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
use portal_core::model::{AuditEntry, AuditHead, AuditRecord, AuditRow, Limit, Recorded};
use portal_core::{AuditLog, StoreError};
use portal_domain::{Ik, Kvnr};

use crate::accounts::{COUNT_CONDITION, COUNT_UPDATE, conditional_put, count_names, count_values};
use crate::items::{Item, head_from, head_item, number, record_item, row_from, string};
use crate::{DynamoStore, all_items, failed_conditions};

pub(crate) const BY_KVNR_INDEX: &str = "by_kvnr";

/// Enough for one provider's queries arriving all at once (thirty in the tests) even on a
/// slow DynamoDB: each round of conflicts lets one through.
const RECORD_ATTEMPTS: u32 = 20;

/// How long to wait before attempt `attempt` (from 1): anywhere from 0 up to a doubling cap of
/// 320 ms ("full jitter"), so that retrying queries spread out instead of meeting again.
fn backoff(attempt: u32) -> Duration {
    let cap_ms = 10u64 << attempt.min(5);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()));
    Duration::from_millis(nanos % (cap_ms + 1))
}

impl DynamoStore {
    async fn audit_head(&self, ik: &Ik) -> Result<Option<AuditHead>, StoreError> {
        let key =
            HashMap::from([("ik".to_string(), self.scope.key(ik)), ("seq".to_string(), number(0))]);
        let item = self.item(&self.tables.audit, key).await?;
        item.map(|item| head_from(&self.scope, &item)).transpose()
    }

    /// Counts one use, on condition that the limit is not reached yet.
    fn count_within(&self, limit: &Limit) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.tables.counters)
            .key("key", self.scope.key(limit.counter.key()))
            .update_expression(COUNT_UPDATE)
            .condition_expression(COUNT_CONDITION)
            .set_expression_attribute_names(Some(count_names()))
            .set_expression_attribute_values(Some(count_values(
                limit.limit,
                limit.counter.window_ends(),
            )))
            .build()
            .map_err(StoreError::unavailable)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Moves the provider's head to `record`, on condition that it is where the record links to.
    fn move_head(&self, record: &AuditRecord) -> Result<TransactWriteItem, StoreError> {
        let head = head_item(&self.scope, record);
        if record.seq == 1 {
            conditional_put(&self.tables.audit, head, "attribute_not_exists(ik)", None)
        } else {
            let values = HashMap::from([(":previous".to_string(), number(record.seq - 1))]);
            conditional_put(&self.tables.audit, head, "head_seq = :previous", Some(values))
        }
    }

    async fn query_audit(
        &self,
        index: Option<&str>,
        condition: &str,
        values: Item,
    ) -> Result<Vec<Item>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.tables.audit)
            .set_index_name(index.map(str::to_string))
            .key_condition_expression(condition)
            .set_expression_attribute_values(Some(values))
            // Indexes cannot be read consistently; the table can.
            .consistent_read(index.is_none());
        all_items(query).await
    }
}

#[async_trait]
impl AuditLog for DynamoStore {
    #[tracing::instrument(level = "debug", name = "dynamodb.record_query", skip_all)]
    async fn record_query(
        &self,
        entry: &AuditEntry,
        limits: &[Limit],
    ) -> Result<Recorded, StoreError> {
        for attempt in 0..RECORD_ATTEMPTS {
            if attempt > 0 {
                // Another query of the same provider moved the head: try again, spread out.
                tokio::time::sleep(backoff(attempt)).await;
            }
            let head = self.audit_head(&entry.ik).await?;
            let record = entry.link(head.as_ref());
            let mut items =
                limits.iter().map(|l| self.count_within(l)).collect::<Result<Vec<_>, _>>()?;
            items.push(self.move_head(&record)?);
            items.push(conditional_put(
                &self.tables.audit,
                record_item(&self.scope, &record),
                "attribute_not_exists(seq)",
                None,
            )?);
            match self.client.transact_write_items().set_transact_items(Some(items)).send().await {
                Ok(_) => return Ok(Recorded::Done(record)),
                Err(error) => {
                    let Some(failed) = failed_conditions(&error) else {
                        return Err(StoreError::unavailable(error));
                    };
                    if let Some(index) = failed.into_iter().find(|i| *i < limits.len()) {
                        return Ok(Recorded::OverLimit(limits[index].counter.clone()));
                    }
                }
            }
        }
        Err(StoreError::unavailable("the audit chain kept moving under concurrent queries"))
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.audit_heads", skip_all)]
    async fn audit_heads(&self) -> Result<Vec<AuditHead>, StoreError> {
        let items: Vec<Item> = self
            .client
            .scan()
            .table_name(&self.tables.audit)
            .filter_expression("seq = :zero AND begins_with(ik, :tenant)")
            .expression_attribute_values(":zero", number(0))
            .expression_attribute_values(":tenant", string(self.scope.prefix()))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(StoreError::unavailable)?;
        items.iter().map(|item| head_from(&self.scope, item)).collect()
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.audit_of_ik", skip_all)]
    async fn audit_of_ik(&self, ik: &Ik) -> Result<Vec<AuditRow>, StoreError> {
        let values = HashMap::from([
            (":ik".to_string(), self.scope.key(ik)),
            (":first".to_string(), number(1)),
        ]);
        let items = self.query_audit(None, "ik = :ik AND seq >= :first", values).await?;
        Ok(items.iter().map(|item| row_from(&self.scope, item)).collect())
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.audit_of_kvnr", skip_all)]
    async fn audit_of_kvnr(&self, kvnr: &Kvnr) -> Result<Vec<AuditRow>, StoreError> {
        let values = HashMap::from([(":kvnr".to_string(), self.scope.key(kvnr))]);
        let items = self.query_audit(Some(BY_KVNR_INDEX), "kvnr = :kvnr", values).await?;
        let mut rows: Vec<AuditRow> =
            items.iter().map(|item| row_from(&self.scope, item)).collect();
        // The index orders by time only; queries of the same instant in the order they were
        // recorded, as the embedded store lists them.
        rows.sort_by_key(|row| row.intact().map(|r| (r.at, r.seq)));
        Ok(rows)
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.audit_record", skip_all)]
    async fn audit_record(&self, ik: &Ik, seq: u64) -> Result<Option<AuditRow>, StoreError> {
        // Position 0 is the provider's head, not a record.
        if seq == 0 {
            return Ok(None);
        }
        let key = HashMap::from([
            ("ik".to_string(), self.scope.key(ik)),
            ("seq".to_string(), number(seq)),
        ]);
        let item = self.item(&self.tables.audit, key).await?;
        Ok(item.map(|item| row_from(&self.scope, &item)))
    }
}
