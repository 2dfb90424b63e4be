//! The audit log in DynamoDB: records under (ik, seq ≥ 1), the provider's head under seq 0,
//! written in one transaction conditioned on the head. The application role has no UpdateItem or
//! DeleteItem on this table; TTL removes records after retention.

use std::collections::HashMap;

use async_trait::async_trait;
use std::time::Duration;

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use portal_core::model::{
    AuditEntry, AuditHead, AuditRecord, AuditRow, Limit, Outcome, QueryId, Recorded,
};
use portal_core::{AuditLog, StoreError};
use portal_domain::{Consent, Ik, Kvnr, parse_date};

use crate::accounts::{
    COUNT_CONDITION, COUNT_UPDATE, count_names, count_values, ik_in, n, nanos, number,
    optional_time, put, time_at, ttl,
};
use crate::{DynamoStore, Item, all_items, corrupt, failed_conditions, s, text};

pub(crate) const BY_KVNR_INDEX: &str = "by_kvnr";

fn record_item(r: &AuditRecord) -> Item {
    let mut item = HashMap::from([
        ("ik".to_string(), s(r.ik.as_str())),
        ("seq".into(), n(r.seq)),
        ("query_id".into(), s(r.query_id)),
        ("at".into(), nanos(r.at)),
        ("kvnr".into(), s(r.kvnr.as_str())),
        ("consent".into(), s(r.consent.as_str())),
        ("outcome".into(), s(r.outcome.to_text())),
        ("prev_hash".into(), s(&r.prev_hash)),
        ("hash".into(), s(&r.hash)),
        ("expires_at".into(), nanos(r.expires_at)),
        ("ttl".into(), ttl(r.expires_at)),
    ]);
    if let Some(day) = r.dispensing_date {
        item.insert("dispensing_date".into(), s(day.to_string()));
    }
    if let Some(at) = r.prev_at {
        item.insert("prev_at".into(), nanos(at));
    }
    item
}

fn record_from(item: &Item) -> Result<AuditRecord, StoreError> {
    let outcome = text(item, "outcome")?;
    Ok(AuditRecord {
        ik: ik_in(item)?,
        seq: number(item, "seq")?,
        query_id: QueryId::parse(text(item, "query_id")?)
            .ok_or_else(|| corrupt("query_id", "not a ULID"))?,
        at: time_at(item, "at")?,
        kvnr: Kvnr::parse(text(item, "kvnr")?).map_err(|e| corrupt("kvnr", e))?,
        consent: Consent::parse(text(item, "consent")?).map_err(|e| corrupt("consent", e))?,
        dispensing_date: item
            .contains_key("dispensing_date")
            .then(|| {
                parse_date(text(item, "dispensing_date")?)
                    .map_err(|e| corrupt("dispensing_date", e))
            })
            .transpose()?,
        outcome: Outcome::parse(outcome).ok_or_else(|| corrupt("outcome", outcome))?,
        prev_hash: text(item, "prev_hash")?.to_string(),
        prev_at: optional_time(item, "prev_at")?,
        hash: text(item, "hash")?.to_string(),
        expires_at: time_at(item, "expires_at")?,
    })
}

/// A row as the audit log reports it: a record, or what is known of a damaged one.
fn row_from(item: &Item) -> AuditRow {
    match record_from(item) {
        Ok(record) => AuditRow::Intact(record),
        Err(error) => AuditRow::Damaged {
            ik: ik_in(item).ok(),
            seq: number(item, "seq").unwrap_or(0),
            reason: error.to_string(),
        },
    }
}

fn head_from(item: &Item) -> Result<AuditHead, StoreError> {
    Ok(AuditHead {
        ik: ik_in(item)?,
        seq: number(item, "head_seq")?,
        hash: text(item, "hash")?.to_string(),
        at: time_at(item, "at")?,
    })
}

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
        let key = HashMap::from([("ik".to_string(), s(ik.as_str())), ("seq".to_string(), n(0))]);
        self.item(&self.tables.audit, key).await?.as_ref().map(head_from).transpose()
    }

    /// Counts one use, on condition that the limit is not reached yet.
    fn count_within(&self, limit: &Limit) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.tables.counters)
            .key("key", s(limit.counter.key()))
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
        let head = HashMap::from([
            ("ik".to_string(), s(record.ik.as_str())),
            ("seq".into(), n(0)),
            ("head_seq".into(), n(record.seq)),
            ("hash".into(), s(&record.hash)),
            ("at".into(), nanos(record.at)),
        ]);
        if record.seq == 1 {
            put(&self.tables.audit, head, "attribute_not_exists(ik)", None)
        } else {
            let values = HashMap::from([(":previous".to_string(), n(record.seq - 1))]);
            put(&self.tables.audit, head, "head_seq = :previous", Some(values))
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
            items.push(put(
                &self.tables.audit,
                record_item(&record),
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

    async fn audit_heads(&self) -> Result<Vec<AuditHead>, StoreError> {
        let items: Vec<Item> = self
            .client
            .scan()
            .table_name(&self.tables.audit)
            .filter_expression("seq = :zero")
            .expression_attribute_values(":zero", n(0))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(StoreError::unavailable)?;
        items.iter().map(head_from).collect()
    }

    async fn audit_of_ik(&self, ik: &Ik) -> Result<Vec<AuditRow>, StoreError> {
        let values =
            HashMap::from([(":ik".to_string(), s(ik.as_str())), (":first".to_string(), n(1))]);
        let items = self.query_audit(None, "ik = :ik AND seq >= :first", values).await?;
        Ok(items.iter().map(row_from).collect())
    }

    async fn audit_of_kvnr(&self, kvnr: &Kvnr) -> Result<Vec<AuditRow>, StoreError> {
        let values = HashMap::from([(":kvnr".to_string(), AttributeValue::S(kvnr.to_string()))]);
        let items = self.query_audit(Some(BY_KVNR_INDEX), "kvnr = :kvnr", values).await?;
        Ok(items.iter().map(row_from).collect())
    }
}
