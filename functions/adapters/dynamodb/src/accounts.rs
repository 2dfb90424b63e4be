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
    Account, Challenge, ChallengeId, Letter, LetterId, LetterKind, LetterStatus, Session,
    SessionIdHash, Standing,
};
use portal_core::{
    AccountStore, ChallengeStore, LetterQueue, Limits, Saved, SessionStore, StoreError,
};
use portal_domain::Ik;
use time::OffsetDateTime;

use crate::{DynamoStore, Item, corrupt, failed_conditions, s, text};

/// Sparse index: only letters still to be sent carry the `pending` attribute.
pub(crate) const PENDING_INDEX: &str = "pending";

pub(crate) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(crate) fn nanos(at: OffsetDateTime) -> AttributeValue {
    n(at.unix_timestamp_nanos())
}

pub(crate) fn ttl(at: OffsetDateTime) -> AttributeValue {
    n(at.unix_timestamp())
}

pub(crate) fn number<T: std::str::FromStr>(item: &Item, name: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    text(item, name)?.parse().map_err(|e| corrupt(name, e))
}

pub(crate) fn time_at(item: &Item, name: &str) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(number(item, name)?).map_err(|e| corrupt(name, e))
}

pub(crate) fn optional_time(item: &Item, name: &str) -> Result<Option<OffsetDateTime>, StoreError> {
    item.contains_key(name).then(|| time_at(item, name)).transpose()
}

pub(crate) fn ik_in(item: &Item) -> Result<Ik, StoreError> {
    Ik::parse(text(item, "ik")?).map_err(|e| corrupt("ik", e))
}

fn account_item(a: &Account) -> Item {
    let mut item = HashMap::from([
        ("ik".to_string(), s(a.ik.as_str())),
        ("password_hash".into(), s(&a.password_hash)),
        ("pruefnummer_hash".into(), s(&a.pruefnummer_hash)),
        ("must_change_password".into(), AttributeValue::Bool(a.must_change_password)),
        ("blocked".into(), AttributeValue::Bool(a.blocked)),
        ("last_used_at".into(), nanos(a.last_used_at)),
        ("letters_generation".into(), n(a.letters_generation)),
        ("sessions_valid_from".into(), nanos(a.sessions_valid_from)),
        ("version".into(), n(a.version + 1)),
    ]);
    if let Some(at) = a.initial_password_expires_at {
        item.insert("initial_password_expires_at".into(), nanos(at));
    }
    item
}

fn account_from(item: &Item) -> Result<Account, StoreError> {
    Ok(Account {
        ik: ik_in(item)?,
        password_hash: text(item, "password_hash")?.to_string(),
        pruefnummer_hash: text(item, "pruefnummer_hash")?.to_string(),
        must_change_password: matches!(
            item.get("must_change_password"),
            Some(AttributeValue::Bool(true))
        ),
        initial_password_expires_at: optional_time(item, "initial_password_expires_at")?,
        blocked: matches!(item.get("blocked"), Some(AttributeValue::Bool(true))),
        last_used_at: time_at(item, "last_used_at")?,
        letters_generation: number(item, "letters_generation")?,
        sessions_valid_from: sessions_valid_from(item)?,
        version: number(item, "version")?,
    })
}

fn letter_item(l: &Letter) -> Item {
    HashMap::from([
        ("letter_id".to_string(), s(l.id)),
        ("ik".into(), s(l.ik.as_str())),
        ("kind".into(), s(l.kind.as_str())),
        ("generation".into(), n(l.generation)),
        ("recipient".into(), s(&l.recipient)),
        ("message".into(), s(&l.message)),
        ("status".into(), s(LetterStatus::Pending.as_str())),
        ("pending".into(), s("1")),
        ("created_at".into(), nanos(l.created_at)),
        // Sent or void letters' records go after a month, like the local store's purge.
        ("ttl".into(), ttl(l.created_at + time::Duration::days(30))),
    ])
}

fn letter_from(item: &Item) -> Result<Letter, StoreError> {
    let kind = text(item, "kind")?;
    Ok(Letter {
        id: LetterId::parse(text(item, "letter_id")?)
            .ok_or_else(|| corrupt("letter_id", "not a ULID"))?,
        ik: ik_in(item)?,
        kind: LetterKind::parse(kind).ok_or_else(|| corrupt("letter kind", kind))?,
        generation: number(item, "generation")?,
        recipient: text(item, "recipient")?.to_string(),
        message: text(item, "message")?.to_string(),
        created_at: time_at(item, "created_at")?,
    })
}

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

pub(crate) fn put(
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

/// Accounts saved before the attribute existed void no sessions.
fn sessions_valid_from(item: &Item) -> Result<OffsetDateTime, StoreError> {
    Ok(optional_time(item, "sessions_valid_from")?.unwrap_or(OffsetDateTime::UNIX_EPOCH))
}

#[async_trait]
impl AccountStore for DynamoStore {
    async fn account(&self, ik: &Ik) -> Result<Option<Account>, StoreError> {
        let key = HashMap::from([("ik".to_string(), s(ik.as_str()))]);
        self.item(&self.tables.accounts, key).await?.as_ref().map(account_from).transpose()
    }

    async fn standing(&self, ik: &Ik) -> Result<Option<Standing>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.tables.accounts)
            .key("ik", s(ik.as_str()))
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
            letters_generation: number(&item, "letters_generation")?,
            sessions_valid_from: sessions_valid_from(&item)?,
        }))
    }

    async fn save_account(
        &self,
        account: &Account,
        letters: &[Letter],
    ) -> Result<Saved, StoreError> {
        let account_put = if account.version == 0 {
            put(&self.tables.accounts, account_item(account), "attribute_not_exists(ik)", None)?
        } else {
            let expected = HashMap::from([(":expected".to_string(), n(account.version))]);
            put(
                &self.tables.accounts,
                account_item(account),
                "version = :expected",
                Some(expected),
            )?
        };
        let mut items = vec![account_put];
        for letter in letters {
            items.push(put(
                &self.tables.letters,
                letter_item(letter),
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
    async fn pending_letters(&self, limit: usize) -> Result<Vec<Letter>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new()); // DynamoDB rejects a limit of 0
        }
        let items: Vec<Item> = self
            .client
            .query()
            .table_name(&self.tables.letters)
            .index_name(PENDING_INDEX)
            .key_condition_expression("pending = :one")
            .expression_attribute_values(":one", s("1"))
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(StoreError::unavailable)?
            .items
            .unwrap_or_default();
        // One page of `limit` is enough: the dispatcher asks again for the rest.
        items.iter().map(letter_from).collect()
    }

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
            .key("letter_id", s(id))
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

    async fn release_letter(&self, id: &LetterId) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.tables.letters)
            .key("letter_id", s(id))
            .update_expression("REMOVE claimed_until")
            .condition_expression("attribute_exists(letter_id)")
            .send()
            .await
            .map(drop)
            .map_err(StoreError::unavailable)
    }

    async fn mark_sent(&self, id: &LetterId) -> Result<(), StoreError> {
        self.set_letter_status(id, LetterStatus::Sent).await
    }

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
            .key("letter_id", s(id))
            .update_expression("SET #status = :status REMOVE pending, message")
            .condition_expression("attribute_exists(letter_id)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":status", s(status.as_str()))
            .send()
            .await
            .map(drop)
            .map_err(StoreError::unavailable)
    }
}

#[async_trait]
impl SessionStore for DynamoStore {
    async fn put_session(&self, session: &Session) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.tables.sessions)
            .item("id_hash", s(&session.id_hash))
            .item("ik", s(session.ik.as_str()))
            .item("created_at", nanos(session.created_at))
            .item("idle_expires_at", nanos(session.idle_expires_at))
            .item("ttl", ttl(session.idle_expires_at))
            .send()
            .await
            .map(drop)
            .map_err(StoreError::unavailable)
    }

    async fn session(&self, id_hash: &SessionIdHash) -> Result<Option<Session>, StoreError> {
        let key = HashMap::from([("id_hash".to_string(), s(id_hash))]);
        self.item(&self.tables.sessions, key)
            .await?
            .map(|item| {
                Ok(Session {
                    id_hash: id_hash.clone(),
                    ik: ik_in(&item)?,
                    created_at: time_at(&item, "created_at")?,
                    idle_expires_at: time_at(&item, "idle_expires_at")?,
                })
            })
            .transpose()
    }

    async fn delete_session(&self, id_hash: &SessionIdHash) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.tables.sessions)
            .key("id_hash", s(id_hash))
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
        (":zero".into(), n(0)),
        (":one".into(), n(1)),
        (":limit".into(), n(limit)),
        (":ttl".into(), ttl(window_ends)),
    ])
}

#[async_trait]
impl Limits for DynamoStore {
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
            .key("key", s(key))
            .update_expression(COUNT_UPDATE)
            .condition_expression(COUNT_CONDITION)
            .set_expression_attribute_names(Some(count_names()))
            .set_expression_attribute_values(Some(count_values(limit, window_ends)))
            .send()
            .await;
        Ok(condition_held(result)? && limit > 0)
    }

    async fn used(&self, key: &str) -> Result<u32, StoreError> {
        let item =
            self.item(&self.tables.counters, HashMap::from([("key".to_string(), s(key))])).await?;
        item.map_or(Ok(0), |item| number(&item, "count"))
    }
}

#[async_trait]
impl ChallengeStore for DynamoStore {
    async fn put_challenge(&self, c: &Challenge) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.tables.counters)
            .item("key", s(format!("challenge#{}", c.id)))
            .item("salt", s(&c.salt))
            .item("difficulty", n(c.difficulty))
            .item("expires_at", nanos(c.expires_at))
            .item("ttl", ttl(c.expires_at))
            .send()
            .await
            .map(drop)
            .map_err(StoreError::unavailable)
    }

    async fn take_challenge(&self, id: &ChallengeId) -> Result<Option<Challenge>, StoreError> {
        // A delete is atomic: of two requests with the same challenge, only one gets it back.
        let output = self
            .client
            .delete_item()
            .table_name(&self.tables.counters)
            .key("key", s(format!("challenge#{id}")))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        output
            .attributes
            .filter(|item| item.contains_key("salt"))
            .map(|item| {
                Ok(Challenge {
                    id: *id,
                    salt: text(&item, "salt")?.to_string(),
                    difficulty: number(&item, "difficulty")?,
                    expires_at: time_at(&item, "expires_at")?,
                })
            })
            .transpose()
    }
}
