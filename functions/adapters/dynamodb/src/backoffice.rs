//! The back office's users and sessions in the `account_events` table (keys and attributes in
//! `items`). A removed user's sessions are refused on their next request (the use case checks
//! the user), so removing one needs no index of sessions.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::ReturnValue;
use portal_core::model::{BackofficeName, BackofficeSession, BackofficeUser};
use portal_core::{BackofficeStore, Saved, StoreError};

use crate::DynamoStore;
use crate::items::{
    backoffice_session_from, backoffice_session_item, backoffice_session_key, backoffice_user_from,
    backoffice_user_item, backoffice_user_key,
};

#[async_trait]
impl BackofficeStore for DynamoStore {
    #[tracing::instrument(level = "debug", name = "dynamodb.add_backoffice_user", skip_all)]
    async fn add_backoffice_user(&self, user: &BackofficeUser) -> Result<Saved, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.tables.account_events)
            .set_item(Some(backoffice_user_item(&self.scope, user)))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(Saved::Done),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(Saved::Conflict)
            }
            Err(e) => Err(StoreError::unavailable(e)),
        }
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.backoffice_user", skip_all)]
    async fn backoffice_user(
        &self,
        name: &BackofficeName,
    ) -> Result<Option<BackofficeUser>, StoreError> {
        let key = backoffice_user_key(&self.scope, name);
        let item = self.item(&self.tables.account_events, key).await?;
        item.as_ref().map(backoffice_user_from).transpose()
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.remove_backoffice_user", skip_all)]
    async fn remove_backoffice_user(&self, name: &BackofficeName) -> Result<bool, StoreError> {
        let output = self
            .client
            .delete_item()
            .table_name(&self.tables.account_events)
            .set_key(Some(backoffice_user_key(&self.scope, name)))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(output.attributes.is_some())
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.put_backoffice_session", skip_all)]
    async fn put_backoffice_session(&self, session: &BackofficeSession) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.tables.account_events)
            .set_item(Some(backoffice_session_item(&self.scope, session)))
            .send()
            .await
            .map(drop)
            .map_err(StoreError::unavailable)
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.backoffice_session", skip_all)]
    async fn backoffice_session(
        &self,
        id_hash: &str,
    ) -> Result<Option<BackofficeSession>, StoreError> {
        let key = backoffice_session_key(&self.scope, id_hash);
        let item = self.item(&self.tables.account_events, key).await?;
        item.map(|item| backoffice_session_from(id_hash, &item)).transpose()
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.delete_backoffice_session", skip_all)]
    async fn delete_backoffice_session(&self, id_hash: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.tables.account_events)
            .set_key(Some(backoffice_session_key(&self.scope, id_hash)))
            .send()
            .await
            .map(drop)
            .map_err(StoreError::unavailable)
    }
}
