//! Accounts, letters, sessions, counters and challenges in DynamoDB; design in `infra/README.md`.
//! Times are nanoseconds since 1970 (`N`), plus `ttl` in seconds where DynamoDB should expire
//! the item.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValue, TransactWriteItem};
use portal_core::model::{
    Account, Challenge, ChallengeId, Letter, LetterId, LetterStatus, Session, SessionIdHash,
    Standing,
};
use portal_core::{
    AccountStore, ChallengeStore, LetterQueue, Limits, Saved, SessionStore, StoreError,
};
use portal_domain::Ik;
use time::OffsetDateTime;

use crate::items::{
    Item, ItemExt as _, account_from, account_item, challenge_from, challenge_item, challenge_key,
    expiry, letter_from, letter_item, nanos, number, session_from, session_item,
    sessions_valid_from, string,
};
use crate::{DynamoStore, failed_conditions};

/// Sparse index: only letters still to be sent carry the `pending` attribute.
pub(crate) const PENDING_INDEX: &str = "pending";

/// The sessions of one provider (`owner` = `{tenant}#{ik}`), by when they began. A GSI rather
/// than a per-provider list item: DynamoDB keeps it in step with every put, delete and TTL
/// expiry by itself, so the functions that only extend sessions need no right beyond
/// `PutItem`, no list ever holds ids of sessions gone, and no item of a busy provider becomes
/// a hot spot. Its reads lag writes by a moment, which a list a person looks at can bear.
pub(crate) const SESSIONS_BY_IK_INDEX: &str = "by_ik";

/// Whether a conditional update was made: false when its condition did not hold.
fn condition_held<T>(
    result: Result<T, SdkError<UpdateItemError, HttpResponse>>,
) -> Result<bool, StoreError> {
    match result {
        Ok(_) => Ok(true),
        Err(e)
            if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) =>
        {
            Ok(false)
        }
        Err(e) => Err(StoreError::unavailable(e)),
    }
}

/// A put in a transaction, on a condition.
pub(crate) fn conditional_put(
    table: &str,
    item: Item,
    condition: &str,
    values: Option<Item>,
) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression(condition)
        .set_expression_attribute_values(values)
        .build()
        .map_err(StoreError::unavailable)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// The attributes of an account that [`AccountStore::standing`] reads: the roles of the query and
/// dispatch functions may read these and no others (`dynamodb:Attributes` in
/// infra/template.yaml, checked by tests/integration/deploy.rs).
pub const STANDING_ATTRIBUTES: [&str; 4] =
    ["ik", "must_change_password", "letters_generation", "sessions_valid_from"];

#[async_trait]
impl AccountStore for DynamoStore {
    #[tracing::instrument(level = "debug", name = "dynamodb.account", skip_all)]
    async fn account(&self, ik: &Ik) -> Result<Option<Account>, StoreError> {
        let key = HashMap::from([("ik".to_string(), self.scope.key(ik))]);
        let item = self.item(&self.tables.accounts, key).await?;
        item.map(|item| account_from(&self.scope, &item)).transpose()
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.standing", skip_all)]
    async fn standing(&self, ik: &Ik) -> Result<Option<Standing>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.tables.accounts)
            .key("ik", self.scope.key(ik))
            .projection_expression(STANDING_ATTRIBUTES.join(", "))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        let Some(item) = output.item else { return Ok(None) };
        Ok(Some(Standing {
            ik: *ik,
            must_change_password: matches!(
                item.get("must_change_password"),
                Some(AttributeValue::Bool(true))
            ),
            letters_generation: item.parsed("letters_generation")?,
            sessions_valid_from: sessions_valid_from(&item)?,
        }))
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.save_account", skip_all)]
    async fn save_account(
        &self,
        account: &Account,
        letters: &[Letter],
    ) -> Result<Saved, StoreError> {
        let account_put = if account.version == 0 {
            conditional_put(
                &self.tables.accounts,
                account_item(&self.scope, account),
                "attribute_not_exists(ik)",
                None,
            )?
        } else {
            let expected = HashMap::from([(":expected".to_string(), number(account.version))]);
            conditional_put(
                &self.tables.accounts,
                account_item(&self.scope, account),
                "version = :expected",
                Some(expected),
            )?
        };
        let mut items = vec![account_put];
        for letter in letters {
            items.push(conditional_put(
                &self.tables.letters,
                letter_item(&self.scope, letter),
                "attribute_not_exists(letter_id)",
                None,
            )?);
        }
        match self.client.transact_write_items().set_transact_items(Some(items)).send().await {
            Ok(_) => Ok(Saved::Done),
            // The account's condition is the first item: its failure means someone else saved.
            Err(error) if failed_conditions(&error).is_some_and(|failed| failed.contains(&0)) => {
                Ok(Saved::Conflict)
            }
            Err(error) => Err(StoreError::unavailable(error)),
        }
    }
}

#[async_trait]
impl LetterQueue for DynamoStore {
    #[tracing::instrument(level = "debug", name = "dynamodb.pending_letters", skip_all)]
    async fn pending_letters(&self, limit: usize) -> Result<Vec<Letter>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new()); // DynamoDB rejects a limit of 0
        }
        let items: Vec<Item> = self
            .client
            .query()
            .table_name(&self.tables.letters)
            .index_name(PENDING_INDEX)
            .key_condition_expression("pending = :tenant")
            .expression_attribute_values(":tenant", string(self.scope.tenant()))
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(StoreError::unavailable)?
            .items
            .unwrap_or_default();
        // One page of `limit` is enough: the dispatcher asks again for the rest.
        items.iter().map(|item| letter_from(&self.scope, item)).collect()
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.claim_letter", skip_all)]
    async fn claim_letter(
        &self,
        id: &LetterId,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let claimed = self
            .client
            .update_item()
            .table_name(&self.tables.letters)
            .key("letter_id", self.scope.key(id))
            .update_expression("SET claimed_until = :until")
            .condition_expression(
                "attribute_exists(pending) AND \
                 (attribute_not_exists(claimed_until) OR claimed_until <= :now)",
            )
            .expression_attribute_values(":now", nanos(now))
            .expression_attribute_values(":until", nanos(until))
            .send()
            .await;
        condition_held(claimed)
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.release_letter", skip_all)]
    async fn release_letter(&self, id: &LetterId) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.tables.letters)
            .key("letter_id", self.scope.key(id))
            .update_expression("REMOVE claimed_until")
            .condition_expression("attribute_exists(letter_id)")
            .send()
            .await
            .map(drop)
            .map_err(StoreError::unavailable)
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.mark_sent", skip_all)]
    async fn mark_sent(&self, id: &LetterId) -> Result<(), StoreError> {
        self.set_letter_status(id, LetterStatus::Sent).await
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.mark_void", skip_all)]
    async fn mark_void(&self, id: &LetterId) -> Result<(), StoreError> {
        self.set_letter_status(id, LetterStatus::Void).await
    }
}

impl DynamoStore {
    async fn set_letter_status(
        &self,
        id: &LetterId,
        status: LetterStatus,
    ) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.tables.letters)
            .key("letter_id", self.scope.key(id))
            .update_expression("SET #status = :status REMOVE pending, message")
            .condition_expression("attribute_exists(letter_id)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":status", string(status.as_str()))
            .send()
            .await
            .map(drop)
            .map_err(StoreError::unavailable)
    }
}

#[async_trait]
impl SessionStore for DynamoStore {
    #[tracing::instrument(level = "debug", name = "dynamodb.put_session", skip_all)]
    async fn put_session(&self, session: &Session) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.tables.sessions)
            .set_item(Some(session_item(&self.scope, session)))
            .send()
            .await
            .map(drop)
            .map_err(StoreError::unavailable)
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.session", skip_all)]
    async fn session(&self, id_hash: &SessionIdHash) -> Result<Option<Session>, StoreError> {
        let key = HashMap::from([("id_hash".to_string(), self.scope.key(id_hash))]);
        let item = self.item(&self.tables.sessions, key).await?;
        item.map(|item| session_from(id_hash, &item)).transpose()
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.sessions_of", skip_all)]
    async fn sessions_of(&self, ik: &Ik) -> Result<Vec<Session>, StoreError> {
        let items: Vec<Item> = self
            .client
            .query()
            .table_name(&self.tables.sessions)
            .index_name(SESSIONS_BY_IK_INDEX)
            .key_condition_expression("#owner = :owner")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":owner", self.scope.key(ik))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(StoreError::unavailable)?;
        items
            .iter()
            .map(|item| {
                let id = self.scope.unscoped(item, "id_hash")?;
                let id_hash = SessionIdHash::parse(id).ok_or_else(|| {
                    StoreError::Corrupt("attribute id_hash is not a session's".into())
                })?;
                session_from(&id_hash, item)
            })
            .collect()
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.delete_session", skip_all)]
    async fn delete_session(&self, id_hash: &SessionIdHash) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.tables.sessions)
            .key("id_hash", self.scope.key(id_hash))
            .send()
            .await
            .map(drop)
            .map_err(StoreError::unavailable)
    }
}

/// One more use of a counter unless `:limit` is reached; the counter expires with its window.
/// `try_count` runs it alone, the audit write inside its transaction.
pub(crate) const COUNT_UPDATE: &str =
    "SET #count = if_not_exists(#count, :zero) + :one, #ttl = :ttl";
pub(crate) const COUNT_CONDITION: &str = "attribute_not_exists(#count) OR #count < :limit";

pub(crate) fn count_names() -> HashMap<String, String> {
    HashMap::from([("#count".into(), "count".into()), ("#ttl".into(), "ttl".into())])
}

pub(crate) fn count_values(limit: u32, window_ends: OffsetDateTime) -> Item {
    HashMap::from([
        (":zero".into(), number(0)),
        (":one".into(), number(1)),
        (":limit".into(), number(limit)),
        (":ttl".into(), expiry(window_ends)),
    ])
}

#[async_trait]
impl Limits for DynamoStore {
    #[tracing::instrument(level = "debug", name = "dynamodb.try_count", skip_all)]
    async fn try_count(
        &self,
        key: &str,
        limit: u32,
        window_ends: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.counters)
            .key("key", self.scope.key(key))
            .update_expression(COUNT_UPDATE)
            .condition_expression(COUNT_CONDITION)
            .set_expression_attribute_names(Some(count_names()))
            .set_expression_attribute_values(Some(count_values(limit, window_ends)))
            .send()
            .await;
        Ok(condition_held(result)? && limit > 0)
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.used", skip_all)]
    async fn used(&self, key: &str) -> Result<u32, StoreError> {
        let item = self
            .item(&self.tables.counters, HashMap::from([("key".to_string(), self.scope.key(key))]))
            .await?;
        item.map_or(Ok(0), |item| item.parsed("count"))
    }
}

#[async_trait]
impl ChallengeStore for DynamoStore {
    #[tracing::instrument(level = "debug", name = "dynamodb.put_challenge", skip_all)]
    async fn put_challenge(&self, c: &Challenge) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.tables.counters)
            .set_item(Some(challenge_item(&self.scope, c)))
            .send()
            .await
            .map(drop)
            .map_err(StoreError::unavailable)
    }

    #[tracing::instrument(level = "debug", name = "dynamodb.take_challenge", skip_all)]
    async fn take_challenge(&self, id: &ChallengeId) -> Result<Option<Challenge>, StoreError> {
        // A delete is atomic: of two requests with the same challenge, only one gets it back.
        let output = self
            .client
            .delete_item()
            .table_name(&self.tables.counters)
            .key("key", challenge_key(&self.scope, id))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        let item = output.attributes.filter(|item| item.contains_key("salt"));
        item.map(|item| challenge_from(id, &item)).transpose()
    }
}
