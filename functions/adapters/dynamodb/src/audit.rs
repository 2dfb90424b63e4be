//! The audit log in DynamoDB: records under (ik, seq ≥ 1), the provider's head under seq 0,
//! written in one transaction conditioned on the head. The application role has no UpdateItem or
//! DeleteItem on this table; TTL removes records after retention.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use portal_core::oha::{AuditHead, AuditRecord, Outcome};
use portal_core::{AuditLog, Saved, StoreError};
use portal_domain::{Consent, Ik, Kvnr, parse_date};

use crate::accounts::{ik_in, n, nanos, number, optional_time, put, time_at, ttl};
use crate::{DynamoStore, Item, corrupt, s, text};

pub(crate) const BY_KVNR_INDEX: &str = "by_kvnr";

fn record_item(r: &AuditRecord) -> Item {
    let mut item = HashMap::from([
        ("ik".to_string(), s(r.ik.as_str())),
        ("seq".into(), n(r.seq)),
        ("query_id".into(), s(&r.query_id)),
        ("at".into(), nanos(r.at)),
        ("kvnr".into(), s(r.kvnr.as_str())),
        ("consent".into(), s(r.consent.as_str())),
        ("outcome".into(), s(&r.outcome.to_text())),
        ("prev_hash".into(), s(&r.prev_hash)),
        ("hash".into(), s(&r.hash)),
        ("expires_at".into(), nanos(r.expires_at)),
        ("ttl".into(), ttl(r.expires_at)),
    ]);
    if let Some(day) = r.dispensing_date {
        item.insert("dispensing_date".into(), s(&day.to_string()));
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
        query_id: text(item, "query_id")?.to_string(),
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

fn head_from(item: &Item) -> Result<AuditHead, StoreError> {
    Ok(AuditHead {
        ik: ik_in(item)?,
        seq: number(item, "head_seq")?,
        hash: text(item, "hash")?.to_string(),
        at: time_at(item, "at")?,
    })
}

impl DynamoStore {
    async fn query_audit(
        &self,
        index: Option<&str>,
        condition: &str,
        values: Item,
    ) -> Result<Vec<Item>, StoreError> {
        self.client
            .query()
            .table_name(&self.tables.audit)
            .set_index_name(index.map(str::to_string))
            .key_condition_expression(condition)
            .set_expression_attribute_values(Some(values))
            .consistent_read(index.is_none())
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(StoreError::unavailable)
    }
}

#[async_trait]
impl AuditLog for DynamoStore {
    async fn audit_head(&self, ik: &Ik) -> Result<Option<AuditHead>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.tables.audit)
            .key("ik", s(ik.as_str()))
            .key("seq", n(0))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        output.item.as_ref().map(head_from).transpose()
    }

    async fn append_audit(&self, record: &AuditRecord) -> Result<Saved, StoreError> {
        let head = HashMap::from([
            ("ik".to_string(), s(record.ik.as_str())),
            ("seq".into(), n(0)),
            ("head_seq".into(), n(record.seq)),
            ("hash".into(), s(&record.hash)),
            ("at".into(), nanos(record.at)),
        ]);
        let head_put = if record.seq == 1 {
            put(&self.tables.audit, head, "attribute_not_exists(ik)", None)?
        } else {
            let values = HashMap::from([(":previous".to_string(), n(record.seq - 1))]);
            put(&self.tables.audit, head, "head_seq = :previous", Some(values))?
        };
        let record_put =
            put(&self.tables.audit, record_item(record), "attribute_not_exists(seq)", None)?;
        match self
            .client
            .transact_write_items()
            .transact_items(head_put)
            .transact_items(record_put)
            .send()
            .await
        {
            Ok(_) => Ok(Saved::Done),
            Err(e)
                if e.as_service_error().is_some_and(|e| e.is_transaction_canceled_exception()) =>
            {
                Ok(Saved::Conflict)
            }
            Err(e) => Err(StoreError::unavailable(e)),
        }
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

    async fn audit_of_ik(&self, ik: &Ik) -> Result<Vec<AuditRecord>, StoreError> {
        let values =
            HashMap::from([(":ik".to_string(), s(ik.as_str())), (":first".to_string(), n(1))]);
        let items = self.query_audit(None, "ik = :ik AND seq >= :first", values).await?;
        items.iter().map(record_from).collect()
    }

    async fn audit_of_kvnr(&self, kvnr: &Kvnr) -> Result<Vec<AuditRecord>, StoreError> {
        let values = HashMap::from([(":kvnr".to_string(), AttributeValue::S(kvnr.to_string()))]);
        let items = self.query_audit(Some(BY_KVNR_INDEX), "kvnr = :kvnr", values).await?;
        items.iter().map(record_from).collect()
    }
}
