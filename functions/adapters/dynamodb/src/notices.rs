//! The account's history, its known browsers and the block links of its notices in one table
//! (`account_events`, `pk`/`sk`, every `pk` the tenant's): `history#{ik}` with one item per
//! event (`sk` the time, zero-padded, and a random id), `devices#{ik}` with one item per
//! browser (`sk` the hash of its cookie), and `block#{hash}` per link. Each carries `ttl`, so
//! DynamoDB removes the history after 90 days, a browser after 400, a link after 7.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use portal_core::model::stored::{self, corrupt};
use portal_core::model::{AccountEvent, BlockToken, Browser, DeviceSeen, HistoryEntry};
use portal_core::{AccountHistory, BlockTokens, KnownDevices, StoreError};
use portal_domain::Ik;
use time::OffsetDateTime;

use crate::items::{Item, ItemExt as _, expiry, nanos, string};
use crate::{DynamoStore, all_items};

/// The sort key of a history item: its time (nanoseconds, zero-padded to sort as text) and id.
fn history_sk(at: OffsetDateTime, id: &str) -> AttributeValue {
    string(format!("{:020}#{id}", stored::nanos(at).max(0)))
}

#[async_trait]
impl AccountHistory for DynamoStore {
    #[tracing::instrument(level = "debug", name = "dynamodb.record_event", skip_all)]
    async fn record_event(&self, entry: &HistoryEntry) -> Result<(), StoreError> {
        let mut item: Item = HashMap::from([
            ("pk".into(), self.scope.key(format!("history#{}", entry.ik))),
            ("sk".into(), history_sk(entry.at, &entry.id)),
            ("at".into(), nanos(entry.at)),
            ("event".into(), string(entry.event.as_str())),
            ("ttl".into(), expiry(entry.expires_at())),
        ]);
        if let Some(browser) = entry.browser {
            item.insert("browser".into(), string(browser.as_str()));
        }
        self.client
            .put_item()
            .table_name(&self.tables.account_events)
            .set_item(Some(item))
            .send()
            .await
            .map(drop)
            .map_err(StoreError::unavailable)
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.history_of", skip_all)]
    async fn history_of(
        &self,
        ik: &Ik,
        since: OffsetDateTime,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.tables.account_events)
            .key_condition_expression("pk = :pk AND sk >= :since")
            .expression_attribute_values(":pk", self.scope.key(format!("history#{ik}")))
            .expression_attribute_values(":since", history_sk(since, ""))
            .scan_index_forward(false);
        let items = all_items(query).await?;
        items
            .iter()
            .map(|item| {
                let sk = item.text("sk")?;
                let id = sk.split_once('#').map(|(_, id)| id).unwrap_or_default();
                let event = item.text("event")?;
                Ok(HistoryEntry {
                    ik: *ik,
                    at: item.time("at")?,
                    event: AccountEvent::parse(event).ok_or_else(|| corrupt("event", event))?,
                    browser: item.optional_text("browser")?.map(Browser::parse),
                    id: id.to_string(),
                })
            })
            .collect()
    }
}

#[async_trait]
impl KnownDevices for DynamoStore {
    #[tracing::instrument(level = "debug", name = "dynamodb.remember_device", skip_all)]
    async fn remember_device(
        &self,
        ik: &Ik,
        device_hash: &str,
        expires_at: OffsetDateTime,
    ) -> Result<DeviceSeen, StoreError> {
        let pk = self.scope.key(format!("devices#{ik}"));
        let put = self
            .client
            .put_item()
            .table_name(&self.tables.account_events)
            .item("pk", pk.clone())
            .item("sk", string(device_hash))
            .item("ttl", expiry(expires_at))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match put {
            Ok(_) => {}
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                return Ok(DeviceSeen::Known);
            }
            Err(e) => return Err(StoreError::unavailable(e)),
        }
        // New here: the first of the account's browsers, or one more?
        let others = self
            .client
            .query()
            .table_name(&self.tables.account_events)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", pk)
            .consistent_read(true)
            .limit(2)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(if others.count() > 1 { DeviceSeen::New } else { DeviceSeen::First })
    }
}

#[async_trait]
impl BlockTokens for DynamoStore {
    #[tracing::instrument(level = "debug", name = "dynamodb.put_block_token", skip_all)]
    async fn put_block_token(&self, token: &BlockToken) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.tables.account_events)
            .item("pk", self.scope.key(format!("block#{}", token.hash)))
            .item("sk", string("-"))
            .item("ik", string(token.ik))
            .item("expires_at", nanos(token.expires_at))
            .item("drops_factor", AttributeValue::Bool(token.drops_factor))
            .item("ttl", expiry(token.expires_at))
            .send()
            .await
            .map(drop)
            .map_err(StoreError::unavailable)
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.take_block_token", skip_all)]
    async fn take_block_token(&self, hash: &str) -> Result<Option<BlockToken>, StoreError> {
        // A delete is atomic: of two requests with the same link, only one gets it back.
        let output = self
            .client
            .delete_item()
            .table_name(&self.tables.account_events)
            .key("pk", self.scope.key(format!("block#{hash}")))
            .key("sk", string("-"))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        output
            .attributes
            .map(|item| {
                Ok(BlockToken {
                    hash: hash.to_string(),
                    ik: item.ik()?,
                    expires_at: item.time("expires_at")?,
                    drops_factor: item.flag("drops_factor"),
                })
            })
            .transpose()
    }
}
