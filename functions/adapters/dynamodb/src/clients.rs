//! The machine API's clients in their table (by id, and by provider through `by_ik`), and the
//! client assertions' used ids in the counters table, written on condition that they are new.

use async_trait::async_trait;
use portal_core::model::{Client, ClientId};
use portal_core::{ClientRegistry, SeenTokenIds, StoreError};
use portal_domain::Ik;
use time::OffsetDateTime;

use crate::items::{Item, client_from, client_item, client_key, nanos, seen_jti_item, string};
use crate::{DynamoStore, all_items};

/// The index of a provider's clients: `ik` (scoped), sorted by `client_id` (ULIDs: by age).
pub(crate) const BY_IK_INDEX: &str = "by_ik";

#[async_trait]
impl ClientRegistry for DynamoStore {
    #[tracing::instrument(level = "debug", name = "dynamodb.put_client", skip_all)]
    async fn put_client(&self, client: &Client) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.tables.clients)
            .set_item(Some(client_item(&self.scope, client)))
            .send()
            .await
            .map(drop)
            .map_err(StoreError::unavailable)
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.client", skip_all)]
    async fn client(&self, id: &ClientId) -> Result<Option<Client>, StoreError> {
        let item = self.item(&self.tables.clients, client_key(&self.scope, id)).await?;
        item.map(|item| client_from(&self.scope, &item)).transpose()
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.clients_of", skip_all)]
    async fn clients_of(&self, ik: Option<&Ik>) -> Result<Vec<Client>, StoreError> {
        let items: Vec<Item> = match ik {
            Some(ik) => {
                let query = self
                    .client
                    .query()
                    .table_name(&self.tables.clients)
                    .index_name(BY_IK_INDEX)
                    .key_condition_expression("ik = :ik")
                    .expression_attribute_values(":ik", self.scope.key(ik));
                all_items(query).await?
            }
            // The back office's listing of all: rare, and the table is small.
            None => self
                .client
                .scan()
                .table_name(&self.tables.clients)
                .filter_expression("begins_with(client_id, :tenant)")
                .expression_attribute_values(":tenant", string(self.scope.prefix()))
                .consistent_read(true)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(StoreError::unavailable)?,
        };
        let mut clients = items
            .iter()
            .map(|item| client_from(&self.scope, item))
            .collect::<Result<Vec<_>, _>>()?;
        clients.sort_by_key(|c| c.id);
        Ok(clients)
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.revoke_client", skip_all)]
    async fn revoke(&self, id: &ClientId, at: OffsetDateTime) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.clients)
            .set_key(Some(client_key(&self.scope, id)))
            .update_expression("SET revoked_at = if_not_exists(revoked_at, :at)")
            .condition_expression("attribute_exists(client_id)")
            .expression_attribute_values(":at", nanos(at))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(StoreError::unavailable(e)),
        }
    }
}

#[async_trait]
impl SeenTokenIds for DynamoStore {
    #[tracing::instrument(level = "debug", name = "dynamodb.remember_jti", skip_all)]
    async fn remember(&self, jti: &str, expires_at: OffsetDateTime) -> Result<bool, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.tables.counters)
            .set_item(Some(seen_jti_item(&self.scope, jti, expires_at)))
            .condition_expression("attribute_not_exists(#key)")
            .expression_attribute_names("#key", "key")
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(StoreError::unavailable(e)),
        }
    }
}
