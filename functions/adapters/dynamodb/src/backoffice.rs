//! The back office's users and sessions in the `account_events` table, under the tenant:
//! `backoffice-user#{name}` and `backoffice-session#{hash}` (with `ttl` at the idle expiry,
//! so DynamoDB removes sessions left behind). A removed user's sessions are refused on their
//! next request (the use case checks the user), so removing one needs no index of sessions.

use async_trait::async_trait;
use portal_core::model::stored::corrupt;
use portal_core::model::{BackofficeName, BackofficeSession, BackofficeUser};
use portal_core::{BackofficeStore, Saved, StoreError};

use crate::DynamoStore;
use crate::items::{ItemExt as _, expiry, nanos, string};

fn name_of(text: &str) -> Result<BackofficeName, StoreError> {
    BackofficeName::parse(text).map_err(|e| corrupt("back-office name", e))
}

#[async_trait]
impl BackofficeStore for DynamoStore {
    #[tracing::instrument(level = "debug", name = "dynamodb.add_backoffice_user", skip_all)]
    async fn add_backoffice_user(&self, user: &BackofficeUser) -> Result<Saved, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.tables.account_events)
            .item("pk", self.scope.key(format!("backoffice-user#{}", user.name)))
            .item("sk", string("-"))
            .item("name", string(&user.name))
            .item("password_hash", string(&user.password_hash))
            .item("created_at", nanos(user.created_at))
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
        let output = self
            .client
            .get_item()
            .table_name(&self.tables.account_events)
            .key("pk", self.scope.key(format!("backoffice-user#{name}")))
            .key("sk", string("-"))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        output
            .item
            .map(|item| {
                Ok(BackofficeUser {
                    name: name_of(item.text("name")?)?,
                    password_hash: item.text("password_hash")?.to_string(),
                    created_at: item.time("created_at")?,
                })
            })
            .transpose()
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.remove_backoffice_user", skip_all)]
    async fn remove_backoffice_user(&self, name: &BackofficeName) -> Result<bool, StoreError> {
        let output = self
            .client
            .delete_item()
            .table_name(&self.tables.account_events)
            .key("pk", self.scope.key(format!("backoffice-user#{name}")))
            .key("sk", string("-"))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
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
            .item("pk", self.scope.key(format!("backoffice-session#{}", session.id_hash)))
            .item("sk", string("-"))
            .item("name", string(&session.name))
            .item("created_at", nanos(session.created_at))
            .item("idle_expires_at", nanos(session.idle_expires_at))
            .item("ttl", expiry(session.idle_expires_at))
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
        let output = self
            .client
            .get_item()
            .table_name(&self.tables.account_events)
            .key("pk", self.scope.key(format!("backoffice-session#{id_hash}")))
            .key("sk", string("-"))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        output
            .item
            .map(|item| {
                Ok(BackofficeSession {
                    id_hash: id_hash.to_string(),
                    name: name_of(item.text("name")?)?,
                    created_at: item.time("created_at")?,
                    idle_expires_at: item.time("idle_expires_at")?,
                })
            })
            .transpose()
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.delete_backoffice_session", skip_all)]
    async fn delete_backoffice_session(&self, id_hash: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.tables.account_events)
            .key("pk", self.scope.key(format!("backoffice-session#{id_hash}")))
            .key("sk", string("-"))
            .send()
            .await
            .map(drop)
            .map_err(StoreError::unavailable)
    }
}
